// SPDX-License-Identifier: Apache-2.0
// algo::winograd F(4x4, 3x3) fp32, NCHW and NHWC: fp64 oracle with a documented error bound
// (docs/winograd.md), every epilogue, thread independence, exact footprint, refusals.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "check.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

/// Relative L2 error bound of F(4x4, 3x3) in fp32 against the fp64 oracle; the measured
/// errors (docs/winograd.md) stay below a fifth of it.
constexpr double winograd_rel_l2_bound = 5e-5;

/// 3x3 stride-1 shapes: curated ones that apply, sizes that are not multiples of the 4x4
/// output tile, asymmetric and large padding, channel counts around the GEMM tile (6 x 16),
/// batch > 1, and random ones from a fixed seed.
std::vector<named_shape> winograd_shapes() {
  std::vector<named_shape> v;
  for (const auto& ns : curated_shapes())
    if (ns.shape.r == 3 && ns.shape.s == 3 && ns.shape.stride_h == 1 && ns.shape.stride_w == 1 &&
        ns.shape.dilation_h == 1 && ns.shape.groups == 1)
      v.push_back(ns);
  v.push_back({"wg_tiny", make_shape(1, 1, 3, 3, 1, 3, 3, 1, 0)});
  v.push_back({"wg_one_tile_pad", make_shape(1, 2, 1, 1, 3, 3, 3, 1, 1)});
  v.push_back({"wg_resnet_like", make_shape(1, 32, 14, 14, 32, 3, 3, 1, 1)});
  v.push_back({"wg_odd", make_shape(2, 19, 11, 13, 13, 3, 3, 1, 1)});
  v.push_back({"wg_pad2_asym", [] {
                 conv2d_shape s = make_shape(1, 7, 9, 10, 17, 3, 3, 1, 2);
                 s.pad_bottom = 0, s.pad_left = 1;
                 return s;
               }()});
  v.push_back({"wg_many_panels", make_shape(3, 5, 23, 21, 7, 3, 3, 1, 1)});
  std::mt19937 gen(4242);
  auto pick = [&](int lo, int hi) { return index_t(std::uniform_int_distribution<int>(lo, hi)(gen)); };
  while (v.size() < 30) {
    conv2d_shape s = make_shape(pick(1, 2), pick(1, 40), pick(1, 17), pick(1, 17), pick(1, 40), 3, 3,
                                1, 0);
    s.pad_top = pick(0, 2), s.pad_left = pick(0, 2), s.pad_bottom = pick(0, 2), s.pad_right = pick(0, 2);
    if (!s.is_valid()) continue;
    v.push_back({"wg_random" + std::to_string(v.size()), s});
  }
  return v;
}

template <class Conv>
double winograd_error(const conv2d_shape& sh, int act, bool residual, std::uint32_t seed) {
  const auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1);
  const auto r = oracle_run<Conv>(sh, w, act, residual, seed);
  return relative_l2_error(r.got.cview(), r.want);
}

}  // namespace

TEMPLATE_TEST_CASE("winograd fp32 matches the fp64 oracle within its bound", "[conv_fast][winograd]",
                   layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::winograd>;
  std::uint32_t seed = 100;
  double worst = 0;
  for (const auto& [name, sh] : winograd_shapes()) {
    REQUIRE(conv_type::can_implement(sh).ok());
    for (int act = 0; act < 3; ++act)
      for (bool residual : {false, true}) {
        CAPTURE(name, act, residual, to_string(sh));
        const double err = winograd_error<conv_type>(sh, act, residual, ++seed);
        worst = std::max(worst, err);
        CHECK(err <= winograd_rel_l2_bound);
      }
  }
  WARN("winograd " << TestType::name << ": worst relative L2 error " << worst);
}

TEMPLATE_TEST_CASE("winograd fp32 error on ResNet-50 3x3 layers", "[conv_fast][winograd][resnet]",
                   layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::winograd>;
  // ResNet-50's 3x3 layers with their input channels (the length of each sum), at reduced
  // spatial size and 32 output channels to stay fast; the error does not depend on k.
  for (const auto& [name, sh] :
       std::vector<named_shape>{{"res2_3x3", make_shape(1, 64, 12, 12, 32, 3, 3, 1, 1)},
                                {"res3_3x3", make_shape(1, 128, 10, 10, 32, 3, 3, 1, 1)},
                                {"res4_3x3", make_shape(1, 256, 8, 8, 32, 3, 3, 1, 1)},
                                {"res5_3x3", make_shape(1, 512, 7, 7, 32, 3, 3, 1, 1)}}) {
    const double err = winograd_error<conv_type>(sh, 0, false, 7);
    WARN("winograd " << TestType::name << " " << name << ": relative L2 error " << err);
    CHECK(err <= winograd_rel_l2_bound);
  }
}

TEMPLATE_TEST_CASE("winograd fp32 is bitwise identical for any thread count",
                   "[conv_fast][winograd][threads]", layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::winograd>;
  check_thread_independence<conv_type>({{"wg_t1", make_shape(2, 13, 15, 17, 22, 3, 3, 1, 1)},
                                        {"wg_t2", make_shape(1, 40, 9, 9, 40, 3, 3, 1, 0)}});
}

TEMPLATE_TEST_CASE("winograd fp32 footprint is exact", "[conv_fast][winograd][footprint]",
                   layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::winograd>;
  check_footprint<conv_type>(winograd_shapes());
  const conv2d_shape sh = make_shape(1, 8, 10, 10, 4, 3, 3, 1, 1);
  // 36 transformed 8 x 4 matrices packed in 16-wide panels, 4 biases; 9 tiles in one chunk.
  const index_t nr = conv::detail::wino_nr;
  CHECK(conv_type::footprint_of(sh).weights == (36 * 8 * nr + 4) * index_t(sizeof(float)));
  // NCHW adds the image in NHWC, in (8 x 10 x 10) and out (4 x 10 x 10).
  const index_t nhwc_copies = std::is_same_v<TestType, layout::nchw> ? (8 + 4) * 100 : 0;
  CHECK(conv_type::workspace_bytes(sh) == (36 * 9 * (8 + 4) + nhwc_copies) * index_t(sizeof(float)));
}

TEMPLATE_TEST_CASE("winograd refuses what it does not implement", "[conv_fast][winograd][errors]",
                   layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::winograd>;
  auto refuse = [](const conv2d_shape& sh, const char* text) {
    CAPTURE(to_string(sh));
    const status st = conv_type::can_implement(sh);
    CHECK(!st.ok());
    CHECK(st.code() == errc::unsupported);
    CHECK_THAT(st.message(), Catch::Matchers::Contains(text));
    REQUIRE_DLAS_ERROR(conv_type(sh, std::vector<float>(std::size_t(sh.weight_elements()))),
                       errc::unsupported, text);
  };
  refuse(make_shape(1, 4, 8, 8, 4, 5, 5, 1, 2), "3x3 kernels only; got 5x5");
  refuse(make_shape(1, 4, 8, 8, 4, 3, 3, 2, 1), "needs stride 1; got 2x2");
  refuse(make_shape(1, 4, 8, 8, 4, 3, 3, 1, 2, 2), "needs dilation 1; got 2x2");
  refuse(make_shape(1, 4, 8, 8, 4, 3, 3, 1, 1, 1, 2), "groups = 1 only; got groups 2");
}
