// SPDX-License-Identifier: Apache-2.0
/// \file direct.hpp
/// \brief algo::direct in fp32: GEMM tiles blocked over output pixels and channels that read the input per kernel tap; weights prepacked, no im2col buffer.
#pragma once

#include "dlas/conv/detail/gemm_conv_impl.hpp"

namespace dlas::conv {

/// fp32 dense, NCHW and NHWC; see detail::gemm_conv for the blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::direct>
    : public detail::gemm_conv<Layout, algo::direct> {
 public:
  using detail::gemm_conv<Layout, algo::direct>::gemm_conv;
};

}  // namespace dlas::conv
