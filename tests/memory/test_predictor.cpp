// SPDX-License-Identifier: Apache-2.0
// The predictor: schedules, the event simulation, its closed form, size fits, parallelism.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "dlas/memory/predictor.hpp"
#include "dlas/memory/stage_table.hpp"
#include "memory/support.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::memory;

TEST_CASE("schedules order forwards and backwards as the frameworks do", "[memory][schedule]") {
  CHECK(stage_events(schedule::one_f_one_b, 4, 0, 8) == "FFFFBFBFBFBFBBBB");
  CHECK(stage_events(schedule::one_f_one_b, 4, 3, 8) == "FBFBFBFBFBFBFBFB");
  CHECK(stage_events(schedule::one_f_one_b, 8, 0, 4) == "FFFFBBBB");
  CHECK(stage_events(schedule::gpipe, 4, 2, 3) == "FFFBBB");
  CHECK(stage_events(schedule::inference, 4, 2, 3) == "FFF");
  static_assert(in_flight(schedule::one_f_one_b, 8, 1, 16) == 7);
  static_assert(in_flight(schedule::one_f_one_b, 8, 1, 3) == 3);
  static_assert(in_flight(schedule::gpipe, 8, 1, 16) == 16);
  static_assert(in_flight(schedule::inference, 8, 1, 16, 2) == 2);
  CHECK(parse_schedule("1f1b") == schedule::one_f_one_b);
  REQUIRE_DLAS_ERROR(parse_schedule("pipedream"), errc::invalid_argument, "unknown schedule");
}

TEST_CASE("a one-layer stage by hand", "[memory][predictor]") {
  profile p;
  layer_profile l;
  l.name = "only";
  l.weight_bytes = 10;
  l.grad_bytes = 10;
  l.optimizer_bytes = 20;
  l.optimizer_step_transient_bytes = 10;
  l.per_micro_batch[1] = {.input_bytes = 4, .output_bytes = 8, .activation_bytes = 8,
                          .forward_peak_bytes = 12, .backward_peak_bytes = 30};
  p.layers.push_back(l);
  pipeline_options o{.kind = schedule::one_f_one_b, .micro_batches = 2, .micro_batch_size = 1};
  const std::vector<int> bounds{0, 1};
  const auto s = predict(p, bounds, o).at(0);
  // start 30; F: input 4, peak 30+4+12; B: peak 34+30, then the gradient (10) stays;
  // F again: 40+4+12; B: 44+30 = 74; step: 40+10.
  CHECK(s.start_bytes == 30);
  CHECK(s.peak_bytes == 74);
  CHECK(s.in_flight == 1);
  REQUIRE(s.events.size() == 5);
  CHECK(s.events[0].peak == 46);
  CHECK(s.events[1].peak == 64);
  CHECK(s.events[3].peak == 74);
  CHECK(s.events[4].kind == 'S');
  CHECK(s.events[4].peak == 50);
  CHECK(s.events[4].level == 30);  // zero_grad frees the gradients
  CHECK(s.peak_event == 3);
  const stage_peak_table t(resolve(p, 1, {}), p.baseline_bytes, p.step_rule, o);
  CHECK(t.peak(0, 1, 1, 0) == 74);
}

TEST_CASE("an output that neither its layer nor the next keeps is freed", "[memory][predictor]") {
  // conv (keeps its input, not its output) -> pool (keeps neither): after the pool's forward
  // the conv's output (8 bytes, counted in the conv's M_a) is gone, unless the pool starts the
  // stage, where its input is the stage input the pipeline holds.
  profile p;
  layer_profile conv, pool;
  conv.name = "conv";
  conv.keeps_output = false;
  conv.per_micro_batch[1] = {.input_bytes = 4, .output_bytes = 8, .activation_bytes = 8,
                             .forward_peak_bytes = 8, .backward_peak_bytes = 20};
  pool.name = "pool";
  pool.keeps_input = false;
  pool.per_micro_batch[1] = {.input_bytes = 8, .output_bytes = 2, .activation_bytes = 2,
                             .forward_peak_bytes = 2, .backward_peak_bytes = 12};
  p.layers = {conv, pool};
  const pipeline_options o{.kind = schedule::gpipe, .micro_batches = 3, .micro_batch_size = 1};
  const std::vector<int> whole{0, 2};
  // Per micro-batch: input 4 + conv 8 + pool 2 - released 8 = 6.
  const auto s = predict(p, whole, o).at(0);
  CHECK(s.events[0].level == 6);
  CHECK(s.events[2].level == 18);
  // The third forward peaks with the conv's output still there: 12 + 4 + 8 + 2 = 26.
  CHECK(s.events[2].peak == 26);
  p.layers[0].keeps_output = true;  // an in-place ReLU's output stays: nothing is freed
  CHECK(predict(p, whole, o).at(0).events[0].level == 14);
  p.layers[0].keeps_output = false;
  const std::vector<int> split{0, 1, 2};
  CHECK(predict(p, split, o).at(1).events[0].level == 10);  // stage input 8 + pool 2
  for (const auto& bounds : {whole, split}) {
    const auto sim = predict(p, bounds, o);
    const stage_peak_table t(resolve(p, 1, {}), p.baseline_bytes, p.step_rule, o);
    for (int st = 0; st + 1 < int(bounds.size()); ++st)
      CHECK(t.peak(bounds[std::size_t(st)], bounds[std::size_t(st) + 1], int(bounds.size()) - 1,
                   st) == sim.at(std::size_t(st)).peak_bytes);
  }
}

TEST_CASE("the closed form equals the simulation", "[memory][predictor]") {
  int checked = 0;
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const int n = 2 + int(seed % 6);
    const profile p = testing::random_profile(n, seed);
    for (auto kind : {schedule::gpipe, schedule::one_f_one_b, schedule::inference})
      for (int m : {1, 2, 3, 7})
        for (bool persist : {false, true}) {
          pipeline_options o{.kind = kind, .micro_batches = m, .micro_batch_size = int(1 + seed % 3),
                             .queue_depth = 2, .grads_persist = persist};
          o.parallel = {.data = 2, .zero = int(seed % 4), .tensor = seed % 2 ? 1 : 2};
          const auto terms = resolve(p, o.micro_batch_size, o.parallel);
          const stage_peak_table t(terms, p.baseline_bytes, p.step_rule, o);
          const int stages = 3;
          for (int s = 0; s < stages; ++s)
            for (int a = 0; a < n; ++a)
              for (int b = a + 1; b <= n; ++b) {
                const auto sim = simulate_stage(terms, p.baseline_bytes, p.step_rule, a, b, stages, s, o);
                INFO("seed " << seed << " kind " << to_string(kind) << " m " << m << " persist "
                             << persist << " stage " << s << " [" << a << ", " << b << ")");
                REQUIRE(t.peak(a, b, stages, s) == sim.peak_bytes);
                ++checked;
              }
        }
  }
  CHECK(checked > 1000);
}

TEST_CASE("1F1B holds min(p - s, m) micro-batches; GPipe holds m", "[memory][predictor]") {
  const profile p = testing::random_profile(8, 5);
  const std::vector<int> bounds{0, 2, 4, 6, 8};
  pipeline_options o{.kind = schedule::one_f_one_b, .micro_batches = 8, .micro_batch_size = 2};
  const auto one = predict(p, bounds, o);
  for (int s = 0; s < 4; ++s) CHECK(one[std::size_t(s)].in_flight == 4 - s);
  o.kind = schedule::gpipe;
  const auto all = predict(p, bounds, o);
  for (int s = 0; s < 4; ++s) {
    CHECK(all[std::size_t(s)].in_flight == 8);
    CHECK(all[std::size_t(s)].peak_bytes >= one[std::size_t(s)].peak_bytes);
  }
}

TEST_CASE("micro-batch sizes outside the profile are fitted", "[memory][profile]") {
  layer_profile l;
  l.name = "x";
  l.per_micro_batch[1] = {.input_bytes = 10, .output_bytes = 20, .activation_bytes = 100,
                          .forward_peak_bytes = 130, .backward_peak_bytes = 200};
  l.per_micro_batch[2] = {.input_bytes = 20, .output_bytes = 40, .activation_bytes = 200,
                          .forward_peak_bytes = 250, .backward_peak_bytes = 400};
  const auto c4 = cost_at(l, 4);
  CHECK(c4.input_bytes == 40);
  CHECK(c4.activation_bytes == 400);
  CHECK(c4.forward_peak_bytes == 400 + 50);  // transient held at the largest profiled size
  // The backward transient's output and input gradients (40 + 20 at size 2) grow with the
  // tensors (80 + 40 at size 4); the rest of it (200 - 60) is held.
  CHECK(c4.backward_peak_bytes == 400 + 140 + 120);
  const auto l4 = cost_at(l, 4, size_fit::all_linear);
  CHECK(l4.forward_peak_bytes == 130 + 3 * 120);
  CHECK(l4.backward_peak_bytes == 200 + 3 * 200);
  l.per_micro_batch[4] = {.input_bytes = 40, .output_bytes = 80, .activation_bytes = 400,
                          .forward_peak_bytes = 500, .backward_peak_bytes = 800};
  const auto c3 = cost_at(l, 3);
  CHECK(c3.activation_bytes == 300);
  CHECK(c3.forward_peak_bytes == 300 + 75);  // between 2 and 4: interpolated
  REQUIRE_DLAS_ERROR(cost_at(l, 0), errc::invalid_argument, "must be positive");
}

TEST_CASE("with the caching allocator, tensor sizes are fitted from below and rounded",
          "[memory][profile]") {
  // Exact activation: 1000 + 4096 B per sample (a batch-independent part and a part that grows);
  // at size 2 the allocator handed out a block 3000 B larger than asked for.
  layer_profile l;
  l.name = "x";
  auto at = [](bytes_t act) {
    return micro_batch_cost{.input_bytes = 0, .output_bytes = 0, .activation_bytes = act,
                            .forward_peak_bytes = act, .backward_peak_bytes = act};
  };
  l.per_micro_batch[1] = at(1000 + 4096);
  l.per_micro_batch[2] = at(1000 + 2 * 4096 + 3000);
  l.per_micro_batch[4] = at(1000 + 4 * 4096);
  CHECK(cost_at(l, 8, size_fit::additive_linear, allocator_model::cuda_caching).activation_bytes ==
        cuda_round_request(1000 + 8 * 4096));
  // Least squares is tilted by the slack at size 2 (exact allocator: bytes taken as they are).
  CHECK(std::abs(cost_at(l, 8).activation_bytes - (1000 + 8 * 4096)) > 200);
  // Two sizes whose line would need a negative batch-independent part: proportional from below.
  l.per_micro_batch.erase(4);
  CHECK(cost_at(l, 4, size_fit::additive_linear, allocator_model::cuda_caching).activation_bytes ==
        cuda_round_request(4 * (1000 + 4096)));
  // Profiled sizes are what the allocator counted: never changed.
  CHECK(cost_at(l, 2, size_fit::additive_linear, allocator_model::cuda_caching).activation_bytes ==
        1000 + 2 * 4096 + 3000);
  CHECK(cuda_round_request(0) == 0);
  CHECK(cuda_round_request(1) == 512);
  CHECK(cuda_round_request(1024) == 1024);
  CHECK(cuda_round_request(1025) == 1536);
  static_assert(cuda_round_request(802816) == 802816);
  static_assert(allocator_for(pipeline_options{.kind = schedule::inference}) ==
                allocator_model::exact);
  static_assert(allocator_for(pipeline_options{.kind = schedule::gpipe}) ==
                allocator_model::cuda_caching);
  static_assert(allocator_for(pipeline_options{.kind = schedule::gpipe,
                                               .allocator = allocator_model::exact}) ==
                allocator_model::exact);
}

TEST_CASE("ZeRO shards optimiser state, gradients and weights", "[memory][parallel]") {
  const profile p = testing::random_profile(4, 9);
  const std::vector<int> bounds{0, 4};
  pipeline_options o{.kind = schedule::gpipe, .micro_batches = 2, .micro_batch_size = 1};
  bytes_t w = 0, opt = 0;
  for (const auto& l : p.layers) {
    w += l.weight_bytes;
    opt += l.optimizer_bytes;
  }
  const bytes_t z0 = predict(p, bounds, o)[0].start_bytes;
  CHECK(z0 == p.baseline_bytes + w + opt);
  o.parallel = {.data = 4, .zero = 1};
  const bytes_t z1 = predict(p, bounds, o)[0].start_bytes;
  CHECK(z1 < z0);
  CHECK(z1 >= p.baseline_bytes + w + opt / 4);
  o.parallel.zero = 3;
  CHECK(predict(p, bounds, o)[0].start_bytes < z1);
  o.parallel.zero = 4;
  REQUIRE_DLAS_ERROR(predict(p, bounds, o), errc::invalid_argument, "ZeRO stage");
}

TEST_CASE("tensor parallelism: profiled degrees with a logarithmic fit", "[memory][parallel]") {
  profile p = testing::random_profile(1, 4);
  auto& l = p.layers[0];
  l.weight_bytes = 1000;
  l.grad_bytes = 0;
  l.optimizer_bytes = 0;
  l.per_micro_batch[1].activation_bytes = 800;
  l.per_micro_batch[1].output_bytes = 0;
  // Measured: M_i 1000 / 600 / 400 at t = 1, 2, 4 (CAPTURE: alpha + beta ln t fits exactly).
  l.tensor_parallel = {{2, 700, 600}, {4, 400, 400}};
  CHECK(resolve(p, 1, {.tensor = 2})[0].weights == 700);  // a profiled degree is used as is
  const auto t8 = resolve(p, 1, {.tensor = 8})[0];
  CHECK(t8.weights < 400);
  CHECK(t8.weights >= 0);
  p.layers[0].tensor_parallel.clear();
  CHECK(resolve(p, 1, {.tensor = 4})[0].weights == 250);  // analytic: an even split
}

TEST_CASE("impossible bounds and options are clear errors", "[memory][predictor]") {
  const profile p = testing::random_profile(4, 2);
  const pipeline_options o;
  REQUIRE_DLAS_ERROR(predict(p, std::vector<int>{0, 2, 2, 4}, o), errc::invalid_argument,
                     "increase strictly");
  REQUIRE_DLAS_ERROR(predict(p, std::vector<int>{0, 5}, o), errc::invalid_argument,
                     "end at the layer count 4");
  REQUIRE_DLAS_ERROR(predict(p, std::vector<int>{1, 4}, o), errc::invalid_argument, "start at 0");
  REQUIRE_DLAS_ERROR(predict(p, std::vector<int>{4}, o), errc::invalid_argument, "at least");
  pipeline_options bad;
  bad.micro_batches = 0;
  REQUIRE_DLAS_ERROR(predict(p, std::vector<int>{0, 4}, bad), errc::invalid_argument,
                     "micro-batch count");
}
