#include "iterjson/detail/write_number.hpp"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "repr_reference.hpp"
#include "test_support.hpp"

using iterjson::detail::write_finite_float;
using iterjson::detail::write_integer;
using iterjson::testing::repr_reference;

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

TEST_CASE("floats in the same layout, with a float's own shortest digits") {
  CHECK(written_float(0.1f) == "0.1");  // not 0.10000000149011612, the double it widens to
  CHECK(written_float(1.0f) == "1.0");
  CHECK(written_float(0.0f) == "0.0");
  CHECK(written_float(-0.0f) == "-0.0");
  CHECK(written_float(-2.5f) == "-2.5");
  CHECK(written_float(1.0f / 3) == "0.33333334");
  CHECK(written_float(16777216.0f) == "16777216.0");
  CHECK(written_float(1e10f) == "10000000000.0");
  CHECK(written_float(9007199254740992.0f) == "9007199000000000.0");  // 2^53: its digits, then zeros
  CHECK(written_float(1e16f) == "1e+16");
  CHECK(written_float(std::nextafter(1e16f, 0.0f)) == "9999999000000000.0");
  CHECK(written_float(0.0001f) == "0.0001");
  CHECK(written_float(std::nextafter(0.0001f, 0.0f)) == "9.999999e-05");
  CHECK(written_float(0.00001f) == "1e-05");
  CHECK(written_float(std::bit_cast<float>(std::uint32_t{1})) == "1e-45");  // the smallest subnormal
  CHECK(written_float(std::bit_cast<float>(std::uint32_t{0x007fffff})) == "1.1754942e-38");
  CHECK(written_float(std::numeric_limits<float>::min()) == "1.1754944e-38");
  CHECK(written_float(std::numeric_limits<float>::max()) == "3.4028235e+38");
  CHECK(written_float(-std::numeric_limits<float>::max()) == "-3.4028235e+38");
}

TEST_CASE("floats from random bits agree with an independent repr") {
  std::mt19937 random(13);
  for (int i = 0; i < 200000; ++i) {
    const auto value = std::bit_cast<float>(static_cast<std::uint32_t>(random()));
    if (!std::isfinite(value)) continue;
    REQUIRE(written_float(value) == repr_reference(value));
    const float moderate = static_cast<float>(static_cast<std::int32_t>(random() % 2000000) - 1000000) / 64;
    REQUIRE(written_float(moderate) == repr_reference(moderate));
  }
}

TEST_CASE("floats at powers of ten and two, and integral floats, agree with an independent repr") {
  for (int exponent = -45; exponent <= 38; ++exponent) {
    const float nearest = std::strtof(("1e" + std::to_string(exponent)).c_str(), nullptr);
    for (const float value : {nearest, std::nextafter(nearest, 0.0f), std::nextafter(nearest, INFINITY)}) {
      if (std::isfinite(value)) REQUIRE(written_float(value) == repr_reference(value));
    }
  }
  for (int exponent = -149; exponent <= 127; ++exponent) {
    const float power = std::ldexp(1.0f, exponent);
    for (const float value : {power, std::nextafter(power, 0.0f), std::nextafter(power, INFINITY)}) {
      if (std::isfinite(value)) REQUIRE(written_float(value) == repr_reference(value));
    }
  }
  for (std::int32_t integer = -100000; integer <= 100000; ++integer) {
    const float value = static_cast<float>(integer) * 1024.0f;  // up to 1e8: ends in zeros past 2^24
    REQUIRE(written_float(value) == repr_reference(value));
  }
}

TEST_CASE("doubles from random bits agree with an independent repr") {
  std::mt19937_64 random(11);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t bits = random();
    double value;
    std::memcpy(&value, &bits, sizeof value);
    if (!std::isfinite(value)) continue;
    REQUIRE(written_float(value) == repr_reference(value));
    const double moderate = static_cast<double>(static_cast<std::int64_t>(bits % 2000000) - 1000000) / 64;
    REQUIRE(written_float(moderate) == repr_reference(moderate));
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

TEST_CASE("integers agree with std::to_chars at the edges of every width") {
  for (std::uint64_t power = 10; power <= 10000000000000000000u; power *= 10) {
    for (const std::uint64_t value : {power - 1, power, power + 1, power / 10 * 9 + power / 100}) {
      REQUIRE(written(value) == reference(value));
      const auto as_signed = static_cast<std::int64_t>(value);
      REQUIRE(written(as_signed) == reference(as_signed));
      REQUIRE(written(-as_signed) == reference(-as_signed));
    }
    if (power > UINT64_MAX / 10) break;
  }
}

TEST_CASE("nine to sixteen digits at once agree with the word-at-a-time way") {
  std::mt19937_64 random(23);
  auto check = [](std::uint64_t value) {
    char fast[24];
    char plain[24];
    const char* fast_end = iterjson::detail::write_nine_to_sixteen_digits(fast, value);
    const char* plain_end = iterjson::detail::write_nine_to_sixteen_digits_by_words(plain, value);
    REQUIRE(std::string_view(fast, fast_end) == std::string_view(plain, plain_end));
    REQUIRE(std::string_view(fast, fast_end) == reference(value));
  };
  for (std::uint64_t power = 100000000; power <= 1000000000000000; power *= 10) {
    for (const std::uint64_t value : {power, power * 10 - 1, power + 1, power * 9 + power / 10}) check(value);
  }
  for (int i = 0; i < 1000000; ++i) {
    check(100000000 + (random() >> (random() % 64)) % (10000000000000000 - 100000000));
  }
}

TEST_CASE("the count of decimal digits agrees with counting them") {
  auto counted = [](std::uint32_t value) {
    unsigned count = 1;
    while (value >= 10) {
      value /= 10;
      ++count;
    }
    return count;
  };
  std::vector<std::uint32_t> values{0, 1, UINT32_MAX};
  for (std::uint64_t power = 1; power <= UINT32_MAX; power *= 10) {
    for (const std::uint64_t near : {power - 1, power, power + 1}) {
      if (near <= UINT32_MAX) values.push_back(static_cast<std::uint32_t>(near));
    }
  }
  for (int width = 0; width < 32; ++width) {
    const std::uint64_t power = std::uint64_t{1} << width;
    values.push_back(static_cast<std::uint32_t>(power - 1));
    values.push_back(static_cast<std::uint32_t>(power));
  }
  std::mt19937 random(29);
  for (int i = 0; i < 1000000; ++i) values.push_back(static_cast<std::uint32_t>(random()) >> (random() % 32));
  for (const std::uint32_t value : values) REQUIRE(iterjson::detail::decimal_digit_count(value) == counted(value));
}
