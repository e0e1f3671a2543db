#pragma once

#include <bit>
#include <concepts>
#include <cstdint>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/pow10_table.hpp"

// The shortest decimal that reads back as a given double or float, by Raffaello
// Giulietti's Schubfach algorithm ("The Schubfach way to render doubles", 2020): the
// decimals of the rounding interval of the number are found with three products by one
// power of ten from a table, and the shortest of them, or the closest where there is a
// choice, is taken. Inline, with the full table, so a number costs a few dozen
// instructions and no call. Tests compare it with std::to_chars on millions of numbers,
// and scripts/check_shortest.sh with every float.

namespace iterjson::detail {

// A decimal `significand * 10^exponent`; the significand may end in zeros.
struct decimal_number {
  std::uint64_t significand;
  int exponent;
};

// floor(e * log10(2)), floor(e * log10(2) + log10(3/4)) and floor(e * log2(10)), in
// fixed point, exact for |e| < 1100 (checked by scripts/gen_pow10_table.py's range).
constexpr int floor_log10_pow2(int e) noexcept {
  return static_cast<int>((static_cast<std::int64_t>(e) * 661971961083) >> 41);
}
constexpr int floor_log10_three_quarters_pow2(int e) noexcept {
  return static_cast<int>((static_cast<std::int64_t>(e) * 661971961083 - 274743187321) >> 41);
}
constexpr int floor_log2_pow10(int e) noexcept {
  return static_cast<int>((static_cast<std::int64_t>(e) * 913124641741) >> 38);
}

// A 64 by 64-bit product in two halves: with a 128-bit type where there is one, else in
// 32-bit pieces (the plain path, tested against the other).
struct wide_product {
  std::uint64_t high;
  std::uint64_t low;
};

constexpr wide_product multiply_by_pieces(std::uint64_t a, std::uint64_t b) noexcept {
  const std::uint64_t a_low = a & 0xFFFFFFFF, a_high = a >> 32, b_low = b & 0xFFFFFFFF, b_high = b >> 32;
  const std::uint64_t low_low = a_low * b_low, low_high = a_low * b_high, high_low = a_high * b_low;
  const std::uint64_t cross = (low_low >> 32) + (low_high & 0xFFFFFFFF) + (high_low & 0xFFFFFFFF);
  return {a_high * b_high + (low_high >> 32) + (high_low >> 32) + (cross >> 32), cross << 32 | (low_low & 0xFFFFFFFF)};
}

ITERJSON_DETAIL_INLINE wide_product multiply(std::uint64_t a, std::uint64_t b) noexcept {
#ifdef __SIZEOF_INT128__
  __extension__ using uint128 = unsigned __int128;
  const uint128 product = static_cast<uint128>(a) * b;
  return {static_cast<std::uint64_t>(product >> 64), static_cast<std::uint64_t>(product)};
#else
  return multiply_by_pieces(a, b);
#endif
}

// The high 64 bits of the 192-bit product of `g` (high, low) and `scaled`, rounded to
// odd: the lowest bit is set when the bits below are not all zero (beyond the error
// that rounding g up leaves).
ITERJSON_DETAIL_INLINE std::uint64_t multiply_round_to_odd(const std::uint64_t (&g)[2], std::uint64_t scaled) noexcept {
  const std::uint64_t carry_in = multiply(g[1], scaled).high;
  const wide_product upper = multiply(g[0], scaled);
  const std::uint64_t middle = upper.low + carry_in;
  const std::uint64_t high = upper.high + static_cast<std::uint64_t>(middle < carry_in);
  return high | static_cast<std::uint64_t>(middle > 1);
}

// The same for a float, whose `scaled` is below 2^30, with a 64-bit `g`: the high 64 bits
// of the table's power rounded up. Why that is enough: let x = scaled and t the exact
// power, in the same fixed point as g; then 0 < g - t <= 1 + 2^-64, so the product x * g
// exceeds the exact x * t by less than 2^30 + 1 units of its low half, that is by less
// than 2^-34 of its high half. Where the exact product's high half is a whole number,
// the low half is then below 2^30 and the result is exact. Where it is not, the result is
// right if the exact product is more than 2^-34 from any whole number. It is: for each
// positive float, tools/check_shortest.cpp computes the three products exactly, and the
// closest of those that are not whole is 2^-31.7 from one (at 3.1229253e+23).
ITERJSON_DETAIL_INLINE std::uint64_t multiply_round_to_odd(std::uint64_t g, std::uint64_t scaled) noexcept {
  const wide_product product = multiply(g, scaled);
  return product.high | static_cast<std::uint64_t>(product.low >= std::uint64_t{1} << 30);
}

// What the algorithm needs to know of each binary format: the bits of its fraction, and
// the exponent q of the lowest of them in a subnormal.
template <std::floating_point Float>
struct binary_format;

template <>
struct binary_format<double> {
  using bits = std::uint64_t;
  static constexpr int fraction_bits = 52;
  static constexpr int subnormal_exponent = -1074;
};

template <>
struct binary_format<float> {
  using bits = std::uint32_t;
  static constexpr int fraction_bits = 23;
  static constexpr int subnormal_exponent = -149;
};

// The shortest decimal in the rounding interval of a finite `value` above zero, the
// closest to `value` among those (ties to an even last digit).
template <std::floating_point Float>
inline decimal_number shortest_decimal(Float value) noexcept {
  using format = binary_format<Float>;
  const auto bits = std::bit_cast<typename format::bits>(value);
  const std::uint64_t hidden_bit = std::uint64_t{1} << format::fraction_bits;
  const std::uint64_t fraction = bits & (hidden_bit - 1);
  const auto biased_exponent = static_cast<int>(bits >> format::fraction_bits);  // the sign is 0
  // value = c * 2^q
  const std::uint64_t c = biased_exponent != 0 ? fraction | hidden_bit : fraction;
  const int q = format::subnormal_exponent + (biased_exponent != 0 ? biased_exponent - 1 : 0);

  // The interval's bounds, times 4: halfway to each neighbour. Below a power of two the
  // neighbour is twice as close. They belong to the interval when c is even.
  // lower_closer is fraction == 0 && biased_exponent > 1 in arithmetic, on purpose: as
  // comparisons, compilers set its parts with setcc into the low byte of registers that
  // still hold the caller's values, and AMD's processors do not rename that byte apart,
  // so a number waited for the end of the previous one. Measured: a float from random
  // bits took 28 ns, 23 ns this way; one in [-1, 1), 22 ns, 15 ns this way.
  const bool lower_closer = (((fraction - 1) & (static_cast<std::uint64_t>(1 - biased_exponent))) >> 63) != 0;
  const std::uint64_t out = c & 1;
  const std::uint64_t cb = c << 2;

  // Scaled by 10^-k, the interval's width in units of the last digit is in [1, 10): it
  // holds at most one multiple of ten.
  const int k = lower_closer ? floor_log10_three_quarters_pow2(q) : floor_log10_pow2(q);
  const int h = q + floor_log2_pow10(-k) + 1;  // 1 to 4
  const auto& g = pow10_significands[-k - pow10_first_exponent];
  const std::uint64_t cbl = cb - 2 + static_cast<std::uint64_t>(lower_closer);
  const std::uint64_t cbr = cb + 2;
  auto scaled = [&g](std::uint64_t bound) ITERJSON_DETAIL_INLINE_LAMBDA {
    if constexpr (std::same_as<Float, double>) {
      return multiply_round_to_odd(g, bound);
    } else {
      return multiply_round_to_odd(g[0] + 1, bound);  // no high half is 2^64 - 1 here
    }
  };
  const std::uint64_t vb = scaled(cb << h);
  const std::uint64_t lower = scaled(cbl << h) + out;
  const std::uint64_t upper = scaled(cbr << h) - out;

  // Which decimal is taken depends on where the interval's bounds fall, which for most
  // numbers is as good as random: the choices are made without branches, in bitwise
  // operations and a mask, which compilers keep as they are. The interval is narrower
  // than ten units of the last digit, so at most one multiple of ten is inside.
  const std::uint64_t s = vb >> 2;
  const std::uint64_t shorter = s / 10;  // one digit fewer, if a multiple of ten is inside
  const bool shorter_down_inside = lower <= 40 * shorter;
  const bool shorter_up_inside = 40 * shorter + 40 <= upper;
  const bool take_shorter = (shorter_down_inside | shorter_up_inside) & (s >= 10);
  const bool down_inside = lower <= 4 * s;
  const bool up_inside = 4 * s + 4 <= upper;
  // Both inside: the closer, ties to even. vb is 4 * s plus 0 to 3: 3 is past halfway.
  const bool round_up = ((vb >> 1) & (vb | s) & 1) != 0;
  const bool up = up_inside & (!down_inside | round_up);
  const std::uint64_t shorter_mask = 0 - static_cast<std::uint64_t>(take_shorter);
  const std::uint64_t significand = ((shorter + static_cast<std::uint64_t>(shorter_up_inside)) & shorter_mask) |
                                    ((s + static_cast<std::uint64_t>(up)) & ~shorter_mask);
  return {significand, k + static_cast<int>(take_shorter)};
}

}  // namespace iterjson::detail
