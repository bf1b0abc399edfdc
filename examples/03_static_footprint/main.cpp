// SPDX-License-Identifier: Apache-2.0
// A network's memory, partitioned and checked against a device budget at compile time.
#include <array>
#include <cstdio>
#include <span>

#include <dlas/conv2d.hpp>
#include <dlas/memory/layer_cost.hpp>
#include <dlas/memory/partition.hpp>

namespace {

using namespace dlas;
using conv = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::reference>;

constexpr conv2d_shape layer(index_t c, index_t k, index_t hw, index_t r, index_t stride = 1) {
  const index_t pad = r / 2;
  return {.n = 1, .c = c, .h = hw, .w = hw, .k = k, .r = r, .s = r, .stride_h = stride,
          .stride_w = stride, .pad_top = pad, .pad_left = pad, .pad_bottom = pad, .pad_right = pad};
}

// A small VGG-like network on 128 x 128 images.
constexpr std::array shapes{
    layer(3, 32, 128, 3),    layer(32, 32, 128, 3),  layer(32, 64, 128, 3, 2),
    layer(64, 64, 64, 3),    layer(64, 128, 64, 3, 2), layer(128, 128, 32, 3),
    layer(128, 256, 32, 3, 2), layer(256, 256, 16, 3), layer(256, 512, 16, 3, 2),
    layer(512, 512, 8, 3)};

constexpr auto costs = [] {
  std::array<memory::layer_cost, shapes.size()> c{};
  for (std::size_t i = 0; i < shapes.size(); ++i) c[i] = memory::layer_cost_of<conv>(shapes[i]);
  return c;
}();

constexpr int queue_depth = 2;

constexpr std::int64_t stage_bytes(int a, int b) {
  return memory::inference_stage_bytes(std::span<const memory::layer_cost>(costs), std::size_t(a),
                                       std::size_t(b), queue_depth);
}

// A hand-made partition into three stages, and the budget of each device.
constexpr std::array<int, 4> bounds{0, 4, 7, 10};
constexpr std::int64_t budget = 24 << 20;  // 24 MiB

static_assert(stage_bytes(bounds[0], bounds[1]) <= budget, "stage 0 does not fit its device");
static_assert(stage_bytes(bounds[1], bounds[2]) <= budget, "stage 1 does not fit its device");
static_assert(stage_bytes(bounds[2], bounds[3]) <= budget, "stage 2 does not fit its device");

// The best partition, found by the compiler.
constexpr auto best = memory::min_max_partition_static<3>(
    int(costs.size()), 3, [](int, int a, int b) { return stage_bytes(a, b); });
static_assert(best.feasible && best.cost.largest <= budget);

}  // namespace

int main() {
  std::printf("conv2d<nhwc, fp32, dense, reference>, %zu layers, queue depth %d, budget %.1f MiB\n",
              costs.size(), queue_depth, double(budget) / 1048576);
  std::printf("  hand partition:    ");
  for (std::size_t s = 0; s + 1 < bounds.size(); ++s)
    std::printf("[%d, %d) %.2f MiB  ", bounds[s], bounds[s + 1],
                double(stage_bytes(bounds[s], bounds[s + 1])) / 1048576);
  std::printf("\n  best (constexpr):  ");
  for (int s = 0; s < best.stages; ++s)
    std::printf("[%d, %d) %.2f MiB  ", best.bounds[std::size_t(s)], best.bounds[std::size_t(s) + 1],
                double(stage_bytes(best.bounds[std::size_t(s)], best.bounds[std::size_t(s) + 1])) /
                    1048576);
  std::printf("\n");
  return 0;
}
