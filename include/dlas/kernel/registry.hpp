// SPDX-License-Identifier: Apache-2.0
/// \file registry.hpp
/// \brief Every microkernel instance, as type lists that tests and benchmarks iterate.
#pragma once

#include <tuple>

#include "dlas/kernel/gemm_tile.hpp"
#include "dlas/kernel/i8_gemm_tile.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::kernel {

/// The fp32 GEMM tile the convolution algorithms use on `Arch`: 6 rows x 2 registers
/// (6x16 on AVX2: 12 accumulators, 2 B registers and 1 broadcast of the 16 ymm registers).
template <class Arch = default_arch>
using f32_gemm_tile = gemm_tile<float, 6, 2, Arch>;

/// The fp16 GEMM tile: the same 6 x 2-register blocking with B panels stored as half and
/// widened in registers (A stays fp32, see gemm_tile).
template <class Arch = default_arch>
using f16_gemm_tile = gemm_tile<half, 6, 2, Arch>;

/// Every fp32 GEMM tile instance for the target architecture; adding a tile is one line.
/// Each entry has name(), mr, nr, arch_type and available().
using f32_gemm_tiles = std::tuple<gemm_tile<float, 6, 2, default_arch>,  // f32_gemm_6x16_avx2
                                  gemm_tile<float, 4, 3, default_arch>,  // f32_gemm_4x24_avx2
                                  gemm_tile<float, 5, 2, default_arch>,  // f32_gemm_5x16_avx2
                                  gemm_tile<float, 8, 1, default_arch>,  // f32_gemm_8x8_avx2
                                  gemm_tile<float, 1, 2, default_arch>>; // f32_gemm_1x16_avx2

/// The int8 GEMM tile the int8 convolutions use: 4 rows x 2 registers (4x16 on AVX2: 8 int32
/// accumulators, 2 B registers, the broadcast, its magnitude, the sign-applied B and the
/// vpmaddwd ones: 14 of the 16 ymm registers).
using i8_gemm_tile_default = i8_gemm_tile<4, 2>;

/// Every int8 GEMM tile instance (s8s32_gemm_4x16c4_avx2, ...; "_scalar" without AVX2).
using i8_gemm_tiles = std::tuple<i8_gemm_tile<4, 2>, i8_gemm_tile<2, 2>, i8_gemm_tile<6, 1>>;

/// Every fp16-storage GEMM tile instance.
using f16_gemm_tiles = std::tuple<gemm_tile<half, 6, 2, default_arch>,  // f16f32_gemm_6x16_avx2
                                  gemm_tile<half, 1, 2, default_arch>>; // f16f32_gemm_1x16_avx2

}  // namespace dlas::kernel
