// SPDX-License-Identifier: Apache-2.0
/// \file conv_fp64.hpp
/// \brief The test oracle: a plain fp64 loop convolution, independent of the library's kernels.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dlas/core/shape.hpp"

namespace dlas::testing {

/// Logical NCHW fp64 tensor used by the oracle (tests convert to and from each layout).
struct tensor64 {
  index_t n = 0, c = 0, h = 0, w = 0;
  std::vector<double> v;
  tensor64() = default;
  tensor64(index_t n_, index_t c_, index_t h_, index_t w_)
      : n(n_), c(c_), h(h_), w(w_), v(std::size_t(n_ * c_ * h_ * w_), 0.0) {}
  double& at(index_t i, index_t j, index_t y, index_t x) { return v[std::size_t(((i * c + j) * h + y) * w + x)]; }
  double at(index_t i, index_t j, index_t y, index_t x) const {
    return v[std::size_t(((i * c + j) * h + y) * w + x)];
  }
};

/// y[n][k][p][q] = bias[k] + sum_{c,r,s} x[n][g*C/G + c][p*sh - pt + r*dh][q*sw - pl + s*dw]
///                 * w[k][c][r][s], with zero padding; weights K x C/G x R x S row-major.
/// `sum_abs` (optional) receives sum |x * w| per output, for error bounds.
inline tensor64 conv_fp64(const conv2d_shape& sh, const tensor64& x, const std::vector<double>& wt,
                          const std::vector<double>& bias, tensor64* sum_abs = nullptr) {
  const index_t P = (sh.h + sh.pad_top + sh.pad_bottom - (sh.r - 1) * sh.dilation_h - 1) / sh.stride_h + 1;
  const index_t Q = (sh.w + sh.pad_left + sh.pad_right - (sh.s - 1) * sh.dilation_w - 1) / sh.stride_w + 1;
  const index_t cg = sh.c / sh.groups, kg = sh.k / sh.groups;
  tensor64 y(sh.n, sh.k, P, Q);
  if (sum_abs) *sum_abs = tensor64(sh.n, sh.k, P, Q);
  for (index_t n = 0; n < sh.n; ++n)
    for (index_t k = 0; k < sh.k; ++k)
      for (index_t p = 0; p < P; ++p)
        for (index_t q = 0; q < Q; ++q) {
          double acc = bias.empty() ? 0.0 : bias[std::size_t(k)], mag = 0.0;
          for (index_t c = 0; c < cg; ++c)
            for (index_t r = 0; r < sh.r; ++r)
              for (index_t s = 0; s < sh.s; ++s) {
                const index_t iy = p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
                const index_t ix = q * sh.stride_w - sh.pad_left + s * sh.dilation_w;
                if (iy < 0 || iy >= sh.h || ix < 0 || ix >= sh.w) continue;
                const double prod =
                    x.at(n, (k / kg) * cg + c, iy, ix) * wt[std::size_t(((k * cg + c) * sh.r + r) * sh.s + s)];
                acc += prod;
                mag += prod < 0 ? -prod : prod;
              }
          y.at(n, k, p, q) = acc;
          if (sum_abs) sum_abs->at(n, k, p, q) = mag;
        }
  return y;
}

}  // namespace dlas::testing
