// SPDX-License-Identifier: Apache-2.0
// An fp32 kernel called on half data.
#include <dlas/conv2d.hpp>

int main() {
  using conv = dlas::conv2d<dlas::layout::nhwc, dlas::precision::fp32, dlas::sparsity::dense,
                            dlas::algo::reference>;
  const dlas::conv2d_shape shape{.c = 2, .k = 2};
  const float w[4] = {1, 0, 0, 1};
  const conv c(shape, w);
  dlas::half x[2] = {};
  float y[2] = {};
  c(dlas::tensor_view<const dlas::half, dlas::layout::nhwc>(x, shape.input_dims()),
    dlas::tensor_view<float, dlas::layout::nhwc>(y, shape.output_dims()));
  return 0;
}
