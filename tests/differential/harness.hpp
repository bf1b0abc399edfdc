// SPDX-License-Identifier: Apache-2.0
/// \file harness.hpp
/// \brief Randomized differential testing: random valid shapes, policies, epilogues and
/// thread counts, each compared with the test oracles; failures print a one-line reproduction.
///
/// Environment: DLAS_DIFF_CASES (cases per program, default 5000), DLAS_DIFF_SEED (default 1),
/// DLAS_DIFF_ONLY (run just that case index, as printed by a failure).
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dlas/conv2d.hpp"
#include "reference/check_fp16.hpp"
#include "reference/conv_int8.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"
#include "reference/winograd_route.hpp"

#if DLAS_HAS_OPENMP
#include <omp.h>
#endif

namespace dlas::testing::differential {

inline std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

/// One random case: everything that a failure needs to be reproduced comes from (seed, index).
struct case_spec {
  std::uint64_t index = 0;
  conv2d_shape shape;
  int act = 0;  ///< 0 none, 1 relu, 2 relu6
  bool residual = false;
  int threads = 1;
  std::uint32_t data_seed = 0;
  std::uint64_t pick = 0;  ///< chooses the combination and the int8 element types
};

/// A random valid shape that favours the cases kernels special-case: 1x1, 3x3 stride 1,
/// depthwise, plus strides, dilation, groups and asymmetric padding.
inline conv2d_shape random_shape(std::mt19937_64& gen) {
  auto pick = [&](int lo, int hi) { return index_t(std::uniform_int_distribution<int>(lo, hi)(gen)); };
  for (;;) {
    conv2d_shape s;
    const int kind = int(pick(0, 9));
    s.n = pick(0, 3) == 0 ? pick(2, 3) : 1;
    s.h = pick(1, 12);
    s.w = pick(1, 12);
    if (kind <= 2) {  // depthwise
      s.c = s.k = s.groups = pick(1, 24);
      s.r = s.s = pick(1, 2) * 2 + 1;
    } else {
      s.groups = pick(0, 4) == 0 ? pick(2, 3) : 1;
      s.c = s.groups * pick(1, 16);
      s.k = s.groups * pick(1, 20);
      s.r = kind <= 4 ? 1 : kind <= 7 ? 3 : pick(1, 7);
      s.s = kind <= 4 ? 1 : kind <= 7 ? 3 : pick(1, 7);
    }
    s.stride_h = kind == 5 || kind == 6 ? 1 : pick(1, 3);
    s.stride_w = kind == 5 || kind == 6 ? 1 : pick(1, 3);
    s.dilation_h = pick(0, 5) == 0 ? 2 : 1;
    s.dilation_w = pick(0, 5) == 0 ? 2 : 1;
    s.pad_top = pick(0, 2); s.pad_left = pick(0, 2); s.pad_bottom = pick(0, 2); s.pad_right = pick(0, 2);
    if (s.is_valid()) return s;
  }
}

inline case_spec make_case(std::uint64_t seed, std::uint64_t index) {
  std::mt19937_64 gen(seed * 0x9e3779b97f4a7c15ull + index);
  case_spec c;
  c.index = index;
  c.shape = random_shape(gen);
  c.act = int(gen() % 3);
  c.residual = gen() % 2 == 0;
  c.threads = int(gen() % 2) + 1;
  c.data_seed = std::uint32_t(gen());
  c.pick = gen();
  return c;
}

inline std::string describe(const std::string& combo, const case_spec& c) {
  return combo + " act=" + std::to_string(c.act) + " residual=" + std::to_string(c.residual) +
         " threads=" + std::to_string(c.threads) + " shape: " + to_string(c.shape) +
         "\n  reproduce: DLAS_DIFF_SEED=" + std::to_string(env_or("DLAS_DIFF_SEED", 1)) +
         " DLAS_DIFF_ONLY=" + std::to_string(c.index) + " " + Catch::getResultCapture().getCurrentTestName();
}

/// Runs f with c.threads OpenMP threads.
template <class F>
void with_threads(int threads, F&& f) {
#if DLAS_HAS_OPENMP
  const int old = omp_get_max_threads();
  omp_set_num_threads(threads);
  f();
  omp_set_num_threads(old);
#else
  (void)threads;
  f();
#endif
}

/// fp32 and fp16: compare with the fp64 oracle (fp16 on the half-rounded data, within the
/// stated bound; fp32 norm-wise, 1e-5, or 5e-5 for Winograd's transforms).
template <class Conv>
void check_float(const case_spec& c, const std::string& name) {
  using L = typename Conv::layout_type;
  using T = typename Conv::storage_type;
  constexpr bool half_storage = std::is_same_v<T, half>;
  const conv2d_shape& sh = c.shape;
  const bool sparse = Conv::sparsity_type::compressed;
  auto w = random_floats(std::size_t(sh.weight_elements()), c.data_seed, -1, 1, sparse ? 0.6 : 0.1);
  const auto b = random_floats(std::size_t(sh.k), c.data_seed + 1);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), c.data_seed + 2, -2, 2);
  const auto r = random_floats(std::size_t(sh.output_dims().elements()), c.data_seed + 3);
  const Conv conv(sh, w, b, {.act = to_activation(c.act)});
  const auto in = from_values<T, L>(sh.input_dims(), x);
  const auto res = from_values<T, L>(sh.output_dims(), r);
  tensor<T, L> out(sh.output_dims());
  with_threads(c.threads, [&] {
    if (c.residual) conv(in.cview(), out.view(), res.cview());
    else conv(in.cview(), out.view());
  });
  if constexpr (half_storage)
    for (float& v : w) v = float(half(v));
  const auto rview = res.cview();
  tensor64 mag;
  const tensor64 want = expected_output(sh, in.cview(), w, b, c.residual ? &rview : nullptr, c.act, &mag);
  INFO(describe(name, c));
  if constexpr (half_storage) {
    const tensor64 got = to_fp64(out.cview());
    std::size_t outside = 0;
    for (std::size_t i = 0; i < want.v.size(); ++i)
      outside += !(std::fabs(got.v[i] - want.v[i]) <= fp16_kernel_bound<Conv>(sh, mag.v[i], want.v[i]));
    REQUIRE(outside == 0);
  } else {
    const double bound = runs_winograd<Conv>(sh) ? 5e-5 : 1e-5;
    REQUIRE(relative_l2_error(out.cview(), want) <= bound);
  }
}

/// int8: exact against the int32 oracle, with input and output element types picked per case.
template <class Conv, class In, class Out>
void check_int8_as(const case_spec& c, const std::string& name) {
  using L = typename Conv::layout_type;
  const conv2d_shape& sh = c.shape;
  std::mt19937 gen(c.data_seed);
  const quant_params in_q{0.03f, std::int32_t(gen() % 256) + std::numeric_limits<In>::min()};
  std::optional<quant_params> out_q;
  if constexpr (!std::is_same_v<Out, float>)
    out_q = quant_params{0.04f + float(gen() % 100) * 1e-3f, std::int32_t(gen() % 256) + std::numeric_limits<Out>::min()};
  const bool sparse = Conv::sparsity_type::compressed;
  const auto w = random_floats(std::size_t(sh.weight_elements()), c.data_seed, -1, 1, sparse ? 0.6 : 0.1);
  const auto b = random_floats(std::size_t(sh.k), c.data_seed + 1, -2, 2);
  std::vector<float> codes(std::size_t(sh.input_dims().elements()));
  for (float& v : codes) v = float(std::int32_t(gen() % 256) + std::numeric_limits<In>::min());
  const Conv conv(sh, w, b, {.act = to_activation(c.act), .input_quant = in_q, .output_quant = out_q});
  const auto in = from_values<In, L>(sh.input_dims(), codes);
  tensor<Out, L> out(sh.output_dims());
  with_threads(c.threads, [&] { conv(in.cview(), out.view()); });
  const tensor64 want = conv_int8_oracle<Out>(sh, to_fp64(in.cview()), w, b, in_q, out_q, c.act);
  const tensor64 got = to_fp64(out.cview());
  INFO(describe(name, c));
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < want.v.size(); ++i) mismatches += got.v[i] != want.v[i];
  REQUIRE(mismatches == 0);
}

template <class Conv>
void check_int8(const case_spec& c, const std::string& name) {
  switch (c.pick % 4) {
    case 0: return check_int8_as<Conv, std::uint8_t, std::uint8_t>(c, name + " u8->u8");
    case 1: return check_int8_as<Conv, std::uint8_t, float>(c, name + " u8->f32");
    case 2: return check_int8_as<Conv, std::int8_t, std::int8_t>(c, name + " s8->s8");
    default: return check_int8_as<Conv, std::int8_t, float>(c, name + " s8->f32");
  }
}

/// One policy combination that exists: its name, its shape filter and its check.
struct combo {
  std::string name;
  status (*can_implement)(const conv2d_shape&);
  void (*check)(const case_spec&, const std::string&);
};

template <class L, class P, class S, class A>
void add_combo(std::vector<combo>& list) {
  if constexpr (conv::has_kernel<L, P, S, A>) {
    using conv_t = conv2d<L, P, S, A>;
    const std::string name = "conv2d<" + std::string(L::name) + "," + std::string(P::name) + "," +
                             std::string(S::name) + "," + std::string(A::name) + ">";
    if constexpr (P::quantized) list.push_back({name, &conv_t::can_implement, &check_int8<conv_t>});
    else list.push_back({name, &conv_t::can_implement, &check_float<conv_t>});
  }
}

/// Every algorithm tag, for both layouts, at precision P and sparsity S (those that exist).
template <class P, class S>
void add_all_algorithms(std::vector<combo>& list) {
  auto both = [&]<class A>() {
    add_combo<layout::nchw, P, S, A>(list);
    add_combo<layout::nhwc, P, S, A>(list);
  };
  both.template operator()<algo::reference>();
  both.template operator()<algo::direct>();
  both.template operator()<algo::im2col_gemm>();
  both.template operator()<algo::im2col_gemm_eigen>();
  both.template operator()<algo::spatial_pack>();
  both.template operator()<algo::pointwise>();
  both.template operator()<algo::depthwise>();
  both.template operator()<algo::winograd>();
  both.template operator()<algo::automatic>();
}

/// Runs DLAS_DIFF_CASES cases, each on a combination (among `combos`) that accepts the shape.
inline void run(const std::vector<combo>& combos, std::uint64_t default_cases) {
  const std::uint64_t seed = env_or("DLAS_DIFF_SEED", 1), count = env_or("DLAS_DIFF_CASES", default_cases);
  const std::uint64_t only = env_or("DLAS_DIFF_ONLY", ~std::uint64_t{0});
  std::uint64_t passed = 0;
  for (std::uint64_t i = 0; i < count; ++i) {
    if (only != ~std::uint64_t{0} && i != only) continue;
    const case_spec c = make_case(seed, i);
    std::vector<const combo*> able;
    for (const auto& cb : combos)
      if (cb.can_implement(c.shape).ok()) able.push_back(&cb);
    REQUIRE_FALSE(able.empty());  // algo::reference takes every valid shape
    const combo& chosen = *able[c.pick % able.size()];
    chosen.check(c, chosen.name);
    ++passed;
  }
  const std::uint64_t expected = only != ~std::uint64_t{0} ? 1 : count;
  CHECK(passed == expected);
}

}  // namespace dlas::testing::differential
