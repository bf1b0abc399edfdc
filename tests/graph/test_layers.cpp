// SPDX-License-Identifier: Apache-2.0
// Layers of dlas::graph one at a time: run-time configurations, the type-erased convolution,
// batch-norm folding, pooling (odd shapes, ceil mode, padding), add, concat, softmax, and the
// precision and layout boundaries, each against a plain fp64 loop.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "dlas/graph/batch_norm.hpp"
#include "dlas/graph/conv_factory.hpp"
#include "dlas/graph/convert.hpp"
#include "dlas/graph/elementwise.hpp"
#include "dlas/graph/pooling.hpp"
#include "graph/kernels.hpp"
#include "graph/reference_net.hpp"
#include "reference/conv_fp64.hpp"
#include "reference/data.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::graph;
using namespace dlas::testing;

namespace {

tensor64 to_tensor64(const tensor_dims& d, const std::vector<float>& v) {
  tensor64 t(d.n, d.c, d.h, d.w);
  for (std::size_t i = 0; i < v.size(); ++i) t.v[i] = v[i];
  return t;
}

double max_abs_diff(const tensor64& a, const tensor64& b) {
  double e = 0;
  for (std::size_t i = 0; i < a.v.size(); ++i) e = std::max(e, std::fabs(a.v[i] - b.v[i]));
  return e;
}

}  // namespace

TEST_CASE("conv_config: names, parsing and the combinations that have kernels", "[graph][config]") {
  const conv_config c{layout_kind::nhwc, precision_kind::int8, sparsity_kind::csr,
                      algorithm_kind::reference};
  CHECK(to_string(c) == "nhwc/int8/csr/reference");
  CHECK(parse_conv_config("nhwc/int8/csr/reference") == c);
  for (auto l : all_layouts)
    for (auto p : all_precisions)
      for (auto s : all_sparsities)
        for (auto a : all_algorithms) {
          const conv_config x{l, p, s, a};
          CHECK(parse_conv_config(to_string(x)) == x);
        }
  static_assert(has_kernel(
      {layout_kind::nchw, precision_kind::fp16, sparsity_kind::csr, algorithm_kind::reference}));
  static_assert(has_kernel(
      {layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::winograd}));
  static_assert(!has_kernel(
      {layout_kind::nhwc, precision_kind::fp32, sparsity_kind::csr, algorithm_kind::winograd}));
  static_assert(config_of<layout::nhwc, precision::fp16, sparsity::dense, algo::spatial_pack> ==
                conv_config{layout_kind::nhwc, precision_kind::fp16, sparsity_kind::dense,
                            algorithm_kind::spatial_pack});
  REQUIRE_DLAS_ERROR(parse_conv_config("nhwc/fp32/dense"), errc::invalid_argument,
                     "must read layout/precision/sparsity/algorithm");
  REQUIRE_DLAS_ERROR(parse_conv_config("nhwc/fp64/dense/direct"), errc::invalid_argument,
                     "unknown precision 'fp64'");
  const conv2d_shape sh{.n = 1, .c = 8, .h = 6, .w = 6, .k = 8, .r = 1, .s = 1};
  CHECK(can_implement({layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense,
                       algorithm_kind::pointwise},
                      sh)
            .ok());
  const status wino = can_implement(
      {layout_kind::nhwc, precision_kind::fp32, sparsity_kind::dense, algorithm_kind::winograd},
      sh);
  CHECK(wino.code() == errc::unsupported);
  REQUIRE_DLAS_ERROR(require_implementable({layout_kind::nhwc, precision_kind::fp32,
                                            sparsity_kind::csr, algorithm_kind::winograd},
                                           sh, "layer x"),
                     errc::unsupported, "conv_config nhwc/fp32/csr/winograd: no kernel for this");
  // Footprints come from the tags without building anything.
  const footprint f = footprint_of(
      {layout_kind::nchw, precision_kind::fp16, sparsity_kind::dense, algorithm_kind::reference},
      sh, 0);
  CHECK(f ==
        conv2d<layout::nchw, precision::fp16, sparsity::dense, algo::reference>::footprint_of(sh));
}

TEST_CASE("kernel sets keep the combinations that have kernels", "[graph][conv_layer]") {
  using P = combo_product<type_list<layout::nhwc>, type_list<precision::fp32, precision::int8>,
                          every_sparsity, type_list<algo::winograd, algo::reference>>;
  static_assert(
      std::is_same_v<
          P, type_list<combo<layout::nhwc, precision::fp32, sparsity::dense, algo::winograd>,
                       combo<layout::nhwc, precision::fp32, sparsity::dense, algo::reference>,
                       combo<layout::nhwc, precision::fp32, sparsity::csr, algo::reference>,
                       combo<layout::nhwc, precision::int8, sparsity::dense, algo::reference>,
                       combo<layout::nhwc, precision::int8, sparsity::csr, algo::reference>>>);
  // An empty set instantiates nothing and refuses everything, saying why.
  using none = kernel_set<>;
  CHECK_FALSE(none::contains({}));
  const conv2d_shape sh{};
  REQUIRE_DLAS_ERROR(none::make({}, sh, {}, {}, {}), errc::unsupported,
                     "conv_config nchw/fp32/dense/automatic: not in this kernel set");
}

TEST_CASE("conv_layer: a run-time choice of kernel, checked descriptions", "[graph][conv_layer]") {
  const conv2d_shape sh{.n = 2,
                        .c = 5,
                        .h = 7,
                        .w = 6,
                        .k = 6,
                        .r = 3,
                        .s = 3,
                        .stride_h = 2,
                        .pad_top = 1,
                        .pad_left = 1,
                        .pad_bottom = 1,
                        .pad_right = 1};
  const auto w = random_floats(std::size_t(sh.weight_elements()), 3);
  const auto b = random_floats(std::size_t(sh.k), 4);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), 5);
  const tensor64 want = conv_fp64(sh, to_tensor64(sh.input_dims(), x), to_double(w), to_double(b));
  const kernel_factory make = graph_kernels();
  for (const conv_config c : {conv_config{layout_kind::nchw, precision_kind::fp32,
                                          sparsity_kind::dense, algorithm_kind::im2col_gemm},
                              conv_config{layout_kind::nhwc, precision_kind::fp32,
                                          sparsity_kind::dense, algorithm_kind::direct}}) {
    CAPTURE(to_string(c));
    REQUIRE(make.contains(c));
    const conv_layer layer = make.make(c, sh, w, b, {});
    CHECK(layer.config() == c);
    CHECK(layer.footprint() == footprint_of(c, sh, sh.weight_elements()));
    CHECK(layer.input_desc().layout == c.layout);
    visit_desc(layer.input_desc(), [&]<class T, class L>() {
      if constexpr (std::is_same_v<T, float>) {
        const auto in = from_values<float, L>(sh.input_dims(), x);
        tensor<float, L> out(sh.output_dims());
        layer(cref(in.view()), ref(out.view()));
        CHECK(max_relative_error(out.cview(), want) < 1e-5);
        tensor<float, L> wrong(sh.input_dims());
        REQUIRE_DLAS_ERROR(layer(cref(in.view()), ref(wrong.view())), errc::mismatched_buffer,
                           "output is 2x5x7x6 f32");
      }
    });
  }
  // int8: 8-bit codes in; fp32 out without output_quant, codes out with it.
  conv2d_options q;
  q.input_quant = {2.0f / 255.0f, 128};
  const conv_config c8{layout_kind::nhwc, precision_kind::int8, sparsity_kind::dense,
                       algorithm_kind::reference};
  const conv_layer f = make.make(c8, sh, w, b, q);
  CHECK(f.input_desc().type == dtype::u8);
  CHECK(f.output_desc().type == dtype::f32);
  q.output_quant = quant_params{0.05f, 100};
  const conv_layer u = make.make(c8, sh, w, b, q);
  CHECK(u.output_desc().type == dtype::u8);
  CHECK(u.output_desc().quant.zero_point == 100);
  // A combination outside the set, and one with no kernel at all.
  using direct_only = kernel_set<combo<layout::nhwc, precision::fp32, sparsity::dense, algo::direct>>;
  REQUIRE_DLAS_ERROR(direct_only::make({layout_kind::nchw, precision_kind::fp32, sparsity_kind::dense,
                                        algorithm_kind::reference},
                                       sh, w, b, {}),
                     errc::unsupported,
                     "conv_config nchw/fp32/dense/reference: not in this kernel set");
  REQUIRE_DLAS_ERROR(make.make({layout_kind::nchw, precision_kind::int8, sparsity_kind::csr,
                                algorithm_kind::winograd},
                               sh, w, b, {}),
                     errc::unsupported, "conv_config nchw/int8/csr/winograd: no kernel");
  REQUIRE_DLAS_ERROR(conv_layer{}.footprint(), errc::invalid_argument, "conv_layer: empty layer");
}

TEST_CASE("fold_batch_norm equals the convolution followed by batch norm", "[graph][batch_norm]") {
  const conv2d_shape sh{.n = 2,
                        .c = 6,
                        .h = 5,
                        .w = 5,
                        .k = 4,
                        .r = 3,
                        .s = 3,
                        .pad_top = 1,
                        .pad_left = 1,
                        .pad_bottom = 1,
                        .pad_right = 1,
                        .groups = 2};
  const auto w = random_floats(std::size_t(sh.weight_elements()), 7);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), 8);
  const auto gamma = random_floats(4, 9, 0.5f, 1.5f), beta = random_floats(4, 10);
  const auto mean = random_floats(4, 11), var = random_floats(4, 12, 0.2f, 3.0f);
  for (const bool with_bias : {false, true}) {
    const auto bias = with_bias ? random_floats(4, 13) : std::vector<float>{};
    const folded_conv f = fold_batch_norm(sh.k, w, bias, {gamma, beta, mean, var, 1e-3});
    const tensor64 in = to_tensor64(sh.input_dims(), x);
    tensor64 want = conv_fp64(sh, in, to_double(w), to_double(bias));
    for (index_t n = 0; n < want.n; ++n)
      for (index_t k = 0; k < want.c; ++k)
        for (index_t i = 0; i < want.h * want.w; ++i) {
          double& v = want.v[std::size_t((n * want.c + k) * want.h * want.w + i)];
          v = gamma[std::size_t(k)] * (v - mean[std::size_t(k)]) /
                  std::sqrt(var[std::size_t(k)] + 1e-3) +
              beta[std::size_t(k)];
        }
    const tensor64 got = conv_fp64(sh, in, to_double(f.weights), to_double(f.bias));
    CHECK(max_abs_diff(got, want) < 1e-5);
  }
  REQUIRE_DLAS_ERROR(fold_batch_norm(4, w, {}, {gamma, beta, mean, std::span(var).first(3), 1e-5}),
                     errc::mismatched_buffer, "running_var has 3 values, expected 4");
  std::vector<float> negative(4, -1.0f);
  REQUIRE_DLAS_ERROR(fold_batch_norm(4, w, {}, {gamma, beta, mean, negative, 1e-5}),
                     errc::invalid_argument, "running_var[0] + eps");
}

TEST_CASE("pooling output sizes follow PyTorch, ceil mode included", "[graph][pooling]") {
  static_assert(pooled_size(112, 3, 2, 1, false) == 56);
  static_assert(pooled_size(6, 3, 2, 0, false) == 2 && pooled_size(6, 3, 2, 0, true) == 3);
  // The last window would start in the padding: PyTorch drops it.
  static_assert(pooled_size(5, 2, 2, 1, true) == 3 && pooled_size(5, 2, 2, 1, false) == 3);
  static_assert(pooled_size(7, 2, 2, 0, true) == 4 && pooled_size(7, 2, 2, 0, false) == 3);
  for (index_t in = 1; in <= 13; ++in)
    for (index_t k = 1; k <= 4; ++k)
      for (index_t s = 1; s <= 3; ++s)
        for (index_t p = 0; 2 * p <= k; ++p)
          for (bool ceil : {false, true})
            if (in + 2 * p >= k)
              CHECK(pooled_size(in, k, s, p, ceil) == ref_pool_out(in, k, s, p, ceil));
  REQUIRE_DLAS_ERROR(
      (pool_params{.kernel_h = 2, .kernel_w = 2, .pad_h = 2}.validate({1, 1, 5, 5}, "pool")),
      errc::invalid_argument, "at most half the kernel");
}

TEMPLATE_TEST_CASE("max and average pooling on odd shapes", "[graph][pooling]", layout::nchw,
                   layout::nhwc) {
  using L = TestType;
  int seed = 20;
  for (const tensor_dims d :
       {tensor_dims{2, 3, 7, 5}, tensor_dims{1, 4, 6, 9}, tensor_dims{2, 2, 3, 3}})
    for (index_t k : {2, 3})
      for (index_t s : {1, 2, 3})
        for (index_t p = 0; 2 * p <= k; ++p)
          for (bool ceil : {false, true})
            for (bool include_pad : {false, true}) {
              const pool_params pp{.kernel_h = k,
                                   .kernel_w = k == 3 ? 2 : 3,
                                   .stride_h = s,
                                   .stride_w = s == 1 ? 2 : s,
                                   .pad_h = p,
                                   .pad_w = std::min<index_t>(p, 1),
                                   .ceil_mode = ceil,
                                   .count_include_pad = include_pad};
              if (d.h + 2 * pp.pad_h < pp.kernel_h || d.w + 2 * pp.pad_w < pp.kernel_w) continue;
              CAPTURE(to_string(d), k, s, p, ceil, include_pad);
              const auto x = random_floats(std::size_t(d.elements()), std::uint32_t(++seed));
              const auto in = from_values<float, L>(d, x);
              tensor<float, L> mx(pp.output_dims(d)), av(pp.output_dims(d));
              max_pool<float, L>(in.view(), mx.view(), pp);
              avg_pool<float, L>(in.view(), av.view(), pp);
              const tensor64 x64 = to_tensor64(d, x);
              CHECK(max_relative_error(mx.cview(), ref_pool(x64, pp, true)) == 0.0);
              CHECK(max_relative_error(av.cview(), ref_pool(x64, pp, false)) < 1e-6);
              // 8-bit codes: max pools the codes exactly; average rounds to the nearest code.
              const quant_params q{2.0f / 255.0f, 128};
              tensor<std::uint8_t, L> qin(d), qmx(pp.output_dims(d)), qav(pp.output_dims(d));
              convert(cref(in.view()), ref(qin.view(), q));
              max_pool<std::uint8_t, L>(qin.view(), qmx.view(), pp);
              avg_pool<std::uint8_t, L>(qin.view(), qav.view(), pp, q.zero_point);
              tensor<float, L> deq(d), dmx(pp.output_dims(d)), dav(pp.output_dims(d));
              convert(cref(qin.view(), q), ref(deq.view()));
              convert(cref(qmx.view(), q), ref(dmx.view()));
              convert(cref(qav.view(), q), ref(dav.view()));
              const tensor64 d64 = to_fp64(deq.cview());
              CHECK(max_relative_error(dmx.cview(), ref_pool(d64, pp, true)) == 0.0);
              const tensor64 avg_want = ref_pool(d64, pp, false);
              const tensor64 got = to_fp64(dav.cview());
              double worst = 0;
              for (std::size_t i = 0; i < got.v.size(); ++i)
                worst = std::max(worst, std::fabs(got.v[i] - avg_want.v[i]));
              CHECK(worst <= q.scale * 0.5 + 1e-6);
            }
}

TEMPLATE_TEST_CASE("adaptive and global average pooling", "[graph][pooling]", layout::nchw,
                   layout::nhwc) {
  using L = TestType;
  const tensor_dims d{2, 5, 5, 7};
  const auto x = random_floats(std::size_t(d.elements()), 31);
  const auto in = from_values<float, L>(d, x);
  const tensor64 x64 = to_tensor64(d, x);
  for (const auto& [oh, ow] : {std::pair<index_t, index_t>{3, 2}, {1, 1}, {7, 7}, {5, 7}, {2, 4}}) {
    CAPTURE(oh, ow);
    tensor<float, L> out({d.n, d.c, oh, ow});
    adaptive_avg_pool<float, L>(in.view(), out.view());
    CHECK(max_relative_error(out.cview(), ref_adaptive_avg(x64, oh, ow)) < 1e-6);
  }
  tensor<float, L> g({d.n, d.c, 1, 1}), a({d.n, d.c, 1, 1});
  global_avg_pool<float, L>(in.view(), g.view());
  adaptive_avg_pool<float, L>(in.view(), a.view());
  CHECK(std::equal(g.span().begin(), g.span().end(), a.span().begin()));  // bitwise
  // A 1x1 input replicated to 7x7, as VGG's avgpool does for small images.
  tensor<float, L> one({1, 2, 1, 1}), seven({1, 2, 7, 7});
  one.data()[0] = 1.5f;
  one.data()[1] = -2.0f;
  adaptive_avg_pool<float, L>(one.view(), seven.view());
  CHECK(seven.view()(0, 0, 6, 3) == 1.5f);
  CHECK(seven.view()(0, 1, 0, 0) == -2.0f);
}

TEMPLATE_TEST_CASE("add, activation, concat and softmax", "[graph][elementwise]", layout::nchw,
                   layout::nhwc) {
  using L = TestType;
  const tensor_dims d{2, 3, 4, 5};
  const auto a = random_floats(std::size_t(d.elements()), 41, -8, 8),
             b = random_floats(std::size_t(d.elements()), 42);
  const auto ta = from_values<float, L>(d, a), tb = from_values<float, L>(d, b);
  tensor<float, L> sum(d), r6(d);
  add<float, L>(ta.view(), tb.view(), sum.view(), activation::relu);
  activate<float, L>(ta.view(), r6.view(), activation::relu6);
  for (index_t n = 0; n < d.n; ++n)
    for (index_t c = 0; c < d.c; ++c)
      for (index_t y = 0; y < d.h; ++y)
        for (index_t x = 0; x < d.w; ++x) {
          const std::size_t i = std::size_t(((n * d.c + c) * d.h + y) * d.w + x);
          CHECK(sum.view()(n, c, y, x) == std::max(0.0f, a[i] + b[i]));
          CHECK(r6.view()(n, c, y, x) == std::clamp(a[i], 0.0f, 6.0f));
        }
  // Concatenation along channels: torch.cat((a, b, a), dim=1).
  tensor<float, L> cat({d.n, 3 * d.c, d.h, d.w});
  const std::vector<tensor_view<const float, L>> parts{ta.view(), tb.view(), ta.view()};
  concat<float, L>(parts, cat.view());
  CHECK(cat.view()(1, 4, 2, 3) == tb.view()(1, 1, 2, 3));
  CHECK(cat.view()(0, 8, 3, 4) == ta.view()(0, 2, 3, 4));
  REQUIRE_DLAS_ERROR(concat_dims(std::vector<tensor_dims>{{1, 2, 3, 3}, {1, 2, 4, 3}}),
                     errc::mismatched_buffer, "concat: input 1x2x4x3 differs");
  // Softmax over channels sums to one and keeps the order.
  tensor<float, L> sm(d);
  softmax<L>(ta.view(), sm.view());
  double total = 0;
  for (index_t c = 0; c < d.c; ++c) total += sm.view()(1, c, 2, 2);
  CHECK(total == Approx(1.0).epsilon(1e-6));
  CHECK((sm.view()(1, 0, 2, 2) < sm.view()(1, 1, 2, 2)) ==
        (ta.view()(1, 0, 2, 2) < ta.view()(1, 1, 2, 2)));
}

TEMPLATE_TEST_CASE("convert: fp32 to 8-bit codes is optimize::quantize bit for bit", "[graph][convert]",
                   layout::nchw, layout::nhwc) {
  using L = TestType;
  // Steps of half a code: every other value is a tie (round half to even); the values run
  // below code 0 and, with the infinities, above 255; rows of 19 (NCHW) and 95 (NHWC) values
  // leave a tail after any SIMD width.
  const tensor_dims d{2, 5, 2, 19};
  std::vector<float> x(std::size_t(d.elements()));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * (float(i) - 100.0f);
  x[5] = std::numeric_limits<float>::quiet_NaN();
  x[6] = std::numeric_limits<float>::infinity();
  x[7] = -std::numeric_limits<float>::infinity();
  x[8] = 1e30f;
  const quant_params q{0.5f, 3};
  const auto in = from_values<float, L>(d, x);
  tensor<std::uint8_t, L> codes(d);
  convert(cref(in.view()), ref(codes.view(), q));
  for (index_t i = 0; i < d.elements(); ++i) {
    CAPTURE(i, in.data()[i]);
    CHECK(int(codes.data()[i]) == int(optimize::quantize<std::uint8_t>(in.data()[i], q)));
  }
}

TEST_CASE("convert: casts and reorders between precisions and layouts", "[graph][convert]") {
  const tensor_dims d{2, 5, 3, 4};
  const auto x = random_floats(std::size_t(d.elements()), 51, -3, 3);
  const auto nchw = from_values<float, layout::nchw>(d, x);
  // Reorders are exact, both ways.
  tensor<float, layout::nhwc> nhwc(d);
  tensor<float, layout::nchw> back(d);
  convert(cref(nchw.view()), ref(nhwc.view()));
  convert(cref(nhwc.view()), ref(back.view()));
  CHECK(std::equal(back.span().begin(), back.span().end(), nchw.span().begin()));
  CHECK(nhwc.view()(1, 3, 2, 1) == nchw.view()(1, 3, 2, 1));
  // fp16: round to nearest even, then exact back.
  tensor<half, layout::nhwc> h(d);
  convert(cref(nchw.view()), ref(h.view()));
  convert(cref(h.view()), ref(back.view()));
  for (index_t i = 0; i < d.elements(); ++i)
    CHECK(std::fabs(back.data()[i] - nchw.data()[i]) <= std::fabs(nchw.data()[i]) * 0x1p-11f);
  // 8-bit: within half a step, and a reorder of codes keeps them.
  const quant_params q{6.0f / 255.0f, 128};
  tensor<std::uint8_t, layout::nchw> codes(d);
  tensor<std::uint8_t, layout::nhwc> codes2(d);
  convert(cref(nchw.view()), ref(codes.view(), q));
  convert(cref(codes.view(), q), ref(codes2.view(), q));
  convert(cref(codes2.view(), q), ref(back.view()));
  for (index_t i = 0; i < d.elements(); ++i)
    CHECK(std::fabs(back.data()[i] - nchw.data()[i]) <= q.scale * 0.5f + 1e-6f);
  CHECK(codes2.view()(1, 2, 0, 3) == codes.view()(1, 2, 0, 3));
  REQUIRE_DLAS_ERROR(
      convert(cref(nchw.view()), ref(tensor<float, layout::nchw>({1, 5, 3, 4}).view())),
      errc::mismatched_buffer, "have different dims");
  REQUIRE_DLAS_ERROR(convert(cref(nchw.view()), ref(codes.view(), quant_params{0.0f, 0})),
                     errc::invalid_argument, "convert destination quant.scale");
}
