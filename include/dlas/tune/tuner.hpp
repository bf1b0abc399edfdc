// SPDX-License-Identifier: Apache-2.0
/// \file tuner.hpp
/// \brief tune(): per convolution layer of a network, measure every algorithm and layout that
/// can run it at the chosen precision and sparsity, keep the fastest, and remember it.
///
/// This is the "tuned" column of the cross-stack sweep, against the "untuned" rule table of
/// algo::automatic (docs/dispatch.md). A layer is timed in place (network::run_stage on the
/// layer alone), so the casts or reorders its input needs under a candidate layout are part
/// of that candidate's time; choices are greedy, one layer at a time, in execution order.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <span>
#include <optional>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/graph/network.hpp"
#include "dlas/graph/stage_timer.hpp"
#include "dlas/tune/tuning_cache.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::tune {

/// What tune() measures and how often.
struct tune_options {
  int warmup = 1;       ///< untimed runs per candidate
  int repetitions = 5;  ///< timed runs per candidate; the median counts
  /// Layouts tried per layer; one entry keeps the network's layout.
  std::vector<graph::layout_kind> layouts{graph::layout_kind::nchw, graph::layout_kind::nhwc};
  /// Algorithms tried per layer (those that cannot run a layer's shape are skipped).
  std::vector<graph::algorithm_kind> algorithms{
      graph::algorithm_kind::direct,    graph::algorithm_kind::im2col_gemm, graph::algorithm_kind::spatial_pack,
      graph::algorithm_kind::pointwise, graph::algorithm_kind::depthwise,   graph::algorithm_kind::winograd};
};

/// What tune() did.
struct tune_report {
  int layers = 0;         ///< convolution layers configured
  int measured = 0;       ///< of which measured now
  int from_cache = 0;     ///< of which taken from the cache
  int candidates = 0;     ///< candidate configurations timed
  double seconds = 0;     ///< time spent measuring
  double untuned_seconds = 0;  ///< the whole network before tuning (mean of two medians)
  double tuned_seconds = 0;    ///< the whole network with the per-layer choices (the same)
  bool kept = true;            ///< false: the choices were slower as a whole, and undone
};

namespace detail {

/// Stored weights over all weights of conv layer i (pruned weights are exact zeros).
inline double density_of(const graph::network& net, int i) {
  const auto& w = net.folded_weights(i).weights;
  if (w.empty()) return 1.0;
  const auto kept = std::count_if(w.begin(), w.end(), [&](float v) { return v != 0.0f; });
  return double(kept) / double(w.size());
}

/// Median seconds of layers [a, b) run alone, with `o`'s warm-up and repetitions.
inline double time_layers(graph::network& net, int a, int b, const tune_options& o) {
  return graph::time_stage(net, a, b, o.warmup, o.repetitions);
}

}  // namespace detail

/// Configures every convolution layer of `net` with the fastest measured algorithm and
/// layout at `precision` and `sparsity`, using and filling `cache` (keyed by CPU model, shape,
/// policies, weight density and thread count). An int8 network must be calibrated first.
///
/// Layer-by-layer choices are greedy (a layer's choice of layout also changes what the next
/// layer's input costs), so the whole network is timed without and with them, twice each,
/// in turn: when the choices are slower as a whole, the configuration the network had is
/// restored (the network then runs exactly as untuned), and tuned is never slower than
/// untuned beyond the noise of those measurements.
inline tune_report tune(graph::network& net, graph::precision_kind precision, graph::sparsity_kind sparsity,
                        tuning_cache& cache, const tune_options& o = {}) {
  core::require(o.repetitions >= 1 && o.warmup >= 0 && !o.layouts.empty() && !o.algorithms.empty(),
                errc::invalid_argument,
                [] { return std::string("tune: need at least one repetition, layout and algorithm"); });
  const auto start = std::chrono::steady_clock::now();
  tune_report report;
  const std::string cpu = cpu_model();
  std::string layouts;
  for (const auto l : o.layouts) layouts += (layouts.empty() ? "" : "+") + std::string(graph::to_string(l));
  std::vector<std::optional<graph::conv_config>> before(std::size_t(net.size()));
  for (int i = 0; i < net.size(); ++i)
    if (net.is_conv(i)) before[std::size_t(i)] = net.config(i);  // runnable as it is
  report.untuned_seconds = detail::time_layers(net, 0, net.size(), o);
  for (int i = 0; i < net.size(); ++i) {
    if (!net.is_conv(i)) continue;
    ++report.layers;
    const tuning_key key{cpu, net.layer(i).shape, precision, sparsity, detail::density_of(net, i), core::max_threads(),
                         layouts};
    if (const auto hit = cache.find(key); hit && graph::can_implement(hit->config, key.shape).ok()) {
      net.set_conv_config(i, hit->config);
      ++report.from_cache;
      continue;
    }
    std::optional<tuning_entry> best;
    for (const auto layout : o.layouts)
      for (const auto algorithm : o.algorithms) {
        const graph::conv_config c{layout, precision, sparsity, algorithm};
        if (!graph::can_implement(c, key.shape).ok()) continue;
        double t = 0;
        try {
          net.set_conv_config(i, c);
          t = detail::time_layers(net, i, i + 1, o);
        } catch (const error& e) {
          if (e.code() != errc::unsupported) throw;
          net.release();
          continue;  // the network's kernel set leaves this combination out
        }
        ++report.candidates;
        if (!best || t < best->seconds) best = tuning_entry{c, t};
        net.release();  // one candidate's kernels and arena at a time
      }
    core::require(best.has_value(), errc::unsupported, [&] {
      return "tune: no " + std::string(graph::to_string(precision)) + "/" +
             std::string(graph::to_string(sparsity)) + " kernel can run layer '" + net.layer(i).name + "'";
    });
    net.set_conv_config(i, best->config);
    cache.put(key, *best);
    ++report.measured;
  }
  // The whole network with the choices, without them, and with them again: a pause of the
  // machine during one measurement cannot decide alone, and a tie keeps the choices.
  std::vector<std::optional<graph::conv_config>> after(before.size());
  for (int i = 0; i < net.size(); ++i)
    if (net.is_conv(i)) after[std::size_t(i)] = net.config(i);
  const auto apply = [&](const std::vector<std::optional<graph::conv_config>>& configs) {
    for (int i = 0; i < net.size(); ++i)
      if (configs[std::size_t(i)]) net.set_conv_config(i, *configs[std::size_t(i)]);
  };
  const double tuned_first = detail::time_layers(net, 0, net.size(), o);
  apply(before);
  report.untuned_seconds = 0.5 * (report.untuned_seconds + detail::time_layers(net, 0, net.size(), o));
  apply(after);
  report.tuned_seconds = 0.5 * (tuned_first + detail::time_layers(net, 0, net.size(), o));
  if (report.tuned_seconds > report.untuned_seconds) {
    apply(before);
    report.kept = false;
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace dlas::tune
