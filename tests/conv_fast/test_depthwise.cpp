// SPDX-License-Identifier: Apache-2.0
// algo::depthwise fp32, NCHW and NHWC: fp64 oracle on depthwise shapes (curated and random),
// every epilogue, thread independence, exact footprint, and refusals.
#include <catch2/catch.hpp>

#include <random>

#include "check.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

/// Depthwise shapes around the SIMD width: channels 1..40 (not multiples of 8 or 16 too),
/// kernels 1..7, strides 1..3, dilation 1..3, asymmetric padding, batch up to 3, rows
/// shorter and longer than one NCHW segment.
std::vector<named_shape> depthwise_shapes() {
  std::vector<named_shape> v;
  for (const auto& ns : curated_shapes())
    if (ns.shape.is_depthwise()) v.push_back(ns);
  v.push_back({"dw_c1", make_shape(1, 1, 5, 6, 1, 3, 3, 1, 1, 1, 1)});
  v.push_back({"dw_c8_wide", make_shape(1, 8, 4, 70, 8, 3, 3, 1, 1, 1, 8)});
  v.push_back({"dw_c33_s2", make_shape(2, 33, 11, 37, 33, 3, 3, 2, 1, 1, 33)});
  v.push_back({"dw_5x5_d2", make_shape(1, 20, 13, 41, 20, 5, 5, 1, 4, 2, 20)});
  v.push_back({"dw_7x7_s3", make_shape(3, 9, 15, 16, 9, 7, 7, 3, 3, 1, 9)});
  v.push_back({"dw_1x1", make_shape(1, 24, 5, 5, 24, 1, 1, 1, 0, 1, 24)});
  v.push_back({"dw_3x1_rect", [] {
                 conv2d_shape s = make_shape(1, 16, 9, 40, 16, 3, 1, 1, 0, 1, 16);
                 s.pad_top = 2, s.pad_bottom = 0, s.stride_w = 2;
                 return s;
               }()});
  v.push_back({"dw_9x9_many_taps", make_shape(1, 11, 12, 12, 11, 9, 9, 1, 4, 1, 11)});
  // 3x3 stride 1 and 2 with whole 16-channel blocks and a tail: the NHWC row spans (blocks
  // of 8, 7, 4, 2 and 1 pixels, edge pixels among them), with and without padding, a dilated
  // column of taps, rows narrower than one span and rows whose taps are all padding.
  v.push_back({"dw_c37_span", make_shape(2, 37, 7, 29, 37, 3, 3, 1, 1, 1, 37)});
  v.push_back({"dw_c64_unpadded", make_shape(1, 64, 5, 21, 64, 3, 3, 1, 0, 1, 64)});
  v.push_back({"dw_c48_dil_h2", [] {
                 conv2d_shape s = make_shape(1, 48, 9, 14, 48, 3, 3, 1, 1, 1, 48);
                 s.dilation_h = 2;
                 s.pad_top = s.pad_bottom = 2;
                 return s;
               }()});
  v.push_back({"dw_c16_narrow", make_shape(1, 16, 4, 3, 16, 3, 3, 1, 1, 1, 16)});
  // Rows of 7 and 21 pixels (blocks of 7 with AVX-512 and NEON), the first with tail channels.
  v.push_back({"dw_c40_q7", make_shape(2, 40, 7, 7, 40, 3, 3, 1, 1, 1, 40)});
  v.push_back({"dw_c32_q21", make_shape(1, 32, 4, 21, 32, 3, 3, 1, 1, 1, 32)});
  v.push_back({"dw_c32_pad3", make_shape(1, 32, 5, 12, 32, 3, 3, 1, 3, 1, 32)});  // rows all padding
  // Stride 2: rows of narrow pixels take the spans (blocks of 4, 2 and 1), wide ones the pixel
  // pairs; SAME-style padding (right and bottom only) with tail channels.
  v.push_back({"dw_c64_s2", make_shape(1, 64, 16, 16, 64, 3, 3, 2, 1, 1, 64)});
  v.push_back({"dw_c48_s2_unpadded", make_shape(2, 48, 9, 18, 48, 3, 3, 2, 0, 1, 48)});
  v.push_back({"dw_c200_s2", make_shape(1, 200, 7, 9, 200, 3, 3, 2, 1, 1, 200)});
  // 2 KiB per tap of NHWC weights: packed one vector apart (dw_tap_stride).
  v.push_back({"dw_c512_taps_padded", make_shape(1, 512, 5, 6, 512, 3, 3, 1, 1, 1, 512)});
  v.push_back({"dw_c512_s2_taps_padded", make_shape(1, 512, 6, 7, 512, 3, 3, 2, 1, 1, 512)});
  v.push_back({"dw_c20_s2_same", [] {
                 conv2d_shape s = make_shape(1, 20, 10, 13, 20, 3, 3, 2, 0, 1, 20);
                 s.pad_bottom = s.pad_right = 1;
                 return s;
               }()});
  v.push_back({"dw_stride40_scalar_rows", [] {  // NCHW phase buffer too large: scalar rows
                 conv2d_shape s = make_shape(1, 3, 5, 100, 3, 3, 3, 1, 1, 1, 3);
                 s.stride_w = 40;
                 return s;
               }()});
  add_random_depthwise_shapes(v, 42, 2024);
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("depthwise fp32 matches the fp64 oracle", "[conv_fast][depthwise]", layout::nchw,
                   layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::depthwise>;
  const auto shapes = depthwise_shapes();
  std::size_t implemented = 0;
  for (const auto& ns : shapes) implemented += conv_type::can_implement(ns.shape).ok();
  CHECK(implemented == shapes.size());
  check_shapes<conv_type>(shapes);
}

TEMPLATE_TEST_CASE("depthwise fp32 is bitwise identical for any thread count",
                   "[conv_fast][depthwise][threads]", layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::depthwise>;
  check_thread_independence<conv_type>(
      {{"dw_c37", make_shape(2, 37, 13, 19, 37, 3, 3, 1, 1, 1, 37)},
       {"dw_s2", make_shape(1, 64, 16, 16, 64, 3, 3, 2, 1, 1, 64)}});
}

TEMPLATE_TEST_CASE("depthwise fp32 footprint is exact", "[conv_fast][depthwise][footprint]",
                   layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::depthwise>;
  check_footprint<conv_type>(depthwise_shapes());
  // NHWC packs R x S x (c rounded up to the SIMD width).
  const conv2d_shape sh = make_shape(1, 13, 6, 6, 13, 3, 3, 1, 1, 1, 13);
  const index_t lanes = index_t(xsimd::batch<float>::size);
  const index_t packed = std::is_same_v<TestType, layout::nhwc> ? 9 * ((13 + lanes - 1) / lanes * lanes)
                                                                : 13 * 9;
  CHECK(conv_type::footprint_of(sh).weights == (packed + 13) * index_t(sizeof(float)));
  CHECK(conv_type::workspace_bytes(sh) == 0);
  // 512 channels are 2 KiB per tap: NHWC pads each tap by one vector (dw_tap_stride).
  const conv2d_shape deep = make_shape(1, 512, 4, 4, 512, 3, 3, 1, 1, 1, 512);
  const index_t deep_packed = std::is_same_v<TestType, layout::nhwc> ? 9 * (512 + lanes) : 512 * 9;
  CHECK(conv_type::footprint_of(deep).weights == (deep_packed + 512) * index_t(sizeof(float)));
}

TEMPLATE_TEST_CASE("depthwise refuses shapes that are not depthwise", "[conv_fast][depthwise][errors]",
                   layout::nchw, layout::nhwc) {
  using conv_type = conv2d<TestType, precision::fp32, sparsity::dense, algo::depthwise>;
  const conv2d_shape dense = make_shape(1, 8, 6, 6, 8, 3, 3, 1, 1);
  const status st = conv_type::can_implement(dense);
  CHECK(!st.ok());
  CHECK(st.code() == errc::unsupported);
  CHECK_THAT(st.message(), Catch::Matchers::Contains("groups == c"));
  const std::vector<float> w(std::size_t(dense.weight_elements()), 0.5f);
  REQUIRE_DLAS_ERROR(conv_type(dense, w), errc::unsupported, "algo::depthwise needs groups == c");
  const conv2d_shape grouped = make_shape(1, 8, 6, 6, 8, 3, 3, 1, 1, 1, 4);
  REQUIRE_DLAS_ERROR(conv_type(grouped, std::vector<float>(std::size_t(grouped.weight_elements()))),
                     errc::unsupported, "got groups 4, c 8");
  const conv2d_shape multiplier = make_shape(1, 8, 6, 6, 16, 3, 3, 1, 1, 1, 8);
  REQUIRE_DLAS_ERROR(
      conv_type(multiplier, std::vector<float>(std::size_t(multiplier.weight_elements()))),
      errc::unsupported, "channel multiplier k/c = 2 is not supported");
}
