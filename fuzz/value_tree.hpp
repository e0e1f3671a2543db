#pragma once

// The values the fuzz targets encode, and the options they encode them with, both read
// from the fuzz input.
//
// A `value` is a recursive variant, encoded through `iterjson::variant_traits`: every
// scalar kind, arrays (std::vector), objects as std::map (keys unique, in byte order), as
// a std::vector of pairs (keys in the order given, duplicates kept; written through
// iterjson::as_object), as a std::map with integer keys, and a std::shared_ptr box.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "iterjson/iterjson.hpp"

namespace fuzz {

struct value;
using array = std::vector<value>;
using object_map = std::map<std::string, value>;
using object_pairs = std::vector<std::pair<std::string, value>>;
using integer_keyed_map = std::map<std::int64_t, value>;
using box = std::shared_ptr<const value>;  // null, or the value it holds

struct value {
  using alternatives = std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, float, double, std::string,
                                    array, object_map, object_pairs, integer_keyed_map, box>;
  alternatives alternative;

  // Declared here and defaulted below, where `value` is complete: implicit ones would ask
  // whether std::pair<std::string, value> is constructible while `value` is not yet.
  value();
  value(const value&);
  value(value&&) noexcept;
  value& operator=(const value&);
  value& operator=(value&&) noexcept;
  ~value();
  template <class T>
    requires(!std::is_same_v<std::remove_cvref_t<T>, value>)
  value(T&& held) : alternative(std::forward<T>(held)) {}  // NOLINT: implicit, as the variant's
};

inline value::value() = default;
inline value::value(const value&) = default;
inline value::value(value&&) noexcept = default;
inline value& value::operator=(const value&) = default;
inline value& value::operator=(value&&) noexcept = default;
inline value::~value() = default;

// Nesting the targets build at most: deep enough for the encoder's own stack to matter
// (its frames fill blocks of 2 KiB, 4 KiB, ... up to a few hundred KiB), shallow enough
// for the recursive checks, Boost.JSON and simdjson on the call stack. Each level costs
// the checks some 10 microseconds: deeper, the deep inputs that fill a corpus would take
// most of the time.
inline constexpr std::size_t max_tree_depth = 1000;

// Reads the fuzz input front to back; past its end every read gives zeros, so any input
// is complete, and an empty one means default options and a null value.
class byte_reader {
 public:
  byte_reader(const std::uint8_t* data, std::size_t size) : at_(data), end_(data + size) {}
  explicit byte_reader(std::string_view text)
      : byte_reader(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()) {}

  [[nodiscard]] bool empty() const noexcept { return at_ == end_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - at_); }

  std::uint8_t byte() noexcept { return at_ == end_ ? 0 : *at_++; }

  // Little-endian, zeros past the end.
  template <class Integer>
  Integer integral() noexcept {
    using unsigned_type = std::make_unsigned_t<Integer>;
    unsigned_type bits = 0;
    for (std::size_t i = 0; i < sizeof(Integer); ++i) bits |= static_cast<unsigned_type>(byte()) << (8 * i);
    return static_cast<Integer>(bits);
  }

  // LEB128.
  std::uint64_t varint() noexcept {
    std::uint64_t result = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      const std::uint8_t b = byte();
      result |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) break;
    }
    return result;
  }

  // Up to `count` bytes, fewer at the end.
  std::string_view bytes(std::size_t count) noexcept {
    const std::size_t taken = count < remaining() ? count : remaining();
    const std::string_view text(reinterpret_cast<const char*>(at_), taken);
    at_ += taken;
    return text;
  }

  [[nodiscard]] std::string_view rest() const noexcept {
    return {reinterpret_cast<const char*>(at_), remaining()};
  }

 private:
  const std::uint8_t* at_;
  const std::uint8_t* end_;
};

// Options, with the separators they point into, and what the layout allows checking.
struct fuzz_options {
  iterjson::options opts;
  std::string item_separator = ",";
  std::optional<std::string> key_separator;  // unset: the default, which follows indent
  // For the JSON target: how objects are made (see json_fuzzer.cpp).
  std::uint8_t object_mode = 0;
  // The way of encoding that runs besides to_string (oracle.hpp, `check`).
  std::uint8_t other_way = 0;

  fuzz_options() = default;
  fuzz_options(const fuzz_options& other) { *this = other; }
  fuzz_options& operator=(const fuzz_options& other) {
    opts = other.opts;
    item_separator = other.item_separator;
    key_separator = other.key_separator;
    object_mode = other.object_mode;
    other_way = other.other_way;
    opts.item_separator = item_separator;
    opts.key_separator = key_separator ? std::optional<std::string_view>(*key_separator) : std::nullopt;
    return *this;
  }

  // True when the text is JSON whatever the values: separators of JSON whitespace around
  // ',' and ':', and, where indentation is written, an indent_char that is whitespace.
  [[nodiscard]] bool layout_is_json() const {
    auto separator_ok = [](std::string_view s, char mark) {
      const auto at = s.find(mark);
      if (at == std::string_view::npos) return false;
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (i != at && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r') return false;
      }
      return true;
    };
    const char c = opts.indent_char;
    const bool indent_ok = opts.indent <= 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r';
    return separator_ok(item_separator, ',') && separator_ok(key_separator.value_or(":"), ':') && indent_ok;
  }
};

namespace detail {

inline constexpr char json_whitespace[4] = {' ', '\t', '\n', '\r'};

// `mark` with JSON whitespace around it, or now and then a byte that makes it invalid.
inline std::string read_separator(byte_reader& in, char mark) {
  const std::size_t length = in.byte() % 12;
  const std::size_t mark_at = in.byte() % (length + 1);
  std::string separator;
  for (std::size_t i = 0; i < length; ++i) {
    if (i == mark_at) separator += mark;
    const std::uint8_t b = in.byte();
    separator += b < 0xFC ? json_whitespace[b & 3] : "x\"\0,"[b & 3];
  }
  if (mark_at == length) separator += mark;
  return separator;
}

}  // namespace detail

// The options block. All zeros (an empty input) gives the default options.
//   byte 0: bit 0 sort_keys, bit 1 ensure_ascii, bits 2-3 nan (error, null, literal,
//           null), bits 4-5 invalid_utf8 (replace, error, verbatim, replace)
//   byte 1: indent: 0 gives -1, else (byte % 13) - 2
//   byte 2: indent_char: one of " \t\n\r" below 0xF8, else the byte itself
//   bytes 3-4: chunk_size: 0 gives 4096, 0xFFFF gives 0 (refused), below 0x8000 gives
//           1 to 64, else 1 to 32768
//   byte 5: bit 0 item separator follows, bit 1 key separator follows, bit 2 max_depth
//           follows (2 bytes, below 8192), bits 3-4 object_mode, bits 5-6 the way of
//           encoding besides to_string (next(), read(), the two mixed, to_string with an
//           error_code)
inline fuzz_options read_options(byte_reader& in) {
  fuzz_options o;
  const std::uint8_t flags = in.byte();
  o.opts.sort_keys = (flags & 1) != 0;
  o.opts.ensure_ascii = (flags & 2) != 0;
  constexpr iterjson::nan_policy nan_policies[4] = {iterjson::nan_policy::error, iterjson::nan_policy::null,
                                                    iterjson::nan_policy::literal, iterjson::nan_policy::null};
  constexpr iterjson::utf8_policy utf8_policies[4] = {iterjson::utf8_policy::replace, iterjson::utf8_policy::error,
                                                      iterjson::utf8_policy::verbatim, iterjson::utf8_policy::replace};
  o.opts.nan = nan_policies[(flags >> 2) & 3];
  o.opts.invalid_utf8 = utf8_policies[(flags >> 4) & 3];

  const std::uint8_t indent = in.byte();
  o.opts.indent = indent == 0 ? -1 : static_cast<int>(indent % 13) - 2;
  const std::uint8_t indent_char = in.byte();
  o.opts.indent_char = indent_char < 0xF8 ? detail::json_whitespace[indent_char & 3] : static_cast<char>(indent_char);

  const auto chunk = in.integral<std::uint16_t>();
  o.opts.chunk_size = chunk == 0        ? 4096
                      : chunk == 0xFFFF ? 0
                      : chunk < 0x8000  ? chunk % 64 + 1
                                        : chunk - 0x8000 + 1;

  const std::uint8_t more = in.byte();
  if ((more & 1) != 0) o.item_separator = detail::read_separator(in, ',');
  if ((more & 2) != 0) o.key_separator = detail::read_separator(in, ':');
  if ((more & 4) != 0) o.opts.max_depth = in.integral<std::uint16_t>() % 8192;
  o.object_mode = (more >> 3) & 3;
  o.other_way = (more >> 5) & 3;
  o.opts.item_separator = o.item_separator;
  o.opts.key_separator = o.key_separator ? std::optional<std::string_view>(*o.key_separator) : std::nullopt;
  return o;
}

// How many indent characters the text holds: `indent` per level before each item.
inline std::size_t indent_cost(const value& v, std::size_t depth, std::size_t indent) {
  return std::visit(
      [&](const auto& alternative) -> std::size_t {
        using held = std::remove_cvref_t<decltype(alternative)>;
        if constexpr (std::is_same_v<held, array>) {
          std::size_t cost = 0;
          for (const value& item : alternative) cost += indent * (depth + 1) + indent_cost(item, depth + 1, indent);
          return cost;
        } else if constexpr (std::is_same_v<held, object_map> || std::is_same_v<held, object_pairs> ||
                             std::is_same_v<held, integer_keyed_map>) {
          std::size_t cost = 0;
          for (const auto& member : alternative) {
            cost += indent * (depth + 1) + indent_cost(member.second, depth + 1, indent);
          }
          return cost;
        } else if constexpr (std::is_same_v<held, box>) {
          return alternative ? indent_cost(*alternative, depth, indent) : 0;
        } else {
          return 0;
        }
      },
      v.alternative);
}

// Indentation grows with the square of the depth: past 64 KiB of it, the checks would
// take milliseconds, so the indent is dropped to 0 (still a newline per item).
inline void bound_indentation(fuzz_options& o, const value& root) {
  constexpr std::size_t most = std::size_t{1} << 16;
  if (o.opts.indent > 0 && indent_cost(root, 0, static_cast<std::size_t>(o.opts.indent)) > most) o.opts.indent = 0;
}

}  // namespace fuzz

template <>
struct iterjson::variant_traits<fuzz::value> {
  template <class Visitor>
  static void visit(const fuzz::value& v, Visitor&& visitor) {
    std::visit(
        [&visitor](const auto& alternative) {
          if constexpr (std::is_same_v<std::remove_cvref_t<decltype(alternative)>, fuzz::object_pairs>) {
            visitor(iterjson::as_object(alternative));  // a temporary view: the encoder keeps it
          } else {
            visitor(alternative);
          }
        },
        v.alternative);
  }
};
