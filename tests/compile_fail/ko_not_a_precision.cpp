// SPDX-License-Identifier: Apache-2.0
#include <dlas/conv2d.hpp>

int main() {
  dlas::conv2d<dlas::layout::nchw, double, dlas::sparsity::dense, dlas::algo::reference>* c = nullptr;
  return c->shape().n == 0;
}
