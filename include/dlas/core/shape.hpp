// SPDX-License-Identifier: Apache-2.0
/// \file shape.hpp
/// \brief conv2d_shape: the geometry of one 2-D convolution, its derived sizes and validation.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "dlas/core/error.hpp"

namespace dlas {

/// Signed index type for every element count and coordinate.
using index_t = std::int64_t;

/// Logical sizes of a 4-D activation tensor, independent of its memory layout.
struct tensor_dims {
  index_t n = 0;  ///< batch
  index_t c = 0;  ///< channels
  index_t h = 0;  ///< height
  index_t w = 0;  ///< width

  constexpr index_t elements() const noexcept { return n * c * h * w; }
  constexpr bool operator==(const tensor_dims&) const noexcept = default;
};

namespace core {

/// a * b, or -1 when the product is negative or does not fit in index_t.
constexpr index_t checked_mul(index_t a, index_t b) noexcept {
  if (a < 0 || b < 0) return -1;
  if (a != 0 && b > std::numeric_limits<index_t>::max() / a) return -1;
  return a * b;
}

/// Product of all arguments, or -1 on overflow (see checked_mul).
template <class... T>
constexpr index_t checked_product(index_t first, T... rest) noexcept {
  index_t p = first;
  ((p = p < 0 ? -1 : checked_mul(p, rest)), ...);
  return p;
}

}  // namespace core

/// The first problem validate() finds in a shape: which field, which value, and why.
struct shape_issue {
  std::string_view field;   ///< name of the offending field ("" when the shape is valid)
  index_t value = 0;        ///< its value
  std::string_view reason;  ///< what rule it breaks

  constexpr explicit operator bool() const noexcept { return !field.empty(); }
};

/// Geometry of a grouped, strided, padded, dilated 2-D convolution.
///
/// Weights are K x (C / groups) x R x S; the output is N x K x P x Q with P and Q from
/// output_h()/output_w(). Padding is given per side because frameworks pad asymmetrically
/// (TensorFlow's "SAME" on even inputs, benchdnn's implied right padding).
struct conv2d_shape {
  index_t n = 1;             ///< batch
  index_t c = 1;             ///< input channels (all groups)
  index_t h = 1;             ///< input height
  index_t w = 1;             ///< input width
  index_t k = 1;             ///< output channels (all groups)
  index_t r = 1;             ///< kernel height
  index_t s = 1;             ///< kernel width
  index_t stride_h = 1;      ///< vertical stride
  index_t stride_w = 1;      ///< horizontal stride
  index_t pad_top = 0;       ///< zero rows above the input
  index_t pad_left = 0;      ///< zero columns left of the input
  index_t pad_bottom = 0;    ///< zero rows below the input
  index_t pad_right = 0;     ///< zero columns right of the input
  index_t dilation_h = 1;    ///< vertical kernel dilation (1 = dense kernel)
  index_t dilation_w = 1;    ///< horizontal kernel dilation (1 = dense kernel)
  index_t groups = 1;        ///< channel groups; groups == c == k is depthwise

  /// Kernel extent after dilation.
  constexpr index_t dilated_r() const noexcept { return (r - 1) * dilation_h + 1; }
  constexpr index_t dilated_s() const noexcept { return (s - 1) * dilation_w + 1; }

  /// Output height P and width Q.
  constexpr index_t output_h() const noexcept {
    return (h + pad_top + pad_bottom - dilated_r()) / stride_h + 1;
  }
  constexpr index_t output_w() const noexcept {
    return (w + pad_left + pad_right - dilated_s()) / stride_w + 1;
  }

  /// Channels per group on the input and output side.
  constexpr index_t c_per_group() const noexcept { return c / groups; }
  constexpr index_t k_per_group() const noexcept { return k / groups; }
  constexpr bool is_depthwise() const noexcept { return groups == c && groups == k && groups > 1; }

  constexpr tensor_dims input_dims() const noexcept { return {n, c, h, w}; }
  constexpr tensor_dims output_dims() const noexcept { return {n, k, output_h(), output_w()}; }

  /// Elements of the K x C/groups x R x S weight tensor.
  constexpr index_t weight_elements() const noexcept { return k * c_per_group() * r * s; }

  /// Multiply-adds times two, the usual FLOP count of a convolution.
  constexpr double flops() const noexcept {
    return 2.0 * double(n) * double(k) * double(output_h()) * double(output_w()) *
           double(c_per_group()) * double(r) * double(s);
  }

  /// The first rule the shape breaks, or an empty issue. Usable in constant expressions.
  constexpr shape_issue check() const noexcept {
    struct field_ref {
      std::string_view name;
      index_t value;
    };
    const field_ref positive[] = {{"n", n},
                                  {"c", c},
                                  {"h", h},
                                  {"w", w},
                                  {"k", k},
                                  {"r", r},
                                  {"s", s},
                                  {"stride_h", stride_h},
                                  {"stride_w", stride_w},
                                  {"dilation_h", dilation_h},
                                  {"dilation_w", dilation_w},
                                  {"groups", groups}};
    for (const auto& f : positive)
      if (f.value <= 0) return {f.name, f.value, "must be positive"};
    const field_ref pads[] = {
        {"pad_top", pad_top}, {"pad_left", pad_left}, {"pad_bottom", pad_bottom}, {"pad_right", pad_right}};
    for (const auto& f : pads)
      if (f.value < 0) return {f.name, f.value, "must not be negative"};
    if (c % groups != 0) return {"groups", groups, "must divide the input channels c"};
    if (k % groups != 0) return {"groups", groups, "must divide the output channels k"};
    // Sizes derived below (padded extents, dilated kernels) must not overflow before we
    // compare them: spatial sizes up to 2^40, kernel sizes and dilations up to 2^20.
    const field_ref spatial[] = {{"h", h}, {"w", w}, {"pad_top", pad_top}, {"pad_left", pad_left},
                                 {"pad_bottom", pad_bottom}, {"pad_right", pad_right}};
    for (const auto& f : spatial)
      if (f.value > index_t{1} << 40) return {f.name, f.value, "is too large (limit 2^40)"};
    const field_ref kernel[] = {{"r", r}, {"s", s}, {"dilation_h", dilation_h}, {"dilation_w", dilation_w}};
    for (const auto& f : kernel)
      if (f.value > index_t{1} << 20) return {f.name, f.value, "is too large (limit 2^20)"};
    if (dilated_r() > h + pad_top + pad_bottom)
      return {"r", r, "dilated kernel is taller than the padded input"};
    if (dilated_s() > w + pad_left + pad_right)
      return {"s", s, "dilated kernel is wider than the padded input"};
    if (core::checked_product(n, c, h, w) < 0)
      return {"n", n, "input element count n*c*h*w overflows the index type"};
    if (core::checked_product(n, k, output_h(), output_w()) < 0)
      return {"k", k, "output element count n*k*p*q overflows the index type"};
    if (core::checked_product(k, c_per_group(), r, s) < 0)
      return {"k", k, "weight element count k*c/groups*r*s overflows the index type"};
    return {};
  }

  constexpr bool is_valid() const noexcept { return !check(); }

  /// Throws dlas::error(errc::invalid_shape) naming the field and value of the first problem.
  void validate() const {
    if (const shape_issue issue = check())
      throw error(errc::invalid_shape, "conv2d_shape." + std::string(issue.field) + " = " +
                                           std::to_string(issue.value) + " " +
                                           std::string(issue.reason));
  }

  constexpr bool operator==(const conv2d_shape&) const noexcept = default;
};

/// Compact human-readable form, e.g. "n1 c64 h56 w56 k64 r3 s3 str1x1 pad1,1,1,1 dil1x1 g1".
inline std::string to_string(const conv2d_shape& s) {
  auto f = [](std::string_view name, index_t v) { return std::string(name) + std::to_string(v); };
  return f("n", s.n) + f(" c", s.c) + f(" h", s.h) + f(" w", s.w) + f(" k", s.k) + f(" r", s.r) +
         f(" s", s.s) + f(" str", s.stride_h) + f("x", s.stride_w) + f(" pad", s.pad_top) +
         f(",", s.pad_left) + f(",", s.pad_bottom) + f(",", s.pad_right) +
         f(" dil", s.dilation_h) + f("x", s.dilation_w) + f(" g", s.groups);
}

}  // namespace dlas
