#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main demo: the libuv HTTP server
# (examples/http_server/) streaming a 259 MB JSON array while it answers pings, measured by
# benchmarks/http_bench.cpp against the same server in --oneshot mode, with a fast reader and
# a slow one; then the same server streaming 1,000,000 rows of an SQLite table it generated
# (GET /rows) against the same rows collected and serialized in one go. Prints a comparison
# table for each, then the address of the demo's page (GET /), which shows the same in a
# browser. Extra arguments go to http_bench (--length N, --slow-seconds S,
# --ping-interval-ms M, --rows N; --rows 0 leaves the SQLite stream out), except:
#   --serve   then starts the server on 127.0.0.1:$DEMO_PORT (8080 by default) and keeps it
#             running, for the page, until interrupted (Ctrl-C). Without it the script
#             ends after the tables: it never waits unless asked to.
# BUILD_DIR (build by default) is the build directory used.
set -euo pipefail
cd "$(dirname "$0")/.."

serve=false
bench_args=()
for argument in "$@"; do
  if [ "$argument" = --serve ]; then serve=true; else bench_args+=("$argument"); fi
done
build_dir=${BUILD_DIR:-build}
port=${DEMO_PORT:-8080}

bash scripts/install-deps.sh
[ -f "$build_dir/build.ninja" ] || meson setup "$build_dir" --buildtype=release >/dev/null
meson compile -C "$build_dir" http_server http_bench >/dev/null
"./$build_dir/benchmarks/http_bench" --server "$build_dir/examples/http_server" "${bench_args[@]}"

echo
if ! $serve; then
  echo "The demo's page, the same comparison and more in a browser: bash scripts/demo.sh --serve,"
  echo "then open http://127.0.0.1:$port/ (or: $build_dir/examples/http_server --port $port)"
  exit 0
fi
# The server in the place of this script: Ctrl-C reaches it alone, and it stops cleanly.
echo "The demo's page: http://127.0.0.1:$port/ once the server is listening (Ctrl-C stops it)"
exec "./$build_dir/examples/http_server" --port "$port"
