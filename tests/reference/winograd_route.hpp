// SPDX-License-Identifier: Apache-2.0
/// \file winograd_route.hpp
/// \brief Whether a kernel computes a shape with Winograd's transforms, whose error bound and
/// fp32 transformed weights the tests account for (docs/winograd.md).
#pragma once

#include <type_traits>

#include "dlas/conv2d.hpp"

namespace dlas::testing {

/// algo::winograd, or algo::automatic (fp32 and fp16 dense) where its rule table routes `sh`
/// to Winograd (docs/dispatch.md, rule 4).
template <class Conv>
constexpr bool runs_winograd(const conv2d_shape& sh) {
  using A = typename Conv::algorithm_type;
  if constexpr (std::is_same_v<A, algo::winograd>) {
    return true;
  } else if constexpr (std::is_same_v<A, algo::automatic> && !Conv::precision_type::quantized &&
                       std::is_same_v<typename Conv::sparsity_type, sparsity::dense>) {
    return conv::choose_fp32<typename Conv::layout_type>(sh) == conv::auto_choice::winograd;
  } else {
    return false;
  }
}

}  // namespace dlas::testing
