// Encoding throughput on the shared corpora: iterjson's three ways of writing text
// against Boost.JSON's serializer and serialize(), all writing the same boost::json::value
// tree. Each benchmark is named "<contender>/<corpus>" and reports bytes per second of its
// own output, which is not always the same size: Boost writes doubles as 8.7E-2 where
// iterjson writes 0.087 (canada.json: 2,285,629 bytes against 2,063,469).

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>

#include "iterjson/adapters/boost_json.hpp"
#include "iterjson/iterjson.hpp"

namespace {

namespace json = boost::json;

constexpr std::size_t buffer_size = 4096;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bench_corpora: %s\n", message.c_str());
  std::abort();
}

// The tree of one file of the shared corpus, parsed on first use and kept for the run.
const json::value& corpus_tree(std::string_view file) {
  static std::map<std::string, json::value, std::less<>> trees;
  if (auto found = trees.find(file); found != trees.end()) return found->second;

  const std::string path = std::string(ITERJSON_CORPORA_DIR) + "/" + std::string(file);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code error;
  json::value tree = json::parse(text.str(), error);
  if (error) fail(path + " is not JSON: " + error.message());
  return trees.emplace(file, std::move(tree)).first->second;
}

// The contenders. Each writes the whole text of `tree` and hands it to `sink` as
// string_views, slice by slice or in one piece, the way its API gives it out. A contender
// is built once per benchmark run, so what its API lets a caller reuse (Boost's
// serializer, a buffer) is reused; everything else is part of what is measured.
namespace contender {

struct iterjson_next {
  static constexpr std::string_view name = "iterjson::encoder::next()";
  template <class Sink>
  void operator()(const json::value& tree, Sink&& sink) {
    iterjson::encoder encoder(tree);
    while (!encoder.done()) sink(encoder.next());
  }
};

struct iterjson_read {
  static constexpr std::string_view name = "iterjson::encoder::read()";
  std::array<char, buffer_size> buffer;
  template <class Sink>
  void operator()(const json::value& tree, Sink&& sink) {
    iterjson::encoder encoder(tree);
    std::size_t size = 0;
    do {
      size = encoder.read(buffer.data(), buffer.size());
      sink(std::string_view(buffer.data(), size));
    } while (size == buffer.size());
  }
};

struct iterjson_to_string {
  static constexpr std::string_view name = "iterjson::to_string()";
  template <class Sink>
  void operator()(const json::value& tree, Sink&& sink) {
    sink(iterjson::to_string(tree));
  }
};

struct boost_serializer {
  static constexpr std::string_view name = "boost::json::serializer";
  json::serializer serializer;
  std::array<char, buffer_size> buffer;
  template <class Sink>
  void operator()(const json::value& tree, Sink&& sink) {
    serializer.reset(&tree);
    while (!serializer.done()) sink(serializer.read(buffer.data(), buffer.size()));
  }
};

struct boost_serialize {
  static constexpr std::string_view name = "boost::json::serialize()";
  template <class Sink>
  void operator()(const json::value& tree, Sink&& sink) {
    sink(json::serialize(tree));
  }
};

}  // namespace contender

// Whether `parsed`, read back from text, is `tree`. A double may come back one unit in
// the last place off: Boost.JSON 1.81 parses numbers fast but not always correctly
// rounded (later versions offer `parse_options::numbers`), and on canada.json it misses
// thousands of doubles by one ULP even in the text of Boost's own serializer.
bool same_tree(const json::value& tree, const json::value& parsed) {
  if (tree.is_double() && parsed.is_double()) {
    const double expected = tree.get_double();
    const double actual = parsed.get_double();
    return actual == expected || std::nextafter(expected, actual) == actual;
  }
  if (tree.is_array() && parsed.is_array()) {
    return std::ranges::equal(tree.get_array(), parsed.get_array(), same_tree);
  }
  if (tree.is_object() && parsed.is_object()) {
    const json::object& parsed_members = parsed.get_object();
    return tree.get_object().size() == parsed_members.size() &&
           std::ranges::all_of(tree.get_object(), [&](const json::key_value_pair& member) {
             const json::value* parsed_value = parsed_members.if_contains(member.key());
             return parsed_value != nullptr && same_tree(member.value(), *parsed_value);
           });
  }
  return tree == parsed;
}

// Aborts unless the text `contender` writes for `tree` parses back to the same tree.
// Returns the size of that text.
template <class Contender>
std::size_t check_round_trip(Contender& contender, const json::value& tree,
                             std::string_view file) {
  std::string text;
  contender(tree, [&text](std::string_view slice) { text += slice; });
  boost::system::error_code error;
  const json::value parsed = json::parse(text, error);
  if (error || !same_tree(tree, parsed)) {
    fail(std::string(Contender::name) + " on " + std::string(file) +
         ": its text does not parse back to the same tree" +
         (error ? " (" + error.message() + ")" : ""));
  }
  return text.size();
}

// Times `Contender` writing the text of one corpus file, after checking that text.
template <class Contender>
void measure(benchmark::State& state, std::string_view file) {
  const json::value& tree = corpus_tree(file);
  Contender contender;
  const std::size_t text_size = check_round_trip(contender, tree, file);

  std::size_t bytes = 0;
  auto count = [&bytes](std::string_view slice) {
    benchmark::DoNotOptimize(slice.data());
    bytes += slice.size();
  };
  for (auto _ : state) contender(tree, count);

  const auto iterations = static_cast<std::size_t>(state.iterations());
  if (bytes != iterations * text_size) {
    fail(std::string(Contender::name) + " on " + std::string(file) +
         ": wrote a different number of bytes in the timed loop");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(iterations * text_size));
}

// BENCHMARK_CAPTURE names each benchmark after the function it runs: these names.
constexpr auto iterjson_next = measure<contender::iterjson_next>;
constexpr auto iterjson_read = measure<contender::iterjson_read>;
constexpr auto iterjson_to_string = measure<contender::iterjson_to_string>;
constexpr auto boost_serializer = measure<contender::boost_serializer>;
constexpr auto boost_serialize = measure<contender::boost_serialize>;

BENCHMARK_CAPTURE(iterjson_next, twitter, "twitter.json");
BENCHMARK_CAPTURE(iterjson_next, citm_catalog, "citm_catalog.json");
BENCHMARK_CAPTURE(iterjson_next, canada, "canada.json");

BENCHMARK_CAPTURE(iterjson_read, twitter, "twitter.json");
BENCHMARK_CAPTURE(iterjson_read, citm_catalog, "citm_catalog.json");
BENCHMARK_CAPTURE(iterjson_read, canada, "canada.json");

BENCHMARK_CAPTURE(iterjson_to_string, twitter, "twitter.json");
BENCHMARK_CAPTURE(iterjson_to_string, citm_catalog, "citm_catalog.json");
BENCHMARK_CAPTURE(iterjson_to_string, canada, "canada.json");

BENCHMARK_CAPTURE(boost_serializer, twitter, "twitter.json");
BENCHMARK_CAPTURE(boost_serializer, citm_catalog, "citm_catalog.json");
BENCHMARK_CAPTURE(boost_serializer, canada, "canada.json");

BENCHMARK_CAPTURE(boost_serialize, twitter, "twitter.json");
BENCHMARK_CAPTURE(boost_serialize, citm_catalog, "citm_catalog.json");
BENCHMARK_CAPTURE(boost_serialize, canada, "canada.json");

}  // namespace

BENCHMARK_MAIN();
