// SPDX-License-Identifier: Apache-2.0
/// \file i8_finish.hpp
/// \brief i8_finisher16: the vector form of epilogue<int8, Out>::from_total for 16 outputs, shared
/// by the int8 GEMM and depthwise kernels.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <variant>

#include <xsimd/xsimd.hpp>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/kernel/i8_requantize.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv::detail {

/// The vector form of `finish.from_total` for 16 consecutive channels: outputs o[0..16) from
/// their totals t (accumulator + bias, wrapped to int32), the same operations in the same
/// order, so bit for bit equal. Float outputs use `scale` (16 accumulator scales) and `res`
/// (16 residuals or null); 8-bit outputs use `rq` (two blocks of requantisation constants)
/// and the epilogue's zero point and clamp. The channels' constants are loaded once, so a
/// tile applies one finisher to all its rows of those channels.
template <class Out, class Epilogue>
class i8_finisher16 {
  using batch = xsimd::batch<std::int32_t, kernel::default_arch>;
  using fbatch = xsimd::batch<float, kernel::default_arch>;
  static constexpr int lanes = int(batch::size);
  static_assert(16 % lanes == 0);
  static constexpr bool to_float = std::is_same_v<Out, float>;
  using requantizer = std::conditional_t<to_float, std::monostate, kernel::i8_requantizer16>;

 public:
  [[gnu::always_inline]] i8_finisher16(const float* scale, const kernel::i8_requant8* rq, const Epilogue& finish) noexcept
      : finish_(finish), requant_(make_requant(rq, finish)) {
    if constexpr (to_float)
      for (int j = 0; j < 16 / lanes; ++j) scale_[j] = fbatch::load_unaligned(scale + j * lanes);
  }

  [[gnu::always_inline]] void operator()(const std::int32_t* t, const Out* res, Out* o) const noexcept {
    if constexpr (lanes == 16) {
      (*this)(batch::load_unaligned(t), res, o);
    } else if constexpr (to_float) {
#if !defined(__FMA__) && !defined(__aarch64__)
      // No fused multiply-add instruction: xsimd::fma would round the product and the sum
      // apart, so residuals take from_total's std::fma lane by lane.
      if (res) {
        alignas(64) float scale[16];
        for (int j = 0; j < 16 / lanes; ++j) scale_[j].store_aligned(scale + j * lanes);
        for (int j = 0; j < 16; ++j) o[j] = finish_.activate(std::fma(float(t[j]), scale[j], res[j]));
        return;
      }
#endif
      for (int j = 0; j < 16 / lanes; ++j) store_float(batch::load_unaligned(t + j * lanes), j, res, o);
    } else {
      (void)res;
      requant_(t, o);
    }
  }

  /// The same from a register of all 16 totals (AVX-512: an int8 GEMM tile's accumulators
  /// plus bias, finished where they are).
  template <int L = lanes, std::enable_if_t<L == 16, int> = 0>
  [[gnu::always_inline]] void operator()(batch t, const Out* res, Out* o) const noexcept {
    if constexpr (to_float) {
      store_float(t, 0, res, o);
    } else {
      (void)res;
      requant_(typename batch::register_type(t), o);
    }
  }

 private:
  /// Float outputs of one register of totals (channels [j * lanes, j * lanes + lanes)).
  [[gnu::always_inline]] void store_float(batch t, int j, const Out* res, Out* o) const noexcept {
    const activation act = finish_.act();
    const fbatch p = xsimd::batch_cast<float>(t);
    fbatch v = res ? kernel::fmadd(p, scale_[j], fbatch::load_unaligned(res + j * lanes)) : p * scale_[j];
    activated(v, act).store_unaligned(o + j * lanes);
  }

  static requantizer make_requant(const kernel::i8_requant8* rq, const Epilogue& finish) noexcept {
    if constexpr (to_float) {
      (void)rq;
      (void)finish;
      return {};
    } else {
      const auto c = finish.clamp();
      return kernel::i8_requantizer16(rq, finish.zero_point(), c.lo, c.hi);
    }
  }

  const Epilogue& finish_;
  fbatch scale_[to_float ? 16 / lanes : 1];
  [[no_unique_address]] requantizer requant_;
};

}  // namespace dlas::conv::detail
