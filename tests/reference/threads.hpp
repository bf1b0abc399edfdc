// SPDX-License-Identifier: Apache-2.0
/// \file threads.hpp
/// \brief with_threads(n, f): f() with OpenMP limited to n threads (all threads without OpenMP),
/// for the thread-independence checks.
#pragma once

#include <utility>

#if DLAS_HAS_OPENMP
#include <omp.h>
#endif

namespace dlas::testing {

template <class F>
void with_threads(int threads, F&& f) {
#if DLAS_HAS_OPENMP
  const int old = omp_get_max_threads();
  omp_set_num_threads(threads);
  std::forward<F>(f)();
  omp_set_num_threads(old);
#else
  (void)threads;
  std::forward<F>(f)();
#endif
}

}  // namespace dlas::testing
