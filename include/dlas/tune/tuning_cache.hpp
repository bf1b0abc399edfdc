// SPDX-License-Identifier: Apache-2.0
/// \file tuning_cache.hpp
/// \brief tuning_cache: the fastest configuration measured per (CPU, shape, precision,
/// sparsity, density, threads), kept in a JSON file and reused across runs.
#pragma once

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/graph/conv_config.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::tune {

/// The processor's model name ("AMD EPYC 7B13"), from /proc/cpuinfo; "unknown" elsewhere.
inline std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = line.substr(0, line.find_last_not_of(" \t", colon - 1) + 1);
    if (key == "model name" || key == "Model" || key == "CPU part") return line.substr(line.find_first_not_of(" \t", colon + 1));
  }
  return "unknown";
}

/// What a measurement depends on besides the configuration.
struct tuning_key {
  std::string cpu;
  conv2d_shape shape{};
  graph::precision_kind precision = graph::precision_kind::fp32;
  graph::sparsity_kind sparsity = graph::sparsity_kind::dense;
  double density = 1.0;  ///< stored weights / all weights, rounded to 0.05 in the key
  int threads = 1;
  std::string layouts = "nchw+nhwc";  ///< the layouts the choice was made among

  /// "cpu|n1 c64 h56 w56 k64 r3 s3 str1x1 pad1,1,1,1 dil1x1 g1|fp32|dense|d1.00|t1|nchw+nhwc".
  std::string text() const {
    char d[16];
    std::snprintf(d, sizeof d, "d%.2f", std::round(density * 20.0) / 20.0);
    return cpu + "|" + to_string(shape) + "|" + std::string(graph::to_string(precision)) + "|" +
           std::string(graph::to_string(sparsity)) + "|" + d + "|t" + std::to_string(threads) + "|" + layouts;
  }
};

/// One remembered choice.
struct tuning_entry {
  graph::conv_config config{};
  double seconds = 0;  ///< its median time for the layer
};

/// Measured choices by key, read from and written to a JSON file:
/// {"format": "dlas.tuning/1", "entries": {"<key>": {"config": "nhwc/fp32/dense/direct", "seconds": s}}}.
class tuning_cache {
 public:
  tuning_cache() = default;

  /// The cache in `path`, or an empty one when the file does not exist; errc::parse_error
  /// when it exists but is not a dlas.tuning/1 document.
  static tuning_cache load(const std::string& path) {
    tuning_cache c;
    std::ifstream in(path);
    if (!in) return c;
    try {
      nlohmann::json j;
      in >> j;
      if (!j.is_object() || j.value("format", "") != "dlas.tuning/1")
        throw error(errc::parse_error, path + ": not a dlas.tuning/1 document");
      for (const auto& [key, e] : j.at("entries").items())
        c.entries_[key] = {graph::parse_conv_config(e.at("config").get<std::string>()), e.at("seconds").get<double>()};
    } catch (const nlohmann::json::exception& e) {
      throw error(errc::parse_error, path + ": " + e.what());
    } catch (const error& e) {
      if (e.code() == errc::parse_error) throw;
      throw error(errc::parse_error, path + ": " + e.what());
    }
    return c;
  }

  /// Writes the cache to `path`; errc::io_error when it cannot.
  void save(const std::string& path) const {
    nlohmann::json entries = nlohmann::json::object();
    for (const auto& [key, e] : entries_) entries[key] = {{"config", graph::to_string(e.config)}, {"seconds", e.seconds}};
    std::ofstream out(path);
    core::require(bool(out), errc::io_error, [&] { return "cannot create '" + path + "'"; });
    out << nlohmann::json{{"format", "dlas.tuning/1"}, {"entries", entries}}.dump(1) << "\n";
    core::require(bool(out), errc::io_error, [&] { return "cannot write '" + path + "'"; });
  }

  std::optional<tuning_entry> find(const tuning_key& k) const {
    const auto it = entries_.find(k.text());
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void put(const tuning_key& k, const tuning_entry& e) { entries_[k.text()] = e; }
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  std::map<std::string, tuning_entry> entries_;
};

}  // namespace dlas::tune
