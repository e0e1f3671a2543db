#include "iterjson/fmt.hpp"

#include <cmath>
#include <cstddef>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "iterjson/error.hpp"
#include "iterjson/source.hpp"
#include "test_support.hpp"

namespace {

const std::map<std::string, std::vector<int>> sample{{"a", {1, 2}}, {"b", {}}};

TEST_CASE("fmt: {} writes the compact text, {:N} indents by N") {
  CHECK(fmt::format("{}", iterjson::json(sample)) == R"({"a":[1,2],"b":[]})");
  CHECK(fmt::format("{:2}", iterjson::json(sample)) == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": []\n}");
  CHECK(fmt::format("{:0}", iterjson::json(sample)) == "{\n\"a\": [\n1,\n2\n],\n\"b\": []\n}");
  CHECK(fmt::format("rows={} n={}", iterjson::json(std::vector<int>{7}), 3) == "rows=[7] n=3");
}

TEST_CASE("fmt: json(value, options) carries the options; a width overrides the indent") {
  const std::map<int, std::string> value{{2, "é"}, {1, "x"}};
  CHECK(fmt::format("{}", iterjson::json(value, {.ensure_ascii = true})) == R"({"1":"x","2":"\u00e9"})");
  CHECK(fmt::format("{}", iterjson::json(value, {.indent = 1})) == "{\n \"1\": \"x\",\n \"2\": \"\u00e9\"\n}");
  CHECK(fmt::format("{:3}", iterjson::json(value, {.indent = 1, .key_separator = ":"})) ==
        "{\n   \"1\":\"x\",\n   \"2\":\"\u00e9\"\n}");
  CHECK_THROWS_AS((void)fmt::format(fmt::runtime("{:x}"), iterjson::json(value)), fmt::format_error);
}

// An output iterator that notes how much of the document had been made when its first
// byte arrived.
struct first_byte_watch {
  using iterator_category = std::output_iterator_tag;
  using value_type = void;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = void;
  std::string* out;
  const std::size_t* made;
  std::size_t* made_at_first_byte;
  first_byte_watch& operator*() { return *this; }
  first_byte_watch& operator++() { return *this; }
  first_byte_watch& operator++(int) { return *this; }
  first_byte_watch& operator=(char c) {
    if (out->empty()) *made_at_first_byte = *made;
    out->push_back(c);
    return *this;
  }
};

TEST_CASE("fmt: format_to streams the text to any output iterator as it is made") {
  auto made = std::make_shared<std::size_t>(0);
  auto document = iterjson::testing::generated(200'000, [made](std::size_t i) {
    ++*made;
    return i;
  });
  std::string out;
  std::size_t made_at_first_byte = 0;
  fmt::format_to(first_byte_watch{&out, made.get(), &made_at_first_byte}, "{}", iterjson::json(document));
  CHECK(out == iterjson::to_string(document));
  CHECK(made_at_first_byte < 2'000);  // the first bytes went out long before the last element was made
  MESSAGE("format_to: the first byte reached the iterator when " << made_at_first_byte << " of 200000 elements ("
                                                                 << iterjson::to_string(iterjson::testing::lazy_numbers(made_at_first_byte)).size()
                                                                 << " bytes of text) were made");

  fmt::memory_buffer buffer;
  fmt::format_to(std::back_inserter(buffer), "{:1}", iterjson::json(std::vector<int>{1, 2}));
  CHECK(fmt::to_string(buffer) == "[\n 1,\n 2\n]");
}

TEST_CASE("fmt: errors are to_string's") {
  CHECK_THROWS_WITH_AS((void)fmt::format("{}", iterjson::json(std::vector<double>{1.0, NAN})),
                       "NaN is not allowed by nan_policy::error at \"/1\"", iterjson::encode_error);
  iterjson::channel<int> nothing_yet;
  try {
    (void)fmt::format("{}", iterjson::json(nothing_yet));
    FAIL("no error");
  } catch (const iterjson::encode_error& error) {
    CHECK(error.code() == iterjson::encode_errc::cannot_wait);
  }
}

}  // namespace
