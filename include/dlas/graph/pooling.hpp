// SPDX-License-Identifier: Apache-2.0
/// \file pooling.hpp
/// \brief Max, average, adaptive average and global average pooling, as PyTorch defines them
/// (ceil mode, padding, count_include_pad), on fp32, fp16 and 8-bit tensors in either layout.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/graph/parallel.hpp"
#include "dlas/optimize/quantize.hpp"
#include "dlas/policy/layout.hpp"
#include "dlas/policy/precision.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Output size of a pooling window along one axis, PyTorch's rule: floor (or ceil) of
/// (in + 2 pad - kernel) / stride, plus one; in ceil mode a last window that would start in
/// the right padding is dropped.
constexpr index_t pooled_size(index_t in, index_t kernel, index_t stride, index_t pad,
                              bool ceil_mode) noexcept {
  const index_t span = in + 2 * pad - kernel;
  if (span < 0 || stride <= 0) return 0;
  index_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

/// Geometry of a max or average pooling window (torch.nn.MaxPool2d / AvgPool2d).
struct pool_params {
  index_t kernel_h = 1, kernel_w = 1;
  index_t stride_h = 1, stride_w = 1;
  index_t pad_h = 0, pad_w = 0;  ///< on both sides, as PyTorch pads
  bool ceil_mode = false;
  bool count_include_pad = true;  ///< average pooling: padded zeros count in the divisor

  constexpr tensor_dims output_dims(const tensor_dims& in) const noexcept {
    return {in.n, in.c, pooled_size(in.h, kernel_h, stride_h, pad_h, ceil_mode),
            pooled_size(in.w, kernel_w, stride_w, pad_w, ceil_mode)};
  }

  /// errc::invalid_argument naming the first rule broken: positive kernel and stride,
  /// padding at most half the kernel (PyTorch's rule), a non-empty output.
  void validate(const tensor_dims& in, std::string_view what) const {
    auto fail = [&](const std::string& why) {
      throw error(errc::invalid_argument, std::string(what) + ": " + why);
    };
    if (kernel_h <= 0 || kernel_w <= 0) fail("pooling kernel must be positive");
    if (stride_h <= 0 || stride_w <= 0) fail("pooling stride must be positive");
    if (pad_h < 0 || pad_w < 0 || 2 * pad_h > kernel_h || 2 * pad_w > kernel_w)
      fail("pooling padding " + std::to_string(pad_h) + "x" + std::to_string(pad_w) +
           " must be non-negative and at most half the kernel " + std::to_string(kernel_h) + "x" +
           std::to_string(kernel_w));
    const tensor_dims o = output_dims(in);
    if (o.h <= 0 || o.w <= 0)
      fail("pooling window " + std::to_string(kernel_h) + "x" + std::to_string(kernel_w) +
           " does not fit the padded input " + to_string(in));
  }
};

namespace detail {

/// Activation values as float for arithmetic, and back (8-bit: codes, not real values).
template <class T>
float load(T v) noexcept {
  return float(v);
}
template <class T>
T store(float v) noexcept {
  if constexpr (std::is_same_v<T, std::uint8_t>)
    return std::uint8_t(std::clamp(std::nearbyint(v), 0.0f, 255.0f));
  else
    return T(v);
}

/// Calls body(n, c, y, x) for every output element (`window` input elements each), threads
/// over images and rows when there is enough work.
template <class L, class Body>
void for_each_output(const tensor_dims& o, index_t window, Body&& body) {
  parallel_for_work(o.n * o.h, o.c * o.w * window, [&](index_t nh) {
    const index_t n = nh / o.h, y = nh % o.h;
    if constexpr (std::is_same_v<L, layout::nhwc>) {
      for (index_t x = 0; x < o.w; ++x)
        for (index_t c = 0; c < o.c; ++c) body(n, c, y, x);
    } else {
      for (index_t c = 0; c < o.c; ++c)
        for (index_t x = 0; x < o.w; ++x) body(n, c, y, x);
    }
  });
}

}  // namespace detail

/// Max pooling: the largest input in each window (padding never wins). 8-bit codes pool as
/// codes, since the affine map is increasing; the output keeps the input's quantisation.
template <class T, class L>
void max_pool(tensor_view<const T, L> in, tensor_view<T, L> out, const pool_params& p) {
  const tensor_dims i = in.dims(), o = out.dims();
  core::require(o == p.output_dims(i), errc::mismatched_buffer, [&] {
    return "max_pool output " + to_string(o) + " does not match " + to_string(p.output_dims(i));
  });
  if constexpr (std::is_same_v<L, layout::nhwc> && (std::is_same_v<T, float> || std::is_same_v<T, std::uint8_t>)) {
    // NHWC: a pixel's channels are contiguous in both tensors, so each window position is
    // one vector max over the channels. Starting from the type's lowest value, a NaN never
    // wins, as in the element loop below.
    parallel_for_work(o.n * o.h, o.c * o.w * p.kernel_h * p.kernel_w, [&](index_t nh) {
      // A local count: stores through a byte pointer may alias o.c, which stops vectorising.
      const index_t n = nh / o.h, y = nh % o.h, channels = o.c;
      const index_t y0 = y * p.stride_h - p.pad_h, y1 = std::min(y0 + p.kernel_h, i.h);
      for (index_t x = 0; x < o.w; ++x) {
        const index_t x0 = x * p.stride_w - p.pad_w, x1 = std::min(x0 + p.kernel_w, i.w);
        T* best = &out(n, 0, y, x);
        std::fill(best, best + channels, std::is_same_v<T, float> ? T(-std::numeric_limits<float>::infinity()) : T(0));
        for (index_t yy = std::max<index_t>(y0, 0); yy < y1; ++yy)
          for (index_t xx = std::max<index_t>(x0, 0); xx < x1; ++xx) {
            const T* v = &in(n, 0, yy, xx);
            for (index_t c = 0; c < channels; ++c) best[c] = std::max(best[c], v[c]);
          }
      }
    });
    return;
  }
  detail::for_each_output<L>(
      o, p.kernel_h * p.kernel_w, [&](index_t n, index_t c, index_t y, index_t x) {
        const index_t y0 = y * p.stride_h - p.pad_h, x0 = x * p.stride_w - p.pad_w;
        const index_t y1 = std::min(y0 + p.kernel_h, i.h), x1 = std::min(x0 + p.kernel_w, i.w);
        float best = -std::numeric_limits<float>::infinity();
        for (index_t yy = std::max<index_t>(y0, 0); yy < y1; ++yy)
          for (index_t xx = std::max<index_t>(x0, 0); xx < x1; ++xx)
            best = std::max(best, detail::load(in(n, c, yy, xx)));
        out(n, c, y, x) = detail::store<T>(best);
      });
}

/// Average pooling, PyTorch's divisor: the window clipped to the padded input
/// (count_include_pad) or to the input. 8-bit: codes average around the zero point
/// (`zero_point`, the code of real 0, which padding contributes) and round to nearest.
template <class T, class L>
void avg_pool(tensor_view<const T, L> in, tensor_view<T, L> out, const pool_params& p,
              std::int32_t zero_point = 0) {
  const tensor_dims i = in.dims(), o = out.dims();
  core::require(o == p.output_dims(i), errc::mismatched_buffer, [&] {
    return "avg_pool output " + to_string(o) + " does not match " + to_string(p.output_dims(i));
  });
  const float zero = float(zero_point);
  detail::for_each_output<L>(
      o, p.kernel_h * p.kernel_w, [&](index_t n, index_t c, index_t y, index_t x) {
        index_t y0 = y * p.stride_h - p.pad_h, x0 = x * p.stride_w - p.pad_w;
        index_t y1 = std::min(y0 + p.kernel_h, i.h + p.pad_h),
                x1 = std::min(x0 + p.kernel_w, i.w + p.pad_w);
        const index_t padded = (y1 - y0) * (x1 - x0);
        y0 = std::max<index_t>(y0, 0);
        x0 = std::max<index_t>(x0, 0);
        y1 = std::min(y1, i.h);
        x1 = std::min(x1, i.w);
        float sum = 0.0f;
        for (index_t yy = y0; yy < y1; ++yy)
          for (index_t xx = x0; xx < x1; ++xx) sum += detail::load(in(n, c, yy, xx)) - zero;
        const index_t divisor = p.count_include_pad ? padded : (y1 - y0) * (x1 - x0);
        out(n, c, y, x) = detail::store<T>(zero + sum / float(divisor));
      });
}

/// Adaptive average pooling to the output's H x W (torch.nn.AdaptiveAvgPool2d): output row
/// y averages input rows [floor(y H / OH), ceil((y + 1) H / OH)), likewise for columns.
template <class T, class L>
void adaptive_avg_pool(tensor_view<const T, L> in, tensor_view<T, L> out,
                       std::int32_t zero_point = 0) {
  const tensor_dims i = in.dims(), o = out.dims();
  core::require(o.n == i.n && o.c == i.c && o.h > 0 && o.w > 0, errc::mismatched_buffer, [&] {
    return "adaptive_avg_pool output " + to_string(o) + " does not fit input " + to_string(i);
  });
  const float zero = float(zero_point);
  detail::for_each_output<L>(
      o, (i.h / o.h + 1) * (i.w / o.w + 1), [&](index_t n, index_t c, index_t y, index_t x) {
        const index_t y0 = y * i.h / o.h, y1 = ((y + 1) * i.h + o.h - 1) / o.h;
        const index_t x0 = x * i.w / o.w, x1 = ((x + 1) * i.w + o.w - 1) / o.w;
        float sum = 0.0f;
        for (index_t yy = y0; yy < y1; ++yy)
          for (index_t xx = x0; xx < x1; ++xx) sum += detail::load(in(n, c, yy, xx)) - zero;
        out(n, c, y, x) = detail::store<T>(zero + sum / float((y1 - y0) * (x1 - x0)));
      });
}

/// Global average pooling: N x C x H x W to N x C x 1 x 1 (adaptive pooling to 1 x 1, with
/// a channel-contiguous loop for NHWC).
template <class T, class L>
void global_avg_pool(tensor_view<const T, L> in, tensor_view<T, L> out,
                     std::int32_t zero_point = 0) {
  const tensor_dims i = in.dims();
  core::require(out.dims() == tensor_dims{i.n, i.c, 1, 1}, errc::mismatched_buffer, [&] {
    return "global_avg_pool output " + to_string(out.dims()) + " must be " + std::to_string(i.n) +
           "x" + std::to_string(i.c) + "x1x1";
  });
  if constexpr (std::is_same_v<L, layout::nhwc> && std::is_same_v<T, float>) {
    const index_t pixels = i.h * i.w;
    parallel_for_work(i.n, pixels * i.c, [&](index_t n) {
      float* y = out.data() + n * i.c;
      std::fill(y, y + i.c, 0.0f);
      const float* x = in.data() + n * pixels * i.c;
      for (index_t px = 0; px < pixels; ++px)
        for (index_t c = 0; c < i.c; ++c) y[c] += x[px * i.c + c];
      for (index_t c = 0; c < i.c; ++c) y[c] /= float(pixels);
    });
  } else {
    adaptive_avg_pool<T, L>(in, out, zero_point);
  }
}

}  // namespace dlas::graph
