#!/usr/bin/env bash
# Installs iterjson from SOURCE into WORK/prefix, then builds and runs the consumer
# program three ways: CMake find_package, pkg-config, and a Meson subproject. Prints
# one line per way: "<way>: <what the program printed>".
#   check_consumers.sh SOURCE WORK CXX
set -euo pipefail
source=$1 work=$2 cxx=$3
rm -rf "$work"
mkdir -p "$work"
quiet() { "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }; }

quiet meson setup "$work/build" "$source" --prefix="$work/prefix" \
  -Dtests=disabled -Dbenchmarks=disabled -Dexamples=disabled
quiet meson install -C "$work/build"

quiet cmake -S "$source/tests/packaging/cmake_consumer" -B "$work/cmake" \
  -DCMAKE_CXX_COMPILER="${cxx%% *}" -DCMAKE_PREFIX_PATH="$work/prefix"
quiet cmake --build "$work/cmake"
echo "cmake: $("$work/cmake/consumer")"

flags=$(PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" pkg-config --cflags --libs iterjson)
# shellcheck disable=SC2086  # the flags are words
quiet $cxx -std=c++20 "$source/tests/packaging/consumer.cpp" $flags -o "$work/pkg-config-consumer"
echo "pkg-config: $("$work/pkg-config-consumer")"

mkdir -p "$work/meson/subprojects"
cp "$source/tests/packaging/meson_consumer/meson.build" "$source/tests/packaging/consumer.cpp" "$work/meson/"
ln -s "$source" "$work/meson/subprojects/iterjson"
quiet meson setup "$work/meson/build" "$work/meson"
quiet meson compile -C "$work/meson/build"
echo "meson subproject: $("$work/meson/build/consumer")"
