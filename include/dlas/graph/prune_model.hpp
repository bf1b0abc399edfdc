// SPDX-License-Identifier: Apache-2.0
/// \file prune_model.hpp
/// \brief Magnitude pruning of a whole model's convolution and linear weights, so that its
/// CSR layers store fewer weights (optimize::prune_unstructured per layer).
#pragma once

#include <cstdint>

#include "dlas/graph/model.hpp"
#include "dlas/optimize/prune.hpp"

namespace dlas::graph {

/// Zeroes the smallest `sparsity` fraction (in [0, 1]) of each convolution's and linear
/// layer's weights by magnitude; biases and batch norms are kept. Returns the weights zeroed.
inline std::int64_t prune_unstructured(model& m, double sparsity) {
  std::int64_t zeroed = 0;
  for (const model_node& n : m.nodes)
    if (n.kind == op_kind::conv || n.kind == op_kind::linear) {
      param& w = m.params.at(n.name + ".weight");
      zeroed += optimize::prune_unstructured(w.values, sparsity);
    }
  return zeroed;
}

}  // namespace dlas::graph
