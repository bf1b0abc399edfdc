// SPDX-License-Identifier: Apache-2.0
/// \file i8_requantized_tile.hpp
/// \brief u8s32u8_gemm_8x32c4_avx512_vnni: the VNNI int8 tile of 8 rows x 32 channels and the
/// fused 8-bit requantisation of its rows (i8_row_requantizer32) as one assembly block.
///
/// Why assembly: the same computation written with intrinsics (i8_gemm_tile::run_to and
/// i8_row_requantizer32) leaves the register allocation to the compiler, which keeps a memory
/// copy of the 16 zeroed accumulators around a depth loop that may run zero times (16 stores
/// before and 16 reloads after every tile) and reloads the requantiser's constants once per
/// row. Here the accumulators live in zmm0-15 from the first step to the last store, and the
/// finish holds its eleven constants in zmm16-26 for the tile's eight rows. On the 1x1 layers
/// with a reduction of 64 the finish is a third of the work: there it gains 5-10%
/// (docs/benchmarks.md).
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

/// One tile of 8 rows: rows a[0..8) laid out as `runs` (i8_gemm_tile::run_to), the packed panel
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
  const i8_row_requantizer32::registers* q = nullptr;
};

namespace detail {

// One row of A against the panel's two registers (zmm16, zmm17): a broadcast of the row's four
// bytes, two vpdpbusd into the row's accumulators.
#define DLAS_I8RT_STEP_ROW(ROW, BCAST, ACC0, ACC1)      \
  "vpbroadcastd (%%" #ROW ",%%rax), %%zmm" #BCAST "\n\t" \
  "vpdpbusd %%zmm16, %%zmm" #BCAST ", %%zmm" #ACC0 "\n\t"   \
  "vpdpbusd %%zmm17, %%zmm" #BCAST ", %%zmm" #ACC1 "\n\t"

// i8_row_requantizer32::codes for one 16-channel half (accumulator ACC, the half's constants
// in the registers named, result in zmm T) and the clamp where the tile asks for it.
#define DLAS_I8RT_CODES(ACC, T, MULT, MULT_ODD, SUM_EVEN, SUM_ODD, SHIFT)  \
  "vpsrlq $32, %%zmm" #ACC ", %%zmm" #T "\n\t"                             \
  "vpmuldq %%zmm" #MULT ", %%zmm" #ACC ", %%zmm" #ACC "\n\t"               \
  "vpmuldq %%zmm" #MULT_ODD ", %%zmm" #T ", %%zmm" #T "\n\t"               \
  "vpaddq %%zmm" #SUM_EVEN ", %%zmm" #ACC ", %%zmm" #ACC "\n\t"            \
  "vpaddq %%zmm" #SUM_ODD ", %%zmm" #T ", %%zmm" #T "\n\t"                 \
  "vpshufd $0xF5, %%zmm" #ACC ", %%zmm" #T "%{%%k1%}\n\t"                  \
  "vpsravd %%zmm" #SHIFT ", %%zmm" #T ", %%zmm" #T "\n\t"                  \
  ".if %c[clamp_lo]\n\tvpmaxsd %c[lo](%%rax), %%zmm" #T ", %%zmm" #T "\n\t.endif\n\t" \
  ".if %c[clamp_hi]\n\tvpminsd %c[hi](%%rax), %%zmm" #T ", %%zmm" #T "\n\t.endif\n\t"

// Two rows' 32 codes: both halves of each, the saturating packs of both rows into one
// register, the order restored (row ROW in the low 256 bits, ROW + 1 in the high), two stores.
#define DLAS_I8RT_FINISH_ROWS(ROW, ROW1, ACC0, ACC1, ACC2, ACC3)            \
  DLAS_I8RT_CODES(ACC0, 27, 16, 18, 20, 21, 24)                             \
  DLAS_I8RT_CODES(ACC1, 28, 17, 19, 22, 23, 25)                             \
  DLAS_I8RT_CODES(ACC2, 29, 16, 18, 20, 21, 24)                             \
  DLAS_I8RT_CODES(ACC3, 30, 17, 19, 22, 23, 25)                             \
  "vpackssdw %%zmm28, %%zmm27, %%zmm27\n\t"                                 \
  "vpackssdw %%zmm30, %%zmm29, %%zmm29\n\t"                                 \
  ".if %c[is_unsigned]\n\tvpackuswb %%zmm29, %%zmm27, %%zmm27\n\t"          \
  ".else\n\tvpacksswb %%zmm29, %%zmm27, %%zmm27\n\t.endif\n\t"              \
  "vpermd %%zmm27, %%zmm26, %%zmm27\n\t"                                    \
  "mov %c[out]+8*" #ROW "(%[x]), %%rbx\n\t"                                  \
  "vmovdqu32 %%ymm27, (%%rbx)\n\t"                                          \
  "mov %c[out]+8*" #ROW1 "(%[x]), %%rbx\n\t"                                 \
  "vextracti64x4 $1, %%zmm27, (%%rbx)\n\t"

template <bool Unsigned, bool ClampLo, bool ClampHi>
[[gnu::noinline]] inline void i8_requantized_tile_8x32(const i8_requantized_tile_args* x) noexcept {
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
      "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"
      "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"
      "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"
      "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"
      "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"
      "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"
      "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"
      "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"
      "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"
      "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"
      "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"
      "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"
      "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"
      "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"
      "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"
      "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"
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
      DLAS_I8RT_STEP_ROW(r15, 19, 14, 15)
      "add $4, %%rax\n\t"
      "sub $-128, %%rsi\n\t"
      "dec %%rcx\n\t"
      "jnz 2b\n\t"
      "add %c[a_skip](%[x]), %%rax\n\t"
      "add %c[b_skip](%[x]), %%rsi\n\t"
      "dec %%rdx\n\t"
      "jnz 1b\n\t"
      // The finish: constants in zmm16-26, the odd-lane mask in k1, temporaries zmm27-30.
      "mov %c[q](%[x]), %%rax\n\t"
      "vmovdqu64 %c[mult0](%%rax), %%zmm16\n\t"
      "vmovdqu64 %c[mult1](%%rax), %%zmm17\n\t"
      "vmovdqu64 %c[mult_odd0](%%rax), %%zmm18\n\t"
      "vmovdqu64 %c[mult_odd1](%%rax), %%zmm19\n\t"
      "vmovdqu64 %c[sum00](%%rax), %%zmm20\n\t"
      "vmovdqu64 %c[sum01](%%rax), %%zmm21\n\t"
      "vmovdqu64 %c[sum10](%%rax), %%zmm22\n\t"
      "vmovdqu64 %c[sum11](%%rax), %%zmm23\n\t"
      "vmovdqu64 %c[shift0](%%rax), %%zmm24\n\t"
      "vmovdqu64 %c[shift1](%%rax), %%zmm25\n\t"
      "vmovdqu64 %c[order](%%rax), %%zmm26\n\t"
      "mov $0x5555, %%ecx\n\t"
      "kmovw %%ecx, %%k1\n\t"
      DLAS_I8RT_FINISH_ROWS(0, 1, 0, 1, 2, 3)
      DLAS_I8RT_FINISH_ROWS(2, 3, 4, 5, 6, 7)
      DLAS_I8RT_FINISH_ROWS(4, 5, 8, 9, 10, 11)
      DLAS_I8RT_FINISH_ROWS(6, 7, 12, 13, 14, 15)
      :
      : [x] "r"(x), [a] "i"(offsetof(args, a)), [b] "i"(offsetof(args, b)), [steps] "i"(offsetof(args, steps)),
        [runs] "i"(offsetof(args, runs)), [a_skip] "i"(offsetof(args, a_skip)),
        [b_skip] "i"(offsetof(args, b_skip)), [out] "i"(offsetof(args, out)),
        [q] "i"(offsetof(args, q)),
        [mult0] "i"(offsetof(regs, mult[0])), [mult1] "i"(offsetof(regs, mult[1])),
        [mult_odd0] "i"(offsetof(regs, mult_odd[0])), [mult_odd1] "i"(offsetof(regs, mult_odd[1])),
        [sum00] "i"(offsetof(regs, sum[0][0])), [sum01] "i"(offsetof(regs, sum[0][1])),
        [sum10] "i"(offsetof(regs, sum[1][0])), [sum11] "i"(offsetof(regs, sum[1][1])),
        [shift0] "i"(offsetof(regs, shift[0])), [shift1] "i"(offsetof(regs, shift[1])),
        [order] "i"(offsetof(regs, order)), [lo] "i"(offsetof(regs, lo)), [hi] "i"(offsetof(regs, hi)),
        [clamp_lo] "i"(int(ClampLo)), [clamp_hi] "i"(int(ClampHi)), [is_unsigned] "i"(int(Unsigned))
      : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "k1", "xmm0",
        "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",
        "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "cc", "memory");
}

#undef DLAS_I8RT_STEP_ROW
#undef DLAS_I8RT_CODES
#undef DLAS_I8RT_FINISH_ROWS

}  // namespace detail

/// Runs one full tile (8 rows of A, every run and step) and writes its rows' 32 codes of type
/// Out (uint8_t or int8_t) through `requantize`, bit for bit what
/// i8_gemm_tile<8, 4>::run_to followed by requantize(v0, v1, row) writes.
/// x is the caller's, completed in place: a copy of it made per tile measured 20-25% slower
/// on 1x1 layers of 64 input channels.
template <class Out>
inline void i8_requantized_tile(i8_requantized_tile_args& x, const i8_row_requantizer32& requantize) noexcept {
  static_assert(sizeof(Out) == 1, "dlas::kernel::i8_requantized_tile: 8-bit outputs");
  constexpr bool u = std::is_same_v<Out, std::uint8_t>;
  x.q = &requantize.constants();
  const bool lo = requantize.clamps_lo(), hi = requantize.clamps_hi();
  if (lo && hi) return detail::i8_requantized_tile_8x32<u, true, true>(&x);
  if (lo) return detail::i8_requantized_tile_8x32<u, true, false>(&x);
  if (hi) return detail::i8_requantized_tile_8x32<u, false, true>(&x);
  detail::i8_requantized_tile_8x32<u, false, false>(&x);
}

#else
#define DLAS_HAS_I8_REQUANTIZED_TILE 0
#endif

}  // namespace dlas::kernel
