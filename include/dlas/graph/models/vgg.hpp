// SPDX-License-Identifier: Apache-2.0
/// \file vgg.hpp
/// \brief VGG-11/13/16/19 (without batch norm) as torchvision defines them, classifier included.
#pragma once

#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/graph/models/model_options.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// VGG of `depth` 11, 13, 16 or 19: features.N (3x3 convolutions with bias, each followed by
/// ReLU, and 2x2/2 max pooling), avgpool (adaptive 7x7: small inputs are replicated up, as
/// in torchvision), classifier.0 / .3 / .6 (Linear, ReLU and dropout between them).
inline model vgg(int depth, const model_options& o = {}) {
  constexpr int M = 0;  // max pooling
  std::vector<int> cfg;
  switch (depth) {
    case 11: cfg = {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M}; break;
    case 13: cfg = {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M}; break;
    case 16:
      cfg = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
      break;
    case 19:
      cfg = {64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
             512, 512, 512, 512, M,   512, 512, 512, 512, M};
      break;
    default:
      throw error(errc::invalid_argument,
                  "vgg: depth " + std::to_string(depth) + " is not one of 11, 13, 16, 19");
  }
  const std::string arch = "vgg" + std::to_string(depth);
  detail::check_options(o, arch);
  model_builder b(arch, o.input_dims());
  int x = b.input(), idx = 0;
  for (int v : cfg) {
    const std::string p = "features." + std::to_string(idx);
    if (v == M) {
      x = b.max_pool(x, p, {.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2});
      idx += 1;
    } else {
      x = b.conv(
          x, p,
          {.out_channels = v, .kernel_h = 3, .kernel_w = 3, .pad_h = 1, .pad_w = 1, .bias = true});
      x = b.relu(x, "features." + std::to_string(idx + 1));
      idx += 2;
    }
  }
  x = b.adaptive_avg_pool(x, "avgpool", 7, 7);
  x = b.relu(b.linear(x, "classifier.0", o.vgg_hidden), "classifier.1");
  x = b.relu(b.linear(x, "classifier.3", o.vgg_hidden), "classifier.4");
  const int logits = b.linear(x, "classifier.6", o.num_classes);
  return detail::finish_model(std::move(b), logits, o);
}

inline model vgg16(const model_options& o = {}) { return vgg(16, o); }

}  // namespace dlas::graph
