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
        const auto r = oracle_run<conv2d<L, precision::fp32, S, algo::reference>>(sh, w, act, residual, seed);
        REQUIRE(relative_l2_error(r.got.cview(), r.want) <= 1e-5);
      }
    }
  }
}
