// SPDX-License-Identifier: Apache-2.0
/// \file depthwise_int8.hpp
/// \brief algo::depthwise in int8: uint8/int8 codes, int8 weights, exact int32 sums, SIMD over
/// channels (NHWC) or along output rows (NCHW), bit-exact with algo::reference.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory_resource>
#include <type_traits>
#include <utility>

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/depthwise.hpp"
#include "dlas/conv/detail/i8_finish.hpp"
#include "dlas/conv/epilogue.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/kernel/i8_requantize.hpp"
#include "dlas/kernel/vnni.hpp"
#include "dlas/optimize/requantize.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

namespace detail {

/// Lanes of one block of sums: channels (NHWC) or output pixels of a row (NCHW).
inline constexpr int dw8_lanes = 16;

// The sums are built two taps at a time from int16 values x' (the codes themselves in NHWC,
// x - zero_point in NCHW: |x'| <= 255 either way) and int16 weights (|w| <= 128): every
// product |x' * w| <= 32,640 and every pair sum fit in int32 exactly. AVX2: vpunpck{l,h}wd
// interleaves the x' of taps t and t + 1 and vpmaddwd multiplies them with interleaved weight
// pairs (one int32 per lane: x'_t * w_t + x'_t+1 * w_t+1); the interleave works within 128-bit
// halves, so `lo` holds lanes 0-3 and 8-11 and `hi` lanes 4-7 and 12-15 until store(). NEON:
// widening multiply-accumulates (smlal) per tap. Elsewhere: plain loops.
#if defined(__AVX2__)
using dw8_x16 = __m256i;  // 16 x' as int16

/// 16 codes widened to int16.
template <class In>
[[gnu::always_inline]] inline dw8_x16 dw8_widen(const In* p) noexcept {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  return std::is_same_v<In, std::uint8_t> ? _mm256_cvtepu8_epi16(v) : _mm256_cvtepi8_epi16(v);
}
[[gnu::always_inline]] inline dw8_x16 dw8_load(const std::int16_t* p) noexcept {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

/// Weights of taps t and t + 1 for 16 lanes, in vpmaddwd's interleaved order.
struct dw8_wpair {
  __m256i lo, hi;
  /// From 32 packed values (dw8_slot order).
  explicit dw8_wpair(const std::int16_t* w) noexcept
      : lo(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w))),
        hi(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16))) {}
  /// The same two weights in every lane.
  dw8_wpair(std::int8_t w0, std::int8_t w1) noexcept
      : lo(_mm256_set1_epi32(std::int32_t(std::uint32_t(std::uint16_t(w1)) << 16 | std::uint16_t(w0)))),
        hi(lo) {}
};

/// Index of packed weight (tap t % 2 of the pair, lane j) within a pair's 32 values.
constexpr int dw8_slot(int which, int j) noexcept {
  const int half = j / 8, i = j % 8;
  return (i < 4 ? 0 : 16) + 2 * (half * 4 + i % 4) + which;
}

struct dw8_sums {
  __m256i lo = _mm256_setzero_si256(), hi = _mm256_setzero_si256();
  [[gnu::always_inline]] void add(dw8_x16 a, dw8_x16 b, const dw8_wpair& w) noexcept {
#if DLAS_HAS_AVX512_VNNI  // vpdpwssd: vpmaddwd and the add in one instruction, the same sums
    lo = _mm256_dpwssd_epi32(lo, _mm256_unpacklo_epi16(a, b), w.lo);
    hi = _mm256_dpwssd_epi32(hi, _mm256_unpackhi_epi16(a, b), w.hi);
#else
    lo = _mm256_add_epi32(lo, _mm256_madd_epi16(_mm256_unpacklo_epi16(a, b), w.lo));
    hi = _mm256_add_epi32(hi, _mm256_madd_epi16(_mm256_unpackhi_epi16(a, b), w.hi));
#endif
  }
  /// The 16 sums in lane order, plus `bias` (wrapping int32 adds).
  [[gnu::always_inline]] void store(std::int32_t* out, __m256i bias0, __m256i bias1) const noexcept {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                        _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x20), bias0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + 8),
                        _mm256_add_epi32(_mm256_permute2x128_si256(lo, hi, 0x31), bias1));
  }
  [[gnu::always_inline]] void store(std::int32_t* out, const std::int32_t* bias) const noexcept {
    store(out, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias)),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 8)));
  }
  [[gnu::always_inline]] void store(std::int32_t* out, std::int32_t bias) const noexcept {
    store(out, _mm256_set1_epi32(bias), _mm256_set1_epi32(bias));
  }
};
#if DLAS_HAS_AVX512_VNNI
/// Channels of the vpdpbusd blocks: 64 (four zmm registers of 16 int32 sums), and one block
/// of 32 (four ymm) for a remainder of at least 32 channels.
inline constexpr index_t dw8_quad_channels = 64;

/// Channels [0, dw8_quad_end(c)) go through dw8_quad_accumulate, in blocks of 64 and at most one of 32.
constexpr index_t dw8_quad_end(index_t c) noexcept { return c / 32 * 32; }

/// The operations on a Width-channel block's register (64: zmm, 32: ymm), with the transpose
/// of 128-bit lanes that dw8_quad_accumulate ends with.
template <int Width>
struct dw8_quad_ops;
template <>
struct dw8_quad_ops<64> : kernel::vnni_ops<true> {
  /// acc[j] 128-bit lane L -> out[L] = (acc[0].L, acc[1].L, acc[2].L, acc[3].L).
  static void transpose(const reg (&acc)[4], reg (&out)[4]) noexcept {
    const reg t0 = _mm512_shuffle_i32x4(acc[0], acc[1], 0x44), t1 = _mm512_shuffle_i32x4(acc[2], acc[3], 0x44);
    const reg t2 = _mm512_shuffle_i32x4(acc[0], acc[1], 0xEE), t3 = _mm512_shuffle_i32x4(acc[2], acc[3], 0xEE);
    out[0] = _mm512_shuffle_i32x4(t0, t1, 0x88), out[1] = _mm512_shuffle_i32x4(t0, t1, 0xDD);
    out[2] = _mm512_shuffle_i32x4(t2, t3, 0x88), out[3] = _mm512_shuffle_i32x4(t2, t3, 0xDD);
  }
};
template <>
struct dw8_quad_ops<32> : kernel::vnni_ops<false> {
  /// Two 128-bit lanes: out = channels 0-7, 8-15, 16-23, 24-31.
  static void transpose(const reg (&acc)[4], reg (&out)[4]) noexcept {
    out[0] = _mm256_permute2x128_si256(acc[0], acc[1], 0x20), out[1] = _mm256_permute2x128_si256(acc[2], acc[3], 0x20);
    out[2] = _mm256_permute2x128_si256(acc[0], acc[1], 0x31), out[3] = _mm256_permute2x128_si256(acc[2], acc[3], 0x31);
  }
};

/// NHWC, uint8 codes: the sums of Width channels (from c0) of one output pixel over `quads`
/// groups of four taps, src[4q + u] the input pixel of tap 4q + u (padding and the taps past
/// the last read the zero-point row; their weights are zero), `w` the quads' packed weights,
/// 4 * Width bytes each (dw8_quad_slot). The four taps' codes of a channel are interleaved
/// into one 32-bit lane (vpunpck{l,h}bw, then {l,h}wd, within 128-bit lanes), so that one
/// vpdpbusd adds four products (uint8 x int8, exact in int32) for a register of channels;
/// register j, 128-bit lane L, int32 i then holds channel 16L + 4j + i, and a transpose of
/// 128-bit lanes restores channel order: ordered[k] holds channels [k * Width / 4, (k + 1) *
/// Width / 4).
template <int Width>
[[gnu::always_inline]] inline void dw8_quad_accumulate(const std::uint8_t* const* src, index_t quads, index_t c0,
                                                       const std::int8_t* w,
                                                       typename dw8_quad_ops<Width>::reg (&ordered)[4]) noexcept {
  using ops = dw8_quad_ops<Width>;
  using reg = typename ops::reg;
  reg acc[4] = {ops::zero(), ops::zero(), ops::zero(), ops::zero()};
  for (index_t q = 0; q < quads; ++q, w += 4 * Width) {
    const std::uint8_t* const* t = src + 4 * q;
    const reg a = ops::load(t[0] + c0), b = ops::load(t[1] + c0), c = ops::load(t[2] + c0), d = ops::load(t[3] + c0);
    const reg ab_lo = ops::unpacklo8(a, b), ab_hi = ops::unpackhi8(a, b);
    const reg cd_lo = ops::unpacklo8(c, d), cd_hi = ops::unpackhi8(c, d);
    acc[0] = ops::dot(acc[0], ops::unpacklo16(ab_lo, cd_lo), ops::load(w));
    acc[1] = ops::dot(acc[1], ops::unpackhi16(ab_lo, cd_lo), ops::load(w + Width));
    acc[2] = ops::dot(acc[2], ops::unpacklo16(ab_hi, cd_hi), ops::load(w + 2 * Width));
    acc[3] = ops::dot(acc[3], ops::unpackhi16(ab_hi, cd_hi), ops::load(w + 3 * Width));
  }
  ops::transpose(acc, ordered);
}

/// Channels [16 k, 16 k + 16) of dw8_quad_accumulate's ordered sums as one zmm register (a
/// 32-channel block joins two ymm halves).
template <int Width>
[[gnu::always_inline]] inline __m512i dw8_quad_zmm(const typename dw8_quad_ops<Width>::reg (&ordered)[4], int k) noexcept {
  if constexpr (Width == 64) return ordered[k];
  else return _mm512_inserti64x4(_mm512_castsi256_si512(ordered[2 * k]), ordered[2 * k + 1], 1);
}

/// Index of the weight of channel ch (within its block of `width` channels), tap u (0-3) of
/// a quad, within the quad's 4 * width bytes: the order of dw8_quad_accumulate's registers.
constexpr index_t dw8_quad_slot(index_t width, index_t ch, index_t u) noexcept {
  const index_t lane = ch / 16, j = ch % 16 / 4, i = ch % 4;
  return j * width + lane * 16 + i * 4 + u;
}
#endif
#else
#if defined(__aarch64__)
using dw8_x16 = int16x8x2_t;

template <class In>
[[gnu::always_inline]] inline dw8_x16 dw8_widen(const In* p) noexcept {
  if constexpr (std::is_same_v<In, std::uint8_t>) {
    const uint8x16_t v = vld1q_u8(p);
    return {vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(v))), vreinterpretq_s16_u16(vmovl_high_u8(v))};
  } else {
    const int8x16_t v = vld1q_s8(p);
    return {vmovl_s8(vget_low_s8(v)), vmovl_high_s8(v)};
  }
}
[[gnu::always_inline]] inline dw8_x16 dw8_load(const std::int16_t* p) noexcept {
  return {vld1q_s16(p), vld1q_s16(p + 8)};
}

/// Weights of taps t (a) and t + 1 (b) for 16 lanes.
struct dw8_wpair {
  dw8_x16 a, b;
  explicit dw8_wpair(const std::int16_t* w) noexcept
      : a{vld1q_s16(w), vld1q_s16(w + 8)}, b{vld1q_s16(w + 16), vld1q_s16(w + 24)} {}
  dw8_wpair(std::int8_t w0, std::int8_t w1) noexcept
      : a{vdupq_n_s16(w0), vdupq_n_s16(w0)}, b{vdupq_n_s16(w1), vdupq_n_s16(w1)} {}
};

struct dw8_sums {
  int32x4_t v[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
  [[gnu::always_inline]] void add(dw8_x16 x, dw8_x16 y, const dw8_wpair& w) noexcept {
    v[0] = vmlal_s16(v[0], vget_low_s16(x.val[0]), vget_low_s16(w.a.val[0]));
    v[1] = vmlal_high_s16(v[1], x.val[0], w.a.val[0]);
    v[2] = vmlal_s16(v[2], vget_low_s16(x.val[1]), vget_low_s16(w.a.val[1]));
    v[3] = vmlal_high_s16(v[3], x.val[1], w.a.val[1]);
    v[0] = vmlal_s16(v[0], vget_low_s16(y.val[0]), vget_low_s16(w.b.val[0]));
    v[1] = vmlal_high_s16(v[1], y.val[0], w.b.val[0]);
    v[2] = vmlal_s16(v[2], vget_low_s16(y.val[1]), vget_low_s16(w.b.val[1]));
    v[3] = vmlal_high_s16(v[3], y.val[1], w.b.val[1]);
  }
  [[gnu::always_inline]] void store(std::int32_t* out, const std::int32_t* bias) const noexcept {
    for (int i = 0; i < 4; ++i) vst1q_s32(out + 4 * i, vaddq_s32(v[i], vld1q_s32(bias + 4 * i)));
  }
  [[gnu::always_inline]] void store(std::int32_t* out, std::int32_t bias) const noexcept {
    for (int i = 0; i < 4; ++i) vst1q_s32(out + 4 * i, vaddq_s32(v[i], vdupq_n_s32(bias)));
  }
};
#else
struct dw8_x16 {
  std::int16_t v[16];
};

template <class In>
inline dw8_x16 dw8_widen(const In* p) noexcept {
  dw8_x16 x;
  for (int j = 0; j < 16; ++j) x.v[j] = p[j];
  return x;
}
inline dw8_x16 dw8_load(const std::int16_t* p) noexcept {
  dw8_x16 x;
  std::copy(p, p + 16, x.v);
  return x;
}

struct dw8_wpair {
  dw8_x16 a, b;
  explicit dw8_wpair(const std::int16_t* w) noexcept {
    for (int j = 0; j < 16; ++j) a.v[j] = w[j], b.v[j] = w[16 + j];
  }
  dw8_wpair(std::int8_t w0, std::int8_t w1) noexcept {
    std::fill(a.v, a.v + 16, std::int16_t(w0));
    std::fill(b.v, b.v + 16, std::int16_t(w1));
  }
};

struct dw8_sums {
  std::int32_t v[16] = {};
  void add(const dw8_x16& x, const dw8_x16& y, const dw8_wpair& w) noexcept {
    for (int j = 0; j < 16; ++j) v[j] += std::int32_t(x.v[j]) * w.a.v[j] + std::int32_t(y.v[j]) * w.b.v[j];
  }
  void store(std::int32_t* out, const std::int32_t* bias) const noexcept {
    for (int j = 0; j < 16; ++j) out[j] = std::int32_t(std::uint32_t(v[j]) + std::uint32_t(bias[j]));
  }
  void store(std::int32_t* out, std::int32_t bias) const noexcept {
    for (int j = 0; j < 16; ++j) out[j] = std::int32_t(std::uint32_t(v[j]) + std::uint32_t(bias));
  }
};
#endif

/// Index of packed weight (tap t % 2 of the pair, lane j): tap t's 16 lanes, then tap t + 1's.
constexpr int dw8_slot(int which, int j) noexcept { return which * 16 + j; }
#endif

/// Most taps (r * s) the NHWC row gathers input pointers for on the stack; larger kernels
/// take the scalar path.
inline constexpr index_t dw8_max_taps = 64;
/// Output pixels whose tap pointers the NHWC row gathers at once; each block of channels
/// then runs them all through one set of finishers.
inline constexpr index_t dw8_chunk_pixels = 16;

/// int16 values of the NCHW rows' stack buffer; shapes needing more take the scalar path.
inline constexpr index_t dw8_stack_values = 8192;

/// Depthwise convolution (groups == c == k) in int8, any kernel size, stride, padding and
/// dilation, NCHW and NHWC, bit-exact with algo::reference.
///
/// Each output is sum over the taps inside the input of (x - zero_point) * w, plus the bias,
/// through conv::epilogue's from_total (vector form detail::i8_finisher16). NHWC sums x * w over every
/// tap, padding taps reading a row of zero-point codes, and adds bias - zero_point * sum w
/// (folded at construction); NCHW subtracts the zero point once per input value in its int16
/// row copy, which holds 0 in the padding. Either way padding taps contribute exactly 0, as
/// in the reference. The int32 sums cannot overflow: each product is at most 255 * 127 in
/// magnitude (|x| <= 255; the symmetric quantiser gives weights in [-127, 127]), so a 7x7
/// kernel sums to at most 49 * 32,385 < 2^21, and conv_weights refuses more than
/// int8_max_taps taps, the count at which the sum plus the bias (at most 2^30) could reach
/// 2^31. Sums and the bias add wrap like the int8 GEMM kernels', which is exact because the
/// true total fits.
///
/// Weights are repacked at construction. NHWC: pairs of taps x blocks of 16 channels, 32
/// int16 each in dw8_slot order (channels padded to Cp, a multiple of 16, and an odd last
/// tap paired with zero weights), so one block of a tap pair is two loads and no widening.
/// NCHW: the C x R x S matrix as given. NHWC computes whole blocks of 16 channels in SIMD
/// and the channels past the last full block (c % 16) in scalar code; NCHW computes 32
/// outputs of a row at a time from an int16 copy of its input rows split into `stride_w`
/// phases (as the fp32 kernel), so that strided and padded taps are contiguous loads. Each
/// output row is computed by one thread in a fixed order: results are identical for any
/// thread count.
template <layout_policy Layout>
class depthwise_int8_conv {
  static constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  static constexpr index_t segment = 2 * dw8_lanes;  // NCHW outputs per step
  /// Packed weights: NHWC as int16 in vpmaddwd's order (no widening per tap), NCHW as given.
  using weight_type = std::conditional_t<nhwc, std::int16_t, std::int8_t>;

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<precision::int8, sparsity::dense>;

  static status can_implement(const conv2d_shape& sh) { return depthwise_can_implement(sh); }

  /// Channels rounded up to whole blocks (the per-channel arrays' length).
  static constexpr index_t padded_channels(const conv2d_shape& sh) noexcept {
    return (sh.c + dw8_lanes - 1) / dw8_lanes * dw8_lanes;
  }
  static constexpr index_t packed_weight_elements(const conv2d_shape& sh) noexcept {
    return nhwc ? (sh.r * sh.s + 1) / 2 * 2 * padded_channels(sh) : sh.c * sh.r * sh.s;
  }
  /// NHWC with AVX-512 VNNI: the weights of whole 64-channel blocks once more, as groups of
  /// four taps (dw8_quad_accumulate; uint8 codes take that path).
  static constexpr index_t quad_weight_elements([[maybe_unused]] const conv2d_shape& sh) noexcept {
#if DLAS_HAS_AVX512_VNNI
    if (nhwc && sh.r * sh.s <= dw8_max_taps)
      return (dw8_quad_end(sh.c) + (pairs_pixels(sh) ? 64 : 0)) * ((sh.r * sh.s + 3) / 4) * 4;
#endif
    return 0;
  }
  /// NHWC with 32 channels and stride 1: two neighbouring pixels' 32 channels are one 64-byte
  /// load per tap, summed as one 64-channel block against the weights twice over (after the
  /// 64-channel blocks in quads_), which halves the sums' operations (MobileNet's first
  /// depthwise layer). Needs a zero-point row of 64 bytes.
  static constexpr bool pairs_pixels(const conv2d_shape& sh) noexcept {
    return nhwc && sh.c == 32 && sh.stride_w == 1;
  }
  static constexpr index_t zp_row_bytes(const conv2d_shape& sh) noexcept {
    return nhwc ? padded_channels(sh) + (pairs_pixels(sh) && quad_weight_elements(sh) > 0 ? 32 : 0) : 0;
  }
  /// Packed weights, then per padded channel: the bias, the accumulator scale, the
  /// requantisation multiplier and (NHWC) the folded bias, the vector requantisation blocks
  /// and the zero-point row.
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t = 0) noexcept {
    const index_t cp = padded_channels(sh);
    return buffer_bytes<weight_type>(packed_weight_elements(sh)) +
           buffer_bytes<std::int8_t>(quad_weight_elements(sh)) + buffer_bytes<std::int32_t>(cp) +
           buffer_bytes<float>(cp) + buffer_bytes<optimize::fixed_point_multiplier>(cp) +
           (nhwc ? buffer_bytes<std::int32_t>(cp) + buffer_bytes<kernel::i8_requant8>(cp / 8) +
                       buffer_bytes<std::uint8_t>(zp_row_bytes(sh))
                 : 0);
  }
  static constexpr index_t workspace_bytes(const conv2d_shape&) noexcept { return 0; }

  depthwise_int8_conv(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : shape_(sh), opt_(opt), packed_(packed_weight_elements(sh)), quads_(quad_weight_elements(sh)),
        bias_(padded_channels(sh)),
        scales_(padded_channels(sh)), multipliers_(padded_channels(sh)),
        folded_(nhwc ? padded_channels(sh) : 0), requant_(nhwc ? padded_channels(sh) / 8 : 0),
        zp_row_(zp_row_bytes(sh)) {
    can_implement(sh).throw_if_error();
    const std::int8_t* src = w.matrix().data();  // C x (R * S)
    const index_t taps = sh.r * sh.s, cp = padded_channels(sh);
    // Padded channels and float outputs keep a valid (unused) multiplier.
    std::fill(multipliers_.begin(), multipliers_.end(), optimize::fixed_point_multiplier{});
    for (index_t c = 0; c < sh.c; ++c) {
      bias_[c] = w.bias()[std::size_t(c)];
      scales_[c] = w.output_scales()[std::size_t(c)];
      if (opt.output_quant) multipliers_[c] = w.multipliers()[std::size_t(c)];
    }
    if constexpr (nhwc) {
      const std::int64_t zp = opt.input_quant.zero_point;
      for (index_t c = 0; c < sh.c; ++c) {
        std::int64_t sum = 0;
        for (index_t t = 0; t < taps; ++t) {
          packed_[packed_index(t, c)] = src[c * taps + t];
          sum += src[c * taps + t];
        }
        // Wrapped to int32: the final total fits, so wrapping intermediate sums is exact.
        folded_[c] = std::int32_t(std::uint32_t(bias_[c] - zp * sum));
      }
      for (index_t c = 0; c < cp; ++c)
        requant_[c / 8].set(int(c % 8), multipliers_[c].multiplier, multipliers_[c].shift);
#if DLAS_HAS_AVX512_VNNI
      const index_t quads = (taps + 3) / 4;
      // Block b of `width` channels from c0 starts at c0 * 4 * quads; quad q within it at
      // q * 4 * width.
      const index_t c_end = quads_.size() == 0 ? 0 : dw8_quad_end(sh.c);
      for (index_t c = 0; c < c_end; ++c) {
        const index_t c0 = c / dw8_quad_channels * dw8_quad_channels;
        const index_t width = std::min(dw8_quad_channels, c_end - c0);
        for (index_t t = 0; t < quads * 4; ++t)
          quads_[c0 * 4 * quads + t / 4 * 4 * width + dw8_quad_slot(width, c - c0, t % 4)] =
              t < taps ? src[c * taps + t] : std::int8_t(0);
      }
      if (quads_.size() > 0 && pairs_pixels(sh))  // the pixel pairs' block: channel ch % 32
        for (index_t ch = 0; ch < 64; ++ch)
          for (index_t t = 0; t < quads * 4; ++t)
            quads_[c_end * 4 * quads + t / 4 * 4 * 64 + dw8_quad_slot(64, ch, t % 4)] =
                t < taps ? src[ch % 32 * taps + t] : std::int8_t(0);
#endif
      // The code whose x - zero_point is 0, as a byte of either input type.
      std::fill(zp_row_.begin(), zp_row_.end(), std::uint8_t(opt.input_quant.zero_point));
#if DLAS_HAS_AVX512_VNNI
      if (opt.output_quant && dw8_quad_end(sh.c) > 0) {
        // Sums over every tap of uint8 codes times weights in [-128, 127].
        std::int64_t bias_bound = 0;
        std::int32_t lo = 62, hi = 1;
        for (index_t c = 0; c < dw8_quad_end(sh.c); ++c) {
          bias_bound = std::max<std::int64_t>(bias_bound, folded_[c] < 0 ? -std::int64_t(folded_[c]) : folded_[c]);
          lo = std::min(lo, multipliers_[c].shift);
          hi = std::max(hi, multipliers_[c].shift);
        }
        fused_ = kernel::i8_row_requantizer32::fuses(taps * 255 * 128, bias_bound, lo, hi, opt.output_quant->zero_point);
        total_bound_ = taps * 255 * 128 + bias_bound;  // for the finish's single-precision form
      }
#endif
    } else {
      std::copy(src, src + sh.c * taps, packed_.data());
    }
  }

  index_t weight_bytes() const noexcept {
    return packed_.bytes() + quads_.bytes() + bias_.bytes() + scales_.bytes() + multipliers_.bytes() +
           folded_.bytes() + requant_.bytes() + zp_row_.bytes();
  }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource*) const {
    static_assert(std::is_same_v<In, std::uint8_t> || std::is_same_v<In, std::int8_t>,
                  "dlas: int8 kernels take uint8_t or int8_t input codes");
    const conv2d_shape& sh = shape_;
    const epilogue<precision::int8, Out> finish(bias_.data(), scales_.data(), multipliers_.data(), opt_);
    const index_t P = sh.output_h();
    if constexpr (nhwc) {
      core::parallel_for(sh.n * P, [&](index_t i) {
        if (sh.r * sh.s <= dw8_max_taps) nhwc_row(in, out, residual, finish, i / P, i % P);
        else scalar_row(in, out, residual, finish, i / P, 0, i % P);
      });
    } else {
      const bool buffered = nchw_buffer_values(sh) <= dw8_stack_values;
      core::parallel_for(sh.n * sh.c, [&](index_t nc) {
        alignas(32) std::int16_t buf[dw8_stack_values];
        for (index_t p = 0; p < P; ++p)
          if (buffered) nchw_row(in, out, residual, finish, nc / sh.c, nc % sh.c, p, buf);
          else scalar_row(in, out, residual, finish, nc / sh.c, nc % sh.c, p);
      });
    }
  }

 private:
  /// NHWC: index of tap t, channel c in the packed weights.
  index_t packed_index(index_t t, index_t c) const noexcept {
    const index_t blocks = padded_channels(shape_) / dw8_lanes;
    return ((t / 2) * blocks + c / dw8_lanes) * 32 + dw8_slot(int(t % 2), int(c % dw8_lanes));
  }
  std::int32_t weight(index_t c, index_t t) const noexcept {
    return nhwc ? packed_[packed_index(t, c)] : packed_[c * shape_.r * shape_.s + t];
  }

  /// Total (sum + bias, wrapped) of one output, by the definition: the path of shapes too
  /// large for the vector paths' stack buffers.
  template <class In>
  std::int32_t scalar_total(tensor_view<const In, Layout> in, index_t n, index_t c, index_t p,
                            index_t q) const noexcept {
    const conv2d_shape& sh = shape_;
    const std::int32_t zp = opt_.input_quant.zero_point;
    std::uint32_t acc = std::uint32_t(bias_[c]);
    for (index_t r = 0; r < sh.r; ++r) {
      const index_t y = p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
      if (y < 0 || y >= sh.h) continue;
      for (index_t s = 0; s < sh.s; ++s) {
        const index_t x = q * sh.stride_w - sh.pad_left + s * sh.dilation_w;
        if (x < 0 || x >= sh.w) continue;
        acc += std::uint32_t((std::int32_t(in(n, c, y, x)) - zp) * weight(c, r * sh.s + s));
      }
    }
    return std::int32_t(acc);
  }

  /// One output row: (n, p) for every channel in NHWC, (n, c, p) in NCHW; channels [c, C) in
  /// NHWC start at c = 0.
  template <class In, class Out, class Epilogue>
  void scalar_row(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
                  const Epilogue& finish, index_t n, index_t c, index_t p) const noexcept {
    const index_t c_end = nhwc ? shape_.c : c + 1;
    for (index_t q = 0; q < shape_.output_w(); ++q)
      for (index_t k = c; k < c_end; ++k) {
        const index_t o = out.offset(n, k, p, q);
        out.data()[o] = finish.from_total(scalar_total(in, n, k, p, q), k, residual ? residual + o : nullptr);
      }
  }

  /// NHWC: one output row (n, p) of every channel, in chunks of dw8_chunk_pixels output
  /// pixels: the input pointer of every tap of the chunk's pixels (the zero-point row for
  /// taps in the padding), then per block of channels the block's finishers (requantisation
  /// constants loaded once) and every pixel of the chunk through them; the last c % 16
  /// channels are scalar. Sums are of x * w over every tap, plus folded_ = bias - zp * sum w:
  /// padding taps read x = zp, so this equals sum over the inside taps of (x - zp) * w, with
  /// no subtraction per tap.
  template <class In, class Out, class Epilogue>
  void nhwc_row(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
                const Epilogue& finish, index_t n, index_t p) const noexcept {
    using finisher = detail::i8_finisher16<Out, Epilogue>;
    const conv2d_shape& sh = shape_;
    const index_t C = sh.c, W = sh.w, Q = sh.output_w(), taps = sh.r * sh.s, pairs = (taps + 1) / 2;
    const index_t blocks = padded_channels(sh) / dw8_lanes, c_vec = C / dw8_lanes * dw8_lanes;
    // Pointers per pixel: every tap, then zero-weight partners up to whole quads and pairs.
    const index_t stride = (taps + 3) / 4 * 4 + 1;
    const In* zrow = reinterpret_cast<const In*>(zp_row_.data());
    const In* in_n = in.data() + n * sh.h * W * C;
    const index_t y0 = p * sh.stride_h - sh.pad_top;
    const In* src[dw8_chunk_pixels * (dw8_max_taps + 5)];
    bool inner[dw8_chunk_pixels];  // pixel j's kernel lies within the image's columns
    for (index_t j = 0; j < dw8_chunk_pixels; ++j) std::fill(src + j * stride + taps, src + (j + 1) * stride, zrow);
    // Tap t of a pixel whose kernel lies within the image's columns: at row[t] + x0 * step[t],
    // x0 its first column; a kernel row in the padding reads the zero-point row (step 0).
    // Computed once per output row, since the pointers of every pixel cost more than the
    // sums where channels are few (32 channels: twice the time of the sums).
    const In* row[dw8_max_taps];
    index_t step[dw8_max_taps];
    for (index_t r = 0; r < sh.r; ++r) {
      const index_t y = y0 + r * sh.dilation_h;
      const bool inside = y >= 0 && y < sh.h;
      for (index_t s = 0; s < sh.s; ++s) {
        row[r * sh.s + s] = inside ? in_n + (y * W + s * sh.dilation_w) * C : zrow;
        step[r * sh.s + s] = inside ? C : 0;
      }
    }
    const index_t span = (sh.s - 1) * sh.dilation_w;  // columns from a kernel's first to its last
    index_t c_quad = 0;  // channels below it: whole 64-channel blocks of vpdpbusd
#if DLAS_HAS_AVX512_VNNI
    if constexpr (std::is_same_v<In, std::uint8_t>) c_quad = dw8_quad_end(C);
    [[maybe_unused]] const index_t quads = (taps + 3) / 4;
#endif
    for (index_t q0 = 0; q0 < Q; q0 += dw8_chunk_pixels) {
      const index_t count = std::min(dw8_chunk_pixels, Q - q0);
      for (index_t j = 0; j < count; ++j) {
        const In** sj = src + j * stride;
        const index_t x0 = (q0 + j) * sh.stride_w - sh.pad_left;
        inner[j] = x0 >= 0 && x0 + span < W;
        if (inner[j]) {
          for (index_t t = 0; t < taps; ++t) sj[t] = row[t] + x0 * step[t];
          continue;
        }
        for (index_t r = 0; r < sh.r; ++r)
          for (index_t s = 0; s < sh.s; ++s) {
            const index_t y = y0 + r * sh.dilation_h, x = x0 + s * sh.dilation_w;
            sj[r * sh.s + s] = y < 0 || y >= sh.h || x < 0 || x >= W ? zrow : in_n + (y * W + x) * C;
          }
      }
      const index_t o0 = out.offset(n, 0, p, q0);  // pixel j's channels at o0 + j * C
#if DLAS_HAS_AVX512_VNNI
      if constexpr (std::is_same_v<In, std::uint8_t>) {
        // A block of Width channels from c0 for every pixel of the chunk.
        auto quad_block = [&]<int Width>(index_t c0) {
          const std::int8_t* w = quads_.data() + c0 * 4 * quads;
          typename dw8_quad_ops<Width>::reg v[4];
          if constexpr (sizeof(Out) == 1) {
            if (fused_) {
              // 8-bit outputs, 32 channels per requantiser, the folded bias in its rounding term.
              const auto clamp = finish.clamp();
              auto requantizer = [&](index_t k0) {
                return kernel::i8_row_requantizer32(requant_.data() + k0 / 8, folded_.data() + k0, finish.zero_point(),
                                                    clamp.lo, clamp.hi, std::numeric_limits<Out>::min(),
                                                    std::numeric_limits<Out>::max(), total_bound_);
              };
              const kernel::i8_row_requantizer32 r0 = requantizer(c0);
              if constexpr (Width == 64) {
                const kernel::i8_row_requantizer32 r1 = requantizer(c0 + 32);
                for (index_t j = 0; j < count; ++j) {
                  dw8_quad_accumulate<Width>(src + j * stride, quads, c0, w, v);
                  Out* o = out.data() + o0 + j * C + c0;
                  r0(v[0], v[1], o);
                  r1(v[2], v[3], o + 32);
                }
              } else {
                const bool pairs = pairs_pixels(sh);  // then c0 = 0 and C = 32
                for (index_t j = 0; j < count; ++j) {
                  Out* o = out.data() + o0 + j * C + c0;
                  if (pairs && j + 1 < count && inner[j] && inner[j + 1]) {
                    typename dw8_quad_ops<64>::reg v2[4];
                    dw8_quad_accumulate<64>(src + j * stride, quads, 0, w + 32 * 4 * quads, v2);
                    r0(v2[0], v2[1], o);
                    r0(v2[2], v2[3], o + 32);
                    ++j;
                    continue;
                  }
                  dw8_quad_accumulate<Width>(src + j * stride, quads, c0, w, v);
                  r0(dw8_quad_zmm<Width>(v, 0), dw8_quad_zmm<Width>(v, 1), o);
                }
              }
              return;
            }
          }
          const auto f = finishers<finisher>(c0, finish, std::make_index_sequence<Width / 16>{});
          __m512i bias[Width / 16];
          for (int k = 0; k < Width / 16; ++k) bias[k] = _mm512_loadu_si512(folded_.data() + c0 + 16 * k);
          for (index_t j = 0; j < count; ++j) {
            // The sums plus the folded bias (wrapping int32 adds) straight from the registers.
            dw8_quad_accumulate<Width>(src + j * stride, quads, c0, w, v);
            const index_t o = o0 + j * C + c0;
            for (int k = 0; k < Width / 16; ++k)
              f[std::size_t(k)](_mm512_add_epi32(dw8_quad_zmm<Width>(v, k), bias[k]),
                                residual ? residual + o + 16 * k : nullptr, out.data() + o + 16 * k);
          }
        };
        for (index_t c0 = 0; c0 < c_quad; c0 += dw8_quad_channels) {
          if (c_quad - c0 >= 64) quad_block.template operator()<64>(c0);
          else quad_block.template operator()<32>(c0);
        }
      }
#endif
      for (index_t c0 = c_quad; c0 < c_vec; c0 += dw8_lanes) {
        const finisher f(scales_.data() + c0, requant_.data() + c0 / 8, finish);
        for (index_t j = 0; j < count; ++j) {
          const In* const* sj = src + j * stride;
          dw8_sums acc;
          const std::int16_t* w = packed_.data() + c0 / dw8_lanes * 32;
          for (index_t i = 0; i < pairs; ++i, w += blocks * 32)
            acc.add(dw8_widen(sj[2 * i] + c0), dw8_widen(sj[2 * i + 1] + c0), dw8_wpair(w));
          alignas(32) std::int32_t t[dw8_lanes];
          acc.store(t, folded_.data() + c0);
          const index_t o = o0 + j * C + c0;
          f(t, residual ? residual + o : nullptr, out.data() + o);
        }
      }
      for (index_t j = 0; j < count; ++j) {
        const In* const* sj = src + j * stride;
        const index_t o = o0 + j * C;
        for (index_t c = c_vec; c < C; ++c) {
          std::uint32_t acc = std::uint32_t(folded_[c]);
          for (index_t t = 0; t < taps; ++t) acc += std::uint32_t(std::int32_t(sj[t][c]) * weight(c, t));
          out.data()[o + c] = finish.from_total(std::int32_t(acc), c, residual ? residual + o + c : nullptr);
        }
      }
    }
  }

  /// The finishers of channels [c0 + 16 i, c0 + 16 i + 16) for each I.
  template <class Finisher, class Epilogue, std::size_t... I>
  std::array<Finisher, sizeof...(I)> finishers(index_t c0, const Epilogue& finish,
                                               std::index_sequence<I...>) const noexcept {
    return {Finisher(scales_.data() + c0 + 16 * I, requant_.data() + (c0 + 16 * I) / 8, finish)...};
  }

  /// NCHW: length of one phase of a row copy (whole segments plus the widest tap offset).
  static constexpr index_t phase_len(const conv2d_shape& sh) noexcept {
    return (sh.output_w() + segment - 1) / segment * segment + (sh.s - 1) * sh.dilation_w / sh.stride_w;
  }
  static constexpr index_t nchw_buffer_values(const conv2d_shape& sh) noexcept {
    return sh.r * sh.stride_w * phase_len(sh);
  }

  /// NCHW: one output row (n, c, p). The input rows it reads are copied once as x' (zeros in
  /// the padding) into `buf`, column x = ph - pad_left + t * stride_w at phase ph, index t;
  /// tap (r, s) of output q then reads phase (s * dilation_w) % stride_w at index
  /// q + (s * dilation_w) / stride_w, so 16 outputs' x' are one contiguous load.
  template <class In, class Out, class Epilogue>
  void nchw_row(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
                const Epilogue& finish, index_t n, index_t c, index_t p, std::int16_t* buf) const noexcept {
    const conv2d_shape& sh = shape_;
    const index_t R = sh.r, S = sh.s, W = sh.w, Q = sh.output_w(), sw = sh.stride_w, dw = sh.dilation_w;
    const index_t len = phase_len(sh);
    const std::int32_t zp = opt_.input_quant.zero_point;
    const index_t y0 = p * sh.stride_h - sh.pad_top;
    index_t r_lo = 0, r_hi = R;
    while (r_lo < R && y0 + r_lo * sh.dilation_h < 0) ++r_lo;
    while (r_hi > r_lo && y0 + (r_hi - 1) * sh.dilation_h >= sh.h) --r_hi;
    const In* plane = in.data() + (n * sh.c + c) * sh.h * W;
    for (index_t r = r_lo; r < r_hi; ++r) {
      const In* row = plane + (y0 + r * sh.dilation_h) * W;
      for (index_t ph = 0; ph < sw; ++ph) {
        std::int16_t* dst = buf + (r * sw + ph) * len;
        const index_t x0 = ph - sh.pad_left;  // column of index 0
        const index_t t_lo = std::clamp<index_t>((sw - 1 - x0) / sw, 0, len);  // first x >= 0
        const index_t t_hi = std::clamp<index_t>((W - x0 + sw - 1) / sw, t_lo, len);  // first x >= W
        std::fill(dst, dst + t_lo, std::int16_t(0));
        for (index_t t = t_lo; t < t_hi; ++t) dst[t] = std::int16_t(std::int32_t(row[x0 + t * sw]) - zp);
        std::fill(dst + t_hi, dst + len, std::int16_t(0));
      }
    }
    const std::int8_t* wc = packed_.data() + c * R * S;
    const std::int32_t bias = bias_[c];
    alignas(32) float scale[dw8_lanes];
    std::fill(scale, scale + dw8_lanes, scales_[c]);
    kernel::i8_requant8 rq[2];
    for (int j = 0; j < 16; ++j) rq[j / 8].set(j % 8, multipliers_[c].multiplier, multipliers_[c].shift);
    const detail::i8_finisher16<Out, Epilogue> finish16(scale, rq, finish);  // the row's channel in every lane
    const index_t out_off = out.offset(n, c, p, 0);
    for (index_t q0 = 0; q0 < Q; q0 += segment) {
      dw8_sums acc0, acc1;
      for (index_t r = r_lo; r < r_hi; ++r)
        for (index_t s = 0; s < S; s += 2) {
          auto at = [&](index_t ss) {
            return buf + (r * sw + (ss * dw) % sw) * len + (ss * dw) / sw + q0;
          };
          const bool two = s + 1 < S;
          const std::int16_t *a = at(s), *b = two ? at(s + 1) : a;
          const dw8_wpair wp(wc[r * S + s], two ? wc[r * S + s + 1] : std::int8_t(0));
          acc0.add(dw8_load(a), dw8_load(b), wp);
          acc1.add(dw8_load(a + dw8_lanes), dw8_load(b + dw8_lanes), wp);
        }
      alignas(32) std::int32_t t[segment];
      acc0.store(t, bias);
      acc1.store(t + dw8_lanes, bias);
      const index_t count = std::min(segment, Q - q0);
      const index_t o = out_off + q0;
      index_t i = 0;
      for (; i + dw8_lanes <= count; i += dw8_lanes)
        finish16(t + i, residual ? residual + o + i : nullptr, out.data() + o + i);
      for (; i < count; ++i)
        out.data()[o + i] = finish.from_total(t[i], c, residual ? residual + o + i : nullptr);
    }
  }

  conv2d_shape shape_;
  conv2d_options opt_;
  aligned_buffer<weight_type> packed_;
  aligned_buffer<std::int8_t> quads_;  // NHWC, AVX-512 VNNI: see quad_weight_elements
  aligned_buffer<std::int32_t> bias_;
  aligned_buffer<float> scales_;
  aligned_buffer<optimize::fixed_point_multiplier> multipliers_;
  aligned_buffer<std::int32_t> folded_;  // NHWC: bias - zero_point * sum of the channel's weights
  aligned_buffer<kernel::i8_requant8> requant_;
  aligned_buffer<std::uint8_t> zp_row_;
  /// NHWC, uint8 codes on AVX-512 VNNI, 8-bit outputs: the quad blocks requantise through
  /// kernel::i8_row_requantizer32, where its fuses() proves that form exact.
  bool fused_ = false;
  std::int64_t total_bound_ = 0;  // the largest |sum + folded bias| there
};

}  // namespace detail

/// int8 dense (uint8/int8 codes, int8 weights, exact int32 sums), NCHW and NHWC; see
/// detail::depthwise_int8_conv.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::int8, sparsity::dense, algo::depthwise>
    : public detail::depthwise_int8_conv<Layout> {
 public:
  using detail::depthwise_int8_conv<Layout>::depthwise_int8_conv;
};

}  // namespace dlas::conv
