// SPDX-License-Identifier: Apache-2.0
/// \file tensor_ref.hpp
/// \brief tensor_desc and tensor_ref: activations whose element type and layout are run-time
/// values, as they flow between the layers of a network.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/graph/conv_config.hpp"
#include "dlas/policy/precision.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Element type of an activation: fp32, fp16 or 8-bit affine codes (uint8 with quant_params).
enum class dtype { f32, f16, u8 };

constexpr std::string_view to_string(dtype t) noexcept {
  return t == dtype::f32 ? "f32" : t == dtype::f16 ? "f16" : "u8";
}
constexpr index_t element_bytes(dtype t) noexcept {
  return t == dtype::f32 ? 4 : t == dtype::f16 ? 2 : 1;
}

template <class T>
constexpr dtype dtype_of = std::is_same_v<T, float>  ? dtype::f32
                           : std::is_same_v<T, half> ? dtype::f16
                                                     : dtype::u8;

/// Logical dims, element type, layout and (u8) quantisation of one activation tensor.
struct tensor_desc {
  tensor_dims dims{};
  dtype type = dtype::f32;
  layout_kind layout = layout_kind::nchw;
  quant_params quant{};  ///< meaningful for dtype::u8 only

  constexpr index_t elements() const noexcept { return dims.elements(); }
  constexpr index_t bytes() const noexcept { return dims.elements() * element_bytes(type); }
  /// Same dims, type, layout and (for u8) the same quantisation.
  constexpr bool operator==(const tensor_desc& o) const noexcept {
    return dims == o.dims && type == o.type && layout == o.layout &&
           (type != dtype::u8 ||
            (quant.scale == o.quant.scale && quant.zero_point == o.quant.zero_point));
  }
};

/// "2x64x8x8 f32 nhwc" (u8 adds its scale and zero point).
inline std::string to_string(const tensor_desc& d) {
  std::string s = to_string(d.dims) + " " + std::string(to_string(d.type)) + " " +
                  std::string(to_string(d.layout));
  if (d.type == dtype::u8)
    s += " (scale " + std::to_string(d.quant.scale) + ", zero " +
         std::to_string(d.quant.zero_point) + ")";
  return s;
}

/// A non-owning reference to an activation tensor described at run time.
template <class Byte>
struct basic_tensor_ref {
  Byte* data = nullptr;
  tensor_desc desc{};

  /// A typed view; errc::mismatched_buffer unless T and L match the description.
  template <class T, class L>
  tensor_view<std::conditional_t<std::is_const_v<Byte>, const T, T>, L> view() const {
    core::require(dtype_of<std::remove_const_t<T>> == desc.type && layout_kind_of<L> == desc.layout,
                  errc::mismatched_buffer, [&] {
                    return "tensor " + to_string(desc) + " viewed as " +
                           std::string(to_string(dtype_of<std::remove_const_t<T>>)) + " " +
                           std::string(L::name);
                  });
    using E = std::conditional_t<std::is_const_v<Byte>, const T, T>;
    return {reinterpret_cast<E*>(data), desc.dims};
  }
};
using tensor_ref = basic_tensor_ref<void>;
using const_tensor_ref = basic_tensor_ref<const void>;

/// References to typed views; the layout and element type come from the view's type.
template <class T, class L>
tensor_ref ref(tensor_view<T, L> v, quant_params q = {}) {
  static_assert(!std::is_const_v<T>);
  return {v.data(), {v.dims(), dtype_of<T>, layout_kind_of<L>, q}};
}
template <class T, class L>
const_tensor_ref cref(tensor_view<T, L> v, quant_params q = {}) {
  return {v.data(), {v.dims(), dtype_of<std::remove_const_t<T>>, layout_kind_of<L>, q}};
}

/// Calls f.template operator()<T, L>() with the element type and layout tag of `d`.
template <class F>
decltype(auto) visit_desc(const tensor_desc& d, F&& f) {
  auto with_layout = [&]<class T>() -> decltype(auto) {
    if (d.layout == layout_kind::nchw) return f.template operator()<T, layout::nchw>();
    return f.template operator()<T, layout::nhwc>();
  };
  switch (d.type) {
    case dtype::f32: return with_layout.template operator()<float>();
    case dtype::f16: return with_layout.template operator()<half>();
    case dtype::u8: break;
  }
  return with_layout.template operator()<std::uint8_t>();
}

/// Throws errc::mismatched_buffer naming `what` unless `got` matches `want`.
inline void require_desc(const tensor_desc& got, const tensor_desc& want, std::string_view what) {
  core::require(got == want, errc::mismatched_buffer, [&] {
    return std::string(what) + " is " + to_string(got) + ", expected " + to_string(want);
  });
}

}  // namespace dlas::graph
