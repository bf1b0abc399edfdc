// SPDX-License-Identifier: Apache-2.0
/// \file plan_io.hpp
/// \brief Plans as JSON (dlas.plan/1), predictions as JSON, and PyTorch pipeline split points.
#pragma once

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dlas/core/error.hpp"
#include "dlas/io/json_number.hpp"
#include "dlas/memory/predictor.hpp"
#include "dlas/memory/recommender.hpp"

namespace dlas::memory {

/// The format tag of plan files.
inline constexpr std::string_view plan_format = "dlas.plan/1";

/// JSON whose objects keep the order their fields were written in.
using ordered_json = nlohmann::ordered_json;

namespace detail {

inline std::string inline_json(const ordered_json& v) {
  std::string out;
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      out += (out.empty() ? "" : ", ") + ordered_json(it.key()).dump() + ": " + inline_json(*it);
    return "{" + out + "}";
  }
  if (v.is_array()) {
    for (const auto& e : v) out += (out.empty() ? "" : ", ") + inline_json(e);
    return "[" + out + "]";
  }
  return v.dump();
}

/// obj[field] as T: required, or `fallback` when absent.
template <class T>
T integer_field(const ordered_json& obj, std::string_view field, std::optional<T> fallback = {}) {
  const auto it = obj.find(field);
  if (it == obj.end()) {
    if (!fallback) throw error(errc::parse_error, "plan: missing field '" + std::string(field) + "'");
    return *fallback;
  }
  return io::json_integer<T>(*it, "plan: field '" + std::string(field) + "'");
}

/// obj[field] as a list of ints.
inline std::vector<int> integer_list(const ordered_json& obj, std::string_view field) {
  std::vector<int> out;
  for (const auto& e : obj.at(field))
    out.push_back(io::json_integer<int>(e, "plan: field '" + std::string(field) + "'"));
  return out;
}

}  // namespace detail

/// Text of a JSON object with one top-level field per line and one array element (a stage)
/// per line: readable, diffable and still plain JSON.
inline std::string format_json(const ordered_json& j) {
  if (!j.is_object()) return detail::inline_json(j);
  std::string out = "{";
  bool first = true;
  for (auto it = j.begin(); it != j.end(); ++it) {
    out += first ? "\n  " : ",\n  ";
    first = false;
    out += ordered_json(it.key()).dump() + ": ";
    if (it->is_array() && !it->empty() && it->front().is_structured()) {
      std::string items;
      for (const auto& e : *it) items += (items.empty() ? "\n    " : ",\n    ") + detail::inline_json(e);
      out += "[" + items + "\n  ]";
    } else {
      out += detail::inline_json(*it);
    }
  }
  return out + "\n}\n";
}

/// {"stages": [{"layers": [a, b], "in_flight": n, "peak_bytes": n}, ...]}.
inline ordered_json stages_to_json(const std::vector<stage_prediction>& stages) {
  ordered_json out = ordered_json::array();
  for (const auto& s : stages)
    out.push_back({{"layers", {s.first, s.last}},
                   {"in_flight", s.in_flight},
                   {"peak_bytes", s.peak_bytes}});
  ordered_json j;
  j["stages"] = std::move(out);
  return j;
}

/// A plan in the format dlas.plan/1: the same "stages" as a prediction, plus its bounds, its
/// configuration and the layer names where each stage begins.
inline ordered_json to_json(const plan& p) {
  ordered_json stages = ordered_json::array();
  for (const auto& s : p.stages) {
    ordered_json e{{"layers", {s.first, s.last}},
                     {"in_flight", s.in_flight},
                     {"peak_bytes", s.peak_bytes}};
    if (std::size_t(s.last) <= p.layer_names.size() && s.first < s.last) {
      e["first_layer"] = p.layer_names[std::size_t(s.first)];
      e["last_layer"] = p.layer_names[std::size_t(s.last - 1)];
    }
    if (s.seconds > 0) e["seconds_per_micro_batch"] = s.seconds;
    stages.push_back(std::move(e));
  }
  const auto& o = p.pipeline;
  ordered_json j{{"format", plan_format},
                   {"model", p.model},
                   {"schedule", std::string(to_string(o.kind))},
                   {"allocator", std::string(to_string(allocator_for(o)))},
                   {"micro_batches", o.micro_batches},
                   {"micro_batch_size", o.micro_batch_size},
                   {"pipeline_parallel", int(p.stages.size())},
                   {"data_parallel", o.parallel.data},
                   {"tensor_parallel", o.parallel.tensor},
                   {"zero_stage", o.parallel.zero},
                   {"bounds", p.bounds},
                   {"stages", std::move(stages)},
                   {"largest_peak_bytes", p.largest_peak},
                   {"second_peak_bytes", p.second_peak},
                   {"fits", p.fits},
                   {"smallest_budget_bytes", p.smallest_budget}};
  if (o.kind == schedule::inference) j["queue_depth"] = o.queue_depth;
  if (p.budget > 0) j["budget_bytes"] = p.budget;
  return j;
}

/// Reads back what to_json(plan) wrote (configuration, bounds, stages); errc::parse_error on
/// a document that is not a dlas.plan/1 plan.
inline plan plan_from_json(const ordered_json& j) {
  auto fail = [](const std::string& what) -> void {
    throw error(errc::parse_error, "plan: " + what);
  };
  if (!j.is_object() || !j.contains("format") || j["format"] != plan_format)
    fail("not a dlas.plan/1 document");
  plan p;
  try {
    p.model = j.value("model", "");
    p.pipeline.kind = parse_schedule(j.at("schedule").get<std::string>());
    p.pipeline.allocator = parse_allocator(j.value("allocator", "auto"));
    p.pipeline.micro_batches = detail::integer_field<int>(j, "micro_batches");
    p.pipeline.micro_batch_size = detail::integer_field<int>(j, "micro_batch_size");
    p.pipeline.queue_depth = detail::integer_field<int>(j, "queue_depth", 1);
    p.pipeline.parallel.data = detail::integer_field<int>(j, "data_parallel", 1);
    p.pipeline.parallel.tensor = detail::integer_field<int>(j, "tensor_parallel", 1);
    p.pipeline.parallel.zero = detail::integer_field<int>(j, "zero_stage", 0);
    p.bounds = detail::integer_list(j, "bounds");
    for (const auto& s : j.at("stages")) {
      const auto layers = detail::integer_list(s, "layers");
      if (layers.size() != 2) fail("a stage's 'layers' must be [first, last]");
      p.stages.push_back({layers[0], layers[1], detail::integer_field<int>(s, "in_flight"),
                          detail::integer_field<bytes_t>(s, "peak_bytes"),
                          s.value("seconds_per_micro_batch", 0.0)});
    }
    p.largest_peak = detail::integer_field<bytes_t>(j, "largest_peak_bytes", 0);
    p.second_peak = detail::integer_field<bytes_t>(j, "second_peak_bytes", 0);
    p.budget = detail::integer_field<bytes_t>(j, "budget_bytes", 0);
    p.fits = j.value("fits", true);
    p.smallest_budget = detail::integer_field<bytes_t>(j, "smallest_budget_bytes", 0);
    validate_bounds(p.bounds, std::size_t(p.bounds.empty() ? 0 : p.bounds.back()));
  } catch (const ordered_json::exception& e) {
    fail(std::string("missing or mistyped field: ") + e.what());
  } catch (const error& e) {
    if (e.code() == errc::parse_error) throw;
    fail(e.what());
  }
  return p;
}

/// Split points for torch.distributed.pipelining: every stage after the first begins at the
/// module named by the profile's layer there, e.g.
/// {"format": "dlas.torch_split/1", "split_spec": {"layer2.1": "BEGINNING"}, "stages": [...]};
/// in Python: {name: SplitPoint.BEGINNING for name in doc["split_spec"]}.
inline ordered_json torch_split_spec(const plan& p) {
  core::require(p.layer_names.size() >= std::size_t(p.bounds.empty() ? 0 : p.bounds.back()),
                errc::invalid_argument,
                [] { return std::string("the plan has no layer names to split at"); });
  ordered_json spec = ordered_json::object();
  ordered_json stages = ordered_json::array();
  for (std::size_t s = 0; s + 1 < p.bounds.size(); ++s) {
    if (s > 0) spec[p.layer_names[std::size_t(p.bounds[s])]] = "BEGINNING";
    ordered_json names = ordered_json::array();
    for (int i = p.bounds[s]; i < p.bounds[s + 1]; ++i) names.push_back(p.layer_names[std::size_t(i)]);
    stages.push_back(std::move(names));
  }
  ordered_json j;
  j["format"] = "dlas.torch_split/1";
  j["split_spec"] = std::move(spec);
  j["stages"] = std::move(stages);
  return j;
}

/// Writes JSON to `path`; errc::io_error when it cannot.
inline void write_json(const ordered_json& j, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  core::require(bool(out), errc::io_error, [&] { return "cannot create '" + path + "'"; });
  out << format_json(j);
  core::require(bool(out), errc::io_error, [&] { return "cannot write '" + path + "'"; });
}

/// Reads a plan file; errc::io_error when unreadable, errc::parse_error when malformed.
inline plan read_plan(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  core::require(bool(in), errc::io_error, [&] { return "cannot open plan '" + path + "'"; });
  ordered_json j;
  try {
    in >> j;
  } catch (const ordered_json::exception& e) {
    throw error(errc::parse_error, path + ": malformed JSON: " + e.what());
  }
  return plan_from_json(j);
}

/// A human-readable table of stages: layers, in flight, peak in MiB.
inline std::string stages_table(const std::vector<plan_stage>& stages,
                                const std::vector<std::string>& names = {}) {
  std::string out = "stage  layers        in_flight   peak_MiB  first .. last\n";
  char line[256];
  for (std::size_t s = 0; s < stages.size(); ++s) {
    const auto& st = stages[s];
    std::string span;
    if (std::size_t(st.last) <= names.size())
      span = names[std::size_t(st.first)] + " .. " + names[std::size_t(st.last - 1)];
    std::snprintf(line, sizeof line, "%5zu  [%4d, %4d)  %9d  %9.1f  %s\n", s, st.first, st.last,
                  st.in_flight, double(st.peak_bytes) / 1048576.0, span.c_str());
    out += line;
  }
  return out;
}

}  // namespace dlas::memory
