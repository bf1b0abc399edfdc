// SPDX-License-Identifier: Apache-2.0
// half: exact widening of all 65,536 values, round-to-nearest-even narrowing.
#include <catch2/catch.hpp>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

#include "dlas/core/half.hpp"

using namespace dlas;

namespace {
// Independent value of a binary16 pattern, from its definition.
double half_value(std::uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (e == 0) return sign * std::ldexp(double(m), -24);
  if (e == 31) return m ? std::nan("") : sign * INFINITY;
  return sign * std::ldexp(double(1024 + m), e - 25);
}
}  // namespace

TEST_CASE("every half widens exactly and round-trips", "[core][half]") {
  for (std::uint32_t b = 0; b < 65536; ++b) {
    const auto h = std::uint16_t(b);
    const float f = float(half::from_bits(h));
    const float portable = core::detail::half_bits_to_float_portable(h);
    const double want = half_value(h);
    if (std::isnan(want)) {
      REQUIRE(std::isnan(f));
      REQUIRE(std::isnan(portable));
      REQUIRE(std::isnan(float(half(f))));
      continue;
    }
    REQUIRE(double(f) == want);
    REQUIRE(std::bit_cast<std::uint32_t>(portable) == std::bit_cast<std::uint32_t>(f));
    REQUIRE(half(f).bits == h);  // exact values narrow back to themselves (signed zeros too)
    REQUIRE(core::detail::float_to_half_bits_portable(f) == h);
  }
}

TEST_CASE("narrowing rounds to the nearest half, ties to even", "[core][half]") {
  // Midpoints between consecutive finite halves must go to the one with an even mantissa.
  for (std::uint32_t b = 0; b < 0x7bff; ++b) {
    const double lo = half_value(std::uint16_t(b)), hi = half_value(std::uint16_t(b + 1));
    const float mid = float((lo + hi) / 2);  // exact in float: 1 more bit than half
    const std::uint16_t want = (b & 1) ? std::uint16_t(b + 1) : std::uint16_t(b);
    REQUIRE(half(mid).bits == want);
    REQUIRE(core::detail::float_to_half_bits_portable(mid) == want);
    REQUIRE(half(-mid).bits == (want | 0x8000));
  }
  // Random floats: the result is a nearest half and both conversion paths agree.
  std::mt19937 gen(42);
  for (int i = 0; i < 200000; ++i) {
    const float f = std::bit_cast<float>(std::uint32_t(gen()));
    const std::uint16_t p = core::detail::float_to_half_bits_portable(f);
    REQUIRE(half(f).bits == p);
    if (std::isnan(f)) continue;
    const double got = half_value(p);
    if (std::fabs(double(f)) >= 65520.0) {
      REQUIRE(std::isinf(got));
      continue;
    }
    const double up = half_value(std::uint16_t((p & 0x7fff) + 1)), err = std::fabs(got - double(f));
    REQUIRE(err <= std::fabs(up - std::fabs(got)) / 2);
  }
  CHECK(half(65504.0f).bits == 0x7bff);
  CHECK(half(65519.99f).bits == 0x7bff);
  CHECK(half(65520.0f).bits == 0x7c00);
  CHECK(half(0x1p-25f).bits == 0);          // tie between 0 and the smallest subnormal: even
  CHECK(half(0x1.000002p-25f).bits == 1);   // just above the tie
}

TEST_CASE("half converts in constant expressions", "[core][half]") {
  constexpr half one(1.0f);
  STATIC_REQUIRE(one.bits == 0x3c00);
  STATIC_REQUIRE(float(half::from_bits(0xc000)) == -2.0f);
}
