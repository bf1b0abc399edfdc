// SPDX-License-Identifier: Apache-2.0
/// \file executor.hpp
/// \brief The planned-memory executor: plan_stage() computes, without allocating, where
/// every activation of a range of layers lives in one arena and how large the shared
/// workspace is; stage_executor allocates exactly that and runs the steps.
#pragma once

#include <cstddef>
#include <cstring>
#include <functional>
#include <memory_resource>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/graph/conv_layer.hpp"
#include "dlas/graph/convert.hpp"
#include "dlas/graph/elementwise.hpp"
#include "dlas/graph/pooling.hpp"
#include "dlas/graph/program.hpp"
#include "dlas/graph/workspace_arena.hpp"
#include "dlas/memory/arena_plan.hpp"
#include "dlas/memory/executor_layout.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Bytes a network (or a stage of it) needs, by role; the executor allocates exactly
/// arena + workspace_buffer and the kernels hold exactly weights.
struct memory_report {
  index_t weights = 0;           ///< bytes the layers' kernels hold (packed, quantised, CSR)
  index_t arena = 0;             ///< the activation arena
  index_t workspace = 0;         ///< the largest workspace one layer call allocates
  index_t workspace_buffer = 0;  ///< the shared workspace buffer: workspace_buffer_bytes(workspace)
  index_t activations = 0;       ///< sum of the arena's tensors (an executor without reuse)
  index_t io = 0;                ///< stage inputs and outputs (the caller's buffers)

  /// What the executor and its kernels hold while running.
  index_t total() const noexcept { return weights + arena + workspace_buffer; }
  bool operator==(const memory_report&) const noexcept = default;
};

/// Where the tensors of layers [first, last) of a program live.
///
/// Inputs are the tensors live across the cut before `first`, outputs those live across
/// the cut before `last` (program::boundary); both are the caller's buffers. Every other
/// tensor written in the stage lives in the arena from the step that writes it to the last
/// step that reads it, at offsets from memory::plan_arena.
struct stage_plan {
  int first = 0, last = 0;
  int step_begin = 0, step_end = 0;                ///< the stage's steps
  std::vector<int> inputs, outputs;                ///< tensor ids, ascending
  std::vector<int> internal;                       ///< tensor ids in the arena
  std::vector<memory::buffer_lifetime> lifetimes;  ///< per internal tensor, in program steps
  memory::arena_plan arena;                        ///< offsets per internal tensor
  std::vector<index_t> offset;                     ///< per tensor: arena offset, or -1
  index_t workspace = 0;                           ///< largest workspace of the stage's layers
};

/// The tensors of `p` with the steps of their lifetimes (written at the last step that writes
/// them, live to the last step that touches them), and the executor's constants: what a stage
/// plan is made from, and what an inference profile carries to predict it to the byte.
inline memory::executor_layout executor_layout_of(const program& p) {
  std::vector<int> first(p.tensors.size(), 0), last(p.tensors.size(), 0);
  for (int i = 0; i < int(p.steps.size()); ++i) {
    const step& st = p.steps[std::size_t(i)];
    first[std::size_t(st.output)] = i;
    last[std::size_t(st.output)] = std::max(last[std::size_t(st.output)], i);
    for (int t : st.inputs) last[std::size_t(t)] = std::max(last[std::size_t(t)], i);
    if (st.residual >= 0) last[std::size_t(st.residual)] = std::max(last[std::size_t(st.residual)], i);
  }
  memory::executor_layout l;
  l.alignment = DLAS_BUFFER_ALIGNMENT;
  l.workspace_reserve = workspace_alignment_reserve;
  for (std::size_t t = 0; t < p.tensors.size(); ++t)
    l.tensors.push_back({p.tensors[t].bytes(), p.producer_layer[t], p.last_use_layer[t], first[t],
                         last[t]});
  return l;
}

/// Plans layers [a, b) of `p`; `workspace` gives each layer's workspace bytes. Allocates
/// nothing but the plan itself.
inline stage_plan plan_stage(const program& p, int a, int b, std::span<const index_t> workspace) {
  core::require(0 <= a && a < b && b <= p.layers, errc::invalid_argument, [&] {
    return "stage [" + std::to_string(a) + ", " + std::to_string(b) + ") is not a range of the " +
           std::to_string(p.layers) + " layers";
  });
  stage_plan s;
  s.first = a;
  s.last = b;
  s.step_begin = int(p.steps.size());
  s.step_end = 0;
  for (int i = 0; i < int(p.steps.size()); ++i)
    if (p.steps[std::size_t(i)].layer >= a && p.steps[std::size_t(i)].layer < b) {
      s.step_begin = std::min(s.step_begin, i);
      s.step_end = i + 1;
    }
  s.inputs = p.boundary(a);
  s.outputs = p.boundary(b);
  s.offset.assign(p.tensors.size(), -1);
  for (int i = s.step_begin; i < s.step_end; ++i) {
    const step& st = p.steps[std::size_t(i)];
    if (st.kind == step_kind::conv)
      s.workspace = std::max(s.workspace, workspace[std::size_t(st.layer)]);
  }
  const memory::executor_layout layout = executor_layout_of(p);
  s.internal = memory::stage_arena_tensors(layout.tensors, a, b);
  s.lifetimes = memory::arena_lifetimes(layout.tensors, s.internal);
  s.arena = memory::plan_arena(s.lifetimes, layout.alignment);
  for (std::size_t i = 0; i < s.internal.size(); ++i)
    s.offset[std::size_t(s.internal[i])] = s.arena.offsets[i];
  return s;
}

/// The memory report of a plan; `weights` from the caller (the kernels' weight bytes).
inline memory_report report_of(const program& p, const stage_plan& s, index_t weights) {
  memory_report r;
  r.weights = weights;
  r.arena = s.arena.bytes;
  r.workspace = s.workspace;
  r.workspace_buffer = workspace_buffer_bytes(s.workspace);
  for (const auto& l : s.lifetimes) r.activations += l.bytes;
  for (int t : s.inputs) r.io += p.tensors[std::size_t(t)].bytes();
  for (int t : s.outputs) r.io += p.tensors[std::size_t(t)].bytes();
  return r;
}

/// Called after each step with the step and the tensor it wrote (program::logical maps the
/// tensor to the network value it holds).
using step_observer = std::function<void(const step& s, const_tensor_ref written)>;

/// Runs one stage_plan: owns the arena and the workspace buffer (allocated once, from
/// `memory`), and calls the steps in order. Not reentrant: one run at a time.
class stage_executor {
 public:
  /// Runs layers plan.first..plan.last of `p`, lowered from `d`; `kernels` per layer (those
  /// of the stage's conv layers set); `workspace` is the resource the kernels were built
  /// with. `d` and `p` must outlive the executor.
  stage_executor(const network_desc& d, const program& p, stage_plan plan,
                 std::vector<conv_layer> kernels, workspace_arena& workspace,
                 std::pmr::memory_resource* memory)
      : d_(&d),
        p_(&p),
        plan_(std::move(plan)),
        kernels_(std::move(kernels)),
        ws_(&workspace),
        arena_(plan_.arena.bytes, uninitialized, memory),
        ws_buffer_(workspace_buffer_bytes(plan_.workspace), uninitialized, memory) {}

  const stage_plan& plan() const noexcept { return plan_; }
  std::vector<tensor_desc> input_descs() const { return descs(plan_.inputs); }
  std::vector<tensor_desc> output_descs() const { return descs(plan_.outputs); }
  /// Bytes allocated: the arena and the workspace buffer.
  index_t allocated_bytes() const noexcept { return arena_.bytes() + ws_buffer_.bytes(); }

  /// Runs the stage: `in` and `out` match input_descs() and output_descs() in order
  /// (errc::mismatched_buffer otherwise). Tensors that only pass through are copied.
  void run(std::span<const const_tensor_ref> in, std::span<const tensor_ref> out,
           const step_observer& observe = {}) {
    check("input", in, plan_.inputs);
    check("output", out, plan_.outputs);
    const program& p = *p_;
    std::vector<void*> at(p.tensors.size(), nullptr);
    for (std::size_t i = 0; i < plan_.internal.size(); ++i)
      at[std::size_t(plan_.internal[i])] = arena_.data() + plan_.arena.offsets[i];
    for (std::size_t i = 0; i < out.size(); ++i) at[std::size_t(plan_.outputs[i])] = out[i].data;
    for (std::size_t i = 0; i < in.size(); ++i) {
      const int t = plan_.inputs[i];
      if (at[std::size_t(t)])
        std::memcpy(at[std::size_t(t)], in[i].data, std::size_t(in[i].desc.bytes()));
      else
        at[std::size_t(t)] = const_cast<void*>(in[i].data);  // read only: no step writes it
    }
    ws_->attach(ws_buffer_.data(), ws_buffer_.size());
    for (int i = plan_.step_begin; i < plan_.step_end; ++i) {
      const step& s = p.steps[std::size_t(i)];
      run_step(s, at);
      if (observe) observe(s, {at[std::size_t(s.output)], p.tensors[std::size_t(s.output)]});
    }
    ws_->attach(nullptr, 0);
  }

 private:
  std::vector<tensor_desc> descs(const std::vector<int>& ids) const {
    std::vector<tensor_desc> d;
    for (int t : ids) d.push_back(p_->tensors[std::size_t(t)]);
    return d;
  }
  template <class Ref>
  void check(const char* what, std::span<const Ref> refs, const std::vector<int>& ids) const {
    core::require(refs.size() == ids.size(), errc::mismatched_buffer, [&] {
      return "stage [" + std::to_string(plan_.first) + ", " + std::to_string(plan_.last) +
             ") takes " + std::to_string(ids.size()) + " " + what + " tensors, got " +
             std::to_string(refs.size());
    });
    for (std::size_t i = 0; i < ids.size(); ++i) {
      require_desc(refs[i].desc, p_->tensors[std::size_t(ids[i])],
                   "stage [" + std::to_string(plan_.first) + ", " + std::to_string(plan_.last) +
                       ") " + what + " " + std::to_string(i));
      core::require(refs[i].data != nullptr, errc::mismatched_buffer, [&] {
        return std::string("stage ") + what + " " + std::to_string(i) + " has no data";
      });
    }
  }

  void run_step(const step& s, const std::vector<void*>& at) const {
    const program& p = *p_;
    auto cref_of = [&](int t) {
      return const_tensor_ref{at[std::size_t(t)], p.tensors[std::size_t(t)]};
    };
    const tensor_ref out{at[std::size_t(s.output)], p.tensors[std::size_t(s.output)]};
    const tensor_desc& od = out.desc;
    const layer_desc& layer = d_->layers[std::size_t(s.layer)];
    if (s.kind == step_kind::conv) {
      kernels_[std::size_t(s.layer)].run(at[std::size_t(s.inputs[0])], out.data,
                                         s.residual >= 0 ? at[std::size_t(s.residual)] : nullptr);
      return;
    }
    if (s.kind == step_kind::convert) {
      convert(cref_of(s.inputs[0]), out);
      return;
    }
    visit_desc(od, [&]<class T, class L>() {
      const auto x = cref_of(s.inputs[0]).template view<const T, L>();
      const auto y = out.template view<T, L>();
      const std::int32_t zero = od.type == dtype::u8 ? od.quant.zero_point : 0;
      switch (s.kind) {
        case step_kind::max_pool: max_pool<T, L>(x, y, layer.pool); break;
        case step_kind::avg_pool: avg_pool<T, L>(x, y, layer.pool, zero); break;
        case step_kind::adaptive_avg_pool:
          if (od.dims.h == 1 && od.dims.w == 1)
            global_avg_pool<T, L>(x, y, zero);
          else
            adaptive_avg_pool<T, L>(x, y, zero);
          break;
        case step_kind::concat: {
          std::vector<tensor_view<const T, L>> parts;
          for (int t : s.inputs) parts.push_back(cref_of(t).template view<const T, L>());
          concat<T, L>(parts, y);
          break;
        }
        default:
          if constexpr (!std::is_same_v<T, std::uint8_t>) {
            if (s.kind == step_kind::add)
              add<T, L>(x, cref_of(s.inputs[1]).template view<const T, L>(), y, layer.act);
            else if (s.kind == step_kind::activation)
              activate<T, L>(x, y, layer.act);
            else if constexpr (std::is_same_v<T, float>)
              softmax<L>(x, y);
          }
          break;
      }
    });
  }

  const network_desc* d_;
  const program* p_;
  stage_plan plan_;
  std::vector<conv_layer> kernels_;
  workspace_arena* ws_;
  aligned_buffer<std::byte> arena_;
  aligned_buffer<std::byte> ws_buffer_;
};

}  // namespace dlas::graph
