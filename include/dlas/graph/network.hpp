// SPDX-License-Identifier: Apache-2.0
/// \file network.hpp
/// \brief network: a model fused, configured per layer (layout, precision, sparsity,
/// algorithm), lowered and run by the planned-memory executor, whole or a stage [a, b) at a
/// time; it predicts its memory before allocating and exports per-layer costs for the
/// partition recommender.
#pragma once

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/tensor.hpp"
#include "dlas/graph/batch_norm.hpp"
#include "dlas/graph/conv_config.hpp"
#include "dlas/graph/conv_layer.hpp"
#include "dlas/graph/executor.hpp"
#include "dlas/graph/model.hpp"
#include "dlas/graph/network_desc.hpp"
#include "dlas/graph/program.hpp"
#include "dlas/graph/workspace_arena.hpp"
#include "dlas/memory/layer_cost.hpp"
#include "dlas/memory/profile.hpp"
#include "dlas/optimize/calibrate.hpp"
#include "dlas/optimize/quantize.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// How a network is configured and where its buffers come from.
struct network_options {
  /// The configuration of every convolution and fully connected layer...
  conv_config conv{};
  /// ...except these, by layer name ("layer1.0.conv1", "fc").
  std::vector<std::pair<std::string, conv_config>> per_layer{};
  /// Whether depthwise convolutions take a CSR `conv` too. By default they stay dense (unless
  /// named in per_layer): with R * S weights per channel a CSR row has nothing to skip, and
  /// run one group at a time they are several times slower than the depthwise kernel
  /// (MobileNetV2 at 90% sparsity: 0.25x dense end to end with them in CSR).
  bool csr_depthwise = false;
  /// A layer whose configuration cannot run its shape (winograd on a 1x1 kernel, a
  /// combination without a kernel) runs the same layout, precision and sparsity with
  /// algorithm automatic, else reference; false: errc::unsupported instead.
  bool fall_back = true;
  /// Layout of the network's input and output tensors (always fp32).
  layout_kind io_layout = layout_kind::nchw;
  /// conv2d_options::prune_threshold of every convolution (CSR keeps |w| above it).
  float prune_threshold = 0.0f;
  /// Where the arena and the workspace buffer come from; null: the default resource.
  std::pmr::memory_resource* memory = nullptr;
  /// Build only these layers (a pipeline stage): the model needs values only for their
  /// parameters (layer_parameters), and only their weights are folded and kept. Layer
  /// indices, boundaries and the memory of any range inside stay the whole network's; a range
  /// reaching outside is errc::invalid_argument. Empty: every layer.
  std::optional<layer_range> layers{};
};

/// The number of weights a convolution stores (CSR: the non-zeros after pruning by
/// `threshold` and conversion to `precision`), as conv_weights computes it.
inline index_t stored_weights(precision_kind precision, index_t k, std::span<const float> w,
                              float threshold) {
  const index_t per = k > 0 ? index_t(w.size()) / k : 0;
  index_t nnz = 0;
  for (index_t c = 0; c < k; ++c) {
    const std::span<const float> row = w.subspan(std::size_t(c * per), std::size_t(per));
    auto pruned = [&](float v) { return std::fabs(v) <= threshold ? 0.0f : v; };
    if (precision == precision_kind::int8) {
      float amax = 0.0f;
      for (float v : row) amax = std::max(amax, std::fabs(pruned(v)));
      const float scale = amax > 0.0f ? amax / float(optimize::weight_qmax) : 1.0f;
      for (float v : row) nnz += optimize::round_half_even(pruned(v) / scale) != 0.0f;
    } else if (precision == precision_kind::fp16) {
      for (float v : row) nnz += float(half(pruned(v))) != 0.0f;
    } else {
      for (float v : row) nnz += pruned(v) != 0.0f;
    }
  }
  return nnz;
}

/// A model ready to run: fused, configured, lowered and planned.
///
/// Layers are those of the fused network_desc (convolutions with their batch norm, ReLU and
/// residual add, pooling, ...), indexed in execution order; a stage is a range [a, b) of
/// them. The network keeps the folded fp32 weights, so layers can be reconfigured; kernels,
/// the program and the executors are built on first use after a change. Built with
/// network_options::layers, it holds and runs those layers only. Not thread-safe: one call at
/// a time (the kernels themselves use OpenMP threads).
class network {
 public:
  /// Fuses `m` (which must hold the weights of the layers built: all, or
  /// network_options::layers), folds their batch norms and configures every convolution from
  /// `options`; `kernels` builds them (a kernel_set's factory(), or all_kernels() from
  /// all_kernels.hpp).
  network(const model& m, network_options options, kernel_factory kernels)
      : owned_desc_(std::make_unique<network_desc>(fuse(m))),
        desc_(*owned_desc_),
        options_(std::move(options)),
        kernels_(kernels),
        ws_(std::make_unique<workspace_arena>(memory_resource())) {
    core::require(kernels_.make && kernels_.contains, errc::invalid_argument, [] {
      return std::string(
          "network: empty kernel_factory (pass a kernel_set's factory() or graph::all_kernels())");
    });
    built_ = options_.layers ? checked_range(desc_, *options_.layers) : layer_range{0, size()};
    core::require(options_.layers ? m.has_weights(layer_parameters(desc_, built_))
                                  : m.has_weights(),
                  errc::invalid_argument, [&] {
                    return "network: model " + m.arch + " has parameters without values" +
                           (options_.layers ? " in layers " + to_string(built_) : "") +
                           " (initialise or load them)";
                  });
    const std::size_t n = std::size_t(desc_.size());
    folded_.resize(n);
    requested_.assign(n, options_.conv);
    if (options_.conv.sparsity == sparsity_kind::csr && !options_.csr_depthwise)
      for (std::size_t i = 0; i < n; ++i)
        if (desc_.layers[i].kind == layer_kind::conv && desc_.layers[i].shape.is_depthwise())
          requested_[i].sparsity = sparsity_kind::dense;
    effective_.resize(n);
    calibration_.assign(desc_.values.size(), std::nullopt);
    for (std::size_t i = 0; i < n; ++i) {
      const layer_desc& l = desc_.layers[i];
      if (l.kind != layer_kind::conv || !built_.contains(int(i))) continue;
      const param& w = m.params.at(l.weight);
      std::span<const float> bias;
      if (!l.bias.empty()) bias = m.params.at(l.bias).values;
      if (l.batch_norm.empty()) {
        folded_[i] = {w.values, std::vector<float>(bias.begin(), bias.end())};
      } else {
        const std::string& bn = l.batch_norm;
        folded_[i] =
            fold_batch_norm(l.shape.k, w.values, bias,
                            {m.params.at(bn + ".weight").values, m.params.at(bn + ".bias").values,
                             m.params.at(bn + ".running_mean").values,
                             m.params.at(bn + ".running_var").values, l.bn_eps});
      }
    }
    for (const auto& [name, c] : options_.per_layer) requested_[std::size_t(conv_index(name))] = c;
    for (int i = 0; i < size(); ++i)
      if (is_conv(i)) effective_[std::size_t(i)] = resolve(i, requested_[std::size_t(i)], false);
  }

  network(const network&) = delete;
  network& operator=(const network&) = delete;
  /// Moves keep executors valid: the description and program they point to live on the heap.
  network(network&&) = default;

  // --- description ----------------------------------------------------------------------

  const network_desc& desc() const noexcept { return desc_; }
  const std::string& arch() const noexcept { return desc_.arch; }
  /// Number of layers (convolutions with what was fused into them, pooling, ...).
  int size() const noexcept { return desc_.size(); }
  const layer_desc& layer(int i) const { return desc_.layers.at(std::size_t(i)); }
  int find(std::string_view name) const { return desc_.find(name); }
  bool is_conv(int i) const { return layer(i).kind == layer_kind::conv; }
  tensor_desc input_desc() const {
    return {desc_.values[std::size_t(desc_.input)], dtype::f32, options_.io_layout, {}};
  }
  tensor_desc output_desc() const {
    return {desc_.values[std::size_t(desc_.output)], dtype::f32, options_.io_layout, {}};
  }
  const network_options& options() const noexcept { return options_; }
  /// The layers this network holds and runs (network_options::layers, or all).
  const layer_range& built_layers() const noexcept { return built_; }
  /// The folded fp32 weights and bias of conv layer i (batch norm included).
  const folded_conv& folded_weights(int i) const {
    require_built({conv_check(i), i + 1});
    return folded_[std::size_t(i)];
  }

  // --- configuration --------------------------------------------------------------------

  /// The configuration conv layer i runs with (after any fall-back).
  const conv_config& config(int i) const { return effective_.at(std::size_t(conv_check(i))); }
  /// The configuration asked for layer i.
  const conv_config& requested_config(int i) const {
    return requested_.at(std::size_t(conv_check(i)));
  }

  /// Runs conv layer i with `c`, exactly: errc::unsupported naming the layer and the
  /// combination when no kernel in the set can run its shape.
  void set_conv_config(int i, const conv_config& c) {
    conv_check(i);
    const conv_config e = resolve(i, c, true);
    requested_[std::size_t(i)] = c;
    if (e != effective_[std::size_t(i)]) {
      effective_[std::size_t(i)] = e;
      invalidate();
    }
  }
  void set_conv_config(std::string_view name, const conv_config& c) {
    set_conv_config(conv_index(name), c);
  }
  /// Asks every conv layer for `c` (with the fall-back of network_options::fall_back).
  void set_conv_config(const conv_config& c) {
    for (int i = 0; i < size(); ++i)
      if (is_conv(i)) {
        requested_[std::size_t(i)] = c;
        effective_[std::size_t(i)] = resolve(i, c, false);
      }
    invalidate();
  }

  // --- calibration ----------------------------------------------------------------------

  /// Observes every value of the network while it runs in fp32 on `inputs` (each like
  /// input_desc()), and keeps an 8-bit quantisation per value for the int8 layers, chosen
  /// by `method` (optimize::activation_observer).
  void calibrate(std::span<const const_tensor_ref> inputs,
                 optimize::calibration_method method = optimize::calibration_method::min_mse) {
    core::require(!inputs.empty(), errc::invalid_argument,
                  [] { return std::string("network::calibrate: no calibration inputs"); });
    require_built({0, size()});
    std::vector<conv_config> fp32(effective_);
    for (int i = 0; i < size(); ++i)
      if (is_conv(i)) {
        conv_config c = effective_[std::size_t(i)];
        c.precision = precision_kind::fp32;
        fp32[std::size_t(i)] = resolve(i, c, false);
      }
    const program p = lower(desc_, fp32, {}, options_.io_layout);
    std::vector<optimize::activation_observer> seen(desc_.values.size(),
                                                    optimize::activation_observer(1 << 16));
    {
      stage_executor run(desc_, p, plan_stage(p, 0, size(), workspaces(p)),
                         kernels_for(p, 0, size()), *ws_, memory_resource());
      tensor<float, layout::nchw> out_buffer(p.tensors[std::size_t(p.output)].dims);
      const tensor_ref out{out_buffer.data(), p.tensors[std::size_t(p.output)]};
      for (const const_tensor_ref& in : inputs) {
        run.run(std::span(&in, 1), std::span(&out, 1), [&](const step& s, const_tensor_ref t) {
          if (s.kind != step_kind::convert && t.desc.type == dtype::f32)
            seen[std::size_t(p.logical[std::size_t(s.output)])].observe(
                {static_cast<const float*>(t.data), std::size_t(t.desc.elements())});
        });
        // After the run, which checked the input's description.
        seen[std::size_t(desc_.input)].observe(
            {static_cast<const float*>(in.data), std::size_t(in.desc.elements())});
      }
    }
    for (std::size_t v = 0; v < seen.size(); ++v)
      if (seen[v].count() > 0) calibration_[v] = seen[v].params<std::uint8_t>(method);
    invalidate();
  }
  /// Per network value: its 8-bit quantisation, when calibrated.
  const std::vector<std::optional<quant_params>>& calibration() const noexcept {
    return calibration_;
  }
  void set_calibration(std::vector<std::optional<quant_params>> c) {
    core::require(c.size() == desc_.values.size(), errc::invalid_argument, [&] {
      return "network::set_calibration: " + std::to_string(c.size()) + " entries for " +
             std::to_string(desc_.values.size()) + " values";
    });
    calibration_ = std::move(c);
    invalidate();
  }

  // --- running --------------------------------------------------------------------------

  /// The program: tensors and steps (lowered on first use after a change).
  const program& lowered() const {
    if (!program_)
      program_ =
          std::make_unique<program>(lower(desc_, effective_, calibration_, options_.io_layout));
    return *program_;
  }

  /// Runs the whole network: `input` and `output` as input_desc() and output_desc().
  void run(const_tensor_ref input, tensor_ref output) {
    run_stage(0, size(), std::span(&input, 1), std::span(&output, 1));
  }
  template <class L>
  void run(tensor_view<const float, L> input, tensor_view<float, L> output) {
    run(cref(input), ref(output));
  }

  /// Tensors crossing the cut before layer `cut` (0 <= cut <= size()): the inputs of a stage
  /// starting there and the outputs of one ending there, in order. Cut 0 is the network
  /// input and cut size() its output; a cut inside a residual block carries the block's
  /// input as well.
  std::vector<tensor_desc> boundary(int cut) const {
    core::require(0 <= cut && cut <= size(), errc::invalid_argument, [&] {
      return "network " + arch() + ": cut " + std::to_string(cut) + " is outside [0, " +
             std::to_string(size()) + "]";
    });
    std::vector<tensor_desc> d;
    for (int t : lowered().boundary(cut)) d.push_back(lowered().tensors[std::size_t(t)]);
    return d;
  }

  /// Runs layers [a, b) (a pipeline stage): `inputs` as boundary(a), `outputs` as
  /// boundary(b). The stage's kernels, arena and workspace buffer are built on first use;
  /// only the stage's conv layers get kernels.
  void run_stage(int a, int b, std::span<const const_tensor_ref> inputs,
                 std::span<const tensor_ref> outputs, const step_observer& observe = {}) {
    executor(a, b).run(inputs, outputs, observe);
  }

  /// The executor of layers [a, b), built (and its memory allocated) on first use.
  stage_executor& executor(int a, int b) {
    require_built({a, b});
    const program& p = lowered();
    auto& e = executors_[{a, b}];
    if (!e)
      e = std::make_unique<stage_executor>(desc_, p, plan_stage(p, a, b, workspaces(p)),
                                           kernels_for(p, a, b), *ws_, memory_resource());
    return *e;
  }
  /// Drops every executor (their arenas and workspace buffers) and kernel.
  void release() {
    executors_.clear();
    kernels_cache_.clear();
  }

  // --- memory ---------------------------------------------------------------------------

  /// What layers [a, b) will hold while running, from the description, the configurations
  /// and the weights alone: no kernel is built and nothing is allocated for activations.
  memory_report predict_memory(int a, int b) const {
    const program& p = lowered();
    return report_of(p, plan_stage(p, a, b, workspaces(p)), predicted_weights(a, b));
  }
  memory_report predict_memory() const { return predict_memory(0, size()); }

  /// What the executor of [a, b) holds: its arena and workspace buffer, the exact weight
  /// bytes of its kernels, and the largest workspace its layers requested so far (from the
  /// workspace arena's counters; 0 before any run).
  memory_report measured_memory(int a, int b) {
    stage_executor& e = executor(a, b);
    memory_report r = report_of(lowered(), e.plan(), 0);
    r.arena = index_t(e.allocated_bytes()) - workspace_buffer_bytes(e.plan().workspace);
    r.workspace_buffer = workspace_buffer_bytes(e.plan().workspace);
    r.workspace = ws_->peak_requested();
    for (int i = a; i < b; ++i)
      if (is_conv(i)) r.weights += kernel(i).footprint().weights;
    return r;
  }
  /// The workspace arena all kernels allocate from (its counters: peak_requested,
  /// high_water, overflow_bytes).
  workspace_arena& workspace() noexcept { return *ws_; }

  /// Bytes the kernels of all layers hold (predicted; equal to the built kernels' footprint).
  index_t weight_bytes() const { return predicted_weights(0, size()); }

  /// Per layer: weights, workspace, and the bytes live across the cut before it (input) and
  /// after it (output), for memory::inference_stage_bytes and the partition recommender.
  std::vector<memory::layer_cost> layer_costs() const {
    const program& p = lowered();
    const std::vector<index_t> ws = workspaces(p);
    std::vector<index_t> cut(std::size_t(size()) + 1, 0);
    for (int c = 0; c <= size(); ++c)
      for (int t : p.boundary(c)) cut[std::size_t(c)] += p.tensors[std::size_t(t)].bytes();
    std::vector<memory::layer_cost> costs;
    for (int i = 0; i < size(); ++i)
      costs.push_back({predicted_weights(i, i + 1), ws[std::size_t(i)], cut[std::size_t(i)],
                       cut[std::size_t(i) + 1]});
    return costs;
  }

  /// The layer costs as a dlas.profile/1 inference profile (one micro-batch size: the
  /// network's batch), for dlas-plan and memory::recommend with schedule::inference. It carries
  /// the executor's layout, so each stage's prediction equals predict_memory's weights, arena and
  /// workspace buffer plus its queue slots, to the byte.
  memory::profile profile() const {
    memory::profile prof;
    prof.model = arch();
    prof.precision = "dlas";
    const auto costs = layer_costs();
    const int batch = int(desc_.values[std::size_t(desc_.input)].n);
    for (int i = 0; i < size(); ++i) {
      const auto& c = costs[std::size_t(i)];
      memory::layer_profile l;
      l.name = layer(i).name;
      l.params = is_conv(i) ? index_t(folded_[std::size_t(i)].weights.size() +
                                      folded_[std::size_t(i)].bias.size())
                            : 0;
      l.weight_bytes = c.weights;
      memory::micro_batch_cost m;
      m.input_bytes = c.input;
      m.output_bytes = c.output;
      m.activation_bytes = c.output;
      m.forward_peak_bytes = c.output + c.workspace;
      m.backward_peak_bytes = m.forward_peak_bytes;
      l.per_micro_batch[batch] = m;
      prof.layers.push_back(std::move(l));
    }
    prof.executor = executor_layout_of(lowered());
    return prof;
  }

  /// The kernel of conv layer i in the current program (built on first use; a handle that
  /// shares the kernel).
  conv_layer kernel(int i) {
    require_built({conv_check(i), i + 1});
    return kernel_for(i, lowered().convs[std::size_t(i)]);
  }

 private:
  std::pmr::memory_resource* memory_resource() const noexcept {
    return options_.memory ? options_.memory : std::pmr::get_default_resource();
  }
  int conv_check(int i) const {
    core::require(i >= 0 && i < size() && is_conv(i), errc::invalid_argument, [&] {
      return "network " + arch() + ": layer " + std::to_string(i) +
             (i >= 0 && i < size() ? " ('" + layer(i).name + "') is not a convolution"
                                   : " does not exist");
    });
    return i;
  }
  int conv_index(std::string_view name) const { return conv_check(find(name)); }
  /// errc::invalid_argument when layers `r` (a valid range) reach outside those built; an
  /// invalid range is left to the check of whoever uses it.
  void require_built(const layer_range& r) const {
    const bool valid = 0 <= r.first && r.first < r.last && r.last <= size();
    core::require(!valid || built_.contains(r), errc::invalid_argument, [&] {
      return "network " + arch() + ": layers " + to_string(r) +
             " reach outside the layers it was built with, " + to_string(built_) +
             " (network_options::layers)";
    });
  }

  /// The configuration layer i runs for a request `c` (see network_options::fall_back).
  conv_config resolve(int i, const conv_config& c, bool strict) const {
    const conv2d_shape& sh = layer(i).shape;
    auto why = [&](const conv_config& x) -> status {
      if (!kernels_.contains(x)) {
        if (!has_kernel(x))
          return {errc::unsupported, "conv_config " + to_string(x) +
                                         ": no kernel for this layout/precision/sparsity/algorithm "
                                         "combination (docs/policies.md lists the supported ones)"};
        return {errc::unsupported,
                "conv_config " + to_string(x) + ": not in this network's kernel set"};
      }
      return can_implement(x, sh);
    };
    const status first = why(c);
    if (first.ok()) return c;
    if (!strict && options_.fall_back)
      for (algorithm_kind alt : {algorithm_kind::automatic, algorithm_kind::reference}) {
        conv_config x = c;
        x.algorithm = alt;
        if (why(x).ok()) return x;
      }
    throw error(first.code(), "network " + arch() + ": layer '" + layer(i).name + "' (" +
                                  to_string(sh) + "): " + first.message());
  }

  void invalidate() {
    executors_.clear();
    program_.reset();
  }

  std::vector<index_t> workspaces(const program& p) const {
    std::vector<index_t> ws(std::size_t(size()), 0);
    for (int i = 0; i < size(); ++i)
      if (is_conv(i))
        ws[std::size_t(i)] =
            footprint_of(p.convs[std::size_t(i)].config, layer(i).shape, 0).workspace;
    return ws;
  }

  index_t predicted_weights(int a, int b) const {
    require_built({a, b});
    index_t w = 0;
    for (int i = a; i < b; ++i) {
      if (!is_conv(i)) continue;
      const conv_config& c = effective_[std::size_t(i)];
      const index_t nnz =
          c.sparsity == sparsity_kind::csr
              ? stored_weights(c.precision, layer(i).shape.k, folded_[std::size_t(i)].weights,
                               options_.prune_threshold)
              : layer(i).shape.weight_elements();
      w += footprint_of(c, layer(i).shape, nnz).weights;
    }
    return w;
  }

  const conv_layer& kernel_for(int i, const conv_binding& b) {
    auto& cache = kernels_cache_[i];
    for (const auto& [key, k] : cache)
      if (key == b) return k;
    conv2d_options o;
    o.act = b.act;
    o.prune_threshold = options_.prune_threshold;
    o.input_quant = b.input_quant;
    o.output_quant = b.output_quant;
    o.workspace_resource = ws_.get();
    const folded_conv& f = folded_[std::size_t(i)];
    conv_layer k;
    try {
      k = kernels_.make(b.config, layer(i).shape, f.weights, f.bias, o);
    } catch (const error& e) {
      throw error(e.code(), "network " + arch() + ": layer '" + layer(i).name + "': " + e.what());
    }
    cache.emplace_back(b, std::move(k));
    return cache.back().second;
  }

  /// Kernels of the conv layers in [a, b) for program `p`; cached kernels of those layers
  /// that `p` no longer uses are dropped first.
  std::vector<conv_layer> kernels_for(const program& p, int a, int b) {
    std::vector<conv_layer> k(static_cast<std::size_t>(size()));
    for (int i = a; i < b; ++i) {
      if (!is_conv(i)) continue;
      auto& cache = kernels_cache_[i];
      std::erase_if(cache, [&](const auto& e) {
        return !(e.first == p.convs[std::size_t(i)]) && !in_use(i, e.first);
      });
      k[std::size_t(i)] = kernel_for(i, p.convs[std::size_t(i)]);
    }
    return k;
  }
  bool in_use(int i, const conv_binding& b) const {
    return program_ && program_->convs[std::size_t(i)] == b;
  }

  std::unique_ptr<network_desc> owned_desc_;
  const network_desc& desc_;
  network_options options_;
  kernel_factory kernels_;
  std::unique_ptr<workspace_arena> ws_;
  layer_range built_;
  std::vector<folded_conv> folded_;  // of the layers built
  std::vector<conv_config> requested_, effective_;
  std::vector<std::optional<quant_params>> calibration_;
  mutable std::unique_ptr<program> program_;
  std::map<std::pair<int, int>, std::unique_ptr<stage_executor>> executors_;
  std::map<int, std::vector<std::pair<conv_binding, conv_layer>>> kernels_cache_;
};

}  // namespace dlas::graph
