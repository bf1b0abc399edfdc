// SPDX-License-Identifier: Apache-2.0
/// \file spmm.hpp
/// \brief spmm_tile: sparse (CSR rows) times dense (channel-major pixels) microkernels with a
/// fused epilogue, the inner loops of the CSR convolutions.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <tuple>

#include "dlas/conv/options.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::kernel {

/// Y[NR x MR] = W[NR x kdim] (CSR, NR rows sharing one column pattern) * X[kdim x MR] + bias,
/// then optionally + residual and the activation, in registers.
///
/// X is addressed through a column offset table: non-zero e of the rows reads the MR
/// contiguous floats at x + off[cols[e]]. The table turns one kernel into every
/// convolution's inner loop: off[j] = j * H * W reads an NCHW input plane in place, j * MR a
/// packed panel, j * P * Q an im2col matrix. Every MR floats must be readable (sources are
/// padded or packed to full tiles); only the first m outputs are stored.
///
/// Names follow XNNPACK's SpMM scheme (docs/naming.md): f32_spmm_<MR pixels>x<NR rows>_<arch>,
/// e.g. f32_spmm_32x1_avx2 (one CSR row, four ymm accumulators) and f32_spmm_16x4_avx2 (a
/// block of four rows with one column pattern: each loaded input vector feeds four FMAs).
///
/// Values are read with kernel::broadcast_as_f32, so fp16 and int8 storage plug in there.
/// Each output is acc = fma(w_e, x_e, acc) over the row's non-zeros in stored order from 0
/// (single rows: even and odd non-zeros in two sums, added at the end), then acc + bias
/// (+ residual), whatever the tile and thread split: results are bitwise reproducible.
///
/// \tparam NV    SIMD registers per row (MR = NV * lanes)
/// \tparam NR    rows computed together (1, or a block of rows with identical columns)
/// \tparam Arch  xsimd architecture
template <int NV, int NR, class Arch>
struct spmm_tile {
  using batch = f32_batch<Arch>;
  using arch_type = Arch;
  static constexpr int lanes = int(batch::size);
  static constexpr int mr = NV * lanes;
  static constexpr int nr = NR;
  static_assert(NV * NR + NV + 1 <= 32, "dlas::kernel::spmm_tile: tile exceeds the register file");

  /// Instance name, e.g. "f32_spmm_32x1_avx2".
  static std::string name() {
    return "f32_spmm_" + std::to_string(mr) + "x" + std::to_string(NR) + "_" +
           std::string(kernel::arch_name<Arch>());
  }

  static bool available() noexcept { return kernel::arch_available<Arch>(); }

  /// \param w         NR value pointers: row r's non-zeros (nnz of them, same columns)
  /// \param cols      the shared column indices (uint8, uint16 or uint32)
  /// \param off       column -> element offset into x
  /// \param x         the tile's first pixel
  /// \param y         NR output row pointers (m contiguous floats each)
  /// \param m         valid pixels, 1 .. MR
  /// \param bias      NR biases
  /// \param residual  NR residual row pointers, or null
  template <class V, class I>
  static void run(const V* const* w, const I* cols, index_t nnz, const std::int32_t* off,
                  const float* x, float* const* y, int m, const float* bias,
                  const float* const* residual, activation act) noexcept {
    batch acc[NR][NV];
    DLAS_UNROLL
    for (int r = 0; r < NR; ++r) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) acc[r][j] = batch(0.0f);
    }
    const V* wp[NR];
    DLAS_UNROLL
    for (int r = 0; r < NR; ++r) wp[r] = w[r];
    index_t e = 0;
    if constexpr (NR == 1) {
      // One row: a second set of accumulators takes the odd non-zeros, so 2 * NV FMA
      // chains hide the FMA latency. Every instance splits the same way, so a pixel's sum
      // does not depend on the tile width.
      batch odd[NV];
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) odd[j] = batch(0.0f);
      for (; e + 1 < nnz; e += 2) {
        const float* x0 = x + off[cols[e]];
        const float* x1 = x + off[cols[e + 1]];
        const batch w0 = kernel::broadcast_as_f32<Arch>(wp[0] + e);
        const batch w1 = kernel::broadcast_as_f32<Arch>(wp[0] + e + 1);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          acc[0][j] = xsimd::fma(w0, batch::load_unaligned(x0 + j * lanes), acc[0][j]);
          odd[j] = xsimd::fma(w1, batch::load_unaligned(x1 + j * lanes), odd[j]);
        }
      }
      if (e < nnz) {
        const float* x0 = x + off[cols[e]];
        const batch w0 = kernel::broadcast_as_f32<Arch>(wp[0] + e);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j)
          acc[0][j] = xsimd::fma(w0, batch::load_unaligned(x0 + j * lanes), acc[0][j]);
        ++e;
      }
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) acc[0][j] += odd[j];
    }
    for (; e < nnz; ++e) {
      const float* xp = x + off[cols[e]];
      batch xv[NV];
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) xv[j] = batch::load_unaligned(xp + j * lanes);
      DLAS_UNROLL
      for (int r = 0; r < NR; ++r) {
        const batch wv = kernel::broadcast_as_f32<Arch>(wp[r] + e);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) acc[r][j] = xsimd::fma(wv, xv[j], acc[r][j]);
      }
    }
    if (m == mr) {
      DLAS_UNROLL
      for (int r = 0; r < NR; ++r) {
        const batch bv(bias[r]);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          batch v = acc[r][j] + bv;
          if (residual) v += batch::load_unaligned(residual[r] + j * lanes);
          if (act != activation::none) {
            v = xsimd::max(v, batch(0.0f));
            if (act == activation::relu6) v = xsimd::min(v, batch(6.0f));
          }
          v.store_unaligned(y[r] + j * lanes);
        }
      }
      return;
    }
    alignas(64) float tmp[mr];
    for (int r = 0; r < NR; ++r) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) acc[r][j].store_aligned(tmp + j * lanes);
      for (int i = 0; i < m; ++i) {
        float v = tmp[i] + bias[r];
        if (residual) v += residual[r][i];
        if (act != activation::none) {
          v = std::max(v, 0.0f);
          if (act == activation::relu6) v = std::min(v, 6.0f);
        }
        y[r][i] = v;
      }
    }
  }
};

/// Registers per row of the single-row SpMM tile: 4 (32 pixels on AVX2, 64 on AVX-512).
inline constexpr int spmm_row_vectors = 4;

/// The single-row tile the CSR convolutions use: f32_spmm_32x1_avx2 on AVX2.
template <class Arch = default_arch>
using f32_spmm_row_tile = spmm_tile<spmm_row_vectors, 1, Arch>;

/// The block tile for groups of four rows with identical columns: f32_spmm_16x4_avx2 on
/// AVX2 (8 accumulators, 2 input and 1 weight register); run twice per 32-pixel tile.
template <class Arch = default_arch>
using f32_spmm_block_tile = spmm_tile<spmm_row_vectors / 2, 4, Arch>;

/// Every fp32 SpMM instance for the target architecture.
using f32_spmm_tiles = std::tuple<f32_spmm_row_tile<>, f32_spmm_block_tile<>>;

}  // namespace dlas::kernel
