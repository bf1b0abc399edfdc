// SPDX-License-Identifier: Apache-2.0
// Every GEMM tile in kernel/registry.hpp against a double-precision product, on the boundary
// cases: m < mr, m = mr, n < nr, n = nr, k = 0, 1, large, output stride, every epilogue.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/kernel/packing.hpp"
#include "dlas/kernel/registry.hpp"
#include "reference/data.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

/// One tile call on random operands, checked element by element against fp64.
template <class Tile>
void check_tile(int m, int n, index_t kc, index_t ldc, const kernel::tile_epilogue& base,
                bool accumulate) {
  CAPTURE(Tile::name(), m, n, kc, ldc, int(base.act), int(base.bias), accumulate);
  const auto av = random_floats(std::size_t(Tile::mr * (kc + 1)), 1 + std::uint32_t(kc));
  const auto bv = random_floats(std::size_t(kc * n + 1), 2 + std::uint32_t(kc));
  // A rows in separate, unpadded arrays so that ASan sees any over-read.
  std::vector<std::vector<float>> rows{std::size_t(m)};
  const float* a[Tile::mr] = {};
  for (int i = 0; i < m; ++i) {
    rows[std::size_t(i)].assign(av.begin() + i * kc, av.begin() + (i + 1) * kc);
    a[i] = rows[std::size_t(i)].data();
  }
  aligned_buffer<float> b(std::max<index_t>(1, kernel::packed_panels_elements<Tile::nr>(kc, n)));
  kernel::pack_panels<Tile::nr>(b.data(), kc, n, [&](index_t k, index_t j) { return bv[std::size_t(k * n + j)]; });
  const auto bias = random_floats(std::size_t(std::max(Tile::mr, Tile::nr)), 3);
  const auto res = random_floats(std::size_t(Tile::mr * ldc), 4);
  const auto c0 = random_floats(std::size_t(Tile::mr * ldc), 5);
  std::vector<float> c = c0;  // sentinel values outside the m x n block must survive
  kernel::tile_epilogue ep = base;
  ep.accumulate = accumulate;
  ep.bias_ptr = bias.data();
  if (base.residual) ep.residual = res.data();
  Tile::run(kc, a, b.data(), c.data(), ldc, m, n, ep);
  for (int i = 0; i < Tile::mr; ++i)
    for (index_t j = 0; j < ldc; ++j) {
      const std::size_t o = std::size_t(i * ldc + j);
      if (i >= m || j >= n) {
        REQUIRE(c[o] == c0[o]);
        continue;
      }
      double want = accumulate ? double(c0[o]) : 0.0, mag = std::fabs(want);
      for (index_t k = 0; k < kc; ++k) {
        const double p = double(av[std::size_t(i * kc + k)]) * double(bv[std::size_t(k * n + j)]);
        want += p;
        mag += std::fabs(p);
      }
      if (ep.finish) {
        if (ep.bias == kernel::bias_mode::per_row) want += bias[std::size_t(i)];
        if (ep.bias == kernel::bias_mode::per_col) want += bias[std::size_t(j)];
        if (ep.residual) want += res[o];
        if (ep.act != activation::none) want = std::max(want, 0.0);
        if (ep.act == activation::relu6) want = std::min(want, 6.0);
      }
      REQUIRE(std::fabs(double(c[o]) - want) <= 1e-6 * (mag + 3.0));
    }
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("gemm tiles match a double-precision product", "[kernel][gemm_tile]",
                        kernel::f32_gemm_tiles) {
  using T = TestType;
  if (!T::available()) {
    WARN(T::name() << " skipped: the CPU lacks its instruction set");
    return;
  }
  constexpr int mr = T::mr, nr = T::nr;
  kernel::tile_epilogue plain;
  plain.finish = false;
  SECTION("m_eq_mr n_eq_nr") { check_tile<T>(mr, nr, 37, nr, plain, false); }
  SECTION("m_lt_mr") {
    for (int m = 1; m < mr; ++m) check_tile<T>(m, nr, 19, nr, plain, false);
  }
  SECTION("n_lt_nr") {
    for (int n = 1; n < nr; n += 3) check_tile<T>(mr, n, 19, nr, plain, false);
  }
  SECTION("m_lt_mr n_lt_nr") { check_tile<T>(std::max(1, mr - 1), nr / 2 + 1, 9, nr, plain, false); }
  SECTION("k_eq_0 and k_eq_1") {
    for (index_t k : {0, 1}) {
      check_tile<T>(mr, nr, k, nr, plain, false);
      check_tile<T>(1, 1, k, nr, plain, false);
    }
  }
  SECTION("k_large") { check_tile<T>(mr, nr, 1000, nr, plain, false); }
  SECTION("output_stride") {
    check_tile<T>(mr, nr, 11, nr + 5, plain, false);
    check_tile<T>(mr, nr - 1, 11, 3 * nr, plain, false);
  }
  SECTION("accumulate") {
    check_tile<T>(mr, nr, 13, nr + 2, plain, true);
    check_tile<T>(1, 2, 13, nr, plain, true);
  }
  SECTION("epilogues") {
    for (auto act : {activation::none, activation::relu, activation::relu6})
      for (auto bias : {kernel::bias_mode::none, kernel::bias_mode::per_row, kernel::bias_mode::per_col})
        for (bool residual : {false, true})
          for (int m : {1, mr})
            for (int n : {nr - 1, nr}) {
              kernel::tile_epilogue ep;
              ep.act = act;
              ep.bias = bias;
              static const float marker = 0.0f;
              ep.residual = residual ? &marker : nullptr;  // replaced by check_tile
              check_tile<T>(m, n, 7, nr + 1, ep, m == 1);
            }
  }
}

TEMPLATE_LIST_TEST_CASE("gemm tile names follow docs/naming.md", "[kernel][gemm_tile]",
                        kernel::f32_gemm_tiles) {
  const std::string name = TestType::name();
  CHECK(name.rfind("f32_gemm_" + std::to_string(TestType::mr) + "x" + std::to_string(TestType::nr) + "_", 0) == 0);
}

TEST_CASE("run_rows uses the instance with exactly m rows", "[kernel][gemm_tile]") {
  using T = kernel::f32_gemm_tile<>;
  const index_t kc = 5;
  std::vector<float> a(std::size_t(T::mr * kc), 1.0f), b(std::size_t(kc * T::nr), 2.0f);
  const float* rows[T::mr];
  for (int i = 0; i < T::mr; ++i) rows[i] = a.data() + i * kc;
  for (int m = 1; m <= T::mr; ++m) {
    std::vector<float> c(std::size_t(T::mr * T::nr), -1.0f);
    kernel::run_rows<T>(kc, rows, b.data(), c.data(), T::nr, m, T::nr, {});
    for (int i = 0; i < T::mr; ++i)
      for (int j = 0; j < T::nr; ++j) CHECK(c[std::size_t(i * T::nr + j)] == (i < m ? 10.0f : -1.0f));
  }
}

TEST_CASE("run_rows reads B with a row stride (an NCHW plane in place)", "[kernel][gemm_tile]") {
  using T = kernel::f32_gemm_tile<>;
  const index_t kc = 7, ldb = T::nr * 3 + 5;  // B: kc rows of ldb, the tile reads NR of each
  const auto a = random_floats(std::size_t(T::mr * kc), 21);
  const auto b = random_floats(std::size_t((kc - 1) * ldb + T::nr), 22);
  const float* rows[T::mr];
  for (int i = 0; i < T::mr; ++i) rows[i] = a.data() + i * kc;
  for (int m = 1; m <= T::mr; ++m) {
    std::vector<float> c(std::size_t(T::mr * T::nr), -1.0f);
    kernel::tile_epilogue ep;
    ep.finish = false;
    kernel::run_rows<T>(kc, rows, b.data(), c.data(), T::nr, m, T::nr, ep, ldb);
    for (int i = 0; i < T::mr; ++i)
      for (int j = 0; j < T::nr; ++j) {
        double want = 0.0, mag = 0.0;
        for (index_t k = 0; k < kc; ++k) {
          const double p = double(a[std::size_t(i * kc + k)]) * double(b[std::size_t(k * ldb + j)]);
          want += p;
          mag += std::fabs(p);
        }
        if (i >= m) CHECK(c[std::size_t(i * T::nr + j)] == -1.0f);
        else CHECK(std::fabs(double(c[std::size_t(i * T::nr + j)]) - want) <= 1e-6 * (mag + 1.0));
      }
  }
}
