#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: one doctest binary per
# area, and the checks made by building (a type refused at compile time, programs built
# without exceptions, the packaging consumers). Ends with one line, "N passed, M failed":
# doctest's test cases, plus one for each check that is not a doctest binary.
#   scripts/test.sh              g++, in build/
#   scripts/test.sh --sanitize   g++ with AddressSanitizer and UndefinedBehaviorSanitizer,
#                                in build-sanitize/
#   scripts/test.sh --clang      clang++ 14, in build-clang/
# BUILD_DIR=dir, if set, builds in dir instead (set up for the mode chosen, if new).
# The benchmarks are not built here: scripts/bench.sh builds them. Meson uses ccache when
# it is installed, so a rebuild after touching one header is quick.
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1

build_dir=build
setup_args=(--buildtype=release -Dbenchmarks=disabled)
compiler=()
case "${1:-}" in
  "") ;;
  --sanitize)
    build_dir=build-sanitize
    # At -O0: GCC compiles the sanitizers' checks eight times slower at -Og (adapter_yyjson_test:
    # 33 s against 275 s), and the optimised paths are tested by the plain build.
    setup_args=(--buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=disabled)
    ;;
  --clang)
    build_dir=build-clang
    compiler=(env "CXX=ccache clang++-14")  # Meson adds ccache only to a compiler it found itself
    ;;
  *)
    echo "usage: scripts/test.sh [--sanitize | --clang]" >&2
    exit 2
    ;;
esac
build_dir=${BUILD_DIR:-$build_dir}
if [ ! -f "$build_dir/build.ninja" ]; then
  setup_log=$(mktemp)
  "${compiler[@]}" meson setup "$build_dir" "${setup_args[@]}" >"$setup_log" 2>&1 || { cat "$setup_log"; exit 1; }
  rm -f "$setup_log"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
meson compile -C "$build_dir" && meson test -C "$build_dir" --print-errorlogs
status=$?

# A doctest binary prints "[doctest] test cases: N | P passed | F failed | S skipped";
# any other test counts as one. A test Meson skipped (exit 77: the browser test without
# chromium) counts as neither, and is named on a line of its own.
totals=$(python3 - "$build_dir/meson-logs/testlog.json" <<'EOF'
import json, re, sys
passed = failed = 0
skipped = []
try:
    results = [json.loads(line) for line in open(sys.argv[1])]
except OSError:
    results = []
for result in results:
    counts = re.search(r"^\[doctest\] test cases:.*?(\d+) passed \| *(\d+) failed", result["stdout"], re.M)
    ok = result["result"] in ("OK", "EXPECTEDFAIL")
    if counts:
        passed += int(counts[1])
        failed += int(counts[2]) or (0 if ok else 1)
    elif ok:
        passed += 1
    elif result["result"] == "SKIP":
        skipped.append(result["name"])
    else:
        failed += 1
print(passed, failed, " ".join(skipped))
EOF
)
read -r passed failed skipped <<<"${totals:-0 0}"
[ -z "$skipped" ] || echo "skipped: $skipped"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # the build failed, or a test binary failed before doctest could count
fi
echo "$passed passed, $failed failed"
exit "$status"
