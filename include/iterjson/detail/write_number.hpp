#pragma once

#include <array>
#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "iterjson/detail/config.hpp"
#include "iterjson/detail/shortest_decimal.hpp"

#ifdef ITERJSON_DETAIL_SSE2
#include <emmintrin.h>
#endif

namespace iterjson::detail {

// Room to leave for any integer up to 64 bits, and for any finite double in repr form:
// a double's text is at most 24 bytes, and its layout copies digits in fixed-size blocks.
inline constexpr std::size_t max_integer_chars = 20;
inline constexpr std::size_t max_double_chars = 40;

inline constexpr char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

inline void write_pair(char* out, std::uint32_t value) noexcept { std::memcpy(out, digit_pairs + value * 2, 2); }

// The eight decimal digits of `value` (below 10^8, zeros in front), as byte values 0 to
// 9 with the first digit in the lowest byte. No division: two halves of four digits in
// 32-bit lanes are split into pairs in 16-bit lanes, then into digits in bytes, each
// step one multiplication by a reciprocal that is exact in this range.
inline std::uint64_t eight_digit_values(std::uint32_t value) noexcept {
  std::uint64_t lanes = value / 10000 | static_cast<std::uint64_t>(value % 10000) << 32;
  const std::uint64_t hundreds = (lanes * 10486 >> 20) & 0x0000007F0000007Full;  // x / 100, x < 10^4
  lanes = hundreds | (lanes - hundreds * 100) << 16;
  const std::uint64_t tens = (lanes * 103 >> 10) & 0x000F000F000F000Full;  // x / 10, x < 100
  return tens | (lanes - tens * 10) << 8;
}

inline constexpr std::uint64_t ascii_zeros = 0x3030303030303030ull;

// Stores the eight bytes of `word`, lowest first, at `out`.
inline void store_bytes(char* out, std::uint64_t word) noexcept {
  if constexpr (std::endian::native == std::endian::big) {
    std::uint64_t swapped = 0;
    for (int i = 0; i < 8; ++i) swapped |= ((word >> (8 * i)) & 0xFF) << (56 - 8 * i);
    word = swapped;
  }
  std::memcpy(out, &word, 8);
}

// How many decimal digits `value` has (1 for 0), from its bit width and one addition
// (Lemire, 2021): for the values of each width, an offset whose carry into the high half
// is the count. Taken from the value, not from its digits, so that where the next text
// goes does not wait for the digits' chain of multiplications.
inline constexpr auto digit_count_offsets = [] {
  std::array<std::uint64_t, 32> offsets{};
  for (int width = 0; width < 32; ++width) {
    const std::uint64_t smallest = std::uint64_t{1} << width;  // the smallest value of this width
    std::uint64_t count = 1;
    std::uint64_t power = 10;  // 10^count
    while (power <= smallest) {
      ++count;
      power *= 10;
    }
    // Values of this width from `power` on have one digit more.
    offsets[width] = (count << 32) + (power < (smallest << 1) ? (std::uint64_t{1} << 32) - power : 0);
  }
  return offsets;
}();

inline unsigned decimal_digit_count(std::uint32_t value) noexcept {
  const int width = 31 - std::countl_zero(value | 1);
  return static_cast<unsigned>((value + digit_count_offsets[width]) >> 32);
}

// Writes the digits of `value` (below 10^8) without leading zeros; stores 8 bytes.
inline char* write_up_to_eight_digits(char* out, std::uint32_t value) noexcept {
  if (value < 10) {
    *out = static_cast<char>('0' + value);
    return out + 1;
  }
  const unsigned count = decimal_digit_count(value);
  store_bytes(out, (eight_digit_values(value) + ascii_zeros) >> (8 * (8 - count)));
  return out + count;
}

// Writes the sixteen digits of `value` (below 10^16, zeros in front) at `out`, and
// returns a mask with bit i set where digit i is 0. With SSE2 both halves of eight
// digits are split at once, the same steps as eight_digit_values in wider lanes; the
// word-at-a-time way is the plain path, tested against it.
inline unsigned sixteen_digits_by_words(char* out, std::uint64_t value) noexcept {
  const std::uint64_t high = eight_digit_values(static_cast<std::uint32_t>(value / 100000000));
  const std::uint64_t low = eight_digit_values(static_cast<std::uint32_t>(value % 100000000));
  store_bytes(out, high + ascii_zeros);
  store_bytes(out + 8, low + ascii_zeros);
  unsigned zeros = 0;
  for (int i = 0; i < 8; ++i) {
    zeros |= static_cast<unsigned>(((high >> (8 * i)) & 0xFF) == 0) << i;
    zeros |= static_cast<unsigned>(((low >> (8 * i)) & 0xFF) == 0) << (i + 8);
  }
  return zeros;
}

#ifdef ITERJSON_DETAIL_SSE2
// The sixteen decimal digits of `value` (below 10^16, zeros in front) as byte values 0
// to 9, the first digit in the lowest byte: eight_digit_values on both halves at once.
inline __m128i sixteen_digit_values(std::uint64_t value) noexcept {
  const auto high = static_cast<long long>(value / 100000000);
  const auto low = static_cast<long long>(value % 100000000);
  // 64-bit lanes x < 10^8 -> 32-bit lanes x / 10^4, x % 10^4 (2^45 / 10^4 rounded up)
  const __m128i halves = _mm_set_epi64x(low, high);
  const __m128i upper4 = _mm_srli_epi64(_mm_mul_epu32(halves, _mm_set1_epi64x(3518437209)), 45);
  const __m128i lower4 = _mm_sub_epi32(halves, _mm_mul_epu32(upper4, _mm_set1_epi64x(10000)));
  const __m128i quads = _mm_or_si128(upper4, _mm_slli_epi64(lower4, 32));
  // 32-bit lanes y < 10^4 -> 16-bit lanes y / 100, y % 100 (2^19 / 100 rounded up)
  const __m128i upper2 = _mm_srli_epi16(_mm_mulhi_epu16(quads, _mm_set1_epi32(5243)), 3);
  const __m128i lower2 = _mm_sub_epi16(quads, _mm_mullo_epi16(upper2, _mm_set1_epi32(100)));
  const __m128i pairs = _mm_or_si128(upper2, _mm_slli_epi32(lower2, 16));
  // 16-bit lanes z < 100 -> bytes z / 10, z % 10 (2^16 / 10 rounded up)
  const __m128i tens = _mm_mulhi_epu16(pairs, _mm_set1_epi16(6554));
  const __m128i ones = _mm_sub_epi16(pairs, _mm_mullo_epi16(tens, _mm_set1_epi16(10)));
  return _mm_or_si128(tens, _mm_slli_epi16(ones, 8));
}
#endif

inline unsigned sixteen_digits(char* out, std::uint64_t value) noexcept {
#ifdef ITERJSON_DETAIL_SSE2
  const __m128i digits = sixteen_digit_values(value);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), _mm_add_epi8(digits, _mm_set1_epi8('0')));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(digits, _mm_setzero_si128())));
#else
  return sixteen_digits_by_words(out, value);
#endif
}

// Writes `value`, from 10^8 up to 10^16, without leading zeros; stores 16 bytes. The
// first half, 1 to 8 digits, as write_up_to_eight_digits does; then the last 8.
inline char* write_nine_to_sixteen_digits_by_words(char* out, std::uint64_t value) noexcept {
  out = write_up_to_eight_digits(out, static_cast<std::uint32_t>(value / 100000000));
  store_bytes(out, eight_digit_values(static_cast<std::uint32_t>(value % 100000000)) + ascii_zeros);
  return out + 8;
}

// The same with both halves split at once where SSE2 is, and no branch on the first
// half's width: ids and counts of every width come in any order, and a mispredicted
// branch costs more than the digits (on 1M random values below 10^10, one run: 3.5 ns
// a value, against 7.5 by words). The word-at-a-time way is the plain path, tested
// against it.
inline char* write_nine_to_sixteen_digits(char* out, std::uint64_t value) noexcept {
#ifdef ITERJSON_DETAIL_SSE2
  const __m128i text = _mm_add_epi8(sixteen_digit_values(value), _mm_set1_epi8('0'));
  const unsigned first_half = decimal_digit_count(static_cast<std::uint32_t>(value / 100000000));
  store_bytes(out, static_cast<std::uint64_t>(_mm_cvtsi128_si64(text)) >> (8 * (8 - first_half)));
  out += first_half;
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_unpackhi_epi64(text, text));
  return out + 8;
#else
  return write_nine_to_sixteen_digits_by_words(out, value);
#endif
}

// Writes `value` at `out` (room for max_integer_chars); returns the end.
template <std::integral Integer>
char* write_integer(char* out, Integer value) noexcept {
  std::uint64_t magnitude = static_cast<std::uint64_t>(value);
  if constexpr (std::is_signed_v<Integer>) {
    if (value < 0) {
      *out++ = '-';
      // Through int64 so the sign extends; unsigned negation is exact for INT64_MIN too.
      magnitude = 0 - static_cast<std::uint64_t>(static_cast<std::int64_t>(value));
    }
  }
  if (magnitude < 100000000) return write_up_to_eight_digits(out, static_cast<std::uint32_t>(magnitude));
  if (magnitude < 10000000000000000) return write_nine_to_sixteen_digits(out, magnitude);
  // 17 to 20 digits: one to four before the last sixteen, split at once
  const auto top = static_cast<std::uint32_t>(magnitude / 10000000000000000);
  if (top >= 100) {
    if (top >= 1000) *out++ = static_cast<char>('0' + top / 1000);
    *out++ = static_cast<char>('0' + top / 100 % 10);
  }
  if (top >= 10) {
    write_pair(out, top % 100);
    out += 2;
  } else {
    *out++ = static_cast<char>('0' + top);
  }
  sixteen_digits(out, magnitude % 10000000000000000);
  return out + 16;
}

// The digits of a decimal significand (above 0, below 10^17) without its trailing
// zeros: they start at `first` and are `count` long; `total` counts the zeros too.
struct significand_digits {
  const char* first;
  int count;
  int total;
};

// Writes into `scratch` (32 bytes). How many zeros lead and trail depends on the number,
// as good as random for many: they are counted in a mask of the seventeen digits, bit i
// set where digit i is 0, without a branch.
inline significand_digits write_significand(char* scratch, std::uint64_t significand) noexcept {
  const std::uint64_t leading_digit = significand / 10000000000000000;  // the 17th from the end
  scratch[0] = static_cast<char>('0' + leading_digit);
  const unsigned zeros = sixteen_digits(scratch + 1, significand % 10000000000000000) << 1 |
                         static_cast<unsigned>(leading_digit == 0);
  const int leading = std::countr_one(zeros);  // below 17: the significand is not 0
  const int trailing = std::countl_one(zeros << 15);  // the 17 bits at the top
  return {scratch + leading, 17 - leading - trailing, 17 - leading};
}

// Writes a finite `value` as Python's repr does: the shortest digits that round-trip,
// in fixed form from 1e-4 up to 1e16 with `.0` on an integral value, in exponent form
// with at least two exponent digits outside that range. The digits are made apart,
// then placed with copies of a fixed size (no call), which max_double_chars leaves
// room for. The sign, the digits' count and the exponent's width are as good as random
// in many arrays: they are written without a branch, bytes stored and then kept or not.
template <std::floating_point Float>
char* write_finite_float(char* out, Float value) noexcept {
  *out = '-';
  out += std::signbit(value);
  value = std::fabs(value);
  if (value == 0) {
    std::memcpy(out, "0.0", 3);
    return out + 3;
  }
  const decimal_number decimal = shortest_decimal(value);
  char scratch[64];  // the digits end by 17; copies read at most 32 past the first
  const significand_digits digits = write_significand(scratch, decimal.significand);
  const char* const first = digits.first;
  const int count = digits.count;
  const int exponent = decimal.exponent + digits.total - 1;  // of the first digit

  if (exponent < -4 || exponent >= 16) {  // d.ddde+XX
    out[0] = first[0];
    out[1] = '.';
    std::memcpy(out + 2, first + 1, 16);
    out += count + static_cast<int>(count > 1);  // the point only before more digits
    out[0] = 'e';
    out[1] = static_cast<char>('+' + 2 * static_cast<int>(exponent < 0));  // '-' is '+' + 2
    const auto magnitude = static_cast<std::uint32_t>(exponent < 0 ? -exponent : exponent);
    const bool three_digits = magnitude >= 100;
    out[2] = static_cast<char>('0' + magnitude / 100);
    write_pair(out + 2 + three_digits, magnitude % 100);
    return out + 4 + three_digits;
  }
  if (exponent < 0) {  // 0.000ddd
    std::memcpy(out, "0.000000", 8);
    out += 1 - exponent;
    std::memcpy(out, first, 24);
    return out + count;
  }
  const int integer_digits = exponent + 1;
  if (count <= integer_digits) {  // ddd000.0
    std::memcpy(out, first, 16);
    out += count;
    std::memset(out, '0', 16);
    out += integer_digits - count;
    std::memcpy(out, ".0", 2);
    return out + 2;
  }
  std::memcpy(out, first, 16);  // ddd.ddd
  out[integer_digits] = '.';
  std::memcpy(out + integer_digits + 1, first + integer_digits, 16);
  return out + count + 1;
}

}  // namespace iterjson::detail
