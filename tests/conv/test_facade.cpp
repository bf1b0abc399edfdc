// SPDX-License-Identifier: Apache-2.0
// The conv2d facade: bad shapes, mismatched buffers and bad options get dlas::error.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "dlas/conv2d.hpp"
#include "reference/data.hpp"
#include "reference/errors.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;
using f32_nchw = conv2d<layout::nchw, precision::fp32, sparsity::dense, algo::reference>;
using s8_nhwc = conv2d<layout::nhwc, precision::int8, sparsity::dense, algo::reference>;

TEST_CASE("conv2d rejects a bad shape naming the field", "[conv][errors]") {
  conv2d_shape sh = make_shape(1, 4, 8, 8, 4, 3, 3, 1, 1);
  sh.groups = 3;
  const std::vector<float> w(1000);
  REQUIRE_DLAS_ERROR(f32_nchw(sh, w), errc::invalid_shape, "conv2d_shape.groups = 3");
  CHECK_FALSE(f32_nchw::can_implement(sh).ok());
  CHECK(f32_nchw::can_implement(make_shape(1, 4, 8, 8, 4, 3, 3, 1, 1)).ok());
}

TEST_CASE("conv2d rejects weights and bias of the wrong size", "[conv][errors]") {
  const conv2d_shape sh = make_shape(1, 4, 8, 8, 4, 3, 3, 1, 1);
  REQUIRE_DLAS_ERROR(f32_nchw(sh, std::vector<float>(143)), errc::mismatched_buffer,
                     "needs k*c/groups*r*s = 144 values, got 143");
  REQUIRE_DLAS_ERROR(f32_nchw(sh, std::vector<float>(144), std::vector<float>(3)),
                     errc::mismatched_buffer, "bias");
  std::vector<float> nan(144, 0.0f);
  nan[7] = std::numeric_limits<float>::quiet_NaN();
  REQUIRE_DLAS_ERROR(s8_nhwc(sh, nan), errc::invalid_argument, "not finite");
  conv2d_options bad;
  bad.prune_threshold = -1.0f;
  REQUIRE_DLAS_ERROR(f32_nchw(sh, std::vector<float>(144), {}, bad), errc::invalid_argument,
                     "prune_threshold");
}

TEST_CASE("conv2d rejects tensors that do not match the shape", "[conv][errors]") {
  const conv2d_shape sh = make_shape(2, 4, 8, 8, 4, 3, 3, 1, 1);
  const f32_nchw conv(sh, std::vector<float>(144));
  tensor<float, layout::nchw> in(sh.input_dims()), out(sh.output_dims());
  tensor<float, layout::nchw> wrong_in({1, 4, 8, 8}), wrong_out({2, 4, 7, 8});
  REQUIRE_DLAS_ERROR(conv(wrong_in.cview(), out.view()), errc::mismatched_buffer,
                     "conv2d input dims 1x4x8x8 do not match the shape's 2x4x8x8");
  REQUIRE_DLAS_ERROR(conv(in.cview(), wrong_out.view()), errc::mismatched_buffer, "conv2d output");
  REQUIRE_DLAS_ERROR(conv(in.cview(), out.view(), wrong_out.cview()), errc::mismatched_buffer,
                     "conv2d residual");
  std::vector<float> small(10);
  REQUIRE_DLAS_ERROR((tensor_view<float, layout::nchw>(std::span<float>(small), sh.input_dims())),
                     errc::mismatched_buffer, "needs 512 elements, buffer holds 10");
}

TEST_CASE("int8 conv2d checks its quantisation parameters", "[conv][errors][int8]") {
  const conv2d_shape sh = make_shape(1, 4, 6, 6, 4, 3, 3, 1, 1);
  const std::vector<float> w(144, 0.25f);
  conv2d_options opt;
  opt.input_quant = {0.0f, 0};
  REQUIRE_DLAS_ERROR(s8_nhwc(sh, w, {}, opt), errc::invalid_argument, "input_quant.scale");
  opt.input_quant = {0.1f, 300};
  const s8_nhwc conv(sh, w, {}, opt);
  tensor<std::uint8_t, layout::nhwc> in(sh.input_dims()), out(sh.output_dims());
  tensor<float, layout::nhwc> fout(sh.output_dims());
  REQUIRE_DLAS_ERROR(conv(in.cview(), fout.view()), errc::invalid_argument, "zero_point = 300");
  opt.input_quant = {0.1f, 3};
  const s8_nhwc no_out(sh, w, {}, opt);
  REQUIRE_DLAS_ERROR(no_out(in.cview(), out.view()), errc::invalid_argument, "output_quant");
  opt.output_quant = quant_params{1e-20f, 0};
  REQUIRE_DLAS_ERROR(s8_nhwc(sh, w, {}, opt), errc::invalid_argument, "multiplier");
}

TEST_CASE("int8 refuses reductions too long for exact int32 accumulation", "[conv][errors][int8]") {
  const conv2d_shape sh = make_shape(1, 4096, 3, 3, 1, 3, 3, 1, 0);
  REQUIRE_DLAS_ERROR(s8_nhwc(sh, std::vector<float>(std::size_t(sh.weight_elements()), 1.0f)),
                     errc::unsupported, "taps exceed");
  // The limit docs/policy_precision.md states: 255 * 127 per tap, 2^30 left for the bias.
  STATIC_REQUIRE(conv::int8_max_taps == 33155);
  STATIC_REQUIRE(conv::int8_max_taps * 255 * 127 + (index_t{1} << 30) < (index_t{1} << 31));
}

TEST_CASE("conv2d handles an all-zero layer in every storage", "[conv]") {
  const conv2d_shape sh = make_shape(1, 3, 5, 5, 2, 3, 3, 1, 1);
  const std::vector<float> zero(std::size_t(sh.weight_elements()), 0.0f);
  const std::vector<float> bias{0.5f, -0.25f};
  conv2d<layout::nhwc, precision::fp32, sparsity::csr, algo::reference> conv(sh, zero, bias);
  CHECK(conv.weights().nnz() == 0);
  tensor<float, layout::nhwc> in(sh.input_dims()), out(sh.output_dims());
  conv(in.cview(), out.view());
  for (index_t i = 0; i < out.size(); ++i) CHECK(out.data()[i] == bias[std::size_t(i % 2)]);
}
