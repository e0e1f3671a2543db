#pragma once

// What the benchmark binaries share: failing loudly, the corpus files, comparing trees,
// the lazy document, and the timed loop.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <ranges>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include <benchmark/benchmark.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "iterjson/iterjson.hpp"

// Clang 14 cannot compile libstdc++ 12's std::views (a known incompatibility of those
// versions); the lazy document is then an equivalent hand-made range.
#if defined(__clang__) && __clang_major__ < 15 && defined(_GLIBCXX_RELEASE)
#define ITERJSON_BENCH_STD_VIEWS 0
#else
#define ITERJSON_BENCH_STD_VIEWS 1
#endif

namespace bench {

namespace json = boost::json;

[[noreturn]] inline void fail(const std::string& message) {
  std::fprintf(stderr, "benchmark: %s\n", message.c_str());
  std::abort();
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The Boost.JSON tree of one file of the shared corpus, parsed on first use and kept for
// the run. Every other form of a corpus (other libraries' trees, native structs) is made
// from this tree, so that all contenders write the very same numbers.
inline const json::value& corpus_tree(std::string_view file) {
  static std::map<std::string, json::value, std::less<>> trees;
  if (auto found = trees.find(file); found != trees.end()) return found->second;

  const std::string path = std::string(ITERJSON_CORPORA_DIR) + "/" + std::string(file);
  boost::system::error_code error;
  json::value tree = json::parse(read_file(path), error);
  if (error) fail(path + " is not JSON: " + error.message());
  return trees.emplace(file, std::move(tree)).first->second;
}

// Whether `parsed`, read back from text, is `tree`, members in the same order. A double
// may come back one unit in the last place off: Boost.JSON 1.81 parses numbers fast but
// not always correctly rounded (later versions offer `parse_options::numbers`), and on
// canada.json it misses thousands of doubles by one ULP even in the text of Boost's own
// serializer.
inline bool same_tree(const json::value& tree, const json::value& parsed) {
  if (tree.is_double() && parsed.is_double()) {
    const double expected = tree.get_double();
    const double actual = parsed.get_double();
    return actual == expected || std::nextafter(expected, actual) == actual;
  }
  if (tree.is_array() && parsed.is_array()) {
    return std::ranges::equal(tree.get_array(), parsed.get_array(), same_tree);
  }
  if (tree.is_object() && parsed.is_object()) {
    return std::ranges::equal(tree.get_object(), parsed.get_object(),
                              [](const json::key_value_pair& expected, const json::key_value_pair& actual) {
                                return expected.key() == actual.key() && same_tree(expected.value(), actual.value());
                              });
  }
  return tree == parsed;
}

// Whether `text` parses back to `tree`.
inline bool parses_to(std::string_view text, const json::value& tree) {
  boost::system::error_code error;
  const json::value parsed = json::parse(text, error);
  return !error && same_tree(tree, parsed);
}

// The whole text `writer` writes for `data`, slices joined.
template <class Writer, class Data>
std::string whole_text(Writer& writer, const Data& data) {
  std::string text;
  writer(data, [&text](std::string_view slice) { text += slice; });
  return text;
}

// The timed loop: `writer` writes `data` again and again into a sink that only counts.
// Returns the bytes written.
template <class Writer, class Data>
std::size_t timed_loop(benchmark::State& state, Writer& writer, const Data& data) {
  std::size_t bytes = 0;
  auto count = [&bytes](std::string_view slice) {
    benchmark::DoNotOptimize(slice.data());
    bytes += slice.size();
  };
  for (auto _ : state) writer(data, count);
  return bytes;
}

// Times `writer` writing `data`, the input named `input`, whose text (`text_size` bytes)
// was checked before. A loop that writes another number of bytes aborts the run.
template <class Writer, class Data>
void time_writer(benchmark::State& state, Writer& writer, const Data& data, std::size_t text_size,
                 std::string_view input) {
  const std::size_t bytes = timed_loop(state, writer, data);
  if (bytes != static_cast<std::size_t>(state.iterations()) * text_size) {
    fail(std::string(Writer::name) + " on " + std::string(input) +
         ": wrote a different number of bytes in the timed loop");
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

// --- the lazy document -----------------------------------------------------------------

// One row of the lazy document: made when the encoder asks for it, never stored.
struct lazy_row {
  std::int64_t id;
  std::string_view station;
  double latitude;
  double longitude;
  std::int64_t reading;
  bool valid;
};

inline lazy_row make_lazy_row(std::int64_t id) {
  static constexpr std::array<std::string_view, 4> stations{"north-ridge", "harbour", "airport", "old-town"};
  return {
      .id = id,
      .station = stations[static_cast<std::size_t>(id) % stations.size()],
      .latitude = static_cast<double>(id % 180'000) / 1000.0 - 90.0,
      .longitude = static_cast<double>(id % 360'000) / 1000.0 - 180.0,
      .reading = (id * 7919) % 100'003 - 50'000,
      .valid = id % 7 != 0,
  };
}

// The text of the lazy document's first rows, stated exactly: the check before timing.
inline constexpr std::string_view lazy_document_3_rows =
    R"([{"id":0,"station":"north-ridge","latitude":-90.0,"longitude":-180.0,"reading":-50000,"valid":false},)"
    R"({"id":1,"station":"harbour","latitude":-89.999,"longitude":-179.999,"reading":-42081,"valid":true},)"
    R"({"id":2,"station":"airport","latitude":-89.998,"longitude":-179.998,"reading":-34162,"valid":true}])";

// About this many bytes of text per row, to size a document in bytes.
inline constexpr std::int64_t lazy_row_bytes = 105;

#if ITERJSON_BENCH_STD_VIEWS
// The lazy document: `rows` rows, computed on demand from nothing but their index.
inline auto lazy_document(std::int64_t rows) {
  return std::views::iota(std::int64_t{0}, rows) | std::views::transform(make_lazy_row);
}
#else
// The same rows as iota | transform, in a hand-made range.
class lazy_rows {
 public:
  explicit lazy_rows(std::int64_t rows) : rows_(rows) {}

  class iterator {
   public:
    using value_type = lazy_row;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(std::int64_t id) : id_(id) {}
    lazy_row operator*() const { return make_lazy_row(id_); }
    iterator& operator++() {
      ++id_;
      return *this;
    }
    iterator operator++(int) { return iterator(id_++); }
    bool operator==(const iterator&) const = default;

   private:
    std::int64_t id_ = 0;
  };

  [[nodiscard]] iterator begin() const { return iterator(0); }
  [[nodiscard]] iterator end() const { return iterator(rows_); }

 private:
  std::int64_t rows_;
};

inline lazy_rows lazy_document(std::int64_t rows) { return lazy_rows(rows); }
#endif

// Aborts unless `writer` writes the first rows of the lazy document exactly.
template <class Writer>
void check_lazy_document(Writer& writer) {
  if (whole_text(writer, lazy_document(3)) != lazy_document_3_rows) {
    fail(std::string(Writer::name) + " on the lazy document: wrong text");
  }
}

// The size of the lazy document in megabytes (10^6 bytes), from --lazy_document_mb=N:
// 1000 (1 GB) unless told otherwise.
inline std::int64_t lazy_document_mb = 1000;

inline std::int64_t lazy_document_rows(std::int64_t megabytes) { return megabytes * 1'000'000 / lazy_row_bytes; }

// Initializes Google Benchmark, takes this project's own flag out of the arguments,
// and rejects any other unknown one. False when the program should stop.
inline bool initialize(int& argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  constexpr std::string_view flag = "--lazy_document_mb=";
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (!argument.starts_with(flag)) {
      argv[kept++] = argv[i];
      continue;
    }
    const std::string_view number = argument.substr(flag.size());
    const auto [end, error] = std::from_chars(number.data(), number.data() + number.size(), lazy_document_mb);
    if (error != std::errc() || end != number.data() + number.size() || lazy_document_mb < 1) {
      std::fprintf(stderr, "bad %s: a whole number of megabytes, at least 1\n", argv[i]);
      return false;
    }
  }
  argc = kept;
  return !benchmark::ReportUnrecognizedArguments(argc, argv);
}

// The main of each benchmark binary; all three take the same flags.
inline int run_benchmarks(int argc, char** argv) {
  if (!initialize(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace bench

ITERJSON_FIELDS(bench::lazy_row, id, station, latitude, longitude, reading, valid);
