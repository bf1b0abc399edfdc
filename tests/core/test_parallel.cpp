// SPDX-License-Identifier: Apache-2.0
// core::parallel_for and core::parallel_region: every index visited once for any thread count,
// the barrier between a region's loops, and nested use falling back to the calling thread.
#include <algorithm>
#include <atomic>
#include <numeric>
#include <vector>

#include <catch2/catch.hpp>

#include "dlas/core/parallel.hpp"
#include "reference/threads.hpp"

using dlas::index_t;
using dlas::testing::with_threads;

TEST_CASE("parallel_for visits every index exactly once for any thread count", "[core][parallel]") {
  for (int threads : {1, 2, 3})
    for (index_t count : {index_t{0}, index_t{1}, index_t{2}, index_t{997}}) {
      std::vector<int> visits(std::size_t(count), 0);
      with_threads(threads, [&] { dlas::core::parallel_for(count, [&](index_t i) { ++visits[std::size_t(i)]; }); });
      CHECK(std::count(visits.begin(), visits.end(), 1) == count);
    }
}

TEST_CASE("parallel_region's loops see what the loop before wrote", "[core][parallel]") {
  constexpr index_t n = 4099;
  for (int threads : {1, 2, 3}) {
    std::vector<index_t> a(n, -1), b(n, -1), c(n, -1);
    std::atomic<int> bodies{0};
    with_threads(threads, [&] {
      dlas::core::parallel_region([&](const dlas::core::team& team) {
        ++bodies;
        // Each loop reads indices another thread wrote in the loop before (reversed order).
        team.for_each(n, [&](index_t i) { a[std::size_t(i)] = i; });
        team.for_each(n, [&](index_t i) { b[std::size_t(i)] = a[std::size_t(n - 1 - i)] + 1; });
        team.for_each(n, [&](index_t i) { c[std::size_t(i)] = b[std::size_t(n - 1 - i)] * 2; });
      });
    });
    INFO(threads << " threads");
    CHECK(bodies.load() >= 1);
    CHECK(bodies.load() <= threads);
    bool all = true;
    for (index_t i = 0; i < n; ++i) all = all && c[std::size_t(i)] == 2 * (i + 1);
    CHECK(all);
  }
}

TEST_CASE("parallel_region inside a parallel loop runs on the calling thread", "[core][parallel]") {
  constexpr index_t outer = 8, inner = 50;
  std::vector<int> visits(outer * inner, 0);
  std::atomic<int> bodies{0};
  with_threads(2, [&] {
    dlas::core::parallel_for(outer, [&](index_t o) {
      dlas::core::parallel_region([&](const dlas::core::team& team) {
        ++bodies;
        team.for_each(inner, [&](index_t i) { ++visits[std::size_t(o * inner + i)]; });
      });
    });
  });
  CHECK(bodies.load() == outer);
  CHECK(std::count(visits.begin(), visits.end(), 1) == outer * inner);
}
