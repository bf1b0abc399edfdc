// SPDX-License-Identifier: Apache-2.0
/// \file model.hpp
/// \brief model: a network as its framework defines it (convolution, batch norm, ReLU, add,
/// pooling, linear...), with parameters named like PyTorch's state_dict, before any fusion.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/graph/pooling.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Operations of a model, one per framework module (torch.nn) in inference mode.
enum class op_kind {
  conv,               ///< Conv2d
  batch_norm,         ///< BatchNorm2d (running statistics)
  relu,               ///< ReLU
  relu6,              ///< ReLU6
  add,                ///< a + b (residual connection)
  max_pool,           ///< MaxPool2d
  avg_pool,           ///< AvgPool2d
  adaptive_avg_pool,  ///< AdaptiveAvgPool2d
  linear,             ///< Linear on the flattened (C, H, W) input (torch.flatten(x, 1))
  concat,             ///< torch.cat along channels
  softmax,            ///< Softmax over channels
};

constexpr std::string_view to_string(op_kind k) noexcept {
  switch (k) {
    case op_kind::conv: return "conv";
    case op_kind::batch_norm: return "batch_norm";
    case op_kind::relu: return "relu";
    case op_kind::relu6: return "relu6";
    case op_kind::add: return "add";
    case op_kind::max_pool: return "max_pool";
    case op_kind::avg_pool: return "avg_pool";
    case op_kind::adaptive_avg_pool: return "adaptive_avg_pool";
    case op_kind::linear: return "linear";
    case op_kind::concat: return "concat";
    case op_kind::softmax: return "softmax";
  }
  return "?";
}

/// Hyper-parameters of a Conv2d (padding on both sides, as PyTorch pads).
struct conv_spec {
  index_t out_channels = 1;
  index_t kernel_h = 1, kernel_w = 1;
  index_t stride_h = 1, stride_w = 1;
  index_t pad_h = 0, pad_w = 0;
  index_t dilation_h = 1, dilation_w = 1;
  index_t groups = 1;
  bool bias = false;

  /// The conv2d_shape of this convolution on an input of dims `in`.
  constexpr conv2d_shape shape(const tensor_dims& in) const noexcept {
    return {.n = in.n,
            .c = in.c,
            .h = in.h,
            .w = in.w,
            .k = out_channels,
            .r = kernel_h,
            .s = kernel_w,
            .stride_h = stride_h,
            .stride_w = stride_w,
            .pad_top = pad_h,
            .pad_left = pad_w,
            .pad_bottom = pad_h,
            .pad_right = pad_w,
            .dilation_h = dilation_h,
            .dilation_w = dilation_w,
            .groups = groups};
  }
};

/// One operation of a model.
struct model_node {
  op_kind kind = op_kind::conv;
  std::string name;              ///< module name, the prefix of its parameters ("layer1.0.conv1")
  std::vector<int> inputs;       ///< value ids, in order
  int output = -1;               ///< value id
  conv_spec conv{};              ///< conv
  pool_params pool{};            ///< max_pool, avg_pool
  index_t out_h = 1, out_w = 1;  ///< adaptive_avg_pool
  index_t out_features = 0;      ///< linear
  bool bias = true;              ///< linear
  double eps = 1e-5;             ///< batch_norm
};

/// The parameters of a BatchNorm2d called "bn": "bn" followed by each of these.
inline constexpr std::array<std::string_view, 4> batch_norm_suffixes{
    ".weight", ".bias", ".running_mean", ".running_var"};

/// A named parameter: shape (PyTorch's) and row-major fp32 values.
struct param {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> values;

  std::int64_t numel() const noexcept {
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    return n;
  }
};

/// "[64, 3, 7, 7]".
inline std::string shape_text(std::span<const std::int64_t> shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Names of parameters: those a stage of a network reads (layer_parameters), to initialise
/// or load only them.
using parameter_names = std::set<std::string, std::less<>>;

/// Parameters by name. It has the interface weight loaders take (contains, at), so one
/// model's parameters load into another.
class param_store {
 public:
  bool contains(std::string_view name) const { return index_.find(name) != index_.end(); }
  /// errc::invalid_argument naming a missing parameter.
  const param& at(std::string_view name) const {
    const auto it = index_.find(name);
    core::require(it != index_.end(), errc::invalid_argument,
                  [&] { return "no parameter named '" + std::string(name) + "'"; });
    return items_[it->second];
  }
  param& at(std::string_view name) { return const_cast<param&>(std::as_const(*this).at(name)); }
  /// Declares a parameter (values empty until initialised or loaded).
  param& declare(std::string name, std::vector<std::int64_t> shape) {
    core::require(!contains(name), errc::invalid_argument,
                  [&] { return "parameter '" + name + "' declared twice"; });
    index_.emplace(name, items_.size());
    items_.push_back({std::move(name), std::move(shape), {}});
    return items_.back();
  }
  std::span<const param> items() const noexcept { return items_; }
  std::span<param> items() noexcept { return items_; }
  std::size_t size() const noexcept { return items_.size(); }

 private:
  std::vector<param> items_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

/// A network as its framework defines it: values (activation tensors, by id), operations in
/// execution order, and parameters named like PyTorch's state_dict keys.
struct model {
  std::string arch;                 ///< "resnet18", ...
  std::vector<tensor_dims> values;  ///< dims of every value; value `input` is the input
  std::vector<model_node> nodes;    ///< in an order that computes inputs first
  int input = 0, output = -1;
  param_store params;

  /// Number of parameter values.
  std::int64_t parameter_count() const noexcept {
    std::int64_t n = 0;
    for (const param& p : params.items()) n += p.numel();
    return n;
  }
  /// Whether every parameter holds its values.
  bool has_weights() const noexcept {
    return std::all_of(params.items().begin(), params.items().end(), holds_values);
  }
  /// Whether every parameter in `names` holds its values; errc::invalid_argument naming one
  /// the model does not declare.
  bool has_weights(const parameter_names& names) const {
    return std::all_of(names.begin(), names.end(),
                       [&](const std::string& n) { return holds_values(params.at(n)); });
  }
  static bool holds_values(const param& p) noexcept {
    return std::int64_t(p.values.size()) == p.numel();
  }
  /// The node called `name`; errc::invalid_argument when none is.
  const model_node& node(std::string_view name) const {
    for (const model_node& n : nodes)
      if (n.name == name) return n;
    throw error(errc::invalid_argument,
                "model " + arch + ": no node named '" + std::string(name) + "'");
  }

  /// Copies every parameter of this model from `source` by name: anything with
  /// `contains(name)` and `at(name)` returning an object with `shape` (integers) and `values`
  /// (floats), such as io::weight_file (safetensors, .npy) or another model's params.
  /// Names the model does not use (num_batches_tracked, ...) are ignored. A missing name is
  /// errc::invalid_argument and a shape or size that differs errc::mismatched_buffer, both
  /// naming the parameter; nothing is changed then.
  template <class Source>
  void load(const Source& source) {
    load_only(source, nullptr);
  }
  /// Copies only the parameters in `names` (a stage's: layer_parameters), as load() does;
  /// the others keep what they hold, and `source` is read for these names only.
  template <class Source>
  void load(const Source& source, const parameter_names& names) {
    for (const std::string& n : names) params.at(n);  // each must be declared
    load_only(source, &names);
  }

 private:
  /// load() of every parameter (`only` null) or of those in `only`.
  template <class Source>
  void load_only(const Source& source, const parameter_names* only) {
    std::vector<std::pair<param*, std::vector<float>>> staged;
    for (param& p : params.items()) {
      if (only && !only->contains(p.name)) continue;
      core::require(source.contains(p.name), errc::invalid_argument, [&] {
        return "model " + arch + ": missing weight '" + p.name + "' (shape " + shape_text(p.shape) +
               ")";
      });
      const auto& t = source.at(p.name);
      const std::vector<std::int64_t> got(t.shape.begin(), t.shape.end());
      core::require(got == p.shape, errc::mismatched_buffer, [&] {
        return "model " + arch + ": weight '" + p.name + "' has shape " + shape_text(got) +
               ", expected " + shape_text(p.shape);
      });
      core::require(std::int64_t(t.values.size()) == p.numel(), errc::mismatched_buffer, [&] {
        return "model " + arch + ": weight '" + p.name + "' holds " +
               std::to_string(t.values.size()) + " values, its shape " + shape_text(p.shape) +
               " needs " + std::to_string(p.numel());
      });
      staged.emplace_back(&p, std::vector<float>(t.values.begin(), t.values.end()));
    }
    for (auto& [p, values] : staged) p->values = std::move(values);
  }
};

}  // namespace dlas::graph
