// SPDX-License-Identifier: Apache-2.0
/// \file conv2d.hpp
/// \brief conv2d<Layout, Precision, Sparsity, Algorithm>: the convolution users instantiate.
#pragma once

#include <memory_resource>
#include <span>
#include <string>
#include <type_traits>

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/conv/algorithms.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/footprint.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/policy/algorithm.hpp"
#include "dlas/policy/layout.hpp"
#include "dlas/policy/precision.hpp"
#include "dlas/policy/sparsity.hpp"

namespace dlas::DLAS_ISA_NAMESPACE {

/// A 2-D convolution whose storage, packing and kernel are fixed by four policy tags.
///
/// \tparam Layout     activation layout: layout::nchw or layout::nhwc
/// \tparam Precision  precision::fp32, precision::fp16 or precision::int8
/// \tparam Sparsity   weight storage: sparsity::dense or sparsity::csr
/// \tparam Algorithm  the algorithm tag (algo::reference, ...)
///
/// Construction converts K x C/groups x R x S fp32 weights to the policies' storage (prunes,
/// quantises, packs); calls are const and may run concurrently on one object.
template <class Layout, class Precision, class Sparsity, class Algorithm>
class conv2d {
  static_assert(layout_policy<Layout>,
                "dlas::conv2d: the 1st parameter must be a layout tag: layout::nchw or layout::nhwc");
  static_assert(precision_policy<Precision>,
                "dlas::conv2d: the 2nd parameter must be a precision tag: precision::fp32, "
                "precision::fp16 or precision::int8");
  static_assert(sparsity_policy<Sparsity>,
                "dlas::conv2d: the 3rd parameter must be a sparsity tag: sparsity::dense or "
                "sparsity::csr");
  static_assert(algorithm_policy<Algorithm>,
                "dlas::conv2d: the 4th parameter must be an algorithm tag from dlas::algo");
  static_assert(!(layout_policy<Layout> && precision_policy<Precision> &&
                  sparsity_policy<Sparsity> && algorithm_policy<Algorithm>) ||
                    conv::has_kernel<Layout, Precision, Sparsity, Algorithm>,
                "dlas::conv2d: this algorithm has no kernel for this layout/precision/sparsity "
                "combination; docs/policies.md lists the supported ones (algo::reference takes "
                "them all)");

  using impl_type = conv::algorithm_impl<Layout, Precision, Sparsity, Algorithm>;

 public:
  using layout_type = Layout;
  using precision_type = Precision;
  using sparsity_type = Sparsity;
  using algorithm_type = Algorithm;
  using weights_type = conv::conv_weights<Precision, Sparsity>;
  /// Activation element type in memory (float, half, uint8_t).
  using storage_type = typename Precision::storage_type;

  /// Whether this kernel supports `shape`; a valid shape can still be refused (e.g. winograd
  /// with a 5x5 kernel).
  static status can_implement(const conv2d_shape& shape) {
    if (const shape_issue issue = shape.check())
      return {errc::invalid_shape, "conv2d_shape." + std::string(issue.field) + " = " +
                                       std::to_string(issue.value) + " " + std::string(issue.reason)};
    return impl_type::can_implement(shape);
  }

  /// Workspace one call with input elements In allocates for `shape` (int8 kernels take
  /// uint8_t or int8_t codes and may read only one of them in place).
  template <class In = storage_type>
  static constexpr index_t workspace_bytes(const conv2d_shape& shape) noexcept {
    return conv::workspace_bytes_for<impl_type, In>(shape);
  }

  /// Memory of this kernel for `shape` with `nnz` stored weights (CSR; ignored for dense),
  /// activations at the precision's storage type. A constant expression.
  static constexpr dlas::footprint footprint_of(const conv2d_shape& shape, index_t nnz) noexcept {
    const index_t act = index_t(sizeof(storage_type));
    return {impl_type::weight_bytes(shape, nnz), workspace_bytes(shape),
            shape.input_dims().elements() * act, shape.output_dims().elements() * act, 0};
  }

  /// footprint_of with nnz = round(density * weight count); density 1 for dense storage.
  static constexpr dlas::footprint footprint_of(const conv2d_shape& shape, double density = 1.0) noexcept {
    const double elems = double(shape.weight_elements());
    return footprint_of(shape, index_t(density * elems + 0.5));
  }

  /// \param weights  K x C/groups x R x S, row-major, fp32
  /// \param bias     K values, or empty for no bias
  conv2d(const conv2d_shape& shape, std::span<const float> weights, std::span<const float> bias = {},
         const conv2d_options& options = {});

  const conv2d_shape& shape() const noexcept { return shape_; }
  const conv2d_options& options() const noexcept { return options_; }

  /// Exact bytes this object holds and one call allocates; outputs counted at the element
  /// type the options imply (int8 without output_quant returns fp32).
  dlas::footprint footprint() const noexcept {
    dlas::footprint f = footprint_of(shape_, index_t(0));
    f.weights = impl_.weight_bytes();
    if constexpr (Precision::quantized)
      if (!options_.output_quant) f.output = shape_.output_dims().elements() * index_t(sizeof(float));
    return f;
  }

  /// output = act(conv(input) + bias [+ residual]).
  ///
  /// fp32: float in and out. fp16: half in and out. int8: uint8_t or int8_t codes in
  /// (options().input_quant), and either 8-bit codes out (options().output_quant) or float.
  /// The residual, when given, has the output's dims and type (not for 8-bit outputs).
  template <class In, class Out>
  void operator()(tensor_view<const In, Layout> input, tensor_view<Out, Layout> output,
                  tensor_view<const Out, Layout> residual = {}) const;

  /// The converted weights (reference algorithm only keeps them in this form). A template, so
  /// that an explicit instantiation of a kernel without them does not instantiate it (clang 14
  /// ignores the constraint there).
  template <class Impl = impl_type>
  const auto& weights() const noexcept
    requires requires(const Impl& i) { i.weights(); }
  {
    return impl_.weights();
  }

 private:
  static const conv2d_shape& checked(const conv2d_shape& shape) {
    can_implement(shape).throw_if_error();
    return shape;
  }

  conv2d_shape shape_;
  conv2d_options options_;
  impl_type impl_;
};

// Defined outside the class, so not inline: an `extern template` declaration
// (dlas/conv/extern_kernels.hpp) then keeps a translation unit from compiling the kernel again.

template <class Layout, class Precision, class Sparsity, class Algorithm>
conv2d<Layout, Precision, Sparsity, Algorithm>::conv2d(const conv2d_shape& shape, std::span<const float> weights,
                                                       std::span<const float> bias, const conv2d_options& options)
    : shape_(checked(shape)), options_(options), impl_(shape, weights_type(shape, weights, bias, options), options) {}

template <class Layout, class Precision, class Sparsity, class Algorithm>
template <class In, class Out>
void conv2d<Layout, Precision, Sparsity, Algorithm>::operator()(tensor_view<const In, Layout> input,
                                                                tensor_view<Out, Layout> output,
                                                                tensor_view<const Out, Layout> residual) const {
  static_assert(std::is_same_v<In, storage_type> ||
                    (Precision::quantized && std::is_same_v<In, std::int8_t>),
                "dlas::conv2d: input element type must be the precision's storage type "
                "(fp32: float, fp16: dlas::half, int8: uint8_t or int8_t)");
  static_assert(std::is_same_v<Out, storage_type> ||
                    (Precision::quantized &&
                     (std::is_same_v<Out, std::int8_t> || std::is_same_v<Out, float>)),
                "dlas::conv2d: output element type must be the precision's storage type "
                "(int8 also takes int8_t codes or float)");
  auto mismatch = [](const char* what, const tensor_dims& got, const tensor_dims& want) {
    return std::string(what) + " dims " + to_string(got) + " do not match the shape's " +
           to_string(want);
  };
  core::require(input.dims() == shape_.input_dims(), errc::mismatched_buffer,
                [&] { return mismatch("conv2d input", input.dims(), shape_.input_dims()); });
  core::require(output.dims() == shape_.output_dims(), errc::mismatched_buffer,
                [&] { return mismatch("conv2d output", output.dims(), shape_.output_dims()); });
  core::require(input.data() != nullptr && output.data() != nullptr, errc::mismatched_buffer,
                [] { return std::string("conv2d: null input or output data"); });
  const bool has_residual = residual.data() != nullptr;
  if (has_residual) {
    core::require(residual.dims() == output.dims(), errc::mismatched_buffer,
                  [&] { return mismatch("conv2d residual", residual.dims(), output.dims()); });
    core::require(std::is_floating_point_v<Out> || std::is_same_v<Out, half>, errc::unsupported,
                  [] { return std::string("conv2d: a residual needs a float or half output"); });
  }
  if constexpr (Precision::quantized)
    options_.input_quant.validate<In>("conv2d_options.input_quant");
  impl_.template run<In, Out>(input, output, has_residual ? residual.data() : nullptr,
                              options_.workspace_resource ? options_.workspace_resource
                                                          : std::pmr::get_default_resource());
}

}  // namespace dlas

// Programs that link dlas::kernels take every kernel from it instead of compiling their own.
#ifdef DLAS_EXTERN_KERNELS
#include "dlas/conv/extern_kernels.hpp"
#endif
