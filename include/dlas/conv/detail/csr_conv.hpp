// SPDX-License-Identifier: Apache-2.0
/// \file csr_conv.hpp
/// \brief csr_conv<Layout, Algorithm, Precision>: the fp32, fp16 and int8 CSR kernels of
/// algo::pointwise, direct, im2col_gemm and spatial_pack, all driving kernel::spmm_tile over
/// channel-major pixel tiles.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <string>
#include <type_traits>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/detail/widen.hpp"
#include "dlas/conv/epilogue.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/kernel/i8_requantize.hpp"
#include "dlas/kernel/simd.hpp"
#include "dlas/kernel/spmm.hpp"
#include "dlas/kernel/transpose.hpp"
#include "dlas/optimize/requantize.hpp"
#include "dlas/policy/algorithm.hpp"
#include "dlas/policy/layout.hpp"
#include "dlas/policy/precision.hpp"
#include "dlas/policy/sparsity.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv::detail {

/// The CSR convolution of one algorithm in one layout and precision.
///
/// Weights stay in the CSR matrix conv_weights built after pruning (row k = output channel
/// k, column (c * R + r) * S + s), plus one flag per aligned group of four rows telling
/// whether the four rows share their column pattern (block pruning with a 4x1 block, or
/// filters that happen to match): those rows run through the 4-row block tile.
///
/// Output pixels are split into tiles of MR (32 on AVX2). For each tile the algorithm
/// provides a channel-major source X[kdim x MR] and every output channel row k computes
/// y[k][tile] = sum_e w[k][e] * X[col e][tile] + bias[k] (+ residual, activation) in
/// registers. Sources:
///   pointwise     NCHW 1x1 stride 1 unpadded: the input planes themselves (last partial
///                 tile packed); otherwise a panel gathered from the input per tile
///   direct        a kdim x MR panel gathered from the input per tile, no larger buffer
///   im2col_gemm   the channel-major im2col matrix of one image and group, built first
///   spatial_pack  the input repacked once per image into a zero-padded copy; with stride 1
///                 the tiles read it in place (see windowed()), otherwise panels are
///                 gathered from it without bounds checks
/// NHWC and windowed tiles compute a block of output channels into a channel-major scratch
/// tile and copy it out (NHWC: transposed), adding the residual and the activation.
///
/// Threads take tiles (slot s serves tiles s, s + slots, ...); every output is computed by
/// one kernel call in one order, so results are bitwise identical for any thread count.
///
/// fp16 and int8 store the values at 2 and 1 bytes and run the same tiles on an fp32 copy of
/// each image: fp16 widened exactly (as the dense fp16 kernels do), int8 as code minus zero
/// point (exact integers in [-255, 255]; padding taps are 0, as in the reference). The tiles
/// write the image's sums, then one pass finishes them:
///   fp16  sums + bias in fp32 (the tile), then + residual, activation and one rounding to
///         half (detail::narrow_finish): the rounding points of the dense fp16 kernels
///   int8  exact int32 sums (kernel::spmm_tile::run_exact on runs of at most
///         kernel::i8_exact_run = 514 non-zeros, added in int32), then the vector forms of
///         conv::epilogue (the reference's): bit-identical to algo::reference for every input.
template <class Layout, class Algorithm, class Precision = precision::fp32>
class csr_conv {
  static constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  static constexpr bool is_pointwise = std::is_same_v<Algorithm, algo::pointwise>;
  static constexpr bool is_direct = std::is_same_v<Algorithm, algo::direct>;
  static constexpr bool is_im2col = std::is_same_v<Algorithm, algo::im2col_gemm>;
  static constexpr bool is_spatial = std::is_same_v<Algorithm, algo::spatial_pack>;
  static_assert(is_pointwise || is_direct || is_im2col || is_spatial);
  static constexpr bool is_fp32 = std::is_same_v<Precision, precision::fp32>;
  static constexpr bool is_int8 = Precision::quantized;
  using value_type = typename Precision::weight_type;
  /// What the tiles write before the epilogue: fp32 sums (fp32: the outputs themselves), or
  /// exact int32 sums for int8.
  using sum_type = std::conditional_t<is_int8, std::int32_t, float>;

  using row_tile = kernel::f32_spmm_row_tile<>;
  using block_tile = kernel::f32_spmm_block_tile<>;
  static constexpr index_t mr = row_tile::mr;
  static_assert(2 * block_tile::mr == mr && block_tile::nr == 4);
  /// Most tiles in flight at once (workspace slots).
  static constexpr index_t max_slots = 16;
  /// Output channels computed into one scratch tile before it is copied out.
  static constexpr index_t scratch_k_block = 64;
  /// Images of fewer dense-equivalent FLOPs run on the calling thread: a parallel region
  /// costs more than they take. Results do not depend on it (every output is computed by
  /// one kernel call either way).
  static constexpr double parallel_min_flops = 1 << 20;

  static constexpr index_t ceil_div(index_t a, index_t b) noexcept { return (a + b - 1) / b; }

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<Precision, sparsity::csr>;

  static status can_implement(const conv2d_shape& sh) {
    if constexpr (is_pointwise)
      if (status s = pointwise_can_implement(sh); !s.ok()) return s;
    const index_t pq = sh.output_h() * sh.output_w();
    const index_t biggest = std::max({sh.c * sh.h * sh.w, kdim(sh) * (pq + mr),
                                      (sh.h + sh.pad_top + sh.pad_bottom) *
                                          (sh.w + sh.pad_left + sh.pad_right) * sh.c});
    if (biggest > index_t(std::numeric_limits<std::int32_t>::max()))
      return {errc::unsupported, "CSR conv2d: one image's source (" + std::to_string(biggest) +
                                     " floats) exceeds the int32 offset range"};
    return {};
  }

  /// Columns of one group's weight matrix: C/groups * R * S.
  static constexpr index_t kdim(const conv2d_shape& sh) noexcept {
    return sh.c_per_group() * sh.r * sh.s;
  }

  /// Bytes of the row-block flags: one byte per aligned group of four output channels.
  static constexpr index_t flag_bytes(const conv2d_shape& sh) noexcept {
    return buffer_bytes<std::uint8_t>(ceil_div(sh.k, 4));
  }

  /// Exact bytes kept: the CSR matrix (format::csr_bytes, values at storage precision), the
  /// bias (int8: also scales and multipliers, see conv_weights::bytes) and block flags.
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t nnz) noexcept {
    return weights_type::bytes(sh, nnz) + flag_bytes(sh);
  }

  /// Whether NCHW pointwise reads the input planes in place (1x1, stride 1, no padding).
  static constexpr bool in_place(const conv2d_shape& sh) noexcept {
    return !nhwc && is_pointwise && sh.stride_h == 1 && sh.stride_w == 1 && sh.pad_top == 0 &&
           sh.pad_left == 0 && sh.pad_bottom == 0 && sh.pad_right == 0;
  }

  /// spatial_pack with stride 1: the tiles read the zero-padded (channel-major) copy in place,
  /// with no panel at all. Output row p is computed over the copy's full width wp (pixels
  /// q >= Q are computed and dropped: wp / Q of the work, (Q + 2) / Q for 3x3 pad 1), so the
  /// tile of virtual pixels [v0, v0 + MR) reads tap (c, r, s) at one offset from v0.
  static constexpr bool windowed(const conv2d_shape& sh) noexcept {
    return is_spatial && sh.stride_h == 1 && sh.stride_w == 1;
  }
  /// Pixels the tiles run over: P * Q, or the windowed grid up to the last real pixel.
  static constexpr index_t tile_pixels(const conv2d_shape& sh) noexcept {
    return windowed(sh) ? (sh.output_h() - 1) * (sh.w + sh.pad_left + sh.pad_right) + sh.output_w()
                        : sh.output_h() * sh.output_w();
  }
  static constexpr index_t tiles(const conv2d_shape& sh) noexcept { return ceil_div(tile_pixels(sh), mr); }
  /// Whether the tiles write a channel-major scratch tile that is then copied out (NHWC, and
  /// windowed tiles, whose virtual pixels are not the output's).
  static constexpr bool uses_scratch(const conv2d_shape& sh) noexcept { return nhwc || windowed(sh); }
  static constexpr index_t slots(const conv2d_shape& sh) noexcept {
    return std::min(max_slots, tiles(sh));
  }
  static constexpr index_t k_block(const conv2d_shape& sh) noexcept {
    return std::min(scratch_k_block, sh.k_per_group());
  }
  static constexpr bool uses_matrix(const conv2d_shape& sh) noexcept {
    return is_im2col || in_place(sh);
  }
  static constexpr index_t padded_elements(const conv2d_shape& sh) noexcept {
    return (sh.h + sh.pad_top + sh.pad_bottom) * (sh.w + sh.pad_left + sh.pad_right) * sh.c;
  }

  /// fp16 and int8: elements of one image's fp32 copy.
  static constexpr index_t converted_elements(const conv2d_shape& sh) noexcept {
    return is_fp32 ? 0 : sh.c * sh.h * sh.w;
  }
  /// Floats one call allocates: panels, the im2col matrix or padded copy, the converted image.
  static constexpr index_t workspace_floats(const conv2d_shape& sh) noexcept {
    const index_t pq = sh.output_h() * sh.output_w(), panel = kdim(sh) * mr;
    index_t n = 0;
    if (in_place(sh)) n += pq % mr ? panel : 0;  // the last, partial tile
    else if (is_im2col) n += kdim(sh) * pq + mr;  // + one tile of over-read
    else if (windowed(sh)) n += mr;               // one tile of over-read past the padded copy
    else n += slots(sh) * panel;
    if (is_spatial) n += padded_elements(sh);
    return n + converted_elements(sh);
  }
  /// sum_type elements: one image's sums (fp16, int8), then the scratch tiles.
  static constexpr index_t sum_elements(const conv2d_shape& sh) noexcept {
    return (is_fp32 ? 0 : sh.k * sh.output_h() * sh.output_w()) +
           (uses_scratch(sh) ? slots(sh) * k_block(sh) * mr : 0);
  }
  /// Column offset tables: one, two when NCHW pointwise mixes planes and a packed tail.
  static constexpr index_t table_entries(const conv2d_shape& sh) noexcept {
    return (in_place(sh) && sh.output_h() * sh.output_w() % mr ? 2 : 1) * kdim(sh);
  }
  /// int8 NHWC: requantisation constants per 8 channels for 8-bit outputs (NHWC rows run over
  /// the channels; NCHW rows are one channel and need none).
  static constexpr index_t requant_entries(const conv2d_shape& sh) noexcept {
    return is_int8 && nhwc ? ceil_div(sh.k, 8) : 0;
  }
  template <class Out>
  static constexpr bool quantized_out() noexcept {
    return is_int8 && !std::is_same_v<Out, float>;
  }
  /// Bytes one call allocates: the footprint's workspace.
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return buffer_bytes<float>(workspace_floats(sh)) + buffer_bytes<sum_type>(sum_elements(sh)) +
           buffer_bytes<std::int32_t>(table_entries(sh)) +
           buffer_bytes<kernel::i8_requant8>(requant_entries(sh));
  }

  csr_conv(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : shape_(sh), opt_(opt), weights_(std::move(w)), flags_(ceil_div(sh.k, 4)) {
    can_implement(sh).throw_if_error();
    const auto& m = weights_.matrix();
    const auto rp = m.row_ptr();
    const index_t kg = sh.k_per_group();
    m.visit_columns([&](auto cols) {
      for (index_t k = 0; k + 3 < sh.k; k += 4) {
        if (k / kg != (k + 3) / kg) continue;
        const index_t n = index_t(rp[std::size_t(k + 1)] - rp[std::size_t(k)]);
        bool same = n > 0;
        for (index_t r = 1; r < 4 && same; ++r) {
          const index_t b = rp[std::size_t(k + r)];
          same = index_t(rp[std::size_t(k + r + 1)]) - b == n &&
                 std::equal(cols.begin() + rp[std::size_t(k)], cols.begin() + rp[std::size_t(k)] + n,
                            cols.begin() + b);
        }
        flags_[k / 4] = same ? 1 : 0;
      }
    });
  }

  index_t weight_bytes() const noexcept { return weights_.bytes() + flags_.bytes(); }
  const weights_type& weights() const noexcept { return weights_; }
  /// Output channels that run through the 4-row block tile.
  index_t block_rows() const noexcept {
    index_t n = 0;
    for (index_t i = 0; i < flags_.size(); ++i) n += 4 * flags_[i];
    return n;
  }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr_) const {
    if constexpr (is_int8)
      static_assert(std::is_same_v<In, std::uint8_t> || std::is_same_v<In, std::int8_t>,
                    "dlas: int8 kernels take uint8_t or int8_t input codes");
    else
      static_assert(std::is_same_v<In, value_type> && std::is_same_v<Out, value_type>,
                    "dlas: the fp32 and fp16 CSR algorithms take float or half tensors");
    const conv2d_shape& sh = shape_;
    const index_t chw = sh.c * sh.h * sh.w, kpq = sh.k * sh.output_h() * sh.output_w();
    aligned_buffer<float> ws(workspace_floats(sh), uninitialized, mr_);
    aligned_buffer<sum_type> sums(sum_elements(sh), uninitialized, mr_);
    aligned_buffer<std::int32_t> table(table_entries(sh), uninitialized, mr_);
    aligned_buffer<kernel::i8_requant8> requant(requant_entries(sh), uninitialized, mr_);
    float* converted = ws.data() + workspace_floats(sh) - converted_elements(sh);
    sum_type* scratch = sums.data() + (is_fp32 ? 0 : kpq);
    weights_.matrix().visit_columns([&](auto cols) {
      if constexpr (is_fp32) {
        for (index_t img = 0; img < sh.n; ++img)
          run_image(cols.data(), in.data() + img * chw, out.data() + img * kpq,
                    residual ? residual + img * kpq : nullptr, opt_.act, ws.data(), scratch, table.data());
      } else {
        const auto finish = finisher<Out>();
        if constexpr (quantized_out<Out>() && nhwc) fill_requant(requant.data());
        for (index_t img = 0; img < sh.n; ++img) {
          convert_image(in.data() + img * chw, converted);
          run_image(cols.data(), converted, sums.data(), static_cast<const sum_type*>(nullptr),
                    activation::none, ws.data(), scratch, table.data());
          finish_image(finish, sums.data(), residual ? residual + img * kpq : nullptr, out.data() + img * kpq,
                       requant.data());
        }
      }
    });
  }

 private:
  /// One tile call on the value pointers w: fp32/fp16 finish in the tile (bias, residual,
  /// activation); int8 writes exact int32 sums, in runs of at most kernel::i8_exact_run
  /// non-zeros (an empty row still writes its zero sums).
  template <class Tile, class I, class Y>
  static void tile_call(const value_type* const* w, const I* cols, index_t nnz, const std::int32_t* off,
                        const float* x, Y* const* y, int m, const typename weights_type::bias_type* bias,
                        const Y* const* res, activation act) noexcept {
    if constexpr (is_int8) {
      const std::int8_t* wr[Tile::nr];
      index_t e = 0;
      do {
        const index_t len = std::min(kernel::i8_exact_run, nnz - e);
        for (int r = 0; r < Tile::nr; ++r) wr[r] = w[r] + e;
        Tile::run_exact(wr, cols + e, len, off, x, y, m, e > 0);
        e += len;
      } while (e < nnz);
    } else {
      Tile::run(w, cols, nnz, off, x, y, m, bias, res, act);
    }
  }

  /// Rows [k0, k1) of one tile: block tiles where flagged, the row tile elsewhere.
  /// y(k) and res(k) give output and residual row pointers (residual may be null).
  template <class I, class YRow, class ResRow>
  void rows(const I* cols, index_t k0, index_t k1, const std::int32_t* off, const float* x,
            int m, YRow&& y, ResRow&& res, activation act) const {
    using Y = std::remove_pointer_t<decltype(y(k0))>;
    const auto& mat = weights_.matrix();
    const value_type* values = mat.values().data();
    const auto rp = mat.row_ptr();
    const auto* bias = weights_.bias().data();
    for (index_t k = k0; k < k1;) {
      const index_t e0 = rp[std::size_t(k)], nnz = index_t(rp[std::size_t(k + 1)]) - e0;
      if (k % 4 == 0 && k + 4 <= k1 && flags_[k / 4]) {
        const value_type* w[4];
        Y* yr[4];
        const Y* rr[4];
        for (int r = 0; r < 4; ++r) {
          w[r] = values + rp[std::size_t(k + r)];
          yr[r] = y(k + r);
          rr[r] = res(k + r);
        }
        for (int h = 0; h < 2; ++h) {
          const int mh = std::min<int>(m - h * block_tile::mr, block_tile::mr);
          if (mh <= 0) break;
          Y* yh[4];
          const Y* rh[4];
          for (int r = 0; r < 4; ++r) {
            yh[r] = yr[r] + h * block_tile::mr;
            rh[r] = rr[r] ? rr[r] + h * block_tile::mr : nullptr;
          }
          tile_call<block_tile>(w, cols + e0, nnz, off, x + h * block_tile::mr, yh, mh, bias + k,
                                rr[0] ? rh : nullptr, act);
        }
        k += 4;
        continue;
      }
      const value_type* w[1] = {values + e0};
      Y* yr[1] = {y(k)};
      const Y* rr[1] = {res(k)};
      // A short last tile runs through a narrower instance: same sums, fewer wasted lanes.
      constexpr int lanes = row_tile::lanes;
      using arch = typename row_tile::arch_type;
      if (m > 2 * lanes || mr <= 2 * lanes)
        tile_call<row_tile>(w, cols + e0, nnz, off, x, yr, m, bias + k, rr[0] ? rr : nullptr, act);
      else if (m > lanes)
        tile_call<kernel::spmm_tile<2, 1, arch>>(w, cols + e0, nnz, off, x, yr, m, bias + k,
                                                 rr[0] ? rr : nullptr, act);
      else
        tile_call<kernel::spmm_tile<1, 1, arch>>(w, cols + e0, nnz, off, x, yr, m, bias + k,
                                                 rr[0] ? rr : nullptr, act);
      ++k;
    }
  }

  /// fp16 and int8: image `x` (C x H x W codes in the layout) into its fp32 copy `dst`:
  /// half widened exactly, int8 codes minus the input zero point.
  template <class In>
  void convert_image(const In* x, float* dst) const {
    const index_t n = converted_elements(shape_);
    if constexpr (is_int8) {
      const std::int32_t zp = opt_.input_quant.zero_point;
      core::parallel_for(ceil_div(n, widen_block), [&](index_t b) {
        const index_t i1 = std::min(n, (b + 1) * widen_block);
        for (index_t i = b * widen_block; i < i1; ++i) dst[i] = float(std::int32_t(x[i]) - zp);
      });
    } else {
      widen(x, dst, n);
    }
  }

  /// The int8 epilogue (the reference's), or nothing for fp16 (detail::narrow_finish).
  template <class Out>
  auto finisher() const {
    if constexpr (is_int8) return epilogue<precision::int8, Out>(weights_, opt_);
    else return 0;
  }

  /// fp16 and int8: one image's outputs from its sums (in the layout's order).
  template <class Finish, class Out>
  void finish_image(const Finish& finish, const sum_type* sums, const Out* residual, Out* y,
                    const kernel::i8_requant8* requant) const {
    const index_t pq = shape_.output_h() * shape_.output_w(), K = shape_.k, n = K * pq;
    if constexpr (is_int8) {
      // By rows of the layout (a channel plane in NCHW, a pixel in NHWC): no division per output.
      const index_t len = nhwc ? K : pq;
      core::parallel_for(n / len, [&](index_t row) {
        const index_t i0 = row * len;
        finish_int8_row(finish, sums + i0, residual ? residual + i0 : nullptr, y + i0, len, row, requant);
      });
    } else {
      (void)finish;
      (void)requant;
      narrow_finish(sums, residual, opt_.act, y, n);
    }
  }

  /// int8: one layout row of outputs from its exact sums, through the vector forms of
  /// epilogue::from_total (the same operations in the same order, so bit-identical to it) and
  /// from_total itself for the last few. NCHW rows are one channel (`row`); NHWC rows run over
  /// the channels, whose requantisation constants are `requant` (8 channels per entry).
  template <class Finish, class Out>
  void finish_int8_row(const Finish& finish, const std::int32_t* sums, const Out* residual, Out* y,
                       index_t len, index_t row, const kernel::i8_requant8* requant) const {
    using ibatch = xsimd::batch<std::int32_t, kernel::default_arch>;
    using fbatch = xsimd::batch<float, kernel::default_arch>;
    constexpr index_t lanes = index_t(ibatch::size);
    const std::int32_t* bias = weights_.bias().data();
    auto channel = [&](index_t j) { return nhwc ? j : row; };
    index_t j = 0;
    if constexpr (std::is_same_v<Out, float>) {
      const float* scales = weights_.output_scales().data();
      const activation act = finish.act();
      for (; j + lanes <= len; j += lanes) {
        const ibatch b = nhwc ? ibatch::load_unaligned(bias + j) : ibatch(bias[row]);
        const fbatch p = xsimd::batch_cast<float>(ibatch::load_unaligned(sums + j) + b);
        const fbatch scale = nhwc ? fbatch::load_unaligned(scales + j) : fbatch(scales[row]);
        fbatch v = residual ? kernel::fmadd(p, scale, fbatch::load_unaligned(residual + j)) : p * scale;
        activated(v, act).store_unaligned(y + j);
      }
    } else {
      kernel::i8_requant8 uniform[2] = {};  // NCHW: the row's channel in every lane
      if constexpr (!nhwc) {
        const optimize::fixed_point_multiplier fm = weights_.multipliers()[std::size_t(row)];
        for (int l = 0; l < 16; ++l) uniform[l / 8].set(l % 8, fm.multiplier, fm.shift);
      }
      const optimize::output_clamp c = finish.clamp();
      alignas(32) std::int32_t total[16];
      for (; j + 16 <= len; j += 16) {
        for (int u = 0; u < 16; ++u) total[u] = sums[j + u] + bias[channel(j + u)];
        kernel::i8_requantize16(total, nhwc ? requant + j / 8 : uniform, finish.zero_point(), c.lo, c.hi, y + j);
      }
    }
    for (; j < len; ++j)
      y[j] = finish(sums[j], channel(j), residual ? residual + j : nullptr);
  }

  /// int8 with 8-bit outputs, NHWC: the requantisation constants of channels 8i..8i+7.
  void fill_requant(kernel::i8_requant8* requant) const {
    const auto m = weights_.multipliers();
    for (index_t k = 0; k < ceil_div(shape_.k, 8) * 8; ++k) {
      const optimize::fixed_point_multiplier fm = k < shape_.k ? m[std::size_t(k)] : optimize::fixed_point_multiplier{};
      requant[k / 8].set(int(k % 8), fm.multiplier, fm.shift);
    }
  }

  /// Gathers the channel-major kdim x MR panel of output pixels [p0, p0 + m) of group g from
  /// `img` (an h x w image in the layout, all C channels): dst[((c * R + r) * S + s) * MR + i]
  /// = channel c of pixel i's tap (r, s), zero outside [0, h) x [0, w) (checked) and past m.
  /// `dy`, `dx` are the padding still to apply. NHWC transposes each tap's pixel rows in
  /// blocks (kernel::rows_to_columns); NCHW reads element by element.
  template <bool Checked>
  void pack_panel(index_t p0, int m, index_t h, index_t w, index_t dy, index_t dx, float* dst,
                  const float* img, index_t g) const {
    const conv2d_shape& sh = shape_;
    const index_t Q = sh.output_w(), cg = sh.c_per_group(), C = sh.c, taps = sh.r * sh.s;
    index_t ys[mr], xs[mr];
    for (int i = 0; i < m; ++i) {
      const index_t p = (p0 + i) / Q, q = (p0 + i) % Q;
      ys[i] = p * sh.stride_h - dy;
      xs[i] = q * sh.stride_w - dx;
    }
    auto inside = [&](index_t yy, index_t xx) {
      return !Checked || (yy >= 0 && yy < h && xx >= 0 && xx < w);
    };
    for (index_t r = 0; r < sh.r; ++r)
      for (index_t s = 0; s < sh.s; ++s) {
        float* d = dst + (r * sh.s + s) * mr;
        const index_t oy = r * sh.dilation_h, ox = s * sh.dilation_w;
        if constexpr (nhwc) {
          const float* pixels[mr];
          for (int i = 0; i < m; ++i) {
            const index_t yy = ys[i] + oy, xx = xs[i] + ox;
            pixels[i] = inside(yy, xx) ? img + (yy * w + xx) * C + g * cg : nullptr;
          }
          kernel::rows_to_columns(pixels, m, int(mr), cg, d, taps * mr);
        } else {
          for (index_t c = 0; c < cg; ++c, d += taps * mr) {
            const float* plane = img + (g * cg + c) * h * w;
            for (int i = 0; i < m; ++i) {
              const index_t yy = ys[i] + oy, xx = xs[i] + ox;
              d[i] = inside(yy, xx) ? plane[yy * w + xx] : 0.0f;
            }
            for (index_t i = m; i < mr; ++i) d[i] = 0.0f;
          }
        }
      }
  }

  /// One image: fp32 source `ximg`, outputs (fp32) or sums (fp16, int8) at `y` in the
  /// layout's order, with the residual and activation (fp32 only; null and none otherwise).
  template <class I>
  void run_image(const I* cols, const float* ximg, sum_type* y, const sum_type* residual,
                 activation act, float* ws, sum_type* scratch, std::int32_t* table) const {
    const conv2d_shape& sh = shape_;
    const index_t P = sh.output_h(), Q = sh.output_w(), pq = P * Q;
    const index_t H = sh.h, W = sh.w, C = sh.c;
    const index_t cg = sh.c_per_group(), kg = sh.k_per_group(), kd = kdim(sh);
    const index_t hp = H + sh.pad_top + sh.pad_bottom, wp = W + sh.pad_left + sh.pad_right;
    const index_t npix = tile_pixels(sh), ntiles = tiles(sh), nslots = slots(sh), kb = k_block(sh);
    const index_t panel = kd * mr;
    const bool window = windowed(sh);
    // The padded copy is channel-major when the tiles read it in place (both layouts).
    const bool planar = !nhwc || window;
    const bool parallel = sh.flops() / double(sh.n) >= parallel_min_flops;
    auto par = [parallel](index_t count, auto&& body) {
      if (parallel) core::parallel_for(count, body);
      else
        for (index_t i = 0; i < count; ++i) body(i);
    };

    float* matrix = ws;  // im2col matrix, or the packed tail of in-place pointwise
    float* padded = ws + (in_place(sh) ? (pq % mr ? panel : 0) : is_im2col ? kd * pq + mr : 0);
    float* panels = padded + (is_spatial ? padded_elements(sh) : 0);  // windowed: the over-read

    // Input element (c local to group g, y, x), for the im2col matrix.
    auto input_at = [&](index_t g) {
      if constexpr (nhwc)
        return [=](index_t c, index_t yy, index_t xx) { return ximg[(yy * W + xx) * C + g * cg + c]; };
      else
        return [=](index_t c, index_t yy, index_t xx) { return ximg[((g * cg + c) * H + yy) * W + xx]; };
    };
    if constexpr (is_spatial) {
      par(hp, [&](index_t yy) {
        const index_t iy = yy - sh.pad_top;
        for (index_t xx = 0; xx < wp; ++xx) {
          const index_t ix = xx - sh.pad_left;
          const bool inside = iy >= 0 && iy < H && ix >= 0 && ix < W;
          for (index_t c = 0; c < C; ++c) {
            const float v = inside ? (nhwc ? ximg[(iy * W + ix) * C + c] : ximg[(c * H + iy) * W + ix]) : 0.0f;
            if (planar) padded[(c * hp + yy) * wp + xx] = v;
            else padded[(yy * wp + xx) * C + c] = v;
          }
        }
      });
      if (window) std::fill(panels, panels + mr, 0.0f);
    }

    for (index_t g = 0; g < sh.groups; ++g) {
      const index_t k0 = g * kg, k1 = k0 + kg;
      // Column offset tables.
      if (window) {
        for (index_t c = 0; c < cg; ++c)
          for (index_t r = 0; r < sh.r; ++r)
            for (index_t s = 0; s < sh.s; ++s)
              table[(c * sh.r + r) * sh.s + s] =
                  std::int32_t((c * hp + r * sh.dilation_h) * wp + s * sh.dilation_w);
      } else {
        const index_t ld = in_place(sh) ? H * W : is_im2col ? pq : mr;
        for (index_t j = 0; j < kd; ++j) table[j] = std::int32_t(j * ld);
      }
      if (table_entries(sh) > kd)
        for (index_t j = 0; j < kd; ++j) table[kd + j] = std::int32_t(j * mr);

      if constexpr (is_im2col) {
        const auto at = input_at(g);
        par(cg, [&](index_t c) {
          for (index_t r = 0; r < sh.r; ++r)
            for (index_t s = 0; s < sh.s; ++s) {
              float* d = matrix + ((c * sh.r + r) * sh.s + s) * pq;
              for (index_t p = 0; p < P; ++p) {
                const index_t yy = p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
                for (index_t q = 0; q < Q; ++q) {
                  const index_t xx = q * sh.stride_w - sh.pad_left + s * sh.dilation_w;
                  d[p * Q + q] = yy >= 0 && yy < H && xx >= 0 && xx < W ? at(c, yy, xx) : 0.0f;
                }
              }
            }
        });
        std::fill(matrix + kd * pq, matrix + kd * pq + mr, 0.0f);
      }

      par(nslots, [&](index_t slot) {
        for (index_t t = slot; t < ntiles; t += nslots) {
          const index_t p0 = t * mr;
          const int m = int(std::min<index_t>(mr, npix - p0));
          const float* src;
          const std::int32_t* off = table;
          if (in_place(sh)) {
            if (m == mr) {
              src = ximg + g * cg * H * W + p0;
            } else {
              pack_panel<true>(p0, m, H, W, 0, 0, matrix, ximg, g);
              src = matrix;
              off = table + kd;
            }
          } else if constexpr (is_im2col) {
            src = matrix + p0;
          } else if (window) {
            src = padded + g * cg * hp * wp + p0;
          } else if constexpr (is_spatial) {
            float* pan = panels + slot * panel;
            pack_panel<false>(p0, m, hp, wp, 0, 0, pan, padded, g);
            src = pan;
          } else {
            float* pan = panels + slot * panel;
            pack_panel<true>(p0, m, H, W, sh.pad_top, sh.pad_left, pan, ximg, g);
            src = pan;
          }
          if (!uses_scratch(sh)) {
            sum_type* yimg = y + p0;
            const sum_type* rimg = residual ? residual + p0 : nullptr;
            rows(cols, k0, k1, off, src, m, [&](index_t k) { return yimg + k * pq; },
                 [&](index_t k) { return rimg ? rimg + k * pq : nullptr; }, act);
            continue;
          }
          // Output pixel of each tile lane (-1: a windowed lane past the row's end).
          index_t pixel[mr];
          for (int i = 0; i < m; ++i) {
            const index_t v = p0 + i;
            pixel[i] = !window ? v : v % wp < Q ? v / wp * Q + v % wp : -1;
          }
          sum_type* scr = scratch + slot * kb * mr;
          for (index_t kc = k0; kc < k1; kc += kb) {
            const index_t kc1 = std::min(k1, kc + kb);
            // Block flags are aligned to absolute channels: align the scratch origin too.
            rows(cols, kc, kc1, off, src, m, [&](index_t k) { return scr + (k - kc) * mr; },
                 [](index_t) -> const sum_type* { return nullptr; }, activation::none);
            auto put = [&](sum_type v, index_t o) {
              if constexpr (is_fp32) finish_run(&v, residual ? residual + o : nullptr, act, y + o, 1);
              else y[o] = v;
            };
            if constexpr (nhwc) {
              sum_type* out_rows[mr];
              for (int i = 0; i < m; ++i) out_rows[i] = pixel[i] >= 0 ? y + pixel[i] * sh.k + kc : nullptr;
              kernel::columns_to_rows(scr, mr, kc1 - kc, out_rows, m);
              if constexpr (is_fp32)
                if (residual || act != activation::none)
                  for (int i = 0; i < m; ++i)
                    if (out_rows[i])
                      finish_run(out_rows[i], residual ? residual + pixel[i] * sh.k + kc : nullptr, act,
                                 out_rows[i], kc1 - kc);
            } else {
              for (index_t k = kc; k < kc1; ++k)
                for (int i = 0; i < m; ++i)
                  if (pixel[i] >= 0) put(scr[(k - kc) * mr + i], k * pq + pixel[i]);
            }
          }
        }
      });
    }
  }

  conv2d_shape shape_;
  conv2d_options opt_;
  weights_type weights_;
  aligned_buffer<std::uint8_t> flags_;
};

}  // namespace dlas::conv::detail
