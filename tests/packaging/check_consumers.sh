#!/usr/bin/env bash
# Installs iterjson from SOURCE into WORK/prefix, then builds and runs the consumer
# program each way a user brings it in: CMake find_package and pkg-config on the
# installed tree, Meson's dependency('iterjson') on the installed tree (through
# pkg-config) and as a subproject. Prints one line per way: "<way>: <what it printed>".
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
PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" quiet meson setup "$work/meson/installed" "$work/meson" \
  --wrap-mode=nofallback
quiet meson compile -C "$work/meson/installed"
echo "meson, installed: $("$work/meson/installed/consumer")"

ln -s "$source" "$work/meson/subprojects/iterjson"
quiet meson setup "$work/meson/subproject" "$work/meson" --force-fallback-for=iterjson
quiet meson compile -C "$work/meson/subproject"
echo "meson subproject: $("$work/meson/subproject/consumer")"
