// SPDX-License-Identifier: Apache-2.0
// algo::reference in fp32, both layouts, dense and CSR, against the fp64 oracle.
#include <catch2/catch.hpp>

#include "dlas/conv2d.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_PRODUCT_TEST_CASE("reference fp32 matches the fp64 oracle", "[conv][reference][fp32]",
                           std::pair, ((layout::nchw, sparsity::dense), (layout::nhwc, sparsity::dense),
                                       (layout::nchw, sparsity::csr), (layout::nhwc, sparsity::csr))) {
  using L = typename TestType::first_type;
  using S = typename TestType::second_type;
  std::uint32_t seed = 1;
  for (const auto& [name, sh] : curated_shapes()) {
    for (int act = 0; act < 3; ++act) {
      for (bool residual : {false, true}) {
        CAPTURE(name, act, residual, to_string(sh));
        ++seed;
        // Half the weights zero so CSR has real structure (empty rows included for small c).
        const auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1, 0.5);
        const auto b = random_floats(std::size_t(sh.k), seed + 1000);
        const auto x = random_floats(std::size_t(sh.input_dims().elements()), seed + 2000, -2, 2);
        const auto res = random_floats(std::size_t(sh.output_dims().elements()), seed + 3000);
        conv2d_options opt;
        opt.act = to_activation(act);
        conv2d<L, precision::fp32, S, algo::reference> conv(sh, w, b, opt);
        auto in = from_values<float, L>(sh.input_dims(), x);
        auto rt = from_values<float, L>(sh.output_dims(), res);
        tensor<float, L> out(sh.output_dims());
        if (residual) conv(in.cview(), out.view(), rt.cview());
        else conv(in.cview(), out.view());

        const auto rview = rt.cview();
        const tensor64 want = expected_output(sh, in.cview(), w, b, residual ? &rview : nullptr, act);
        REQUIRE(relative_l2_error(out.cview(), want) <= 1e-5);
      }
    }
  }
}
