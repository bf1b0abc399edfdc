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

/// Represents `real` (in [2^-31, 2^30)) as a fixed-point multiplier; exact to 31 bits.
constexpr fixed_point_multiplier make_fixed_point_multiplier(double real) {
  if (!(real >= 0x1p-31 && real < 0x1p30))
    throw error(errc::invalid_argument,
                "requantisation multiplier " + std::to_string(real) +
                    " is outside [2^-31, 2^30): check the input, weight and output scales");
  // real = m * 2^e with m in [0.5, 1); powers of two scale exactly.
  double m = real;
  int e = 0;
  while (m >= 1.0) { m *= 0.5; ++e; }
  while (m < 0.5) { m *= 2.0; --e; }
  std::int64_t q = std::int64_t(m * 2147483648.0 + 0.5);
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
