// SPDX-License-Identifier: Apache-2.0
/// \file widen.hpp
/// \brief The conversions of the fp16 kernels: half -> fp32 into a workspace (whole images,
/// or runs such as a GEMM's weight block), and fp32 sums -> half outputs with the residual
/// and activation of the fused epilogue, used by the CSR kernels (the dense GEMM tiles round
/// in registers; finish_run also finishes the fp32 CSR kernels' scratch tiles).
#pragma once

#include <algorithm>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv::detail {

/// Elements one parallel item of a conversion pass handles: large enough that the loop
/// dominates the scheduling, small enough that two threads share an image.
inline constexpr index_t widen_block = 8192;

/// dst[i] = float(src[i]) for i < n (exact) on the calling thread, vectorised with
/// kernel::load_as_f32.
inline void widen_run(const half* src, float* dst, index_t n) noexcept {
  using batch = kernel::f32_batch<kernel::default_arch>;
  constexpr index_t lanes = index_t(batch::size);
  index_t i = 0;
  for (; i + lanes <= n; i += lanes) kernel::load_as_f32<kernel::default_arch>(src + i).store_unaligned(dst + i);
  for (; i < n; ++i) dst[i] = float(src[i]);
}

/// widen_run over n elements, in parallel blocks.
inline void widen(const half* src, float* dst, index_t n) {
  core::parallel_for((n + widen_block - 1) / widen_block, [&](index_t b) {
    const index_t i0 = b * widen_block;
    widen_run(src + i0, dst + i0, std::min(n, i0 + widen_block) - i0);
  });
}

/// out[i] = T(act(sums[i] + residual[i])) for i < n, on the calling thread: the last steps
/// of conv::epilogue once the bias is in `sums` (T = half: rounded once to nearest even).
/// `residual` may be null; `out` may be `sums` (T = float).
template <class T>
inline void finish_run(const float* sums, const T* residual, activation act, T* out, index_t n) noexcept {
  using batch = kernel::f32_batch<kernel::default_arch>;
  constexpr index_t lanes = index_t(batch::size);
  index_t i = 0;
  for (; i + lanes <= n; i += lanes) {
    batch v = batch::load_unaligned(sums + i);
    if (residual) v += kernel::load_as_f32<kernel::default_arch>(residual + i);
    kernel::store_from_f32<kernel::default_arch>(out + i, activated(v, act));
  }
  for (; i < n; ++i) {
    float v = sums[i];
    if (residual) v += float(residual[i]);
    out[i] = T(activated(v, act));
  }
}

/// finish_run over n fp16 outputs, in parallel blocks.
inline void narrow_finish(const float* sums, const half* residual, activation act, half* out,
                          index_t n) {
  core::parallel_for((n + widen_block - 1) / widen_block, [&](index_t b) {
    const index_t i0 = b * widen_block, i1 = std::min(n, i0 + widen_block);
    finish_run(sums + i0, residual ? residual + i0 : nullptr, act, out + i0, i1 - i0);
  });
}

}  // namespace dlas::conv::detail
