// SPDX-License-Identifier: Apache-2.0
/// \file check.hpp
/// \brief The checks every fp32 fast algorithm runs: fp64 oracle on curated and random shapes
/// with every epilogue, bitwise thread independence, and exact workspace and weight bytes.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "dlas/conv2d.hpp"
#include "reference/check_footprint.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"
#include "reference/winograd_route.hpp"
#include "reference/threads.hpp"

namespace dlas::testing {

/// Random valid shapes from a fixed seed: odd channels, odd sizes, strides, dilation, groups.
inline std::vector<named_shape> random_shapes(int count, std::uint32_t seed) {
  std::mt19937 gen(seed);
  auto pick = [&](int lo, int hi) { return index_t(std::uniform_int_distribution<int>(lo, hi)(gen)); };
  std::vector<named_shape> v;
  while (int(v.size()) < count) {
    const index_t groups = pick(0, 3) == 0 ? pick(2, 3) : 1;
    conv2d_shape s = make_shape(pick(1, 2), groups * pick(1, 21), pick(1, 13), pick(1, 13),
                                groups * pick(1, 37), pick(1, 4), pick(1, 4), pick(1, 2), 0,
                                pick(0, 4) == 0 ? 2 : 1, groups);
    s.stride_w = pick(1, 2);
    s.pad_top = pick(0, 2); s.pad_left = pick(0, 2); s.pad_bottom = pick(0, 2); s.pad_right = pick(0, 2);
    if (!s.is_valid()) continue;
    v.push_back({"random" + std::to_string(v.size()), s});
  }
  return v;
}

/// 1x1 shapes for pointwise: strides, padding, groups, channels around the tile widths.
inline std::vector<named_shape> pointwise_shapes() {
  std::vector<named_shape> v;
  for (const auto& ns : curated_shapes())
    if (ns.shape.r == 1 && ns.shape.s == 1) v.push_back(ns);
  v.push_back({"1x1_wide", make_shape(1, 40, 5, 9, 50, 1, 1, 1, 0)});
  v.push_back({"1x1_pad", make_shape(2, 17, 4, 3, 33, 1, 1, 1, 1)});
  v.push_back({"1x1_groups", make_shape(1, 12, 6, 7, 18, 1, 1, 2, 0, 1, 3)});
  v.push_back({"1x1_deep", make_shape(1, 300, 3, 5, 20, 1, 1, 1, 0)});  // K split in blocks
  v.push_back({"1x1_images", make_shape(3, 24, 5, 7, 40, 1, 1, 1, 0)});  // batch > 1, no padding
  return v;
}

template <class Conv>
void check_against_oracle(const conv2d_shape& sh, int act, bool residual, std::uint32_t seed) {
  const auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1);
  const auto r = oracle_run<Conv>(sh, w, act, residual, seed);
  // Winograd's transforms: docs/winograd.md's bound; every other algorithm reorders sums only.
  REQUIRE(relative_l2_error(r.got.cview(), r.want) <= (runs_winograd<Conv>(sh) ? 5e-5 : 1e-5));
}

/// Every epilogue on every shape (both residual settings, all three activations).
template <class Conv>
void check_shapes(const std::vector<named_shape>& shapes) {
  std::uint32_t seed = 11;
  for (const auto& [name, sh] : shapes)
    for (int act = 0; act < 3; ++act)
      for (bool residual : {false, true}) {
        CAPTURE(name, act, residual, to_string(sh));
        if (!Conv::can_implement(sh).ok()) continue;
        check_against_oracle<Conv>(sh, act, residual, ++seed);
      }
}

/// Output of one call with `threads` OpenMP threads (the default when OpenMP is absent).
template <class Conv>
std::vector<float> run_with_threads(const conv2d_shape& sh, int threads) {
  using L = typename Conv::layout_type;
  const auto w = random_floats(std::size_t(sh.weight_elements()), 5, -1, 1);
  const auto b = random_floats(std::size_t(sh.k), 6);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), 7, -2, 2);
  conv2d_options opt;
  opt.act = activation::relu;
  Conv conv(sh, w, b, opt);
  auto in = from_values<float, L>(sh.input_dims(), x);
  tensor<float, L> out(sh.output_dims());
  with_threads(threads, [&] { conv(in.cview(), out.view()); });
  return std::vector<float>(out.span().begin(), out.span().end());
}

/// Bitwise-identical output for 1, 2 and 3 threads.
template <class Conv>
void check_thread_independence(const std::vector<named_shape>& shapes) {
  for (const auto& [name, sh] : shapes) {
    CAPTURE(name);
    if (!Conv::can_implement(sh).ok()) continue;
    const auto one = run_with_threads<Conv>(sh, 1);
    for (int t : {2, 3}) {
      const auto many = run_with_threads<Conv>(sh, t);
      REQUIRE(one.size() == many.size());
      CHECK(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)) == 0);
    }
  }
}

/// weights: the live bytes after construction; workspace: the peak above that during a call,
/// through the options' workspace_resource and through the default resource.
template <class Conv>
void check_footprint(const std::vector<named_shape>& shapes) {
  using L = typename Conv::layout_type;
  for (const auto& [name, sh] : shapes) {
    CAPTURE(name, to_string(sh));
    if (!Conv::can_implement(sh).ok()) continue;
    const auto w = random_floats(std::size_t(sh.weight_elements()), 3, -1, 1);
    const auto in = from_values<float, L>(sh.input_dims(), random_floats(std::size_t(sh.input_dims().elements()), 4));
    tensor<float, L> out(sh.output_dims());
    CHECK(check_counted_footprint<Conv>(sh, w, in, out) == Conv::footprint_of(sh));
    check_workspace_resource<Conv>(sh, w, in, out);
  }
}

}  // namespace dlas::testing
