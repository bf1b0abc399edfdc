// SPDX-License-Identifier: Apache-2.0
/// \file pointwise.hpp
/// \brief algo::pointwise in fp32, fp16 and int8: 1x1 convolutions as a GEMM over the activations, no im2col.
#pragma once

#include "dlas/config.hpp"
#include "dlas/conv/detail/gemm_conv_impl.hpp"
#include "dlas/conv/detail/int8_gemm_conv.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// fp32 dense, NCHW and NHWC; see detail::gemm_conv for the blocking.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::pointwise>
    : public detail::gemm_conv<Layout, algo::pointwise, float> {
 public:
  using detail::gemm_conv<Layout, algo::pointwise, float>::gemm_conv;
};

/// fp16 dense (half storage, fp32 arithmetic), NCHW and NHWC: the same kernel at T = half.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp16, sparsity::dense, algo::pointwise>
    : public detail::gemm_conv<Layout, algo::pointwise, half> {
 public:
  using detail::gemm_conv<Layout, algo::pointwise, half>::gemm_conv;
};

/// int8 dense (uint8/int8 codes, int8 weights, exact int32 sums), NCHW and NHWC; see
/// detail::int8_gemm_conv.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::int8, sparsity::dense, algo::pointwise>
    : public detail::int8_gemm_conv<Layout, algo::pointwise> {
 public:
  using detail::int8_gemm_conv<Layout, algo::pointwise>::int8_gemm_conv;
};

}  // namespace dlas::conv
