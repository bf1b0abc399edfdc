// SPDX-License-Identifier: Apache-2.0
/// \file parallel.hpp
/// \brief parallel_for over an index range: OpenMP threads when built with it, a loop otherwise.
#pragma once

#include "dlas/config.hpp"
#include "dlas/core/shape.hpp"

#if DLAS_HAS_OPENMP
#include <omp.h>
#endif

namespace dlas::core {

/// Threads a parallel_for may use (1 without OpenMP).
inline int max_threads() noexcept {
#if DLAS_HAS_OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Calls body(i) for every i in [0, count), statically split across threads.
///
/// Each i must write disjoint memory, so results do not depend on the thread count.
/// body must not throw: validate before entering the parallel region.
template <class Body>
void parallel_for(index_t count, Body&& body) {
#if DLAS_HAS_OPENMP
  if (count > 1 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel for schedule(static)
    for (index_t i = 0; i < count; ++i) body(i);
    return;
  }
#endif
  for (index_t i = 0; i < count; ++i) body(i);
}

}  // namespace dlas::core
