// SPDX-License-Identifier: Apache-2.0
/// \file fp16_bound.hpp
/// \brief The stated accuracy of fp16 convolutions (half storage, fp32 accumulation).
#pragma once

#include <cmath>
#include <cstddef>

#include "reference/conv_fp64.hpp"

namespace dlas::testing {

/// Largest acceptable |got - want| for one output of an fp16 convolution, where `want` is the
/// fp64 convolution of the half-rounded inputs and weights (plus bias and residual) and
/// `magnitude` is sum |x*w| + |bias| + |residual| for that output: fp32 accumulation over
/// `taps` products and two additions, (taps + 2) * 2^-24 * magnitude, then one rounding to
/// half, 2^-11 * |want| (2^-25 absolute below the normal range).
inline double fp16_error_bound(double taps, double magnitude, double want) {
  return (taps + 2) * 0x1p-24 * magnitude + 0x1p-11 * std::fabs(want) + 0x1p-25;
}

}  // namespace dlas::testing
