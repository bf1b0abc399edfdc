// SPDX-License-Identifier: Apache-2.0
/// \file layer_terms.hpp
/// \brief layer_terms: a profile's layers resolved at one micro-batch size and parallel setting.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "dlas/core/error.hpp"
#include "dlas/memory/profile.hpp"

namespace dlas::memory {

/// Data and tensor parallel degrees of each pipeline stage, and ZeRO sharding.
struct parallel_config {
  int data = 1;    ///< data-parallel replicas of each stage
  int zero = 0;    ///< ZeRO stage 0-3: 1 shards optimiser state, 2 also gradients, 3 also weights
  int tensor = 1;  ///< tensor-parallel degree of each layer
};

/// Bytes one layer contributes per device, at one micro-batch size and parallel setting.
struct layer_terms {
  bytes_t weights = 0;        ///< resident
  bytes_t grads = 0;          ///< from the first backward of an iteration until zero_grad
  bytes_t optimizer = 0;      ///< resident (after the first step)
  bytes_t step_transient = 0; ///< extra during the optimiser step
  bytes_t input = 0;          ///< per micro-batch
  bytes_t output = 0;         ///< per micro-batch
  bytes_t activation = 0;     ///< M_a per micro-batch
  bytes_t forward_peak = 0;   ///< above the level before the forward
  bytes_t backward_peak = 0;  ///< above the level before the forward, during the backward
  bytes_t released = 0;       ///< previous layer's output, freed after this forward (kept by neither)
  double seconds = 0;         ///< forward + backward time of one micro-batch, when profiled
};

namespace detail {

inline bytes_t ceil_div(bytes_t v, bytes_t d) { return (v + d - 1) / d; }

/// CAPTURE's curve y(t) = alpha + beta ln t, least squares through the points given.
inline double log_fit_at(const std::vector<double>& t, const std::vector<double>& y, double t0) {
  const double n = double(t.size());
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const double x = std::log(t[i]);
    sx += x;
    sy += y[i];
    sxx += x * x;
    sxy += x * y[i];
  }
  const double den = n * sxx - sx * sx;
  const double beta = den == 0 ? 0 : (n * sxy - sx * sy) / den;
  return (sy - beta * sx) / n + beta * std::log(t0);
}

/// Scale factors (independent, additive) of `layer` at tensor degree `t`.
inline std::pair<double, double> tensor_scale(const layer_profile& layer, int t) {
  if (t == 1) return {1.0, 1.0};
  if (layer.tensor_parallel.empty()) return {1.0 / t, 1.0 / t};  // analytic: an even split
  const double mi1 = double(layer.independent_bytes());
  const double ma1 = double(layer.per_micro_batch.begin()->second.activation_bytes);
  std::vector<double> deg{1.0}, yi{mi1}, ya{ma1};
  for (const auto& p : layer.tensor_parallel) {
    if (p.degree == t)
      return {mi1 > 0 ? double(p.independent_bytes) / mi1 : 0.0,
              ma1 > 0 ? double(p.activation_bytes) / ma1 : 0.0};
    deg.push_back(p.degree);
    yi.push_back(double(p.independent_bytes));
    ya.push_back(double(p.activation_bytes));
  }
  const double fi = std::max(0.0, log_fit_at(deg, yi, t));
  const double fa = std::max(0.0, log_fit_at(deg, ya, t));
  return {mi1 > 0 ? fi / mi1 : 0.0, ma1 > 0 ? fa / ma1 : 0.0};
}

inline bytes_t scaled(bytes_t v, double f) { return bytes_t(std::llround(double(v) * f)); }

}  // namespace detail

/// Checks a parallel setting: degrees at least 1, ZeRO stage 0-3.
inline void validate(const parallel_config& p) {
  core::require(p.data >= 1 && p.tensor >= 1, errc::invalid_argument, [&] {
    return "parallel degrees must be at least 1 (data " + std::to_string(p.data) + ", tensor " +
           std::to_string(p.tensor) + ")";
  });
  core::require(p.zero >= 0 && p.zero <= 3, errc::invalid_argument, [&] {
    return "ZeRO stage must be 0, 1, 2 or 3, got " + std::to_string(p.zero);
  });
}

/// The per-device terms of every layer of `prof` at micro-batch size `size` (fitted by
/// cost_at with `fit` and `allocator` where the profile lacks the size).
///
/// Data parallelism with ZeRO divides optimiser state and its step (stage 1+), gradients
/// (2+) and weights (3) by the data degree; ZeRO-3 gathers a layer's full weights while it
/// runs, which adds the missing shards to that layer's forward and backward peaks.
/// Tensor parallelism scales M_i and the per-micro-batch activation above the layer's
/// replicated output by the profiled degrees (CAPTURE's logarithmic fit), or by 1/t when the
/// profile has none; the layer's input and output stay whole on every device.
inline std::vector<layer_terms> resolve(const profile& prof, int size, const parallel_config& par,
                                        size_fit fit = size_fit::additive_linear,
                                        allocator_model allocator = allocator_model::exact) {
  validate(par);
  std::vector<layer_terms> out;
  out.reserve(prof.layers.size());
  for (const auto& l : prof.layers) {
    const micro_batch_cost c = cost_at(l, size, fit, allocator);
    const auto [si, sa] = detail::tensor_scale(l, par.tensor);
    layer_terms t;
    t.weights = detail::scaled(l.weight_bytes, si);
    t.grads = detail::scaled(l.grad_bytes, si);
    t.optimizer = detail::scaled(l.optimizer_bytes, si);
    t.step_transient = detail::scaled(l.optimizer_step_transient_bytes, si);
    t.input = c.input_bytes;
    t.output = c.output_bytes;
    const bytes_t replicated = std::min(c.output_bytes, c.activation_bytes);
    t.activation = replicated + detail::scaled(c.activation_bytes - replicated, sa);
    t.forward_peak = t.activation + detail::scaled(c.forward_peak_bytes - c.activation_bytes, sa);
    t.backward_peak = t.activation + detail::scaled(c.backward_peak_bytes - c.activation_bytes, sa);
    t.seconds = (c.forward_seconds + c.backward_seconds) / par.tensor;
    if (!out.empty() && !l.keeps_input && !prof.layers[out.size() - 1].keeps_output)
      t.released = out.back().output;
    const bytes_t d = par.data;
    if (par.zero >= 1) {
      t.optimizer = detail::ceil_div(t.optimizer, d);
      t.step_transient = detail::ceil_div(t.step_transient, d);
    }
    if (par.zero >= 2) t.grads = detail::ceil_div(t.grads, d);
    if (par.zero >= 3) {
      const bytes_t gathered = t.weights - detail::ceil_div(t.weights, d);
      t.weights -= gathered;
      t.forward_peak += gathered;
      t.backward_peak += gathered;
    }
    out.push_back(t);
  }
  return out;
}

}  // namespace dlas::memory
