// SPDX-License-Identifier: Apache-2.0
/// \file pointwise.hpp
/// \brief algo::pointwise in fp32: 1x1 convolutions as a GEMM over the activations, no im2col.
#pragma once

#include "dlas/conv/detail/gemm_conv_impl.hpp"

namespace dlas::conv {

/// fp32 dense, NCHW and NHWC; see detail::gemm_conv for the blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::pointwise>
    : public detail::gemm_conv<Layout, algo::pointwise> {
 public:
  using detail::gemm_conv<Layout, algo::pointwise>::gemm_conv;
};

}  // namespace dlas::conv
