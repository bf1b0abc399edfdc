// SPDX-License-Identifier: Apache-2.0
/// \file registry.hpp
/// \brief Every microkernel instance, as type lists that tests and benchmarks iterate.
#pragma once

#include <tuple>

#include "dlas/config.hpp"
#include "dlas/kernel/gemm_tile.hpp"
#include "dlas/kernel/i8_gemm_tile.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

/// Register blocking of the GEMM tiles the convolution algorithms use, per architecture:
/// 6 rows x 2 registers on x86 (6x16 on AVX2: 12 accumulators, 2 B registers and 1
/// broadcast of the 16 ymm registers); 8 rows x 3 registers on arm64 (8x12 on NEON: 24
/// accumulators, 3 B registers and 1 broadcast of the 32), the blocking of Arm's own
/// sgemm kernels.
template <class Arch>
struct gemm_blocking {
  static constexpr int mr = 6;
  static constexpr int nv = 2;
};
#if defined(__aarch64__)
template <>
struct gemm_blocking<xsimd::neon64> {
  static constexpr int mr = 8;
  static constexpr int nv = 3;
};
#endif

/// The fp32 GEMM tile the convolution algorithms use on `Arch`.
template <class Arch = default_arch>
using f32_gemm_tile = gemm_tile<float, gemm_blocking<Arch>::mr, gemm_blocking<Arch>::nv, Arch>;

/// The fp16 GEMM tile: the same blocking with B panels stored as half and widened in
/// registers (A stays fp32, see gemm_tile).
template <class Arch = default_arch>
using f16_gemm_tile = gemm_tile<half, gemm_blocking<Arch>::mr, gemm_blocking<Arch>::nv, Arch>;

/// Every fp32 GEMM tile instance for the target architecture; adding a tile is one line.
/// Each entry has name(), mr, nr, arch_type and available().
using f32_gemm_tiles = std::tuple<f32_gemm_tile<>,                      // f32_gemm_6x16_avx2, f32_gemm_8x12_neon
                                  gemm_tile<float, 4, 3, default_arch>,  // f32_gemm_4x24_avx2
                                  gemm_tile<float, 5, 2, default_arch>,  // f32_gemm_5x16_avx2
                                  gemm_tile<float, 8, 1, default_arch>,  // f32_gemm_8x8_avx2
                                  gemm_tile<float, 1, 2, default_arch>>; // f32_gemm_1x16_avx2

/// The int8 GEMM tile the int8 convolutions use. With AVX-512 VNNI, 8 rows x 32 columns (16
/// zmm accumulators, 2 B registers and the broadcast: the fp32 tile's share of the register
/// file, four times its products per instruction). Otherwise 4 rows x 16 columns (on AVX2: 8
/// int32 accumulators, 2 B registers, the broadcast, its magnitude, the sign-applied B and the
/// vpmaddwd ones, 14 of the 16 ymm registers; on NEON 16 accumulators, 4 B registers, the
/// broadcast and three temporaries of the Armv8.0 path).
///
/// i8_gemm_tail_tiles: narrower instances of the default's panel width, smallest first, for
/// an image's last rows (49 output pixels leave 1 row of 8, 196 leave 4): the 8-row tile
/// would compute 8 rows for them. i8_gemm_short_tiles: one for every row count below the
/// default's, for the tap regions of a padded image (5 or 7 pixels on a 7x7 output); kept
/// apart because the 1x1 layers measured 4% slower with them in their driver.
#if DLAS_HAS_AVX512_VNNI
using i8_gemm_tile_default = i8_gemm_tile<8, 4>;
using i8_gemm_tail_tiles = std::tuple<i8_gemm_tile<1, 4>, i8_gemm_tile<4, 4>>;
using i8_gemm_short_tiles = std::tuple<i8_gemm_tile<1, 4>, i8_gemm_tile<2, 4>, i8_gemm_tile<3, 4>, i8_gemm_tile<4, 4>,
                                       i8_gemm_tile<5, 4>, i8_gemm_tile<6, 4>, i8_gemm_tile<7, 4>>;
#else
using i8_gemm_tile_default = i8_gemm_tile<4, 2>;
using i8_gemm_tail_tiles = std::tuple<>;
using i8_gemm_short_tiles = std::tuple<>;
#endif

/// Every int8 GEMM tile instance (s8s32_gemm_4x16c4_avx2, u8s32_gemm_8x32c4_avx512_vnni,
/// ..._neon_dot, ..._neon, ..._scalar).
#if DLAS_HAS_AVX512_VNNI
using i8_gemm_tiles = std::tuple<i8_gemm_tile<8, 4>, i8_gemm_tile<4, 4>, i8_gemm_tile<1, 4>, i8_gemm_tile<4, 2>,
                                 i8_gemm_tile<2, 2>, i8_gemm_tile<6, 1>>;
#else
using i8_gemm_tiles = std::tuple<i8_gemm_tile<4, 2>, i8_gemm_tile<2, 2>, i8_gemm_tile<6, 1>>;
#endif

/// Every fp16-storage GEMM tile instance: the convolutions' tile and a single row.
using f16_gemm_tiles = std::tuple<f16_gemm_tile<>,                      // f16f32_gemm_6x16_avx2
                                  gemm_tile<half, 1, 2, default_arch>>; // f16f32_gemm_1x16_avx2

}  // namespace dlas::kernel
