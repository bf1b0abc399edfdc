// SPDX-License-Identifier: Apache-2.0
// Architectures as torchvision defines them (parameter counts and state_dict names), their
// deterministic weights, fusion into layers, and loading weights by name.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <unistd.h>

#include "dlas/graph/models.hpp"
#include "dlas/graph/network_desc.hpp"
#include "dlas/io/weight_file.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::graph;

namespace {
model_options shapes_only() {
  model_options o;
  o.init = false;  // declared shapes only: fast at full size
  return o;
}
}  // namespace

TEST_CASE("architectures have torchvision's parameters", "[graph][models]") {
  // sum(p.numel() for p in torchvision.models.X().parameters()): the state_dict adds the
  // batch norms' running statistics.
  auto learnable = [](const model& m) {
    std::int64_t n = m.parameter_count();
    for (const param& p : m.params.items())
      if (p.name.ends_with(".running_mean") || p.name.ends_with(".running_var")) n -= p.numel();
    return n;
  };
  CHECK(learnable(resnet18(shapes_only())) == 11689512);
  CHECK(learnable(resnet50(shapes_only())) == 25557032);
  CHECK(learnable(mobilenet_v2(shapes_only())) == 3504872);
  CHECK(learnable(vgg16(shapes_only())) == 138357544);
  const model r18 = resnet18(shapes_only());
  for (const char* name :
       {"conv1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
        "layer2.0.downsample.1.bias", "layer4.1.bn2.running_mean", "fc.weight", "fc.bias"})
    CHECK(r18.params.contains(name));
  CHECK(r18.params.at("layer3.0.conv1.weight").shape == std::vector<std::int64_t>{256, 128, 3, 3});
  CHECK(r18.params.at("fc.weight").shape == std::vector<std::int64_t>{1000, 512});
  const model r50 = resnet50(shapes_only());
  CHECK(r50.params.at("layer1.0.conv3.weight").shape == std::vector<std::int64_t>{256, 64, 1, 1});
  // v1.5: the stride is on the 3x3 convolution.
  CHECK(r50.node("layer2.0.conv2").conv.stride_h == 2);
  CHECK(r50.node("layer2.0.conv1").conv.stride_h == 1);
  const model mb = mobilenet_v2(shapes_only());
  CHECK(mb.params.at("features.1.conv.0.0.weight").shape == std::vector<std::int64_t>{32, 1, 3, 3});
  CHECK(mb.params.at("features.1.conv.1.weight").shape == std::vector<std::int64_t>{16, 32, 1, 1});
  CHECK(mb.params.at("features.17.conv.3.running_var").shape == std::vector<std::int64_t>{320});
  CHECK(mb.params.at("features.18.0.weight").shape == std::vector<std::int64_t>{1280, 320, 1, 1});
  CHECK(mb.params.contains("classifier.1.bias"));
  const model v = vgg16(shapes_only());
  CHECK(v.params.at("features.28.weight").shape == std::vector<std::int64_t>{512, 512, 3, 3});
  CHECK(v.params.at("classifier.0.weight").shape == std::vector<std::int64_t>{4096, 25088});
  CHECK(v.params.at("classifier.6.bias").shape == std::vector<std::int64_t>{1000});
  CHECK(model_names().size() == 10);
  REQUIRE_DLAS_ERROR(make_model("resnet19"), errc::invalid_argument,
                     "unknown architecture 'resnet19'");
}

TEST_CASE("fusion: batch norm, activations and residual adds fold into convolutions",
          "[graph][models]") {
  model_options o = shapes_only();
  o.height = o.width = 64;
  const network_desc r18 = fuse(resnet18(o));
  // 20 convolutions + fc, maxpool, avgpool.
  CHECK(r18.size() == 23);
  const layer_desc& c2 = r18.layers[std::size_t(r18.find("layer2.0.conv2"))];
  CHECK(c2.batch_norm == "layer2.0.bn2");
  CHECK(c2.act == activation::relu);
  CHECK(c2.residual == r18.layers[std::size_t(r18.find("layer2.0.downsample.0"))].output);
  CHECK(r18.layers[std::size_t(r18.find("fc"))].linear);
  CHECK(r18.layers[std::size_t(r18.find("fc"))].shape.c == 512);
  CHECK(r18.values[std::size_t(r18.layers[std::size_t(r18.find("avgpool"))].inputs[0])].h ==
        2);  // 64 / 32
  const network_desc mb = fuse(mobilenet_v2(o));
  CHECK(mb.size() == 52 + 2);  // 52 convolutions + classifier, avgpool
  const layer_desc& proj = mb.layers[std::size_t(mb.find("features.3.conv.2"))];
  CHECK(proj.act == activation::none);
  CHECK(proj.residual >= 0);  // x + conv(x)
  CHECK(mb.layers[std::size_t(mb.find("features.2.conv.1.0"))].act == activation::relu6);
  CHECK(mb.layers[std::size_t(mb.find("features.2.conv.1.0"))].shape.is_depthwise());
  const network_desc v = fuse(vgg16(o));
  CHECK(v.size() == 13 + 5 + 1 + 3);
  CHECK(v.layers.back().shape.r == 1);  // classifier.6 reads 4096 x 1 x 1
  CHECK(v.layers[std::size_t(v.find("classifier.0"))].shape.r == 7);
  // A batch norm that follows no convolution cannot be folded.
  model_builder b("bn_only", {1, 3, 4, 4});
  const int x = b.batch_norm(b.relu(b.conv(b.input(), "c", {.out_channels = 3})), "bn");
  REQUIRE_DLAS_ERROR(fuse(std::move(b).finish(x)), errc::unsupported,
                     "batch_norm 'bn' does not directly follow");
}

TEST_CASE("deterministic weights: the same seed gives the same values at any size",
          "[graph][models]") {
  model_options a;
  a.height = a.width = 32;
  a.num_classes = 10;
  model_options b = a;
  b.batch = 3;
  b.height = 48;
  const model m1 = mobilenet_v2(a), m2 = mobilenet_v2(b);
  CHECK(m1.params.at("features.5.conv.1.0.weight").values ==
        m2.params.at("features.5.conv.1.0.weight").values);
  const auto& var = m1.params.at("features.5.conv.1.1.running_var").values;
  // Running variances differ per channel by up to 1.6 / 0.6.
  CHECK(*std::min_element(var.begin(), var.end()) > 0.0f);
  CHECK(*std::max_element(var.begin(), var.end()) >
        1.5f * *std::min_element(var.begin(), var.end()));
  model_options c = a;
  c.seed = 1;
  CHECK(mobilenet_v2(c).params.at("features.5.conv.1.0.weight").values !=
        m1.params.at("features.5.conv.1.0.weight").values);
  // He normal: the sample variance is close to 2 / fan_in.
  const model r18 = resnet18(a);
  const auto& w = r18.params.at("layer3.0.conv2.weight").values;
  double s = 0;
  for (float x : w) s += double(x) * x;
  CHECK(s / double(w.size()) == Approx(2.0 / (256 * 9)).epsilon(0.02));
}

TEST_CASE("weights load by PyTorch name from any source", "[graph][models]") {
  model_options o;
  o.height = o.width = 32;
  o.num_classes = 10;
  const model src = resnet18(o);
  model_options blank = o;
  blank.init = false;
  model dst = resnet18(blank);
  CHECK_FALSE(dst.has_weights());
  dst.load(src.params);
  CHECK(dst.has_weights());
  CHECK(dst.params.at("layer1.1.bn2.running_mean").values ==
        src.params.at("layer1.1.bn2.running_mean").values);
  // Missing names and mismatched shapes are refused, naming the parameter.
  model_options wide = blank;
  wide.num_classes = 12;
  model other = resnet18(wide);
  REQUIRE_DLAS_ERROR(other.load(src.params), errc::mismatched_buffer,
                     "weight 'fc.weight' has shape [10, 512], expected [12, 512]");
  CHECK_FALSE(other.has_weights());  // nothing changed
  param_store partial;
  for (const param& p : src.params.items())
    if (p.name != "layer2.1.bn1.bias") partial.declare(p.name, p.shape).values = p.values;
  REQUIRE_DLAS_ERROR(dst.load(partial), errc::invalid_argument,
                     "missing weight 'layer2.1.bn1.bias'");
  // Through a safetensors file, as exported from PyTorch.
  std::vector<io::named_tensor> tensors;
  for (const param& p : src.params.items()) tensors.push_back({p.name, p.shape, p.values});
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("dlas_graph_" + std::to_string(::getpid()) + "_resnet18.safetensors"))
                               .string();
  io::weight_file(std::move(tensors)).write_safetensors(path);
  model loaded = resnet18(blank);
  loaded.load(io::weight_file::read(path));
  std::filesystem::remove(path);
  CHECK(loaded.params.at("fc.weight").values == src.params.at("fc.weight").values);
}
