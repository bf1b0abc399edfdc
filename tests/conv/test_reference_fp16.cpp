// SPDX-License-Identifier: Apache-2.0
// algo::reference in fp16 (half storage, fp32 accumulation) against the fp64 oracle.
//
// The oracle convolves the half-rounded inputs and weights exactly; reference/fp16_bound.hpp
// states the remaining error (fp32 accumulation and the final rounding to half).
#include <catch2/catch.hpp>

#include <cmath>

#include "dlas/conv2d.hpp"
#include "reference/data.hpp"
#include "reference/fp16_bound.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_PRODUCT_TEST_CASE("reference fp16 stays within the derived bound of the oracle",
                           "[conv][reference][fp16]", std::pair,
                           ((layout::nchw, sparsity::dense), (layout::nhwc, sparsity::dense),
                            (layout::nchw, sparsity::csr), (layout::nhwc, sparsity::csr))) {
  using L = typename TestType::first_type;
  using S = typename TestType::second_type;
  std::uint32_t seed = 100;
  for (const auto& [name, sh] : curated_shapes()) {
    for (int act = 0; act < 3; ++act) {
      for (bool residual : {false, true}) {
        CAPTURE(name, act, residual, to_string(sh));
        ++seed;
        auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1, 0.5);
        auto b = random_floats(std::size_t(sh.k), seed + 1000);
        const auto x = random_floats(std::size_t(sh.input_dims().elements()), seed + 2000, -2, 2);
        const auto res = random_floats(std::size_t(sh.output_dims().elements()), seed + 3000);
        conv2d_options opt;
        opt.act = to_activation(act);
        conv2d<L, precision::fp16, S, algo::reference> conv(sh, w, b, opt);
        auto in = from_values<half, L>(sh.input_dims(), x);
        auto rt = from_values<half, L>(sh.output_dims(), res);
        tensor<half, L> out(sh.output_dims());
        if (residual) conv(in.cview(), out.view(), rt.cview());
        else conv(in.cview(), out.view());

        // The oracle sees exactly the half values the kernel sees.
        for (float& v : w) v = float(half(v));
        tensor64 mag;
        tensor64 want = conv_fp64(sh, to_fp64(in.cview()), to_double(w), to_double(b), &mag);
        const tensor64 r64 = to_fp64(rt.cview());
        const double taps = double(sh.c_per_group() * sh.r * sh.s);
        for (std::size_t i = 0; i < want.v.size(); ++i) {
          const index_t k = index_t(i / std::size_t(want.h * want.w)) % sh.k;
          mag.v[i] += std::fabs(b[std::size_t(k)]) + (residual ? std::fabs(r64.v[i]) : 0.0);
          if (residual) want.v[i] += r64.v[i];
        }
        activate(want, act);
        const auto o = to_fp64(out.cview());
        for (std::size_t i = 0; i < want.v.size(); ++i) {
          const double bound = fp16_error_bound(taps, mag.v[i], want.v[i]);
          INFO("element " << i << " got " << o.v[i] << " want " << want.v[i]);
          REQUIRE(std::fabs(o.v[i] - want.v[i]) <= bound);
        }
      }
    }
  }
}
