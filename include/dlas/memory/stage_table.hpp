// SPDX-License-Identifier: Apache-2.0
/// \file stage_table.hpp
/// \brief stage_peak_table: the simulated stage peak in closed form, O(1) per stage after setup.
#pragma once

#include <algorithm>
#include <bit>
#include <optional>
#include <span>
#include <vector>

#include "dlas/memory/layer_terms.hpp"
#include "dlas/memory/predictor.hpp"

namespace dlas::memory {

/// Answers "peak of a stage holding layers [a, b)" for any a, b and stage index in constant time,
/// with exactly the value simulate_stage() computes; the recommender asks it O(p n^2) times.
///
/// The simulation's peak is the largest of a few levels, each a prefix sum plus a range maximum
/// over the layers of the stage (sparse tables). With L the level of everything but the current
/// micro-batch:
///   forward   L + I + max(max_i (M_a[a, i) + forward_peak_i), M_a[a, b))
///   backward  L + max(A + g, I + M_a[a, b-1) + backward_peak_{b-1},
///                     I + g + max_{k < b-1} (M_a[a, k) + backward_peak_k + new gradients above k))
/// with I the stage input, A = I + M_a[a, b), g the output gradient; L takes the values the
/// schedule produces (w = micro-batches in flight): warm-up and first backward (w - 1) A, the
/// steady state (w - 1) A + gradients, the step gradients + step transient.
/// M_a[a, i) is net of the outputs that layers after a release (layer_terms::released): a prefix
/// E over all layers, which counts the release of layer a too, plus the offset rel_a back.
class stage_peak_table {
 public:
  /// `layout`: an inference profile's executor layout (profile::executor), or none.
  stage_peak_table(std::vector<layer_terms> terms, bytes_t baseline, step_transient_rule rule,
                   const pipeline_options& options,
                   std::optional<executor_layout> layout = std::nullopt)
      : t_(std::move(terms)), baseline_(baseline), rule_(rule), o_(options),
        layout_(std::move(layout)) {
    const std::size_t n = t_.size();
    eff_.assign(n + 1, 0);
    grad_.assign(n + 1, 0);
    fixed_.assign(n + 1, 0);
    weights_.assign(n + 1, 0);
    step_.assign(n + 1, 0);
    std::vector<bytes_t> f(n), x(n), y(n), s(n), ws(n);
    for (std::size_t i = 0; i < n; ++i) {
      eff_[i + 1] = eff_[i] + t_[i].activation - t_[i].released;
      grad_[i + 1] = grad_[i] + t_[i].grads;
      fixed_[i + 1] = fixed_[i] + t_[i].weights + t_[i].optimizer;
      weights_[i + 1] = weights_[i] + t_[i].weights;
      step_[i + 1] = step_[i] + t_[i].step_transient;
    }
    views_ = detail::inference_views(t_);
    workspace_ = detail::workspaces(views_);
    if (layout_) interior_.assign(n * n, -1);
    for (std::size_t i = 0; i < n; ++i) {
      f[i] = eff_[i] + t_[i].forward_peak;  // layer i's own release comes after its forward
      // Inside a stage (i + 1 < b) layer i's output may be gone before its backward.
      x[i] = x_at(i) - (i + 1 < n ? t_[i + 1].released : 0);
      y[i] = x[i] - grad_[i + 1];
      s[i] = t_[i].step_transient;
      ws[i] = views_[i].workspace + views_[i].input + views_[i].output;
    }
    fwd_.build(f);
    bwd_.build(x);
    bwd_new_.build(y);
    step_max_.build(s);
    infer_.build(ws);
  }

  std::size_t size() const noexcept { return t_.size(); }
  const std::vector<layer_terms>& terms() const noexcept { return t_; }
  const pipeline_options& options() const noexcept { return o_; }
  const executor_layout* layout() const noexcept { return layout_ ? &*layout_ : nullptr; }

  /// The parts of a stage's peak that do not depend on its position in the pipeline.
  struct stage_parts {
    bytes_t start = 0;       ///< level at the start of the iteration
    bytes_t later = 0;       ///< gradients that appear during it
    bytes_t held = 0;        ///< per micro-batch in flight (inference: its queue slot)
    bytes_t fwd = 0;         ///< forward peak above the level of the other micro-batches
    bytes_t bwd_first = 0;   ///< first backward's peak above it
    bytes_t bwd_steady = 0;  ///< later backwards' peak above it
    bytes_t step = 0;        ///< optimiser step transient
  };

  /// The position-independent parts of the stage holding layers [a, b) (0 <= a < b <= size()).
  stage_parts parts(int a, int b) const {
    const std::size_t ua = std::size_t(a), ub = std::size_t(b);
    stage_parts r;
    if (o_.kind == schedule::inference) {
      r.start = baseline_ + weights_[ub] - weights_[ua];
      r.held = t_[ua].input + t_[ub - 1].output;
      r.fwd = layout_ ? planned_interior(ua, ub) : inference_running(ua, ub);
      return r;
    }
    const bytes_t in = t_[ua].input;
    const bytes_t g = ub == t_.size() ? 0 : t_[ub - 1].output;
    const bytes_t grads = grad_[ub] - grad_[ua];
    const bytes_t offset = t_[ua].released - eff_[ua];  // M_a[a, i) = eff_[i] + offset
    r.held = in + eff_[ub] + offset;
    r.start = baseline_ + fixed_[ub] - fixed_[ua] + (o_.grads_persist ? grads : 0);
    r.later = o_.grads_persist ? 0 : grads;
    r.fwd = in + std::max({t_[ua].forward_peak, eff_[ub] + offset,
                           ub - ua >= 2 ? fwd_.max(ua + 1, ub) + offset : 0});
    const bytes_t last_layer = in + offset + x_at(ub - 1);
    r.bwd_first = r.bwd_steady = std::max(r.held + g, last_layer);
    if (ub - ua >= 2) {
      const bytes_t base = in + g + offset;
      r.bwd_steady = std::max(r.bwd_steady, base + bwd_.max(ua, ub - 1));
      r.bwd_first = o_.grads_persist
                        ? r.bwd_steady
                        : std::max(r.bwd_first, base + grad_[ub] + bwd_new_.max(ua, ub - 1));
    }
    r.step = rule_ == step_transient_rule::sum ? step_[ub] - step_[ua] : step_max_.max(ua, ub);
    return r;
  }

  /// The peak of a stage with parts `p` and `w` micro-batches in flight.
  bytes_t peak(const stage_parts& p, int w) const noexcept {
    if (o_.kind == schedule::inference) return p.start + bytes_t(w) * p.held + p.fwd;
    const bytes_t others = bytes_t(w - 1) * p.held;
    bytes_t r = std::max(p.start + others + std::max(p.fwd, p.bwd_first), p.start);
    if (o_.micro_batches > w)
      r = std::max(r, p.start + p.later + others + std::max(p.fwd, p.bwd_steady));
    else if (o_.micro_batches >= 2)
      r = std::max(r, p.start + p.later + others - p.held + p.bwd_steady);
    return std::max(r, p.start + p.later + p.step);
  }

  /// Peak bytes of stage `stage` of `stages` holding layers [a, b) (0 <= a < b <= size()).
  bytes_t peak(int a, int b, int stages, int stage) const {
    return peak(parts(a, b), in_flight(o_.kind, stages, stage, o_.micro_batches, o_.queue_depth));
  }

  /// Forward plus backward seconds of one micro-batch through layers [a, b).
  double seconds(int a, int b) const noexcept {
    double s = 0;
    for (int i = a; i < b; ++i) s += t_[std::size_t(i)].seconds;
    return s;
  }

 private:
  /// Range maximum over [lo, hi) in O(1) after an O(n log n) build.
  class sparse_max {
   public:
    void build(const std::vector<bytes_t>& v) {
      const std::size_t n = v.size();
      levels_.assign(1, v);
      for (std::size_t len = 2; len <= n; len *= 2) {
        const auto& prev = levels_.back();
        std::vector<bytes_t> next(n - len + 1);
        for (std::size_t i = 0; i + len <= n; ++i)
          next[i] = std::max(prev[i], prev[i + len / 2]);
        levels_.push_back(std::move(next));
      }
    }
    bytes_t max(std::size_t lo, std::size_t hi) const noexcept {
      const std::size_t k = std::size_t(std::bit_width(hi - lo)) - 1;
      return std::max(levels_[k][lo], levels_[k][hi - (std::size_t(1) << k)]);
    }

   private:
    std::vector<std::vector<bytes_t>> levels_;
  };

  bytes_t x_at(std::size_t k) const noexcept {
    return eff_[k] - t_[k].released + t_[k].backward_peak;
  }

  /// The stage's planned arena and workspace buffer, computed once per stage.
  bytes_t planned_interior(std::size_t a, std::size_t b) const {
    bytes_t& v = interior_[a * t_.size() + (b - 1)];
    if (v < 0) v = stage_interior_bytes(*layout_, int(a), int(b), workspace_);
    return v;
  }

  /// The running layer's scratch and interior activations (inference_stage_bytes' last term).
  bytes_t inference_running(std::size_t a, std::size_t b) const noexcept {
    if (b - a == 1) return views_[a].workspace;
    bytes_t running = std::max(views_[a].workspace + views_[a].output,
                               views_[b - 1].workspace + views_[b - 1].input);
    if (b - a > 2) running = std::max(running, infer_.max(a + 1, b - 1));
    return running;
  }

  std::vector<layer_terms> t_;
  bytes_t baseline_;
  step_transient_rule rule_;
  pipeline_options o_;
  std::vector<detail::inference_view> views_;
  std::optional<executor_layout> layout_;
  std::vector<bytes_t> workspace_;
  mutable std::vector<bytes_t> interior_;  // per (a, b - 1), -1 until asked
  std::vector<bytes_t> eff_, grad_, fixed_, weights_, step_;  // prefix sums
  sparse_max fwd_, bwd_, bwd_new_, step_max_, infer_;
};

}  // namespace dlas::memory
