// SPDX-License-Identifier: Apache-2.0
// algo::im2col_gemm_eigen (Eigen's GEMM backend), fp32, both layouts.
#include "conv_fast/check.hpp"
#include "dlas/conv/im2col_gemm_eigen.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_TEST_CASE("im2col_gemm_eigen fp32 matches the fp64 oracle", "[conv_fast][eigen]",
                   layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::dense, algo::im2col_gemm_eigen>;
  check_shapes<conv>(curated_shapes());
  check_shapes<conv>(random_shapes(12, 99));
  check_thread_independence<conv>(curated_shapes());
  check_footprint<conv>(curated_shapes());
}
