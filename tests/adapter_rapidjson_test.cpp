#include "iterjson/adapters/rapidjson.hpp"

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <rapidjson/document.h>

#include "iterjson/adapters/nlohmann.hpp"
#include "test_support.hpp"

namespace {

using iterjson::testing::concat_next;
using iterjson::testing::encode_every_way;
using iterjson::testing::read_file;
using iterjson::testing::shared_data;

// A string that needs every kind of escape, plus non-ASCII text in two, three and four
// bytes; DEL (0x7F) is printable to JSON and stays as it is.
const std::string tricky_string = "q\"b\\s/n\nt\tr\rb\bf\fc\x01\x1f\x7f é € 😀";
const std::string tricky_string_json = R"("q\"b\\s/n\nt\tr\rb\bf\fc\u0001\u001f)" "\x7f" R"( é € 😀")";
const std::string tricky_string_ascii_json =
    R"("q\"b\\s/n\nt\tr\rb\bf\fc\u0001\u001f\u007f \u00e9 \u20ac \ud83d\ude00")";

// RapidJSON's own parse, correctly rounded as iterjson's shortest digits need.
rapidjson::Document parse(std::string_view text) {
  rapidjson::Document document;
  document.Parse<rapidjson::kParseFullPrecisionFlag>(text.data(), text.size());
  REQUIRE_MESSAGE(!document.HasParseError(), "RapidJSON cannot parse " << text);
  return document;
}

// A value made in code, as a program builds one: members in the order added.
rapidjson::Document unordered_keys() {
  rapidjson::Document object(rapidjson::kObjectType);
  auto& allocator = object.GetAllocator();
  for (const auto& [key, number] : {std::pair{"z", 1}, {"é", 2}, {"a", 3}, {"A", 4}, {"ab", 5}, {"", 6}}) {
    object.AddMember(rapidjson::Value(key, allocator), rapidjson::Value(number), allocator);
  }
  return object;
}

}  // namespace

TEST_CASE("rapidjson: null and booleans") {
  CHECK(encode_every_way(rapidjson::Value()) == "null");
  CHECK(encode_every_way(rapidjson::Value(true)) == "true");
  CHECK(encode_every_way(rapidjson::Value(false)) == "false");
  CHECK(encode_every_way(parse("[null,true,false]")) == "[null,true,false]");
}

TEST_CASE("rapidjson: integers keep their kind over the whole int64 and uint64 ranges") {
  CHECK(encode_every_way(rapidjson::Value(0)) == "0");
  CHECK(encode_every_way(rapidjson::Value(-1)) == "-1");
  CHECK(encode_every_way(rapidjson::Value(4294967295u)) == "4294967295");
  CHECK(encode_every_way(rapidjson::Value(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
  CHECK(encode_every_way(rapidjson::Value(std::numeric_limits<std::int64_t>::max())) == "9223372036854775807");
  CHECK(encode_every_way(rapidjson::Value(std::numeric_limits<std::uint64_t>::max())) == "18446744073709551615");
  const std::string edges = "[-9223372036854775808,9223372036854775807,9223372036854775808,18446744073709551615]";
  CHECK(encode_every_way(parse(edges)) == edges);
}

TEST_CASE("rapidjson: doubles are written as Python's repr writes them") {
  CHECK(encode_every_way(rapidjson::Value(1.0)) == "1.0");
  CHECK(encode_every_way(rapidjson::Value(-2.5)) == "-2.5");
  CHECK(encode_every_way(rapidjson::Value(-0.0)) == "-0.0");
  CHECK(encode_every_way(rapidjson::Value(1e16)) == "1e+16");
  CHECK(encode_every_way(rapidjson::Value(5e-324)) == "5e-324");
  // A number written with a point or an exponent is a double, however integral.
  CHECK(encode_every_way(parse("[0.1,1e-5,2.0,1E2,-65.613616999999977]")) ==
        "[0.1,1e-05,2.0,100.0,-65.61361699999998]");
}

TEST_CASE("rapidjson: strings are written by their stored length") {
  CHECK(encode_every_way(rapidjson::Value("")) == R"("")");
  rapidjson::Document document;
  const std::string with_nul("a\0b\0", 4);
  document.SetString(with_nul.data(), static_cast<rapidjson::SizeType>(with_nul.size()), document.GetAllocator());
  CHECK(encode_every_way(document) == R"("a\u0000b\u0000")");
  CHECK(encode_every_way(parse(R"(["\u0000", "x\u0000y"])")) == R"(["\u0000","x\u0000y"])");

  document.SetString(tricky_string.data(), static_cast<rapidjson::SizeType>(tricky_string.size()),
                     document.GetAllocator());
  CHECK(encode_every_way(document) == tricky_string_json);
  CHECK(encode_every_way(document, {.ensure_ascii = true}) == tricky_string_ascii_json);
}

TEST_CASE("rapidjson: keys with NUL bytes and escapes") {
  const rapidjson::Document object = parse(R"({"k\u0000ey": 1, "q\"\n": 2, "é": 3})");
  CHECK(encode_every_way(object) == R"({"k\u0000ey":1,"q\"\n":2,"é":3})");
  CHECK(encode_every_way(object, {.ensure_ascii = true}) == R"({"k\u0000ey":1,"q\"\n":2,"\u00e9":3})");
}

TEST_CASE("rapidjson: nested arrays and objects") {
  CHECK(encode_every_way(parse("[]")) == "[]");
  CHECK(encode_every_way(parse("{}")) == "{}");
  CHECK(encode_every_way(parse(R"([1, [], {}, [[null]], {"k": {"v": [true, "s", -0.5]}}, {"e": {}}])")) ==
        R"([1,[],{},[[null]],{"k":{"v":[true,"s",-0.5]}},{"e":{}}])");
}

TEST_CASE("rapidjson: objects keep their member order unless sort_keys is set") {
  const rapidjson::Document object = unordered_keys();
  CHECK(encode_every_way(object) == R"({"z":1,"é":2,"a":3,"A":4,"ab":5,"":6})");
  CHECK(encode_every_way(object, {.sort_keys = true}) == R"({"":6,"A":4,"a":3,"ab":5,"z":1,"é":2})");

  const rapidjson::Document nested = parse(R"({"y": [{"b": 1, "a": [{"d": 0, "c": 0}]}], "x": {"2": 2, "10": 10}})");
  CHECK(encode_every_way(nested) == R"({"y":[{"b":1,"a":[{"d":0,"c":0}]}],"x":{"2":2,"10":10}})");
  CHECK(encode_every_way(nested, {.sort_keys = true}) == R"({"x":{"10":10,"2":2},"y":[{"a":[{"c":0,"d":0}],"b":1}]})");
}

TEST_CASE("rapidjson: duplicate keys are all written, as RapidJSON keeps them") {
  const rapidjson::Document object = parse(R"({"k": 1, "k": 2})");
  CHECK(encode_every_way(object) == R"({"k":1,"k":2})");
  CHECK(encode_every_way(object, {.sort_keys = true}) == R"({"k":1,"k":2})");
}

TEST_CASE("rapidjson: indent") {
  const rapidjson::Document document =
      parse(R"({"n": [1.5, {"u": 18446744073709551615, "i": -1}], "e": {}, "a": [[]]})");
  CHECK(encode_every_way(document, {.indent = 2, .key_separator = ": "}) ==
        "{\n"
        "  \"n\": [\n"
        "    1.5,\n"
        "    {\n"
        "      \"u\": 18446744073709551615,\n"
        "      \"i\": -1\n"
        "    }\n"
        "  ],\n"
        "  \"e\": {},\n"
        "  \"a\": [\n"
        "    []\n"
        "  ]\n"
        "}");
}

TEST_CASE("rapidjson: values inside standard containers, and a Document's parts") {
  const rapidjson::Document document = parse(R"({"list": [1, "two"], "flag": false})");
  CHECK(encode_every_way(document["list"]) == R"([1,"two"])");
  std::vector<rapidjson::Value> values;
  values.emplace_back(false);
  values.emplace_back();
  values.emplace_back(rapidjson::kArrayType);
  CHECK(encode_every_way(values) == R"([false,null,[]])");
  std::map<std::string, rapidjson::Value> members;
  members.emplace("y", 1.5);
  members.emplace("x", "s");
  CHECK(encode_every_way(members) == R"({"x":"s","y":1.5})");
}

TEST_CASE("rapidjson: each corpus is written as the same data in nlohmann::ordered_json is") {
  for (const char* name : {"twitter.json", "citm_catalog.json", "canada.json"}) {
    CAPTURE(name);
    const std::string text = read_file(shared_data(std::string("corpora/") + name));
    const rapidjson::Document document = parse(text);
    const std::string expected = iterjson::to_string(nlohmann::ordered_json::parse(text));
    const std::string actual = iterjson::to_string(document);
    CHECK(actual.size() == expected.size());
    CHECK((actual == expected));  // in parentheses: megabytes are not printed on failure
    CHECK((concat_next(document) == expected));
  }
}
