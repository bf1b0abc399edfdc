// SPDX-License-Identifier: Apache-2.0
// int8 pointwise, im2col_gemm, direct, spatial_pack and automatic, NCHW and NHWC: bit-exact against algo::reference and the
// int32 oracle on the odd shapes, every input/output type, zero point and epilogue, and on
// adversarial data that would saturate a plain vpmaddubsw (all 255 against all +127 / -127
// weights, long reductions); exact footprint; refusal of -128 weight codes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include "conv_fast/check.hpp"
#include "reference/check_int8.hpp"

using namespace dlas;
using namespace dlas::testing;

/// The int8 kernels built on int8_gemm_conv; every test below runs each of them.
#define DLAS_TEST_INT8_ALGORITHMS algo::pointwise, algo::im2col_gemm, algo::direct, algo::spatial_pack

namespace {

/// Inputs at the extremes of the code range against weights that all quantise to +127 or
/// -127: every product of a plain u8 x s8 vpmaddubsw pair would be 2 * 255 * 127 and
/// saturate. Depths up to 4608.
template <class L, class A>
void check_adversarial() {
  check_int8_extremes<conv2d<L, precision::int8, sparsity::dense, A>>({
      {"1x1_c2048", make_shape(1, 2048, 2, 3, 24, 1, 1, 1, 0)},
      {"3x3_c512", make_shape(1, 512, 3, 3, 17, 3, 3, 1, 1)},
      {"1x1_c7", make_shape(1, 7, 3, 5, 9, 1, 1, 1, 0)},
  });
}

/// Shapes whose taps spatial_pack reads in runs from its padded image and, in NHWC on the
/// VNNI path, finishes in registers (K of whole 32-channel panels, one group, no dilation): every padding side, strides 1-3,
/// batch 2, a kernel wider than tall, no padding at all, and kernel rows of S * C bytes that
/// are not whole depth steps.
std::vector<named_shape> padded_image_shapes() {
  conv2d_shape asym = make_shape(2, 12, 9, 10, 32, 3, 3, 2, 0);
  asym.pad_top = 2, asym.pad_left = 1, asym.pad_bottom = 0, asym.pad_right = 3;
  conv2d_shape wide = make_shape(1, 4, 6, 11, 64, 3, 5, 1, 1);
  wide.pad_left = wide.pad_right = 2;
  conv2d_shape strided = make_shape(1, 8, 13, 12, 32, 3, 3, 3, 1);
  strided.stride_h = 2;
  return {
      {"3x3_c64_k64_p1", make_shape(1, 64, 7, 7, 64, 3, 3, 1, 1)},
      // Tap regions: border columns split off bands of 4+ rows, two border columns per side
      // (5x5, pad 2), output rows whose taps all lie in the padding (pad 3).
      {"3x3_c16_14x14_p1", make_shape(1, 16, 14, 14, 32, 3, 3, 1, 1)},
      {"5x5_c8_p2_batch2", make_shape(2, 8, 9, 10, 32, 5, 5, 1, 2)},
      {"3x3_c4_p3", make_shape(1, 4, 5, 6, 32, 3, 3, 1, 3)},
      {"3x3_c8_k32_p0_batch2", make_shape(2, 8, 6, 9, 32, 3, 3, 1, 0)},
      {"3x3_asym_pad_s2", asym},
      {"3x5_pad2", wide},
      {"3x3_stride3x2", strided},
      // S * C not whole depth steps: runs padded to 4 bytes, the last one read past the image.
      {"7x7_c3_s2_p3_stem", make_shape(1, 3, 23, 21, 32, 7, 7, 2, 3)},
      {"3x3_c3_p0_batch2", make_shape(2, 3, 7, 6, 64, 3, 3, 1, 0)},
      {"5x3_c5_s2_p1", make_shape(1, 5, 11, 9, 32, 5, 3, 2, 1)},
      {"3x3_c6_p1", make_shape(1, 6, 5, 8, 32, 3, 3, 1, 1)},
  };
}

/// NHWC pointwise shapes read from the input in place at a stride (C a multiple of 4).
std::vector<named_shape> strided_pointwise_shapes() {
  conv2d_shape s32 = make_shape(1, 12, 11, 9, 48, 1, 1, 3, 0);
  s32.stride_w = 2;
  return {{"1x1_s2_c16_batch2", make_shape(2, 16, 9, 8, 32, 1, 1, 2, 0)}, {"1x1_s3x2_c12", s32}};
}

/// NHWC 1x1 shapes with short reductions whose full panels run in chunks per tile (72 panels in
/// 8 groups of 9: a chunk of 8 and one of 1; two convolution groups of 3 panels; a last panel
/// of 16 channels after the chunks), and shapes whose tiles take 7 rows.
std::vector<named_shape> panel_chunk_shapes() {
  return {{"1x1_c32_k2304", make_shape(1, 32, 4, 4, 2304, 1, 1, 1, 0)},
          {"1x1_c128_k192_groups2", make_shape(1, 128, 8, 9, 192, 1, 1, 1, 0, 1, 2)},
          {"1x1_c32_k80_batch2", make_shape(2, 32, 17, 16, 80, 1, 1, 1, 0)},
          // Tiles of 7 and 8 rows where 8 would leave a short last one: 49 pixels in seven of
          // 7, 196 in 21 of 8 and 4 of 7, 50 in one of 8 and six of 7.
          {"1x1_c64_k64_7x7", make_shape(1, 64, 7, 7, 64, 1, 1, 1, 0)},
          {"1x1_c32_k96_14x14_batch2", make_shape(2, 32, 14, 14, 96, 1, 1, 1, 0)},
          {"1x1_c16_k32_5x10", make_shape(1, 16, 5, 10, 32, 1, 1, 1, 0)},
          // Tap regions with tiles of 7 rows: the 5x5 interior of a 7x7 output (7, 6, 6, 6).
          {"3x3_c8_k32_7x7_p1", make_shape(1, 8, 7, 7, 32, 3, 3, 1, 1)}};
}

/// Shapes that direct and spatial_pack read tap by tap: groups whose channels are whole depth
/// steps (which direct reads in place from uint8 NHWC codes on the VNNI path) or not, dilation
/// with padding and stride, and a padding wider than the dilated kernel's reach.
std::vector<named_shape> tap_shapes() {
  conv2d_shape dilated = make_shape(2, 4, 11, 10, 32, 3, 3, 2, 2, 2);
  dilated.dilation_w = 3;
  return {{"3x3_groups2_c16_p1", make_shape(1, 16, 7, 6, 64, 3, 3, 1, 1, 1, 2)},
          {"3x3_groups4_c12_k20_s2", make_shape(1, 12, 9, 9, 20, 3, 3, 2, 1, 1, 4)},
          {"3x3_dilation2x3_s2_batch2", dilated},
          {"1x1_c8_p2", make_shape(1, 8, 3, 4, 32, 1, 1, 1, 2)}};
}

std::vector<named_shape> int8_shapes() {
  std::vector<named_shape> v = curated_shapes();
  for (const auto& ns : tap_shapes()) v.push_back(ns);
  for (const auto& ns : padded_image_shapes()) v.push_back(ns);
  for (const auto& ns : strided_pointwise_shapes()) v.push_back(ns);
  for (const auto& ns : panel_chunk_shapes()) v.push_back(ns);
  for (const auto& ns : pointwise_shapes()) v.push_back(ns);
  for (const auto& ns : random_shapes(10, 808)) v.push_back(ns);
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("int8 GEMM-based kernels are bit-exact with the reference", "[conv_fast][int8]",
                   DLAS_TEST_INT8_ALGORITHMS) {
  SECTION("nchw") { check_int8_random<conv2d<layout::nchw, precision::int8, sparsity::dense, TestType>>(int8_shapes()); }
  SECTION("nhwc") { check_int8_random<conv2d<layout::nhwc, precision::int8, sparsity::dense, TestType>>(int8_shapes()); }
}

TEMPLATE_TEST_CASE("int8 automatic picks its kernel and stays bit-exact",
                   "[conv_fast][int8]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::int8, sparsity::dense, algo::automatic>;
  const std::vector<float> w(16 * 8 * 9, 0.5f);
  conv2d_options opt;
  opt.output_quant = quant_params{0.1f, 0};  // 8-bit output, as footprint_of assumes
  const conv c3(make_shape(1, 8, 5, 5, 16, 3, 3, 1, 1), w, {}, opt);
  CHECK(c3.footprint() == conv::footprint_of(make_shape(1, 8, 5, 5, 16, 3, 3, 1, 1)));
  check_int8_random<conv>(curated_shapes());
}

TEMPLATE_TEST_CASE("int8 NHWC panels with a channel shifted by 32 stay bit-exact", "[conv_fast][int8]",
                   DLAS_TEST_INT8_ALGORITHMS) {
  // The last channel's weights are 100 times the others' (scale 100/127), so its
  // requantisation multiplier is 0.4 * 100/127 = 0.31: shift 32. The single-precision finish
  // takes it (kernel::i8_row_requantizer32::in_float); where the sums can pass 2^24 (channel
  // 1's weights all positive, over a depth of 640 or 576) the integer finish runs, and the
  // assembly tile's declines a shift of 32 (rounds_high): that panel takes the intrinsics
  // tile, the other panels of the same tile row keep the assembly tile. Channel 37 is all
  // zeros, as structured pruning leaves it (the largest scale of the others).
  using conv = conv2d<layout::nhwc, precision::int8, sparsity::dense, TestType>;
  const std::vector<named_shape> shapes = {
      {"1x1_c64_k96_batch2", make_shape(2, 64, 7, 9, 96, 1, 1, 1, 0)},
      {"1x1_c32_k160", make_shape(1, 32, 4, 6, 160, 1, 1, 1, 0)},
      {"3x3_c16_k64_p1", make_shape(1, 16, 14, 14, 64, 3, 3, 1, 1)},
      {"3x3_c8_k64_p0", make_shape(1, 8, 9, 11, 64, 3, 3, 1, 0)},
      {"1x1_c640_k64_deep", make_shape(1, 640, 3, 5, 64, 1, 1, 1, 0)},
      {"3x3_c64_k64_p1_deep", make_shape(1, 64, 9, 8, 64, 3, 3, 1, 1)},
  };
  std::mt19937 gen(77);
  for (const auto& [name, sh] : shapes) {
    if (!conv::can_implement(sh).ok()) continue;
    auto w = random_floats(std::size_t(sh.weight_elements()), gen(), -1, 1, 0.1);
    const index_t per_channel = sh.weight_elements() / sh.k;
    std::fill(w.begin() + 37 * per_channel, w.begin() + 38 * per_channel, 0.0f);
    std::transform(w.begin() + per_channel, w.begin() + 2 * per_channel, w.begin() + per_channel,
                   [](float v) { return 0.9f + 0.1f * std::fabs(v); });
    const auto last = w.begin() + (sh.k - 1) * per_channel;
    std::transform(last, w.end(), last, [](float v) { return 100.0f * v; });
    *last = 100.0f;
    const auto b = random_floats(std::size_t(sh.k), gen(), -2, 2);
    std::vector<float> codes(std::size_t(sh.input_dims().elements()));
    for (float& v : codes) v = float(gen() % 256);
    for (int act = 0; act < 3; ++act) {
      CAPTURE(name, act);
      check_int8_exact<conv, std::uint8_t, std::uint8_t>(sh, codes, w, b, {0.02f, 128}, quant_params{0.05f, 100},
                                                         act, false);
      check_int8_exact<conv, std::uint8_t, std::int8_t>(sh, codes, w, b, {0.02f, 3}, quant_params{0.05f, -20},
                                                        act, false);
    }
  }
}

TEMPLATE_TEST_CASE("int8 kernels never saturate on adversarial data", "[conv_fast][int8]",
                   DLAS_TEST_INT8_ALGORITHMS) {
  SECTION("nchw") { check_adversarial<layout::nchw, TestType>(); }
  SECTION("nhwc") { check_adversarial<layout::nhwc, TestType>(); }
}

namespace {

/// Counted weights and workspace equal footprint() for uint8 codes and workspace_bytes<int8_t>
/// for int8 codes (NHWC pointwise reads one of them in place, gathers the other).
template <class Layout, class Algorithm>
void check_int8_footprint() {
  using conv = conv2d<Layout, precision::int8, sparsity::dense, Algorithm>;
  for (const auto& [name, sh] : int8_shapes()) {
    if (!conv::can_implement(sh).ok()) continue;
    CAPTURE(name);
    const auto w = random_floats(std::size_t(sh.weight_elements()), 3, -1, 1);
    std::vector<float> codes(std::size_t(sh.input_dims().elements()), 7.0f);
    const auto in = from_values<std::uint8_t, Layout>(sh.input_dims(), codes);
    const auto in_s8 = from_values<std::int8_t, Layout>(sh.input_dims(), codes);
    tensor<std::uint8_t, Layout> out(sh.output_dims());
    conv2d_options opt;
    opt.output_quant = quant_params{0.1f, 0};
    const footprint f = check_counted_footprint<conv>(sh, w, in, out, opt);
    CHECK(f.weights == conv::footprint_of(sh).weights);
    CHECK(f.input == sh.input_dims().elements());
    check_counted_footprint<conv>(sh, w, in_s8, out, opt);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("int8 footprint is exact", "[conv_fast][int8]", DLAS_TEST_INT8_ALGORITHMS) {
  SECTION("nchw") { check_int8_footprint<layout::nchw, TestType>(); }
  SECTION("nhwc") { check_int8_footprint<layout::nhwc, TestType>(); }
}
