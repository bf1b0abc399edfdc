// SPDX-License-Identifier: Apache-2.0
/// \file conv_layer.hpp
/// \brief conv_layer: a convolution whose policies are chosen at run time; it owns one
/// concrete conv2d<Layout, Precision, Sparsity, Algorithm> behind a small virtual interface.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/conv2d.hpp"
#include "dlas/graph/conv_config.hpp"
#include "dlas/graph/tensor_ref.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

namespace detail {

/// What the network needs from a convolution, independent of its policy tags.
class conv_concept {
 public:
  virtual ~conv_concept() = default;
  virtual const conv2d_shape& shape() const noexcept = 0;
  virtual const conv2d_options& options() const noexcept = 0;
  virtual dlas::footprint exact_footprint() const noexcept = 0;
  /// in: input codes/values; out: output; residual: null or the output's type and dims.
  virtual void run(const void* in, void* out, const void* residual) const = 0;
};

template <class L, class P, class S, class A>
class conv_model final : public conv_concept {
 public:
  conv_model(const conv2d_shape& shape, std::span<const float> w, std::span<const float> b,
             const conv2d_options& opt)
      : conv_(shape, w, b, opt) {}

  const conv2d_shape& shape() const noexcept override { return conv_.shape(); }
  const conv2d_options& options() const noexcept override { return conv_.options(); }
  dlas::footprint exact_footprint() const noexcept override { return conv_.footprint(); }

  void run(const void* in, void* out, const void* residual) const override {
    using T = typename P::storage_type;
    const tensor_dims di = conv_.shape().input_dims(), dout = conv_.shape().output_dims();
    const tensor_view<const T, L> x(static_cast<const T*>(in), di);
    if constexpr (P::quantized) {
      if (conv_.options().output_quant) {
        // 8-bit outputs take no residual: conv2d refuses one with errc::unsupported.
        conv_(x, tensor_view<T, L>(static_cast<T*>(out), dout),
              tensor_view<const T, L>(static_cast<const T*>(residual), dout));
        return;
      }
      conv_(x, tensor_view<float, L>(static_cast<float*>(out), dout),
            tensor_view<const float, L>(static_cast<const float*>(residual), dout));
    } else {
      conv_(x, tensor_view<T, L>(static_cast<T*>(out), dout),
            tensor_view<const T, L>(static_cast<const T*>(residual), dout));
    }
  }

 private:
  conv2d<L, P, S, A> conv_;
};

}  // namespace detail

/// A convolution layer with run-time policies: one conv2d<L, P, S, A> behind a virtual call.
///
/// Element types follow the precision: fp32 float in and out; fp16 half in and out; int8
/// uint8 codes in (options().input_quant) and uint8 codes out when options().output_quant is
/// set, float out otherwise. Copies share the (immutable) kernel; calls are const.
class conv_layer {
 public:
  conv_layer() = default;

  /// Builds conv2d<L, P, S, A>(shape, weights, bias, options) behind the interface. Only the
  /// combinations a program names are instantiated; conv_factory.hpp instantiates them all.
  template <class L, class P, class S, class A>
  static conv_layer make(const conv2d_shape& shape, std::span<const float> weights,
                         std::span<const float> bias, const conv2d_options& options) {
    conv_layer c;
    c.impl_ = std::make_shared<const detail::conv_model<L, P, S, A>>(shape, weights, bias, options);
    c.config_ = config_of<L, P, S, A>;
    return c;
  }

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  const conv_config& config() const noexcept { return config_; }
  const conv2d_shape& shape() const { return checked().shape(); }
  const conv2d_options& options() const { return checked().options(); }
  /// Exact bytes: weights held, workspace one call allocates, input and output tensors.
  dlas::footprint footprint() const { return checked().exact_footprint(); }

  /// The input this layer takes.
  tensor_desc input_desc() const {
    tensor_desc d{shape().input_dims(), element_type(config_.precision), config_.layout, {}};
    if (config_.precision == precision_kind::int8) d.quant = options().input_quant;
    return d;
  }
  /// The output this layer writes (int8 without output_quant writes float).
  tensor_desc output_desc() const {
    tensor_desc d{shape().output_dims(), element_type(config_.precision), config_.layout, {}};
    if (config_.precision == precision_kind::int8) {
      if (options().output_quant)
        d.quant = *options().output_quant;
      else
        d.type = dtype::f32;
    }
    return d;
  }

  /// output = act(conv(input) + bias [+ residual]), every description checked first
  /// (errc::mismatched_buffer naming the tensor that does not match).
  void operator()(const_tensor_ref in, tensor_ref out, const_tensor_ref residual = {}) const {
    require_desc(in.desc, input_desc(), "conv_layer " + to_string(config_) + " input");
    require_desc(out.desc, output_desc(), "conv_layer " + to_string(config_) + " output");
    if (residual.data) {
      tensor_desc r = output_desc();
      r.quant = residual.desc.quant;
      require_desc(residual.desc, r, "conv_layer " + to_string(config_) + " residual");
    }
    run(in.data, out.data, residual.data);
  }

  /// The call without description checks (the executor checked its plan once); conv2d still
  /// checks its own arguments.
  void run(const void* in, void* out, const void* residual = nullptr) const {
    checked().run(in, out, residual);
  }

 private:
  static constexpr dtype element_type(precision_kind p) noexcept {
    return p == precision_kind::fp32   ? dtype::f32
           : p == precision_kind::fp16 ? dtype::f16
                                       : dtype::u8;
  }
  const detail::conv_concept& checked() const {
    core::require(impl_ != nullptr, errc::invalid_argument,
                  [] { return std::string("conv_layer: empty layer (default-constructed)"); });
    return *impl_;
  }

  std::shared_ptr<const detail::conv_concept> impl_;
  conv_config config_{};
};

/// A function that builds a conv_layer for a run-time configuration, or throws
/// errc::unsupported naming a configuration it cannot build.
struct kernel_factory {
  conv_layer (*make)(const conv_config&, const conv2d_shape&, std::span<const float> weights,
                     std::span<const float> bias, const conv2d_options&) = nullptr;
  /// Whether `make` can build the configuration (a kernel exists and the set holds it).
  bool (*contains)(const conv_config&) = nullptr;
};

}  // namespace dlas::graph
