#include "iterjson/encoder.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

using iterjson::testing::encode_every_way;
using iterjson::encoder;
using iterjson::options;

namespace {

// A value nested `depth` arrays deep, made on the fly: each level is a temporary the
// encoder must keep while the levels below it are written.
struct nested_arrays {
  std::size_t depth;
};

}  // namespace

template <>
struct iterjson::encode_as<nested_arrays> {
  static std::vector<nested_arrays> convert(const nested_arrays& level) {
    if (level.depth <= 1) return {};
    return {nested_arrays{level.depth - 1}};
  }
};

TEST_CASE("every way of draining an encoder gives the same text") {
  const std::map<std::string, std::vector<int>> value{{"a", {1, 2, 3}}, {"b", {}}, {"c\"", {-7}}};
  CHECK(encode_every_way(value) == R"({"a":[1,2,3],"b":[],"c\"":[-7]})");
  CHECK(encode_every_way(value, {.indent = 1, .item_separator = ", ", .key_separator = ": "}) ==
        "{\n \"a\": [\n  1, \n  2, \n  3\n ], \n \"b\": [], \n \"c\\\"\": [\n  -7\n ]\n}");
}

TEST_CASE("scalars at the root") {
  CHECK(encode_every_way(42) == "42");
  CHECK(encode_every_way(true) == "true");
  CHECK(encode_every_way(nullptr) == "null");
  CHECK(encode_every_way(std::string("text")) == "\"text\"");
  CHECK(encode_every_way(2.5) == "2.5");
}

TEST_CASE("next() honours every chunk size exactly") {
  std::vector<std::string> words;
  for (int i = 0; i < 50; ++i) words.push_back(std::string(static_cast<std::size_t>(i), 'x') + "\n\"");
  const std::string expected = iterjson::to_string(words);
  for (std::size_t chunk = 1; chunk <= 40; ++chunk) {
    encoder enc(words, {.chunk_size = chunk});
    std::string text;
    while (!enc.done()) {
      const std::string_view slice = enc.next();
      REQUIRE(!slice.empty());
      REQUIRE(slice.size() <= chunk);
      text += slice;
    }
    CHECK(text == expected);
  }
}

TEST_CASE("a rvalue is moved in and owned, an lvalue is referenced") {
  encoder owned(std::vector<std::string>{"kept", "alive"});
  CHECK(std::string(owned.next()) == R"(["kept","alive"])");

  std::vector<int> referenced{1, 2};
  encoder enc(referenced);
  referenced.push_back(3);  // seen: the encoder reads the value when it writes it
  CHECK(std::string(enc.next()) == "[1,2,3]");
}

TEST_CASE("an encoder can be moved and parked between slices") {
  std::vector<int> value(1000);
  for (int i = 0; i < 1000; ++i) value[static_cast<std::size_t>(i)] = i;
  encoder first(value, {.chunk_size = 100});
  std::string text(first.next());
  encoder parked = std::move(first);
  std::vector<encoder> connections;
  connections.push_back(std::move(parked));
  while (!connections.back().done()) text += connections.back().next();
  CHECK(text == iterjson::to_string(value));
}

TEST_CASE("a moved-from encoder is done and writes nothing") {
  encoder first(std::vector<int>{1, 2});
  encoder second = std::move(first);
  CHECK(first.done());  // NOLINT(bugprone-use-after-move): the state is specified
  CHECK_FALSE(first.failed());
  CHECK(first.next().empty());
  char buffer[4];
  CHECK(first.read(buffer, sizeof buffer) == 0);
  CHECK(first.error_path().empty());
  CHECK(std::string(second.next()) == "[1,2]");
}

TEST_CASE("a long clean string is handed out in place, without a copy") {
  const std::vector<std::string> value{std::string(100'000, 'a')};
  const std::string& long_text = value[0];
  encoder enc(value, {.chunk_size = 4096});
  std::string text;
  std::size_t slices_in_place = 0;
  while (!enc.done()) {
    const std::string_view slice = enc.next();
    const bool in_place = slice.data() >= long_text.data() && slice.data() < long_text.data() + long_text.size();
    if (in_place) ++slices_in_place;
    text += slice;
  }
  CHECK(text == "[\"" + long_text + "\"]");
  CHECK(slices_in_place >= 20);  // all but the first and last chunks of the string
}

TEST_CASE("a string that needs escaping is never handed out in place") {
  std::string text(20'000, 'a');
  text[10'000] = '\n';
  encoder enc(text, {.chunk_size = 4096});
  std::string out;
  while (!enc.done()) out += enc.next();
  CHECK(out == iterjson::to_string(text));
  CHECK(out.find("\\n") == 10'001);
}

TEST_CASE("work per call is bounded by the slice, not by the string") {
  // A 64 MiB string of which only the first MiB may be touched: reading further would
  // fault. Writing its first slices proves no call scans the whole string.
  const std::size_t page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  const std::size_t total = std::size_t{64} << 20;
  const std::size_t readable = std::size_t{1} << 20;
  void* region = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(region != MAP_FAILED);
  auto* bytes = static_cast<char*>(region);
  std::memset(bytes, 'q', readable);
  bytes[1000] = '\t';  // some escaping on the way
  REQUIRE(mprotect(bytes + readable, total - readable, PROT_NONE) == 0);
  (void)page;

  for (const auto invalid : {iterjson::utf8_policy::replace, iterjson::utf8_policy::verbatim}) {
    const std::string_view huge(bytes, total);
    encoder enc(huge, {.invalid_utf8 = invalid, .chunk_size = 4096});
    std::size_t produced = 0;
    for (int i = 0; i < 100; ++i) produced += enc.next().size();
    CHECK(produced == 100 * 4096);
    CHECK_FALSE(enc.done());

    char buffer[10'000];
    encoder reader(huge, {.invalid_utf8 = invalid});
    CHECK(reader.read(buffer, sizeof buffer) == sizeof buffer);
    CHECK(std::string_view(buffer, 3) == "\"qq");
  }
  munmap(region, total);
}

TEST_CASE("a lazy range is encoded without being materialized") {
  using iterjson::testing::generated;
  CHECK(encode_every_way(generated(5, [](std::size_t i) { return i * i; })) == "[0,1,4,9,16]");
  CHECK(encode_every_way(generated(3, [](std::size_t i) { return std::string(i + 1, 'z'); })) == R"(["z","zz","zzz"])");
  CHECK(encode_every_way(generated(3, [](std::size_t i) { return std::vector<std::size_t>(i, i); })) ==
        "[[],[1],[2,2]]");
  std::size_t pulled = 0;
  encoder enc(generated(1'000'000, [&pulled](std::size_t i) {
                ++pulled;
                return i;
              }),
              {.chunk_size = 100});
  (void)enc.next();
  CHECK(pulled < 60);  // about 37 numbers fill the first 100 bytes; not a million
}

#if ITERJSON_TEST_STD_VIEWS
TEST_CASE("std::views pipelines are lazy ranges too") {
  auto squares = std::views::iota(0, 5) | std::views::transform([](int i) { return i * i; });
  CHECK(encode_every_way(squares) == "[0,1,4,9,16]");
  auto names = std::views::iota(1, 4) | std::views::transform([](int i) { return std::string(static_cast<std::size_t>(i), 'z'); });
  CHECK(encode_every_way(names) == R"(["z","zz","zzz"])");
  auto rows = std::views::iota(0, 3) | std::views::transform([](int i) { return std::vector<int>(static_cast<std::size_t>(i), i); });
  CHECK(encode_every_way(rows) == "[[],[1],[2,2]]");
}
#endif

TEST_CASE("a million levels of nesting, on the encoder's own stack") {
  constexpr std::size_t depth = 1'000'000;
  const std::string expected = std::string(depth, '[') + std::string(depth, ']');
  CHECK(iterjson::to_string(nested_arrays{depth}) == expected);

  encoder enc(nested_arrays{depth}, {.chunk_size = 65536});
  std::string text;
  while (!enc.done()) text += enc.next();
  CHECK(text == expected);

  CHECK_THROWS_AS(iterjson::to_string(nested_arrays{depth + 1}), iterjson::encode_error);
  CHECK(iterjson::to_string(nested_arrays{depth + 1}, {.max_depth = depth + 1}).size() == 2 * (depth + 1));
}

TEST_CASE("deep indentation is written across slices") {
  const std::string text = encode_every_way(nested_arrays{300}, {.indent = 40});
  CHECK(text.size() == iterjson::to_string(nested_arrays{300}, {.indent = 40}).size());
  CHECK(text.substr(0, 3) == "[\n ");
  CHECK(text.find(std::string(40 * 298, ' ') + "[]") != std::string::npos);
}

TEST_CASE("a zero chunk size is refused") {
  CHECK_THROWS_AS(encoder(1, {.chunk_size = 0}), std::invalid_argument);
}

TEST_CASE("iterencode is an input range of slices") {
  static_assert(std::ranges::input_range<iterjson::slice_range>);
  std::string text;
  std::size_t slices = 0;
  for (const std::string_view slice : iterjson::iterencode(std::vector<int>(100, 7), {.chunk_size = 10})) {
    text += slice;
    ++slices;
  }
  CHECK(slices == 21);  // 201 bytes in slices of 10
  CHECK(text.size() == 201);
}

TEST_CASE("append_to writes into the string's own storage, and reuses it") {
  std::vector<std::string> words;
  for (int i = 0; i < 40000; ++i) words.push_back("word " + std::to_string(i));  // 400 KiB: steps of 64 KiB
  const std::string whole = iterjson::to_string(words);
  REQUIRE(whole.size() > 6 * 64 * 1024);

  std::string answer = "HTTP/1.1 200 OK\r\n\r\n";
  iterjson::append_to(answer, words);
  CHECK(answer == "HTTP/1.1 200 OK\r\n\r\n" + whole);

  answer.clear();
  const char* storage = answer.data();
  const std::size_t capacity = answer.capacity();
  iterjson::append_to(answer, words);
  CHECK(answer == whole);
  CHECK(answer.data() == storage);  // cleared, the string was big enough: no new storage
  CHECK(answer.capacity() == capacity);

  answer.clear();
  iterjson::append_to(answer, std::vector<int>{});
  CHECK(answer == "[]");
}

TEST_CASE("append_to leaves the string as it was on a failure") {
  const std::vector<double> numbers{1.0, 2.0, std::nan("")};
  std::string text = "kept";
  CHECK_THROWS_AS(iterjson::append_to(text, numbers, {.nan = iterjson::nan_policy::error}), iterjson::encode_error);
  CHECK(text == "kept");

  std::error_code error;
  iterjson::append_to(text, numbers, {.nan = iterjson::nan_policy::error}, error);
  CHECK(error == iterjson::encode_errc::non_finite_number);
  CHECK(text == "kept");

  // A user's exception, after more than one step of text, goes on unchanged.
  const iterjson::testing::generated failing(100000, [](std::size_t i) {
    if (i == 90000) throw std::runtime_error("the source broke");
    return i;
  });
  CHECK_THROWS_WITH_AS(iterjson::append_to(text, failing), "the source broke", std::runtime_error);
  CHECK(text == "kept");
}
