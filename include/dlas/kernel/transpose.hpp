// SPDX-License-Identifier: Apache-2.0
/// \file transpose.hpp
/// \brief Transposes of 32-bit elements between pixel rows (NHWC: one pixel's channels
/// contiguous) and channel-major tiles (one channel's pixels contiguous), in 8x8 register
/// blocks where AVX is available.
///
/// The NHWC CSR kernels run the channel-major SpMM tiles (kernel::spmm_tile) on NHWC tensors:
/// each tile's input pixels are turned into a channel-major panel, and its channel-major
/// results back into pixel rows. Element by element, those two copies cost more than the
/// sparse arithmetic they feed at 90% sparsity; as 8x8 blocks they cost a few shuffles per
/// eight elements.
#pragma once

#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/core/shape.hpp"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

#if defined(__AVX__)
namespace detail {
/// r[j][i] <- r[i][j] for eight rows of eight 32-bit elements.
[[gnu::always_inline]] inline void transpose8x8(__m256 (&r)[8]) noexcept {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  const __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}
}  // namespace detail
#endif

/// dst[c * ldd + i] = rows[i][c] for c < n and i < m_pad, where rows i >= m and null rows
/// read as zeros: m pixel rows (n channels each, anywhere in memory) into a channel-major
/// panel of m_pad lanes.
template <class T>
void rows_to_columns(const T* const* rows, int m, int m_pad, index_t n, T* dst, index_t ldd) noexcept {
  static_assert(sizeof(T) == 4 && std::is_trivially_copyable_v<T>);
  auto at = [&](int i, index_t c) { return i < m && rows[i] ? rows[i][c] : T{}; };
  int i0 = 0;
#if defined(__AVX__)
  const index_t n8 = n / 8 * 8;
  for (; i0 + 8 <= m_pad; i0 += 8) {
    for (index_t c = 0; c < n8; c += 8) {
      __m256 r[8];
      for (int j = 0; j < 8; ++j) {
        const int i = i0 + j;
        r[j] = i < m && rows[i] ? _mm256_loadu_ps(reinterpret_cast<const float*>(rows[i] + c))
                                : _mm256_setzero_ps();
      }
      detail::transpose8x8(r);
      for (int j = 0; j < 8; ++j) _mm256_storeu_ps(reinterpret_cast<float*>(dst + (c + j) * ldd + i0), r[j]);
    }
    for (index_t c = n8; c < n; ++c)
      for (int i = i0; i < i0 + 8; ++i) dst[c * ldd + i] = at(i, c);
  }
#endif
  for (index_t c = 0; c < n; ++c)
    for (int i = i0; i < m_pad; ++i) dst[c * ldd + i] = at(i, c);
}

/// rows[i][c] = src[c * lds + i] for c < n and i < m, skipping null rows: a channel-major
/// tile back into m pixel rows.
template <class T>
void columns_to_rows(const T* src, index_t lds, index_t n, T* const* rows, int m) noexcept {
  static_assert(sizeof(T) == 4 && std::is_trivially_copyable_v<T>);
  int i0 = 0;
#if defined(__AVX__)
  const index_t n8 = n / 8 * 8;
  for (; i0 + 8 <= m; i0 += 8) {
    for (index_t c = 0; c < n8; c += 8) {
      __m256 r[8];
      for (int j = 0; j < 8; ++j) r[j] = _mm256_loadu_ps(reinterpret_cast<const float*>(src + (c + j) * lds + i0));
      detail::transpose8x8(r);
      for (int j = 0; j < 8; ++j)
        if (rows[i0 + j]) _mm256_storeu_ps(reinterpret_cast<float*>(rows[i0 + j] + c), r[j]);
    }
    for (int i = i0; i < i0 + 8; ++i)
      if (rows[i])
        for (index_t c = n8; c < n; ++c) rows[i][c] = src[c * lds + i];
  }
#endif
  for (int i = i0; i < m; ++i)
    if (rows[i])
      for (index_t c = 0; c < n; ++c) rows[i][c] = src[c * lds + i];
}

}  // namespace dlas::kernel
