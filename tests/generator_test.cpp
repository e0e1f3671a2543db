#include "iterjson/generator.hpp"

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "test_support.hpp"

using iterjson::testing::encode_every_way_from;

namespace {

iterjson::generator<int> squares(int count) {
  for (int i = 0; i < count; ++i) co_yield i * i;
}

iterjson::generator<long long> naturals() {
  for (long long i = 0;; ++i) co_yield i;
}

// Each yielded value is a container the encoder writes over many slices at small sizes.
iterjson::generator<std::vector<std::string>> rows(int count) {
  for (int i = 0; i < count; ++i) {
    std::vector<std::string> row{"row", std::to_string(i), std::string(static_cast<std::size_t>(i) * 7, 'x')};
    co_yield row;
  }
}

iterjson::generator<std::pair<std::string, int>> members() {
  co_yield {"b", 2};
  co_yield {"a", 1};
  co_yield {"c", 3};
}

iterjson::generator<int> failing_at(int position, int count) {
  for (int i = 0; i < count; ++i) {
    if (i == position) throw std::runtime_error(std::string("source failed at ").append(std::to_string(i)));
    co_yield i;
  }
}

iterjson::generator<std::map<std::string, iterjson::generator<int>>> nested() {
  std::map<std::string, iterjson::generator<int>> outer;
  outer.emplace("inner", squares(3));
  co_yield std::move(outer);
}

}  // namespace

TEST_CASE("a generator encodes as an array of what it yields") {
  CHECK(encode_every_way_from([] { return squares(4); }) == "[0,1,4,9]");
  CHECK(encode_every_way_from([] { return squares(0); }) == "[]");
  CHECK(encode_every_way_from([] { return squares(3); }, {.indent = 2}) == "[\n  0,\n  1,\n  4\n]");
}

TEST_CASE("yielded containers live until they are written, at every slice size") {
  std::string expected = "[";
  for (int i = 0; i < 20; ++i) {
    if (i != 0) expected += ",";
    expected.append(R"(["row",")").append(std::to_string(i)).append(R"(",")");
    expected.append(static_cast<std::size_t>(i) * 7, 'x').append("\"]");
  }
  expected += "]";
  CHECK(encode_every_way_from([] { return rows(20); }) == expected);
}

TEST_CASE("an endless generator is written as far as it is read") {
  iterjson::encoder enc(naturals(), {.chunk_size = 16});
  std::string text;
  for (int slices = 0; slices < 4; ++slices) text += enc.next();
  CHECK(text == "[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,2");
  CHECK(!enc.done());
}

TEST_CASE("a generator of pairs is an array of arrays; as_object makes it an object") {
  CHECK(encode_every_way_from([] { return members(); }) == R"([["b",2],["a",1],["c",3]])");
  CHECK(encode_every_way_from([] { return iterjson::as_object(members()); }) == R"({"b":2,"a":1,"c":3})");
  CHECK(encode_every_way_from([] { return iterjson::as_object(members()); }, {.sort_keys = true}) ==
        R"({"a":1,"b":2,"c":3})");
}

TEST_CASE("generators nest") {
  CHECK(encode_every_way_from([] { return nested(); }) == R"([{"inner":[0,1,4]}])");
}

TEST_CASE("an exception from the body comes out of next() with the path of the element made") {
  for (const int position : {0, 2, 4}) {
    iterjson::encoder enc(failing_at(position, 5));
    std::string text;
    try {
      while (!enc.done()) text += enc.next();
      FAIL("no exception");
    } catch (const std::runtime_error& error) {
      CHECK(std::string(error.what()) == std::string("source failed at ").append(std::to_string(position)));
    }
    CHECK(enc.failed());
    CHECK(enc.done());
    CHECK(enc.error_path() == std::string("/").append(std::to_string(position)));
  }
}
