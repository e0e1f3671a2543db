// Encoding throughput on synthetic data that isolates one cost each: numbers, long
// strings, escapes, non-ASCII text, deep nesting, indentation, sorting keys, and a lazy
// document too large to hold. iterjson writes native std containers (or structs); Boost.JSON,
// nlohmann and RapidJSON write the same data copied into their own trees. A contender
// that cannot write an input as asked is left out of it:
//
// - Boost.JSON has no ensure_ascii, no indentation and no sorting;
// - a million levels of nesting overflow the call stack of Boost's serializer, of
//   nlohmann's dump() and of RapidJSON's Accept(), which all recurse;
// - sort_keys: iterjson sorts an unordered_map's 100,000 keys as it writes them;
//   nlohmann has no sort option, so it writes nlohmann::json, whose std::map holds the
//   members sorted already: the sorting is in building its tree, not in dump().
//
// Each benchmark is named "<contender>/<input>", and reports bytes per second of its own
// output.

#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <benchmark/benchmark.h>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>

#include "bench_support.hpp"
#include "contenders.hpp"
#include "corpus_structs.hpp"
#include "tree_copies.hpp"

namespace {

namespace json = boost::json;
namespace contender = bench::contender;
using bench::fail;

// --- the inputs ----------------------------------------------------------------------

// One input: `native` for iterjson, and the same data in each other library's tree. A
// contender's text must parse back to `nlohmann`, or be exactly `exact_text` when that is
// set.
template <class Native, class Nlohmann = nlohmann::ordered_json>
struct input {
  std::string_view name;
  Native native{};
  json::value boost{};
  Nlohmann nlohmann{};
  rapidjson::Document rapidjson{};
  std::string exact_text{};
};

// Fills the other libraries' trees of `in` from its native data.
template <class Input>
void copy_native(Input& in) {
  in.boost = json::value_from(in.native);
  in.nlohmann = bench::to_nlohmann<decltype(in.nlohmann)>(in.boost);
  bench::copy_to_rapidjson(in.boost, in.rapidjson);
}

// Every input is drawn from its own generator with a fixed seed: the same data on every
// run, whatever order the benchmarks run in.
std::mt19937_64 seeded_random() { return std::mt19937_64(0x1736'5a3c'9e2b'0d41); }

constexpr std::size_t number_count = 500'000;

// An integer of 1 to 20 decimal digits (1 to 19 for int64), each count of digits as
// likely as any other, and then uniform among the integers of that many digits.
template <class Int>
Int integer_of_random_width(std::mt19937_64& random) {
  constexpr int max_digits = std::numeric_limits<Int>::digits10 + 1;
  const int digits = std::uniform_int_distribution<int>(1, max_digits)(random);
  std::uint64_t low = 1;
  for (int i = 1; i < digits; ++i) low *= 10;
  const std::uint64_t high = digits == max_digits ? std::numeric_limits<Int>::max() : low * 10 - 1;
  const auto magnitude = std::uniform_int_distribution<std::uint64_t>(digits == 1 ? 0 : low, high)(random);
  if constexpr (std::is_signed_v<Int>) {
    const auto value = static_cast<Int>(magnitude);
    return random() % 2 == 0 ? value : -value;
  } else {
    return magnitude;
  }
}

template <class Int>
input<std::vector<Int>> integers(std::string_view name) {
  input<std::vector<Int>> in{.name = name};
  std::mt19937_64 random = seeded_random();
  for (std::size_t i = 0; i < number_count; ++i) in.native.push_back(integer_of_random_width<Int>(random));
  copy_native(in);
  return in;
}

const auto& signed_integers() {
  static const auto data = integers<std::int64_t>("integers_signed");
  return data;
}

const auto& unsigned_integers() {
  static const auto data = integers<std::uint64_t>("integers_unsigned");
  return data;
}

template <class Draw>
input<std::vector<double>> doubles(std::string_view name, Draw draw) {
  input<std::vector<double>> in{.name = name};
  std::mt19937_64 random = seeded_random();
  while (in.native.size() < number_count) {
    const double value = draw(random);
    if (std::isfinite(value)) in.native.push_back(value);  // JSON has no NaN nor infinity
  }
  copy_native(in);
  return in;
}

// Any finite double: random bits, so mostly huge and tiny exponents and 17 digits.
const auto& random_bit_doubles() {
  static const auto data = doubles("doubles_random_bits", [](std::mt19937_64& random) {
    return std::bit_cast<double>(random());
  });
  return data;
}

// Longitudes: uniform in [-180, 180].
const auto& coordinate_doubles() {
  static const auto data = doubles("doubles_coordinates", [](std::mt19937_64& random) {
    return std::uniform_real_distribution<double>(-180.0, 180.0)(random);
  });
  return data;
}

// `count` strings of `length` characters, each drawn by `draw`, which appends one.
template <class Draw>
input<std::vector<std::string>> strings(std::string_view name, std::size_t count, std::size_t length, Draw draw) {
  input<std::vector<std::string>> in{.name = name};
  std::mt19937_64 random = seeded_random();
  for (std::size_t i = 0; i < count; ++i) {
    std::string text;
    while (text.size() < length) draw(text, random);
    in.native.push_back(std::move(text));
  }
  copy_native(in);
  return in;
}

// 100 strings of 64 KiB of printable ASCII with nothing to escape.
const auto& long_strings() {
  static const auto data = strings("long_strings", 100, 64 * 1024, [](std::string& text, std::mt19937_64& random) {
    char c = 0;
    do {
      c = static_cast<char>(std::uniform_int_distribution<int>(0x20, 0x7e)(random));
    } while (c == '"' || c == '\\');
    text += c;
  });
  return data;
}

// Strings of which three characters in four need escaping: quotes, backslashes and every
// control character, NUL included.
const auto& escape_strings() {
  static const auto data = strings("escape_strings", 10'000, 256, [](std::string& text, std::mt19937_64& random) {
    constexpr std::string_view escaped_printable = "\"\\";
    const auto pick = random() % 4;
    if (pick == 0) {
      text += static_cast<char>('a' + random() % 26);
    } else if (pick == 1) {
      text += escaped_printable[random() % escaped_printable.size()];
    } else {
      text += static_cast<char>(random() % 0x20);
    }
  });
  return data;
}

void append_utf8(std::string& text, char32_t code_point) {
  if (code_point < 0x800) {
    text += static_cast<char>(0xc0 | (code_point >> 6));
  } else if (code_point < 0x10000) {
    text += static_cast<char>(0xe0 | (code_point >> 12));
    text += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
  } else {
    text += static_cast<char>(0xf0 | (code_point >> 18));
    text += static_cast<char>(0x80 | ((code_point >> 12) & 0x3f));
    text += static_cast<char>(0x80 | ((code_point >> 6) & 0x3f));
  }
  text += static_cast<char>(0x80 | (code_point & 0x3f));
}

// Text in Chinese, Japanese kana, Korean and emoji, with a space now and then.
const auto& non_ascii_strings() {
  static const auto data = strings("non_ascii", 10'000, 256, [](std::string& text, std::mt19937_64& random) {
    struct block {
      char32_t first, last;
    };
    constexpr std::array<block, 4> blocks{{{0x4e00, 0x9fff}, {0x3041, 0x30ff}, {0xac00, 0xd7a3}, {0x1f300, 0x1f64f}}};
    if (random() % 8 == 0) {
      text += ' ';
      return;
    }
    const block& b = blocks[random() % blocks.size()];
    append_utf8(text, static_cast<char32_t>(b.first + random() % (b.last - b.first + 1)));
  });
  return data;
}

// Arrays nested a million deep, [[[...]]], as std::vectors.
struct nested_arrays {
  std::vector<nested_arrays> items;

  nested_arrays() = default;
  nested_arrays(nested_arrays&&) noexcept = default;
  nested_arrays& operator=(nested_arrays&&) noexcept = default;
  // Unnests a level at a time: the vectors' own destructors would recurse a million deep.
  ~nested_arrays() {
    while (!items.empty()) {
      std::vector<nested_arrays> inner = std::move(items.back().items);
      items.pop_back();
      for (nested_arrays& item : inner) items.push_back(std::move(item));
    }
  }
};

}  // namespace

// A level of nesting is written as the array of its items.
template <>
struct iterjson::encode_as<nested_arrays> {
  static const std::vector<nested_arrays>& convert(const nested_arrays& level) { return level.items; }
};

namespace {

constexpr std::size_t nesting_depth = 1'000'000;

const auto& deep_nesting() {
  static const input<nested_arrays> data = [] {
    input<nested_arrays> in{.name = "nesting_1m"};
    nested_arrays* level = &in.native;
    for (std::size_t depth = 1; depth < nesting_depth; ++depth) level = &level->items.emplace_back();
    in.exact_text = std::string(nesting_depth, '[') + std::string(nesting_depth, ']');
    return in;
  }();
  return data;
}

// citm_catalog.json, to be written with indent 2: native structs for iterjson.
const auto& citm_catalog() {
  static const input<bench::citm::catalog> data = [] {
    input<bench::citm::catalog> in{.name = "citm_catalog_indent_2"};
    const json::value& tree = bench::corpus_tree("citm_catalog.json");
    in.native = bench::from_tree<bench::citm::catalog>(tree);
    in.nlohmann = bench::to_nlohmann<nlohmann::ordered_json>(tree);
    bench::copy_to_rapidjson(tree, in.rapidjson);
    // Python's layout under indent=2, which all three write: the text is the same.
    in.exact_text = in.nlohmann.dump(2);
    return in;
  }();
  return data;
}

// 100,000 members with distinct keys in no order, to be written sorted; nlohmann's tree
// is nlohmann::json, a std::map.
const auto& unsorted_members() {
  static const input<std::unordered_map<std::string, int>, nlohmann::json> data = [] {
    input<std::unordered_map<std::string, int>, nlohmann::json> in{.name = "sort_keys_100k"};
    std::mt19937_64 random = seeded_random();
    while (in.native.size() < 100'000) {
      in.native.emplace("key-" + std::to_string(random() % 100'000'000), static_cast<int>(random() % 1'000'000));
    }
    copy_native(in);
    in.exact_text = in.nlohmann.dump();
    return in;
  }();
  return data;
}

// --- measuring -------------------------------------------------------------------------

// How an input's text is laid out; each contender sets its own API to match.
struct layout {
  int indent = -1;
  bool ensure_ascii = false;
  bool sort_keys = false;
};

// Python's separators: ":" on one line, ": " with indent, as nlohmann and RapidJSON write.
iterjson::options iterjson_options(layout style) {
  return {.indent = style.indent,
          .key_separator = style.indent < 0 ? ":" : ": ",
          .sort_keys = style.sort_keys,
          .ensure_ascii = style.ensure_ascii};
}

template <class Json>
bool parses_back_to(std::string_view text, const Json& tree) {
  const Json parsed = Json::parse(text, nullptr, false);
  return !parsed.is_discarded() && parsed == tree;
}

// Times `writer` writing `data`, one form of `in`, after checking its text.
template <class Writer, class Input, class Data>
void measure(benchmark::State& state, Writer& writer, const Input& in, const Data& data) {
  const std::string text = bench::whole_text(writer, data);
  const bool right = in.exact_text.empty() ? parses_back_to(text, in.nlohmann) : text == in.exact_text;
  if (!right) fail(std::string(Writer::name) + " on " + std::string(in.name) + ": wrong text");
  bench::time_writer(state, writer, data, text.size(), in.name);
}

// The benchmark functions, one per contender, named as BENCHMARK_CAPTURE names each
// benchmark: each takes the function that returns its input, and the layout.
constexpr auto iterjson_next = [](benchmark::State& state, auto input, layout style = {}) {
  contender::iterjson_next writer{iterjson_options(style)};
  measure(state, writer, input(), input().native);
};
constexpr auto iterjson_read = [](benchmark::State& state, auto input, layout style = {}) {
  contender::iterjson_read writer{iterjson_options(style)};
  measure(state, writer, input(), input().native);
};
constexpr auto iterjson_to_string = [](benchmark::State& state, auto input, layout style = {}) {
  contender::iterjson_to_string writer{iterjson_options(style)};
  measure(state, writer, input(), input().native);
};
constexpr auto boost_serializer = [](benchmark::State& state, auto input) {
  contender::boost_serializer writer;
  measure(state, writer, input(), input().boost);
};
constexpr auto nlohmann_dump = [](benchmark::State& state, auto input, layout style = {}) {
  contender::nlohmann_dump writer{style.indent, style.ensure_ascii};
  measure(state, writer, input(), input().nlohmann);
};
constexpr auto rapidjson_writer = [](benchmark::State& state, auto input, layout style = {}) {
  if (style.ensure_ascii) {
    contender::rapidjson_ascii_writer writer;
    return measure(state, writer, input(), input().rapidjson);
  }
  if (style.indent >= 0) {
    contender::rapidjson_pretty_writer writer(static_cast<unsigned>(style.indent));
    return measure(state, writer, input(), input().rapidjson);
  }
  contender::rapidjson_writer<> writer;
  measure(state, writer, input(), input().rapidjson);
};

// Registers every contender on an input that all four can write as asked.
#define BENCH_ON_INPUT(name, input)             \
  BENCHMARK_CAPTURE(iterjson_next, name, input);      \
  BENCHMARK_CAPTURE(iterjson_read, name, input);      \
  BENCHMARK_CAPTURE(iterjson_to_string, name, input); \
  BENCHMARK_CAPTURE(boost_serializer, name, input);   \
  BENCHMARK_CAPTURE(nlohmann_dump, name, input);      \
  BENCHMARK_CAPTURE(rapidjson_writer, name, input)

BENCH_ON_INPUT(integers_signed, signed_integers);
BENCH_ON_INPUT(integers_unsigned, unsigned_integers);
BENCH_ON_INPUT(doubles_random_bits, random_bit_doubles);
BENCH_ON_INPUT(doubles_coordinates, coordinate_doubles);
BENCH_ON_INPUT(long_strings, long_strings);
BENCH_ON_INPUT(escape_strings, escape_strings);
BENCH_ON_INPUT(non_ascii, non_ascii_strings);

constexpr layout ascii_only{.ensure_ascii = true};
BENCHMARK_CAPTURE(iterjson_next, non_ascii_ensure_ascii, non_ascii_strings, ascii_only);
BENCHMARK_CAPTURE(iterjson_read, non_ascii_ensure_ascii, non_ascii_strings, ascii_only);
BENCHMARK_CAPTURE(iterjson_to_string, non_ascii_ensure_ascii, non_ascii_strings, ascii_only);
BENCHMARK_CAPTURE(nlohmann_dump, non_ascii_ensure_ascii, non_ascii_strings, ascii_only);
BENCHMARK_CAPTURE(rapidjson_writer, non_ascii_ensure_ascii, non_ascii_strings, ascii_only);

BENCHMARK_CAPTURE(iterjson_next, nesting_1m, deep_nesting);
BENCHMARK_CAPTURE(iterjson_read, nesting_1m, deep_nesting);
BENCHMARK_CAPTURE(iterjson_to_string, nesting_1m, deep_nesting);

constexpr layout indent_2{.indent = 2};
BENCHMARK_CAPTURE(iterjson_next, citm_catalog_indent_2, citm_catalog, indent_2);
BENCHMARK_CAPTURE(iterjson_read, citm_catalog_indent_2, citm_catalog, indent_2);
BENCHMARK_CAPTURE(iterjson_to_string, citm_catalog_indent_2, citm_catalog, indent_2);
BENCHMARK_CAPTURE(nlohmann_dump, citm_catalog_indent_2, citm_catalog, indent_2);
BENCHMARK_CAPTURE(rapidjson_writer, citm_catalog_indent_2, citm_catalog, indent_2);

constexpr layout sorted{.sort_keys = true};
BENCHMARK_CAPTURE(iterjson_next, sort_keys_100k, unsorted_members, sorted);
BENCHMARK_CAPTURE(iterjson_read, sort_keys_100k, unsorted_members, sorted);
BENCHMARK_CAPTURE(iterjson_to_string, sort_keys_100k, unsorted_members, sorted);
BENCHMARK_CAPTURE(nlohmann_dump, sort_keys_100k, unsorted_members);

// About 1 GB (--lazy_document_mb) of rows made on demand, written by next() into a sink
// that discards them: iterjson only, as the others write only trees they hold. A pass
// takes longer than the default minimum time, so a repetition is one pass (setting
// Iterations(1) instead would rename the benchmark).
void lazy_document(benchmark::State& state) {
  contender::iterjson_next writer;
  bench::check_lazy_document(writer);
  const auto document = bench::lazy_document(bench::lazy_document_rows(bench::lazy_document_mb));
  state.SetBytesProcessed(static_cast<std::int64_t>(bench::timed_loop(state, writer, document)));
}
BENCHMARK(lazy_document)->Name("iterjson_next/lazy_document")->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) { return bench::run_benchmarks(argc, argv); }
