// SPDX-License-Identifier: Apache-2.0
// dlas.profile/1: reading, writing, validation with errors that name the field and the layer.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <string>

#include "dlas/memory/profile_io.hpp"
#include "memory/support.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::memory;

namespace {

std::string minimal_layer(const std::string& body) {
  return R"({"format": "dlas.profile/1", "model": "m", "precision": "fp32", "baseline_bytes": 10,
            "layers": [)" + body + "]}";
}

}  // namespace

TEST_CASE("profile round trip through JSON and files", "[memory][profile]") {
  const profile p = testing::random_profile(5, 3);
  const profile q = profile_from_json(to_json(p));
  REQUIRE(q.layers.size() == 5);
  CHECK(q.baseline_bytes == p.baseline_bytes);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(q.layers[i].name == p.layers[i].name);
    CHECK(q.layers[i].independent_bytes() == p.layers[i].independent_bytes());
    CHECK(q.layers[i].per_micro_batch.at(2).backward_peak_bytes ==
          p.layers[i].per_micro_batch.at(2).backward_peak_bytes);
    CHECK(q.layers[i].keeps_input == p.layers[i].keeps_input);
    CHECK(q.layers[i].keeps_output == p.layers[i].keeps_output);
  }
  const std::string path = "test_memory_roundtrip.profile.json";
  write_profile(p, path);
  const profile r = read_profile(path);
  CHECK(r.layers[4].per_micro_batch.at(1).activation_bytes ==
        p.layers[4].per_micro_batch.at(1).activation_bytes);
  std::remove(path.c_str());
}

TEST_CASE("an executor layout round-trips and plans each stage's arena", "[memory][profile]") {
  profile p = testing::random_profile(3, 7);
  // t0 the input; t1 written by layer 0 and read last by layer 2 (a shortcut); t2 written by
  // layer 1, read by 2; t3 the output.
  p.executor = executor_layout{64, 192,
                               {{100, -1, 0, 0, 0}, {1000, 0, 2, 0, 2}, {500, 1, 2, 1, 2},
                                {10, 2, 3, 2, 2}}};
  const profile q = profile_from_json(to_json(p));
  REQUIRE(q.executor);
  CHECK(q.executor->workspace_reserve == 192);
  REQUIRE(q.executor->tensors.size() == 4);
  CHECK(q.executor->tensors[1].last_use == 2);
  CHECK(q.executor->tensors[2].first_step == 1);
  const std::vector<std::int64_t> ws{0, 70, 0};
  // [0, 3): t1 and t2 overlap (1024 + 512 after alignment); the workspace buffer 128 + 192.
  CHECK(stage_interior_bytes(*q.executor, 0, 3, ws) == 1024 + 512 + 128 + 192);
  // [0, 2): t1 is read after the stage, so it crosses the cut (the caller's buffer).
  CHECK(stage_arena_tensors(q.executor->tensors, 0, 2) == std::vector<int>{});
  CHECK(stage_arena_tensors(q.executor->tensors, 1, 3) == std::vector<int>{2});
  CHECK(stage_interior_bytes(*q.executor, 2, 3, ws) == 0);
}

TEST_CASE("the fixture profile reads", "[memory][profile]") {
  const profile p = read_profile(testing::memory_fixture("resnet50_fp32_h200.profile.json"));
  CHECK(p.model == "resnet50");
  CHECK(p.layers.size() == 18);
  CHECK(p.layers.front().name == "stem");
  CHECK(p.layers.front().per_micro_batch.size() == 3);
}

TEST_CASE("only activation_bytes and M_i are required", "[memory][profile]") {
  const profile p = parse_profile(minimal_layer(
      R"({"independent_bytes": 100, "per_micro_batch": {"2": {"activation_bytes": 40}}})"));
  REQUIRE(p.layers.size() == 1);
  CHECK(p.layers[0].name == "layer0");
  CHECK(p.layers[0].independent_bytes() == 100);
  const auto c = p.layers[0].per_micro_batch.at(2);
  CHECK(c.forward_peak_bytes == 40);
  CHECK(c.backward_peak_bytes == 40);
  // One profiled size: other sizes scale in proportion.
  CHECK(cost_at(p.layers[0], 4).activation_bytes == 80);
}

TEST_CASE("profile errors name the field and the layer", "[memory][profile]") {
  REQUIRE_DLAS_ERROR(parse_profile("{\"format\": \"dlas.profile/1\", "), errc::parse_error,
                     "malformed JSON");
  REQUIRE_DLAS_ERROR(parse_profile(R"({"format": "dlas.profile/2", "layers": []})"),
                     errc::parse_error, "unknown format");
  REQUIRE_DLAS_ERROR(parse_profile(R"({"layers": []})"), errc::parse_error, "'format'");
  // A number JSON itself cannot hold (nlohmann reports it as out_of_range, not parse_error).
  REQUIRE_DLAS_ERROR(parse_profile(R"({"format": "dlas.profile/1", "layers": [6e6666666]})"),
                     errc::parse_error, "malformed JSON");
  REQUIRE_DLAS_ERROR(parse_profile(R"({"format": "dlas.profile/1", "layers": []})"),
                     errc::parse_error, "'layers'");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(
          R"({"name": "conv1", "independent_bytes": 1, "per_micro_batch": {"1": {"output_bytes": 4}}})")),
      errc::parse_error, "layers[0] ('conv1').per_micro_batch[\"1\"]: missing field 'activation_bytes'");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(
          R"({"name": "fc", "weight_bytes": -5, "grad_bytes": 0, "optimizer_bytes": 0,
              "per_micro_batch": {"1": {"activation_bytes": 4}}})")),
      errc::parse_error, "layers[0] ('fc'): field 'weight_bytes' must not be negative");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(
          R"({"name": "fc", "weight_bytes": 5, "per_micro_batch": {"1": {"activation_bytes": 4}}})")),
      errc::parse_error, "missing field 'grad_bytes'");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(R"({"name": "fc", "per_micro_batch": {"1": {"activation_bytes": 4}}})")),
      errc::parse_error, "missing field 'weight_bytes'");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(R"({"name": "fc", "independent_bytes": 3})")),
      errc::parse_error, "('fc'): missing field 'per_micro_batch'");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(
          R"({"independent_bytes": 3, "per_micro_batch": {"two": {"activation_bytes": 4}}})")),
      errc::parse_error, "key 'two' is not a positive micro-batch size");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(
          R"({"independent_bytes": 3, "per_micro_batch": {"1": {"activation_bytes": "4"}}})")),
      errc::parse_error, "'activation_bytes' must be an integer");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(
          R"({"independent_bytes": 3, "per_micro_batch": {"1": {"activation_bytes": 4,
              "backward_peak_bytes": -1}}})")),
      errc::parse_error, "'backward_peak_bytes' must not be negative");
  REQUIRE_DLAS_ERROR(
      parse_profile(minimal_layer(
          R"({"name": "pool", "independent_bytes": 3, "keeps_input": 0,
              "per_micro_batch": {"1": {"activation_bytes": 4}}})")),
      errc::parse_error, "('pool'): field 'keeps_input' must be true or false");
  const std::string layer = R"({"independent_bytes": 3, "per_micro_batch": {"1": {"activation_bytes": 4}}})";
  auto with_executor = [&](const std::string& e) {
    std::string doc = minimal_layer(layer);
    return doc.substr(0, doc.size() - 1) + ", \"executor\": " + e + "}";
  };
  REQUIRE_DLAS_ERROR(parse_profile(with_executor(R"({"alignment": 48, "tensors": []})")),
                     errc::parse_error, "profile.executor: field 'alignment' must be a power of two");
  REQUIRE_DLAS_ERROR(parse_profile(with_executor(R"({"alignment": 64})")), errc::parse_error,
                     "field 'tensors' must be an array");
  REQUIRE_DLAS_ERROR(
      parse_profile(with_executor(R"({"alignment": 64, "tensors": [{"bytes": 4, "producer": 1,
          "last_use": 1, "first_step": 0, "last_step": 0}]})")),
      errc::parse_error, "profile.executor.tensors[0]: field 'producer' must be an integer in [-1, 0]");
  REQUIRE_DLAS_ERROR(
      parse_profile(with_executor(R"({"alignment": 64, "tensors": [{"bytes": 4, "producer": 0,
          "last_use": 1, "first_step": 3, "last_step": 2}]})")),
      errc::parse_error, "field 'last_step' must be an integer in [3, ");
  REQUIRE_DLAS_ERROR(read_profile("/nonexistent/dir/p.json"), errc::io_error, "cannot open");
}

TEST_CASE("every field removed or negated gives a parse_error, never a crash", "[memory][profile]") {
  std::ifstream in(testing::memory_fixture("resnet50_fp32_h200.profile.json"));
  REQUIRE(in);
  const nlohmann::json good = nlohmann::json::parse(in);
  const nlohmann::json& layer = good["layers"][3];
  int cases = 0;
  auto expect = [&](const nlohmann::json& doc, bool may_pass) {
    try {
      (void)profile_from_json(doc);
      CHECK(may_pass);
    } catch (const error& e) {
      CHECK(e.code() == errc::parse_error);
    }
    ++cases;
  };
  for (const auto& [key, value] : layer.items()) {
    nlohmann::json doc = good;
    doc["layers"][3].erase(key);
    // Optional fields may go; the three M_i parts and per_micro_batch may not.
    expect(doc, key == "name" || key == "params" || key == "optimizer_step_transient_bytes");
    if (value.is_number_integer()) {
      doc = good;
      doc["layers"][3][key] = -1;
      expect(doc, false);
      doc["layers"][3][key] = "x";
      expect(doc, false);
    }
  }
  for (const auto& [key, value] : layer["per_micro_batch"]["2"].items()) {
    nlohmann::json doc = good;
    doc["layers"][3]["per_micro_batch"]["2"].erase(key);
    expect(doc, key != "activation_bytes");
    doc = good;
    doc["layers"][3]["per_micro_batch"]["2"][key] = -7;
    expect(doc, false);
  }
  for (const char* top : {"format", "layers", "baseline_bytes", "model"}) {
    nlohmann::json doc = good;
    doc.erase(top);
    expect(doc, std::string(top) == "baseline_bytes" || std::string(top) == "model");
  }
  nlohmann::json doc = good;
  doc["layers"] = nlohmann::json::array({1, 2});
  expect(doc, false);
  doc = good;
  doc["layers"][0]["per_micro_batch"] = nlohmann::json::array();
  expect(doc, false);
  CHECK(cases > 20);
}
