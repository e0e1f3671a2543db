#!/usr/bin/env bash
# Compile time as a user pays it: a benchmark, not a test. Writes one small user file per
# library, each doing the same work (a struct of four fields, a std::vector of it and a
# std::map<std::string, int>, made into text), and a fourth file that only includes
# <iterjson/iterjson.hpp>. Compiles each to an object file (-c) at -O0 and -O2 and prints
# a Markdown table of the best wall time of three, with iterjson's ratio to fmt.
#   iterjson  ITERJSON_FIELDS, to_string, and a loop over an encoder's next()
#   nlohmann  NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE and dump()
#   fmt       a formatter for the struct, fmt/ranges.h and fmt::format
# The target: iterjson at most 1.5x fmt's time at -O2.
#
#   bash scripts/compile_time.sh      (CXX overrides g++)
set -euo pipefail
shopt -s inherit_errexit  # a failed compile inside $(...) stops the script

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
read -ra compiler <<<"${CXX:-g++}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

user_types='#include <map>
#include <string>
#include <vector>
struct row {
  int id;
  std::string name;
  double score;
  bool active;
};'

cat >"$work/iterjson.cpp" <<EOF
#include <iterjson/iterjson.hpp>
$user_types
ITERJSON_FIELDS(row, id, name, score, active);
std::string encode(const std::vector<row>& rows, const std::map<std::string, int>& counts) {
  std::string text = iterjson::to_string(rows);
  iterjson::encoder encoder(counts);
  while (!encoder.done()) text += encoder.next();
  return text;
}
EOF

cat >"$work/nlohmann.cpp" <<EOF
#include <nlohmann/json.hpp>
$user_types
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(row, id, name, score, active)
std::string encode(const std::vector<row>& rows, const std::map<std::string, int>& counts) {
  return nlohmann::json(rows).dump() + nlohmann::json(counts).dump();
}
EOF

cat >"$work/fmt.cpp" <<EOF
#include <fmt/format.h>
#include <fmt/ranges.h>
$user_types
template <>
struct fmt::formatter<row> {
  constexpr auto parse(fmt::format_parse_context& context) { return context.begin(); }
  auto format(const row& r, fmt::format_context& context) const {
    return fmt::format_to(context.out(), R"({{"id":{},"name":{:?},"score":{},"active":{}}})",
                          r.id, r.name, r.score, r.active);
  }
};
std::string encode(const std::vector<row>& rows, const std::map<std::string, int>& counts) {
  return fmt::format("{}{}", rows, counts);
}
EOF

echo '#include <iterjson/iterjson.hpp>' >"$work/include_only.cpp"

# Prints the best wall time of three compiles of FILE at LEVEL, in seconds.
best_time() {
  local file=$1 level=$2 start end times=()
  for _ in 1 2 3; do
    start=$(date +%s.%N)
    "${compiler[@]}" -std=c++20 "$level" -I"$repo/include" -c "$work/$file.cpp" -o "$work/$file.o"
    end=$(date +%s.%N)
    times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }')")
  done
  printf '%s\n' "${times[@]}" | sort -n | head -1
}

declare -A seconds
echo "| file | -O0 (s) | -O2 (s) |"
echo "|---|---:|---:|"
for file in iterjson nlohmann fmt include_only; do
  for level in -O0 -O2; do seconds[$file$level]=$(best_time "$file" "$level"); done
  label=${file/include_only/iterjson include only}
  printf '| %s | %.2f | %.2f |\n' "$label" "${seconds[$file-O0]}" "${seconds[$file-O2]}"
done
ratio() { awk -v a="${seconds[iterjson$1]}" -v b="${seconds[fmt$1]}" 'BEGIN { printf "%.2fx", a / b }'; }
echo "| iterjson / fmt (target at -O2: at most 1.5x) | $(ratio -O0) | $(ratio -O2) |"
