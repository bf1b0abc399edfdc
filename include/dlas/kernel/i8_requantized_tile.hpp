// SPDX-License-Identifier: Apache-2.0
/// \file i8_requantized_tile.hpp
/// \brief u8s32u8_gemm_8x32c4_avx512_vnni: the VNNI int8 tile of 8 (or 7) rows x 32 channels and the
/// fused 8-bit requantisation of its rows (i8_row_requantizer32) as one assembly block.
///
/// Why assembly: the same computation written with intrinsics (i8_gemm_tile::run_to and
/// i8_row_requantizer32) leaves the register allocation to the compiler, which keeps a memory
/// copy of the 16 zeroed accumulators around a depth loop that may run zero times (16 stores
/// before and 16 reloads after every tile) and reloads the requantiser's constants once per
/// row. Here the accumulators live in zmm0-15 from the first step to the last store, and the
/// finish holds its nine constants in zmm16-24 for the tile's eight rows. The accumulators
/// start at the folded biases, so the rounding term and zero point join the products' high
/// words as one 32-bit add where the shifts are at least 33 (i8_row_requantizer32::
/// rounds_high): 6 operations per 16 channels where the 64-bit sums take 7. Where the
/// requantiser proves the single-precision form exact (i8_row_requantizer32::in_float), the
/// finish takes 3 (convert, multiply-add rounded down, convert rounded down): on the 1x1 layers
/// with a reduction of 64, where the integer finish is a sixth of the tile's time, that is
/// 12% faster (docs/benchmarks.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/kernel/i8_gemm_tile.hpp"
#include "dlas/kernel/i8_requantize.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

#if DLAS_HAS_AVX512_VNNI && (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define DLAS_HAS_I8_REQUANTIZED_TILE 1

/// One tile of 8 (or 7) rows: rows a[0..8) laid out as `runs` (i8_gemm_tile::run_to), the packed panel
/// b (32 columns, c4), row i's 32 output codes at out[i]; q is set by i8_requantized_tile.
/// The row pointers stay in the caller's array, where it has just written them one by one: a
/// copy into this struct is one 64-byte load of eight 8-byte stores, which the store buffer
/// cannot forward, and it stalled every tile until they reached the cache (7% on the 1x1
/// layers of 64 input channels).
struct i8_requantized_tile_args {
  const std::int8_t* const* a;
  const std::int8_t* b;
  index_t steps;   // depth steps per run (>= 1)
  index_t runs;    // runs per row (>= 1)
  index_t a_skip;  // bytes from a run's end to the next run's start in A
  index_t b_skip;  // bytes from a run's end to the next run's start in the panel
  void* out[8];
  /// Bytes from out[i] to row i's codes: the panels of one tile row move this one offset, not
  /// the eight pointers.
  index_t out_col = 0;
  const i8_row_requantizer32::registers* q = nullptr;
};

namespace detail {

// One row of A against the panel's two registers (zmm16, zmm17): a broadcast of the row's four
// bytes, two vpdpbusd into the row's accumulators.
#define DLAS_I8RT_STEP_ROW(ROW, BCAST, ACC0, ACC1)      \
  "vpbroadcastd (%%" #ROW ",%%rax), %%zmm" #BCAST "\n\t" \
  "vpdpbusd %%zmm16, %%zmm" #BCAST ", %%zmm" #ACC0 "\n\t"   \
  "vpdpbusd %%zmm17, %%zmm" #BCAST ", %%zmm" #ACC1 "\n\t"

// The codes of one 16-channel half (accumulator ACC, which started at the folded biases; the
// half's constants in the registers named; result in zmm T): the high words of the 64-bit
// products of the even and the odd channels, merged in channel order, plus the rounding term
// and zero point over 2^32 (i8_row_requantizer32::registers::round_high), shifted by s - 32;
// the clamp where the tile asks for it.
// In single precision (in_float): the scale in MULT, zp + 1/2 in zmm25, both roundings down
// (i8_row_requantizer32::in_float).
#define DLAS_I8RT_CODES(ACC, T, MULT, MULT_ODD, ROUND, SHIFT)             \
  ".if %c[flags] & 8\n\t"                                                  \
  "vcvtdq2ps %%zmm" #ACC ", %%zmm" #T "\n\t"                              \
  "vfmadd213ps %{rd-sae%}, %%zmm25, %%zmm" #MULT ", %%zmm" #T "\n\t"        \
  "vcvtps2dq %{rd-sae%}, %%zmm" #T ", %%zmm" #T "\n\t"                     \
  ".else\n\t"                                                             \
  "vpsrlq $32, %%zmm" #ACC ", %%zmm" #T "\n\t"                             \
  "vpmuldq %%zmm" #MULT ", %%zmm" #ACC ", %%zmm" #ACC "\n\t"               \
  "vpmuldq %%zmm" #MULT_ODD ", %%zmm" #T ", %%zmm" #T "\n\t"               \
  "vpshufd $0xF5, %%zmm" #ACC ", %%zmm" #T "%{%%k1%}\n\t"                  \
  "vpaddd %%zmm" #ROUND ", %%zmm" #T ", %%zmm" #T "\n\t"                   \
  "vpsravd %%zmm" #SHIFT ", %%zmm" #T ", %%zmm" #T "\n\t"                  \
  ".endif\n\t"                                                            \
  ".if %c[flags] & 1\n\tvpmaxsd %c[lo](%%rax), %%zmm" #T ", %%zmm" #T "\n\t.endif\n\t" \
  ".if %c[flags] & 2\n\tvpminsd %c[hi](%%rax), %%zmm" #T ", %%zmm" #T "\n\t.endif\n\t"

// One row's codes as 16-bit words in zmm T0: both halves (accumulators ACC0, ACC1), packed.
#define DLAS_I8RT_ROW_WORDS(ACC0, ACC1, T0, T1)                               \
  DLAS_I8RT_CODES(ACC0, T0, 16, 18, 20, 22)                                 \
  DLAS_I8RT_CODES(ACC1, T1, 17, 19, 21, 23)                                 \
  "vpackssdw %%zmm" #T1 ", %%zmm" #T0 ", %%zmm" #T0 "\n\t"

// The saturating bytes of the words in zmm27 (row ROW) and zmm HIGH, in channel order (ROW in
// the low 256 bits, HIGH's row in the high), and ROW's store.
#define DLAS_I8RT_BYTES_STORE(ROW, HIGH)                                      \
  ".if %c[flags] & 4\n\tvpackuswb %%zmm" #HIGH ", %%zmm27, %%zmm27\n\t"    \
  ".else\n\tvpacksswb %%zmm" #HIGH ", %%zmm27, %%zmm27\n\t.endif\n\t"        \
  "vpermd %%zmm27, %%zmm24, %%zmm27\n\t"                                    \
  "mov %c[out]+8*" #ROW "(%[x]), %%rbx\n\t"                                  \
  "vmovdqu32 %%ymm27, (%%rbx,%%rdx)\n\t"

// Two rows' 32 codes: both rows packed into one register, two stores.
#define DLAS_I8RT_FINISH_ROWS(ROW, ROW1, ACC0, ACC1, ACC2, ACC3)            \
  DLAS_I8RT_ROW_WORDS(ACC0, ACC1, 27, 28)                                   \
  DLAS_I8RT_ROW_WORDS(ACC2, ACC3, 29, 30)                                   \
  DLAS_I8RT_BYTES_STORE(ROW, 29)                                            \
  "mov %c[out]+8*" #ROW1 "(%[x]), %%rbx\n\t"                                 \
  "vextracti64x4 $1, %%zmm27, (%%rbx,%%rdx)\n\t"

// One row's 32 codes (a 7-row tile's last), packed with themselves, one store.
#define DLAS_I8RT_FINISH_ROW(ROW, ACC0, ACC1)                                \
  DLAS_I8RT_ROW_WORDS(ACC0, ACC1, 27, 28)                                   \
  DLAS_I8RT_BYTES_STORE(ROW, 27)

template <int Rows, bool Unsigned, bool ClampLo, bool ClampHi, bool InFloat>
[[gnu::noinline]] inline void i8_requantized_tile_mx32(const i8_requantized_tile_args* x) noexcept {
  static_assert(Rows == 7 || Rows == 8, "dlas::kernel::i8_requantized_tile: tiles of 7 or 8 rows");
  using args = i8_requantized_tile_args;
  using regs = i8_row_requantizer32::registers;
  __asm__ volatile(
      // Rows in r8-r15, the depth offset in rax (runs advance it by a_skip), the panel in rsi.
      "mov %c[a](%[x]), %%rax\n\t"
      "mov 0(%%rax), %%r8\n\t"
      "mov 8(%%rax), %%r9\n\t"
      "mov 16(%%rax), %%r10\n\t"
      "mov 24(%%rax), %%r11\n\t"
      "mov 32(%%rax), %%r12\n\t"
      "mov 40(%%rax), %%r13\n\t"
      "mov 48(%%rax), %%r14\n\t"
      "mov 56(%%rax), %%r15\n\t"
      "mov %c[b](%[x]), %%rsi\n\t"
      "mov %c[runs](%[x]), %%rdx\n\t"
      "xor %%eax, %%eax\n\t"
      // The accumulators start at the folded biases (registers::start): two loads, copied.
      "mov %c[q](%[x]), %%rbx\n\t"
      "vmovdqu64 %c[start0](%%rbx), %%zmm0\n\t"
      "vmovdqu64 %c[start1](%%rbx), %%zmm1\n\t"
      "vmovdqa64 %%zmm0, %%zmm2\n\t"
      "vmovdqa64 %%zmm1, %%zmm3\n\t"
      "vmovdqa64 %%zmm0, %%zmm4\n\t"
      "vmovdqa64 %%zmm1, %%zmm5\n\t"
      "vmovdqa64 %%zmm0, %%zmm6\n\t"
      "vmovdqa64 %%zmm1, %%zmm7\n\t"
      "vmovdqa64 %%zmm0, %%zmm8\n\t"
      "vmovdqa64 %%zmm1, %%zmm9\n\t"
      "vmovdqa64 %%zmm0, %%zmm10\n\t"
      "vmovdqa64 %%zmm1, %%zmm11\n\t"
      "vmovdqa64 %%zmm0, %%zmm12\n\t"
      "vmovdqa64 %%zmm1, %%zmm13\n\t"
      "vmovdqa64 %%zmm0, %%zmm14\n\t"
      "vmovdqa64 %%zmm1, %%zmm15\n\t"
      "1:\n\t"
      "mov %c[steps](%[x]), %%rcx\n\t"
      "2:\n\t"
      "vmovdqu64 (%%rsi), %%zmm16\n\t"
      "vmovdqu64 64(%%rsi), %%zmm17\n\t"
      DLAS_I8RT_STEP_ROW(r8, 18, 0, 1)
      DLAS_I8RT_STEP_ROW(r9, 19, 2, 3)
      DLAS_I8RT_STEP_ROW(r10, 18, 4, 5)
      DLAS_I8RT_STEP_ROW(r11, 19, 6, 7)
      DLAS_I8RT_STEP_ROW(r12, 18, 8, 9)
      DLAS_I8RT_STEP_ROW(r13, 19, 10, 11)
      DLAS_I8RT_STEP_ROW(r14, 18, 12, 13)
      ".if %c[rows] == 8\n\t"
      DLAS_I8RT_STEP_ROW(r15, 19, 14, 15)
      ".endif\n\t"
      "add $4, %%rax\n\t"
      "sub $-128, %%rsi\n\t"
      "dec %%rcx\n\t"
      "jnz 2b\n\t"
      "add %c[a_skip](%[x]), %%rax\n\t"
      "add %c[b_skip](%[x]), %%rsi\n\t"
      "dec %%rdx\n\t"
      "jnz 1b\n\t"
      // The finish: constants in zmm16-24, the odd-lane mask in k1, temporaries zmm27-30.
      "mov %%rbx, %%rax\n\t"
      ".if %c[flags] & 8\n\t"
      "vmovups %c[scale0](%%rax), %%zmm16\n\t"
      "vmovups %c[scale1](%%rax), %%zmm17\n\t"
      "vmovups %c[offset](%%rax), %%zmm25\n\t"
      ".else\n\t"
      "vmovdqu64 %c[mult0](%%rax), %%zmm16\n\t"
      "vmovdqu64 %c[mult1](%%rax), %%zmm17\n\t"
      "vmovdqu64 %c[mult_odd0](%%rax), %%zmm18\n\t"
      "vmovdqu64 %c[mult_odd1](%%rax), %%zmm19\n\t"
      "vmovdqu64 %c[round0](%%rax), %%zmm20\n\t"
      "vmovdqu64 %c[round1](%%rax), %%zmm21\n\t"
      "vmovdqu64 %c[shift0](%%rax), %%zmm22\n\t"
      "vmovdqu64 %c[shift1](%%rax), %%zmm23\n\t"
      "mov $0x5555, %%ecx\n\t"
      "kmovw %%ecx, %%k1\n\t"
      ".endif\n\t"
      "vmovdqu64 %c[order](%%rax), %%zmm24\n\t"
      "mov %c[out_col](%[x]), %%rdx\n\t"
      DLAS_I8RT_FINISH_ROWS(0, 1, 0, 1, 2, 3)
      DLAS_I8RT_FINISH_ROWS(2, 3, 4, 5, 6, 7)
      DLAS_I8RT_FINISH_ROWS(4, 5, 8, 9, 10, 11)
      ".if %c[rows] == 8\n\t"
      DLAS_I8RT_FINISH_ROWS(6, 7, 12, 13, 14, 15)
      ".else\n\t"
      DLAS_I8RT_FINISH_ROW(6, 12, 13)
      ".endif\n\t"
      :
      : [x] "r"(x), [a] "i"(offsetof(args, a)), [b] "i"(offsetof(args, b)), [steps] "i"(offsetof(args, steps)),
        [runs] "i"(offsetof(args, runs)), [a_skip] "i"(offsetof(args, a_skip)),
        [b_skip] "i"(offsetof(args, b_skip)), [out] "i"(offsetof(args, out)),
        [out_col] "i"(offsetof(args, out_col)),
        [q] "i"(offsetof(args, q)),
        [mult0] "i"(offsetof(regs, mult[0])), [mult1] "i"(offsetof(regs, mult[1])),
        [mult_odd0] "i"(offsetof(regs, mult_odd[0])), [mult_odd1] "i"(offsetof(regs, mult_odd[1])),
        [start0] "i"(offsetof(regs, start[0])), [start1] "i"(offsetof(regs, start[1])),
        [round0] "i"(offsetof(regs, round_high[0])), [round1] "i"(offsetof(regs, round_high[1])),
        [shift0] "i"(offsetof(regs, shift[0])), [shift1] "i"(offsetof(regs, shift[1])),
        [scale0] "i"(offsetof(regs, scale[0])), [scale1] "i"(offsetof(regs, scale[1])),
        [offset] "i"(offsetof(regs, offset)),
        [order] "i"(offsetof(regs, order)), [lo] "i"(offsetof(regs, lo)), [hi] "i"(offsetof(regs, hi)),
        // The finish's variants, one operand (asm takes at most 30): .if tests their bits.
        [flags] "i"(int(ClampLo) | int(ClampHi) << 1 | int(Unsigned) << 2 | int(InFloat) << 3),
        [rows] "i"(Rows)
      : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "k1", "xmm0",
        "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
        "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "cc", "memory");
}

#undef DLAS_I8RT_STEP_ROW
#undef DLAS_I8RT_CODES
#undef DLAS_I8RT_ROW_WORDS
#undef DLAS_I8RT_BYTES_STORE
#undef DLAS_I8RT_FINISH_ROWS
#undef DLAS_I8RT_FINISH_ROW

}  // namespace detail

/// Runs one tile of `rows` rows of A (8, or 7: the rows past it are not read), every run and
/// step, and writes its rows' 32 codes of type Out (uint8_t or int8_t) through `requantize`,
/// bit for bit what i8_gemm_tile<8, 4>::run_to followed by requantize(v0, v1, row) writes, for
/// a requantiser that finishes in single precision (requantize.in_float()) or whose shifts are
/// all at least 33 (requantize.rounds_high()); false: nothing done, as for other row counts.
/// x is the caller's, completed in place: a copy of it made per tile measured 20-25% slower
/// on 1x1 layers of 64 input channels.
template <class Out>
inline bool i8_requantized_tile(i8_requantized_tile_args& x, const i8_row_requantizer32& requantize,
                                int rows = 8) noexcept {
  static_assert(sizeof(Out) == 1, "dlas::kernel::i8_requantized_tile: 8-bit outputs");
  const bool in_float = requantize.in_float();
  if ((!in_float && !requantize.rounds_high()) || (rows != 7 && rows != 8)) return false;
  x.q = &requantize.constants();
  const bool lo = requantize.clamps_lo(), hi = requantize.clamps_hi();
  auto run = [&](auto r, auto f) {
    constexpr int R = decltype(r)::value;
    constexpr bool u = std::is_same_v<Out, std::uint8_t>, F = decltype(f)::value;
    if (lo && hi) detail::i8_requantized_tile_mx32<R, u, true, true, F>(&x);
    else if (lo) detail::i8_requantized_tile_mx32<R, u, true, false, F>(&x);
    else if (hi) detail::i8_requantized_tile_mx32<R, u, false, true, F>(&x);
    else detail::i8_requantized_tile_mx32<R, u, false, false, F>(&x);
  };
  auto sized = [&](auto f) {
    if (rows == 8) run(std::integral_constant<int, 8>{}, f);
    else run(std::integral_constant<int, 7>{}, f);
  };
  if (in_float) sized(std::true_type{});
  else sized(std::false_type{});
  return true;
}

#else
#define DLAS_HAS_I8_REQUANTIZED_TILE 0
#endif

}  // namespace dlas::kernel
