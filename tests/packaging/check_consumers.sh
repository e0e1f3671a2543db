#!/usr/bin/env bash
# Installs iterjson from SOURCE into WORK/prefix, then builds and runs the consumer
# program each way a user brings it in: CMake find_package and pkg-config on the
# installed tree, Meson's dependency('iterjson') on the installed tree (through
# pkg-config) and as a subproject, and CMake's add_subdirectory and FetchContent on the
# source tree. Prints one line per way, "<way>: <what it printed>", and fails unless
# every consumer printed what it must.
#   check_consumers.sh SOURCE WORK CXX   (CXX may be a command of several words, such as
#                                        "ccache c++": CMake is given its last word)
set -euo pipefail
source=$1 work=$2 cxx=$3
rm -rf "$work"
mkdir -p "$work"
quiet() { "$@" >"$work/last.log" 2>&1 || { cat "$work/last.log" >&2; exit 1; }; }
failures=0
# Runs the consumer built one WAY and checks what it printed.
#   run_consumer WAY BINARY
run_consumer() {
  local printed
  printed=$("$2")
  echo "$1: $printed"
  [ "$printed" = '{"primes":[2,3,5]} 0.1' ] || { echo "  expected {\"primes\":[2,3,5]} 0.1"; failures=$((failures + 1)); }
}
# Builds the CMake project tests/packaging/DIR and prints what its consumer printed.
#   cmake_consumer WAY DIR [CMAKE-ARGS...]
cmake_consumer() {
  local way=$1 dir=$2
  shift 2
  quiet cmake -S "$source/tests/packaging/$dir" -B "$work/$dir" -DCMAKE_CXX_COMPILER="${cxx##* }" "$@"
  quiet cmake --build "$work/$dir"
  run_consumer "$way" "$work/$dir/consumer"
}

quiet meson setup "$work/build" "$source" --prefix="$work/prefix" \
  -Dtests=disabled -Dbenchmarks=disabled -Dexamples=disabled
quiet meson install -C "$work/build"

cmake_consumer cmake cmake_consumer -DCMAKE_PREFIX_PATH="$work/prefix"

flags=$(PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" pkg-config --cflags --libs iterjson)
# shellcheck disable=SC2086  # the flags are words
quiet $cxx -std=c++20 "$source/tests/packaging/consumer.cpp" $flags -o "$work/pkg-config-consumer"
run_consumer pkg-config "$work/pkg-config-consumer"

mkdir -p "$work/meson/subprojects"
cp "$source/tests/packaging/meson_consumer/meson.build" "$source/tests/packaging/consumer.cpp" "$work/meson/"
PKG_CONFIG_PATH="$work/prefix/share/pkgconfig" quiet meson setup "$work/meson/installed" "$work/meson" \
  --wrap-mode=nofallback
quiet meson compile -C "$work/meson/installed"
run_consumer "meson, installed" "$work/meson/installed/consumer"

ln -s "$source" "$work/meson/subprojects/iterjson"
quiet meson setup "$work/meson/subproject" "$work/meson" --force-fallback-for=iterjson
quiet meson compile -C "$work/meson/subproject"
run_consumer "meson subproject" "$work/meson/subproject/consumer"

cmake_consumer "cmake add_subdirectory" cmake_subdirectory -DITERJSON_SOURCE="$source"
cmake_consumer "cmake FetchContent" cmake_fetchcontent -DITERJSON_SOURCE="$source"
[ "$failures" -eq 0 ]
