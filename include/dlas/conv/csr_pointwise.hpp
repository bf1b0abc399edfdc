// SPDX-License-Identifier: Apache-2.0
/// \file csr_pointwise.hpp
/// \brief algo::pointwise with CSR weights in fp32, NCHW and NHWC, on the SpMM microkernels.
#pragma once

#include "dlas/conv/detail/csr_conv.hpp"

namespace dlas::conv {

/// fp32 CSR, NCHW and NHWC; see detail::csr_conv for the sources and blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::csr, algo::pointwise>
    : public detail::csr_conv<Layout, algo::pointwise> {
 public:
  using detail::csr_conv<Layout, algo::pointwise>::csr_conv;
};

}  // namespace dlas::conv
