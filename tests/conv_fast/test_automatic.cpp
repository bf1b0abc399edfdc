// SPDX-License-Identifier: Apache-2.0
// algo::automatic, fp32: the rule table's choices, and the chosen kernels against the oracle.
#include "conv_fast/check.hpp"

using namespace dlas;
using namespace dlas::testing;

TEST_CASE("automatic follows the rule table of docs/dispatch.md", "[conv_fast][automatic]") {
  using conv::auto_choice;
  const conv2d_shape pw = make_shape(1, 64, 56, 56, 256, 1, 1, 1, 0);
  const conv2d_shape c3 = make_shape(1, 64, 56, 56, 64, 3, 3, 1, 1);
  const conv2d_shape first = make_shape(1, 3, 224, 224, 64, 7, 7, 2, 3);
  const conv2d_shape dw = make_shape(1, 32, 28, 28, 32, 3, 3, 1, 1, 1, 32);
  CHECK(conv::choose_fp32<layout::nhwc>(pw) == auto_choice::pointwise);
  CHECK(conv::choose_fp32<layout::nchw>(pw) == auto_choice::pointwise);
  // Rule 4, Winograd: both layouts from 16 channels and 8x8 outputs (7x7 with AVX-512's
  // 16-lane transforms).
  const conv2d_shape c3_7x7 = make_shape(1, 512, 7, 7, 512, 3, 3, 1, 1);
  const conv2d_shape c3_6x6 = make_shape(1, 512, 6, 6, 512, 3, 3, 1, 1);
  const conv2d_shape c3_deep = make_shape(1, 256, 14, 14, 256, 3, 3, 1, 1);
  const conv2d_shape c3_stride2 = make_shape(1, 64, 56, 56, 64, 3, 3, 2, 1);
  const auto at_7x7 = conv::detail::wino_lanes >= 16 ? auto_choice::winograd : auto_choice::direct;
  CHECK(conv::choose_fp32<layout::nhwc>(c3) == auto_choice::winograd);
  CHECK(conv::choose_fp32<layout::nchw>(c3) == auto_choice::winograd);
  CHECK(conv::choose_fp32<layout::nchw>(c3_deep) == auto_choice::winograd);
  CHECK(conv::choose_fp32<layout::nhwc>(c3_7x7) == at_7x7);
  CHECK(conv::choose_fp32<layout::nchw>(c3_7x7) ==
        (at_7x7 == auto_choice::winograd ? auto_choice::winograd : auto_choice::spatial_pack));
  CHECK(conv::choose_fp32<layout::nhwc>(c3_6x6) == auto_choice::direct);
  CHECK(conv::choose_fp32<layout::nchw>(c3_6x6) == auto_choice::spatial_pack);
  CHECK(conv::choose_fp32<layout::nhwc>(c3_stride2) == auto_choice::direct);
  CHECK(conv::choose_fp32<layout::nhwc>(first) == auto_choice::spatial_pack);
#if DLAS_AUTOMATIC_HAS_DEPTHWISE
  CHECK(conv::choose_fp32<layout::nhwc>(dw) == auto_choice::depthwise);
#endif
  // int8 KxK layers: spatial_pack in NCHW, and in NHWC where its tile reads kernel-row runs and
  // finishes in registers (VNNI, one group, K of whole 32-channel panels); else im2col_gemm.
  const bool vnni = conv::detail::int8_gemm_conv<layout::nhwc, algo::spatial_pack>::spatial_pack_preferred(c3);
  CHECK(vnni == bool(DLAS_HAS_AVX512_VNNI));
  CHECK(conv::choose_int8<layout::nhwc>(pw) == auto_choice::pointwise);
  CHECK(conv::choose_int8<layout::nhwc>(c3) == (vnni ? auto_choice::spatial_pack : auto_choice::im2col_gemm));
  CHECK(conv::choose_int8<layout::nhwc>(first) == (vnni ? auto_choice::spatial_pack : auto_choice::im2col_gemm));
  CHECK(conv::choose_int8<layout::nchw>(c3) == auto_choice::spatial_pack);
  CHECK(conv::choose_int8<layout::nchw>(pw) == auto_choice::pointwise);
  CHECK(conv::choose_int8<layout::nhwc>(make_shape(1, 64, 14, 14, 48, 3, 3, 1, 1)) == auto_choice::im2col_gemm);
  CHECK(conv::choose_int8<layout::nhwc>(make_shape(1, 64, 14, 14, 64, 3, 3, 1, 1, 1, 2)) == auto_choice::im2col_gemm);
#if DLAS_AUTOMATIC_HAS_DEPTHWISE
  CHECK(conv::choose_int8<layout::nhwc>(dw) == auto_choice::depthwise);
#endif
  using f32 = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::automatic>;
  using winograd = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::winograd>;
  constexpr conv2d_shape c3k{.n = 1, .c = 64, .h = 56, .w = 56, .k = 64, .r = 3, .s = 3,
                             .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  static_assert(f32::footprint_of(c3k) == winograd::footprint_of(c3k), "a constant expression");
}

TEMPLATE_TEST_CASE("automatic fp32 matches the fp64 oracle", "[conv_fast][automatic]", layout::nchw,
                   layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::dense, algo::automatic>;
  check_shapes<conv>(curated_shapes());
  check_shapes<conv>(random_shapes(16, 77));
  check_thread_independence<conv>(curated_shapes());
  check_footprint<conv>(curated_shapes());
}
