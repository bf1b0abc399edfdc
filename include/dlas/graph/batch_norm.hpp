// SPDX-License-Identifier: Apache-2.0
/// \file batch_norm.hpp
/// \brief Batch normalisation (inference form) folded into the preceding convolution.
#pragma once

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// y = gamma * (x - running_mean) / sqrt(running_var + eps) + beta, per channel.
struct batch_norm_params {
  std::span<const float> gamma;  ///< "weight" in PyTorch
  std::span<const float> beta;   ///< "bias"
  std::span<const float> running_mean;
  std::span<const float> running_var;
  double eps = 1e-5;  ///< PyTorch's default
};

/// Weights and bias of a convolution with a batch norm folded in.
struct folded_conv {
  std::vector<float> weights;  ///< K x C/groups x R x S
  std::vector<float> bias;     ///< K
};

/// Folds `bn` into a convolution with K output channels: with s_k = gamma_k / sqrt(var_k + eps),
/// w'_k = s_k w_k and b'_k = s_k (b_k - mean_k) + beta_k (b_k = 0 without a bias). Computed in
/// double, rounded once to float. errc::mismatched_buffer when a span has the wrong length,
/// errc::invalid_argument when var + eps is not positive.
inline folded_conv fold_batch_norm(index_t k, std::span<const float> weights,
                                   std::span<const float> bias, const batch_norm_params& bn) {
  auto need = [&](std::span<const float> s, index_t n, const char* what) {
    core::require(index_t(s.size()) == n, errc::mismatched_buffer, [&] {
      return std::string("fold_batch_norm: ") + what + " has " + std::to_string(s.size()) +
             " values, expected " + std::to_string(n);
    });
  };
  core::require(k > 0 && !weights.empty() && index_t(weights.size()) % k == 0,
                errc::mismatched_buffer, [&] {
                  return "fold_batch_norm: " + std::to_string(weights.size()) +
                         " weights do not split into " + std::to_string(k) + " output channels";
                });
  if (!bias.empty()) need(bias, k, "the convolution bias");
  need(bn.gamma, k, "gamma (weight)");
  need(bn.beta, k, "beta (bias)");
  need(bn.running_mean, k, "running_mean");
  need(bn.running_var, k, "running_var");
  const index_t per = index_t(weights.size()) / k;
  folded_conv f{std::vector<float>(weights.size()), std::vector<float>(std::size_t(k))};
  for (index_t c = 0; c < k; ++c) {
    const std::size_t i = std::size_t(c);
    const double var = double(bn.running_var[i]) + bn.eps;
    core::require(var > 0 && std::isfinite(var), errc::invalid_argument, [&] {
      return "fold_batch_norm: running_var[" + std::to_string(c) +
             "] + eps = " + std::to_string(var) + " must be positive";
    });
    const double s = double(bn.gamma[i]) / std::sqrt(var);
    for (index_t j = 0; j < per; ++j)
      f.weights[std::size_t(c * per + j)] = float(s * double(weights[std::size_t(c * per + j)]));
    const double b = bias.empty() ? 0.0 : double(bias[i]);
    f.bias[i] = float(s * (b - double(bn.running_mean[i])) + double(bn.beta[i]));
  }
  return f;
}

}  // namespace dlas::graph
