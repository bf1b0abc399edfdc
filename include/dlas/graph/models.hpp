// SPDX-License-Identifier: Apache-2.0
/// \file models.hpp
/// \brief The architectures by name: resnet18/34/50/101/152, mobilenet_v2, vgg11/13/16/19,
/// whole or with the parameters of a range of layers only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/graph/models/mobilenet_v2.hpp"
#include "dlas/graph/network_desc.hpp"
#include "dlas/graph/models/resnet.hpp"
#include "dlas/graph/models/vgg.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Names make_model accepts.
inline std::vector<std::string> model_names() {
  return {"resnet18",     "resnet34", "resnet50", "resnet101", "resnet152",
          "mobilenet_v2", "vgg11",    "vgg13",    "vgg16",     "vgg19"};
}

/// The architecture called `name` (torchvision's name) built for `options`;
/// errc::invalid_argument listing the known names otherwise.
inline model make_model(std::string_view name, const model_options& options = {}) {
  auto depth = [&](std::string_view prefix) {
    return std::stoi(std::string(name.substr(prefix.size())));
  };
  for (const std::string& known : model_names()) {
    if (name != known) continue;
    if (name.starts_with("resnet")) return resnet(depth("resnet"), options);
    if (name.starts_with("vgg")) return vgg(depth("vgg"), options);
    return mobilenet_v2(options);
  }
  std::string list;
  for (const std::string& n : model_names()) list += (list.empty() ? "" : ", ") + n;
  throw error(errc::invalid_argument,
              "unknown architecture '" + std::string(name) + "' (expected one of " + list + ")");
}

/// make_model, with values only for the parameters fused layers `layers` read
/// (layer_parameters; each equal to the whole model's) and the others declared but empty: what
/// network_options::layers needs, without the memory of the rest. Errors as make_model's, and
/// errc::invalid_argument when `layers` is not a range of the fused network's layers.
inline model make_model(std::string_view name, const model_options& options, layer_range layers) {
  model_options structure = options;
  structure.init = false;
  model m = make_model(name, structure);
  const parameter_names used = layer_parameters(fuse(m), layers);
  if (options.init) init_weights(m, options.seed, used);
  return m;
}

}  // namespace dlas::graph
