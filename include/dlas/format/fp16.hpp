// SPDX-License-Identifier: Apache-2.0
/// \file fp16.hpp
/// \brief Bulk float <-> half conversion of arrays (eight lanes at a time with F16C).
#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"

namespace dlas::format {

/// dst[i] = half(src[i]), rounding to nearest even.
inline void to_half(std::span<const float> src, std::span<half> dst) {
  core::require(src.size() == dst.size(), errc::mismatched_buffer, [&] {
    return "to_half: " + std::to_string(src.size()) + " floats into " + std::to_string(dst.size()) +
           " halves";
  });
  std::size_t i = 0;
#if DLAS_HAS_F16C
  for (; i + 8 <= src.size(); i += 8) {
    const __m128i h = _mm256_cvtps_ph(_mm256_loadu_ps(src.data() + i),
                                      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst.data() + i), h);
  }
#endif
  for (; i < src.size(); ++i) dst[i] = half(src[i]);
}

/// dst[i] = float(src[i]), exact.
inline void to_float(std::span<const half> src, std::span<float> dst) {
  core::require(src.size() == dst.size(), errc::mismatched_buffer, [&] {
    return "to_float: " + std::to_string(src.size()) + " halves into " +
           std::to_string(dst.size()) + " floats";
  });
  std::size_t i = 0;
#if DLAS_HAS_F16C
  for (; i + 8 <= src.size(); i += 8) {
    const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src.data() + i));
    _mm256_storeu_ps(dst.data() + i, _mm256_cvtph_ps(h));
  }
#endif
  for (; i < src.size(); ++i) dst[i] = float(src[i]);
}

}  // namespace dlas::format
