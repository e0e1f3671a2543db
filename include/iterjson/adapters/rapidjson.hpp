#pragma once

#include <cstddef>
#include <ranges>
#include <span>
#include <string_view>
#include <type_traits>

#include <rapidjson/document.h>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/value_kind.hpp"
#include "iterjson/traits.hpp"

namespace iterjson::detail {

// A RapidJSON string by its stored length: it may hold NUL bytes.
template <class Value>
std::string_view rapidjson_string(const Value& value) {
  return {value.GetString(), value.GetStringLength()};
}

// One member of a RapidJSON object as the encoder's maps see it: key() and value().
// RapidJSON's own member calls them `name` and `value`. Copyable, so that sort_keys can
// sort these.
template <class Value>
class rapidjson_member {
 public:
  explicit rapidjson_member(const typename Value::Member& member) : member_(&member) {}
  [[nodiscard]] std::string_view key() const { return rapidjson_string(member_->name); }
  [[nodiscard]] const Value& value() const { return member_->value; }

 private:
  const typename Value::Member* member_;
};

// The members of a RapidJSON object, in their stored order, as a map-like range.
template <class Value>
class rapidjson_members : public std::ranges::view_base {
  using member = typename Value::Member;

 public:
  using key_type = std::string_view;
  using mapped_type = Value;

  class iterator {
   public:
    using value_type = rapidjson_member<Value>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const member* at) : at_(at) {}
    value_type operator*() const { return value_type(*at_); }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    iterator operator++(int) { return iterator(at_++); }
    bool operator==(const iterator&) const = default;

   private:
    const member* at_ = nullptr;
  };

  // operator-> rather than &*: an empty object's member pointer may be null.
  explicit rapidjson_members(const Value& object)
      : first_(object.MemberBegin().operator->()), count_(object.MemberCount()) {}

  [[nodiscard]] iterator begin() const { return iterator(first_); }
  [[nodiscard]] iterator end() const { return iterator(first_ + count_); }

 private:
  const member* first_;
  std::size_t count_;
};

}  // namespace iterjson::detail

// Its iterators point into the document, not into the view, and run no user code.
template <class Value>
inline constexpr bool std::ranges::enable_borrowed_range<iterjson::detail::rapidjson_members<Value>> = true;
template <class Value>
inline constexpr bool iterjson::detail::trusted_dom_range<iterjson::detail::rapidjson_members<Value>> = true;

/// Makes RapidJSON's `GenericValue` encodable (`rapidjson::Value` and every other
/// allocator), for UTF-8 values. Objects keep their member order unless
/// `options::sort_keys` is set; strings are written by their stored length, NUL bytes
/// included.
template <class Encoding, class Allocator>
struct iterjson::variant_traits<rapidjson::GenericValue<Encoding, Allocator>> {
  using value = rapidjson::GenericValue<Encoding, Allocator>;
  static_assert(std::is_same_v<typename Encoding::Ch, char>,
                "iterjson: only RapidJSON values with UTF-8 (char) strings are encodable");

  template <class Visitor>
  ITERJSON_DETAIL_INLINE static void visit(const value& v, Visitor&& visitor) {
    switch (v.GetType()) {
      case rapidjson::kNullType: return visitor(nullptr);
      case rapidjson::kFalseType: return visitor(false);
      case rapidjson::kTrueType: return visitor(true);
      case rapidjson::kNumberType: return visit_number(v, visitor);
      case rapidjson::kStringType: return visitor(detail::rapidjson_string(v));
      case rapidjson::kArrayType: return visitor(std::span<const value>(v.Begin(), v.Size()));
      case rapidjson::kObjectType: return visitor(detail::rapidjson_members<value>(v));
    }
  }

 private:
  // A number keeps the kind it was made as: an integer that fits int64 is one, even
  // when it also fits uint64.
  template <class Visitor>
  ITERJSON_DETAIL_INLINE static void visit_number(const value& v, Visitor& visitor) {
    if (v.IsDouble()) return visitor(v.GetDouble());
    if (v.IsInt64()) return visitor(v.GetInt64());
    visitor(v.GetUint64());
  }
};

/// A whole `rapidjson::Document` (a `GenericDocument`) encodes as its root value.
template <class Encoding, class Allocator, class StackAllocator>
struct iterjson::variant_traits<rapidjson::GenericDocument<Encoding, Allocator, StackAllocator>>
    : iterjson::variant_traits<rapidjson::GenericValue<Encoding, Allocator>> {};

template <class Encoding, class Allocator>
inline constexpr bool iterjson::detail::trusted_dom_value<rapidjson::GenericValue<Encoding, Allocator>> = true;
