// SPDX-License-Identifier: Apache-2.0
/// \file registry.hpp
/// \brief Every microkernel instance, as type lists that tests and benchmarks iterate.
#pragma once

#include <tuple>

#include "dlas/kernel/gemm_tile.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::kernel {

/// The fp32 GEMM tile the convolution algorithms use on `Arch`: 6 rows x 2 registers
/// (6x16 on AVX2: 12 accumulators, 2 B registers and 1 broadcast of the 16 ymm registers).
template <class Arch = default_arch>
using f32_gemm_tile = gemm_tile<float, 6, 2, Arch>;

/// Every fp32 GEMM tile instance for the target architecture; adding a tile is one line.
/// Each entry has name(), mr, nr, arch_type and available().
using f32_gemm_tiles = std::tuple<gemm_tile<float, 6, 2, default_arch>,  // f32_gemm_6x16_avx2
                                  gemm_tile<float, 4, 3, default_arch>,  // f32_gemm_4x24_avx2
                                  gemm_tile<float, 5, 2, default_arch>,  // f32_gemm_5x16_avx2
                                  gemm_tile<float, 8, 1, default_arch>,  // f32_gemm_8x8_avx2
                                  gemm_tile<float, 1, 2, default_arch>>; // f32_gemm_1x16_avx2

}  // namespace dlas::kernel
