// SPDX-License-Identifier: Apache-2.0
/// \file sparsity.hpp
/// \brief How weights are stored: dense arrays or compressed sparse rows.
#pragma once

#include <concepts>
#include <string_view>

#include "dlas/policy/axis.hpp"

namespace dlas::sparsity {

/// Every weight stored, zeros included.
struct dense {
  static constexpr policy_axis axis = policy_axis::sparsity;
  static constexpr std::string_view name = "dense";
  static constexpr bool compressed = false;
};

/// Compressed sparse rows: one row per output channel, columns over (c/groups, r, s); only
/// weights above the pruning threshold are stored (format::csr_matrix).
struct csr {
  static constexpr policy_axis axis = policy_axis::sparsity;
  static constexpr std::string_view name = "csr";
  static constexpr bool compressed = true;
};

}  // namespace dlas::sparsity

namespace dlas {

/// A sparsity tag: names itself and says whether weights carry index arrays.
template <class S>
concept sparsity_policy = requires {
  requires S::axis == policy_axis::sparsity;
  { S::name } -> std::convertible_to<std::string_view>;
  { S::compressed } -> std::convertible_to<bool>;
};

static_assert(sparsity_policy<sparsity::dense> && sparsity_policy<sparsity::csr>);

}  // namespace dlas
