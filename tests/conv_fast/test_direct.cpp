// SPDX-License-Identifier: Apache-2.0
// algo::direct, fp32, both layouts: oracle on curated and random shapes with every epilogue,
// bitwise thread independence, exact footprint.
#include "conv_fast/check.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_TEST_CASE("direct fp32 matches the fp64 oracle", "[conv_fast][direct]", layout::nchw,
                   layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::dense, algo::direct>;
  check_shapes<conv>(curated_shapes());
  check_shapes<conv>(random_shapes(24, 2024));
  check_shapes<conv>(pointwise_shapes());
}

TEMPLATE_TEST_CASE("direct fp32 is bitwise independent of the thread count", "[conv_fast][direct]",
                   layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::dense, algo::direct>;
  std::vector<named_shape> shapes = curated_shapes();
  shapes.push_back({"deep_3x3", make_shape(1, 64, 9, 10, 40, 3, 3, 1, 1)});  // K in blocks
  check_thread_independence<conv>(shapes);
}

TEMPLATE_TEST_CASE("direct fp32 footprint is exact", "[conv_fast][direct]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::dense, algo::direct>;
  check_footprint<conv>(curated_shapes());
}
