// SPDX-License-Identifier: Apache-2.0
/// \file quantize.hpp
/// \brief int8 quantisation: symmetric per-channel weights and affine per-tensor activations.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/policy/precision.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::optimize {

/// Largest weight magnitude in the int8 code: symmetric, so -128 is never produced.
inline constexpr std::int32_t weight_qmax = 127;

/// Weights quantised per output channel: w[k][i] ~= scales[k] * values[k * per_channel + i].
struct per_channel_weights {
  aligned_buffer<std::int8_t> values;
  std::vector<float> scales;  ///< one per output channel, > 0
};

/// Rounds to nearest, ties to even (the default floating-point rounding mode).
inline float round_half_even(float x) noexcept { return std::nearbyint(x); }

/// Symmetric per-channel quantisation of `weights` (channels x per_channel, row-major):
/// scale_k = max_i |w_k,i| / 127 and q = round_half_even(w / scale_k) in [-127, 127].
/// A channel of all zeros gets zero codes and the largest scale of the other channels (1 where
/// every channel is zero): its scale only sets the grid of its bias and its requantisation
/// multiplier, and with the others' it keeps both where theirs are. Scale 1 gave a multiplier
/// some hundred times the others', outside the shifts of the fused 8-bit finish, so one pruned
/// channel sent the whole layer to the unfused path, and a bias grid that coarse. Non-finite
/// weights throw.
inline per_channel_weights quantize_weights_per_channel(std::span<const float> weights,
                                                        index_t channels) {
  core::require(channels > 0 && index_t(weights.size()) % channels == 0, errc::mismatched_buffer,
                [&] {
                  return "quantize_weights_per_channel: " + std::to_string(weights.size()) +
                         " weights do not split into " + std::to_string(channels) + " channels";
                });
  const index_t per = index_t(weights.size()) / channels;
  per_channel_weights out{aligned_buffer<std::int8_t>(index_t(weights.size())),
                          std::vector<float>(std::size_t(channels))};
  for (index_t k = 0; k < channels; ++k) {
    const std::span<const float> row = weights.subspan(std::size_t(k * per), std::size_t(per));
    float amax = 0.0f;
    for (index_t i = 0; i < per; ++i) {
      const float v = row[std::size_t(i)];
      core::require(std::isfinite(v), errc::invalid_argument, [&] {
        return "quantize_weights_per_channel: weight " + std::to_string(k * per + i) +
               " is not finite";
      });
      amax = std::max(amax, std::fabs(v));
    }
    const float scale = amax / float(weight_qmax);
    out.scales[std::size_t(k)] = scale;
    if (scale == 0.0f) {  // zeros, or weights so small that their scale underflows
      std::fill_n(out.values.data() + k * per, per, std::int8_t(0));
      continue;
    }
    for (index_t i = 0; i < per; ++i) {
      const float q = round_half_even(row[std::size_t(i)] / scale);
      out.values[k * per + i] =
          std::int8_t(std::clamp(q, -float(weight_qmax), float(weight_qmax)));
    }
  }
  const float largest = *std::max_element(out.scales.begin(), out.scales.end());
  for (float& scale : out.scales)
    if (scale == 0.0f) scale = largest > 0.0f ? largest : 1.0f;
  return out;
}

/// Quantises one value: clamp(round_half_even(x / scale) + zero_point) to T's range.
template <class T>
T quantize(float x, const quant_params& p) noexcept {
  const float q = round_half_even(x / p.scale) + float(p.zero_point);
  constexpr float lo = float(std::numeric_limits<T>::min());
  constexpr float hi = float(std::numeric_limits<T>::max());
  return T(std::clamp(std::isnan(q) ? float(p.zero_point) : q, lo, hi));
}

/// The real value a quantised code stands for.
template <class T>
float dequantize(T q, const quant_params& p) noexcept {
  return p.scale * float(std::int32_t(q) - p.zero_point);
}

/// dst[i] = quantize<T>(src[i], p).
template <class T>
void quantize(std::span<const float> src, std::span<T> dst, const quant_params& p) {
  p.validate<T>("quantize");
  core::require(src.size() == dst.size(), errc::mismatched_buffer, [&] {
    return "quantize: " + std::to_string(src.size()) + " values into " + std::to_string(dst.size());
  });
  for (std::size_t i = 0; i < src.size(); ++i) dst[i] = quantize<T>(src[i], p);
}

/// dst[i] = dequantize(src[i], p).
template <class T>
void dequantize(std::span<const T> src, std::span<float> dst, const quant_params& p) {
  p.validate<T>("dequantize");
  core::require(src.size() == dst.size(), errc::mismatched_buffer, [&] {
    return "dequantize: " + std::to_string(src.size()) + " values into " + std::to_string(dst.size());
  });
  for (std::size_t i = 0; i < src.size(); ++i) dst[i] = dequantize(src[i], p);
}

}  // namespace dlas::optimize
