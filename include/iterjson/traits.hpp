#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <ranges>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace iterjson {

/// Out of the box an encoder writes: `bool`; every integer type; `float` and `double`;
/// `std::string`, `std::string_view`, `const char*` and string literals; `nullptr` and
/// `std::monostate` (null); `std::optional` (null when empty); `std::variant` (the
/// active alternative); `std::pair` and `std::tuple` (arrays); `std::unique_ptr` and
/// `std::shared_ptr` (null or the pointee); map-like containers, with `key_type` and
/// `mapped_type`, as objects; and any other input range, lazy views and generators
/// included, as an array that is never materialized.
///
/// Three customization points make other types encodable; each takes precedence over
/// the built-in rules, in this order.
///
/// `encode_as<T>`: encode a `T` as another value. Its `convert` may return a value (kept
/// by the encoder while it is written) or a reference into the `T`:
/// ```cpp
/// template <> struct iterjson::encode_as<money> {
///   static std::string convert(const money& m) { return m.to_string(); }
/// };
/// ```
///
/// `variant_traits<T>`: a value whose JSON kind is chosen at run time, such as a DOM
/// node. `visit(value, f)` calls `f` once with the alternative held: anything encodable,
/// usually `nullptr`, a `bool`, a number, a string, an array range or a map.
///
/// `ITERJSON_FIELDS(type, field...)`, at global scope: a plain struct encodes as an object
/// with those members, in that order. The key text is made at compile time.
///
/// Anything else fails to compile with an error naming the type; `iterjson::encodable`
/// (in encoder.hpp) tells in advance.
template <class T>
struct encode_as;

/// See `encode_as`.
template <class T>
struct variant_traits;

/// JSON text written as it is: a number more precise than a double, a value serialized
/// elsewhere, a DOM's raw number. Trusted, not checked: `text` must be one whole JSON
/// value, and is copied out when written, so it need only outlive that write. Options do
/// not apply inside it (no re-indenting, no `ensure_ascii`).
struct raw_json {
  std::string_view text;
};

/// The fields `ITERJSON_FIELDS` lists for a struct: `members` is a tuple of
/// `struct_field`.
template <class T>
struct struct_fields;

/// One named data member of a struct, as listed by `ITERJSON_FIELDS`.
template <class Member>
struct struct_field {
  std::string_view name;
  std::string_view quoted_name;  // the key as JSON text with quotes; empty unless printable ASCII
  Member pointer;
};

/// A range of key and value pairs, such as a `generator` of `std::pair`, written as an
/// object: `iterjson::as_object(pairs)`. An lvalue range is referenced and must outlive
/// the encoder; an rvalue range is moved in. Keys are as for maps.
template <class Range>
struct object_of_pairs {
  Range members;

  using pair_type = std::remove_cvref_t<std::ranges::range_reference_t<std::remove_reference_t<Range>&>>;
  using key_type = std::remove_cvref_t<std::tuple_element_t<0, pair_type>>;
  using mapped_type = std::remove_cvref_t<std::tuple_element_t<1, pair_type>>;

  auto begin() { return std::ranges::begin(members); }
  auto end() { return std::ranges::end(members); }
};

/// See `object_of_pairs`.
template <class Range>
object_of_pairs<Range> as_object(Range&& members) {
  return {std::forward<Range>(members)};
}

namespace detail {

template <class... Members>
constexpr auto make_struct_fields(std::nullptr_t, Members... members) {
  return std::tuple<Members...>{members...};
}

// A field's key text is precomputed unless its name has bytes ensure_ascii would escape.
template <class Member>
constexpr auto make_struct_field(std::string_view name, std::string_view quoted_name, Member pointer) {
  const bool plain_ascii = std::ranges::all_of(name, [](char c) { return c > 0x20 && c < 0x7F; });
  return struct_field<Member>{name, plain_ascii ? quoted_name : std::string_view{}, pointer};
}

// The order of a struct's fields under sort_keys, fixed at compile time.
template <class T>
inline constexpr auto sorted_field_order = [] {
  constexpr auto& members = struct_fields<T>::members;
  constexpr std::size_t count = std::tuple_size_v<std::remove_cvref_t<decltype(members)>>;
  std::array<std::string_view, count> names{};
  std::apply([&](const auto&... field) { std::size_t i = 0; ((names[i++] = field.name), ...); }, members);
  std::array<std::size_t, count> order{};
  for (std::size_t i = 0; i < count; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return names[a] < names[b]; });
  return order;
}();

}  // namespace detail
}  // namespace iterjson

// Expands `macro(type, field)` for each field, each result preceded by a comma.
#define ITERJSON_DETAIL_PARENS ()
// Each level rescans four times: 4^4 = 256 rescans, enough for 255 fields.
#define ITERJSON_DETAIL_EXPAND(...) ITERJSON_DETAIL_EXPAND3(ITERJSON_DETAIL_EXPAND3(ITERJSON_DETAIL_EXPAND3(ITERJSON_DETAIL_EXPAND3(__VA_ARGS__))))
#define ITERJSON_DETAIL_EXPAND3(...) ITERJSON_DETAIL_EXPAND2(ITERJSON_DETAIL_EXPAND2(ITERJSON_DETAIL_EXPAND2(ITERJSON_DETAIL_EXPAND2(__VA_ARGS__))))
#define ITERJSON_DETAIL_EXPAND2(...) ITERJSON_DETAIL_EXPAND1(ITERJSON_DETAIL_EXPAND1(ITERJSON_DETAIL_EXPAND1(ITERJSON_DETAIL_EXPAND1(__VA_ARGS__))))
#define ITERJSON_DETAIL_EXPAND1(...) __VA_ARGS__
#define ITERJSON_DETAIL_FOR_EACH(macro, type, ...) \
  __VA_OPT__(ITERJSON_DETAIL_EXPAND(ITERJSON_DETAIL_FOR_EACH_NEXT(macro, type, __VA_ARGS__)))
#define ITERJSON_DETAIL_FOR_EACH_NEXT(macro, type, field, ...) \
  , macro(type, field) __VA_OPT__(ITERJSON_DETAIL_FOR_EACH_AGAIN ITERJSON_DETAIL_PARENS(macro, type, __VA_ARGS__))
#define ITERJSON_DETAIL_FOR_EACH_AGAIN() ITERJSON_DETAIL_FOR_EACH_NEXT
#define ITERJSON_DETAIL_FIELD(type, field) \
  ::iterjson::detail::make_struct_field(#field, "\"" #field "\"", &type::field)

/// Makes a plain struct encodable as an object of the listed fields, in that order (up
/// to 255 of them). Use at global scope, after the struct: `ITERJSON_FIELDS(user, name, age)`.
/// Field names are written as they are spelled in the code.
#define ITERJSON_FIELDS(type, ...)                                    \
  template <>                                                         \
  struct iterjson::struct_fields<type> {                              \
    static constexpr auto members = ::iterjson::detail::make_struct_fields( \
        nullptr ITERJSON_DETAIL_FOR_EACH(ITERJSON_DETAIL_FIELD, type, __VA_ARGS__)); \
  }
