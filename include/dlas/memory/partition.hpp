// SPDX-License-Identifier: Apache-2.0
/// \file partition.hpp
/// \brief min_max_partition: the exact contiguous partition minimising the largest stage cost.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <vector>

namespace dlas::memory {

/// The two largest stage costs of a partition, compared lexicographically.
struct peak_pair {
  std::int64_t largest = -1;  ///< -1: no stage yet
  std::int64_t second = -1;   ///< -1: fewer than two stages

  constexpr auto operator<=>(const peak_pair&) const noexcept = default;
};

/// The two largest of `p`'s stages and one more stage of cost `c`.
///
/// Monotone in the lexicographic order (p <= q implies add(p, c) <= add(q, c)), which is what
/// makes the dynamic programme below exact for the tie-break as well as for the largest cost.
constexpr peak_pair add_stage(peak_pair p, std::int64_t c) noexcept {
  if (c >= p.largest) return {c, p.largest};
  return {p.largest, c > p.second ? c : p.second};
}

/// A partition of n layers into stages: bounds = {0, b1, ..., n}.
struct partition_result {
  bool feasible = false;       ///< false when every partition has a stage above the limit
  peak_pair cost;              ///< largest and second-largest stage cost
  std::vector<int> bounds;     ///< stage s holds layers [bounds[s], bounds[s + 1])
};

/// The contiguous partition of `layers` layers into exactly `stages` non-empty stages whose
/// largest stage cost is the smallest possible, ties broken toward the smaller second-largest;
/// stages whose cost exceeds `limit` are not allowed (a cost of INT64_MAX never is).
///
/// `cost(stage, a, b)` is the cost of stage `stage` holding layers [a, b). Dynamic programming
/// over (stages used, layers covered): O(stages x layers^2) calls, in the order b, a, stage so
/// that a cost object may reuse work for one (a, b). A constant expression when `cost` is.
template <class Cost>
constexpr partition_result min_max_partition(int layers, int stages, Cost&& cost,
                                             std::int64_t limit =
                                                 std::numeric_limits<std::int64_t>::max() - 1) {
  partition_result r;
  if (stages < 1 || layers < stages) return r;
  constexpr peak_pair none{std::numeric_limits<std::int64_t>::max(),
                           std::numeric_limits<std::int64_t>::max()};
  // best[at(s, b)]: the best way to cover layers [0, b) with s stages; s varies fastest, as
  // in the innermost loop.
  const std::size_t depth = std::size_t(stages) + 1;
  const auto at = [depth](int s, int b) { return std::size_t(b) * depth + std::size_t(s); };
  std::vector<peak_pair> best((std::size_t(layers) + 1) * depth, none);
  std::vector<int> from((std::size_t(layers) + 1) * depth, -1);
  best[0] = peak_pair{};
  for (int b = 1; b <= layers; ++b) {
    // Stage s (0-based) may end at b only if the later stages can still get a layer each.
    const int s_min = stages - 1 - (layers - b) > 0 ? stages - 1 - (layers - b) : 0;
    for (int a = 0; a < b; ++a) {
      const int lo = a == 0 ? 0 : (s_min > 1 ? s_min : 1);
      const int hi = a == 0 ? 0 : (a < stages - 1 ? a : stages - 1);
      if (a == 0 && s_min > 0) continue;
      for (int s = lo; s <= hi; ++s) {
        const peak_pair prev = best[at(s, a)];
        peak_pair& cur = best[at(s + 1, b)];
        // Adding a stage never lowers the largest cost: this start cannot win.
        if (prev.largest == none.largest || prev.largest > cur.largest) continue;
        const std::int64_t c = cost(s, a, b);
        if (c > limit || c == std::numeric_limits<std::int64_t>::max()) continue;
        const peak_pair cand = add_stage(prev, c);
        if (cand < cur) {
          cur = cand;
          from[at(s + 1, b)] = a;
        }
      }
    }
  }
  const peak_pair final_cost = best[at(stages, layers)];
  if (final_cost.largest == none.largest) return r;
  r.feasible = true;
  r.cost = final_cost;
  r.bounds.assign(std::size_t(stages) + 1, 0);
  r.bounds[std::size_t(stages)] = layers;
  for (int s = stages, b = layers; s > 0; --s) {
    b = from[at(s, b)];
    r.bounds[std::size_t(s) - 1] = b;
  }
  return r;
}

/// A partition result with its bounds in a fixed-size array, so that it can be a constexpr
/// variable (bounds beyond `stages` + 1 are zero).
template <int MaxStages>
struct static_partition {
  bool feasible = false;
  peak_pair cost;
  int stages = 0;
  std::array<int, MaxStages + 1> bounds{};
};

/// min_max_partition as a value a constexpr variable can hold (at most MaxStages stages).
template <int MaxStages, class Cost>
constexpr static_partition<MaxStages> min_max_partition_static(int layers, int stages, Cost&& cost,
                                                               std::int64_t limit =
                                                                   std::numeric_limits<std::int64_t>::max() - 1) {
  static_partition<MaxStages> r;
  if (stages > MaxStages) return r;
  const partition_result p = min_max_partition(layers, stages, cost, limit);
  r.feasible = p.feasible;
  r.cost = p.cost;
  r.stages = stages;
  for (std::size_t i = 0; i < p.bounds.size(); ++i) r.bounds[i] = p.bounds[i];
  return r;
}

}  // namespace dlas::memory
