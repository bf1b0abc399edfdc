// SPDX-License-Identifier: Apache-2.0
/// \file stage_timer.hpp
/// \brief time_stage(): how long layers [a, b) of a network take when run alone, the number
/// the tuner compares candidates by and that profiles record as a layer's forward time.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/graph/network.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Median wall-clock seconds of `repetitions` calls of network::run_stage(a, b), after
/// `warmup` untimed calls (which build the stage's kernels and arena), on scratch tensors
/// shaped like the stage's boundaries. They hold zeros: the time of a dlas layer does not
/// depend on its activations' values (no kernel branches on them).
inline double time_stage(network& net, int a, int b, int warmup = 1, int repetitions = 5) {
  core::require(repetitions >= 1 && warmup >= 0, errc::invalid_argument, [&] {
    return "time_stage: need repetitions >= 1 and warmup >= 0, got " + std::to_string(repetitions) + " and " +
           std::to_string(warmup);
  });
  std::vector<std::vector<std::byte>> in_bytes, out_bytes;
  std::vector<const_tensor_ref> ins;
  std::vector<tensor_ref> outs;
  for (const auto& d : net.boundary(a)) {
    in_bytes.emplace_back(std::size_t(d.bytes()));
    ins.push_back({in_bytes.back().data(), d});
  }
  for (const auto& d : net.boundary(b)) {
    out_bytes.emplace_back(std::size_t(d.bytes()));
    outs.push_back({out_bytes.back().data(), d});
  }
  std::vector<double> t;
  for (int r = 0; r < warmup + repetitions; ++r) {
    const auto start = std::chrono::steady_clock::now();
    net.run_stage(a, b, ins, outs);
    if (r >= warmup) t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace dlas::graph
