// SPDX-License-Identifier: Apache-2.0
/// \file direct.hpp
/// \brief algo::direct in fp32, fp16 and int8: GEMM tiles blocked over output pixels and channels that read the input per kernel tap; weights prepacked, no im2col buffer.
#pragma once

#include "dlas/config.hpp"
#include "dlas/conv/detail/gemm_conv_impl.hpp"
#include "dlas/conv/detail/int8_gemm_conv.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// fp32 dense, NCHW and NHWC; see detail::gemm_conv for the blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::direct>
    : public detail::gemm_conv<Layout, algo::direct, float> {
 public:
  using detail::gemm_conv<Layout, algo::direct, float>::gemm_conv;
};

/// fp16 dense (half storage, fp32 arithmetic), NCHW and NHWC: the same kernel at T = half.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp16, sparsity::dense, algo::direct>
    : public detail::gemm_conv<Layout, algo::direct, half> {
 public:
  using detail::gemm_conv<Layout, algo::direct, half>::gemm_conv;
};

/// int8 dense (uint8/int8 codes, int8 weights, exact int32 sums), NCHW and NHWC; see
/// detail::int8_gemm_conv.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::int8, sparsity::dense, algo::direct>
    : public detail::int8_gemm_conv<Layout, algo::direct> {
 public:
  using detail::int8_gemm_conv<Layout, algo::direct>::int8_gemm_conv;
};

}  // namespace dlas::conv
