// SPDX-License-Identifier: Apache-2.0
// Built-in shape sets: generated from the architectures, checked against their known layer
// counts and FLOPs and, when the public benchdnn files are present, against those files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>

#include "dlas/bench/benchdnn.hpp"
#include "dlas/bench/shape_sets.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::bench;

namespace {

index_t total_weight(const std::vector<conv_problem>& v) {
  index_t w = 0;
  for (const auto& p : v) w += p.weight;
  return w;
}

double network_gflop(const std::vector<conv_problem>& v) {
  double f = 0;
  for (const auto& p : v) f += double(p.weight) * p.shape.flops();
  return f * 1e-9;
}

const conv_problem* find_shape(const std::vector<conv_problem>& v, const conv2d_shape& s) {
  for (const auto& p : v)
    if (p.shape == s) return &p;
  return nullptr;
}

}  // namespace

TEST_CASE("built-in sets: layer counts, distinct shapes and FLOPs", "[bench][shape_sets]") {
  const auto resnet = resnet50_v1();
  CHECK(resnet.size() == 20);
  CHECK(total_weight(resnet) == 53);  // stem + 16 blocks * 3 + 4 projections
  // ResNet-50 v1 (stride on the 1x1 conv): 3.86 GMAC in its convolutions (v1.5: 4.1).
  CHECK(network_gflop(resnet) == Approx(7.71).epsilon(0.01));

  const auto pw = mobilenet_v1_pointwise();
  CHECK(total_weight(pw) == 15);  // stem, 13 pointwise, classifier
  CHECK(pw.size() == 11);
  const auto dw = mobilenet_v1_depthwise();
  CHECK(total_weight(dw) == 13);
  CHECK(dw.size() == 9);
  for (const auto& p : dw) CHECK(p.shape.is_depthwise());
  // MobileNet v1: 569 M multiply-adds in the paper, of which the classifier is 1.024 M.
  CHECK((network_gflop(pw) + network_gflop(dw)) / 2 == Approx(0.569).epsilon(0.01));

  const auto vgg = vgg19();
  CHECK(vgg.size() == 9);
  CHECK(total_weight(vgg) == 16);
  CHECK(network_gflop(vgg) == Approx(39.0).epsilon(0.01));  // 19.5 GMAC in the 16 convs

  for (const auto& set : {resnet, pw, dw, vgg})
    for (const auto& p : set) {
      CAPTURE(p.name);
      CHECK(p.shape.is_valid());
      CHECK(p.shape.n == 1);
    }
  CHECK(builtin_set("vgg19", 4).front().shape.n == 4);
  REQUIRE_DLAS_ERROR(builtin_set("alexnet"), errc::invalid_argument,
                     "unknown built-in shape set 'alexnet' (known: resnet50, mobilenet");
}

TEST_CASE("built-in sets match the public benchdnn files", "[bench][shape_sets][files]") {
  const std::filesystem::path dir = std::filesystem::path(DLAS_SHARED_DIR) / "shapes";
  if (!std::filesystem::exists(dir / "shapes_resnet_50")) {
    WARN("shape files not found under " << dir.string() << "; skipped");
    return;
  }
  struct pair {
    const char* file;
    std::vector<conv_problem> builtin;
    bool same_weights;
    std::size_t extra;  // built-in shapes the file lacks
  };
  // The MobileNet file counts its layers from a TF log (conv1*3, conv8*20, ...) and has a
  // 5-way classifier: compare shapes only, and expect the 1000-way fc to differ. The
  // depthwise file lists each distinct shape once without weights.
  for (const pair& e : {pair{"shapes_resnet_50", resnet50_v1(), true, 0},
                        pair{"shapes_vgg_19", vgg19(), true, 0},
                        pair{"shapes_mobilenet_dw", mobilenet_v1_depthwise(), false, 0},
                        pair{"shapes_mobilenet", mobilenet_v1_pointwise(), false, 1}}) {
    CAPTURE(e.file);
    const auto file = read_shape_file((dir / e.file).string(), index_t(1));
    std::size_t matched = 0;
    for (const conv_problem& b : e.builtin) {
      CAPTURE(b.name, to_string(b.shape));
      const conv_problem* f = find_shape(file, b.shape);
      if (!f) {
        CHECK(b.name == "mobilenet:fc");
        continue;
      }
      ++matched;
      if (e.same_weights) CHECK(f->weight == b.weight);
    }
    CHECK(matched == file.size() - e.extra);
    CHECK(matched == e.builtin.size() - e.extra);
  }
}
