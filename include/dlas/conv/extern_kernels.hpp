// SPDX-License-Identifier: Apache-2.0
/// \file extern_kernels.hpp
/// \brief Declares every conv2d kernel as compiled once elsewhere, in the dlas::kernels library.
///
/// Header-only use compiles each conv2d<L, P, S, A> in every translation unit that calls it:
/// tens of seconds per unit that uses many combinations. Targets that link dlas::kernels get
/// DLAS_EXTERN_KERNELS defined, so conv2d.hpp includes this header: its explicit instantiation
/// declarations keep them from compiling any kernel (the constructor and the call are defined
/// outside the class so that the declarations apply), and the library compiles each one once.
/// The kernels are the same code either way; only where they are compiled moves.
///
/// The lists below are also the library's own record of which combinations have a kernel;
/// the kernels library checks them against conv::has_kernel at compile time.
#pragma once

#include <cstdint>

#include "dlas/conv2d.hpp"
#include "dlas/core/half.hpp"

/// X(layout, precision, sparsity, algorithm) for each algorithm with a kernel for the
/// precision and sparsity, in layout L (both layouts have the same set).
#define DLAS_KERNELS_fp32_dense(X, L)                                                              \
  X(L, fp32, dense, reference) X(L, fp32, dense, direct) X(L, fp32, dense, im2col_gemm)            \
  X(L, fp32, dense, spatial_pack) X(L, fp32, dense, pointwise) X(L, fp32, dense, depthwise)        \
  X(L, fp32, dense, winograd) X(L, fp32, dense, automatic)
#define DLAS_KERNELS_fp16_dense(X, L)                                                              \
  X(L, fp16, dense, reference) X(L, fp16, dense, direct) X(L, fp16, dense, im2col_gemm)            \
  X(L, fp16, dense, spatial_pack) X(L, fp16, dense, pointwise) X(L, fp16, dense, depthwise)        \
  X(L, fp16, dense, winograd) X(L, fp16, dense, automatic)
#define DLAS_KERNELS_int8_dense(X, L)                                                              \
  X(L, int8, dense, reference) X(L, int8, dense, direct) X(L, int8, dense, im2col_gemm)            \
  X(L, int8, dense, spatial_pack) X(L, int8, dense, pointwise) X(L, int8, dense, depthwise)        \
  X(L, int8, dense, automatic)
#define DLAS_KERNELS_CSR(X, L, P)                                                                  \
  X(L, P, csr, reference) X(L, P, csr, direct) X(L, P, csr, im2col_gemm) X(L, P, csr, spatial_pack) \
  X(L, P, csr, pointwise) X(L, P, csr, automatic)
#define DLAS_KERNELS_fp32_csr(X, L) DLAS_KERNELS_CSR(X, L, fp32)
#define DLAS_KERNELS_fp16_csr(X, L) DLAS_KERNELS_CSR(X, L, fp16)
#define DLAS_KERNELS_int8_csr(X, L) DLAS_KERNELS_CSR(X, L, int8)

/// X(layout, precision, sparsity, algorithm) for every combination that has a kernel.
#define DLAS_KERNELS_IN_LAYOUT(X, L)                                                               \
  DLAS_KERNELS_fp32_dense(X, L) DLAS_KERNELS_fp16_dense(X, L) DLAS_KERNELS_int8_dense(X, L)        \
  DLAS_KERNELS_fp32_csr(X, L) DLAS_KERNELS_fp16_csr(X, L) DLAS_KERNELS_int8_csr(X, L)
#define DLAS_KERNELS(X) DLAS_KERNELS_IN_LAYOUT(X, nchw) DLAS_KERNELS_IN_LAYOUT(X, nhwc)

/// X(layout, precision, sparsity, algorithm, In, Out) for each element-type pair conv2d's call
/// takes at precision P: fp32 float -> float, fp16 half -> half, int8 uint8_t or int8_t codes
/// to uint8_t, int8_t or float.
#define DLAS_KERNEL_CALLS_fp32(X, L, S, A) X(L, fp32, S, A, float, float)
#define DLAS_KERNEL_CALLS_fp16(X, L, S, A) X(L, fp16, S, A, ::dlas::half, ::dlas::half)
#define DLAS_KERNEL_CALLS_int8(X, L, S, A)                                                         \
  X(L, int8, S, A, std::uint8_t, std::uint8_t) X(L, int8, S, A, std::uint8_t, std::int8_t)         \
  X(L, int8, S, A, std::uint8_t, float) X(L, int8, S, A, std::int8_t, std::uint8_t)                \
  X(L, int8, S, A, std::int8_t, std::int8_t) X(L, int8, S, A, std::int8_t, float)

#define DLAS_CONV2D_TYPE(L, P, S, A)                                                               \
  ::dlas::conv2d<::dlas::layout::L, ::dlas::precision::P, ::dlas::sparsity::S, ::dlas::algo::A>
#define DLAS_CONV2D_CALL(L, P, S, A, In, Out)                                                      \
  void DLAS_CONV2D_TYPE(L, P, S, A)::operator()<In, Out>(                                          \
      ::dlas::tensor_view<const In, ::dlas::layout::L>, ::dlas::tensor_view<Out, ::dlas::layout::L>, \
      ::dlas::tensor_view<const Out, ::dlas::layout::L>) const;

/// `extern template` of one combination: the class and the call for each element-type pair.
#define DLAS_EXTERN_CALL(L, P, S, A, In, Out) extern template DLAS_CONV2D_CALL(L, P, S, A, In, Out)
#define DLAS_EXTERN_KERNEL(L, P, S, A)                                                             \
  extern template class DLAS_CONV2D_TYPE(L, P, S, A);                                              \
  DLAS_KERNEL_CALLS_##P(DLAS_EXTERN_CALL, L, S, A)

/// The explicit instantiation of one combination (what dlas::kernels compiles).
#define DLAS_INSTANTIATE_CALL(L, P, S, A, In, Out) template DLAS_CONV2D_CALL(L, P, S, A, In, Out)
#define DLAS_INSTANTIATE_KERNEL(L, P, S, A)                                                        \
  template class DLAS_CONV2D_TYPE(L, P, S, A);                                                     \
  DLAS_KERNEL_CALLS_##P(DLAS_INSTANTIATE_CALL, L, S, A)

DLAS_KERNELS(DLAS_EXTERN_KERNEL)
