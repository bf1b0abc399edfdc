#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The README's two commands:
#   bash scripts/dlas.sh run              the main job: examples and the cross-stack sweep (built-in defaults)
#   bash scripts/dlas.sh bench [ARGS]     the convolution benchmark suite, side by side with oneDNN
#   bash scripts/dlas.sh bench network [ARGS]  ResNet-50 end to end against oneDNN's convolutions
#   bash scripts/dlas.sh test             build and run the whole test suite
#   bash scripts/dlas.sh test --sanitize  the same under AddressSanitizer + UBSan (clang)
#   bash scripts/dlas.sh test --thread    the threaded tests under ThreadSanitizer (clang, OpenMP)
#   bash scripts/dlas.sh test --arm64     cross-built for arm64, run under qemu (two CPU models)
#   bash scripts/dlas.sh fuzz [SECONDS]    run every libFuzzer target for SECONDS (default 60)
# Each installs missing Debian packages (as root), configures, builds and runs.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-}
shift || true
sanitize=0
fuzz_seconds=60
[ "$mode" = bench ] || for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --thread) sanitize=thread ;;
    --arm64) sanitize=arm64 ;;
    [0-9]*) fuzz_seconds=$arg ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done

packages=(cmake ninja-build g++ libxsimd-dev libeigen3-dev nlohmann-json3-dev catch2 libbenchmark-dev
  libopenmpi-dev openmpi-bin)  # Open MPI: dlas-pipeline and its tests
case "$mode" in
  run) packages+=(gnuplot-nox) ;;  # the sweep's plots
  # oneDNN: the optional peer the benchmarks compare with. Its CMake package looks for OpenCL
  # (Debian builds it with the OpenCL GPU runtime), which is only a recommendation of the package.
  bench) packages+=(libdnnl-dev ocl-icd-opencl-dev) ;;
  test)
    packages+=(python3-torch)  # the PyTorch profiler's CPU test (tests/memory)
    # qemu-x86_64: the portable program's copies on emulated older CPUs (tests/portable).
    packages+=(qemu-user)
    # clang for the sanitizer passes: a third less compile time than GCC under ASan+UBSan.
    [ "$sanitize" = 1 ] || [ "$sanitize" = thread ] && packages+=(clang libclang-rt-14-dev libomp-14-dev)
    [ "$sanitize" = arm64 ] && packages+=(g++-aarch64-linux-gnu)
    ;;
  fuzz) packages+=(clang libclang-rt-14-dev) ;;
  *) echo "usage: bash scripts/dlas.sh run | bench [network] [ARGS] | test [--sanitize | --thread | --arm64] | fuzz [SECONDS]" >&2; exit 2 ;;
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
if [ "$mode" = fuzz ]; then
  build="$root/build/fuzz"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DDLAS_BUILD_FUZZERS=ON \
    -DDLAS_WITH_OPENMP=OFF -DDLAS_BUILD_BENCHMARKS=OFF -DDLAS_BUILD_EXAMPLES=OFF -DDLAS_BUILD_TOOLS=OFF
  targets=$(cd "$root/tests/fuzz/corpus" && ls)
  cmake --build "$build" -j "$jobs" --target $(printf 'fuzz_%s ' $targets)
  # New inputs go to a scratch corpus; the seeds in the repository stay as they are.
  printf '%s\n' $targets | xargs -P "$jobs" -I{} sh -c '
    mkdir -p "$1/corpus/{}" && "$1/tests/fuzz/fuzz_{}" -max_total_time="$3" -rss_limit_mb=2048 \
      -timeout=10 -print_final_stats=1 "$1/corpus/{}" "$2/tests/fuzz/corpus/{}" \
      >"$1/fuzz_{}.log" 2>&1 && echo "fuzz_{}: clean for $3 s" ||
      { echo "fuzz_{}: FAILED"; tail -40 "$1/fuzz_{}.log"; exit 1; }' _ "$build" "$root" "$fuzz_seconds"
  exit 0
fi
if [ "$mode" = test ] && [ "$sanitize" = arm64 ]; then
  # Static arm64 binaries, run by qemu-aarch64 as ctest's emulator: once on a core with every
  # optional extension (max: dot product, fp16 arithmetic) and once on a plain Armv8.0 core.
  build="$root/build/aarch64"
  (cd "$root" && cmake --preset aarch64)
  cmake --build "$build" -j "$jobs"
  # Under emulation: 1,000 randomized cases per differential program, and the network tests
  # without VGG-16 (tests/graph/support.hpp); everything else runs as it does natively.
  export DLAS_DIFF_CASES=${DLAS_DIFF_CASES:-1000} DLAS_TEST_EMULATED=1
  # Each CPU model names the int8 path its tests must see: SDOT on max (the whole suite), the
  # Armv8.0 NEON sequence on the Cortex-A53 (no dot product). The int8 tiles are the only code
  # chosen by the CPU at run time, so the A53 runs the programs that test int8 kernels and
  # the choice itself (kernel, automatic, differential), not the whole suite again.
  QEMU_CPU=max DLAS_EXPECT_INT8_PATH=neon_dot ctest --test-dir "$build" --output-on-failure \
    -j "$jobs" -E profile_torch
  echo "== arm64 int8 tests under qemu -cpu cortex-a53 (int8 path neon)"
  QEMU_CPU=cortex-a53 DLAS_EXPECT_INT8_PATH=neon ctest --test-dir "$build" --output-on-failure \
    -j "$jobs" -R 'int8|^kernel$|^conv_fast_automatic$|^conv_differential_reduced$'
  exit 0
fi
if [ "$mode" = test ] && [ "$sanitize" = thread ]; then
  # libarcher tells ThreadSanitizer about OpenMP's synchronisation, so the parallel kernels
  # are checked for real races without false reports from the uninstrumented runtime.
  build="$root/build/tsan"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE= \
    -DCMAKE_CXX_FLAGS="-O1 -g1" -DDLAS_SANITIZE=thread -DDLAS_BUILD_BENCHMARKS=OFF -DDLAS_BUILD_EXAMPLES=OFF -DDLAS_BUILD_TOOLS=OFF
  # The randomized differential programs run every kernel (each layout, precision, sparsity
  # and algorithm) with one or two threads; with the concurrent-calls test and the layer tests
  # (pooling, element-wise, conversions) they cover every OpenMP loop in dlas.
  programs='conv_differential_fp32 conv_differential_reduced conv_concurrency graph_layers'
  cmake --build "$build" -j "$jobs" --target $(printf 'test_%s ' $programs)
  export OMP_TOOL_LIBRARIES=/usr/lib/llvm-14/lib/libarcher.so OMP_NUM_THREADS=2
  export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 ignore_noninstrumented_modules=1"
  ctest --test-dir "$build" --output-on-failure -j "$jobs" -R "^($(echo $programs | tr ' ' '|'))\$"
  exit 0
fi
if [ "$mode" = test ]; then
  if [ $sanitize = 1 ]; then
    build="$root/build/asan"
    # -O1 with line tables: readable reports, and far less compile time than -O2 -g.
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE= \
      -DCMAKE_CXX_FLAGS="-O1 -g1" -DDLAS_LIGHT_TEST_FLAGS=-O0 \
      -DDLAS_SANITIZE=address,undefined -DDLAS_BUILD_BENCHMARKS=OFF -DDLAS_BUILD_EXAMPLES=OFF \
      -DDLAS_BUILD_TOOLS=OFF  # the tools (every kernel instantiated) and their tests run in the release pass
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
    export DLAS_DIFF_CASES=${DLAS_DIFF_CASES:-1500}  # the release run does the full 10,000
    # Left to the release pass: the whole-network accuracy program, over two minutes under
    # ASan (the executor's memory is checked under ASan by graph_layers and graph_memory).
    skip='graph_networks'
  else
    build="$root/build/release"
    # The benchmark programs are built by `run`; the tests do not need them. -O2: GCC's -O3
    # takes about five times as long on the kernel instantiations of the tests; `run` and
    # `bench` keep -O3.
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
      -DDLAS_BUILD_BENCHMARKS=OFF
  fi
  if [ -n "${skip:-}" ]; then
    targets=$(ninja -C "$build" -t targets all | grep -oE '^[A-Za-z0-9_./-]+:' | tr -d ':' |
      grep -E '(^|/)(test_[a-z0-9_]+|dlas_[a-z0-9_]+|example_[a-z0-9_]+|compile_ok_[a-z0-9_]+)$' |
      grep -vE "test_($skip)" | sort -u)
    cmake --build "$build" -j "$jobs" --target $targets
    ctest --test-dir "$build" --output-on-failure -j "$jobs" -E "^($skip)"
  else
    cmake --build "$build" -j "$jobs"
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
  fi
elif [ "$mode" = bench ]; then
  build="$root/build/bench"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDLAS_BUILD_BENCHMARKS=ON
  if [ "${1:-}" = network ]; then
    shift
    cmake --build "$build" -j "$jobs" --target dlas-bench-network
    # ResNet-50 at 224x224, mb 1, one thread, end to end in fp32, int8 and 90% pruned CSR,
    # interleaved with oneDNN's convolutions of the same layers (docs/benchmarks.md).
    echo "== dlas-bench-network --network resnet50 --threads 1"
    "$build/benchmarks/network/dlas-bench-network" --network resnet50 --threads 1 --rounds 5 \
      --benchmark_min_time=0.5 "$@"
    exit 0
  fi
  cmake --build "$build" -j "$jobs" --target dlas-bench-conv
  # The convolution suite on its built-in default: ResNet-50 v1 and MobileNet v1 depthwise,
  # mb 1, one thread, dlas interleaved with oneDNN (when found); docs/benchmarks.md explains.
  echo "== dlas-bench-conv --shapes resnet50,mobilenet_dw --mb 1 --threads 1"
  "$build/benchmarks/conv/dlas-bench-conv" --shapes resnet50,mobilenet_dw --mb 1 --threads 1 --rounds 3 \
    --benchmark_min_time=0.1 "$@"
else
  build="$root/build/run"
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DDLAS_BUILD_BENCHMARKS=OFF \
    -DDLAS_BUILD_TESTS=OFF
  cmake --build "$build" -j "$jobs"
  for example in "$build"/examples/example_*; do
    echo "== $(basename "$example")"
    "$example"
  done
  # The cross-stack sweep on its built-in default (ResNet-18 and MobileNetV2 at 112x112:
  # compression x precision x algorithm x layout x threads); docs/sweep.md explains.
  echo "== dlas-sweep (results in $root/sweep-results; an interrupted run resumes)"
  "$build/tools/dlas_sweep/dlas-sweep" --out "$root/sweep-results"
fi
