// SPDX-License-Identifier: Apache-2.0
/// \file calibrate.hpp
/// \brief Activation calibration: observe sample tensors, choose an int8 range by min/max,
/// percentile or minimum quantisation error, and turn it into quant_params.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/policy/precision.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::optimize {

/// How a range is chosen from the observed values.
enum class calibration_method {
  min_max,     ///< the whole observed range: no clipping, coarsest steps
  percentile,  ///< clip to the given percentiles of the values (ignores rare outliers)
  min_mse,     ///< the clipping range that minimises the mean squared quantisation error
};

/// Affine parameters whose grid covers [lo, hi] with codes of T. The range is widened to
/// contain 0 so that zero padding is exact; an empty range (all zeros) gets scale 1.
template <class T>
quant_params params_for_range(float lo, float hi) {
  core::require(std::isfinite(lo) && std::isfinite(hi) && lo <= hi, errc::invalid_argument, [&] {
    return "params_for_range: [" + std::to_string(lo) + ", " + std::to_string(hi) + "] is not a finite range";
  });
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  constexpr double qmin = std::numeric_limits<T>::min(), qmax = std::numeric_limits<T>::max();
  if (hi - lo <= 0.0f) return {1.0f, std::int32_t(std::is_signed_v<T> ? 0 : 0)};
  const double scale = (double(hi) - double(lo)) / (qmax - qmin);
  const double zero = std::clamp(std::nearbyint(qmin - double(lo) / scale), qmin, qmax);
  return {float(scale), std::int32_t(zero)};
}

/// Collects activation samples over calibration batches and proposes quantisation ranges.
///
/// Keeps at most `capacity` values by reservoir sampling with a fixed seed, so the result is
/// deterministic for the same inputs. Non-finite values are refused with the index at which
/// they occur, since a NaN in calibration data means a broken model or input pipeline.
class activation_observer {
 public:
  explicit activation_observer(std::size_t capacity = std::size_t(1) << 20, std::uint32_t seed = 0)
      : capacity_(capacity), gen_(seed) {
    core::require(capacity > 0, errc::invalid_argument,
                  [] { return std::string("activation_observer: capacity must be positive"); });
  }

  /// Adds a tensor's values to the sample.
  void observe(std::span<const float> values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const float v = values[i];
      core::require(std::isfinite(v), errc::invalid_argument, [&] {
        return "activation_observer: calibration value " + std::to_string(seen_ + i) +
               " is not finite (" + std::to_string(v) + ")";
      });
    }
    for (float v : values) {
      lo_ = std::min(lo_, v);
      hi_ = std::max(hi_, v);
      if (sample_.size() < capacity_) {
        sample_.push_back(v);
      } else {
        const std::uint64_t j = std::uniform_int_distribution<std::uint64_t>(0, seen_)(gen_);
        if (j < capacity_) sample_[std::size_t(j)] = v;
      }
      ++seen_;
    }
  }

  std::uint64_t count() const noexcept { return seen_; }
  float min() const noexcept { return lo_; }
  float max() const noexcept { return hi_; }

  /// The range [lo, hi] the method chooses. `percentile` is used by calibration_method::percentile
  /// (e.g. 99.99 clips the top and bottom 0.01%).
  std::pair<float, float> range(calibration_method method, double percentile = 99.99) const {
    core::require(seen_ > 0, errc::invalid_argument,
                  [] { return std::string("activation_observer: no calibration data observed"); });
    switch (method) {
      case calibration_method::min_max: return {lo_, hi_};
      case calibration_method::percentile: {
        core::require(percentile > 50.0 && percentile <= 100.0, errc::invalid_argument, [&] {
          return "activation_observer: percentile " + std::to_string(percentile) + " is outside (50, 100]";
        });
        std::vector<float> s = sample_;
        std::sort(s.begin(), s.end());
        auto at = [&](double p) { return s[std::size_t(std::llround(p / 100.0 * double(s.size() - 1)))]; };
        return {at(100.0 - percentile), at(percentile)};
      }
      case calibration_method::min_mse: return min_mse_range<std::uint8_t>();
    }
    return {lo_, hi_};
  }

  /// quant_params for codes of T (uint8_t or int8_t) from the chosen range.
  template <class T = std::uint8_t>
  quant_params params(calibration_method method, double percentile = 99.99) const {
    const auto [lo, hi] = range(method, percentile);
    return params_for_range<T>(lo, hi);
  }

  /// Mean squared error of quantising the sample to codes of T with parameters p.
  template <class T = std::uint8_t>
  double quantization_mse(const quant_params& p) const {
    constexpr float qmin = float(std::numeric_limits<T>::min()), qmax = float(std::numeric_limits<T>::max());
    double err = 0.0;
    for (float v : sample_) {
      const float q = std::clamp(std::nearbyint(v / p.scale) + float(p.zero_point), qmin, qmax);
      const double d = double(v) - double(p.scale) * double(q - float(p.zero_point));
      err += d * d;
    }
    return sample_.empty() ? 0.0 : err / double(sample_.size());
  }

 private:
  // Coordinate search: shrink the upper end toward 0 in 1% steps keeping the lower fixed, then
  // the lower end with the best upper fixed; each candidate is scored by the quantisation error
  // on (at most 65,536 evenly spaced values of) the sample.
  template <class T>
  std::pair<float, float> min_mse_range() const {
    const std::size_t stride = std::max<std::size_t>(1, sample_.size() / 65536);
    auto mse = [&](float lo, float hi) {
      const quant_params p = params_for_range<T>(lo, hi);
      constexpr float qmin = float(std::numeric_limits<T>::min()), qmax = float(std::numeric_limits<T>::max());
      double err = 0.0;
      for (std::size_t i = 0; i < sample_.size(); i += stride) {
        const float v = sample_[i];
        const float q = std::clamp(std::nearbyint(v / p.scale) + float(p.zero_point), qmin, qmax);
        const double d = double(v) - double(p.scale) * double(q - float(p.zero_point));
        err += d * d;
      }
      return err;
    };
    const float lo0 = std::min(lo_, 0.0f), hi0 = std::max(hi_, 0.0f);  // the grid holds 0
    float best_lo = lo0, best_hi = hi0;
    double best = mse(lo0, hi0);
    for (int step = 99; step >= 1 && hi0 > 0; --step) {
      const float hi = hi0 * float(step) / 100.0f;
      if (const double e = mse(best_lo, hi); e < best) best = e, best_hi = hi;
    }
    for (int step = 99; step >= 1 && lo0 < 0; --step) {
      const float lo = lo0 * float(step) / 100.0f;
      if (const double e = mse(lo, best_hi); e < best) best = e, best_lo = lo;
    }
    return {best_lo, best_hi};
  }

  std::size_t capacity_;
  std::mt19937_64 gen_;
  std::vector<float> sample_;
  std::uint64_t seen_ = 0;
  float lo_ = std::numeric_limits<float>::infinity();
  float hi_ = -std::numeric_limits<float>::infinity();
};

}  // namespace dlas::optimize
