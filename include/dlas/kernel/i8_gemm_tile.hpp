// SPDX-License-Identifier: Apache-2.0
/// \file i8_gemm_tile.hpp
/// \brief i8_gemm_tile: an MR x NR register-blocked int8 GEMM microkernel with exact int32
/// accumulation: AVX-512 VNNI vpdpbusd or AVX2 vpmaddubsw + vpmaddwd on x86; on arm64 SDOT
/// (Armv8.2-A dot product) when the CPU has it and widening NEON multiplies otherwise; a
/// portable scalar loop elsewhere.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/kernel/simd.hpp"
#include "dlas/kernel/vnni.hpp"

#if defined(__AVX2__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

/// The instruction sequence an int8 GEMM tile runs on (docs/arm64.md).
enum class i8_isa {
  scalar,       ///< the exact portable loop
  avx2,         ///< vpmaddubsw + vpmaddwd on |x'| and sign-applied weights
  avx512_vnni,  ///< vpdpbusd: four unsigned x signed byte products summed into each int32 lane
  neon,      ///< smull/smull2 to int16, addp, sadalp into int32 (Armv8.0)
  neon_dot,  ///< sdot: four int8 products summed into each int32 lane (Armv8.2-A dotprod)
};

/// "scalar", "avx2", "avx512_vnni", "neon" or "neon_dot".
constexpr std::string_view i8_isa_name(i8_isa isa) noexcept {
  switch (isa) {
    case i8_isa::avx2: return "avx2";
    case i8_isa::avx512_vnni: return "avx512_vnni";
    case i8_isa::neon: return "neon";
    case i8_isa::neon_dot: return "neon_dot";
    default: return "scalar";
  }
}

/// Whether this build carries `isa` and the running CPU executes it.
inline bool i8_isa_available(i8_isa isa) noexcept {
  switch (isa) {
    case i8_isa::scalar: return true;
#if defined(__AVX2__)
    case i8_isa::avx2: return kernel::arch_available<xsimd::avx2>();
#endif
#if DLAS_HAS_AVX512_VNNI
    case i8_isa::avx512_vnni: return kernel::arch_available<xsimd::avx512bw>();  // built for VNNI
#endif
#if defined(__aarch64__)
    case i8_isa::neon: return true;
    case i8_isa::neon_dot: return cpu_has_dotprod();
#endif
    default: return false;
  }
}

/// The int8 path the tiles take in this build on this CPU, decided once: on x86 the widest the
/// compiler targets (AVX-512 VNNI, then AVX2); on arm64 SDOT when the compiler targets it
/// (-march=armv8.2-a+dotprod) or the CPU reports it at run time, the Armv8.0 NEON sequence
/// otherwise.
inline i8_isa i8_isa_in_use() noexcept {
#if DLAS_HAS_AVX512_VNNI
  return i8_isa::avx512_vnni;
#elif defined(__AVX2__)
  return i8_isa::avx2;
#elif defined(__aarch64__)
  static const i8_isa chosen = cpu_has_dotprod() ? i8_isa::neon_dot : i8_isa::neon;
  return chosen;
#else
  return i8_isa::scalar;
#endif
}

/// The byte A holds for a signed operand x' on path `isa`: x' itself, or on avx512_vnni, whose
/// vpdpbusd multiplies unsigned by signed bytes, x' + 128 read as unsigned (x' ^ 0x80). The
/// tile sums the bytes as they are read; callers fold -offset * sum(B) into their bias.
constexpr std::int32_t i8_a_offset(i8_isa isa) noexcept { return isa == i8_isa::avx512_vnni ? 128 : 0; }

/// i8_a_offset(i8_isa_in_use()) as a constant: the paths one build chooses between at run
/// time (arm64's NEON and SDOT) share their offset.
inline constexpr std::int32_t i8_a_offset_in_use = i8_a_offset(DLAS_HAS_AVX512_VNNI ? i8_isa::avx512_vnni : i8_isa::scalar);

/// Bytes of the int8 depth that one step of the tile consumes: vpdpbusd, vpmaddubsw +
/// vpmaddwd and SDOT reduce 4 consecutive products into one int32 lane.
inline constexpr index_t i8_depth_step = 4;

/// Depth rounded up to whole steps; the extra columns of A and B are zero.
constexpr index_t i8_padded_depth(index_t kdim) noexcept {
  return (kdim + i8_depth_step - 1) / i8_depth_step * i8_depth_step;
}

/// Where i8_gemm_tile::run_to finds a row of A: `count` runs of `steps` depth steps (4 bytes
/// each), run k starting `stride` bytes after run k - 1; the panel's runs start `b_steps` steps
/// apart (0: `steps`, back to back). One run of all steps is a contiguous row; R runs of
/// S * C bytes, one image row apart, are the taps of an R x S kernel read from an NHWC image
/// in place (implicit im2col); shorter runs with b_steps = S * C / 4 leave out taps in the
/// padding.
struct i8_row_runs {
  index_t count = 1;
  index_t steps = 0;
  index_t stride = 0;
  index_t b_steps = 0;
};

/// C (MR x NR int32, row-major, row stride NR) = A (m x kdim) * B (kdim x NR), all int8.
///
/// A is given as MR row pointers to `kq * 4` bytes (rows at or beyond m are never read), each
/// the signed operand x' plus i8_a_offset(isa): signed bytes on every path but avx512_vnni,
/// unsigned ones there. B is a packed panel of kq steps, each NR columns x 4 consecutive depth
/// values (b[(q * NR + j) * 4 + u] = B(4q + u, j)), signed.
///
/// Saturation. vpmaddubsw multiplies an unsigned by a signed byte and adds adjacent pairs
/// into int16 with saturation: 255 * 127 * 2 would not fit. The AVX2 path therefore takes
/// the activations shifted to signed (x' = x - 128 for uint8 codes, in [-128, 127]) and the
/// weights in [-127, 127] (the symmetric quantiser never produces -128; the convolution
/// checks it) and computes x' * w as |x'| * (w * sign(x')): vpabsb gives |x'| in [0, 128]
/// (unsigned, so -128 is representable), vpsignb gives w * sign(x') in [-127, 127], and a
/// pair sums to at most 2 * 128 * 127 = 32512 < 32767. Every vpmaddubsw result is exact, so
/// the int32 sums equal the scalar loop's for any data; docs/policy_precision.md compares
/// the alternatives.
///
/// AVX-512 VNNI needs no such trick: vpdpbusd adds four unsigned x signed byte products to an
/// int32 lane without an int16 step, exact for any bytes, so A is taken as x' + 128 (for
/// uint8 codes, the codes themselves) and the caller subtracts 128 * sum(B) per column, a
/// constant it folds into its bias. One instruction does what the AVX2 path does in four,
/// over twice the width.
///
/// On arm64 no such trick is needed either: SDOT multiplies signed by signed bytes into int32
/// lanes (exact), and the Armv8.0 sequence widens each product to int16 (|x' * w| <= 128 *
/// 127), adds adjacent pairs (at most 32512, the same bound as above) and accumulates pairs
/// into int32. Both take the panel's c4 order as it is: one 16-byte load is 4 columns x 4
/// depths.
///
/// \tparam MR  rows (output pixels) of the register tile
/// \tparam NV  groups of 8 int32 columns per row (NR = 8 * NV: one ymm, two NEON registers;
///             two groups share a zmm on the VNNI path)
template <int MR, int NV, class Arch = default_arch>
struct i8_gemm_tile {
  static constexpr int mr = MR;
  static constexpr int nr = NV * 8;
  using arch_type = Arch;
#if defined(__aarch64__)
  // Accumulators, B registers, the broadcast and three temporaries of the Armv8.0 sequence.
  static_assert(MR * NV * 2 + NV * 2 + 4 <= 32, "dlas::kernel::i8_gemm_tile: tile exceeds the 32 NEON registers");
#elif DLAS_HAS_AVX512_VNNI
  // The VNNI path's accumulators, B registers and the broadcast (AVX2 forms may use all 32).
  static_assert(MR * ((NV + 1) / 2) + (NV + 1) / 2 + 1 <= 32, "dlas::kernel::i8_gemm_tile: tile exceeds the 32 zmm registers");
#else
  static_assert(MR * NV + NV + 4 <= 16, "dlas::kernel::i8_gemm_tile: tile exceeds the 16 ymm registers");
#endif

  /// Instance name with the path in use, e.g. "s8s32_gemm_4x16c4_avx2" (docs/naming.md: A is
  /// the signed x', or "u8s32" for the unsigned x' + 128 of the VNNI path), "..._neon_dot",
  /// "..._neon" or "..._scalar".
  static std::string name() { return name(i8_isa_in_use()); }
  static std::string name(i8_isa isa) {
    return std::string(i8_a_offset(isa) ? "u8s32" : "s8s32") + "_gemm_" + std::to_string(MR) + "x" + std::to_string(nr) + "c4_" + std::string(i8_isa_name(isa));
  }

  static bool available() noexcept { return i8_isa_available(i8_isa_in_use()); }

  /// Computes one tile on the path in use; see the class comment. m in [1, MR], kq >= 0
  /// steps of 4, A's bytes offset by i8_a_offset(i8_isa_in_use()).
  static void run(index_t kq, const std::int8_t* const* a, const std::int8_t* b, std::int32_t* c,
                  int m) noexcept {
    run(i8_isa_in_use(), kq, a, b, c, m);
  }

#if DLAS_HAS_AVX512_VNNI
  /// Whether run_to is available: the VNNI path with rows of whole zmm registers, where the
  /// sums can be finished without a round trip through memory.
  static constexpr bool finishes_in_registers = NV % 2 == 0;

  /// The tile's sums handed to `sink(i, v0, v1, ...)` where they are: v_j (__m512i) holds
  /// columns [16 j, 16 j + 16) of row i, for rows i < m in order. Operands as for run(), with
  /// the rows of A laid out as `runs` (a[i] points at row i's first run).
  template <class Sink>
  [[gnu::always_inline]] static void run_to(i8_row_runs runs, const std::int8_t* const* a, const std::int8_t* b,
                                            int m, Sink&& sink) noexcept {
    static_assert(finishes_in_registers, "dlas::kernel::i8_gemm_tile::run_to: rows of whole zmm registers");
    const std::int8_t* ap[MR];
    for (int i = 0; i < MR; ++i) ap[i] = a[i < m ? i : 0];
    vacc acc[MR][nacc];
    accumulate_avx512_vnni(runs, ap, b, acc);
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i)
      if (i < m)
        [&]<std::size_t... J>(std::index_sequence<J...>) { sink(i, acc[i][J]...); }(std::make_index_sequence<nacc>{});
  }
#else
  static constexpr bool finishes_in_registers = false;
#endif

  /// The same on a chosen path (tests compare every path the CPU has); `isa` must satisfy
  /// i8_isa_available, a path this build lacks runs the scalar loop.
  static void run([[maybe_unused]] i8_isa isa, index_t kq, const std::int8_t* const* a, const std::int8_t* b,
                  std::int32_t* c, int m) noexcept {
    const std::int8_t* ap[MR];
    for (int i = 0; i < MR; ++i) ap[i] = a[i < m ? i : 0];
#if DLAS_HAS_AVX512_VNNI
    if (isa == i8_isa::avx512_vnni) return run_avx512_vnni(kq, ap, b, c);
#endif
#if defined(__AVX2__)
    if (isa == i8_isa::avx2) return run_avx2(kq, ap, b, c);
#elif defined(__aarch64__)
    if (isa == i8_isa::neon_dot) return run_neon_dot(kq, ap, b, c);
    if (isa == i8_isa::neon) return run_neon(kq, ap, b, c);
#endif
    run_scalar(kq, ap, b, c);
  }

 private:
  // Signed A: the scalar loop is also the reference of every signed path.
  static void run_scalar(index_t kq, const std::int8_t* const* ap, const std::int8_t* b, std::int32_t* c) noexcept {
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < nr; ++j) {
        std::int32_t s = 0;
        for (index_t q = 0; q < kq; ++q)
          for (int u = 0; u < 4; ++u)
            s += std::int32_t(ap[i][q * 4 + u]) * std::int32_t(b[(q * nr + j) * 4 + u]);
        c[i * nr + j] = s;
      }
  }

#if DLAS_HAS_AVX512_VNNI
  /// Accumulator registers of one row: zmm (16 columns) when NR is a multiple of 16, ymm
  /// (the 256-bit EVEX form, 8 columns) otherwise.
  static constexpr bool wide = NV % 2 == 0;
  static constexpr int nacc = wide ? NV / 2 : NV;
  using vnni = vnni_ops<wide>;
  using vacc = typename vnni::reg;

  // A's bytes unsigned (x' + 128), B signed: exact int32 sums of the bytes as read.
  [[gnu::always_inline]] static void accumulate_avx512_vnni(i8_row_runs runs, const std::int8_t* const* ap,
                                                            const std::int8_t* b, vacc (&acc)[MR][nacc]) noexcept {
    constexpr int step = nr / nacc;  // int32 columns per register
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < nacc; ++j) acc[i][j] = vnni::zero();
    }
    const index_t b_run = (runs.b_steps ? runs.b_steps : runs.steps) * nr * 4;
    for (index_t r = 0; r < runs.count; ++r, b += b_run) {
      const std::int8_t* ar[MR];
      DLAS_UNROLL
      for (int i = 0; i < MR; ++i) ar[i] = ap[i] + r * runs.stride;
#if defined(__clang__)
#pragma clang loop unroll(disable)
#endif
      for (index_t q = 0; q < runs.steps; ++q) {
        vacc bv[nacc];
        DLAS_UNROLL
        for (int j = 0; j < nacc; ++j) bv[j] = vnni::load(b + (q * nr + j * step) * 4);
        DLAS_UNROLL
        for (int i = 0; i < MR; ++i) {
          std::int32_t word;
          __builtin_memcpy(&word, ar[i] + q * 4, 4);
          const vacc av = vnni::broadcast(word);
          DLAS_UNROLL
          for (int j = 0; j < nacc; ++j) acc[i][j] = vnni::dot(acc[i][j], av, bv[j]);
        }
      }
    }
  }

  static void run_avx512_vnni(index_t kq, const std::int8_t* const* ap, const std::int8_t* b,
                              std::int32_t* c) noexcept {
    constexpr int step = nr / nacc;
    vacc acc[MR][nacc];
    accumulate_avx512_vnni(i8_row_runs{1, kq, 0}, ap, b, acc);
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < nacc; ++j) vnni::store(c + i * nr + j * step, acc[i][j]);
    }
  }
#endif

#if defined(__AVX2__)
  static void run_avx2(index_t kq, const std::int8_t* const* ap, const std::int8_t* b, std::int32_t* c) noexcept {
    __m256i acc[MR][NV];
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j) acc[i][j] = _mm256_setzero_si256();
    }
    const __m256i ones = _mm256_set1_epi16(1);
    // Not unrolled: clang 14 unrolls this loop by default and then spills accumulators.
#if defined(__clang__)
#pragma clang loop unroll(disable)
#endif
    for (index_t q = 0; q < kq; ++q) {
      __m256i bv[NV];
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j)
        bv[j] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b + (q * nr + j * 8) * 4));
      DLAS_UNROLL
      for (int i = 0; i < MR; ++i) {
        std::int32_t word;
        __builtin_memcpy(&word, ap[i] + q * 4, 4);
        const __m256i av = _mm256_set1_epi32(word);
        const __m256i mag = _mm256_abs_epi8(av);
        DLAS_UNROLL
        for (int j = 0; j < NV; ++j) {
          const __m256i pairs = _mm256_maddubs_epi16(mag, _mm256_sign_epi8(bv[j], av));
          acc[i][j] = _mm256_add_epi32(acc[i][j], _mm256_madd_epi16(pairs, ones));
        }
      }
    }
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < NV; ++j)
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(c + i * nr + j * 8), acc[i][j]);
    }
  }
#endif

#if defined(__aarch64__)
  /// Registers of 4 int32 columns per row.
  static constexpr int nq = NV * 2;

  /// A's 4 depth values of step q, row i, in every 32-bit lane.
  [[gnu::always_inline]] static int8x16_t broadcast_step(const std::int8_t* row, index_t q) noexcept {
    std::int32_t word;
    __builtin_memcpy(&word, row + q * 4, 4);
    return vreinterpretq_s8_s32(vdupq_n_s32(word));
  }

  static void store(int32x4_t (&acc)[MR][nq], std::int32_t* c) noexcept {
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < nq; ++j) vst1q_s32(c + i * nr + j * 4, acc[i][j]);
    }
  }

  // The target attribute lets a plain Armv8.0 build carry the SDOT path for CPUs that have it.
  // The two NEON paths keep their own loops: GCC refuses to inline a +dotprod step into a loop
  // shared with the Armv8.0 path, and an outlined step per product would cost a call each.
  [[gnu::target("arch=armv8.2-a+dotprod")]] static void run_neon_dot(index_t kq, const std::int8_t* const* ap,
                                                         const std::int8_t* b, std::int32_t* c) noexcept {
    int32x4_t acc[MR][nq];
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < nq; ++j) acc[i][j] = vdupq_n_s32(0);
    }
    for (index_t q = 0; q < kq; ++q) {
      int8x16_t bv[nq];
      DLAS_UNROLL
      for (int j = 0; j < nq; ++j) bv[j] = vld1q_s8(b + (q * nr + j * 4) * 4);
      DLAS_UNROLL
      for (int i = 0; i < MR; ++i) {
        const int8x16_t av = broadcast_step(ap[i], q);
        DLAS_UNROLL
        for (int j = 0; j < nq; ++j) acc[i][j] = vdotq_s32(acc[i][j], bv[j], av);
      }
    }
    store(acc, c);
  }

  static void run_neon(index_t kq, const std::int8_t* const* ap, const std::int8_t* b, std::int32_t* c) noexcept {
    int32x4_t acc[MR][nq];
    DLAS_UNROLL
    for (int i = 0; i < MR; ++i) {
      DLAS_UNROLL
      for (int j = 0; j < nq; ++j) acc[i][j] = vdupq_n_s32(0);
    }
    for (index_t q = 0; q < kq; ++q) {
      int8x16_t bv[nq];
      DLAS_UNROLL
      for (int j = 0; j < nq; ++j) bv[j] = vld1q_s8(b + (q * nr + j * 4) * 4);
      DLAS_UNROLL
      for (int i = 0; i < MR; ++i) {
        const int8x16_t av = broadcast_step(ap[i], q);
        DLAS_UNROLL
        for (int j = 0; j < nq; ++j) {
          // Columns 0-1 and 2-3 of the register, 4 products each, as int16 (exact).
          const int16x8_t lo = vmull_s8(vget_low_s8(bv[j]), vget_low_s8(av));
          const int16x8_t hi = vmull_high_s8(bv[j], av);
          // Adjacent pairs, [c0 c0 c1 c1 c2 c2 c3 c3] (each at most 32512), then pairs into int32.
          acc[i][j] = vpadalq_s16(acc[i][j], vpaddq_s16(lo, hi));
        }
      }
    }
    store(acc, c);
  }
#endif
};

/// Packs columns [j0, j0 + n) (n <= NR) of a kdim x N int8 matrix into one i8_gemm_tile
/// panel: dst[(q * NR + j) * 4 + u] = src(4q + u, j0 + j), zero past kdim and past n.
template <int NR, class Src>
void pack_i8_panel(std::int8_t* dst, index_t kdim, index_t j0, index_t n, Src&& src) {
  const index_t kq = i8_padded_depth(kdim) / i8_depth_step;
  for (index_t q = 0; q < kq; ++q)
    for (index_t j = 0; j < NR; ++j)
      for (index_t u = 0; u < i8_depth_step; ++u) {
        const index_t k = q * i8_depth_step + u;
        dst[(q * NR + j) * i8_depth_step + u] = j < n && k < kdim ? src(k, j0 + j) : std::int8_t(0);
      }
}

}  // namespace dlas::kernel
