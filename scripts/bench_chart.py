#!/usr/bin/env python3
"""Draws the throughput that scripts/bench.sh measured: one panel per input (corpus or
synthetic input), one bar per contender, in MB/s of the contender's own text.

    python3 scripts/bench_chart.py [OUTPUT.png] [--results DIR]

OUTPUT defaults to docs/benchmark.png and DIR to build-bench/bench, where bench.sh writes
bench_corpora.json and bench_synthetic.json. Medians are drawn when the runs were
repeated, else the single runs. bench.sh reads the results with read_results() too.
"""

import argparse
import json
import math
import os
import sys

# Contenders and inputs in the order tables and charts show them; others follow, sorted.
CONTENDERS = [
    "iterjson_next", "iterjson_read", "iterjson_to_string", "iterjson_append_to", "boost_serializer", "boost_serialize",
    "iterjson_next_nlohmann", "iterjson_read_nlohmann", "iterjson_to_string_nlohmann", "nlohmann_dump",
    "iterjson_next_rapidjson", "iterjson_read_rapidjson", "iterjson_to_string_rapidjson", "rapidjson_writer",
    "iterjson_next_yyjson", "iterjson_read_yyjson", "iterjson_to_string_yyjson", "iterjson_append_to_yyjson",
    "yyjson_write", "iterjson_next_native", "iterjson_read_native", "iterjson_to_string_native",
    "iterjson_append_to_native", "to_chars", "fmt_format_to",
]
INPUTS = [
    "twitter", "citm_catalog", "canada",
    "integers_signed", "integers_unsigned", "doubles_random_bits", "doubles_coordinates", "long_strings",
    "escape_strings", "non_ascii", "non_ascii_ensure_ascii", "nesting_1m", "citm_catalog_indent_2",
    "sort_keys_100k", "lazy_document", "lazy_document_tenth",
    "doubles_longitudes", "floats_random_bits", "floats_unit",
]
CHARTED = ("bench_corpora", "bench_synthetic")
COLUMNS = 3
ITERJSON_COLOR = "#1f77b4"
OTHER_COLOR = "#ff7f0e"


def rank(order, name):
    return (order.index(name), "") if name in order else (len(order), name)


def read_results(results_dir, binary):
    """{input: {contender: {statistic: run}}} from `binary`'s JSON file, in display order;
    empty when there is no file. Without repetitions, each run stands as its median."""
    path = os.path.join(results_dir, binary + ".json")
    if not os.path.exists(path):
        return {}
    with open(path) as file:
        runs = json.load(file).get("benchmarks", [])
    aggregated = any(run.get("run_type") == "aggregate" for run in runs)
    table = {}
    for run in runs:
        if aggregated != (run.get("run_type") == "aggregate"):
            continue
        contender, name = run["run_name"].split("/", 1)
        table.setdefault(name, {}).setdefault(contender, {})[run.get("aggregate_name", "median")] = run
    return {
        name: {c: table[name][c] for c in sorted(table[name], key=lambda c: rank(CONTENDERS, c))}
        for name in sorted(table, key=lambda n: rank(INPUTS, n))
    }


def draw(inputs, output):
    """One panel of bars per input: {input: {contender: MB/s}}."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    names = list(inputs)
    rows = math.ceil(len(names) / COLUMNS)
    # Each row as tall as its panel with the most bars.
    heights = [max(len(inputs[n]) for n in names[r * COLUMNS:(r + 1) * COLUMNS]) * 0.28 + 0.9 for r in range(rows)]
    figure, axes = plt.subplots(rows, COLUMNS, figsize=(6 * COLUMNS, sum(heights)),
                                gridspec_kw={"height_ratios": heights}, squeeze=False)
    for axis, name in zip(axes.flat, names):
        contenders = list(inputs[name])
        rates = [inputs[name][c] for c in contenders]
        colors = [ITERJSON_COLOR if c.startswith("iterjson") else OTHER_COLOR for c in contenders]
        axis.barh(range(len(contenders)), rates, color=colors)
        axis.set_yticks(range(len(contenders)), contenders, fontsize=8)
        axis.invert_yaxis()  # the first contender on top
        axis.set_title(name, fontsize=10)
        axis.set_xlabel("MB/s", fontsize=8)
        axis.tick_params(axis="x", labelsize=8)
        for position, rate in enumerate(rates):
            axis.text(rate, position, f" {rate:.0f}", va="center", fontsize=7)
        axis.set_xlim(0, max(rates) * 1.18)
    for axis in list(axes.flat)[len(names):]:
        axis.set_visible(False)
    figure.suptitle("iterjson (blue) and other writers (orange): MB/s of each one's own text, higher is better")
    figure.tight_layout()
    directory = os.path.dirname(output)
    if directory:
        os.makedirs(directory, exist_ok=True)
    figure.savefig(output, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", nargs="?", default="docs/benchmark.png", help="the PNG to write")
    parser.add_argument("--results", default="build-bench/bench", help="where bench.sh wrote its JSON files")
    arguments = parser.parse_args()
    try:
        import matplotlib  # noqa: F401  (only to fail early, with advice)
    except ImportError:
        sys.exit("bench_chart.py needs matplotlib: apt-get install python3-matplotlib, which serves "
                 "/usr/bin/python3 (run the script with that interpreter if another python3 comes first)")

    inputs = {}
    for binary in CHARTED:
        for name, contenders in read_results(arguments.results, binary).items():
            inputs[name] = {c: stats["median"]["bytes_per_second"] / 1e6 for c, stats in contenders.items()}
    if not inputs:
        sys.exit(f"bench_chart.py: no results in {arguments.results}; run scripts/bench.sh first")
    draw(inputs, arguments.output)
    print(f"wrote {arguments.output}: {len(inputs)} inputs")


if __name__ == "__main__":
    main()
