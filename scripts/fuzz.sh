#!/usr/bin/env bash
# Fuzzes the encoder: builds the libFuzzer targets of fuzz/ with Debian's clang 14, under
# AddressSanitizer and UndefinedBehaviorSanitizer, makes their seed corpora from
# ../shared/data, and runs each target for a while (fuzz/README.md says what they check).
# Prints each target's executions and whether it found anything, then one line,
# "N passed, M failed" (a target passes when it found nothing); exits non-zero when a
# target found something or did not build.
#
#   bash scripts/fuzz.sh          60 seconds per target
#   bash scripts/fuzz.sh 30       30 seconds per target (CI)
#
# Everything goes to build-fuzz/ (FUZZ_BUILD_DIR overrides it): the binaries, the seeds,
# the corpus each target grew (corpus/<target>/, kept: the next run goes on from it),
# logs (<target>.log) and findings (artifacts/<target>-crash-...).
#
# Longer runs: give more seconds (3600 is an hour per target), or run one target by hand
# with libFuzzer's own flags, on both cores, for ten hours:
#   build-fuzz/tree_fuzzer -fork=2 -max_total_time=36000 -max_len=4096 \
#     -artifact_prefix=build-fuzz/artifacts/ build-fuzz/corpus/tree_fuzzer build-fuzz/seeds/tree_fuzzer
# (json_fuzzer: -max_len=8192 -dict=fuzz/json.dict.)
#
# Reproduce a finding: build-fuzz/<target> build-fuzz/artifacts/<file>; with
# ITERJSON_FUZZ_TRACE=1 it prints the options and the text or the error too.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-60}
build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(json_fuzzer tree_fuzzer)

bash scripts/install-deps.sh || exit 1
mkdir -p "$build_dir/artifacts" || exit 1

# --- build -----------------------------------------------------------------------------
cxx=${FUZZ_CXX:-clang++-14}
# Coverage (what guides libFuzzer) only of iterjson and the input readers: see the allowlist.
flags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -Wall -Wextra
       -fsanitize=fuzzer,address,undefined -fsanitize-coverage-allowlist=fuzz/coverage_allowlist.txt
       -fno-sanitize-recover=all -D_GLIBCXX_ASSERTIONS -Iinclude $(pkg-config --cflags fmt simdjson))
libs=($(pkg-config --libs fmt simdjson) -lboost_json -pthread)

build() {
  local target=$1 binary=$build_dir/$1
  # Rebuilt when a source, header or the allowlist is newer than the binary, or the flags changed.
  if [ -x "$binary" ] && [ "$(cat "$binary.flags" 2>/dev/null)" = "${flags[*]}" ] &&
     [ -z "$(find fuzz include -newer "$binary" \( -name '*.cpp' -o -name '*.hpp' -o -name '*.txt' \) -print -quit)" ]; then
    return 0
  fi
  echo "building $target"
  "$cxx" "${flags[@]}" "fuzz/$target.cpp" -o "$binary" "${libs[@]}" && echo "${flags[*]}" >"$binary.flags"
}

pids=()
for target in "${targets[@]}"; do
  build "$target" &
  pids+=($!)
done
built=0
for pid in "${pids[@]}"; do wait "$pid" || built=1; done
if [ "$built" -ne 0 ]; then
  echo "0 passed, ${#targets[@]} failed"
  exit 1
fi

# --- seeds -----------------------------------------------------------------------------
python3 fuzz/make_seeds.py ../shared/data "$build_dir/seeds" || exit 1

# --- run -------------------------------------------------------------------------------
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

passed=0
failed=0
for target in "${targets[@]}"; do
  extra=(-max_len=4096)
  [ "$target" = json_fuzzer ] && extra=(-max_len=8192 -dict=fuzz/json.dict)
  corpus=$build_dir/corpus/$target
  log=$build_dir/$target.log
  mkdir -p "$corpus"
  rm -f "$build_dir/artifacts/$target-"*
  started=$SECONDS
  "$build_dir/$target" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 \
    -artifact_prefix="$build_dir/artifacts/$target-" "${extra[@]}" "$corpus" "$build_dir/seeds/$target" \
    >"$log" 2>&1
  status=$?
  elapsed=$((SECONDS - started))
  executions=$(grep -a -m1 '^stat::number_of_executed_units:' "$log" | awk '{ print $2 }')
  [ -n "$executions" ] || executions=$(grep -a -o '^#[0-9]*' "$log" | tail -n 1 | tr -d '#')
  inputs=$(find "$corpus" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    echo "$target: ${executions:-?} executions in ${elapsed} s, corpus of $inputs inputs: nothing found"
    passed=$((passed + 1))
  else
    echo "$target: ${executions:-?} executions in ${elapsed} s: FOUND SOMETHING (exit $status), log $log"
    grep -a -E '^\*\*\* iterjson fuzz check failed|^SUMMARY|^==[0-9]+==ERROR' "$log" | head -n 5 | cut -c1-300
    find "$build_dir/artifacts" -name "$target-*" -printf '  reproduce: %p\n'
    failed=$((failed + 1))
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
