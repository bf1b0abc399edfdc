// SPDX-License-Identifier: Apache-2.0
/// \file conv_int8.hpp
/// \brief The int8 test oracle: exact int64 accumulation of the quantised data, restating the
/// documented quantisation and requantisation rules independently of the kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>
#include <vector>

#include "dlas/optimize/requantize.hpp"
#include "dlas/policy/precision.hpp"
#include "reference/conv_fp64.hpp"

namespace dlas::testing {

/// Weight codes and scales by the documented rule: scale = max|w| / 127, q =
/// round-half-even(w / scale); a zero channel takes the largest scale of the others (1 if all
/// are zero).
struct int8_weights {
  std::vector<std::int32_t> q;
  std::vector<float> scales;
};

inline int8_weights quantize_weights_oracle(const std::vector<float>& w, index_t k) {
  const std::size_t per = w.size() / std::size_t(k);
  int8_weights out{std::vector<std::int32_t>(w.size()), std::vector<float>(std::size_t(k), 0.0f)};
  float largest = 0;
  for (std::size_t c = 0; c < std::size_t(k); ++c) {
    float amax = 0;
    for (std::size_t i = 0; i < per; ++i) amax = std::max(amax, std::fabs(w[c * per + i]));
    if (amax == 0) continue;  // codes stay 0
    out.scales[c] = amax / 127.0f;
    largest = std::max(largest, out.scales[c]);
    for (std::size_t i = 0; i < per; ++i)
      out.q[c * per + i] = std::int32_t(std::nearbyint(w[c * per + i] / out.scales[c]));
  }
  for (float& s : out.scales)
    if (s == 0) s = largest > 0 ? largest : 1.0f;
  return out;
}

/// Expected outputs (logical NCHW) of an int8 convolution whose input codes are `x` (as
/// doubles holding integers). Out is the output element type: 8-bit codes need `out_q`.
/// act: 0 none, 1 relu, 2 relu6.
template <class Out>
tensor64 conv_int8_oracle(const conv2d_shape& sh, const tensor64& x, const std::vector<float>& w,
                          const std::vector<float>& bias, const quant_params& in_q,
                          const std::optional<quant_params>& out_q, int act) {
  const int8_weights qw = quantize_weights_oracle(w, sh.k);
  std::vector<double> w64(qw.q.begin(), qw.q.end());
  tensor64 xz = x;  // input minus its zero point: padding then contributes exactly 0
  for (double& v : xz.v) v -= in_q.zero_point;
  const tensor64 acc = conv_fp64(sh, xz, w64, {});  // integers below 2^53: exact
  tensor64 y = acc;
  const std::size_t plane = std::size_t(acc.h * acc.w);
  for (std::size_t i = 0; i < acc.v.size(); ++i) {
    const std::size_t k = (i / plane) % std::size_t(sh.k);
    const double acc_scale = double(in_q.scale) * double(qw.scales[k]);
    const double b = bias.empty() ? 0.0 : double(bias[k]);
    const auto total = std::int64_t(acc.v[i]) + std::int64_t(std::clamp(std::nearbyint(b / acc_scale), -0x1p30, 0x1p30));
    if constexpr (std::is_floating_point_v<Out>) {
      float v = float(total) * float(acc_scale);
      if (act >= 1) v = std::max(v, 0.0f);
      if (act == 2) v = std::min(v, 6.0f);
      y.v[i] = v;
    } else {
      // The documented requantisation: one 64-bit product, rounded half up.
      const auto m = optimize::make_fixed_point_multiplier(acc_scale / double(out_q->scale));
      const std::int64_t r = (total * m.multiplier + (std::int64_t(1) << (m.shift - 1))) >> m.shift;
      std::int64_t lo = std::numeric_limits<Out>::min(), hi = std::numeric_limits<Out>::max();
      if (act >= 1) lo = std::max<std::int64_t>(lo, out_q->zero_point);
      if (act == 2)
        hi = std::min<std::int64_t>(hi, std::int64_t(std::nearbyint(6.0f / out_q->scale)) + out_q->zero_point);
      y.v[i] = double(std::clamp(r + out_q->zero_point, lo, hi));
    }
  }
  return y;
}

}  // namespace dlas::testing
