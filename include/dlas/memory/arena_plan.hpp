// SPDX-License-Identifier: Apache-2.0
/// \file arena_plan.hpp
/// \brief plan_arena: offsets for buffers with known lifetimes inside one arena, so that
/// buffers that are never live together share memory; a constant expression.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace dlas::memory {

/// One buffer of a planned arena: its size and the steps [first, last] during which it is
/// live (written at `first`, last read at `last`).
struct buffer_lifetime {
  std::int64_t bytes = 0;
  int first = 0;
  int last = 0;

  constexpr bool overlaps(const buffer_lifetime& o) const noexcept {
    return first <= o.last && o.first <= last;
  }
};

/// Where each buffer lives in the arena, and the arena's size.
struct arena_plan {
  std::vector<std::int64_t> offsets;  ///< per buffer, multiples of the alignment
  std::int64_t bytes = 0;             ///< the arena: max over buffers of offset + aligned size
};

/// `v` rounded up to a multiple of `a` (> 0).
constexpr std::int64_t align_up(std::int64_t v, std::int64_t a) noexcept {
  return (v + a - 1) / a * a;
}

/// Greedy offset assignment, largest first, best fit.
///
/// Buffers are placed in order of decreasing aligned size (ties: earlier first step, then
/// lower index). Each goes into the smallest gap, between buffers already placed whose
/// lifetimes overlap its own, that holds it (lowest offset among equal gaps); when no gap
/// holds it, above the highest of them. Sizes are rounded up to `alignment` so every offset
/// is aligned. Deterministic: the same lifetimes give the same plan.
constexpr arena_plan plan_arena(std::span<const buffer_lifetime> buffers,
                                std::int64_t alignment = 64) {
  const std::size_t n = buffers.size();
  auto size = [&](std::size_t i) { return align_up(buffers[i].bytes, alignment); };
  // Vectors grow by push_back: clang 14 rejects libstdc++'s sized constructors in constant
  // expressions (they fill storage before its lifetime starts).
  std::vector<std::size_t> order;
  arena_plan plan{{}, 0};
  for (std::size_t i = 0; i < n; ++i) {
    order.push_back(i);
    plan.offsets.push_back(-1);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (size(a) != size(b)) return size(a) > size(b);
    if (buffers[a].first != buffers[b].first) return buffers[a].first < buffers[b].first;
    return a < b;
  });
  std::vector<std::size_t> placed, live;
  for (std::size_t i : order) {
    live.clear();
    for (std::size_t j : placed)
      if (buffers[j].overlaps(buffers[i])) live.push_back(j);
    std::sort(live.begin(), live.end(), [&](std::size_t a, std::size_t b) {
      return plan.offsets[a] != plan.offsets[b] ? plan.offsets[a] < plan.offsets[b] : a < b;
    });
    std::int64_t end = 0, best = -1, best_gap = 0;
    for (std::size_t j : live) {
      const std::int64_t gap = plan.offsets[j] - end;
      if (gap >= size(i) && (best < 0 || gap < best_gap)) {
        best = end;
        best_gap = gap;
      }
      end = std::max(end, plan.offsets[j] + size(j));
    }
    plan.offsets[i] = best >= 0 ? best : end;
    plan.bytes = std::max(plan.bytes, plan.offsets[i] + size(i));
    placed.push_back(i);
  }
  return plan;
}

/// The most bytes live at any one step (sizes aligned): no plan can use a smaller arena.
constexpr std::int64_t live_bytes_bound(std::span<const buffer_lifetime> buffers,
                                        std::int64_t alignment = 64) {
  std::int64_t best = 0;
  for (const buffer_lifetime& b : buffers) {
    // The live set changes only where a buffer starts, so checking those steps suffices.
    std::int64_t sum = 0;
    for (const buffer_lifetime& o : buffers)
      if (o.first <= b.first && b.first <= o.last) sum += align_up(o.bytes, alignment);
    best = std::max(best, sum);
  }
  return best;
}

/// Whether `plan` keeps every pair of buffers that are live together apart, and inside the
/// arena.
constexpr bool plan_is_valid(std::span<const buffer_lifetime> buffers, const arena_plan& plan,
                             std::int64_t alignment = 64) {
  if (plan.offsets.size() != buffers.size()) return false;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const std::int64_t oi = plan.offsets[i], si = align_up(buffers[i].bytes, alignment);
    if (oi < 0 || oi % alignment != 0 || oi + si > plan.bytes) return false;
    for (std::size_t j = i + 1; j < buffers.size(); ++j) {
      const std::int64_t oj = plan.offsets[j], sj = align_up(buffers[j].bytes, alignment);
      if (buffers[i].overlaps(buffers[j]) && si > 0 && sj > 0 && oi < oj + sj && oj < oi + si)
        return false;
    }
  }
  return true;
}

}  // namespace dlas::memory
