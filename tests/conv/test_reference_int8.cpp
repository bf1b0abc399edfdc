// SPDX-License-Identifier: Apache-2.0
// algo::reference in int8: exact against the int32 oracle on the same quantised data.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>

#include "dlas/conv2d.hpp"
#include "reference/conv_int8.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

template <class L, class S, class In, class Out>
void check_int8(const conv2d_shape& sh, std::uint32_t seed, int act, bool adversarial) {
  std::mt19937 gen(seed);
  const std::int32_t in_zero = std::int32_t(gen() % 256) + std::numeric_limits<In>::min();
  const quant_params in_q{0.02f, in_zero};
  // Adversarial: every input code at its maximum against weights at +-127.
  auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1, adversarial ? 0.0 : 0.4);
  if (adversarial)
    for (float& v : w) v = v < 0 ? -1.0f : 1.0f;
  const auto b = random_floats(std::size_t(sh.k), seed + 7, -3, 3);
  std::vector<float> codes(std::size_t(sh.input_dims().elements()));
  for (float& c : codes)
    c = adversarial ? float(std::numeric_limits<In>::max())
                    : float(std::int32_t(gen() % 256) + std::int32_t(std::numeric_limits<In>::min()));

  conv2d_options opt;
  opt.act = to_activation(act);
  opt.input_quant = in_q;
  if constexpr (!std::is_same_v<Out, float>)
    opt.output_quant = quant_params{0.05f, std::is_same_v<Out, std::uint8_t> ? 37 : -5};
  conv2d<L, precision::int8, S, algo::reference> conv(sh, w, b, opt);
  auto in = from_values<In, L>(sh.input_dims(), codes);
  tensor<Out, L> out(sh.output_dims());
  conv(in.cview(), out.view());

  // The kernel's scales follow the documented rule.
  const auto oracle_weights = quantize_weights_oracle(w, sh.k);
  for (index_t k = 0; k < sh.k; ++k)
    REQUIRE(conv.weights().weight_scales()[std::size_t(k)] == oracle_weights.scales[std::size_t(k)]);
  const tensor64 want = conv_int8_oracle<Out>(sh, to_fp64(in.cview()), w, b, in_q, opt.output_quant, act);
  const tensor64 got = to_fp64(out.cview());
  for (std::size_t i = 0; i < want.v.size(); ++i) {
    INFO("element " << i);
    REQUIRE(got.v[i] == want.v[i]);
  }
}

}  // namespace

TEMPLATE_PRODUCT_TEST_CASE("reference int8 equals the int32 reference", "[conv][reference][int8]",
                           std::pair, ((layout::nchw, sparsity::dense), (layout::nhwc, sparsity::dense),
                                       (layout::nchw, sparsity::csr), (layout::nhwc, sparsity::csr))) {
  using L = typename TestType::first_type;
  using S = typename TestType::second_type;
  std::uint32_t seed = 500;
  for (const auto& [name, sh] : curated_shapes()) {
    for (int act = 0; act < 3; ++act) {
      CAPTURE(name, act, to_string(sh));
      ++seed;
      check_int8<L, S, std::uint8_t, std::uint8_t>(sh, seed, act, false);
      check_int8<L, S, std::uint8_t, float>(sh, seed, act, false);
      check_int8<L, S, std::int8_t, std::int8_t>(sh, seed, act, false);
      check_int8<L, S, std::uint8_t, std::uint8_t>(sh, seed, act, true);
      check_int8<L, S, std::int8_t, float>(sh, seed, act, true);
    }
  }
}
