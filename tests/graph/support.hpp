// SPDX-License-Identifier: Apache-2.0
/// \file support.hpp
/// \brief What the network tests share: small architectures, seeded inputs, comparisons.
#pragma once

#include <cstdlib>
#include <memory_resource>
#include <string>
#include <vector>

#include "dlas/graph/models.hpp"
#include "dlas/graph/network.hpp"
#include "graph/reference_net.hpp"
#include "reference/data.hpp"

namespace dlas::testing {

/// Whether the tests run under an instruction-set emulator (DLAS_TEST_EMULATED, set by
/// `scripts/dlas.sh test --arm64`), where each instruction costs about 13 times a native one.
inline bool emulated() { return std::getenv("DLAS_TEST_EMULATED") != nullptr; }

/// The four architectures the networks issue names. Under emulation only ResNet-18 and
/// MobileNetV2: VGG-16 and ResNet-50 hold 90% of the four networks' multiply-adds at the test
/// size, and every layer type they have (3x3 and strided 1x1 convolutions, projection
/// shortcuts, max pooling, fully connected) appears in ResNet-18 and in the layer tests.
inline const std::vector<std::string>& test_architectures() {
  static const std::vector<std::string> all{"resnet18", "resnet50", "mobilenet_v2", "vgg16"};
  static const std::vector<std::string> fewer{"resnet18", "mobilenet_v2"};
  return emulated() ? fewer : all;
}

/// Batch 2 at 32 x 32, 10 classes, a 64-wide VGG classifier: every architecture in well under a
/// second per run.
inline graph::model_options small_options(index_t batch = 2, index_t size = 32) {
  graph::model_options o;
  o.batch = batch;
  o.height = o.width = size;
  o.num_classes = 10;
  o.vgg_hidden = 64;
  return o;
}

/// Uniform [-1, 1) input values in logical NCHW order.
inline std::vector<float> input_values(const tensor_dims& d, std::uint32_t seed = 1) {
  return random_floats(std::size_t(d.elements()), seed, -1.0f, 1.0f);
}

/// The same values as an fp64 oracle tensor.
inline tensor64 input64(const tensor_dims& d, const std::vector<float>& v) {
  tensor64 t(d.n, d.c, d.h, d.w);
  for (std::size_t i = 0; i < v.size(); ++i) t.v[i] = v[i];
  return t;
}

/// An fp32 tensor in `layout` holding `v` (given in NCHW order), outside any counting
/// resource.
template <class L>
tensor<float, L> make_input(const tensor_dims& d, const std::vector<float>& v) {
  tensor<float, L> t(d, std::pmr::new_delete_resource());
  auto view = t.view();
  std::size_t i = 0;
  for (index_t n = 0; n < d.n; ++n)
    for (index_t c = 0; c < d.c; ++c)
      for (index_t h = 0; h < d.h; ++h)
        for (index_t w = 0; w < d.w; ++w) view(n, c, h, w) = v[i++];
  return t;
}

/// Runs `net` on `input` (values in NCHW order) and returns the output as an NCHW tensor.
inline tensor<float, layout::nchw> run_nchw(graph::network& net, const std::vector<float>& input) {
  tensor<float, layout::nchw> out(net.output_desc().dims, std::pmr::new_delete_resource());
  if (net.input_desc().layout == graph::layout_kind::nchw) {
    const auto in = make_input<layout::nchw>(net.input_desc().dims, input);
    net.run(in.cview(), out.view());
  } else {
    const auto in = make_input<layout::nhwc>(net.input_desc().dims, input);
    tensor<float, layout::nhwc> o(net.output_desc().dims, std::pmr::new_delete_resource());
    net.run(in.cview(), o.view());
    auto v = out.view();
    for (index_t n = 0; n < o.dims().n; ++n)
      for (index_t c = 0; c < o.dims().c; ++c)
        for (index_t h = 0; h < o.dims().h; ++h)
          for (index_t w = 0; w < o.dims().w; ++w) v(n, c, h, w) = o.view()(n, c, h, w);
  }
  return out;
}

}  // namespace dlas::testing
