// SPDX-License-Identifier: Apache-2.0
/// \file gemm_conv_impl.hpp
/// \brief gemm_conv<Layout, Algorithm, T>: the fp32 and fp16 dense kernels of algo::pointwise,
/// direct, im2col_gemm and spatial_pack, which differ only in how the GEMM's activation operand
/// is formed. Each algorithm header specialises conv::algorithm_impl with one of them.
#pragma once

#include <memory_resource>
#include <string>
#include <type_traits>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/detail/gemm_conv.hpp"
#include "dlas/conv/detail/widen.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/kernel/simd.hpp"
#include "dlas/policy/algorithm.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv::detail {

/// The dense convolution of one GEMM-based algorithm in one layout, with weights and
/// activations stored as T: float (fp32) or half (fp16, fp32 arithmetic).
///
/// NHWC: C[pixels x channels] = A[pixels x (r, s, c)] * B, weights packed as NR-wide
/// panels (channels map to the tile's vector dimension). NCHW: C[channels x pixels] =
/// weights[channels x (c, r, s)] * B[(c, r, s) x pixels], pixels packed into NR-wide panels.
/// Algorithms:
///   pointwise     1x1 only; A is the input itself (NHWC), or panels gathered per use (NCHW)
///   direct        A rows point into the input per tap (NHWC, no copy), or panels gathered
///                 per use (NCHW); no im2col buffer
///   im2col_gemm   the whole im2col matrix of one image and group is built first
///   spatial_pack  the input is repacked once per image into a zero-padded NHWC tile; NCHW
///                 also computes into an NHWC output tile that is unpacked (with the epilogue)
///
/// fp16 (T = half): the packed weights stay half and the arithmetic is the fp32 tile's.
/// Each call widens one image of input into an fp32 workspace, so that the A operand the
/// tile broadcasts needs no conversion and the gathers above run unchanged (widening only
/// the rows each work item reads was measured no faster: on small images several items
/// read the same rows). NHWC: nhwc_gemm widens each K block of a B panel once for its
/// block of row tiles. NCHW widens the weight rows (its A operand) once per call. The tile
/// of the last K block adds bias and residual, applies the activation and rounds once to
/// half in registers (epilogue order of conv::epilogue); a sum split into several K blocks
/// keeps its partial sums in an image-sized fp32 workspace, never in half. NCHW spatial_pack
/// rounds while it unpacks its NHWC output tile.
template <class Layout, class Algorithm, class T = float>
class gemm_conv {
  static constexpr bool half_storage = std::is_same_v<T, half>;
  static_assert(std::is_same_v<T, float> || half_storage);
  using precision_type = std::conditional_t<half_storage, precision::fp16, precision::fp32>;
  static constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  static constexpr bool is_pointwise = std::is_same_v<Algorithm, algo::pointwise>;
  static constexpr bool is_direct = std::is_same_v<Algorithm, algo::direct>;
  static constexpr bool is_im2col = std::is_same_v<Algorithm, algo::im2col_gemm>;
  static constexpr bool is_spatial = std::is_same_v<Algorithm, algo::spatial_pack>;
  static_assert(is_pointwise || is_direct || is_im2col || is_spatial);
  static constexpr packed_form weight_form =
      nhwc || is_spatial ? packed_form::panels : packed_form::rows;
  /// NCHW kernels other than spatial_pack broadcast the weight rows: fp16 widens them per call.
  static constexpr bool widen_rows = half_storage && !nhwc && !is_spatial;

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<precision_type, sparsity::dense>;

  static status can_implement(const conv2d_shape& sh) {
    if constexpr (is_pointwise) return pointwise_can_implement(sh);
    return {};
  }

  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t) noexcept {
    return packed_weights<T>::bytes(sh, weight_form);
  }

  /// Exactly the floats one call allocates (the workspace is reused across images and groups):
  /// the gathers' buffers, then the scratch of an nhwc_gemm over half weights.
  static constexpr index_t workspace_elements(const conv2d_shape& sh) noexcept {
    return gather_elements(sh) + gemm_scratch_elements(sh);
  }
  static constexpr index_t gather_elements(const conv2d_shape& sh) noexcept {
    const index_t pq = sh.output_h() * sh.output_w(), kdim = gemm_depth(sh);
    const index_t padded = (sh.h + sh.pad_top + sh.pad_bottom) * (sh.w + sh.pad_left + sh.pad_right) * sh.c;
    if constexpr (is_spatial) return nhwc ? padded : padded + pq * sh.k;
    else if constexpr (is_im2col)
      return nhwc ? std::min(pq, im2col_chunk(sh)) * kdim
                  : kernel::packed_panels_elements<tile_nr>(kdim, std::min(pq, im2col_chunk(sh)));
    else if constexpr (nhwc) return has_padding(sh) ? sh.c_per_group() : 0;  // a zero row
    else return panel_slots(pq) * slot_panels(pq) * kdim * tile_nr;
  }
  static constexpr index_t gemm_scratch_elements(const conv2d_shape& sh) noexcept {
    const index_t pq = sh.output_h() * sh.output_w(), kg = sh.k_per_group(), kdim = gemm_depth(sh);
    if constexpr (!half_storage || (!nhwc && !is_spatial)) return 0;
    else if constexpr (is_im2col) {
      const index_t chunk = std::min(pq, im2col_chunk(sh));  // whole chunks, then the rest
      return std::max(nhwc_scratch_elements<half>(chunk, kg, kdim),
                      nhwc_scratch_elements<half>(pq % chunk, kg, kdim));
    } else return nhwc_scratch_elements<half>(pq, kg, kdim);
  }
  /// fp16 only: the fp32 image of input (strided NHWC pointwise: only the pixels it reads),
  /// the fp32 partial sums of an output image (only when the GEMM has several K blocks), and
  /// (NCHW rows) the fp32 weights, each one buffer.
  static constexpr index_t widened_input_elements(const conv2d_shape& sh) noexcept {
    if (!half_storage) return 0;
    return widens_read_pixels(sh) ? sh.c * sh.output_h() * sh.output_w() : sh.c * sh.h * sh.w;
  }
  static constexpr index_t widened_output_elements(const conv2d_shape& sh) noexcept {
    if (!half_storage || (!nhwc && is_spatial)) return 0;  // NCHW spatial: its output tile
    const index_t segment = nhwc ? nhwc_segment(sh) : gemm_depth(sh);
    return gemm_depth(sh) <= std::min(k_block, segment) ? 0 : sh.k * sh.output_h() * sh.output_w();
  }
  static constexpr index_t widened_weight_elements(const conv2d_shape& sh) noexcept {
    return widen_rows ? sh.weight_elements() : 0;
  }
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return buffer_bytes<float>(workspace_elements(sh)) + buffer_bytes<float>(widened_input_elements(sh)) +
           buffer_bytes<float>(widened_output_elements(sh)) +
           buffer_bytes<float>(widened_weight_elements(sh));
  }

  gemm_conv(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : shape_(sh), act_(opt.act) {
    can_implement(sh).throw_if_error();
    weights_ = packed_weights<T>(sh, w, weight_form);
  }

  index_t weight_bytes() const noexcept { return weights_.bytes(); }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr) const {
    static_assert(std::is_same_v<In, T> && std::is_same_v<Out, T>,
                  "dlas: the GEMM-based algorithms take tensors of the precision's storage type "
                  "(fp32: float, fp16: dlas::half)");
    const conv2d_shape& sh = shape_;
    const index_t in_image = sh.c * sh.h * sh.w, out_image = sh.k * sh.output_h() * sh.output_w();
    aligned_buffer<float> ws = detail::workspace(workspace_elements(sh), mr);
    if constexpr (!half_storage) {
      for (index_t img = 0; img < sh.n; ++img)
        run_image(in.data() + img * in_image, out.data() + img * out_image,
                  at_or_null(residual, img * out_image), act_, weights_.matrix(), ws.data());
    } else {
      aligned_buffer<float> x32 = detail::workspace(widened_input_elements(sh), mr);
      aligned_buffer<float> y32 = detail::workspace(widened_output_elements(sh), mr);
      aligned_buffer<float> w32 = detail::workspace(widened_weight_elements(sh), mr);
      if constexpr (widen_rows) detail::widen(weights_.matrix(), w32.data(), sh.weight_elements());
      for (index_t img = 0; img < sh.n; ++img) {
        const half* xi = in.data() + img * in_image;
        half* yi = out.data() + img * out_image;
        const half* ri = at_or_null(residual, img * out_image);
        if constexpr (nhwc) {
          const bool read_pixels = widens_read_pixels(sh);
          if (read_pixels) widen_read_pixels(xi, x32.data());
          else detail::widen(xi, x32.data(), in_image);
          run_nhwc(x32.data(), y32.data(), nullptr, act_, ws.data(), 0, yi, ri, read_pixels);
        } else {
          detail::widen(xi, x32.data(), in_image);
          run_nchw(x32.data(), y32.data(), nullptr, act_, w32.data(), ws.data(), 0, yi, ri);
        }
      }
    }
  }

 private:
  /// Output pixels whose im2col rows are built and consumed together: about 1 MB of them
  /// (so they are still in cache when the GEMM reads them), a multiple of 96 pixels (a
  /// multiple of lcm(MR, NR): 48 for 6x16, 24 for 8x12) and at least 96.
  static constexpr index_t im2col_chunk(const conv2d_shape& sh) noexcept {
    constexpr index_t unit = 96;
    return std::max<index_t>(unit, (index_t{1} << 18) / gemm_depth(sh) / unit * unit);
  }

  /// Depth of the runs an output pixel reads contiguously from the padded NHWC tile: a whole
  /// kernel row (S taps of C channels) when groups is 1 and the kernel is not dilated
  /// horizontally, one tap (C / groups channels) otherwise.
  static constexpr index_t spatial_segment(const conv2d_shape& sh) noexcept {
    return sh.groups == 1 && sh.dilation_w == 1 ? sh.s * sh.c : sh.c_per_group();
  }

  /// One image: x, y and residual point at it. `rows` is the weight matrix as rows (NCHW,
  /// fp32: the packed one; fp16: its widened copy).
  void run_image(const float* x, float* y, const float* residual, activation act,
                 const float* rows, float* ws) const {
    if constexpr (nhwc) run_nhwc(x, y, residual, act, ws, 0);
    else run_nchw(x, y, residual, act, rows, ws, 0);
  }

  /// A strided 1x1 kernel without padding reads the input pixels (p * stride, q * stride)
  /// only: fp16 NHWC widens those (a quarter of the image at stride 2) into a P x Q image
  /// that the GEMM then reads as a stride-1 one.
  static constexpr bool widens_read_pixels(const conv2d_shape& sh) noexcept {
    return half_storage && nhwc && is_pointwise && !has_padding(sh) && (sh.stride_h > 1 || sh.stride_w > 1);
  }

  /// Widens the pixels a widens_read_pixels kernel reads from one half image x into x32.
  void widen_read_pixels(const half* x, float* x32) const {
    const conv2d_shape& sh = shape_;
    const index_t Q = sh.output_w();
    core::parallel_for(sh.output_h(), [&](index_t p) {
      for (index_t q = 0; q < Q; ++q)
        detail::widen_run(x + (p * sh.stride_h * sh.w + q * sh.stride_w) * sh.c, x32 + (p * Q + q) * sh.c, sh.c);
    });
  }

  /// Depth of the runs the NHWC GEMM's K blocks never cross (nhwc_problem::segment).
  static constexpr index_t nhwc_segment(const conv2d_shape& sh) noexcept {
    return is_direct ? sh.c_per_group() : is_spatial ? spatial_segment(sh) : gemm_depth(sh);
  }

  /// Copies image `img` into ws as a zero-padded (H + pads) x (W + pads) x C NHWC tile.
  template <class Src>
  void pack_padded(float* ws, Src&& src) const {
    const conv2d_shape& sh = shape_;
    const index_t hp = sh.h + sh.pad_top + sh.pad_bottom, wp = sh.w + sh.pad_left + sh.pad_right;
    core::parallel_for(hp, [&](index_t yy) {
      float* row = ws + yy * wp * sh.c;
      const index_t y = yy - sh.pad_top;
      if (y < 0 || y >= sh.h) {
        std::fill(row, row + wp * sh.c, 0.0f);
        return;
      }
      std::fill(row, row + sh.pad_left * sh.c, 0.0f);
      for (index_t x = 0; x < sh.w; ++x) src(y, x, row + (x + sh.pad_left) * sh.c);
      std::fill(row + (sh.pad_left + sh.w) * sh.c, row + wp * sh.c, 0.0f);
    });
  }

  /// One image of NHWC: x and y point at it. fp16: y16 and r16 are the half output and
  /// residual, y the fp32 partial sums (or null); `read_pixels`: x holds only the pixels a
  /// strided pointwise kernel reads (widen_read_pixels).
  void run_nhwc(const float* x, float* y, const float* residual, activation act, float* ws,
                index_t img, half* y16 = nullptr, const half* r16 = nullptr, bool read_pixels = false) const {
    const conv2d_shape& sh = shape_;
    const index_t pq = sh.output_h() * sh.output_w();
    const index_t cg = sh.c_per_group(), kg = sh.k_per_group(), kdim = gemm_depth(sh);
    const index_t wp = sh.w + sh.pad_left + sh.pad_right;
    if constexpr (is_spatial)
      pack_padded(ws, [&](index_t yy, index_t xx, float* dst) {
        const float* s = x + ((img * sh.h + yy) * sh.w + xx) * sh.c;
        std::copy(s, s + sh.c, dst);
      });
    const float* zero = ws;  // pointwise and direct: a zero row of cg floats
    if constexpr ((is_pointwise || is_direct))
      if (has_padding(sh)) std::fill(ws, ws + cg, 0.0f);
    for (index_t g = 0; g < sh.groups; ++g) {
      nhwc_problem<T> pb;
      pb.pixels = pq;
      pb.cols = kg;
      pb.kdim = kdim;
      pb.segment = nhwc_segment(sh);
      pb.b = weights_.matrix() + g * kernel::packed_panels_elements<tile_nr>(kdim, kg);
      const index_t off = img * pq * sh.k + g * kg;
      pb.c = at_or_null(y, off);
      pb.ldc = sh.k;
      pb.bias = weights_.bias() + g * kg;
      pb.residual = at_or_null(residual, off);
      pb.act = act;
      pb.out_half = at_or_null(y16, off);
      pb.residual_half = at_or_null(r16, off);
      pb.scratch = ws + gather_elements(sh);
      if constexpr (is_pointwise) {
        if (read_pixels || (sh.stride_h == 1 && sh.stride_w == 1 && !has_padding(sh))) {
          const float* base = x + img * pq * sh.c + g * cg;  // output pixel = input pixel
          nhwc_gemm(pb, [&](index_t p0, int m, index_t k0, const float** a) {
            for (int i = 0; i < m; ++i) a[i] = base + (p0 + i) * sh.c + k0;
          });
        } else {
          nhwc_gemm(pb, [&](index_t p0, int m, index_t k0, const float** a) {
            detail::nhwc_tap_rows(sh, x, sh.w, false, img, g, p0, m, 0, 0, k0, zero, a);
          });
        }
      } else if constexpr (is_direct) {
        nhwc_gemm(pb, [&](index_t p0, int m, index_t k0, const float** a) {
          const index_t rs = k0 / cg;
          detail::nhwc_tap_rows(sh, x, sh.w, false, img, g, p0, m, rs / sh.s, rs % sh.s,
                                k0 - rs * cg, zero, a);
        });
      } else if constexpr (is_im2col) {
        const index_t chunk = im2col_chunk(sh);
        for (index_t c0 = 0; c0 < pq; c0 += chunk) {
          const index_t np = std::min(chunk, pq - c0);
          core::parallel_for(ceil_div(np, tile_mr), [&](index_t t) {
            const index_t p0 = c0 + t * tile_mr;
            const int m = int(std::min<index_t>(tile_mr, c0 + np - p0));
            const float* taps[tile_mr];
            const float* last[tile_mr];
            for (index_t r = 0; r < sh.r; ++r) {
              // With dilation_w 1 and groups 1, taps (r, 0 .. S-1) of a pixel inside the input
              // are S * C contiguous floats: one copy instead of S.
              detail::nhwc_tap_rows(sh, x, sh.w, false, img, g, p0, m, r, 0, 0, nullptr, taps);
              detail::nhwc_tap_rows(sh, x, sh.w, false, img, g, p0, m, r, sh.s - 1, 0, nullptr, last);
              for (int i = 0; i < m; ++i) {
                float* d = ws + (p0 - c0 + i) * kdim + r * sh.s * cg;
                if (sh.groups == 1 && sh.dilation_w == 1 && taps[i] && last[i]) {
                  std::copy(taps[i], taps[i] + sh.s * cg, d);
                  continue;
                }
                for (index_t s = 0; s < sh.s; ++s) {
                  const float* tap[1];
                  detail::nhwc_tap_rows(sh, x, sh.w, false, img, g, p0 + i, 1, r, s, 0, nullptr, tap);
                  if (tap[0]) std::copy(tap[0], tap[0] + cg, d + s * cg);
                  else std::fill(d + s * cg, d + (s + 1) * cg, 0.0f);
                }
              }
            }
          });
          nhwc_problem<T> part = pb.from_pixel(c0);
          part.pixels = np;
          nhwc_gemm(part, [&](index_t p0, int m, index_t k0, const float** a) {
            for (int i = 0; i < m; ++i) a[i] = ws + (p0 + i) * kdim + k0;
          });
        }
      } else {
        nhwc_gemm(pb, [&](index_t p0, int m, index_t k0, const float** a) {
          const index_t rs = k0 / cg;
          detail::nhwc_tap_rows(sh, ws, wp, true, 0, g, p0, m, rs / sh.s, rs % sh.s,
                                k0 - rs * cg, nullptr, a);
        });
      }
    }
  }

  /// One image of NCHW: x and y point at it. fp16: y16 and r16 are the half output and
  /// residual, y the fp32 partial sums (or null).
  void run_nchw(const float* x, float* y, const float* residual, activation act, const float* rows,
                float* ws, index_t img, half* y16 = nullptr, const half* r16 = nullptr) const {
    const conv2d_shape& sh = shape_;
    const index_t pq = sh.output_h() * sh.output_w();
    const index_t cg = sh.c_per_group(), kg = sh.k_per_group(), kdim = gemm_depth(sh);
    if constexpr (is_spatial) {
      const index_t hp = sh.h + sh.pad_top + sh.pad_bottom, wp = sh.w + sh.pad_left + sh.pad_right;
      const index_t hw = sh.h * sh.w;
      const float* xi = x + img * sh.c * hw;
      pack_padded(ws, [&](index_t yy, index_t xx, float* dst) {
        const float* s = xi + yy * sh.w + xx;
        for (index_t c = 0; c < sh.c; ++c) dst[c] = s[c * hw];
      });
      float* tile_out = ws + hp * wp * sh.c;  // pq x K, NHWC
      for (index_t g = 0; g < sh.groups; ++g) {
        nhwc_problem<T> pb;
        pb.pixels = pq;
        pb.cols = kg;
        pb.kdim = kdim;
        pb.segment = spatial_segment(sh);
        pb.b = weights_.matrix() + g * kernel::packed_panels_elements<tile_nr>(kdim, kg);
        pb.c = tile_out + g * kg;
        pb.ldc = sh.k;
        pb.bias = weights_.bias() + g * kg;
        pb.finish = false;
        pb.scratch = ws + gather_elements(sh);
        nhwc_gemm(pb, [&](index_t p0, int m, index_t k0, const float** a) {
          const index_t rs = k0 / cg;
          detail::nhwc_tap_rows(sh, ws, wp, true, 0, g, p0, m, rs / sh.s, rs % sh.s,
                                k0 - rs * cg, nullptr, a);
        });
      }
      // Unpack to NCHW with the epilogue, in the order of kernel::finish_scalar, a block of
      // 16 pixels at a time so that both sides stay in cache.
      const float* bias = weights_.bias();
      constexpr index_t block = 16;
      core::parallel_for(ceil_div(pq, block), [&](index_t bi) {
        const index_t i0 = bi * block, i1 = std::min(pq, i0 + block);
        kernel::tile_epilogue ep;
        ep.bias = kernel::bias_mode::per_row;
        ep.act = act;
        for (index_t k = 0; k < sh.k; ++k) {
          const index_t o = (img * sh.k + k) * pq;
          ep.bias_ptr = bias + k;
          for (index_t i = i0; i < i1; ++i) {
            ep.residual = at_or_null(residual, o + i);
            ep.residual_half = at_or_null(r16, o + i);
            const float v = kernel::finish_scalar(tile_out[i * sh.k + k], ep, 0, 0, 0);
            if (y16) y16[o + i] = half(v);
            else y[o + i] = v;
          }
        }
      });
      return;
    }
    for (index_t g = 0; g < sh.groups; ++g) {
      nchw_problem pb;
      pb.rows = kg;
      pb.pixels = pq;
      pb.kdim = kdim;
      pb.a = rows + g * kg * kdim;
      const index_t off = (img * sh.k + g * kg) * pq;
      pb.c = at_or_null(y, off);
      pb.ldc = pq;
      pb.bias = weights_.bias() + g * kg;
      pb.residual = at_or_null(residual, off);
      pb.act = act;
      pb.out_half = at_or_null(y16, off);
      pb.residual_half = at_or_null(r16, off);
      if constexpr (is_im2col) {
        const index_t chunk = im2col_chunk(sh);
        for (index_t c0 = 0; c0 < pq; c0 += chunk) {
          const index_t np = std::min(chunk, pq - c0), np_panels = ceil_div(np, tile_nr);
          const index_t per_group = slot_panels(np);
          core::parallel_for(ceil_div(np_panels, per_group), [&](index_t gi) {
            const index_t q0 = gi * per_group * tile_nr;
            detail::pack_nchw_panels(sh, x, img, g, c0 + q0,
                                     std::min(per_group * tile_nr, np - q0), ws + q0 * kdim);
          });
          nchw_problem part = pb.from_pixel(c0);
          part.pixels = np;
          nchw_gemm<half_storage>(
              part,
              [&](index_t j0, index_t j1, float*, const float** b, index_t* ldb) {
                for (index_t j = j0; j < j1; ++j) b[j - j0] = ws + j * kdim * tile_nr, ldb[j - j0] = tile_nr;
              },
              nullptr, ceil_div(np_panels, per_group));
        }
      } else {
        // A 1x1 stride-1 unpadded kernel's panel is NR pixels of each input plane: whole
        // panels are read in place (row stride: the plane), the last partial one is packed.
        const bool in_place = is_pointwise && sh.stride_h == 1 && sh.stride_w == 1 && !has_padding(sh);
        const float* xg = x + (img * sh.c + g * cg) * pq;
        nchw_gemm<half_storage>(
            pb,
            [&](index_t j0, index_t j1, float* slot, const float** b, index_t* ldb) {
              if (in_place) {
                for (index_t j = j0; j < j1; ++j) {
                  const index_t p0 = j * tile_nr;
                  if (p0 + tile_nr <= pq) {
                    b[j - j0] = xg + p0, ldb[j - j0] = pq;
                  } else {
                    detail::pack_nchw_panel(sh, x, img, g, p0, pq - p0, slot);
                    b[j - j0] = slot, ldb[j - j0] = tile_nr;
                  }
                }
                return;
              }
              detail::pack_nchw_panels(sh, x, img, g, j0 * tile_nr,
                                       std::min(j1 * tile_nr, pq) - j0 * tile_nr, slot);
              for (index_t j = j0; j < j1; ++j) b[j - j0] = slot + (j - j0) * kdim * tile_nr, ldb[j - j0] = tile_nr;
            },
            ws, panel_slots(pq));
      }
    }
  }

  conv2d_shape shape_;
  activation act_;
  packed_weights<T> weights_;
};

}  // namespace dlas::conv::detail
