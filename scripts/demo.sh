#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main demo: the libuv HTTP server
# (examples/http_server/) streaming a 259 MB JSON array while it answers pings, measured by
# benchmarks/http_bench.cpp against the same server in --oneshot mode, with a fast reader and
# a slow one; then the same server streaming 1,000,000 rows of an SQLite table it generated
# (GET /rows) against the same rows collected and serialized in one go. Prints a comparison
# table for each. Extra arguments go to http_bench (--length N, --slow-seconds S,
# --ping-interval-ms M, --rows N; --rows 0 leaves the SQLite stream out).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
meson compile -C build http_server http_bench >/dev/null
./build/benchmarks/http_bench --server build/examples/http_server "$@"
