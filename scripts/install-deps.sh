#!/usr/bin/env bash
# Installs, from Debian's packages, whatever the build, tests, benchmarks and examples
# need and the machine lacks. Does nothing when everything is there.
set -euo pipefail

packages=(
  g++ meson ninja-build pkg-config cmake python3 curl ccache
  libfmt-dev doctest-dev libbenchmark-dev
  libboost1.81-dev libboost-json1.81-dev nlohmann-json3-dev rapidjson-dev
  libuv1-dev libasio-dev libevent-dev libcpp-httplib-dev
  libsqlite3-dev postgresql libpq-dev
  python3-matplotlib
  clang-14 libclang-rt-14-dev libsimdjson-dev
  chromium chromium-driver python3-selenium
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
