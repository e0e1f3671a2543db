#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main demo: a 50-million-number array
# streamed a slice at a time. Extra arguments go to the demo (--count, --chunk-size, --out).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
[ -f build/build.ninja ] || meson setup build --buildtype=release >/dev/null
meson compile -C build stream_numbers >/dev/null
./build/examples/stream_numbers "$@"
