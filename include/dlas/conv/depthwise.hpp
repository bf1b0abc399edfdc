// SPDX-License-Identifier: Apache-2.0
/// \file depthwise.hpp
/// \brief algo::depthwise in fp32 and fp16: one filter per channel, SIMD over channels (NHWC) or along
/// output rows (NCHW), bias, residual and activation applied in registers. int8 is in
/// depthwise_int8.hpp (the same shapes: depthwise_can_implement).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <memory_resource>
#include <string>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/epilogue.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

namespace detail {

/// fp32 register of the compile target and its lane count.
using dw_batch = xsimd::batch<float, xsimd::default_arch>;
inline constexpr index_t dw_lanes = index_t(dw_batch::size);

/// V values stored as T (float or half) widened to fp32 (kernel::load_as_f32).
template <class T>
[[gnu::always_inline]] inline dw_batch dw_load(const T* p) noexcept {
  return kernel::load_as_f32<xsimd::default_arch>(p);
}

/// V fp32 values stored as T, rounded to nearest even for half (kernel::store_from_f32).
template <class T>
[[gnu::always_inline]] inline void dw_store(T* p, dw_batch v) noexcept {
  kernel::store_from_f32<xsimd::default_arch>(p, v);
}

/// Vector form of epilogue<fp32, float> (and fp16's before its rounding): the same
/// operations in the same order; the residual is stored as R.
template <class R>
[[gnu::always_inline]] inline dw_batch dw_finish(dw_batch acc, dw_batch bias, const R* residual,
                                                 activation act) noexcept {
  dw_batch y = acc + bias;
  if (residual) y += dw_load(residual);
  return activated(y, act);
}

/// Scalar form, identical to epilogue<fp32, float>: y = act(acc + bias + residual).
template <class R>
inline float dw_finish(float acc, float bias, const R* residual, activation act) noexcept {
  float y = acc + bias;
  if (residual) y += float(*residual);
  return activated(y, act);
}

/// `p` itself when T is float; null otherwise (callers only use it on fp32 paths).
template <class T>
[[gnu::always_inline]] inline float* dw_fp32(T* p) noexcept {
  if constexpr (std::is_same_v<T, float>) return p;
  else return nullptr;
}
template <class T>
[[gnu::always_inline]] inline const float* dw_fp32(const T* p) noexcept {
  if constexpr (std::is_same_v<T, float>) return p;
  else return nullptr;
}

/// Elements between the NHWC packed weights of two taps: c rounded up to the SIMD width, one
/// vector more where that is a multiple of 512 (2 KiB of fp32). The weights of one channel
/// block are then one L1 set apart from tap to tap instead of all in one set or two (1,024
/// fp32 channels: 4 KiB per tap, the L1's way size), where they compete with the input pixels
/// of the same channels: MobileNet's conv_dw_13 (7 x 7 x 1,024) went from 54 to 57 GFLOP/s on
/// average over placements of its tensors, its slowest placement from 33 to 45. Counted in
/// elements, so that fp16 packs exactly half the bytes of fp32.
constexpr index_t dw_tap_stride(index_t c) noexcept {
  const index_t cp = (c + dw_lanes - 1) / dw_lanes * dw_lanes;
  return cp % 512 == 0 ? cp + dw_lanes : cp;
}

/// Arguments shared by every row of one call; T is the storage of weights and activations.
template <class T>
struct dw_args {
  const conv2d_shape* sh;
  const T* w;         // packed weights (layout-specific, see the class comment)
  const float* bias;  // C biases
  activation act;
};

/// Most taps (r * s) the NHWC pixel path gathers on the stack; larger kernels use
/// dw_nhwc_row_large.
inline constexpr index_t dw_max_taps = 64;

/// NHWC, one output pixel, all channels: tap t reads the input pixel at base + off[t] with
/// weights tap[t] (only the taps inside the input, in r, s order). KT > 0: exactly KT taps,
/// unrolled.
/// dw_nhwc_pixel_from handles channels [c_begin, c_begin + count) only.
template <int KT, class T>
[[gnu::always_inline]] inline void dw_nhwc_pixel_from(const dw_args<T>& a, const T* base,
                                                      const index_t* off, const index_t* tap,
                                                      index_t c_begin, index_t count, index_t Cp,
                                                      T* o, const T* res, index_t taps = KT) {
  const index_t ntaps = KT ? KT : taps;
  const index_t C = c_begin + count;
  const index_t c_vec = c_begin + count / dw_lanes * dw_lanes;
  index_t c0 = c_begin;
  // Two channel blocks per step: two independent FMA chains.
  for (; c0 + 2 * dw_lanes <= c_vec; c0 += 2 * dw_lanes) {
    dw_batch acc0(0.0f), acc1(0.0f);
    for (index_t t = 0; t < ntaps; ++t) {
      const T* wt = a.w + tap[t] * Cp + c0;
      const T* src = base + off[t] + c0;
      acc0 = kernel::fmadd(dw_load(src), dw_load(wt), acc0);
      acc1 = kernel::fmadd(dw_load(src + dw_lanes),
                        dw_load(wt + dw_lanes), acc1);
    }
    dw_store(o + c0, dw_finish(acc0, dw_load(a.bias + c0), res ? res + c0 : nullptr, a.act));
    dw_store(o + c0 + dw_lanes, dw_finish(acc1, dw_load(a.bias + c0 + dw_lanes),
              res ? res + c0 + dw_lanes : nullptr, a.act));
  }
  for (; c0 < c_vec; c0 += dw_lanes) {
    dw_batch acc(0.0f);
    for (index_t t = 0; t < ntaps; ++t)
      acc = kernel::fmadd(dw_load(base + off[t] + c0),
                       dw_load(a.w + tap[t] * Cp + c0), acc);
    dw_store(o + c0, dw_finish(acc, dw_load(a.bias + c0), res ? res + c0 : nullptr, a.act));
  }
  // Channels past the last full vector: scalar, same tap order, fma like the vector path.
  for (index_t c = c_vec; c < C; ++c) {
    float acc = 0.0f;
    for (index_t t = 0; t < ntaps; ++t) acc = std::fma(float(base[off[t] + c]), float(a.w[tap[t] * Cp + c]), acc);
    o[c] = T(dw_finish(acc, a.bias[c], res ? res + c : nullptr, a.act));
  }
}

template <int KT, class T>
[[gnu::always_inline]] inline void dw_nhwc_pixel(const dw_args<T>& a, const T* base,
                                                 const index_t* off, const index_t* tap,
                                                 index_t taps, index_t C, index_t Cp, T* o,
                                                 const T* res) {
  dw_nhwc_pixel_from<KT>(a, base, off, tap, 0, C, Cp, o, res, taps);
}

/// NHWC, two interior output pixels `step` floats apart, all channels, KT taps at base +
/// off[t]: each weight register serves both pixels (1.5 loads per FMA instead of 2).
template <int KT, class T>
[[gnu::always_inline]] inline void dw_nhwc_pixel_pair(const dw_args<T>& a, const T* base,
                                                      index_t step, const index_t* off, index_t C,
                                                      index_t Cp, T* o, const T* res) {
  const index_t c_vec = C / dw_lanes * dw_lanes;
  index_t c0 = 0;
  for (; c0 + 2 * dw_lanes <= c_vec; c0 += 2 * dw_lanes) {
    dw_batch a0(0.0f), a1(0.0f), b0(0.0f), b1(0.0f);  // a: first pixel, b: second
    for (index_t t = 0; t < KT; ++t) {
      const T* wt = a.w + t * Cp + c0;
      const dw_batch w0 = dw_load(wt), w1 = dw_load(wt + dw_lanes);
      const T* src = base + off[t] + c0;
      a0 = kernel::fmadd(dw_load(src), w0, a0);
      a1 = kernel::fmadd(dw_load(src + dw_lanes), w1, a1);
      b0 = kernel::fmadd(dw_load(src + step), w0, b0);
      b1 = kernel::fmadd(dw_load(src + step + dw_lanes), w1, b1);
    }
    const dw_batch bias0 = dw_load(a.bias + c0);
    const dw_batch bias1 = dw_load(a.bias + c0 + dw_lanes);
    dw_store(o + c0, dw_finish(a0, bias0, res ? res + c0 : nullptr, a.act));
    dw_store(o + c0 + dw_lanes, dw_finish(a1, bias1, res ? res + c0 + dw_lanes : nullptr, a.act));
    dw_store(o + C + c0, dw_finish(b0, bias0, res ? res + C + c0 : nullptr, a.act));
    dw_store(o + C + c0 + dw_lanes, dw_finish(b1, bias1, res ? res + C + c0 + dw_lanes : nullptr, a.act));
  }
  if (c0 < C) {  // remaining channels: each pixel on its own, same arithmetic per output
    index_t tap[KT];
    for (index_t t = 0; t < KT; ++t) tap[t] = t;
    const index_t rest = C - c0;
    dw_nhwc_pixel_from<KT>(a, base, off, tap, c0, rest, Cp, o, res);
    dw_nhwc_pixel_from<KT>(a, base + step, off, tap, c0, rest, Cp, o + C, res ? res + C : nullptr);
  }
}

/// Output pixels computed at once by dw_nhwc_span: its registers are the KR * KS weights,
/// these accumulators and one input vector (9 + 8 + 1 of 32 with AVX-512 or NEON, 9 + 4 + 1
/// of 16 with AVX2).
#if defined(__AVX512F__) || defined(__aarch64__)
inline constexpr int dw_span_pixels = 8;
#else
inline constexpr int dw_span_pixels = 4;
#endif

/// At stride 2, dw_nhwc_span computes 4 outputs at once: their 9 input columns per tap row
/// are as many concurrent streams as the 8 outputs of stride 1 read (the whole-row blocks of 8
/// measured slower). It takes stride-2 rows whose pixels are at most this many bytes (fp32:
/// 128 channels): on Zen 4, MobileNet's 64- and 128-channel layers ran 22% and 11% faster
/// than with dw_nhwc_pixel_pair, its 256- and 512-channel ones 5-7% slower, their input
/// columns 1-2 KiB apart.
inline constexpr index_t dw_span_s2_pixel_bytes = 512;

/// NHWC, stride SW (1 or 2) along the row: every output pixel of PR output rows (1, or 2 at
/// stride 1 whose taps all lie inside the input, out_step elements apart), channel block by
/// channel block, with tap rows [r_lo, r_hi) inside the input (the others are in the padding
/// and left out; PR = 2 reads KR + 1 input rows). `row` is input column 0 of tap row r_lo and
/// `row_step` the distance between tap rows; pixel q's first tap reads column q * SW -
/// pad_left. The block's KR x KS weights stay in registers along the row and dw_span_pixels
/// outputs per row (4 at stride 2: dw_span_s2_pixel_bytes) are computed at once, each input
/// vector loaded once per tap row for all the outputs it feeds:
/// (3 + 9 / 8) / 9 loads per FMA for 3x3 at stride 1, (9 * 3 + 9) / 36 at stride 2, where
/// dw_nhwc_pixel_pair needs 1.5. Blocks whose taps reach past either end of the row skip the
/// columns in the padding (checked per load); the others load without checks. Each output sums
/// its taps in (r, s) order, as dw_nhwc_pixel does, so results are the same. Channels past the
/// last full vector go through dw_nhwc_pixel_from, with the taps of each pixel inside the input.
template <int KR, int KS, int SW, int PR, class T>
void dw_nhwc_span(const dw_args<T>& a, const T* row, index_t row_step, index_t r_lo, index_t r_hi,
                  index_t pad_left, index_t W, index_t Q, const index_t* ioff, index_t C, index_t Cp,
                  T* o, const T* res, index_t out_step = 0) {
  static_assert(PR == 1 || PR == 2, "one output row, or two whose taps all lie inside the input");
  constexpr int taps = KR * KS;
  const index_t c_vec = C / dw_lanes * dw_lanes;
  // Pixel blocks outside, channel blocks inside: consecutive loads walk along the channels of
  // a few pixels, as the input is laid out (channel blocks outside would stride by C floats
  // between pixels and map a row's pixels onto a few cache sets).
  auto pixels = [&](index_t q, auto count, auto checked) {
    constexpr int N = decltype(count)::value;
    const index_t x0 = q * SW - pad_left;  // input column of input pixel 0 of the block
    for (index_t c0 = 0; c0 < c_vec; c0 += dw_lanes) {
      dw_batch w[taps];
      DLAS_UNROLL
      for (int t = 0; t < taps; ++t) w[t] = dw_load(a.w + t * Cp + c0);
      dw_batch acc[PR][N];
      DLAS_UNROLL
      for (int pr = 0; pr < PR; ++pr)
        DLAS_UNROLL
        for (int j = 0; j < N; ++j) acc[pr][j] = dw_batch(0.0f);
      // Input row k is tap row k of output row 0 and k - 1 of output row 1.
      DLAS_UNROLL
      for (int k = 0; k < KR + PR - 1; ++k) {
        if (PR == 1 && (k < r_lo || k >= r_hi)) continue;  // a tap row in the padding
        DLAS_UNROLL
        for (int i = 0; i < (N - 1) * SW + KS; ++i) {  // input pixel i feeds outputs (i - s) / SW
          if constexpr (decltype(checked)::value)
            if (x0 + i < 0 || x0 + i >= W) continue;  // a column in the padding
          const dw_batch x = dw_load(row + (k - r_lo) * row_step + (x0 + i) * C + c0);
          DLAS_UNROLL
          for (int pr = 0; pr < PR; ++pr)
            DLAS_UNROLL
            for (int s = 0; s < KS; ++s)
              if (k - pr >= 0 && k - pr < KR && i - s >= 0 && (i - s) % SW == 0 && (i - s) / SW < N)
                acc[pr][(i - s) / SW] = kernel::fmadd(x, w[(k - pr) * KS + s], acc[pr][(i - s) / SW]);
        }
      }
      const dw_batch bias = dw_load(a.bias + c0);
      DLAS_UNROLL
      for (int pr = 0; pr < PR; ++pr)
        DLAS_UNROLL
        for (int j = 0; j < N; ++j) {
          const index_t at = pr * out_step + (q + j) * C + c0;
          dw_store(o + at, dw_finish(acc[pr][j], bias, res ? res + at : nullptr, a.act));
        }
    }
  };
  auto block = [&](index_t q, auto count) {
    constexpr int N = decltype(count)::value;
    if (q * SW - pad_left >= 0 && (q + N - 1) * SW + KS - 1 - pad_left < W) pixels(q, count, std::false_type{});
    else pixels(q, count, std::true_type{});
  };
  // Blocks of 8 (or 4), then 4, 2 and 1; rows of 7 or 14 pixels (MobileNet's deepest layers)
  // in blocks of 7 where the registers hold them: a third fewer loads than 8 + 4 + 2.
  constexpr int span = SW == 1 ? dw_span_pixels : 4;
  index_t q = 0;
  if constexpr (span > 4)
    if (Q % span != 0 && Q % 7 == 0)
      for (; q < Q; q += 7) block(q, std::integral_constant<int, 7>{});
  for (; q + span <= Q; q += span) block(q, std::integral_constant<int, span>{});
  if constexpr (span > 4)
    if (q + 4 <= Q) block(q, std::integral_constant<int, 4>{}), q += 4;
  if (q + 2 <= Q) block(q, std::integral_constant<int, 2>{}), q += 2;
  if (q < Q) block(q, std::integral_constant<int, 1>{});
  if (c_vec < C) {  // the taps inside, relative to column 0 of tap row r_lo
    index_t off[taps], tap[taps];
    for (index_t pq = 0; pq < PR * Q; ++pq) {
      q = pq % Q;
      const index_t pr = pq / Q;  // output row pr reads from input row pr on
      index_t n = 0;
      for (index_t r = r_lo; r < r_hi; ++r)
        for (index_t s = 0; s < KS; ++s) {
          const index_t x = q * SW - pad_left + s;
          if (x < 0 || x >= W) continue;
          off[n] = ioff[r * KS + s] - ioff[r_lo * KS] + (q * SW - pad_left) * C;
          tap[n++] = r * KS + s;
        }
      const index_t at = pr * out_step + q * C;
      dw_nhwc_pixel_from<0>(a, row + pr * row_step, off, tap, c_vec, C - c_vec, Cp, o + at,
                            res ? res + at : nullptr, n);
    }
  }
}

/// NHWC: one output row (n, p) of every channel. For each output pixel the pointers to the
/// input pixels its taps read are gathered once (taps in the padding are left out), then
/// every channel runs through them, V at a time. KR/KS fix a kernel size at compile time
/// (0: taken from the shape); interior pixels of a fixed-size kernel take the unrolled path.
template <int KR, int KS, class T>
void dw_nhwc_row(const dw_args<T>& a, const T* in, T* out, const T* residual, index_t n,
                 index_t p) {
  const conv2d_shape& sh = *a.sh;
  const index_t R = KR ? KR : sh.r, S = KS ? KS : sh.s;
  const index_t C = sh.c, W = sh.w, Q = sh.output_w();
  const index_t Cp = dw_tap_stride(C);  // packed weights: tap stride
  const index_t y0 = p * sh.stride_h - sh.pad_top;
  const T* in_n = in + n * sh.h * W * C;
  const index_t out_row = (n * sh.output_h() + p) * Q * C;
  index_t off[dw_max_taps], tap[dw_max_taps];
  // Interior pixels (every tap inside the input) share one offset table.
  index_t ioff[dw_max_taps], itap[dw_max_taps];
  for (index_t r = 0; r < R; ++r)
    for (index_t s = 0; s < S; ++s) {
      ioff[r * S + s] = (r * sh.dilation_h * W + s * sh.dilation_w) * C;
      itap[r * S + s] = r * S + s;
    }
  const bool rows_inside = y0 >= 0 && y0 + (R - 1) * sh.dilation_h < sh.h;
  // Stride 1 along the row, or stride 2 on narrow pixels (dw_span_s2_pixel_bytes): the whole
  // row goes through dw_nhwc_span, with the tap rows inside the input.
  if constexpr (KR * KS > 0)
    if (sh.dilation_w == 1 &&
        (sh.stride_w == 1 || (sh.stride_w == 2 && C * index_t(sizeof(T)) <= dw_span_s2_pixel_bytes))) {
      const index_t dh = sh.dilation_h;
      const index_t r_lo = std::min<index_t>(R, y0 >= 0 ? 0 : (-y0 + dh - 1) / dh);
      const index_t r_hi = std::clamp<index_t>(sh.h - y0 > 0 ? (sh.h - y0 + dh - 1) / dh : 0, r_lo, R);
      if (r_lo < r_hi) {
        const T* row = in_n + (y0 + r_lo * dh) * W * C;
        T* o = out + out_row;
        const T* res = residual ? residual + out_row : nullptr;
        if (sh.stride_w == 1)
          dw_nhwc_span<KR, KS, 1, 1>(a, row, dh * W * C, r_lo, r_hi, sh.pad_left, W, Q, ioff, C, Cp, o, res);
        else
          dw_nhwc_span<KR, KS, 2, 1>(a, row, dh * W * C, r_lo, r_hi, sh.pad_left, W, Q, ioff, C, Cp, o, res);
        return;
      }
    }
  for (index_t q = 0; q < Q; ++q) {
    const index_t x0 = q * sh.stride_w - sh.pad_left;
    T* o = out + out_row + q * C;
    const T* res = residual ? residual + out_row + q * C : nullptr;
    if (rows_inside && x0 >= 0 && x0 + (S - 1) * sh.dilation_w < W) {
      const T* base = in_n + (y0 * W + x0) * C;
      if constexpr (KR * KS > 0) {
        const index_t x1 = x0 + sh.stride_w;
        if (q + 1 < Q && x1 + (S - 1) * sh.dilation_w < W) {  // a pair of interior pixels
          dw_nhwc_pixel_pair<KR * KS>(a, base, sh.stride_w * C, ioff, C, Cp, o, res);
          ++q;
          continue;
        }
      }
      if (KR * KS > 0) dw_nhwc_pixel<KR * KS>(a, base, ioff, itap, R * S, C, Cp, o, res);
      else dw_nhwc_pixel<0>(a, base, ioff, itap, R * S, C, Cp, o, res);
      continue;
    }
    index_t taps = 0;
    for (index_t r = 0; r < R; ++r) {
      const index_t y = y0 + r * sh.dilation_h;
      if (y < 0 || y >= sh.h) continue;
      for (index_t s = 0; s < S; ++s) {
        const index_t x = x0 + s * sh.dilation_w;
        if (x < 0 || x >= W) continue;
        off[taps] = (y * W + x) * C;
        tap[taps++] = r * S + s;
      }
    }
    dw_nhwc_pixel<0>(a, in_n, off, tap, taps, C, Cp, o, res);
  }
}

/// NHWC: output rows [p, p + count) of image n, count 1 or 2. Two stride-1 rows whose taps all
/// lie inside the input go through dw_nhwc_span together where the registers hold both rows'
/// accumulators (AVX-512, NEON): each input row is loaded once for both, R + 1 rows for two
/// outputs instead of 2R. Other rows go one by one (dw_nhwc_row).
template <int KR, int KS, class T>
void dw_nhwc_rows(const dw_args<T>& a, const T* in, T* out, const T* residual, index_t n, index_t p,
                  index_t count) {
  if constexpr (KR * KS > 0 && dw_span_pixels > 4) {
    const conv2d_shape& sh = *a.sh;
    const index_t y0 = p * sh.stride_h - sh.pad_top;
    if (count == 2 && sh.stride_h == 1 && sh.stride_w == 1 && sh.dilation_h == 1 && sh.dilation_w == 1 &&
        y0 >= 0 && y0 + KR < sh.h) {
      const index_t C = sh.c, W = sh.w, Q = sh.output_w();
      index_t ioff[KR * KS];
      for (index_t r = 0; r < KR; ++r)
        for (index_t s = 0; s < KS; ++s) ioff[r * KS + s] = (r * W + s) * C;
      const index_t out_row = (n * sh.output_h() + p) * Q * C;
      dw_nhwc_span<KR, KS, 1, 2>(a, in + (n * sh.h + y0) * W * C, W * C, 0, KR, sh.pad_left, W, Q, ioff, C,
                                 dw_tap_stride(C), out + out_row, residual ? residual + out_row : nullptr,
                                 Q * C);
      return;
    }
  }
  for (index_t i = 0; i < count; ++i) dw_nhwc_row<KR, KS>(a, in, out, residual, n, p + i);
}

/// NHWC for kernels with more than dw_max_taps taps: per pixel and channel block, taps in the
/// padding skipped by bounds checks.
template <class T>
void dw_nhwc_row_large(const dw_args<T>& a, const T* in, T* out, const T* residual,
                              index_t n, index_t p) {
  const conv2d_shape& sh = *a.sh;
  const index_t R = sh.r, S = sh.s, C = sh.c, W = sh.w, Q = sh.output_w();
  const index_t Cp = dw_tap_stride(C);
  const index_t c_vec = C / dw_lanes * dw_lanes;
  const index_t y0 = p * sh.stride_h - sh.pad_top;
  const T* in_n = in + n * sh.h * W * C;
  const index_t out_row = (n * sh.output_h() + p) * Q * C;
  for (index_t q = 0; q < Q; ++q) {
    const index_t x0 = q * sh.stride_w - sh.pad_left;
    T* o = out + out_row + q * C;
    const T* res = residual ? residual + out_row + q * C : nullptr;
    for (index_t c0 = 0; c0 < C; c0 += dw_lanes) {
      const bool vec = c0 < c_vec;
      dw_batch acc(0.0f);
      float acc_s[dw_lanes] = {};
      for (index_t r = 0; r < R; ++r) {
        const index_t y = y0 + r * sh.dilation_h;
        if (y < 0 || y >= sh.h) continue;
        for (index_t s = 0; s < S; ++s) {
          const index_t x = x0 + s * sh.dilation_w;
          if (x < 0 || x >= W) continue;
          const T* src = in_n + (y * W + x) * C + c0;
          const T* wt = a.w + (r * S + s) * Cp + c0;
          if (vec) acc = kernel::fmadd(dw_load(src), dw_load(wt), acc);
          else
            for (index_t c = 0; c < C - c0; ++c)
              acc_s[c] = std::fma(float(src[c]), float(wt[c]), acc_s[c]);
        }
      }
      if (vec)
        dw_store(o + c0, dw_finish(acc, dw_load(a.bias + c0), res ? res + c0 : nullptr, a.act));
      else
        for (index_t c = c0; c < C; ++c)
          o[c] = T(dw_finish(acc_s[c - c0], a.bias[c], res ? res + c : nullptr, a.act));
    }
  }
}

/// Output pixels per NCHW segment: four registers.
inline constexpr index_t dw_segment = 4 * dw_lanes;

/// NCHW: one output row (n, c, p). Each segment of dw_segment outputs keeps four
/// accumulators; tap (r, s) of the segment reads dw_segment consecutive values either
/// straight from the input row (stride 1, all inside) or from a stack copy of the row's
/// columns split into `stride_w` phases, with zeros for the padding, so that strided and
/// padded taps are contiguous loads too.
template <int KR, int KS, class T>
void dw_nchw_row(const dw_args<T>& a, const T* in, T* out, const T* residual, index_t n,
                 index_t c, index_t p, float* phase_buf) {
  const conv2d_shape& sh = *a.sh;
  const index_t R = KR ? KR : sh.r, S = KS ? KS : sh.s;
  const index_t W = sh.w, Q = sh.output_w(), sw = sh.stride_w, dw = sh.dilation_w;
  const index_t y0 = p * sh.stride_h - sh.pad_top;
  index_t r_lo = 0, r_hi = R;
  while (r_lo < R && y0 + r_lo * sh.dilation_h < 0) ++r_lo;
  while (r_hi > r_lo && y0 + (r_hi - 1) * sh.dilation_h >= sh.h) --r_hi;
  const T* plane = in + (n * sh.c + c) * sh.h * W;
  const T* wc = a.w + c * R * S;
  const index_t out_off = ((n * sh.c + c) * sh.output_h() + p) * Q;
  const dw_batch bias(a.bias[c]);
  const index_t phase_len = dw_segment + (S - 1) * dw / sw + 1;

  for (index_t q0 = 0; q0 < Q; q0 += dw_segment) {
    const index_t xbase = q0 * sw - sh.pad_left;
    // Stride 1 and all inside: taps read the input row in place (fp32 only; fp16 rows always
    // go through the phase buffer, which widens each value once per row and segment).
    const bool direct = std::is_same_v<T, float> && sw == 1 && xbase >= 0 &&
                        xbase + dw_segment - 1 + (S - 1) * dw < W;
    dw_batch acc0(0.0f), acc1(0.0f), acc2(0.0f), acc3(0.0f);
    for (index_t r = r_lo; r < r_hi; ++r) {
      const T* row = plane + (y0 + r * sh.dilation_h) * W;
      const T* src = row + xbase;
      if (!direct) {
        for (index_t ph = 0; ph < sw; ++ph) {  // phase ph holds columns xbase + ph + t * sw
          float* dst = phase_buf + ph * phase_len;
          for (index_t t = 0, x = xbase + ph; t < phase_len; ++t, x += sw)
            dst[t] = (x >= 0 && x < W) ? float(row[x]) : 0.0f;
        }
      }
      for (index_t s = 0; s < S; ++s) {
        const dw_batch wv = dw_batch(float(wc[r * S + s]));
        const float* px = direct ? dw_fp32(src) + s * dw
                                 : phase_buf + ((s * dw) % sw) * phase_len + (s * dw) / sw;
        acc0 = kernel::fmadd(dw_load(px), wv, acc0);
        acc1 = kernel::fmadd(dw_load(px + dw_lanes), wv, acc1);
        acc2 = kernel::fmadd(dw_load(px + 2 * dw_lanes), wv, acc2);
        acc3 = kernel::fmadd(dw_load(px + 3 * dw_lanes), wv, acc3);
      }
    }
    const index_t count = std::min(dw_segment, Q - q0);
    alignas(64) float tmp[dw_segment];
    const T* res = residual ? residual + out_off + q0 : nullptr;
    float* dst = std::is_same_v<T, float> && count == dw_segment ? dw_fp32(out + out_off + q0) : tmp;
    if (res && count < dw_segment) {  // partial segment: a padded copy of the residual
      alignas(64) float rtmp[dw_segment] = {};
      for (index_t i = 0; i < count; ++i) rtmp[i] = float(res[i]);
      dw_finish(acc0, bias, rtmp, a.act).store_aligned(tmp);
      dw_finish(acc1, bias, rtmp + dw_lanes, a.act).store_aligned(tmp + dw_lanes);
      dw_finish(acc2, bias, rtmp + 2 * dw_lanes, a.act).store_aligned(tmp + 2 * dw_lanes);
      dw_finish(acc3, bias, rtmp + 3 * dw_lanes, a.act).store_aligned(tmp + 3 * dw_lanes);
    } else {
      dw_store(dst, dw_finish(acc0, bias, res, a.act));
      dw_store(dst + dw_lanes, dw_finish(acc1, bias, res ? res + dw_lanes : nullptr, a.act));
      dw_store(dst + 2 * dw_lanes, dw_finish(acc2, bias, res ? res + 2 * dw_lanes : nullptr, a.act));
      dw_store(dst + 3 * dw_lanes, dw_finish(acc3, bias, res ? res + 3 * dw_lanes : nullptr, a.act));
    }
    if (dst == tmp)
      for (index_t i = 0; i < count; ++i) out[out_off + q0 + i] = T(tmp[i]);
  }
}

/// Largest phase buffer (floats) the NCHW path keeps on the stack.
inline constexpr index_t dw_stack_floats = 1024;

/// Phase-buffer floats an NCHW row of `sh` needs; above dw_stack_floats (very wide dilated
/// kernels or strides) rows take dw_nchw_row_scalar instead.
constexpr index_t dw_phase_floats(const conv2d_shape& sh) noexcept {
  return sh.stride_w * (dw_segment + (sh.s - 1) * sh.dilation_w / sh.stride_w + 1);
}

/// NCHW scalar row for shapes whose phase buffer would not fit on the stack.
template <class T>
void dw_nchw_row_scalar(const dw_args<T>& a, const T* in, T* out, const T* residual,
                               index_t n, index_t c, index_t p, float*) {
  const conv2d_shape& sh = *a.sh;
  const index_t W = sh.w, Q = sh.output_w();
  const T* plane = in + (n * sh.c + c) * sh.h * W;
  const index_t out_off = ((n * sh.c + c) * sh.output_h() + p) * Q;
  for (index_t q = 0; q < Q; ++q) {
    float acc = 0.0f;
    for (index_t r = 0; r < sh.r; ++r) {
      const index_t y = p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
      if (y < 0 || y >= sh.h) continue;
      for (index_t s = 0; s < sh.s; ++s) {
        const index_t x = q * sh.stride_w - sh.pad_left + s * sh.dilation_w;
        if (x < 0 || x >= W) continue;
        acc = std::fma(float(plane[y * W + x]), float(a.w[(c * sh.r + r) * sh.s + s]), acc);
      }
    }
    out[out_off + q] = T(dw_finish(acc, a.bias[c], residual ? residual + out_off + q : nullptr, a.act));
  }
}

/// The shapes algo::depthwise takes in every precision: one filter per channel.
inline status depthwise_can_implement(const conv2d_shape& sh) {
  if (sh.groups != sh.c)
    return {errc::unsupported, "algo::depthwise needs groups == c (one filter per channel); got "
                               "groups " + std::to_string(sh.groups) + ", c " + std::to_string(sh.c) +
                               " (use algo::im2col_gemm or algo::reference for grouped convolutions)"};
  if (sh.k != sh.c)
    return {errc::unsupported,
            "algo::depthwise needs k == c; a channel multiplier k/c = " +
                std::to_string(sh.k / sh.c) + " is not supported (use algo::reference)"};
  return {};
}

/// Depthwise convolution (groups == c == k), any kernel size, stride, padding and dilation,
/// NCHW and NHWC, with weights and activations stored as T: float (fp32) or half (fp16:
/// widened in registers, fp32 arithmetic, each output rounded once to half after the
/// epilogue).
///
/// Weights are repacked at construction: NHWC as R x S x Cp (Cp = c rounded up to the SIMD
/// width, zero-filled, dw_tap_stride) so that one aligned load gives one tap of V channels;
/// NCHW as the C x R x S matrix as given. Each output row is computed by one thread in a fixed
/// order, so results are bitwise identical for any thread count. No workspace.
template <layout_policy Layout, class T>
class depthwise_conv {
  static constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  using precision_type = std::conditional_t<std::is_same_v<T, half>, precision::fp16, precision::fp32>;

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<precision_type, sparsity::dense>;

  static status can_implement(const conv2d_shape& sh) { return depthwise_can_implement(sh); }

  /// Packed weights plus the bias: the same formula the constructor allocates with.
  static constexpr index_t packed_weight_elements(const conv2d_shape& sh) noexcept {
    return nhwc ? sh.r * sh.s * dw_tap_stride(sh.c) : sh.c * sh.r * sh.s;
  }
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t = 0) noexcept {
    return buffer_bytes<T>(packed_weight_elements(sh)) + buffer_bytes<float>(sh.k);
  }
  static constexpr index_t workspace_bytes(const conv2d_shape&) noexcept { return 0; }

  depthwise_conv(const conv2d_shape& sh, weights_type&& weights, const conv2d_options& opt)
      : shape_(sh), act_(opt.act), packed_(packed_weight_elements(sh)), bias_(weights.bias()) {
    const T* w = weights.matrix().data();  // C x (R * S)
    const index_t taps = sh.r * sh.s;
    if constexpr (nhwc) {
      const index_t cp = dw_tap_stride(sh.c);
      for (index_t c = 0; c < sh.c; ++c)
        for (index_t t = 0; t < taps; ++t) packed_[t * cp + c] = w[c * taps + t];
    } else {
      std::copy(w, w + sh.c * taps, packed_.data());
    }
  }

  index_t weight_bytes() const noexcept { return packed_.bytes() + bias_.bytes(); }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource*) const {
    static_assert(std::is_same_v<In, T> && std::is_same_v<Out, T>,
                  "algo::depthwise takes tensors of the precision's storage type (fp32: float, "
                  "fp16: dlas::half)");
    const conv2d_shape& sh = shape_;
    const dw_args<T> args{&sh, packed_.data(), bias_.data(), act_};
    const T* x = in.data();
    T* y = out.data();
    const index_t P = sh.output_h();
    if constexpr (nhwc) {
      const index_t pairs = (P + 1) / 2;  // tasks of two output rows (dw_nhwc_rows)
      core::parallel_for(sh.n * pairs, [&](index_t i) {
        const index_t n = i / pairs, p = i % pairs * 2, count = std::min<index_t>(2, P - p);
        if (sh.r == 3 && sh.s == 3) dw_nhwc_rows<3, 3>(args, x, y, residual, n, p, count);
        else if (sh.r * sh.s <= dw_max_taps) dw_nhwc_rows<0, 0>(args, x, y, residual, n, p, count);
        else
          for (index_t j = p; j < p + count; ++j) dw_nhwc_row_large(args, x, y, residual, n, j);
      });
    } else {
      auto rows = [&](auto kernel) {
        core::parallel_for(sh.n * sh.c, [&](index_t nc) {
          alignas(64) float buf[dw_stack_floats];
          for (index_t p = 0; p < P; ++p) kernel(args, x, y, residual, nc / sh.c, nc % sh.c, p, buf);
        });
      };
      if (dw_phase_floats(sh) > dw_stack_floats) rows(dw_nchw_row_scalar<T>);
      else if (sh.r == 3 && sh.s == 3) rows(dw_nchw_row<3, 3, T>);
      else rows(dw_nchw_row<0, 0, T>);
    }
  }

 private:
  conv2d_shape shape_;
  activation act_;
  aligned_buffer<T> packed_;
  aligned_buffer<float> bias_;
};

}  // namespace detail

/// fp32 dense, NCHW and NHWC; see detail::depthwise_conv.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::depthwise>
    : public detail::depthwise_conv<Layout, float> {
 public:
  using detail::depthwise_conv<Layout, float>::depthwise_conv;
};

/// fp16 dense (half storage, fp32 arithmetic), NCHW and NHWC: the same kernel at T = half.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp16, sparsity::dense, algo::depthwise>
    : public detail::depthwise_conv<Layout, half> {
 public:
  using detail::depthwise_conv<Layout, half>::depthwise_conv;
};

}  // namespace dlas::conv
