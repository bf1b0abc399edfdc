// SPDX-License-Identifier: Apache-2.0
/// \file int8_gemm_conv.hpp
/// \brief int8_gemm_conv<Layout, Algorithm>: the int8 dense kernels of algo::pointwise,
/// im2col_gemm, direct and spatial_pack on kernel::i8_gemm_tile, bit-exact with algo::reference.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory_resource>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__AVX512BW__)
#include <immintrin.h>
#endif

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/detail/i8_finish.hpp"
#include "dlas/conv/epilogue.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/kernel/i8_gemm_tile.hpp"
#include "dlas/kernel/i8_requantize.hpp"
#include "dlas/kernel/i8_requantized_tile.hpp"
#include "dlas/kernel/registry.hpp"
#include "dlas/optimize/requantize.hpp"
#include "dlas/policy/algorithm.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv::detail {

/// Offset that turns an input code of type In into the tile's signed operand x' = x - offset
/// in [-128, 127]: 128 for uint8 codes (x ^ 0x80), 0 for int8 codes.
template <class In>
inline constexpr std::int32_t i8_input_offset = std::is_same_v<In, std::uint8_t> ? 128 : 0;

/// The int8 dense convolution of algo::pointwise, im2col_gemm, direct or spatial_pack, NCHW or
/// NHWC. The tile multiplies rows of bytes a = x' + t (x' = x - offset, see i8_input_offset;
/// t = kernel::i8_a_offset of the tile's path) with the weights packed as i8_gemm_tile
/// panels; the algorithms differ in where the rows come from:
///   im2col_gemm   every output pixel's taps gathered into a row, in chunks of pixels; rows
///                 in (r, s, c) order in NHWC, in the weights' own (c, r, s) order in NCHW
///   pointwise     the same with one tap; in NHWC, where no xor is needed (uint8 codes on the
///                 VNNI path), the tile reads the input pixels in place
///   spatial_pack  the image copied once per call into a padded NHWC image of the tile's
///                 bytes (NCHW input transposed on the way), which the tile reads in place:
///                 a kernel row's S taps are one run of S * C bytes (one group, no dilation),
///                 else tap by tap
///   direct        no copy where the input is NHWC in the tile's bytes with whole depth
///                 steps per group (else an unpadded coded copy): the tile reads each tap
///                 in place, a row of pad bytes standing in for taps outside the input, and
///                 the sums of the taps add up in int32
///
/// Exactness: sum (x - zp) * w = sum a * w + (offset - t - zp) * sum w. The second term and
/// the bias are folded, per output channel and input type, into one int32 at construction
/// (the zero-point compensation); padding taps hold a = zp - offset + t, so they contribute
/// exactly 0 like the reference's. The tile's sums are exact (see i8_gemm_tile), the compensation is
/// added with wrapping int32 arithmetic (the true total fits in int32: int8_max_taps), and
/// the total goes through conv::epilogue::from_total, the reference's own epilogue. Results
/// are therefore bit-identical to algo::reference for every input, thread count and target.
template <class Layout, class Algorithm>
class int8_gemm_conv {
  static constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  static constexpr bool is_pointwise = std::is_same_v<Algorithm, algo::pointwise>;
  static constexpr bool is_direct = std::is_same_v<Algorithm, algo::direct>;
  static constexpr bool is_spatial = std::is_same_v<Algorithm, algo::spatial_pack>;
  static_assert(is_pointwise || is_direct || is_spatial || std::is_same_v<Algorithm, algo::im2col_gemm>);
  using tile = kernel::i8_gemm_tile_default;
  static constexpr int mr = tile::mr;
  static constexpr int nr = tile::nr;
  /// Row tiles that share one sweep over the panels (the A block stays in L1/L2).
  static constexpr index_t rows_block_tiles = 16;

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<precision::int8, sparsity::dense>;

  static status can_implement(const conv2d_shape& sh) {
    if constexpr (is_pointwise) return pointwise_can_implement(sh);
    return {};
  }

  /// Depth of one group's GEMM (C/groups * R * S) and its padding to whole tile steps: at the
  /// end of the row, or, where the tile reads the image in place, at the end of every kernel
  /// row (run_bytes) or of every tap (tap_bytes).
  static constexpr index_t depth(const conv2d_shape& sh) noexcept { return sh.c_per_group() * sh.r * sh.s; }
  static constexpr index_t padded_depth(const conv2d_shape& sh) noexcept {
    return reads_padded_image(sh) ? sh.r * run_bytes(sh)
           : reads_taps(sh)       ? sh.r * sh.s * tap_bytes(sh)
                                  : kernel::i8_padded_depth(depth(sh));
  }
  /// Bytes the tile reads per tap where it reads tap by tap: a group's channels rounded up to
  /// whole depth steps (the bytes past them meet zero weights).
  static constexpr index_t tap_bytes(const conv2d_shape& sh) noexcept {
    return kernel::i8_padded_depth(sh.c_per_group());
  }
  /// Bytes the tile reads per kernel row of the padded image: the row's S * C taps rounded up
  /// to whole depth steps. The bytes past the taps (the next pixel's, at most 3) meet zero
  /// weights.
  static constexpr index_t run_bytes(const conv2d_shape& sh) noexcept {
    return kernel::i8_padded_depth(sh.s * sh.c);
  }
  static constexpr index_t panels_per_group(const conv2d_shape& sh) noexcept {
    return (sh.k_per_group() + nr - 1) / nr;
  }
  static constexpr index_t panel_elements(const conv2d_shape& sh) noexcept {
    return sh.groups * panels_per_group(sh) * nr * padded_depth(sh);
  }

  /// Blocks of 8 vector requantisation constants: one per 8 columns of every panel.
  static constexpr index_t requant_blocks(const conv2d_shape& sh) noexcept {
    return sh.groups * panels_per_group(sh) * (nr / 8);
  }

  /// Packed panels, then per channel: the folded bias for uint8 and for int8 inputs, the
  /// accumulator scale and the requantisation multiplier; where the padded image is read in
  /// place, its tap regions and their folded biases for both input types.
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t = 0) noexcept {
    return buffer_bytes<std::int8_t>(panel_elements(sh)) +
           sh.k * index_t(2 * sizeof(std::int32_t) + sizeof(float) +
                          sizeof(optimize::fixed_point_multiplier)) +
           buffer_bytes<kernel::i8_requant8>(requant_blocks(sh)) + buffer_bytes<tap_region>(region_count(sh)) +
           buffer_bytes<std::int32_t>(2 * region_count(sh) * sh.k) + buffer_bytes<region_tile>(region_tile_count(sh));
  }

  /// Output pixels whose rows are gathered together: about 1 MB of rows, a multiple of
  /// rows_block_tiles * MR and at least one such block.
  static constexpr index_t chunk_pixels(const conv2d_shape& sh) noexcept {
    constexpr index_t unit = rows_block_tiles * mr;
    return std::max<index_t>(unit, (index_t{1} << 20) / padded_depth(sh) / unit * unit);
  }
  /// One call's workspace for input codes In: spatial_pack's padded image; direct's row of
  /// pad bytes and, unless it reads the input in place, its coded copy; nothing where
  /// pointwise reads the input pixels in place; else a chunk of gathered rows.
  template <class In = std::uint8_t>
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    static_assert(std::is_same_v<In, std::uint8_t> || std::is_same_v<In, std::int8_t>,
                  "dlas: int8 kernels take uint8_t or int8_t input codes");
    if (is_spatial) return buffer_bytes<std::int8_t>(padded_image_bytes(sh));
    if (is_direct)
      return buffer_bytes<std::int8_t>(tap_bytes(sh) + (reads_input_in_place<In>(sh) ? 0 : sh.h * sh.w * pixel_bytes(sh)));
    if (reads_input_as_rows<In>(sh)) return 0;
    return buffer_bytes<std::int8_t>(std::min(sh.output_h() * sh.output_w(), chunk_pixels(sh)) *
                                     padded_depth(sh));
  }

  /// Whether spatial_pack's tile reads each output pixel's kernel rows as runs of its padded
  /// image (kernel::i8_row_runs: a kernel row's S taps are S * C consecutive bytes of an NHWC
  /// image row): one group and no dilation. Otherwise it reads tap by tap (reads_taps).
  static constexpr bool reads_padded_image(const conv2d_shape& sh) noexcept {
    return is_spatial && sh.groups == 1 && sh.dilation_h == 1 && sh.dilation_w == 1;
  }
  /// Whether the tile reads the image tap by tap: direct, and spatial_pack where a kernel row
  /// is not one run.
  static constexpr bool reads_taps(const conv2d_shape& sh) noexcept {
    return is_direct || (is_spatial && !reads_padded_image(sh));
  }
  /// Whether spatial_pack is faster than im2col_gemm on a KxK layer (algo::automatic's rule).
  /// NCHW: always; im2col_gemm gathers each tap's byte of a (c, r, s) row on its own, where
  /// spatial_pack transposes the image once (ResNet-50, VNNI: 171 against 90 GOP/s). NHWC: on
  /// the path that finishes in registers, one group, no dilation, K of whole panels, and at
  /// most twice the depth of the gathered rows where S * C is not a whole number of depth
  /// steps: a 7x7 stem on 3 channels reads 7 runs of 24 bytes for 147 taps, a 3x3 one 36
  /// bytes for 27, and still runs 1.3x and 2.8x faster than from gathered rows. The copy is
  /// the image once; the gathered rows are every pixel's R * S taps.
  static constexpr bool spatial_pack_preferred(const conv2d_shape& sh) noexcept {
    if constexpr (!nhwc) return sh.r * sh.s > 1;
    return tile::finishes_in_registers && sh.groups == 1 && sh.dilation_h == 1 && sh.dilation_w == 1 &&
           sh.k % nr == 0 && sh.r * sh.s > 1 && sh.r * run_bytes(sh) <= 2 * kernel::i8_padded_depth(depth(sh));
  }
  /// Bytes per pixel of a coded image: C where kernel rows are runs (and the input's own
  /// pixels), else each group's channels rounded up to whole depth steps.
  static constexpr index_t pixel_bytes(const conv2d_shape& sh) noexcept {
    return reads_padded_image(sh) ? sh.c : sh.groups * tap_bytes(sh);
  }
  /// Bytes of spatial_pack's padded image, (H + pad_top + pad_bottom) x (W + pad_left +
  /// pad_right) pixels, and the bytes the last kernel row's run reads past it.
  static constexpr index_t padded_image_bytes(const conv2d_shape& sh) noexcept {
    return (sh.h + sh.pad_top + sh.pad_bottom) * (sh.w + sh.pad_left + sh.pad_right) * pixel_bytes(sh) +
           (reads_padded_image(sh) ? run_bytes(sh) - sh.s * sh.c : 0);
  }

  /// Output pixels of the padded image that leave out the same taps in the padding: output
  /// rows [y0, y1) x columns [x0, x1) read kernel rows [r0, r1) and columns [s0, s1) only.
  /// The taps left out would read pad bytes; the pad byte times their weights' sum goes into
  /// the region's folded bias instead, so the sums stay exact. On a 7x7 output with 3x3 taps
  /// and padding 1 this is 16% fewer products. first_tile: the region's first tile in the image.
  struct tap_region {
    index_t y0, y1, x0, x1, r0, r1, s0, s1, first_tile;
  };
  /// One tile of a region: m pixels from output pixel (y, x) on, row by row within the region.
  struct region_tile {
    std::int32_t region, m, y, x;
  };

  /// Bands of output rows shorter than this keep the taps of their padded columns: the border
  /// columns of a one-row band would be tiles of one pixel.
  static constexpr index_t region_min_rows = 4;

  /// Calls f(region) for every tap region of sh, row bands top to bottom, columns left to
  /// right: a band of output rows shares the kernel rows inside the input; a band of at least
  /// region_min_rows rows splits by the kernel columns inside, where those start on whole
  /// depth steps (C % 4 == 0). Outputs whose kernel lies wholly in the padding read all taps.
  template <class F>
  static constexpr void for_each_region(const conv2d_shape& sh, F&& f) {
    using range = std::pair<index_t, index_t>;
    auto inside = [](index_t first, index_t taps, index_t extent) {
      const index_t lo = std::max<index_t>(0, -first), hi = std::min<index_t>(taps, extent - first);
      return lo < hi ? range{lo, hi} : range{0, taps};
    };
    auto rows = [&](index_t y) { return inside(y * sh.stride_h - sh.pad_top, sh.r, sh.h); };
    auto cols = [&](index_t x) { return inside(x * sh.stride_w - sh.pad_left, sh.s, sh.w); };
    const index_t P = sh.output_h(), Q = sh.output_w();
    index_t tiles = 0;
    for (index_t y0 = 0, y1 = 0; y0 < P; y0 = y1) {
      for (y1 = y0 + 1; y1 < P && rows(y1) == rows(y0); ++y1) {}
      const bool split = y1 - y0 >= region_min_rows && sh.c % kernel::i8_depth_step == 0;
      for (index_t x0 = 0, x1 = 0; x0 < Q; x0 = x1) {
        x1 = split ? x0 + 1 : Q;
        if (split)
          while (x1 < Q && cols(x1) == cols(x0)) ++x1;
        const range r = rows(y0), c = split ? cols(x0) : range{0, sh.s};
        const tap_region g{y0, y1, x0, x1, r.first, r.second, c.first, c.second, tiles};
        f(g);
        tiles += region_tiles(g);
      }
    }
  }
  /// Tiles of a region: its pixels row by row, in tiles of nearly equal size (kernel::
  /// i8_gemm_short_tiles has one for every row count).
  static constexpr index_t region_tiles(const tap_region& g) noexcept {
    return ((g.y1 - g.y0) * (g.x1 - g.x0) + mr - 1) / mr;
  }
  /// Whether the padded image is read region by region, leaving out the taps in the
  /// padding: where that saves at least 4% of the products (3x3 taps with padding 1 on
  /// outputs of 28x28 and smaller). Below, the per-tile bookkeeping costs more than it saves
  /// (a 7x7 stem on 112x112 outputs saves 0.8% and measured 12% slower).
  static constexpr bool skips_padded_taps(const conv2d_shape& sh) noexcept {
    if (!reads_padded_image(sh)) return false;
    index_t kept = 0;
    for_each_region(sh, [&kept](const tap_region& g) {
      kept += (g.y1 - g.y0) * (g.x1 - g.x0) * (g.r1 - g.r0) * (g.s1 - g.s0);
    });
    const index_t all = sh.output_h() * sh.output_w() * sh.r * sh.s;
    return (all - kept) * 25 >= all;
  }
  static constexpr index_t region_count(const conv2d_shape& sh) noexcept {
    index_t n = 0;
    if (skips_padded_taps(sh)) for_each_region(sh, [&n](const tap_region&) { ++n; });
    return n;
  }
  static constexpr index_t region_tile_count(const conv2d_shape& sh) noexcept {
    index_t n = 0;
    if (skips_padded_taps(sh)) for_each_region(sh, [&n](const tap_region& g) { n += region_tiles(g); });
    return n;
  }

  /// One output channel's positive and negative weight codes, summed (construction only).
  struct weight_sums {
    std::int64_t positive = 0, negative = 0;
  };

  int8_gemm_conv(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : shape_(sh), opt_(opt), panels_(panel_elements(sh), uninitialized), bias_u8_(sh.k, uninitialized),
        bias_s8_(sh.k, uninitialized), scales_(w.output_scales()), multipliers_(sh.k),
        requant_(requant_blocks(sh)), regions_(region_count(sh), uninitialized),
        region_bias_(2 * region_count(sh) * sh.k, uninitialized), region_tiles_(region_tile_count(sh), uninitialized) {
    can_implement(sh).throw_if_error();
    const std::int8_t* src = w.matrix().data();  // K x (c, r, s)
    const index_t kdim = depth(sh), kg = sh.k_per_group();
    for (index_t i = 0; i < sh.k * kdim; ++i)
      core::require(src[i] != -128, errc::invalid_argument, [] {
        return std::string("int8 conv2d: a weight code of -128 would break the exact vpmaddubsw "
                           "scheme; weights must be symmetric in [-127, 127]");
      });
    if (opt.output_quant) {
      std::copy(w.multipliers().begin(), w.multipliers().end(), multipliers_.begin());
      for (index_t g = 0; g < sh.groups; ++g)
        for (index_t col = 0; col < panels_per_group(sh) * nr; ++col) {
          const index_t k = g * kg + col;
          const optimize::fixed_point_multiplier fm = col < kg ? multipliers_[k] : optimize::fixed_point_multiplier{};
          requant_[(g * panels_per_group(sh) * nr + col) / 8].set(int(col % 8), fm.multiplier, fm.shift);
        }
    }
    const std::int64_t zp = opt.input_quant.zero_point, t = tile_offset();
    std::vector<weight_sums> sums(std::size_t(sh.k));
    for (index_t k = 0; k < sh.k; ++k) {
      weight_sums& ws = sums[std::size_t(k)];
      for (index_t i = 0; i < kdim; ++i) (src[k * kdim + i] > 0 ? ws.positive : ws.negative) += src[k * kdim + i];
      const std::int64_t sum = ws.positive + ws.negative;
      const std::int64_t b = w.bias()[std::size_t(k)];
      // Wrapped to int32: the final total fits, so wrapping intermediate sums is exact.
      bias_u8_[k] = std::int32_t(std::uint32_t(b + (i8_input_offset<std::uint8_t> - t - zp) * sum));
      bias_s8_[k] = std::int32_t(std::uint32_t(b + (i8_input_offset<std::int8_t> - t - zp) * sum));
    }
    index_t i = 0;
    if (regions_.size() > 0) for_each_region(sh, [&](const tap_region& g) {
      regions_[i] = g;
      // Nearly equal tiles: the first n % count hold one pixel more.
      const index_t w = g.x1 - g.x0, n = (g.y1 - g.y0) * w, count = region_tiles(g);
      for (index_t t = 0; t < count; ++t) {
        const index_t j0 = t * (n / count) + std::min(t, n % count);
        region_tiles_[g.first_tile + t] = {std::int32_t(i), std::int32_t(n / count + (t < n % count)),
                                           std::int32_t(g.y0 + j0 / w), std::int32_t(g.x0 + j0 % w)};
      }
      for (index_t k = 0; k < sh.k; ++k) {
        std::int64_t left_out = 0;  // the weights of the taps the region leaves out
        for (index_t c = 0; c < sh.c; ++c)
          for (index_t r = 0; r < sh.r; ++r)
            for (index_t s = 0; s < sh.s; ++s)
              if (r < g.r0 || r >= g.r1 || s < g.s0 || s >= g.s1) left_out += src[k * kdim + (c * sh.r + r) * sh.s + s];
        region_bias_[(2 * i) * sh.k + k] =
            std::int32_t(std::uint32_t(bias_u8_[k] + std::int64_t(pad_value<std::uint8_t>()) * left_out));
        region_bias_[(2 * i + 1) * sh.k + k] =
            std::int32_t(std::uint32_t(bias_s8_[k] + std::int64_t(pad_value<std::int8_t>()) * left_out));
      }
      ++i;
    });
    decide_fused_finish(sums);
    const index_t per_group = panels_per_group(sh) * nr * padded_depth(sh);
    for (index_t g = 0; g < sh.groups; ++g)
      for (index_t p = 0; p < panels_per_group(sh); ++p)
        kernel::pack_i8_panel<nr>(panels_.data() + g * per_group + p * nr * padded_depth(sh), packed_depth(sh),
                                  p * nr, std::min<index_t>(nr, kg - p * nr),
                                  [&](index_t kk, index_t j) {
                                    const index_t col = column(kk);
                                    return col < 0 ? std::int8_t(0) : src[(g * kg + j) * kdim + col];
                                  });
  }

  index_t weight_bytes() const noexcept {
    return panels_.bytes() + bias_u8_.bytes() + bias_s8_.bytes() + scales_.bytes() +
           multipliers_.bytes() + requant_.bytes() + regions_.bytes() + region_bias_.bytes() + region_tiles_.bytes();
  }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr_) const {
    static_assert(std::is_same_v<In, std::uint8_t> || std::is_same_v<In, std::int8_t>,
                  "dlas: int8 kernels take uint8_t or int8_t input codes");
    const conv2d_shape& sh = shape_;
    const std::int32_t* folded = std::is_same_v<In, std::uint8_t> ? bias_u8_.data() : bias_s8_.data();
    const epilogue<precision::int8, Out> finish(folded, scales_.data(), multipliers_.data(), opt_);
    const index_t pq = sh.output_h() * sh.output_w(), kd = padded_depth(sh);
    if (reads_input_as_rows<In>(sh)) {  // the input pixels are the rows
      for (index_t img = 0; img < sh.n; ++img)
        gemm(image_rows{reinterpret_cast<const std::int8_t*>(in.data() + in.offset(img, 0, 0, 0)), sh.output_w(),
                        sh.stride_h * sh.w * sh.c, sh.stride_w * sh.c, kernel::i8_row_runs{1, kd / kernel::i8_depth_step, 0}},
             pq, img, 0, 0, out.data(), residual, folded, finish);
      return;
    }
    const std::int8_t pad = pad_byte<In>();
    if constexpr (is_spatial) {
      aligned_buffer<std::int8_t> image(padded_image_bytes(sh), uninitialized, mr_);
      const index_t hp = sh.h + sh.pad_top + sh.pad_bottom, wp = sh.w + sh.pad_left + sh.pad_right;
      const index_t row = wp * pixel_bytes(sh);
      // Regions exist only where the padded taps are left out (skips_padded_taps).
      const bool by_region = regions_.size() > 0;
      const std::int32_t* region_bias =
          by_region ? region_bias_.data() + (std::is_same_v<In, std::uint8_t> ? 0 : sh.k) : nullptr;
      const region_rows regions{image.data(), row, this, region_bias};
      const image_rows pixels{image.data(), sh.output_w(), sh.stride_h * row, sh.stride_w * sh.c,
                              kernel::i8_row_runs{sh.r, run_bytes(sh) / kernel::i8_depth_step, row}};
      std::fill(image.data() + hp * row, image.data() + padded_image_bytes(sh), pad);  // read, times 0
      for (index_t img = 0; img < sh.n; ++img) {
        core::parallel_for(hp, [&](index_t yp) {
          code_image_row(in, img, yp - sh.pad_top, sh.pad_left, sh.pad_right, pad, image.data() + yp * row);
        });
        if (!reads_padded_image(sh)) {
          for (index_t g = 0; g < sh.groups; ++g)
            gemm(tap_rows{this, image.data() + g * tap_bytes(sh), hp, wp, 0, 0, nullptr}, pq, img, g, 0,
                 out.data(), residual, folded, finish);
        } else if (by_region) {
          gemm(regions, pq, img, 0, 0, out.data(), residual, folded, finish);
        } else {
          gemm(pixels, pq, img, 0, 0, out.data(), residual, folded, finish);
        }
      }
      return;
    }
    if constexpr (is_direct) {
      const bool in_place = reads_input_in_place<In>(sh);
      aligned_buffer<std::int8_t> ws(workspace_bytes<In>(sh) / index_t(sizeof(std::int8_t)), uninitialized, mr_);
      std::int8_t* const pad_row = ws.data();
      std::int8_t* const image = ws.data() + tap_bytes(sh);
      std::fill(pad_row, pad_row + tap_bytes(sh), pad);
      const index_t row = sh.w * pixel_bytes(sh);
      for (index_t img = 0; img < sh.n; ++img) {
        const std::int8_t* source = reinterpret_cast<const std::int8_t*>(in.data() + in.offset(img, 0, 0, 0));
        if (!in_place) {
          core::parallel_for(sh.h, [&](index_t y) { code_image_row(in, img, y, 0, 0, pad, image + y * row); });
          source = image;
        }
        for (index_t g = 0; g < sh.groups; ++g)
          gemm(tap_rows{this, source + g * tap_bytes(sh), sh.h, sh.w, sh.pad_top, sh.pad_left, pad_row}, pq, img,
               g, 0, out.data(), residual, folded, finish);
      }
      return;
    }
    const index_t chunk = std::min(pq, chunk_pixels(sh));
    aligned_buffer<std::int8_t> rows(chunk * kd, uninitialized, mr_);
    const contiguous_rows rows_of{rows.data(), kd};
    for (index_t img = 0; img < sh.n; ++img)
      for (index_t g = 0; g < sh.groups; ++g)
        for (index_t c0 = 0; c0 < pq; c0 += chunk) {
          const index_t np = std::min(chunk, pq - c0);
          core::parallel_for(np, [&](index_t i) {
            gather_row(in, img, g, c0 + i, pad, rows.data() + i * kd);
          });
          gemm(rows_of, np, img, g, c0, out.data(), residual, folded, finish);
        }
  }

 private:
  /// One tile of a region (region_rows): m rows, the output pixel of each, their row
  /// pointers (rows at or past m repeat row m - 1), how the tile reads them, where in each
  /// panel its depth starts, and the region's folded bias.
  struct a_tile {
    int m;
    index_t pixel[mr];
    const std::int8_t* a[mr];
    kernel::i8_row_runs runs;
    index_t b_offset;
    const std::int32_t* folded;
  };

  /// A's rows gathered into a buffer: row p at data + p * depth. Tiles of MR consecutive
  /// rows: tile() gives the MR row pointers from the first row p0, rows at or past m
  /// repeating row m - 1.
  struct contiguous_rows {
    using tail_tiles = kernel::i8_gemm_tail_tiles;
    static constexpr bool consecutive = true;  // tile t: pixels [t * MR, t * MR + m)
    static constexpr bool in_registers = true;  // the tile reads all its depth at once
    const std::int8_t* data;
    index_t depth;
    static index_t tiles(index_t np) noexcept { return (np + mr - 1) / mr; }
    void tile(index_t p0, int m, const std::int8_t** a) const noexcept {
      for (int i = 0; i < mr; ++i) a[i] = data + (p0 + std::min(i, m - 1)) * depth;
    }
    kernel::i8_row_runs runs() const noexcept { return {1, depth / kernel::i8_depth_step, 0}; }
  };

  /// A's rows read in place from an NHWC image (the input itself for pointwise layers, else
  /// its padded copy): output pixel p's first tap at its top left corner, its kernel rows
  /// `tap_runs`, tiles of MR consecutive pixels.
  struct image_rows {
    using tail_tiles = kernel::i8_gemm_tail_tiles;
    static constexpr bool consecutive = true;
    static constexpr bool in_registers = true;
    const std::int8_t* image;
    index_t q;          // output pixels per row
    index_t row_step;   // bytes between output rows' first taps (stride_h image rows)
    index_t pixel_step; // bytes between neighbouring output pixels' first taps
    kernel::i8_row_runs tap_runs;
    static index_t tiles(index_t np) noexcept { return (np + mr - 1) / mr; }
    void tile(index_t p0, int m, const std::int8_t** a) const noexcept {
      index_t y = p0 / q, x = p0 % q;  // one division per tile, not per row
      for (int i = 0; i < mr; ++i) {
        a[i] = image + y * row_step + x * pixel_step;
        if (i + 1 < m && ++x == q) x = 0, ++y;
      }
    }
    kernel::i8_row_runs runs() const noexcept { return tap_runs; }
  };

  /// A's rows read in place from the padded image, region by region (tap_region): each
  /// region's pixels row by row in tiles of nearly equal size, reading only the taps inside
  /// the input, with the region's folded bias.
  struct region_rows {
    using tail_tiles = kernel::i8_gemm_short_tiles;
    static constexpr bool consecutive = false;
    static constexpr bool in_registers = true;
    const std::int8_t* image;  // the padded copy
    index_t row;               // bytes per padded image row
    const int8_gemm_conv* conv;
    const std::int32_t* bias;  // region i's folded bias at bias + 2 * i * K
    index_t tiles(index_t) const noexcept { return conv->region_tiles_.size(); }
    void tile(index_t t, a_tile& at) const noexcept {
      const conv2d_shape& sh = conv->shape_;
      const region_tile rt = conv->region_tiles_[t];
      const index_t i = rt.region;
      const tap_region& g = conv->regions_[i];
      at.m = rt.m;
      index_t y = rt.y, x = rt.x;
      for (int r = 0; r < mr; ++r) {
        at.pixel[r] = y * sh.output_w() + x;
        at.a[r] = image + (y * sh.stride_h + g.r0) * row + (x * sh.stride_w + g.s0) * sh.c;
        if (r + 1 < at.m && ++x == g.x1) x = g.x0, ++y;
      }
      const index_t full = run_bytes(sh) / kernel::i8_depth_step;
      at.runs = {g.r1 - g.r0, g.s1 - g.s0 == sh.s ? full : (g.s1 - g.s0) * sh.c / kernel::i8_depth_step, row, full};
      at.b_offset = (g.r0 * run_bytes(sh) + g.s0 * sh.c) * nr;
      at.folded = bias + 2 * i * sh.k;
    }
  };

  /// A's rows read tap by tap (reads_taps) from a coded NHWC image of pixel_bytes per pixel,
  /// h x w pixels, whose pixel (top, left) is the input's (0, 0): tap (r, s) of output pixel
  /// p at its input pixel, or, outside the image, at `pad`, a row of pad bytes. The tile's
  /// passes over the taps add up (tile_sums); the rows never take the register path.
  struct tap_rows {
    using tail_tiles = kernel::i8_gemm_tail_tiles;
    static constexpr bool consecutive = true;
    static constexpr bool in_registers = false;
    const int8_gemm_conv* conv;
    const std::int8_t* image;  // at the group's first channel
    index_t h, w, top, left;
    const std::int8_t* pad;
    static index_t tiles(index_t np) noexcept { return (np + mr - 1) / mr; }
    void tile(index_t, int, const std::int8_t**) const noexcept {}  // set per tap: tap()
    kernel::i8_row_runs runs() const noexcept { return {}; }         // tile_sums reads tap by tap
    void tap(index_t p0, int m, index_t r, index_t s, const std::int8_t** a) const noexcept {
      const conv2d_shape& sh = conv->shape_;
      const index_t q = sh.output_w(), pixel = pixel_bytes(sh);
      index_t y = p0 / q, x = p0 % q;
      for (int i = 0; i < mr; ++i) {
        const index_t iy = y * sh.stride_h + r * sh.dilation_h - top, ix = x * sh.stride_w + s * sh.dilation_w - left;
        a[i] = iy >= 0 && iy < h && ix >= 0 && ix < w ? image + (iy * w + ix) * pixel : pad;
        if (i + 1 < m && ++x == q) x = 0, ++y;
      }
    }
  };

  /// Input row y (outside [0, H): padding) of image img as a row of a coded image: the tile's
  /// bytes of each pixel (codes with the xor of gather_row; pixel_bytes per pixel, each group
  /// from g * tap_bytes where those differ), with `left` and `right` pixels of `pad` around.
  template <class In>
  void code_image_row(tensor_view<const In, Layout> in, index_t img, index_t y, index_t left, index_t right,
                      std::int8_t pad, std::int8_t* dst) const noexcept {
    const conv2d_shape& sh = shape_;
    const index_t pb = pixel_bytes(sh), cg = sh.c_per_group(), tb = tap_bytes(sh);
    if (y < 0 || y >= sh.h) {
      std::fill(dst, dst + (left + sh.w + right) * pb, pad);
      return;
    }
    const std::uint8_t flip = std::uint8_t(i8_input_offset<In> ^ tile_offset());
    std::fill(dst, dst + left * pb, pad);
    std::int8_t* d = dst + left * pb;
    if (nhwc && pb == sh.c) {
      copy_coded(in.data() + in.offset(img, 0, y, 0), d, sh.w * sh.c, flip);
    } else {
      const index_t step = pb == sh.c ? cg : tb;  // a group's bytes in the coded pixel
      for (index_t x = 0; x < sh.w; ++x, d += pb)
        for (index_t g = 0; g < sh.groups; ++g) {
          std::int8_t* dg = d + g * step;
          if constexpr (nhwc) {
            copy_coded(in.data() + in.offset(img, g * cg, y, x), dg, cg, flip);
          } else {
            for (index_t c = 0; c < cg; ++c) dg[c] = std::int8_t(std::uint8_t(in(img, g * cg + c, y, x)) ^ flip);
          }
          std::fill(dg + cg, dg + step, std::int8_t(0));  // meets zero weights
        }
    }
    std::fill(dst + (left + sh.w) * pb, dst + (left + sh.w + right) * pb, pad);
  }

  /// The offset of the tile's A bytes on the path in use (kernel::i8_a_offset).
  static constexpr std::int32_t tile_offset() noexcept { return kernel::i8_a_offset_in_use; }

  /// The tile's byte for a tap in the padding with input codes In (the zero point, coded as
  /// gather_row codes inputs), and the value the tile multiplies it as: unsigned on the VNNI
  /// path (x' + 128), signed on the others (x').
  template <class In>
  std::int8_t pad_byte() const noexcept {
    return std::int8_t(opt_.input_quant.zero_point - i8_input_offset<In> + tile_offset());
  }
  template <class In>
  std::int32_t pad_value() const noexcept {
    const std::int8_t b = pad_byte<In>();
    return tile_offset() != 0 ? std::int32_t(std::uint8_t(b)) : std::int32_t(b);
  }

  /// Whether the gathered rows would be input pixels byte for byte, so that the tile reads
  /// them in place: pointwise in NHWC, one group, no padding (any stride), a depth of whole
  /// tile steps, and codes that are already the tile's bytes (uint8 codes on the VNNI path,
  /// int8 codes on the signed paths).
  template <class In>
  static constexpr bool reads_input_as_rows(const conv2d_shape& sh) noexcept {
    return is_pointwise && nhwc && sh.groups == 1 &&
           sh.pad_top == 0 && sh.pad_left == 0 && sh.pad_bottom == 0 && sh.pad_right == 0 &&
           depth(sh) % kernel::i8_depth_step == 0 && (i8_input_offset<In> ^ tile_offset()) == 0;
  }

  /// Depth of the packed panels before their padding to whole steps: the taps, or, where the
  /// tile reads the image in place, R runs of run_bytes or R * S taps of tap_bytes.
  static constexpr index_t packed_depth(const conv2d_shape& sh) noexcept {
    return reads_padded_image(sh) || reads_taps(sh) ? padded_depth(sh) : depth(sh);
  }

  /// Whether direct reads input codes In in place: NHWC whose codes are the tile's bytes, with
  /// each group's channels whole depth steps (the tile reads no byte past the image).
  template <class In>
  static constexpr bool reads_input_in_place(const conv2d_shape& sh) noexcept {
    return is_direct && nhwc && (i8_input_offset<In> ^ tile_offset()) == 0 && sh.c_per_group() % kernel::i8_depth_step == 0;
  }

  /// Weight column (c * R + r) * S + s of packed row kk (-1: a zero weight): (r, s, c) order,
  /// each kernel row's run padded to run_bytes where the padded image is read in runs, each
  /// tap's channels padded to tap_bytes where it is read tap by tap; else the gathered row's
  /// order, (r, s, c) in NHWC and (c, r, s) in NCHW.
  index_t column(index_t kk) const noexcept {
    const conv2d_shape& sh = shape_;
    index_t rs = kk / sh.c_per_group(), c = kk % sh.c_per_group();
    if (reads_padded_image(sh)) {
      const index_t r = kk / run_bytes(sh), j = kk % run_bytes(sh);
      if (j >= sh.s * sh.c) return -1;
      rs = r * sh.s + j / sh.c, c = j % sh.c;
    } else if (reads_taps(sh)) {
      rs = kk / tap_bytes(sh), c = kk % tap_bytes(sh);
      if (c >= sh.c_per_group()) return -1;
    } else if constexpr (!nhwc) {
      return kk;
    }
    return (c * sh.r + rs / sh.s) * sh.s + rs % sh.s;
  }

  /// dst[i] = src[i] ^ flip for i < n, in 16- or 8-byte words (the last one overlapping):
  /// the runs of a kernel row are often shorter than what the compiler vectorises (21 bytes
  /// for a 7x7 stem on 3 channels), and byte by byte they cost more than the GEMM.
  template <class In>
  static void copy_coded(const In* src, std::int8_t* dst, index_t n, std::uint8_t flip) noexcept {
#if defined(__AVX512BW__)
    if (n <= 32) {  // one masked load and store
      const __mmask32 k = first_bytes(n);
      _mm256_mask_storeu_epi8(dst, k, _mm256_xor_si256(_mm256_maskz_loadu_epi8(k, src), _mm256_set1_epi8(char(flip))));
      return;
    }
#endif
    const std::uint64_t f = std::uint64_t(flip) * 0x0101010101010101u;
    auto words = [&](index_t i, std::size_t bytes) {  // bytes: 16 or 8
      std::uint64_t w[2] = {};
      std::memcpy(w, src + i, bytes);
      w[0] ^= f;
      w[1] ^= f;
      std::memcpy(dst + i, w, bytes);
    };
    if (n >= 16) {
      for (index_t i = 0; i + 16 <= n; i += 16) words(i, 16);
      if (n % 16) words(n - 16, 16);
    } else if (n >= 8) {
      words(0, 8);
      words(n - 8, 8);
    } else {
      for (index_t i = 0; i < n; ++i) dst[i] = std::int8_t(std::uint8_t(src[i]) ^ flip);
    }
  }

  /// dst[i] = pad for i < n (runs of a few bytes: a memset call would cost more than the run).
  static void fill_pad(std::int8_t* dst, index_t n, std::int8_t pad) noexcept {
#if defined(__AVX512BW__)
    if (n <= 32) {
      _mm256_mask_storeu_epi8(dst, first_bytes(n), _mm256_set1_epi8(pad));
      return;
    }
#endif
    std::fill(dst, dst + n, pad);
  }

#if defined(__AVX512BW__)
  /// The byte mask of a run's first n <= 32 bytes.
  static __mmask32 first_bytes(index_t n) noexcept { return n == 32 ? ~__mmask32{0} : (__mmask32{1} << n) - 1; }
#endif

  /// Row of output pixel p of image img, group g: the tile's byte of every tap (x' plus the
  /// tile's offset), `pad` outside the input, zero past the depth.
  template <class In>
  void gather_row(tensor_view<const In, Layout> in, index_t img, index_t g, index_t p,
                  std::int8_t pad, std::int8_t* row) const noexcept {
    const conv2d_shape& sh = shape_;
    const index_t Q = sh.output_w(), cg = sh.c_per_group(), kdim = depth(sh);
    const index_t y0 = p / Q * sh.stride_h - sh.pad_top, x0 = p % Q * sh.stride_w - sh.pad_left;
    // x - 128 == x ^ 0x80, and so is x' + 128: the byte is the code with at most one xor.
    const std::uint8_t flip = std::uint8_t(i8_input_offset<In> ^ tile_offset());
    auto code = [flip](In v) { return std::int8_t(std::uint8_t(v) ^ flip); };
    if constexpr (nhwc) {
      // With one group and no dilation, the taps of a kernel row that lie inside the input are
      // one contiguous run of pixels, copied (and coded) at once.
      // (The bytes written may alias anything: loop bounds are locals, not read from shape_.)
      const bool row_runs = sh.groups == 1 && sh.dilation_w == 1 && x0 >= 0 && x0 + sh.s <= sh.w;
      const index_t run = sh.s * cg;
      for (index_t r = 0; r < sh.r; ++r) {
        const index_t y = y0 + r * sh.dilation_h;
        if (row_runs) {
          std::int8_t* d = row + r * run;
          if (y < 0 || y >= sh.h) {
            fill_pad(d, run, pad);
          } else {
            const In* src = in.data() + in.offset(img, 0, y, x0);
            copy_coded(src, d, run, flip);
          }
          continue;
        }
        for (index_t s = 0; s < sh.s; ++s) {
          std::int8_t* d = row + (r * sh.s + s) * cg;
          const index_t x = x0 + s * sh.dilation_w;
          if (y < 0 || y >= sh.h || x < 0 || x >= sh.w) {
            fill_pad(d, cg, pad);
            continue;
          }
          const In* src = in.data() + in.offset(img, g * cg, y, x);
          copy_coded(src, d, cg, flip);
        }
      }
    } else {
      for (index_t c = 0; c < cg; ++c)
        for (index_t r = 0; r < sh.r; ++r) {
          std::int8_t* d = row + (c * sh.r + r) * sh.s;
          const index_t y = y0 + r * sh.dilation_h;
          for (index_t s = 0; s < sh.s; ++s) {
            const index_t x = x0 + s * sh.dilation_w;
            d[s] = y < 0 || y >= sh.h || x < 0 || x >= sh.w ? pad : code(in(img, g * cg + c, y, x));
          }
        }
    }
    std::fill(row + kdim, row + padded_depth(sh), std::int8_t(0));
  }

  /// The tile's int32 sums of m rows into acc (MR x NR) on the memory path: one pass over rows
  /// of one run; for rows of several runs (kernel rows of the padded image) and rows read tap
  /// by tap (tap_rows), one pass per run or tap, added with wrapping int32 arithmetic (the
  /// total fits, see the class comment). Run k of the rows starts k * runs.stride bytes after
  /// a[i], its weights k * runs.b_steps steps (0: runs.steps) into the panel b.
  template <class Tile, class Rows>
  void tile_sums(const Rows& rows, index_t p0, int m, const std::int8_t* const* a, kernel::i8_row_runs runs,
                 const std::int8_t* b, std::int32_t* acc) const noexcept {
    alignas(64) std::int32_t part[mr * nr];
    auto pass = [&](bool first, index_t steps, const std::int8_t* const* rows_a, const std::int8_t* rows_b) {
      Tile::run(steps, rows_a, rows_b, first ? acc : part, m);
      if (!first)
        for (int i = 0; i < mr * nr; ++i) acc[i] = std::int32_t(std::uint32_t(acc[i]) + std::uint32_t(part[i]));
    };
    const std::int8_t* at[mr];
    if constexpr (std::is_same_v<Rows, tap_rows>) {
      const conv2d_shape& sh = shape_;
      const index_t steps = tap_bytes(sh) / kernel::i8_depth_step;
      for (index_t r = 0; r < sh.r; ++r)
        for (index_t s = 0; s < sh.s; ++s) {
          rows.tap(p0, m, r, s, at);
          pass(r == 0 && s == 0, steps, at, b + (r * sh.s + s) * tap_bytes(sh) * nr);
        }
    } else {
      (void)rows, (void)p0;
      if (runs.count == 1) return Tile::run(runs.steps, a, b, acc, m);
      const index_t b_run = (runs.b_steps ? runs.b_steps : runs.steps) * kernel::i8_depth_step * nr;
      for (index_t k = 0; k < runs.count; ++k) {
        for (int i = 0; i < mr; ++i) at[i] = a[i] + k * runs.stride;
        pass(k == 0, runs.steps, at, b + k * b_run);
      }
    }
  }

  /// Output pixels [c0, c0 + np) of image img, group g, from their gathered rows: blocks of
  /// row tiles x groups of panels in parallel, each tile's int32 sums finished at once (in
  /// registers where the tile offers it, NHWC full panels).
  template <class Rows, class Out, class Epilogue>
  void gemm(const Rows& rows, index_t np, index_t img, index_t g, index_t c0, Out* y, const Out* residual,
            const std::int32_t* folded, const Epilogue& finish) const {
    const conv2d_shape& sh = shape_;
    const index_t kd = padded_depth(sh), kg = sh.k_per_group();
    const index_t pq = sh.output_h() * sh.output_w();
    const index_t tiles = rows.tiles(np), panels = panels_per_group(sh);
    const index_t row_blocks = (tiles + rows_block_tiles - 1) / rows_block_tiles;
    const index_t panel_groups = std::clamp<index_t>((8 + row_blocks - 1) / row_blocks, 1, panels);
    const index_t per_panel_group = (panels + panel_groups - 1) / panel_groups;
    const std::int8_t* group_panels = panels_.data() + g * panels * nr * kd;
    [[maybe_unused]] const bool fused = fused_finish(folded);
    core::parallel_for(row_blocks * panel_groups, [&](index_t item) {
      // Locals, not the closure's references: the 8-bit stores could alias anything reached
      // through memory, which would be reloaded after each.
      [[maybe_unused]] const index_t k_out = sh.k, first = img * pq + c0;
      Out* const out = y;
      const index_t tb = item / panel_groups, pg = item % panel_groups;
      const index_t t0 = tb * rows_block_tiles, t1 = std::min(tiles, t0 + rows_block_tiles);
      const index_t j0 = pg * per_panel_group, j1 = std::min(panels, j0 + per_panel_group);
      alignas(64) std::int32_t acc[mr * nr];
      index_t j_rest = j0;  // the panels the loop below finishes
#if DLAS_HAS_AVX512_VNNI
      if constexpr (nhwc && tile::finishes_in_registers && sizeof(Out) == 1 && Rows::consecutive &&
                    Rows::in_registers) {
        if (fused) {
          j_rest = std::clamp(kg / nr, j0, j1);  // the full panels
          fused_tiles(rows, np, t0, t1, g, j0, j_rest, first, out, folded, finish);
        }
      }
#endif
      for (index_t j = j_rest; j < j1; ++j) {
        const std::int8_t* b = group_panels + j * nr * kd;
        const int n = int(std::min<index_t>(nr, kg - j * nr));
        const index_t k0 = g * kg + j * nr;
        // NHWC: the panel's whole 16-channel blocks go through the vector epilogue.
        const int vec = nhwc ? n / 16 * 16 : 0;
        std::optional<panel_finisher<Out, Epilogue>> panel_finish;
        auto make_panel_finish = [&] {
          if (vec > 0) panel_finish.emplace(*this, k0, (g * panels + j) * (nr / 8), vec, folded, finish);
        };
#if DLAS_HAS_AVX512_VNNI
        if constexpr (nhwc && tile::finishes_in_registers && Rows::in_registers) {
          static_assert(nr == 32, "i8_row_requantizer32 finishes rows of 32 channels");
          // Every tile's rows go from the accumulators to the output: row_out(o, v...) stores
          // a row's registers at o, the output offset of its pixel and the panel's first channel.
          // whole_tile(at, b) may finish a tap region's tile at once (returns whether it did).
          auto register_tiles = [&](auto&& rebias, auto&& row_out, auto&& whole_tile) {
            if constexpr (Rows::consecutive) {
              for (index_t t = t0; t < t1; ++t) {
                const index_t p0 = t * mr;
                const std::int8_t* a[mr];
                const int m = consecutive_tile(rows, t, np, a);
                const index_t o0 = (first + p0) * k_out + k0;  // row i at o0 + i * K
                with_tile<typename Rows::tail_tiles>(m, [&](auto sized) {
                  decltype(sized)::run_to(rows.runs(), a, b, m,
                                          [&](int i, auto... v) { row_out(o0 + i * k_out, v...); });
                });
              }
            } else {
              const std::int32_t* tile_bias = folded;  // the bias the finisher holds
              for (index_t t = t0; t < t1; ++t) {
                a_tile at;
                rows.tile(t, at);
                if (at.folded != tile_bias) rebias(tile_bias = at.folded);
                if (whole_tile(at, b + at.b_offset)) continue;
                with_tile<typename Rows::tail_tiles>(at.m, [&](auto sized) {
                  decltype(sized)::run_to(at.runs, at.a, b + at.b_offset, at.m, [&](int i, auto... v) {
                    row_out((first + at.pixel[i]) * k_out + k0, v...);
                  });
                });
              }
            }
          };
          if (vec == nr) {
            if constexpr (sizeof(Out) == 1) {
              if (fused) {  // tap regions (consecutive rows took fused_tiles)
                kernel::i8_row_requantizer32 requantize = row_requantizer<Out>(g, j, folded, finish);
                register_tiles([&](const std::int32_t* bias) { requantize.rebias(bias + k0); },
                               [&](index_t o, auto v0, auto v1) { requantize(v0, v1, out + o); },
                               [&](const a_tile& at, const std::int8_t* tb) {
                                 bool declined = false;
                                 return requantized_tiles<Out>(
                                            at.a, at.m, at.runs, tb, 1, &requantize,
                                            [&](int i) { return out + (first + at.pixel[i]) * k_out + k0; },
                                            [&](index_t) { declined = true; }) &&
                                        !declined;
                               });
                continue;
              }
            }
            make_panel_finish();
            register_tiles([&](const std::int32_t* bias) { panel_finish->rebias(bias, k0, vec); },
                           [&](index_t o, auto... v) {
                             int jb = 0;
                             (((*panel_finish)(jb, v, residual, out, o + 16 * jb), ++jb), ...);
                           },
                           [](const a_tile&, const std::int8_t*) { return false; });
            continue;
          }
        }
#endif
        make_panel_finish();
        if constexpr (Rows::consecutive) {
          for (index_t t = t0; t < t1; ++t) {
            const index_t p0 = t * mr;
            const std::int8_t* a[mr];
            const int m = consecutive_tile(rows, t, np, a);
            with_tile<typename Rows::tail_tiles>(m, [&](auto sized) {
              tile_sums<decltype(sized)>(rows, p0, m, a, rows.runs(), b, acc);
            });
            index_t pixels[mr];
            for (int i = 0; i < mr; ++i) pixels[i] = c0 + p0 + i;
            finish_sums(acc, m, pixels, img, k0, n, vec, folded, panel_finish, residual, out, finish);
          }
        } else {
          const std::int32_t* tile_bias = folded;  // the bias the finisher holds
          for (index_t t = t0; t < t1; ++t) {
            a_tile at;
            rows.tile(t, at);
            if (at.folded != tile_bias) {
              tile_bias = at.folded;
              if (panel_finish) panel_finish->rebias(tile_bias, k0, vec);
            }
            const int m = at.m;
            with_tile<typename Rows::tail_tiles>(m, [&](auto sized) {
              tile_sums<decltype(sized)>(rows, 0, m, at.a, at.runs, b + at.b_offset, acc);
            });
            index_t pixels[mr];
            for (int i = 0; i < mr; ++i) pixels[i] = c0 + at.pixel[i];
            finish_sums(acc, m, pixels, img, k0, n, vec, tile_bias, panel_finish, residual, out, finish);
          }
        }
      }
    });
  }

#if DLAS_HAS_AVX512_VNNI
  /// The fused requantisation of panel j of group g: its constants, the folded bias `folded`
  /// of its channels, the epilogue's zero point and clamp.
  template <class Out, class Epilogue>
  kernel::i8_row_requantizer32 row_requantizer(index_t g, index_t j, const std::int32_t* folded,
                                               const Epilogue& finish) const noexcept {
    const index_t panels = panels_per_group(shape_), k0 = g * shape_.k_per_group() + j * nr;
    const auto clamp = finish.clamp();
    return {requant_.data() + (g * panels + j) * (nr / 8), folded + k0, finish.zero_point(), clamp.lo, clamp.hi,
            std::numeric_limits<Out>::min(), std::numeric_limits<Out>::max(),
            total_bound_[folded == bias_u8_.data() ? 0 : 1]};
  }

  /// A tile of 8 (or 7) rows against `panels` consecutive panels from b, through the assembly tile
  /// with the fused finish (kernel::i8_requantized_tile): rows a laid out as `runs`, panel j
  /// requantised by requantize[j], its row i's 32 codes at row_out(i) + j * NR, and
  /// decline(j) for a panel the assembly tile declines (a channel shifted by 32); false
  /// (nothing done) for shorter tiles, which the intrinsics tiles take, and where the compiler
  /// cannot build the assembly tile. One set of arguments serves the panels: only the panel and
  /// the output rows move.
  template <class Out, class RowOut, class Decline>
  bool requantized_tiles([[maybe_unused]] const std::int8_t* const* a, [[maybe_unused]] int m,
                         [[maybe_unused]] kernel::i8_row_runs runs, [[maybe_unused]] const std::int8_t* b,
                         [[maybe_unused]] index_t panels,
                         [[maybe_unused]] const kernel::i8_row_requantizer32* requantize,
                         [[maybe_unused]] RowOut&& row_out, [[maybe_unused]] Decline&& decline) const {
#if DLAS_HAS_I8_REQUANTIZED_TILE
    static_assert(mr == 8 && nr == 32, "kernel::i8_requantized_tile is 8 (or 7) rows x 32 channels");
    if (m < mr - 1 || runs.count < 1 || runs.steps < 1) return false;
    constexpr index_t step_bytes = nr * kernel::i8_depth_step;  // one depth step of the panel
    kernel::i8_requantized_tile_args args{
        a, b, runs.steps, runs.count, runs.stride - runs.steps * kernel::i8_depth_step,
        ((runs.b_steps ? runs.b_steps : runs.steps) - runs.steps) * step_bytes, {}};
    for (int i = 0; i < mr; ++i) args.out[i] = row_out(std::min(i, m - 1));
    // Computed once: the tile's "memory" clobber would have the shape reread and its depth
    // divided again after every panel.
    const index_t panel_bytes = nr * padded_depth(shape_);
    for (index_t j = 0; j < panels; ++j) {
      if (j > 0) {
        args.b += panel_bytes;
        args.out_col += nr * index_t(sizeof(Out));
      }
      if (!kernel::i8_requantized_tile<Out>(args, requantize[j], m)) decline(j);
    }
    return true;
#else
    return false;
#endif
  }

  /// Tiles [t0, t1) x full panels [j0, j1) of one group to 8-bit outputs through the fused
  /// requantisation (consecutive rows). Tiles outer and up to 8 panels inner, as many as fit in
  /// half of L1: a tile row's 32-channel pieces of neighbouring panels complete its output lines
  /// while they are in L1, where with the panels outer each 64-byte line took two 32-byte
  /// writes a block of tiles apart (+1-2.5% on the 1x1 layers with 64 and 128 input channels).
  /// Long reductions keep one panel per sweep, reused from L1 across the block's tiles.
  template <class Rows, class Out, class Epilogue>
  void fused_tiles(const Rows& rows, index_t np, index_t t0, index_t t1, index_t g, index_t j0, index_t j1,
                   index_t first, Out* out, const std::int32_t* folded, const Epilogue& finish) const {
    using requantizer = kernel::i8_row_requantizer32;
    constexpr index_t max_chunk = 8;
    const conv2d_shape& sh = shape_;
    const index_t kd = padded_depth(sh), kg = sh.k_per_group(), k_out = sh.k, panels = panels_per_group(sh);
    const std::int8_t* group_panels = panels_.data() + g * panels * nr * kd;
    const index_t chunk = std::clamp<index_t>(16384 / (kd * nr), 1, max_chunk);
    requantizer requant[max_chunk];  // set per chunk of panels below
    for (index_t jc = j0; jc < j1; jc += chunk) {
      const index_t jn = std::min(j1, jc + chunk);
      for (index_t j = jc; j < jn; ++j)
        requant[j - jc] = row_requantizer<Out>(g, j, folded, finish);
      for (index_t t = t0; t < t1; ++t) {
        const std::pair<index_t, int> span = balanced_tile(t, np);
        const index_t p0 = span.first;
        const int m = span.second;
        const std::int8_t* a[mr];
        rows.tile(p0, m, a);
        auto by_intrinsics = [&](index_t jj) {  // panel jc + jj
          const index_t o0 = (first + p0) * k_out + g * kg + (jc + jj) * nr;  // row i at o0 + i * K
          const requantizer& requantize = requant[jj];
          with_tile<typename Rows::tail_tiles>(m, [&](auto sized) {
            decltype(sized)::run_to(rows.runs(), a, group_panels + (jc + jj) * nr * kd, m,
                                    [&](int i, auto v0, auto v1) { requantize(v0, v1, out + o0 + i * k_out); });
          });
        };
        if (!requantized_tiles<Out>(a, m, rows.runs(), group_panels + jc * nr * kd, jn - jc, requant,
                                    [&](int i) { return out + (first + p0 + i) * k_out + g * kg + jc * nr; },
                                    by_intrinsics))
          for (index_t jj = 0; jj < jn - jc; ++jj) by_intrinsics(jj);
      }
    }
  }
#endif

  /// Decides, per input code type, whether 8-bit outputs take the fused requantisation
  /// (kernel::i8_row_requantizer32::fuses): from the largest folded bias of any channel and
  /// tap region, the bound on the tile's sums and the channels' shifts. Also bounds, per input
  /// type, the totals acc + b the fused finish sees (total_bound_), for its single-precision
  /// form: the tile's bytes are in [0, 255] on the VNNI path, so a channel's total lies in
  /// [b + 255 * (its negative weights' sum), b + 255 * (its positive weights' sum)], for its
  /// folded bias b and every tap region's (a region's taps are a subset).
  void decide_fused_finish([[maybe_unused]] const std::vector<weight_sums>& sums) noexcept {
    fused_[0] = fused_[1] = false;
    if (!opt_.output_quant || multipliers_.size() == 0) return;
    std::int32_t lo = 62, hi = 1;
    for (const optimize::fixed_point_multiplier& fm : multipliers_) {
      lo = std::min(lo, fm.shift);
      hi = std::max(hi, fm.shift);
    }
    [[maybe_unused]] const std::int64_t acc_bound = std::int64_t(padded_depth(shape_)) * 255 * 127;
    for (int type = 0; type < 2; ++type) {  // uint8, int8 input codes
      std::int64_t bias_bound = 0;
      auto bound = [&bias_bound](std::int32_t b) { bias_bound = std::max(bias_bound, b < 0 ? -std::int64_t(b) : b); };
      for (const std::int32_t b : type == 0 ? bias_u8_ : bias_s8_) bound(b);
      for (index_t i = 0; i < regions_.size(); ++i)
        for (index_t k = 0; k < shape_.k; ++k) bound(region_bias_[(2 * i + type) * shape_.k + k]);
#if DLAS_HAS_AVX512_VNNI
      fused_[type] = kernel::i8_row_requantizer32::fuses(acc_bound, bias_bound, lo, hi, opt_.output_quant->zero_point);
#endif
    }
#if DLAS_HAS_AVX512_VNNI
    static_assert(tile_offset() == 128, "the VNNI tile reads bytes in [0, 255]");
    for (index_t k = 0; k < shape_.k; ++k) {
      const weight_sums& ws = sums[std::size_t(k)];
      for (int type = 0; type < 2; ++type) {
        auto bound = [&](std::int32_t b) {
          total_bound_[type] = std::max(
              {total_bound_[type], std::abs(b + 255 * ws.positive), std::abs(b + 255 * ws.negative)});
        };
        bound((type == 0 ? bias_u8_ : bias_s8_)[k]);
        for (index_t i = 0; i < regions_.size(); ++i) bound(region_bias_[(2 * i + type) * shape_.k + k]);
      }
    }
#endif
  }
  /// Whether 8-bit outputs from inputs whose folded bias is `folded` (bias_u8_ or bias_s8_)
  /// take the fused requantisation.
  bool fused_finish(const std::int32_t* folded) const noexcept {
    return fused_[folded == bias_u8_.data() ? 0 : 1];
  }

  /// Pixels [p0, p0 + m) of tile t of np consecutive rows for the assembly tile, which takes 7
  /// rows as well as 8: where tiles of 8 would leave a last one shorter than 7 and np splits
  /// into tiles of 7 and 8 (the same count), those (49 pixels: seven of 7, where the last tile
  /// of one row is bound by the vpdpbusd latency); else tiles of 8 and a shorter last one.
  static std::pair<index_t, int> balanced_tile(index_t t, index_t np) noexcept {
    const index_t count = (np + mr - 1) / mr, full = np - count * (mr - 1);  // tiles of 8 first
    if (np % mr == 0 || np % mr == mr - 1 || full < 0) return {t * mr, int(std::min<index_t>(mr, np - t * mr))};
    return t < full ? std::pair<index_t, int>{t * mr, mr} : std::pair<index_t, int>{full * mr + (t - full) * (mr - 1), mr - 1};
  }

  /// The row pointers of tile t of consecutive rows (pixels [t * mr, t * mr + m) of np); m.
  template <class Rows>
  static int consecutive_tile(const Rows& rows, index_t t, index_t np, const std::int8_t* (&a)[mr]) {
    const int m = int(std::min<index_t>(mr, np - t * mr));
    rows.tile(t * mr, m, a);
    return m;
  }

  /// Finishes a tile's sums from memory (acc: m rows of NR), where the register path does not
  /// (panels narrower than NR, NCHW): row i is output pixel pixels[i] of image img, channels
  /// [k0, k0 + n); whole 16-channel blocks of NHWC through the panel's finisher, the rest one
  /// by one with `bias`. Out of line: the hot tiles take the register path.
  template <class Finisher, class Out, class Epilogue>
  [[gnu::noinline]] void finish_sums(const std::int32_t* acc, int m, const index_t* pixels, index_t img, index_t k0,
                                     int n, int vec, const std::int32_t* bias,
                                     const std::optional<Finisher>& panel_finish, const Out* residual, Out* y,
                                     const Epilogue& finish) const {
    const conv2d_shape& sh = shape_;
    const index_t pq = sh.output_h() * sh.output_w();
    for (int i = 0; i < m; ++i)
      for (int jb = 0; jb < vec / 16; ++jb)
        (*panel_finish)(jb, acc + i * nr + jb * 16, residual, y, (img * pq + pixels[i]) * sh.k + k0 + jb * 16);
    for (int i = 0; i < m; ++i)
      for (int jj = vec; jj < n; ++jj) {
        const index_t k = k0 + jj, p = pixels[i];
        const index_t o = nhwc ? (img * pq + p) * sh.k + k : (img * sh.k + k) * pq + p;
        y[o] = finish.from_total(std::int32_t(std::uint32_t(acc[i * nr + jj]) + std::uint32_t(bias[k])), k,
                                 residual ? residual + o : nullptr);
      }
  }

  /// Calls f(Tile{}) with the smallest of Tails (kernel::i8_gemm_tail_tiles or
  /// i8_gemm_short_tiles) that holds m rows, else with the default tile.
  template <class Tails, class F>
  static void with_tile(int m, F&& f) {
    bool done = false;
    std::apply(
        [&](auto... tail) {
          static_assert(((decltype(tail)::nr == nr) && ... && true), "tail tiles share the panel width");
          ((!done && m <= decltype(tail)::mr ? (f(tail), done = true) : false), ...);
        },
        Tails{});
    if (!done) f(tile{});
  }

  /// The vector forms of epilogue::from_total (same operations, same order) for the first
  /// `vec` channels (whole 16-channel blocks) of one NHWC panel: each block's constants and
  /// folded bias loaded once and held across the panel's tiles.
  template <class Out, class Epilogue>
  class panel_finisher {
    using batch = xsimd::batch<std::int32_t, kernel::default_arch>;
    static constexpr int lanes = int(batch::size);
    static constexpr int blocks = nr / 16;
    static_assert(16 % lanes == 0 && nr % 16 == 0, "whole i8_finisher16 per panel row");

   public:
    panel_finisher(const int8_gemm_conv& conv, index_t k0, index_t rq_block, int vec, const std::int32_t* folded,
                   const Epilogue& finish) noexcept
        : finish_(make(conv, k0, rq_block, vec, finish, std::make_index_sequence<blocks>{})) {
      rebias(folded, k0, vec);
    }

    /// Holds the folded bias of channels [k0, k0 + vec) from `folded` (a tap region's).
    void rebias(const std::int32_t* folded, index_t k0, int vec) noexcept {
      for (int jb = 0; jb < vec / 16; ++jb)
        for (int l = 0; l < 16 / lanes; ++l) bias_[jb][l] = batch::load_unaligned(folded + k0 + jb * 16 + l * lanes);
    }

    /// Block jb of one row from its int32 sums in memory (wrapping int32 adds of the bias).
    [[gnu::always_inline]] void operator()(int jb, const std::int32_t* sums, const Out* residual, Out* y,
                                           index_t o) const noexcept {
      if constexpr (lanes == 16) {
        (*this)(jb, batch::load_aligned(sums), residual, y, o);
      } else {
        alignas(64) std::int32_t t[16];
        for (int l = 0; l < 16 / lanes; ++l)
          (batch::load_aligned(sums + l * lanes) + bias_[jb][l]).store_aligned(t + l * lanes);
        finish_[jb](t, residual ? residual + o : nullptr, y + o);
      }
    }

    /// The same from a register of the tile's 16 sums.
    template <class Reg, std::enable_if_t<!std::is_pointer_v<Reg>, int> = 0>
    [[gnu::always_inline]] void operator()(int jb, Reg sums, const Out* residual, Out* y, index_t o) const noexcept {
      finish_[jb](batch(sums) + bias_[jb][0], residual ? residual + o : nullptr, y + o);
    }

   private:
    // Blocks past `vec` (channels past K) are never used: they repeat block 0.
    template <std::size_t... J>
    static std::array<i8_finisher16<Out, Epilogue>, blocks> make(const int8_gemm_conv& conv, index_t k0, index_t rq_block,
                                                                 int vec, const Epilogue& finish,
                                                                 std::index_sequence<J...>) noexcept {
      auto at = [vec](std::size_t jb) { return index_t(jb) * 16 < vec ? index_t(jb) : 0; };
      return {i8_finisher16<Out, Epilogue>(conv.scales_.data() + k0 + at(J) * 16, conv.requant_.data() + rq_block + at(J) * 2,
                                           finish)...};
    }

    std::array<i8_finisher16<Out, Epilogue>, blocks> finish_;
    batch bias_[blocks][16 / lanes];
  };

  conv2d_shape shape_;
  conv2d_options opt_;
  aligned_buffer<std::int8_t> panels_;
  aligned_buffer<std::int32_t> bias_u8_;
  aligned_buffer<std::int32_t> bias_s8_;
  aligned_buffer<float> scales_;
  aligned_buffer<optimize::fixed_point_multiplier> multipliers_;
  aligned_buffer<kernel::i8_requant8> requant_;
  aligned_buffer<tap_region> regions_;
  aligned_buffer<std::int32_t> region_bias_;
  aligned_buffer<region_tile> region_tiles_;
  bool fused_[2] = {false, false};  // per input code type (uint8, int8): decide_fused_finish
  std::int64_t total_bound_[2] = {0, 0};  // the same: the largest |acc + b|
};

}  // namespace dlas::conv::detail
