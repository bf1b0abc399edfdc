// SPDX-License-Identifier: Apache-2.0
/// \file check_fp16.hpp
/// \brief The accuracy check every fp16 kernel (dense or CSR) runs: each output within the
/// stated fp16 bound of the fp64 oracle on the half-rounded data.
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "dlas/conv2d.hpp"
#include "reference/data.hpp"
#include "reference/fp16_bound.hpp"
#include "reference/winograd_route.hpp"

namespace dlas::testing {

/// The accuracy an fp16 kernel promises for one output. Winograd's transforms add the error
/// of the fp32 Winograd kernel (docs/winograd.md: a few 1e-6 of the magnitude) on top.
template <class Conv>
double fp16_kernel_bound(const conv2d_shape& sh, double magnitude, double want) {
  const double taps = double(sh.c_per_group() * sh.r * sh.s);
  double bound = fp16_error_bound(taps, magnitude, want);
  if (runs_winograd<Conv>(sh)) bound += 1e-5 * magnitude;
  return bound;
}

/// One shape, one epilogue: half data in (from `seed`), weights `w`, half out, against the fp64
/// convolution of the half-rounded inputs, weights and residual, each output within
/// fp16_kernel_bound.
template <class Conv>
void check_fp16_outputs(const conv2d_shape& sh, std::vector<float> w, int act, bool residual, std::uint32_t seed) {
  using L = typename Conv::layout_type;
  const auto b = random_floats(std::size_t(sh.k), seed + 1000);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), seed + 2000, -2, 2);
  const auto r = random_floats(std::size_t(sh.output_dims().elements()), seed + 3000);
  conv2d_options opt;
  opt.act = to_activation(act);
  const Conv conv(sh, w, b, opt);
  const auto in = from_values<half, L>(sh.input_dims(), x);
  const auto res = from_values<half, L>(sh.output_dims(), r);
  tensor<half, L> out(sh.output_dims());
  if (residual) conv(in.cview(), out.view(), res.cview());
  else conv(in.cview(), out.view());
  for (float& v : w) v = float(half(v));
  const auto rview = res.cview();
  tensor64 mag;
  const tensor64 want = expected_output(sh, in.cview(), w, b, residual ? &rview : nullptr, act, &mag);
  const tensor64 got = to_fp64(out.cview());
  std::size_t worst = 0;  // the output furthest outside (or least inside) its bound
  double worst_ratio = 0.0;
  for (std::size_t i = 0; i < want.v.size(); ++i) {
    const double ratio =
        std::fabs(got.v[i] - want.v[i]) / fp16_kernel_bound<Conv>(sh, mag.v[i], want.v[i]);
    if (!(ratio <= worst_ratio)) worst = i, worst_ratio = ratio;
  }
  CAPTURE(worst, got.v[worst], want.v[worst], mag.v[worst]);
  REQUIRE(worst_ratio <= 1.0);
}

}  // namespace dlas::testing
