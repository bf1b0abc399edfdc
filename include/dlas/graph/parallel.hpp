// SPDX-License-Identifier: Apache-2.0
/// \file parallel.hpp
/// \brief parallel_for_work: core::parallel_for for the network's own layers (pooling,
/// element-wise, casts), which stays on the calling thread when the work is small.
#pragma once

#include "dlas/config.hpp"
#include "dlas/core/parallel.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Element operations below which a layer runs on the calling thread: waking threads for a
/// few microseconds of work costs more than it saves, and far more when cores are shared.
inline constexpr index_t parallel_grain = index_t{1} << 16;

/// Calls body(i) for i in [0, count), across threads when count * cost_per_item (element
/// operations) reaches parallel_grain. Results do not depend on the choice: each i writes
/// disjoint memory.
template <class Body>
void parallel_for_work(index_t count, index_t cost_per_item, Body&& body) {
  if (count * cost_per_item < parallel_grain) {
    for (index_t i = 0; i < count; ++i) body(i);
    return;
  }
  core::parallel_for(count, body);
}

}  // namespace dlas::graph
