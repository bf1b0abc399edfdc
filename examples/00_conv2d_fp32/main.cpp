// SPDX-License-Identifier: Apache-2.0
// Instantiate a convolution from policies, run it, and ask what memory it needs.
#include <cstdio>
#include <random>
#include <vector>

#include <dlas/dlas.hpp>

int main() {
  using namespace dlas;
  // ResNet-50's res2 3x3 convolution: 64 -> 64 channels on 56 x 56, padding 1.
  constexpr conv2d_shape shape{.n = 1, .c = 64, .h = 56, .w = 56, .k = 64, .r = 3, .s = 3,
                               .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  using conv = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::reference>;

  // The memory it needs is known before anything is allocated.
  constexpr footprint planned = conv::footprint_of(shape);
  static_assert(planned.weights == (64 * 64 * 9 + 64) * 4);

  std::mt19937 gen(0);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> weights(std::size_t(shape.weight_elements())), bias(64, 0.1f);
  for (float& w : weights) w = normal(gen);

  const conv c(shape, weights, bias, {.act = activation::relu});
  tensor<float, layout::nhwc> x(shape.input_dims()), y(shape.output_dims());
  for (float& v : x.span()) v = normal(gen);
  c(x.cview(), y.view());

  const footprint f = c.footprint();
  std::printf("conv2d<nhwc, fp32, dense, reference> on %s\n", to_string(shape).c_str());
  std::printf("  %.1f MFLOP, y[0,0,0,0] = %.5f\n", shape.flops() / 1e6, double(y.view()(0, 0, 0, 0)));
  std::printf("  footprint: weights %lld B, workspace %lld B, input %lld B, output %lld B\n",
              (long long)f.weights, (long long)f.workspace, (long long)f.input, (long long)f.output);
  return 0;
}
