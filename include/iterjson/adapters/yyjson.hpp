#pragma once

#include <cstddef>
#include <ranges>
#include <string_view>
#include <type_traits>

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

// The next child of a container: an element, or a member (its key; the value follows).
// An immutable document skips the subtree of what it steps over; a mutable one follows
// its ring, where a key links to its value and the value to the next key.
inline const yyjson_val* yyjson_next(const yyjson_val* element) noexcept { return unsafe_yyjson_get_next(element); }
inline const yyjson_val* yyjson_next_member(const yyjson_val* key) noexcept { return unsafe_yyjson_get_next(key + 1); }
inline const yyjson_val& yyjson_member_value(const yyjson_val* key) noexcept { return key[1]; }
inline const yyjson_mut_val* yyjson_next(const yyjson_mut_val* element) noexcept { return element->next; }
inline const yyjson_mut_val* yyjson_next_member(const yyjson_mut_val* key) noexcept { return key->next->next; }
inline const yyjson_mut_val& yyjson_member_value(const yyjson_mut_val* key) noexcept { return *key->next; }

// One member of an object, as the encoder's maps see it: key() and value().
template <class Node>
class yyjson_member {
 public:
  explicit yyjson_member(const Node* key) : key_(key) {}
  [[nodiscard]] std::string_view key() const { return yyjson_text(*key_); }
  [[nodiscard]] const Node& value() const { return yyjson_member_value(key_); }

 private:
  const Node* key_;
};

template <class Node, bool Object>
struct yyjson_map_types {};
template <class Node>
struct yyjson_map_types<Node, true> {
  using key_type = std::string_view;
  using mapped_type = Node;
};

// The children of an array (its elements) or of an object (its members, map-like), in
// document order, counted by the container's length.
template <class Node, bool Object>
class yyjson_children : public std::ranges::view_base, public yyjson_map_types<Node, Object> {
 public:
  class iterator {
   public:
    using value_type = std::conditional_t<Object, yyjson_member<Node>, Node>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const Node* at, std::size_t left) : at_(at), left_(left) {}
    std::conditional_t<Object, value_type, const Node&> operator*() const {
      if constexpr (Object) {
        return value_type(at_);
      } else {
        return *at_;
      }
    }
    iterator& operator++() {
      if constexpr (Object) {
        at_ = yyjson_next_member(at_);
      } else {
        at_ = yyjson_next(at_);
      }
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
    const Node* at_ = nullptr;
    std::size_t left_ = 0;
  };

  // An immutable container's first child follows it; a mutable one points at its last
  // child, whose successor in the ring is the first.
  explicit yyjson_children(const Node& container) : size_(unsafe_yyjson_get_len(&container)) {
    if (size_ == 0) return;
    if constexpr (std::is_same_v<Node, yyjson_val>) {
      first_ = unsafe_yyjson_get_first(&container);
    } else {
      const Node* last = static_cast<const Node*>(container.uni.ptr);
      first_ = Object ? yyjson_next_member(last) : yyjson_next(last);
    }
  }
  [[nodiscard]] iterator begin() const { return iterator(first_, size_); }
  [[nodiscard]] iterator end() const { return iterator(); }

 private:
  const Node* first_ = nullptr;
  std::size_t size_;
};

// Calls `visitor` with what a value of either kind of document holds.
template <class Node, class Visitor>
ITERJSON_DETAIL_INLINE void visit_yyjson(const Node& value, Visitor& visitor) {
  switch (unsafe_yyjson_get_tag(&value)) {
    case YYJSON_TYPE_NULL | YYJSON_SUBTYPE_NONE: return visitor(nullptr);
    case YYJSON_TYPE_BOOL | YYJSON_SUBTYPE_FALSE: return visitor(false);
    case YYJSON_TYPE_BOOL | YYJSON_SUBTYPE_TRUE: return visitor(true);
    case YYJSON_TYPE_NUM | YYJSON_SUBTYPE_UINT: return visitor(value.uni.u64);
    case YYJSON_TYPE_NUM | YYJSON_SUBTYPE_SINT: return visitor(value.uni.i64);
    case YYJSON_TYPE_NUM | YYJSON_SUBTYPE_REAL: return visitor(value.uni.f64);
    case YYJSON_TYPE_STR | YYJSON_SUBTYPE_NONE:
    case YYJSON_TYPE_STR | YYJSON_SUBTYPE_NOESC: return visitor(yyjson_text(value));
    case YYJSON_TYPE_ARR | YYJSON_SUBTYPE_NONE: return visitor(yyjson_children<Node, false>(value));
    case YYJSON_TYPE_OBJ | YYJSON_SUBTYPE_NONE: return visitor(yyjson_children<Node, true>(value));
    default: return visitor(raw_json{yyjson_text(value)});  // numbers read as raw text
  }
}

}  // namespace iterjson::detail

// The views' iterators point into the document, not into the view, and run no user code.
template <class Node, bool Object>
inline constexpr bool std::ranges::enable_borrowed_range<iterjson::detail::yyjson_children<Node, Object>> = true;
template <class Node, bool Object>
inline constexpr bool iterjson::detail::trusted_dom_range<iterjson::detail::yyjson_children<Node, Object>> = true;

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
    detail::visit_yyjson(value, visitor);
  }
};

template <>
struct iterjson::variant_traits<yyjson_mut_val> {
  template <class Visitor>
  ITERJSON_DETAIL_INLINE static void visit(const yyjson_mut_val& value, Visitor&& visitor) {
    detail::visit_yyjson(value, visitor);
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
