// SPDX-License-Identifier: Apache-2.0
/// \file int8_calibration.hpp
/// \brief Turns an fp32 convolution's options into int8 ones from calibration data.
#pragma once

#include <cstdint>
#include <optional>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/optimize/calibrate.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// Options for the int8 version of a convolution whose fp32 options are `fp32`:
/// input quantisation from the observed inputs, and, when `output` is given, 8-bit outputs
/// quantised from the observed fp32 outputs (otherwise the int8 kernel returns fp32).
/// In and Out are the code types (uint8_t for ReLU'd activations, int8_t for signed ones).
/// The fused activation is kept; a ReLU'd output range starts at 0 by construction.
template <class In = std::uint8_t, class Out = std::uint8_t>
conv2d_options int8_options(const conv2d_options& fp32, const optimize::activation_observer& input,
                            const optimize::activation_observer* output = nullptr,
                            optimize::calibration_method method = optimize::calibration_method::min_mse) {
  static_assert(std::is_same_v<In, std::uint8_t> || std::is_same_v<In, std::int8_t>);
  static_assert(std::is_same_v<Out, std::uint8_t> || std::is_same_v<Out, std::int8_t>);
  conv2d_options opt = fp32;
  opt.input_quant = input.params<In>(method);
  if (output) opt.output_quant = output->params<Out>(method);
  else opt.output_quant.reset();
  return opt;
}

}  // namespace dlas::conv
