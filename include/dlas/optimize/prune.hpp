// SPDX-License-Identifier: Apache-2.0
/// \file prune.hpp
/// \brief Magnitude pruning: unstructured (per layer or global), block, and structured by
/// filter or input channel, with the helpers that shrink the layers around a pruned channel.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::optimize {
namespace detail {

inline void check_sparsity(double sparsity, const char* who) {
  core::require(sparsity >= 0.0 && sparsity <= 1.0, errc::invalid_argument, [&] {
    return std::string(who) + ": sparsity " + std::to_string(sparsity) + " is outside [0, 1]";
  });
}

inline void check_finite(std::span<const float> w, const char* who) {
  for (std::size_t i = 0; i < w.size(); ++i)
    core::require(std::isfinite(w[i]), errc::invalid_argument, [&] {
      return std::string(who) + ": weight " + std::to_string(i) + " is not finite";
    });
}

/// Number of elements to remove for a target fraction: round half up, so the result is
/// within half an element of sparsity * count.
inline index_t prune_count(double sparsity, index_t count) {
  return std::min(count, index_t(std::floor(sparsity * double(count) + 0.5)));
}

/// Indices of the `count` smallest scores; ties go to the lower index (it is pruned first).
inline std::vector<index_t> smallest(std::span<const double> score, index_t count) {
  std::vector<index_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), index_t{0});
  auto before = [&](index_t a, index_t b) {
    return score[std::size_t(a)] < score[std::size_t(b)] ||
           (score[std::size_t(a)] == score[std::size_t(b)] && a < b);
  };
  if (count < index_t(idx.size()))
    std::nth_element(idx.begin(), idx.begin() + count, idx.end(), before);
  idx.resize(std::size_t(count));
  std::sort(idx.begin(), idx.end());
  return idx;
}

}  // namespace detail

/// Zeroes the round(sparsity * n) weights of smallest magnitude; ties are broken toward the
/// lower index. Weights already zero count among the smallest. Returns how many were zeroed
/// (including those already zero).
inline index_t prune_unstructured(std::span<float> weights, double sparsity) {
  detail::check_sparsity(sparsity, "prune_unstructured");
  detail::check_finite(weights, "prune_unstructured");
  std::vector<double> score(weights.begin(), weights.end());
  for (double& s : score) s = std::fabs(s);
  const auto victims = detail::smallest(score, detail::prune_count(sparsity, index_t(weights.size())));
  for (index_t i : victims) weights[std::size_t(i)] = 0.0f;
  return index_t(victims.size());
}

/// Global magnitude pruning: one ranking over the weights of all `layers`, so layers with
/// many small weights lose more. Ties go to the earlier layer, then the lower index.
/// Returns the number zeroed in each layer.
inline std::vector<index_t> prune_unstructured_global(std::span<const std::span<float>> layers,
                                                      double sparsity) {
  detail::check_sparsity(sparsity, "prune_unstructured_global");
  std::vector<double> score;
  std::vector<std::size_t> start;
  for (const auto& layer : layers) {
    detail::check_finite(layer, "prune_unstructured_global");
    start.push_back(score.size());
    for (float v : layer) score.push_back(std::fabs(v));
  }
  std::vector<index_t> pruned(layers.size(), 0);
  for (index_t g : detail::smallest(score, detail::prune_count(sparsity, index_t(score.size())))) {
    const std::size_t l = std::size_t(std::upper_bound(start.begin(), start.end(), std::size_t(g)) -
                                      start.begin() - 1);
    layers[l][std::size_t(g) - start[l]] = 0.0f;
    ++pruned[l];
  }
  return pruned;
}

/// A rectangle of the K x (C/groups * R * S) weight matrix that is kept or pruned as one.
struct block_shape {
  index_t rows = 1;  ///< along output channels (e.g. 8 for kernels vectorised over K)
  index_t cols = 4;  ///< along the reduction (e.g. 4 for kernels vectorised over C*R*S)
};

/// Block pruning of a rows x cols matrix: blocks are scored by the sum of |w| and the
/// round(sparsity * blocks) lowest are zeroed (ties toward the lower block index, blocks
/// numbered row-major). Edge blocks may be partial. Returns the number of blocks zeroed.
inline index_t prune_blocks(std::span<float> weights, index_t rows, index_t cols, block_shape block,
                            double sparsity) {
  detail::check_sparsity(sparsity, "prune_blocks");
  detail::check_finite(weights, "prune_blocks");
  core::require(rows >= 0 && cols >= 0 && index_t(weights.size()) == rows * cols,
                errc::mismatched_buffer, [&] {
                  return "prune_blocks: " + std::to_string(weights.size()) + " weights for a " +
                         std::to_string(rows) + " x " + std::to_string(cols) + " matrix";
                });
  core::require(block.rows > 0 && block.cols > 0, errc::invalid_argument, [&] {
    return "prune_blocks: block " + std::to_string(block.rows) + " x " + std::to_string(block.cols) +
           " must be positive";
  });
  const index_t br = (rows + block.rows - 1) / block.rows, bc = (cols + block.cols - 1) / block.cols;
  auto for_block = [&](index_t b, auto&& f) {
    const index_t r0 = (b / bc) * block.rows, c0 = (b % bc) * block.cols;
    for (index_t r = r0; r < std::min(rows, r0 + block.rows); ++r)
      for (index_t c = c0; c < std::min(cols, c0 + block.cols); ++c) f(weights[std::size_t(r * cols + c)]);
  };
  std::vector<double> score(std::size_t(br * bc), 0.0);
  for (index_t b = 0; b < br * bc; ++b) for_block(b, [&](float v) { score[std::size_t(b)] += std::fabs(v); });
  const auto victims = detail::smallest(score, detail::prune_count(sparsity, br * bc));
  for (index_t b : victims) for_block(b, [](float& v) { v = 0.0f; });
  return index_t(victims.size());
}

/// Output channels to keep when pruning filters of a K x (C/groups*R*S) weight matrix by L1
/// norm: the round(fraction * K) filters of smallest norm go (ties: lower index goes first).
/// The result is sorted ascending.
inline std::vector<index_t> select_filters(std::span<const float> weights, index_t k, double fraction) {
  detail::check_sparsity(fraction, "select_filters");
  detail::check_finite(weights, "select_filters");
  core::require(k > 0 && index_t(weights.size()) % k == 0, errc::mismatched_buffer, [&] {
    return "select_filters: " + std::to_string(weights.size()) + " weights do not split into " +
           std::to_string(k) + " filters";
  });
  const index_t per = index_t(weights.size()) / k;
  std::vector<double> norm(std::size_t(k), 0.0);
  for (index_t i = 0; i < k * per; ++i) norm[std::size_t(i / per)] += std::fabs(weights[std::size_t(i)]);
  const auto gone = detail::smallest(norm, detail::prune_count(fraction, k));
  std::vector<index_t> keep;
  for (index_t i = 0, g = 0; i < k; ++i) {
    if (g < index_t(gone.size()) && gone[std::size_t(g)] == i) ++g;
    else keep.push_back(i);
  }
  return keep;
}

/// Input channels to keep when pruning the input side of a (groups == 1) convolution: each
/// input channel is scored by the L1 norm of its weights over all filters.
inline std::vector<index_t> select_input_channels(const conv2d_shape& shape,
                                                  std::span<const float> weights, double fraction) {
  shape.validate();
  core::require(shape.groups == 1, errc::unsupported, [] {
    return std::string("select_input_channels: grouped convolutions are pruned through their producer's filters");
  });
  core::require(index_t(weights.size()) == shape.weight_elements(), errc::mismatched_buffer, [&] {
    return "select_input_channels: " + std::to_string(weights.size()) + " weights, shape needs " +
           std::to_string(shape.weight_elements());
  });
  // Reorder to C x (K*R*S) so select_filters scores input channels.
  const index_t rs = shape.r * shape.s;
  std::vector<float> by_input(weights.size());
  for (index_t k = 0; k < shape.k; ++k)
    for (index_t c = 0; c < shape.c; ++c)
      for (index_t i = 0; i < rs; ++i)
        by_input[std::size_t((c * shape.k + k) * rs + i)] = weights[std::size_t((k * shape.c + c) * rs + i)];
  return select_filters(by_input, shape.c, fraction);
}

/// A convolution after structured pruning: a smaller dense shape with its weights and bias.
struct pruned_conv {
  conv2d_shape shape;
  std::vector<float> weights;
  std::vector<float> bias;
};

namespace detail {
inline void check_keep(std::span<const index_t> keep, index_t n, const char* who) {
  core::require(!keep.empty(), errc::invalid_argument,
                [&] { return std::string(who) + ": at least one channel must be kept"; });
  for (std::size_t i = 0; i < keep.size(); ++i)
    core::require(keep[i] >= 0 && keep[i] < n && (i == 0 || keep[i] > keep[i - 1]),
                  errc::invalid_argument, [&] {
                    return std::string(who) + ": kept channel list must be strictly increasing in [0, " +
                           std::to_string(n) + "), entry " + std::to_string(i) + " is " + std::to_string(keep[i]);
                  });
}
}  // namespace detail

/// Keeps only the output channels `keep` (sorted) of a groups == 1 convolution, or the
/// channels of a depthwise one (whose input channels shrink with them).
inline pruned_conv keep_output_channels(const conv2d_shape& shape, std::span<const float> weights,
                                        std::span<const float> bias, std::span<const index_t> keep) {
  shape.validate();
  detail::check_keep(keep, shape.k, "keep_output_channels");
  core::require(shape.groups == 1 || shape.is_depthwise(), errc::unsupported, [&] {
    return "keep_output_channels: groups = " + std::to_string(shape.groups) +
           " (only 1 or depthwise are supported)";
  });
  core::require(index_t(weights.size()) == shape.weight_elements() &&
                    (bias.empty() || index_t(bias.size()) == shape.k),
                errc::mismatched_buffer, [] { return std::string("keep_output_channels: weights or bias size"); });
  pruned_conv out{shape, {}, {}};
  out.shape.k = index_t(keep.size());
  if (shape.is_depthwise()) out.shape.c = out.shape.groups = out.shape.k;
  const index_t per = shape.c_per_group() * shape.r * shape.s;
  for (index_t k : keep) {
    out.weights.insert(out.weights.end(), weights.begin() + k * per, weights.begin() + (k + 1) * per);
    if (!bias.empty()) out.bias.push_back(bias[std::size_t(k)]);
  }
  return out;
}

/// Keeps only the input channels `keep` (sorted) of a groups == 1 convolution: the consumer
/// of a layer whose filters were pruned with the same list.
inline pruned_conv keep_input_channels(const conv2d_shape& shape, std::span<const float> weights,
                                       std::span<const float> bias, std::span<const index_t> keep) {
  shape.validate();
  detail::check_keep(keep, shape.c, "keep_input_channels");
  core::require(shape.groups == 1, errc::unsupported, [&] {
    return "keep_input_channels: groups = " + std::to_string(shape.groups) +
           " (a depthwise consumer shrinks with keep_output_channels)";
  });
  core::require(index_t(weights.size()) == shape.weight_elements(), errc::mismatched_buffer,
                [] { return std::string("keep_input_channels: weights size"); });
  pruned_conv out{shape, {}, std::vector<float>(bias.begin(), bias.end())};
  out.shape.c = index_t(keep.size());
  const index_t rs = shape.r * shape.s;
  for (index_t k = 0; k < shape.k; ++k)
    for (index_t c : keep)
      out.weights.insert(out.weights.end(), weights.begin() + (k * shape.c + c) * rs,
                         weights.begin() + (k * shape.c + c + 1) * rs);
  return out;
}

}  // namespace dlas::optimize
