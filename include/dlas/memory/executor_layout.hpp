// SPDX-License-Identifier: Apache-2.0
/// \file executor_layout.hpp
/// \brief executor_layout: how a planned executor places a stage's tensors, so that an inference
/// profile predicts each stage's arena and workspace buffer to the byte.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "dlas/memory/arena_plan.hpp"

namespace dlas::memory {

/// One tensor of a lowered network: its bytes, the layers that write it first and read it last,
/// and the program steps of its lifetime (written at first_step, last touched at last_step).
struct planned_tensor {
  std::int64_t bytes = 0;
  int producer = -1;  ///< layer of the step writing it (-1: the network input)
  int last_use = -1;  ///< last layer reading it (the layer count: the network output)
  int first_step = 0;
  int last_step = 0;
};

/// The tensors of a network in program order, and the executor's constants. A stage [a, b)
/// keeps in its arena every tensor written inside it (producer in [a, b)) and not read after
/// it (last_use < b); the tensors crossing its cuts are the caller's buffers. The arena is
/// memory::plan_arena of those lifetimes; the workspace buffer holds the largest workspace of
/// the stage's layers, rounded up to the alignment, plus a reserve.
struct executor_layout {
  std::int64_t alignment = 64;
  std::int64_t workspace_reserve = 0;
  std::vector<planned_tensor> tensors;
};

/// Indices (ascending) of the tensors that live in the arena of stage [a, b).
inline std::vector<int> stage_arena_tensors(std::span<const planned_tensor> tensors, int a, int b) {
  std::vector<int> internal;
  for (int t = 0; t < int(tensors.size()); ++t)
    if (tensors[std::size_t(t)].producer >= a && tensors[std::size_t(t)].producer < b &&
        tensors[std::size_t(t)].last_use < b)
      internal.push_back(t);
  return internal;
}

/// Lifetimes of `internal` (indices into `tensors`), in the order given.
inline std::vector<buffer_lifetime> arena_lifetimes(std::span<const planned_tensor> tensors,
                                                    std::span<const int> internal) {
  std::vector<buffer_lifetime> out;
  out.reserve(internal.size());
  for (int t : internal) {
    const planned_tensor& p = tensors[std::size_t(t)];
    out.push_back({p.bytes, p.first_step, p.last_step});
  }
  return out;
}

/// The shared workspace buffer for a largest per-layer workspace of `largest` bytes.
constexpr std::int64_t workspace_buffer_bytes(std::int64_t largest, std::int64_t alignment,
                                              std::int64_t reserve) noexcept {
  return largest > 0 ? align_up(largest, alignment) + reserve : 0;
}

/// Arena plus workspace buffer of stage [a, b); `workspace` per layer.
inline std::int64_t stage_interior_bytes(const executor_layout& l, int a, int b,
                                         std::span<const std::int64_t> workspace) {
  const auto internal = stage_arena_tensors(l.tensors, a, b);
  const auto lifetimes = arena_lifetimes(l.tensors, internal);
  const std::int64_t largest = *std::max_element(workspace.begin() + a, workspace.begin() + b);
  return plan_arena(lifetimes, l.alignment).bytes +
         workspace_buffer_bytes(largest, l.alignment, l.workspace_reserve);
}

}  // namespace dlas::memory
