// SPDX-License-Identifier: Apache-2.0
// The arena planner (a constant expression) and the shared workspace resource.
#include <catch2/catch.hpp>

#include <array>
#include <random>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/graph/workspace_arena.hpp"
#include "dlas/memory/arena_plan.hpp"
#include "reference/counting_resource.hpp"

using namespace dlas;
using namespace dlas::memory;

namespace {
// A chain a -> b -> c -> d with a skip a -> d: a lives through, b and c can share.
constexpr std::array<buffer_lifetime, 4> chain{
    {{1000, 0, 3}, {640, 1, 2}, {100, 2, 3}, {64, 3, 3}}};
constexpr arena_plan chain_plan() { return plan_arena(chain); }
}  // namespace

TEST_CASE("plan_arena is a constant expression that reuses memory", "[graph][arena]") {
  static_assert(align_up(1000, 64) == 1024);
  static_assert(plan_arena(chain).bytes == 1024 + 640 + 128);
  static_assert(plan_is_valid(chain, plan_arena(chain)));
  static_assert(live_bytes_bound(chain) == 1024 + 640 + 128);
  // Three buffers live one after another share one slot.
  constexpr std::array<buffer_lifetime, 3> seq{{{500, 0, 1}, {700, 1, 2}, {300, 2, 3}}};
  static_assert(plan_arena(seq).bytes == 512 + 704);
  static_assert(plan_is_valid(seq, plan_arena(seq)));
  CHECK(chain_plan().offsets[0] == 0);
}

TEST_CASE("plan_arena: valid on random lifetimes, never below the live bound", "[graph][arena]") {
  std::mt19937 gen(7);
  for (int round = 0; round < 300; ++round) {
    const int n = 1 + int(gen() % 40), steps = 1 + int(gen() % 30);
    std::vector<buffer_lifetime> b;
    for (int i = 0; i < n; ++i) {
      const int first = int(gen() % unsigned(steps)),
                last = first + int(gen() % unsigned(steps - first));
      b.push_back({std::int64_t(gen() % 5000), first, last});
    }
    const arena_plan p = plan_arena(b);
    CHECK(plan_is_valid(b, p));
    CHECK(p.bytes >= live_bytes_bound(b));
    std::int64_t sum = 0;
    for (const auto& x : b) sum += align_up(x.bytes, 64);
    CHECK(p.bytes <= sum);
  }
}

TEST_CASE("workspace_arena: one buffer reused, exact counters, overflow never fatal",
          "[graph][arena]") {
  testing::counting_resource upstream;
  graph::workspace_arena ws(&upstream);
  aligned_buffer<std::byte> buffer(graph::workspace_buffer_bytes(1000), uninitialized);
  CHECK(buffer.size() == 1024 + graph::workspace_alignment_reserve);
  ws.attach(buffer.data(), buffer.size());
  {
    // A call allocating two buffers (the second aligned up), freed at its end.
    aligned_buffer<float> a(150, uninitialized, &ws);         // 600 bytes
    aligned_buffer<std::int32_t> t(100, uninitialized, &ws);  // 400 bytes at offset 640
    CHECK(reinterpret_cast<std::byte*>(t.data()) == buffer.data() + 640);
    CHECK(ws.peak_requested() == 1000);
    CHECK(ws.high_water() == 1040);
  }
  {
    aligned_buffer<float> again(10, uninitialized, &ws);  // reused from the start
    CHECK(reinterpret_cast<std::byte*>(again.data()) == buffer.data());
  }
  CHECK(upstream.allocations == 0);
  CHECK(ws.overflow_bytes() == 0);
  {
    aligned_buffer<float> big(1000, uninitialized, &ws);  // does not fit: served upstream, counted
    CHECK(ws.overflow_bytes() == 4000);
    CHECK(upstream.live == 4000);
  }
  CHECK(upstream.live == 0);
  ws.reset_statistics();
  CHECK(ws.peak_requested() == 0);
  CHECK(graph::workspace_buffer_bytes(0) == 0);
}
