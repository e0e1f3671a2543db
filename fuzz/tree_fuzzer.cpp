// libFuzzer target: a value tree and options made from a compact binary format, encoded
// with to_string and one other way and checked (see oracle.hpp). scripts/fuzz.sh builds
// and runs it; seeds come from ../shared/data through fuzz/make_seeds.py, which writes
// this format.
//
// The input: the options block (value_tree.hpp, read_options), then one value:
//   op = byte % 18, then
//    0 null   1 false   2 true
//    3 int64 (8 bytes LE)   4 uint64 (8 bytes LE)   5 an integer edge (1 byte: index)
//    6 double (8 bytes LE: its bits)   7 a double edge (1 byte: index)   8 float (4 bytes: its bits)
//    9 string: varint length, the bytes
//   10 string of pieces: 1 byte count, then 1 byte per piece (index into `pieces`)
//   11 long string: 1 byte piece, 2 bytes repeat count (a count, below), up to 32 KiB:
//      crosses chunks
//   12 array: 1 byte count (modulo 64), the values
//   13 std::map: 1 byte count (modulo 64), then key and value each
//   14 pairs: likewise, duplicates kept
//   15 std::map with int64 keys: 1 byte count (modulo 64), then 8 bytes key and value each
//   16 box: 1 byte, even: empty, odd: the value follows
//   17 deep nesting: 2 bytes levels (a count, below; up to max_tree_depth), 1 byte pattern,
//      the innermost value
//   a key: byte % 4: 0 varint length and bytes, 1 pieces as op 10, 2 the previous key of
//   this object again, 3 one of a few short keys (1 byte index)
//   a count: 2 bytes, small as a rule, large only from 0xFF00 up: below 0xFF00, modulo 513
//   (long strings) or 65 (levels); from 0xFF00, the low byte times 128 (long strings) or
//   4 (levels). Each check costs in proportion to the text, and a thousand levels cost
//   some 10 ms: rare, they leave time for many more inputs.
// Every read past the end gives zeros: any input is complete.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "oracle.hpp"
#include "value_tree.hpp"

namespace {

using fuzz::byte_reader;
using fuzz::value;

// Pieces of strings: printable ASCII, what JSON escapes, and UTF-8 valid and not
// (overlong, surrogates, past U+10FFFF, truncated, stray continuation bytes).
constexpr std::string_view pieces[] = {
    "a", "Z", " ", "0", "~", "/", "\"", "\\", std::string_view("\0", 1), "\x01", "\x1f", "\x7f", "\n", "\r", "\t",
    "\b", "\f", "\xc3\xa9", "\xe2\x82\xac", "\xe2\x80\xa8", "\xef\xbf\xbf", "\xef\xbb\xbf", "\xf0\x9f\x98\x80",
    "\xf4\x8f\xbf\xbf", "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xf0\x90\x80\x80",
    // invalid from here
    "\x80", "\xbf", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
    "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xfe", "\xc3",
    "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0", "\xf8\x88\x80\x80\x80"};
constexpr std::size_t piece_count = std::size(pieces);

constexpr std::string_view short_keys[] = {"", "a", "b", "id", "~", "/", "~1", "a/b~c", "\xc3\xa9", "\xff", "\"\\"};

constexpr std::int64_t min64 = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t max64 = std::numeric_limits<std::int64_t>::max();
constexpr std::uint64_t umax64 = std::numeric_limits<std::uint64_t>::max();
constexpr std::int64_t signed_edges[] = {0, 1, -1, 9, 10, -9, -10, 99, 100, 999999999, 1000000000, -1000000000,
                                         2147483647, -2147483648LL, 4294967295LL, 4294967296LL, 9007199254740992LL,
                                         9007199254740993LL, 999999999999999999LL, 1000000000000000000LL,
                                         -999999999999999999LL, -1000000000000000000LL, max64, max64 - 1, min64,
                                         min64 + 1};
constexpr std::uint64_t unsigned_edges[] = {9223372036854775808ull, 9999999999999999999ull, 10000000000000000000ull,
                                            umax64, umax64 - 1, 18446744073709551606ull};

double from_bits(std::uint64_t bits) {
  double d = 0;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

const double double_edges[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 1e-4, 1e-5, 9.999999999999999e-5,
                               1e15, 1e16, 9999999999999998.0, 1e17, 1e21, 1e22, 1e23, 123456789012345680000.0,
                               9007199254740993.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308,
                               1.7976931348623157e308, -1.7976931348623157e308, 4.9406564584124654e-324,
                               std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                               std::numeric_limits<double>::quiet_NaN(), -std::numeric_limits<double>::quiet_NaN(),
                               from_bits(0x7FF0000000000001ull), from_bits(0xFFF8000000000001ull),
                               from_bits(0x000FFFFFFFFFFFFFull), 0.30000000000000004, 2.0 / 3.0, 1e300, 1e-300};

// How much one input may build: the checks go over each value several times. Each level
// of deep nesting counts as a node, and all of them together at most max_tree_depth.
struct budget {
  std::size_t nodes = 8000;
  std::size_t levels = fuzz::max_tree_depth;
  std::size_t string_bytes = 1 << 15;
};

class tree_reader {
 public:
  explicit tree_reader(byte_reader& in) : in_(in) {}

  value read_value(std::size_t depth) {
    if (in_.empty() || budget_.nodes == 0) return {nullptr};
    --budget_.nodes;
    switch (in_.byte() % 18) {
      case 0: return {nullptr};
      case 1: return {false};
      case 2: return {true};
      case 3: return {in_.integral<std::int64_t>()};
      case 4: return {in_.integral<std::uint64_t>()};
      case 5: {
        const std::size_t at = in_.byte() % (std::size(signed_edges) + std::size(unsigned_edges));
        if (at < std::size(signed_edges)) return {signed_edges[at]};
        return {unsigned_edges[at - std::size(signed_edges)]};
      }
      case 6: return {from_bits(in_.integral<std::uint64_t>())};
      case 7: return {double_edges[in_.byte() % std::size(double_edges)]};
      case 8: {
        const auto bits = in_.integral<std::uint32_t>();
        float f = 0;
        std::memcpy(&f, &bits, sizeof f);
        return {f};
      }
      case 9: return {read_raw_string()};
      case 10: return {read_pieces()};
      case 11: return {read_long_string()};
      case 12: return read_array(depth);
      case 13: return read_members<fuzz::object_map>(depth);
      case 14: return read_members<fuzz::object_pairs>(depth);
      case 15: return read_integer_keyed(depth);
      case 16: {
        if (in_.byte() % 2 == 0) return {fuzz::box()};
        return {std::make_shared<const value>(read_value(depth))};
      }
      default: return read_deep(depth);
    }
  }

 private:
  std::string take_bytes(std::string text) {
    if (text.size() > budget_.string_bytes) text.resize(budget_.string_bytes);
    budget_.string_bytes -= text.size();
    return text;
  }

  std::string read_raw_string() { return take_bytes(std::string(in_.bytes(in_.varint() % 4096))); }

  std::string read_pieces() {
    std::string text;
    for (std::size_t n = in_.byte(); n > 0; --n) text += pieces[in_.byte() % piece_count];
    return take_bytes(std::move(text));
  }

  // A count (see the top of the file): up to `usual`, or from 0xFF00 the low byte times `step`.
  std::size_t read_count(std::size_t usual, std::size_t step) {
    const auto bits = in_.integral<std::uint16_t>();
    return bits < 0xFF00 ? bits % (usual + 1) : (bits & 0xFF) * step;
  }

  std::string read_long_string() {
    const std::string_view piece = pieces[in_.byte() % piece_count];
    const std::size_t repeats = std::min({read_count(512, 128), 32768 / piece.size(),
                                          (budget_.string_bytes + piece.size() - 1) / piece.size()});
    const std::size_t size = piece.size() * repeats;
    std::string text;
    text.reserve(size);
    if (repeats > 0) text = piece;
    while (text.size() < size) text.append(text, 0, std::min(text.size(), size - text.size()));  // doubling
    return take_bytes(std::move(text));
  }

  std::string read_key(const std::string& previous) {
    switch (in_.byte() % 4) {
      case 0: return take_bytes(std::string(in_.bytes(in_.varint() % 64)));
      case 1: return read_pieces();
      case 2: return previous;
      default: return std::string(short_keys[in_.byte() % std::size(short_keys)]);
    }
  }

  // Past max_tree_depth a container comes out empty.
  value read_array(std::size_t depth) {
    fuzz::array items;
    if (depth < fuzz::max_tree_depth) {
      for (std::size_t n = in_.byte() % 64; n > 0 && !in_.empty(); --n) items.push_back(read_value(depth + 1));
    }
    return {std::move(items)};
  }

  template <class Object>
  value read_members(std::size_t depth) {
    Object members;
    if (depth < fuzz::max_tree_depth) {
      std::string key;
      for (std::size_t n = in_.byte() % 64; n > 0 && !in_.empty(); --n) {
        key = read_key(key);
        value member = read_value(depth + 1);
        if constexpr (std::is_same_v<Object, fuzz::object_pairs>) {
          members.emplace_back(key, std::move(member));
        } else {
          members.emplace(key, std::move(member));
        }
      }
    }
    return {std::move(members)};
  }

  value read_integer_keyed(std::size_t depth) {
    fuzz::integer_keyed_map members;
    if (depth < fuzz::max_tree_depth) {
      for (std::size_t n = in_.byte() % 64; n > 0 && !in_.empty(); --n) {
        const auto key = in_.integral<std::int64_t>();
        members.emplace(key, read_value(depth + 1));
      }
    }
    return {std::move(members)};
  }

  // `levels` containers, one in another, the kind of each from two bits of `pattern`,
  // built from the inside out without recursion.
  value read_deep(std::size_t depth) {
    const std::size_t room = fuzz::max_tree_depth - std::min(depth, fuzz::max_tree_depth);
    const std::size_t levels = std::min({read_count(64, 4), room, budget_.levels, budget_.nodes});
    budget_.levels -= levels;
    budget_.nodes -= levels;
    const std::uint8_t pattern = in_.byte();
    value nested = read_value(depth + levels);
    for (std::size_t level = levels; level > 0; --level) {
      const std::string key(short_keys[(pattern + level) % 8]);  // valid UTF-8 only
      switch ((pattern >> (2 * (level % 4))) & 3) {
        case 0: {
          fuzz::array items;
          items.push_back(std::move(nested));
          nested = {std::move(items)};
          break;
        }
        case 1: {
          fuzz::object_map members;
          members.emplace(key, std::move(nested));
          nested = {std::move(members)};
          break;
        }
        case 2: {
          fuzz::object_pairs members;
          members.emplace_back(key, std::move(nested));
          nested = {std::move(members)};
          break;
        }
        default: {
          fuzz::integer_keyed_map members;
          members.emplace(static_cast<std::int64_t>(level) - 2, std::move(nested));
          nested = {std::move(members)};
          break;
        }
      }
    }
    return nested;
  }

  byte_reader& in_;
  budget budget_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::on_large_stack([&] {
    byte_reader in(data, size);
    fuzz::fuzz_options options = fuzz::read_options(in);
    const value root = tree_reader(in).read_value(0);
    fuzz::bound_indentation(options, root);
    fuzz::check(root, options, fuzz::input_hash(data, size));
  });
  return 0;
}
