// SPDX-License-Identifier: Apache-2.0
/// \file peak_rate.hpp
/// \brief The yardstick the benchmark summaries print: one core's multiply-add rate in fp32
/// and in int8, measured on registers with the instructions dlas's tiles use on this CPU.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include <xsimd/xsimd.hpp>

#include "dlas/kernel/i8_gemm_tile.hpp"
#include "dlas/kernel/simd.hpp"

namespace dlas::benchmarks {

/// Peak rates of one core: operations per second (a multiply-add counts 2), and the
/// instruction sequence the int8 rate was measured with.
struct peak_rates {
  double fp32_gflops = 0;
  double int8_gops = 0;
  std::string int8_sequence;
};

namespace detail {

/// Best rate of `reps` timings of body(iterations), which performs `ops_per_iteration`
/// operations per iteration, each run about 10 ms.
template <class Body>
double best_rate(double ops_per_iteration, Body&& body) {
  using clock = std::chrono::steady_clock;
  long iterations = 1 << 12;
  double best = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = clock::now();
    body(iterations);
    const double s = std::chrono::duration<double>(clock::now() - t0).count();
    best = std::max(best, ops_per_iteration * double(iterations) / s);
    if (s < 0.01) iterations *= 2, --rep;  // too short to time: longer, not counted
  }
  return best;
}

/// Independent accumulator chains: enough to cover the latency of any FMA or dot-product
/// unit (latency x issue width), few enough to stay in the 16 registers of AVX2.
inline constexpr int chains = 12;

/// Keeps the accumulators alive without storing them in the loop.
template <class T>
[[gnu::always_inline]] inline void keep(T& v) {
#if defined(__aarch64__)
  asm volatile("" : "+w"(v));
#else
  asm volatile("" : "+x"(v));
#endif
}

inline double fp32_fma_rate() {
  using batch = kernel::f32_batch<kernel::default_arch>;
  return best_rate(2.0 * chains * batch::size, [](long n) {
    batch acc[chains];
    for (int c = 0; c < chains; ++c) acc[c] = batch(float(c) * 1e-3f);
    batch x(0.999f), y(1e-6f);
    keep(x.data), keep(y.data);
    for (long i = 0; i < n; ++i)
      DLAS_UNROLL
      for (int c = 0; c < chains; ++c) acc[c] = kernel::fmadd(acc[c], x, y);
    for (int c = 0; c < chains; ++c) keep(acc[c].data);
  });
}

#if DLAS_HAS_AVX512_VNNI
inline double int8_rate_avx512_vnni() {
  return best_rate(2.0 * chains * 64, [](long n) {
    __m512i acc[chains];
    for (auto& a : acc) a = _mm512_setzero_si512();
    __m512i u = _mm512_set1_epi8(3), s = _mm512_set1_epi8(-5);
    keep(u), keep(s);
    for (long i = 0; i < n; ++i)
      DLAS_UNROLL
      for (auto& a : acc) a = _mm512_dpbusd_epi32(a, u, s);
    for (auto& a : acc) keep(a);
  });
}
#endif

#if defined(__AVX2__)
// vpmaddubsw + vpmaddwd + vpaddd, the plain sequence (the exact tile adds a vpsignb). The
// products do not depend on the sums: each chain has its own operand, marked as changed every
// iteration, so that the compiler neither hoists nor shares them.
inline double int8_rate_avx2() {
  constexpr int c2 = chains / 2;  // each chain holds its operand as well
  return best_rate(2.0 * c2 * 32, [](long n) {
    __m256i acc[c2], u[c2];
    for (int c = 0; c < c2; ++c) acc[c] = _mm256_setzero_si256(), u[c] = _mm256_set1_epi8(char(3 + c));
    __m256i s = _mm256_set1_epi8(-5), ones = _mm256_set1_epi16(1);
    keep(s), keep(ones);
    for (long i = 0; i < n; ++i) {
      DLAS_UNROLL
      for (int c = 0; c < c2; ++c) {
        keep(u[c]);
        acc[c] = _mm256_add_epi32(acc[c], _mm256_madd_epi16(_mm256_maddubs_epi16(u[c], s), ones));
      }
    }
    for (auto& a : acc) keep(a);
  });
}
#endif

#if defined(__aarch64__)
// The target attribute does not reach into lambdas: the chains are a function of their own.
[[gnu::target("arch=armv8.2-a+dotprod")]] inline void sdot_chains(long n) {
  int32x4_t acc[chains];
  for (auto& a : acc) a = vdupq_n_s32(0);
  int8x16_t x = vdupq_n_s8(3), y = vdupq_n_s8(-5);
  keep(x), keep(y);
  for (long i = 0; i < n; ++i)
    DLAS_UNROLL
    for (auto& a : acc) a = vdotq_s32(a, x, y);
  for (auto& a : acc) keep(a);
}
inline double int8_rate_neon_dot() { return best_rate(2.0 * chains * 16, sdot_chains); }

// smull + smull2 + addp + sadalp: 16 products per step (operands as in int8_rate_avx2).
inline double int8_rate_neon() {
  constexpr int c2 = chains / 2;
  return best_rate(2.0 * c2 * 16, [](long n) {
    int32x4_t acc[c2];
    int8x16_t x[c2];
    for (int c = 0; c < c2; ++c) acc[c] = vdupq_n_s32(0), x[c] = vdupq_n_s8(std::int8_t(3 + c));
    int8x16_t y = vdupq_n_s8(-5);
    keep(y);
    for (long i = 0; i < n; ++i) {
      DLAS_UNROLL
      for (int c = 0; c < c2; ++c) {
        keep(x[c]);
        acc[c] = vpadalq_s16(acc[c], vpaddq_s16(vmull_s8(vget_low_s8(x[c]), vget_low_s8(y)), vmull_high_s8(x[c], y)));
      }
    }
    for (auto& a : acc) keep(a);
  });
}
#endif

}  // namespace detail

/// Measures both rates once (about 0.1 s) on the calling thread.
inline peak_rates measure_peak_rates() {
  peak_rates p;
  p.fp32_gflops = detail::fp32_fma_rate() * 1e-9;
  switch (kernel::i8_isa_in_use()) {
#if DLAS_HAS_AVX512_VNNI
    case kernel::i8_isa::avx512_vnni:
      p.int8_gops = detail::int8_rate_avx512_vnni() * 1e-9, p.int8_sequence = "vpdpbusd zmm";
      break;
#endif
#if defined(__AVX2__)
    case kernel::i8_isa::avx2:
      p.int8_gops = detail::int8_rate_avx2() * 1e-9, p.int8_sequence = "vpmaddubsw + vpmaddwd + vpaddd";
      break;
#endif
#if defined(__aarch64__)
    case kernel::i8_isa::neon_dot:
      p.int8_gops = detail::int8_rate_neon_dot() * 1e-9, p.int8_sequence = "sdot";
      break;
    case kernel::i8_isa::neon:
      p.int8_gops = detail::int8_rate_neon() * 1e-9, p.int8_sequence = "smull + addp + sadalp";
      break;
#endif
    default: p.int8_sequence = "scalar (no vector int8 path)";
  }
  return p;
}

}  // namespace dlas::benchmarks
