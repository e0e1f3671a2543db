#pragma once

#include <bit>
#include <cstdint>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/pow10_table.hpp"

// The shortest decimal that reads back as a given double, by Raffaello Giulietti's
// Schubfach algorithm ("The Schubfach way to render doubles", 2020): the decimals of
// the rounding interval of the double are found with three products by one 128-bit
// power of ten, and the shortest of them, or the closest where there is a choice, is
// taken. Inline, with the full table, so a double costs a few dozen instructions and
// no call; tests compare it with fmt's Dragonbox on millions of doubles.

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

// The shortest decimal in the rounding interval of a finite `value` above zero, the
// closest to `value` among those (ties to an even last digit).
inline decimal_number shortest_decimal(double value) noexcept {
  const auto bits = std::bit_cast<std::uint64_t>(value);
  const std::uint64_t fraction = bits & ((std::uint64_t{1} << 52) - 1);
  const auto biased_exponent = static_cast<int>(bits >> 52);  // the sign is 0
  // value = c * 2^q
  const std::uint64_t c = biased_exponent != 0 ? fraction | std::uint64_t{1} << 52 : fraction;
  const int q = biased_exponent != 0 ? biased_exponent - 1075 : -1074;

  // The interval's bounds, times 4: halfway to each neighbour. Below a power of two the
  // neighbour is twice as close. They belong to the interval when c is even.
  const bool lower_closer = fraction == 0 && biased_exponent > 1;
  const std::uint64_t out = c & 1;
  const std::uint64_t cb = c << 2;

  // Scaled by 10^-k, the interval's width in units of the last digit is in [1, 10): it
  // holds at most one multiple of ten.
  const int k = lower_closer ? floor_log10_three_quarters_pow2(q) : floor_log10_pow2(q);
  const int h = q + floor_log2_pow10(-k) + 1;  // 1 to 4
  const auto& g = pow10_significands[-k - pow10_first_exponent];
  const std::uint64_t cbl = cb - 2 + static_cast<std::uint64_t>(lower_closer);
  const std::uint64_t cbr = cb + 2;
  const std::uint64_t vb = multiply_round_to_odd(g, cb << h);
  const std::uint64_t lower = multiply_round_to_odd(g, cbl << h) + out;
  const std::uint64_t upper = multiply_round_to_odd(g, cbr << h) - out;

  // Which decimal is taken depends on where the interval's bounds fall, which for most
  // doubles is as good as random: the choices are made without branches.
  const std::uint64_t s = vb >> 2;
  const std::uint64_t shorter = s / 10;  // one digit fewer, if a multiple of ten is inside
  const bool shorter_down_inside = lower <= 40 * shorter;
  const bool shorter_up_inside = 40 * shorter + 40 <= upper;
  const bool take_shorter = (shorter_down_inside != shorter_up_inside) & (s >= 10);
  const bool down_inside = lower <= 4 * s;
  const bool up_inside = 4 * s + 4 <= upper;
  const std::uint64_t middle = 4 * s + 2;  // both inside: the closer, ties to even
  const bool round_up = vb > middle || (vb == middle && (s & 1) != 0);
  const bool up = down_inside != up_inside ? up_inside : round_up;
  return {take_shorter ? shorter + static_cast<std::uint64_t>(shorter_up_inside) : s + static_cast<std::uint64_t>(up),
          k + static_cast<int>(take_shorter)};
}

}  // namespace iterjson::detail
