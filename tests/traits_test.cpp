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
#include <span>
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

// Converts to a view of its own data: a temporary the array frame keeps in itself.
struct readings {
  std::vector<int> values;
};

}  // namespace

ITERJSON_FIELDS(point, x, y);

namespace {
struct wide {
  int f0 = 0;
  int f1 = 1;
  int f2 = 2;
  int f3 = 3;
  int f4 = 4;
  int f5 = 5;
  int f6 = 6;
  int f7 = 7;
  int f8 = 8;
  int f9 = 9;
  int f10 = 10;
  int f11 = 11;
  int f12 = 12;
  int f13 = 13;
  int f14 = 14;
  int f15 = 15;
  int f16 = 16;
  int f17 = 17;
  int f18 = 18;
  int f19 = 19;
  int f20 = 20;
  int f21 = 21;
  int f22 = 22;
  int f23 = 23;
  int f24 = 24;
  int f25 = 25;
  int f26 = 26;
  int f27 = 27;
  int f28 = 28;
  int f29 = 29;
  int f30 = 30;
  int f31 = 31;
  int f32 = 32;
  int f33 = 33;
  int f34 = 34;
  int f35 = 35;
  int f36 = 36;
  int f37 = 37;
  int f38 = 38;
  int f39 = 39;
  int f40 = 40;
  int f41 = 41;
  int f42 = 42;
  int f43 = 43;
  int f44 = 44;
  int f45 = 45;
  int f46 = 46;
  int f47 = 47;
  int f48 = 48;
  int f49 = 49;
  int f50 = 50;
  int f51 = 51;
  int f52 = 52;
  int f53 = 53;
  int f54 = 54;
  int f55 = 55;
  int f56 = 56;
  int f57 = 57;
  int f58 = 58;
  int f59 = 59;
};
}  // namespace
ITERJSON_FIELDS(wide, f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25, f26, f27, f28, f29, f30, f31, f32, f33, f34, f35, f36, f37, f38, f39, f40, f41, f42, f43, f44, f45, f46, f47, f48, f49, f50, f51, f52, f53, f54, f55, f56, f57, f58, f59);

template <>
struct iterjson::encode_as<money> {
  static std::string convert(const money& m) {
    return std::to_string(m.cents / 100) + "." + std::to_string(m.cents % 100 / 10) + std::to_string(m.cents % 10);
  }
};

template <>
struct iterjson::encode_as<readings> {
  static std::span<const int> convert(const readings& r) { return r.values; }
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
        "[\n {\n  \"x\": 1,\n  \"y\": 2\n },\n {\n  \"x\": 3,\n  \"y\": 4\n }\n]");
  static_assert(std::get<0>(iterjson::struct_fields<point>::members).quoted_name == "\"x\"");
}

TEST_CASE("ITERJSON_FIELDS takes structs of many fields") {
  CHECK(encode_every_way(wide{}) == "{\"f0\":0,\"f1\":1,\"f2\":2,\"f3\":3,\"f4\":4,\"f5\":5,\"f6\":6,\"f7\":7,\"f8\":8,\"f9\":9,\"f10\":10,\"f11\":11,\"f12\":12,\"f13\":13,\"f14\":14,\"f15\":15,\"f16\":16,\"f17\":17,\"f18\":18,\"f19\":19,\"f20\":20,\"f21\":21,\"f22\":22,\"f23\":23,\"f24\":24,\"f25\":25,\"f26\":26,\"f27\":27,\"f28\":28,\"f29\":29,\"f30\":30,\"f31\":31,\"f32\":32,\"f33\":33,\"f34\":34,\"f35\":35,\"f36\":36,\"f37\":37,\"f38\":38,\"f39\":39,\"f40\":40,\"f41\":41,\"f42\":42,\"f43\":43,\"f44\":44,\"f45\":45,\"f46\":46,\"f47\":47,\"f48\":48,\"f49\":49,\"f50\":50,\"f51\":51,\"f52\":52,\"f53\":53,\"f54\":54,\"f55\":55,\"f56\":56,\"f57\":57,\"f58\":58,\"f59\":59}");
}

TEST_CASE("ITERJSON_FIELDS under sort_keys writes the keys in order, as a std::map would") {
  // The struct's sorted pass is apart from its declared one: the map is the simple path.
  std::map<std::string, int> same_members;
  for (int i = 0; i < 60; ++i) same_members["f" + std::to_string(i)] = i;
  for (const int indent : {-1, 2}) {
    const iterjson::options opts{.indent = indent, .sort_keys = true};
    CHECK(encode_every_way(wide{}, opts) == iterjson::to_string(same_members, opts));
    CHECK(encode_every_way(std::vector<wide>(3), opts) == iterjson::to_string(std::vector(3, same_members), opts));
  }
}

TEST_CASE("std::vector<bool> and its proxy references") {
  std::vector<bool> bits{true, false, true};
  CHECK(iterjson::to_string(bits) == "[true,false,true]");  // mutable: proxy references
  CHECK(encode_every_way(bits) == "[true,false,true]");     // const: plain bools
}

TEST_CASE("encode_as converts to a value the encoder keeps, or to a reference") {
  CHECK(encode_every_way(std::vector<money>{{12345}, {7}}) == R"(["123.45","0.07"])");
  CHECK(encode_every_way(label{"a \"quoted\" label"}) == R"("a \"quoted\" label")");
}

TEST_CASE("variant_traits picks the JSON kind at run time") {
  CHECK(encode_every_way(std::vector<shape>{{shape::kind::none, 0}, {shape::kind::circle, 1.5},
                                            {shape::kind::square, 2}}) == R"([null,{"radius":1.5},[2.0,2.0]])");
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

TEST_CASE("a conversion to a view: the view is kept in the frame that writes it") {
  const std::vector<readings> all{{{1, 2}}, {{}}, {{3}}};
  CHECK(encode_every_way(all) == "[[1,2],[],[3]]");
  const std::map<std::string, readings> named{{"b", {{2}}}, {"a", {{1, 1}}}};
  CHECK(encode_every_way(named, {.sort_keys = true}) == R"({"a":[1,1],"b":[2]})");
}

TEST_CASE("raw_json is written as it is, across every slice boundary") {
  const std::string serialized = R"({"already":["serialized",1.10]})";
  std::vector<iterjson::raw_json> values{{"123456789012345678901234567890"}, {serialized}, {"null"}};
  CHECK(encode_every_way(values) == R"([123456789012345678901234567890,{"already":["serialized",1.10]},null])");
  const std::map<std::string, iterjson::raw_json> members{{"b", {"2.50"}}, {"a", {"[]"}}};
  CHECK(encode_every_way(members, {.indent = 1}) == "{\n \"a\": [],\n \"b\": 2.50\n}");
  CHECK(encode_every_way(std::optional<iterjson::raw_json>(iterjson::raw_json{"1e400"})) == "1e400");
  static_assert(iterjson::encodable<iterjson::raw_json>);
}
