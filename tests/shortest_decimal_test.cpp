#include "iterjson/detail/shortest_decimal.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include <fmt/format.h>

#include "test_support.hpp"

using iterjson::detail::decimal_number;
using iterjson::detail::shortest_decimal;

namespace {

// Without trailing zeros, as Dragonbox gives it.
decimal_number trimmed(decimal_number decimal) {
  while (decimal.significand % 10 == 0) {
    decimal.significand /= 10;
    ++decimal.exponent;
  }
  return decimal;
}

// The plain path for shortest_decimal: fmt's Dragonbox, an independent algorithm.
bool agrees_with_dragonbox(double value) {
  const decimal_number ours = trimmed(shortest_decimal(value));
  const auto reference = fmt::detail::dragonbox::to_decimal(value);
  return ours.significand == reference.significand && ours.exponent == reference.exponent;
}

double from_bits(std::uint64_t bits) { return std::bit_cast<double>(bits); }

}  // namespace

TEST_CASE("shortest decimals of known doubles") {
  auto check = [](double value, std::uint64_t significand, int exponent) {
    const decimal_number decimal = trimmed(shortest_decimal(value));
    CHECK(decimal.significand == significand);
    CHECK(decimal.exponent == exponent);
  };
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

TEST_CASE("every power of two and its neighbours agree with Dragonbox") {
  // Powers of two are where the lower neighbour is closer; subnormals where c is small.
  for (std::uint64_t exponent = 0; exponent < 2047; ++exponent) {
    for (const std::uint64_t fraction : {0ull, 1ull, 2ull, 3ull, (1ull << 51), (1ull << 52) - 2, (1ull << 52) - 1}) {
      const std::uint64_t bits = exponent << 52 | fraction;
      if (bits == 0) continue;
      REQUIRE_MESSAGE(agrees_with_dragonbox(from_bits(bits)), "bits " << bits);
    }
  }
}

TEST_CASE("random doubles and short decimals agree with Dragonbox") {
  std::mt19937_64 random(2026);
  for (int i = 0; i < 2000000; ++i) {
    const double value = from_bits(random() >> 1);  // positive; every exponent
    if (!std::isfinite(value) || value == 0) continue;
    REQUIRE_MESSAGE(agrees_with_dragonbox(value), "bits " << std::bit_cast<std::uint64_t>(value));
  }
  for (int i = 1; i < 300000; ++i) {  // decimals with few digits: many trailing zeros
    for (const double value : {i / 1000.0, i * 1e-7, i * 1e15, i / 64.0}) {
      REQUIRE_MESSAGE(agrees_with_dragonbox(value), "value " << value);
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
