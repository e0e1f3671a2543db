#pragma once

// Helpers shared by the tests: every way of draining an encoder, compared; lazy ranges;
// the decoder of HTTP chunked bodies.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
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

// [0, 1, ..., count - 1], never materialized.
inline auto lazy_numbers(std::size_t count) {
  return generated(count, [](std::size_t i) { return i; });
}

// An HTTP/1.1 chunked body (RFC 9112, section 7.1), decoded as its bytes arrive, cut
// anywhere: the tests' one decoder, for a whole response, for the start of one, and for a
// thousand at once, whose bodies it passes on without keeping them. Chunk extensions and
// trailers, which the server never sends, are malformed here.
class chunked_decoder {
 public:
  // Decodes the next bytes of the stream, passing chunk data to `on_data` as it comes, a
  // chunk perhaps in several pieces. False from the first byte that breaks the framing
  // on: a size line not in hex digits, a chunk not ended by CRLF, a byte after the last
  // chunk.
  template <class OnData>
  bool take(std::string_view bytes, OnData&& on_data) {
    while (!bytes.empty() && ok_) {
      if (crlf_left_ != 0) {  // the CRLF after a chunk's data, or after the last chunk
        ok_ = bytes.front() == "\r\n"[2 - crlf_left_];
        --crlf_left_;
        bytes.remove_prefix(1);
      } else if (data_left_ != 0) {
        const std::size_t n = std::min(data_left_, bytes.size());
        on_data(bytes.substr(0, n));
        data_left_ -= n;
        bytes.remove_prefix(n);
        if (data_left_ == 0) crlf_left_ = 2;
      } else if (ended_) {
        ok_ = false;
      } else {
        take_size_line(bytes.front());
        bytes.remove_prefix(1);
      }
    }
    return ok_;
  }

  // The last chunk arrived, and nothing wrong before it.
  [[nodiscard]] bool complete() const { return ok_ && ended_ && crlf_left_ == 0; }
  // The longest chunk so far as it was sent: size line, data and CRLF.
  [[nodiscard]] std::size_t largest_chunk() const { return largest_chunk_; }

 private:
  void take_size_line(char c) {
    size_line_ += c;
    if (!size_line_.ends_with("\r\n")) {
      ok_ = size_line_.size() < 16;
      return;
    }
    const char* digits_end = size_line_.data() + size_line_.size() - 2;
    const auto [end, error] = std::from_chars(size_line_.data(), digits_end, data_left_, 16);
    ok_ = error == std::errc{} && end == digits_end && end != size_line_.data();
    largest_chunk_ = std::max(largest_chunk_, size_line_.size() + data_left_ + 2);
    size_line_.clear();
    if (data_left_ == 0) {  // the last chunk
      ended_ = true;
      crlf_left_ = 2;
    }
  }

  std::string size_line_;
  std::size_t data_left_ = 0;  // of the chunk under way
  std::size_t crlf_left_ = 0;  // bytes of a CRLF due
  std::size_t largest_chunk_ = 0;
  bool ended_ = false;
  bool ok_ = true;
};

// The body of a whole chunked stream, or nothing if it is malformed or incomplete.
inline std::optional<std::string> decode_chunked(std::string_view stream) {
  chunked_decoder decoder;
  std::string body;
  decoder.take(stream, [&](std::string_view data) { body += data; });
  return decoder.complete() ? std::optional(std::move(body)) : std::nullopt;
}

// The chunk data at the start of a chunked stream cut anywhere, its last chunk perhaps in
// part; the framing so far must be right.
inline std::string decode_chunked_prefix(std::string_view stream) {
  chunked_decoder decoder;
  std::string body;
  REQUIRE(decoder.take(stream, [&](std::string_view data) { body += data; }));
  return body;
}

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
  std::string appended = "[0,";
  append_to(appended, value, opts);
  CHECK(appended == "[0," + text);
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
  std::string appended = "[0,";
  append_to(appended, make(), opts);
  CHECK(appended == "[0," + text);
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
