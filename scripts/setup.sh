#!/usr/bin/env bash
# Prepares a Debian 12 machine and builds PVM in build/: installs the packages the build and
# the tests use (only when one is missing), configures with Ninja and ccache, builds.
# Arguments are passed to `cmake --build` (for example `--target pvm`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(build-essential cmake ninja-build ccache pkg-config libcli11-dev doctest-dev libre2-dev libtomlplusplus-dev
  libmosquitto-dev libpcap-dev libssl-dev openssl nlohmann-json3-dev python3 python3-yaml zsh mosquitto mosquitto-clients libbenchmark-dev
  clang libclang-rt-14-dev llvm-14-dev)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
  echo "Installing: ${missing[*]}"
  "${sudo[@]}" apt-get update
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache
cmake --build build "$@"
