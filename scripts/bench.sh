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
  --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$results" \
  --benchmark_out_format=json \
  "$@"

python3 - "$results" <<'PY'
import json
import sys

BASELINE = "boost_serializer"
ORDER = ["iterjson_next", "iterjson_read", "iterjson_to_string", "boost_serializer", "boost_serialize"]

with open(sys.argv[1]) as file:
    runs = json.load(file)["benchmarks"]

# statistic -> (corpus, contender) -> (bytes/s, CPU time of one encoding in ns)
stats = {"median": {}, "cv": {}}
corpora = {}
for run in runs:
    if run.get("run_type") != "aggregate" or run["aggregate_name"] not in stats:
        continue
    contender, corpus = run["run_name"].split("/", 1)
    corpora.setdefault(corpus, None)
    stats[run["aggregate_name"]][corpus, contender] = (run["bytes_per_second"], run["cpu_time"])

median, cv = stats["median"], stats["cv"]
print()
print("Medians of the repetitions, run interleaved. MB/s = 10^6 bytes of each contender's own")
print("text per CPU second (texts differ: Boost.JSON writes doubles as 1.5E1, iterjson as 15.0).")
print(f"Speed = {BASELINE}'s time per encoding of the tree over the contender's: the fair")
print("comparison when the texts differ in length. cv = spread of the repetitions' times.")
print()
print("| corpus | contender | MB/s | ms per tree | speed vs Boost serializer | cv |")
print("|---|---|---:|---:|---:|---:|")
for corpus in corpora:
    baseline = median.get((corpus, BASELINE))
    for contender in ORDER:
        if (corpus, contender) not in median:
            continue
        rate, time = median[corpus, contender]
        speed = f"{baseline[1] / time:.2f}x" if baseline else "n/a"
        spread = cv.get((corpus, contender))
        spread = f"{spread[1]:.1%}" if spread is not None else "n/a"
        print(f"| {corpus} | {contender} | {rate / 1e6:.0f} | {time / 1e6:.3f} | {speed} | {spread} |")
PY
