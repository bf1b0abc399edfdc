// SPDX-License-Identifier: Apache-2.0
/// \file data.hpp
/// \brief Seeded random test data and conversions between layout tensors and the oracle's.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "dlas/conv/options.hpp"
#include "dlas/core/tensor.hpp"
#include "reference/conv_fp64.hpp"

namespace dlas::testing {

/// Uniform floats in [lo, hi) from a fixed seed; `zero_fraction` of them set to exactly 0.
inline std::vector<float> random_floats(std::size_t count, std::uint32_t seed, float lo = -1.0f,
                                        float hi = 1.0f, double zero_fraction = 0.0) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::bernoulli_distribution zero(zero_fraction);
  std::vector<float> v(count);
  for (float& x : v) x = zero(gen) ? 0.0f : dist(gen);
  return v;
}

/// Copies a layout tensor's values (as double) into the oracle's NCHW tensor.
template <class T, class Layout>
tensor64 to_fp64(tensor_view<const T, Layout> t) {
  const tensor_dims d = t.dims();
  tensor64 out(d.n, d.c, d.h, d.w);
  for (index_t n = 0; n < d.n; ++n)
    for (index_t c = 0; c < d.c; ++c)
      for (index_t h = 0; h < d.h; ++h)
        for (index_t w = 0; w < d.w; ++w) out.at(n, c, h, w) = double(float(t(n, c, h, w)));
  return out;
}

/// A layout tensor of T filled from fp32 values given in logical NCHW order.
template <class T, class Layout>
tensor<T, Layout> from_values(const tensor_dims& d, const std::vector<float>& nchw) {
  tensor<T, Layout> t(d);
  auto v = t.view();
  std::size_t i = 0;
  for (index_t n = 0; n < d.n; ++n)
    for (index_t c = 0; c < d.c; ++c)
      for (index_t h = 0; h < d.h; ++h)
        for (index_t w = 0; w < d.w; ++w) v(n, c, h, w) = T(nchw[i++]);
  return t;
}

inline std::vector<double> to_double(const std::vector<float>& v) {
  return std::vector<double>(v.begin(), v.end());
}

/// ||a - b||_2 / ||b||_2 over all elements (0 when both vanish).
template <class T, class Layout>
double relative_l2_error(tensor_view<const T, Layout> got, const tensor64& want) {
  double num = 0.0, den = 0.0;
  const tensor_dims d = got.dims();
  for (index_t n = 0; n < d.n; ++n)
    for (index_t c = 0; c < d.c; ++c)
      for (index_t h = 0; h < d.h; ++h)
        for (index_t w = 0; w < d.w; ++w) {
          const double e = double(float(got(n, c, h, w))) - want.at(n, c, h, w);
          num += e * e;
          den += want.at(n, c, h, w) * want.at(n, c, h, w);
        }
  return den == 0.0 ? std::sqrt(num) : std::sqrt(num / den);
}

/// The fused activation of a test's activation code (0 none, 1 relu, 2 relu6).
inline activation to_activation(int act) {
  return act == 0 ? activation::none : act == 1 ? activation::relu : activation::relu6;
}

/// Applies the activation to every element of an oracle tensor.
inline void activate(tensor64& t, int act /* 0 none, 1 relu, 2 relu6 */) {
  for (double& v : t.v) {
    if (act >= 1) v = v < 0 ? 0 : v;
    if (act == 2) v = v > 6 ? 6 : v;
  }
}

/// The fp64 oracle's output for act(conv(x) + bias [+ residual]), from the kernel's own input
/// and residual tensors (so both see identical values). act: 0 none, 1 relu, 2 relu6.
/// `magnitude` (optional) receives, per output, what rounding errors scale with:
/// sum |x * w| + |bias| (+ |residual|).
template <class T, class Layout>
tensor64 expected_output(const conv2d_shape& sh, tensor_view<const T, Layout> in, const std::vector<float>& w,
                         const std::vector<float>& b, const tensor_view<const T, Layout>* residual, int act,
                         tensor64* magnitude = nullptr) {
  tensor64 want = conv_fp64(sh, to_fp64(in), to_double(w), to_double(b), magnitude);
  const tensor64 r64 = residual ? to_fp64(*residual) : tensor64{};
  const std::size_t plane = std::size_t(want.h * want.w);
  for (std::size_t i = 0; i < want.v.size(); ++i) {
    if (residual) want.v[i] += r64.v[i];
    if (magnitude)
      magnitude->v[i] += std::fabs(double(b[(i / plane) % std::size_t(sh.k)])) + (residual ? std::fabs(r64.v[i]) : 0.0);
  }
  activate(want, act);
  return want;
}

/// An fp32 kernel's output and the fp64 oracle's for the same operands (oracle_run).
template <class Layout>
struct oracle_outputs {
  tensor<float, Layout> got;
  tensor64 want;
};

/// One call of the fp32 convolution Conv with weights w, act (0 none, 1 relu, 2 relu6) and,
/// if `residual`, a residual: bias in [-1, 1), input in [-2, 2) and residual in [-1, 1) drawn
/// from seed + 1000, + 2000 and + 3000; with the oracle's output for the same values.
template <class Conv>
oracle_outputs<typename Conv::layout_type> oracle_run(const conv2d_shape& sh, const std::vector<float>& w, int act,
                                                      bool residual, std::uint32_t seed) {
  using L = typename Conv::layout_type;
  const auto b = random_floats(std::size_t(sh.k), seed + 1000);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), seed + 2000, -2, 2);
  const auto res = random_floats(std::size_t(sh.output_dims().elements()), seed + 3000);
  conv2d_options opt;
  opt.act = to_activation(act);
  const Conv conv(sh, w, b, opt);
  const auto in = from_values<float, L>(sh.input_dims(), x);
  const auto rt = from_values<float, L>(sh.output_dims(), res);
  oracle_outputs<L> r{tensor<float, L>(sh.output_dims()), {}};
  if (residual) conv(in.cview(), r.got.view(), rt.cview());
  else conv(in.cview(), r.got.view());
  const auto rview = rt.cview();
  r.want = expected_output(sh, in.cview(), w, b, residual ? &rview : nullptr, act);
  return r;
}

}  // namespace dlas::testing
