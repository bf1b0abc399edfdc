// SPDX-License-Identifier: Apache-2.0
/// \file i8_gemm_tile.hpp
/// \brief i8_gemm_tile: an MR x NR register-blocked int8 GEMM microkernel with exact int32
/// accumulation (AVX2 vpmaddubsw + vpmaddwd, a portable scalar loop elsewhere).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "dlas/core/shape.hpp"
#include "dlas/kernel/simd.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace dlas::kernel {

/// Bytes of the int8 depth that one step of the tile consumes: vpmaddubsw + vpmaddwd reduce
/// 4 consecutive products into one int32 lane.
inline constexpr index_t i8_depth_step = 4;

/// Depth rounded up to whole steps; the extra columns of A and B are zero.
constexpr index_t i8_padded_depth(index_t kdim) noexcept {
  return (kdim + i8_depth_step - 1) / i8_depth_step * i8_depth_step;
}

/// C (MR x NR int32, row-major, row stride NR) = A (m x kdim) * B (kdim x NR), all int8.
///
/// A is given as MR row pointers to `kq * 4` signed values (rows at or beyond m are never
/// read). B is a packed panel of kq steps, each NR columns x 4 consecutive depth values
/// (b[(q * NR + j) * 4 + u] = B(4q + u, j)).
///
/// Saturation. vpmaddubsw multiplies an unsigned by a signed byte and adds adjacent pairs
/// into int16 with saturation: 255 * 127 * 2 would not fit. The tile therefore takes the
/// activations shifted to signed (x' = x - 128 for uint8 codes, in [-128, 127]) and the
/// weights in [-127, 127] (the symmetric quantiser never produces -128; the convolution
/// checks it) and computes x' * w as |x'| * (w * sign(x')): vpabsb gives |x'| in [0, 128]
/// (unsigned, so -128 is representable), vpsignb gives w * sign(x') in [-127, 127], and a
/// pair sums to at most 2 * 128 * 127 = 32512 < 32767. Every vpmaddubsw result is exact, so
/// the int32 sums equal the scalar loop's for any data; docs/policy_precision.md compares
/// the alternatives.
///
/// \tparam MR  rows (output pixels) of the register tile
/// \tparam NV  int32 registers per row (NR = 8 * NV output channels on AVX2)
template <int MR, int NV, class Arch = default_arch>
struct i8_gemm_tile {
  static constexpr int mr = MR;
  static constexpr int nr = NV * 8;
  using arch_type = Arch;
  static_assert(MR * NV + NV + 4 <= 16, "dlas::kernel::i8_gemm_tile: tile exceeds the 16 ymm registers");

  /// Whether this build uses the AVX2 instructions (otherwise the exact scalar loop).
  static constexpr bool vectorized() noexcept {
#if defined(__AVX2__)
    return true;
#else
    return false;
#endif
  }

  /// Instance name, e.g. "s8s32_gemm_4x16c4_avx2" (docs/naming.md; A is the signed x'),
  /// "_scalar" without AVX2.
  static std::string name() {
    return "s8s32_gemm_" + std::to_string(MR) + "x" + std::to_string(nr) + "c4_" +
           (vectorized() ? std::string("avx2") : std::string("scalar"));
  }

  static bool available() noexcept {
    if constexpr (vectorized()) return kernel::arch_available<xsimd::avx2>();
    else return true;
  }

  /// Computes one tile; see the class comment. m in [1, MR], kq >= 0 steps of 4.
  static void run(index_t kq, const std::int8_t* const* a, const std::int8_t* b, std::int32_t* c,
                  int m) noexcept {
    const std::int8_t* ap[MR];
    for (int i = 0; i < MR; ++i) ap[i] = a[i < m ? i : 0];
#if defined(__AVX2__)
    __m256i acc[MR][NV];
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_setzero_si256();
    }
    const __m256i ones = _mm256_set1_epi16(1);
    // Not unrolled: clang 14 unrolls this loop by default and then spills accumulators.
#if defined(__clang__)
#pragma clang loop unroll(disable)
#endif
    for (index_t q = 0; q < kq; ++q) {
      __m256i bv[NV];
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j)
        bv[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + (q * nr + j * 8) * 4));
      DLAS_UNROLL
      for (int i = 0; i < MR; ++i) {
        std::int32_t word;
        __builtin_memcpy(&word, ap[i] + q * 4, 4);
        const __m256i av = _mm256_set1_epi32(word);
        const __m256i mag = _mm256_abs_epi8(av);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          const __m256i pairs = _mm256_maddubs_epi16(mag, _mm256_sign_epi8(bv[j], av));
          acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(pairs, ones));
        }
      }
    }
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + i * nr + j * 8), acc[i][j]);
    }
#else
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < nr; ++j) {
        std::int32_t s = 0;
        for (index_t q = 0; q < kq; ++q)
          for (int u = 0; u < 4; ++u)
            s += std::int32_t(ap[i][q * 4 + u]) * std::int32_t(b[(q * nr + j) * 4 + u]);
        c[i * nr + j] = s;
      }
#endif
  }
};

/// Packs columns [j0, j0 + n) (n <= NR) of a kdim x N int8 matrix into one i8_gemm_tile
/// panel: dst[(q * NR + j) * 4 + u] = src(4q + u, j0 + j), zero past kdim and past n.
template <int NR, class Src>
void pack_i8_panel(std::int8_t* dst, index_t kdim, index_t j0, index_t n, Src&& src) {
  const index_t kq = i8_padded_depth(kdim) / i8_depth_step;
  for (index_t q = 0; q < kq; ++q)
    for (index_t j = 0; j < NR; ++j)
      for (index_t u = 0; u < i8_depth_step; ++u) {
        const index_t k = q * i8_depth_step + u;
        dst[(q * NR + j) * i8_depth_step + u] = j < n && k < kdim ? src(k, j0 + j) : std::int8_t(0);
      }
}

}  // namespace dlas::kernel
