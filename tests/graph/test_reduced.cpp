// SPDX-License-Identifier: Apache-2.0
// Whole networks in reduced precision and with sparse weights: int8 end to end with
// calibration against fp32, fp16, mixed precisions, and CSR against dense on the same pruned
// weights.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "dlas/graph/network.hpp"
#include "dlas/graph/prune_model.hpp"
#include "graph/kernels.hpp"
#include "graph/support.hpp"

using namespace dlas;
using namespace dlas::graph;
using namespace dlas::testing;

namespace {

conv_config cfg(layout_kind l, precision_kind p, sparsity_kind s, algorithm_kind a) {
  return {l, p, s, a};
}

/// fp32 logits of `m` on `x` (NHWC, automatic).
tensor<float, layout::nchw> fp32_logits(const model& m, const std::vector<float>& x) {
  network_options o;
  o.conv =
      cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::automatic);
  network net(m, o, graph_kernels());
  return run_nchw(net, x);
}

/// Calibrates `net` on four batches other than the one it is then evaluated on.
void calibrate(network& net) {
  std::vector<tensor<float, layout::nchw>> batches;
  std::vector<const_tensor_ref> refs;
  for (std::uint32_t seed = 100; seed < 104; ++seed)
    batches.push_back(
        make_input<layout::nchw>(net.input_desc().dims, input_values(net.input_desc().dims, seed)));
  for (const auto& b : batches) refs.push_back(cref(b.view()));
  net.calibrate(refs);
}

}  // namespace

TEST_CASE("int8 end to end with calibration: logits within 20 dB SQNR of fp32",
          "[graph][reduced]") {
  for (const std::string& arch : test_architectures()) {
    const model m = make_model(arch, small_options());
    const std::vector<float> x = input_values(m.values[0]);
    const auto want = fp32_logits(m, x);
    for (const layout_kind l : {layout_kind::nhwc, layout_kind::nchw}) {
      CAPTURE(arch, to_string(l));
      // The int8 kernels users run (GEMM tiles, depthwise, direct), bit-exact with the
      // reference kernels by their own tests.
      network_options o;
      o.conv = cfg(l, precision_kind::int8, sparsity_kind::dense, algorithm_kind::automatic);
      network net(m, o, graph_kernels());
      calibrate(net);
      const auto got = run_nchw(net, x);
      const double db = sqnr_db(got.cview(), want.cview());
      INFO("SQNR " << db << " dB");
      CHECK(db >= 20.0);
      // The int8 layers write 8-bit codes between them, fp32 where a residual is added.
      index_t codes = 0;
      for (const tensor_desc& t : net.lowered().tensors) codes += t.type == dtype::u8;
      CHECK(codes > net.size() / 2);
    }
  }
}

TEST_CASE("fp16 and mixed precisions stay close to fp32", "[graph][reduced]") {
  for (const std::string arch : {"resnet18", "mobilenet_v2"}) {
    const model m = make_model(arch, small_options());
    const std::vector<float> x = input_values(m.values[0]);
    const auto want = fp32_logits(m, x);
    network_options o;
    o.conv = cfg(layout_kind::nhwc, precision_kind::fp16, sparsity_kind::dense,
                 algorithm_kind::reference);
    network half_net(m, o, graph_kernels());
    CAPTURE(arch);
    CHECK(sqnr_db(run_nchw(half_net, x).cview(), want.cview()) >= 40.0);
    // Precision changes layer by layer: fp32, fp16, int8 in turn (casts between them).
    network mixed(m, {}, graph_kernels());
    int k = 0;
    for (int i = 0; i < mixed.size(); ++i)
      if (mixed.is_conv(i)) {
        const precision_kind p = k % 3 == 0   ? precision_kind::fp32
                                 : k % 3 == 1 ? precision_kind::fp16
                                              : precision_kind::int8;
        mixed.set_conv_config(
            i,
            cfg(k % 2 ? layout_kind::nhwc : layout_kind::nchw, p, sparsity_kind::dense,
                p == precision_kind::fp32 ? algorithm_kind::automatic : algorithm_kind::reference));
        ++k;
      }
    calibrate(mixed);
    CHECK(sqnr_db(run_nchw(mixed, x).cview(), want.cview()) >= 25.0);
  }
}

TEST_CASE("a CSR network keeps its depthwise layers dense unless asked", "[graph][reduced]") {
  model m = make_model("mobilenet_v2", small_options());
  model kept = m;
  const std::int64_t all = prune_unstructured(m, 0.8);
  const std::int64_t some = prune_unstructured(kept, 0.8, prune_scope::skip_depthwise);
  CHECK(some > 0);
  CHECK(some < all);
  network_options o;
  o.conv = cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::csr, algorithm_kind::direct);
  const network by_default(m, o, graph_kernels());
  o.csr_depthwise = true;
  const network asked(m, o, graph_kernels());
  o.csr_depthwise = false;
  o.per_layer = {{"features.1.conv.0.0", o.conv}};  // a depthwise layer named: CSR
  const network named(m, o, graph_kernels());
  int depthwise = 0;
  for (int i = 0; i < by_default.size(); ++i) {
    if (!by_default.is_conv(i)) continue;
    const bool dw = by_default.layer(i).shape.is_depthwise();
    depthwise += dw;
    CAPTURE(by_default.layer(i).name);
    CHECK(by_default.config(i).sparsity == (dw ? sparsity_kind::dense : sparsity_kind::csr));
    CHECK(asked.config(i).sparsity == sparsity_kind::csr);
    CHECK(named.config(i).sparsity ==
          (dw && by_default.layer(i).name != "features.1.conv.0.0" ? sparsity_kind::dense : sparsity_kind::csr));
    if (!dw) continue;
    // The depthwise weights: pruned by the whole-model scope, kept by skip_depthwise.
    const auto& w = m.params.at(by_default.layer(i).weight).values;
    const auto& wk = kept.params.at(by_default.layer(i).weight).values;
    CHECK(std::count(w.begin(), w.end(), 0.0f) > 0);
    CHECK(std::count(wk.begin(), wk.end(), 0.0f) == 0);
  }
  CHECK(depthwise == 17);
}

TEST_CASE("CSR and dense runs of the same pruned weights agree", "[graph][reduced]") {
  for (const std::string arch : {"resnet18", "mobilenet_v2", "vgg16"}) {
    if (arch == "vgg16" && emulated()) continue;  // see test_architectures()
    model m = make_model(arch, small_options());
    prune_unstructured(m, 0.8);
    const std::vector<float> x = input_values(m.values[0]);
    CAPTURE(arch);
    // fp32: the sparse kernels skip the zeros, so the sums differ in rounding only.
    for (const auto& [dense, sparse] :
         {std::pair{cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense,
                        algorithm_kind::direct),
                    cfg(layout_kind::nhwc, precision_kind::fp32, sparsity_kind::csr,
                        algorithm_kind::direct)},
          std::pair{cfg(layout_kind::nchw, precision_kind::fp32, sparsity_kind::dense,
                        algorithm_kind::im2col_gemm),
                    cfg(layout_kind::nchw, precision_kind::fp32, sparsity_kind::csr,
                        algorithm_kind::im2col_gemm)}}) {
      network_options od, os;
      od.conv = dense;
      os.conv = sparse;
      network d(m, od, graph_kernels()), s(m, os, graph_kernels());
      CHECK(s.weight_bytes() < d.weight_bytes());
      const auto a = run_nchw(d, x), b = run_nchw(s, x);
      CHECK(max_relative_error(b.cview(), to_fp64(a.cview())) <= 1e-5);
    }
  }
  // The reference kernels add the same products in the same order: bitwise equal, in fp16
  // and int8 too.
  model m = make_model("mobilenet_v2", small_options());
  prune_unstructured(m, 0.8);
  const std::vector<float> x = input_values(m.values[0]);
  for (const precision_kind p : {precision_kind::fp16, precision_kind::int8}) {
    network_options od, os;
    od.conv = cfg(layout_kind::nchw, p, sparsity_kind::dense, algorithm_kind::reference);
    os.conv = cfg(layout_kind::nchw, p, sparsity_kind::csr, algorithm_kind::reference);
    network d(m, od, graph_kernels()), s(m, os, graph_kernels());
    if (p == precision_kind::int8) {
      calibrate(d);
      s.set_calibration(d.calibration());
    }
    const auto a = run_nchw(d, x), b = run_nchw(s, x);
    CHECK(std::memcmp(a.data(), b.data(), std::size_t(a.size()) * sizeof(float)) == 0);
  }
}
