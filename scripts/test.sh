#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite. Ends with one line,
# "N passed, M failed", doctest's own totals.
#   scripts/test.sh              the normal (release) build, in build/
#   scripts/test.sh --sanitize   AddressSanitizer and UndefinedBehaviorSanitizer, in build-sanitize/
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1

build_dir=build
setup_args=(--buildtype=release)
if [ "${1:-}" = "--sanitize" ]; then
  build_dir=build-sanitize
  setup_args=(--buildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=disabled)
fi
[ -f "$build_dir/build.ninja" ] || meson setup "$build_dir" "${setup_args[@]}" >/dev/null || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson compile -C "$build_dir" && meson test -C "$build_dir" --print-errorlogs
status=$?

# doctest prints "[doctest] test cases: N | P passed | F failed | S skipped" per binary.
log="$build_dir/meson-logs/testlog.txt"
totals=$(grep -h '^\[doctest\] test cases:' "$log" 2>/dev/null |
  awk -F'|' '{ gsub(/[^0-9]/, "", $2); gsub(/[^0-9]/, "", $3); p += $2; f += $3 } END { print p + 0, f + 0 }')
read -r passed failed <<<"${totals:-0 0}"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the build or a test binary failed before doctest could count
fi
echo "$passed passed, $failed failed"
exit "$status"
