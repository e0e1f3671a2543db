#!/usr/bin/env bash
# Runs the corpus benchmark (benchmarks/bench_corpora.cpp) in a release build, then
# prints a Markdown table of the median throughput of each contender on each corpus.
#
#   bash scripts/bench.sh [more Google Benchmark flags, e.g. --benchmark_filter=canada]
#
# Builds in "build" (BUILD_DIR overrides it), which other scripts use too: it is set up
# here only when it is not a Meson build directory yet, and never reconfigured.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build}
results=$build_dir/bench_corpora.json

if [[ ! -f $build_dir/meson-private/coredata.dat ]]; then
  meson setup "$build_dir" --buildtype=release
fi

buildtype=$(meson introspect "$build_dir" --buildoptions | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))')
if [[ $buildtype != release ]]; then
  echo "bench.sh: $build_dir is a '$buildtype' build; benchmarks need a release build:" >&2
  echo "  meson configure $build_dir -Dbuildtype=release, or BUILD_DIR=<other dir> $0" >&2
  exit 1
fi

if ! meson compile -C "$build_dir" bench_corpora; then
  echo "bench.sh: cannot build bench_corpora; it needs libbenchmark-dev and Boost.JSON," >&2
  echo "  and options benchmarks and boost_json not disabled ('meson configure $build_dir')" >&2
  exit 1
fi

"$build_dir/benchmarks/bench_corpora" \
  --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$results" \
  --benchmark_out_format=json \
  "$@"

python3 - "$results" <<'PY'
import json
import sys

BASELINE = "boost_serializer"

with open(sys.argv[1]) as file:
    runs = json.load(file)["benchmarks"]

# statistic -> (corpus, contender) -> bytes/s, in the order the benchmarks ran
stats = {"median": {}, "cv": {}}
corpora, contenders = {}, {}
for run in runs:
    if run.get("run_type") != "aggregate" or run["aggregate_name"] not in stats:
        continue
    contender, corpus = run["run_name"].split("/", 1)
    contenders.setdefault(contender, None)
    corpora.setdefault(corpus, None)
    stats[run["aggregate_name"]][corpus, contender] = run["bytes_per_second"]

median, cv = stats["median"], stats["cv"]
print()
print("Median of the repetitions; MB/s = 10^6 bytes of JSON text per CPU second;")
print(f"ratio = MB/s over {BASELINE}'s on the same corpus; cv = spread of the repetitions.")
print()
print("| corpus | contender | MB/s | ratio | cv |")
print("|---|---|---:|---:|---:|")
for corpus in corpora:
    baseline = median.get((corpus, BASELINE))
    for contender in contenders:
        rate = median.get((corpus, contender))
        if rate is None:
            continue
        ratio = f"{rate / baseline:.2f}" if baseline else "n/a"
        spread = cv.get((corpus, contender))
        spread = f"{spread:.1%}" if spread is not None else "n/a"
        print(f"| {corpus} | {contender} | {rate / 1e6:.1f} | {ratio} | {spread} |")
PY
