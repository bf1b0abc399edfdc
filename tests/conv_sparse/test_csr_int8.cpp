// SPDX-License-Identifier: Apache-2.0
// int8 CSR (int8 values, uint8 or int8 codes, exact int32 sums), every CSR algorithm and automatic, one
// layout per program (DLAS_TEST_LAYOUT): byte for byte equal to the dense int8 reference and the int32 oracle on
// the same pruned weights for every sparsity pattern and epilogue, thread independence,
// exact footprint with 1-byte values; rows longer than one exact fp32 run.
#include "conv_sparse/check_reduced.hpp"

using namespace dlas;
using namespace dlas::testing;

#ifndef DLAS_TEST_LAYOUT
#define DLAS_TEST_LAYOUT nchw
#endif
using test_layout = layout::DLAS_TEST_LAYOUT;

TEMPLATE_TEST_CASE("csr int8 is bit-exact with the dense int8 reference on the pruned weights",
                   "[conv_sparse][int8]", algo::pointwise, algo::direct, algo::im2col_gemm,
                   algo::spatial_pack, algo::automatic) {
  using conv = conv2d<test_layout, precision::int8, sparsity::csr, TestType>;
  check_reduced_shapes<conv>(sparse_shapes());
  check_reduced_thread_independence<conv>();
  check_reduced_footprint<conv>(sparse_shapes());
}

TEST_CASE("csr int8 automatic picks pointwise for 1x1 and spatial_pack otherwise", "[conv_sparse][int8]") {
  check_automatic_choice<test_layout, precision::int8>();
}

TEMPLATE_TEST_CASE("csr int8 sums rows beyond 514 non-zeros exactly", "[conv_sparse][int8]", algo::pointwise,
                   algo::direct, algo::im2col_gemm, algo::spatial_pack) {
  check_int8_long_rows<conv2d<test_layout, precision::int8, sparsity::csr, TestType>>();
}
