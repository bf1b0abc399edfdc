// SPDX-License-Identifier: Apache-2.0
// The valid counterpart of the ko_*.cpp files: every one of them differs from this in one place.
#include <dlas/conv2d.hpp>

int main() {
  using conv = dlas::conv2d<dlas::layout::nhwc, dlas::precision::fp32, dlas::sparsity::dense,
                            dlas::algo::reference>;
  const dlas::conv2d_shape shape{.c = 2, .k = 2};
  const float w[4] = {1, 0, 0, 1};
  const conv c(shape, w);
  float x[2] = {1, 2}, y[2] = {};
  c(dlas::tensor_view<const float, dlas::layout::nhwc>(x, shape.input_dims()),
    dlas::tensor_view<float, dlas::layout::nhwc>(y, shape.output_dims()));
  return y[1] == 2.0f ? 0 : 1;
}
