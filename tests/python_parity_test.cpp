#include "iterjson/iterjson.hpp"

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include <doctest/doctest.h>

#include "test_support.hpp"

// Python parity: iterjson's text must be byte for byte what Python's json.dumps writes
// under the same options. Documents reach Python as Python literals written here, not by
// iterjson (floats in C99 hex, strings as UTF-8 bytes in hex), so that a bug in iterjson's
// number or string writer cannot cancel itself out. tests/python_parity.py evaluates them
// and writes json.dumps of each; this file compares.

namespace {

struct doc;

// An object whose members stay in the order they were added, unlike std::map's, so that
// sort_keys has work to do. Its keys are unique, as a Python dict's are.
template <class Key>
struct member_list : std::vector<std::pair<Key, doc>> {
  using key_type = Key;
  using mapped_type = doc;
};

// Any JSON document, with every key type Python's json.dumps converts: str, int, float,
// bool. The std::maps take the encoder's path for maps already in sort_keys order.
struct doc {
  ~doc();
  std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string, std::vector<doc>,
               member_list<std::string>, member_list<std::int64_t>, member_list<double>, member_list<bool>,
               std::map<std::string, doc>, std::map<std::int64_t, doc>, std::map<std::uint64_t, doc>>
      value;
};

}  // namespace

template <>
struct iterjson::encode_as<doc> {
  static const auto& convert(const doc& d) { return d.value; }
};

namespace {

// Out of line, once doc is complete. Clang with libstdc++ otherwise goes round in a circle:
// std::pair<Key, doc> asks whether doc is implicitly default constructible, which needs
// doc's implicit destructor, whose definition instantiates std::pair<Key, doc> again. (A
// declared destructor costs doc its implicit moves; copying these small documents is cheap.)
doc::~doc() = default;

using iterjson::nan_policy;
using iterjson::options;
using iterjson::utf8_policy;

// --- documents as Python literals ----------------------------------------------------

void append_hex(std::string& out, std::string_view bytes) {
  constexpr char digits[] = "0123456789abcdef";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    out += digits[byte >> 4];
    out += digits[byte & 0xF];
  }
}

// A str literal of ASCII text; anything else is escaped so the line stays plain ASCII.
std::string python_ascii_str(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    REQUIRE(byte < 0x80);
    if (byte >= 0x20 && byte < 0x7F && c != '\'' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      append_hex(out, std::string_view(&c, 1));
    }
  }
  return out + "'";
}

void append_python(std::string& out, const doc& value);

void append_python(std::string& out, std::nullptr_t) { out += "None"; }
void append_python(std::string& out, bool value) { out += value ? "True" : "False"; }
void append_python(std::string& out, std::int64_t value) { out += std::to_string(value); }
void append_python(std::string& out, std::uint64_t value) { out += std::to_string(value); }

// Exact: the C99 hex form of a double is what float.fromhex reads.
void append_python(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "float('nan')";
  } else if (std::isinf(value)) {
    out += value > 0 ? "float('inf')" : "float('-inf')";
  } else {
    char text[64];
    std::snprintf(text, sizeof text, "%a", value);
    out += "float.fromhex('";
    out += text;
    out += "')";
  }
}

void append_python(std::string& out, const std::string& value) {
  out += "bytes.fromhex('";
  append_hex(out, value);
  out += "').decode('utf-8')";
}

void append_python(std::string& out, const std::vector<doc>& array) {
  out += '[';
  for (const doc& element : array) {
    append_python(out, element);
    out += ',';
  }
  out += ']';
}

// Members in the map's own order, which a Python dict keeps.
template <class Map>
  requires requires { typename Map::mapped_type; }
void append_python(std::string& out, const Map& map) {
  out += '{';
  for (const auto& [key, value] : map) {
    append_python(out, key);
    out += ':';
    append_python(out, value);
    out += ',';
  }
  out += '}';
}

void append_python(std::string& out, const doc& value) {
  std::visit([&out](const auto& alternative) { append_python(out, alternative); }, value.value);
}

std::string python_literal(const doc& value) {
  std::string out;
  append_python(out, value);
  return out;
}

// json.dumps keyword arguments equal to `opts`. Python takes the indentation as a string;
// an int stands for that many spaces. Indented, with the separators left at iterjson's
// defaults, Python is given no separators at all, so that its own defaults are what is
// compared. allow_nan only matters for nan_policy::literal: the other policies are never
// given a NaN here.
std::string python_kwargs(const options& opts) {
  std::string out = "{'indent': ";
  if (opts.indent < 0) {
    out += "None";
  } else if (opts.indent_char == ' ') {
    out += std::to_string(opts.indent);
  } else {
    out += python_ascii_str(std::string(static_cast<std::size_t>(opts.indent), opts.indent_char));
  }
  const bool default_separators = !opts.key_separator && opts.item_separator == options{}.item_separator;
  if (opts.indent < 0 || !default_separators) {
    const std::string_view key_separator = opts.key_separator.value_or(opts.indent < 0 ? ":" : ": ");
    out += ", 'separators': (" + python_ascii_str(opts.item_separator) + ", " + python_ascii_str(key_separator) + ")";
  }
  out += std::string(", 'sort_keys': ") + (opts.sort_keys ? "True" : "False");
  out += std::string(", 'ensure_ascii': ") + (opts.ensure_ascii ? "True" : "False");
  return out + ", 'allow_nan': True}";
}

// --- generated documents -------------------------------------------------------------

void append_utf8(std::string& out, char32_t code_point) {
  const auto byte = [&out](char32_t bits) { out += static_cast<char>(bits); };
  if (code_point < 0x80) {
    byte(code_point);
  } else if (code_point < 0x800) {
    byte(0xC0 | (code_point >> 6));
    byte(0x80 | (code_point & 0x3F));
  } else if (code_point < 0x10000) {
    byte(0xE0 | (code_point >> 12));
    byte(0x80 | ((code_point >> 6) & 0x3F));
    byte(0x80 | (code_point & 0x3F));
  } else {
    byte(0xF0 | (code_point >> 18));
    byte(0x80 | ((code_point >> 12) & 0x3F));
    byte(0x80 | ((code_point >> 6) & 0x3F));
    byte(0x80 | (code_point & 0x3F));
  }
}

// What a document may hold besides finite numbers.
struct generator_rules {
  bool nonfinite = false;  // NaN and ±Infinity values, ±Infinity keys
  bool nan_keys = false;   // NaN keys, whose order Python's sort does not define
};

// Random documents from a fixed seed. Only the raw output of mt19937_64 is used, never
// a std:: distribution, so a seed gives the same documents with every standard library.
class doc_generator {
 public:
  doc_generator(std::uint64_t seed, generator_rules rules) : random_(seed), rules_(rules) {}

  // A container at the top unless `max_depth` is 0.
  doc make_doc(int max_depth) { return max_depth > 0 ? make_container(max_depth - 1) : make_scalar(); }

 private:
  std::uint64_t below(std::uint64_t bound) { return random_() % bound; }
  bool one_in(std::uint64_t n) { return below(n) == 0; }

  doc make_value(int depth_left) {
    if (depth_left > 0 && below(100) < 40) return make_container(depth_left - 1);
    return make_scalar();
  }

  doc make_scalar() {
    switch (below(10)) {
      case 0: return {nullptr};
      case 1: return {one_in(2)};
      case 2: case 3: return {make_int64()};
      case 4: return {make_uint64()};
      case 5: case 6: return {make_double(rules_.nonfinite)};
      default: return {make_string(12)};
    }
  }

  doc make_container(int depth_left) {
    const std::size_t size = one_in(6) ? 0 : 1 + below(7);
    const std::uint64_t pick = below(20);
    if (pick < 7) {
      std::vector<doc> array;
      for (std::size_t i = 0; i < size; ++i) array.push_back(make_value(depth_left));
      return {std::move(array)};
    }
    if (pick < 11) return {make_members<std::string>(size, depth_left)};
    if (pick < 13) return {make_members<std::int64_t>(size, depth_left)};
    if (pick < 15) return {make_members<double>(size, depth_left)};
    if (pick < 16) return {make_members<bool>(size, depth_left)};
    if (pick < 18) return {make_map<std::string>(size, depth_left)};
    if (pick < 19) return {make_map<std::int64_t>(size, depth_left)};
    return {make_map<std::uint64_t>(size, depth_left)};
  }

  template <class Key>
  Key make_key() {
    if constexpr (std::is_same_v<Key, std::string>) {
      return make_string(6);
    } else if constexpr (std::is_same_v<Key, std::int64_t>) {
      return make_int64();
    } else if constexpr (std::is_same_v<Key, std::uint64_t>) {
      return make_uint64();
    } else if constexpr (std::is_same_v<Key, bool>) {
      return one_in(2);
    } else {
      for (;;) {
        const double key = make_double(rules_.nonfinite);
        if (!std::isnan(key) || rules_.nan_keys) return key;
      }
    }
  }

  // Keys equal in Python are dropped: 0.0 and -0.0 are one dict key, but every NaN a
  // separate one.
  template <class Key>
  member_list<Key> make_members(std::size_t size, int depth_left) {
    member_list<Key> members;
    std::set<Key> keys;
    for (std::size_t i = 0; i < size; ++i) {
      Key key = make_key<Key>();
      if constexpr (std::is_same_v<Key, double>) {
        if (!std::isnan(key) && !keys.insert(key).second) continue;
      } else {
        if (!keys.insert(key).second) continue;
      }
      members.emplace_back(std::move(key), make_value(depth_left));
    }
    return members;
  }

  template <class Key>
  std::map<Key, doc> make_map(std::size_t size, int depth_left) {
    std::map<Key, doc> map;
    for (std::size_t i = 0; i < size; ++i) {
      Key key = make_key<Key>();  // drawn before the value: argument order is unspecified
      map.emplace(std::move(key), make_value(depth_left));
    }
    return map;
  }

  std::int64_t make_int64() {
    constexpr std::int64_t edges[] = {
        0, -1, 1, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
        std::numeric_limits<std::int64_t>::min() + 1, (std::int64_t{1} << 53) + 1, -(std::int64_t{1} << 53) - 1,
        10, -10, 9, 99, 100, 999'999'999'999'999'999, -1'000'000'000'000'000'000};
    switch (below(4)) {
      case 0: return edges[below(std::size(edges))];
      case 1: return static_cast<std::int64_t>(below(201)) - 100;
      case 2: return std::bit_cast<std::int64_t>(random_());
      default: return std::bit_cast<std::int64_t>(random_()) >> below(64);  // any magnitude
    }
  }

  std::uint64_t make_uint64() {
    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    constexpr std::uint64_t edges[] = {0, max, max - 1, std::uint64_t{1} << 63, (std::uint64_t{1} << 63) - 1,
                                       10'000'000'000'000'000'000u};
    switch (below(3)) {
      case 0: return edges[below(std::size(edges))];
      case 1: return random_() | (std::uint64_t{1} << 63);  // beyond int64
      default: return random_() >> below(64);
    }
  }

  double make_double(bool nonfinite) {
    constexpr double edges[] = {
        0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 123.456, 1e15, 1e16, -1e16, 1e17, 1e21,
        1e22, 1e23, 9007199254740992.0, 9007199254740994.0, 9999999999999998.0, 1.2345678901234567e16,
        9223372036854775808.0, 18446744073709551616.0, 1e-4, 0.00011, 1e-5, 9.999999999999999e-5,
        1.5e-7, 1e300, 1e308, std::numeric_limits<double>::max(), -std::numeric_limits<double>::max(),
        std::numeric_limits<double>::min(), std::numeric_limits<double>::denorm_min(),
        -std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::epsilon(), 5e-324, 2.5e-323,
        4.9406564584124654e-324, 2.2250738585072009e-308, 1.7976931348623157e308, 0.1 + 0.2, 100.0, 1e100};
    if (nonfinite && one_in(5)) {
      constexpr double nonfinite_values[] = {std::numeric_limits<double>::quiet_NaN(),
                                             -std::numeric_limits<double>::quiet_NaN(),
                                             std::numeric_limits<double>::infinity(),
                                             -std::numeric_limits<double>::infinity()};
      return nonfinite_values[below(std::size(nonfinite_values))];
    }
    for (;;) {
      double value = 0;
      switch (below(6)) {
        case 0: value = edges[below(std::size(edges))]; break;
        case 1: value = std::bit_cast<double>(random_()); break;  // mostly huge or tiny
        case 2:  // integral, up to well past 2^53
          value = static_cast<double>(std::bit_cast<std::int64_t>(random_()) >> below(64));
          break;
        case 3: {  // short decimals around the switch to exponent form at 1e-4 and 1e16
          const auto digits = static_cast<double>(below(100'000));
          value = digits * std::pow(10.0, static_cast<double>(below(30)) - 12);
          break;
        }
        case 4: value = random_binary(-110, 140); break;    // full precision, moderate magnitude
        default: value = random_binary(-1127, 2150); break;  // any exponent, subnormals included
      }
      if (one_in(2)) value = -value;
      if (std::isfinite(value)) return value;
    }
  }

  // A 53-bit integer times 2 to a power from min_exponent on. The two draws are separate
  // statements: the order in which arguments are evaluated varies between compilers.
  double random_binary(int min_exponent, std::uint64_t exponents) {
    const auto mantissa = static_cast<double>(random_() >> 11);
    return std::ldexp(mantissa, min_exponent + static_cast<int>(below(exponents)));
  }

  char32_t make_code_point() {
    constexpr char32_t specials[] = {0x2028, 0x2029, 0xFEFF, 0xFFFD, 0xFFFF, 0xFFFE, 0x10FFFF, 0x80,
                                     0x7FF, 0x800, 0xD7FF, 0xE000, 0x10000, 0x1F600, 0xA0, 0xFF};
    constexpr char32_t escapes[] = {'"', '\\', '/', 0x7F, '\b', '\f', '\n', '\r', '\t', 0};
    switch (below(13)) {
      case 0: case 1: case 2: return static_cast<char32_t>(0x20 + below(0x5F));
      case 3: case 4: return static_cast<char32_t>('a' + below(26));
      case 5: return static_cast<char32_t>(below(0x20));
      case 6: return escapes[below(std::size(escapes))];
      case 7: return static_cast<char32_t>(0x80 + below(0x780));
      case 8: {
        const auto code_point = static_cast<char32_t>(0x800 + below(0xF800));
        return code_point >= 0xD800 && code_point < 0xE000 ? 0xFFFD : code_point;  // no surrogates
      }
      case 9: return static_cast<char32_t>(0x10000 + below(0x100000));
      case 10: return specials[below(std::size(specials))];
      default: return static_cast<char32_t>('0' + below(10));
    }
  }

  // Now and then a string longer than a chunk: plain ASCII, which the encoder hands out
  // in place, or a mix whose escapes fall across chunk boundaries.
  std::string make_string(std::size_t max_length) {
    std::string text;
    if (one_in(60)) {
      const std::size_t length = 4000 + below(6000);
      const bool plain = one_in(2);
      for (std::size_t i = 0; i < length; ++i) {
        append_utf8(text, plain || !one_in(50) ? static_cast<char32_t>('a' + below(26)) : make_code_point());
      }
      return text;
    }
    const std::size_t length = below(max_length + 1);
    for (std::size_t i = 0; i < length; ++i) append_utf8(text, make_code_point());
    return text;
  }

  std::mt19937_64 random_;
  generator_rules rules_;
};

// --- the comparison ------------------------------------------------------------------

// One comparison: a document and the options it is written with.
struct parity_case {
  const doc* value;
  options opts;
};

std::string visible(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte >= 0x20 && byte < 0x7F) {
      out += c;
    } else {
      out += "\\x";
      append_hex(out, std::string_view(&c, 1));
    }
  }
  return out;
}

// The neighbourhood of the first byte where two texts differ, as C string literals.
std::string describe_difference(std::string_view python, std::string_view ours) {
  std::size_t at = 0;
  while (at < python.size() && at < ours.size() && python[at] == ours[at]) ++at;
  const std::size_t from = at < 80 ? 0 : at - 80;
  std::ostringstream out;
  out << "first difference at byte " << at << " (python " << python.size() << " bytes, iterjson "
      << ours.size() << " bytes)\n  python:   ..." << visible(python.substr(from, at - from + 80))
      << "...\n  iterjson: ..." << visible(ours.substr(from, at - from + 80)) << "...";
  if (python.size() + ours.size() < 1200) {
    out << "\n  whole python:   " << visible(python) << "\n  whole iterjson: " << visible(ours);
  }
  return out.str();
}

std::string from_hex(std::string_view hex) {
  const auto nibble = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  }
  return bytes;
}

bool python_available() {
  if (std::string_view(ITERJSON_PYTHON3).empty()) {
    MESSAGE("python3 was not found when the tests were configured: Python parity is not checked");
    return false;
  }
  return true;
}

// Runs json.dumps on every case through tests/python_parity.py and checks that iterjson
// writes the same bytes. One case in `every_way_stride` is also encoded through next(),
// read() and iterencode. After a mismatch the case files are kept for debugging.
void check_against_python(const std::vector<parity_case>& cases, std::size_t every_way_stride) {
  const std::filesystem::path base = std::filesystem::temp_directory_path() /
                                     ("iterjson_python_parity_" + std::to_string(std::random_device{}()));
  const std::string cases_path = base.string() + "_cases.txt";
  const std::string output_path = base.string() + "_dumps.txt";
  {
    std::ofstream cases_file(cases_path, std::ios::binary);
    REQUIRE_MESSAGE(cases_file.good(), "cannot write " << cases_path);
    const doc* last_value = nullptr;
    std::string literal;
    for (const parity_case& c : cases) {
      if (c.value != last_value) literal = python_literal(*c.value);
      last_value = c.value;
      cases_file << python_kwargs(c.opts) << '\t' << literal << '\n';
    }
  }
  const std::string command = std::string("\"") + ITERJSON_PYTHON3 + "\" \"" + ITERJSON_TESTS_DIR +
                              "/python_parity.py\" \"" + cases_path + "\" \"" + output_path + "\"";
  REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "failed: " << command);

  std::istringstream dumps(iterjson::testing::read_file(output_path));
  std::size_t index = 0;
  std::size_t mismatches = 0;
  for (std::string line; std::getline(dumps, line) && index < cases.size(); ++index) {
    const parity_case& c = cases[index];
    const std::string ours = index % every_way_stride == 0 ? iterjson::testing::encode_every_way(*c.value, c.opts)
                                                           : iterjson::to_string(*c.value, c.opts);
    const bool python_raised = line.starts_with("!");
    const std::string python = python_raised ? line : from_hex(line);
    if (!python_raised && python == ours) continue;
    ++mismatches;
    const std::string literal = python_literal(*c.value);
    std::ostringstream report;
    report << "case " << index << " (line " << index + 1 << " of " << cases_path << ")\n  options: "
           << python_kwargs(c.opts) << (c.opts.nan == nan_policy::literal ? " nan=literal" : "")
           << (c.opts.invalid_utf8 == utf8_policy::verbatim ? " invalid_utf8=verbatim" : "")
           << "\n  value: " << (literal.size() < 2000 ? literal : "(long, see the case file)") << "\n  "
           << (python_raised ? "python raised " + line.substr(1) : describe_difference(python, ours));
    FAIL_CHECK(report.str());
    if (mismatches == 10) {
      MESSAGE("stopping after 10 mismatches");
      break;
    }
  }
  CHECK(mismatches == 0);
  if (mismatches == 0) {
    CHECK(index == cases.size());
    std::filesystem::remove(cases_path);
    std::filesystem::remove(output_path);
  }
}

// Every layout Python can be asked for; the encoder's internal fast paths (verbatim UTF-8,
// maps already sorted) must not change the text. Indented with no separators given, the
// text must be json.dumps(value, indent=N) with Python's own defaults, (",", ": ");
// separators given explicitly win over those defaults.
std::vector<options> finite_option_sets() {
  return {
      {},
      {.item_separator = ", ", .key_separator = ": "},
      {.sort_keys = true},
      {.ensure_ascii = true},
      {.item_separator = ", ", .key_separator = ": ", .sort_keys = true, .ensure_ascii = true},
      {.invalid_utf8 = utf8_policy::verbatim},
      {.indent = 0},
      {.indent = 2},
      {.indent = 2, .sort_keys = true, .invalid_utf8 = utf8_policy::verbatim},
      {.indent = 2, .key_separator = ":"},
      {.indent = 2, .item_separator = ", "},
      {.indent = 2, .item_separator = ", ", .key_separator = ": ", .sort_keys = true},
      {.indent = 4, .indent_char = '\t', .ensure_ascii = true},
      {.indent = 1, .item_separator = " ,\t", .key_separator = " : ", .sort_keys = true, .ensure_ascii = true,
       .invalid_utf8 = utf8_policy::verbatim},
  };
}

// Layouts for documents with NaN and ±Infinity, which Python writes as these literals.
std::vector<options> nonfinite_option_sets(bool sorted) {
  return {
      {.nan = nan_policy::literal},
      {.indent = 2, .ensure_ascii = true, .nan = nan_policy::literal},
      {.item_separator = ", ", .key_separator = ": ", .sort_keys = sorted, .nan = nan_policy::literal},
      {.indent = 4, .indent_char = '\t', .sort_keys = sorted, .nan = nan_policy::literal},
  };
}

void add_cases(std::vector<parity_case>& cases, const std::vector<doc>& docs, const std::vector<options>& option_sets) {
  for (const doc& value : docs) {
    for (const options& opts : option_sets) cases.push_back({&value, opts});
  }
}

std::vector<doc> generate(std::uint64_t first_seed, std::size_t count, generator_rules rules) {
  std::vector<doc> docs;
  for (std::size_t i = 0; i < count; ++i) {
    doc_generator generator(first_seed + i, rules);
    docs.push_back(generator.make_doc(static_cast<int>(i % 7)));  // nesting 0 to 6
  }
  return docs;
}

doc array(std::initializer_list<doc> elements) { return {std::vector<doc>(elements)}; }

template <class Key>
doc object(std::initializer_list<std::pair<Key, doc>> members) {
  member_list<Key> list;
  list.assign(members.begin(), members.end());
  return {std::move(list)};
}

std::string every_ascii_character() {
  std::string text;
  for (int c = 0; c < 0x80; ++c) text += static_cast<char>(c);
  return text;
}

TEST_CASE("python parity: edge values match json.dumps") {
  if (!python_available()) return;
  using limits64 = std::numeric_limits<std::int64_t>;
  constexpr double infinity = std::numeric_limits<double>::infinity();
  constexpr double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<doc> finite = {
      {nullptr},
      {true},
      {false},
      {std::int64_t{0}},
      {limits64::min()},
      {limits64::max()},
      {std::numeric_limits<std::uint64_t>::max()},
      {0.0},
      {-0.0},
      {1.0},
      {1e16},
      {1e22},
      {1e-5},
      {0.0001},
      {123456789012345680.0},
      {std::numeric_limits<double>::denorm_min()},
      {std::numeric_limits<double>::max()},
      {std::string()},
      {every_ascii_character()},
      {std::string("\xE2\x80\xA8\xE2\x80\xA9\xEF\xBB\xBF\xEF\xBF\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF")},
      {std::string(5000, 'x') + "\"\\\x7f\n" + std::string(4090, 'y') + "\xC3\xA9\xF0\x9F\x98\x80"},
      array({}),
      object<std::string>({}),
      array({array({}), object<std::string>({}), array({array({})})}),
      object<std::string>({{"", object<std::string>({})}, {"a", array({})}, {"\x7f", {nullptr}}}),
      array({array({array({array({array({array({{std::int64_t{1}}})})})})})}),
      object<std::int64_t>({{10, {true}}, {-2, {false}}, {limits64::min(), {nullptr}}, {9, {std::int64_t{9}}}}),
      object<double>({{2.5, {1.0}}, {-0.0, {-0.0}}, {1e300, {1e-300}}, {-1e-7, {0.1}}, {1e16, {1e16}}}),
      object<bool>({{true, {std::int64_t{1}}}, {false, {std::int64_t{0}}}}),
      {std::map<std::uint64_t, doc>{{std::numeric_limits<std::uint64_t>::max(), {nullptr}}, {0, {nullptr}}}},
  };
  const std::vector<doc> nonfinite = {
      {nan},
      {infinity},
      {-infinity},
      array({{nan}, {-infinity}, array({{infinity}})}),
      object<double>({{infinity, {nan}}, {-infinity, {infinity}}, {0.5, {-infinity}}}),
  };
  const std::vector<doc> nan_keys = {object<double>({{nan, {nan}}, {1.0, {nan}}, {nan, {infinity}}})};

  std::vector<parity_case> cases;
  add_cases(cases, finite, finite_option_sets());
  add_cases(cases, finite, nonfinite_option_sets(true));
  add_cases(cases, nonfinite, nonfinite_option_sets(true));
  add_cases(cases, nan_keys, nonfinite_option_sets(false));
  check_against_python(cases, 1);
}

TEST_CASE("python parity: random documents match json.dumps") {
  if (!python_available()) return;
  const std::vector<doc> finite = generate(1, 500, {});
  const std::vector<doc> nonfinite = generate(100'001, 150, {.nonfinite = true});
  const std::vector<doc> nan_keys = generate(200'001, 80, {.nonfinite = true, .nan_keys = true});

  std::vector<parity_case> cases;
  add_cases(cases, finite, finite_option_sets());
  add_cases(cases, nonfinite, nonfinite_option_sets(true));
  add_cases(cases, nan_keys, nonfinite_option_sets(false));
  check_against_python(cases, 9);
}

}  // namespace
