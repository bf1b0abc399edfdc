// SPDX-License-Identifier: Apache-2.0
/// \file winograd.hpp
/// \brief algo::winograd in fp32 and fp16: F(4x4, 3x3) minimal filtering for 3x3 stride-1 convolutions,
/// the 36 transformed-domain products as GEMMs on kernel::gemm_tile.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory_resource>
#include <string>
#include <utility>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/epilogue.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/kernel/gemm_tile.hpp"
#include "dlas/kernel/packing.hpp"
#include "dlas/kernel/transpose.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

namespace detail {

/// F(4x4, 3x3) (Lavin and Gray 2016, interpolation points 0, +-1, +-2, infinity): a 6x6 input
/// tile gives a 4x4 output tile with 36 multiplies per channel pair instead of 144.
inline constexpr int wino_m = 4;              // output tile
inline constexpr int wino_a = 6;              // input tile
inline constexpr int wino_xi = wino_a * wino_a;  // transformed points

/// The GEMM register tile of the transformed-domain products.
template <class T = float>
using wino_tile_for = kernel::gemm_tile<T, 6, 2, kernel::default_arch>;
using wino_tile = wino_tile_for<float>;
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

/// B^T x for one column of 6 values (stride `st`), written to y (stride `sy`). T is float or
/// an xsimd batch (then each lane is one channel).
template <class T>
[[gnu::always_inline]] inline void wino_bt(const T* x, index_t st, T* y, index_t sy) noexcept {
  const T x0 = x[0], x1 = x[st], x2 = x[2 * st], x3 = x[3 * st], x4 = x[4 * st], x5 = x[5 * st];
  y[0] = T(4.0f) * x0 - T(5.0f) * x2 + x4;
  y[sy] = T(-4.0f) * (x1 + x2) + (x3 + x4);
  y[2 * sy] = T(4.0f) * (x1 - x2) + (x4 - x3);
  y[3 * sy] = T(2.0f) * (x3 - x1) + (x4 - x2);
  y[4 * sy] = T(2.0f) * (x1 - x3) + (x4 - x2);
  y[5 * sy] = T(4.0f) * x1 - T(5.0f) * x3 + x5;
}

/// A^T x for one column of 6 values, 4 results.
template <class T>
[[gnu::always_inline]] inline void wino_at(const T* x, index_t st, T* y, index_t sy) noexcept {
  const T x0 = x[0], x1 = x[st], x2 = x[2 * st], x3 = x[3 * st], x4 = x[4 * st], x5 = x[5 * st];
  const T s12 = x1 + x2, d12 = x1 - x2, s34 = x3 + x4, d34 = x3 - x4;
  y[0] = x0 + s12 + s34;
  y[sy] = d12 + T(2.0f) * d34;
  y[2 * sy] = s12 + T(4.0f) * s34;
  y[3 * sy] = d12 + T(8.0f) * d34 + x5;
}

/// 2-D forms over a 6x6 tile: out = B^T d B (6x6) and out = A^T m A (4x4).
template <class T>
[[gnu::always_inline]] inline void wino_input_tile(const T* d, T* out) noexcept {
  T tmp[36];
  for (int col = 0; col < 6; ++col) wino_bt(d + col, 6, tmp + col, 6);
  for (int row = 0; row < 6; ++row) wino_bt(tmp + row * 6, 1, out + row * 6, 1);
}
template <class T>
[[gnu::always_inline]] inline void wino_output_tile(const T* m, T* out) noexcept {
  T tmp[24];
  for (int col = 0; col < 6; ++col) wino_at(m + col, 6, tmp + col, 6);
  for (int row = 0; row < 4; ++row) wino_at(tmp + row * 6, 1, out + row * 4, 1);
}

using wino_batch = kernel::f32_batch<kernel::default_arch>;
inline constexpr index_t wino_lanes = index_t(wino_batch::size);

/// How the tiles of one call are split into chunks processed one after another: the two
/// transformed buffers of a chunk stay below this many bytes when one GEMM row block allows.
inline constexpr index_t wino_chunk_budget = index_t{8} << 20;

struct wino_plan {
  index_t tiles_h, tiles_w, tiles;  // output tiles per image row / column, in all images
  index_t chunk_tiles;              // tiles per chunk
  index_t v_floats, m_floats;       // transformed input and products of one chunk

  static constexpr wino_plan of(const conv2d_shape& sh) noexcept {
    wino_plan p{};
    p.tiles_h = (sh.output_h() + wino_m - 1) / wino_m;
    p.tiles_w = (sh.output_w() + wino_m - 1) / wino_m;
    p.tiles = sh.n * p.tiles_h * p.tiles_w;
    const index_t per_tile = wino_xi * (sh.c + sh.k) * index_t(sizeof(float));
    p.chunk_tiles = std::clamp<index_t>(wino_chunk_budget / per_tile, wino_tile::mr, p.tiles);
    p.chunk_tiles = std::min(p.chunk_tiles, p.tiles);
    p.v_floats = wino_xi * p.chunk_tiles * sh.c;
    p.m_floats = wino_xi * p.chunk_tiles * sh.k;
    return p;
  }
};

/// Winograd F(4x4, 3x3) convolution for 3x3 kernels, stride 1, dilation 1, groups 1, any
/// padding, NCHW and NHWC.
///
/// F(4x4, 3x3) rather than F(2x2, 3x3): 4x fewer multiplies instead of 2.25x, for an error
/// that stays a few 1e-6 relative on ResNet-like layers (docs/winograd.md measures it); the
/// larger F(6x6, 3x3) loses too much accuracy in fp32.
///
/// Weights are transformed at construction into 36 C x K matrices U, packed in the NR-wide
/// panels kernel::gemm_tile reads. A call splits the output tiles into chunks (wino_plan;
/// the split depends only on the shape) and for each chunk: transforms the input into 36
/// tiles x C matrices V (SIMD over channels), computes the 36 products M = V U with the GEMM
/// tile, and transforms M back (SIMD over output channels), adding bias and residual and
/// applying the activation on the way out. NCHW runs the same on an NHWC copy of each image
/// (via_nhwc). Each stage writes disjoint memory per parallel index, so results are bitwise
/// identical for any thread count.
///
/// T = half (fp16): input and output are half, widened and rounded in registers; V and M stay
/// fp32 workspaces. U is transformed from the half weights and kept in fp32: rounding it to
/// half as well was measured at up to ~2^-9 of the output's magnitude (the A^T transform
/// amplifies it), 80x the fp16 bound of the other kernels, for a footprint saving on weights
/// only (docs/policy_precision.md).
template <layout_policy Layout, class T>
class winograd_conv {
  static constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  using precision_type = std::conditional_t<std::is_same_v<T, half>, precision::fp16, precision::fp32>;
  using tile = wino_tile_for<float>;

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<precision_type, sparsity::dense>;

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

  /// Floats of the 36 packed C x K matrices: the formula the constructor allocates with.
  static constexpr index_t packed_weight_elements(const conv2d_shape& sh) noexcept {
    return wino_xi * kernel::packed_panels_elements<wino_nr>(sh.c, sh.k);
  }
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t = 0) noexcept {
    return buffer_bytes<float>(packed_weight_elements(sh)) + buffer_bytes<float>(sh.k);
  }
  /// NCHW runs the NHWC transforms, SIMD over channels, on an fp32 NHWC copy of each image,
  /// and transposes the result back (fp32: in 8x8 register blocks, kernel/transpose.hpp).
  /// Transforms over NCHW planes would be scalar: ResNet-50's 3x3 layers ran 1.3-2.7x
  /// slower with them than with the two transposes and the NHWC transforms.
  static constexpr bool via_nhwc = !nhwc;

  /// The transformed input and the products of one chunk of tiles; through NHWC, of one image
  /// at a time, and that image in NHWC, in and out.
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    if constexpr (via_nhwc) {
      const wino_plan p = wino_plan::of(one_image(sh));
      return buffer_bytes<float>(p.v_floats) + buffer_bytes<float>(p.m_floats) +
             buffer_bytes<float>(sh.c * sh.h * sh.w) + buffer_bytes<float>(sh.k * sh.output_h() * sh.output_w());
    }
    const wino_plan p = wino_plan::of(sh);
    return buffer_bytes<float>(p.v_floats) + buffer_bytes<float>(p.m_floats);
  }

  winograd_conv(const conv2d_shape& sh, weights_type&& weights, const conv2d_options& opt)
      : shape_(sh), act_(opt.act), u_(packed_weight_elements(sh), uninitialized),
        bias_(weights.bias()) {
    const T* g = weights.matrix().data();  // K x C x 3 x 3
    std::vector<float> u(std::size_t(wino_xi * sh.c * sh.k));  // [xi][c][k]
    float t[wino_xi], g32[9];
    for (index_t k = 0; k < sh.k; ++k)
      for (index_t c = 0; c < sh.c; ++c) {
        for (int i = 0; i < 9; ++i) g32[i] = float(g[(k * sh.c + c) * 9 + i]);
        wino_weight_transform(g32, t);
        for (int xi = 0; xi < wino_xi; ++xi) u[std::size_t((xi * sh.c + c) * sh.k + k)] = t[xi];
      }
    const index_t per_xi = kernel::packed_panels_elements<wino_nr>(sh.c, sh.k);
    for (int xi = 0; xi < wino_xi; ++xi) {
      const float* ux = u.data() + xi * sh.c * sh.k;
      kernel::pack_panels<wino_nr>(u_.data() + xi * per_xi, sh.c, sh.k,
                                   [&](index_t c, index_t k) { return ux[c * sh.k + k]; });
    }
  }

  index_t weight_bytes() const noexcept { return u_.bytes() + bias_.bytes(); }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr) const {
    static_assert(std::is_same_v<In, T> && std::is_same_v<Out, T>,
                  "algo::winograd takes tensors of the precision's storage type (fp32: float, "
                  "fp16: dlas::half)");
    if constexpr (via_nhwc) {
      run_via_nhwc(in, out, residual, mr);
    } else {
      transform_buffers buffers(shape_, mr);
      core::parallel_region([&](const core::team& threads) {
        compute(in, out, residual, act_, shape_, buffers, threads);
      });
    }
  }

 private:
  static constexpr conv2d_shape one_image(conv2d_shape sh) noexcept {
    sh.n = 1;
    return sh;
  }

  /// NCHW through NHWC, image by image: the image to fp32 pixel rows, compute() on those, the
  /// fp32 result back to planes. With a residual the activation follows it there, in the
  /// order the fused epilogue keeps, act(y + bias + residual), rounded to T once.
  void run_via_nhwc(tensor_view<const T, Layout> in, tensor_view<T, Layout> out, const T* residual,
                    std::pmr::memory_resource* mr) const {
    const conv2d_shape one = one_image(shape_);
    const index_t C = one.c, K = one.k, hw = one.h * one.w, pq = one.output_h() * one.output_w();
    aligned_buffer<float> pixels(C * hw, uninitialized, mr), results(K * pq, uninitialized, mr);
    // V and M once for all images: a bump arena (graph::workspace_arena) reuses its buffer
    // only once every allocation of the call is returned.
    transform_buffers buffers(one, mr);
    const tensor_view<float, layout::nhwc> x(pixels.data(), one.input_dims()), y(results.data(), one.output_dims());
    constexpr index_t block = 64;  // pixels per transpose task
    core::parallel_region([&](const core::team& threads) {
      for (index_t n = 0; n < shape_.n; ++n) {
        const T* planes = in.data() + n * C * hw;
        threads.for_each((hw + block - 1) / block, [&](index_t b) {
          const index_t i0 = b * block, m = std::min(block, hw - i0);
          float* rows[block];
          for (index_t i = 0; i < m; ++i) rows[i] = pixels.data() + (i0 + i) * C;
          if constexpr (std::is_same_v<T, float>) {
            kernel::columns_to_rows(planes + i0, hw, C, rows, int(m));
          } else {
            for (index_t c = 0; c < C; ++c)
              for (index_t i = 0; i < m; ++i) rows[i][c] = float(planes[c * hw + i0 + i]);
          }
        });
        compute(tensor_view<const float, layout::nhwc>(x), y, static_cast<const float*>(nullptr),
                residual ? activation::none : act_, one, buffers, threads);
        T* dst = out.data() + n * K * pq;
        const T* res = residual ? residual + n * K * pq : nullptr;
        threads.for_each((pq + block - 1) / block, [&](index_t b) {
          const index_t i0 = b * block, m = std::min(block, pq - i0);
          const float* rows[block];
          for (index_t i = 0; i < m; ++i) rows[i] = results.data() + (i0 + i) * K;
          if constexpr (std::is_same_v<T, float>) {
            kernel::rows_to_columns(rows, int(m), int(m), K, dst + i0, pq);
            if (res)
              for (index_t k = 0; k < K; ++k) finish_residual(dst + k * pq + i0, res + k * pq + i0, m);
          } else {
            for (index_t k = 0; k < K; ++k)
              for (index_t i = 0; i < m; ++i) {
                float v = rows[i][k];
                if (res) v = activated(v + float(res[k * pq + i0 + i]), act_);
                dst[k * pq + i0 + i] = T(v);
              }
          }
        });
      }
    });
  }

  /// y[i] = act(y[i] + residual[i]) for i < m.
  void finish_residual(float* y, const float* residual, index_t m) const noexcept {
    using B = wino_batch;
    const index_t mv = m / index_t(B::size) * index_t(B::size);
    for (index_t i = 0; i < mv; i += index_t(B::size))
      activated(B::load_unaligned(y + i) + B::load_unaligned(residual + i), act_).store_unaligned(y + i);
    for (index_t i = mv; i < m; ++i) y[i] = activated(y[i] + residual[i], act_);
  }

  /// The transformed input V and the products M of one chunk of tiles of `sh`.
  struct transform_buffers {
    aligned_buffer<float> v, m;
    transform_buffers(const conv2d_shape& sh, std::pmr::memory_resource* mr)
        : v(wino_plan::of(sh).v_floats, uninitialized, mr), m(wino_plan::of(sh).m_floats, uninitialized, mr) {}
  };

  /// The convolution of `sh` on NHWC views (SIMD over channels, the last C % 16 or K % 16
  /// channels scalar), finishing with `act`; called by every thread of `threads`.
  template <class In, class Out>
  void compute(tensor_view<const In, layout::nhwc> in, tensor_view<Out, layout::nhwc> out, const Out* residual,
               activation act, const conv2d_shape& sh, transform_buffers& buffers,
               const core::team& threads) const {
    using B = wino_batch;
    using arch = kernel::default_arch;
    const wino_plan plan = wino_plan::of(sh);
    aligned_buffer<float>& v = buffers.v;
    aligned_buffer<float>& m = buffers.m;
    const index_t C = sh.c, K = sh.k, P = sh.output_h(), Q = sh.output_w();
    const index_t per_image = plan.tiles_h * plan.tiles_w;
    const index_t c_vec = C / wino_lanes * wino_lanes;
    const index_t k_vec = K / wino_lanes * wino_lanes;
    const index_t per_xi = kernel::packed_panels_elements<wino_nr>(C, K);
    const index_t k_panels = (K + wino_nr - 1) / wino_nr;

    for (index_t t0 = 0; t0 < plan.tiles; t0 += plan.chunk_tiles) {
      const index_t nt = std::min(plan.chunk_tiles, plan.tiles - t0);
      const index_t v_xi = nt * C, m_xi = nt * K;  // strides between transformed points
      // 1. Input transform: V[xi][t][c] = (B^T d B)[xi] of tile t0 + t, channel c.
      threads.for_each(nt, [&](index_t lt) {
        const index_t t = t0 + lt;
        const index_t n = t / per_image, th = t % per_image / plan.tiles_w, tw = t % plan.tiles_w;
        const index_t y0 = th * wino_m - sh.pad_top, x0 = tw * wino_m - sh.pad_left;
        auto inside = [&](int i, int j) {
          const index_t y = y0 + i, x = x0 + j;
          return y >= 0 && y < sh.h && x >= 0 && x < sh.w;
        };
        float* vt = v.data() + lt * C;
        for (index_t c0 = 0; c0 < c_vec; c0 += wino_lanes) {  // channels in lanes
          B d[wino_xi], r[wino_xi];
          for (int i = 0; i < wino_a; ++i)
            for (int j = 0; j < wino_a; ++j)
              d[i * wino_a + j] =
                  inside(i, j) ? kernel::load_as_f32<arch>(&in(n, c0, y0 + i, x0 + j)) : B(0.0f);
          wino_input_tile(d, r);
          for (int xi = 0; xi < wino_xi; ++xi) r[xi].store_unaligned(vt + xi * v_xi + c0);
        }
        for (index_t c = c_vec; c < C; ++c) {
          float d[wino_xi], r[wino_xi];
          for (int i = 0; i < wino_a; ++i)
            for (int j = 0; j < wino_a; ++j)
              d[i * wino_a + j] = inside(i, j) ? float(in(n, c, y0 + i, x0 + j)) : 0.0f;
          wino_input_tile(d, r);
          for (int xi = 0; xi < wino_xi; ++xi) vt[xi * v_xi + c] = r[xi];
        }
      });
      // 2. Products: M[xi][t][k] = sum_c V[xi][t][c] U[xi][c][k], per (xi, K panel, row
      //    block of tiles); the U panel stays in cache across the row blocks.
      const index_t row_blocks = (nt + tile::mr - 1) / tile::mr;
      threads.for_each(wino_xi * k_panels * row_blocks, [&](index_t i) {
        const index_t xi = i / (k_panels * row_blocks), kp = i / row_blocks % k_panels;
        const index_t rb = i % row_blocks;
        const index_t r0 = rb * tile::mr;
        const int rows = int(std::min<index_t>(tile::mr, nt - r0));
        const float* a[tile::mr];
        for (int r = 0; r < tile::mr; ++r)
          a[r] = v.data() + xi * v_xi + (r0 + std::min(r, rows - 1)) * C;
        const float* b = u_.data() + xi * per_xi + kp * wino_nr * C;
        float* c = m.data() + xi * m_xi + r0 * K + kp * wino_nr;
        kernel::run_rows<tile>(C, a, b, c, K, rows, int(std::min<index_t>(wino_nr, K - kp * wino_nr)),
                                    kernel::tile_epilogue{false, false});
      });
      // 3. Output transform with the epilogue: y = act(A^T m A + bias + residual).
      threads.for_each(nt, [&](index_t lt) {
        const index_t t = t0 + lt;
        const index_t n = t / per_image, th = t % per_image / plan.tiles_w, tw = t % plan.tiles_w;
        const index_t p_lo = th * wino_m, q_lo = tw * wino_m;
        const int ph = int(std::min<index_t>(wino_m, P - p_lo));
        const int qw = int(std::min<index_t>(wino_m, Q - q_lo));
        const float* mt = m.data() + lt * K;
        for (index_t k0 = 0; k0 < k_vec; k0 += wino_lanes) {  // output channels in lanes
          B x[wino_xi], y[wino_m * wino_m];
          for (int xi = 0; xi < wino_xi; ++xi) x[xi] = B::load_unaligned(mt + xi * m_xi + k0);
          wino_output_tile(x, y);
          const B bias = B::load_unaligned(bias_.data() + k0);
          for (int i = 0; i < ph; ++i)
            for (int j = 0; j < qw; ++j) {
              const index_t o = out.offset(n, k0, p_lo + i, q_lo + j);
              B val = y[i * wino_m + j] + bias;
              if (residual) val += kernel::load_as_f32<arch>(residual + o);
              kernel::store_from_f32<arch>(out.data() + o, activated(val, act));
            }
        }
        for (index_t k = k_vec; k < K; ++k) {
          float x[wino_xi], y[wino_m * wino_m];
          for (int xi = 0; xi < wino_xi; ++xi) x[xi] = mt[xi * m_xi + k];
          wino_output_tile(x, y);
          for (int i = 0; i < ph; ++i)
            for (int j = 0; j < qw; ++j) {
              const index_t o = out.offset(n, k, p_lo + i, q_lo + j);
              float val = y[i * wino_m + j] + bias_[k];
              if (residual) val += float(residual[o]);
              out.data()[o] = Out(activated(val, act));
            }
        }
      });
    }
  }

  conv2d_shape shape_;
  activation act_;
  aligned_buffer<float> u_;
  aligned_buffer<float> bias_;
};

}  // namespace detail

/// fp32 dense, NCHW and NHWC; see detail::winograd_conv.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::winograd>
    : public detail::winograd_conv<Layout, float> {
 public:
  using detail::winograd_conv<Layout, float>::winograd_conv;
};

/// fp16 dense (half storage, fp32 transforms and products), NCHW and NHWC.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp16, sparsity::dense, algo::winograd>
    : public detail::winograd_conv<Layout, half> {
 public:
  using detail::winograd_conv<Layout, half>::winograd_conv;
};

}  // namespace dlas::conv
