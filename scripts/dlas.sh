#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's two commands:
#   bash scripts/dlas.sh run              the main job (examples and benchmark suite, built-in defaults)
#   bash scripts/dlas.sh test             build and run the whole test suite
#   bash scripts/dlas.sh test --sanitize  the same under AddressSanitizer + UBSan
# Each installs missing Debian packages (as root), configures, builds and runs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-}
shift || true
sanitize=0
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

packages=(cmake ninja-build g++ libxsimd-dev libeigen3-dev nlohmann-json3-dev catch2 libbenchmark-dev)
case "$mode" in
  run) packages+=(libdnnl-dev) ;;  # oneDNN: the optional peer the benchmarks compare with
  test) ;;
  *) echo "usage: bash scripts/dlas.sh run | test [--sanitize]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "dlas: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "dlas: missing Debian packages; run this first:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

jobs=$(nproc)
if [ "$mode" = test ]; then
  if [ $sanitize = 1 ]; then
    build="$root/build/asan"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DDLAS_SANITIZE=address,undefined -DDLAS_BUILD_BENCHMARKS=OFF -DDLAS_BUILD_EXAMPLES=OFF
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
  else
    build="$root/build/release"
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  fi
  cmake --build "$build" -j "$jobs"
  ctest --test-dir "$build" --output-on-failure -j "$jobs"
else
  build="$root/build/release"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build" -j "$jobs"
  for example in "$build"/examples/example_*; do
    echo "== $(basename "$example")"
    "$example"
  done
fi
