#include "iterjson/error.hpp"

#include <cmath>
#include <map>
#include <memory>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_support.hpp"

using iterjson::encoder;

namespace {

struct score_card {
  std::string name;
  double score;
};

struct user_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct node {
  std::vector<std::shared_ptr<node>> children;
};

template <class T>
std::string error_path_of(const T& value, const iterjson::options& opts = {}) {
  try {
    (void)iterjson::to_string(value, opts);
  } catch (const iterjson::encode_error& error) {
    CHECK(std::string(error.what()).ends_with("at \"" + error.path() + "\""));
    return error.path();
  }
  FAIL("no encode_error");
  return {};
}

}  // namespace

ITERJSON_FIELDS(score_card, name, score);

template <>
struct iterjson::encode_as<node> {
  static const auto& convert(const node& n) { return n.children; }
};

TEST_CASE("the error names the path of the offending value") {
  const std::map<std::string, std::vector<score_card>> users{
      {"users", {{"a", 1.0}, {"b", 2.0}, {"c", 3.0}, {"d", std::nan("")}}}};
  CHECK(error_path_of(users) == "/users/3/score");
  CHECK(error_path_of(std::nan("")) == "");
  CHECK(error_path_of(std::map<std::string, double>{{"a/b~c", INFINITY}}) == "/a~1b~0c");
  CHECK(error_path_of(std::tuple<int, std::string>{1, "\xff"}, {.invalid_utf8 = iterjson::utf8_policy::error}) ==
        "/1");
  CHECK(error_path_of(std::map<int, std::vector<int>>{{7, {1}}}, {.max_depth = 1}) == "/7");
  CHECK(error_path_of(std::map<double, int>{{INFINITY, 1}}) == "/Infinity");
}

TEST_CASE("the message says what was refused") {
  try {
    (void)iterjson::to_string(std::vector<double>{INFINITY});
    FAIL("no error");
  } catch (const iterjson::encode_error& error) {
    CHECK(std::string(error.what()) == "Infinity is not allowed by nan_policy::error at \"/0\"");
  }
}

TEST_CASE("invalid UTF-8 cut at a chunk boundary still fails with its path") {
  std::string text(100, 'a');
  text += "\xc3";  // truncated two-byte sequence at the very end
  const std::map<std::string, std::string> value{{"k", text}};
  encoder enc(value, {.invalid_utf8 = iterjson::utf8_policy::error, .chunk_size = 16});
  std::string out;
  CHECK_THROWS_AS(
      [&] {
        while (!enc.done()) out += enc.next();
      }(),
      iterjson::encode_error);
  CHECK(enc.failed());
  CHECK(enc.error_path() == "/k");
}

TEST_CASE("after an error the encoder is failed and writes nothing more") {
  encoder enc(std::vector<double>{1.0, std::nan(""), 2.0}, {.chunk_size = 2});
  std::string out;
  CHECK_THROWS_AS(
      [&] {
        while (!enc.done()) out += enc.next();
      }(),
      iterjson::encode_error);
  CHECK(out == "[1.0");  // the slice that failed is never handed out
  CHECK(enc.failed());
  CHECK(enc.done());
  CHECK(enc.next().empty());
  char buffer[8];
  CHECK(enc.read(buffer, sizeof buffer) == 0);
}

TEST_CASE("a user's exception propagates unchanged, and its path is kept") {
  const iterjson::testing::generated throwing(10, [](std::size_t i) {
    if (i == 4) throw user_error("no row 4");
    return i;
  });
  const std::map<std::string, decltype(throwing)> value{{"rows", throwing}};
  encoder enc(value);
  try {
    (void)enc.next();
    FAIL("no exception");
  } catch (const user_error& error) {
    CHECK(std::string(error.what()) == "no row 4");
  }
  CHECK(enc.failed());
  CHECK(enc.error_path() == "/rows/4");
  CHECK(enc.next().empty());
}

TEST_CASE("a cycle through shared_ptr is an error, a shared value seen twice is not") {
  auto leaf = std::make_shared<node>();
  auto root = std::make_shared<node>();
  root->children = {leaf, leaf};
  CHECK(iterjson::to_string(root) == "[[],[]]");

  leaf->children.push_back(root);  // root -> leaf -> root
  CHECK(error_path_of(root) == "/0/0");
  leaf->children.clear();  // break the cycle so the nodes are freed
}

TEST_CASE("an error thrown from to_string leaves nothing behind") {
  CHECK_THROWS_WITH_AS(iterjson::to_string(std::vector<float>{1.0f, -INFINITY}),
                       "-Infinity is not allowed by nan_policy::error at \"/1\"", iterjson::encode_error);
}

TEST_CASE("with exceptions, the encoder keeps the error's code and message too") {
  iterjson::encoder enc(std::vector<double>{1.0, NAN});
  try {
    while (!enc.done()) (void)enc.next();
    FAIL("no exception");
  } catch (const iterjson::encode_error& error) {
    CHECK(error.code() == iterjson::encode_errc::non_finite_number);
    CHECK(enc.error() == iterjson::encode_errc::non_finite_number);
    CHECK(enc.error_message() == error.what());
  }
  std::error_code code;
  CHECK(iterjson::to_string(std::vector<double>{INFINITY}, {}, code).empty());
  CHECK(code == iterjson::encode_errc::non_finite_number);
  CHECK(code.message() == "NaN or Infinity refused by nan_policy::error");
  CHECK(iterjson::to_string(std::vector<int>{1}, {}, code) == "[1]");
  CHECK(!code);
}
