// SPDX-License-Identifier: Apache-2.0
/// \file im2col_gemm.hpp
/// \brief algo::im2col_gemm in fp32: the im2col matrix of each image and group, then the packed GEMM.
#pragma once

#include "dlas/conv/detail/gemm_conv_impl.hpp"

namespace dlas::conv {

/// fp32 dense, NCHW and NHWC; see detail::gemm_conv for the blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::im2col_gemm>
    : public detail::gemm_conv<Layout, algo::im2col_gemm> {
 public:
  using detail::gemm_conv<Layout, algo::im2col_gemm>::gemm_conv;
};

}  // namespace dlas::conv
