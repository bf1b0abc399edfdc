// SPDX-License-Identifier: Apache-2.0
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>

#include "dlas/tune/tuner.hpp"
#include "graph/kernels.hpp"
#include "graph/support.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::graph;

namespace {

/// Runs `net` on `x` (NCHW, as the network's input layout is NCHW by default).
std::vector<float> run(network& net, const std::vector<float>& x) {
  std::vector<float> y(std::size_t(net.output_desc().elements()));
  net.run({x.data(), net.input_desc()}, {y.data(), net.output_desc()});
  return y;
}

}  // namespace

TEST_CASE("tune picks a measured configuration for every conv layer and caches it", "[tune]") {
  const model m = make_model("resnet18", testing::small_options(1, 32));
  network net(m, {}, testing::graph_kernels());
  const auto x = testing::input_values(net.input_desc().dims);
  const auto before = run(net, x);

  tune::tuning_cache cache;
  tune::tune_options o;
  o.repetitions = 2;
  const auto report = tune::tune(net, precision_kind::fp32, sparsity_kind::dense, cache, o);
  int convs = 0;
  for (int i = 0; i < net.size(); ++i) convs += net.is_conv(i) ? 1 : 0;
  CHECK(report.layers == convs);
  CHECK(report.measured + report.from_cache == convs);
  CHECK(report.candidates >= report.measured);  // at least one candidate per measured layer
  CHECK(cache.size() > 0);
  CHECK(report.untuned_seconds > 0);
  CHECK(report.kept == (report.tuned_seconds <= report.untuned_seconds));
  for (int i = 0; i < net.size(); ++i) {
    if (!net.is_conv(i)) continue;
    const conv_config c = net.config(i);
    CHECK(c.precision == precision_kind::fp32);
    CHECK(c.sparsity == sparsity_kind::dense);
    // A concrete, measured algorithm, unless the choices were slower as a whole and undone.
    CHECK((c.algorithm != algorithm_kind::automatic) == report.kept);
    CHECK(can_implement(c, net.layer(i).shape).ok());
  }
  // Any algorithm and layout computes the same function: only rounding differs.
  const auto after = run(net, x);
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < before.size(); ++i) {
    err = std::max(err, double(std::abs(after[i] - before[i])));
    ref = std::max(ref, double(std::abs(before[i])));
  }
  CHECK(err <= 1e-4 * ref);

  SECTION("a saved cache is reused without measuring") {
    const auto path = (std::filesystem::temp_directory_path() / "dlas_tuning_test.json").string();
    cache.save(path);
    auto loaded = tune::tuning_cache::load(path);
    CHECK(loaded.size() == cache.size());
    network again(m, {}, testing::graph_kernels());
    const auto second = tune::tune(again, precision_kind::fp32, sparsity_kind::dense, loaded, o);
    CHECK(second.measured == 0);
    CHECK(second.candidates == 0);
    CHECK(second.from_cache == convs);
    if (second.kept && report.kept)
      for (int i = 0; i < net.size(); ++i)
        if (net.is_conv(i)) CHECK(again.config(i) == net.config(i));
    std::filesystem::remove(path);
  }
}

TEST_CASE("tuning caches and options refuse bad input", "[tune][errors]") {
  const auto path = (std::filesystem::temp_directory_path() / "dlas_tuning_bad.json").string();
  std::ofstream(path) << R"({"format": "other"})";
  REQUIRE_DLAS_ERROR(tune::tuning_cache::load(path), errc::parse_error, "not a dlas.tuning/1 document");
  std::ofstream(path) << R"({"format": "dlas.tuning/1", "entries": {"k": {"config": "nhwc/fp64/dense/direct", "seconds": 1}}})";
  REQUIRE_DLAS_ERROR(tune::tuning_cache::load(path), errc::parse_error, "fp64");
  std::filesystem::remove(path);
  CHECK(tune::tuning_cache::load("/nonexistent/tuning.json").size() == 0);  // no file yet: empty

  network net(make_model("resnet18", testing::small_options(1, 32)), {}, testing::graph_kernels());
  tune::tuning_cache cache;
  tune::tune_options none;
  none.algorithms.clear();
  REQUIRE_DLAS_ERROR(tune::tune(net, precision_kind::fp32, sparsity_kind::dense, cache, none),
                     errc::invalid_argument, "at least one repetition, layout and algorithm");
  tune::tune_options winograd_only;
  winograd_only.algorithms = {algorithm_kind::winograd};
  REQUIRE_DLAS_ERROR(tune::tune(net, precision_kind::fp32, sparsity_kind::dense, cache, winograd_only),
                     errc::unsupported, "can run layer 'conv1'");
  REQUIRE_DLAS_ERROR(graph::time_stage(net, 0, 1, 1, 0), errc::invalid_argument, "need repetitions >= 1");
  CHECK(graph::time_stage(net, 0, 2, 0, 1) > 0.0);  // no warm-up: the first call builds the stage
}
