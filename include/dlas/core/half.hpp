// SPDX-License-Identifier: Apache-2.0
/// \file half.hpp
/// \brief half: IEEE 754 binary16 storage with round-to-nearest-even conversion from float.
#pragma once

#include <bit>
#include <cstdint>
#include <type_traits>

#include "dlas/config.hpp"

#if DLAS_HAS_F16C
#include <immintrin.h>
#endif

namespace dlas {
namespace core::detail {

/// float -> binary16 bits, round to nearest even; NaNs stay NaN (quietened, payload truncated,
/// as F16C does), overflow goes to infinity.
constexpr std::uint16_t float_to_half_bits_portable(float f) noexcept {
  const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t a = x & 0x7fffffffu;
  if (a > 0x7f800000u) return std::uint16_t(sign | 0x7e00u | ((a >> 13) & 0x3ffu));  // NaN
  if (a >= 0x47800000u) return std::uint16_t(sign | 0x7c00u);  // >= 2^16: infinity
  if (a < 0x38800000u) {                                       // below 2^-14: subnormal or zero
    const std::uint32_t shift = 126u - (a >> 23);                // >= 14
    if (shift > 24u) return std::uint16_t(sign);
    const std::uint32_t mant = (a & 0x7fffffu) | 0x800000u;
    std::uint32_t q = mant >> shift;
    const std::uint32_t rem = mant & ((1u << shift) - 1u);
    const std::uint32_t halfway = 1u << (shift - 1u);
    if (rem > halfway || (rem == halfway && (q & 1u))) ++q;
    return std::uint16_t(sign | q);
  }
  // Normal: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits. A carry
  // out of the mantissa correctly bumps the exponent, up to infinity for [65520, 65536).
  std::uint32_t q = (a >> 13) - (112u << 10);
  const std::uint32_t rem = a & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (q & 1u))) ++q;
  return std::uint16_t(sign | q);
}

/// binary16 bits -> float, exact for every value.
constexpr float half_bits_to_float_portable(std::uint16_t h) noexcept {
  const std::uint32_t sign = std::uint32_t(h & 0x8000u) << 16;
  const std::uint32_t e = (h >> 10) & 0x1fu;
  const std::uint32_t m = h & 0x3ffu;
  if (e == 0x1fu)  // infinity or NaN (NaNs quietened, as F16C does)
    return std::bit_cast<float>(sign | 0x7f800000u | (m << 13) | (m ? 0x400000u : 0u));
  if (e == 0) {  // zero or subnormal: m * 2^-24, exact in float
    const float v = float(m) * 0x1p-24f;
    return sign ? -v : v;
  }
  return std::bit_cast<float>(sign | ((e + 112u) << 23) | (m << 13));
}

}  // namespace core::detail

/// An IEEE 754 half-precision value, used as storage only (arithmetic happens in float).
struct half {
  std::uint16_t bits = 0;

  constexpr half() noexcept = default;
  /// Round to nearest even; F16C when the target has it, the portable routine otherwise.
  constexpr explicit half(float f) noexcept : bits(from_float(f)) {}

  static constexpr half from_bits(std::uint16_t b) noexcept {
    half h;
    h.bits = b;
    return h;
  }

  constexpr operator float() const noexcept {
#if DLAS_HAS_F16C
    if (!std::is_constant_evaluated()) return _cvtsh_ss(bits);
#endif
    return core::detail::half_bits_to_float_portable(bits);
  }

  friend constexpr bool operator==(half a, half b) noexcept { return float(a) == float(b); }

 private:
  static constexpr std::uint16_t from_float(float f) noexcept {
#if DLAS_HAS_F16C
    if (!std::is_constant_evaluated())
      return std::uint16_t(_mm_extract_epi16(
          _mm_cvtps_ph(_mm_set_ss(f), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC), 0));
#endif
    return core::detail::float_to_half_bits_portable(f);
  }
};

static_assert(sizeof(half) == 2 && std::is_trivially_copyable_v<half>);

}  // namespace dlas
