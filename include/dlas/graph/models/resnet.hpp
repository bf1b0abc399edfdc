// SPDX-License-Identifier: Apache-2.0
/// \file resnet.hpp
/// \brief ResNet-18/34/50/101/152 as torchvision defines them (v1.5: the bottleneck strides
/// on its 3x3 convolution), with torchvision's parameter names.
#pragma once

#include <array>
#include <string>

#include "dlas/config.hpp"
#include "dlas/graph/models/model_options.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// ResNet of `depth` 18, 34 (basic blocks) or 50, 101, 152 (bottlenecks).
///
/// conv1 7x7/2, bn1, relu, maxpool 3x3/2; layer1..layer4 of blocks (layerI.J.conv1, .bn1, ...,
/// .downsample.0 / .downsample.1 where the stride or width changes); avgpool (adaptive 1x1);
/// fc. Each block computes relu(branch + identity).
inline model resnet(int depth, const model_options& o = {}) {
  std::array<int, 4> blocks{};
  bool bottleneck = false;
  switch (depth) {
    case 18: blocks = {2, 2, 2, 2}; break;
    case 34: blocks = {3, 4, 6, 3}; break;
    case 50:
      blocks = {3, 4, 6, 3};
      bottleneck = true;
      break;
    case 101:
      blocks = {3, 4, 23, 3};
      bottleneck = true;
      break;
    case 152:
      blocks = {3, 8, 36, 3};
      bottleneck = true;
      break;
    default:
      throw error(errc::invalid_argument,
                  "resnet: depth " + std::to_string(depth) + " is not one of 18, 34, 50, 101, 152");
  }
  const std::string arch = "resnet" + std::to_string(depth);
  detail::check_options(o, arch);
  model_builder b(arch, o.input_dims());
  int x = b.relu(b.conv_bn(b.input(), "conv1", "bn1", 64, 7, 2), "relu");
  x = b.max_pool(
      x, "maxpool",
      {.kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_h = 1, .pad_w = 1});
  const index_t expansion = bottleneck ? 4 : 1;
  index_t inplanes = 64;
  for (int stage = 0; stage < 4; ++stage) {
    const index_t planes = index_t(64) << stage;
    for (int j = 0; j < blocks[std::size_t(stage)]; ++j) {
      const index_t stride = j == 0 && stage > 0 ? 2 : 1;
      const std::string p = "layer" + std::to_string(stage + 1) + "." + std::to_string(j) + ".";
      int identity = x, out;
      if (bottleneck) {
        out = b.relu(b.conv_bn(x, p + "conv1", p + "bn1", planes, 1, 1), p + "relu");
        out = b.relu(b.conv_bn(out, p + "conv2", p + "bn2", planes, 3, stride), p + "relu");
      } else {
        out = b.relu(b.conv_bn(x, p + "conv1", p + "bn1", planes, 3, stride), p + "relu");
      }
      // The shortcut is computed before the branch's last convolution, so that convolution
      // can take it as its fused residual.
      if (stride != 1 || inplanes != planes * expansion)
        identity =
            b.conv_bn(x, p + "downsample.0", p + "downsample.1", planes * expansion, 1, stride);
      out = bottleneck ? b.conv_bn(out, p + "conv3", p + "bn3", planes * expansion, 1, 1)
                       : b.conv_bn(out, p + "conv2", p + "bn2", planes, 3, 1);
      x = b.relu(b.add(out, identity, p + "add"), p + "relu");
      inplanes = planes * expansion;
    }
  }
  x = b.adaptive_avg_pool(x, "avgpool", 1, 1);
  const int logits = b.linear(x, "fc", o.num_classes);
  return detail::finish_model(std::move(b), logits, o);
}

inline model resnet18(const model_options& o = {}) { return resnet(18, o); }
inline model resnet50(const model_options& o = {}) { return resnet(50, o); }

}  // namespace dlas::graph
