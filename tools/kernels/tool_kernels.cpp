// SPDX-License-Identifier: Apache-2.0
#include "tool_kernels.hpp"

#include <array>

namespace dlas::tools {
namespace {

const std::array<graph::kernel_factory, 4>& parts() {
  static const std::array<graph::kernel_factory, 4> all{detail::kernels_nchw_fp32(), detail::kernels_nhwc_fp32(),
                                                        detail::kernels_nchw_reduced(), detail::kernels_nhwc_reduced()};
  return all;
}

bool contains(const graph::conv_config& c) {
  for (const auto& p : parts())
    if (p.contains(c)) return true;
  return false;
}

graph::conv_layer make(const graph::conv_config& c, const conv2d_shape& shape, std::span<const float> weights,
                       std::span<const float> bias, const conv2d_options& options) {
  for (const auto& p : parts())
    if (p.contains(c)) return p.make(c, shape, weights, bias, options);
  return parts()[0].make(c, shape, weights, bias, options);  // its error names the combination
}

}  // namespace

graph::kernel_factory tool_kernels() { return {&make, &contains}; }

}  // namespace dlas::tools
