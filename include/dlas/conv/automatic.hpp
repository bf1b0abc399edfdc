// SPDX-License-Identifier: Apache-2.0
/// \file automatic.hpp
/// \brief algo::automatic in fp32, fp16 and int8, dense and CSR: one of the algorithms of that
/// precision and sparsity per shape, from the rule table of docs/dispatch.md (dense) and
/// docs/sparsity.md (CSR).
#pragma once

#include <memory_resource>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>

#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/csr_pointwise.hpp"
#include "dlas/conv/csr_spatial_pack.hpp"
#include "dlas/conv/direct.hpp"
#include "dlas/conv/im2col_gemm.hpp"
#include "dlas/conv/pointwise.hpp"
#include "dlas/conv/spatial_pack.hpp"
#include "dlas/conv/winograd.hpp"
#if __has_include("dlas/conv/depthwise.hpp")
#include "dlas/conv/depthwise.hpp"
#include "dlas/conv/depthwise_int8.hpp"
#define DLAS_AUTOMATIC_HAS_DEPTHWISE 1
#else
#define DLAS_AUTOMATIC_HAS_DEPTHWISE 0
#endif

namespace dlas::conv {

/// The algorithms algo::automatic chooses from.
enum class auto_choice { pointwise, direct, im2col_gemm, spatial_pack, depthwise, winograd };

constexpr std::string_view to_string(auto_choice c) noexcept {
  switch (c) {
    case auto_choice::pointwise: return "pointwise";
    case auto_choice::direct: return "direct";
    case auto_choice::im2col_gemm: return "im2col_gemm";
    case auto_choice::spatial_pack: return "spatial_pack";
    case auto_choice::depthwise: return "depthwise";
    case auto_choice::winograd: return "winograd";
  }
  return "direct";
}

/// The rule table of docs/dispatch.md, first match wins. It depends on the shape only (the
/// measured winners did not change between 1 and 2 threads), so footprints stay constant
/// expressions.
template <class Layout>
constexpr auto_choice choose_fp32(const conv2d_shape& sh) noexcept {
  constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  // 1. Depthwise: the depthwise kernel (SIMD over channels or rows, no GEMM).
  if (DLAS_AUTOMATIC_HAS_DEPTHWISE && sh.is_depthwise()) return auto_choice::depthwise;
  // 2. 1x1: a GEMM straight on the activations.
  if (sh.r == 1 && sh.s == 1) return auto_choice::pointwise;
  // 3. Few channels per group (first layers, c = 3): deeper GEMM steps than one tap gives.
  //    NHWC: whole kernel rows of the padded tile; NCHW: the im2col matrix.
  if (sh.c_per_group() < 16) return nhwc ? auto_choice::spatial_pack : auto_choice::im2col_gemm;
  // 4. Winograd F(4x4, 3x3): a quarter of the multiplies, once its transforms pay. NHWC
  //    (SIMD input transform): from 16 channels, unless the output is smaller than 8x8
  //    (at 7x7 the padded tiles waste a third). NCHW (scalar input transform): only from
  //    128 channels and 14x14 outputs.
  if (sh.r == 3 && sh.s == 3 && sh.stride_h == 1 && sh.stride_w == 1 && sh.dilation_h == 1 &&
      sh.dilation_w == 1 && sh.groups == 1) {
    const tensor_dims out = sh.output_dims();
    const bool pays = nhwc ? out.h >= 8 && out.w >= 8 : sh.c >= 128 && out.h >= 14 && out.w >= 14;
    if (pays) return auto_choice::winograd;
  }
  // 5. NHWC: taps read in place; NCHW: repacked to NHWC tiles and unpacked.
  return nhwc ? auto_choice::direct : auto_choice::spatial_pack;
}

/// fp32 and fp16 dense, NCHW and NHWC: owns the chosen algorithm's kernel. fp16 follows the
/// fp32 rule table (the same kernels at half storage).
template <layout_policy Layout, precision_policy Precision>
  requires(std::is_same_v<Precision, precision::fp32> || std::is_same_v<Precision, precision::fp16>)
class algorithm_impl<Layout, Precision, sparsity::dense, algo::automatic> {
  template <class A>
  using impl = algorithm_impl<Layout, Precision, sparsity::dense, A>;
#if DLAS_AUTOMATIC_HAS_DEPTHWISE
  using depthwise_impl = impl<algo::depthwise>;
  using variant_type = std::variant<impl<algo::pointwise>, impl<algo::direct>, impl<algo::im2col_gemm>,
                                    impl<algo::spatial_pack>, impl<algo::winograd>, depthwise_impl>;
#else
  using depthwise_impl = impl<algo::direct>;  // never chosen: rule 1 needs the header
  using variant_type = std::variant<impl<algo::pointwise>, impl<algo::direct>, impl<algo::im2col_gemm>,
                                    impl<algo::spatial_pack>, impl<algo::winograd>>;
#endif

  /// f(impl type tag) for the algorithm chosen for `sh`.
  template <class F>
  static constexpr auto with_choice(const conv2d_shape& sh, F&& f) {
    switch (conv::choose_fp32<Layout>(sh)) {
      case auto_choice::pointwise: return f(std::type_identity<impl<algo::pointwise>>{});
      case auto_choice::im2col_gemm: return f(std::type_identity<impl<algo::im2col_gemm>>{});
      case auto_choice::spatial_pack: return f(std::type_identity<impl<algo::spatial_pack>>{});
      case auto_choice::depthwise: return f(std::type_identity<depthwise_impl>{});
      case auto_choice::winograd: return f(std::type_identity<impl<algo::winograd>>{});
      case auto_choice::direct: break;
    }
    return f(std::type_identity<impl<algo::direct>>{});
  }

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<Precision, sparsity::dense>;

  static status can_implement(const conv2d_shape& sh) {
    return with_choice(sh, [&](auto t) { return decltype(t)::type::can_implement(sh); });
  }
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t nnz) noexcept {
    return with_choice(sh, [&](auto t) { return decltype(t)::type::weight_bytes(sh, nnz); });
  }
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return with_choice(sh, [&](auto t) { return decltype(t)::type::workspace_bytes(sh); });
  }

  algorithm_impl(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : impl_(with_choice(sh, [&](auto t) {
          return variant_type(std::in_place_type<typename decltype(t)::type>, sh, std::move(w), opt);
        })),
        choice_(conv::choose_fp32<Layout>(sh)) {}

  /// The algorithm this object runs.
  auto_choice choice() const noexcept { return choice_; }

  index_t weight_bytes() const noexcept {
    return std::visit([](const auto& i) { return i.weight_bytes(); }, impl_);
  }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr) const {
    std::visit([&](const auto& i) { i.template run<In, Out>(in, out, residual, mr); }, impl_);
  }

 private:
  variant_type impl_;
  auto_choice choice_;
};

namespace detail {

/// algo::automatic over two kernels: Pointwise for 1x1 kernels, Other (auto_choice
/// `OtherChoice`) for every other shape.
template <class Pointwise, class Other, auto_choice OtherChoice>
class pointwise_or {
  using variant_type = std::variant<Pointwise, Other>;

  static constexpr bool is_1x1(const conv2d_shape& sh) noexcept { return sh.r == 1 && sh.s == 1; }

 public:
  static constexpr bool is_kernel = true;
  using weights_type = typename Pointwise::weights_type;
  static_assert(std::is_same_v<weights_type, typename Other::weights_type>);

  static status can_implement(const conv2d_shape& sh) {
    return is_1x1(sh) ? Pointwise::can_implement(sh) : Other::can_implement(sh);
  }
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t nnz) noexcept {
    return is_1x1(sh) ? Pointwise::weight_bytes(sh, nnz) : Other::weight_bytes(sh, nnz);
  }
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return is_1x1(sh) ? Pointwise::workspace_bytes(sh) : Other::workspace_bytes(sh);
  }

  pointwise_or(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : impl_(is_1x1(sh) ? variant_type(std::in_place_type<Pointwise>, sh, std::move(w), opt)
                         : variant_type(std::in_place_type<Other>, sh, std::move(w), opt)) {}

  /// The algorithm this object runs.
  auto_choice choice() const noexcept { return impl_.index() == 0 ? auto_choice::pointwise : OtherChoice; }

  index_t weight_bytes() const noexcept {
    return std::visit([](const auto& i) { return i.weight_bytes(); }, impl_);
  }

  template <class In, class Out, class Layout>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr) const {
    std::visit([&](const auto& i) { i.template run<In, Out>(in, out, residual, mr); }, impl_);
  }

 private:
  variant_type impl_;
};

}  // namespace detail

/// The int8 dense rule table: rules 1 and 2 of choose_fp32, then im2col_gemm (int8 has no
/// direct, spatial_pack or winograd kernel).
constexpr auto_choice choose_int8(const conv2d_shape& sh) noexcept {
  if (DLAS_AUTOMATIC_HAS_DEPTHWISE && sh.is_depthwise()) return auto_choice::depthwise;
  if (sh.r == 1 && sh.s == 1) return auto_choice::pointwise;
  return auto_choice::im2col_gemm;
}

namespace detail {

/// Kernel Impl, chosen where the rule table answers V.
template <auto_choice V, class Impl>
struct choice_entry {
  static constexpr auto_choice value = V;
  using type = Impl;
};

/// algo::automatic over the kernels of Entries (choice_entry), the one whose value
/// Choose(shape) returns (the last entry when none matches).
template <auto Choose, class... Entries>
class chosen_kernel {
  using variant_type = std::variant<typename Entries::type...>;
  using entries = std::tuple<Entries...>;

  /// f(index constant) of the entry chosen for `sh`.
  template <std::size_t I = 0, class F>
  static constexpr auto with_choice(auto_choice c, F&& f) {
    if constexpr (I + 1 == sizeof...(Entries)) {
      return f(std::integral_constant<std::size_t, I>{});
    } else {
      if (c == std::tuple_element_t<I, entries>::value) return f(std::integral_constant<std::size_t, I>{});
      return with_choice<I + 1>(c, std::forward<F>(f));
    }
  }
  template <std::size_t I>
  using impl = typename std::tuple_element_t<I, entries>::type;

 public:
  static constexpr bool is_kernel = true;
  using weights_type = typename std::tuple_element_t<0, entries>::type::weights_type;

  static status can_implement(const conv2d_shape& sh) {
    return with_choice(Choose(sh), [&](auto i) { return impl<i>::can_implement(sh); });
  }
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t nnz) noexcept {
    return with_choice(Choose(sh), [&](auto i) { return impl<i>::weight_bytes(sh, nnz); });
  }
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return with_choice(Choose(sh), [&](auto i) { return impl<i>::workspace_bytes(sh); });
  }

  chosen_kernel(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : impl_(with_choice(Choose(sh), [&](auto i) {
          return variant_type(std::in_place_index<i>, sh, std::move(w), opt);
        })),
        choice_(Choose(sh)) {}

  /// The algorithm this object runs.
  auto_choice choice() const noexcept { return choice_; }

  index_t weight_bytes() const noexcept {
    return std::visit([](const auto& i) { return i.weight_bytes(); }, impl_);
  }

  template <class In, class Out, class Layout>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr) const {
    std::visit([&](const auto& i) { i.template run<In, Out>(in, out, residual, mr); }, impl_);
  }

 private:
  variant_type impl_;
  auto_choice choice_;
};

template <class Layout, class Algorithm>
using int8_impl = algorithm_impl<Layout, precision::int8, sparsity::dense, Algorithm>;

/// int8 dense algo::automatic: depthwise for depthwise shapes, pointwise for 1x1 kernels,
/// im2col_gemm otherwise (choose_int8; all three bit-exact with algo::reference).
template <class Layout>
using int8_automatic = chosen_kernel<
    &choose_int8,
#if DLAS_AUTOMATIC_HAS_DEPTHWISE
    choice_entry<auto_choice::depthwise, int8_impl<Layout, algo::depthwise>>,
#endif
    choice_entry<auto_choice::pointwise, int8_impl<Layout, algo::pointwise>>,
    choice_entry<auto_choice::im2col_gemm, int8_impl<Layout, algo::im2col_gemm>>>;

}  // namespace detail

/// int8 dense, NCHW and NHWC: see detail::int8_automatic.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::int8, sparsity::dense, algo::automatic>
    : public detail::int8_automatic<Layout> {
 public:
  using detail::int8_automatic<Layout>::chosen_kernel;
};

/// CSR, every precision, NCHW and NHWC: pointwise for 1x1 kernels, spatial_pack otherwise.
/// In the measured sweep of docs/sparsity.md (ResNet-50 and MobileNet, densities 5% to
/// 100%) the fastest CSR kernel of a KxK layer was spatial_pack for 18 of 36 layer and
/// density points in NCHW (direct 17, im2col_gemm 1) and 23 of 36 in NHWC (direct 12): the
/// zero-padded copy makes the per-tile gather free of bounds checks. 1x1 layers went to
/// pointwise (in place on the NCHW planes).
template <layout_policy Layout, precision_policy Precision>
class algorithm_impl<Layout, Precision, sparsity::csr, algo::automatic>
    : public detail::pointwise_or<algorithm_impl<Layout, Precision, sparsity::csr, algo::pointwise>,
                                  algorithm_impl<Layout, Precision, sparsity::csr, algo::spatial_pack>,
                                  auto_choice::spatial_pack> {
  using base = detail::pointwise_or<algorithm_impl<Layout, Precision, sparsity::csr, algo::pointwise>,
                                    algorithm_impl<Layout, Precision, sparsity::csr, algo::spatial_pack>,
                                    auto_choice::spatial_pack>;

 public:
  using base::base;
};

}  // namespace dlas::conv
