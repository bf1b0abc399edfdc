// SPDX-License-Identifier: Apache-2.0
// A minimal program using the installed or vendored dlas.
#include <dlas/dlas.hpp>

int main() {
  using conv = dlas::conv2d<dlas::layout::nchw, dlas::precision::fp32, dlas::sparsity::dense,
                            dlas::algo::reference>;
  constexpr dlas::conv2d_shape shape{.c = 1, .h = 3, .w = 3, .k = 1, .r = 3, .s = 3};
  const float w[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  const conv c(shape, w);
  dlas::tensor<float, dlas::layout::nchw> x(shape.input_dims()), y(shape.output_dims());
  for (float& v : x.span()) v = 2.0f;
  c(x.cview(), y.view());
  static_assert(conv::footprint_of(shape).weights == (9 + 1) * 4);
  return y.data()[0] == 18.0f ? 0 : 1;
}
