// SPDX-License-Identifier: Apache-2.0
/// \file layout.hpp
/// \brief Activation layouts (nchw, nhwc) as index functions, and the layout_policy concept.
#pragma once

#include <concepts>
#include <string_view>

#include "dlas/core/tensor_view.hpp"
#include "dlas/policy/axis.hpp"

namespace dlas::layout {

/// Channel planes: each channel's H x W image is contiguous (PyTorch's default).
struct nchw {
  static constexpr policy_axis axis = policy_axis::layout;
  static constexpr std::string_view name = "nchw";
  static constexpr tensor_strides packed(const tensor_dims& d) noexcept {
    return {d.c * d.h * d.w, d.h * d.w, d.w, 1};
  }
};

/// Channels last: each pixel's C channels are contiguous (TensorFlow's and oneDNN's nhwc).
struct nhwc {
  static constexpr policy_axis axis = policy_axis::layout;
  static constexpr std::string_view name = "nhwc";
  static constexpr tensor_strides packed(const tensor_dims& d) noexcept {
    return {d.h * d.w * d.c, 1, d.w * d.c, d.c};
  }
};

}  // namespace dlas::layout

namespace dlas {

/// A layout tag: names itself and maps logical dims to element strides.
template <class L>
concept layout_policy = requires(const tensor_dims& d) {
  requires L::axis == policy_axis::layout;
  { L::name } -> std::convertible_to<std::string_view>;
  { L::packed(d) } -> std::same_as<tensor_strides>;
};

static_assert(layout_policy<layout::nchw> && layout_policy<layout::nhwc>);

}  // namespace dlas
