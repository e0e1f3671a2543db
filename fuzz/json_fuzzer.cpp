// libFuzzer target: the input is JSON text, so the corpora and round-trip files of
// ../shared/data are seeds as they are; the bytes after the value, if any, are the options
// block (value_tree.hpp, read_options). The value is encoded with to_string and one other
// way and checked (see oracle.hpp).
//
// The reader takes any bytes and never fails; where the text stops making sense, the value
// ends. Beyond JSON it reads:
//   strings: any bytes, kept as they are (invalid UTF-8 too); \uXXXX escapes, a lone
//     surrogate as its three-byte (invalid) UTF-8 form; \xHH, the byte HH
//   numbers: integers within int64 or uint64 exactly, others as doubles;
//     NaN, Infinity, -Infinity; #HHHHHHHHHHHHHHHH a double by its bits; %HHHHHHHH a float
//   objects: a std::map when the keys are unique, else a vector of pairs; object_mode
//     (options) 1 makes every object pairs, 2 and 3 alternate by depth (pairs at even or
//     odd depths). The text is read once, every object as pairs, and the objects settled
//     when the options are known.
// Nesting past max_tree_depth ends the value.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "oracle.hpp"
#include "value_tree.hpp"

namespace {

using fuzz::value;

class json_reader {
 public:
  explicit json_reader(std::string_view text) : text_(text) {}

  value read_value(std::size_t depth) {
    skip_whitespace();
    if (at_end()) return {nullptr};
    const char c = peek();
    switch (c) {
      case '[': return depth < fuzz::max_tree_depth ? read_array(depth) : value{nullptr};
      case '{': return depth < fuzz::max_tree_depth ? read_object(depth) : value{nullptr};
      case '"': return {read_string()};
      case 't': return literal("true") ? value{true} : value{nullptr};
      case 'f': return literal("false") ? value{false} : value{nullptr};
      case 'n': (void)literal("null"); return {nullptr};
      case 'N': return literal("NaN") ? value{std::numeric_limits<double>::quiet_NaN()} : value{nullptr};
      case 'I': return literal("Infinity") ? value{std::numeric_limits<double>::infinity()} : value{nullptr};
      case '#': return {from_bits<double, std::uint64_t>()};
      case '%': return {from_bits<float, std::uint32_t>()};
      default:
        if (c == '-' && text_.substr(at_, 9) == "-Infinity") {
          at_ += 9;
          return {-std::numeric_limits<double>::infinity()};
        }
        if (c == '-' || (c >= '0' && c <= '9')) return read_number();
        return {nullptr};  // not a value: it ends here
    }
  }

  [[nodiscard]] std::string_view rest() const { return text_.substr(at_); }

 private:
  [[nodiscard]] bool at_end() const { return at_ >= text_.size(); }
  [[nodiscard]] char peek() const { return text_[at_]; }

  void skip_whitespace() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++at_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  // Skips `c` after optional whitespace; false (nothing skipped but whitespace) otherwise.
  bool skip(char c) {
    skip_whitespace();
    if (at_end() || peek() != c) return false;
    ++at_;
    return true;
  }

  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Up to `digits` hex digits as a number.
  std::uint64_t read_hex(std::size_t digits) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < digits && !at_end() && hex_digit(peek()) >= 0; ++i) {
      bits = (bits << 4) | static_cast<std::uint64_t>(hex_digit(text_[at_++]));
    }
    return bits;
  }

  template <class Float, class Bits>
  Float from_bits() {
    ++at_;  // '#' or '%'
    const auto bits = static_cast<Bits>(read_hex(2 * sizeof(Bits)));
    Float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }

  value read_number() {
    const std::size_t start = at_;
    if (peek() == '-') ++at_;
    auto digits = [&] {
      while (!at_end() && peek() >= '0' && peek() <= '9') ++at_;
    };
    digits();
    bool integral = true;
    if (!at_end() && peek() == '.') {
      integral = false;
      ++at_;
      digits();
    }
    if (!at_end() && (peek() == 'e' || peek() == 'E')) {
      integral = false;
      ++at_;
      if (!at_end() && (peek() == '+' || peek() == '-')) ++at_;
      digits();
    }
    const std::string number(text_.substr(start, at_ - start));
    if (integral) {
      std::int64_t i = 0;
      if (std::from_chars(number.data(), number.data() + number.size(), i).ec == std::errc()) return {i};
      std::uint64_t u = 0;
      if (std::from_chars(number.data(), number.data() + number.size(), u).ec == std::errc()) return {u};
    }
    return {std::strtod(number.c_str(), nullptr)};  // "-" alone, "1e", too large: whatever strtod makes of it
  }

  std::string read_string() {
    ++at_;  // the opening quote
    std::string bytes;
    while (!at_end()) {
      const char c = text_[at_++];
      if (c == '"') break;
      if (c != '\\' || at_end()) {
        bytes += c;
        continue;
      }
      const char escape = text_[at_++];
      switch (escape) {
        case 'b': bytes += '\b'; break;
        case 'f': bytes += '\f'; break;
        case 'n': bytes += '\n'; break;
        case 'r': bytes += '\r'; break;
        case 't': bytes += '\t'; break;
        case 'x': bytes += static_cast<char>(read_hex(2)); break;
        case 'u': append_unicode_escape(bytes); break;
        default: bytes += escape; break;  // \" \\ \/, and anything else as itself
      }
    }
    return bytes;
  }

  // A \uXXXX escape (its `\u` read): a surrogate pair joins, a lone surrogate is kept
  // as its three bytes, which are not valid UTF-8.
  void append_unicode_escape(std::string& bytes) {
    std::uint32_t unit = static_cast<std::uint32_t>(read_hex(4));
    if (unit >= 0xD800 && unit < 0xDC00 && text_.substr(at_, 2) == "\\u") {
      const std::size_t after_high = at_;
      at_ += 2;
      const auto low = static_cast<std::uint32_t>(read_hex(4));
      if (low >= 0xDC00 && low < 0xE000) {
        unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
      } else {
        at_ = after_high;  // not a pair: the next escape stands alone
      }
    }
    fuzz::append_utf8(bytes, unit);  // a lone surrogate too: three bytes that are not UTF-8
  }

  value read_array(std::size_t depth) {
    ++at_;
    fuzz::array items;
    if (skip(']')) return {std::move(items)};
    for (;;) {
      const std::size_t before = at_;
      items.push_back(read_value(depth + 1));
      if (at_ == before || !skip(',')) break;
    }
    skip(']');
    return {std::move(items)};
  }

  // As pairs, whatever the keys: see settle_objects.
  value read_object(std::size_t depth) {
    ++at_;
    fuzz::object_pairs members;
    while (skip('"')) {
      --at_;
      std::string key = read_string();
      skip(':');
      value member = read_value(depth + 1);
      members.emplace_back(std::move(key), std::move(member));
      if (!skip(',')) break;
    }
    skip('}');
    return {std::move(members)};
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

// Makes each object of `v`, read as pairs, a std::map, unless its keys repeat or
// object_mode keeps pairs at its depth.
void settle_objects(value& v, std::size_t depth, std::uint8_t object_mode) {
  if (auto* items = std::get_if<fuzz::array>(&v.alternative)) {
    for (value& item : *items) settle_objects(item, depth + 1, object_mode);
    return;
  }
  auto* members = std::get_if<fuzz::object_pairs>(&v.alternative);
  if (members == nullptr) return;
  for (auto& member : *members) settle_objects(member.second, depth + 1, object_mode);
  if (object_mode == 1 || (object_mode == 2 && depth % 2 == 0) || (object_mode == 3 && depth % 2 == 1)) return;
  std::vector<std::string_view> keys;
  keys.reserve(members->size());
  for (const auto& member : *members) keys.emplace_back(member.first);
  std::sort(keys.begin(), keys.end());
  if (std::adjacent_find(keys.begin(), keys.end()) != keys.end()) return;  // duplicates stay pairs
  fuzz::object_map map;
  for (auto& [key, member] : *members) map.emplace(std::move(key), std::move(member));
  v.alternative = std::move(map);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::on_large_stack([&] {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    // The options come after the value, but say what its objects are: settled after.
    json_reader reader(text);
    value root = reader.read_value(0);
    fuzz::byte_reader options_block(reader.rest());
    fuzz::fuzz_options options = fuzz::read_options(options_block);
    settle_objects(root, 0, options.object_mode);
    fuzz::bound_indentation(options, root);
    fuzz::check(root, options, fuzz::input_hash(data, size));
  });
  return 0;
}
