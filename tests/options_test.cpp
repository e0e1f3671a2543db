#include "iterjson/options.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "test_support.hpp"

using iterjson::options;
using iterjson::testing::encode_every_way;

namespace {

struct inner {
  std::optional<int> k;
};
using element = std::variant<int, std::vector<int>, std::map<std::string, int>, std::tuple<int, inner>>;
struct sample {
  std::vector<element> list;
  std::string s;
  std::map<std::string, int> n;
};

// The expected texts below are what Python 3.11's json.dumps writes for the same value.
sample make_sample() {
  return {{1, std::vector<int>{}, std::map<std::string, int>{}, std::tuple<int, inner>{2, {}}},
          "\u00e9\u2028\U0001F600\x7f",
          {}};
}

}  // namespace

ITERJSON_FIELDS(inner, k);
ITERJSON_FIELDS(sample, list, s, n);

TEST_CASE("the defaults: one line, no spaces, UTF-8 kept as it is") {
  CHECK(encode_every_way(make_sample()) ==
        "{\"list\":[1,[],{},[2,{\"k\":null}]],\"s\":\"\u00e9\u2028\U0001F600\x7f\",\"n\":{}}");
}

TEST_CASE("indent 0 puts every item on a line of its own") {
  CHECK(encode_every_way(make_sample(), {.indent = 0, .ensure_ascii = true}) ==
        "{\n\"list\": [\n1,\n[],\n{},\n[\n2,\n{\n\"k\": null\n}\n]\n],\n"
        "\"s\": \"\\u00e9\\u2028\\ud83d\\ude00\\u007f\",\n\"n\": {}\n}");
}

TEST_CASE("indented, the key separator is Python's \": \" unless one is given") {
  const std::map<std::string, std::vector<int>> value{{"a", {1}}, {"b", {}}};
  CHECK(encode_every_way(value, {.indent = 2}) == "{\n  \"a\": [\n    1\n  ],\n  \"b\": []\n}");
  CHECK(encode_every_way(value, {.indent = 2, .key_separator = ":"}) == "{\n  \"a\":[\n    1\n  ],\n  \"b\":[]\n}");
  CHECK(encode_every_way(value, {.indent = 0, .item_separator = ";", .key_separator = " = "}) ==
        "{\n\"a\" = [\n1\n];\n\"b\" = []\n}");
  CHECK(encode_every_way(value) == R"({"a":[1],"b":[]})");  // on one line: compact
}

TEST_CASE("indent N with spaces, and with another indent character") {
  CHECK(encode_every_way(make_sample(), {.indent = 3, .ensure_ascii = true}) ==
        "{\n   \"list\": [\n      1,\n      [],\n      {},\n      [\n         2,\n         {\n"
        "            \"k\": null\n         }\n      ]\n   ],\n"
        "   \"s\": \"\\u00e9\\u2028\\ud83d\\ude00\\u007f\",\n   \"n\": {}\n}");
  CHECK(encode_every_way(make_sample(), {.indent = 1, .indent_char = '\t', .ensure_ascii = true}) ==
        "{\n\t\"list\": [\n\t\t1,\n\t\t[],\n\t\t{},\n\t\t[\n\t\t\t2,\n\t\t\t{\n\t\t\t\t\"k\": null\n"
        "\t\t\t}\n\t\t]\n\t],\n\t\"s\": \"\\u00e9\\u2028\\ud83d\\ude00\\u007f\",\n\t\"n\": {}\n}");
}

TEST_CASE("separators are written as given") {
  CHECK(encode_every_way(make_sample(), {.item_separator = ", ", .key_separator = ": ", .ensure_ascii = true}) ==
        "{\"list\": [1, [], {}, [2, {\"k\": null}]], \"s\": \"\\u00e9\\u2028\\ud83d\\ude00\\u007f\", \"n\": {}}");
  CHECK(encode_every_way(std::vector<int>{1, 2}, {.item_separator = " ;; "}) == "[1 ;; 2]");
}

TEST_CASE("separators are copied: they need not outlive the encoder") {
  std::string item = " | ";
  iterjson::encoder enc(std::vector<int>{1, 2}, {.item_separator = item});
  item = "XXX";
  CHECK(std::string(enc.next()) == "[1 | 2]");
}

TEST_CASE("sort_keys orders text by code point and numbers by value") {
  const std::unordered_map<std::string, int> text_keys{
      {"b", 1}, {"a", 2}, {"\u00e9", 3}, {"z", 4}, {"Z", 5}, {"\U0001F600", 6}, {"\uffff", 7}};
  CHECK(encode_every_way(text_keys, {.sort_keys = true}) ==
        "{\"Z\":5,\"a\":2,\"b\":1,\"z\":4,\"\u00e9\":3,\"\uffff\":7,\"\U0001F600\":6}");
  const std::unordered_map<int, int> number_keys{{3, 1}, {-1, 2}, {10, 3}};
  CHECK(encode_every_way(number_keys, {.sort_keys = true}) == R"({"-1":2,"3":1,"10":3})");
  const std::map<std::string, int, std::greater<>> reversed{{"a", 1}, {"b", 2}};
  CHECK(encode_every_way(reversed) == R"({"b":2,"a":1})");
  CHECK(encode_every_way(reversed, {.sort_keys = true}) == R"({"a":1,"b":2})");
}

TEST_CASE("sort_keys sorts text keys held by pointer, whose std::less compares addresses") {
  const char* text = "b\0a";
  const std::map<const char*, int> by_address{{text, 1}, {text + 2, 2}};  // "b" first in memory
  CHECK(encode_every_way(by_address) == R"({"b":1,"a":2})");
  CHECK(encode_every_way(by_address, {.sort_keys = true}) == R"({"a":2,"b":1})");
}

TEST_CASE("sort_keys applies to struct fields too") {
  CHECK(encode_every_way(make_sample(), {.sort_keys = true}) ==
        "{\"list\":[1,[],{},[2,{\"k\":null}]],\"n\":{},\"s\":\"\u00e9\u2028\U0001F600\x7f\"}");
}

TEST_CASE("keys that are not text are written as Python writes them") {
  CHECK(encode_every_way(std::map<double, int>{{1.5, 1}, {-0.0, 2}}) == R"({"-0.0":2,"1.5":1})");
  CHECK(encode_every_way(std::map<bool, int>{{true, 2}, {false, 1}}) == R"({"false":1,"true":2})");
  CHECK(encode_every_way(std::map<std::int64_t, int>{{INT64_MIN, 1}}) == R"({"-9223372036854775808":1})");
}

TEST_CASE("nan_policy: error, null, literal") {
  const std::vector<double> values{std::nan(""), std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity()};
  CHECK_THROWS_AS(iterjson::to_string(values), iterjson::encode_error);
  CHECK(encode_every_way(values, {.nan = iterjson::nan_policy::null}) == "[null,null,null]");
  CHECK(encode_every_way(values, {.nan = iterjson::nan_policy::literal}) == "[NaN,Infinity,-Infinity]");
  CHECK(encode_every_way(std::map<double, int>{{std::nan(""), 1}}, {.nan = iterjson::nan_policy::literal}) ==
        R"({"NaN":1})");
}

TEST_CASE("ensure_ascii escapes everything outside printable ASCII, in lowercase hex") {
  CHECK(encode_every_way(std::string("\x7f\u00ff\u0800\uffff\U00010000\U0010FFFF"), {.ensure_ascii = true}) ==
        R"("\u007f\u00ff\u0800\uffff\ud800\udc00\udbff\udfff")");
}

TEST_CASE("utf8_policy: replace, error, verbatim") {
  const std::string invalid = "a\xff" "b\xe2\x82" "c";
  CHECK(encode_every_way(invalid) == "\"a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\"");
  CHECK(encode_every_way(invalid, {.ensure_ascii = true}) == R"("a\ufffdb\ufffdc")");
  CHECK_THROWS_AS(iterjson::to_string(invalid, {.invalid_utf8 = iterjson::utf8_policy::error}),
                  iterjson::encode_error);
  CHECK(encode_every_way(invalid, {.invalid_utf8 = iterjson::utf8_policy::verbatim}) == "\"" + invalid + "\"");
  // Under ensure_ascii raw bytes cannot be kept, so verbatim replaces as well.
  CHECK(encode_every_way(invalid, {.ensure_ascii = true, .invalid_utf8 = iterjson::utf8_policy::verbatim}) ==
        R"("a\ufffdb\ufffdc")");
}

TEST_CASE("max_depth counts arrays and objects") {
  const std::vector<std::vector<std::map<std::string, int>>> three_deep{{{{"a", 1}}}};
  CHECK(iterjson::to_string(three_deep, {.max_depth = 3}) == R"([[{"a":1}]])");
  CHECK_THROWS_AS(iterjson::to_string(three_deep, {.max_depth = 2}), iterjson::encode_error);
}
