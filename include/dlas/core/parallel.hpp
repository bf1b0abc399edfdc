// SPDX-License-Identifier: Apache-2.0
/// \file parallel.hpp
/// \brief parallel_for over an index range, and parallel_region for kernels that run several
/// loops in a row on one team of threads: OpenMP threads when built with it, loops otherwise.
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

/// The threads of one parallel_region, seen from inside it.
///
/// Every thread of the region calls the same for_each in the same order; each call splits its
/// index range statically and ends in a barrier, so a loop can read what the one before wrote.
class team {
 public:
  explicit constexpr team(bool threaded) noexcept : threaded_(threaded) {}

  /// Calls body(i) for every i in [0, count) once across the team; returns when all are done.
  template <class Body>
  void for_each(index_t count, Body&& body) const {
#if DLAS_HAS_OPENMP
    if (threaded_) {
#pragma omp for schedule(static)
      for (index_t i = 0; i < count; ++i) body(i);
      return;
    }
#endif
    for (index_t i = 0; i < count; ++i) body(i);
  }

 private:
  bool threaded_;
};

/// Calls body(team) on every thread of one OpenMP parallel region (on the calling thread alone
/// without OpenMP, with one thread, or inside another region).
///
/// One region for a sequence of loops keeps the workers awake between them: separate regions
/// let them go to sleep after each, and waking them costs more than a short loop (Winograd's
/// three stages per chunk; docs/benchmarks.md). body must not throw.
template <class Body>
void parallel_region(Body&& body) {
#if DLAS_HAS_OPENMP
  if (omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel
    {
      const team threads(true);
      body(threads);
    }
    return;
  }
#endif
  body(team(false));
}

/// Calls body(i) for every i in [0, count), statically split across threads.
///
/// Each i must write disjoint memory, so results do not depend on the thread count.
/// body must not throw: validate before entering the parallel region.
template <class Body>
void parallel_for(index_t count, Body&& body) {
  if (count <= 1) {
    if (count == 1) body(index_t{0});
    return;
  }
  parallel_region([&](const team& threads) { threads.for_each(count, body); });
}

}  // namespace dlas::core
