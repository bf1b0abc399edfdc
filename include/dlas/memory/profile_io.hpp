// SPDX-License-Identifier: Apache-2.0
/// \file profile_io.hpp
/// \brief Reading and writing profiles in the JSON format dlas.profile/1, with validation.
#pragma once

#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dlas/core/error.hpp"
#include "dlas/memory/profile.hpp"

namespace dlas::memory {

/// The format tag every profile file carries.
inline constexpr std::string_view profile_format = "dlas.profile/1";

namespace detail {

using json = nlohmann::json;

[[noreturn]] inline void parse_fail(const std::string& where, const std::string& what) {
  throw error(errc::parse_error, where + ": " + what);
}

/// A non-negative integer field; `required` decides whether absence is an error.
inline bytes_t get_bytes(const json& obj, const char* field, const std::string& where,
                         bool required, bytes_t fallback = 0) {
  const auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) {
    if (required) parse_fail(where, std::string("missing field '") + field + "'");
    return fallback;
  }
  if (!it->is_number_integer())
    parse_fail(where, std::string("field '") + field + "' must be an integer, got " + it->dump());
  const bytes_t v = it->get<bytes_t>();
  if (v < 0)
    parse_fail(where, std::string("field '") + field + "' must not be negative, got " +
                          std::to_string(v));
  return v;
}

inline double get_seconds(const json& obj, const char* field, const std::string& where) {
  const auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return 0;
  if (!it->is_number()) parse_fail(where, std::string("field '") + field + "' must be a number");
  const double v = it->get<double>();
  if (!(v >= 0)) parse_fail(where, std::string("field '") + field + "' must not be negative");
  return v;
}

inline std::string get_string(const json& obj, const char* field, const std::string& where,
                              std::string fallback) {
  const auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_string()) parse_fail(where, std::string("field '") + field + "' must be a string");
  return it->get<std::string>();
}

inline int parse_size_key(const std::string& key, const std::string& where) {
  int v = 0;
  std::size_t used = 0;
  try {
    v = std::stoi(key, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != key.size() || used == 0 || v <= 0)
    parse_fail(where, "per_micro_batch key '" + key + "' is not a positive micro-batch size");
  return v;
}

inline micro_batch_cost parse_cost(const json& c, const std::string& where) {
  if (!c.is_object()) parse_fail(where, "must be an object");
  micro_batch_cost r;
  r.activation_bytes = get_bytes(c, "activation_bytes", where, true);
  r.input_bytes = get_bytes(c, "input_bytes", where, false);
  r.output_bytes = get_bytes(c, "output_bytes", where, false);
  // Without measured peaks: nothing above the held level in the forward; in the backward
  // the output gradient and the input gradient exist together.
  r.forward_peak_bytes = get_bytes(c, "forward_peak_bytes", where, false, r.activation_bytes);
  r.backward_peak_bytes = get_bytes(c, "backward_peak_bytes", where, false,
                                    r.activation_bytes + r.output_bytes + r.input_bytes);
  r.forward_seconds = get_seconds(c, "forward_seconds", where);
  r.backward_seconds = get_seconds(c, "backward_seconds", where);
  return r;
}

inline layer_profile parse_layer(const json& l, std::size_t index) {
  std::string where = "layers[" + std::to_string(index) + "]";
  if (!l.is_object()) parse_fail(where, "must be an object");
  layer_profile r;
  r.name = get_string(l, "name", where, "layer" + std::to_string(index));
  where += " ('" + r.name + "')";
  r.params = get_bytes(l, "params", where, false);
  const bool has_parts = l.contains("weight_bytes") || l.contains("grad_bytes") ||
                         l.contains("optimizer_bytes");
  if (has_parts || !l.contains("independent_bytes")) {
    if (!has_parts)
      parse_fail(where, "missing field 'weight_bytes' (give weight_bytes, grad_bytes and "
                        "optimizer_bytes, or independent_bytes)");
    r.weight_bytes = get_bytes(l, "weight_bytes", where, true);
    r.grad_bytes = get_bytes(l, "grad_bytes", where, true);
    r.optimizer_bytes = get_bytes(l, "optimizer_bytes", where, true);
  } else {
    // Only the total is known: treat it as present throughout (no gradient lifetime).
    r.weight_bytes = get_bytes(l, "independent_bytes", where, true);
  }
  r.optimizer_step_transient_bytes = get_bytes(l, "optimizer_step_transient_bytes", where, false);
  const auto pm = l.find("per_micro_batch");
  if (pm == l.end()) parse_fail(where, "missing field 'per_micro_batch'");
  if (!pm->is_object() || pm->empty())
    parse_fail(where, "field 'per_micro_batch' must be a non-empty object keyed by size");
  for (const auto& [key, c] : pm->items()) {
    const std::string w = where + ".per_micro_batch[\"" + key + "\"]";
    r.per_micro_batch[parse_size_key(key, w)] = parse_cost(c, w);
  }
  for (auto [field, value] : {std::pair{"keeps_input", &r.keeps_input},
                               std::pair{"keeps_output", &r.keeps_output}})
    if (const auto k = l.find(field); k != l.end()) {
      if (!k->is_boolean())
        parse_fail(where, std::string("field '") + field + "' must be true or false");
      *value = k->get<bool>();
    }
  if (const auto tp = l.find("tensor_parallel"); tp != l.end()) {
    if (!tp->is_array()) parse_fail(where, "field 'tensor_parallel' must be an array");
    for (std::size_t k = 0; k < tp->size(); ++k) {
      const std::string w = where + ".tensor_parallel[" + std::to_string(k) + "]";
      const json& e = (*tp)[k];
      if (!e.is_object()) parse_fail(w, "must be an object");
      tensor_parallel_point p;
      p.degree = int(get_bytes(e, "degree", w, true));
      if (p.degree < 1) parse_fail(w, "field 'degree' must be at least 1");
      p.independent_bytes = get_bytes(e, "independent_bytes", w, true);
      p.activation_bytes = get_bytes(e, "activation_bytes", w, true);
      r.tensor_parallel.push_back(p);
    }
  }
  return r;
}

/// An integer field in [lo, hi].
inline std::int64_t get_int_in(const json& obj, const char* field, const std::string& where,
                               std::int64_t lo, std::int64_t hi) {
  const auto it = obj.find(field);
  if (it == obj.end()) parse_fail(where, std::string("missing field '") + field + "'");
  if (!it->is_number_integer() || it->get<std::int64_t>() < lo || it->get<std::int64_t>() > hi)
    parse_fail(where, std::string("field '") + field + "' must be an integer in [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "], got " + it->dump());
  return it->get<std::int64_t>();
}

/// The optional "executor" object: alignment, workspace_reserve and the program's tensors.
inline executor_layout parse_executor(const json& e, int layers) {
  const std::string where = "profile.executor";
  if (!e.is_object()) parse_fail(where, "must be an object");
  executor_layout l;
  l.alignment = get_int_in(e, "alignment", where, 1, std::int64_t(1) << 20);
  if (l.alignment & (l.alignment - 1)) parse_fail(where, "field 'alignment' must be a power of two");
  l.workspace_reserve = get_bytes(e, "workspace_reserve", where, false);
  const auto ts = e.find("tensors");
  if (ts == e.end() || !ts->is_array()) parse_fail(where, "field 'tensors' must be an array");
  for (std::size_t k = 0; k < ts->size(); ++k) {
    const std::string w = where + ".tensors[" + std::to_string(k) + "]";
    const json& t = (*ts)[k];
    if (!t.is_object()) parse_fail(w, "must be an object");
    planned_tensor p;
    p.bytes = get_bytes(t, "bytes", w, true);
    p.producer = int(get_int_in(t, "producer", w, -1, layers - 1));
    p.last_use = int(get_int_in(t, "last_use", w, -1, layers));
    p.first_step = int(get_int_in(t, "first_step", w, 0, std::numeric_limits<int>::max()));
    p.last_step = int(get_int_in(t, "last_step", w, p.first_step, std::numeric_limits<int>::max()));
    l.tensors.push_back(p);
  }
  return l;
}

}  // namespace detail

/// Parses a dlas.profile/1 document; errc::parse_error names the offending field and layer.
inline profile profile_from_json(const nlohmann::json& j) {
  using detail::parse_fail;
  if (!j.is_object()) parse_fail("profile", "the document must be a JSON object");
  const auto fmt = j.find("format");
  if (fmt == j.end()) parse_fail("profile", "missing field 'format' (expected \"dlas.profile/1\")");
  if (!fmt->is_string() || fmt->get<std::string>() != profile_format)
    parse_fail("profile", "unknown format " + fmt->dump() + " (expected \"dlas.profile/1\")");
  profile p;
  p.model = detail::get_string(j, "model", "profile", "");
  p.precision = detail::get_string(j, "precision", "profile", "");
  p.baseline_bytes = detail::get_bytes(j, "baseline_bytes", "profile", false);
  const std::string rule = detail::get_string(j, "optimizer_step_transients", "profile", "sum");
  if (rule == "sum")
    p.step_rule = step_transient_rule::sum;
  else if (rule == "max")
    p.step_rule = step_transient_rule::max;
  else
    parse_fail("profile", "field 'optimizer_step_transients' must be \"sum\" or \"max\"");
  const auto layers = j.find("layers");
  if (layers == j.end()) parse_fail("profile", "missing field 'layers'");
  if (!layers->is_array() || layers->empty())
    parse_fail("profile", "field 'layers' must be a non-empty array");
  for (std::size_t i = 0; i < layers->size(); ++i)
    p.layers.push_back(detail::parse_layer((*layers)[i], i));
  if (const auto e = j.find("executor"); e != j.end())
    p.executor = detail::parse_executor(*e, int(p.layers.size()));
  return p;
}

/// Parses profile text; malformed JSON is an errc::parse_error too.
inline profile parse_profile(std::string_view text) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::exception& e) {
    throw error(errc::parse_error, std::string("profile: malformed JSON: ") + e.what());
  }
  return profile_from_json(j);
}

/// Reads a profile file; an unreadable file is an errc::io_error.
inline profile read_profile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  core::require(bool(in), errc::io_error, [&] { return "cannot open profile '" + path + "'"; });
  std::ostringstream text;
  text << in.rdbuf();
  core::require(!in.bad(), errc::io_error, [&] { return "cannot read profile '" + path + "'"; });
  try {
    return parse_profile(text.str());
  } catch (const error& e) {
    if (e.code() != errc::parse_error) throw;
    const std::string_view prefix = "dlas: parse_error: ";
    throw error(errc::parse_error, path + ": " + std::string(e.what()).substr(prefix.size()));
  }
}

/// The dlas.profile/1 document for `p`.
inline nlohmann::json to_json(const profile& p) {
  nlohmann::json j;
  j["format"] = profile_format;
  j["model"] = p.model;
  j["precision"] = p.precision;
  j["baseline_bytes"] = p.baseline_bytes;
  j["optimizer_step_transients"] = p.step_rule == step_transient_rule::sum ? "sum" : "max";
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : p.layers) {
    nlohmann::json o;
    o["name"] = l.name;
    o["params"] = l.params;
    o["weight_bytes"] = l.weight_bytes;
    o["grad_bytes"] = l.grad_bytes;
    o["optimizer_bytes"] = l.optimizer_bytes;
    o["optimizer_step_transient_bytes"] = l.optimizer_step_transient_bytes;
    nlohmann::json pm = nlohmann::json::object();
    for (const auto& [size, c] : l.per_micro_batch) {
      nlohmann::json e{{"input_bytes", c.input_bytes},
                       {"output_bytes", c.output_bytes},
                       {"activation_bytes", c.activation_bytes},
                       {"forward_peak_bytes", c.forward_peak_bytes},
                       {"backward_peak_bytes", c.backward_peak_bytes}};
      if (c.forward_seconds > 0) e["forward_seconds"] = c.forward_seconds;
      if (c.backward_seconds > 0) e["backward_seconds"] = c.backward_seconds;
      pm[std::to_string(size)] = std::move(e);
    }
    o["per_micro_batch"] = std::move(pm);
    if (!l.keeps_input) o["keeps_input"] = false;
    if (!l.keeps_output) o["keeps_output"] = false;
    if (!l.tensor_parallel.empty()) {
      nlohmann::json tp = nlohmann::json::array();
      for (const auto& t : l.tensor_parallel)
        tp.push_back({{"degree", t.degree},
                      {"independent_bytes", t.independent_bytes},
                      {"activation_bytes", t.activation_bytes}});
      o["tensor_parallel"] = std::move(tp);
    }
    layers.push_back(std::move(o));
  }
  j["layers"] = std::move(layers);
  if (p.executor) {
    nlohmann::json ts = nlohmann::json::array();
    for (const auto& t : p.executor->tensors)
      ts.push_back({{"bytes", t.bytes},
                    {"producer", t.producer},
                    {"last_use", t.last_use},
                    {"first_step", t.first_step},
                    {"last_step", t.last_step}});
    j["executor"] = {{"alignment", p.executor->alignment},
                     {"workspace_reserve", p.executor->workspace_reserve},
                     {"tensors", std::move(ts)}};
  }
  return j;
}

/// Writes `p` as dlas.profile/1; failure to write is an errc::io_error.
inline void write_profile(const profile& p, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  core::require(bool(out), errc::io_error, [&] { return "cannot create profile '" + path + "'"; });
  out << to_json(p).dump(1) << '\n';
  core::require(bool(out), errc::io_error, [&] { return "cannot write profile '" + path + "'"; });
}

}  // namespace dlas::memory
