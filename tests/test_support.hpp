#pragma once

// Helpers shared by the tests: every way of draining an encoder, compared.

#include <cstddef>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <doctest/doctest.h>

#include "iterjson/iterjson.hpp"

// Clang 14 cannot compile libstdc++ 12's std::views (a known incompatibility of those
// versions, not of iterjson); tests of std::views pipelines are left out there.
#if defined(__clang__) && __clang_major__ < 15 && defined(_GLIBCXX_RELEASE)
#define ITERJSON_TEST_STD_VIEWS 0
#else
#define ITERJSON_TEST_STD_VIEWS 1
#endif

namespace iterjson::testing {

// A lazy range of f(0), ..., f(count - 1), made without std::views: each element is a
// temporary, computed when the encoder asks for it.
template <class F>
class generated {
 public:
  generated(std::size_t count, F f) : count_(count), f_(std::move(f)) {}

  class iterator {
   public:
    using value_type = std::remove_cvref_t<std::invoke_result_t<F&, std::size_t>>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const generated* range, std::size_t index) : range_(range), index_(index) {}
    value_type operator*() const { return range_->f_(index_); }
    iterator& operator++() {
      ++index_;
      return *this;
    }
    iterator operator++(int) { return {range_, index_++}; }
    bool operator==(const iterator& other) const { return index_ == other.index_; }

   private:
    const generated* range_ = nullptr;
    std::size_t index_ = 0;
  };

  [[nodiscard]] iterator begin() const { return {this, 0}; }
  [[nodiscard]] iterator end() const { return {this, count_}; }

 private:
  std::size_t count_;
  mutable F f_;
};

// Concatenation of next() slices; checks each slice's size contract on the way.
template <class T>
std::string concat_next(T&& value, const options& opts = {}) {
  encoder enc(std::forward<T>(value), opts);
  std::string text;
  while (!enc.done()) {
    const std::string_view slice = enc.next();
    REQUIRE((!slice.empty() || enc.done()));
    REQUIRE(slice.size() <= opts.chunk_size);
    text += slice;
  }
  CHECK(enc.next().empty());
  return text;
}

// Concatenation of read() calls of `size` bytes; only the last may come up short.
template <class T>
std::string concat_read(T&& value, std::size_t size, const options& opts = {}) {
  encoder enc(std::forward<T>(value), opts);
  std::string text;
  std::string buffer(size, '\0');
  for (;;) {
    const std::size_t n = enc.read(buffer.data(), size);
    text.append(buffer.data(), n);
    if (n < size) {
      REQUIRE(enc.done());
      break;
    }
  }
  return text;
}

// Encodes `value` every way there is (to_string; next() with the given options and
// with small chunks; read() with buffer sizes 1, 2, 3, 7, 64, 4096; iterencode), checks
// they agree, and returns the text.
template <class T>
std::string encode_every_way(const T& value, options opts = {}) {
  const std::string text = to_string(value, opts);
  CHECK(concat_next(value, opts) == text);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{64}}) {
    options small = opts;
    small.chunk_size = chunk;
    CHECK(concat_next(value, small) == text);
  }
  for (const std::size_t size : {1, 2, 3, 7, 64, 4096}) CHECK(concat_read(value, size, opts) == text);
  std::string from_range;
  for (const std::string_view slice : iterencode(value, opts)) from_range += slice;
  CHECK(from_range == text);
  return text;
}

// As encode_every_way, for single-pass values (generators, sources): `make()` gives a
// fresh one for each way.
template <class Make>
std::string encode_every_way_from(Make make, options opts = {}) {
  const std::string text = to_string(make(), opts);
  CHECK(concat_next(make(), opts) == text);
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{64}}) {
    options small = opts;
    small.chunk_size = chunk;
    CHECK(concat_next(make(), small) == text);
  }
  for (const std::size_t size : {1, 2, 3, 7, 64, 4096}) CHECK(concat_read(make(), size, opts) == text);
  std::string from_range;
  for (const std::string_view slice : iterencode(make(), opts)) from_range += slice;
  CHECK(from_range == text);
  return text;
}

// Runs a shell command; what it printed (stdout and stderr) and its exit status.
struct command_result {
  int status;
  std::string output;
};

inline command_result run_command(const std::string& command) {
  std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE_MESSAGE(pipe != nullptr, "cannot run " << command);
  std::string output;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) != 0;) output.append(buffer, n);
  return {::pclose(pipe), std::move(output)};
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot open " << path);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

inline std::string shared_data(const std::string& relative) {
  return std::string(ITERJSON_SHARED_DATA_DIR) + "/" + relative;
}

}  // namespace iterjson::testing
