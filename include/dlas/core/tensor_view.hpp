// SPDX-License-Identifier: Apache-2.0
/// \file tensor_view.hpp
/// \brief Non-owning 4-D tensor views whose layout policy does the index arithmetic.
#pragma once

#include <span>
#include <string>
#include <type_traits>

#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"

namespace dlas {

/// Element strides of a 4-D tensor along its logical n, c, h, w axes.
struct tensor_strides {
  index_t n = 0, c = 0, h = 0, w = 0;
  constexpr bool operator==(const tensor_strides&) const noexcept = default;
};

inline std::string to_string(const tensor_dims& d) {
  return std::to_string(d.n) + "x" + std::to_string(d.c) + "x" + std::to_string(d.h) + "x" +
         std::to_string(d.w);
}

/// A view of a dense N x C x H x W tensor stored in `Layout` (layout::nchw or layout::nhwc).
///
/// Layout is any type with `static tensor_strides packed(tensor_dims)`; the policy header
/// constrains it with `layout_policy`. A view never owns its data.
template <class T, class Layout>
class tensor_view {
 public:
  using element_type = T;
  using layout_type = Layout;

  constexpr tensor_view() noexcept = default;

  /// Unchecked view over `data`, which must hold dims.elements() elements.
  constexpr tensor_view(T* data, tensor_dims dims) noexcept
      : data_(data), dims_(dims), strides_(Layout::packed(dims)) {}

  /// Checked view: throws errc::mismatched_buffer unless data.size() == dims.elements().
  tensor_view(std::span<T> data, tensor_dims dims) : tensor_view(data.data(), dims) {
    core::require(dims.n >= 0 && dims.c >= 0 && dims.h >= 0 && dims.w >= 0 &&
                      index_t(data.size()) == dims.elements(),
                  errc::mismatched_buffer, [&] {
                    return "tensor of dims " + to_string(dims) + " needs " +
                           std::to_string(dims.elements()) + " elements, buffer holds " +
                           std::to_string(data.size());
                  });
  }

  /// A view of const elements converts implicitly from a mutable one.
  template <class U>
    requires(std::is_same_v<const U, T> && !std::is_same_v<U, T>)
  constexpr tensor_view(const tensor_view<U, Layout>& other) noexcept
      : data_(other.data()), dims_(other.dims()), strides_(other.strides()) {}

  constexpr T* data() const noexcept { return data_; }
  constexpr const tensor_dims& dims() const noexcept { return dims_; }
  constexpr const tensor_strides& strides() const noexcept { return strides_; }
  constexpr index_t size() const noexcept { return dims_.elements(); }
  constexpr std::span<T> span() const noexcept { return {data_, std::size_t(size())}; }

  constexpr index_t offset(index_t n, index_t c, index_t h, index_t w) const noexcept {
    return n * strides_.n + c * strides_.c + h * strides_.h + w * strides_.w;
  }
  constexpr T& operator()(index_t n, index_t c, index_t h, index_t w) const noexcept {
    return data_[offset(n, c, h, w)];
  }

 private:
  T* data_ = nullptr;
  tensor_dims dims_{};
  tensor_strides strides_{};
};

}  // namespace dlas
