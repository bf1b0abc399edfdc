// SPDX-License-Identifier: Apache-2.0
// algo::im2col_gemm with CSR fp32 weights, both layouts: oracle on every sparsity pattern and
// epilogue, thread independence, exact footprint.
#include "conv_sparse/check.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_TEST_CASE("csr im2col_gemm fp32 matches the dense oracle on the pruned weights",
                   "[conv_sparse][im2col_gemm]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::csr, algo::im2col_gemm>;
  check_all<conv>(sparse_shapes());
}
