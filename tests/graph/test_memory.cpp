// SPDX-License-Identifier: Apache-2.0
// The planned-memory executor: the memory a network (or a stage of it) predicts before
// anything is built equals, byte for byte, what it allocates (counted by a memory resource),
// and nothing is allocated while it runs; the per-layer costs partition with the recommender;
// a network built for a stage holds that stage's weights only and runs it bitwise the same.
#include <catch2/catch.hpp>

#include <cstring>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/graph/conv_factory.hpp"
#include "dlas/graph/network.hpp"
#include "dlas/graph/prune_model.hpp"
#include "dlas/memory/profile_io.hpp"
#include "dlas/memory/recommender.hpp"
#include "graph/kernels.hpp"
#include "graph/support.hpp"
#include "reference/counting_resource.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::graph;
using namespace dlas::testing;

namespace {

constexpr conv_config cfg(layout_kind l, precision_kind p, sparsity_kind s, algorithm_kind a) {
  return {l, p, s, a};
}

struct setup {
  std::string name;
  conv_config conv;
  bool mixed = false;       // cycle layouts and algorithms layer by layer
  bool pruned = false;      // 70% of the weights zeroed, stored as CSR
  bool calibrated = false;  // int8
  bool scalar = false;      // reference kernels only: skipped on VGG-16, the slowest of them
};

std::vector<setup> setups() {
  using L = layout_kind;
  using P = precision_kind;
  using S = sparsity_kind;
  using A = algorithm_kind;
  return {{"nchw fp32 automatic", cfg(L::nchw, P::fp32, S::dense, A::automatic)},
          {"nhwc fp32 winograd (others fall back)", cfg(L::nhwc, P::fp32, S::dense, A::winograd)},
          {"mixed layouts and algorithms", cfg(L::nchw, P::fp32, S::dense, A::im2col_gemm), true},
          {"nhwc fp32 csr direct", cfg(L::nhwc, P::fp32, S::csr, A::direct), false, true},
          {"nchw fp16 reference", cfg(L::nchw, P::fp16, S::dense, A::reference), false, false,
           false, true},
          {"nhwc int8 reference", cfg(L::nhwc, P::int8, S::dense, A::reference), false, false, true,
           true}};
}

void apply_mixed(network& net) {
  const conv_config cycle[] = {
      cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense,
          algorithm_kind::spatial_pack),
      cfg(layout_kind::nchw, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::winograd),
      cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::direct),
      cfg(layout_kind::nchw, precision_kind::fp32, sparsity_kind::dense,
          algorithm_kind::im2col_gemm)};
  int k = 0;
  for (int i = 0; i < net.size(); ++i)
    if (net.is_conv(i)) {
      conv_config c = cycle[k++ % 4];
      if (net.layer(i).shape.is_depthwise()) c.algorithm = algorithm_kind::depthwise;
      if (can_implement(c, net.layer(i).shape).ok()) net.set_conv_config(i, c);
    }
}

}  // namespace

TEST_CASE("predicted memory equals the measured allocation, byte for byte", "[graph][memory]") {
  for (const std::string& arch : test_architectures()) {
    const model base = make_model(arch, small_options());
    model pruned = base;
    prune_unstructured(pruned, 0.7);
    const std::vector<float> x = input_values(base.values[0]);
    for (const setup& s : setups()) {
      if (s.scalar && arch == "vgg16") continue;
      CAPTURE(arch, s.name);
      counting_resource counter;
      scoped_default_resource scope(&counter);
      network_options o;
      o.conv = s.conv;
      o.memory = &counter;
      network net(s.pruned ? pruned : base, o, graph_kernels());
      if (s.mixed) apply_mixed(net);
      if (s.calibrated) {
        const auto in = make_input<layout::nchw>(net.input_desc().dims, x);
        const const_tensor_ref ref_in = cref(in.view());
        net.calibrate(std::span(&ref_in, 1));
      }
      // The prediction builds no kernel and allocates nothing.
      const index_t before = index_t(counter.live);
      const memory_report predicted = net.predict_memory();
      CHECK(index_t(counter.live) == before);
      CHECK(predicted.weights == net.weight_bytes());
      CHECK(predicted.workspace_buffer == workspace_buffer_bytes(predicted.workspace));
      // Building the executor allocates exactly the kernels' weights, the arena and the
      // workspace buffer (kernels left from calibration are dropped).
      net.executor(0, net.size());
      CHECK(index_t(counter.live) == predicted.total());
      // Running allocates nothing more; the largest workspace request is the predicted one.
      net.workspace().reset_statistics();
      counter.peak = counter.live;
      const auto out = run_nchw(net, x);
      CHECK(counter.peak == counter.live);
      CHECK(net.workspace().peak_requested() == predicted.workspace);
      CHECK(net.workspace().high_water() <= predicted.workspace_buffer);
      CHECK(net.workspace().overflow_bytes() == 0);
      const memory_report measured = net.measured_memory(0, net.size());
      CHECK(measured == predicted);
      // Sharing: the arena holds far less than all activations, and no less than the most that
      // is live at once.
      CHECK(predicted.arena < predicted.activations);
      CHECK(predicted.arena >=
            memory::live_bytes_bound(net.executor(0, net.size()).plan().lifetimes));
      for (float v : out.span()) REQUIRE(std::isfinite(v));
    }
  }
}

TEST_CASE("each stage of a partition predicts its own memory exactly", "[graph][memory]") {
  const model m = make_model("resnet18", small_options());
  counting_resource counter;
  scoped_default_resource scope(&counter);
  network_options o;
  o.conv =
      cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::automatic);
  o.memory = &counter;
  network net(m, o, graph_kernels());
  const int cut1 = net.find("layer2.0.conv2"), cut2 = net.find("layer4.0.conv1");  // inside blocks
  const int bounds[] = {0, cut1, cut2, net.size()};
  index_t expected = index_t(counter.live);
  for (int s = 0; s < 3; ++s) {
    const memory_report p = net.predict_memory(bounds[s], bounds[s + 1]);
    net.executor(bounds[s], bounds[s + 1]);
    expected += p.total();
    CHECK(index_t(counter.live) == expected);
  }
  // The stages' weights add up to the network's.
  CHECK(net.predict_memory(0, cut1).weights + net.predict_memory(cut1, cut2).weights +
            net.predict_memory(cut2, net.size()).weights ==
        net.weight_bytes());
  // A cut inside a residual block carries the shortcut as well.
  CHECK(net.boundary(cut1).size() == 2);
  CHECK(net.boundary(0).size() == 1);
  CHECK(net.boundary(net.size()).front() == net.output_desc());
}

TEST_CASE("per-layer costs feed the partition recommender", "[graph][memory]") {
  const model m = make_model("mobilenet_v2", small_options());
  network net(m, {}, graph_kernels());
  const auto costs = net.layer_costs();
  REQUIRE(int(costs.size()) == net.size());
  index_t weights = 0;
  for (const auto& c : costs) weights += c.weights;
  CHECK(weights == net.weight_bytes());
  CHECK(costs.front().input == net.input_desc().bytes());
  CHECK(costs.back().output == net.output_desc().bytes());
  const memory::profile prof = net.profile();
  memory::recommend_options r;
  r.stages = 3;
  r.pipeline.kind = memory::schedule::inference;
  r.pipeline.micro_batch_size = 2;
  const memory::plan plan = memory::recommend(prof, r);
  REQUIRE(plan.bounds.size() == 4);
  CHECK(plan.bounds.back() == net.size());
  // The recommended stages run, and their memory is predicted per stage.
  for (std::size_t s = 0; s + 1 < plan.bounds.size(); ++s)
    CHECK(net.predict_memory(plan.bounds[s], plan.bounds[s + 1]).weights ==
          memory::total_weights(std::span<const memory::layer_cost>(costs),
                                std::size_t(plan.bounds[s]), std::size_t(plan.bounds[s + 1])));
}

TEST_CASE("the inference profile predicts every stage's executor to the byte", "[graph][memory]") {
  for (const char* arch : {"resnet18", "mobilenet_v2"}) {
    const model m = make_model(arch, small_options());
    network net(m, {}, graph_kernels());
    const memory::profile prof = memory::profile_from_json(memory::to_json(net.profile()));
    REQUIRE(prof.executor);
    const int n = net.size();
    const int batch = prof.layers.front().per_micro_batch.begin()->first;
    const memory::pipeline_options o{.kind = memory::schedule::inference, .micro_batches = 4,
                                     .micro_batch_size = batch, .queue_depth = 2};
    const memory::stage_peak_table table(memory::resolve(prof, batch, {}), prof.baseline_bytes,
                                         prof.step_rule, o, prof.executor);
    int checked = 0;
    for (int a = 0; a < n; ++a)
      for (int b = a + 1; b <= n; ++b) {
        const memory_report r = net.predict_memory(a, b);
        INFO(arch << " stage [" << a << ", " << b << ")");
        REQUIRE(table.peak(a, b, 1, 0) == r.total() + 2 * r.io);
        ++checked;
      }
    CHECK(checked == n * (n + 1) / 2);
    // The simulation agrees, stage by stage, on a partition.
    const std::vector<int> bounds{0, n / 3, 2 * n / 3, n};
    const auto stages = memory::predict(prof, bounds, o);
    for (std::size_t s = 0; s < 3; ++s) {
      const memory_report r = net.predict_memory(bounds[s], bounds[s + 1]);
      CHECK(stages[s].peak_bytes == r.total() + 2 * r.io);
    }
    // So do the recommender's plan and its chosen stages.
    memory::recommend_options ro;
    ro.stages = 3;
    ro.pipeline = o;
    const memory::plan plan = memory::recommend(prof, ro);
    for (std::size_t s = 0; s < 3; ++s) {
      const memory_report r = net.predict_memory(plan.bounds[s], plan.bounds[s + 1]);
      CHECK(plan.stages[s].peak_bytes == r.total() + 2 * r.io);
    }
  }
}

TEST_CASE("bad configurations and inputs are clear errors", "[graph][memory]") {
  const model m = make_model("resnet18", small_options());
  network_options strict;
  strict.fall_back = false;
  strict.conv =
      cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::winograd);
  REQUIRE_DLAS_ERROR(network(m, strict, graph_kernels()), errc::unsupported,
                     "layer 'conv1' (n2 c3 h32 w32 k64 r7 s7");
  network net(m, {}, graph_kernels());
  REQUIRE_DLAS_ERROR(
      net.set_conv_config("layer1.0.conv1", cfg(layout_kind::nchw, precision_kind::int8,
                                                sparsity_kind::csr, algorithm_kind::winograd)),
      errc::unsupported, "conv_config nchw/int8/csr/winograd: no kernel");
  using automatic_only = kernel_product<every_layout, type_list<precision::fp32>,
                                        type_list<sparsity::dense>, type_list<algo::automatic>>;
  network narrow(m, {}, automatic_only::factory());
  REQUIRE_DLAS_ERROR(
      narrow.set_conv_config("layer1.0.conv1", cfg(layout_kind::nchw, precision_kind::fp32,
                                                   sparsity_kind::dense, algorithm_kind::reference)),
      errc::unsupported, "not in this network's kernel set");
  REQUIRE_DLAS_ERROR(net.set_conv_config("maxpool", {}), errc::invalid_argument,
                     "('maxpool') is not a convolution");
  REQUIRE_DLAS_ERROR(net.set_conv_config("layer9.0.conv1", {}), errc::invalid_argument,
                     "no layer named 'layer9.0.conv1'");
  // Wrong input dims.
  tensor<float, layout::nchw> small_in({1, 3, 32, 32}), out(net.output_desc().dims);
  REQUIRE_DLAS_ERROR(net.run(small_in.cview(), out.view()), errc::mismatched_buffer,
                     "input 0 is 1x3x32x32 f32 nchw, expected 2x3x32x32 f32 nchw");
  REQUIRE_DLAS_ERROR(net.run_stage(0, 3, {}, {}), errc::mismatched_buffer,
                     "takes 1 input tensors, got 0");
  REQUIRE_DLAS_ERROR(net.predict_memory(5, 5), errc::invalid_argument,
                     "stage [5, 5) is not a range");
  // int8 without calibration.
  net.set_conv_config(cfg(layout_kind::nhwc, precision_kind::int8, sparsity_kind::dense,
                          algorithm_kind::reference));
  REQUIRE_DLAS_ERROR(net.predict_memory(), errc::invalid_argument,
                     "layer 'conv1' needs 8-bit codes of value 'input', which has no calibration");
  // A model without weights.
  model_options blank = small_options();
  blank.init = false;
  REQUIRE_DLAS_ERROR(network(make_model("resnet18", blank), {}, graph_kernels()),
                     errc::invalid_argument, "has parameters without values");
}

namespace {

/// Zeroed buffers for tensors `descs`, outside any counting resource.
struct stage_tensors {
  explicit stage_tensors(const std::vector<tensor_desc>& descs) {
    for (const tensor_desc& d : descs)
      buffers.emplace_back(d.bytes(), std::pmr::new_delete_resource());
    for (std::size_t i = 0; i < descs.size(); ++i) refs.push_back({buffers[i].data(), descs[i]});
  }
  std::vector<const_tensor_ref> inputs() const {
    std::vector<const_tensor_ref> in;
    for (const tensor_ref& t : refs) in.push_back({t.data, t.desc});
    return in;
  }
  bool operator==(const stage_tensors& o) const {
    if (refs.size() != o.refs.size()) return false;
    for (std::size_t i = 0; i < refs.size(); ++i)
      if (!(refs[i].desc == o.refs[i].desc) ||
          std::memcmp(refs[i].data, o.refs[i].data, std::size_t(refs[i].desc.bytes())) != 0)
        return false;
    return true;
  }
  std::vector<aligned_buffer<std::byte>> buffers;
  std::vector<tensor_ref> refs;
};

}  // namespace

TEST_CASE("a network built for a stage holds and runs that stage only", "[graph][memory]") {
  const model_options mo = small_options();
  const model full = make_model("resnet18", mo);
  network_options o;
  o.conv =
      cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::automatic);
  network whole(full, o, graph_kernels());
  const int cut1 = whole.find("layer2.0.conv2"), cut2 = whole.find("layer4.0.conv1");  // in blocks
  const layer_range stages[] = {{0, cut1}, {cut1, cut2}, {cut2, whole.size()}};

  stage_tensors carried(whole.boundary(0));
  const std::vector<float> x = input_values(whole.input_desc().dims);
  std::memcpy(carried.refs[0].data, x.data(), x.size() * sizeof(float));  // NCHW, like x
  for (const layer_range& r : stages) {
    CAPTURE(to_string(r));
    // The model holds values for the stage's parameters only, equal to the whole model's.
    const model part = make_model("resnet18", mo, r);
    const parameter_names used = layer_parameters(fuse(part), r);
    std::int64_t held = 0, used_values = 0;
    for (const param& p : part.params.items()) {
      held += std::int64_t(p.values.size());
      if (used.contains(p.name)) {
        used_values += p.numel();
        CHECK(p.values == full.params.at(p.name).values);
      }
    }
    CHECK(held == used_values);
    CHECK(held < full.parameter_count());
    // Loading only those names from the whole model gives the same parameters.
    model_options blank = mo;
    blank.init = false;
    model loaded = make_model("resnet18", blank);
    loaded.load(full.params, used);
    for (const param& p : loaded.params.items()) CHECK(p.values == part.params.at(p.name).values);

    // Built from that model, the stage allocates exactly its own prediction, which is the
    // whole network's for the same layers; its weights are the sum over its layers.
    counting_resource counter;
    network_options so = o;
    so.layers = r;
    so.memory = &counter;
    std::optional<network> stage;
    {
      scoped_default_resource scope(&counter);
      stage.emplace(part, so, graph_kernels());
      CHECK(stage->built_layers() == r);
      const memory_report predicted = stage->predict_memory(r.first, r.last);
      CHECK(predicted == whole.predict_memory(r.first, r.last));
      const index_t before = index_t(counter.live);
      stage->executor(r.first, r.last);
      CHECK(index_t(counter.live) - before == predicted.total());
      index_t layer_weights = 0;
      for (int i = r.first; i < r.last; ++i)
        layer_weights += whole.predict_memory(i, i + 1).weights;
      CHECK(stage->measured_memory(r.first, r.last).weights == layer_weights);
    }
    for (int i = r.first; i < r.last; ++i)
      if (stage->is_conv(i))
        CHECK(stage->folded_weights(i).weights == whole.folded_weights(i).weights);

    // Its outputs are bitwise the whole network's for the same stage.
    REQUIRE(stage->boundary(r.first) == whole.boundary(r.first));
    REQUIRE(stage->boundary(r.last) == whole.boundary(r.last));
    stage_tensors want(whole.boundary(r.last)), got(stage->boundary(r.last));
    whole.run_stage(r.first, r.last, carried.inputs(), want.refs);
    stage->run_stage(r.first, r.last, carried.inputs(), got.refs);
    CHECK(got == want);
    carried = std::move(want);
  }

  // Layers outside the range built are refused, not run on missing weights.
  network_options middle_options = o;
  middle_options.layers = stages[1];
  network middle(make_model("resnet18", mo, stages[1]), middle_options, graph_kernels());
  stage_tensors in(middle.boundary(0)), out(middle.boundary(cut1));
  REQUIRE_DLAS_ERROR(middle.run_stage(0, cut1, in.inputs(), out.refs), errc::invalid_argument,
                     "reach outside the layers it was built with");
  REQUIRE_DLAS_ERROR(middle.predict_memory(), errc::invalid_argument,
                     "reach outside the layers it was built with");
  REQUIRE_DLAS_ERROR(middle.kernel(0), errc::invalid_argument,
                     "reach outside the layers it was built with");
  REQUIRE_DLAS_ERROR(middle.folded_weights(0), errc::invalid_argument,
                     "reach outside the layers it was built with");
  REQUIRE_DLAS_ERROR(middle.profile(), errc::invalid_argument,
                     "reach outside the layers it was built with");
  // The range must be a range of the network's layers, and the model must hold its weights.
  network_options bad = o;
  bad.layers = layer_range{cut2, cut1};
  REQUIRE_DLAS_ERROR(network(full, bad, graph_kernels()), errc::invalid_argument,
                     "are not a range of its");
  bad.layers = stages[2];
  REQUIRE_DLAS_ERROR(network(make_model("resnet18", mo, stages[1]), bad, graph_kernels()),
                     errc::invalid_argument, "has parameters without values in layers");
  REQUIRE_DLAS_ERROR(make_model("resnet18", mo, layer_range{0, 1000}), errc::invalid_argument,
                     "are not a range of its");
}
