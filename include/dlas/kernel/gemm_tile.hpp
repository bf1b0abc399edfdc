// SPDX-License-Identifier: Apache-2.0
/// \file gemm_tile.hpp
/// \brief gemm_tile: an MR x NR register-blocked GEMM microkernel with a fused epilogue.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

/// Where the bias of a tile comes from: one value per row (NCHW: rows are output channels),
/// one per column (NHWC: columns are output channels), or none.
enum class bias_mode { none, per_row, per_col };

/// What a tile does with its accumulators, given at the tile's origin.
///
/// `accumulate` starts from C's current values (a later block of the K dimension), so a sum
/// split into blocks is computed in exactly the order of the unsplit one. `finish` applies
/// y = act(acc + bias + residual), the semantics of conv::epilogue, to the last block, and
/// stores y to C, or rounded once to half to `out_half` (fp16 outputs: C then only holds
/// the partial sums of earlier blocks).
struct tile_epilogue {
  bool accumulate = false;        ///< start from C instead of zero
  bool finish = true;             ///< apply bias, residual and activation before storing
  bias_mode bias = bias_mode::none;
  const float* bias_ptr = nullptr;  ///< bias of row 0 / column 0 of the tile
  const float* residual = nullptr;  ///< residual at the tile origin, same row stride as C
  activation act = activation::none;
  half* out_half = nullptr;       ///< finish: the half output at the tile origin (stride of C)
  const half* residual_half = nullptr;  ///< a half residual instead of `residual`
};

/// The epilogue of one element (row i, column j of the tile) in scalar code: the same
/// operations in the same order as the vector path, so edge tiles match full ones bit for bit.
[[gnu::always_inline]] inline float finish_scalar(float v, const tile_epilogue& ep, int i, int j,
                                                  index_t ldc) noexcept {
  if (ep.bias == bias_mode::per_row) v += ep.bias_ptr[i];
  else if (ep.bias == bias_mode::per_col) v += ep.bias_ptr[j];
  if (ep.residual) v += ep.residual[i * ldc + j];
  else if (ep.residual_half) v += float(ep.residual_half[i * ldc + j]);
  return activated(v, ep.act);
}

/// C (m x n, row stride ldc, column stride 1) = A (m x kc) * B (kc x n), m <= MR, n <= NR.
///
/// A is given as MR row pointers, each row kc contiguous values (an im2col row, an input
/// pixel's channels in NHWC, a weight row in NCHW): no packing is needed for A. Rows at or
/// beyond m are never read. B is a packed panel: kc rows of NR contiguous values, columns
/// at or beyond n zero, stored as T (float or dlas::half) and widened to fp32 in registers
/// (kernel::load_as_f32), so fp16 weights reuse this blocking at half the bytes.
///
/// A is always fp32: each A value is broadcast once per MR x NV FMAs, where a widening
/// conversion per broadcast would cost as much as the FMAs it feeds; the fp16 drivers widen
/// A once per image instead and reuse it across every panel.
///
/// \tparam T     storage type of B (float or dlas::half)
/// \tparam MR    rows of the register tile
/// \tparam NV    SIMD registers per tile row (NR = NV * lanes)
/// \tparam Arch  xsimd architecture
template <class T, int MR, int NV, class Arch>
struct gemm_tile {
  using batch = f32_batch<Arch>;
  using arch_type = Arch;
  using storage_type = T;
  static constexpr int mr = MR;
  static constexpr int nr = NV * int(batch::size);
  static_assert(MR * NV + NV + 1 <= 32, "dlas::kernel::gemm_tile: tile exceeds the register file");

  /// Instance name, e.g. "f32_gemm_6x16_avx2" or "f16f32_gemm_6x16_avx2" (docs/naming.md):
  /// half storage of B adds the fp32 accumulator to the prefix.
  static std::string name() {
    return std::string(std::is_same_v<T, float> ? "f32" : "f16f32") + "_gemm_" + std::to_string(MR) + "x" + std::to_string(nr) + "_" +
           std::string(kernel::arch_name<Arch>());
  }

  static bool available() noexcept { return kernel::arch_available<Arch>(); }

  /// Computes one tile; see the class comment. m in [1, MR], n in [1, NR], kc >= 0. `ldb`:
  /// elements from one row of B to the next (NR for a packed panel; an NCHW plane's pixel
  /// count when B is read in place). HalfOut: the instance that honours ep.out_half and
  /// ep.residual_half (fp32 outputs keep the epilogue without them).
  template <bool HalfOut = false>
  static void run(index_t kc, const float* const* a, const T* b, float* c, index_t ldc, int m, int n,
                  const tile_epilogue& ep, index_t ldb = nr) noexcept {
    constexpr int lanes = int(batch::size);
    batch acc[MR][NV];
    const bool full = m == MR && n == nr;
    alignas(64) float tmp[MR * nr];
    if (ep.accumulate && !full) {
      for (int i = 0; i < MR; ++i)
        for (int j = 0; j < nr; ++j) tmp[i * nr + j] = i < m && j < n ? c[i * ldc + j] : 0.0f;
    }
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) {
        if (!ep.accumulate) acc[i][j] = batch(0.0f);
        else if (full) acc[i][j] = batch::load_unaligned(c + i * ldc + j * lanes);
        else acc[i][j] = batch::load_aligned(tmp + i * nr + j * lanes);
      }
    }
    const float* ap[MR];
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) ap[i] = a[i < m ? i : 0];
    for (index_t k = 0; k < kc; ++k) {
      batch bv[NV];
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) bv[j] = kernel::load_as_f32<Arch>(b + j * lanes);
      DLAS_UNROLL
      for (int i = 0; i < MR; ++i) {
        const batch av = kernel::broadcast_as_f32<Arch>(ap[i] + k);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) acc[i][j] = kernel::fmadd(av, bv[j], acc[i][j]);
      }
      b += ldb;
    }
    if (full) {
      DLAS_UNROLL
      for (int i = 0; i < MR; ++i) {
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          batch v = acc[i][j];
          if (ep.finish) {
            if (ep.bias == bias_mode::per_row) v += batch(ep.bias_ptr[i]);
            else if (ep.bias == bias_mode::per_col) v += batch::load_unaligned(ep.bias_ptr + j * lanes);
            if (ep.residual) v += batch::load_unaligned(ep.residual + i * ldc + j * lanes);
            else if (HalfOut && ep.residual_half) v += kernel::load_as_f32<Arch>(ep.residual_half + i * ldc + j * lanes);
            v = activated(v, ep.act);
            if (HalfOut && ep.out_half) {
              kernel::store_from_f32<Arch>(ep.out_half + i * ldc + j * lanes, v);
              continue;
            }
          }
          v.store_unaligned(c + i * ldc + j * lanes);
        }
      }
      return;
    }
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) acc[i][j].store_aligned(tmp + i * nr + j * lanes);
    }
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        float v = tmp[i * nr + j];
        if (ep.finish) {
          v = kernel::finish_scalar(v, ep, i, j, ldc);
          if (HalfOut && ep.out_half) {
            ep.out_half[i * ldc + j] = half(v);
            continue;
          }
        }
        c[i * ldc + j] = v;
      }
  }
};

/// Runs `Tile` on m rows through the instance with exactly m rows (MR = m, same NV and Arch),
/// so that a last row tile with m < MR keeps the vector epilogue instead of the scalar one.
template <class Tile, bool HalfOut = false>
[[gnu::always_inline]] inline void run_rows(index_t kc, const float* const* a,
                                            const typename Tile::storage_type* b, float* c,
                                            index_t ldc, int m, int n, const tile_epilogue& ep,
                                            index_t ldb = Tile::nr) noexcept {
  using T = typename Tile::storage_type;
  using A = typename Tile::arch_type;
  constexpr int nv = Tile::nr / int(Tile::batch::size);
  if (m == Tile::mr) return Tile::template run<HalfOut>(kc, a, b, c, ldc, m, n, ep, ldb);
  [&]<int... I>(std::integer_sequence<int, I...>) {
    ((m == I + 1 ? gemm_tile<T, I + 1, nv, A>::template run<HalfOut>(kc, a, b, c, ldc, m, n, ep, ldb) : void()), ...);
  }(std::make_integer_sequence<int, Tile::mr - 1>{});
}

}  // namespace dlas::kernel
