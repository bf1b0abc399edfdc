// SPDX-License-Identifier: Apache-2.0
// Static costs: conv2d footprints summed and partitioned in constant expressions.
#include <catch2/catch.hpp>

#include <array>
#include <span>

#include "dlas/conv2d.hpp"
#include "dlas/memory/layer_cost.hpp"
#include "dlas/memory/partition.hpp"
#include "dlas/memory/predictor.hpp"
#include "memory/support.hpp"

using namespace dlas;
using namespace dlas::memory;

namespace {

using conv = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::reference>;

constexpr conv2d_shape square(index_t c, index_t k, index_t hw, index_t r) {
  return {.n = 1, .c = c, .h = hw, .w = hw, .k = k, .r = r, .s = r, .pad_top = r / 2,
          .pad_left = r / 2, .pad_bottom = r / 2, .pad_right = r / 2};
}

constexpr std::array<layer_cost, 6> net{
    layer_cost_of<conv>(square(3, 32, 64, 3)),  layer_cost_of<conv>(square(32, 32, 64, 3)),
    layer_cost_of<conv>(square(32, 64, 64, 3)), layer_cost_of<conv>(square(64, 64, 64, 1)),
    layer_cost_of<conv>(square(64, 128, 64, 3)), layer_cost_of<conv>(square(128, 128, 64, 1))};

constexpr std::int64_t stage_bytes(int a, int b) {
  return inference_stage_bytes(std::span<const layer_cost>(net), std::size_t(a), std::size_t(b), 2);
}

}  // namespace

TEST_CASE("layer costs and the inference-stage rule are constant expressions", "[memory][static]") {
  static_assert(net[0].weights == (32 * 3 * 9 + 32) * 4);
  static_assert(net[0].input == 64 * 64 * 3 * 4 && net[0].output == 64 * 64 * 32 * 4);
  // One layer: weights + two queue slots (input and output) + its workspace.
  static_assert(stage_bytes(0, 1) == net[0].weights + 2 * (net[0].input + net[0].output) +
                                         net[0].workspace);
  // Two layers: the interior activation is live while either layer runs.
  static_assert(stage_bytes(0, 2) ==
                net[0].weights + net[1].weights + 2 * (net[0].input + net[1].output) +
                    std::max(net[0].workspace + net[0].output, net[1].workspace + net[1].input));
  constexpr auto plan = min_max_partition_static<4>(
      6, 3, [](int, int a, int b) { return stage_bytes(a, b); });
  static_assert(plan.feasible && plan.bounds[0] == 0 && plan.bounds[3] == 6);
  static_assert(plan.cost.largest <= stage_bytes(0, 2) + stage_bytes(2, 6));
  CHECK(plan.cost.largest > 0);
}

TEST_CASE("the inference simulation follows the documented accounting", "[memory][static]") {
  const profile p = testing::random_profile(7, 11);
  pipeline_options o;
  o.kind = schedule::inference;
  o.micro_batches = 5;
  o.queue_depth = 3;
  const auto terms = resolve(p, 1, {});
  std::vector<layer_cost> costs;
  for (const auto& t : terms)
    costs.push_back({t.weights, std::max<bytes_t>(0, t.forward_peak - t.activation), t.input, t.output});
  for (int a = 0; a < 7; ++a)
    for (int b = a + 1; b <= 7; ++b) {
      const auto sim = simulate_stage(terms, p.baseline_bytes, p.step_rule, a, b, 2, 0, o);
      CHECK(sim.in_flight == 3);
      CHECK(sim.peak_bytes == p.baseline_bytes + inference_stage_bytes(std::span<const layer_cost>(costs),
                                                                       std::size_t(a), std::size_t(b), 3));
    }
}
