// SPDX-License-Identifier: Apache-2.0
// fp16 storage for the GEMM-based algorithms (pointwise, direct, im2col_gemm, spatial_pack),
// one layout per program (DLAS_TEST_LAYOUT, so the two build in parallel): each output within the fp16 bound of the fp64 oracle, every epilogue,
// thread independence, exact footprint at half the fp32 bytes.
#include "conv_fast/check_fp16.hpp"

using namespace dlas;
using namespace dlas::testing;

#ifndef DLAS_TEST_LAYOUT
#define DLAS_TEST_LAYOUT nhwc
#endif
using test_layout = layout::DLAS_TEST_LAYOUT;

TEMPLATE_TEST_CASE("GEMM-based fp16 kernels stay within the fp16 bound", "[conv_fast][fp16]",
                   algo::pointwise, algo::direct, algo::im2col_gemm, algo::spatial_pack) {
  check_fp16_kernel<conv2d<test_layout, precision::fp16, sparsity::dense, TestType>,
                    conv2d<test_layout, precision::fp32, sparsity::dense, TestType>>(fp16_shapes());
}

TEST_CASE("fp16 rounds a K-blocked sum once", "[conv_fast][fp16]") {
  // kdim 600 > one K block: partial sums must stay fp32 (a half partial sum would lose
  // about 3 decimal digits and break the bound).
  const std::vector<named_shape> deep{{"deep_1x1", make_shape(1, 600, 3, 4, 20, 1, 1, 1, 0)},
                                      {"deep_3x3", make_shape(1, 70, 5, 5, 18, 3, 3, 1, 1)}};
  check_fp16_shapes<conv2d<test_layout, precision::fp16, sparsity::dense, algo::im2col_gemm>>(deep);
  check_fp16_shapes<conv2d<test_layout, precision::fp16, sparsity::dense, algo::direct>>(deep);
  check_fp16_shapes<conv2d<test_layout, precision::fp16, sparsity::dense, algo::spatial_pack>>(deep);
  // 12 and 1 pixels (2 and 1 row tiles: B widened in registers), 9 pixels of a stride 2.
  const std::vector<named_shape> deep_1x1{deep[0], {"deep_fc", make_shape(2, 300, 1, 1, 40, 1, 1, 1, 0)},
                                          {"deep_1x1_s2", make_shape(2, 300, 5, 6, 40, 1, 1, 2, 0)}};
  check_fp16_shapes<conv2d<test_layout, precision::fp16, sparsity::dense, algo::pointwise>>(deep_1x1);
}
