#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace iterjson {

/// What to write for a floating-point NaN or ±Infinity, which JSON cannot represent.
enum class nan_policy {
  error,    ///< throw `encode_error` naming the value's path (the default)
  null,     ///< write `null`
  literal,  ///< write `NaN`, `Infinity`, `-Infinity`, as Python's `json.dumps` does
};

/// What to do with a string that is not valid UTF-8.
enum class utf8_policy {
  replace,   ///< write U+FFFD for each maximal invalid subpart (as Go and WHATWG do; the default)
  error,     ///< throw `encode_error` naming the string's path
  verbatim,  ///< copy the bytes unchecked (fastest; the output may then be invalid UTF-8).
             ///< Under ensure_ascii, where raw bytes cannot stay, invalid ones become \\ufffd.
};

/// How an `encoder` lays out its text. An aggregate: use designated initializers,
/// `iterjson::options{.indent = 2, .sort_keys = true}`.
///
/// With the same settings the text is byte-for-byte what Python's `json.dumps` writes.
/// Indented, the defaults are Python's own: `options{.indent = 2}` writes what
/// `json.dumps(value, indent=2)` writes. On one line iterjson's defaults are compact,
/// `(",", ":")`, where Python's are `(", ", ": ")`: pass Python the separators there.
/// The encoder copies the options, separators included, so they need not outlive it.
struct options {
  /// Negative: everything on one line. 0 or more: a newline before each item and
  /// `indent` copies of `indent_char` per nesting level. Empty containers stay `[]`, `{}`.
  int indent = -1;
  char indent_char = ' ';
  /// Written between items. With `indent` the newline and indentation follow it.
  std::string_view item_separator = ",";
  /// Written between a key and its value. Unset (the default), it follows `indent` as
  /// Python's does: `": "` when indenting, `":"` on one line. Set, it is written as given
  /// in both layouts: `.indent = 2, .key_separator = ":"` writes `"key":value`.
  std::optional<std::string_view> key_separator{};
  /// Write every object's members in key order: text by code point (UTF-8 byte order),
  /// numbers by value. Costs one gathered and sorted array of references per object.
  bool sort_keys = false;
  /// Write everything outside printable ASCII as `\uXXXX` (lowercase hex, surrogate
  /// pairs above U+FFFF).
  bool ensure_ascii = false;
  nan_policy nan = nan_policy::error;
  utf8_policy invalid_utf8 = utf8_policy::replace;
  /// The largest slice `encoder::next()` returns, in bytes; must be at least 1.
  std::size_t chunk_size = 4096;
  /// The deepest nesting of arrays and objects accepted. Each level costs the encoder
  /// about 64 bytes, so the default bounds its stack near 64 MiB.
  std::size_t max_depth = 1'000'000;
};

}  // namespace iterjson
