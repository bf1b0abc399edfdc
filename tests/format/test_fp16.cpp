// SPDX-License-Identifier: Apache-2.0
// Bulk fp16 conversion agrees with the scalar one on every length (SIMD body and tail).
#include <catch2/catch.hpp>

#include "dlas/format/fp16.hpp"

using namespace dlas;

TEST_CASE("bulk conversion matches scalar conversion", "[format][fp16]") {
  for (std::size_t n : {0u, 1u, 7u, 8u, 9u, 31u, 64u, 1000u}) {
    std::vector<float> f(n), back(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = float(i) * 0.37f - 100.0f + float(i % 3) * 1e-4f;
    std::vector<half> h(n);
    format::to_half(f, h);
    format::to_float(h, back);
    for (std::size_t i = 0; i < n; ++i) {
      REQUIRE(h[i].bits == half(f[i]).bits);
      REQUIRE(back[i] == float(h[i]));
    }
  }
  std::vector<float> f(3);
  std::vector<half> h(4);
  CHECK_THROWS_AS(format::to_half(f, h), error);
}
