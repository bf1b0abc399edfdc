// SPDX-License-Identifier: Apache-2.0
/// \file conv_decl.hpp
/// \brief The primary algorithm_impl template: a combination without a kernel stops here.
#pragma once

#include <string>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/policy/algorithm.hpp"
#include "dlas/policy/layout.hpp"
#include "dlas/policy/precision.hpp"
#include "dlas/policy/sparsity.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// The kernel of one (layout, precision, sparsity, algorithm) combination. Each algorithm
/// header specialises it; the facade conv2d owns one and forwards to it.
///
/// A specialisation provides:
///   static constexpr bool is_kernel = true;
///   static status can_implement(const conv2d_shape&);
///   static constexpr index_t weight_bytes(const conv2d_shape&, index_t nnz);
///   static constexpr index_t workspace_bytes(const conv2d_shape&);
///     (or, where the workspace depends on the input element type In, a function template
///     workspace_bytes<In> whose default In is the precision's storage type)
///   algorithm_impl(const conv2d_shape&, conv_weights<Precision, Sparsity>&&, const conv2d_options&);
///   index_t weight_bytes() const;
///   template <class In, class Out> void run(tensor_view<const In, Layout>,
///       tensor_view<Out, Layout>, const Out* residual, std::pmr::memory_resource*) const;
///
/// The primary template is empty: conv2d checks has_kernel and stops with a readable message.
template <class Layout, class Precision, class Sparsity, class Algorithm>
class algorithm_impl {};

/// True when algorithm_impl<...> is specialised for the combination.
template <class Layout, class Precision, class Sparsity, class Algorithm>
concept has_kernel = requires { algorithm_impl<Layout, Precision, Sparsity, Algorithm>::is_kernel; };

/// The workspace one call of kernel Impl allocates for input elements In: Impl's
/// workspace_bytes<In> where it has one (an int8 kernel that reads uint8 codes in place
/// gathers int8 codes), else its workspace_bytes.
template <class Impl, class In>
constexpr index_t workspace_bytes_for(const conv2d_shape& sh) noexcept {
  if constexpr (requires { Impl::template workspace_bytes<In>(sh); })
    return Impl::template workspace_bytes<In>(sh);
  else
    return Impl::workspace_bytes(sh);
}

/// algo::pointwise's shape rule, shared by its dense, int8 and CSR kernels: a 1x1 kernel.
inline status pointwise_can_implement(const conv2d_shape& sh) {
  if (sh.r == 1 && sh.s == 1) return {};
  return {errc::unsupported, "algo::pointwise needs a 1x1 kernel, got r = " + std::to_string(sh.r) +
                                 ", s = " + std::to_string(sh.s) + "; use algo::direct or algo::im2col_gemm"};
}

}  // namespace dlas::conv
