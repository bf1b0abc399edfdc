// SPDX-License-Identifier: Apache-2.0
/// \file prune_model.hpp
/// \brief Pruning a whole model: unstructured magnitude pruning of every convolution and
/// linear layer (CSR layers then store fewer weights), and structured channel pruning, which
/// removes whole channels between convolutions so the network runs smaller dense layers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/graph/model.hpp"
#include "dlas/optimize/prune.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

namespace detail {

inline bool is_depthwise_node(const model& m, const model_node& n) {
  const index_t c = m.values[std::size_t(n.inputs.at(0))].c;
  return n.kind == op_kind::conv && n.conv.groups == c && n.conv.out_channels == c && c > 1;
}

}  // namespace detail

/// Which layers prune_unstructured prunes.
enum class prune_scope {
  all,            ///< every convolution and linear layer
  skip_depthwise  ///< not the depthwise convolutions: few weights, and the network runs them
                  ///< dense (network_options::csr_depthwise), as Elsen et al. keep them
};

/// Zeroes the smallest `sparsity` fraction (in [0, 1]) of each convolution's and linear
/// layer's weights by magnitude (within `scope`); biases and batch norms are kept. Returns
/// the weights zeroed.
inline std::int64_t prune_unstructured(model& m, double sparsity, prune_scope scope = prune_scope::all) {
  std::int64_t zeroed = 0;
  for (const model_node& n : m.nodes)
    if ((n.kind == op_kind::conv || n.kind == op_kind::linear) &&
        !(scope == prune_scope::skip_depthwise && detail::is_depthwise_node(m, n))) {
      param& w = m.params.at(n.name + ".weight");
      zeroed += optimize::prune_unstructured(w.values, sparsity);
    }
  return zeroed;
}

/// The channels of one convolution's output that can be removed together: the producer (a
/// groups = 1 convolution), the channel-wise nodes its output passes through (batch norm,
/// ReLU, ReLU6, pooling, depthwise convolutions) and the groups = 1 convolutions that consume
/// the result. A residual add, a concatenation, a linear layer or the model's output on the
/// way pins the channels (their count is shared with another tensor), and the group is empty.
struct channel_group {
  int producer = -1;            ///< node index
  std::vector<int> passing;     ///< channel-wise nodes, in order
  std::vector<int> consumers;   ///< groups = 1 convolutions reading the last value
  std::vector<int> values;      ///< values whose channel count changes
  bool empty() const noexcept { return consumers.empty(); }
};

namespace detail {

inline bool is_channel_wise(const model& m, const model_node& n) {
  switch (n.kind) {
    case op_kind::batch_norm:
    case op_kind::relu:
    case op_kind::relu6:
    case op_kind::max_pool:
    case op_kind::avg_pool: return true;
    case op_kind::conv: return is_depthwise_node(m, n);
    default: return false;
  }
}

/// The nodes that read each value (pruning changes channel counts, never these).
inline std::vector<std::vector<int>> value_readers(const model& m) {
  std::vector<std::vector<int>> readers(m.values.size());
  for (std::size_t i = 0; i < m.nodes.size(); ++i)
    for (int v : m.nodes[i].inputs) readers[std::size_t(v)].push_back(int(i));
  return readers;
}

/// find_channel_group with the readers of every value already known.
inline channel_group find_channel_group(const model& m, int producer,
                                        const std::vector<std::vector<int>>& readers);

/// Keeps the rows `keep` of a parameter whose first dimension is the channel.
inline void keep_rows(param& p, std::span<const index_t> keep) {
  const std::size_t per = p.values.size() / std::size_t(p.shape.at(0));
  std::vector<float> kept;
  kept.reserve(keep.size() * per);
  for (index_t k : keep)
    kept.insert(kept.end(), p.values.begin() + std::ptrdiff_t(std::size_t(k) * per),
                p.values.begin() + std::ptrdiff_t(std::size_t(k + 1) * per));
  p.values = std::move(kept);
  p.shape[0] = std::int64_t(keep.size());
}

}  // namespace detail

/// The channel group whose producer is node `producer` (empty when the channels are pinned
/// or the node is not a groups = 1 convolution).
inline channel_group find_channel_group(const model& m, int producer) {
  return detail::find_channel_group(m, producer, detail::value_readers(m));
}

inline channel_group detail::find_channel_group(const model& m, int producer,
                                                const std::vector<std::vector<int>>& readers) {
  channel_group g;
  const model_node& p = m.nodes.at(std::size_t(producer));
  if (p.kind != op_kind::conv || p.conv.groups != 1) return g;
  int v = p.output;
  g.values.push_back(v);
  for (;;) {
    if (v == m.output || readers[std::size_t(v)].empty()) return {};
    const auto& r = readers[std::size_t(v)];
    const bool all_convs = std::all_of(r.begin(), r.end(), [&](int i) {
      const model_node& n = m.nodes[std::size_t(i)];
      return n.kind == op_kind::conv && n.conv.groups == 1;
    });
    if (all_convs) {
      g.producer = producer;
      g.consumers = r;
      return g;
    }
    if (r.size() != 1 || !detail::is_channel_wise(m, m.nodes[std::size_t(r[0])])) return {};
    g.passing.push_back(r[0]);
    v = m.nodes[std::size_t(r[0])].output;
    g.values.push_back(v);
  }
}

/// What prune_channels removed from one channel group: the producer's output channels kept,
/// as indices into its channels before pruning.
struct pruned_channels {
  std::string producer;          ///< node name, e.g. "layer1.0.conv1"
  index_t channels_before = 0;
  std::vector<index_t> kept;     ///< ascending
  std::vector<std::string> consumers;
};

/// Structured pruning: for every channel group (find_channel_group), removes round(fraction *
/// channels) channels, those whose producer filters have the smallest L1 norm
/// (optimize::select_filters; at least one channel stays), from the producer's filters and
/// bias, every batch norm and depthwise convolution on the way, and the consumers' input
/// channels. The model then computes a smaller network of dense layers; the parameter shapes
/// and value dims follow. Weights must be initialised or loaded first. Returns what each group
/// kept (groups with nothing to remove are left out).
inline std::vector<pruned_channels> prune_channels(model& m, double fraction) {
  optimize::detail::check_sparsity(fraction, "prune_channels");
  core::require(m.has_weights(), errc::invalid_argument, [&] {
    return "prune_channels: model " + m.arch + " has parameters without values (initialise or load them)";
  });
  std::vector<pruned_channels> report;
  const auto readers = detail::value_readers(m);
  for (int i = 0; i < int(m.nodes.size()); ++i) {
    const channel_group g = detail::find_channel_group(m, i, readers);
    if (g.empty()) continue;
    model_node& producer = m.nodes[std::size_t(i)];
    const index_t channels = producer.conv.out_channels;
    param& w = m.params.at(producer.name + ".weight");
    // At least one channel stays: the filter of largest norm when `fraction` would take all.
    const double taken = std::min(fraction, double(channels - 1) / double(channels));
    const std::vector<index_t> keep = optimize::select_filters(w.values, channels, taken);
    if (index_t(keep.size()) == channels) continue;
    std::vector<conv2d_shape> consumer_shapes;  // before the values shrink
    for (int n : g.consumers) {
      const model_node& consumer = m.nodes[std::size_t(n)];
      consumer_shapes.push_back(consumer.conv.shape(m.values[std::size_t(consumer.inputs.at(0))]));
    }
    pruned_channels& r = report.emplace_back(pruned_channels{producer.name, channels, keep, {}});
    auto shrink = [&](const std::string& name) {
      if (m.params.contains(name)) detail::keep_rows(m.params.at(name), keep);
    };
    shrink(producer.name + ".weight");
    shrink(producer.name + ".bias");
    producer.conv.out_channels = index_t(keep.size());
    for (int n : g.passing) {
      model_node& node = m.nodes[std::size_t(n)];
      for (const char* suffix : {".weight", ".bias", ".running_mean", ".running_var"}) shrink(node.name + suffix);
      if (node.kind == op_kind::conv) node.conv.out_channels = node.conv.groups = index_t(keep.size());
    }
    for (int v : g.values) m.values[std::size_t(v)].c = index_t(keep.size());
    for (std::size_t c = 0; c < g.consumers.size(); ++c) {
      r.consumers.push_back(m.nodes[std::size_t(g.consumers[c])].name);
      param& cw = m.params.at(r.consumers.back() + ".weight");
      cw.values = optimize::keep_input_channels(consumer_shapes[c], cw.values, {}, keep).weights;
      cw.shape[1] = std::int64_t(keep.size());
    }
  }
  return report;
}

}  // namespace dlas::graph
