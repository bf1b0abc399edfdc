// SPDX-License-Identifier: Apache-2.0
// A well-formed algorithm tag that no kernel implements.
#include <dlas/conv2d.hpp>

struct my_algorithm {
  static constexpr dlas::policy_axis axis = dlas::policy_axis::algorithm;
  static constexpr std::string_view name = "mine";
};

int main() {
  dlas::conv2d<dlas::layout::nchw, dlas::precision::fp32, dlas::sparsity::csr, my_algorithm>* c = nullptr;
  return c->shape().n == 0;
}
