// SPDX-License-Identifier: Apache-2.0
// Whole networks in fp32 against the fp64 reference executor (unfolded batch norm, loop
// convolution, plain pooling) on the same weights: every architecture, NCHW and NHWC, a mix
// of algorithms; pipeline stages give the whole network's output bitwise.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "dlas/graph/network.hpp"
#include "graph/kernels.hpp"
#include "graph/support.hpp"

using namespace dlas;
using namespace dlas::graph;
using namespace dlas::testing;

namespace {

constexpr double fp32_tolerance = 1e-4;  // max |error| / max |reference| per tensor

/// The fp64 reference output of each architecture at the small test size (computed once).
const tensor64& reference_output(const std::string& arch) {
  static std::map<std::string, tensor64> cache;
  auto it = cache.find(arch);
  if (it == cache.end()) {
    const model m = make_model(arch, small_options());
    it = cache.emplace(arch, run_reference(m, input64(m.values[0], input_values(m.values[0]))))
             .first;
  }
  return it->second;
}

/// Layer by layer: layouts alternate and algorithms cycle, so that reorders and every
/// algorithm (where it applies) meet in one network.
void mix_algorithms(network& net, int offset = 0) {
  const algorithm_kind cycle[] = {algorithm_kind::winograd,     algorithm_kind::im2col_gemm,
                                  algorithm_kind::spatial_pack, algorithm_kind::direct,
                                  algorithm_kind::pointwise,    algorithm_kind::automatic};
  int k = offset;
  for (int i = 0; i < net.size(); ++i) {
    if (!net.is_conv(i)) continue;
    const layout_kind layout = k % 2 ? layout_kind::nhwc : layout_kind::nchw;
    algorithm_kind a = cycle[k % 6];
    if (net.layer(i).shape.is_depthwise()) a = algorithm_kind::depthwise;
    // im2col_gemm is in the test set for NCHW only, direct for NHWC only.
    if (a == algorithm_kind::im2col_gemm && layout == layout_kind::nhwc)
      a = algorithm_kind::spatial_pack;
    if (a == algorithm_kind::direct && layout == layout_kind::nchw)
      a = algorithm_kind::spatial_pack;
    conv_config c{layout, precision_kind::fp32, sparsity_kind::dense, a};
    if (!can_implement(c, net.layer(i).shape).ok()) c.algorithm = algorithm_kind::automatic;
    net.set_conv_config(i, c);
    ++k;
  }
}

}  // namespace

TEST_CASE("fp32 networks match the fp64 reference within 1e-4", "[graph][networks]") {
  for (const std::string& arch : test_architectures()) {
    const model m = make_model(arch, small_options());
    const std::vector<float> x = input_values(m.values[0]);
    const tensor64& want = reference_output(arch);
    struct variant {
      const char* name;
      conv_config conv;
      layout_kind io;
      bool mixed;
    };
    const variant variants[] = {
        {"nchw automatic",
         {layout_kind::nchw, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::automatic},
         layout_kind::nchw,
         false},
        {"nhwc automatic, nhwc input",
         {layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::automatic},
         layout_kind::nhwc,
         false},
        {"nhwc winograd where it applies",
         {layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::winograd},
         layout_kind::nchw,
         false},
        {"mixed layouts and algorithms", {}, layout_kind::nchw, true},
    };
    for (const variant& v : variants) {
      CAPTURE(arch, v.name);
      network_options o;
      o.conv = v.conv;
      o.io_layout = v.io;
      network net(m, o, graph_kernels());
      if (v.mixed) mix_algorithms(net);
      const auto out = run_nchw(net, x);
      CHECK(max_relative_error(out.cview(), want) <= fp32_tolerance);
    }
  }
}

TEST_CASE("stages run one after another give the whole network's output bitwise",
          "[graph][networks]") {
  for (const std::string arch : {"resnet18", "mobilenet_v2"}) {
    const model m = make_model(arch, small_options());
    network net(m, {}, graph_kernels());
    mix_algorithms(net, 1);
    const std::vector<float> x = input_values(m.values[0]);
    const auto whole = run_nchw(net, x);
    const auto in = make_input<layout::nchw>(net.input_desc().dims, x);
    // Every cut of a two-stage split (every third one in MobileNetV2), and a three-stage split.
    std::vector<std::vector<int>> splits;
    for (int cut = 1; cut < net.size(); cut += arch == std::string("resnet18") ? 1 : 3)
      splits.push_back({0, cut, net.size()});
    splits.push_back({0, net.size() / 3, 2 * net.size() / 3, net.size()});
    for (const auto& bounds : splits) {
      CAPTURE(arch, bounds);
      // Boundary tensors as raw bytes, as a pipeline would send them.
      std::vector<std::vector<std::byte>> carried;
      std::vector<const_tensor_ref> inputs{cref(in.view())};
      tensor<float, layout::nchw> out(net.output_desc().dims, std::pmr::new_delete_resource());
      for (std::size_t s = 0; s + 1 < bounds.size(); ++s) {
        std::vector<tensor_ref> outputs;
        std::vector<std::vector<std::byte>> next;
        if (s + 2 == bounds.size()) {
          outputs.push_back(ref(out.view()));
        } else {
          for (const tensor_desc& d : net.boundary(bounds[s + 1]))
            next.emplace_back(std::size_t(d.bytes()));
          const auto descs = net.boundary(bounds[s + 1]);
          for (std::size_t i = 0; i < descs.size(); ++i)
            outputs.push_back({next[i].data(), descs[i]});
        }
        net.run_stage(bounds[s], bounds[s + 1], inputs, outputs);
        carried = std::move(next);
        inputs.clear();
        for (const tensor_ref& t : outputs) inputs.push_back({t.data, t.desc});
      }
      REQUIRE(std::memcmp(out.data(), whole.data(), std::size_t(out.size()) * sizeof(float)) == 0);
    }
  }
}

TEST_CASE("batches: each image of a batch gets the output it gets alone", "[graph][networks]") {
  const model m2 = make_model("mobilenet_v2", small_options(3));
  const model m1 = make_model("mobilenet_v2", small_options(1));
  network_options o;
  o.conv = {layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense,
            algorithm_kind::automatic};
  network batch(m2, o, graph_kernels()), single(m1, o, graph_kernels());
  const std::vector<float> x = input_values(m2.values[0], 9);
  const auto all = run_nchw(batch, x);
  const std::size_t per_image = std::size_t(m1.values[0].elements());
  for (std::size_t i = 0; i < 3; ++i) {
    const std::vector<float> one(x.begin() + std::ptrdiff_t(i * per_image),
                                 x.begin() + std::ptrdiff_t((i + 1) * per_image));
    const auto alone = run_nchw(single, one);
    const index_t k = alone.size();
    for (index_t j = 0; j < k; ++j)
      CHECK(all.data()[index_t(i) * k + j] == Approx(alone.data()[j]).epsilon(1e-5).margin(1e-6));
  }
}

TEST_CASE(
    "layers that do not fuse: concat, standalone add and activation, ceil-mode pooling, softmax",
    "[graph][networks]") {
  // A small branchy model: nothing here folds into a convolution but the batch norms.
  model_builder b("branches", {2, 3, 11, 13});
  const int c1 = b.batch_norm(
      b.conv(b.input(), "c1",
             {.out_channels = 8, .kernel_h = 3, .kernel_w = 3, .pad_h = 1, .pad_w = 1}),
      "bn1");
  const int p1 = b.max_pool(c1, "p1",
                            {.kernel_h = 3,
                             .kernel_w = 3,
                             .stride_h = 2,
                             .stride_w = 2,
                             .pad_h = 1,
                             .pad_w = 1,
                             .ceil_mode = true});
  const int p2 = b.avg_pool(c1, "p2",
                            {.kernel_h = 2,
                             .kernel_w = 3,
                             .stride_h = 2,
                             .stride_w = 2,
                             .pad_h = 1,
                             .pad_w = 1,
                             .ceil_mode = true,
                             .count_include_pad = false});
  const int sum = b.relu(b.add(p1, p2, "sum"), "relu");
  const int c2 = b.conv(sum, "c2", {.out_channels = 6, .kernel_h = 1, .kernel_w = 1, .bias = true});
  const int c3 = b.conv(
      sum, "c3",
      {.out_channels = 4, .kernel_h = 3, .kernel_w = 3, .pad_h = 1, .pad_w = 1, .groups = 4});
  const int cat = b.relu6(b.concat({c2, c3, sum}, "cat"), "relu6");
  const int pooled = b.adaptive_avg_pool(cat, "pool", 2, 3);
  const int probs = b.softmax(b.linear(pooled, "fc", 5), "softmax");
  model m = std::move(b).finish(probs);
  init_weights(m, 3);
  const network_desc d = fuse(m);
  CHECK(d.layers[std::size_t(d.find("sum"))].kind == layer_kind::add);
  CHECK(d.layers[std::size_t(d.find("sum"))].act == activation::relu);
  CHECK(d.layers[std::size_t(d.find("relu6"))].kind == layer_kind::activation);
  const std::vector<float> x = input_values(m.values[0], 4);
  const tensor64 want = run_reference(m, input64(m.values[0], x));
  for (const layout_kind l : {layout_kind::nchw, layout_kind::nhwc})
    for (const bool half : {false, true}) {
      CAPTURE(to_string(l), half);
      network_options o;
      o.conv = {l, half ? precision_kind::fp16 : precision_kind::fp32, sparsity_kind::dense,
                half ? algorithm_kind::reference : algorithm_kind::automatic};
      o.io_layout = l;
      network net(m, o, graph_kernels());
      const auto out = run_nchw(net, x);
      CHECK(max_relative_error(out.cview(), want) <= (half ? 1e-2 : fp32_tolerance));
    }
}

TEST_CASE("docs/networks.md: the first example, with the tests' kernel set", "[graph][docs]") {
  namespace g = dlas::graph;
  g::model_options size;  // the page uses 224 x 224 and 1000 classes
  size.batch = 2;
  size.height = size.width = 32;
  size.num_classes = 10;
  g::network_options options;
  options.conv = g::parse_conv_config("nhwc/fp32/dense/automatic");
  g::network net(g::make_model("resnet50", size), options,
                 graph_kernels());  // the page: g::build(...)

  const g::memory_report m = net.predict_memory();
  dlas::tensor<float, dlas::layout::nchw> in(net.input_desc().dims), out(net.output_desc().dims);
  net.run(in.cview(), out.view());
  CHECK(m.total() == m.weights + m.arena + m.workspace_buffer);
  CHECK(out.dims() == tensor_dims{2, 10, 1, 1});
  CHECK(net.config(net.find("layer3.1.conv2")) == options.conv);
}
