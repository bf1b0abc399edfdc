// SPDX-License-Identifier: Apache-2.0
/// \file winograd.hpp
/// \brief algo::winograd in fp32: F(4x4, 3x3) minimal filtering for 3x3 stride-1 convolutions,
/// the 36 transformed-domain products as GEMMs on kernel::gemm_tile.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory_resource>
#include <string>
#include <utility>

#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/epilogue.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/kernel/gemm_tile.hpp"

namespace dlas::conv {

namespace detail {

/// F(4x4, 3x3) (Lavin and Gray 2016, interpolation points 0, +-1, +-2, infinity): a 6x6 input
/// tile gives a 4x4 output tile with 36 multiplies per channel pair instead of 144.
inline constexpr int wino_m = 4;              // output tile
inline constexpr int wino_a = 6;              // input tile
inline constexpr int wino_xi = wino_a * wino_a;  // transformed points

/// The GEMM register tile of the transformed-domain products.
using wino_tile = kernel::gemm_tile<float, 6, 2, kernel::default_arch>;
inline constexpr index_t wino_nr = wino_tile::nr;  // tiles per packed panel

/// u = G g G^T for one 3x3 filter g (row-major), u row-major 6x6.
inline void wino_weight_transform(const float* g, float* u) noexcept {
  constexpr double G[6][3] = {{1.0 / 4, 0, 0},          {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                              {-1.0 / 6, 1.0 / 6, -1.0 / 6}, {1.0 / 24, 1.0 / 12, 1.0 / 6},
                              {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
  double t[6][3];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 3; ++j)
      t[i][j] = G[i][0] * g[0 * 3 + j] + G[i][1] * g[1 * 3 + j] + G[i][2] * g[2 * 3 + j];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j)
      u[i * 6 + j] = float(t[i][0] * G[j][0] + t[i][1] * G[j][1] + t[i][2] * G[j][2]);
}

/// B^T x for one column of 6 values (stride `st`), written to y (stride `sy`).
[[gnu::always_inline]] inline void wino_bt(const float* x, index_t st, float* y, index_t sy) noexcept {
  const float x0 = x[0], x1 = x[st], x2 = x[2 * st], x3 = x[3 * st], x4 = x[4 * st], x5 = x[5 * st];
  y[0] = 4.0f * x0 - 5.0f * x2 + x4;
  y[sy] = -4.0f * (x1 + x2) + (x3 + x4);
  y[2 * sy] = 4.0f * (x1 - x2) + (x4 - x3);
  y[3 * sy] = 2.0f * (x3 - x1) + (x4 - x2);
  y[4 * sy] = 2.0f * (x1 - x3) + (x4 - x2);
  y[5 * sy] = 4.0f * x1 - 5.0f * x3 + x5;
}

/// A^T x for one column of 6 values, 4 results.
[[gnu::always_inline]] inline void wino_at(const float* x, index_t st, float* y, index_t sy) noexcept {
  const float x0 = x[0], x1 = x[st], x2 = x[2 * st], x3 = x[3 * st], x4 = x[4 * st], x5 = x[5 * st];
  const float s12 = x1 + x2, d12 = x1 - x2, s34 = x3 + x4, d34 = x3 - x4;
  y[0] = x0 + s12 + s34;
  y[sy] = d12 + 2.0f * d34;
  y[2 * sy] = s12 + 4.0f * s34;
  y[3 * sy] = d12 + 8.0f * d34 + x5;
}

/// How the tiles of one call are split into chunks processed one after another: the two
/// transformed buffers of a chunk stay below this many bytes when a single panel allows.
inline constexpr index_t wino_chunk_budget = index_t{16} << 20;

struct wino_plan {
  index_t tiles_h, tiles_w, tiles;  // output tiles per image row / column, in all images
  index_t panels;                   // panels of wino_nr tiles, in all
  index_t chunk_panels;             // panels per chunk
  index_t v_floats, m_floats;       // transformed input (packed panels) and products, per chunk

  static constexpr wino_plan of(const conv2d_shape& sh) noexcept {
    wino_plan p{};
    p.tiles_h = (sh.output_h() + wino_m - 1) / wino_m;
    p.tiles_w = (sh.output_w() + wino_m - 1) / wino_m;
    p.tiles = sh.n * p.tiles_h * p.tiles_w;
    p.panels = (p.tiles + wino_nr - 1) / wino_nr;
    const index_t per_panel = wino_xi * wino_nr * (sh.c + sh.k) * index_t(sizeof(float));
    p.chunk_panels = std::clamp<index_t>(wino_chunk_budget / per_panel, 1, p.panels);
    p.v_floats = wino_xi * p.chunk_panels * sh.c * wino_nr;
    p.m_floats = wino_xi * sh.k * p.chunk_panels * wino_nr;
    return p;
  }
};

}  // namespace detail

/// Winograd F(4x4, 3x3) fp32 convolution for 3x3 kernels, stride 1, dilation 1, groups 1, any
/// padding, NCHW and NHWC.
///
/// F(4x4, 3x3) rather than F(2x2, 3x3): 4x fewer multiplies instead of 2.25x, for an error
/// that stays near 1e-6 relative on ResNet-like layers (docs/winograd.md measures it); the
/// larger F(6x6, 3x3) loses too much accuracy in fp32.
///
/// Weights are transformed at construction into 36 K x C matrices U. A call splits the output
/// tiles into chunks (wino_plan; the split depends only on the shape) and for each chunk
/// transforms the input into 36 packed C x tiles panels V, computes the 36 products
/// M = U V with kernel::gemm_tile, and transforms M back, adding bias and residual and
/// applying the activation on the way out. Each stage writes disjoint memory per parallel
/// index, so results are bitwise identical for any thread count.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::winograd> {
 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<precision::fp32, sparsity::dense>;

  static status can_implement(const conv2d_shape& sh) {
    if (sh.r != 3 || sh.s != 3)
      return {errc::unsupported, "algo::winograd implements 3x3 kernels only; got " +
                                     std::to_string(sh.r) + "x" + std::to_string(sh.s)};
    if (sh.stride_h != 1 || sh.stride_w != 1)
      return {errc::unsupported, "algo::winograd needs stride 1; got " + std::to_string(sh.stride_h) +
                                     "x" + std::to_string(sh.stride_w)};
    if (sh.dilation_h != 1 || sh.dilation_w != 1)
      return {errc::unsupported, "algo::winograd needs dilation 1; got " +
                                     std::to_string(sh.dilation_h) + "x" + std::to_string(sh.dilation_w)};
    if (sh.groups != 1)
      return {errc::unsupported, "algo::winograd supports groups = 1 only; got groups " +
                                     std::to_string(sh.groups) +
                                     " (use algo::depthwise or algo::im2col_gemm)"};
    return {};
  }

  /// 36 transformed K x C matrices and the bias: the formula the constructor allocates with.
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t = 0) noexcept {
    return buffer_bytes<float>(detail::wino_xi * sh.k * sh.c) + buffer_bytes<float>(sh.k);
  }
  /// The transformed input and the products of one chunk of tiles.
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    const detail::wino_plan p = detail::wino_plan::of(sh);
    return buffer_bytes<float>(p.v_floats) + buffer_bytes<float>(p.m_floats);
  }

  algorithm_impl(const conv2d_shape& sh, weights_type&& weights, const conv2d_options& opt)
      : shape_(sh), act_(opt.act), u_(detail::wino_xi * sh.k * sh.c, uninitialized),
        bias_(weights.bias()) {
    const float* g = weights.matrix().data();  // K x C x 3 x 3
    float u[detail::wino_xi];
    for (index_t k = 0; k < sh.k; ++k)
      for (index_t c = 0; c < sh.c; ++c) {
        detail::wino_weight_transform(g + (k * sh.c + c) * 9, u);
        for (int xi = 0; xi < detail::wino_xi; ++xi) u_[(xi * sh.k + k) * sh.c + c] = u[xi];
      }
  }

  index_t weight_bytes() const noexcept { return u_.bytes() + bias_.bytes(); }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr) const {
    static_assert(std::is_same_v<In, float> && std::is_same_v<Out, float>,
                  "algo::winograd fp32 takes float tensors");
    using namespace detail;
    const conv2d_shape& sh = shape_;
    const wino_plan plan = wino_plan::of(sh);
    aligned_buffer<float> v(plan.v_floats, uninitialized, mr);
    aligned_buffer<float> m(plan.m_floats, uninitialized, mr);
    const index_t C = sh.c, K = sh.k, P = sh.output_h(), Q = sh.output_w();
    const index_t per_image = plan.tiles_h * plan.tiles_w;

    for (index_t p0 = 0; p0 < plan.panels; p0 += plan.chunk_panels) {
      const index_t np = std::min(plan.chunk_panels, plan.panels - p0);
      const index_t t0 = p0 * wino_nr, nt = np * wino_nr;  // tiles of this chunk (some past the end)
      // 1. Input transform: V[xi][panel][c][j] = (B^T d B)[xi] of tile t0 + panel * NR + j.
      core::parallel_for(nt, [&](index_t lt) {
        const index_t t = t0 + lt, panel = lt / wino_nr, j = lt % wino_nr;
        float* vt = v.data() + (panel * C) * wino_nr + j;
        const index_t v_xi = np * C * wino_nr;  // stride between transformed points
        if (t >= plan.tiles) {  // padding tiles of the last panel: zero columns
          for (int xi = 0; xi < wino_xi; ++xi)
            for (index_t c = 0; c < C; ++c) vt[xi * v_xi + c * wino_nr] = 0.0f;
          return;
        }
        const index_t n = t / per_image, th = t % per_image / plan.tiles_w, tw = t % plan.tiles_w;
        const index_t y0 = th * wino_m - sh.pad_top, x0 = tw * wino_m - sh.pad_left;
        const bool inside = y0 >= 0 && x0 >= 0 && y0 + wino_a <= sh.h && x0 + wino_a <= sh.w;
        for (index_t c = 0; c < C; ++c) {
          float d[wino_xi], tmp[wino_xi];
          for (int i = 0; i < wino_a; ++i)
            for (int jj = 0; jj < wino_a; ++jj) {
              const index_t y = y0 + i, x = x0 + jj;
              d[i * wino_a + jj] = (inside || (y >= 0 && y < sh.h && x >= 0 && x < sh.w))
                                       ? in(n, c, y, x)
                                       : 0.0f;
            }
          for (int col = 0; col < wino_a; ++col) wino_bt(d + col, wino_a, tmp + col, wino_a);
          float res[wino_xi];
          for (int row = 0; row < wino_a; ++row) wino_bt(tmp + row * wino_a, 1, res + row * wino_a, 1);
          for (int xi = 0; xi < wino_xi; ++xi) vt[xi * v_xi + c * wino_nr] = res[xi];
        }
      });
      // 2. Products: M[xi][k][lt] = sum_c U[xi][k][c] V[xi][c][lt], per (xi, row block, panel).
      const index_t row_blocks = (K + wino_tile::mr - 1) / wino_tile::mr;
      const index_t ldm = np * wino_nr;
      core::parallel_for(wino_xi * row_blocks * np, [&](index_t i) {
        const index_t xi = i / (row_blocks * np), kb = i / np % row_blocks, panel = i % np;
        const index_t k0 = kb * wino_tile::mr;
        const int rows = int(std::min<index_t>(wino_tile::mr, K - k0));
        const float* a[wino_tile::mr];
        for (int r = 0; r < wino_tile::mr; ++r)
          a[r] = u_.data() + (xi * K + k0 + std::min<index_t>(r, rows - 1)) * C;
        const float* b = v.data() + (xi * np + panel) * C * wino_nr;
        float* c = m.data() + (xi * K + k0) * ldm + panel * wino_nr;
        kernel::run_rows<wino_tile>(C, a, b, c, ldm, rows, int(wino_nr),
                                    kernel::tile_epilogue{false, false});
      });
      // 3. Output transform with the epilogue: y = act(A^T m A + bias + residual).
      const index_t m_xi = K * ldm;
      core::parallel_for(std::min(nt, plan.tiles - t0), [&](index_t lt) {
        const index_t t = t0 + lt;
        const index_t n = t / per_image, th = t % per_image / plan.tiles_w, tw = t % plan.tiles_w;
        const index_t p_lo = th * wino_m, q_lo = tw * wino_m;
        const int ph = int(std::min<index_t>(wino_m, P - p_lo)), qw = int(std::min<index_t>(wino_m, Q - q_lo));
        for (index_t k = 0; k < K; ++k) {
          const float* mk = m.data() + k * ldm + lt;
          float x[wino_xi], tmp[wino_m * wino_a], y[wino_m * wino_m];
          for (int xi = 0; xi < wino_xi; ++xi) x[xi] = mk[xi * m_xi];
          for (int col = 0; col < wino_a; ++col) wino_at(x + col, wino_a, tmp + col, wino_a);
          for (int row = 0; row < wino_m; ++row) wino_at(tmp + row * wino_a, 1, y + row * wino_m, 1);
          for (int i = 0; i < ph; ++i)
            for (int jj = 0; jj < qw; ++jj) {
              const index_t o = out.offset(n, k, p_lo + i, q_lo + jj);
              float val = y[i * wino_m + jj] + bias_[k];
              if (residual) val += residual[o];
              if (act_ != activation::none) val = std::max(val, 0.0f);
              if (act_ == activation::relu6) val = std::min(val, 6.0f);
              out.data()[o] = val;
            }
        }
      });
    }
  }

 private:
  conv2d_shape shape_;
  activation act_;
  aligned_buffer<float> u_;
  aligned_buffer<float> bias_;
};

}  // namespace dlas::conv
