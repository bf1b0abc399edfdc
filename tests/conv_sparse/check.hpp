// SPDX-License-Identifier: Apache-2.0
/// \file check.hpp
/// \brief The checks every fp32 CSR algorithm runs: the dense fp64 oracle on the same pruned
/// weights for many sparsity patterns and every epilogue, bitwise thread independence, exact
/// weight and workspace bytes.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "dlas/conv2d.hpp"
#include "reference/conv_fp64.hpp"
#include "reference/check_footprint.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"
#include "reference/threads.hpp"

namespace dlas::testing {

/// How the weights of a test are thinned before the CSR conversion.
enum class pattern {
  empty,        ///< every weight zero: the layer is its bias
  single,       ///< one non-zero per output channel
  dense_rows,   ///< even channels fully dense, odd channels empty
  density_5,    ///< random mask keeping 5% of weights
  density_20,
  density_50,
  full,         ///< 100%: every weight stored
  blocks_4x1,   ///< 50% of columns kept, shared by aligned groups of four channels
};
inline constexpr pattern all_patterns[] = {pattern::empty,      pattern::single,     pattern::dense_rows,
                                           pattern::density_5,  pattern::density_20, pattern::density_50,
                                           pattern::full,       pattern::blocks_4x1};

inline const char* name(pattern p) {
  const char* names[] = {"empty", "single", "dense_rows", "5%", "20%", "50%", "100%", "blocks_4x1"};
  return names[int(p)];
}

/// K x (C/groups*R*S) weights in [-1, 1) with `p` applied.
inline std::vector<float> sparse_weights(const conv2d_shape& sh, pattern p, std::uint32_t seed) {
  std::vector<float> w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1);
  for (float& v : w)
    if (v == 0.0f) v = 0.5f;  // non-zero unless the pattern says otherwise
  const index_t rows = sh.k, cols = sh.c_per_group() * sh.r * sh.s;
  std::mt19937 gen(seed + 77);
  auto keep = [&](double d) { return std::bernoulli_distribution(d)(gen); };
  for (index_t k = 0; k < rows; ++k) {
    const index_t one = index_t(gen() % std::uint32_t(cols));
    std::vector<bool> block_keep;
    for (index_t j = 0; j < cols; ++j) {
      float& v = w[std::size_t(k * cols + j)];
      switch (p) {
        case pattern::empty: v = 0.0f; break;
        case pattern::single: if (j != one) v = 0.0f; break;
        case pattern::dense_rows: if (k % 2) v = 0.0f; break;
        case pattern::density_5: if (!keep(0.05)) v = 0.0f; break;
        case pattern::density_20: if (!keep(0.2)) v = 0.0f; break;
        case pattern::density_50: if (!keep(0.5)) v = 0.0f; break;
        case pattern::full: break;
        case pattern::blocks_4x1:
          // Column pattern of block k / 4 from a hash of (block, column).
          if ((((k / 4) * 2654435761u + std::uint32_t(j) * 40503u) >> 7) % 2) v = 0.0f;
          break;
      }
    }
  }
  return w;
}

/// Random valid shapes from a fixed seed: odd channels, odd sizes, strides, dilation, groups.
inline std::vector<named_shape> random_shapes(int count, std::uint32_t seed) {
  std::mt19937 gen(seed);
  auto pick = [&](int lo, int hi) { return index_t(std::uniform_int_distribution<int>(lo, hi)(gen)); };
  std::vector<named_shape> v;
  while (int(v.size()) < count) {
    const index_t groups = pick(0, 3) == 0 ? pick(2, 3) : 1;
    const index_t rs = pick(0, 2) == 0 ? 1 : pick(2, 4);
    conv2d_shape s = make_shape(pick(1, 2), groups * pick(1, 21), pick(1, 13), pick(1, 13),
                                groups * pick(1, 37), rs, pick(0, 1) ? rs : pick(1, 3), pick(1, 2), 0,
                                pick(0, 4) == 0 ? 2 : 1, groups);
    s.stride_w = pick(1, 2);
    s.pad_top = pick(0, 2); s.pad_left = pick(0, 2); s.pad_bottom = pick(0, 2); s.pad_right = pick(0, 2);
    if (!s.is_valid()) continue;
    v.push_back({"random" + std::to_string(v.size()), s});
  }
  return v;
}

/// Curated shapes plus shapes around the 32-pixel tile and the 4-row blocks.
inline std::vector<named_shape> sparse_shapes() {
  std::vector<named_shape> v = curated_shapes();
  v.push_back({"1x1_tiles", make_shape(1, 20, 9, 7, 36, 1, 1, 1, 0)});        // 63 pixels
  v.push_back({"1x1_exact", make_shape(2, 33, 8, 8, 12, 1, 1, 1, 0)});        // 2 full tiles
  v.push_back({"1x1_pad", make_shape(1, 17, 4, 3, 33, 1, 1, 1, 1)});
  v.push_back({"1x1_groups", make_shape(1, 12, 6, 7, 16, 1, 1, 1, 0, 1, 2)});
  v.push_back({"1x1_deep", make_shape(1, 300, 5, 5, 9, 1, 1, 1, 0)});         // uint16 columns
  v.push_back({"3x3_wide", make_shape(1, 8, 11, 21, 70, 3, 3, 1, 1)});       // NHWC k blocks
  v.push_back({"3x3_s2_many_tiles", make_shape(1, 6, 23, 19, 8, 3, 3, 2, 1)});
  for (auto& r : random_shapes(6, 2024)) v.push_back(r);
  return v;
}

inline std::vector<named_shape> sparse_pointwise_shapes() {
  std::vector<named_shape> v;
  for (auto& ns : sparse_shapes())
    if (ns.shape.r == 1 && ns.shape.s == 1) v.push_back(ns);
  return v;
}

/// One call against the fp64 oracle run densely on the same (pruned) weights.
template <class Conv>
void check_against_oracle(const conv2d_shape& sh, pattern p, int act, bool residual, std::uint32_t seed) {
  const auto r = oracle_run<Conv>(sh, sparse_weights(sh, p, seed), act, residual, seed);
  if (p == pattern::empty) {
    // No non-zeros: exactly act(bias + residual), as the scalar epilogue computes it.
    const tensor64 got = to_fp64(r.got.cview());
    bool exact = true;
    for (std::size_t i = 0; i < r.want.v.size(); ++i) exact = exact && std::abs(got.v[i] - r.want.v[i]) <= 1e-6;
    REQUIRE(exact);
  }
  REQUIRE(relative_l2_error(r.got.cview(), r.want) <= 1e-5);
}

/// Every sparsity pattern on every shape: 20% and 4x1 blocks with all six epilogues (three
/// activations, with and without residual), the other patterns with one epilogue each, in
/// rotation.
template <class Conv>
void check_shapes(const std::vector<named_shape>& shapes) {
  std::uint32_t seed = 11;
  int rotation = 0;
  for (const auto& [shape_name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (pattern p : all_patterns) {
      const bool all = p == pattern::density_20 || p == pattern::blocks_4x1;
      for (int e = 0; e < 6; ++e) {
        if (!all && e != rotation % 6) continue;
        const int act = e % 3;
        const bool residual = e >= 3;
        CAPTURE(shape_name, name(p), act, residual, to_string(sh));
        check_against_oracle<Conv>(sh, p, act, residual, ++seed);
      }
      ++rotation;
    }
  }
}

/// Output of one call with `threads` OpenMP threads.
template <class Conv>
std::vector<float> run_with_threads(const conv2d_shape& sh, pattern p, int threads) {
  using L = typename Conv::layout_type;
  const auto w = sparse_weights(sh, p, 5);
  const auto b = random_floats(std::size_t(sh.k), 6);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), 7, -2, 2);
  const auto res = random_floats(std::size_t(sh.output_dims().elements()), 8);
  conv2d_options opt;
  opt.act = activation::relu6;
  Conv conv(sh, w, b, opt);
  auto in = from_values<float, L>(sh.input_dims(), x);
  auto rt = from_values<float, L>(sh.output_dims(), res);
  tensor<float, L> out(sh.output_dims());
  with_threads(threads, [&] { conv(in.cview(), out.view(), rt.cview()); });
  return std::vector<float>(out.span().begin(), out.span().end());
}

/// Bitwise-identical output for 1, 2 and 3 threads.
template <class Conv>
void check_thread_independence(std::vector<named_shape> shapes) {
  // Shapes large enough to run in parallel (small images stay on one thread).
  shapes.push_back({"1x1_parallel", make_shape(1, 48, 23, 21, 40, 1, 1, 1, 0)});
  shapes.push_back({"3x3_parallel", make_shape(1, 24, 19, 17, 36, 3, 3, 1, 1)});
  for (const auto& [shape_name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (pattern p : {pattern::density_20, pattern::blocks_4x1}) {
      CAPTURE(shape_name, name(p));
      const auto one = run_with_threads<Conv>(sh, p, 1);
      for (int t : {2, 3}) {
        const auto many = run_with_threads<Conv>(sh, p, t);
        REQUIRE(one.size() == many.size());
        CHECK(std::memcmp(one.data(), many.data(), one.size() * sizeof(float)) == 0);
      }
    }
  }
}

/// weights: live bytes after construction equal footprint().weights and footprint_of(shape,
/// nnz); workspace: the peak during a call, through the default and the options' resource.
template <class Conv>
void check_footprint(const std::vector<named_shape>& shapes) {
  using L = typename Conv::layout_type;
  for (const auto& [shape_name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (pattern p : {pattern::empty, pattern::density_20, pattern::full}) {
      CAPTURE(shape_name, name(p), to_string(sh));
      const auto w = sparse_weights(sh, p, 3);
      index_t nnz = 0;
      for (float v : w) nnz += v != 0.0f;
      const auto in = from_values<float, L>(sh.input_dims(), random_floats(std::size_t(sh.input_dims().elements()), 4));
      tensor<float, L> out(sh.output_dims());
      CHECK(check_counted_footprint<Conv>(sh, w, in, out) == Conv::footprint_of(sh, nnz));
      check_workspace_resource<Conv>(sh, w, in, out);
    }
  }
}

/// The three checks for one algorithm in one layout.
template <class Conv>
void check_all(const std::vector<named_shape>& shapes) {
  check_shapes<Conv>(shapes);
  check_thread_independence<Conv>(shapes);
  check_footprint<Conv>(shapes);
}

}  // namespace dlas::testing
