// SPDX-License-Identifier: Apache-2.0
/// \file mobilenet_v2.hpp
/// \brief MobileNetV2 (width 1.0) as torchvision defines it: inverted residuals with ReLU6,
/// linear bottlenecks, torchvision's parameter names.
#pragma once

#include <array>
#include <string>

#include "dlas/config.hpp"
#include "dlas/graph/models/model_options.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// features.0 (3x3/2 conv, 32 channels, BN, ReLU6); features.1..17 inverted residual blocks
/// (expand 1x1 + ReLU6 when t > 1, depthwise 3x3 + ReLU6, project 1x1 + BN, and x + block(x)
/// when the stride is 1 and the width is unchanged); features.18 (1x1 conv to 1280, BN,
/// ReLU6); adaptive average pooling to 1x1; classifier.1 (Linear; classifier.0 is dropout).
inline model mobilenet_v2(const model_options& o = {}) {
  detail::check_options(o, "mobilenet_v2");
  model_builder b("mobilenet_v2", o.input_dims());
  struct setting {
    index_t t, c;
    int n;
    index_t s;
  };
  constexpr std::array<setting, 7> settings{{{1, 16, 1, 1},
                                             {6, 24, 2, 2},
                                             {6, 32, 3, 2},
                                             {6, 64, 4, 2},
                                             {6, 96, 3, 1},
                                             {6, 160, 3, 2},
                                             {6, 320, 1, 1}}};
  int x = b.relu6(b.conv_bn(b.input(), "features.0.0", "features.0.1", 32, 3, 2, 1), "features.0.2");
  index_t in = 32;
  int idx = 1;
  for (const setting& st : settings)
    for (int i = 0; i < st.n; ++i, ++idx) {
      const index_t stride = i == 0 ? st.s : 1, hidden = in * st.t;
      const std::string p = "features." + std::to_string(idx) + ".conv.";
      int y = x, j = 0;
      if (st.t != 1) {
        y = b.relu6(b.conv_bn(y, p + "0.0", p + "0.1", hidden, 1, 1, 1), p + "0.2");
        j = 1;
      }
      const std::string dw = p + std::to_string(j) + ".";
      y = b.relu6(b.conv_bn(y, dw + "0", dw + "1", hidden, 3, stride, hidden), dw + "2");
      y = b.conv_bn(y, p + std::to_string(j + 1), p + std::to_string(j + 2), st.c, 1, 1, 1);
      x = stride == 1 && in == st.c ? b.add(x, y, "features." + std::to_string(idx) + ".add") : y;
      in = st.c;
    }
  x = b.relu6(b.conv_bn(x, "features.18.0", "features.18.1", 1280, 1, 1, 1), "features.18.2");
  x = b.adaptive_avg_pool(x, "avgpool", 1, 1);
  const int logits = b.linear(x, "classifier.1", o.num_classes);
  return detail::finish_model(std::move(b), logits, o);
}

}  // namespace dlas::graph
