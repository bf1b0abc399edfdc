// SPDX-License-Identifier: Apache-2.0
// The recommender on long layer lists: exact partition of 1,000 layers into 64 stages.
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <dlas/memory/predictor.hpp>
#include <dlas/memory/recommender.hpp>

namespace {

using namespace dlas::memory;

profile synthetic(int layers) {
  std::mt19937 gen(42);
  std::uniform_int_distribution<bytes_t> small(1 << 16, 1 << 22), big(1 << 20, 1 << 25);
  profile p;
  p.model = "synthetic";
  p.baseline_bytes = 64 << 20;
  bytes_t in = big(gen);
  for (int i = 0; i < layers; ++i) {
    layer_profile l;
    l.name = "layer" + std::to_string(i);
    l.weight_bytes = small(gen);
    l.grad_bytes = l.weight_bytes;
    l.optimizer_bytes = 2 * l.weight_bytes;
    l.optimizer_step_transient_bytes = l.weight_bytes;
    const bytes_t out = big(gen);
    for (int b : {1, 2}) {
      micro_batch_cost c;
      c.input_bytes = b * in;
      c.output_bytes = b * out;
      c.activation_bytes = b * (out + big(gen));
      c.forward_peak_bytes = c.activation_bytes + small(gen);
      c.backward_peak_bytes = c.activation_bytes + c.output_bytes + b * in + small(gen);
      c.forward_seconds = 1e-4 * b;
      c.backward_seconds = 2e-4 * b;
      l.per_micro_batch[b] = c;
    }
    in = out;
    p.layers.push_back(l);
  }
  return p;
}

void recommend_stages(benchmark::State& state) {
  const int layers = int(state.range(0)), stages = int(state.range(1));
  const profile p = synthetic(layers);
  const pipeline_options o{.kind = schedule::one_f_one_b, .micro_batches = 2 * stages,
                           .micro_batch_size = 2};
  for (auto _ : state) {
    const plan r = recommend(p, {.pipeline = o, .stages = stages});
    benchmark::DoNotOptimize(r.largest_peak);
  }
  state.counters["layers"] = layers;
  state.counters["stages"] = stages;
}
BENCHMARK(recommend_stages)->Args({100, 8})->Args({1000, 16})->Args({1000, 64})
    ->Unit(benchmark::kMillisecond);

void predict_partition(benchmark::State& state) {
  const int layers = int(state.range(0)), stages = int(state.range(1));
  const profile p = synthetic(layers);
  const pipeline_options o{.kind = schedule::one_f_one_b, .micro_batches = 2 * stages,
                           .micro_batch_size = 2};
  std::vector<int> bounds;
  for (int s = 0; s <= stages; ++s) bounds.push_back(s * layers / stages);
  for (auto _ : state) benchmark::DoNotOptimize(predict(p, bounds, o).back().peak_bytes);
}
BENCHMARK(predict_partition)->Args({1000, 64})->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
