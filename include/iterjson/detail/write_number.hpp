#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <fmt/format.h>

#include "iterjson/detail/config.hpp"

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

// Writes the decimal digits of `value` ending just before `end`; returns their start.
// Eight digits a step, as four independent pairs in 32-bit arithmetic.
inline char* write_digits_backwards(char* end, std::uint64_t value) noexcept {
  while (value >= 100000000) {
    const auto eight = static_cast<std::uint32_t>(value % 100000000);
    value /= 100000000;
    const std::uint32_t high = eight / 10000;
    const std::uint32_t low = eight % 10000;
    end -= 8;
    write_pair(end, high / 100);
    write_pair(end + 2, high % 100);
    write_pair(end + 4, low / 100);
    write_pair(end + 6, low % 100);
  }
  auto rest = static_cast<std::uint32_t>(value);
  while (rest >= 100) {
    end -= 2;
    write_pair(end, rest % 100);
    rest /= 100;
  }
  if (rest >= 10) {
    end -= 2;
    write_pair(end, rest);
  } else {
    *--end = static_cast<char>('0' + rest);
  }
  return end;
}

inline unsigned count_digits(std::uint64_t value) noexcept {
  unsigned digits = 1;
  for (;;) {  // four at a time: most numbers in documents are short
    if (value < 10) return digits;
    if (value < 100) return digits + 1;
    if (value < 1000) return digits + 2;
    if (value < 10000) return digits + 3;
    value /= 10000;
    digits += 4;
  }
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
  char* const end = out + count_digits(magnitude);
  write_digits_backwards(end, magnitude);
  return end;
}

// Writes a finite `value` as Python's repr does: the shortest digits that round-trip
// (Dragonbox, from fmt), in fixed form from 1e-4 up to 1e16 with `.0` on an integral
// value, in exponent form with at least two exponent digits outside that range.
// The digits are made apart, where their count comes free, then placed with copies of
// a fixed size (no call), which max_double_chars leaves room for.
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
  char scratch[48];  // the digits end at 24; copies read at most 24 past the first
  char* const digits_end = scratch + 24;
  const char* first = write_digits_backwards(digits_end, decimal.significand);
  const auto digits = static_cast<int>(digits_end - first);
  const int exponent = decimal.exponent + digits - 1;  // of the first digit

  if (exponent < -4 || exponent >= 16) {  // d.ddde+XX
    out[0] = first[0];
    out[1] = '.';
    std::memcpy(out + 2, first + 1, 16);
    out += digits > 1 ? digits + 1 : 1;
    *out++ = 'e';
    *out++ = exponent < 0 ? '-' : '+';
    const auto magnitude = static_cast<std::uint32_t>(exponent < 0 ? -exponent : exponent);
    if (magnitude >= 100) *out++ = static_cast<char>('0' + magnitude / 100);
    write_pair(out, magnitude % 100);
    return out + 2;
  }
  if (exponent < 0) {  // 0.000ddd
    std::memcpy(out, "0.000000", 8);
    out += 1 - exponent;
    std::memcpy(out, first, 24);
    return out + digits;
  }
  const int integer_digits = exponent + 1;
  if (digits <= integer_digits) {  // ddd000.0
    std::memcpy(out, first, 16);
    out += digits;
    std::memset(out, '0', 16);
    out += integer_digits - digits;
    std::memcpy(out, ".0", 2);
    return out + 2;
  }
  std::memcpy(out, first, 16);  // ddd.ddd
  out[integer_digits] = '.';
  std::memcpy(out + integer_digits + 1, first + integer_digits, 16);
  return out + digits + 1;
}

}  // namespace iterjson::detail
