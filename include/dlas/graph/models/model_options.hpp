// SPDX-License-Identifier: Apache-2.0
/// \file model_options.hpp
/// \brief model_options: batch, input resolution, classes and weight seed of an architecture.
#pragma once

#include <cstdint>
#include <string>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/graph/init.hpp"
#include "dlas/graph/model_builder.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// What an architecture is built for. The defaults are torchvision's ImageNet models.
struct model_options {
  index_t batch = 1;
  index_t height = 224;
  index_t width = 224;
  index_t num_classes = 1000;
  /// Seed of the deterministic weights (init_weights); the same seed gives the same weights
  /// at any batch and resolution.
  std::uint64_t seed = 0x646c6173;
  /// Initialise the weights; false leaves them empty until model::load.
  bool init = true;
  /// Append a softmax over the classes (torchvision's models return logits).
  bool softmax = false;
  /// VGG only: width of the two hidden classifier layers (4096 in torchvision); smaller values
  /// keep tests of the classifier fast.
  index_t vgg_hidden = 4096;

  tensor_dims input_dims() const noexcept { return {batch, 3, height, width}; }
};

namespace detail {
/// Finishes an architecture: optional softmax, then weights.
inline model finish_model(model_builder&& b, int logits, const model_options& o) {
  if (o.softmax) logits = b.softmax(logits, "softmax");
  model m = std::move(b).finish(logits);
  if (o.init) init_weights(m, o.seed);
  return m;
}
inline void check_options(const model_options& o, const std::string& arch) {
  core::require(
      o.batch > 0 && o.height > 0 && o.width > 0 && o.num_classes > 0 && o.vgg_hidden > 0,
      errc::invalid_argument,
      [&] { return arch + ": batch, height, width, num_classes and vgg_hidden must be positive"; });
}
}  // namespace detail

}  // namespace dlas::graph
