// SPDX-License-Identifier: Apache-2.0
/// \file epilogue.hpp
/// \brief What happens to an accumulator on its way out: bias, residual, activation, requantise.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/half.hpp"
#include "dlas/optimize/quantize.hpp"
#include "dlas/optimize/requantize.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// The scalar epilogue for outputs of type Out: one definition that every algorithm's
/// vector epilogue must match bit for bit.
///
/// fp32/fp16: y = act(acc + bias[k] + residual), stored as Out.
/// int8 to fp32: y = act(fma(float(acc + bias[k]), output_scale[k], residual)), one rounding
/// for the product and the residual add (no residual: the rounded product).
/// int8 to 8 bits: q = clamp(multiplier[k].apply(acc + bias[k]) + zero_point), where the
/// clamp bounds fold in the activation (relu: zero_point; relu6: zero_point + round(6/scale)).
template <precision_policy Precision, class Out>
class epilogue {
  static constexpr bool quantized_out = Precision::quantized && !std::is_floating_point_v<Out>;

 public:
  using accum_type = typename Precision::accum_type;

  template <class Sparsity>
  epilogue(const conv_weights<Precision, Sparsity>& w, const conv2d_options& opt)
      : epilogue(w.bias().data(), w.output_scales().data(), w.multipliers().data(), opt) {}

  /// From the per-channel arrays directly, for kernels that keep only a packed copy of the
  /// weights (and may fold more into the bias, as the int8 kernels fold the zero point).
  epilogue(const accum_type* bias, const float* output_scales,
           const optimize::fixed_point_multiplier* multipliers, const conv2d_options& opt)
      : bias_(bias), act_(opt.act) {
    if constexpr (Precision::quantized) {
      scales_ = output_scales;
      if constexpr (quantized_out) {
        core::require(opt.output_quant.has_value(), errc::invalid_argument, [] {
          return std::string("int8 conv2d: an 8-bit output needs conv2d_options.output_quant "
                             "(or pass a float output tensor)");
        });
        opt.output_quant->validate<Out>("conv2d_options.output_quant");
        multipliers_ = multipliers;
        zero_point_ = opt.output_quant->zero_point;
        std::int32_t lo = std::numeric_limits<Out>::min(), hi = std::numeric_limits<Out>::max();
        if (act_ != activation::none) lo = std::max(lo, zero_point_);
        if (act_ == activation::relu6)
          hi = std::min<std::int32_t>(hi, optimize::quantize<std::int32_t>(6.0f, *opt.output_quant));
        clamp_ = {lo, hi};
      }
    }
  }

  /// Applies the fused activation to a real value.
  float activate(float y) const noexcept { return activated(y, act_); }

  /// The output for accumulator `acc` of channel k; `residual` may be null.
  Out operator()(accum_type acc, index_t k, const Out* residual) const noexcept {
    return from_total(acc + bias_[k], k, residual);
  }

  /// The output for `total` = accumulator + bias of channel k (kernels that add the bias
  /// themselves, e.g. with wrapping int32 vector adds); `residual` may be null.
  Out from_total(accum_type total, index_t k, const Out* residual) const noexcept {
    if constexpr (quantized_out) {
      return Out(clamp_(multipliers_[k].apply(total) + zero_point_));
    } else {
      float y;
      if constexpr (Precision::quantized) {
        // One fused multiply-add with a residual: written out, so that no compiler's
        // contraction choice can make two kernels differ in the last bit.
        y = residual ? std::fma(float(total), scales_[k], float(*residual)) : float(total) * scales_[k];
      } else {
        y = total;
        if (residual) y += float(*residual);
      }
      return Out(activate(y));
    }
  }

  bool has_activation() const noexcept { return act_ != activation::none; }
  /// int8 to 8 bits: the output zero point and the clamp bounds (activation folded in), for
  /// vector epilogues that must match from_total bit for bit.
  std::int32_t zero_point() const noexcept { return zero_point_; }
  optimize::output_clamp clamp() const noexcept { return clamp_; }
  activation act() const noexcept { return act_; }

 private:
  const accum_type* bias_;
  activation act_;
  const float* scales_ = nullptr;
  const optimize::fixed_point_multiplier* multipliers_ = nullptr;
  std::int32_t zero_point_ = 0;
  optimize::output_clamp clamp_{0, 0};
};

}  // namespace dlas::conv
