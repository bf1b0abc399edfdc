// SPDX-License-Identifier: Apache-2.0
/// \file csr_pointwise.hpp
/// \brief algo::pointwise with CSR weights in fp32, fp16 and int8, NCHW and NHWC, on the
/// SpMM microkernels.
#pragma once

#include "dlas/config.hpp"
#include "dlas/conv/detail/csr_conv.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// CSR in every precision, NCHW and NHWC; see detail::csr_conv for the sources, blocking
/// and the fp16 and int8 arithmetic.
template <layout_policy Layout, precision_policy Precision>
class algorithm_impl<Layout, Precision, sparsity::csr, algo::pointwise>
    : public detail::csr_conv<Layout, algo::pointwise, Precision> {
 public:
  using detail::csr_conv<Layout, algo::pointwise, Precision>::csr_conv;
};

}  // namespace dlas::conv
