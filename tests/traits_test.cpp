#include "iterjson/traits.hpp"

#include <array>
#include <cstdio>
#include <cstdint>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <variant>
#include <vector>

#include "test_support.hpp"

using iterjson::testing::encode_every_way;

namespace {

struct point {
  int x;
  int y;
};

struct money {
  std::int64_t cents;
};

struct label {
  std::string text;
};

// A tagged union of the user's own, encoded through variant_traits.
struct shape {
  enum class kind { none, circle, square } tag;
  double size;
};

struct not_encodable_type {};

}  // namespace

ITERJSON_FIELDS(point, x, y);

template <>
struct iterjson::encode_as<money> {
  static std::string convert(const money& m) {
    return std::to_string(m.cents / 100) + "." + std::to_string(m.cents % 100 / 10) + std::to_string(m.cents % 10);
  }
};

template <>
struct iterjson::encode_as<label> {
  static const std::string& convert(const label& l) { return l.text; }
};

template <>
struct iterjson::variant_traits<shape> {
  template <class Visitor>
  static void visit(const shape& s, Visitor&& visitor) {
    switch (s.tag) {
      case shape::kind::none: return visitor(nullptr);
      case shape::kind::circle: return visitor(std::map<std::string, double>{{"radius", s.size}});
      case shape::kind::square: return visitor(std::array<double, 2>{s.size, s.size});
    }
  }
};

TEST_CASE("booleans and integers of every type") {
  CHECK(encode_every_way(std::make_tuple(true, false)) == "[true,false]");
  CHECK(encode_every_way(std::make_tuple(std::int8_t{-128}, std::uint8_t{255}, std::int16_t{-32768},
                                         std::uint16_t{65535}, std::int32_t{INT32_MIN}, std::uint32_t{UINT32_MAX},
                                         std::int64_t{INT64_MIN}, std::uint64_t{UINT64_MAX}, 'A')) ==
        "[-128,255,-32768,65535,-2147483648,4294967295,-9223372036854775808,18446744073709551615,65]");
}

TEST_CASE("floating point as Python's repr") {
  CHECK(encode_every_way(std::vector<double>{0.0, -0.0, 1.0, 0.1, 1e16, 1e15, 1e-5, 1e-4, 123456789.125, 5e-324,
                                             1.7976931348623157e308}) ==
        "[0.0,-0.0,1.0,0.1,1e+16,1000000000000000.0,1e-05,0.0001,123456789.125,5e-324,1.7976931348623157e+308]");
  // A float keeps its own shortest digits rather than a double's.
  CHECK(encode_every_way(std::vector<float>{0.1f, 3.0f, 1e20f}) == "[0.1,3.0,1e+20]");
}

TEST_CASE("strings of every kind") {
  const char* pointer = "ptr";
  const char* null_pointer = nullptr;
  std::string owned = "owned";
  CHECK(encode_every_way(std::make_tuple("literal", pointer, null_pointer, owned, std::string_view("view"))) ==
        R"(["literal","ptr",null,"owned","view"])");
}

TEST_CASE("null, optional, variant and pointers") {
  CHECK(encode_every_way(std::make_tuple(nullptr, std::monostate{}, std::optional<int>{}, std::optional<int>{5})) ==
        "[null,null,null,5]");
  using alternative = std::variant<std::monostate, int, std::string, std::vector<int>>;
  CHECK(encode_every_way(std::vector<alternative>{{}, 1, std::string("s"), std::vector<int>{2}}) ==
        R"([null,1,"s",[2]])");
  std::unique_ptr<int> empty;
  CHECK(encode_every_way(std::make_tuple(std::make_unique<int>(3), std::move(empty), std::make_shared<std::string>("sh"),
                                         std::shared_ptr<std::vector<int>>{})) == R"([3,null,"sh",null])");
}

TEST_CASE("pairs and tuples are arrays; ranges of pairs stay arrays") {
  CHECK(encode_every_way(std::pair<int, std::string>{1, "a"}) == R"([1,"a"])");
  CHECK(encode_every_way(std::tuple<>{}) == "[]");
  CHECK(encode_every_way(std::vector<std::pair<std::string, int>>{{"a", 1}}) == R"([["a",1]])");
}

TEST_CASE("containers: sequences and sets are arrays, maps are objects") {
  CHECK(encode_every_way(std::list<int>{1, 2}) == "[1,2]");
  CHECK(encode_every_way(std::deque<int>{3}) == "[3]");
  CHECK(encode_every_way(std::forward_list<int>{4, 5}) == "[4,5]");
  CHECK(encode_every_way(std::set<std::string>{"b", "a"}) == R"(["a","b"])");
  CHECK(encode_every_way(std::array<int, 3>{7, 8, 9}) == "[7,8,9]");
  CHECK(encode_every_way(std::map<std::string, std::map<std::string, int>>{{"o", {{"i", 1}}}}) == R"({"o":{"i":1}})");
  CHECK(encode_every_way(std::multimap<int, int>{{1, 1}, {1, 2}}) == R"({"1":1,"1":2})");
}

#if ITERJSON_TEST_STD_VIEWS
TEST_CASE("a single-pass input range is read once") {
  std::istringstream numbers("1 2 3 4");
  auto view = std::views::istream<int>(numbers);
  CHECK(iterjson::to_string(view) == "[1,2,3,4]");
}
#endif

TEST_CASE("ITERJSON_FIELDS writes a struct as an object, keys made at compile time") {
  CHECK(encode_every_way(point{1, -2}) == R"({"x":1,"y":-2})");
  CHECK(encode_every_way(std::vector<point>{{1, 2}, {3, 4}}, {.indent = 1}) ==
        "[\n {\n  \"x\":1,\n  \"y\":2\n },\n {\n  \"x\":3,\n  \"y\":4\n }\n]");
  static_assert(std::get<0>(iterjson::struct_fields<point>::members).quoted_name == "\"x\"");
}

TEST_CASE("encode_as converts to a value the encoder keeps, or to a reference") {
  CHECK(encode_every_way(std::vector<money>{{12345}, {7}}) == R"(["123.45","0.07"])");
  CHECK(encode_every_way(label{"a \"quoted\" label"}) == R"("a \"quoted\" label")");
}

TEST_CASE("variant_traits picks the JSON kind at run time") {
  CHECK(encode_every_way(std::vector<shape>{{shape::kind::none, 0}, {shape::kind::circle, 1.5},
                                            {shape::kind::square, 2}}) == R"([null,{"radius":1.5},[2.0,2.0]])");
}

TEST_CASE("an unsupported type fails to compile with an error naming it") {
  const std::string command = std::string(ITERJSON_CXX) + " -std=c++20 -fsyntax-only -I" + ITERJSON_INCLUDE_DIR +
                              " " + ITERJSON_TESTS_DIR + "/compile_fail/unsupported_type.cpp 2>&1";
  std::FILE* compiler = popen(command.c_str(), "r");
  REQUIRE(compiler != nullptr);
  std::string diagnostics;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, compiler)) diagnostics.append(buffer, n);
  const int status = pclose(compiler);
  CHECK(status != 0);
  CHECK(diagnostics.find("iterjson: this type is not encodable") != std::string::npos);
  CHECK(diagnostics.find("not_encodable<widget>") != std::string::npos);
}

TEST_CASE("the encodable concept tells what can be written") {
  static_assert(iterjson::encodable<int>);
  static_assert(iterjson::encodable<std::map<std::string, std::vector<point>>>);
  static_assert(iterjson::encodable<money>);
  static_assert(iterjson::encodable<shape>);
  static_assert(!iterjson::encodable<not_encodable_type>);
  static_assert(!iterjson::encodable<std::thread>);
  static_assert(!iterjson::encodable<long double>);
  static_assert(!iterjson::encodable<int*>);
}
