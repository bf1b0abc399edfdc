// SPDX-License-Identifier: Apache-2.0
/// \file csr_im2col_gemm.hpp
/// \brief algo::im2col_gemm with CSR weights in fp32, NCHW and NHWC, on the SpMM microkernels.
#pragma once

#include "dlas/conv/detail/csr_conv.hpp"

namespace dlas::conv {

/// fp32 CSR, NCHW and NHWC; see detail::csr_conv for the sources and blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::csr, algo::im2col_gemm>
    : public detail::csr_conv<Layout, algo::im2col_gemm> {
 public:
  using detail::csr_conv<Layout, algo::im2col_gemm>::csr_conv;
};

}  // namespace dlas::conv
