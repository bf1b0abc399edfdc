// SPDX-License-Identifier: Apache-2.0
// The reduced-precision microkernels of kernel/registry.hpp: the fp16 GEMM tiles against an
// fp64 product of the half values, the int8 GEMM tiles exactly against int64 sums, including
// the operands that saturate a plain vpmaddubsw; the half load/store hooks round like half().
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <span>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/kernel/packing.hpp"
#include "dlas/kernel/i8_requantize.hpp"
#include "dlas/kernel/i8_requantized_tile.hpp"
#include "dlas/kernel/registry.hpp"
#include "dlas/optimize/requantize.hpp"
#include "reference/data.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

/// One int8 tile call on path `isa`: A rows of x' in [a_lo, a_hi] (given to the tile as the
/// path's bytes, x' + i8_a_offset), B in [b_lo, b_hi], every m and depth given.
template <class Tile>
void check_i8_tile(kernel::i8_isa isa, int m, index_t kdim, int a_lo, int a_hi, int b_lo, int b_hi,
                   std::uint32_t seed) {
  CAPTURE(Tile::name(isa), m, kdim, a_lo, a_hi, b_lo, b_hi);
  std::mt19937 gen(seed);
  const index_t kd = kernel::i8_padded_depth(kdim), kq = kd / kernel::i8_depth_step;
  std::vector<std::vector<std::int8_t>> rows(std::size_t(m), std::vector<std::int8_t>(std::size_t(kd), 0));
  const std::int32_t offset = kernel::i8_a_offset(isa);
  std::vector<std::vector<std::int8_t>> bytes = rows;
  const std::int8_t* a[Tile::mr] = {};
  for (int i = 0; i < m; ++i) {
    for (index_t k = 0; k < kdim; ++k) {
      const int x = a_lo + int(gen() % unsigned(a_hi - a_lo + 1));
      rows[std::size_t(i)][std::size_t(k)] = std::int8_t(x);
      bytes[std::size_t(i)][std::size_t(k)] = std::int8_t(std::uint8_t(x + offset));
    }
    a[i] = bytes[std::size_t(i)].data();
  }
  std::vector<std::int8_t> bm(std::size_t(kdim * Tile::nr));
  for (auto& v : bm) v = std::int8_t(b_lo + int(gen() % unsigned(b_hi - b_lo + 1)));
  aligned_buffer<std::int8_t> b(std::max<index_t>(1, kd * Tile::nr));
  kernel::pack_i8_panel<Tile::nr>(b.data(), kdim, 0, Tile::nr,
                                  [&](index_t k, index_t j) { return bm[std::size_t(k * Tile::nr + j)]; });
  std::vector<std::int32_t> c(std::size_t(Tile::mr * Tile::nr));
  Tile::run(isa, kq, a, b.data(), c.data(), m);
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < Tile::nr; ++j) {
      std::int64_t want = 0;
      for (index_t k = 0; k < kdim; ++k)
        want += std::int64_t(rows[std::size_t(i)][std::size_t(k)] + offset) * bm[std::size_t(k * Tile::nr + j)];
      REQUIRE(c[std::size_t(i * Tile::nr + j)] == want);
    }
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("int8 gemm tiles are exact on every path the CPU has", "[kernel][int8]",
                        kernel::i8_gemm_tiles) {
  using T = TestType;
  using kernel::i8_isa;
  CHECK(T::name().rfind(kernel::i8_a_offset(kernel::i8_isa_in_use()) ? "u8s32_gemm_" : "s8s32_gemm_", 0) == 0);
  CHECK(T::available());
  int paths = 0;
  for (i8_isa isa : {i8_isa::scalar, i8_isa::avx2, i8_isa::avx512_vnni, i8_isa::neon, i8_isa::neon_dot}) {
    if (!kernel::i8_isa_available(isa)) continue;
    ++paths;
    for (int m = 1; m <= T::mr; ++m)
      for (index_t kdim : {0, 1, 3, 4, 5, 64, 301}) check_i8_tile<T>(isa, m, kdim, -128, 127, -127, 127, 7);
    // Saturating operands of a plain u8 x s8 pair (|x'| = 128 against +-127), the largest
    // int16 pair sums of the NEON sequence and the largest unsigned bytes of vpdpbusd (x' =
    // 127), long depths.
    for (index_t kdim : {8, 2048, 4608}) {
      check_i8_tile<T>(isa, T::mr, kdim, -128, -128, 127, 127, 1);
      check_i8_tile<T>(isa, T::mr, kdim, -128, -128, -127, -127, 2);
      check_i8_tile<T>(isa, T::mr, kdim, 127, 127, 127, 127, 3);
      check_i8_tile<T>(isa, T::mr, kdim, 127, 127, -127, -127, 4);
      check_i8_tile<T>(isa, T::mr, kdim, -128, 127, -127, 127, 5);
    }
  }
#if defined(__AVX2__) || defined(__aarch64__)
  CHECK(paths >= 2);  // the scalar loop and at least one vector path
#endif
}

#if DLAS_HAS_AVX512_VNNI
TEMPLATE_TEST_CASE("run_to hands over exact sums of rows read as runs", "[kernel][int8]", (kernel::i8_gemm_tile<8, 4>),
                   (kernel::i8_gemm_tile<1, 4>)) {
  using T = TestType;
  static_assert(T::finishes_in_registers);
  // Rows of 3 runs of 5 steps (20 bytes), runs 48 bytes apart, rows 7 bytes apart: an
  // implicit im2col over an image with 48-byte rows.
  const kernel::i8_row_runs runs{3, 5, 48};
  const index_t kd = runs.count * runs.steps * kernel::i8_depth_step;
  std::mt19937 gen(31);
  std::vector<std::int8_t> image(std::size_t(T::mr * 7 + (runs.count - 1) * runs.stride + 20));
  for (auto& v : image) v = std::int8_t(gen());
  std::vector<std::int8_t> bm(std::size_t(kd * T::nr));
  for (auto& v : bm) v = std::int8_t(int(gen() % 255) - 127);
  aligned_buffer<std::int8_t> b(kd * T::nr);
  kernel::pack_i8_panel<T::nr>(b.data(), kd, 0, T::nr, [&](index_t k, index_t j) { return bm[std::size_t(k * T::nr + j)]; });
  const std::int8_t* a[T::mr];
  for (int i = 0; i < T::mr; ++i) a[i] = image.data() + i * 7;
  for (int m = 1; m <= T::mr; ++m) {
    std::vector<std::int32_t> got(std::size_t(T::mr * T::nr), -1);
    T::run_to(runs, a, b.data(), m, [&](int i, auto... v) {
      int j = 0;
      (_mm512_storeu_si512(got.data() + i * T::nr + 16 * j++, v), ...);
    });
    for (int i = 0; i < T::mr; ++i)
      for (int j = 0; j < T::nr; ++j) {
        std::int64_t want = 0;
        for (index_t k = 0; k < kd; ++k) {
          const index_t r = k / (runs.steps * 4), u = k % (runs.steps * 4);
          const auto x = std::uint8_t(image[std::size_t(i * 7 + r * runs.stride + u)]);  // vpdpbusd: unsigned A
          want += std::int64_t(x) * bm[std::size_t(k * T::nr + j)];
        }
        CAPTURE(m, i, j);
        REQUIRE(got[std::size_t(i * T::nr + j)] == (i < m ? want : -1));
      }
  }
}
#endif

TEST_CASE("the int8 tiles run the path the CPU supports", "[kernel][int8]") {
  using kernel::i8_isa;
  const i8_isa used = kernel::i8_isa_in_use();
  INFO("int8 path in use: " << kernel::i8_isa_name(used));
  REQUIRE(kernel::i8_isa_available(used));
#if DLAS_HAS_AVX512_VNNI
  CHECK(used == i8_isa::avx512_vnni);
#elif defined(__AVX2__)
  CHECK(used == i8_isa::avx2);
#elif defined(__aarch64__)
  // SDOT exactly when the CPU reports it (qemu -cpu max), the Armv8.0 sequence otherwise
  // (qemu -cpu cortex-a53).
  CHECK(used == (kernel::cpu_has_dotprod() ? i8_isa::neon_dot : i8_isa::neon));
#else
  CHECK(used == i8_isa::scalar);
#endif
  // CI names the path each emulated CPU must take, independently of the detection above.
  if (const char* want = std::getenv("DLAS_EXPECT_INT8_PATH")) CHECK(kernel::i8_isa_name(used) == want);
  CHECK(kernel::i8_gemm_tile_default::name().ends_with(kernel::i8_isa_name(used)));
}

TEST_CASE("the vector requantisation equals fixed_point_multiplier::apply bit for bit", "[kernel][int8]") {
  std::mt19937 gen(17);
  const std::int32_t extremes[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX - 1, INT32_MAX};
  for (int rep = 0; rep < 4000; ++rep) {
    kernel::i8_requant8 q{};
    optimize::fixed_point_multiplier fm[8];
    std::int32_t total[8], out[8];
    for (int j = 0; j < 8; ++j) {
      // Multipliers in [2^30, 2^31) as make_fixed_point_multiplier gives, every shift; a
      // third of the cases with shifts of at most 50, where the AVX-512 form adds the zero
      // point to its rounding term.
      fm[j].multiplier = std::int32_t((1u << 30) + gen() % (1u << 30));
      fm[j].shift = std::int32_t(1 + gen() % (rep % 3 == 0 ? 50 : 62));
      q.set(j, fm[j].multiplier, fm[j].shift);
      total[j] = rep % 5 == 0 ? extremes[gen() % 7] : std::int32_t(gen());
    }
    const std::int32_t zp = std::int32_t(gen() % 256) - 128;
    // Each type's full range (the narrowing saturates) and a narrower one (an activation's).
    const optimize::output_clamp clamps[] = {{0, 255}, {-128, 127}, {6, 200}, {-100, 90}};
    const optimize::output_clamp c = clamps[rep % 4];
    kernel::i8_requantize8(total, q, zp, c.lo, c.hi, out);
    // The 16-channel form with two blocks: this one and the same channels in reverse.
    kernel::i8_requant8 q16[2] = {q, {}};
    std::int32_t total16[16];
    for (int j = 0; j < 8; ++j) {
      q16[1].set(j, fm[7 - j].multiplier, fm[7 - j].shift);
      total16[j] = total[j], total16[8 + j] = total[7 - j];
    }
    std::uint8_t out_u8[16];
    std::int8_t out_s8[16];
    if (c.lo >= 0) kernel::i8_requantize16(total16, q16, zp, c.lo, c.hi, out_u8);
    else kernel::i8_requantize16(total16, q16, zp, c.lo, c.hi, out_s8);
    for (int j = 0; j < 16; ++j) {
      const int k = j < 8 ? j : 15 - j;
      CAPTURE(rep, j, total16[j], fm[k].multiplier, fm[k].shift, zp);
      const std::int32_t want = c(std::int32_t(std::uint32_t(fm[k].apply(total16[j])) + std::uint32_t(zp)));
      if (j < 8) REQUIRE(out[j] == want);
      REQUIRE((c.lo >= 0 ? std::int32_t(out_u8[j]) : std::int32_t(out_s8[j])) == want);
    }
  }
  // Narrowing of clamped codes keeps every value of both 8-bit types.
  std::int32_t codes[16];
  std::uint8_t u[16];
  std::int8_t s8[16];
  for (int base : {0, 16, 128, 240}) {
    for (int j = 0; j < 16; ++j) codes[j] = base + j;
    kernel::i8_narrow16(codes, u);
    for (int j = 0; j < 16; ++j) CHECK(int(u[j]) == base + j);
    for (int j = 0; j < 16; ++j) codes[j] = base + j - 128;
    kernel::i8_narrow16(codes, s8);
    for (int j = 0; j < 16; ++j) CHECK(int(s8[j]) == base + j - 128);
  }
}

#if defined(__AVX512F__)
namespace {

/// requantize's 32 codes (uint8 where the clamp starts at 0 or above, else int8) for the
/// accumulators acc, against fm[j].apply(acc[j] + bias[j]) + zp clamped by c.
void check_row_requantizer(const kernel::i8_row_requantizer32& requantize, const std::int32_t* acc,
                           const std::int32_t* bias, const optimize::fixed_point_multiplier* fm, std::int32_t zp,
                           const optimize::output_clamp& c) {
  const __m512i a0 = _mm512_loadu_si512(acc), a1 = _mm512_loadu_si512(acc + 16);
  std::uint8_t out_u8[32];
  std::int8_t out_s8[32];
  if (c.lo >= 0) requantize(a0, a1, out_u8);
  else requantize(a0, a1, out_s8);
  for (int j = 0; j < 32; ++j) {
    CAPTURE(j, acc[j], bias[j], fm[j].multiplier, fm[j].shift, zp, c.lo, c.hi);
    const std::int32_t want = c(fm[j].apply(acc[j] + bias[j]) + zp);
    REQUIRE((c.lo >= 0 ? std::int32_t(out_u8[j]) : std::int32_t(out_s8[j])) == want);
  }
}

}  // namespace

TEST_CASE("the fused row requantisation equals apply(acc + bias) wherever it fuses", "[kernel][int8]") {
  using rq = kernel::i8_row_requantizer32;
  // What fuses() admits: no int32 wrap of acc + bias, shifts of at least 32, and the zero
  // point's rounding term small enough for the 64-bit sum.
  CHECK(rq::fuses(255 * 127 * 64, 1000, 32, 40, 0));
  CHECK_FALSE(rq::fuses(255 * 127 * 64, 1000, 31, 40, 0));
  CHECK_FALSE(rq::fuses(std::int64_t(1) << 30, std::int64_t(1) << 30, 32, 40, 0));
  CHECK(rq::fuses(std::int64_t(1) << 30, (std::int64_t(1) << 30) - 1, 32, 40, 0));
  CHECK(rq::fuses(1000, 0, 32, 54, 255));  // 511 * 2^53 < 2^62
  CHECK_FALSE(rq::fuses(1000, 0, 32, 55, 255));
  CHECK(rq::fuses(1000, 0, 32, 62, 0));
  CHECK_FALSE(rq::fuses(1000, 0, 32, 62, INT32_MIN));
  CHECK_FALSE(rq::fuses(1000, 0, 32, 63, 0));
  std::mt19937 gen(23);
  const optimize::output_clamp clamps[] = {{0, 255}, {-128, 127}, {6, 200}, {-100, 90}, {0, 97}, {-128, 40}};
  for (int rep = 0; rep < 3000; ++rep) {
    // Sums and biases up to the largest that cannot wrap: |acc| + |b| < 2^31.
    const std::int64_t acc_bound = rep % 4 == 0 ? (std::int64_t(1) << 30) : 255 * 127 * std::int64_t(1 + gen() % 4608);
    const std::int64_t bias_bound = (std::int64_t(1) << 31) - 1 - acc_bound;
    const std::int32_t zp = std::int32_t(gen() % 256) - 128;
    const optimize::output_clamp c = clamps[rep % 6];
    kernel::i8_requant8 q[4] = {};
    optimize::fixed_point_multiplier fm[32];
    std::int32_t bias[32], acc[32];
    std::int32_t lo_shift = 62, hi_shift = 32;
    for (int j = 0; j < 32; ++j) {
      fm[j].multiplier = std::int32_t((1u << 30) + gen() % (1u << 30));
      fm[j].shift = std::int32_t(32 + gen() % (rep % 3 == 0 ? 22 : 8));
      lo_shift = std::min(lo_shift, fm[j].shift), hi_shift = std::max(hi_shift, fm[j].shift);
      q[j / 8].set(j % 8, fm[j].multiplier, fm[j].shift);
      auto pick = [&](std::int64_t bound) {
        const std::int64_t extremes[] = {-bound, bound, 0, -1, 1};
        return std::int32_t(rep % 5 == 1 ? extremes[gen() % 5] : std::int64_t(gen() % std::uint64_t(2 * bound + 1)) - bound);
      };
      bias[j] = pick(bias_bound);
      acc[j] = pick(acc_bound);
    }
    if (!rq::fuses(acc_bound, bias_bound, lo_shift, hi_shift, zp)) continue;
    const rq requantize(q, bias, zp, c.lo, c.hi, c.lo >= 0 ? 0 : -128, c.lo >= 0 ? 255 : 127);
    CAPTURE(rep);
    check_row_requantizer(requantize, acc, bias, fm, zp, c);
  }
}

TEST_CASE("the single-precision row requantisation equals apply(acc + bias) bit for bit", "[kernel][int8]") {
  // Multipliers of 24 significant bits, shifts 25-62 (c = m 2^-s below 2^6), totals acc + b
  // up to 2^24 in magnitude: random, at the bound, and exact ties of the rounding (x * m an
  // odd multiple of 2^(s-1)), which round up; every clamp kind, both output types.
  using rq = kernel::i8_row_requantizer32;
  std::mt19937 gen(31);
  const optimize::output_clamp clamps[] = {{0, 255}, {-128, 127}, {6, 200}, {-100, 90}, {0, 97}, {-128, 40}};
  const std::int64_t bound = rq::float_total_bound;
  for (int rep = 0; rep < 6000; ++rep) {
    const std::int32_t zp = std::int32_t(gen() % 256) - 128;
    const optimize::output_clamp c = clamps[rep % 6];
    kernel::i8_requant8 q[4] = {};
    optimize::fixed_point_multiplier fm[32];
    std::int32_t bias[32], acc[32];
    for (int j = 0; j < 32; ++j) {
      const int kind = int(gen() % 4);
      // m = 2^30 with shifts of 33 and more makes ties reachable: x = (2k + 1) 2^(s-31).
      fm[j].multiplier = kind == 0 ? (1 << 30) : std::int32_t(((1u << 30) + gen() % (1u << 30)) & ~0x7Fu);
      fm[j].shift = kind == 0 ? std::int32_t(33 + gen() % 20) : std::int32_t(25 + gen() % 38);
      q[j / 8].set(j % 8, fm[j].multiplier, fm[j].shift);
      std::int64_t x;
      if (kind == 0) {
        const std::int64_t unit = std::int64_t(1) << (fm[j].shift - 31), odd = 2 * std::int64_t(gen() % 64) + 1;
        x = std::min(odd * unit, bound) * (gen() % 2 ? 1 : -1);
      } else if (kind == 1) {
        const std::int64_t edges[] = {bound, -bound, bound - 1, -bound + 1, 0, 1, -1};
        x = edges[gen() % 7];
      } else {
        x = std::int64_t(gen() % std::uint64_t(2 * bound + 1)) - bound;
      }
      bias[j] = std::int32_t(std::int64_t(gen() % 2000001) - 1000000);
      acc[j] = std::int32_t(x - bias[j]);
    }
    const rq requantize(q, bias, zp, c.lo, c.hi, c.lo >= 0 ? 0 : -128, c.lo >= 0 ? 255 : 127, bound);
    REQUIRE(requantize.in_float());
    CAPTURE(rep);
    check_row_requantizer(requantize, acc, bias, fm, zp, c);
  }
  // The scales, built from the bits, equal m * 2^-s wherever that is a float below 2^6.
  for (int rep = 0; rep < 20000; ++rep) {
    const auto m = std::int32_t(rep % 3 == 0 ? gen() >> (1 + gen() % 31) : ((1u << 30) + gen() % (1u << 30)) & ~0x7Fu);
    const auto sh = std::int32_t(1 + gen() % 62);
    const double c = std::ldexp(double(m), -sh);
    CAPTURE(m, sh);
    REQUIRE(kernel::i8_requant8::float_scale(m, sh) == (m > 0 && double(float(c)) == c && c < 0x1p6 ? float(c) : 0.0f));
  }
  STATIC_REQUIRE(kernel::i8_requant8::float_scale(1 << 30, 40) == 0x1p-10f);
  STATIC_REQUIRE(kernel::i8_requant8::float_scale((1 << 30) + (1 << 6), 40) == 0.0f);
  STATIC_REQUIRE(kernel::i8_requant8::float_scale((1 << 30) + (1 << 7), 40) == 0x1p-10f + 0x1p-33f);
  // Where it is not exact it is not taken: a bound past 2^24, a multiplier of 25 significant
  // bits, a scale c of 2^6.
  kernel::i8_requant8 q[4] = {};
  for (int j = 0; j < 32; ++j) q[j / 8].set(j % 8, 1 << 30, 40);
  const std::int32_t bias[32] = {};
  CHECK(rq(q, bias, 0, 0, 255, 0, 255, bound).in_float());
  CHECK_FALSE(rq(q, bias, 0, 0, 255, 0, 255, bound + 1).in_float());
  CHECK_FALSE(rq(q, bias, 0, 0, 255, 0, 255).in_float());
  q[3].set(7, (1 << 30) + (1 << 6), 40);
  CHECK_FALSE(rq(q, bias, 0, 0, 255, 0, 255, bound).in_float());
  q[3].set(7, 1 << 30, 24);
  CHECK_FALSE(rq(q, bias, 0, 0, 255, 0, 255, bound).in_float());
  q[3].set(7, 1 << 30, 25);
  CHECK(rq(q, bias, 0, 0, 255, 0, 255, bound).in_float());
}
#endif

#if DLAS_HAS_I8_REQUANTIZED_TILE
TEST_CASE("the assembly tile with the fused finish equals int64 sums requantised by apply", "[kernel][int8]") {
  // Rows of 1-3 runs (an R x S kernel read in place: runs one image row apart, the panel's
  // runs back to back or b_steps apart), depths of 1-40 steps, tiles of 8 and 7 rows, every
  // clamp kind, both output types, output rows apart and out of order; sums up to the fused
  // bound; other row counts declined.
  std::mt19937 gen(29);
  const optimize::output_clamp clamps[] = {{0, 255}, {-128, 127}, {6, 200}, {-100, 90}, {0, 97}, {-128, 40}};
  constexpr std::int64_t rq_float_bound = kernel::i8_row_requantizer32::float_total_bound;
  for (int rep = 0; rep < 480; ++rep) {
    const index_t count = 1 + rep % 3, steps = 1 + index_t(gen() % 40), b_steps = rep % 2 ? steps + rep % 5 : 0;
    const index_t stride = steps * 4 + index_t(gen() % 3) * 4, out_stride = 32 + index_t(gen() % 3) * 16;
    const optimize::output_clamp c = clamps[rep % 6];
    const bool u8 = c.lo >= 0;
    CAPTURE(rep, count, steps, b_steps, stride, out_stride, c.lo, c.hi);
    // Row i's runs at image + i * 7 + r * stride; extreme bytes in a quarter of the cases.
    std::vector<std::uint8_t> image(std::size_t(8 * 7 + count * stride + 4));
    std::vector<std::int8_t> panel(std::size_t(((count - 1) * (b_steps ? b_steps : steps) + steps) * 128));
    for (auto& v : image) v = std::uint8_t(rep % 4 == 3 ? 255 : gen());
    for (auto& v : panel) v = std::int8_t(rep % 4 == 3 ? (gen() % 2 ? 127 : -128) : std::int8_t(gen()));
    const std::int8_t* a[8];
    for (int i = 0; i < 8; ++i) a[i] = reinterpret_cast<const std::int8_t*>(image.data() + i * 7);
    std::int64_t acc[8][32] = {};
    for (int i = 0; i < 8; ++i)
      for (index_t r = 0; r < count; ++r)
        for (index_t q = 0; q < steps; ++q)
          for (int j = 0; j < 32; ++j)
            for (int t = 0; t < 4; ++t)
              acc[i][j] += std::int64_t(image[std::size_t(i * 7 + r * stride + q * 4 + t)]) *
                           panel[std::size_t(((r * (b_steps ? b_steps : steps) + q) * 32 + j) * 4 + t)];
    kernel::i8_requant8 q[4] = {};
    optimize::fixed_point_multiplier fm[32];
    std::int32_t bias[32];
    const std::int32_t zp = std::int32_t(gen() % 256) - 128;
    // Half the cases with multipliers of 24 significant bits (make_fixed_point_multiplier's)
    // and the bound on |acc + b| given: the single-precision finish where that bound is at
    // most 2^24.
    const bool float_case = rep % 2 == 0;
    // (In every tenth case the bound given is past 2^24: the integer finish.)
    const std::int64_t total_bound =
        rep % 10 == 4 ? rq_float_bound + 1 : 255 * 128 * 4 * steps * count + 1000000;
    for (int j = 0; j < 32; ++j) {
      fm[j].multiplier = std::int32_t((1u << 30) + gen() % (1u << 30));
      if (float_case) fm[j].multiplier &= ~0x7F;
      // Shifts of 33-54 (fuses() admits up to 54 for this zero point); in every eighth case one
      // channel's is 32, which the integer finish declines.
      fm[j].shift = std::int32_t(rep % 8 == 7 && j == rep % 32 ? 32 : 33 + gen() % 22);
      q[j / 8].set(j % 8, fm[j].multiplier, fm[j].shift);
      bias[j] = std::int32_t(gen() % 2000001) - 1000000;
    }
    const kernel::i8_row_requantizer32 requantize =
        float_case ? kernel::i8_row_requantizer32(q, bias, zp, c.lo, c.hi, u8 ? 0 : -128, u8 ? 255 : 127, total_bound)
                   : kernel::i8_row_requantizer32(q, bias, zp, c.lo, c.hi, u8 ? 0 : -128, u8 ? 255 : 127);
    REQUIRE(requantize.in_float() == (float_case && total_bound <= rq_float_bound));
    // The row pointers stop short of the rows by out_col (0, 16 or 32 bytes), which the tile
    // adds: how the panels of one tile row move along it.
    const index_t out_col = 16 * (rep % 3);
    std::vector<std::uint8_t> storage(std::size_t(32 + 8 * out_stride), 0xA5);
    const auto out = std::span<std::uint8_t>(storage).subspan(32);
    std::uint8_t* row = storage.data() + 32 - out_col;  // rows in reverse order
    kernel::i8_requantized_tile_args args{
        a,
        panel.data(),
        steps,
        count,
        stride - steps * 4,
        ((b_steps ? b_steps : steps) - steps) * 128,
        {row + 7 * out_stride, row + 6 * out_stride, row + 5 * out_stride, row + 4 * out_stride,
         row + 3 * out_stride, row + 2 * out_stride, row + out_stride, row},
        out_col};
    // Tiles of 7 rows in a third of the cases: the eighth row's output is left alone.
    const int rows = rep % 3 == 1 ? 7 : 8;
    CAPTURE(rows);
    const bool ran = u8 ? kernel::i8_requantized_tile<std::uint8_t>(args, requantize, rows)
                        : kernel::i8_requantized_tile<std::int8_t>(args, requantize, rows);
    REQUIRE(ran == (requantize.in_float() || rep % 8 != 7));
    if (rep % 8 == 0) {  // other row counts: declined, nothing written
      for (int other : {0, 1, 6, 9})
        REQUIRE_FALSE(kernel::i8_requantized_tile<std::uint8_t>(args, requantize, other));
    }
    REQUIRE(ran == (requantize.in_float() || requantize.rounds_high()));
    if (!ran) {
      REQUIRE(std::all_of(storage.begin(), storage.end(), [](std::uint8_t v) { return v == 0xA5; }));
      continue;
    }
    for (int i = 0; i < 8; ++i)
      for (index_t j = 0; j < out_stride; ++j) {
        CAPTURE(i, j);
        const std::uint8_t got = out[std::size_t((7 - i) * out_stride + j)];
        if (j >= 32 || i >= rows) {
          REQUIRE(got == 0xA5);  // nothing past the row's 32 codes, nothing in a row past the tile's
          continue;
        }
        const std::int32_t want = c(fm[j].apply(std::int32_t(acc[i][j] + bias[j])) + zp);
        REQUIRE((u8 ? std::int32_t(got) : std::int32_t(std::int8_t(got))) == want);
      }
    REQUIRE(std::all_of(storage.begin(), storage.begin() + 32, [](std::uint8_t v) { return v == 0xA5; }));
  }
}
#endif

TEMPLATE_LIST_TEST_CASE("fp16 gemm tiles match an fp64 product of the halves", "[kernel][fp16]",
                        kernel::f16_gemm_tiles) {
  using T = TestType;
  CHECK(T::name().rfind("f16f32_gemm_", 0) == 0);
  for (index_t kc : {0, 1, 7, 256}) {
    const auto av = random_floats(std::size_t(T::mr * kc + 1), 11);
    const auto bv = random_floats(std::size_t(kc * T::nr + 1), 12);
    std::vector<const float*> a(T::mr);
    for (int i = 0; i < T::mr; ++i) a[std::size_t(i)] = av.data() + i * kc;
    aligned_buffer<half> b(std::max<index_t>(1, kc * T::nr));
    kernel::pack_panels<T::nr>(b.data(), kc, T::nr, [&](index_t k, index_t j) { return half(bv[std::size_t(k * T::nr + j)]); });
    std::vector<float> c(std::size_t(T::mr * T::nr));
    T::run(kc, a.data(), b.data(), c.data(), T::nr, T::mr, T::nr, {});
    for (int i = 0; i < T::mr; ++i)
      for (int j = 0; j < T::nr; ++j) {
        double want = 0, mag = 0;
        for (index_t k = 0; k < kc; ++k) {
          const double p = double(av[std::size_t(i * kc + k)]) * double(float(half(bv[std::size_t(k * T::nr + j)])));
          want += p;
          mag += std::fabs(p);
        }
        REQUIRE(std::fabs(c[std::size_t(i * T::nr + j)] - want) <= 1e-6 * (mag + 1.0));
      }
  }
}

TEST_CASE("the fp32 tile's half epilogue rounds the fp32 epilogue's result once", "[kernel][fp16]") {
  // The fp16 convolutions' last K block: accumulate onto fp32 partial sums, add bias and a
  // half residual, apply the activation and store half; every tile size, full and edge.
  using T = kernel::f32_gemm_tile<>;
  constexpr index_t kc = 37, ldc = T::nr + 5;
  const auto av = random_floats(std::size_t(T::mr * kc), 21);
  const auto bv = random_floats(std::size_t(kc * T::nr), 22);
  const auto bias = random_floats(std::size_t(T::nr), 23);
  const auto partial = random_floats(std::size_t(T::mr * ldc), 24);
  const auto res = random_floats(std::size_t(T::mr * ldc), 25);
  std::vector<half> res_half(res.begin(), res.end());
  std::vector<float> res_rounded(res_half.begin(), res_half.end());
  std::vector<const float*> a(T::mr);
  for (int i = 0; i < T::mr; ++i) a[std::size_t(i)] = av.data() + i * kc;
  for (activation act : {activation::none, activation::relu, activation::relu6})
    for (int m : {1, T::mr - 1, T::mr})
      for (int n : {1, T::nr - 3, T::nr}) {
        CAPTURE(int(act), m, n);
        kernel::tile_epilogue ep;
        ep.accumulate = true;
        ep.bias = kernel::bias_mode::per_col;
        ep.bias_ptr = bias.data();
        ep.act = act;
        std::vector<float> want = partial;
        ep.residual = res_rounded.data();
        kernel::run_rows<T>(kc, a.data(), bv.data(), want.data(), ldc, m, n, ep);
        std::vector<float> sums = partial;
        std::vector<half> got(std::size_t(T::mr * ldc), half(-7.0f));
        ep.residual = nullptr;
        ep.residual_half = res_half.data();
        ep.out_half = got.data();
        kernel::run_rows<T, true>(kc, a.data(), bv.data(), sums.data(), ldc, m, n, ep);
        CHECK(sums == partial);  // the fp32 partial sums are only read
        for (int i = 0; i < T::mr; ++i)
          for (index_t j = 0; j < ldc; ++j) {
            const std::size_t o = std::size_t(i * ldc + j);
            if (i < m && j < n) REQUIRE(got[o].bits == half(want[o]).bits);
            else REQUIRE(got[o].bits == half(-7.0f).bits);  // outside the tile: untouched
          }
      }
}

TEST_CASE("half load and store hooks round like dlas::half", "[kernel][fp16]") {
  using A = kernel::default_arch;
  constexpr std::size_t n = kernel::f32_batch<A>::size;
  std::mt19937 gen(3);
  for (int rep = 0; rep < 2000; ++rep) {
    alignas(64) float f[n];
    alignas(64) half h[n], back[n];
    for (std::size_t i = 0; i < n; ++i) {
      // Raw bit patterns: every exponent, subnormals, ties, infinities and NaNs.
      f[i] = std::bit_cast<float>(std::uint32_t(gen()));
      h[i] = half::from_bits(std::uint16_t(gen()));
    }
    kernel::store_from_f32<A>(back, kernel::f32_batch<A>::load_unaligned(f));
    alignas(64) float widened[n];
    kernel::load_as_f32<A>(h).store_unaligned(widened);
    for (std::size_t i = 0; i < n; ++i) {
      const half want = half(f[i]);
      if (std::isnan(f[i])) CHECK(std::isnan(float(back[i])));
      else CHECK(back[i].bits == want.bits);
      const float w = float(h[i]);
      if (std::isnan(w)) CHECK(std::isnan(widened[i]));
      else CHECK(std::bit_cast<std::uint32_t>(widened[i]) == std::bit_cast<std::uint32_t>(w));
    }
  }
}
