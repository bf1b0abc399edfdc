// SPDX-License-Identifier: Apache-2.0
/// \file algorithm.hpp
/// \brief Convolution algorithm tags and the algorithm_policy concept.
#pragma once

#include <concepts>
#include <string_view>

#include "dlas/policy/axis.hpp"

namespace dlas::algo {

/// Scalar loops over the definition; every layout, precision and sparsity. The baseline
/// that the fast algorithms are tested against and fall back to.
struct reference {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "reference";
};

}  // namespace dlas::algo

namespace dlas {

/// An algorithm tag: names itself; its kernel is a conv::algorithm_impl specialisation.
template <class A>
concept algorithm_policy = requires {
  requires A::axis == policy_axis::algorithm;
  { A::name } -> std::convertible_to<std::string_view>;
};

static_assert(algorithm_policy<algo::reference>);

}  // namespace dlas
