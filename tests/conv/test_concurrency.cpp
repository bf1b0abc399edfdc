// SPDX-License-Identifier: Apache-2.0
// A const conv2d may be called from several threads at once: calls share the packed weights
// read-only and allocate their own workspace. Run under ThreadSanitizer in CI.
#include <catch2/catch.hpp>

#include <thread>

#include "dlas/conv2d.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_TEST_CASE("concurrent calls on one kernel give the sequential results", "[conv][threads]",
                   algo::reference, algo::direct, algo::im2col_gemm, algo::spatial_pack,
                   algo::pointwise, algo::depthwise, algo::winograd, algo::automatic) {
  using L = layout::nhwc;
  if constexpr (conv::has_kernel<L, precision::fp32, sparsity::dense, TestType>) {
    using conv_t = conv2d<L, precision::fp32, sparsity::dense, TestType>;
    for (const auto& [name, sh] : curated_shapes()) {
      if (!conv_t::can_implement(sh).ok()) continue;
      CAPTURE(name);
      const conv_t conv(sh, random_floats(std::size_t(sh.weight_elements()), 1),
                        random_floats(std::size_t(sh.k), 2), {.act = activation::relu});
      constexpr int threads = 4;
      std::vector<tensor<float, L>> in, seq, par;
      for (int t = 0; t < threads; ++t) {
        in.push_back(from_values<float, L>(sh.input_dims(),
                                           random_floats(std::size_t(sh.input_dims().elements()), 10 + t)));
        seq.emplace_back(sh.output_dims());
        par.emplace_back(sh.output_dims());
        conv(in.back().cview(), seq.back().view());
      }
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t)
        pool.emplace_back([&, t] {
          for (int rep = 0; rep < 3; ++rep) conv(in[std::size_t(t)].cview(), par[std::size_t(t)].view());
        });
      for (auto& th : pool) th.join();
      for (int t = 0; t < threads; ++t)
        CHECK(std::equal(seq[std::size_t(t)].span().begin(), seq[std::size_t(t)].span().end(),
                         par[std::size_t(t)].span().begin()));
    }
  } else {
    WARN("no fp32 nhwc kernel for " << TestType::name << " yet");
  }
}
