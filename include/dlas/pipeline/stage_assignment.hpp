// SPDX-License-Identifier: Apache-2.0
/// \file stage_assignment.hpp
/// \brief Which layers of a network a rank runs under a dlas.plan/1 plan, checked before any
/// work, and how the tensors crossing a cut travel as one message.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/graph/network.hpp"
#include "dlas/memory/recommender.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::pipeline {

/// Layers [first, last) of the network run by one rank, with the plan's queue depth.
struct stage_assignment {
  int stage = 0;
  int first = 0, last = 0;
  int queue_depth = 1;
};

/// The stage of `rank` among `ranks` under `plan` for the network described by `net` (its
/// fused description: a rank checks the plan before it makes any weight). Refuses, with
/// errc::invalid_argument and what to change, a plan that does not match: another stage count
/// than ranks started, another layer count or architecture, a training schedule, or a
/// micro-batch size other than the network's batch.
inline stage_assignment assign_stage(const memory::plan& plan, const graph::network_desc& net, int rank,
                                     int ranks) {
  const index_t batch = net.values[std::size_t(net.input)].n;
  const auto stages = int(plan.bounds.size()) - 1;
  core::require(stages >= 1, errc::invalid_argument, [] { return std::string("the plan has no stages"); });
  core::require(stages == ranks, errc::invalid_argument, [&] {
    return "the plan has " + std::to_string(stages) + " stages but " + std::to_string(ranks) +
           " ranks were started (mpirun -np " + std::to_string(stages) + ")";
  });
  core::require(plan.bounds.back() == net.size(), errc::invalid_argument, [&] {
    return "the plan partitions " + std::to_string(plan.bounds.back()) + " layers but " + net.arch +
           " has " + std::to_string(net.size()) + " (was the plan made for another network?)";
  });
  core::require(plan.model.empty() || plan.model == net.arch, errc::invalid_argument, [&] {
    return "the plan was made for '" + plan.model + "', not for '" + net.arch + "'";
  });
  core::require(plan.pipeline.kind == memory::schedule::inference, errc::invalid_argument, [&] {
    return std::string("the plan is for a training schedule; recommend with --schedule inference");
  });
  core::require(plan.pipeline.micro_batch_size == batch, errc::invalid_argument, [&] {
    return "the plan's micro-batch size " + std::to_string(plan.pipeline.micro_batch_size) +
           " differs from the network's batch " + std::to_string(batch);
  });
  core::require(rank >= 0 && rank < ranks, errc::invalid_argument,
                [&] { return "rank " + std::to_string(rank) + " outside [0, " + std::to_string(ranks) + ")"; });
  return {rank, plan.bounds[std::size_t(rank)], plan.bounds[std::size_t(rank) + 1],
          std::max(1, plan.pipeline.queue_depth)};
}
/// assign_stage for a network already built.
inline stage_assignment assign_stage(const memory::plan& plan, const graph::network& net, int rank, int ranks) {
  return assign_stage(plan, net.desc(), rank, ranks);
}

/// The tensors crossing one cut, back to back in one message; each starts at a multiple of
/// 64 bytes so that every element is aligned for its type.
class message_layout {
 public:
  static constexpr std::size_t alignment = 64;

  explicit message_layout(std::vector<graph::tensor_desc> tensors) : tensors_(std::move(tensors)) {
    for (const auto& t : tensors_) {
      offsets_.push_back(bytes_);
      bytes_ += (std::size_t(t.bytes()) + alignment - 1) / alignment * alignment;
    }
  }

  std::size_t bytes() const noexcept { return bytes_; }
  std::span<const graph::tensor_desc> tensors() const noexcept { return tensors_; }

  /// Views of the tensors in `message` (bytes() long, 64-byte aligned).
  std::vector<graph::tensor_ref> refs(std::span<std::byte> message) const {
    std::vector<graph::tensor_ref> out;
    for (std::size_t i = 0; i < tensors_.size(); ++i) out.push_back({message.data() + offsets_[i], tensors_[i]});
    return out;
  }
  std::vector<graph::const_tensor_ref> refs(std::span<const std::byte> message) const {
    std::vector<graph::const_tensor_ref> out;
    for (std::size_t i = 0; i < tensors_.size(); ++i) out.push_back({message.data() + offsets_[i], tensors_[i]});
    return out;
  }

 private:
  std::vector<graph::tensor_desc> tensors_;
  std::vector<std::size_t> offsets_;
  std::size_t bytes_ = 0;
};

}  // namespace dlas::pipeline
