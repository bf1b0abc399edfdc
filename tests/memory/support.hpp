// SPDX-License-Identifier: Apache-2.0
/// \file support.hpp
/// \brief Test helpers of the memory model: random profiles and the fixture paths.
#pragma once

#include <random>
#include <string>

#include "dlas/memory/profile.hpp"

namespace dlas::testing {

inline std::string memory_fixture(const std::string& name) {
  return std::string(DLAS_MEMORY_FIXTURES) + "/" + name;
}

/// A profile of `n` layers with random, internally consistent sizes at micro-batch sizes 1, 2.
inline memory::profile random_profile(int n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  auto u = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(gen); };
  memory::profile p;
  p.model = "random" + std::to_string(seed);
  p.baseline_bytes = u(0, 1000);
  std::int64_t in = u(1, 100);
  for (int i = 0; i < n; ++i) {
    memory::layer_profile l;
    l.name = "layer" + std::to_string(i);
    l.weight_bytes = u(0, 500);
    l.grad_bytes = l.weight_bytes;
    l.optimizer_bytes = 2 * l.weight_bytes;
    l.optimizer_step_transient_bytes = u(0, 1) * l.weight_bytes;
    const std::int64_t out = u(1, 100);
    for (int b : {1, 2}) {
      memory::micro_batch_cost c;
      c.input_bytes = in * b;
      c.output_bytes = out * b;
      c.activation_bytes = out * b + u(0, 200) * b;
      c.forward_peak_bytes = c.activation_bytes + u(0, 100);
      c.backward_peak_bytes = c.activation_bytes + c.output_bytes + u(0, 300);
      c.forward_seconds = 0.001 * u(1, 10) * b;
      c.backward_seconds = 2 * c.forward_seconds;
      l.per_micro_batch[b] = c;
    }
    l.keeps_input = u(0, 2) != 0;
    l.keeps_output = u(0, 2) != 0;
    in = out;
    p.layers.push_back(l);
  }
  return p;
}

}  // namespace dlas::testing
