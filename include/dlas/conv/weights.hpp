// SPDX-License-Identifier: Apache-2.0
/// \file weights.hpp
/// \brief conv_weights: fp32 weights converted once to a precision and sparsity's storage.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/format/csr_matrix.hpp"
#include "dlas/format/fp16.hpp"
#include "dlas/optimize/quantize.hpp"
#include "dlas/optimize/requantize.hpp"
#include "dlas/policy/precision.hpp"
#include "dlas/policy/sparsity.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// int8 accumulators stay exact in int32 up to this many taps (c/groups * r * s): each tap adds
/// at most 255 * 127 and the bias at most 2^30.
inline constexpr index_t int8_max_taps = ((index_t{1} << 31) - (index_t{1} << 30)) / (255 * 127);

/// Weights of one convolution at storage precision: a K x (C/groups * R * S) matrix, dense or
/// CSR, plus the bias and (int8) the per-channel scales and requantisation multipliers.
///
/// Every algorithm starts from this object; those that repack keep only their packed form.
template <precision_policy Precision, sparsity_policy Sparsity>
class conv_weights {
 public:
  using weight_type = typename Precision::weight_type;
  using bias_type = typename Precision::accum_type;
  using matrix_type = std::conditional_t<Sparsity::compressed, format::csr_matrix<weight_type>,
                                         aligned_buffer<weight_type>>;
  static constexpr bool quantized = Precision::quantized;

  /// Bytes this object allocates for `shape` with `nnz` stored weights (nnz is ignored for
  /// dense storage).
  static constexpr index_t bytes(const conv2d_shape& shape, index_t nnz) noexcept {
    const index_t cols = shape.c_per_group() * shape.r * shape.s;
    const index_t matrix = Sparsity::compressed
                               ? format::csr_bytes(shape.k, cols, nnz, sizeof(weight_type))
                               : buffer_bytes<weight_type>(shape.weight_elements());
    const index_t per_channel =
        index_t(sizeof(bias_type)) +
        (quantized ? index_t(2 * sizeof(float) + sizeof(optimize::fixed_point_multiplier)) : 0);
    return matrix + shape.k * per_channel;
  }

  /// Converts K x C/groups x R x S fp32 weights (and K biases, or none) for `shape`.
  conv_weights(const conv2d_shape& shape, std::span<const float> weights,
               std::span<const float> bias, const conv2d_options& opt)
      : bias_(shape.k) {
    shape.validate();
    core::require(index_t(weights.size()) == shape.weight_elements(), errc::mismatched_buffer, [&] {
      return "conv2d weights: shape needs k*c/groups*r*s = " +
             std::to_string(shape.weight_elements()) + " values, got " + std::to_string(weights.size());
    });
    core::require(bias.empty() || index_t(bias.size()) == shape.k, errc::mismatched_buffer, [&] {
      return "conv2d bias: shape needs k = " + std::to_string(shape.k) + " values (or none), got " +
             std::to_string(bias.size());
    });
    core::require(std::isfinite(opt.prune_threshold) && opt.prune_threshold >= 0.0f,
                  errc::invalid_argument, [&] {
                    return "conv2d_options.prune_threshold = " +
                           std::to_string(opt.prune_threshold) + " must be finite and >= 0";
                  });
    std::vector<float> pruned(weights.begin(), weights.end());
    for (float& v : pruned)
      if (std::fabs(v) <= opt.prune_threshold) v = 0.0f;

    const index_t cols = shape.c_per_group() * shape.r * shape.s;
    if constexpr (quantized) {
      core::require(cols <= int8_max_taps, errc::unsupported, [&] {
        return "int8 conv2d: c/groups*r*s = " + std::to_string(cols) +
               " taps exceed the exact int32 accumulation limit of " + std::to_string(int8_max_taps);
      });
      opt.input_quant.validate<std::int32_t>("conv2d_options.input_quant");
      if (opt.output_quant) opt.output_quant->validate<std::int32_t>("conv2d_options.output_quant");
      optimize::per_channel_weights q = optimize::quantize_weights_per_channel(pruned, shape.k);
      weight_scales_ = aligned_buffer<float>(std::span<const float>(q.scales));
      output_scales_ = aligned_buffer<float>(shape.k);
      multipliers_ = aligned_buffer<optimize::fixed_point_multiplier>(shape.k);
      for (index_t k = 0; k < shape.k; ++k) {
        const double acc_scale = double(opt.input_quant.scale) * double(weight_scales_[k]);
        output_scales_[k] = float(acc_scale);
        const double b = bias.empty() ? 0.0 : double(bias[std::size_t(k)]);
        core::require(std::isfinite(b), errc::invalid_argument,
                      [&] { return "conv2d bias[" + std::to_string(k) + "] is not finite"; });
        constexpr double bias_limit = double(index_t{1} << 30);
        bias_[k] = std::int32_t(std::clamp(std::nearbyint(b / acc_scale), -bias_limit, bias_limit));
        if (opt.output_quant)
          multipliers_[k] =
              optimize::make_fixed_point_multiplier(acc_scale / double(opt.output_quant->scale));
      }
      matrix_ = make_matrix<std::int8_t>(q.values.span(), shape.k, cols);
    } else {
      for (index_t k = 0; k < index_t(bias.size()); ++k) bias_[k] = bias[std::size_t(k)];
      if constexpr (std::is_same_v<weight_type, float>) {
        matrix_ = make_matrix<float>(pruned, shape.k, cols);
      } else {
        aligned_buffer<weight_type> converted(index_t(pruned.size()), uninitialized);
        format::to_half(pruned, converted.span());
        matrix_ = make_matrix<weight_type>(converted.span(), shape.k, cols);
      }
    }
  }

  /// Bytes allocated; equals bytes(shape, nnz()).
  index_t bytes() const noexcept {
    index_t b = bias_.bytes() + weight_scales_.bytes() + output_scales_.bytes() + multipliers_.bytes();
    return b + matrix_.bytes();
  }

  /// Stored weights: all of them when dense, the non-zeros when CSR.
  index_t nnz() const noexcept {
    if constexpr (Sparsity::compressed) return matrix_.nnz();
    else return matrix_.size();
  }

  /// K x (C/groups * R * S) weights, row k = output channel k, column (c * R + r) * S + s.
  const matrix_type& matrix() const noexcept { return matrix_; }
  /// K biases at accumulator precision (int8: in units of input_scale * weight_scale[k]).
  std::span<const bias_type> bias() const noexcept { return bias_.span(); }
  /// int8: per-channel weight scales.
  std::span<const float> weight_scales() const noexcept { return weight_scales_.span(); }
  /// int8: input_scale * weight_scale[k], the real value of one accumulator unit.
  std::span<const float> output_scales() const noexcept { return output_scales_.span(); }
  /// int8 with quantised output: accumulator -> output code multipliers.
  std::span<const optimize::fixed_point_multiplier> multipliers() const noexcept {
    return multipliers_.span();
  }

 private:
  template <class T>
  static matrix_type make_matrix(std::span<const T> dense, index_t rows, index_t cols) {
    if constexpr (Sparsity::compressed) return format::csr_matrix<T>::from_dense(rows, cols, dense);
    else return aligned_buffer<T>(dense);
  }
  template <class T>
  static matrix_type make_matrix(std::span<T> dense, index_t rows, index_t cols) {
    return make_matrix<T>(std::span<const T>(dense), rows, cols);
  }
  template <class T>
  static matrix_type make_matrix(const std::vector<T>& dense, index_t rows, index_t cols) {
    return make_matrix<T>(std::span<const T>(dense), rows, cols);
  }

  matrix_type matrix_;
  aligned_buffer<bias_type> bias_;
  aligned_buffer<float> weight_scales_;
  aligned_buffer<float> output_scales_;
  aligned_buffer<optimize::fixed_point_multiplier> multipliers_;
};

}  // namespace dlas::conv
