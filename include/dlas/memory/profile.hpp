// SPDX-License-Identifier: Apache-2.0
/// \file profile.hpp
/// \brief profile: measured per-layer memory (independent M_i, additive M_a per micro-batch size).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dlas/core/error.hpp"
#include "dlas/memory/executor_layout.hpp"

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
  /// Whether the layer's backward keeps its input, and its output. A convolution keeps its input
  /// (for its weight gradient); an in-place ReLU keeps its output; global average pooling keeps
  /// neither, only shapes. M_a counts the output (the caller holds it while profiling); in a
  /// stage it is freed after the next layer's forward when neither layer keeps it.
  bool keeps_input = true;
  bool keeps_output = true;

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
  /// Inference profiles of a planned executor (graph::network::profile): its tensors, so that
  /// each stage's arena is planned as the executor plans it rather than bounded per layer.
  std::optional<executor_layout> executor;

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

/// The highest line y = c + s x with c >= 0 that lies on or below every point (x_i, y_i),
/// evaluated at x0; "highest" is the largest sum over the x_i, so the line passes through two
/// points, or through the origin and one point. One point: proportional to x.
///
/// This is the fit of a tensor size measured through an allocator that can only add to a
/// request (a caching allocator counts whole blocks): each measurement is the exact size plus
/// a slack >= 0, and the exact size is affine in the micro-batch size with a part >= 0 that
/// does not grow with it. A least-squares line through a point with slack tilts the slope, and
/// an extrapolation multiplies the tilt; the envelope ignores the point with slack whenever the
/// others determine the line.
inline double lower_envelope_at(const std::vector<double>& x, const std::vector<double>& y,
                                double x0) {
  if (x.size() == 1) return y[0] * x0 / x[0];
  double top = 0;
  for (double v : y) top = std::max(top, std::abs(v));
  const double tol = 0.5 + 1e-12 * top;
  bool found = false;
  double best_sum = 0, best_c = 0, best_s = 0;
  auto consider = [&](double s, double c) {
    if (c < -tol) return;
    double sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double v = c + s * x[i];
      if (v > y[i] + tol) return;
      sum += v;
    }
    if (!found || sum > best_sum) {
      found = true;
      best_sum = sum;
      best_c = std::max(0.0, c);
      best_s = s;
    }
  };
  for (std::size_t i = 0; i < x.size(); ++i)
    for (std::size_t j = i + 1; j < x.size(); ++j)
      if (x[j] != x[i]) {
        const double s = (y[j] - y[i]) / (x[j] - x[i]);
        consider(s, y[i] - s * x[i]);
      }
  for (std::size_t i = 0; i < x.size(); ++i) consider(y[i] / x[i], 0);
  if (!found) return linear_fit_at(x, y, x0);  // negative sizes: validated away by the reader
  return best_c + best_s * x0;
}

}  // namespace detail

/// The allocator whose counting a profile's bytes and the predicted peaks follow.
///
/// `cuda_caching` is PyTorch's CUDA caching allocator (c10/cuda/CUDACachingAllocator.cpp), whose
/// `max_memory_allocated` the training profiles and stage measurements report: every request is
/// rounded up to a multiple of 512 bytes (kMinBlockSize); requests up to 1 MiB (kSmallSize) are
/// carved from 2 MiB segments, larger ones from 20 MiB segments (requests under 10 MiB) or from
/// segments rounded up to 2 MiB; a free cached block is chosen best fit and split only when the
/// remainder exceeds 1 MiB (large pool) or 512 bytes (small pool), and the allocated counter
/// counts the whole block. So a measured tensor is its rounded size plus a slack in [0, 1 MiB)
/// that depends on what was freed before it: sizes are fitted from below
/// (detail::lower_envelope_at) and fitted sizes are rounded up to 512 bytes. The slack of a
/// stage itself is not predicted (docs/memory_model.md, "Measured accuracy").
///
/// `exact` takes bytes as they are: dlas's own planned arena, which places exactly the bytes it
/// is asked for. `automatic` is resolved by the predictor: exact for inference pipelines (dlas's
/// arena), cuda_caching for training (PyTorch); cost_at and resolve read it as exact.
enum class allocator_model {
  automatic,
  exact,
  cuda_caching,
};

constexpr std::string_view to_string(allocator_model a) noexcept {
  return a == allocator_model::exact ? "exact" : a == allocator_model::cuda_caching ? "cuda_caching" : "auto";
}

/// "auto", "exact" or "cuda_caching" (dlas-plan --allocator, the plan's "allocator" field).
inline allocator_model parse_allocator(std::string_view text) {
  if (text == "auto") return allocator_model::automatic;
  if (text == "exact") return allocator_model::exact;
  if (text == "cuda_caching") return allocator_model::cuda_caching;
  throw error(errc::invalid_argument,
              "unknown allocator model '" + std::string(text) + "' (expected auto, exact or cuda_caching)");
}

/// The CUDA caching allocator's granularity: a request of `n` bytes occupies a block of at least
/// round_request(n) bytes (0 for no request).
constexpr bytes_t cuda_round_request(bytes_t n) noexcept {
  constexpr bytes_t min_block = 512;
  return n <= 0 ? 0 : (n + min_block - 1) / min_block * min_block;
}

/// How costs at a micro-batch size the profile does not hold are obtained.
enum class size_fit {
  /// Sizes of tensors (input, output, M_a) are fitted linearly over all profiled sizes (least
  /// squares; with the caching allocator, the lower envelope: see allocator_model). The
  /// backward transient (backward peak minus M_a) holds two tensors the profile names, the
  /// output gradient fed to the backward and the input gradient it returns: they take the
  /// fitted input and output sizes. The rest of each transient (the largest workspace or
  /// gradient temporary above M_a; weight gradients) does not grow with the batch in step: it
  /// is interpolated between profiled sizes and held at the nearest profiled size outside them.
  additive_linear,
  /// Every field, peaks included, fitted linearly (CAPTURE's rule).
  all_linear,
};

/// The cost of `layer` at micro-batch size `size`: measured when profiled, fitted otherwise
/// (see size_fit; `allocator` chooses how tensor sizes are fitted and rounded).
inline micro_batch_cost cost_at(const layer_profile& layer, int size,
                                size_fit fit = size_fit::additive_linear,
                                allocator_model allocator = allocator_model::exact) {
  core::require(size > 0, errc::invalid_argument, [&] {
    return "micro-batch size must be positive, got " + std::to_string(size);
  });
  core::require(!layer.per_micro_batch.empty(), errc::invalid_argument, [&] {
    return "layer '" + layer.name + "' has no per_micro_batch entry";
  });
  if (auto it = layer.per_micro_batch.find(size); it != layer.per_micro_batch.end())
    return it->second;
  const bool caching = allocator == allocator_model::cuda_caching;
  const bool additive = fit == size_fit::additive_linear;
  std::vector<double> x, in, out, act, fwd_t, bwd_t, fs, bs;
  for (const auto& [b, c] : layer.per_micro_batch) {
    x.push_back(b);
    in.push_back(double(c.input_bytes));
    out.push_back(double(c.output_bytes));
    act.push_back(double(c.activation_bytes));
    fwd_t.push_back(double(c.forward_peak_bytes - c.activation_bytes));
    // additive_linear: the gradients of the output and the input are fitted with the tensors.
    bwd_t.push_back(double(c.backward_peak_bytes - c.activation_bytes) -
                    (additive ? double(c.input_bytes + c.output_bytes) : 0.0));
    fs.push_back(c.forward_seconds);
    bs.push_back(c.backward_seconds);
  }
  const double s = size;
  auto tensor = [&](const std::vector<double>& y) {
    const double v = caching && additive ? detail::lower_envelope_at(x, y, s)
                                         : detail::linear_fit_at(x, y, s);
    const bytes_t r = detail::round_bytes(v);
    return caching ? cuda_round_request(r) : r;
  };
  micro_batch_cost r;
  r.input_bytes = tensor(in);
  r.output_bytes = tensor(out);
  r.activation_bytes = tensor(act);
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
  if (additive) bt += double(r.input_bytes + r.output_bytes);
  bytes_t fwd = detail::round_bytes(ft), bwd = detail::round_bytes(bt);
  if (caching) {
    fwd = cuda_round_request(fwd);
    bwd = cuda_round_request(bwd);
  }
  r.forward_peak_bytes = r.activation_bytes + fwd;
  r.backward_peak_bytes = r.activation_bytes + bwd;
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
