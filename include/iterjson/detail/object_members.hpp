#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <iterator>
#include <ranges>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "iterjson/detail/value_kind.hpp"
#include "iterjson/detail/writer.hpp"

namespace iterjson::detail {

// The members of objects: their keys and values, how a key is written, and the order
// of sort_keys.

// Part 0 (the key) or 1 (the value) of a map's member: a pair, an element with key()
// and value() such as Boost.JSON's, or anything with get<0> and get<1>.
template <std::size_t Part, class Member>
decltype(auto) member_part(Member& member) {
  if constexpr (requires { member.first; }) {
    if constexpr (Part == 0) {
      return (member.first);
    } else {
      return (member.second);
    }
  } else if constexpr (requires { member.key(); }) {
    if constexpr (Part == 0) {
      return member.key();
    } else {
      return member.value();
    }
  } else {
    using std::get;
    return get<Part>(member);
  }
}

template <class Member>
decltype(auto) member_key(Member& member) {
  return member_part<0>(member);
}

template <class Member>
decltype(auto) member_value(Member& member) {
  return member_part<1>(member);
}

template <class Key>
ITERJSON_DETAIL_INLINE void write_key(writer& w, const Key& key) {
  constexpr value_kind kind = kind_of<Key>();
  if constexpr (kind == value_kind::string) {
    w.put_string(std::string_view(key));
  } else if constexpr (kind == value_kind::boolean || kind == value_kind::null || kind == value_kind::integer ||
                       kind == value_kind::floating) {
    w.put_scalar_key(key);
  } else {
    static_assert(sizeof(Key) == 0, "iterjson: object keys must be strings, numbers, bools or null");
  }
}

// Python's sort_keys order: text by code point (the byte order of UTF-8), numbers by value.
// NaN, which Python leaves wherever its sort happens to put it, goes after every number:
// std::sort needs a strict weak order.
template <class Key>
bool key_less(const Key& a, const Key& b) {
  if constexpr (string_type<Key>) {
    return std::string_view(a) < std::string_view(b);
  } else if constexpr (null_type<Key>) {
    return false;
  } else if constexpr (std::floating_point<Key>) {
    return !std::isnan(a) && (std::isnan(b) || a < b);
  } else {
    return a < b;
  }
}

// Maps whose iteration order is already Python's sort_keys order.
template <class Map>
concept ordered_like_python = requires {
  typename Map::key_compare;
} && (std::same_as<typename Map::key_compare, std::less<typename Map::key_type>> ||
      std::same_as<typename Map::key_compare, std::less<>>) &&
      ((string_type<typename Map::key_type> && !std::is_pointer_v<typename Map::key_type>) ||
       std::is_arithmetic_v<typename Map::key_type>);  // std::less on const char* compares addresses

// A map's members gathered and sorted for sort_keys; itself map-like, so it is written by
// the same object_frame. Members are held by address, or by value when the map hands
// out temporaries.
template <class Map>
class sorted_members {
  using reference = std::ranges::range_reference_t<Map&>;
  // Addresses stay valid only in a forward range: a generator's elements do not.
  static constexpr bool by_address = std::is_lvalue_reference_v<reference> && std::ranges::forward_range<Map&>;
  using member = std::remove_cvref_t<reference>;
  using stored = std::conditional_t<by_address, std::remove_reference_t<reference>*, member>;

 public:
  using key_type = typename std::remove_cv_t<Map>::key_type;
  using mapped_type = typename std::remove_cv_t<Map>::mapped_type;

  class iterator {
   public:
    using value_type = member;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(const stored* at) : at_(at) {}
    decltype(auto) operator*() const {
      if constexpr (by_address) {
        return **at_;
      } else {
        return *at_;
      }
    }
    iterator& operator++() {
      ++at_;
      return *this;
    }
    iterator operator++(int) { return iterator(at_++); }
    bool operator==(const iterator&) const = default;

   private:
    const stored* at_ = nullptr;
  };

  explicit sorted_members(Map& map) {
    for (auto&& m : map) {
      if constexpr (by_address) {
        members_.push_back(&m);
      } else {
        members_.push_back(std::forward<decltype(m)>(m));
      }
    }
    // Stable: members with equal keys (duplicates, or NaN and NaN) keep their given order.
    std::ranges::stable_sort(members_, [](const stored& a, const stored& b) {
      if constexpr (by_address) {
        return key_less(member_key(*a), member_key(*b));
      } else {
        return key_less(member_key(a), member_key(b));
      }
    });
  }

  [[nodiscard]] iterator begin() const { return iterator(members_.data()); }
  [[nodiscard]] iterator end() const { return iterator(members_.data() + members_.size()); }

 private:
  std::vector<stored> members_;
};

}  // namespace iterjson::detail
