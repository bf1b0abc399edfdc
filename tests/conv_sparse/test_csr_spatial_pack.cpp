// SPDX-License-Identifier: Apache-2.0
// algo::spatial_pack with CSR fp32 weights, both layouts: oracle on every sparsity pattern and
// epilogue, thread independence, exact footprint.
#include "conv_sparse/check.hpp"

using namespace dlas;
using namespace dlas::testing;

TEMPLATE_TEST_CASE("csr spatial_pack fp32 matches the dense oracle on the pruned weights",
                   "[conv_sparse][spatial_pack]", layout::nchw, layout::nhwc) {
  using conv = conv2d<TestType, precision::fp32, sparsity::csr, algo::spatial_pack>;
  check_all<conv>(sparse_shapes());
}
