// SPDX-License-Identifier: Apache-2.0
// algo::depthwise int8, NCHW and NHWC: bit-exact against algo::reference and the int32 oracle on
// depthwise shapes (kernels 1x1 to 9x9, strides, dilation, padding, channels around the SIMD
// block, batch 2), every input/output type, zero point and epilogue; extreme codes and
// weights; automatic's choice; thread independence; exact footprint; refusals.
#include <catch2/catch.hpp>

#include <cstring>
#include <optional>
#include <random>
#include <vector>

#include "reference/check_footprint.hpp"
#include "reference/check_int8.hpp"
#include "reference/errors.hpp"
#include "reference/shapes.hpp"
#include "reference/threads.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

template <class L>
using dw8 = conv2d<L, precision::int8, sparsity::dense, algo::depthwise>;

/// A depthwise shape: c channels, h x w input, an r x s kernel.
conv2d_shape dw_shape(index_t n, index_t c, index_t h, index_t w, index_t r, index_t s, index_t stride,
                      index_t pad, index_t dilation = 1) {
  conv2d_shape sh = make_shape(n, c, h, w, c, r, s, stride, pad, dilation, c);
  sh.s = s;
  return sh;
}

std::vector<named_shape> dw8_shapes() {
  std::vector<named_shape> v{
      {"3x3_s1_c17", dw_shape(1, 17, 9, 11, 3, 3, 1, 1)},
      {"3x3_s2_c33_n2", dw_shape(2, 33, 12, 13, 3, 3, 2, 1)},
      {"3x3_s1_c96", dw_shape(1, 96, 7, 40, 3, 3, 1, 1)},
      {"3x3_s2_c96", dw_shape(1, 96, 14, 14, 3, 3, 2, 1)},
      {"5x5_c3", dw_shape(1, 3, 10, 37, 5, 5, 1, 2)},
      {"5x5_s2_c33", dw_shape(1, 33, 11, 9, 5, 5, 2, 2)},
      {"7x7_c17", dw_shape(1, 17, 12, 12, 7, 7, 1, 3)},
      {"7x7_s2_c16", dw_shape(2, 16, 15, 70, 7, 7, 2, 3)},
      {"1x1_c33", dw_shape(1, 33, 5, 6, 1, 1, 1, 0)},
      {"1x1_s2_c96", dw_shape(1, 96, 6, 7, 1, 1, 2, 0)},
      {"c1", dw_shape(1, 1, 6, 35, 3, 3, 1, 1)},
      {"c3_n2", dw_shape(2, 3, 8, 8, 3, 3, 1, 1)},
      {"dilation2_c33", dw_shape(1, 33, 13, 41, 3, 3, 1, 2, 2)},
      {"5x5_d2_s2_c20", dw_shape(2, 20, 13, 17, 5, 5, 2, 4, 2)},
      {"9x9_many_taps_c17", dw_shape(1, 17, 12, 12, 9, 9, 1, 4)},
      // Whole 64- and 32-channel blocks (four taps per vpdpbusd with AVX-512 VNNI) and tails.
      {"5x5_s2_c130", dw_shape(1, 130, 9, 11, 5, 5, 2, 2)},
      {"7x7_c64_n2", dw_shape(2, 64, 9, 9, 7, 7, 1, 3)},
      {"1x1_c64", dw_shape(1, 64, 4, 5, 1, 1, 1, 0)},
      {"dilation2_c192", dw_shape(1, 192, 9, 10, 3, 3, 1, 2, 2)},
      {"9x9_c64_scalar", dw_shape(1, 64, 10, 10, 9, 9, 1, 4)},
      {"3x3_c48", dw_shape(1, 48, 7, 9, 3, 3, 1, 1)},  // a 32-channel block and 16 more
      // 32 channels at stride 1: pairs of inner pixels as one 64-channel block (an odd count
      // of them per row, borders and padded rows reading the zero-point row), and not at stride 2.
      {"3x3_c32_pairs", dw_shape(1, 32, 9, 13, 3, 3, 1, 1)},
      {"5x5_c32_d2_n2", dw_shape(2, 32, 11, 10, 5, 5, 1, 4, 2)},
      {"3x3_c32_nopad", dw_shape(1, 32, 6, 8, 3, 3, 1, 0)},
      {"3x3_s2_c32", dw_shape(1, 32, 10, 10, 3, 3, 2, 1)},
      {"rect_3x1", [] {
         conv2d_shape s = make_shape(1, 16, 9, 40, 16, 3, 1, 1, 0, 1, 16);
         s.pad_top = 2, s.pad_bottom = 0, s.stride_w = 2;
         return s;
       }()},
      {"asym_pad", [] {
         conv2d_shape s = dw_shape(1, 19, 7, 9, 3, 3, 1, 0);
         s.pad_top = 0, s.pad_left = 2, s.pad_bottom = 1, s.pad_right = 0;
         return s;
       }()},
      {"wide_stride_scalar_rows", [] {  // NCHW row copies too large for the stack: scalar rows
         conv2d_shape s = dw_shape(1, 3, 5, 3000, 3, 3, 1, 1);
         s.stride_w = 40;
         return s;
       }()},
  };
  add_random_depthwise_shapes(v, 44, 808);  // 28 above, 16 random
  return v;
}

/// The uint8 output of `sh` with `threads` threads (all threads without OpenMP).
template <class Conv>
std::vector<std::uint8_t> run_with_threads(const conv2d_shape& sh, int threads) {
  using L = typename Conv::layout_type;
  conv2d_options opt;
  opt.act = activation::relu;
  opt.input_quant = {0.03f, 120};
  opt.output_quant = quant_params{0.05f, 7};
  const Conv conv(sh, random_floats(std::size_t(sh.weight_elements()), 5, -1, 1),
                  random_floats(std::size_t(sh.k), 6), opt);
  std::vector<float> codes(std::size_t(sh.input_dims().elements()));
  std::mt19937 gen(7);
  for (float& v : codes) v = float(gen() % 256);
  const auto in = from_values<std::uint8_t, L>(sh.input_dims(), codes);
  tensor<std::uint8_t, L> out(sh.output_dims());
  with_threads(threads, [&] { conv(in.cview(), out.view()); });
  return {out.span().begin(), out.span().end()};
}

}  // namespace

TEMPLATE_TEST_CASE("depthwise int8 is bit-exact with the reference", "[conv_fast][depthwise][int8]",
                   layout::nchw, layout::nhwc) {
  const auto shapes = dw8_shapes();
  for (const auto& ns : shapes) CHECK(dw8<TestType>::can_implement(ns.shape).ok());
  check_int8_random<dw8<TestType>>(shapes);
}

TEMPLATE_TEST_CASE("depthwise int8 is exact at the extremes of codes and weights",
                   "[conv_fast][depthwise][int8]", layout::nchw, layout::nhwc) {
  check_int8_extremes<dw8<TestType>>({{"7x7_c33", dw_shape(1, 33, 9, 10, 7, 7, 1, 3)},
                                      {"3x3_s2_c17_n2", dw_shape(2, 17, 7, 7, 3, 3, 2, 1)},
                                      {"1x1_c20", dw_shape(1, 20, 4, 5, 1, 1, 1, 0)}});
}

TEMPLATE_TEST_CASE("depthwise int8 is exact with requantisation multipliers near 1 (shifts below 32)",
                   "[conv_fast][depthwise][int8]", layout::nchw, layout::nhwc) {
  // Input scale 0.5 and output scale 0.004 against weight scales near 1/127 put every
  // channel's multiplier in [0.5, 2): shifts of 31 and 30, outside the short 8-bit finish of
  // the 64- and 32-channel blocks, which must then take the general one.
  std::mt19937 gen(99);
  for (const conv2d_shape& sh : {dw_shape(1, 96, 7, 21, 3, 3, 1, 1), dw_shape(2, 33, 9, 19, 3, 3, 2, 1)}) {
    const auto w = random_floats(std::size_t(sh.weight_elements()), 17, -1, 1);
    const auto b = random_floats(std::size_t(sh.k), 18, -2, 2);
    std::vector<float> codes(std::size_t(sh.input_dims().elements()));
    for (float& v : codes) v = float(130 + gen() % 3);  // x - zp in {-1, 0, 1}: sums mostly in range
    for (int act = 0; act < 3; ++act) {
      CAPTURE(to_string(sh), act);
      check_int8_exact<dw8<TestType>, std::uint8_t, std::uint8_t>(sh, codes, w, b, {0.5f, 131}, quant_params{0.004f, 9},
                                                                  act, false);
      check_int8_exact<dw8<TestType>, std::uint8_t, std::int8_t>(sh, codes, w, b, {0.5f, 131},
                                                                 quant_params{0.003f, -20}, act, false);
    }
  }
}

TEMPLATE_TEST_CASE("int8 automatic picks depthwise for depthwise shapes and stays bit-exact",
                   "[conv_fast][depthwise][int8]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::int8, sparsity::dense, algo::automatic>;
  using impl = dlas::conv::algorithm_impl<TestType, precision::int8, sparsity::dense, algo::automatic>;
  const conv2d_shape dw = dw_shape(1, 24, 9, 9, 3, 3, 2, 1), pw = make_shape(1, 8, 5, 5, 16, 1, 1, 1, 0);
  conv2d_options opt;
  opt.output_quant = quant_params{0.1f, 0};
  for (const conv2d_shape& sh : {dw, pw}) {
    const impl k(sh, typename impl::weights_type(sh, std::vector<float>(std::size_t(sh.weight_elements()), 0.5f), {}, opt), opt);
    CHECK(k.choice() == (sh.is_depthwise() ? dlas::conv::auto_choice::depthwise : dlas::conv::auto_choice::pointwise));
  }
  CHECK(conv::footprint_of(dw) == dw8<TestType>::footprint_of(dw));
  check_int8_random<conv>({{"3x3_s2_c24", dw}, {"5x5_c40", dw_shape(2, 40, 8, 9, 5, 5, 1, 2)}});
}

TEMPLATE_TEST_CASE("depthwise int8 is bitwise identical for any thread count",
                   "[conv_fast][depthwise][int8][threads]", layout::nchw, layout::nhwc) {
  for (const conv2d_shape& sh : {dw_shape(2, 37, 13, 19, 3, 3, 1, 1), dw_shape(1, 64, 16, 16, 3, 3, 2, 1)}) {
    const auto one = run_with_threads<dw8<TestType>>(sh, 1);
    for (int t : {2, 3}) CHECK(run_with_threads<dw8<TestType>>(sh, t) == one);
  }
}

TEMPLATE_TEST_CASE("depthwise int8 footprint is exact", "[conv_fast][depthwise][int8][footprint]",
                   layout::nchw, layout::nhwc) {
  using conv = dw8<TestType>;
  for (const auto& [name, sh] : dw8_shapes()) {
    CAPTURE(name);
    const auto w = random_floats(std::size_t(sh.weight_elements()), 3, -1, 1);
    const auto in = from_values<std::uint8_t, TestType>(sh.input_dims(),
                                                         std::vector<float>(std::size_t(sh.input_dims().elements()), 7.0f));
    tensor<std::uint8_t, TestType> out(sh.output_dims());
    conv2d_options opt;
    opt.output_quant = quant_params{0.1f, 0};
    const footprint f = check_counted_footprint<conv>(sh, w, in, out, opt);
    CHECK(f.weights == conv::footprint_of(sh).weights);
    CHECK(f.workspace == 0);
  }
}

TEMPLATE_TEST_CASE("depthwise int8 refuses shapes that are not depthwise", "[conv_fast][depthwise][int8][errors]",
                   layout::nchw, layout::nhwc) {
  using conv = dw8<TestType>;
  const conv2d_shape dense = make_shape(1, 8, 6, 6, 8, 3, 3, 1, 1);
  const status st = conv::can_implement(dense);
  CHECK(st.code() == errc::unsupported);
  CHECK_THAT(st.message(), Catch::Matchers::Contains("groups == c"));
  REQUIRE_DLAS_ERROR(conv(dense, std::vector<float>(std::size_t(dense.weight_elements()), 0.5f)),
                     errc::unsupported, "algo::depthwise needs groups == c");
  const conv2d_shape multiplier = make_shape(1, 8, 6, 6, 16, 3, 3, 1, 1, 1, 8);
  REQUIRE_DLAS_ERROR(conv(multiplier, std::vector<float>(std::size_t(multiplier.weight_elements()))),
                     errc::unsupported, "channel multiplier k/c = 2 is not supported");
}
