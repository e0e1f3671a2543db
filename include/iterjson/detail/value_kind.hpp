#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "iterjson/detail/config.hpp"
#include "iterjson/framing.hpp"
#include "iterjson/source.hpp"
#include "iterjson/traits.hpp"

namespace iterjson::detail {

// What a C++ type encodes as, in the order the rules are tried.
enum class value_kind {
  stream,      // value_stream: top-level values, each framed
  custom,      // encode_as<T>
  variant,     // variant_traits<T>, std::variant, std::optional, smart pointers
  fields,      // ITERJSON_FIELDS
  null,
  raw,         // raw_json
  boolean,
  integer,
  floating,
  string,
  source,      // pollable_source, or a callable returning std::optional
  object,      // map-like range
  array,       // any other input range
  tuple,       // std::tuple, std::pair
  unsupported,
};

template <class T, template <class...> class Template>
inline constexpr bool is_specialization_of = false;
template <template <class...> class Template, class... Args>
inline constexpr bool is_specialization_of<Template<Args...>, Template> = true;

template <class T>
concept has_encode_as = requires(const T& value) { encode_as<T>::convert(value); };

template <class T>
concept has_variant_traits = requires { sizeof(variant_traits<T>); };

template <class T>
concept has_struct_fields = requires { struct_fields<T>::members; };

// A DOM adapter's value type (adapters/*.hpp): its variant_traits::visit runs no user
// code and throws nothing, so a container of them may be written inline (frames.hpp).
template <class T>
inline constexpr bool trusted_dom_value = false;

// A DOM adapter's view of an array or object, iterated without user code.
template <class T>
inline constexpr bool trusted_dom_range = false;
template <class T, std::size_t Extent>
inline constexpr bool trusted_dom_range<std::span<T, Extent>> = trusted_dom_value<std::remove_cv_t<T>>;

template <class T>
concept null_type = std::same_as<T, std::nullptr_t> || std::same_as<T, std::monostate>;

template <class T>
concept character_type = std::same_as<T, wchar_t> || std::same_as<T, char8_t> ||
                         std::same_as<T, char16_t> || std::same_as<T, char32_t>;

template <class T>
concept integer_type = std::integral<T> && !std::same_as<T, bool> && !character_type<T>;

template <class T>
concept floating_type = std::same_as<T, float> || std::same_as<T, double>;

template <class T>
concept string_type = std::convertible_to<const T&, std::string_view>;

// Holds a string it does not own: the text outlives any copy of the object.
template <class T>
concept string_view_type = std::same_as<T, std::string_view> || std::same_as<T, const char*> ||
                           std::same_as<T, char*>;

template <class T>
concept std_sum_type = is_specialization_of<T, std::optional> || is_specialization_of<T, std::variant> ||
                       is_specialization_of<T, std::unique_ptr> || is_specialization_of<T, std::shared_ptr>;

// `T` keeps its const here: a view may be iterable only when mutable.
template <class T>
concept map_type = std::ranges::input_range<T&> && requires {
  typename std::remove_cv_t<T>::key_type;
  typename std::remove_cv_t<T>::mapped_type;
};

template <class T>
concept tuple_type = requires { std::tuple_size<std::remove_cv_t<T>>::value; };

// A callable pulled for elements until it returns an empty optional.
template <class T>
concept optional_puller = std::invocable<T&> && is_specialization_of<std::remove_cvref_t<std::invoke_result_t<T&>>, std::optional>;

// The elements a source gives.
template <class T>
struct source_element;
template <pollable_source T>
struct source_element<T> {
  using type = typename std::remove_cvref_t<decltype(std::declval<T&>().poll(std::declval<const waker&>()))>::value_type;
};
template <optional_puller T>
struct source_element<T> {
  using type = typename std::remove_cvref_t<std::invoke_result_t<T&>>::value_type;
};
template <class T>
using source_element_t = typename source_element<T>::type;

template <class T>
constexpr value_kind kind_of() {
  using plain = std::remove_cvref_t<T>;
  using object = std::remove_reference_t<T>;
  if constexpr (is_specialization_of<plain, value_stream>) return value_kind::stream;
  else if constexpr (has_encode_as<plain>) return value_kind::custom;
  else if constexpr (has_variant_traits<plain> || std_sum_type<plain>) return value_kind::variant;
  else if constexpr (has_struct_fields<plain>) return value_kind::fields;
  else if constexpr (null_type<plain>) return value_kind::null;
  else if constexpr (std::same_as<plain, raw_json>) return value_kind::raw;
  else if constexpr (std::same_as<plain, bool> || std::same_as<plain, std::vector<bool>::reference>) return value_kind::boolean;
  else if constexpr (integer_type<plain>) return value_kind::integer;
  else if constexpr (floating_type<plain>) return value_kind::floating;
  else if constexpr (string_type<plain>) return value_kind::string;
  else if constexpr (pollable_source<plain> || optional_puller<plain>) return value_kind::source;
  else if constexpr (map_type<object>) return value_kind::object;
  else if constexpr (std::ranges::input_range<object&>) return value_kind::array;
  else if constexpr (tuple_type<plain>) return value_kind::tuple;
  else return value_kind::unsupported;
}

// Visits the alternative a sum type holds: `f(alternative)`, with null as nullptr.
template <class T, class F>
ITERJSON_DETAIL_INLINE void visit_alternative(T& value, F&& f) {
  using plain = std::remove_cv_t<T>;
  if constexpr (has_variant_traits<plain>) {
    variant_traits<plain>::visit(value, std::forward<F>(f));
  } else if constexpr (is_specialization_of<plain, std::variant>) {
    // A branch per alternative in the caller, where std::visit may leave a call through
    // a table that makes the caller's writer live in memory.
#if ITERJSON_DETAIL_EXCEPTIONS  // only an exception can leave a variant valueless
    if (value.valueless_by_exception()) throw std::bad_variant_access();
#endif
    [&]<std::size_t... I>(std::index_sequence<I...>) ITERJSON_DETAIL_INLINE_LAMBDA {
      (void)((value.index() == I && (f(*std::get_if<I>(&value)), true)) || ...);
    }(std::make_index_sequence<std::variant_size_v<plain>>{});
  } else {  // optional and smart pointers
    if (value) {
      f(*value);
    } else {
      f(nullptr);
    }
  }
}

template <class T>
constexpr bool all_alternatives_self_contained();

// True when writing a temporary `T` leaves nothing that refers back to it: numbers,
// literals and views of strings owned elsewhere. Any other temporary is moved into a
// frame of its own first, so a string cut at a chunk boundary or an open container
// still has its value.
template <class T>
constexpr bool is_self_contained() {
  using plain = std::remove_cvref_t<T>;
  constexpr value_kind kind = kind_of<plain>();
  if constexpr (kind == value_kind::null || kind == value_kind::raw || kind == value_kind::boolean ||
                kind == value_kind::integer || kind == value_kind::floating) {
    return true;
  } else if constexpr (kind == value_kind::string) {
    return string_view_type<plain>;
  } else if constexpr (kind == value_kind::custom) {
    using converted = decltype(encode_as<plain>::convert(std::declval<const plain&>()));
    return !std::is_reference_v<converted> && is_self_contained<converted>();
  } else if constexpr (kind == value_kind::variant) {
    return all_alternatives_self_contained<plain>();
  } else {
    return false;
  }
}

template <class T>
constexpr bool all_alternatives_self_contained() {
  if constexpr (is_specialization_of<T, std::optional>) {
    return is_self_contained<typename T::value_type>();
  } else if constexpr (is_specialization_of<T, std::variant>) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return (is_self_contained<std::variant_alternative_t<I, T>>() && ...);
    }(std::make_index_sequence<std::variant_size_v<T>>{});
  } else {
    return false;  // pointers and run-time variants may refer to anything
  }
}

}  // namespace iterjson::detail
