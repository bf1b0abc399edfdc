// SPDX-License-Identifier: Apache-2.0
/// \file vnni.hpp
/// \brief vnni_ops<Wide>: the AVX-512 VNNI register operations the int8 kernels share (zmm when
/// Wide, the 256-bit EVEX forms on ymm otherwise), so that one kernel body serves both widths.
#pragma once

#include <cstdint>

#include "dlas/config.hpp"

#if DLAS_HAS_AVX512_VNNI
#include <immintrin.h>

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

template <bool Wide>
struct vnni_ops;

template <>
struct vnni_ops<true> {
  using reg = __m512i;
  static reg zero() noexcept { return _mm512_setzero_si512(); }
  static reg load(const void* p) noexcept { return _mm512_loadu_si512(p); }
  static void store(void* p, reg v) noexcept { _mm512_storeu_si512(p, v); }
  static reg broadcast(std::int32_t word) noexcept { return _mm512_set1_epi32(word); }
  /// acc + four unsigned x signed byte products per int32 lane (vpdpbusd).
  static reg dot(reg acc, reg u8, reg s8) noexcept { return _mm512_dpbusd_epi32(acc, u8, s8); }
  static reg add(reg a, reg b) noexcept { return _mm512_add_epi32(a, b); }
  static reg unpacklo8(reg a, reg b) noexcept { return _mm512_unpacklo_epi8(a, b); }
  static reg unpackhi8(reg a, reg b) noexcept { return _mm512_unpackhi_epi8(a, b); }
  static reg unpacklo16(reg a, reg b) noexcept { return _mm512_unpacklo_epi16(a, b); }
  static reg unpackhi16(reg a, reg b) noexcept { return _mm512_unpackhi_epi16(a, b); }
};

template <>
struct vnni_ops<false> {
  using reg = __m256i;
  static reg zero() noexcept { return _mm256_setzero_si256(); }
  static reg load(const void* p) noexcept { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }
  static void store(void* p, reg v) noexcept { _mm256_storeu_si256(static_cast<__m256i*>(p), v); }
  static reg broadcast(std::int32_t word) noexcept { return _mm256_set1_epi32(word); }
  static reg dot(reg acc, reg u8, reg s8) noexcept { return _mm256_dpbusd_epi32(acc, u8, s8); }
  static reg add(reg a, reg b) noexcept { return _mm256_add_epi32(a, b); }
  static reg unpacklo8(reg a, reg b) noexcept { return _mm256_unpacklo_epi8(a, b); }
  static reg unpackhi8(reg a, reg b) noexcept { return _mm256_unpackhi_epi8(a, b); }
  static reg unpacklo16(reg a, reg b) noexcept { return _mm256_unpacklo_epi16(a, b); }
  static reg unpackhi16(reg a, reg b) noexcept { return _mm256_unpackhi_epi16(a, b); }
};

}  // namespace dlas::kernel
#endif
