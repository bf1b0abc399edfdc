// SPDX-License-Identifier: Apache-2.0
/// \file build.hpp
/// \brief build(): a network from an architecture name, with every kernel available.
#pragma once

#include <string_view>

#include "dlas/config.hpp"
#include "dlas/graph/all_kernels.hpp"
#include "dlas/graph/models.hpp"
#include "dlas/graph/network.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// The architecture `name` (make_model) with deterministic weights, configured by
/// `options`, able to run any configuration (all_kernels()). With network_options::layers,
/// only those layers' weights are made.
inline network build(std::string_view name, const model_options& model = {},
                     const network_options& options = {}) {
  if (options.layers)
    return network(make_model(name, model, *options.layers), options, all_kernels());
  return network(make_model(name, model), options, all_kernels());
}

}  // namespace dlas::graph
