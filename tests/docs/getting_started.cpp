// SPDX-License-Identifier: Apache-2.0
// The code quoted by docs/getting_started.md, compiled and run as a test so the docs stay true.
#include <catch2/catch.hpp>

// [include]
#include <dlas/dlas.hpp>
// [include]

#include <vector>

TEST_CASE("getting started", "[docs]") {
  // [shape]
  using namespace dlas;
  // ResNet-50's first 3x3 convolution: 64 -> 64 channels on 56 x 56, padding 1 on every side.
  constexpr conv2d_shape shape{.n = 1, .c = 64, .h = 56, .w = 56, .k = 64, .r = 3, .s = 3,
                               .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
  static_assert(shape.output_h() == 56 && shape.is_valid());
  // [shape]

  // [instantiate]
  using conv = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::reference>;
  std::vector<float> weights(std::size_t(shape.weight_elements()), 0.01f);  // K x C x R x S
  std::vector<float> bias(64, 0.0f);
  const conv c(shape, weights, bias, {.act = activation::relu});
  // [instantiate]

  // [call]
  tensor<float, layout::nhwc> x(shape.input_dims()), y(shape.output_dims());
  c(x.cview(), y.view());  // y = relu(conv(x) + bias)
  // [call]
  CHECK(y.view()(0, 0, 0, 0) == 0.0f);

  // [footprint]
  constexpr footprint planned = conv::footprint_of(shape);  // a constant expression
  static_assert(planned.weights == (64 * 64 * 9 + 64) * 4);
  const footprint actual = c.footprint();  // what this object holds and a call allocates
  // [footprint]
  CHECK(actual == planned);

  bool caught = false;
  // [errors]
  try {
    conv2d_shape bad = shape;
    bad.groups = 3;  // does not divide 64
    conv(bad, weights);
  } catch (const dlas::error& e) {
    // e.code() == errc::invalid_shape, and e.what() reads
    // "dlas: invalid_shape: conv2d_shape.groups = 3 must divide the input channels c"
    caught = e.code() == errc::invalid_shape;
  }
  // [errors]
  CHECK(caught);
}
