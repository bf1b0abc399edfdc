// SPDX-License-Identifier: Apache-2.0
// Calibrated int8 convolutions stay close to fp32: SQNR of the int8 output against the fp32
// output on ResNet-50 layer shapes with Gaussian weights and ReLU'd Gaussian inputs.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "dlas/conv/int8_calibration.hpp"
#include "dlas/conv2d.hpp"
#include "dlas/core/tensor.hpp"
#include "dlas/optimize/quantize.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

TEST_CASE("calibrated int8 reaches 35 dB SQNR on ResNet-50 layers", "[conv][int8][calibrate]") {
  // A 1x1 reduce, a 3x3 and a 1x1 expand of ResNet-50 (spatial size cut to keep the test short:
  // the SQNR depends on the reduction length and the distributions, not the image size).
  const std::vector<named_shape> shapes{
      {"res2a_branch2a", make_shape(1, 64, 14, 14, 64, 1, 1, 1, 0)},
      {"res3a_branch2b", make_shape(1, 128, 12, 12, 128, 3, 3, 1, 1)},
      {"res4a_branch2c", make_shape(1, 256, 7, 7, 1024, 1, 1, 1, 0)},
      {"res5a_branch2b", make_shape(1, 512, 7, 7, 512, 3, 3, 1, 1)},
  };
  std::mt19937 gen(11);
  for (const auto& [name, sh] : shapes) {
    CAPTURE(name);
    std::normal_distribution<float> wdist(0.0f, std::sqrt(2.0f / float(sh.c * sh.r * sh.s)));  // He
    std::normal_distribution<float> xdist(0.0f, 1.0f);
    std::vector<float> w(std::size_t(sh.weight_elements()));
    for (float& v : w) v = wdist(gen);
    using f32 = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::reference>;
    using s8 = conv2d<layout::nhwc, precision::int8, sparsity::dense, algo::reference>;
    const f32 ref(sh, w);
    // Calibrate on two batches, evaluate on a third.
    optimize::activation_observer in_obs, out_obs;
    tensor<float, layout::nhwc> x(sh.input_dims()), y(sh.output_dims());
    for (int batch = 0; batch < 3; ++batch) {
      for (float& v : x.span()) v = std::max(0.0f, xdist(gen));
      if (batch == 2) break;
      ref(x.cview(), y.view());
      in_obs.observe(x.span());
      out_obs.observe(y.span());
    }
    ref(x.cview(), y.view());
    const conv2d_options opt = conv::int8_options<std::uint8_t, std::int8_t>({}, in_obs, &out_obs);
    const s8 q(sh, w, {}, opt);
    tensor<std::uint8_t, layout::nhwc> xq(sh.input_dims());
    tensor<std::int8_t, layout::nhwc> yq(sh.output_dims());
    optimize::quantize<std::uint8_t>(x.span(), xq.span(), opt.input_quant);
    q(xq.cview(), yq.view());
    double signal = 0, noise = 0;
    for (index_t i = 0; i < y.size(); ++i) {
      const double ref_v = y.data()[i];
      const double got = optimize::dequantize<std::int8_t>(yq.data()[i], *opt.output_quant);
      signal += ref_v * ref_v;
      noise += (ref_v - got) * (ref_v - got);
    }
    const double sqnr = 10 * std::log10(signal / noise);
    INFO("SQNR " << sqnr << " dB");
    CHECK(sqnr >= 35.0);
  }
}
