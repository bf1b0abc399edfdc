// SPDX-License-Identifier: Apache-2.0
// An int8 convolution: quantise activations, run with int32 accumulation, requantise, and
// compare with the fp32 result.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <dlas/dlas.hpp>

int main() {
  using namespace dlas;
  constexpr conv2d_shape shape{.n = 1, .c = 32, .h = 28, .w = 28, .k = 48, .r = 3, .s = 3,
                               .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  std::mt19937 gen(1);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  std::vector<float> weights(std::size_t(shape.weight_elements()));
  for (float& w : weights) w = normal(gen);

  tensor<float, layout::nchw> x(shape.input_dims()), ref(shape.output_dims()), deq(shape.output_dims());
  for (float& v : x.span()) v = std::fabs(normal(gen)) * 10.0f;  // ReLU'd activations in [0, ~4)

  // Input in [0, 5.1): scale 0.02, zero point 0. Output: relu'd, scale 0.05.
  const quant_params in_q{0.02f, 0}, out_q{0.05f, 0};
  tensor<std::uint8_t, layout::nchw> xq(shape.input_dims()), yq(shape.output_dims());
  optimize::quantize<std::uint8_t>(x.span(), xq.span(), in_q);

  const conv2d<layout::nchw, precision::fp32, sparsity::dense, algo::reference> fp32(
      shape, weights, {}, {.act = activation::relu});
  const conv2d<layout::nchw, precision::int8, sparsity::dense, algo::reference> int8(
      shape, weights, {}, {.act = activation::relu, .input_quant = in_q, .output_quant = out_q});
  fp32(x.cview(), ref.view());
  int8(xq.cview(), yq.view());
  optimize::dequantize<std::uint8_t>(yq.span(), deq.span(), out_q);

  double signal = 0, noise = 0;
  for (index_t i = 0; i < ref.size(); ++i) {
    signal += double(ref.data()[i]) * ref.data()[i];
    noise += std::pow(double(ref.data()[i]) - deq.data()[i], 2);
  }
  std::printf("int8 conv2d on %s\n", to_string(shape).c_str());
  std::printf("  SQNR against fp32: %.1f dB\n", 10 * std::log10(signal / noise));
  std::printf("  weight bytes: fp32 %lld, int8 %lld\n", (long long)fp32.footprint().weights,
              (long long)int8.footprint().weights);
  return 0;
}
