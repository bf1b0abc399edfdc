// SPDX-License-Identifier: Apache-2.0
/// \file recommender.hpp
/// \brief recommend(): the partition and parallel configuration with the lowest peak memory.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "dlas/core/error.hpp"
#include "dlas/memory/partition.hpp"
#include "dlas/memory/predictor.hpp"
#include "dlas/memory/profile.hpp"
#include "dlas/memory/stage_table.hpp"

namespace dlas::memory {

/// What to plan for.
struct recommend_options {
  pipeline_options pipeline;  ///< schedule, micro-batches, size; its parallel setting is used
                              ///< as given with `stages`, and its ZeRO stage with `devices`
  int stages = 0;             ///< pipeline stages p; or 0 and give `devices`
  int devices = 0;            ///< G: try every (pipeline, data, tensor) with product G
  std::vector<int> tensor_degrees{1, 2, 4, 8};  ///< tensor degrees tried with `devices`
  bytes_t budget = 0;         ///< per-device bytes; 0 for none
  /// Minimise the largest stage compute time (exactly) among partitions within the budget,
  /// instead of the largest peak; needs per-layer times in the profile.
  bool balance_compute = false;
};

/// One stage of a plan.
struct plan_stage {
  int first = 0, last = 0;  ///< layers [first, last)
  int in_flight = 0;
  bytes_t peak_bytes = 0;
  double seconds = 0;       ///< per micro-batch, when the profile has times
};

/// A recommended (or evaluated) pipeline plan.
struct plan {
  std::string model;
  pipeline_options pipeline;  ///< with the chosen parallel setting
  std::vector<int> bounds;
  std::vector<plan_stage> stages;
  std::vector<std::string> layer_names;
  bytes_t largest_peak = 0;
  bytes_t second_peak = 0;    ///< 0 with one stage
  bytes_t budget = 0;         ///< 0: none given
  bool fits = true;           ///< largest_peak <= budget (or no budget)
  bytes_t smallest_budget = 0;  ///< the smallest per-device budget any considered plan fits
};

namespace detail {

/// Caches a stage's position-independent parts while the partition DP varies the stage index.
struct peak_cost {
  const stage_peak_table* table;
  int stages;
  int a = -1, b = -1;
  stage_peak_table::stage_parts parts{};

  bytes_t operator()(int s, int na, int nb) {
    if (na != a || nb != b) {
      a = na;
      b = nb;
      parts = table->parts(a, b);
    }
    const auto& o = table->options();
    return table->peak(parts, in_flight(o.kind, stages, s, o.micro_batches, o.queue_depth));
  }
};

/// Stage compute time in nanoseconds; stages above the memory budget are not allowed.
struct time_cost {
  const stage_peak_table* table;
  int stages;
  bytes_t budget;
  std::vector<double> prefix;

  std::int64_t operator()(int s, int a, int b) const {
    if (budget > 0 && table->peak(a, b, stages, s) > budget)
      return std::numeric_limits<std::int64_t>::max();
    return std::int64_t(std::llround((prefix[std::size_t(b)] - prefix[std::size_t(a)]) * 1e9));
  }
};

inline plan make_plan(const profile& prof, const stage_peak_table& table,
                      const pipeline_options& o, std::vector<int> bounds) {
  plan r;
  r.model = prof.model;
  r.pipeline = o;
  r.bounds = std::move(bounds);
  for (const auto& l : prof.layers) r.layer_names.push_back(l.name);
  const int p = int(r.bounds.size()) - 1;
  std::vector<bytes_t> peaks;
  for (int s = 0; s < p; ++s) {
    const auto sim = simulate_stage(table.terms(), prof.baseline_bytes, prof.step_rule,
                                    r.bounds[std::size_t(s)], r.bounds[std::size_t(s) + 1], p, s, o,
                                    table.layout());
    r.stages.push_back({sim.first, sim.last, sim.in_flight, sim.peak_bytes,
                        table.seconds(sim.first, sim.last)});
    peaks.push_back(sim.peak_bytes);
  }
  peak_pair pp;
  for (bytes_t v : peaks) pp = add_stage(pp, v);
  r.largest_peak = pp.largest;
  r.second_peak = std::max<bytes_t>(0, pp.second);
  return r;
}

}  // namespace detail

/// The best plan of `prof` for one parallel setting and `stages` pipeline stages.
inline plan recommend_stages(const profile& prof, const pipeline_options& o, int stages,
                             bytes_t budget = 0, bool balance_compute = false) {
  validate(o);
  core::require(stages >= 1 && stages <= int(prof.size()), errc::invalid_argument, [&] {
    return "cannot split " + std::to_string(prof.size()) + " layers into " +
           std::to_string(stages) + " non-empty stages";
  });
  const stage_peak_table table(resolve(prof, o.micro_batch_size, o.parallel, o.fit, allocator_for(o)),
                               prof.baseline_bytes, prof.step_rule, o, prof.executor);
  const int n = int(prof.size());
  detail::peak_cost mem{&table, stages};
  partition_result best = min_max_partition(n, stages, mem);
  const bytes_t smallest = best.cost.largest;
  if (balance_compute) {
    std::vector<double> prefix(std::size_t(n) + 1, 0.0);
    for (int i = 0; i < n; ++i) prefix[std::size_t(i) + 1] = prefix[std::size_t(i)] + table.seconds(i, i + 1);
    core::require(prefix.back() > 0, errc::invalid_argument, [] {
      return std::string("balancing compute needs forward_seconds/backward_seconds in the profile");
    });
    const partition_result timed =
        min_max_partition(n, stages, detail::time_cost{&table, stages, budget, prefix});
    if (timed.feasible) best = timed;
  }
  plan r = detail::make_plan(prof, table, o, best.bounds);
  r.budget = budget;
  r.fits = budget <= 0 || r.largest_peak <= budget;
  r.smallest_budget = smallest;
  return r;
}

/// The best plan of `prof` under `opt`: for a stage count, the partition; for a device count,
/// also the (pipeline, data, tensor) degrees, by the lowest largest peak (ties: lower second
/// peak, then fewer tensor-parallel devices, then fewer stages). When nothing fits the budget,
/// the returned plan has fits = false and smallest_budget is the budget that would fit it.
inline plan recommend(const profile& prof, const recommend_options& opt) {
  validate(opt.pipeline);
  core::require((opt.stages > 0) != (opt.devices > 0), errc::invalid_argument, [] {
    return std::string("give either a stage count or a device count");
  });
  core::require(opt.budget >= 0, errc::invalid_argument,
                [] { return std::string("budget must not be negative"); });
  if (opt.stages > 0)
    return recommend_stages(prof, opt.pipeline, opt.stages, opt.budget, opt.balance_compute);
  const int g = opt.devices;
  bool found = false;
  plan best;
  bytes_t smallest = std::numeric_limits<bytes_t>::max();
  for (int p = 1; p <= g && p <= int(prof.size()); ++p) {
    if (g % p != 0) continue;
    for (int t : opt.tensor_degrees) {
      if (t < 1 || (g / p) % t != 0) continue;
      pipeline_options o = opt.pipeline;
      o.parallel.tensor = t;
      o.parallel.data = g / p / t;
      plan c = recommend_stages(prof, o, p, opt.budget, opt.balance_compute);
      smallest = std::min(smallest, c.smallest_budget);
      if (!found || peak_pair{c.largest_peak, c.second_peak} <
                        peak_pair{best.largest_peak, best.second_peak}) {
        best = std::move(c);
        found = true;
      }
    }
  }
  core::require(found, errc::invalid_argument, [&] {
    return "no (pipeline, data, tensor) degrees multiply to " + std::to_string(g) +
           " devices with the allowed tensor degrees";
  });
  best.smallest_budget = smallest;
  best.fits = opt.budget <= 0 || best.largest_peak <= opt.budget;
  return best;
}

}  // namespace dlas::memory
