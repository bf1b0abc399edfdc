// SPDX-License-Identifier: Apache-2.0
/// \file profile.hpp
/// \brief profile: measured per-layer memory (independent M_i, additive M_a per micro-batch size).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dlas/core/error.hpp"

namespace dlas::memory {

/// Bytes, signed so that differences and fits stay in range.
using bytes_t = std::int64_t;

/// What one forward and one backward of one micro-batch cost a layer, measured at one size.
///
/// All peaks are relative to the allocation level just before the layer's forward (its input
/// already allocated).
struct micro_batch_cost {
  bytes_t input_bytes = 0;          ///< the layer's input tensor
  bytes_t output_bytes = 0;         ///< the layer's output tensor
  bytes_t activation_bytes = 0;     ///< M_a: held after the forward (output in, input out)
  bytes_t forward_peak_bytes = 0;   ///< highest level during the forward
  bytes_t backward_peak_bytes = 0;  ///< highest level during the backward (output gradient in)
  double forward_seconds = 0;       ///< optional compute time of the forward
  double backward_seconds = 0;      ///< optional compute time of the backward
};

/// Degree-dependent measurement of one layer under tensor parallelism.
struct tensor_parallel_point {
  int degree = 1;                 ///< devices the layer is split over
  bytes_t independent_bytes = 0;  ///< M_i per device at that degree
  bytes_t activation_bytes = 0;   ///< M_a per device at that degree, at the smallest profiled size
};

/// One layer of a profile: its independent part and its additive part per micro-batch size.
struct layer_profile {
  std::string name;                        ///< module name (used for PyTorch split points)
  std::int64_t params = 0;                 ///< parameter count
  bytes_t weight_bytes = 0;                ///< parameters and buffers
  bytes_t grad_bytes = 0;                  ///< gradients (exist from the first backward to zero_grad)
  bytes_t optimizer_bytes = 0;             ///< optimiser state (Adam: two moments)
  bytes_t optimizer_step_transient_bytes = 0;  ///< extra peak during the optimiser step
  std::map<int, micro_batch_cost> per_micro_batch;  ///< keyed by micro-batch size
  std::vector<tensor_parallel_point> tensor_parallel;  ///< optional, degree > 1

  /// M_i: the part that does not grow with micro-batches in flight.
  bytes_t independent_bytes() const noexcept { return weight_bytes + grad_bytes + optimizer_bytes; }
};

/// How the optimiser step's transients of a stage's layers combine.
enum class step_transient_rule {
  sum,  ///< one multi-tensor ("foreach") step over all parameters at once: PyTorch's default on GPUs
  max,  ///< one parameter at a time: the largest layer's transient
};

/// A measured network: layers in execution order plus what exists before any of them.
struct profile {
  std::string model;
  std::string precision;
  bytes_t baseline_bytes = 0;  ///< present before any layer (runtime context, library workspaces)
  step_transient_rule step_rule = step_transient_rule::sum;
  std::vector<layer_profile> layers;

  std::size_t size() const noexcept { return layers.size(); }
};

namespace detail {

/// Least-squares line through (x, y) evaluated at x0; exact through two points.
inline double linear_fit_at(const std::vector<double>& x, const std::vector<double>& y, double x0) {
  const double n = double(x.size());
  if (x.size() == 1) return y[0] * x0 / x[0];  // one size: proportional to the micro-batch size
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const double den = n * sxx - sx * sx;
  const double slope = den == 0 ? 0 : (n * sxy - sx * sy) / den;
  return (sy - slope * sx) / n + slope * x0;
}

inline bytes_t round_bytes(double v) { return v <= 0 ? 0 : bytes_t(std::llround(v)); }

}  // namespace detail

/// How costs at a micro-batch size the profile does not hold are obtained.
enum class size_fit {
  /// Sizes in the tensors (input, output, M_a) are fitted linearly over all profiled sizes;
  /// transients above them (forward and backward peak minus M_a: the largest single
  /// workspace or gradient temporary) are interpolated between profiled sizes and held at the
  /// nearest profiled size outside them, because they do not grow with the batch in step.
  additive_linear,
  /// Every field, peaks included, fitted linearly (CAPTURE's rule).
  all_linear,
};

/// The cost of `layer` at micro-batch size `size`: measured when profiled, fitted otherwise.
inline micro_batch_cost cost_at(const layer_profile& layer, int size,
                                size_fit fit = size_fit::additive_linear) {
  core::require(size > 0, errc::invalid_argument, [&] {
    return "micro-batch size must be positive, got " + std::to_string(size);
  });
  core::require(!layer.per_micro_batch.empty(), errc::invalid_argument, [&] {
    return "layer '" + layer.name + "' has no per_micro_batch entry";
  });
  if (auto it = layer.per_micro_batch.find(size); it != layer.per_micro_batch.end())
    return it->second;
  std::vector<double> x, in, out, act, fwd_t, bwd_t, fs, bs;
  for (const auto& [b, c] : layer.per_micro_batch) {
    x.push_back(b);
    in.push_back(double(c.input_bytes));
    out.push_back(double(c.output_bytes));
    act.push_back(double(c.activation_bytes));
    fwd_t.push_back(double(c.forward_peak_bytes - c.activation_bytes));
    bwd_t.push_back(double(c.backward_peak_bytes - c.activation_bytes));
    fs.push_back(c.forward_seconds);
    bs.push_back(c.backward_seconds);
  }
  const double s = size;
  micro_batch_cost r;
  r.input_bytes = detail::round_bytes(detail::linear_fit_at(x, in, s));
  r.output_bytes = detail::round_bytes(detail::linear_fit_at(x, out, s));
  r.activation_bytes = detail::round_bytes(detail::linear_fit_at(x, act, s));
  r.forward_seconds = std::max(0.0, detail::linear_fit_at(x, fs, s));
  r.backward_seconds = std::max(0.0, detail::linear_fit_at(x, bs, s));
  double ft, bt;
  if (fit == size_fit::all_linear || x.size() == 1) {
    ft = detail::linear_fit_at(x, fwd_t, s);
    bt = detail::linear_fit_at(x, bwd_t, s);
  } else if (s < x.front()) {
    ft = fwd_t.front();
    bt = bwd_t.front();
  } else if (s > x.back()) {
    ft = fwd_t.back();
    bt = bwd_t.back();
  } else {  // between two profiled sizes: straight line between them
    const auto hi = std::size_t(std::upper_bound(x.begin(), x.end(), s) - x.begin());
    const double t = (s - x[hi - 1]) / (x[hi] - x[hi - 1]);
    ft = fwd_t[hi - 1] + t * (fwd_t[hi] - fwd_t[hi - 1]);
    bt = bwd_t[hi - 1] + t * (bwd_t[hi] - bwd_t[hi - 1]);
  }
  r.forward_peak_bytes = r.activation_bytes + detail::round_bytes(ft);
  r.backward_peak_bytes = r.activation_bytes + detail::round_bytes(bt);
  return r;
}

/// Restricts a profile to the given micro-batch sizes (to check extrapolation).
inline profile with_sizes(profile p, const std::vector<int>& sizes) {
  for (auto& l : p.layers) {
    std::map<int, micro_batch_cost> kept;
    for (int s : sizes)
      if (auto it = l.per_micro_batch.find(s); it != l.per_micro_batch.end()) kept.insert(*it);
    core::require(!kept.empty(), errc::invalid_argument, [&] {
      return "layer '" + l.name + "' holds none of the requested micro-batch sizes";
    });
    l.per_micro_batch = std::move(kept);
  }
  return p;
}

}  // namespace dlas::memory
