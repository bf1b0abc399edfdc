// SPDX-License-Identifier: Apache-2.0
// CSR kernels across algorithms: block detection, pruning feeding the kernels, constexpr
// footprint, refusals, microkernel names, algo::automatic.
#include "conv_sparse/check_reduced.hpp"
#include "dlas/kernel/spmm.hpp"
#include "dlas/optimize/prune.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

template <class L, class A>
using impl = conv::algorithm_impl<L, precision::fp32, sparsity::csr, A>;
using csr_weights = conv::conv_weights<precision::fp32, sparsity::csr>;

// The footprint is a constant expression of the shape and the non-zero count.
constexpr conv2d_shape resnet_1x1 = [] {
  conv2d_shape s;
  s.c = 256; s.h = 14; s.w = 14; s.k = 1024;
  return s;
}();
using nchw_pw = conv2d<layout::nchw, precision::fp32, sparsity::csr, algo::pointwise>;
static_assert(nchw_pw::footprint_of(resnet_1x1, index_t(26214)).weights ==
              (26214 * 4 + 64) + (26214 * 1 + 64) + 1025 * 4 + 1024 * 4 + 256);
static_assert(nchw_pw::footprint_of(resnet_1x1, 0.1).weights > 0);

}  // namespace

TEST_CASE("csr microkernel names follow docs/naming.md", "[conv_sparse]") {
  if (std::string(kernel::arch_name<kernel::default_arch>()) == "avx2") {
    CHECK(kernel::f32_spmm_row_tile<>::name() == "f32_spmm_32x1_avx2");
    CHECK(kernel::f32_spmm_block_tile<>::name() == "f32_spmm_16x4_avx2");
  }
  CHECK(kernel::f32_spmm_row_tile<>::available());
}

TEMPLATE_TEST_CASE("csr detects 4-row blocks with one column pattern", "[conv_sparse]", algo::pointwise,
                   algo::im2col_gemm) {
  const conv2d_shape sh = make_shape(1, 16, 6, 6, 18, 1, 1, 1, 0);
  const conv2d_options opt;
  {
    impl<layout::nchw, TestType> k(sh, csr_weights(sh, sparse_weights(sh, pattern::blocks_4x1, 1), {}, opt), opt);
    CHECK(k.block_rows() == 16);  // channels 16, 17 form no whole block
  }
  {
    impl<layout::nhwc, TestType> k(sh, csr_weights(sh, sparse_weights(sh, pattern::density_50, 1), {}, opt), opt);
    CHECK(k.block_rows() == 0);
  }
  {
    impl<layout::nchw, TestType> k(sh, csr_weights(sh, sparse_weights(sh, pattern::empty, 1), {}, opt), opt);
    CHECK(k.block_rows() == 0);  // empty rows take the single-row path
  }
  // Blocks never straddle groups: with 2 groups of 6 channels, rows 4-7 are no block.
  const conv2d_shape g = make_shape(1, 8, 5, 5, 12, 1, 1, 1, 0, 1, 2);
  impl<layout::nchw, TestType> k(g, csr_weights(g, sparse_weights(g, pattern::full, 1), {}, opt), opt);
  CHECK(k.block_rows() == 8);  // rows 0-3 in group 0, rows 8-11 in group 1
}

TEST_CASE("csr block pruning feeds the block tile and matches the oracle", "[conv_sparse]") {
  const conv2d_shape sh = make_shape(1, 32, 9, 9, 40, 1, 1, 1, 0);
  auto w = random_floats(std::size_t(sh.weight_elements()), 9, -1, 1);
  optimize::prune_blocks(w, sh.k, sh.c, {4, 1}, 0.8);
  const conv2d_options opt;
  impl<layout::nchw, algo::pointwise> k(sh, csr_weights(sh, w, {}, opt), opt);
  CHECK(k.block_rows() >= 36);  // all-zero-free blocks of four rows share their columns
  for (int act = 0; act < 3; ++act) check_against_oracle<nchw_pw>(sh, pattern::blocks_4x1, act, act == 1, 3);
}

TEST_CASE("pruning feeds the CSR kernels at the requested sparsity", "[conv_sparse]") {
  for (const auto& [shape_name, sh] : sparse_shapes()) {
    CAPTURE(shape_name);
    for (double sparsity : {0.0, 0.3, 0.5, 0.7, 0.9, 0.95, 1.0}) {
      auto w = random_floats(std::size_t(sh.weight_elements()), 21, -1, 1);
      optimize::prune_unstructured(w, sparsity);
      const auto x = random_floats(std::size_t(sh.input_dims().elements()), 22);
      conv2d<layout::nchw, precision::fp32, sparsity::csr, algo::im2col_gemm> conv(sh, w);
      const double want = (1.0 - sparsity) * double(sh.weight_elements());
      CHECK(std::abs(double(conv.footprint().weights -
                            decltype(conv)::footprint_of(sh, index_t(0)).weights) /
                     (4.0 + double(format::csr_index_width(sh.c_per_group() * sh.r * sh.s))) -
                     want) <= 1.0);
      auto in = from_values<float, layout::nchw>(sh.input_dims(), x);
      tensor<float, layout::nchw> out(sh.output_dims());
      conv(in.cview(), out.view());
      const tensor64 ref = conv_fp64(sh, to_fp64(in.cview()), to_double(w), std::vector<double>(std::size_t(sh.k)));
      CHECK(relative_l2_error(out.cview(), ref) <= 1e-5);
    }
  }
}

TEST_CASE("csr pointwise refuses kernels other than 1x1", "[conv_sparse]") {
  using conv = conv2d<layout::nchw, precision::fp32, sparsity::csr, algo::pointwise>;
  const conv2d_shape sh = make_shape(1, 8, 9, 9, 16, 3, 3, 1, 1);
  CHECK_FALSE(conv::can_implement(sh).ok());
  const std::vector<float> w(std::size_t(sh.weight_elements()), 1.0f);
  REQUIRE_DLAS_ERROR(conv(sh, w), errc::unsupported, "algo::pointwise needs a 1x1 kernel");
}

TEST_CASE("csr conv2d rejects bad weights and thresholds", "[conv_sparse]") {
  using conv = conv2d<layout::nhwc, precision::fp32, sparsity::csr, algo::direct>;
  const conv2d_shape sh = make_shape(1, 8, 9, 9, 16, 3, 3, 1, 1);
  const std::vector<float> w(std::size_t(sh.weight_elements()) - 1, 1.0f);
  REQUIRE_DLAS_ERROR(conv(sh, w), errc::mismatched_buffer, "conv2d weights");
  const std::vector<float> ok(std::size_t(sh.weight_elements()), 1.0f);
  conv2d_options opt;
  opt.prune_threshold = -1.0f;
  REQUIRE_DLAS_ERROR(conv(sh, ok, {}, opt), errc::invalid_argument, "prune_threshold");
}

TEMPLATE_TEST_CASE("csr automatic picks pointwise for 1x1, spatial_pack otherwise, and matches the oracle",
                   "[conv_sparse][automatic]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::csr, algo::automatic>;
  check_automatic_choice<TestType, precision::fp32>();
  std::vector<named_shape> shapes;
  for (const auto& ns : sparse_shapes())
    if (ns.name.rfind("random", 0) != 0) shapes.push_back(ns);
  check_shapes<conv>(shapes);
  check_footprint<conv>(shapes);
  using spatial = conv2d<TestType, precision::fp32, sparsity::csr, algo::spatial_pack>;
  const conv2d_shape kxk = make_shape(1, 8, 9, 9, 16, 3, 3, 2, 1);
  CHECK(conv::footprint_of(kxk, index_t(100)) == spatial::footprint_of(kxk, index_t(100)));
}
