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
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

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
/// Values are read with value_as_f32 (kernel::broadcast_as_f32 for float and half, an exact
/// conversion for int8 codes); run() finishes in fp32, run_exact() returns exact int32 sums
/// for int8 weights and zero-point-shifted integer inputs.
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

  /// One stored value broadcast to every lane: float and half through
  /// kernel::broadcast_as_f32, int8 codes converted exactly.
  template <class V>
  [[gnu::always_inline]] static batch value_as_f32(const V* p) noexcept {
    if constexpr (std::is_same_v<V, std::int8_t>) return batch(float(*p));
    else return kernel::broadcast_as_f32<Arch>(p);
  }

  /// acc[r][j] = the row's sum over its non-zeros for lanes j (see the class comment for the
  /// order); shared by run() and run_exact().
  template <class V, class I>
  [[gnu::always_inline]] static void accumulate(const V* const* w, const I* cols, index_t nnz,
                                                const std::int32_t* off, const float* x,
                                                batch (&acc)[NR][NV]) noexcept {
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
        const batch w0 = value_as_f32(wp[0] + e);
        const batch w1 = value_as_f32(wp[0] + e + 1);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          acc[0][j] = kernel::fmadd(w0, batch::load_unaligned(x0 + j * lanes), acc[0][j]);
          odd[j] = kernel::fmadd(w1, batch::load_unaligned(x1 + j * lanes), odd[j]);
        }
      }
      if (e < nnz) {
        const float* x0 = x + off[cols[e]];
        const batch w0 = value_as_f32(wp[0] + e);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j)
          acc[0][j] = kernel::fmadd(w0, batch::load_unaligned(x0 + j * lanes), acc[0][j]);
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
        const batch wv = value_as_f32(wp[r] + e);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) acc[r][j] = kernel::fmadd(wv, xv[j], acc[r][j]);
      }
    }
  }

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
    accumulate(w, cols, nnz, off, x, acc);
    if (m == mr) {
      DLAS_UNROLL
      for (int r = 0; r < NR; ++r) {
        const batch bv(bias[r]);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          batch v = acc[r][j] + bv;
          if (residual) v += batch::load_unaligned(residual[r] + j * lanes);
          activated(v, act).store_unaligned(y[r] + j * lanes);
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
        y[r][i] = activated(v, act);
      }
    }
  }

  /// int8: y[r][i] (+)= the row's sum, as int32, for i < m; no bias, no epilogue (the int32
  /// epilogue follows in conv::epilogue). `add` accumulates onto y (later runs of a long row).
  ///
  /// Exact when x holds integers with |x| <= 255 (input code minus zero point), the values
  /// are int8 codes (|w| <= 128) and nnz <= i8_exact_run: every partial sum, in whichever
  /// order, is an integer of magnitude <= nnz * 255 * 128 < 2^24, which fp32 represents
  /// exactly, so each FMA is exact and so is the conversion to int32.
  template <class I>
  static void run_exact(const std::int8_t* const* w, const I* cols, index_t nnz,
                        const std::int32_t* off, const float* x, std::int32_t* const* y, int m,
                        bool add) noexcept {
    using ibatch = xsimd::batch<std::int32_t, Arch>;
    batch acc[NR][NV];
    accumulate(w, cols, nnz, off, x, acc);
    if (m == mr) {
      DLAS_UNROLL
      for (int r = 0; r < NR; ++r) {
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          ibatch v = xsimd::batch_cast<std::int32_t>(acc[r][j]);
          if (add) v += ibatch::load_unaligned(y[r] + j * lanes);
          v.store_unaligned(y[r] + j * lanes);
        }
      }
      return;
    }
    alignas(64) float tmp[mr];
    for (int r = 0; r < NR; ++r) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) acc[r][j].store_aligned(tmp + j * lanes);
      for (int i = 0; i < m; ++i) y[r][i] = (add ? y[r][i] : 0) + std::int32_t(tmp[i]);
    }
  }
};

/// Most non-zeros one run_exact call may sum: floor(2^24 / (255 * 128)) = 514, so that every
/// fp32 partial sum of int8 products stays an exactly representable integer. Longer rows are
/// split into runs of this many non-zeros, added in int32.
inline constexpr index_t i8_exact_run = (index_t{1} << 24) / (255 * 128);

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
