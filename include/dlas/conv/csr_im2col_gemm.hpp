// SPDX-License-Identifier: Apache-2.0
/// \file csr_im2col_gemm.hpp
/// \brief algo::im2col_gemm with CSR weights in fp32, fp16 and int8, NCHW and NHWC, on the
/// SpMM microkernels.
#pragma once

#include "dlas/config.hpp"
#include "dlas/conv/detail/csr_conv.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// CSR in every precision, NCHW and NHWC; see detail::csr_conv for the sources, blocking
/// and the fp16 and int8 arithmetic.
template <layout_policy Layout, precision_policy Precision>
class algorithm_impl<Layout, Precision, sparsity::csr, algo::im2col_gemm>
    : public detail::csr_conv<Layout, algo::im2col_gemm, Precision> {
 public:
  using detail::csr_conv<Layout, algo::im2col_gemm, Precision>::csr_conv;
};

}  // namespace dlas::conv
