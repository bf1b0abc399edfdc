// SPDX-License-Identifier: Apache-2.0
/// \file i8_finish.hpp
/// \brief i8_finish16: the vector form of epilogue<int8, Out>::from_total for 16 outputs, shared
/// by the int8 GEMM and depthwise kernels.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include <xsimd/xsimd.hpp>

#include "dlas/conv/options.hpp"
#include "dlas/kernel/i8_requantize.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::conv::detail {

/// Outputs o[0..16) from their totals t (accumulator + bias, wrapped to int32): the same
/// operations in the same order as `finish.from_total`, so bit for bit equal. Float outputs
/// use `scale` (16 accumulator scales) and `res` (16 residuals or null); 8-bit outputs use
/// `rq` (two blocks of requantisation constants) and the epilogue's zero point and clamp.
template <class Out, class Epilogue>
[[gnu::always_inline]] inline void i8_finish16(const std::int32_t* t, const float* scale,
                                               const kernel::i8_requant8* rq, const Out* res,
                                               const Epilogue& finish, Out* o) noexcept {
  if constexpr (std::is_same_v<Out, float>) {
#if !defined(__FMA__) && !defined(__aarch64__)
    // No fused multiply-add instruction: xsimd::fma would round the product and the sum
    // apart, so residuals take from_total's std::fma lane by lane.
    if (res) {
      for (int j = 0; j < 16; ++j) o[j] = finish.activate(std::fma(float(t[j]), scale[j], res[j]));
      return;
    }
#endif
    using batch = xsimd::batch<std::int32_t, kernel::default_arch>;
    using fbatch = xsimd::batch<float, kernel::default_arch>;
    constexpr int lanes = int(batch::size);
    const activation act = finish.act();
    for (int j = 0; j < 16; j += lanes) {
      const fbatch p = xsimd::batch_cast<float>(batch::load_unaligned(t + j));
      const fbatch s = fbatch::load_unaligned(scale + j);
      fbatch v = res ? kernel::fmadd(p, s, fbatch::load_unaligned(res + j)) : p * s;
      if (act != activation::none) v = xsimd::max(v, fbatch(0.0f));
      if (act == activation::relu6) v = xsimd::min(v, fbatch(6.0f));
      v.store_unaligned(o + j);
    }
  } else {
    const auto c = finish.clamp();
    kernel::i8_requantize16(t, rq, finish.zero_point(), c.lo, c.hi, o);
  }
}

}  // namespace dlas::conv::detail
