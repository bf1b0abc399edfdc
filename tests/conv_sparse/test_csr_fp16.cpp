// SPDX-License-Identifier: Apache-2.0
// fp16 CSR (half values and activations, fp32 sums), every CSR algorithm and automatic, one
// layout per program (DLAS_TEST_LAYOUT): within the dense fp16 bound of the fp64 oracle on
// the same pruned weights for every sparsity pattern and epilogue, thread independence,
// exact footprint with 2-byte values.
#include "conv_sparse/check_reduced.hpp"

using namespace dlas;
using namespace dlas::testing;

#ifndef DLAS_TEST_LAYOUT
#define DLAS_TEST_LAYOUT nchw
#endif
using test_layout = layout::DLAS_TEST_LAYOUT;

TEMPLATE_TEST_CASE("csr fp16 stays within the fp16 bound of the oracle on the pruned weights",
                   "[conv_sparse][fp16]", algo::pointwise, algo::direct, algo::im2col_gemm,
                   algo::spatial_pack, algo::automatic) {
  using conv = conv2d<test_layout, precision::fp16, sparsity::csr, TestType>;
  check_reduced_shapes<conv>(sparse_shapes());
  check_reduced_thread_independence<conv>();
  check_reduced_footprint<conv>(sparse_shapes());
}

TEST_CASE("csr fp16 automatic picks pointwise for 1x1 and spatial_pack otherwise", "[conv_sparse][fp16]") {
  check_automatic_choice<test_layout, precision::fp16>();
}
