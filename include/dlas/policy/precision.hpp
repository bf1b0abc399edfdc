// SPDX-License-Identifier: Apache-2.0
/// \file precision.hpp
/// \brief Numeric precisions (fp32, fp16, int8): storage, accumulator and quantisation types.
#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"
#include "dlas/policy/axis.hpp"

namespace dlas {

/// Affine quantisation of one tensor: real = scale * (q - zero_point).
struct quant_params {
  float scale = 1.0f;          ///< step between adjacent quantised values; finite and > 0
  std::int32_t zero_point = 0; ///< quantised value that represents real 0

  /// Throws errc::invalid_argument unless scale is finite and positive and zero_point fits T.
  template <class T>
  void validate(std::string_view what) const {
    core::require(std::isfinite(scale) && scale > 0.0f, errc::invalid_argument, [&] {
      return std::string(what) + ".scale = " + std::to_string(scale) + " must be finite and > 0";
    });
    core::require(zero_point >= std::numeric_limits<T>::min() &&
                      zero_point <= std::numeric_limits<T>::max(),
                  errc::invalid_argument, [&] {
                    return std::string(what) + ".zero_point = " + std::to_string(zero_point) +
                           " is outside the range of the quantised type";
                  });
  }
};

}  // namespace dlas

namespace dlas::precision {

/// IEEE single precision throughout.
struct fp32 {
  static constexpr policy_axis axis = policy_axis::precision;
  static constexpr std::string_view name = "fp32";
  using storage_type = float;  ///< activations in memory
  using weight_type = float;   ///< weights in memory
  using accum_type = float;    ///< accumulator
  static constexpr bool quantized = false;
};

/// Half-precision storage for weights and activations, fp32 accumulation.
struct fp16 {
  static constexpr policy_axis axis = policy_axis::precision;
  static constexpr std::string_view name = "fp16";
  using storage_type = half;
  using weight_type = half;
  using accum_type = float;
  static constexpr bool quantized = false;
};

/// 8-bit affine activations (uint8 with zero point, or int8), symmetric per-output-channel
/// int8 weights, int32 accumulation; outputs requantised to 8 bits or returned as fp32.
struct int8 {
  static constexpr policy_axis axis = policy_axis::precision;
  static constexpr std::string_view name = "int8";
  using storage_type = std::uint8_t;
  using weight_type = std::int8_t;
  using accum_type = std::int32_t;
  static constexpr bool quantized = true;
};

}  // namespace dlas::precision

namespace dlas {

/// A precision tag: storage types for activations and weights, and the accumulator type.
template <class P>
concept precision_policy = requires {
  requires P::axis == policy_axis::precision;
  { P::name } -> std::convertible_to<std::string_view>;
  { P::quantized } -> std::convertible_to<bool>;
  typename P::storage_type;
  typename P::weight_type;
  typename P::accum_type;
};

static_assert(precision_policy<precision::fp32> && precision_policy<precision::fp16> &&
              precision_policy<precision::int8>);

}  // namespace dlas
