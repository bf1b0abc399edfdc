// SPDX-License-Identifier: Apache-2.0
// fp16 storage for depthwise, winograd and automatic, one layout per program (DLAS_TEST_LAYOUT,
// so the two build in parallel): each output within the stated fp16 bound of the fp64 oracle,
// every epilogue, thread independence, exact footprint at half the fp32 bytes.
#include "conv_fast/check_fp16.hpp"

using namespace dlas;
using namespace dlas::testing;

#ifndef DLAS_TEST_LAYOUT
#define DLAS_TEST_LAYOUT nhwc
#endif
using test_layout = layout::DLAS_TEST_LAYOUT;

namespace {

std::vector<named_shape> depthwise_fp16_shapes() {
  std::vector<named_shape> v;
  for (const auto& ns : curated_shapes())
    if (ns.shape.is_depthwise()) v.push_back(ns);
  v.push_back({"dw_c33_s2_batch2", make_shape(2, 33, 11, 37, 33, 3, 3, 2, 1, 1, 33)});
  v.push_back({"dw_5x5_d2", make_shape(1, 20, 13, 41, 20, 5, 5, 1, 4, 2, 20)});
  v.push_back({"dw_7x7_s3", make_shape(3, 9, 15, 16, 9, 7, 7, 3, 3, 1, 9)});
  v.push_back({"dw_1x1", make_shape(1, 24, 5, 5, 24, 1, 1, 1, 0, 1, 24)});
  v.push_back({"dw_9x9_many_taps", make_shape(1, 11, 12, 12, 11, 9, 9, 1, 4, 1, 11)});
  v.push_back({"dw_c8_wide", make_shape(1, 8, 4, 70, 8, 3, 3, 1, 1, 1, 8)});
  v.push_back({"dw_c37_span", make_shape(2, 37, 7, 29, 37, 3, 3, 1, 1, 1, 37)});  // NHWC row spans
  v.push_back({"dw_c64_s2_span", make_shape(1, 64, 9, 11, 64, 3, 3, 2, 1, 1, 64)});  // and stride 2
  v.push_back({"dw_c512_taps_padded", make_shape(1, 512, 4, 5, 512, 3, 3, 1, 1, 1, 512)});
  v.push_back({"dw_stride40_scalar_rows", [] {
                 conv2d_shape s = make_shape(1, 3, 5, 100, 3, 3, 3, 1, 1, 1, 3);
                 s.stride_w = 40;
                 return s;
               }()});
  return v;
}

std::vector<named_shape> winograd_fp16_shapes() {
  std::vector<named_shape> v;
  for (const auto& ns : curated_shapes()) v.push_back(ns);
  v.push_back({"wino_c40_k21", make_shape(2, 40, 13, 11, 21, 3, 3, 1, 1)});
  v.push_back({"wino_unpadded", make_shape(1, 9, 10, 14, 17, 3, 3, 1, 0)});
  return v;
}

}  // namespace

TEST_CASE("fp16 depthwise stays within the fp16 bound", "[conv_fast][fp16]") {
  using TestType = test_layout;
  check_fp16_kernel<conv2d<TestType, precision::fp16, sparsity::dense, algo::depthwise>,
                    conv2d<TestType, precision::fp32, sparsity::dense, algo::depthwise>>(
      depthwise_fp16_shapes());
}

TEST_CASE("fp16 winograd stays within its stated bound", "[conv_fast][fp16]") {
  using TestType = test_layout;
  check_fp16_kernel<conv2d<TestType, precision::fp16, sparsity::dense, algo::winograd>,
                    conv2d<TestType, precision::fp32, sparsity::dense, algo::winograd>>(
      winograd_fp16_shapes());
}

TEST_CASE("fp16 automatic stays within the fp16 bound", "[conv_fast][fp16]") {
  using TestType = test_layout;
  check_fp16_kernel<conv2d<TestType, precision::fp16, sparsity::dense, algo::automatic>,
                    conv2d<TestType, precision::fp32, sparsity::dense, algo::automatic>>(fp16_shapes());
}
