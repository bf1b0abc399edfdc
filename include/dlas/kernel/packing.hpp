// SPDX-License-Identifier: Apache-2.0
/// \file packing.hpp
/// \brief Packing of GEMM operands into the NR-wide panels gemm_tile reads.
#pragma once

#include <algorithm>
#include <cstring>

#include "dlas/config.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

/// Elements of the packed form of a kdim x n matrix in panels of NR columns (the last
/// panel zero-padded): the one formula the packers and the footprints share.
template <int NR>
constexpr index_t packed_panels_elements(index_t kdim, index_t n) noexcept {
  return (n + NR - 1) / NR * NR * kdim;
}

/// Packs columns [j0, j0 + n) (n <= NR) of a kdim x N matrix into one panel:
/// dst[k * NR + j] = src(k, j0 + j), zero for j >= n.
///
/// `src(k, j)` returns the element as stored (T), so fp16 and int8 panels reuse the packer.
template <int NR, class T, class Src>
void pack_panel(T* dst, index_t kdim, index_t j0, index_t n, Src&& src) {
  for (index_t k = 0; k < kdim; ++k) {
    T* d = dst + k * NR;
    index_t j = 0;
    for (; j < n; ++j) d[j] = src(k, j0 + j);
    for (; j < NR; ++j) d[j] = T(0);
  }
}

/// Packs a whole kdim x n matrix into consecutive panels (packed_panels_elements<NR>).
template <int NR, class T, class Src>
void pack_panels(T* dst, index_t kdim, index_t n, Src&& src) {
  for (index_t j0 = 0; j0 < n; j0 += NR)
    kernel::pack_panel<NR>(dst + j0 * kdim, kdim, j0, std::min<index_t>(NR, n - j0), src);
}

/// Packs a panel whose rows are contiguous runs: row k is `rows(k)` (a pointer to n stored
/// values) or null for a zero row. This is the fast path for NCHW activations, where
/// neighbouring output pixels read neighbouring inputs.
template <int NR, class T, class Rows>
void pack_panel_rows(T* dst, index_t kdim, index_t n, Rows&& rows) {
  for (index_t k = 0; k < kdim; ++k) {
    T* d = dst + k * NR;
    const T* s = rows(k);
    if (s && n == NR) {
      std::memcpy(d, s, sizeof(T) * NR);
    } else {
      index_t j = 0;
      if (s)
        for (; j < n; ++j) d[j] = s[j];
      for (; j < NR; ++j) d[j] = T(0);
    }
  }
}

}  // namespace dlas::kernel
