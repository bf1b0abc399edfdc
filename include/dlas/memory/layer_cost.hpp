// SPDX-License-Identifier: Apache-2.0
/// \file layer_cost.hpp
/// \brief layer_cost: static per-layer bytes from kernel footprints, and the inference-stage rule.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>

#include "dlas/core/footprint.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::memory {

/// What one layer of an inference network needs, known before anything is allocated.
///
/// Built from a kernel's footprint (constexpr), so a whole network's costs are a constant
/// expression and can be partitioned and checked with static_assert.
struct layer_cost {
  std::int64_t weights = 0;    ///< resident for the life of the stage
  std::int64_t workspace = 0;  ///< scratch one call allocates and frees
  std::int64_t input = 0;      ///< input activation of one micro-batch
  std::int64_t output = 0;     ///< output activation of one micro-batch

  constexpr bool operator==(const layer_cost&) const noexcept = default;
};

/// The cost of a layer whose kernel reports footprint `f` (transients count as workspace).
constexpr layer_cost layer_cost_of(const footprint& f) noexcept {
  return {f.weights, f.workspace + f.transient, f.input, f.output};
}

/// The cost of conv2d type `Conv` on `shape` with weight density `density`.
template <class Conv>
constexpr layer_cost layer_cost_of(const conv2d_shape& shape, double density = 1.0) noexcept {
  return layer_cost_of(Conv::footprint_of(shape, density));
}

/// Peak bytes of an inference stage that holds layers [a, b) with `queue_depth` micro-batches
/// resident, by the accounting a planned executor follows:
///
///   sum of weights over [a, b)                                  (resident)
/// + queue_depth x (input of layer a + output of layer b - 1)    (one slot per queued micro-batch)
/// + max over i in [a, b) of (workspace_i + input_i if i > a + output_i if i < b - 1)
///
/// The last term is the one layer running: its scratch and the interior activations it reads and
/// writes (the stage's own input and output already live in the slot). Layers of a stage run one
/// after another, so scratch and interior activations are reused, never summed.
///
/// `Cost` is any type with the four fields of layer_cost.
template <class Cost>
constexpr std::int64_t inference_stage_bytes(std::span<const Cost> layers, std::size_t a,
                                             std::size_t b, int queue_depth = 1) noexcept {
  if (a >= b || b > layers.size()) return 0;
  std::int64_t weights = 0, running = 0;
  for (std::size_t i = a; i < b; ++i) {
    weights += layers[i].weights;
    const std::int64_t live = layers[i].workspace + (i > a ? layers[i].input : 0) +
                              (i + 1 < b ? layers[i].output : 0);
    running = std::max(running, live);
  }
  return weights + std::int64_t(queue_depth) * (layers[a].input + layers[b - 1].output) + running;
}

/// Sum of the weights of layers [a, b): the part of a stage that is resident throughout.
template <class Cost>
constexpr std::int64_t total_weights(std::span<const Cost> layers, std::size_t a,
                                     std::size_t b) noexcept {
  std::int64_t w = 0;
  for (std::size_t i = a; i < b && i < layers.size(); ++i) w += layers[i].weights;
  return w;
}

}  // namespace dlas::memory
