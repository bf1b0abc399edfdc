// SPDX-License-Identifier: Apache-2.0
/// \file convert.hpp
/// \brief The boundaries between layers that disagree: precision casts (fp32 <-> fp16,
/// fp32 <-> 8-bit codes with quant_params) and layout reorders (NCHW <-> NHWC), in one pass.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/graph/parallel.hpp"
#include "dlas/graph/tensor_ref.hpp"
#include "dlas/kernel/i8_requantize.hpp"
#include "dlas/kernel/simd.hpp"
#include "dlas/optimize/quantize.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

namespace detail {

/// The real value an element stands for.
template <class T>
float real_value(T v, const quant_params& q) noexcept {
  if constexpr (std::is_same_v<T, std::uint8_t>)
    return optimize::dequantize(v, q);
  else
    return float(v);
}
/// The element that stands for real value v (round to nearest even; 8-bit codes clamp).
template <class T>
T from_real(float v, const quant_params& q) noexcept {
  if constexpr (std::is_same_v<T, std::uint8_t>)
    return optimize::quantize<std::uint8_t>(v, q);
  else
    return T(v);
}

/// dst[i] = from_real<TO>(real_value<TI>(src[i], qi), qo) for a contiguous run of `count`
/// values; the fp32 -> 8-bit codes run (every int8 layer's input) in SIMD, bit for bit
/// optimize::quantize: IEEE division, round half to even, NaN to the zero point, clamp.
template <class TI, class TO>
void convert_run(const TI* src, TO* dst, index_t count, const quant_params& qi, const quant_params& qo) noexcept {
  index_t i = 0;
  if constexpr (std::is_same_v<TI, float> && std::is_same_v<TO, std::uint8_t>) {
    using batch = kernel::f32_batch<kernel::default_arch>;
    constexpr index_t lanes = index_t(batch::size);
    static_assert(16 % lanes == 0, "whole registers per 16 codes");
    const batch scale(qo.scale), zero(float(qo.zero_point)), lo(0.0f), hi(255.0f);
    // Clamped codes are whole numbers in [0, 255]: the int32 conversion and the narrowing of
    // i8_narrow16 are exact, with no scalar store per value.
    alignas(64) std::int32_t codes[16];
    for (; i + 16 <= count; i += 16) {
      for (index_t h = 0; h < 16; h += lanes) {
        const batch v = xsimd::nearbyint(batch::load_unaligned(src + i + h) / scale) + zero;
        xsimd::batch_cast<std::int32_t>(xsimd::min(xsimd::max(xsimd::select(xsimd::isnan(v), zero, v), lo), hi))
            .store_aligned(codes + h);
      }
      kernel::i8_narrow16(codes, dst + i);
    }
  }
  for (; i < count; ++i) dst[i] = from_real<TO>(real_value<TI>(src[i], qi), qo);
}

template <class TI, class LI, class TO, class LO>
void convert_typed(const_tensor_ref src, tensor_ref dst) {
  const tensor_view<const TI, LI> in(static_cast<const TI*>(src.data), src.desc.dims);
  const tensor_view<TO, LO> out(static_cast<TO*>(dst.data), dst.desc.dims);
  const tensor_dims d = src.desc.dims;
  const quant_params qi = src.desc.quant, qo = dst.desc.quant;
  // The same type (and quantisation): values are copied bit for bit, only reordered.
  constexpr bool same_type = std::is_same_v<TI, TO>;
  const bool copy = same_type && src.desc.type != dtype::u8 ? true
                    : same_type ? (qi.scale == qo.scale && qi.zero_point == qo.zero_point)
                                : false;
  parallel_for_work(d.n * d.h, d.c * d.w, [&](index_t nh) {
    const index_t n = nh / d.h, y = nh % d.h;
    if constexpr (std::is_same_v<LI, LO>) {
      // A cast without a reorder: runs contiguous in both (a row of an NHWC image, a row of
      // one channel in NCHW).
      if (!copy) {
        if constexpr (std::is_same_v<LO, layout::nhwc>)
          convert_run(&in(n, 0, y, 0), &out(n, 0, y, 0), d.c * d.w, qi, qo);
        else
          for (index_t c = 0; c < d.c; ++c) convert_run(&in(n, c, y, 0), &out(n, c, y, 0), d.w, qi, qo);
        return;
      }
    }
    auto one = [&](index_t c, index_t x) {
      if constexpr (same_type) {
        if (copy) {
          out(n, c, y, x) = in(n, c, y, x);
          return;
        }
      }
      out(n, c, y, x) = from_real<TO>(real_value<TI>(in(n, c, y, x), qi), qo);
    };
    if constexpr (std::is_same_v<LO, layout::nhwc>) {
      for (index_t x = 0; x < d.w; ++x)
        for (index_t c = 0; c < d.c; ++c) one(c, x);
    } else {
      for (index_t c = 0; c < d.c; ++c)
        for (index_t x = 0; x < d.w; ++x) one(c, x);
    }
  });
}

}  // namespace detail

/// Writes `src` into `dst`, which has the same dims and any element type and layout: a
/// reorder, a cast (fp16 rounds to nearest even; 8-bit codes quantise with dst's quant_params
/// and dequantise with src's), or both. errc::mismatched_buffer when the dims differ.
inline void convert(const_tensor_ref src, tensor_ref dst) {
  core::require(src.desc.dims == dst.desc.dims, errc::mismatched_buffer, [&] {
    return "convert: source " + to_string(src.desc) + " and destination " + to_string(dst.desc) +
           " have different dims";
  });
  core::require(src.data != nullptr && dst.data != nullptr, errc::mismatched_buffer,
                [] { return std::string("convert: null data"); });
  if (src.desc == dst.desc) {
    std::memcpy(dst.data, src.data, std::size_t(src.desc.bytes()));
    return;
  }
  if (src.desc.type == dtype::u8) src.desc.quant.validate<std::uint8_t>("convert source quant");
  if (dst.desc.type == dtype::u8)
    dst.desc.quant.validate<std::uint8_t>("convert destination quant");
  visit_desc(src.desc, [&]<class TI, class LI>() {
    visit_desc(dst.desc,
               [&]<class TO, class LO>() { detail::convert_typed<TI, LI, TO, LO>(src, dst); });
  });
}

}  // namespace dlas::graph
