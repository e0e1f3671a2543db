#include "iterjson/adapters/yyjson.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "iterjson/adapters/nlohmann.hpp"
#include "test_support.hpp"

namespace {

using iterjson::testing::concat_next;
using iterjson::testing::concat_read;
using iterjson::testing::encode_every_way;
using iterjson::testing::read_file;
using iterjson::testing::shared_data;

struct doc_deleter {
  void operator()(yyjson_doc* doc) const { yyjson_doc_free(doc); }
  void operator()(yyjson_mut_doc* doc) const { yyjson_mut_doc_free(doc); }
};
using document = std::unique_ptr<yyjson_doc, doc_deleter>;
using mutable_document = std::unique_ptr<yyjson_mut_doc, doc_deleter>;

document parse(std::string_view text, yyjson_read_flag flags = 0) {
  document doc(yyjson_read(text.data(), text.size(), flags));
  REQUIRE_MESSAGE(doc != nullptr, "yyjson cannot parse " << text);
  return doc;
}

// Copies an immutable document into a mutable one, whose values are linked in rings.
mutable_document mutable_copy(const document& doc) {
  mutable_document copy(yyjson_doc_mut_copy(doc.get(), nullptr));
  REQUIRE(copy != nullptr);
  return copy;
}

// The text of a document both ways: read, and copied into a mutable document.
std::string both_ways(std::string_view text, const iterjson::options& opts = {}) {
  const document doc = parse(text);
  const mutable_document copy = mutable_copy(doc);
  const std::string immutable = encode_every_way(doc.get(), opts);
  CHECK(encode_every_way(copy.get(), opts) == immutable);
  return immutable;
}

}  // namespace

TEST_CASE("yyjson: scalars keep their kind") {
  CHECK(both_ways("null") == "null");
  CHECK(both_ways("[true,false,null]") == "[true,false,null]");
  CHECK(both_ways("[0,-1,9223372036854775807,-9223372036854775808,18446744073709551615]") ==
        "[0,-1,9223372036854775807,-9223372036854775808,18446744073709551615]");
  CHECK(both_ways("[1.5,-0.0,1e300,2.0,1e-7]") == "[1.5,-0.0,1e+300,2.0,1e-07]");
  CHECK(both_ways(R"(["", "a\"b\\c\u0001", "é€😀"])") == R"(["","a\"b\\c\u0001","é€😀"])");
}

TEST_CASE("yyjson: nested containers, empty ones, and objects in document order") {
  const std::string text = R"({"z":[1,[2,[]],{}],"a":{"b":{"c":[{"d":null}]}},"":[[[]]],"m":{}})";
  CHECK(both_ways(text) == text);
  CHECK(both_ways(text, {.sort_keys = true}) == R"({"":[[[]]],"a":{"b":{"c":[{"d":null}]}},"m":{},"z":[1,[2,[]],{}]})");
  CHECK(both_ways("[[],{}]", {.indent = 2}) == "[\n  [],\n  {}\n]");
  CHECK(both_ways(R"({"k":[1,2]})", {.indent = 1}) == "{\n \"k\": [\n  1,\n  2\n ]\n}");
}

TEST_CASE("yyjson: a value inside a document, by reference or by pointer, and null pointers") {
  const document doc = parse(R"({"list":[1,"two",{"x":3}],"flag":false})");
  yyjson_val* list = yyjson_obj_get(yyjson_doc_get_root(doc.get()), "list");
  CHECK(encode_every_way(list) == R"([1,"two",{"x":3}])");
  CHECK(encode_every_way(*list) == R"([1,"two",{"x":3}])");
  CHECK(encode_every_way(static_cast<const yyjson_val*>(yyjson_arr_get(list, 2))) == R"({"x":3})");
  CHECK(encode_every_way(static_cast<yyjson_val*>(nullptr)) == "null");
  CHECK(encode_every_way(static_cast<yyjson_doc*>(nullptr)) == "null");
  std::map<std::string, yyjson_val*> picked{{"list", list}, {"missing", nullptr}};
  CHECK(encode_every_way(picked) == R"({"list":[1,"two",{"x":3}],"missing":null})");
}

TEST_CASE("yyjson: a mutable document built in code") {
  const mutable_document doc(yyjson_mut_doc_new(nullptr));
  yyjson_mut_val* root = yyjson_mut_obj(doc.get());
  yyjson_mut_doc_set_root(doc.get(), root);
  yyjson_mut_obj_add_str(doc.get(), root, "name", "iterjson");
  yyjson_mut_obj_add_int(doc.get(), root, "year", 2026);
  yyjson_mut_val* tags = yyjson_mut_obj_add_arr(doc.get(), root, "tags");
  yyjson_mut_arr_add_str(doc.get(), tags, "json");
  yyjson_mut_arr_add_real(doc.get(), tags, 0.5);
  yyjson_mut_obj_add_arr(doc.get(), root, "empty");
  CHECK(encode_every_way(doc.get()) == R"({"name":"iterjson","year":2026,"tags":["json",0.5],"empty":[]})");
  CHECK(encode_every_way(doc.get(), {.sort_keys = true}) ==
        R"({"empty":[],"name":"iterjson","tags":["json",0.5],"year":2026})");
  const mutable_document empty(yyjson_mut_doc_new(nullptr));
  CHECK(encode_every_way(empty.get()) == "null");  // no root yet
}

TEST_CASE("yyjson: numbers read as raw text are written as that text") {
  const std::string text = R"([1.10,123456789012345678901234567890,-0.0e5,{"n":2E3}])";
  const document doc = parse(text, YYJSON_READ_NUMBER_AS_RAW);
  CHECK(encode_every_way(doc.get()) == R"([1.10,123456789012345678901234567890,-0.0e5,{"n":2E3}])");
  CHECK(encode_every_way(mutable_copy(doc).get()) == R"([1.10,123456789012345678901234567890,-0.0e5,{"n":2E3}])");
}

TEST_CASE("yyjson: errors name the path, and options apply to its strings and numbers") {
  const document doc = parse(R"({"a":[1,"\u00e9"]})");
  CHECK(both_ways(R"({"a":[1,"\u00e9"]})", {.ensure_ascii = true}) == R"({"a":[1,"\u00e9"]})");
  const mutable_document built(yyjson_mut_doc_new(nullptr));
  yyjson_mut_val* array = yyjson_mut_arr(built.get());
  yyjson_mut_doc_set_root(built.get(), array);
  yyjson_mut_arr_add_real(built.get(), array, 1.0);
  yyjson_mut_arr_add_real(built.get(), array, std::numeric_limits<double>::quiet_NaN());
  CHECK_THROWS_WITH_AS(iterjson::to_string(built.get()), "NaN is not allowed by nan_policy::error at \"/1\"",
                       iterjson::encode_error);
  CHECK(iterjson::to_string(built.get(), {.nan = iterjson::nan_policy::null}) == "[1.0,null]");
  yyjson_mut_arr_add_strn(built.get(), array, "bad \xFF", 5);
  CHECK_THROWS_WITH_AS(
      iterjson::to_string(built.get(), {.nan = iterjson::nan_policy::null, .invalid_utf8 = iterjson::utf8_policy::error}),
      "invalid UTF-8 (byte 0xff) refused by utf8_policy::error at \"/2\"", iterjson::encode_error);
}

TEST_CASE("yyjson: each corpus is written as the same data in nlohmann::ordered_json is") {
  for (const char* name : {"twitter.json", "citm_catalog.json", "canada.json"}) {
    CAPTURE(name);
    const std::string text = read_file(shared_data(std::string("corpora/") + name));
    const document doc = parse(text);
    const mutable_document copy = mutable_copy(doc);
    const std::string expected = iterjson::to_string(nlohmann::ordered_json::parse(text));
    const std::string actual = iterjson::to_string(doc.get());
    CHECK(actual.size() == expected.size());
    CHECK((actual == expected));  // in parentheses: megabytes are not printed on failure
    CHECK((concat_next(doc.get()) == expected));
    CHECK((concat_read(doc.get(), 65536) == expected));
    CHECK((iterjson::to_string(copy.get()) == expected));
    CHECK((concat_next(copy.get(), {.chunk_size = 1000}) == expected));
  }
}
