// SPDX-License-Identifier: Apache-2.0
/// \file model_builder.hpp
/// \brief model_builder: writes a model operation by operation, the way a framework's
/// forward() reads, declaring each module's parameters under PyTorch's names.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/graph/elementwise.hpp"
#include "dlas/graph/model.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Builds a model; every method returns the id of the value it produces.
class model_builder {
 public:
  /// A model called `arch` whose input has dims `input`.
  model_builder(std::string arch, tensor_dims input) {
    core::require(
        input.n > 0 && input.c > 0 && input.h > 0 && input.w > 0, errc::invalid_shape,
        [&] { return "model " + arch + ": input dims " + to_string(input) + " must be positive"; });
    m_.arch = std::move(arch);
    m_.values.push_back(input);
    m_.input = 0;
  }

  /// The input value.
  int input() const noexcept { return m_.input; }
  const tensor_dims& dims(int v) const { return m_.values.at(std::size_t(v)); }

  /// Conv2d called `name`: weight [K, C/groups, R, S] and, with spec.bias, bias [K].
  int conv(int x, const std::string& name, const conv_spec& spec) {
    const conv2d_shape sh = spec.shape(dims(x));
    if (const shape_issue issue = sh.check())
      throw error(errc::invalid_shape, "model " + m_.arch + ": conv '" + name + "': conv2d_shape." +
                                           std::string(issue.field) + " = " +
                                           std::to_string(issue.value) + " " +
                                           std::string(issue.reason));
    m_.params.declare(name + ".weight", {sh.k, sh.c_per_group(), sh.r, sh.s});
    if (spec.bias) m_.params.declare(name + ".bias", {sh.k});
    model_node n = node(op_kind::conv, name, {x}, sh.output_dims());
    n.conv = spec;
    return push(std::move(n));
  }

  /// A square r x r Conv2d without bias, padded by r / 2, then its BatchNorm2d: torchvision's
  /// conv-BN block (ResNet, MobileNetV2).
  int conv_bn(int x, const std::string& conv_name, const std::string& bn_name, index_t k, index_t r, index_t stride,
              index_t groups = 1) {
    x = conv(x, conv_name,
             {.out_channels = k,
              .kernel_h = r,
              .kernel_w = r,
              .stride_h = stride,
              .stride_w = stride,
              .pad_h = r / 2,
              .pad_w = r / 2,
              .groups = groups});
    return batch_norm(x, bn_name);
  }

  /// BatchNorm2d called `name`: weight, bias, running_mean, running_var, each [C].
  int batch_norm(int x, const std::string& name, double eps = 1e-5) {
    const index_t c = dims(x).c;
    for (std::string_view suffix : batch_norm_suffixes)
      m_.params.declare(name + std::string(suffix), {c});
    model_node n = node(op_kind::batch_norm, name, {x}, dims(x));
    n.eps = eps;
    return push(std::move(n));
  }

  int relu(int x, const std::string& name = "relu") {
    return push(node(op_kind::relu, name, {x}, dims(x)));
  }
  int relu6(int x, const std::string& name = "relu6") {
    return push(node(op_kind::relu6, name, {x}, dims(x)));
  }

  /// a + b (same dims).
  int add(int a, int b, const std::string& name = "add") {
    core::require(dims(a) == dims(b), errc::invalid_shape, [&] {
      return "model " + m_.arch + ": add '" + name + "' of " + to_string(dims(a)) + " and " +
             to_string(dims(b));
    });
    return push(node(op_kind::add, name, {a, b}, dims(a)));
  }

  int max_pool(int x, const std::string& name, const pool_params& p) {
    p.validate(dims(x), "model " + m_.arch + ": max_pool '" + name + "'");
    model_node n = node(op_kind::max_pool, name, {x}, p.output_dims(dims(x)));
    n.pool = p;
    return push(std::move(n));
  }
  int avg_pool(int x, const std::string& name, const pool_params& p) {
    p.validate(dims(x), "model " + m_.arch + ": avg_pool '" + name + "'");
    model_node n = node(op_kind::avg_pool, name, {x}, p.output_dims(dims(x)));
    n.pool = p;
    return push(std::move(n));
  }
  /// AdaptiveAvgPool2d((out_h, out_w)).
  int adaptive_avg_pool(int x, const std::string& name, index_t out_h, index_t out_w) {
    core::require(out_h > 0 && out_w > 0, errc::invalid_argument, [&] {
      return "model " + m_.arch + ": adaptive_avg_pool '" + name + "' output must be positive";
    });
    const tensor_dims d = dims(x);
    model_node n = node(op_kind::adaptive_avg_pool, name, {x}, {d.n, d.c, out_h, out_w});
    n.out_h = out_h;
    n.out_w = out_w;
    return push(std::move(n));
  }

  /// Linear called `name` on the flattened input (C*H*W features, torch.flatten(x, 1)):
  /// weight [out, C*H*W], bias [out]; the output is N x out x 1 x 1.
  int linear(int x, const std::string& name, index_t out_features, bool bias = true) {
    const tensor_dims d = dims(x);
    core::require(out_features > 0, errc::invalid_argument, [&] {
      return "model " + m_.arch + ": linear '" + name + "' needs out_features > 0";
    });
    m_.params.declare(name + ".weight", {out_features, d.c * d.h * d.w});
    if (bias) m_.params.declare(name + ".bias", {out_features});
    model_node n = node(op_kind::linear, name, {x}, {d.n, out_features, 1, 1});
    n.out_features = out_features;
    n.bias = bias;
    return push(std::move(n));
  }

  /// Concatenation along channels.
  int concat(const std::vector<int>& parts, const std::string& name = "cat") {
    std::vector<tensor_dims> d;
    for (int p : parts) d.push_back(dims(p));
    return push(node(op_kind::concat, name, parts, concat_dims(d)));
  }

  int softmax(int x, const std::string& name = "softmax") {
    return push(node(op_kind::softmax, name, {x}, dims(x)));
  }

  /// The model, with `output` as its result.
  model finish(int output) && {
    core::require(output >= 0 && output < int(m_.values.size()), errc::invalid_argument, [&] {
      return "model " + m_.arch + ": output value " + std::to_string(output) + " does not exist";
    });
    m_.output = output;
    return std::move(m_);
  }

 private:
  model_node node(op_kind kind, const std::string& name, std::vector<int> inputs, tensor_dims out) {
    for (int v : inputs)
      core::require(v >= 0 && v < int(m_.values.size()), errc::invalid_argument, [&] {
        return "model " + m_.arch + ": " + std::string(to_string(kind)) + " '" + name +
               "' reads value " + std::to_string(v) + ", which does not exist";
      });
    model_node n;
    n.kind = kind;
    n.name = name;
    n.inputs = std::move(inputs);
    n.output = int(m_.values.size());
    m_.values.push_back(out);
    return n;
  }
  int push(model_node n) {
    const int out = n.output;
    m_.nodes.push_back(std::move(n));
    return out;
  }

  model m_;
};

}  // namespace dlas::graph
