// SPDX-License-Identifier: Apache-2.0
/// \file i8_requantize.hpp
/// \brief The vector int8 requantisation: int32 totals to clamped output codes, bit for bit
/// optimize::fixed_point_multiplier::apply (AVX2, NEON, a portable loop elsewhere), and the narrowing
/// of clamped codes to bytes; on AVX-512 both for 16 channels in one register. Shared by the
/// dense and the CSR int8 kernels.
#pragma once

#include <bit>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "dlas/config.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

/// Per-channel constants of the vector requantisation of 8 channels (AVX2 has no 64-bit
/// arithmetic shift): apply(x) = (x * m + 2^(s-1)) >> s is computed as
/// ((x * m + add) >>> s) - sub with add = 2^(s-1) + 2^63 and sub = 2^(63-s), exact because
/// 2^63 is a multiple of 2^s. The 64-bit values are stored even channels first, then odd
/// (the lanes of vpmuldq). AVX-512 uses the shifts alone with its arithmetic 64-bit shift
/// (vpsravq); NEON too: its rounding shift (srshl) adds 2^(s-1) at full precision.
struct i8_requant8 {
  std::int32_t mult[8];
  std::uint64_t shift[8];
  std::uint64_t add[8];
  std::uint64_t sub[8];
  /// multiplier * 2^-shift where that is a float exactly and below 2^6, else 0 (channel
  /// order): the scale of i8_row_requantizer32's single-precision form.
  float scale[8];

  /// Sets lane `lane` (0..7) from a fixed-point multiplier (shift in [1, 62]).
  void set(int lane, std::int32_t multiplier, std::int32_t shift_) noexcept {
    const int slot = (lane % 2) * 4 + lane / 2;
    mult[lane] = multiplier;
    shift[slot] = std::uint64_t(shift_);
    add[slot] = (std::uint64_t(1) << (shift_ - 1)) + (std::uint64_t(1) << 63);
    sub[slot] = std::uint64_t(1) << (63 - shift_);
    scale[lane] = float_scale(multiplier, shift_);
  }

  /// multiplier * 2^-shift as a float where that is exact and below 2^6 (|x * c| + |zp| + 1 <
  /// 2^31 for |x| <= 2^24: the conversion cannot overflow), else 0. Built from the bits,
  /// without a libm call: some kernels set their constants once per image row.
  static constexpr float float_scale(std::int32_t multiplier, std::int32_t shift_) noexcept {
    if (multiplier <= 0) return 0.0f;
    const auto m = std::uint32_t(multiplier);
    const int top = 31 - std::countl_zero(m);  // m = 1.f * 2^top
    if (top > 23 && (m & ((std::uint32_t(1) << (top - 23)) - 1)) != 0) return 0.0f;  // over 24 bits
    const int exponent = top - shift_;                                                  // in [-62, 30]
    if (exponent >= 6) return 0.0f;
    const std::uint32_t fraction = (top > 23 ? m >> (top - 23) : m << (23 - top)) & 0x7FFFFFu;
    return std::bit_cast<float>(std::uint32_t(exponent + 127) << 23 | fraction);
  }
};

/// out[j] = clamp(((int64(total[j]) * m_j + 2^(s_j - 1)) >> s_j) + zero_point, lo, hi) for
/// 8 channels: optimize::fixed_point_multiplier::apply and the output clamp, bit for bit.
[[gnu::always_inline]] inline void i8_requantize8(const std::int32_t* total, const i8_requant8& q,
                                                  std::int32_t zero_point, std::int32_t lo,
                                                  std::int32_t hi, std::int32_t* out) noexcept {
#if defined(__AVX2__)
  auto load = [](const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); };
  const __m256i t = load(total), m = load(q.mult);
  const __m256i even = _mm256_mul_epi32(t, m);
  const __m256i odd = _mm256_mul_epi32(_mm256_srli_epi64(t, 32), _mm256_srli_epi64(m, 32));
  const __m256i e = _mm256_sub_epi64(
      _mm256_srlv_epi64(_mm256_add_epi64(even, load(q.add)), load(q.shift)), load(q.sub));
  const __m256i o = _mm256_sub_epi64(
      _mm256_srlv_epi64(_mm256_add_epi64(odd, load(q.add + 4)), load(q.shift + 4)), load(q.sub + 4));
  __m256i r = _mm256_blend_epi32(e, _mm256_slli_epi64(o, 32), 0xAA);
  r = _mm256_add_epi32(r, _mm256_set1_epi32(zero_point));
  r = _mm256_min_epi32(_mm256_max_epi32(r, _mm256_set1_epi32(lo)), _mm256_set1_epi32(hi));
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), r);
#elif defined(__aarch64__)
  // Even and odd channels apart, in the order of the shifts; products are exact in int64.
  const int32x4_t t0 = vld1q_s32(total), t1 = vld1q_s32(total + 4);
  const int32x4_t m0 = vld1q_s32(q.mult), m1 = vld1q_s32(q.mult + 4);
  const int32x4_t te = vuzp1q_s32(t0, t1), to = vuzp2q_s32(t0, t1);
  const int32x4_t me = vuzp1q_s32(m0, m1), mo = vuzp2q_s32(m0, m1);
  auto shift = [&](int slot) { return vnegq_s64(vreinterpretq_s64_u64(vld1q_u64(q.shift + slot))); };
  // (p + 2^(s-1)) >> s, then the low 32 bits, as the scalar int32_t cast.
  const int32x4_t e = vcombine_s32(vmovn_s64(vrshlq_s64(vmull_s32(vget_low_s32(te), vget_low_s32(me)), shift(0))),
                                   vmovn_s64(vrshlq_s64(vmull_high_s32(te, me), shift(2))));
  const int32x4_t o = vcombine_s32(vmovn_s64(vrshlq_s64(vmull_s32(vget_low_s32(to), vget_low_s32(mo)), shift(4))),
                                   vmovn_s64(vrshlq_s64(vmull_high_s32(to, mo), shift(6))));
  const int32x4_t zp = vdupq_n_s32(zero_point), vlo = vdupq_n_s32(lo), vhi = vdupq_n_s32(hi);
  vst1q_s32(out, vminq_s32(vmaxq_s32(vaddq_s32(vzip1q_s32(e, o), zp), vlo), vhi));
  vst1q_s32(out + 4, vminq_s32(vmaxq_s32(vaddq_s32(vzip2q_s32(e, o), zp), vlo), vhi));
#else
  for (int j = 0; j < 8; ++j) {
    const int slot = (j % 2) * 4 + j / 2;
    const std::int64_t p = std::int64_t(total[j]) * q.mult[j];
    const auto s = int(q.shift[slot]);
    const auto v = std::int32_t((p + (std::int64_t(1) << (s - 1))) >> s) + zero_point;
    out[j] = v < lo ? lo : v > hi ? hi : v;
  }
#endif
}

/// out[j] = Out(q[j]) for 16 values already clamped to Out's range (uint8_t or int8_t).
template <class Out>
[[gnu::always_inline]] inline void i8_narrow16(const std::int32_t* q, Out* out) noexcept {
  static_assert(sizeof(Out) == 1, "dlas::kernel::i8_narrow16: 8-bit outputs");
#if defined(__AVX2__)
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q));
  const __m256i hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 8));
  // int16 in order 0..15 (packs works per 128-bit lane; the permute restores the order).
  const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(lo, hi), 0xD8);
  const __m128i a = _mm256_castsi256_si128(w), b = _mm256_extracti128_si256(w, 1);
  const __m128i bytes = std::is_same_v<Out, std::uint8_t> ? _mm_packus_epi16(a, b) : _mm_packs_epi16(a, b);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
#elif defined(__aarch64__)
  const int16x8_t w0 = vcombine_s16(vmovn_s32(vld1q_s32(q)), vmovn_s32(vld1q_s32(q + 4)));
  const int16x8_t w1 = vcombine_s16(vmovn_s32(vld1q_s32(q + 8)), vmovn_s32(vld1q_s32(q + 12)));
  vst1q_s8(reinterpret_cast<std::int8_t*>(out), vcombine_s8(vmovn_s16(w0), vmovn_s16(w1)));
#else
  for (int j = 0; j < 16; ++j) out[j] = Out(q[j]);
#endif
}

/// i8_requantize8 and i8_narrow16 for 16 channels (q[0] holds channels 0-7, q[1] 8-15): the
/// same operations, bit for bit; with AVX-512 in one register, vpmovdb narrowing. The
/// constants are loaded once, at construction, and held (in registers on AVX-512) while a
/// tile's rows of the same 16 channels go through operator().
class i8_requantizer16 {
 public:
  i8_requantizer16(const i8_requant8* q, std::int32_t zero_point, std::int32_t lo, std::int32_t hi) noexcept
#if defined(__AVX512F__)
  {
    // Each i8_requant8 array holds 4 even-channel slots, then 4 odd: a register of 64-bit
    // lanes joins q[0]'s and q[1]'s halves (and the multipliers' two 8-channel rows).
    auto join = [](const void* a, const void* b) {
      return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(static_cast<const __m256i*>(a))),
                                _mm256_loadu_si256(static_cast<const __m256i*>(b)), 1);
    };
    mult_ = join(q[0].mult, q[1].mult);
    mult_odd_ = _mm512_srli_epi64(mult_, 32);
    // The zero point joins the rounding term where no sum can overflow: (p + 2^(s-1) +
    // zp * 2^s) >> s is ((p + 2^(s-1)) >> s) + zp exactly, |p| <= 2^62, so it needs
    // (|zp| + 1) * 2^s <= 2^62 in every lane.
    const std::int64_t zp_bound = std::int64_t(zero_point < 0 ? -std::int64_t(zero_point) : zero_point) + 1;
    zp_folded_ = true;
    for (int h = 0; h < 2; ++h) {  // even, odd
      shift_[h] = join(q[0].shift + 4 * h, q[1].shift + 4 * h);
      // 2^(s-1): AVX-512 has the arithmetic 64-bit shift, so the unsigned form's add and
      // sub (i8_requant8) are not needed.
      half_[h] = _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_sub_epi64(shift_[h], _mm512_set1_epi64(1)));
      const __m512i limit = _mm512_srlv_epi64(_mm512_set1_epi64(std::int64_t(1) << 62), shift_[h]);
      zp_folded_ = zp_folded_ && _mm512_cmpgt_epi64_mask(_mm512_set1_epi64(zp_bound), limit) == 0;
    }
    if (zp_folded_)
      for (int h = 0; h < 2; ++h)
        half_[h] = _mm512_add_epi64(half_[h], _mm512_sllv_epi64(_mm512_set1_epi64(zero_point), shift_[h]));
    zero_point_ = _mm512_set1_epi32(zero_point);
    lo_ = _mm512_set1_epi32(lo);
    hi_ = _mm512_set1_epi32(hi);
    hi_value_ = hi;
  }
#else
      : q_(q), zero_point_(zero_point), lo_(lo), hi_(hi) {
  }
#endif

  /// out[0..16) from total[0..16).
  template <class Out>
  [[gnu::always_inline]] void operator()(const std::int32_t* total, Out* out) const noexcept {
    static_assert(sizeof(Out) == 1, "dlas::kernel::i8_requantizer16: 8-bit outputs");
#if defined(__AVX512F__)
    (*this)(_mm512_loadu_si512(total), out);
#else
    alignas(32) std::int32_t codes[16];
    i8_requantize8(total, q_[0], zero_point_, lo_, hi_, codes);
    i8_requantize8(total + 8, q_[1], zero_point_, lo_, hi_, codes + 8);
    i8_narrow16(codes, out);
#endif
  }

#if defined(__AVX512F__)
  /// The same from a register of 16 totals (an int8 GEMM tile's accumulators, finished
  /// where they are).
  template <class Out>
  [[gnu::always_inline]] void operator()(__m512i t, Out* out) const noexcept {
    static_assert(sizeof(Out) == 1, "dlas::kernel::i8_requantizer16: 8-bit outputs");
    // vpmuldq multiplies the even int32 lanes into int64: the even channels, then the odd
    // ones shifted down. (p + 2^(s-1)) >> s with the arithmetic shift is apply() exactly
    // (|p| < 2^62, so the sum cannot overflow).
    const __m512i even = _mm512_mul_epi32(t, mult_);
    const __m512i odd = _mm512_mul_epi32(_mm512_srli_epi64(t, 32), mult_odd_);
    const __m512i e = _mm512_srav_epi64(_mm512_add_epi64(even, half_[0]), shift_[0]);
    const __m512i o = _mm512_srav_epi64(_mm512_add_epi64(odd, half_[1]), shift_[1]);
    // The low 32 bits of each (the scalar int32_t cast), the odd results into the odd lanes.
    __m512i r = _mm512_mask_shuffle_epi32(e, 0xAAAA, o, _MM_PERM_CCAA);
    if (!zp_folded_) r = _mm512_add_epi32(r, zero_point_);
    r = _mm512_max_epi32(r, lo_);
    __m128i bytes;
    if (hi_value_ == std::numeric_limits<Out>::max())  // the saturating narrowing is the upper clamp
      bytes = std::is_same_v<Out, std::uint8_t> ? _mm512_cvtusepi32_epi8(r) : _mm512_cvtsepi32_epi8(r);
    else
      bytes = _mm512_cvtepi32_epi8(_mm512_min_epi32(r, hi_));  // in range: truncation is exact
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out), bytes);
  }
#endif

 private:
#if defined(__AVX512F__)
  __m512i mult_, mult_odd_, half_[2], shift_[2], zero_point_, lo_, hi_;
  std::int32_t hi_value_;
  bool zp_folded_;  // zero_point_ is in half_
#else
  const i8_requant8* q_;
  std::int32_t zero_point_, lo_, hi_;
#endif
};

#if defined(__AVX512F__)
/// The requantisation of an int8 GEMM tile's rows of 32 channels, straight from its
/// accumulators (before the bias), with the bias and the output zero point folded into each
/// channel's 64-bit rounding term: out = clamp(((acc + b) * m + 2^(s-1) + zp * 2^s) >> s),
/// i8_requantize8 bit for bit wherever fuses() holds. The shift is taken in two steps, the
/// high 32 bits of the 64-bit sum (so the odd channels' results land in place), then an
/// arithmetic 32-bit shift by s - 32: floor(floor(x / 2^32) / 2^(s-32)) = floor(x / 2^s).
/// Per 32 outputs: 4 vpmuldq, 2 shifts to reach the odd channels, 4 adds, 2 shuffles, 2
/// 32-bit shifts and 3 packing operations whose saturation is the clamp to the type's range.
///
/// Where in_float() holds, the same results come from single precision, in half the
/// operations: with x = acc + b an integer of at most 2^24 in magnitude (a float exactly) and
/// c = m * 2^-s a float exactly (m of at most 24 significant bits,
/// optimize::float_multiplier_bits), the fused multiply-add rounded down,
/// f = RD(x * c + zp + 1/2), and its conversion rounded down give floor(x * c + zp + 1/2) =
/// ((x * m + 2^(s-1)) >> s) + zp: every integer below 2^24 in magnitude is a float, so
/// floor(v) <= f <= v, and floor(f) = floor(v). Beyond 2^24 both lie past the clamp.
class i8_row_requantizer32 {
 public:
  /// Whether the fused form is exact for sums |acc| <= acc_bound, folded biases
  /// |b| <= bias_bound and the channels' shifts in [min_shift, max_shift]: acc + b must not
  /// wrap in int32 (the epilogue wraps it), s >= 32 for the two-step shift, and
  /// (|zp| + 1/2) * 2^s < 2^62 so that the 64-bit sum, under 2^62 in magnitude before the
  /// rounding term, cannot overflow.
  static constexpr bool fuses(std::int64_t acc_bound, std::int64_t bias_bound, std::int32_t min_shift,
                              std::int32_t max_shift, std::int32_t zero_point) noexcept {
    const std::int64_t zp = zero_point < 0 ? -std::int64_t(zero_point) : zero_point;
    return acc_bound + bias_bound < (std::int64_t(1) << 31) && min_shift >= 32 && max_shift <= 62 &&
           2 * zp + 1 < (std::int64_t(1) << (63 - max_shift));  // (zp + 1/2) 2^s < 2^62
  }

  /// The largest |acc + b| the single-precision form takes (in_float): every integer up to
  /// it is a float.
  static constexpr std::int64_t float_total_bound = std::int64_t(1) << 24;

  /// Unset (registers undefined, no clamp): for arrays that a kernel fills per block of panels.
  i8_row_requantizer32() noexcept = default;
  /// Channels of q[0..3] (8 each), folded biases bias[0..32); total_bound bounds |acc + b|
  /// over every input (at most float_total_bound for the single-precision form).
  i8_row_requantizer32(const i8_requant8* q, const std::int32_t* bias, std::int32_t zero_point, std::int32_t lo,
                       std::int32_t hi, std::int32_t type_min, std::int32_t type_max,
                       std::int64_t total_bound = std::numeric_limits<std::int64_t>::max()) noexcept
      : clamp_lo_(lo > type_min), clamp_hi_(hi < type_max), rounds_high_(true) {
    set_float_scales(q, zero_point, total_bound);
    const __m512i one = _mm512_set1_epi32(1), zp = _mm512_set1_epi32(zero_point);
    r_.lo = _mm512_set1_epi32(lo);
    r_.hi = _mm512_set1_epi32(hi);
    // A row's packed codes in channel order; the upper half orders a second row's, packed
    // with the first (i8_requantized_tile).
    r_.order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    auto join = [](const void* a, const void* b) {
      return _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_loadu_si256(static_cast<const __m256i*>(a))),
                                _mm256_loadu_si256(static_cast<const __m256i*>(b)), 1);
    };
    // The low 32 bits of each 64-bit shift, the even channels' slots first: channel order.
    const __m512i to_channels = _mm512_setr_epi32(0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30);
    for (int b = 0; b < 2; ++b) {
      const i8_requant8* qb = q + 2 * b;
      r_.mult[b] = join(qb[0].mult, qb[1].mult);
      r_.mult_odd[b] = _mm512_srli_epi64(r_.mult[b], 32);
      __m512i shift64[2];
      for (int h = 0; h < 2; ++h) {  // even, odd
        const __m512i s = shift64[h] = join(qb[0].shift + 4 * h, qb[1].shift + 4 * h);
        round_[b][h] = _mm512_add_epi64(
            _mm512_sllv_epi64(_mm512_set1_epi64(1), _mm512_sub_epi64(s, _mm512_set1_epi64(1))),
            _mm512_sllv_epi64(_mm512_set1_epi64(zero_point), s));
      }
      r_.shift[b] = _mm512_sub_epi32(_mm512_permutex2var_epi32(shift64[0], to_channels, shift64[1]),
                                     _mm512_set1_epi32(32));
      // 2^(s-33) + zp 2^(s-32), whole where s >= 33; fuses() keeps it and the sum in int32.
      r_.round_high[b] = _mm512_add_epi32(_mm512_sllv_epi32(one, _mm512_sub_epi32(r_.shift[b], one)),
                                          _mm512_sllv_epi32(zp, r_.shift[b]));
      rounds_high_ = rounds_high_ && _mm512_cmpgt_epi32_mask(r_.shift[b], _mm512_setzero_si512()) == 0xFFFF;
    }
    rebias(bias);
  }

  /// Takes the folded biases bias[0..32) (a tap region's) in place of the current ones.
  void rebias(const std::int32_t* bias) noexcept {
    for (int b = 0; b < 2; ++b) {
      const __m512i v = r_.start[b] = _mm512_loadu_si512(bias + 16 * b);
      r_.sum[b][0] = _mm512_add_epi64(_mm512_mul_epi32(v, r_.mult[b]), round_[b][0]);
      r_.sum[b][1] = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(v, 32), r_.mult_odd[b]), round_[b][1]);
    }
  }

  /// out[0..32) (uint8_t or int8_t codes) from the accumulators of channels 0-15 and 16-31.
  template <class Out>
  [[gnu::always_inline]] void operator()(__m512i acc0, __m512i acc1, Out* out) const noexcept {
    static_assert(sizeof(Out) == 1, "dlas::kernel::i8_row_requantizer32: 8-bit outputs");
    const __m512i r0 = codes(0, acc0), r1 = codes(1, acc1);
    // int16 then 8-bit saturation, within each 128-bit lane: channels 0-3 of r0, 0-3 of r1,
    // 4-7 of r0, ...; the dword permutation restores the channel order.
    const __m512i w = _mm512_packs_epi32(r0, r1);
    const __m512i bytes = std::is_same_v<Out, std::uint8_t> ? _mm512_packus_epi16(w, w) : _mm512_packs_epi16(w, w);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out),
                        _mm512_castsi512_si256(_mm512_permutexvar_epi32(r_.order, bytes)));
  }

  /// The constants of operator(), as registers of a tile's finish load them
  /// (i8_requantized_tile.hpp): per 16-channel half b the multipliers of the even and odd
  /// channels, the 64-bit sums of bias, rounding term and zero point, the 32-bit shifts; the
  /// clamp; the dword order that undoes the packs' interleave. For a tile whose accumulators
  /// start at the folded biases (start) where every shift is at least 33 (rounds_high()):
  /// the rounding term and zero point over 2^32 (round_high), added to the products' high
  /// words, since then floor((p + r) / 2^32) = floor(p / 2^32) + r / 2^32.
  /// For the single-precision form (in_float): each channel's c = m * 2^-s (scale) and
  /// zp + 1/2 (offset).
  struct registers {
    __m512i mult[2], mult_odd[2], sum[2][2], shift[2], order, lo, hi, start[2], round_high[2];
    __m512 scale[2], offset;
  };
  const registers& constants() const noexcept { return r_; }
  /// Whether every channel's shift is at least 33 (start and round_high apply).
  bool rounds_high() const noexcept { return rounds_high_; }
  /// Whether the single-precision form is exact here: every c = m * 2^-s a float below 2^6
  /// and |acc + b| at most float_total_bound.
  bool in_float() const noexcept { return in_float_; }
  /// Whether the clamp to [lo, hi] is narrower than the output type's range at either end.
  bool clamps_lo() const noexcept { return clamp_lo_; }
  bool clamps_hi() const noexcept { return clamp_hi_; }

 private:
  void set_float_scales(const i8_requant8* q, std::int32_t zero_point, std::int64_t total_bound) noexcept {
    in_float_ = total_bound <= float_total_bound;
    for (int b = 0; b < 2; ++b) {
      r_.scale[b] = _mm512_castsi512_ps(_mm512_inserti64x4(
          _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[2 * b].scale))),
          _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q[2 * b + 1].scale)), 1));
      in_float_ = in_float_ && _mm512_cmp_ps_mask(r_.scale[b], _mm512_setzero_ps(), _CMP_EQ_OQ) == 0;
    }
    r_.offset = _mm512_set1_ps(float(zero_point) + 0.5f);
  }

  [[gnu::always_inline]] __m512i codes(int b, __m512i acc) const noexcept {
    if (in_float_) {
      constexpr int down = _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC;
      const __m512 x = _mm512_cvtepi32_ps(_mm512_add_epi32(acc, r_.start[b]));
      __m512i r = _mm512_cvt_roundps_epi32(_mm512_fmadd_round_ps(x, r_.scale[b], r_.offset, down), down);
      if (clamp_lo_) r = _mm512_max_epi32(r, r_.lo);
      if (clamp_hi_) r = _mm512_min_epi32(r, r_.hi);
      return r;
    }
    const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(acc, r_.mult[b]), r_.sum[b][0]);
    const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(acc, 32), r_.mult_odd[b]), r_.sum[b][1]);
    // The high 32 bits: the even channels' moved down into the even lanes, the odd ones'
    // already in the odd lanes.
    __m512i r = _mm512_srav_epi32(_mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_DDBB), r_.shift[b]);
    if (clamp_lo_) r = _mm512_max_epi32(r, r_.lo);
    if (clamp_hi_) r = _mm512_min_epi32(r, r_.hi);
    return r;
  }

  registers r_;
  __m512i round_[2][2];
  bool clamp_lo_ = false, clamp_hi_ = false, rounds_high_ = false, in_float_ = false;
};
#endif

/// One use of i8_requantizer16: 16 totals of channels q[0] (0-7) and q[1] (8-15).
template <class Out>
[[gnu::always_inline]] inline void i8_requantize16(const std::int32_t* total, const i8_requant8* q,
                                                   std::int32_t zero_point, std::int32_t lo,
                                                   std::int32_t hi, Out* out) noexcept {
  i8_requantizer16(q, zero_point, lo, hi)(total, out);
}

}  // namespace dlas::kernel
