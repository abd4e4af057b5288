#!/usr/bin/env bash
# Installs the Debian packages Harmony needs (only those missing) and builds it into build/.
# Idempotent and quiet when everything is present.
# Usage: scripts/bootstrap.sh [--no-build] [extra Debian packages...]
# (scripts/fuzz.sh, for example, asks for clang this way.)
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
extra=()
for arg in "$@"; do
  if [ "$arg" = "--no-build" ]; then build=0; else extra+=("$arg"); fi
done

packages=(build-essential cmake ninja-build pkg-config sqlite3 libsqlite3-dev libnats-dev
          libtomlplusplus-dev libxxhash-dev libspdlog-dev libfmt-dev libcli11-dev libzstd-dev
          libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev nats-server libsystemd-dev
          prometheus-cpp-dev libcpp-httplib-dev prometheus
          ${extra[@]+"${extra[@]}"})
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "bootstrap: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

[ "$build" -eq 1 ] || exit 0
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build build -j"$(nproc)"
test -x build/harmony
