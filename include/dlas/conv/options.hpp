// SPDX-License-Identifier: Apache-2.0
/// \file options.hpp
/// \brief Construction options of conv2d: fused activation, pruning threshold, quantisation.
#pragma once

#include <algorithm>
#include <memory_resource>
#include <optional>
#include <string_view>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/policy/precision.hpp"

namespace dlas::DLAS_ISA_NAMESPACE {

/// Activation fused into the convolution's epilogue, after bias and residual add.
enum class activation { none, relu, relu6 };

/// act(v) for one value or one SIMD register of values (an xsimd batch, whose max and min are
/// found by argument-dependent lookup): relu clamps below at 0, relu6 also above at 6. Every
/// epilogue, scalar or vector, applies this one definition, so that edge elements handled in
/// scalar code match the vector ones bit for bit.
template <class V>
[[gnu::always_inline]] constexpr V activated(V v, activation act) noexcept {
  if (act == activation::none) return v;
  if constexpr (std::is_floating_point_v<V>) {
    v = std::max(v, V(0));
    return act == activation::relu6 ? std::min(v, V(6)) : v;
  } else {
    v = max(v, V(0.0f));
    return act == activation::relu6 ? min(v, V(6.0f)) : v;
  }
}

constexpr std::string_view to_string(activation a) noexcept {
  return a == activation::relu ? "relu" : a == activation::relu6 ? "relu6" : "none";
}

/// Everything a conv2d needs besides its shape, weights and bias.
struct conv2d_options {
  /// y = act(conv(x) + bias + residual).
  activation act = activation::none;
  /// Weights with |w| <= prune_threshold become zero before conversion; CSR stores the rest.
  float prune_threshold = 0.0f;
  /// int8 only: the real values the input codes stand for.
  quant_params input_quant{};
  /// int8 only: quantise the output to 8 bits with these parameters; absent: fp32 output.
  std::optional<quant_params> output_quant{};
  /// Where calls allocate their workspace; null means std::pmr::get_default_resource().
  std::pmr::memory_resource* workspace_resource = nullptr;
};

}  // namespace dlas
