// SPDX-License-Identifier: Apache-2.0
// Structured channel pruning of whole models: the pruned model computes exactly what the
// original computes with the removed channels silenced, and runs on the fast kernels.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <string>

#include "dlas/graph/network.hpp"
#include "dlas/graph/prune_model.hpp"
#include "graph/kernels.hpp"
#include "graph/support.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::graph;
using namespace dlas::testing;

namespace {

/// The largest |a - b| over the largest |b|.
double relative_max_error(const std::vector<double>& a, const std::vector<double>& b) {
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(a[i] - b[i]));
    scale = std::max(scale, std::fabs(b[i]));
  }
  return diff / scale;
}

}  // namespace

TEST_CASE("channel pruning equals the original with the removed channels silenced",
          "[graph][prune]") {
  for (const std::string& arch : test_architectures()) {
    CAPTURE(arch);
    const model base = make_model(arch, small_options(1));
    model pruned = base;
    const std::vector<pruned_channels> report = prune_channels(pruned, 0.5);
    REQUIRE_FALSE(report.empty());

    // The original, with every consumer's weights on a removed channel set to zero.
    model silenced = base;
    for (const pruned_channels& r : report) {
      CHECK(index_t(r.kept.size()) == r.channels_before - std::llround(0.5 * double(r.channels_before)));
      CHECK(std::is_sorted(r.kept.begin(), r.kept.end()));
      for (const std::string& consumer : r.consumers) {
        param& w = silenced.params.at(consumer + ".weight");
        REQUIRE(w.shape[1] == r.channels_before);
        const std::int64_t taps = w.shape[2] * w.shape[3];
        for (std::int64_t k = 0; k < w.shape[0]; ++k)
          for (std::int64_t c = 0; c < w.shape[1]; ++c)
            if (!std::binary_search(r.kept.begin(), r.kept.end(), index_t(c)))
              std::fill_n(w.values.begin() + (k * w.shape[1] + c) * taps, taps, 0.0f);
        CHECK(pruned.params.at(consumer + ".weight").shape[1] == std::int64_t(r.kept.size()));
      }
    }
    CHECK(pruned.parameter_count() < base.parameter_count());

    const tensor64 x = input64(base.values[0], input_values(base.values[0]));
    const tensor64 want = run_reference(silenced, x);
    const tensor64 got = run_reference(pruned, x);
    REQUIRE(got.v.size() == want.v.size());
    CHECK(relative_max_error(got.v, want.v) <= 1e-12);

    // The smaller dense layers run on the fast kernels.
    network net(pruned, {}, graph_kernels());
    const auto out = run_nchw(net, input_values(base.values[0]));
    std::vector<double> fast(out.data(), out.data() + out.size());
    CHECK(relative_max_error(fast, got.v) <= 1e-4);
  }
}

TEST_CASE("channel pruning keeps channels pinned by residual adds and the output",
          "[graph][prune]") {
  SECTION("ResNet-18: the inner convolution of each block shrinks, the block output does not") {
    model m = make_model("resnet18", small_options(1));
    const auto report = prune_channels(m, 0.5);
    std::vector<std::string> producers;
    for (const auto& r : report) producers.push_back(r.producer);
    CHECK(std::find(producers.begin(), producers.end(), "layer1.0.conv1") != producers.end());
    CHECK(std::find(producers.begin(), producers.end(), "layer1.0.conv2") == producers.end());
    CHECK(std::find(producers.begin(), producers.end(), "conv1") == producers.end());
    CHECK(m.node("layer1.0.conv1").conv.out_channels == 32);
    CHECK(m.node("layer1.0.conv2").conv.out_channels == 64);
    CHECK(m.params.at("layer1.0.bn1.running_var").shape == std::vector<std::int64_t>{32});
  }
  SECTION("MobileNetV2: expansion channels shrink through the depthwise convolution") {
    const model base = make_model("mobilenet_v2", small_options(1));
    model m = base;
    prune_channels(m, 0.25);
    int shrunk_depthwise = 0;
    for (std::size_t i = 0; i < m.nodes.size(); ++i) {
      const model_node& n = m.nodes[i];
      if (n.kind != op_kind::conv || n.conv.groups == 1) continue;
      CHECK(n.conv.groups == n.conv.out_channels);
      shrunk_depthwise += n.conv.groups < base.nodes[i].conv.groups;
    }
    CHECK(shrunk_depthwise > 0);
  }
  SECTION("a fraction of 1 keeps the strongest channel") {
    model m = make_model("resnet18", small_options(1));
    for (const auto& r : prune_channels(m, 1.0)) CHECK(r.kept.size() == 1);
  }
}

TEST_CASE("channel pruning refuses bad fractions and models without weights", "[graph][prune][errors]") {
  model m = make_model("resnet18", small_options(1));
  REQUIRE_DLAS_ERROR(prune_channels(m, 1.5), errc::invalid_argument, "outside [0, 1]");
  model_options o = small_options(1);
  o.init = false;
  model empty = make_model("resnet18", o);
  REQUIRE_DLAS_ERROR(prune_channels(empty, 0.5), errc::invalid_argument, "parameters without values");
}
