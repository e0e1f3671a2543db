#!/usr/bin/env bash
# The exact instruction count (cachegrind's total Ir) of one encode of each corpus with
# read() into 64 KiB, and with to_string, on Boost.JSON's tree, on a yyjson document and
# on native structs; and that of yyjson_write on the yyjson document, the mark to beat.
# It is the difference between a run that encodes 6 times and one that encodes once,
# divided by 5, so parsing and copying the corpus do not count. Timings on a shared
# machine vary by 10 to 30%; these counts do not, so they judge each change.
#
#   bash scripts/instructions.sh [boost|yyjson|native ...]
#
# Builds in build-bench (BUILD_DIR overrides it), as scripts/bench.sh does.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build-bench}
forms=("$@")
[ ${#forms[@]} -ne 0 ] || forms=(boost yyjson native)

if [ ! -f "$build_dir/build.ninja" ]; then
  meson setup "$build_dir" --buildtype=release -Dbenchmarks=enabled >/dev/null
fi
meson compile -C "$build_dir" encode_repeatedly >/dev/null

total_ir() {
  local out
  out=$(mktemp)
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$build_dir/benchmarks/encode_repeatedly" "$@" 2>"$out" >/dev/null
  sed -n 's/.*I *refs: *//p' "$out" | tr -d ,
  rm -f "$out"
}

# per_encode FORM CORPUS WRITER
per_encode() {
  local once six
  once=$(total_ir "$1" "$2" 1 "$3")
  six=$(total_ir "$1" "$2" 6 "$3")
  echo $(( (six - once) / 5 ))
}

printf '| form | corpus | read() | to_string |\n|---|---|---:|---:|\n'
for form in "${forms[@]}"; do
  for corpus in twitter citm_catalog canada; do
    [ "$form" = native ] && [ "$corpus" = canada ] && continue
    printf '| %s | %s | %s | %s |\n' "$form" "$corpus" \
      "$(per_encode "$form" "$corpus" read)" "$(per_encode "$form" "$corpus" to_string)"
  done
done
# The mark to beat: yyjson_write on the yyjson document, which writes the whole text.
for form in "${forms[@]}"; do
  [ "$form" = yyjson ] || continue
  for corpus in twitter citm_catalog canada; do
    printf '| yyjson_write() | %s | | %s |\n' "$corpus" "$(per_encode yyjson "$corpus" yyjson_write)"
  done
done
