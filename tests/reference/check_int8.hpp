// SPDX-License-Identifier: Apache-2.0
/// \file check_int8.hpp
/// \brief The exactness check every int8 kernel (dense or CSR) runs against the int8 reference
/// kernel and the int32 oracle.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <optional>
#include <type_traits>
#include <vector>

#include "dlas/conv2d.hpp"
#include "reference/conv_int8.hpp"
#include "reference/data.hpp"

namespace dlas::testing {

/// An int8 kernel's output equals algo::reference's (same weights, same options) byte for byte
/// and, without a residual, the int32 oracle's value for value. `codes` are input codes of In
/// (uint8_t or int8_t); Out is an 8-bit code type (with `out_q`) or float.
template <class Conv, class In, class Out>
void check_int8_exact(const conv2d_shape& sh, const std::vector<float>& codes, const std::vector<float>& w,
                      const std::vector<float>& b, const quant_params& in_q,
                      const std::optional<quant_params>& out_q, int act, bool residual) {
  using L = typename Conv::layout_type;
  using ref = conv2d<L, precision::int8, sparsity::dense, algo::reference>;
  conv2d_options opt;
  opt.act = to_activation(act);
  opt.input_quant = in_q;
  opt.output_quant = out_q;
  const Conv f(sh, w, b, opt);
  const ref r(sh, w, b, opt);
  const auto in = from_values<In, L>(sh.input_dims(), codes);
  tensor<Out, L> got(sh.output_dims()), want(sh.output_dims());
  if constexpr (std::is_same_v<Out, float>) {
    if (residual) {
      const auto res = from_values<float, L>(sh.output_dims(),
                                             random_floats(std::size_t(sh.output_dims().elements()), 9));
      f(in.cview(), got.view(), res.cview());
      r(in.cview(), want.view(), res.cview());
    } else {
      f(in.cview(), got.view());
      r(in.cview(), want.view());
    }
  } else {
    f(in.cview(), got.view());
    r(in.cview(), want.view());
  }
  REQUIRE(std::memcmp(got.span().data(), want.span().data(), got.span().size_bytes()) == 0);
  if (!residual) {
    const tensor64 oracle = conv_int8_oracle<Out>(sh, to_fp64(in.cview()), w, b, in_q, out_q, act);
    const tensor64 g = to_fp64(got.cview());
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < g.v.size(); ++i) mismatches += g.v[i] != oracle.v[i];
    REQUIRE(mismatches == 0);
  }
}

}  // namespace dlas::testing
