#include "iterjson/framing.hpp"

#include <cstddef>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.hpp"

using iterjson::testing::encode_every_way;
using iterjson::testing::generated;

TEST_CASE("ndjson writes one compact value per line, each line ended") {
  const std::vector<std::map<std::string, int>> events{{{"id", 1}}, {}, {{"id", 3}, {"x", -1}}};
  CHECK(encode_every_way(iterjson::ndjson(events)) == "{\"id\":1}\n{}\n{\"id\":3,\"x\":-1}\n");
  CHECK(encode_every_way(iterjson::ndjson(std::vector<int>{})).empty());
  CHECK(encode_every_way(iterjson::ndjson(std::vector<std::vector<int>>{{1, 2}, {}})) == "[1,2]\n[]\n");
}

TEST_CASE("ndjson keeps the options that do not add newlines") {
  const std::vector<std::map<std::string, int>> events{{{"b", 1}, {"a", 2}}};
  const iterjson::options spaced{.item_separator = ", ", .key_separator = ": "};
  CHECK(iterjson::to_string(iterjson::ndjson(events), spaced) == "{\"a\": 2, \"b\": 1}\n");
}

TEST_CASE("ndjson of a lazy range of temporaries, moved in or referenced") {
  const auto lines = generated(1000, [](std::size_t i) { return std::vector<std::size_t>{i, i * i}; });
  const std::string text = encode_every_way(iterjson::ndjson(lines));
  std::istringstream in(text);
  std::string line;
  std::size_t count = 0;
  while (std::getline(in, line)) {
    CHECK(line == iterjson::to_string(std::vector<std::size_t>{count, count * count}));
    ++count;
  }
  CHECK(count == 1000);
  iterjson::encoder owned(iterjson::ndjson(generated(3, [](std::size_t i) { return std::to_string(i); })));
  std::string from_owned;
  while (!owned.done()) from_owned += owned.next();
  CHECK(from_owned == "\"0\"\n\"1\"\n\"2\"\n");
}

namespace {

// 0, 1, 2, ... without end.
struct counting {
  std::size_t count = 0;
  struct iterator {
    using value_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    std::size_t value = 0;
    std::size_t operator*() const { return value; }
    iterator& operator++() {
      ++value;
      return *this;
    }
    void operator++(int) { ++value; }
    bool operator==(std::unreachable_sentinel_t) const { return false; }
  };
  iterator begin() const { return {}; }
  std::unreachable_sentinel_t end() const { return {}; }
};

}  // namespace

TEST_CASE("an endless ndjson stream is produced on demand") {
  iterjson::encoder enc(iterjson::ndjson(counting{}), {.chunk_size = 64});
  std::string text;
  for (int i = 0; i < 100; ++i) text += enc.next();
  CHECK_FALSE(enc.done());
  CHECK(text.size() == 6400);
  CHECK(text.starts_with("0\n1\n2\n"));
}

TEST_CASE("a stream of values is only a root value, and never indented") {
  const std::vector<int> values{1, 2};
  std::vector<iterjson::value_stream<const std::vector<int>&, iterjson::ndjson_format>> nested{iterjson::ndjson(values)};
  CHECK_THROWS_WITH_AS(iterjson::to_string(nested), "a stream of values must be the encoder's root value at \"/0\"",
                       iterjson::encode_error);
  CHECK_THROWS_WITH_AS(iterjson::to_string(iterjson::ndjson(values), {.indent = 2}),
                       "a stream of values is written compactly: options::indent must be negative at \"\"",
                       iterjson::encode_error);
}

TEST_CASE("an element that fails names its line") {
  const std::vector<double> values{1.0, std::numeric_limits<double>::quiet_NaN()};
  CHECK_THROWS_WITH_AS(iterjson::to_string(iterjson::ndjson(values)),
                       "NaN is not allowed by nan_policy::error at \"/1\"", iterjson::encode_error);
}

TEST_CASE("http_chunked writes a chunk header right before the payload") {
  CHECK(iterjson::http_chunked::header_room(0xf) == 3);
  CHECK(iterjson::http_chunked::header_room(0x10) == 4);
  CHECK(iterjson::http_chunked::header_room(16 * 1024) == 6);
  for (const auto& [size, header] : std::vector<std::pair<std::size_t, std::string>>{
           {1, "1\r\n"}, {0xa, "a\r\n"}, {0x10, "10\r\n"}, {16 * 1024, "4000\r\n"}, {0xbeef, "beef\r\n"}}) {
    char buffer[16] = {};
    char* payload = buffer + 10;
    char* start = iterjson::http_chunked::write_header_before(payload, size);
    CHECK(std::string(start, payload) == header);
  }
}
