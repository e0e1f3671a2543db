#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include <fmt/compile.h>
#include <fmt/format.h>

namespace iterjson::detail {

// Longest text of any integer up to 64 bits, and of any finite double in repr form.
inline constexpr std::size_t max_integer_chars = 20;
inline constexpr std::size_t max_double_chars = 32;

inline constexpr char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// Writes the decimal digits of `value` ending just before `end`; returns their start.
inline char* write_digits_backwards(char* end, std::uint64_t value) noexcept {
  while (value >= 100) {
    const auto pair = static_cast<unsigned>(value % 100) * 2;
    value /= 100;
    end -= 2;
    std::memcpy(end, digit_pairs + pair, 2);
  }
  if (value >= 10) {
    end -= 2;
    std::memcpy(end, digit_pairs + value * 2, 2);
  } else {
    *--end = static_cast<char>('0' + value);
  }
  return end;
}

// Writes `value` at `out` (room for max_integer_chars); returns the end.
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

// Writes a finite `value` as Python's repr does: shortest round-trip digits, exponent
// form below 1e-4 and from 1e16 on, and `.0` on an integral value in fixed form. fmt's
// shortest format already follows Python's layout but for that `.0`.
template <std::floating_point Float>
char* write_finite_float(char* out, Float value) noexcept {
  char* const end = fmt::format_to(out, FMT_COMPILE("{}"), value);
  for (const char* p = out; p != end; ++p) {
    if (*p == '.' || *p == 'e') return end;
  }
  std::memcpy(end, ".0", 2);
  return end + 2;
}

}  // namespace iterjson::detail
