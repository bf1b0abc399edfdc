// SPDX-License-Identifier: Apache-2.0
/// \file conv_factory.hpp
/// \brief Kernel sets: the conv2d instantiations a program can choose from at run time.
///
/// `kernel_set<combo<L, P, S, A>...>` instantiates exactly the listed combinations;
/// `kernel_product<...>` the cross product of tag lists, keeping the combinations that have
/// a kernel (conv::has_kernel), so kernels added to dlas later join it without edits. Only
/// code that includes this header pays for the instantiations; all_kernels.hpp holds the set
/// of every combination.
#pragma once

#include <span>
#include <string>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/conv2d.hpp"
#include "dlas/graph/conv_config.hpp"
#include "dlas/graph/conv_layer.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// A list of types.
template <class... T>
struct type_list {};

/// One policy combination.
template <class L, class P, class S, class A>
struct combo {
  static_assert(conv::has_kernel<L, P, S, A>,
                "dlas::graph::combo: this combination has no kernel (docs/policies.md)");
};

namespace detail {
template <class... Lists>
struct concat {
  using type = type_list<>;
};
template <class... T>
struct concat<type_list<T...>> {
  using type = type_list<T...>;
};
template <class... T, class... U, class... Rest>
struct concat<type_list<T...>, type_list<U...>, Rest...> {
  using type = typename concat<type_list<T..., U...>, Rest...>::type;
};
template <class... Lists>
using concat_t = typename concat<Lists...>::type;

template <class L, class P, class S, class A>
using combo_if_kernel =
    std::conditional_t<conv::has_kernel<L, P, S, A>, type_list<combo<L, P, S, A>>, type_list<>>;

template <class Ls, class Ps, class Ss, class As>
struct product;
template <class... Ls, class... Ps, class... Ss, class... As>
struct product<type_list<Ls...>, type_list<Ps...>, type_list<Ss...>, type_list<As...>> {
  template <class L, class P, class S>
  using over_a = concat_t<combo_if_kernel<L, P, S, As>...>;
  template <class L, class P>
  using over_s = concat_t<over_a<L, P, Ss>...>;
  template <class L>
  using over_p = concat_t<over_s<L, Ps>...>;
  using type = concat_t<over_p<Ls>...>;
};
}  // namespace detail

/// The combinations listed, each instantiated once.
template <class... Combos>
struct kernel_set;

template <class... L, class... P, class... S, class... A>
struct kernel_set<combo<L, P, S, A>...> {
  static bool contains(const conv_config& c) { return ((c == config_of<L, P, S, A>) || ...); }

  /// Builds the kernel of `c`; errc::unsupported when the set does not hold it (with the
  /// reason: no kernel exists at all, or this set leaves it out).
  static conv_layer make(const conv_config& c, [[maybe_unused]] const conv2d_shape& shape,
                         [[maybe_unused]] std::span<const float> weights,
                         [[maybe_unused]] std::span<const float> bias,
                         [[maybe_unused]] const conv2d_options& options) {
    conv_layer out;
    const bool found =
        ((c == config_of<L, P, S, A>
              ? (out = conv_layer::make<L, P, S, A>(shape, weights, bias, options), true)
              : false) ||
         ...);
    if (!found)
      throw error(
          errc::unsupported,
          "conv_config " + to_string(c) +
              (has_kernel(c) ? ": not in this kernel set (include dlas/graph/all_kernels.hpp "
                               "and use graph::all_kernels() for every combination)"
                             : ": no kernel for this layout/precision/sparsity/algorithm "
                               "combination (docs/policies.md lists the supported ones)"));
    return out;
  }

  static constexpr kernel_factory factory() noexcept { return {&make, &contains}; }
};

template <class... Combos>
struct kernel_set<type_list<Combos...>> : kernel_set<Combos...> {};

/// The cross product of tag lists, restricted to combinations that have a kernel, e.g.
/// kernel_product<type_list<layout::nchw>, type_list<precision::fp32>,
///                type_list<sparsity::dense>, type_list<algo::reference, algo::direct>>.
template <class Layouts, class Precisions, class Sparsities, class Algorithms>
using kernel_product =
    kernel_set<typename detail::product<Layouts, Precisions, Sparsities, Algorithms>::type>;

/// The combinations of a kernel_product, as a type_list of combo.
template <class Layouts, class Precisions, class Sparsities, class Algorithms>
using combo_product = typename detail::product<Layouts, Precisions, Sparsities, Algorithms>::type;

/// One kernel set from type_lists of combos (combo_product results, or type_list<combo...>).
template <class... ComboLists>
using kernel_union = kernel_set<detail::concat_t<ComboLists...>>;

/// Every tag of each axis.
using every_layout = type_list<layout::nchw, layout::nhwc>;
using every_precision = type_list<precision::fp32, precision::fp16, precision::int8>;
using every_sparsity = type_list<sparsity::dense, sparsity::csr>;
using every_algorithm =
    type_list<algo::reference, algo::direct, algo::im2col_gemm, algo::spatial_pack, algo::pointwise,
              algo::depthwise, algo::winograd, algo::automatic>;

}  // namespace dlas::graph
