#include "iterjson/detail/write_number.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>

#include "test_support.hpp"

using iterjson::detail::write_finite_float;
using iterjson::detail::write_integer;

namespace {

template <class Integer>
std::string written(Integer value) {
  char text[iterjson::detail::max_integer_chars + 1];
  return {text, write_integer(text, value)};
}

template <class Float>
std::string written_float(Float value) {
  char text[iterjson::detail::max_double_chars];
  return {text, write_finite_float(text, value)};
}

template <class Integer>
std::string reference(Integer value) {
  char text[32];
  return {text, std::to_chars(text, text + sizeof text, value).ptr};
}

// Python's repr from a different source: std::to_chars' shortest digits, laid out by
// repr's rule (exponent form below 1e-4 and from 1e16 on, at least two exponent digits).
template <class Float>
std::string python_repr(Float value) {
  char text[64];
  char* end = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific).ptr;
  std::string scientific(text, end);
  const std::size_t e = scientific.find('e');
  const int exponent = std::stoi(scientific.substr(e + 1));
  std::string digits = scientific.substr(0, e);
  const bool negative = digits[0] == '-';
  if (negative) digits.erase(0, 1);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  std::string out;
  if (negative) out.push_back('-');
  if (exponent < -4 || exponent >= 16) {
    out.push_back(digits[0]);
    if (digits.size() > 1) out.append(".").append(digits, 1);
    const std::string magnitude = std::to_string(exponent < 0 ? -exponent : exponent);
    out.append(exponent < 0 ? "e-" : "e+");
    if (magnitude.size() < 2) out.push_back('0');
    out.append(magnitude);
  } else if (exponent < 0) {
    out.append("0.").append(static_cast<std::size_t>(-exponent - 1), '0').append(digits);
  } else {
    const auto point = static_cast<std::size_t>(exponent + 1);
    if (digits.size() <= point) {
      out.append(digits).append(point - digits.size(), '0').append(".0");
    } else {
      out.append(digits, 0, point).append(".").append(digits, point);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("integers at the edges of every width") {
  CHECK(written(std::int8_t{-128}) == "-128");
  CHECK(written(std::int16_t{-32768}) == "-32768");
  CHECK(written(std::int32_t{INT32_MIN}) == "-2147483648");
  CHECK(written(std::int64_t{INT64_MIN}) == "-9223372036854775808");
  CHECK(written(std::int64_t{INT64_MAX}) == "9223372036854775807");
  CHECK(written(std::uint64_t{UINT64_MAX}) == "18446744073709551615");
  CHECK(written(0) == "0");
}

TEST_CASE("integers agree with std::to_chars") {
  std::mt19937_64 random(7);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t bits = random() >> (random() % 64);
    REQUIRE(written(bits) == reference(bits));
    REQUIRE(written(static_cast<std::int64_t>(bits)) == reference(static_cast<std::int64_t>(bits)));
    REQUIRE(written(static_cast<std::int32_t>(bits)) == reference(static_cast<std::int32_t>(bits)));
    REQUIRE(written(static_cast<std::int16_t>(bits)) == reference(static_cast<std::int16_t>(bits)));
  }
}

TEST_CASE("doubles in Python's repr layout") {
  CHECK(written_float(1.0) == "1.0");
  CHECK(written_float(-0.0) == "-0.0");
  CHECK(written_float(1e16) == "1e+16");
  CHECK(written_float(9999999999999998.0) == "9999999999999998.0");
  CHECK(written_float(0.0001) == "0.0001");
  CHECK(written_float(0.00001) == "1e-05");
  CHECK(written_float(123456789012345678.0) == "1.2345678901234568e+17");
  CHECK(written_float(5e-324) == "5e-324");
  CHECK(written_float(1.7976931348623157e308) == "1.7976931348623157e+308");
}

TEST_CASE("floats keep a float's shortest digits, in the same layout") {
  std::mt19937 random(13);
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t bits = static_cast<std::uint32_t>(random());
    float value;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    REQUIRE(written_float(value) == python_repr(value));
  }
}

TEST_CASE("doubles from random bits agree with an independent repr") {
  std::mt19937_64 random(11);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    REQUIRE(written_float(value) == python_repr(value));
    const double moderate = static_cast<double>(static_cast<std::int64_t>(bits % 2000000) - 1000000) / 64;
    REQUIRE(written_float(moderate) == python_repr(moderate));
  }
}

TEST_CASE("eight digits at once agree with digits by division") {
  for (std::uint32_t value = 0; value < 100000000; value += 7) {
    std::uint64_t expected = 0;
    std::uint32_t rest = value;
    for (int digit = 7; digit >= 0; --digit) {
      expected |= static_cast<std::uint64_t>(rest % 10) << (8 * digit);
      rest /= 10;
    }
    REQUIRE(iterjson::detail::eight_digit_values(value) == expected);
  }
}

TEST_CASE("sixteen digits at once agree with the word-at-a-time way") {
  std::mt19937_64 random(17);
  for (int i = 0; i < 1000000; ++i) {
    const std::uint64_t value = (random() >> (random() % 64)) % 10000000000000000;
    char fast[16];
    char plain[16];
    const unsigned fast_zeros = iterjson::detail::sixteen_digits(fast, value);
    const unsigned plain_zeros = iterjson::detail::sixteen_digits_by_words(plain, value);
    REQUIRE(std::string_view(fast, 16) == std::string_view(plain, 16));
    REQUIRE(fast_zeros == plain_zeros);
  }
  char text[16];
  CHECK(iterjson::detail::sixteen_digits(text, 1234567890123456) == 0x0200);  // the 0 at digit 9
  CHECK(std::string_view(text, 16) == "1234567890123456");
  CHECK(iterjson::detail::sixteen_digits(text, 0) == 0xFFFF);
  CHECK(std::string_view(text, 16) == "0000000000000000");
}
