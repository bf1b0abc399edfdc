// SPDX-License-Identifier: Apache-2.0
// footprint(): a constant expression, and exactly the bytes the object allocates.
#include <catch2/catch.hpp>

#include "dlas/conv2d.hpp"
#include "reference/counting_resource.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {
constexpr conv2d_shape resnet_3x3{.n = 1, .c = 64, .h = 56, .w = 56, .k = 64, .r = 3, .s = 3,
                                  .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1};
}  // namespace

TEST_CASE("footprint is a constant expression that composes", "[conv][footprint]") {
  using f32 = conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::reference>;
  using f16 = conv2d<layout::nhwc, precision::fp16, sparsity::dense, algo::reference>;
  using s8 = conv2d<layout::nhwc, precision::int8, sparsity::dense, algo::reference>;
  constexpr footprint a = f32::footprint_of(resnet_3x3);
  constexpr footprint h = f16::footprint_of(resnet_3x3);
  constexpr footprint q = s8::footprint_of(resnet_3x3);
  static_assert(a.weights == (64 * 64 * 9 + 64) * 4);
  static_assert(a.input == 56 * 56 * 64 * 4 && a.output == 56 * 56 * 64 * 4);
  static_assert(h.input * 2 == a.input && h.output * 2 == a.output);
  static_assert(h.weights == 64 * 64 * 9 * 2 + 64 * 4);
  static_assert(q.weights == 64 * 64 * 9 + 64 * 20 && q.input == 56 * 56 * 64);
  constexpr footprint two = a + a;
  static_assert(two.total() == 2 * a.total());
  static_assert(merge(a, h) == a && merge(footprint{}, h) == h);
  // CSR: values, narrowest column index (576 columns -> 2 bytes), row pointers, padding.
  using c32 = conv2d<layout::nchw, precision::fp32, sparsity::csr, algo::reference>;
  constexpr index_t nnz = 64 * 64 * 9 / 10;
  static_assert(c32::footprint_of(resnet_3x3, nnz).weights ==
                nnz * 4 + 64 + nnz * 2 + 64 + 65 * 4 + 64 * 4);
  SUCCEED();
}

TEMPLATE_PRODUCT_TEST_CASE("footprint().weights equals the bytes allocated", "[conv][footprint]",
                           std::tuple,
                           ((layout::nchw, precision::fp32, sparsity::dense),
                            (layout::nhwc, precision::fp16, sparsity::dense),
                            (layout::nchw, precision::int8, sparsity::dense),
                            (layout::nhwc, precision::fp32, sparsity::csr),
                            (layout::nchw, precision::fp16, sparsity::csr),
                            (layout::nhwc, precision::int8, sparsity::csr))) {
  using L = std::tuple_element_t<0, TestType>;
  using P = std::tuple_element_t<1, TestType>;
  using S = std::tuple_element_t<2, TestType>;
  for (const auto& [name, sh] : curated_shapes()) {
    CAPTURE(name);
    const auto w = random_floats(std::size_t(sh.weight_elements()), 3, -1, 1, 0.7);
    counting_resource counter;
    {
      scoped_default_resource scope(&counter);
      conv2d_options opt;
      opt.output_quant = quant_params{0.1f, 0};  // int8: 8-bit output, as footprint_of assumes
      conv2d<L, P, S, algo::reference> conv(sh, w, {}, opt);
      const footprint f = conv.footprint();
      CHECK(index_t(counter.live) == f.weights);
      CHECK(f == conv2d<L, P, S, algo::reference>::footprint_of(sh, conv.weights().nnz()));
      if constexpr (S::compressed) CHECK(conv.weights().nnz() < sh.weight_elements());
    }
    CHECK(counter.live == 0);
  }
}
