// SPDX-License-Identifier: Apache-2.0
// Layout index functions, tensor views, aligned buffers and parallel_for.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor.hpp"
#include "dlas/policy/layout.hpp"
#include "reference/counting_resource.hpp"
#include "reference/errors.hpp"

using namespace dlas;

static_assert(layout::nchw::packed({2, 3, 4, 5}) == tensor_strides{60, 20, 5, 1});
static_assert(layout::nhwc::packed({2, 3, 4, 5}) == tensor_strides{60, 1, 15, 3});

TEMPLATE_TEST_CASE("a view visits every element exactly once", "[core][tensor]", layout::nchw, layout::nhwc) {
  const tensor_dims d{2, 3, 4, 5};
  std::vector<int> seen(std::size_t(d.elements()), 0);
  const tensor_view<int, TestType> v(std::span<int>(seen), d);
  for (index_t n = 0; n < d.n; ++n)
    for (index_t c = 0; c < d.c; ++c)
      for (index_t h = 0; h < d.h; ++h)
        for (index_t w = 0; w < d.w; ++w) ++v(n, c, h, w);
  for (int s : seen) CHECK(s == 1);
  tensor_view<const int, TestType> cv = v;  // mutable converts to const
  CHECK(cv.data() == v.data());
}

TEST_CASE("layouts place channels as documented", "[core][tensor]") {
  std::vector<float> buf(2 * 3 * 2 * 2);
  const tensor_view<float, layout::nhwc> v(std::span<float>(buf), {2, 3, 2, 2});
  CHECK(v.offset(0, 1, 0, 0) == 1);
  CHECK(v.offset(0, 0, 0, 1) == 3);
  CHECK(v.offset(0, 0, 1, 0) == 6);
  CHECK(v.offset(1, 0, 0, 0) == 12);
}

TEST_CASE("aligned_buffer is aligned, zeroed, counted and movable", "[core][buffer]") {
  testing::counting_resource counter;
  {
    aligned_buffer<float> b(37, &counter);
    CHECK(reinterpret_cast<std::uintptr_t>(b.data()) % 64 == 0);
    CHECK(counter.live == 37 * sizeof(float));
    for (float v : b) CHECK(v == 0.0f);
    aligned_buffer<float> moved(std::move(b));
    CHECK(b.empty());
    CHECK(moved.size() == 37);
    CHECK(counter.allocations == 1);
  }
  CHECK(counter.live == 0);
}

namespace {
// A resource that always fails, as an exhausted device would.
class failing_resource : public std::pmr::memory_resource {
  void* do_allocate(std::size_t, std::size_t) override { throw std::bad_alloc(); }
  void do_deallocate(void*, std::size_t, std::size_t) override {}
  bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }
};
}  // namespace

TEST_CASE("oversized buffers and tensors are refused before allocating", "[core][buffer]") {
  REQUIRE_DLAS_ERROR(aligned_buffer<double>(index_t(1) << 61), errc::resource_limit, "overflows");
  REQUIRE_DLAS_ERROR(aligned_buffer<char>(index_t(1) << 50), errc::resource_limit,
                     "exceeds the limit of 1099511627776 bytes");
  const index_t old = core::allocation_limit();
  core::set_allocation_limit(1000);
  REQUIRE_DLAS_ERROR(aligned_buffer<float>(251), errc::resource_limit, "allocation of 1004 bytes");
  CHECK(aligned_buffer<float>(250).size() == 250);
  core::set_allocation_limit(old);
  CHECK_THROWS_AS(core::set_allocation_limit(0), error);
  failing_resource exhausted;
  REQUIRE_DLAS_ERROR(aligned_buffer<float>(16, &exhausted), errc::resource_limit,
                     "allocation of 64 bytes failed");
  REQUIRE_DLAS_ERROR((tensor<float, layout::nchw>({-1, 2, 3, 4})), errc::invalid_shape, "negative");
}

TEST_CASE("parallel_for calls every index once", "[core][parallel]") {
  std::vector<std::atomic<int>> hits(1000);
  core::parallel_for(1000, [&](index_t i) { ++hits[std::size_t(i)]; });
  for (auto& h : hits) CHECK(h.load() == 1);
  CHECK(core::max_threads() >= 1);
}
