// SPDX-License-Identifier: Apache-2.0
/// \file check_int8.hpp
/// \brief The exactness check every int8 kernel (dense or CSR) runs against the int8 reference
/// kernel and the int32 oracle.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <optional>
#include <random>
#include <type_traits>
#include <vector>

#include "dlas/conv2d.hpp"
#include "reference/conv_int8.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"

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

/// Random codes over the whole range of In, random weights and zero points, every input and
/// output type and activation, residuals with float outputs, on each shape Conv implements.
template <class Conv>
void check_int8_random(const std::vector<named_shape>& shapes) {
  std::mt19937 gen(4242);
  for (const auto& [name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    const auto w = random_floats(std::size_t(sh.weight_elements()), gen(), -1, 1, 0.1);
    const auto b = random_floats(std::size_t(sh.k), gen(), -2, 2);
    std::vector<float> codes(std::size_t(sh.input_dims().elements()));
    for (int act = 0; act < 3; ++act) {
      CAPTURE(name, act, to_string(sh));
      const std::int32_t zp_u = std::int32_t(gen() % 256), zp_s = zp_u - 128;
      const quant_params out_u{0.05f, std::int32_t(gen() % 256)}, out_s{0.05f, std::int32_t(gen() % 256) - 128};
      for (float& v : codes) v = float(gen() % 256);
      check_int8_exact<Conv, std::uint8_t, std::uint8_t>(sh, codes, w, b, {0.03f, zp_u}, out_u, act, false);
      check_int8_exact<Conv, std::uint8_t, std::int8_t>(sh, codes, w, b, {0.03f, zp_u}, out_s, act, false);
      check_int8_exact<Conv, std::uint8_t, float>(sh, codes, w, b, {0.03f, zp_u}, std::nullopt, act, false);
      check_int8_exact<Conv, std::uint8_t, float>(sh, codes, w, b, {0.03f, zp_u}, std::nullopt, act, true);
      for (float& v : codes) v -= 128.0f;
      check_int8_exact<Conv, std::int8_t, std::int8_t>(sh, codes, w, b, {0.03f, zp_s}, out_s, act, false);
      check_int8_exact<Conv, std::int8_t, std::uint8_t>(sh, codes, w, b, {0.03f, zp_s}, out_u, act, false);
      check_int8_exact<Conv, std::int8_t, float>(sh, codes, w, b, {0.03f, zp_s}, std::nullopt, act, act != 0);
    }
  }
}

/// All codes at one end of the range against weights that all quantise to +127 or -127, zero
/// points 0 and 255 (uint8) and -128 and 127 (int8): the largest sums of either sign, on each
/// shape Conv implements.
template <class Conv>
void check_int8_extremes(const std::vector<named_shape>& shapes) {
  for (const auto& [name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (float sign : {1.0f, -1.0f}) {
      const std::vector<float> w(std::size_t(sh.weight_elements()), sign);
      const std::vector<float> b(std::size_t(sh.k), 0.0f);
      for (float level : {255.0f, 0.0f}) {
        CAPTURE(name, sign, level);
        const std::vector<float> u(std::size_t(sh.input_dims().elements()), level);
        for (std::int32_t zp : {0, 255}) {
          check_int8_exact<Conv, std::uint8_t, float>(sh, u, w, b, {1e-4f, zp}, std::nullopt, 0, false);
          check_int8_exact<Conv, std::uint8_t, std::uint8_t>(sh, u, w, b, {1e-4f, zp}, quant_params{0.01f, 3}, 0, false);
          check_int8_exact<Conv, std::uint8_t, std::int8_t>(sh, u, w, b, {1e-4f, zp}, quant_params{1.0f, 0}, 2, false);
        }
        std::vector<float> s(u);
        for (float& v : s) v -= 128.0f;  // -128 and 127
        for (std::int32_t zp : {-128, 127}) {
          check_int8_exact<Conv, std::int8_t, float>(sh, s, w, b, {1e-4f, zp}, std::nullopt, 0, false);
          check_int8_exact<Conv, std::int8_t, std::int8_t>(sh, s, w, b, {1e-4f, zp}, quant_params{0.02f, -5}, 1, false);
        }
      }
    }
  }
}

}  // namespace dlas::testing
