// The exhaustive check of the number writer, too long for CI: built and run by
// scripts/check_shortest.sh. It writes, with the function every encoder writes a finite
// number with (detail::write_finite_float),
//
// - every float: all 2^32 bit patterns but NaNs and infinities;
// - random doubles: 10^8 bit patterns (--doubles=N), of which the finite ones;
// - edge cases of both: subnormals, the smallest and largest of each kind, powers of two
//   and of ten and their neighbours, the 1e-4 and 1e16 bounds of Python's layout,
//   integral values, -0.0; these through iterjson::to_string, the public path, too;
//
// and compares each text with std::to_chars' shortest digits laid out by Python's repr
// rule (tests/repr_reference.hpp). For every positive float it also measures, in exact
// integer arithmetic, how close each of the three products of Schubfach comes to a whole
// number: the error bound of the float path's 64-bit products holds if none comes
// closer than 2^-34 (see detail::multiply_round_to_odd). Prints the counts, the
// mismatches (the first few in full) and the closest distance; exits 1 on any mismatch.

#include <algorithm>
#include <bit>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <omp.h>

#include "iterjson/encoder.hpp"
#include "iterjson/detail/write_number.hpp"
#include "repr_reference.hpp"

namespace {

__extension__ using uint128 = unsigned __int128;

struct tally {
  std::uint64_t checked = 0;
  std::uint64_t mismatches = 0;
};

// Reports a mismatch; the first few in full.
template <class Float>
void report_mismatch(Float value, std::string_view ours, std::string_view reference, std::uint64_t count) {
  if (count > 10) return;
  using bits = std::conditional_t<sizeof(Float) == 4, std::uint32_t, std::uint64_t>;
  std::printf("MISMATCH bits 0x%llx: iterjson %.*s, reference %.*s\n",
              static_cast<unsigned long long>(std::bit_cast<bits>(value)), static_cast<int>(ours.size()),
              ours.data(), static_cast<int>(reference.size()), reference.data());
}

// Writes `value` both ways and compares; true when the texts are equal.
template <class Float>
bool same_text(Float value, tally& counts) {
  char ours[iterjson::detail::max_double_chars];
  char reference[48];
  const char* const ours_end = iterjson::detail::write_finite_float(ours, value);
  const char* const reference_end = iterjson::testing::write_repr_reference(reference, value);
  ++counts.checked;
  const std::string_view ours_text(ours, static_cast<std::size_t>(ours_end - ours));
  const std::string_view reference_text(reference, static_cast<std::size_t>(reference_end - reference));
  if (ours_text == reference_text) return true;
  const std::uint64_t count = ++counts.mismatches;
#pragma omp critical
  report_mismatch(value, ours_text, reference_text, count);
  return false;
}

// --- how close the products of the float path come to whole numbers ------------------

// The float algorithm scales each bound n * 2^q (n = 4c - 2, 4c - 1, 4c or 4c + 2, for
// value = c * 2^q) by 10^-k, k as the algorithm picks it. X = n * 2^q * 10^-k is a
// fraction A / D in lowest terms up to a whole part; its distance to the nearest whole
// number is min(A, D - A) / D, kept here as a base-2 logarithm.
struct closeness {
  double log2_distance = 0;  // the closest so far, over the bounds that are not whole
  std::uint32_t bits = 0;    // of the float it was found for
  std::uint64_t whole = 0;   // bounds that scale to whole numbers
  std::uint64_t fractions = 0;
};

uint128 power(uint128 base, int exponent) {
  uint128 result = 1;
  for (int i = 0; i < exponent; ++i) result *= base;
  return result;
}

// What scaling by 10^-k comes to for the floats of one binary exponent q: X = n * m / D
// up to a whole part, D a power of two or of five.
struct scaling {
  bool whole = false;  // every X is a whole number
  bool power_of_two = false;
  uint128 multiplier = 0;
  uint128 denominator = 1;
  double log2_denominator = 0;
};

scaling scaling_for(int q, int k) {
  scaling s;
  if (k <= 0) {  // X = n * 5^-k * 2^(q - k)
    const int shift = q - k;
    s.whole = shift >= 0;
    s.power_of_two = true;
    s.multiplier = power(5, -k);  // 5^45 at most, below 2^105
    if (!s.whole) {
      s.denominator = uint128{1} << -shift;  // 2^104 at most (q = -149, k = -45)
      s.log2_denominator = -shift;
    }
  } else {  // X = n * 2^(q - k) / 5^k, q - k > 0
    s.denominator = power(5, k);  // 5^31 at most, below 2^73
    s.multiplier = 1;
    for (int i = 0; i < q - k; ++i) s.multiplier = s.multiplier * 2 % s.denominator;
    s.log2_denominator = k * std::log2(5.0);
  }
  return s;
}

// For each biased exponent, and whether the lower neighbour is the closer, with k as the
// algorithm picks it.
std::vector<scaling> scalings() {
  std::vector<scaling> table;
  for (int biased = 0; biased < 255; ++biased) {
    const int q = biased == 0 ? -149 : biased - 150;
    for (const bool lower_closer : {false, true}) {
      table.push_back(scaling_for(q, lower_closer ? iterjson::detail::floor_log10_three_quarters_pow2(q)
                                                  : iterjson::detail::floor_log10_pow2(q)));
    }
  }
  return table;
}

void measure_closeness(float value, const std::vector<scaling>& table, closeness& closest) {
  const auto bits = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t fraction = bits & 0x7fffff;
  const auto biased = static_cast<int>(bits >> 23);
  const std::uint64_t c = biased == 0 ? fraction : fraction | 0x800000;
  const bool lower_closer = fraction == 0 && biased > 1;
  const scaling& s = table[static_cast<std::size_t>(2 * biased + (lower_closer ? 1 : 0))];
  if (s.whole) {
    closest.whole += 3;
    return;
  }
  for (const std::int64_t offset : {lower_closer ? -1 : -2, 0, 2}) {
    const auto n = static_cast<uint128>(4 * static_cast<std::int64_t>(c) + offset);
    // The numerator modulo D; the product wraps modulo 2^128, which a power of two divides.
    const uint128 numerator =
        s.power_of_two ? (n * s.multiplier & (s.denominator - 1)) : n * s.multiplier % s.denominator;
    if (numerator == 0) {
      ++closest.whole;
      continue;
    }
    ++closest.fractions;
    const uint128 distance = std::min(numerator, s.denominator - numerator);
    const double log2_distance = std::log2(static_cast<double>(distance)) - s.log2_denominator;
    if (log2_distance < closest.log2_distance) {
      closest.log2_distance = log2_distance;
      closest.bits = bits;
    }
  }
}

// --- the edge cases ------------------------------------------------------------------

template <class Float>
std::vector<Float> edge_cases() {
  using limits = std::numeric_limits<Float>;
  std::vector<Float> values{Float(0.0), Float(-0.0), Float(1.0), Float(0.1), Float(0.3), Float(1e16),
                            Float(1e-4), Float(1e-5), limits::min(), limits::max(), limits::denorm_min(),
                            std::nextafter(limits::min(), Float(0))};
  for (int exponent = limits::min_exponent - limits::digits; exponent <= limits::max_exponent; ++exponent) {
    values.push_back(std::ldexp(Float(1), exponent));
  }
  for (int exponent = limits::min_exponent10 - limits::digits10 - 2; exponent <= limits::max_exponent10; ++exponent) {
    const std::string text = "1e" + std::to_string(exponent);
    values.push_back(sizeof(Float) == 4 ? static_cast<Float>(std::strtof(text.c_str(), nullptr))
                                        : static_cast<Float>(std::strtod(text.c_str(), nullptr)));
  }
  for (std::int64_t integer = 0; integer <= 100000; ++integer) {
    values.push_back(static_cast<Float>(integer));
    values.push_back(static_cast<Float>(integer * 1048576));  // past 2^24 and 2^53: zeros at the end
  }
  // Each with its neighbours, and negated.
  const std::size_t count = values.size();
  for (std::size_t i = 0; i < count; ++i) {
    values.push_back(std::nextafter(values[i], Float(0)));
    values.push_back(std::nextafter(values[i], limits::infinity()));
  }
  for (std::size_t i = 0, all = values.size(); i < all; ++i) values.push_back(-values[i]);
  std::erase_if(values, [](Float value) { return !std::isfinite(value); });
  return values;
}

// Checks each edge case by write_finite_float, and by to_string as a one-element array.
template <class Float>
tally check_edge_cases() {
  tally counts;
  for (const Float value : edge_cases<Float>()) {
    if (!same_text(value, counts)) continue;
    const std::string written = iterjson::to_string(std::vector<Float>{value});
    const std::string expected = "[" + iterjson::testing::repr_reference(value) + "]";
    if (written != expected) {
      const std::uint64_t count = ++counts.mismatches;
      report_mismatch(value, written, expected, count);
    }
  }
  return counts;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t double_count = 100'000'000;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument.starts_with("--doubles=")) {
      double_count = std::strtoull(argv[i] + 10, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: check_shortest [--doubles=N]\n");
      return 2;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  std::printf("threads: %d\n", omp_get_max_threads());

  // Every float, in blocks of 2^16 bit patterns.
  tally floats;
  const std::vector<scaling> table = scalings();
  closeness closest{};
  std::uint64_t non_finite = 0;
#pragma omp parallel
  {
    tally mine;
    closeness my_closest{};
    std::uint64_t my_non_finite = 0;
#pragma omp for schedule(dynamic, 64)
    for (std::int64_t block = 0; block < (std::int64_t{1} << 16); ++block) {
      for (std::uint32_t low = 0; low < (1u << 16); ++low) {
        const auto bits = static_cast<std::uint32_t>(block) << 16 | low;
        const auto value = std::bit_cast<float>(bits);
        if (!std::isfinite(value)) {
          ++my_non_finite;
          continue;
        }
        same_text(value, mine);
        if (value > 0) measure_closeness(value, table, my_closest);
      }
    }
#pragma omp critical
    {
      floats.checked += mine.checked;
      floats.mismatches += mine.mismatches;
      non_finite += my_non_finite;
      closest.whole += my_closest.whole;
      closest.fractions += my_closest.fractions;
      if (my_closest.log2_distance < closest.log2_distance) {
        closest.log2_distance = my_closest.log2_distance;
        closest.bits = my_closest.bits;
      }
    }
  }
  std::printf("floats: %llu finite bit patterns checked (%llu NaN and infinities skipped), %llu mismatches (%.0f s)\n",
              static_cast<unsigned long long>(floats.checked), static_cast<unsigned long long>(non_finite),
              static_cast<unsigned long long>(floats.mismatches), seconds_since(start));
  char closest_text[48];
  *iterjson::testing::write_repr_reference(closest_text, std::bit_cast<float>(closest.bits)) = '\0';
  const bool bound_holds = closest.log2_distance > -34;
  std::printf("floats: of the %llu scaled bounds of the positive floats, %llu are whole numbers; the others are\n"
              "  at least 2^%.3f from one (at %s, bits 0x%08x): the 64-bit products need more than 2^-34: %s\n",
              static_cast<unsigned long long>(closest.whole + closest.fractions),
              static_cast<unsigned long long>(closest.whole), closest.log2_distance, closest_text, closest.bits,
              bound_holds ? "holds" : "FAILS");

  // Random doubles, in blocks of 10^6, each block from its own seed: the same doubles
  // whatever the number of threads.
  const auto doubles_start = std::chrono::steady_clock::now();
  tally doubles;
  std::uint64_t drawn = 0;
  const auto blocks = static_cast<std::int64_t>((double_count + 999'999) / 1'000'000);
#pragma omp parallel
  {
    tally mine;
    std::uint64_t my_drawn = 0;
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t block = 0; block < blocks; ++block) {
      std::mt19937_64 random(0x5eed'0000 + static_cast<std::uint64_t>(block));
      const std::uint64_t first = static_cast<std::uint64_t>(block) * 1'000'000;
      const std::uint64_t last = std::min(first + 1'000'000, double_count);
      for (std::uint64_t i = first; i < last; ++i) {
        const auto value = std::bit_cast<double>(random());
        ++my_drawn;
        if (std::isfinite(value)) same_text(value, mine);
      }
    }
#pragma omp critical
    {
      doubles.checked += mine.checked;
      doubles.mismatches += mine.mismatches;
      drawn += my_drawn;
    }
  }
  std::printf("doubles: %llu random bit patterns, %llu finite checked, %llu mismatches (%.0f s)\n",
              static_cast<unsigned long long>(drawn), static_cast<unsigned long long>(doubles.checked),
              static_cast<unsigned long long>(doubles.mismatches), seconds_since(doubles_start));

  const tally float_edges = check_edge_cases<float>();
  const tally double_edges = check_edge_cases<double>();
  std::printf("edge cases: %llu floats and %llu doubles, each also through iterjson::to_string, %llu mismatches\n",
              static_cast<unsigned long long>(float_edges.checked),
              static_cast<unsigned long long>(double_edges.checked),
              static_cast<unsigned long long>(float_edges.mismatches + double_edges.mismatches));

  const std::uint64_t mismatches = floats.mismatches + doubles.mismatches + float_edges.mismatches + double_edges.mismatches;
  std::printf("total: %llu numbers checked, %llu mismatches; wall time %.0f s\n",
              static_cast<unsigned long long>(floats.checked + doubles.checked + float_edges.checked +
                                              double_edges.checked),
              static_cast<unsigned long long>(mismatches), seconds_since(start));
  return mismatches == 0 && bound_holds ? 0 : 1;
}
