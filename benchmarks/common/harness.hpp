// SPDX-License-Identifier: Apache-2.0
/// \file harness.hpp
/// \brief What every dlas benchmark program does around Google Benchmark: its start (flags,
/// thread count) and the medians its summaries print.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "dlas/core/parallel.hpp"

namespace dlas::benchmarks {

/// Takes Google Benchmark's flags (false: an unknown one, reported) and sets the OpenMP
/// thread count; without OpenMP `threads` becomes 1, with a note when more were asked for.
inline bool start(int& argc, char** argv, int& threads, [[maybe_unused]] const char* program) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return false;
#if DLAS_HAS_OPENMP
  omp_set_num_threads(threads);
#else
  if (threads != 1) std::fprintf(stderr, "%s: note: built without OpenMP; running 1 thread\n", program);
  threads = 1;
#endif
  return true;
}

/// A flag's value as a positive integer below 2^20 (counts, sizes, threads, rounds); nullopt
/// when it is not one, for the program's own usage error.
inline std::optional<int> positive_int(const std::string& v) {
  char* end = nullptr;
  const long x = std::strtol(v.c_str(), &end, 10);
  if (end == v.c_str() || *end != '\0' || x < 1 || x >= (1L << 20)) return std::nullopt;
  return int(x);
}

/// The median of `v` (0 when empty; the mean of the middle two for an even count).
inline double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

}  // namespace dlas::benchmarks
