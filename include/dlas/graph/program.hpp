// SPDX-License-Identifier: Apache-2.0
/// \file program.hpp
/// \brief lower(): a fused network and its per-layer configurations become a program of
/// steps over concrete tensors, with a cast or reorder inserted wherever a layer wants its
/// input in another precision or layout than the one it was produced in.
#pragma once

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/core/error.hpp"
#include "dlas/graph/conv_config.hpp"
#include "dlas/graph/network_desc.hpp"
#include "dlas/graph/tensor_ref.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// What one step of a program does.
enum class step_kind {
  conv,
  max_pool,
  avg_pool,
  adaptive_avg_pool,
  add,
  activation,
  concat,
  softmax,
  convert
};

constexpr std::string_view to_string(step_kind k) noexcept {
  switch (k) {
    case step_kind::conv: return "conv";
    case step_kind::max_pool: return "max_pool";
    case step_kind::avg_pool: return "avg_pool";
    case step_kind::adaptive_avg_pool: return "adaptive_avg_pool";
    case step_kind::add: return "add";
    case step_kind::activation: return "activation";
    case step_kind::concat: return "concat";
    case step_kind::softmax: return "softmax";
    case step_kind::convert: return "convert";
  }
  return "?";
}

/// One step: reads tensors `inputs` (and `residual`), writes tensor `output`.
struct step {
  step_kind kind = step_kind::conv;
  int layer = -1;           ///< the layer it belongs to (a convert: the layer that needs it)
  std::vector<int> inputs;  ///< tensor ids
  int residual = -1;        ///< conv: tensor id or -1
  int output = -1;          ///< tensor id
};

/// How a convolution layer runs: its configuration and the conv2d_options it is built with.
struct conv_binding {
  conv_config config{};
  activation act = activation::none;
  quant_params input_quant{};                ///< int8: the input codes' quantisation
  std::optional<quant_params> output_quant;  ///< int8 with 8-bit output

  bool operator==(const conv_binding& o) const noexcept {
    auto same = [](const quant_params& a, const quant_params& b) {
      return a.scale == b.scale && a.zero_point == b.zero_point;
    };
    return config == o.config && act == o.act && same(input_quant, o.input_quant) &&
           output_quant.has_value() == o.output_quant.has_value() &&
           (!output_quant || same(*output_quant, *o.output_quant));
  }
};

/// A network lowered to steps over concrete tensors.
///
/// Tensor `input` is the network input (fp32 in the I/O layout) and tensor `output` its
/// output (likewise). Steps are in execution order and grouped by layer; each tensor is
/// written by exactly one step (or is the input).
struct program {
  std::vector<tensor_desc> tensors;
  std::vector<int> logical;         ///< per tensor: the network_desc value it holds
  std::vector<int> producer_layer;  ///< per tensor: layer of the step writing it (-1: input)
  std::vector<int> last_use_layer;  ///< per tensor: last layer reading it (layers: the output)
  std::vector<step> steps;
  std::vector<conv_binding> convs;  ///< per layer (conv layers only)
  int layers = 0;
  int input = 0, output = -1;

  /// Tensors live across the cut before layer `cut` (written before it, read at or after it):
  /// the inputs of a stage starting at `cut` and the outputs of one ending there.
  std::vector<int> boundary(int cut) const {
    std::vector<int> b;
    for (int t = 0; t < int(tensors.size()); ++t)
      if (producer_layer[std::size_t(t)] < cut && last_use_layer[std::size_t(t)] >= cut)
        b.push_back(t);
    return b;
  }
};

/// The element type a precision stores activations in.
constexpr dtype storage_type(precision_kind p) noexcept {
  return p == precision_kind::fp32   ? dtype::f32
         : p == precision_kind::fp16 ? dtype::f16
                                     : dtype::u8;
}

/// Lowers `d` with per-layer configurations `configs` (entries of non-conv layers are
/// ignored) and 8-bit quantisation per network value `calibration` (needed only where a
/// layer makes 8-bit codes from real values: errc::invalid_argument naming the value when
/// it is missing).
///
/// Rules: a convolution reads its precision's storage type in its layout; an int8
/// convolution writes 8-bit codes (quantised as calibrated) unless it adds a residual or a
/// reader other than an int8 convolution or a pooling layer wants its output, in which case
/// it writes fp32. Pooling keeps its input's type, layout and quantisation; add and
/// activation work in fp16 when their inputs are fp16 and fp32 otherwise; softmax in fp32.
/// A tensor converted once is reused by later readers.
inline program lower(const network_desc& d, std::span<const conv_config> configs,
                     std::span<const std::optional<quant_params>> calibration,
                     layout_kind io_layout) {
  core::require(d.size() > 0 && int(configs.size()) == d.size(), errc::invalid_argument, [&] {
    return "lower: network " + d.arch + " has " + std::to_string(d.size()) + " layers and " +
           std::to_string(configs.size()) + " configurations";
  });
  program p;
  p.layers = d.size();
  p.convs.resize(std::size_t(d.size()));
  std::vector<std::vector<int>> reps(d.values.size());  // value -> tensors holding it
  auto add_tensor = [&](const tensor_desc& t, int value, int layer) {
    p.tensors.push_back(t);
    p.logical.push_back(value);
    p.producer_layer.push_back(layer);
    p.last_use_layer.push_back(-1);
    return int(p.tensors.size()) - 1;
  };
  p.input = add_tensor({d.values[std::size_t(d.input)], dtype::f32, io_layout, {}}, d.input, -1);
  reps[std::size_t(d.input)].push_back(p.input);

  auto quant_of = [&](int v, int layer) {
    core::require(std::size_t(v) < calibration.size() && calibration[std::size_t(v)].has_value(),
                  errc::invalid_argument, [&] {
                    return "network " + d.arch + ": layer '" + d.layers[std::size_t(layer)].name +
                           "' needs 8-bit codes of value '" + d.value_names[std::size_t(v)] +
                           "', which has no calibration: call network::calibrate first";
                  });
    return *calibration[std::size_t(v)];
  };
  // A tensor holding value v as (type, layout); 8-bit tensors of any quantisation qualify.
  auto get = [&](int v, dtype type, layout_kind layout, int layer) {
    auto& r = reps[std::size_t(v)];
    for (int t : r)
      if (p.tensors[std::size_t(t)].type == type && p.tensors[std::size_t(t)].layout == layout)
        return t;
    // Convert from the most exact tensor: the same type (a reorder), else fp32, else fp16.
    int src = r.front();
    auto rank = [&](int t) {
      const dtype ty = p.tensors[std::size_t(t)].type;
      return ty == type ? 0 : ty == dtype::f32 ? 1 : ty == dtype::f16 ? 2 : 3;
    };
    for (int t : r)
      if (rank(t) < rank(src)) src = t;
    const tensor_desc& s = p.tensors[std::size_t(src)];
    tensor_desc want{s.dims, type, layout, {}};
    if (type == dtype::u8) want.quant = s.type == dtype::u8 ? s.quant : quant_of(v, layer);
    const int out = add_tensor(want, v, layer);
    p.steps.push_back({step_kind::convert, layer, {src}, -1, out});
    r.push_back(out);
    return out;
  };
  auto native = [&](int v) -> const tensor_desc& {
    return p.tensors[std::size_t(reps[std::size_t(v)].front())];
  };

  // Who reads each value, to decide whether an int8 convolution may write 8-bit codes.
  std::vector<bool> codes_ok(d.values.size(), true);
  for (int i = 0; i < d.size(); ++i) {
    const layer_desc& l = d.layers[std::size_t(i)];
    const bool pool = l.kind == layer_kind::max_pool || l.kind == layer_kind::avg_pool ||
                      l.kind == layer_kind::adaptive_avg_pool;
    const bool int8_conv =
        l.kind == layer_kind::conv && configs[std::size_t(i)].precision == precision_kind::int8;
    for (int v : l.inputs)
      if (!pool && !int8_conv) codes_ok[std::size_t(v)] = false;
    if (l.residual >= 0) codes_ok[std::size_t(l.residual)] = false;
  }
  codes_ok[std::size_t(d.output)] = false;

  for (int i = 0; i < d.size(); ++i) {
    const layer_desc& l = d.layers[std::size_t(i)];
    const tensor_dims out_dims = d.values[std::size_t(l.output)];
    step s;
    s.layer = i;
    tensor_desc out{out_dims, dtype::f32, layout_kind::nchw, {}};
    switch (l.kind) {
      case layer_kind::conv: {
        const conv_config c = configs[std::size_t(i)];
        conv_binding& b = p.convs[std::size_t(i)];
        b.config = c;
        b.act = l.act;
        s.kind = step_kind::conv;
        s.inputs = {get(l.inputs[0], storage_type(c.precision), c.layout, i)};
        out.layout = c.layout;
        out.type = storage_type(c.precision);
        if (c.precision == precision_kind::int8) {
          b.input_quant = p.tensors[std::size_t(s.inputs[0])].quant;
          if (l.residual < 0 && codes_ok[std::size_t(l.output)]) {
            out.quant = quant_of(l.output, i);
            b.output_quant = out.quant;
          } else {
            out.type = dtype::f32;
          }
        }
        if (l.residual >= 0) s.residual = get(l.residual, out.type, c.layout, i);
        break;
      }
      case layer_kind::max_pool:
      case layer_kind::avg_pool:
      case layer_kind::adaptive_avg_pool: {
        s.kind = l.kind == layer_kind::max_pool   ? step_kind::max_pool
                 : l.kind == layer_kind::avg_pool ? step_kind::avg_pool
                                                  : step_kind::adaptive_avg_pool;
        s.inputs = {reps[std::size_t(l.inputs[0])].front()};
        const tensor_desc& x = native(l.inputs[0]);
        out = {out_dims, x.type, x.layout, x.quant};
        break;
      }
      case layer_kind::add:
      case layer_kind::activation: {
        s.kind = l.kind == layer_kind::add ? step_kind::add : step_kind::activation;
        bool half = true;
        for (int v : l.inputs) half = half && native(v).type == dtype::f16;
        out.type = half ? dtype::f16 : dtype::f32;
        out.layout = native(l.inputs[0]).layout;
        for (int v : l.inputs) s.inputs.push_back(get(v, out.type, out.layout, i));
        break;
      }
      case layer_kind::concat: {
        s.kind = step_kind::concat;
        const tensor_desc& first = native(l.inputs[0]);
        bool same = true;
        for (int v : l.inputs) {
          const tensor_desc& t = native(v);
          same = same && t.type == first.type &&
                 (t.type != dtype::u8 || (t.quant.scale == first.quant.scale &&
                                          t.quant.zero_point == first.quant.zero_point));
        }
        out.type = same ? first.type : dtype::f32;
        out.layout = first.layout;
        if (out.type == dtype::u8) out.quant = first.quant;
        for (int v : l.inputs) s.inputs.push_back(get(v, out.type, out.layout, i));
        break;
      }
      case layer_kind::softmax:
        s.kind = step_kind::softmax;
        out.layout = native(l.inputs[0]).layout;
        s.inputs = {get(l.inputs[0], dtype::f32, out.layout, i)};
        break;
    }
    s.output = add_tensor(out, l.output, i);
    reps[std::size_t(l.output)].push_back(s.output);
    p.steps.push_back(std::move(s));
  }
  p.output = get(d.output, dtype::f32, io_layout, d.size() - 1);

  for (const step& s : p.steps) {
    for (int t : s.inputs)
      p.last_use_layer[std::size_t(t)] = std::max(p.last_use_layer[std::size_t(t)], s.layer);
    if (s.residual >= 0)
      p.last_use_layer[std::size_t(s.residual)] =
          std::max(p.last_use_layer[std::size_t(s.residual)], s.layer);
  }
  p.last_use_layer[std::size_t(p.output)] = d.size();
  return p;
}

}  // namespace dlas::graph
