// SPDX-License-Identifier: Apache-2.0
// Activation calibration: ranges, methods, and bad calibration data.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include "dlas/optimize/calibrate.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using optimize::calibration_method;

TEST_CASE("ranges become parameters whose grid contains zero", "[optimize][calibrate]") {
  auto p = optimize::params_for_range<std::uint8_t>(0.0f, 2.55f);
  CHECK(p.scale == Approx(0.01f));
  CHECK(p.zero_point == 0);
  p = optimize::params_for_range<std::uint8_t>(-1.0f, 1.0f);
  CHECK(p.scale == Approx(2.0f / 255));
  CHECK(p.zero_point == 128);
  p = optimize::params_for_range<std::uint8_t>(1.0f, 2.0f);  // widened to [0, 2]
  CHECK(p.zero_point == 0);
  CHECK(p.scale == Approx(2.0f / 255));
  p = optimize::params_for_range<std::int8_t>(-1.0f, 3.0f);
  CHECK(p.zero_point == Approx(-128 + 255.0 / 4).margin(1));
  p = optimize::params_for_range<std::uint8_t>(0.0f, 0.0f);
  CHECK(p.scale == 1.0f);
  REQUIRE_DLAS_ERROR(optimize::params_for_range<std::uint8_t>(2.0f, 1.0f), errc::invalid_argument, "not a finite range");
}

TEST_CASE("bad calibration data gets a clear error or a documented fallback", "[optimize][calibrate]") {
  optimize::activation_observer obs;
  REQUIRE_DLAS_ERROR(obs.params(calibration_method::min_max), errc::invalid_argument, "no calibration data");
  std::vector<float> x{1.0f, 2.0f, NAN};
  REQUIRE_DLAS_ERROR(obs.observe(x), errc::invalid_argument, "calibration value 2 is not finite");
  x[2] = INFINITY;
  REQUIRE_DLAS_ERROR(obs.observe(x), errc::invalid_argument, "not finite");
  CHECK(obs.count() == 0);  // a rejected batch leaves nothing behind
  optimize::activation_observer constant;
  constant.observe(std::vector<float>(100, 3.0f));
  for (auto m : {calibration_method::min_max, calibration_method::percentile, calibration_method::min_mse}) {
    const quant_params p = constant.params(m);
    CHECK(p.zero_point == 0);
    CHECK(p.scale == Approx(3.0f / 255));  // the range [0, 3]: the constant is exact at code 255
  }
  optimize::activation_observer zeros;
  zeros.observe(std::vector<float>(10, 0.0f));
  CHECK(zeros.params(calibration_method::min_mse).scale == 1.0f);
  REQUIRE_DLAS_ERROR(constant.range(calibration_method::percentile, 30.0), errc::invalid_argument, "percentile");
}

TEST_CASE("percentile ranges ignore outliers; min-MSE ranges minimise the error", "[optimize][calibrate]") {
  std::mt19937 gen(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(200000);
  for (float& v : x) v = std::max(0.0f, normal(gen));  // ReLU'd Gaussian
  x[17] = 60.0f;                                        // one outlier
  optimize::activation_observer obs;
  obs.observe(x);
  CHECK(obs.range(calibration_method::min_max).second == 60.0f);
  CHECK(obs.range(calibration_method::percentile, 99.99).second < 5.0f);

  // Heavy tails (Laplace): clipping trades a little saturation for much finer steps.
  std::exponential_distribution<float> expo(1.0f);
  std::bernoulli_distribution sign(0.5);
  for (float& v : x) v = sign(gen) ? expo(gen) : -expo(gen);
  optimize::activation_observer laplace;
  laplace.observe(x);
  const double e_mm = laplace.quantization_mse(laplace.params(calibration_method::min_max));
  const double e_pc = laplace.quantization_mse(laplace.params(calibration_method::percentile, 99.9));
  const double e_mse = laplace.quantization_mse(laplace.params(calibration_method::min_mse));
  CHECK(e_mse < e_mm * 0.8);
  CHECK(e_mse <= e_pc * 1.02);
}

TEST_CASE("observation is deterministic past the reservoir capacity", "[optimize][calibrate]") {
  auto run = [] {
    optimize::activation_observer obs(1000, 7);
    std::mt19937 gen(5);
    std::uniform_real_distribution<float> d(-1.0f, 4.0f);
    for (int batch = 0; batch < 10; ++batch) {
      std::vector<float> x(777);
      for (float& v : x) v = d(gen);
      obs.observe(x);
    }
    return obs.params(calibration_method::percentile, 99.0);
  };
  const quant_params a = run(), b = run();
  CHECK(a.scale == b.scale);
  CHECK(a.zero_point == b.zero_point);
}
