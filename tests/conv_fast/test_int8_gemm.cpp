// SPDX-License-Identifier: Apache-2.0
// int8 pointwise, im2col_gemm and automatic, NCHW and NHWC: bit-exact against algo::reference and the
// int32 oracle on the odd shapes, every input/output type, zero point and epilogue, and on
// adversarial data that would saturate a plain vpmaddubsw (all 255 against all +127 / -127
// weights, long reductions); exact footprint; refusal of -128 weight codes.
#include <catch2/catch.hpp>

#include <cstring>
#include <limits>
#include <optional>
#include <random>
#include <vector>

#include "conv_fast/check.hpp"
#include "reference/check_int8.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

/// One case: the kernel's output must equal the reference kernel's byte for byte, and the
/// int32 oracle's value for value.
template <class L, class A, class In, class Out>
void check_exact(const conv2d_shape& sh, const std::vector<float>& codes, const std::vector<float>& w,
                 const std::vector<float>& b, const quant_params& in_q,
                 const std::optional<quant_params>& out_q, int act, bool residual) {
  check_int8_exact<conv2d<L, precision::int8, sparsity::dense, A>, In, Out>(sh, codes, w, b, in_q, out_q, act,
                                                                            residual);
}

/// Random codes over the whole range of In, random weights and zero points, every output type.
template <class L, class A>
void check_random(const std::vector<named_shape>& shapes) {
  using fast = conv2d<L, precision::int8, sparsity::dense, A>;
  std::mt19937 gen(4242);
  for (const auto& [name, sh] : shapes) {
    if (!fast::can_implement(sh).ok()) continue;
    const auto w = random_floats(std::size_t(sh.weight_elements()), gen(), -1, 1, 0.1);
    const auto b = random_floats(std::size_t(sh.k), gen(), -2, 2);
    std::vector<float> codes(std::size_t(sh.input_dims().elements()));
    for (int act = 0; act < 3; ++act) {
      CAPTURE(name, act, to_string(sh));
      const std::int32_t zp_u = std::int32_t(gen() % 256), zp_s = zp_u - 128;
      const quant_params out_u{0.05f, std::int32_t(gen() % 256)}, out_s{0.05f, std::int32_t(gen() % 256) - 128};
      for (float& v : codes) v = float(gen() % 256);
      check_exact<L, A, std::uint8_t, std::uint8_t>(sh, codes, w, b, {0.03f, zp_u}, out_u, act, false);
      check_exact<L, A, std::uint8_t, float>(sh, codes, w, b, {0.03f, zp_u}, std::nullopt, act, act == 1);
      for (float& v : codes) v -= 128.0f;
      check_exact<L, A, std::int8_t, std::int8_t>(sh, codes, w, b, {0.03f, zp_s}, out_s, act, false);
      check_exact<L, A, std::int8_t, float>(sh, codes, w, b, {0.03f, zp_s}, std::nullopt, act, act == 2);
    }
  }
}

/// Inputs at the extremes of the code range against weights that all quantise to +127 or
/// -127: every product of a plain u8 x s8 vpmaddubsw pair would be 2 * 255 * 127 and
/// saturate. Zero points 0 and 255 (uint8) and -128 / 127 (int8); depths up to 4608.
template <class L, class A>
void check_adversarial() {
  const std::vector<named_shape> shapes{
      {"1x1_c2048", make_shape(1, 2048, 2, 3, 24, 1, 1, 1, 0)},
      {"3x3_c512", make_shape(1, 512, 3, 3, 17, 3, 3, 1, 1)},
      {"1x1_c7", make_shape(1, 7, 3, 5, 9, 1, 1, 1, 0)},
  };
  for (const auto& [name, sh] : shapes) {
    if (!conv2d<L, precision::int8, sparsity::dense, A>::can_implement(sh).ok()) continue;
    for (float sign : {1.0f, -1.0f}) {
      std::vector<float> w(std::size_t(sh.weight_elements()), sign);
      std::vector<float> b(std::size_t(sh.k), 0.0f);
      for (float level : {255.0f, 0.0f}) {
        CAPTURE(name, sign, level);
        const std::vector<float> u(std::size_t(sh.input_dims().elements()), level);
        // uint8: all 255 with zero point 0 gives the largest sums; zero point 255 the most negative.
        for (std::int32_t zp : {0, 255}) {
          check_exact<L, A, std::uint8_t, float>(sh, u, w, b, {1e-4f, zp}, std::nullopt, 0, false);
          check_exact<L, A, std::uint8_t, std::uint8_t>(sh, u, w, b, {1e-4f, zp}, quant_params{0.01f, 3}, 0, false);
          check_exact<L, A, std::uint8_t, std::int8_t>(sh, u, w, b, {1e-4f, zp}, quant_params{1.0f, 0}, 2, false);
        }
        std::vector<float> s(u);
        for (float& v : s) v -= 128.0f;  // -128 and 127
        for (std::int32_t zp : {-128, 127}) {
          check_exact<L, A, std::int8_t, float>(sh, s, w, b, {1e-4f, zp}, std::nullopt, 0, false);
          check_exact<L, A, std::int8_t, std::int8_t>(sh, s, w, b, {1e-4f, zp}, quant_params{0.02f, -5}, 1, false);
        }
      }
    }
  }
}

std::vector<named_shape> int8_shapes() {
  std::vector<named_shape> v = curated_shapes();
  for (const auto& ns : pointwise_shapes()) v.push_back(ns);
  for (const auto& ns : random_shapes(10, 808)) v.push_back(ns);
  return v;
}

}  // namespace

TEMPLATE_TEST_CASE("int8 pointwise and im2col_gemm are bit-exact with the reference", "[conv_fast][int8]",
                   algo::pointwise, algo::im2col_gemm) {
  SECTION("nchw") { check_random<layout::nchw, TestType>(int8_shapes()); }
  SECTION("nhwc") { check_random<layout::nhwc, TestType>(int8_shapes()); }
}

TEMPLATE_TEST_CASE("int8 automatic picks pointwise or im2col_gemm and stays bit-exact",
                   "[conv_fast][int8]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::int8, sparsity::dense, algo::automatic>;
  const std::vector<float> w(16 * 8 * 9, 0.5f);
  conv2d_options opt;
  opt.output_quant = quant_params{0.1f, 0};  // 8-bit output, as footprint_of assumes
  const conv c3(make_shape(1, 8, 5, 5, 16, 3, 3, 1, 1), w, {}, opt);
  CHECK(c3.footprint() == conv::footprint_of(make_shape(1, 8, 5, 5, 16, 3, 3, 1, 1)));
  check_random<TestType, algo::automatic>(curated_shapes());
}

TEMPLATE_TEST_CASE("int8 kernels never saturate on adversarial data", "[conv_fast][int8]",
                   algo::pointwise, algo::im2col_gemm) {
  SECTION("nchw") { check_adversarial<layout::nchw, TestType>(); }
  SECTION("nhwc") { check_adversarial<layout::nhwc, TestType>(); }
}

TEMPLATE_TEST_CASE("int8 footprint is exact", "[conv_fast][int8]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::int8, sparsity::dense, algo::im2col_gemm>;
  for (const auto& [name, sh] : int8_shapes()) {
    CAPTURE(name);
    const auto w = random_floats(std::size_t(sh.weight_elements()), 3, -1, 1);
    std::vector<float> codes(std::size_t(sh.input_dims().elements()), 7.0f);
    const auto in = from_values<std::uint8_t, TestType>(sh.input_dims(), codes);
    tensor<std::uint8_t, TestType> out(sh.output_dims());
    conv2d_options opt;
    opt.output_quant = quant_params{0.1f, 0};
    const footprint f = check_counted_footprint<conv>(sh, w, in, out, opt);
    CHECK(f.weights == conv::footprint_of(sh).weights);
    CHECK(f.input == sh.input_dims().elements());
  }
}
