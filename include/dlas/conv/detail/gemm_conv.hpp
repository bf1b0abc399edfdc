// SPDX-License-Identifier: Apache-2.0
/// \file gemm_conv.hpp
/// \brief What the fp32 GEMM-based algorithms share: weight packing, the blocked NHWC and NCHW
/// GEMM drivers around kernel::gemm_tile, and the gathers that feed them.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory_resource>
#include <string>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/conv/detail/widen.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/kernel/gemm_tile.hpp"
#include "dlas/kernel/packing.hpp"
#include "dlas/kernel/registry.hpp"
#include "dlas/policy/layout.hpp"
#include "dlas/policy/precision.hpp"
#include "dlas/policy/sparsity.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv::detail {

/// The register tile every fp32 GEMM-based algorithm uses (6x16 on AVX2).
using f32_tile = kernel::f32_gemm_tile<>;
inline constexpr int tile_mr = f32_tile::mr;
inline constexpr int tile_nr = f32_tile::nr;

/// Depth of one K block: a 256 x NR block of packed B (16 KB at NR = 16) stays in L1 while
/// the tiles of a block of rows stream past it. The split never depends on the thread count.
inline constexpr index_t k_block = 256;
/// Tiles of rows (NHWC: MR output pixels each) that share one B block.
inline constexpr index_t rows_block_tiles = 16;
/// Packed-panel buffers of the NCHW drivers: at most this many panels are in flight at once.
inline constexpr index_t max_panel_slots = 16;

constexpr index_t ceil_div(index_t a, index_t b) noexcept { return (a + b - 1) / b; }

/// p + off, or null for a null p (optional operands: residual, partial sums, half output).
template <class P>
constexpr P* at_or_null(P* p, index_t off) noexcept {
  return p ? p + off : nullptr;
}

/// Columns of one group's weight matrix: C/groups * R * S.
constexpr index_t gemm_depth(const conv2d_shape& sh) noexcept {
  return sh.c_per_group() * sh.r * sh.s;
}

constexpr bool has_padding(const conv2d_shape& sh) noexcept {
  return sh.pad_top > 0 || sh.pad_left > 0 || sh.pad_bottom > 0 || sh.pad_right > 0;
}

/// Elements of the weights packed as NHWC B panels: per group, kg columns in NR-wide panels,
/// rows in (r, s, c) order.
constexpr index_t panel_weight_elements(const conv2d_shape& sh) noexcept {
  return sh.groups * kernel::packed_panels_elements<tile_nr>(gemm_depth(sh), sh.k_per_group());
}

/// The form of a GEMM-based algorithm's weight matrix.
enum class packed_form {
  panels,  ///< B operand: NR-wide panels per group, rows (r, s, c) (NHWC pixels x channels)
  rows,    ///< A operand: K rows of (c, r, s), as given (NCHW channels x pixels)
};

/// Weights (stored as T: float or half) and the fp32 bias in the form a GEMM-based algorithm
/// reads them; everything it keeps.
template <class T>
class packed_weights {
 public:
  using form = packed_form;

  static constexpr index_t bytes(const conv2d_shape& sh, form f) noexcept {
    const index_t m = f == form::panels ? panel_weight_elements(sh) : sh.weight_elements();
    return buffer_bytes<T>(m) + buffer_bytes<float>(sh.k);
  }

  packed_weights() = default;
  template <class Precision>
  packed_weights(const conv2d_shape& sh, const conv_weights<Precision, sparsity::dense>& w, form f)
      : bias_(w.bias()) {
    static_assert(std::is_same_v<typename Precision::weight_type, T>);
    const T* src = w.matrix().data();
    if (f == form::rows) {
      matrix_ = aligned_buffer<T>(w.matrix().span());
      return;
    }
    matrix_ = aligned_buffer<T>(panel_weight_elements(sh), uninitialized);
    const index_t kdim = gemm_depth(sh), kg = sh.k_per_group(), cg = sh.c_per_group();
    const index_t per_group = kernel::packed_panels_elements<tile_nr>(kdim, kg);
    for (index_t g = 0; g < sh.groups; ++g)
      kernel::pack_panels<tile_nr>(matrix_.data() + g * per_group, kdim, kg,
                                   [&](index_t kk, index_t j) {
                                     const index_t rs = kk / cg, c = kk % cg;
                                     const index_t r = rs / sh.s, s = rs % sh.s;
                                     return src[(g * kg + j) * kdim + (c * sh.r + r) * sh.s + s];
                                   });
  }

  const T* matrix() const noexcept { return matrix_.data(); }
  const float* bias() const noexcept { return bias_.data(); }
  index_t bytes() const noexcept { return matrix_.bytes() + bias_.bytes(); }

 private:
  aligned_buffer<T> matrix_;
  aligned_buffer<float> bias_;
};

/// One NHWC GEMM: C (pixels x kg, row stride ldc) = A (pixels x kdim) * B (packed panels
/// stored as T).
template <class T = float>
struct nhwc_problem {
  index_t pixels = 0;             ///< rows: output pixels of one image
  index_t cols = 0;               ///< columns: output channels of one group
  index_t kdim = 0;               ///< depth
  index_t segment = 0;            ///< K blocks never cross a multiple of this (A row runs)
  const T* b = nullptr;           ///< packed panels of this group
  float* c = nullptr;             ///< output at (pixel 0, first channel of the group); with
                                  ///< out_half, the partial sums (null for one K block)
  index_t ldc = 0;                ///< output row stride (K)
  const float* bias = nullptr;    ///< bias of the group's first channel
  const float* residual = nullptr;  ///< residual at the same offset as c, or null
  bool finish = true;             ///< apply bias, residual and activation
  activation act = activation::none;
  half* out_half = nullptr;       ///< fp16: the output at the same offset as c
  const half* residual_half = nullptr;  ///< fp16: the residual, or null
  float* scratch = nullptr;       ///< half B: nhwc_scratch_elements floats

  /// The same problem from pixel p on (pixels - p of them).
  nhwc_problem from_pixel(index_t p) const noexcept {
    nhwc_problem q = *this;
    q.pixels = pixels - p;
    q.c = at_or_null(c, p * ldc), q.residual = at_or_null(residual, p * ldc);
    q.out_half = at_or_null(out_half, p * ldc), q.residual_half = at_or_null(residual_half, p * ldc);
    return q;
  }
};

/// How nhwc_gemm splits `pixels` x `cols` into work items: row blocks of equal size (at most
/// rows_block_tiles tiles) times groups of panels, enough for about 16 items. Small images
/// (ResNet-50's 14x14 layers: 33 tiles) otherwise leave a last, nearly empty row block and
/// one thread idle for most of the call. Every group holds panels: 8 panels asked to split
/// 6 ways make 4 groups of 2, not 6 groups of which 2 are empty (threads given equal item
/// counts would get unequal work).
struct nhwc_split {
  index_t tiles, panels, block_tiles, row_blocks, panels_per_group, panel_groups;
  constexpr nhwc_split(index_t pixels, index_t cols) noexcept
      : tiles(ceil_div(pixels, tile_mr)),
        panels(ceil_div(cols, tile_nr)),
        block_tiles(ceil_div(tiles, ceil_div(tiles, rows_block_tiles))),
        row_blocks(ceil_div(tiles, block_tiles)),
        panels_per_group(ceil_div(panels, std::clamp<index_t>(ceil_div(16, row_blocks), 1, panels))),
        panel_groups(ceil_div(panels, panels_per_group)) {}
  constexpr index_t items() const noexcept { return row_blocks * panel_groups; }
};

/// Scratch slots of an nhwc_gemm over half weights: slot s serves items s, s + 16, ..., so
/// the scratch does not grow with the image and the split does not depend on the thread
/// count.
inline constexpr index_t max_nhwc_slots = 16;
/// Row tiles an nhwc_gemm item needs for widening its half B blocks to pay (see nhwc_gemm).
inline constexpr index_t min_widened_tiles = 3;

/// Floats of nhwc_problem::scratch that nhwc_gemm needs for weights stored as T: per slot,
/// one K block of a B panel widened to fp32 (none for float).
template <class T>
constexpr index_t nhwc_scratch_elements(index_t pixels, index_t cols, index_t kdim) noexcept {
  if (!std::is_same_v<T, half> || pixels == 0 || cols == 0) return 0;
  return std::min(nhwc_split(pixels, cols).items(), max_nhwc_slots) * std::min(k_block, kdim) * tile_nr;
}

/// Runs an NHWC GEMM, threaded over blocks of pixels and panels of channels.
///
/// `rows(p0, m, k0, out)` writes m pointers: out[i] = &A[p0 + i][k0], each valid up to the end
/// of k0's segment. They are formed once per K block and row tile and reused for every panel.
/// Loops: (blocks of rows x groups of panels) in parallel; K blocks; panels; row tiles. Each
/// output element is summed in the same order for any thread count. With out_half, the last
/// K block's tiles round their finished outputs to half in registers.
///
/// Half weights: each K block of a B panel is widened into the item's scratch slot once for
/// the block's row tiles, and the fp32 tile runs at the fp32 rate (widening in registers
/// costs a conversion per MR FMAs, measured 1.15-1.2x the fp32 time on Zen 4). An item of
/// fewer than min_widened_tiles row tiles (a fully connected layer: one) reads each weight
/// about once, and the f16 tile widens B in registers instead.
template <class T, class Rows>
void nhwc_gemm(const nhwc_problem<T>& pb, Rows&& rows) {
  constexpr bool half_b = std::is_same_v<T, half>;
  const nhwc_split sp(pb.pixels, pb.cols);
  auto run_item = [&](index_t item, float* b32) {
    const index_t tb = item / sp.panel_groups, pg = item % sp.panel_groups;
    const index_t t0 = tb * sp.block_tiles, t1 = std::min(sp.tiles, t0 + sp.block_tiles);
    const index_t j0 = pg * sp.panels_per_group, j1 = std::min(sp.panels, j0 + sp.panels_per_group);
    const float* a[rows_block_tiles * tile_mr];
    const bool widen_b = half_b && t1 - t0 >= min_widened_tiles;
    for (index_t seg0 = 0; seg0 < pb.kdim; seg0 += pb.segment) {
      const index_t seg_end = std::min(pb.kdim, seg0 + pb.segment);
      for (index_t k0 = seg0; k0 < seg_end; k0 += k_block) {
        const index_t kc = std::min(k_block, seg_end - k0);
        for (index_t t = t0; t < t1; ++t) {
          const index_t p0 = t * tile_mr;
          const int m = int(std::min<index_t>(tile_mr, pb.pixels - p0));
          rows(p0, m, k0, a + (t - t0) * tile_mr);
        }
        kernel::tile_epilogue ep;
        ep.accumulate = k0 > 0;
        ep.finish = pb.finish && k0 + kc == pb.kdim;
        ep.bias = kernel::bias_mode::per_col;
        ep.act = pb.act;
        for (index_t j = j0; j < j1; ++j) {
          const int n = int(std::min<index_t>(tile_nr, pb.cols - j * tile_nr));
          const T* b = pb.b + j * tile_nr * pb.kdim + k0 * tile_nr;
          if constexpr (half_b)
            if (widen_b) widen_run(b, b32, kc * tile_nr);
          ep.bias_ptr = pb.bias + j * tile_nr;
          for (index_t t = t0; t < t1; ++t) {
            const index_t p0 = t * tile_mr;
            const int m = int(std::min<index_t>(tile_mr, pb.pixels - p0));
            const index_t off = p0 * pb.ldc + j * tile_nr;
            ep.residual = at_or_null(pb.residual, off);
            ep.out_half = at_or_null(pb.out_half, off);
            ep.residual_half = at_or_null(pb.residual_half, off);
            float* c = at_or_null(pb.c, off);
            const float* const* at = a + (t - t0) * tile_mr;
            if constexpr (!half_b) kernel::run_rows<f32_tile>(kc, at, b, c, pb.ldc, m, n, ep);
            else if (widen_b) kernel::run_rows<f32_tile, true>(kc, at, b32, c, pb.ldc, m, n, ep);
            else kernel::run_rows<kernel::f16_gemm_tile<>, true>(kc, at, b, c, pb.ldc, m, n, ep);
          }
        }
      }
    }
  };
  if constexpr (!half_b) {
    core::parallel_for(sp.items(), [&](index_t item) { run_item(item, nullptr); });
  } else {
    const index_t slots = std::min(sp.items(), max_nhwc_slots), slot = std::min(k_block, pb.kdim) * tile_nr;
    core::parallel_for(slots, [&](index_t s) {
      for (index_t item = s; item < sp.items(); item += slots) run_item(item, pb.scratch + s * slot);
    });
  }
}

/// One NCHW GEMM: C (kg x pixels, row stride ldc) = A (weight rows) * B (pixel panels).
struct nchw_problem {
  index_t rows = 0;               ///< output channels of one group
  index_t pixels = 0;             ///< output pixels of one image
  index_t kdim = 0;               ///< depth
  const float* a = nullptr;       ///< weight row of the group's first channel (stride kdim)
  float* c = nullptr;             ///< output at (first channel of the group, pixel 0)
  index_t ldc = 0;                ///< output row stride (P * Q)
  const float* bias = nullptr;    ///< bias of the group's first channel
  const float* residual = nullptr;  ///< residual at the same offset as c, or null
  activation act = activation::none;
  half* out_half = nullptr;       ///< fp16: the output at the same offset as c (c: partial
                                  ///< sums, null for one K block)
  const half* residual_half = nullptr;  ///< fp16: the residual, or null

  /// The same problem from pixel p on (pixels - p of them).
  nchw_problem from_pixel(index_t p) const noexcept {
    nchw_problem q = *this;
    q.pixels = pixels - p;
    q.c = at_or_null(c, p), q.residual = at_or_null(residual, p);
    q.out_half = at_or_null(out_half, p), q.residual_half = at_or_null(residual_half, p);
    return q;
  }
};

/// At most this many panels are packed and computed together by the NCHW drivers: the weight
/// tile is reused across them, and each output row and input plane is visited for up to
/// 16 x NR pixels at a time (fewer, long runs instead of many short ones).
inline constexpr index_t panels_per_slot = 16;

/// Panels per group for `pixels` columns: up to panels_per_slot, but at least 8 groups when
/// there are 8 panels, so that threads have groups to share.
constexpr index_t slot_panels(index_t pixels) noexcept {
  const index_t panels = ceil_div(pixels, tile_nr);
  return std::clamp<index_t>(panels / 8, 1, panels_per_slot);
}

/// Panel slots (of slot_panels panels each) the NCHW drivers use for `pixels` columns.
constexpr index_t panel_slots(index_t pixels) noexcept {
  return std::min(max_panel_slots, ceil_div(ceil_div(pixels, tile_nr), slot_panels(pixels)));
}

/// Runs an NCHW GEMM over groups of slot_panels panels of NR pixels, threaded over them.
///
/// `panels_of(j0, j1, slot, b, ldb)` sets b[j - j0] to the kdim x NR panel of pixels
/// [j * NR, j * NR + NR) for j in [j0, j1) and ldb[j - j0] to its row stride: packed into
/// `slot` (consecutive panels of kdim * NR floats, stride NR) if needed, or the input itself.
/// Slot s serves panel groups s, s + nslots, ...; the split does not depend on the thread
/// count. HalfOut: pb.out_half may be set (fp16 outputs, see nchw_problem).
template <bool HalfOut = false, class Panels>
void nchw_gemm(const nchw_problem& pb, Panels&& panels_of, float* slots, index_t nslots) {
  const index_t panels = ceil_div(pb.pixels, tile_nr);
  const index_t per_group = slot_panels(pb.pixels);
  const index_t groups = ceil_div(panels, per_group);
  const index_t tiles = ceil_div(pb.rows, tile_mr);
  core::parallel_for(nslots, [&](index_t s) {
    float* slot = at_or_null(slots, s * per_group * pb.kdim * tile_nr);
    for (index_t gi = s; gi < groups; gi += nslots) {
      const index_t j0 = gi * per_group, j1 = std::min(panels, j0 + per_group);
      const float* b[panels_per_slot];
      index_t ldb[panels_per_slot];
      panels_of(j0, j1, slot, b, ldb);
      for (index_t k0 = 0; k0 < pb.kdim; k0 += k_block) {
        const index_t kc = std::min(k_block, pb.kdim - k0);
        kernel::tile_epilogue ep;
        ep.accumulate = k0 > 0;
        ep.finish = k0 + kc == pb.kdim;
        ep.bias = kernel::bias_mode::per_row;
        ep.act = pb.act;
        for (index_t t = 0; t < tiles; ++t) {
          const index_t r0 = t * tile_mr;
          const int m = int(std::min<index_t>(tile_mr, pb.rows - r0));
          const float* a[tile_mr];
          for (int i = 0; i < m; ++i) a[i] = pb.a + (r0 + i) * pb.kdim + k0;
          ep.bias_ptr = pb.bias + r0;
          for (index_t j = j0; j < j1; ++j) {
            const int n = int(std::min<index_t>(tile_nr, pb.pixels - j * tile_nr));
            const index_t off = r0 * pb.ldc + j * tile_nr;
            ep.residual = at_or_null(pb.residual, off);
            float* c = at_or_null(pb.c, off);
            const float* bj = b[j - j0] + k0 * ldb[j - j0];
            if constexpr (HalfOut) {
              ep.out_half = at_or_null(pb.out_half, off);
              ep.residual_half = at_or_null(pb.residual_half, off);
            }
            kernel::run_rows<f32_tile, HalfOut>(kc, a, bj, c, pb.ldc, m, n, ep, ldb[j - j0]);
          }
        }
      }
    }
  });
}

/// Packs the im2col panel of output pixels [j0, j0 + n) of image `img`, group `g`, from an
/// NCHW input: row (c, r, s) holds x[c][p*sh - pt + r*dh][q*sw - pl + s*dw], zero outside.
///
/// The panel's pixels are split once into runs on one output row, and each run, per tap
/// (r, s), into pieces (zeros, a contiguous or strided copy); the channel loop then only
/// replays the pieces. A 1x1 stride-1 unpadded kernel copies straight from each channel plane.
inline void pack_nchw_panel(const conv2d_shape& sh, const float* x, index_t img, index_t g,
                            index_t j0, index_t n, float* dst) {
  const index_t Q = sh.output_w(), cg = sh.c_per_group(), H = sh.h, W = sh.w, hw = H * W;
  const float* xg = x + (img * sh.c + g * cg) * hw;
  if (sh.r == 1 && sh.s == 1 && sh.stride_h == 1 && sh.stride_w == 1 && !has_padding(sh)) {
    for (index_t c = 0; c < cg; ++c) {
      float* d = dst + c * tile_nr;
      const float* src = xg + c * hw + j0;
      if (n == tile_nr) {
        for (int j = 0; j < tile_nr; ++j) d[j] = src[j];
      } else {
        for (index_t j = 0; j < n; ++j) d[j] = src[j];
        for (index_t j = n; j < tile_nr; ++j) d[j] = 0.0f;
      }
    }
    return;
  }
  struct run {
    index_t j, p, q0, len;
  };
  struct piece {
    index_t dst, src, len, step;  ///< src < 0: zeros
  };
  run runs[tile_nr];
  int nruns = 0;
  for (index_t j = 0; j < n;) {
    const index_t pix = j0 + j, p = pix / Q, q0 = pix % Q, len = std::min(n - j, Q - q0);
    runs[nruns++] = {j, p, q0, len};
    j += len;
  }
  piece pieces[3 * tile_nr + 1];
  for (index_t r = 0; r < sh.r; ++r)
    for (index_t s = 0; s < sh.s; ++s) {
      int np = 0;
      for (int u = 0; u < nruns; ++u) {
        const run& ru = runs[u];
        const index_t y = ru.p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
        if (y < 0 || y >= H) {
          pieces[np++] = {ru.j, -1, ru.len, 0};
          continue;
        }
        const index_t x0 = ru.q0 * sh.stride_w - sh.pad_left + s * sh.dilation_w;
        const index_t sw = sh.stride_w;
        // q in [lo, hi) reads inside the row: x0 + q * sw in [0, W).
        const index_t lo = std::clamp<index_t>(x0 < 0 ? (-x0 + sw - 1) / sw : 0, 0, ru.len);
        const index_t hi = std::clamp<index_t>(x0 < W ? (W - x0 + sw - 1) / sw : 0, lo, ru.len);
        if (lo > 0) pieces[np++] = {ru.j, -1, lo, 0};
        if (hi > lo) pieces[np++] = {ru.j + lo, y * W + x0 + lo * sw, hi - lo, sw};
        if (ru.len > hi) pieces[np++] = {ru.j + hi, -1, ru.len - hi, 0};
      }
      if (n < tile_nr) pieces[np++] = {n, -1, tile_nr - n, 0};
      for (index_t c = 0; c < cg; ++c) {
        float* d = dst + ((c * sh.r + r) * sh.s + s) * tile_nr;
        const float* plane = xg + c * hw;
        for (int u = 0; u < np; ++u) {
          const piece& pc = pieces[u];
          float* o = d + pc.dst;
          if (pc.src < 0) {
            for (index_t t = 0; t < pc.len; ++t) o[t] = 0.0f;
          } else if (pc.step == 1) {
            const float* in = plane + pc.src;
            for (index_t t = 0; t < pc.len; ++t) o[t] = in[t];
          } else {
            const float* in = plane + pc.src;
            for (index_t t = 0; t < pc.len; ++t) o[t] = in[t * pc.step];
          }
        }
      }
    }
}

/// Packs the panels of output pixels [p0, p0 + np) (consecutive, kdim * NR floats apart) with
/// pack_nchw_panel. For a 1x1 stride-1 unpadded kernel the channel loop is outermost, so each
/// input plane is read as one sequential run.
inline void pack_nchw_panels(const conv2d_shape& sh, const float* x, index_t img, index_t g,
                             index_t p0, index_t np, float* dst) {
  const index_t kdim = gemm_depth(sh), panels = ceil_div(np, tile_nr);
  if (!(sh.r == 1 && sh.s == 1 && sh.stride_h == 1 && sh.stride_w == 1 && !has_padding(sh))) {
    for (index_t j = 0; j < panels; ++j)
      detail::pack_nchw_panel(sh, x, img, g, p0 + j * tile_nr,
                              std::min<index_t>(tile_nr, np - j * tile_nr), dst + j * kdim * tile_nr);
    return;
  }
  const index_t cg = sh.c_per_group(), hw = sh.h * sh.w;
  const float* xg = x + (img * sh.c + g * cg) * hw + p0;
  const index_t full = np / tile_nr;
  for (index_t c = 0; c < cg; ++c) {
    const float* src = xg + c * hw;
    float* d = dst + c * tile_nr;
    for (index_t j = 0; j < full; ++j)
      for (int t = 0; t < tile_nr; ++t) d[j * kdim * tile_nr + t] = src[j * tile_nr + t];
    if (full < panels) {
      float* e = d + full * kdim * tile_nr;
      const index_t rest = np - full * tile_nr;
      for (index_t t = 0; t < tile_nr; ++t) e[t] = t < rest ? src[full * tile_nr + t] : 0.0f;
    }
  }
}

/// Row pointers of the NHWC output pixels [p0, p0 + m) for tap (r, s), channel c0 of group
/// g: &x[img][p*sh - pt + r*dh][q*sw - pl + s*dw][g * cg + c0], or zero + c0 in the padding.
/// `x` is the input, or (padded = true) a copy padded on every side, of width `w`.
inline void nhwc_tap_rows(const conv2d_shape& sh, const float* x, index_t w, bool padded,
                          index_t img, index_t g, index_t p0, int m, index_t r, index_t s,
                          index_t c0, const float* zero, const float** out) noexcept {
  const index_t Q = sh.output_w();
  const index_t h = padded ? sh.h + sh.pad_top + sh.pad_bottom : sh.h;
  const index_t dy = padded ? 0 : sh.pad_top, dx = padded ? 0 : sh.pad_left;
  const float* base = x + img * h * w * sh.c + g * sh.c_per_group() + c0;
  index_t p = p0 / Q, q = p0 % Q;
  for (int i = 0; i < m; ++i) {
    const index_t y = p * sh.stride_h - dy + r * sh.dilation_h;
    const index_t xx = q * sh.stride_w - dx + s * sh.dilation_w;
    out[i] = y < 0 || y >= h || xx < 0 || xx >= w ? zero + c0 : base + (y * w + xx) * sh.c;
    if (++q == Q) q = 0, ++p;
  }
}

/// Allocates `count` floats of workspace from `mr` (nothing when count is 0).
inline aligned_buffer<float> workspace(index_t count, std::pmr::memory_resource* mr) {
  return aligned_buffer<float>(count, uninitialized, mr);
}

}  // namespace dlas::conv::detail
