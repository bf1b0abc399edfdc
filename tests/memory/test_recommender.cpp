// SPDX-License-Identifier: Apache-2.0
// The recommender: exact against brute force, budgets, device counts, compute balance.
#include <catch2/catch.hpp>

#include <array>
#include <limits>
#include <vector>

#include "dlas/memory/partition.hpp"
#include "dlas/memory/plan_io.hpp"
#include "dlas/memory/recommender.hpp"
#include "memory/support.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::memory;

namespace {

/// Calls f(bounds) for every split of n layers into p non-empty contiguous stages.
template <class F>
void each_partition(int n, int p, F&& f) {
  std::vector<int> bounds(std::size_t(p) + 1, 0);
  bounds.back() = n;
  auto rec = [&](auto&& self, int s, int from) -> void {
    if (s == p) return f(bounds);
    for (int b = from; b <= n - (p - s); ++b) {
      bounds[std::size_t(s)] = b;
      self(self, s + 1, b + 1);
    }
  };
  if (p == 1) return f(bounds);
  rec(rec, 1, 1);
}

constexpr std::array<std::int64_t, 8> chain{5, 1, 1, 1, 4, 4, 1, 2};

constexpr std::int64_t chain_cost(int, int a, int b) {
  std::int64_t s = 0;
  for (int i = a; i < b; ++i) s += chain[std::size_t(i)];
  return s;
}

/// 64 layers with a deterministic spread of costs, for a compile-time partition.
constexpr std::int64_t long_cost(int, int a, int b) {
  std::int64_t s = 0;
  for (int i = a; i < b; ++i) s += 1 + (i * 37) % 11;
  return s;
}

peak_pair pair_of(const std::vector<stage_prediction>& stages) {
  peak_pair pp;
  for (const auto& s : stages) pp = add_stage(pp, s.peak_bytes);
  return pp;
}

}  // namespace

TEST_CASE("the recommended partition is optimal (brute force)", "[memory][recommender]") {
  int compared = 0;
  for (std::uint32_t seed = 1; seed <= 10; ++seed) {
    const int n = 3 + int(seed % 7);  // 3..9 layers
    const profile prof = testing::random_profile(n, 100 + seed);
    for (auto kind : {schedule::one_f_one_b, schedule::gpipe, schedule::inference})
      for (int p = 1; p <= std::min(4, n); ++p) {
        const pipeline_options o{.kind = kind, .micro_batches = 2 * p, .micro_batch_size = 2,
                                 .queue_depth = 2};
        peak_pair best{std::numeric_limits<bytes_t>::max(), 0};
        each_partition(n, p, [&](const std::vector<int>& bounds) {
          best = std::min(best, pair_of(predict(prof, bounds, o)));
        });
        const plan r = recommend(prof, {.pipeline = o, .stages = p});
        INFO("seed " << seed << " n " << n << " p " << p << " " << to_string(kind));
        CHECK(r.largest_peak == best.largest);
        CHECK(r.second_peak == std::max<bytes_t>(0, best.second));
        CHECK(pair_of(predict(prof, r.bounds, o)) == peak_pair{r.largest_peak, best.second});
        ++compared;
      }
  }
  CHECK(compared > 50);
}

TEST_CASE("min_max_partition is a constant expression", "[memory][recommender]") {
  constexpr auto r = min_max_partition_static<3>(8, 3, chain_cost);
  // {5,1,1} {1,4} {4,1,2} and {5,1} {1,1,4} {4,1,2} both peak at 7; the second has 6 next.
  static_assert(r.feasible && r.cost.largest == 7 && r.cost.second == 6);
  static_assert(r.bounds[1] == 2 && r.bounds[2] == 5);
  constexpr auto none = min_max_partition_static<3>(8, 3, chain_cost, 6);
  static_assert(!none.feasible);
  CHECK(r.stages == 3);
  // 64 layers into 8 stages, in a constant expression.
  constexpr auto big = min_max_partition_static<8>(64, 8, long_cost);
  static_assert(big.feasible && big.bounds[8] == 64);
  static_assert(big.cost.largest * 8 >= long_cost(0, 0, 64));
  const auto run = min_max_partition(64, 8, long_cost);
  CHECK(run.cost == big.cost);
}

TEST_CASE("no plan fits: the answer says the smallest budget that would", "[memory][recommender]") {
  const profile prof = testing::random_profile(6, 21);
  const pipeline_options o{.kind = schedule::one_f_one_b, .micro_batches = 4, .micro_batch_size = 1};
  const plan free_plan = recommend(prof, {.pipeline = o, .stages = 3});
  CHECK(free_plan.fits);
  const plan tight = recommend(prof, {.pipeline = o, .stages = 3, .budget = free_plan.largest_peak - 1});
  CHECK_FALSE(tight.fits);
  CHECK(tight.smallest_budget == free_plan.largest_peak);
  const plan exact = recommend(prof, {.pipeline = o, .stages = 3, .budget = free_plan.largest_peak});
  CHECK(exact.fits);
  REQUIRE_DLAS_ERROR(recommend(prof, {.pipeline = o, .stages = 7}), errc::invalid_argument,
                     "non-empty stages");
  REQUIRE_DLAS_ERROR(recommend(prof, {.pipeline = o}), errc::invalid_argument,
                     "stage count or a device count");
}

TEST_CASE("device counts: the best (pipeline, data, tensor) degrees", "[memory][recommender]") {
  const profile prof = testing::random_profile(8, 33);
  pipeline_options o{.kind = schedule::one_f_one_b, .micro_batches = 8, .micro_batch_size = 2};
  o.parallel.zero = 1;
  const plan best = recommend(prof, {.pipeline = o, .devices = 4});
  CHECK(int(best.stages.size()) * best.pipeline.parallel.data * best.pipeline.parallel.tensor == 4);
  for (int p : {1, 2, 4})
    for (int t : {1, 2, 4}) {
      if ((4 / p) % t) continue;
      pipeline_options c = o;
      c.parallel.tensor = t;
      c.parallel.data = 4 / p / t;
      CHECK(best.largest_peak <= recommend_stages(prof, c, p).largest_peak);
    }
}

TEST_CASE("compute balance: the slowest stage is as fast as the budget allows", "[memory][recommender]") {
  const profile prof = testing::random_profile(7, 45);
  const pipeline_options o{.kind = schedule::one_f_one_b, .micro_batches = 6, .micro_batch_size = 1};
  const plan mem = recommend(prof, {.pipeline = o, .stages = 3});
  const bytes_t budget = mem.largest_peak + mem.largest_peak / 10;
  const plan timed = recommend(prof, {.pipeline = o, .stages = 3, .budget = budget,
                                      .balance_compute = true});
  CHECK(timed.fits);
  double best = 1e30;
  each_partition(7, 3, [&](const std::vector<int>& bounds) {
    const auto st = predict(prof, bounds, o);
    double worst = 0;
    bytes_t peak = 0;
    const auto terms = resolve(prof, 1, {});
    for (const auto& s : st) {
      double sec = 0;
      for (int i = s.first; i < s.last; ++i) sec += terms[std::size_t(i)].seconds;
      worst = std::max(worst, sec);
      peak = std::max(peak, s.peak_bytes);
    }
    if (peak <= budget) best = std::min(best, worst);
  });
  double got = 0;
  for (const auto& s : timed.stages) got = std::max(got, s.seconds);
  CHECK(got == Approx(best).epsilon(1e-9));
}

TEST_CASE("plans round-trip and export PyTorch split points", "[memory][plan]") {
  const profile prof = testing::random_profile(6, 8);
  const pipeline_options o{.kind = schedule::gpipe, .micro_batches = 4, .micro_batch_size = 2};
  const plan p = recommend(prof, {.pipeline = o, .stages = 3, .budget = 1});
  const plan q = plan_from_json(to_json(p));
  CHECK(q.bounds == p.bounds);
  CHECK(q.stages.size() == 3);
  CHECK(q.stages[1].peak_bytes == p.stages[1].peak_bytes);
  CHECK(q.pipeline.kind == schedule::gpipe);
  // The allocator the plan's bytes follow is written resolved (training: the caching one).
  CHECK(to_json(p)["allocator"] == "cuda_caching");
  CHECK(q.pipeline.allocator == allocator_model::cuda_caching);
  CHECK_FALSE(q.fits);
  const auto split = torch_split_spec(p);
  CHECK(split["split_spec"].size() == 2);
  CHECK(split["split_spec"].contains("layer" + std::to_string(p.bounds[1])));
  CHECK(split["stages"][0][0] == "layer0");
  REQUIRE_DLAS_ERROR(plan_from_json(ordered_json{{"format", "other"}}), errc::parse_error,
                     "not a dlas.plan/1");
  // Bounds that no partition has are malformed input, not a caller's invalid argument.
  auto bad_bounds = to_json(p);
  bad_bounds["bounds"] = {0, 4, 2};
  REQUIRE_DLAS_ERROR(plan_from_json(bad_bounds), errc::parse_error, "must increase strictly");
  bad_bounds["bounds"] = {0};
  REQUIRE_DLAS_ERROR(plan_from_json(bad_bounds), errc::parse_error, "at least a start and an end");
  auto bad_allocator = to_json(p);
  bad_allocator["allocator"] = "slab";
  REQUIRE_DLAS_ERROR(plan_from_json(bad_allocator), errc::parse_error, "unknown allocator model 'slab'");
  REQUIRE_DLAS_ERROR(read_plan("/nonexistent/plan.json"), errc::io_error, "cannot open");
  CHECK(stages_table(p.stages, p.layer_names).find("layer0") != std::string::npos);
}
