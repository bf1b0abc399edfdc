// SPDX-License-Identifier: Apache-2.0
/// \file schedule.hpp
/// \brief Pipeline schedules: the order of forwards and backwards a stage runs, and its depth.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

#include "dlas/core/error.hpp"

namespace dlas::memory {

/// How a pipeline orders the micro-batches of one iteration on each stage.
enum class schedule {
  gpipe,        ///< all m forwards, then all m backwards
  one_f_one_b,  ///< min(p - s, m) warm-up forwards, then backward/forward pairs, then backwards
  inference,    ///< forwards only; each stage keeps up to `queue depth` micro-batches resident
};

constexpr std::string_view to_string(schedule s) noexcept {
  switch (s) {
    case schedule::gpipe: return "gpipe";
    case schedule::one_f_one_b: return "1f1b";
    case schedule::inference: return "inference";
  }
  return "unknown";
}

/// Parses "gpipe", "1f1b" or "inference"; anything else is errc::invalid_argument.
inline schedule parse_schedule(std::string_view text) {
  if (text == "gpipe") return schedule::gpipe;
  if (text == "1f1b") return schedule::one_f_one_b;
  if (text == "inference") return schedule::inference;
  throw error(errc::invalid_argument,
              "unknown schedule '" + std::string(text) + "' (expected gpipe, 1f1b or inference)");
}

/// Micro-batches stage `stage` of `stages` holds at its peak: 1F1B min(p - s, m), GPipe m,
/// inference min(q, m).
constexpr int in_flight(schedule kind, int stages, int stage, int micro_batches,
                        int queue_depth = 1) noexcept {
  switch (kind) {
    case schedule::gpipe: return micro_batches;
    case schedule::one_f_one_b: return std::min(stages - stage, micro_batches);
    case schedule::inference: return std::min(queue_depth, micro_batches);
  }
  return micro_batches;
}

/// The events stage `stage` runs in one iteration: 'F' forward, 'B' backward.
inline std::string stage_events(schedule kind, int stages, int stage, int micro_batches) {
  if (kind == schedule::inference) return std::string(std::size_t(micro_batches), 'F');
  const int warm = in_flight(kind, stages, stage, micro_batches);
  std::string e(std::size_t(warm), 'F');
  for (int k = 0; k < micro_batches - warm; ++k) e += "BF";
  return e + std::string(std::size_t(warm), 'B');
}

}  // namespace dlas::memory
