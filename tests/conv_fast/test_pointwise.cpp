// SPDX-License-Identifier: Apache-2.0
// algo::pointwise, fp32, both layouts: oracle, threads, footprint, refusal of other kernels.
#include "conv_fast/check.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_TEST_CASE("pointwise fp32 matches the fp64 oracle", "[conv_fast][pointwise]", layout::nchw,
                   layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::dense, algo::pointwise>;
  check_shapes<conv>(pointwise_shapes());
  check_thread_independence<conv>(pointwise_shapes());
  check_footprint<conv>(pointwise_shapes());
}

TEST_CASE("pointwise refuses kernels other than 1x1", "[conv_fast][pointwise]") {
  using conv = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::pointwise>;
  const conv2d_shape sh = make_shape(1, 8, 9, 9, 16, 3, 3, 1, 1);
  CHECK_FALSE(conv::can_implement(sh).ok());
  const std::vector<float> w(std::size_t(sh.weight_elements()), 1.0f);
  REQUIRE_DLAS_ERROR(conv(sh, w), errc::unsupported, "algo::pointwise needs a 1x1 kernel");
}
