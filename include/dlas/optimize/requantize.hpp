// SPDX-License-Identifier: Apache-2.0
/// \file requantize.hpp
/// \brief Fixed-point requantisation of int32 accumulators to 8-bit outputs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::optimize {

/// real_multiplier ~= multiplier * 2^-shift with multiplier a Q31 value in [2^30, 2^31).
///
/// Applying it: (int64(acc) * multiplier + 2^(shift-1)) >> shift, an arithmetic shift, i.e.
/// the exact product rounded to nearest with ties toward +infinity. One 64-bit product, so
/// the result is identical on every target and in every kernel.
struct fixed_point_multiplier {
  std::int32_t multiplier = 1 << 30;
  std::int32_t shift = 31;  ///< in [1, 62]

  constexpr std::int32_t apply(std::int32_t acc) const noexcept {
    const std::int64_t prod = std::int64_t(acc) * multiplier;
    return std::int32_t((prod + (std::int64_t(1) << (shift - 1))) >> shift);
  }
};

/// Significant bits of the multipliers make_fixed_point_multiplier gives by default: a float's.
/// multiplier * 2^-shift is then a float exactly, and the AVX-512 kernels apply the rule
/// above in single precision, bit for bit (kernel::i8_row_requantizer32::in_float); the
/// multiplier is as close to the real one as oneDNN's float scale is.
inline constexpr int float_multiplier_bits = 24;

/// Represents `real` (in [2^-31, 2^30)) as a fixed-point multiplier, rounded to `bits`
/// significant bits (1 to 31; the low 31 - bits bits of the multiplier are zero).
constexpr fixed_point_multiplier make_fixed_point_multiplier(double real, int bits = float_multiplier_bits) {
  if (!(real >= 0x1p-31 && real < 0x1p30))
    throw error(errc::invalid_argument,
                "requantisation multiplier " + std::to_string(real) +
                    " is outside [2^-31, 2^30): check the input, weight and output scales");
  if (bits < 1 || bits > 31)
    throw error(errc::invalid_argument,
                "requantisation multiplier bits " + std::to_string(bits) + " is outside [1, 31]");
  // real = m * 2^e with m in [0.5, 1); powers of two scale exactly.
  double m = real;
  int e = 0;
  while (m >= 1.0) { m *= 0.5; ++e; }
  while (m < 0.5) { m *= 2.0; --e; }
  std::int64_t q = std::int64_t(m * double(std::int64_t(1) << bits) + 0.5) << (31 - bits);
  if (q == (std::int64_t(1) << 31)) { q >>= 1; ++e; }
  return {std::int32_t(q), 31 - e};
}

/// Clamp bounds for requantised outputs, from the fused activation and the output type.
struct output_clamp {
  std::int32_t lo;
  std::int32_t hi;
  constexpr std::int32_t operator()(std::int32_t v) const noexcept { return std::clamp(v, lo, hi); }
};

}  // namespace dlas::optimize
