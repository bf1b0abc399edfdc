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

/// Blocked loops over output channels and output pixels around the GEMM microkernel,
/// weights prepacked at construction; no im2col buffer.
struct direct {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "direct";
};

/// Input patches gathered into a matrix (im2col), then one packed GEMM per group.
struct im2col_gemm {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "im2col_gemm";
};

/// im2col_gemm with Eigen's GEMM instead of dlas's packed GEMM, to compare the two; needs
/// Eigen 3.4 and `#include "dlas/conv/im2col_gemm_eigen.hpp"` (not part of algorithms.hpp).
struct im2col_gemm_eigen {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "im2col_gemm_eigen";
};

/// TVM-style spatial packing: input tiles and kernel blocks repacked so the inner loop stays
/// in registers; the output is unpacked at the end.
struct spatial_pack {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "spatial_pack";
};

/// 1x1 convolutions as a GEMM over the activations in place (no im2col).
struct pointwise {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "pointwise";
};

/// One filter per channel (groups == c == k), vectorised over channels or rows.
struct depthwise {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "depthwise";
};

/// Winograd minimal filtering for 3x3 stride-1 kernels: fewer multiplies, a little error.
struct winograd {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "winograd";
};

/// Picks one of the above per shape and thread count from a documented rule table.
struct automatic {
  static constexpr policy_axis axis = policy_axis::algorithm;
  static constexpr std::string_view name = "automatic";
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
