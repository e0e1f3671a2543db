#include "iterjson/detail/shortest_decimal.hpp"

#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>

#include "repr_reference.hpp"
#include "test_support.hpp"

using iterjson::detail::decimal_number;
using iterjson::detail::shortest_decimal;

namespace {

// Without trailing zeros, as the reference gives it.
decimal_number trimmed(decimal_number decimal) {
  while (decimal.significand % 10 == 0) {
    decimal.significand /= 10;
    ++decimal.exponent;
  }
  return decimal;
}

// The plain path for shortest_decimal: the shortest digits of std::to_chars, an
// independent algorithm.
template <class Float>
bool agrees_with_to_chars(Float value) {
  const decimal_number ours = trimmed(shortest_decimal(value));
  const auto reference = iterjson::testing::reference_decimal_of(value);
  return ours.significand == reference.significand && ours.exponent == reference.exponent;
}

double from_bits(std::uint64_t bits) { return std::bit_cast<double>(bits); }
float from_bits(std::uint32_t bits) { return std::bit_cast<float>(bits); }

template <class Float>
void check(Float value, std::uint64_t significand, int exponent) {
  const decimal_number decimal = trimmed(shortest_decimal(value));
  CHECK(decimal.significand == significand);
  CHECK(decimal.exponent == exponent);
}

}  // namespace

TEST_CASE("shortest decimals of known doubles") {
  check(1.0, 1, 0);
  check(0.1, 1, -1);
  check(0.3, 3, -1);
  check(5e-324, 5, -324);                               // the smallest subnormal
  check(2.2250738585072014e-308, 22250738585072014, -324);  // the smallest normal
  check(1.7976931348623157e308, 17976931348623157, 292);
  check(9007199254740993.0, 9007199254740992, 0);       // 2^53 + 1 rounds to 2^53
  check(123456.789, 123456789, -3);
  check(1e23, 1, 23);
}

TEST_CASE("shortest decimals of known floats: a float's own digits") {
  check(1.0f, 1, 0);
  check(0.1f, 1, -1);  // not 0.100000001490116, the double it widens to
  check(0.3f, 3, -1);
  check(1.0f / 3, 33333334, -8);
  check(from_bits(std::uint32_t{1}), 1, -45);           // the smallest subnormal, 1e-45
  check(from_bits(std::uint32_t{0x007fffff}), 11754942, -45);  // the largest subnormal
  check(FLT_MIN, 11754944, -45);
  check(FLT_MAX, 34028235, 31);
  check(16777216.0f, 16777216, 0);                      // 2^24, the last odd-free integer
  check(16777217.0f, 16777216, 0);                      // rounds to 2^24
  check(9007199254740992.0f, 9007199, 9);               // 2^53: fewer digits than the integer
  check(1e16f, 1, 16);
  check(std::nextafter(1e16f, 0.0f), 9999999, 9);
  check(1e-4f, 1, -4);
  check(std::nextafter(1e-4f, 0.0f), 9999999, -11);
}

TEST_CASE("every power of two and its neighbours agree with std::to_chars") {
  // Powers of two are where the lower neighbour is closer; subnormals where c is small.
  for (std::uint64_t exponent = 0; exponent < 2047; ++exponent) {
    for (const std::uint64_t fraction : {0ull, 1ull, 2ull, 3ull, (1ull << 51), (1ull << 52) - 2, (1ull << 52) - 1}) {
      const std::uint64_t bits = exponent << 52 | fraction;
      if (bits == 0) continue;
      REQUIRE_MESSAGE(agrees_with_to_chars(from_bits(bits)), "bits " << bits);
    }
  }
  for (std::uint32_t exponent = 0; exponent < 255; ++exponent) {
    for (const std::uint32_t fraction : {0u, 1u, 2u, 3u, 1u << 22, (1u << 23) - 2, (1u << 23) - 1}) {
      const std::uint32_t bits = exponent << 23 | fraction;
      if (bits == 0) continue;
      REQUIRE_MESSAGE(agrees_with_to_chars(from_bits(bits)), "float bits " << bits);
    }
  }
}

TEST_CASE("random doubles and short decimals agree with std::to_chars") {
  std::mt19937_64 random(2026);
  for (int i = 0; i < 2000000; ++i) {
    const double value = from_bits(random() >> 1);  // positive; every exponent
    if (!std::isfinite(value) || value == 0) continue;
    REQUIRE_MESSAGE(agrees_with_to_chars(value), "bits " << std::bit_cast<std::uint64_t>(value));
  }
  for (int i = 1; i < 300000; ++i) {  // decimals with few digits: many trailing zeros
    for (const double value : {i / 1000.0, i * 1e-7, i * 1e15, i / 64.0}) {
      REQUIRE_MESSAGE(agrees_with_to_chars(value), "value " << value);
    }
  }
}

// Every float is checked outside CI, by scripts/check_shortest.sh; here a sample.
TEST_CASE("random floats and short decimals agree with std::to_chars") {
  std::mt19937 random(2027);
  for (int i = 0; i < 300000; ++i) {
    const float value = from_bits(static_cast<std::uint32_t>(random() >> 1));  // positive; every exponent
    if (!std::isfinite(value) || value == 0) continue;
    REQUIRE_MESSAGE(agrees_with_to_chars(value), "float bits " << std::bit_cast<std::uint32_t>(value));
  }
  for (int i = 1; i < 100000; ++i) {
    for (const float value : {static_cast<float>(i) / 1000.0f, static_cast<float>(i) * 1e-7f,
                              static_cast<float>(i) * 1e15f, static_cast<float>(i) / 64.0f}) {
      REQUIRE_MESSAGE(agrees_with_to_chars(value), "value " << value);
    }
  }
}

TEST_CASE("the floats nearest to each power of ten, and their neighbours, agree with std::to_chars") {
  for (int exponent = -45; exponent <= 38; ++exponent) {
    const std::string text = "1e" + std::to_string(exponent);
    const float nearest = std::strtof(text.c_str(), nullptr);
    for (const float value : {nearest, std::nextafter(nearest, 0.0f), std::nextafter(nearest, FLT_MAX)}) {
      if (value == 0 || !std::isfinite(value)) continue;
      REQUIRE_MESSAGE(agrees_with_to_chars(value), "value " << value);
    }
    check(nearest, 1, exponent);  // 1e-45 too: the smallest subnormal, 1.4e-45, is closer than 2e-45
  }
}

TEST_CASE("no power of ten a float uses has a high half of all ones, which rounding up would overflow") {
  using iterjson::detail::floor_log10_pow2;
  using iterjson::detail::floor_log10_three_quarters_pow2;
  for (int q = -149; q <= 104; ++q) {
    for (const int k : {floor_log10_pow2(q), floor_log10_three_quarters_pow2(q)}) {
      REQUIRE(iterjson::detail::pow10_significands[-k - iterjson::detail::pow10_first_exponent][0] != ~0ull);
    }
  }
}

TEST_CASE("the portable 128-bit product agrees with the built-in one") {
  std::mt19937_64 random(5);
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t a = random() >> (random() % 64), b = random() >> (random() % 64);
    const auto by_pieces = iterjson::detail::multiply_by_pieces(a, b);
    const auto built_in = iterjson::detail::multiply(a, b);
    REQUIRE(by_pieces.high == built_in.high);
    REQUIRE(by_pieces.low == built_in.low);
  }
  constexpr auto largest = iterjson::detail::multiply_by_pieces(~0ull, ~0ull);
  CHECK(largest.high == ~0ull - 1);
  CHECK(largest.low == 1);
}

TEST_CASE("the table of powers of ten is what its generator writes") {
  if (std::string_view(ITERJSON_PYTHON3).empty()) {
    MESSAGE("python3 was not found when the tests were configured: the table is not regenerated");
    return;
  }
  const auto generated = iterjson::testing::run_command(std::string("\"") + ITERJSON_PYTHON3 + "\" \"" +
                                                        ITERJSON_TESTS_DIR + "/../scripts/gen_pow10_table.py\"");
  CHECK(generated.status == 0);
  CHECK(generated.output ==
        iterjson::testing::read_file(std::string(ITERJSON_INCLUDE_DIR) + "/iterjson/detail/pow10_table.hpp"));
}
