// Streams a large lazily generated document, [0, 1, ..., N-1], a slice at a time, and
// reports what it cost: bytes, slices, peak memory, time.
//
//   stream_numbers [--count N] [--chunk-size B] [--out FILE]
//
// The array is a lazy range: each number is made when the encoder asks for it and is
// never stored, so peak memory stays the same whatever N is.

#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <iterjson/iterjson.hpp>

#include "number_sequence.hpp"

namespace {

struct settings {
  long long count = 50'000'000;
  std::size_t chunk_size = 4096;
  std::string out = "/dev/null";
};

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr, "stream_numbers: %s\nusage: stream_numbers [--count N] [--chunk-size B] [--out FILE]\n",
               problem);
  std::exit(2);
}

long long parse_number(std::string_view text) {
  long long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value < 0) usage("not a count");
  return value;
}

settings parse_arguments(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (i + 1 == argc) usage("missing value");
    const std::string_view value = argv[++i];
    if (flag == "--count") {
      s.count = parse_number(value);
    } else if (flag == "--chunk-size") {
      s.chunk_size = static_cast<std::size_t>(parse_number(value));
    } else if (flag == "--out") {
      s.out = value;
    } else {
      usage("unknown flag");
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_arguments(argc, argv);
  std::FILE* out = std::fopen(s.out.c_str(), "wb");
  if (out == nullptr) usage("cannot open the output file");

  const examples::number_sequence numbers(s.count);
  const auto start = std::chrono::steady_clock::now();
  iterjson::encoder enc(numbers, {.chunk_size = s.chunk_size});
  std::size_t bytes = 0;
  std::size_t slices = 0;
  while (!enc.done()) {
    const std::string_view slice = enc.next();
    if (std::fwrite(slice.data(), 1, slice.size(), out) != slice.size()) usage("write failed");
    bytes += slice.size();
    ++slices;
  }
  std::fclose(out);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  rusage usage_now{};
  getrusage(RUSAGE_SELF, &usage_now);
  std::printf("numbers:     %lld\n", s.count);
  std::printf("bytes:       %zu (%.1f MB)\n", bytes, static_cast<double>(bytes) / 1e6);
  std::printf("slices:      %zu of at most %zu bytes\n", slices, s.chunk_size);
  std::printf("time:        %.3f s (%.0f MB/s)\n", seconds, static_cast<double>(bytes) / 1e6 / seconds);
  std::printf("peak memory: %.1f MiB resident for the whole process\n", static_cast<double>(usage_now.ru_maxrss) / 1024);
  return 0;
}
