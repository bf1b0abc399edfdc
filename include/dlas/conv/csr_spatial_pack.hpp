// SPDX-License-Identifier: Apache-2.0
/// \file csr_spatial_pack.hpp
/// \brief algo::spatial_pack with CSR weights in fp32, NCHW and NHWC, on the SpMM microkernels.
#pragma once

#include "dlas/conv/detail/csr_conv.hpp"

namespace dlas::conv {

/// fp32 CSR, NCHW and NHWC; see detail::csr_conv for the sources and blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::csr, algo::spatial_pack>
    : public detail::csr_conv<Layout, algo::spatial_pack> {
 public:
  using detail::csr_conv<Layout, algo::spatial_pack>::csr_conv;
};

}  // namespace dlas::conv
