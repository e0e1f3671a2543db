#!/usr/bin/env bash
# The exhaustive check of the number writer, run by hand, not in CI: builds
# tools/check_shortest.cpp and runs it. It writes every float (all 2^32 bit patterns but
# NaNs and infinities), 10^8 random doubles and the edge cases of both with iterjson, and
# compares each text with std::to_chars' shortest digits in Python's repr layout; it also
# measures the margin that the float path's 64-bit products rely on. Exits 1 on any
# mismatch. About five minutes on two cores.
#   bash scripts/check_shortest.sh [--doubles=N]
# THREADS=n sets the threads (2 by default); BUILD_DIR the directory for the binary
# (build-check).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${BUILD_DIR:-build-check}
mkdir -p "$build_dir"
${CXX:-g++} -std=c++20 -O2 -march=native -fopenmp -Wall -Wextra -Iinclude -Itests \
  tools/check_shortest.cpp -o "$build_dir/check_shortest"
OMP_NUM_THREADS=${THREADS:-2} nice "$build_dir/check_shortest" "$@"
