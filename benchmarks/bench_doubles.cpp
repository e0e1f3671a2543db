// Writing an array of 1,000,000 doubles, floats or integers as JSON: iterjson's to_string() and
// read() into 64 KiB against the fastest ways the standard library and fmt have to
// write numbers, each number by std::to_chars (shortest) or by fmt::format_to(out, "{}",
// number), with commas between them, into one buffer kept from run to run. The inputs:
//
// - doubles_random_bits, floats_random_bits: uniform over the finite bit patterns, so
//   every exponent as likely as any other: mostly 17 (or 9) digits in exponent form;
// - doubles_longitudes: longitudes uniform in [-180, 180] at micro-degree precision
//   (rounded to 6 decimals, as GPS fixes and most GeoJSON carry them): 7 to 9 digits in
//   fixed form, the typical doubles of a JSON document;
// - floats_unit: uniform in [-1, 1) as floats, as weights and embeddings are: 7 to 9
//   digits, mostly of the form 0.dddd;
// - integers_any_width: 64-bit integers of 1 to 18 digits, each width as likely, in no
//   order, as the ids, counts and timestamps of a document come: a writer that branches
//   on the width mispredicts.
//
// The texts differ where the layouts do (iterjson writes Python's repr, 1.0 and 1e+16;
// std::to_chars and fmt write 1 and 1e+16), so compare the times per array; each text is
// checked to read back as the input before it is timed. Each benchmark is named
// "<contender>/<input>" and reports bytes per second of its own output.

#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "bench_support.hpp"
#include "contenders.hpp"

namespace {

namespace contender = bench::contender;
using bench::fail;

constexpr std::size_t number_count = 1'000'000;

// --- the inputs ----------------------------------------------------------------------

template <class Number>
struct input {
  std::string_view name;
  std::vector<Number> numbers;
};

// `number_count` finite numbers drawn by `draw` from a generator with a fixed seed: the
// same numbers on every run, whatever order the benchmarks run in.
template <class Number, class Draw>
input<Number> numbers(std::string_view name, Draw draw) {
  input<Number> in{.name = name, .numbers = {}};
  std::mt19937_64 random(0x1736'5a3c'9e2b'0d41);
  while (in.numbers.size() < number_count) {
    const Number value = draw(random);
    if (std::isfinite(value)) in.numbers.push_back(value);  // JSON has no NaN nor infinity
  }
  return in;
}

const auto& random_bit_doubles() {
  static const auto data = numbers<double>("doubles_random_bits", [](std::mt19937_64& random) {
    return std::bit_cast<double>(random());
  });
  return data;
}

const auto& longitudes() {
  static const auto data = numbers<double>("doubles_longitudes", [](std::mt19937_64& random) {
    return std::round(std::uniform_real_distribution<double>(-180.0, 180.0)(random) * 1e6) / 1e6;
  });
  return data;
}

const auto& random_bit_floats() {
  static const auto data = numbers<float>("floats_random_bits", [](std::mt19937_64& random) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(random()));
  });
  return data;
}

const auto& unit_floats() {
  static const auto data = numbers<float>("floats_unit", [](std::mt19937_64& random) {
    return std::uniform_real_distribution<float>(-1.0f, 1.0f)(random);
  });
  return data;
}

const auto& any_width_integers() {
  static const auto data = numbers<std::int64_t>("integers_any_width", [](std::mt19937_64& random) {
    std::int64_t limit = 10;
    for (auto width = random() % 18; width > 0; --width) limit *= 10;
    return static_cast<std::int64_t>(random() % static_cast<std::uint64_t>(limit));
  });
  return data;
}

// --- the contenders that are not iterjson --------------------------------------------

// The array's text made number by number into one buffer, sized once for the longest
// text a number can have: write(out, number) writes one and returns the end.
template <class Write>
struct buffer_writer {
  std::vector<char> buffer;
  Write write;
  template <class Number, class Sink>
  void operator()(const std::vector<Number>& numbers, Sink&& sink) {
    buffer.resize(2 + numbers.size() * 32);
    char* out = buffer.data();
    *out++ = '[';
    for (const Number number : numbers) {
      out = write(out, number);
      *out++ = ',';
    }
    if (!numbers.empty()) --out;  // the last comma
    *out++ = ']';
    sink(std::string_view(buffer.data(), static_cast<std::size_t>(out - buffer.data())));
  }
};

struct write_by_to_chars {
  template <class Number>
  char* operator()(char* out, Number number) const {
    return std::to_chars(out, out + 32, number).ptr;
  }
};

struct write_by_fmt {
  template <class Number>
  char* operator()(char* out, Number number) const {
    return fmt::format_to(out, "{}", number);
  }
};

struct to_chars_writer : buffer_writer<write_by_to_chars> {
  static constexpr std::string_view name = "std::to_chars";
};

struct fmt_writer : buffer_writer<write_by_fmt> {
  static constexpr std::string_view name = "fmt::format_to";
};

// --- measuring -------------------------------------------------------------------------

// Whether `text` is a JSON array of exactly `numbers`, bit for bit.
template <class Number>
bool reads_back_as(std::string_view text, const std::vector<Number>& numbers) {
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') return false;
  const char* at = text.data() + 1;
  const char* const end = text.data() + text.size() - 1;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    Number value{};
    const auto [next, error] = std::from_chars(at, end, value);
    if (error != std::errc() || std::memcmp(&value, &numbers[i], sizeof value) != 0) return false;
    at = next;
    if (at != end && *at++ != ',') return false;
  }
  return at == end;
}

// Times `writer` writing the numbers of `in`, after checking its text.
template <class Writer, class Number>
void measure(benchmark::State& state, Writer& writer, const input<Number>& in) {
  const std::string text = bench::whole_text(writer, in.numbers);
  if (!reads_back_as(text, in.numbers)) fail(std::string(Writer::name) + " on " + std::string(in.name) + ": wrong text");
  bench::time_writer(state, writer, in.numbers, text.size(), in.name);
}

constexpr auto iterjson_to_string = [](benchmark::State& state, auto input) {
  contender::iterjson_to_string writer;
  measure(state, writer, input());
};
constexpr auto iterjson_read = [](benchmark::State& state, auto input) {
  contender::iterjson_read writer;
  measure(state, writer, input());
};
constexpr auto to_chars = [](benchmark::State& state, auto input) {
  to_chars_writer writer;
  measure(state, writer, input());
};
constexpr auto fmt_format_to = [](benchmark::State& state, auto input) {
  fmt_writer writer;
  measure(state, writer, input());
};

#define BENCH_ON_INPUT(name, input)                   \
  BENCHMARK_CAPTURE(iterjson_to_string, name, input); \
  BENCHMARK_CAPTURE(iterjson_read, name, input);      \
  BENCHMARK_CAPTURE(to_chars, name, input);           \
  BENCHMARK_CAPTURE(fmt_format_to, name, input)

BENCH_ON_INPUT(doubles_random_bits, random_bit_doubles);
BENCH_ON_INPUT(doubles_longitudes, longitudes);
BENCH_ON_INPUT(floats_random_bits, random_bit_floats);
BENCH_ON_INPUT(floats_unit, unit_floats);
BENCH_ON_INPUT(integers_any_width, any_width_integers);

}  // namespace

int main(int argc, char** argv) { return bench::run_benchmarks(argc, argv); }
