// SPDX-License-Identifier: Apache-2.0
/// \file network_desc.hpp
/// \brief network_desc: a model after fusion, the layers dlas runs. Batch norm folds into the
/// convolution before it, ReLU/ReLU6 into the convolution or add before it, a residual add
/// into the convolution that produces one operand, and Linear becomes a convolution whose
/// kernel covers its whole input.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/graph/model.hpp"
#include "dlas/graph/pooling.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// What a layer of a fused network computes.
enum class layer_kind {
  conv,  ///< act(conv(x) + bias [+ residual]), batch norm folded
  max_pool,
  avg_pool,
  adaptive_avg_pool,  ///< includes global average pooling (1x1)
  add,                ///< act(a + b), where no convolution could take the add
  activation,         ///< act(x), where no convolution or add could take it
  concat,
  softmax,
};

constexpr std::string_view to_string(layer_kind k) noexcept {
  switch (k) {
    case layer_kind::conv: return "conv";
    case layer_kind::max_pool: return "max_pool";
    case layer_kind::avg_pool: return "avg_pool";
    case layer_kind::adaptive_avg_pool: return "adaptive_avg_pool";
    case layer_kind::add: return "add";
    case layer_kind::activation: return "activation";
    case layer_kind::concat: return "concat";
    case layer_kind::softmax: return "softmax";
  }
  return "?";
}

/// One layer of a fused network.
struct layer_desc {
  layer_kind kind = layer_kind::conv;
  std::string name;                   ///< the model node it starts from ("layer1.0.conv1", "fc")
  std::vector<int> inputs;            ///< value ids (conv: one; add: two; concat: any)
  int residual = -1;                  ///< conv: the value added before the activation, or -1
  int output = -1;                    ///< value id
  activation act = activation::none;  ///< conv, add, activation
  conv2d_shape shape{};               ///< conv
  bool linear = false;                ///< conv: a Linear layer (kernel = the whole input)
  std::string weight, bias;           ///< conv: parameter names (bias may be empty)
  std::string batch_norm;             ///< conv: prefix of the folded BatchNorm2d, or empty
  double bn_eps = 1e-5;
  pool_params pool{};              ///< max_pool, avg_pool
  std::vector<std::string> fused;  ///< model nodes folded into this layer (bn, relu, add)
};

/// A fused network: values (activation tensors) and layers in execution order.
struct network_desc {
  std::string arch;
  std::vector<tensor_dims> values;       ///< dims per value; `input` is the network input
  std::vector<std::string> value_names;  ///< the layer (or "input") that produces each value
  std::vector<layer_desc> layers;
  int input = 0, output = -1;

  int size() const noexcept { return int(layers.size()); }
  /// Index of the layer called `name`; errc::invalid_argument when there is none.
  int find(std::string_view name) const {
    for (int i = 0; i < size(); ++i)
      if (layers[std::size_t(i)].name == name) return i;
    throw error(errc::invalid_argument,
                "network " + arch + ": no layer named '" + std::string(name) + "'");
  }
};

/// Layers [first, last) of a network: a pipeline stage.
struct layer_range {
  int first = 0, last = 0;

  bool contains(int layer) const noexcept { return first <= layer && layer < last; }
  bool contains(const layer_range& r) const noexcept { return first <= r.first && r.last <= last; }
  friend bool operator==(const layer_range&, const layer_range&) = default;
};

/// "[first, last)".
inline std::string to_string(const layer_range& r) {
  return "[" + std::to_string(r.first) + ", " + std::to_string(r.last) + ")";
}

/// `r`, which must be a non-empty range of d's layers; errc::invalid_argument otherwise.
inline layer_range checked_range(const network_desc& d, layer_range r) {
  core::require(0 <= r.first && r.first < r.last && r.last <= d.size(), errc::invalid_argument,
                [&] {
                  return "network " + d.arch + ": layers " + to_string(r) +
                         " are not a range of its " + std::to_string(d.size()) + " layers";
                });
  return r;
}

/// The model parameters layers `r` of `d` read: each convolution's weight and bias and its
/// folded batch norm's four. Initialising or loading only these builds the stage alone.
inline parameter_names layer_parameters(const network_desc& d, layer_range r) {
  checked_range(d, r);
  parameter_names names;
  for (int i = r.first; i < r.last; ++i) {
    const layer_desc& l = d.layers[std::size_t(i)];
    if (l.kind != layer_kind::conv) continue;
    names.insert(l.weight);
    if (!l.bias.empty()) names.insert(l.bias);
    if (!l.batch_norm.empty())
      for (std::string_view suffix : batch_norm_suffixes)
        names.insert(l.batch_norm + std::string(suffix));
  }
  return names;
}

/// Fuses `m` (see the file comment). A batch norm that follows no convolution it can fold
/// into (the convolution's output must feed the batch norm alone) is errc::unsupported.
inline network_desc fuse(const model& m) {
  network_desc d;
  d.arch = m.arch;
  std::vector<int> uses(m.values.size(), 0);
  for (const model_node& n : m.nodes)
    for (int v : n.inputs) ++uses[std::size_t(v)];
  ++uses[std::size_t(m.output)];
  std::vector<int> alias(m.values.size(), -1);  // model value -> fused value
  std::vector<int> producer;                    // fused value -> layer index (-1: input)
  auto new_value = [&](const tensor_dims& dims, const std::string& name, int layer) {
    d.values.push_back(dims);
    d.value_names.push_back(name);
    producer.push_back(layer);
    return int(d.values.size()) - 1;
  };
  alias[std::size_t(m.input)] = new_value(m.values[std::size_t(m.input)], "input", -1);
  d.input = alias[std::size_t(m.input)];
  auto in = [&](const model_node& n, std::size_t i) { return alias[std::size_t(n.inputs[i])]; };
  // The layer that produced fused value v when it is a conv that a following op may extend.
  auto conv_of = [&](int v) -> layer_desc* {
    const int l = producer[std::size_t(v)];
    return l >= 0 && d.layers[std::size_t(l)].kind == layer_kind::conv ? &d.layers[std::size_t(l)]
                                                                       : nullptr;
  };
  auto sole_use = [&](const model_node& n, std::size_t i) {
    return uses[std::size_t(n.inputs[i])] == 1;
  };
  auto add_layer = [&](layer_desc l, const model_node& n) {
    l.name = n.name;
    l.output = new_value(m.values[std::size_t(n.output)], n.name, d.size());
    alias[std::size_t(n.output)] = l.output;
    d.layers.push_back(std::move(l));
  };

  for (const model_node& n : m.nodes) {
    const tensor_dims x = n.inputs.empty() ? tensor_dims{} : m.values[std::size_t(n.inputs[0])];
    layer_desc l;
    switch (n.kind) {
      case op_kind::conv:
        l.kind = layer_kind::conv;
        l.inputs = {in(n, 0)};
        l.shape = n.conv.shape(x);
        l.weight = n.name + ".weight";
        if (n.conv.bias) l.bias = n.name + ".bias";
        add_layer(std::move(l), n);
        break;
      case op_kind::linear:
        l.kind = layer_kind::conv;
        l.linear = true;
        l.inputs = {in(n, 0)};
        l.shape = {.n = x.n, .c = x.c, .h = x.h, .w = x.w, .k = n.out_features, .r = x.h, .s = x.w};
        l.weight = n.name + ".weight";
        if (n.bias) l.bias = n.name + ".bias";
        add_layer(std::move(l), n);
        break;
      case op_kind::batch_norm: {
        layer_desc* c = conv_of(in(n, 0));
        core::require(
            c && sole_use(n, 0) && c->batch_norm.empty() && c->act == activation::none &&
                c->residual < 0 && !c->linear,
            errc::unsupported, [&] {
              return "model " + m.arch + ": batch_norm '" + n.name +
                     "' does not directly follow a convolution it can be folded into "
                     "(dlas folds batch norm; the convolution's output must feed it alone)";
            });
        c->batch_norm = n.name;
        c->bn_eps = n.eps;
        c->fused.push_back(n.name);
        alias[std::size_t(n.output)] = in(n, 0);
        break;
      }
      case op_kind::relu:
      case op_kind::relu6: {
        const activation act = n.kind == op_kind::relu ? activation::relu : activation::relu6;
        const int v = in(n, 0), p = producer[std::size_t(v)];
        layer_desc* target = p >= 0 ? &d.layers[std::size_t(p)] : nullptr;
        if (target && sole_use(n, 0) && target->act == activation::none &&
            (target->kind == layer_kind::conv || target->kind == layer_kind::add)) {
          target->act = act;
          target->fused.push_back(n.name);
          alias[std::size_t(n.output)] = v;
        } else {
          l.kind = layer_kind::activation;
          l.act = act;
          l.inputs = {v};
          add_layer(std::move(l), n);
        }
        break;
      }
      case op_kind::add: {
        // Fuse into the later-computed convolution operand, so the other is ready by then.
        layer_desc* best = nullptr;
        int other = -1;
        for (std::size_t i = 0; i < 2; ++i) {
          layer_desc* c = conv_of(in(n, i));
          const int layer = producer[std::size_t(in(n, i))], rest = in(n, 1 - i);
          if (c && sole_use(n, i) && c->act == activation::none && c->residual < 0 &&
              in(n, 0) != in(n, 1) && producer[std::size_t(rest)] < layer &&
              (!best || layer > producer[std::size_t(best->output)])) {
            best = c;
            other = rest;
          }
        }
        if (best) {
          best->residual = other;
          best->fused.push_back(n.name);
          alias[std::size_t(n.output)] = best->output;
        } else {
          l.kind = layer_kind::add;
          l.inputs = {in(n, 0), in(n, 1)};
          add_layer(std::move(l), n);
        }
        break;
      }
      case op_kind::max_pool:
      case op_kind::avg_pool:
        l.kind = n.kind == op_kind::max_pool ? layer_kind::max_pool : layer_kind::avg_pool;
        l.inputs = {in(n, 0)};
        l.pool = n.pool;
        add_layer(std::move(l), n);
        break;
      case op_kind::adaptive_avg_pool:
        l.kind = layer_kind::adaptive_avg_pool;
        l.inputs = {in(n, 0)};
        add_layer(std::move(l), n);
        break;
      case op_kind::concat:
        l.kind = layer_kind::concat;
        for (std::size_t i = 0; i < n.inputs.size(); ++i) l.inputs.push_back(in(n, i));
        add_layer(std::move(l), n);
        break;
      case op_kind::softmax:
        l.kind = layer_kind::softmax;
        l.inputs = {in(n, 0)};
        add_layer(std::move(l), n);
        break;
    }
  }
  d.output = alias[std::size_t(m.output)];
  return d;
}

}  // namespace dlas::graph
