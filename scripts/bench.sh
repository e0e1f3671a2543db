#!/usr/bin/env bash
# Runs the benchmarks in a release build, then prints Markdown tables of the medians:
#   bench_corpora    iterjson against Boost.JSON, nlohmann, RapidJSON and yyjson on the corpora
#   bench_synthetic  the same writers on synthetic data, one cost at a time
#   bench_memory     the peak heap of each contender while it writes
#   bench_doubles    1,000,000 doubles or floats: iterjson against std::to_chars and fmt
#
#   bash scripts/bench.sh [--only=corpora,synthetic,memory,doubles] [flags for the binaries...]
#
# Every other argument goes to each binary after the defaults below, so it overrides
# them: Google Benchmark's flags (--benchmark_filter=canada; --benchmark_min_time=0.05
# --benchmark_repetitions=1 for a quick look) and --lazy_document_mb=N, the size of the
# lazy document (1000 by default). Results are written to $build_dir/bench/<binary>.json;
# scripts/bench_chart.py draws them.
#
# Builds in "build-bench" (BUILD_DIR overrides it): the tests' build/ leaves the
# benchmarks out. It is set up here only when it is not a Meson build directory yet, and
# never reconfigured.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build-bench}
results_dir=$build_dir/bench

only=corpora,synthetic,memory,doubles
flags=()
for argument in "$@"; do
  case $argument in
    --only=*) only=${argument#--only=} ;;
    *) flags+=("$argument") ;;
  esac
done
binaries=()
for family in ${only//,/ }; do
  case $family in
    corpora | synthetic | memory | doubles) binaries+=("bench_$family") ;;
    *)
      echo "bench.sh: --only takes corpora, synthetic, memory and doubles, not '$family'" >&2
      exit 1
      ;;
  esac
done

if [[ ! -f $build_dir/meson-private/coredata.dat ]]; then
  meson setup "$build_dir" --buildtype=release -Dtests=disabled -Dbenchmarks=enabled
fi

buildtype=$(meson introspect "$build_dir" --buildoptions | python3 -c '
import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "buildtype"))')
if [[ $buildtype != release ]]; then
  echo "bench.sh: $build_dir is a '$buildtype' build; benchmarks need a release build:" >&2
  echo "  meson configure $build_dir -Dbuildtype=release, or BUILD_DIR=<other dir> $0" >&2
  exit 1
fi

if ! meson compile -C "$build_dir" "${binaries[@]}"; then
  echo "bench.sh: cannot build ${binaries[*]}; they need libbenchmark-dev, Boost.JSON," >&2
  echo "  nlohmann-json and RapidJSON (scripts/install-deps.sh), and options benchmarks," >&2
  echo "  boost_json, nlohmann and rapidjson not disabled ('meson configure $build_dir')" >&2
  exit 1
fi

mkdir -p "$results_dir"
for binary in "${binaries[@]}"; do
  defaults=(
    --benchmark_repetitions=5
    --benchmark_enable_random_interleaving=true
    --benchmark_report_aggregates_only=true
  )
  # The heap a run takes does not depend on how long it runs: a few runs will do.
  if [[ $binary == bench_memory ]]; then
    defaults+=(--benchmark_min_time=0.01)
  fi
  rm -f "$results_dir/$binary.json"
  "$build_dir/benchmarks/$binary" "${defaults[@]}" \
    --benchmark_out="$results_dir/$binary.json" --benchmark_out_format=json "${flags[@]}"
done

python3 - "$results_dir" <<'PY'
import sys

sys.path.insert(0, "scripts")
from bench_chart import read_results  # noqa: E402  (after the path is set)

TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def ms(run):
    return run["cpu_time"] * TO_MS[run.get("time_unit", "ns")]


def next_baseline(contenders, contender):
    """iterjson's next() on the data `contender` writes: on the corpora, the same tree (or
    the native structs); on synthetic inputs, always the native containers."""
    for tree in ("nlohmann", "rapidjson", "yyjson", "native"):
        if tree in contender and "iterjson_next_" + tree in contenders:
            return contenders["iterjson_next_" + tree].get("median")
    return contenders.get("iterjson_next", {}).get("median")


def speed(baseline, run):
    return f"{ms(baseline) / ms(run):.2f}x" if baseline else "n/a"


def cv(stats):
    return f"{stats['cv']['cpu_time']:.1%}" if "cv" in stats else "n/a"


def baseline(name):
    """The baseline that is the contender `name` on the same input."""
    return lambda contenders, contender: contenders.get(name, {}).get("median")


def speed_table(title, table, baselines):
    """A row per contender, with its speed against each of `baselines`: (column title,
    function of the input's contenders and the contender giving the baseline's run)."""
    if not table:
        return
    print(f"\n### {title}\n")
    print("| input | contender | MB/s | ms per iteration | "
          + " | ".join(f"speed vs {column}" for column, _ in baselines) + " | cv |")
    print("|---|---|---:|---:|" + "---:|" * len(baselines) + "---:|")
    for name, contenders in table.items():
        for contender, stats in contenders.items():
            run = stats["median"]
            row = f"| {name} | {contender} | {run['bytes_per_second'] / 1e6:.0f} | {ms(run):.3f} "
            for _, find in baselines:
                row += f"| {speed(find(contenders, contender), run)} "
            print(row + f"| {cv(stats)} |")


def size(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def memory_table(table):
    if not table:
        return
    print("\n### Peak heap while writing (bench_memory; target for iterjson_next/lazy_document: under 1 MiB)\n")
    print("| input | contender | text | peak heap | allocations |")
    print("|---|---|---:|---:|---:|")
    for name, contenders in table.items():
        for contender, stats in contenders.items():
            run = stats["median"]
            print(f"| {name} | {contender} | {size(run['text_bytes'])} | {size(run['peak_heap_bytes'])} "
                  f"| {run['allocations']:.0f} |")


results_dir = sys.argv[1]
print()
print("Medians of the repetitions, run interleaved. MB/s = 10^6 bytes of each contender's own")
print("text per CPU second (texts differ: Boost.JSON writes doubles as 1.5E1, iterjson as 15.0).")
print("Speed = the baseline's CPU time per iteration over the contender's: the fair comparison")
print("when texts differ in length. On the corpora the iterjson next() baseline writes the same")
print("tree as the contender (Boost's, nlohmann's, RapidJSON's, or the native structs); on the")
print("synthetic inputs it writes native containers. cv = the spread of the repetitions' times.")
vs_next = ("iterjson next()", next_baseline)
speed_table("Corpora (bench_corpora)", read_results(results_dir, "bench_corpora"),
            [vs_next, ("yyjson_write", baseline("yyjson_write")), ("Boost serializer", baseline("boost_serializer"))])
speed_table("Synthetic inputs (bench_synthetic)", read_results(results_dir, "bench_synthetic"), [vs_next])
memory_table(read_results(results_dir, "bench_memory"))
speed_table("1,000,000 numbers (bench_doubles)", read_results(results_dir, "bench_doubles"),
            [("std::to_chars", baseline("to_chars")), ("fmt::format_to", baseline("fmt_format_to"))])
PY
