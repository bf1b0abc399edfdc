// SPDX-License-Identifier: Apache-2.0
// Weight quantisation and fixed-point requantisation.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "dlas/optimize/quantize.hpp"
#include "dlas/optimize/requantize.hpp"
#include "reference/errors.hpp"

using namespace dlas;

TEST_CASE("per-channel weights use the full symmetric range", "[optimize][quantize]") {
  const std::vector<float> w{0.5f, -1.0f, 0.25f, 0.0f, 0.0f, 0.0f, 2.0f, 1.0f, -0.0079f};
  auto q = optimize::quantize_weights_per_channel(w, 3);
  CHECK(q.scales[0] == 1.0f / 127.0f);
  CHECK(q.values[1] == -127);
  CHECK(q.values[0] == 64);  // 63.5 rounds half to even
  CHECK(q.scales[1] == q.scales[2]);  // an all-zero channel: the largest of the others
  CHECK(q.scales[2] == 2.0f / 127.0f);
  CHECK(q.values[3] == 0);
  CHECK(q.values[4] == 0);
  CHECK(q.values[5] == 0);
  const std::vector<float> zeros(6, 0.0f);  // every channel zero: scale 1
  auto z = optimize::quantize_weights_per_channel(zeros, 2);
  CHECK(z.scales[0] == 1.0f);
  CHECK(z.scales[1] == 1.0f);
  for (std::int8_t v : z.values) CHECK(v == 0);
  CHECK(q.values[6] == 127);
  CHECK(q.values[8] == -1);  // -0.5029 -> -1
  for (std::int8_t v : q.values) CHECK(v != -128);
  std::vector<float> bad(4, 1.0f);
  bad[2] = INFINITY;
  CHECK_THROWS_AS(optimize::quantize_weights_per_channel(bad, 2), error);
  CHECK_THROWS_AS(optimize::quantize_weights_per_channel(w, 4), error);
}

TEST_CASE("quantize and dequantize are inverse on the grid and clamp outside", "[optimize][quantize]") {
  const quant_params p{0.5f, 10};
  CHECK(optimize::quantize<std::uint8_t>(1.0f, p) == 12);
  CHECK(optimize::quantize<std::uint8_t>(-100.0f, p) == 0);
  CHECK(optimize::quantize<std::uint8_t>(1000.0f, p) == 255);
  CHECK(optimize::quantize<std::int8_t>(-1000.0f, p) == -128);
  CHECK(optimize::dequantize<std::uint8_t>(12, p) == 1.0f);
  std::vector<float> x{0.0f, 0.5f, 3.0f}, back(3);
  std::vector<std::uint8_t> codes(3);
  optimize::quantize<std::uint8_t>(x, codes, p);
  optimize::dequantize<std::uint8_t>(codes, back, p);
  CHECK(back == x);
  CHECK_THROWS_AS(optimize::quantize<std::uint8_t>(x, codes, quant_params{-1.0f, 0}), error);
  CHECK_THROWS_AS(optimize::quantize<std::uint8_t>(x, codes, quant_params{1.0f, 256}), error);
}

TEST_CASE("fixed-point multipliers match the real product to the rounding rule", "[optimize][requantize]") {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> expo(-30.0, 29.0);
  std::uniform_int_distribution<std::int32_t> accd(-(1 << 24), 1 << 24);
  for (int i = 0; i < 20000; ++i) {
    const double real = std::pow(2.0, expo(gen));
    const int bits = i % 2 ? optimize::float_multiplier_bits : 1 + i % 31;
    const auto m = i % 2 ? optimize::make_fixed_point_multiplier(real) : optimize::make_fixed_point_multiplier(real, bits);
    REQUIRE(m.multiplier >= (1 << 30));
    REQUIRE(m.shift >= 1);
    REQUIRE(m.shift <= 62);
    // The multiplier represents real to within half a unit in its last significant bit, and
    // the bits below it are zero.
    REQUIRE(std::fabs(std::ldexp(double(m.multiplier), -m.shift) - real) <= std::ldexp(real, -bits));
    REQUIRE(m.multiplier % (std::int32_t(1) << (31 - bits)) == 0);
    // With the default precision the real multiplier it stands for is a float exactly.
    if (bits == optimize::float_multiplier_bits) {
      const double exact = std::ldexp(double(m.multiplier), -m.shift);
      REQUIRE(double(float(exact)) == exact);
    }
    const std::int32_t acc = accd(gen);
    const double exact = double(acc) * std::ldexp(double(m.multiplier), -m.shift);
    if (std::fabs(exact) < 0x1p31) REQUIRE(m.apply(acc) == std::int32_t(std::floor(exact + 0.5)));
  }
  CHECK(optimize::make_fixed_point_multiplier(0.5).apply(3) == 2);    // 1.5 -> 2 (ties up)
  CHECK(optimize::make_fixed_point_multiplier(0.5).apply(-3) == -1);  // -1.5 -> -1 (ties up)
  CHECK_THROWS_AS(optimize::make_fixed_point_multiplier(0.0), error);
  CHECK_THROWS_AS(optimize::make_fixed_point_multiplier(std::ldexp(1.0, 31)), error);
  REQUIRE_DLAS_ERROR(optimize::make_fixed_point_multiplier(0.3, 0), errc::invalid_argument,
                     "requantisation multiplier bits 0 is outside [1, 31]");
  REQUIRE_DLAS_ERROR(optimize::make_fixed_point_multiplier(0.3, 32), errc::invalid_argument,
                     "requantisation multiplier bits 32 is outside [1, 31]");
  // Rounding to 24 bits carries into the next power of two: 1 - 2^-26 becomes 2^30 * 2^-30.
  STATIC_REQUIRE(optimize::make_fixed_point_multiplier(1.0 - 0x1p-26).multiplier == (1 << 30));
  STATIC_REQUIRE(optimize::make_fixed_point_multiplier(1.0 - 0x1p-26).shift == 30);
  STATIC_REQUIRE(optimize::make_fixed_point_multiplier(1.0 - 0x1p-26, 31).shift == 31);
  STATIC_REQUIRE(optimize::make_fixed_point_multiplier(0.25).shift == 32);
}
