#include "iterjson/adapters/nlohmann.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "test_support.hpp"

namespace {

using iterjson::testing::encode_every_way;
using nlohmann::json;
using nlohmann::ordered_json;

// A string that needs every kind of escape, plus non-ASCII text in two, three and four
// bytes; DEL (0x7F) is printable to JSON and stays as it is.
const std::string tricky_string = "q\"b\\s/n\nt\tr\rb\bf\fc\x01\x1f\x7f é € 😀";
const std::string tricky_string_json = R"("q\"b\\s/n\nt\tr\rb\bf\fc\u0001\u001f)" "\x7f" R"( é € 😀")";
const std::string tricky_string_ascii_json =
    R"("q\"b\\s/n\nt\tr\rb\bf\fc\u0001\u001f\u007f \u00e9 \u20ac \ud83d\ude00")";

// Keys whose byte order differs from the order they are inserted in.
template <class Json>
Json unordered_keys() {
  Json object = Json::object();
  object["z"] = 1;
  object["é"] = 2;
  object["a"] = 3;
  object["A"] = 4;
  object["ab"] = 5;
  object[""] = 6;
  return object;
}

// Nesting of every container kind, with no floats, so that nlohmann's own dump() agrees.
json float_free_document() {
  json document = json::object();
  document["null"] = nullptr;
  document["bools"] = json::array({true, false});
  document["int64"] = json::array({std::numeric_limits<std::int64_t>::min(), -1, 0,
                                   std::numeric_limits<std::int64_t>::max()});
  document["uint64"] = std::numeric_limits<std::uint64_t>::max();
  document["text"] = tricky_string;
  document["empty"] = json::object({{"array", json::array()}, {"object", json::object()}, {"string", ""}});
  document["nested"] = json::array({json::array({json::array({1})}), json::object({{"k", json::array({2, "3"})}})});
  return document;
}

}  // namespace

TEST_CASE("nlohmann: null and booleans") {
  CHECK(encode_every_way(json()) == "null");
  CHECK(encode_every_way(json(nullptr)) == "null");
  CHECK(encode_every_way(json(true)) == "true");
  CHECK(encode_every_way(json(false)) == "false");
}

TEST_CASE("nlohmann: integers at the edges of int64 and uint64") {
  CHECK(encode_every_way(json(0)) == "0");
  CHECK(encode_every_way(json(-1)) == "-1");
  CHECK(encode_every_way(json(std::numeric_limits<std::int64_t>::min())) == "-9223372036854775808");
  CHECK(encode_every_way(json(std::numeric_limits<std::int64_t>::max())) == "9223372036854775807");
  const json uint64_max = std::numeric_limits<std::uint64_t>::max();
  REQUIRE(uint64_max.is_number_unsigned());
  CHECK(encode_every_way(uint64_max) == "18446744073709551615");
}

TEST_CASE("nlohmann: doubles are written as Python's repr writes them") {
  CHECK(encode_every_way(json(1.0)) == "1.0");
  CHECK(encode_every_way(json(0.1)) == "0.1");
  CHECK(encode_every_way(json(-2.5)) == "-2.5");
  CHECK(encode_every_way(json(1e16)) == "1e+16");
  CHECK(encode_every_way(json(1e15)) == "1000000000000000.0");
  CHECK(encode_every_way(json(1e-5)) == "1e-05");
  CHECK(encode_every_way(json(0.0001)) == "0.0001");
  CHECK(encode_every_way(json(0.0)) == "0.0");
  CHECK(encode_every_way(json(-0.0)) == "-0.0");
  CHECK(encode_every_way(json(5e-324)) == "5e-324");
  CHECK(encode_every_way(json(std::numeric_limits<double>::max())) == "1.7976931348623157e+308");
  CHECK(encode_every_way(json(123456789012345678.0)) == "1.2345678901234568e+17");
}

TEST_CASE("nlohmann: non-finite doubles follow options::nan") {
  const json values = json::array({std::nan(""), std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity()});
  CHECK_THROWS_AS(iterjson::to_string(values), iterjson::encode_error);
  CHECK(encode_every_way(values, {.nan = iterjson::nan_policy::null}) == "[null,null,null]");
  CHECK(encode_every_way(values, {.nan = iterjson::nan_policy::literal}) == "[NaN,Infinity,-Infinity]");
}

TEST_CASE("nlohmann: strings with escapes and non-ASCII text") {
  CHECK(encode_every_way(json("")) == R"("")");
  CHECK(encode_every_way(json(tricky_string)) == tricky_string_json);
  CHECK(encode_every_way(json(tricky_string), {.ensure_ascii = true}) == tricky_string_ascii_json);
}

TEST_CASE("nlohmann: nested arrays and objects") {
  CHECK(encode_every_way(json::array()) == "[]");
  CHECK(encode_every_way(json::object()) == "{}");
  const json nested = json::array({1, json::array(), json::object(), json::array({json::array({nullptr})}),
                                   json::object({{"k", json::object({{"v", json::array({true, "s"})}})}})});
  CHECK(encode_every_way(nested) == R"([1,[],{},[[null]],{"k":{"v":[true,"s"]}}])");
}

TEST_CASE("nlohmann: object order") {
  SUBCASE("json keeps its std::map order, which is byte order") {
    const json object = unordered_keys<json>();
    CHECK(encode_every_way(object) == R"({"":6,"A":4,"a":3,"ab":5,"z":1,"é":2})");
    CHECK(encode_every_way(object, {.sort_keys = true}) == R"({"":6,"A":4,"a":3,"ab":5,"z":1,"é":2})");
  }
  SUBCASE("ordered_json keeps insertion order unless sort_keys is set") {
    const ordered_json object = unordered_keys<ordered_json>();
    CHECK(encode_every_way(object) == R"({"z":1,"é":2,"a":3,"A":4,"ab":5,"":6})");
    CHECK(encode_every_way(object, {.sort_keys = true}) == R"({"":6,"A":4,"a":3,"ab":5,"z":1,"é":2})");
  }
  SUBCASE("sort_keys reaches objects nested in arrays and objects") {
    ordered_json outer = ordered_json::object();
    outer["y"] = ordered_json::array({unordered_keys<ordered_json>()});
    outer["x"] = unordered_keys<ordered_json>();
    CHECK(encode_every_way(outer) ==
          R"({"y":[{"z":1,"é":2,"a":3,"A":4,"ab":5,"":6}],"x":{"z":1,"é":2,"a":3,"A":4,"ab":5,"":6}})");
    CHECK(encode_every_way(outer, {.sort_keys = true}) ==
          R"({"x":{"":6,"A":4,"a":3,"ab":5,"z":1,"é":2},"y":[{"":6,"A":4,"a":3,"ab":5,"z":1,"é":2}]})");
  }
}

TEST_CASE("nlohmann: indent = 2") {
  ordered_json document = ordered_json::object();
  document["b"] = ordered_json::array({1, ordered_json::object({{"y", nullptr}, {"x", true}})});
  document["empty"] = ordered_json::array({ordered_json::array(), ordered_json::object()});
  document["a"] = "t";
  CHECK(encode_every_way(document, {.indent = 2}) ==
        "{\n"
        "  \"b\": [\n"
        "    1,\n"
        "    {\n"
        "      \"y\": null,\n"
        "      \"x\": true\n"
        "    }\n"
        "  ],\n"
        "  \"empty\": [\n"
        "    [],\n"
        "    {}\n"
        "  ],\n"
        "  \"a\": \"t\"\n"
        "}");
  // Python's own separators under indent, (",", ": "), with its sort_keys.
  CHECK(encode_every_way(document, {.indent = 2, .key_separator = ": ", .sort_keys = true}) ==
        "{\n"
        "  \"a\": \"t\",\n"
        "  \"b\": [\n"
        "    1,\n"
        "    {\n"
        "      \"x\": true,\n"
        "      \"y\": null\n"
        "    }\n"
        "  ],\n"
        "  \"empty\": [\n"
        "    [],\n"
        "    {}\n"
        "  ]\n"
        "}");
  CHECK(encode_every_way(json::array(), {.indent = 2}) == "[]");
  CHECK(encode_every_way(json(7), {.indent = 2}) == "7");
}

TEST_CASE("nlohmann: ensure_ascii applies to keys and values") {
  ordered_json object = ordered_json::object();
  object["clé"] = "€";
  object["😀"] = ordered_json::array({"é"});
  CHECK(encode_every_way(object) == R"({"clé":"€","😀":["é"]})");
  CHECK(encode_every_way(object, {.ensure_ascii = true}) ==
        R"({"cl\u00e9":"\u20ac","\ud83d\ude00":["\u00e9"]})");
}

TEST_CASE("nlohmann: binary values are written as dump() writes them") {
  const json with_subtype = json::binary({1, 2, 3}, 7);
  CHECK(encode_every_way(with_subtype) == R"({"bytes":[1,2,3],"subtype":7})");
  CHECK(iterjson::to_string(with_subtype) == with_subtype.dump());

  const json without_subtype = json::binary({1, 2, 3});
  CHECK(encode_every_way(without_subtype) == R"({"bytes":[1,2,3],"subtype":null})");
  CHECK(iterjson::to_string(without_subtype) == without_subtype.dump());

  const json edges = json::binary({0, 255}, 255);
  CHECK(encode_every_way(edges) == R"({"bytes":[0,255],"subtype":255})");

  const json empty = json::binary({});
  CHECK(encode_every_way(empty) == R"({"bytes":[],"subtype":null})");
  CHECK(iterjson::to_string(empty) == empty.dump());

  const ordered_json nested = ordered_json::array({ordered_json::binary({9}, 1), ordered_json::binary({})});
  CHECK(encode_every_way(nested) == R"([{"bytes":[9],"subtype":1},{"bytes":[],"subtype":null}])");
  CHECK(encode_every_way(nested, {.indent = 1}) ==
        "[\n"
        " {\n"
        "  \"bytes\": [\n"
        "   9\n"
        "  ],\n"
        "  \"subtype\": 1\n"
        " },\n"
        " {\n"
        "  \"bytes\": [],\n"
        "  \"subtype\": null\n"
        " }\n"
        "]");
}

TEST_CASE("nlohmann: a discarded value is written as null") {
  const json discarded(json::value_t::discarded);
  REQUIRE(discarded.is_discarded());
  CHECK(encode_every_way(discarded) == "null");
  const json in_array = json::array({1, discarded});
  CHECK(encode_every_way(in_array) == "[1,null]");
}

TEST_CASE("nlohmann: without floats, the text is dump()'s") {
  const json document = float_free_document();
  const std::string text = encode_every_way(document);
  CHECK(text ==
        R"({"bools":[true,false],"empty":{"array":[],"object":{},"string":""},)"
        R"("int64":[-9223372036854775808,-1,0,9223372036854775807],)"
        R"("nested":[[[1]],{"k":[2,"3"]}],"null":null,"text":)" +
            tricky_string_json + R"(,"uint64":18446744073709551615})");
  CHECK(text == document.dump());
  CHECK(encode_every_way(document, {.sort_keys = true}) == document.dump());
  CHECK(encode_every_way(document, {.ensure_ascii = true}) == document.dump(-1, ' ', true));
  // dump(2) is Python's indent=2 with its default separators.
  CHECK(encode_every_way(document, {.indent = 2, .key_separator = ": "}) == document.dump(2));

  const ordered_json ordered = ordered_json::parse(document.dump());
  CHECK(encode_every_way(ordered) == ordered.dump());
  const ordered_json insertion = unordered_keys<ordered_json>();
  CHECK(encode_every_way(insertion) == insertion.dump());
}

TEST_CASE("nlohmann: nesting up to options::max_depth, and one level more") {
  SUBCASE("a small max_depth, with the path of the array too deep") {
    const json depth_3 = json::array({json::array({json::array()})});
    CHECK(encode_every_way(depth_3, {.max_depth = 3}) == "[[[]]]");
    const json depth_4 = json::array({depth_3});
    iterjson::encoder enc(depth_4, {.max_depth = 3});
    CHECK_THROWS_AS(enc.next(), iterjson::encode_error);
    CHECK(enc.failed());
    CHECK(enc.error_path() == "/0/0/0");
  }

  SUBCASE("1,000,000 nested arrays, the default max_depth") {
    constexpr std::size_t depth = iterjson::options{}.max_depth;
    static_assert(depth == 1'000'000);
    // Iteratively: each level moves the one below in, so building is linear (0.01 s for
    // 100,000 levels, 0.3 s for 1,000,000), and nlohmann's destructor (iterative since
    // 3.10) tears it down without recursion.
    json nested = json::array();
    for (std::size_t level = 1; level < depth; ++level) nested = json::array({std::move(nested)});
    const std::string expected = std::string(depth, '[') + std::string(depth, ']');

    // Megabytes of text: compared as a whole (a bool, so a failure does not print it),
    // with the sizes for a readable message.
    const std::string text = iterjson::to_string(nested);
    CHECK(text.size() == expected.size());
    CHECK((text == expected));
    iterjson::encoder enc(nested);
    std::string sliced;
    while (!enc.done()) sliced += enc.next();
    CHECK(sliced.size() == expected.size());
    CHECK((sliced == expected));

    // depth + 1 levels: the innermost array is refused, whichever way it is drained.
    nested = json::array({std::move(nested)});
    CHECK_THROWS_AS(iterjson::to_string(nested), iterjson::encode_error);
    iterjson::encoder too_deep(nested);
    CHECK_THROWS_AS(
        [&] {
          while (!too_deep.done()) too_deep.next();
        }(),
        iterjson::encode_error);
    CHECK(too_deep.failed());
    CHECK(too_deep.done());
    std::string innermost_path;
    for (std::size_t level = 0; level < depth; ++level) innermost_path += "/0";
    CHECK(too_deep.error_path().size() == innermost_path.size());
    CHECK((too_deep.error_path() == innermost_path));
  }
}
