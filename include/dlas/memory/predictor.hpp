// SPDX-License-Identifier: Apache-2.0
/// \file predictor.hpp
/// \brief The per-stage peak-memory predictor: an event-by-event simulation of a schedule.
#pragma once

#include <algorithm>
#include <span>
#include <string>
#include <vector>

#include "dlas/core/error.hpp"
#include "dlas/memory/layer_cost.hpp"
#include "dlas/memory/layer_terms.hpp"
#include "dlas/memory/profile.hpp"
#include "dlas/memory/schedule.hpp"

namespace dlas::memory {

/// What one pipeline iteration looks like.
struct pipeline_options {
  schedule kind = schedule::one_f_one_b;
  int micro_batches = 1;     ///< m per iteration (per data-parallel replica)
  int micro_batch_size = 1;  ///< B
  int queue_depth = 1;       ///< inference: micro-batches a stage keeps resident
  parallel_config parallel{};
  size_fit fit = size_fit::additive_linear;
  /// Whose allocation counting the profile follows (see allocator_model): automatic is exact for
  /// inference pipelines (dlas's arena) and the CUDA caching allocator for training (PyTorch).
  allocator_model allocator = allocator_model::automatic;
  /// zero_grad(set_to_none=False): gradients stay allocated between iterations.
  bool grads_persist = false;
};

/// The allocator model `o` resolves to (automatic: by schedule).
constexpr allocator_model allocator_for(const pipeline_options& o) noexcept {
  if (o.allocator != allocator_model::automatic) return o.allocator;
  return o.kind == schedule::inference ? allocator_model::exact : allocator_model::cuda_caching;
}

/// Checks the options: positive counts and a valid parallel setting.
inline void validate(const pipeline_options& o) {
  core::require(o.micro_batches >= 1, errc::invalid_argument, [&] {
    return "micro-batch count must be at least 1, got " + std::to_string(o.micro_batches);
  });
  core::require(o.micro_batch_size >= 1, errc::invalid_argument, [&] {
    return "micro-batch size must be at least 1, got " + std::to_string(o.micro_batch_size);
  });
  core::require(o.queue_depth >= 1, errc::invalid_argument, [&] {
    return "queue depth must be at least 1, got " + std::to_string(o.queue_depth);
  });
  validate(o.parallel);
}

/// Checks that `bounds` = {0, b1, ..., n} splits `n` layers into non-empty contiguous stages.
inline void validate_bounds(std::span<const int> bounds, std::size_t n) {
  auto list = [&] {
    std::string s;
    for (int b : bounds) {
      if (!s.empty()) s += ',';
      s += std::to_string(b);
    }
    return s;
  };
  core::require(bounds.size() >= 2, errc::invalid_argument,
                [&] { return "bounds [" + list() + "] need at least a start and an end"; });
  core::require(bounds.front() == 0 && bounds.back() == int(n), errc::invalid_argument, [&] {
    return "bounds [" + list() + "] must start at 0 and end at the layer count " +
           std::to_string(n);
  });
  for (std::size_t i = 1; i < bounds.size(); ++i)
    core::require(bounds[i] > bounds[i - 1], errc::invalid_argument, [&] {
      return "bounds [" + list() + "] must increase strictly (every stage holds a layer)";
    });
}

/// One event of a simulated stage.
struct stage_event {
  char kind = 'F';       ///< 'F' forward, 'B' backward, 'S' optimiser step
  int micro_batch = -1;  ///< which micro-batch (-1 for the step)
  bytes_t peak = 0;      ///< highest level during the event
  bytes_t level = 0;     ///< level after the event
};

/// The predicted memory of one stage.
struct stage_prediction {
  int first = 0;          ///< layers [first, last)
  int last = 0;
  int in_flight = 0;      ///< most micro-batches held at once
  bytes_t start_bytes = 0;  ///< level at the start of an iteration
  bytes_t peak_bytes = 0;   ///< highest level during the iteration
  int peak_event = -1;      ///< index into events of the event that reaches peak_bytes
  std::vector<stage_event> events;
};

namespace detail {

/// The inference-pipeline view of a training layer: workspace = forward peak above M_a.
struct inference_view {
  bytes_t weights, workspace, input, output;
};

inline std::vector<bytes_t> workspaces(std::span<const inference_view> v) {
  std::vector<bytes_t> w;
  w.reserve(v.size());
  for (const auto& l : v) w.push_back(l.workspace);
  return w;
}

inline std::vector<inference_view> inference_views(std::span<const layer_terms> t) {
  std::vector<inference_view> v;
  v.reserve(t.size());
  for (const auto& l : t)
    v.push_back({l.weights, std::max<bytes_t>(0, l.forward_peak - l.activation), l.input, l.output});
  return v;
}

}  // namespace detail

/// Simulates stage `stage` of `stages`, holding layers [a, b), event by event.
///
/// Training (GPipe, 1F1B), in the order PyTorch allocates and frees:
/// - start: baseline + weights + optimiser state (gradients were freed by zero_grad);
/// - forward: the stage input arrives (held until that micro-batch's backward ends), then each
///   layer peaks at level + forward_peak and keeps its activation M_a; a layer then frees the
///   previous layer's output if neither keeps it (layer_terms::released; never the stage input);
/// - backward: the output gradient arrives (none on the last stage, whose last layer holds the
///   loss) and stays until the stage's backward returns; layer k peaks at the level before its
///   forward + backward_peak, then frees M_a and the gradient it consumed, keeps the gradient of
///   its input and, in the first backward of the iteration, its weight gradients; at the end the
///   stage input, its gradient and the output gradient are released;
/// - step: level + optimiser step transient (the sum over layers for a multi-tensor step); then
///   zero_grad frees the gradients.
/// Inference: see inference_stage_bytes (layer_cost.hpp), with workspace = forward_peak - M_a;
/// with an executor layout, the stage's planned arena and workspace buffer instead of the
/// running layer's bound.
inline stage_prediction simulate_stage(std::span<const layer_terms> t, bytes_t baseline,
                                       step_transient_rule rule, int a, int b, int stages,
                                       int stage, const pipeline_options& o,
                                       const executor_layout* layout = nullptr) {
  core::require(0 <= a && a < b && b <= int(t.size()) && 0 <= stage && stage < stages,
                errc::invalid_argument, [&] {
                  return "stage " + std::to_string(stage) + " of " + std::to_string(stages) +
                         " with layers [" + std::to_string(a) + ", " + std::to_string(b) +
                         ") does not fit " + std::to_string(t.size()) + " layers";
                });
  stage_prediction r;
  r.first = a;
  r.last = b;
  bytes_t level = baseline;
  for (int i = a; i < b; ++i) level += t[std::size_t(i)].weights;
  auto record = [&](char kind, int mb, bytes_t peak) {
    r.events.push_back({kind, mb, std::max(peak, level), level});
    if (r.events.back().peak > r.peak_bytes) {
      r.peak_bytes = r.events.back().peak;
      r.peak_event = int(r.events.size()) - 1;
    }
  };

  if (o.kind == schedule::inference) {
    const auto views = detail::inference_views(t);
    const std::span<const detail::inference_view> v(views);
    const bytes_t slot = v[std::size_t(a)].input + v[std::size_t(b - 1)].output;
    const bytes_t weights = level - baseline;
    const bytes_t running =
        layout ? weights + stage_interior_bytes(*layout, a, b, detail::workspaces(v))
               : inference_stage_bytes(v, std::size_t(a), std::size_t(b), 0);
    const int depth = std::min(o.queue_depth, o.micro_batches);
    r.start_bytes = level;
    r.peak_bytes = level;
    r.in_flight = depth;
    for (int j = 0; j < o.micro_batches; ++j) {
      const bytes_t before = baseline + weights + std::min(j, depth - 1) * slot;
      level = before + slot;
      record('F', j, before + slot + (running - weights));
    }
    return r;
  }

  bytes_t grads = 0;
  for (int i = a; i < b; ++i) {
    level += t[std::size_t(i)].optimizer;
    grads += t[std::size_t(i)].grads;
  }
  if (o.grads_persist) level += grads;
  r.start_bytes = level;
  r.peak_bytes = level;
  const bool first_stage = a == 0, last_stage = b == int(t.size());
  const bytes_t in_a = t[std::size_t(a)].input;
  const bytes_t out_grad = last_stage ? 0 : t[std::size_t(b - 1)].output;
  bool first_backward = !o.grads_persist;
  int held = 0, next_forward = 0, next_backward = 0;

  for (char e : stage_events(o.kind, stages, stage, o.micro_batches)) {
    bytes_t peak = level;
    if (e == 'F') {
      level += in_a;
      for (int i = a; i < b; ++i) {
        peak = std::max(peak, level + t[std::size_t(i)].forward_peak);
        level += t[std::size_t(i)].activation - (i > a ? t[std::size_t(i)].released : 0);
      }
      r.in_flight = std::max(r.in_flight, ++held);
      record('F', next_forward++, peak);
      continue;
    }
    level += out_grad;
    peak = std::max(peak, level);
    for (int k = b - 1; k >= a; --k) {
      const layer_terms& l = t[std::size_t(k)];
      const bytes_t arriving = k == b - 1 ? out_grad : t[std::size_t(k + 1)].input;
      // Its output is already gone if the next layer released it (it still counts in M_a):
      // `before` is the level before its forward, less its own released input.
      const bytes_t gone = k + 1 < b ? t[std::size_t(k + 1)].released : 0;
      const bytes_t before = level - l.activation - arriving + gone;
      peak = std::max(peak, before - gone + l.backward_peak);
      level = before + (k == b - 1 ? out_grad : 0) + (first_backward ? l.grads : 0) +
              (k > a || !first_stage ? l.input : 0);
    }
    level -= in_a + (first_stage ? 0 : in_a) + out_grad;
    first_backward = false;
    --held;
    record('B', next_backward++, peak);
  }
  bytes_t step = 0;
  for (int i = a; i < b; ++i)
    step = rule == step_transient_rule::sum ? step + t[std::size_t(i)].step_transient
                                            : std::max(step, t[std::size_t(i)].step_transient);
  record('S', -1, level + step);
  if (!o.grads_persist) r.events.back().level = level - grads;
  return r;
}

/// Predicts every stage of the partition `bounds` of `prof` (simulation, event by event).
inline std::vector<stage_prediction> predict(const profile& prof, std::span<const int> bounds,
                                             const pipeline_options& o) {
  validate(o);
  validate_bounds(bounds, prof.size());
  const auto terms = resolve(prof, o.micro_batch_size, o.parallel, o.fit, allocator_for(o));
  const int stages = int(bounds.size()) - 1;
  std::vector<stage_prediction> out;
  for (int s = 0; s < stages; ++s)
    out.push_back(simulate_stage(terms, prof.baseline_bytes, prof.step_rule, bounds[std::size_t(s)],
                                 bounds[std::size_t(s) + 1], stages, s, o,
                                 prof.executor ? &*prof.executor : nullptr));
  return out;
}

}  // namespace dlas::memory
