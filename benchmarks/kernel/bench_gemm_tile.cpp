// SPDX-License-Identifier: Apache-2.0
// GFLOP/s of every GEMM tile in the registry, operands resident in L1 (kc = 256) and in L2
// (kc = 2048), as the convolution algorithms call them.
#include <benchmark/benchmark.h>

#include <string>
#include <tuple>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/kernel/registry.hpp"

namespace {

template <class Tile>
void bench_tile(benchmark::State& state) {
  const dlas::index_t kc = state.range(0);
  dlas::aligned_buffer<float> a(Tile::mr * kc), b(Tile::nr * kc), c(Tile::mr * Tile::nr);
  for (dlas::index_t i = 0; i < a.size(); ++i) a[i] = float(i % 7) * 0.01f;
  for (dlas::index_t i = 0; i < b.size(); ++i) b[i] = float(i % 5) * 0.01f;
  const float* rows[Tile::mr];
  for (int i = 0; i < Tile::mr; ++i) rows[i] = a.data() + i * kc;
  dlas::kernel::tile_epilogue ep;
  for (auto _ : state) {
    Tile::run(kc, rows, b.data(), c.data(), Tile::nr, Tile::mr, Tile::nr, ep);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  const double flops = 2.0 * Tile::mr * Tile::nr * double(kc);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9 * double(state.iterations()),
                                                 benchmark::Counter::kIsRate);
}

template <class... Tiles>
void register_all(std::tuple<Tiles...>*) {
  (
      [] {
        if (!Tiles::available()) return;
        benchmark::RegisterBenchmark(Tiles::name().c_str(), bench_tile<Tiles>)->Arg(64)->Arg(256)->Arg(2048);
      }(),
      ...);
}

}  // namespace

int main(int argc, char** argv) {
  register_all(static_cast<dlas::kernel::f32_gemm_tiles*>(nullptr));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
