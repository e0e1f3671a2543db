#pragma once

// The reference the number writers are checked against: the shortest digits of
// std::to_chars (the standard library's own algorithm, a code path independent of
// iterjson's), as a decimal, and laid out by Python's repr rule in plain code. Used by
// the tests and by tools/check_shortest.cpp, so it writes into a buffer and never
// allocates.

#include <charconv>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <string>

namespace iterjson::testing {

// The shortest digits of a finite number that read back as it: without sign, point or
// trailing zeros ("0" for zero), and the decimal exponent of the first.
struct shortest_digits {
  bool negative = false;
  int count = 0;
  char digits[24]{};
  int exponent = 0;
};

template <std::floating_point Float>
shortest_digits reference_digits(Float value) {
  char text[64];
  // Scientific, without a precision: the shortest digits, as "-d.ddde+XX".
  const char* const end = std::to_chars(text, text + sizeof text, value, std::chars_format::scientific).ptr;
  shortest_digits shortest;
  const char* at = text;
  if (*at == '-') {
    shortest.negative = true;
    ++at;
  }
  for (; *at != 'e'; ++at) {
    if (*at != '.') shortest.digits[shortest.count++] = *at;
  }
  const bool negative_exponent = at[1] == '-';
  std::from_chars(at + 2, end, shortest.exponent);
  if (negative_exponent) shortest.exponent = -shortest.exponent;
  while (shortest.count > 1 && shortest.digits[shortest.count - 1] == '0') --shortest.count;
  return shortest;
}

// The same digits as significand * 10^exponent, the significand without trailing zeros.
struct reference_decimal {
  std::uint64_t significand;
  int exponent;
};

template <std::floating_point Float>
reference_decimal reference_decimal_of(Float value) {
  const shortest_digits shortest = reference_digits(value);
  std::uint64_t significand = 0;
  for (int i = 0; i < shortest.count; ++i) significand = significand * 10 + static_cast<unsigned>(shortest.digits[i] - '0');
  return {significand, shortest.exponent - (shortest.count - 1)};
}

// Writes a finite `value` as Python's repr does, at `out` (room for 48 bytes): fixed form
// from 1e-4 up to 1e16, with ".0" when there is no fraction; outside that, exponent form
// with at least two exponent digits. Returns the end.
template <std::floating_point Float>
char* write_repr_reference(char* out, Float value) {
  const shortest_digits shortest = reference_digits(value);
  const char* const digits = shortest.digits;
  const int count = shortest.count;
  const int exponent = shortest.exponent;
  auto append = [&out](const char* text, int length) {
    std::memcpy(out, text, static_cast<std::size_t>(length));
    out += length;
  };
  auto append_zeros = [&out](int length) {
    for (int i = 0; i < length; ++i) *out++ = '0';
  };
  if (shortest.negative) *out++ = '-';
  if (exponent < -4 || exponent >= 16) {
    *out++ = digits[0];
    if (count > 1) {
      *out++ = '.';
      append(digits + 1, count - 1);
    }
    *out++ = 'e';
    *out++ = exponent < 0 ? '-' : '+';
    const int magnitude = exponent < 0 ? -exponent : exponent;
    if (magnitude < 10) *out++ = '0';
    out = std::to_chars(out, out + 3, magnitude).ptr;
  } else if (exponent < 0) {
    append("0.", 2);
    append_zeros(-exponent - 1);
    append(digits, count);
  } else if (count <= exponent + 1) {
    append(digits, count);
    append_zeros(exponent + 1 - count);
    append(".0", 2);
  } else {
    append(digits, exponent + 1);
    *out++ = '.';
    append(digits + exponent + 1, count - exponent - 1);
  }
  return out;
}

template <std::floating_point Float>
std::string repr_reference(Float value) {
  char text[48];
  return {text, write_repr_reference(text, value)};
}

}  // namespace iterjson::testing
