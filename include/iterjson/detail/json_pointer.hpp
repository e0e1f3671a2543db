#pragma once

#include <cmath>
#include <string>
#include <string_view>

#include "iterjson/detail/value_kind.hpp"
#include "iterjson/detail/write_number.hpp"

namespace iterjson::detail {

// The segments of an error's RFC 6901 JSON Pointer, one per open container.

inline void append_path_segment(std::string& path, std::string_view token) {
  path += '/';
  for (const char c : token) {
    if (c == '~') {
      path += "~0";
    } else if (c == '/') {
      path += "~1";
    } else {
      path += c;
    }
  }
}

template <class Key>
void append_key_segment(std::string& path, const Key& key) {
  if constexpr (string_type<Key>) {
    append_path_segment(path, std::string_view(key));
  } else if constexpr (std::same_as<Key, bool>) {
    append_path_segment(path, key ? "true" : "false");
  } else if constexpr (null_type<Key>) {
    append_path_segment(path, "null");
  } else if constexpr (std::floating_point<Key>) {
    if (!std::isfinite(key)) return append_path_segment(path, std::isnan(key) ? "NaN" : key > 0 ? "Infinity" : "-Infinity");
    char text[max_double_chars];
    append_path_segment(path, std::string_view(text, write_finite_float(text, key)));
  } else {
    char text[max_integer_chars];
    append_path_segment(path, std::string_view(text, write_integer(text, key)));
  }
}

}  // namespace iterjson::detail
