#pragma once

#include <cstddef>
#include <ranges>
#include <string_view>

#include <yyjson.h>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/traits.hpp"

// yyjson keeps two kinds of document. An immutable one (`yyjson_doc`, from its reader)
// lays its values out flat, in document order: a container is followed by its whole
// subtree, and its header holds the offset past it. A mutable one (`yyjson_mut_doc`)
// links the children of a container in a ring, the container pointing at the last.
// Both are read in place here, without copies; yyjson has no streaming writer, and this
// is one.

namespace iterjson::detail {

inline std::string_view yyjson_text(const yyjson_val& value) noexcept {
  return {unsafe_yyjson_get_str(&value), unsafe_yyjson_get_len(&value)};
}
inline std::string_view yyjson_text(const yyjson_mut_val& value) noexcept {
  return {unsafe_yyjson_get_str(&value), unsafe_yyjson_get_len(&value)};
}

// Calls `visitor` with what a value of either kind holds, containers as `Array` and
// `Object` views of it.
template <class Array, class Object, class Value, class Visitor>
ITERJSON_DETAIL_INLINE void visit_yyjson(const Value& value, Visitor& visitor) {
  switch (unsafe_yyjson_get_tag(&value)) {
    case YYJSON_TYPE_NULL | YYJSON_SUBTYPE_NONE: return visitor(nullptr);
    case YYJSON_TYPE_BOOL | YYJSON_SUBTYPE_FALSE: return visitor(false);
    case YYJSON_TYPE_BOOL | YYJSON_SUBTYPE_TRUE: return visitor(true);
    case YYJSON_TYPE_NUM | YYJSON_SUBTYPE_UINT: return visitor(value.uni.u64);
    case YYJSON_TYPE_NUM | YYJSON_SUBTYPE_SINT: return visitor(value.uni.i64);
    case YYJSON_TYPE_NUM | YYJSON_SUBTYPE_REAL: return visitor(value.uni.f64);
    case YYJSON_TYPE_STR | YYJSON_SUBTYPE_NONE:
    case YYJSON_TYPE_STR | YYJSON_SUBTYPE_NOESC: return visitor(yyjson_text(value));
    case YYJSON_TYPE_ARR | YYJSON_SUBTYPE_NONE: return visitor(Array(value));
    case YYJSON_TYPE_OBJ | YYJSON_SUBTYPE_NONE: return visitor(Object(value));
    default: return visitor(raw_json{yyjson_text(value)});  // numbers read as raw text
  }
}

// --- immutable documents ---------------------------------------------------------------

// The elements of an immutable array: from the value after its header to the value past
// its subtree, each step skipping an element's own subtree.
class yyjson_elements : public std::ranges::view_base {
 public:
  class iterator {
   public:
    using value_type = yyjson_val;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const yyjson_val* at) : at_(at) {}
    const yyjson_val& operator*() const { return *at_; }
    iterator& operator++() {
      at_ = unsafe_yyjson_get_next(at_);
      return *this;
    }
    iterator operator++(int) {
      const iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator&) const = default;

   private:
    const yyjson_val* at_ = nullptr;
  };

  explicit yyjson_elements(const yyjson_val& array)
      : first_(unsafe_yyjson_get_first(&array)), end_(unsafe_yyjson_get_next(&array)) {}
  [[nodiscard]] iterator begin() const { return iterator(first_); }
  [[nodiscard]] iterator end() const { return iterator(end_); }

 private:
  const yyjson_val* first_;
  const yyjson_val* end_;
};

// One member of an immutable object: its key, and the value right after it.
class yyjson_member {
 public:
  explicit yyjson_member(const yyjson_val* key) : key_(key) {}
  [[nodiscard]] std::string_view key() const { return yyjson_text(*key_); }
  [[nodiscard]] const yyjson_val& value() const { return key_[1]; }

 private:
  const yyjson_val* key_;
};

// The members of an immutable object, in document order, as a map-like range.
class yyjson_members : public std::ranges::view_base {
 public:
  using key_type = std::string_view;
  using mapped_type = yyjson_val;

  class iterator {
   public:
    using value_type = yyjson_member;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const yyjson_val* key) : key_(key) {}
    value_type operator*() const { return value_type(key_); }
    iterator& operator++() {
      key_ = unsafe_yyjson_get_next(key_ + 1);
      return *this;
    }
    iterator operator++(int) {
      const iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator&) const = default;

   private:
    const yyjson_val* key_ = nullptr;
  };

  explicit yyjson_members(const yyjson_val& object)
      : first_(unsafe_yyjson_get_first(&object)), end_(unsafe_yyjson_get_next(&object)) {}
  [[nodiscard]] iterator begin() const { return iterator(first_); }
  [[nodiscard]] iterator end() const { return iterator(end_); }

 private:
  const yyjson_val* first_;
  const yyjson_val* end_;
};

// --- mutable documents -----------------------------------------------------------------

// The elements of a mutable array: its ring from the first, which follows the last,
// counted by the array's length.
class yyjson_mut_elements : public std::ranges::view_base {
 public:
  class iterator {
   public:
    using value_type = yyjson_mut_val;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const yyjson_mut_val* at, std::size_t left) : at_(at), left_(left) {}
    const yyjson_mut_val& operator*() const { return *at_; }
    iterator& operator++() {
      at_ = at_->next;
      --left_;
      return *this;
    }
    iterator operator++(int) {
      const iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator& other) const { return left_ == other.left_; }

   private:
    const yyjson_mut_val* at_ = nullptr;
    std::size_t left_ = 0;
  };

  explicit yyjson_mut_elements(const yyjson_mut_val& array)
      : last_(static_cast<const yyjson_mut_val*>(array.uni.ptr)), size_(unsafe_yyjson_get_len(&array)) {}
  [[nodiscard]] iterator begin() const { return size_ == 0 ? iterator() : iterator(last_->next, size_); }
  [[nodiscard]] iterator end() const { return iterator(); }

 private:
  const yyjson_mut_val* last_;
  std::size_t size_;
};

// One member of a mutable object: its key, and the value its key links to.
class yyjson_mut_member {
 public:
  explicit yyjson_mut_member(const yyjson_mut_val* key) : key_(key) {}
  [[nodiscard]] std::string_view key() const { return yyjson_text(*key_); }
  [[nodiscard]] const yyjson_mut_val& value() const { return *key_->next; }

 private:
  const yyjson_mut_val* key_;
};

// The members of a mutable object: keys and values alternate in one ring, whose last
// entry the object points at, the last member's key.
class yyjson_mut_members : public std::ranges::view_base {
 public:
  using key_type = std::string_view;
  using mapped_type = yyjson_mut_val;

  class iterator {
   public:
    using value_type = yyjson_mut_member;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const yyjson_mut_val* key, std::size_t left) : key_(key), left_(left) {}
    value_type operator*() const { return value_type(key_); }
    iterator& operator++() {
      key_ = key_->next->next;
      --left_;
      return *this;
    }
    iterator operator++(int) {
      const iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const iterator& other) const { return left_ == other.left_; }

   private:
    const yyjson_mut_val* key_ = nullptr;
    std::size_t left_ = 0;
  };

  explicit yyjson_mut_members(const yyjson_mut_val& object)
      : last_key_(static_cast<const yyjson_mut_val*>(object.uni.ptr)), size_(unsafe_yyjson_get_len(&object)) {}
  [[nodiscard]] iterator begin() const {
    return size_ == 0 ? iterator() : iterator(last_key_->next->next, size_);
  }
  [[nodiscard]] iterator end() const { return iterator(); }

 private:
  const yyjson_mut_val* last_key_;
  std::size_t size_;
};

}  // namespace iterjson::detail

// The views' iterators point into the document, not into the view, and run no user code.
template <>
inline constexpr bool std::ranges::enable_borrowed_range<iterjson::detail::yyjson_elements> = true;
template <>
inline constexpr bool std::ranges::enable_borrowed_range<iterjson::detail::yyjson_members> = true;
template <>
inline constexpr bool std::ranges::enable_borrowed_range<iterjson::detail::yyjson_mut_elements> = true;
template <>
inline constexpr bool std::ranges::enable_borrowed_range<iterjson::detail::yyjson_mut_members> = true;
template <>
inline constexpr bool iterjson::detail::trusted_dom_range<iterjson::detail::yyjson_elements> = true;
template <>
inline constexpr bool iterjson::detail::trusted_dom_range<iterjson::detail::yyjson_members> = true;
template <>
inline constexpr bool iterjson::detail::trusted_dom_range<iterjson::detail::yyjson_mut_elements> = true;
template <>
inline constexpr bool iterjson::detail::trusted_dom_range<iterjson::detail::yyjson_mut_members> = true;

/// Makes yyjson's values encodable: `yyjson_val` of an immutable document and
/// `yyjson_mut_val` of a mutable one, by reference or by pointer (a null pointer is
/// `null`), and whole documents, `yyjson_doc*` and `yyjson_mut_doc*`, as their root.
/// Objects keep their order unless `options::sort_keys` is set; strings are written by
/// their stored length; numbers read as raw text (`YYJSON_READ_NUMBER_AS_RAW`) are
/// written as that text. The document must outlive the encoder.
template <>
struct iterjson::variant_traits<yyjson_val> {
  template <class Visitor>
  ITERJSON_DETAIL_INLINE static void visit(const yyjson_val& value, Visitor&& visitor) {
    detail::visit_yyjson<detail::yyjson_elements, detail::yyjson_members>(value, visitor);
  }
};

template <>
struct iterjson::variant_traits<yyjson_mut_val> {
  template <class Visitor>
  ITERJSON_DETAIL_INLINE static void visit(const yyjson_mut_val& value, Visitor&& visitor) {
    detail::visit_yyjson<detail::yyjson_mut_elements, detail::yyjson_mut_members>(value, visitor);
  }
};

template <>
inline constexpr bool iterjson::detail::trusted_dom_value<yyjson_val> = true;
template <>
inline constexpr bool iterjson::detail::trusted_dom_value<yyjson_mut_val> = true;

namespace iterjson::detail {

// A pointer to a value or a document: null, or what it points at (a document's root).
template <class Pointer>
struct yyjson_pointer_traits {
  template <class Visitor>
  static void visit(Pointer pointer, Visitor&& visitor) {
    if (pointer == nullptr) return visitor(nullptr);
    if constexpr (requires { pointer->root; }) {
      if (pointer->root == nullptr) return visitor(nullptr);
      return visitor(*static_cast<const std::remove_pointer_t<decltype(pointer->root)>*>(pointer->root));
    } else {
      return visitor(*pointer);
    }
  }
};

}  // namespace iterjson::detail

template <>
struct iterjson::variant_traits<yyjson_val*> : detail::yyjson_pointer_traits<const yyjson_val*> {};
template <>
struct iterjson::variant_traits<const yyjson_val*> : detail::yyjson_pointer_traits<const yyjson_val*> {};
template <>
struct iterjson::variant_traits<yyjson_mut_val*> : detail::yyjson_pointer_traits<const yyjson_mut_val*> {};
template <>
struct iterjson::variant_traits<const yyjson_mut_val*> : detail::yyjson_pointer_traits<const yyjson_mut_val*> {};
template <>
struct iterjson::variant_traits<yyjson_doc*> : detail::yyjson_pointer_traits<const yyjson_doc*> {};
template <>
struct iterjson::variant_traits<const yyjson_doc*> : detail::yyjson_pointer_traits<const yyjson_doc*> {};
template <>
struct iterjson::variant_traits<yyjson_mut_doc*> : detail::yyjson_pointer_traits<const yyjson_mut_doc*> {};
template <>
struct iterjson::variant_traits<const yyjson_mut_doc*> : detail::yyjson_pointer_traits<const yyjson_mut_doc*> {};
