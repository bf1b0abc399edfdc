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
#include "reference/check_fp16.hpp"

namespace dlas::testing {

/// One shape, one epilogue, random dense weights.
template <class Conv>
void check_fp16_against_oracle(const conv2d_shape& sh, int act, bool residual, std::uint32_t seed) {
  check_fp16_outputs<Conv>(sh, random_floats(std::size_t(sh.weight_elements()), seed, -1, 1), act, residual, seed);
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
    with_threads(threads, [&] { conv(in.cview(), out.view()); });
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
    const footprint f = check_counted_footprint<Conv>(sh, w, in, out);
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
