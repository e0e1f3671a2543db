#pragma once

#include <bit>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

namespace iterjson::detail {

// Room to leave for any integer up to 64 bits, and for any finite double in repr form:
// their longest text (20 and 24 bytes), plus the 8-byte stores that write their digits.
inline constexpr std::size_t max_integer_chars = 28;
inline constexpr std::size_t max_double_chars = 48;

inline constexpr std::uint64_t ascii_zeros = 0x3030303030303030ull;

// The eight decimal digits of `value` (< 10^8) as bytes 0 to 9, the first digit in the
// lowest byte, so that one little-endian store writes them in order. Computed in one
// register (split into halves, pairs, then digits), so nothing is stored and read back.
inline std::uint64_t eight_digits(std::uint32_t value) noexcept {
  std::uint64_t lanes = (value / 10000) | (static_cast<std::uint64_t>(value % 10000) << 32);
  const std::uint64_t hundreds = ((lanes * 5243) >> 19) & 0x0000007F0000007Full;
  lanes = hundreds | ((lanes - hundreds * 100) << 16);
  const std::uint64_t tens = ((lanes * 103) >> 10) & 0x000F000F000F000Full;
  return tens | ((lanes - tens * 10) << 8);
}

inline void store_word(char* out, std::uint64_t word) noexcept {
  if constexpr (std::endian::native == std::endian::big) word = __builtin_bswap64(word);
  std::memcpy(out, &word, 8);
}

// The digits of a number, most significant first, as words of up to eight ASCII
// digits (the first digit in the lowest byte); the first word has no leading zeros.
struct digit_words {
  std::uint64_t word[3];
  unsigned first_length;  // digits in word[0]; the others hold 8
  unsigned count;         // words
  [[nodiscard]] unsigned digits() const noexcept { return first_length + 8 * (count - 1); }
};

inline digit_words to_digit_words(std::uint64_t value) noexcept {
  std::uint32_t leading;
  digit_words words{};
  if (value < 100000000) {
    leading = static_cast<std::uint32_t>(value);
    words.count = 1;
  } else if (value < 10000000000000000ull) {
    leading = static_cast<std::uint32_t>(value / 100000000);
    words.word[1] = eight_digits(static_cast<std::uint32_t>(value % 100000000)) + ascii_zeros;
    words.count = 2;
  } else {
    const std::uint64_t rest = value % 10000000000000000ull;
    leading = static_cast<std::uint32_t>(value / 10000000000000000ull);
    words.word[1] = eight_digits(static_cast<std::uint32_t>(rest / 100000000)) + ascii_zeros;
    words.word[2] = eight_digits(static_cast<std::uint32_t>(rest % 100000000)) + ascii_zeros;
    words.count = 3;
  }
  const std::uint64_t first = eight_digits(leading);
  const unsigned leading_zeros = leading == 0 ? 7 : static_cast<unsigned>(std::countr_zero(first)) / 8;
  words.first_length = 8 - leading_zeros;
  words.word[0] = (first >> (8 * leading_zeros)) + ascii_zeros;
  return words;
}

// Stores the digits at `out`, with a '.' after the first `point` of them (none when
// `point` is 0 or the digit count). Each word is stored once, at its final place, so no
// store is read back; stores may write up to 8 bytes past the end. Returns the end.
inline char* store_digit_words(char* out, const digit_words& words, unsigned point) noexcept {
  unsigned start = 0;
  for (unsigned i = 0; i < words.count; ++i) {
    const unsigned length = i == 0 ? words.first_length : 8;
    const std::uint64_t word = words.word[i];
    if (point <= start && point != 0) {
      store_word(out + start + 1, word);
    } else if (point == 0 || start + length <= point) {
      store_word(out + start, word);
    } else {  // the point falls inside this word: splice it in
      const unsigned at = 8 * (point - start);
      const std::uint64_t low = word & ((std::uint64_t{1} << at) - 1);
      store_word(out + start, low | (std::uint64_t{'.'} << at) | ((word - low) << 8));
      out[start + 8] = static_cast<char>(word >> 56);
    }
    start += length;
  }
  if (point == 0 || point >= start) return out + start;
  out[point] = '.';  // where it falls between two words; no later store reaches back here
  return out + start + 1;
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
  return store_digit_words(out, to_digit_words(magnitude), 0);
}

inline char* write_two_digits(char* out, unsigned value) noexcept {
  out[0] = static_cast<char>('0' + value / 10);
  out[1] = static_cast<char>('0' + value % 10);
  return out + 2;
}

// Writes a finite `value` as Python's repr does: the shortest digits that round-trip
// (Dragonbox, from fmt), in fixed form from 1e-4 up to 1e16 with `.0` on an integral
// value, in exponent form with at least two exponent digits outside that range.
template <std::floating_point Float>
char* write_finite_float(char* out, Float value) noexcept {
  if (std::signbit(value)) {
    *out++ = '-';
    value = -value;
  }
  if (value == 0) {
    std::memcpy(out, "0.0", 3);
    return out + 3;
  }
  const auto decimal = fmt::detail::dragonbox::to_decimal(value);

  const digit_words words = to_digit_words(decimal.significand);
  const auto digits = static_cast<int>(words.digits());
  const int exponent = decimal.exponent + digits - 1;  // of the first digit

  if (exponent < -4 || exponent >= 16) {  // d.ddde+XX
    out = store_digit_words(out, words, digits > 1 ? 1 : 0);
    *out++ = 'e';
    *out++ = exponent < 0 ? '-' : '+';
    const auto magnitude = static_cast<unsigned>(exponent < 0 ? -exponent : exponent);
    if (magnitude >= 100) *out++ = static_cast<char>('0' + magnitude / 100);
    return write_two_digits(out, magnitude % 100);
  }
  if (exponent < 0) {  // 0.000ddd
    const int prefix = 1 - exponent;  // "0." and the zeros
    std::memcpy(out, "0.000000", 8);
    return store_digit_words(out + prefix, words, 0);
  }
  const int integer_digits = exponent + 1;
  if (digits <= integer_digits) {  // ddd000.0
    out = store_digit_words(out, words, 0);
    std::memset(out, '0', 16);
    out += integer_digits - digits;
    std::memcpy(out, ".0", 2);
    return out + 2;
  }
  return store_digit_words(out, words, static_cast<unsigned>(integer_digits));  // ddd.ddd
}

}  // namespace iterjson::detail
