#include "iterjson/adapters/boost_json.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <doctest/doctest.h>

#include "test_support.hpp"

namespace {

using iterjson::testing::encode_every_way;
namespace json = boost::json;

// A string that needs every kind of escape, plus non-ASCII text in two, three and four
// bytes; DEL (0x7F) is printable to JSON and stays as it is.
const std::string tricky_string = "q\"b\\s/n\nt\tr\rb\bf\fc\x01\x1f\x7f é € 😀";
const std::string tricky_string_json = R"("q\"b\\s/n\nt\tr\rb\bf\fc\u0001\u001f)" "\x7f" R"( é € 😀")";
const std::string tricky_string_ascii_json =
    R"("q\"b\\s/n\nt\tr\rb\bf\fc\u0001\u001f\u007f \u00e9 \u20ac \ud83d\ude00")";

// Keys inserted out of byte order (an initializer list keeps its order).
json::object unordered_keys() { return {{"z", 1}, {"é", 2}, {"a", 3}, {"A", 4}, {"ab", 5}, {"", 6}}; }

}  // namespace

TEST_CASE("boost.json: null and booleans") {
  CHECK(encode_every_way(json::value()) == "null");
  CHECK(encode_every_way(json::value(nullptr)) == "null");
  CHECK(encode_every_way(json::value(true)) == "true");
  CHECK(encode_every_way(json::value(false)) == "false");
}

TEST_CASE("boost.json: int64 and uint64 at their edges") {
  const json::value int64_min = std::numeric_limits<std::int64_t>::min();
  const json::value int64_max = std::numeric_limits<std::int64_t>::max();
  const json::value uint64_max = std::numeric_limits<std::uint64_t>::max();
  REQUIRE(int64_min.is_int64());
  REQUIRE(int64_max.is_int64());
  REQUIRE(uint64_max.is_uint64());
  CHECK(encode_every_way(json::value(0)) == "0");
  CHECK(encode_every_way(json::value(-1)) == "-1");
  CHECK(encode_every_way(int64_min) == "-9223372036854775808");
  CHECK(encode_every_way(int64_max) == "9223372036854775807");
  CHECK(encode_every_way(json::value(std::uint64_t{0})) == "0");
  CHECK(encode_every_way(uint64_max) == "18446744073709551615");
}

TEST_CASE("boost.json: doubles are written as Python's repr writes them") {
  CHECK(encode_every_way(json::value(1.0)) == "1.0");
  CHECK(encode_every_way(json::value(0.1)) == "0.1");
  CHECK(encode_every_way(json::value(-2.5)) == "-2.5");
  CHECK(encode_every_way(json::value(1e16)) == "1e+16");
  CHECK(encode_every_way(json::value(1e15)) == "1000000000000000.0");
  CHECK(encode_every_way(json::value(1e-5)) == "1e-05");
  CHECK(encode_every_way(json::value(0.0001)) == "0.0001");
  CHECK(encode_every_way(json::value(0.0)) == "0.0");
  CHECK(encode_every_way(json::value(-0.0)) == "-0.0");
  CHECK(encode_every_way(json::value(5e-324)) == "5e-324");
  CHECK(encode_every_way(json::value(std::numeric_limits<double>::max())) == "1.7976931348623157e+308");
  const json::value nan = std::nan("");
  CHECK_THROWS_AS(iterjson::to_string(nan), iterjson::encode_error);
  CHECK(encode_every_way(nan, {.nan = iterjson::nan_policy::literal}) == "NaN");
}

TEST_CASE("boost.json: strings with escapes and non-ASCII text") {
  CHECK(encode_every_way(json::value("")) == R"("")");
  const json::value text = json::string(tricky_string);
  CHECK(encode_every_way(text) == tricky_string_json);
  CHECK(encode_every_way(text, {.ensure_ascii = true}) == tricky_string_ascii_json);
}

TEST_CASE("boost.json: nested arrays and objects") {
  CHECK(encode_every_way(json::value(json::array())) == "[]");
  CHECK(encode_every_way(json::value(json::object())) == "{}");
  const json::value nested = json::parse(R"([1, [], {}, [[null]], {"k": {"v": [true, "s", -0.5]}}])");
  CHECK(encode_every_way(nested) == R"([1,[],{},[[null]],{"k":{"v":[true,"s",-0.5]}}])");
}

TEST_CASE("boost.json: objects keep insertion order unless sort_keys is set") {
  const json::value object = unordered_keys();
  CHECK(encode_every_way(object) == R"({"z":1,"é":2,"a":3,"A":4,"ab":5,"":6})");
  CHECK(encode_every_way(object, {.sort_keys = true}) == R"({"":6,"A":4,"a":3,"ab":5,"z":1,"é":2})");

  json::object outer;
  outer["y"] = json::array{unordered_keys()};
  outer["x"] = unordered_keys();
  const json::value nested = outer;
  CHECK(encode_every_way(nested) ==
        R"({"y":[{"z":1,"é":2,"a":3,"A":4,"ab":5,"":6}],"x":{"z":1,"é":2,"a":3,"A":4,"ab":5,"":6}})");
  CHECK(encode_every_way(nested, {.sort_keys = true}) ==
        R"({"x":{"":6,"A":4,"a":3,"ab":5,"z":1,"é":2},"y":[{"":6,"A":4,"a":3,"ab":5,"z":1,"é":2}]})");
}

TEST_CASE("boost.json: indent") {
  // Each text is Python's json.dumps(document, indent=...), with Python's separators under
  // indent, (",", ": "), unless said otherwise.
  const json::value document =
      json::parse(R"({"n": [1.5, {"u": 18446744073709551615, "i": -1}], "e": {}, "s": "x", "a": [[]]})");
  CHECK(encode_every_way(document, {.indent = 4}) ==
        "{\n"
        "    \"n\": [\n"
        "        1.5,\n"
        "        {\n"
        "            \"u\": 18446744073709551615,\n"
        "            \"i\": -1\n"
        "        }\n"
        "    ],\n"
        "    \"e\": {},\n"
        "    \"s\": \"x\",\n"
        "    \"a\": [\n"
        "        []\n"
        "    ]\n"
        "}");
  // json.dumps(document, indent=4, sort_keys=True): Python's separators under indent.
  CHECK(encode_every_way(document, {.indent = 4, .key_separator = ": ", .sort_keys = true}) ==
        "{\n"
        "    \"a\": [\n"
        "        []\n"
        "    ],\n"
        "    \"e\": {},\n"
        "    \"n\": [\n"
        "        1.5,\n"
        "        {\n"
        "            \"i\": -1,\n"
        "            \"u\": 18446744073709551615\n"
        "        }\n"
        "    ],\n"
        "    \"s\": \"x\"\n"
        "}");
  CHECK(encode_every_way(document, {.indent = 0}) ==
        "{\n\"n\": [\n1.5,\n{\n\"u\": 18446744073709551615,\n\"i\": -1\n}\n],\n\"e\": {},\n\"s\": \"x\",\n\"a\": [\n[]\n]\n}");
  // json.dumps(document, indent="\t", separators=(", ", ": ")): the item separator keeps
  // its space before the newline, as in Python.
  CHECK(encode_every_way(document, {.indent = 1, .indent_char = '\t', .item_separator = ", "}) ==
        "{\n"
        "\t\"n\": [\n"
        "\t\t1.5, \n"
        "\t\t{\n"
        "\t\t\t\"u\": 18446744073709551615, \n"
        "\t\t\t\"i\": -1\n"
        "\t\t}\n"
        "\t], \n"
        "\t\"e\": {}, \n"
        "\t\"s\": \"x\", \n"
        "\t\"a\": [\n"
        "\t\t[]\n"
        "\t]\n"
        "}");
}

TEST_CASE("boost.json: ensure_ascii applies to keys and values") {
  const json::value object = json::parse(R"({"clé": "€", "😀": ["é"]})");
  CHECK(encode_every_way(object) == R"({"clé":"€","😀":["é"]})");
  CHECK(encode_every_way(object, {.ensure_ascii = true}) == R"({"cl\u00e9":"\u20ac","\ud83d\ude00":["\u00e9"]})");
}

TEST_CASE("boost.json: array, object and string encode without a value around them") {
  const json::array array{1, "two", nullptr, 2.5, json::array{true}, json::object{{"k", false}}};
  CHECK(encode_every_way(array) == R"([1,"two",null,2.5,[true],{"k":false}])");
  CHECK(encode_every_way(json::array()) == "[]");

  const json::object object = unordered_keys();
  CHECK(encode_every_way(object) == R"({"z":1,"é":2,"a":3,"A":4,"ab":5,"":6})");
  CHECK(encode_every_way(object, {.sort_keys = true}) == R"({"":6,"A":4,"a":3,"ab":5,"z":1,"é":2})");
  CHECK(encode_every_way(object, {.indent = 2, .sort_keys = true}) ==
        "{\n  \"\": 6,\n  \"A\": 4,\n  \"a\": 3,\n  \"ab\": 5,\n  \"z\": 1,\n  \"é\": 2\n}");
  CHECK(encode_every_way(json::object()) == "{}");

  const json::string string(tricky_string);
  CHECK(encode_every_way(string) == tricky_string_json);
  CHECK(encode_every_way(string, {.ensure_ascii = true}) == tricky_string_ascii_json);
  CHECK(encode_every_way(json::string()) == R"("")");
}

TEST_CASE("boost.json: values inside standard containers") {
  const std::vector<json::value> values{json::value(1), json::value("a"), json::parse(R"({"b":[null]})")};
  CHECK(encode_every_way(values) == R"([1,"a",{"b":[null]}])");
  const std::map<std::string, json::value> members{{"y", json::array{1}}, {"x", json::value()}};
  CHECK(encode_every_way(members) == R"({"x":null,"y":[1]})");
}

TEST_CASE("boost.json: without floats, the text is serialize()'s") {
  json::object document;
  document["null"] = nullptr;
  document["bools"] = json::array{true, false};
  document["int64"] = json::array{std::numeric_limits<std::int64_t>::min(), -1, 0,
                                  std::numeric_limits<std::int64_t>::max()};
  document["uint64"] = std::numeric_limits<std::uint64_t>::max();
  document["text"] = tricky_string;
  document["empty"] = json::object{{"array", json::array()}, {"object", json::object()}, {"string", ""}};
  document["nested"] = json::parse(R"([[[1]], {"k": [2, "3"]}])");
  const json::value value = document;
  const std::string text = encode_every_way(value);
  CHECK(text ==
        R"({"null":null,"bools":[true,false],"int64":[-9223372036854775808,-1,0,9223372036854775807],)"
        R"("uint64":18446744073709551615,"text":)" +
            tricky_string_json +
            R"(,"empty":{"array":[],"object":{},"string":""},"nested":[[[1]],{"k":[2,"3"]}]})");
  CHECK(text == json::serialize(value));
  CHECK(json::parse(text) == value);
}
