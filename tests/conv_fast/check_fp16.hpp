// SPDX-License-Identifier: Apache-2.0
/// \file check_fp16.hpp
/// \brief The checks every fp16 fast algorithm runs: each output within the stated fp16 bound
/// of the fp64 oracle (on the half-rounded data) with every epilogue, bitwise thread
/// independence, exact footprint, and exactly half the fp32 weight and activation bytes.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <type_traits>
#include <vector>

#include "conv_fast/check.hpp"
#include "reference/fp16_bound.hpp"

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

/// One shape, one epilogue: half data in, half out, against the fp64 convolution of the
/// half-rounded inputs, weights and residual.
template <class Conv>
void check_fp16_against_oracle(const conv2d_shape& sh, int act, bool residual, std::uint32_t seed) {
  using L = typename Conv::layout_type;
  auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1);
  const auto b = random_floats(std::size_t(sh.k), seed + 1000);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), seed + 2000, -2, 2);
  const auto r = random_floats(std::size_t(sh.output_dims().elements()), seed + 3000);
  conv2d_options opt;
  opt.act = act == 0 ? activation::none : act == 1 ? activation::relu : activation::relu6;
  const Conv conv(sh, w, b, opt);
  const auto in = from_values<half, L>(sh.input_dims(), x);
  const auto res = from_values<half, L>(sh.output_dims(), r);
  tensor<half, L> out(sh.output_dims());
  if (residual) conv(in.cview(), out.view(), res.cview());
  else conv(in.cview(), out.view());
  for (float& v : w) v = float(half(v));
  tensor64 mag;
  tensor64 want = conv_fp64(sh, to_fp64(in.cview()), to_double(w), to_double(b), &mag);
  const tensor64 r64 = to_fp64(res.cview());
  const std::size_t plane = std::size_t(want.h * want.w);
  for (std::size_t i = 0; i < want.v.size(); ++i) {
    mag.v[i] += std::fabs(b[(i / plane) % std::size_t(sh.k)]) + (residual ? std::fabs(r64.v[i]) : 0.0);
    if (residual) want.v[i] += r64.v[i];
  }
  activate(want, act);
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

/// Every epilogue on every shape the kernel accepts.
template <class Conv>
void check_fp16_shapes(const std::vector<named_shape>& shapes) {
  std::uint32_t seed = 101;
  for (const auto& [name, sh] : shapes)
    for (int act = 0; act < 3; ++act)
      for (bool residual : {false, true}) {
        CAPTURE(name, act, residual, to_string(sh));
        if (!Conv::can_implement(sh).ok()) continue;
        check_fp16_against_oracle<Conv>(sh, act, residual, ++seed);
      }
}

/// Bitwise-identical half outputs for 1, 2 and 3 threads.
template <class Conv>
void check_fp16_thread_independence(const std::vector<named_shape>& shapes) {
  using L = typename Conv::layout_type;
  auto run = [](const conv2d_shape& sh, int threads) {
    const auto w = random_floats(std::size_t(sh.weight_elements()), 5, -1, 1);
    const auto x = random_floats(std::size_t(sh.input_dims().elements()), 7, -2, 2);
    const Conv conv(sh, w, random_floats(std::size_t(sh.k), 6), {.act = activation::relu});
    const auto in = from_values<half, L>(sh.input_dims(), x);
    tensor<half, L> out(sh.output_dims());
#if DLAS_HAS_OPENMP
    const int old = omp_get_max_threads();
    omp_set_num_threads(threads);
    conv(in.cview(), out.view());
    omp_set_num_threads(old);
#else
    (void)threads;
    conv(in.cview(), out.view());
#endif
    return std::vector<half>(out.span().begin(), out.span().end());
  };
  for (const auto& [name, sh] : shapes) {
    CAPTURE(name);
    if (!Conv::can_implement(sh).ok()) continue;
    const auto one = run(sh, 1);
    for (int t : {2, 3}) {
      const auto many = run(sh, t);
      REQUIRE(one.size() == many.size());
      CHECK(std::memcmp(one.data(), many.data(), one.size() * sizeof(half)) == 0);
    }
  }
}

/// Live weight bytes and the workspace peak of a call are what footprint() says, and the
/// stored weights and activations take exactly half the bytes of the fp32 kernel's (the
/// fp32 bias stays; Winograd keeps fp32 transformed weights).
template <class Conv, class Fp32Conv>
void check_fp16_footprint(const std::vector<named_shape>& shapes) {
  using L = typename Conv::layout_type;
  for (const auto& [name, sh] : shapes) {
    CAPTURE(name, to_string(sh));
    if (!Conv::can_implement(sh).ok()) continue;
    const auto w = random_floats(std::size_t(sh.weight_elements()), 3, -1, 1);
    const auto in = from_values<half, L>(sh.input_dims(), random_floats(std::size_t(sh.input_dims().elements()), 4));
    tensor<half, L> out(sh.output_dims());
    counting_resource counter;
    scoped_default_resource scope(&counter);
    const Conv conv(sh, w);
    const footprint f = conv.footprint();
    CHECK(index_t(counter.live) == f.weights);
    CHECK(f == Conv::footprint_of(sh));
    const footprint f32 = Fp32Conv::footprint_of(sh);
    const index_t bias = buffer_bytes<float>(sh.k);
    // Winograd keeps its transformed weights in fp32 (include/dlas/conv/winograd.hpp).
    if (runs_winograd<Conv>(sh))
      CHECK(f.weights == f32.weights);
    else
      CHECK(2 * (f.weights - bias) == f32.weights - bias);
    CHECK(2 * f.input == f32.input);
    CHECK(2 * f.output == f32.output);
    const std::size_t before = counter.live;
    counter.peak = before;
    conv(in.cview(), out.view());
    CHECK(index_t(counter.peak - before) == f.workspace);
    CHECK(counter.live == before);
  }
}

/// The shapes of the fp32 tests: curated, 1x1 variants and seeded random ones.
inline std::vector<named_shape> fp16_shapes() {
  std::vector<named_shape> v = curated_shapes();
  for (const auto& ns : pointwise_shapes()) v.push_back(ns);
  for (const auto& ns : random_shapes(12, 77)) v.push_back(ns);
  return v;
}

/// All checks of one fp16 kernel; `Fp32Conv` is the fp32 kernel of the same algorithm.
template <class Conv, class Fp32Conv>
void check_fp16_kernel(const std::vector<named_shape>& shapes) {
  check_fp16_shapes<Conv>(shapes);
  check_fp16_thread_independence<Conv>(shapes);
  check_fp16_footprint<Conv, Fp32Conv>(shapes);
}

}  // namespace dlas::testing
