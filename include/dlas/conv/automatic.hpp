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

#include "dlas/config.hpp"
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

namespace dlas::DLAS_ISA_NAMESPACE::conv {

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
  // 4. Winograd F(4x4, 3x3): a quarter of the multiplies, once its transforms (SIMD over
  //    channels; NCHW through an NHWC copy) pay: from 16 channels and 8x8 outputs, and at
  //    7x7 with 16-lane transforms (AVX-512), where the padded tiles waste a third.
  if (sh.r == 3 && sh.s == 3 && sh.stride_h == 1 && sh.stride_w == 1 && sh.dilation_h == 1 &&
      sh.dilation_w == 1 && sh.groups == 1) {
    const tensor_dims out = sh.output_dims();
    const index_t smallest = detail::wino_lanes >= 16 ? 7 : 8;
    if (out.h >= smallest && out.w >= smallest) return auto_choice::winograd;
  }
  // 5. NHWC: taps read in place; NCHW: repacked to NHWC tiles and unpacked.
  return nhwc ? auto_choice::direct : auto_choice::spatial_pack;
}

/// The int8 dense rule table: rules 1 and 2 of choose_fp32, then spatial_pack in NCHW and
/// where its NHWC tile reads the padded image in runs and finishes in registers
/// (int8_gemm_conv::spatial_pack_preferred), else im2col_gemm. int8 direct reads tap by tap
/// and is never chosen (docs/dispatch.md); int8 has no winograd kernel.
template <class Layout>
constexpr auto_choice choose_int8(const conv2d_shape& sh) noexcept {
  if (DLAS_AUTOMATIC_HAS_DEPTHWISE && sh.is_depthwise()) return auto_choice::depthwise;
  if (sh.r == 1 && sh.s == 1) return auto_choice::pointwise;
  if (detail::int8_gemm_conv<Layout, algo::spatial_pack>::spatial_pack_preferred(sh)) return auto_choice::spatial_pack;
  return auto_choice::im2col_gemm;
}

/// The CSR rule table, every precision: pointwise for 1x1 kernels, spatial_pack otherwise.
/// In the measured sweep of docs/sparsity.md (ResNet-50 and MobileNet, densities 5% to
/// 100%) the fastest CSR kernel of a KxK layer was spatial_pack for 18 of 36 layer and
/// density points in NCHW (direct 17, im2col_gemm 1) and 23 of 36 in NHWC (direct 12): the
/// zero-padded copy makes the per-tile gather free of bounds checks. 1x1 layers went to
/// pointwise (in place on the NCHW planes).
constexpr auto_choice choose_csr(const conv2d_shape& sh) noexcept {
  return sh.r == 1 && sh.s == 1 ? auto_choice::pointwise : auto_choice::spatial_pack;
}

namespace detail {

/// Kernel Impl, chosen where the rule table answers V.
template <auto_choice V, class Impl>
struct choice_entry {
  static constexpr auto_choice value = V;
  using type = Impl;
};

/// algo::automatic over the kernels of Entries (choice_entry): owns the one whose value
/// Choose(shape) returns (the last entry when none matches).
template <auto Choose, class... Entries>
class chosen_kernel {
  using entries = std::tuple<Entries...>;
  template <std::size_t I>
  using impl = typename std::tuple_element_t<I, entries>::type;
  using variant_type = std::variant<typename Entries::type...>;

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

 public:
  static constexpr bool is_kernel = true;
  using weights_type = typename impl<0>::weights_type;

  static status can_implement(const conv2d_shape& sh) {
    return with_choice(Choose(sh), [&](auto i) { return impl<i>::can_implement(sh); });
  }
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t nnz) noexcept {
    return with_choice(Choose(sh), [&](auto i) { return impl<i>::weight_bytes(sh, nnz); });
  }
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return with_choice(Choose(sh), [&](auto i) { return impl<i>::workspace_bytes(sh); });
  }
  template <class In>
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return with_choice(Choose(sh), [&](auto i) { return workspace_bytes_for<impl<i>, In>(sh); });
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

template <class Layout, class Precision, class Sparsity, class Algorithm, auto_choice V>
using entry = choice_entry<V, algorithm_impl<Layout, Precision, Sparsity, Algorithm>>;

/// fp32 and fp16 dense: choose_fp32's table (fp16 follows it: the same kernels at half
/// storage); direct last, as the rule table's default.
template <class Layout, class Precision>
using dense_float_automatic = chosen_kernel<
    &choose_fp32<Layout>,
    entry<Layout, Precision, sparsity::dense, algo::pointwise, auto_choice::pointwise>,
    entry<Layout, Precision, sparsity::dense, algo::im2col_gemm, auto_choice::im2col_gemm>,
    entry<Layout, Precision, sparsity::dense, algo::spatial_pack, auto_choice::spatial_pack>,
    entry<Layout, Precision, sparsity::dense, algo::winograd, auto_choice::winograd>,
#if DLAS_AUTOMATIC_HAS_DEPTHWISE
    entry<Layout, Precision, sparsity::dense, algo::depthwise, auto_choice::depthwise>,
#endif
    entry<Layout, Precision, sparsity::dense, algo::direct, auto_choice::direct>>;

/// int8 dense: choose_int8's table (every kernel bit-exact with algo::reference).
template <class Layout>
using int8_automatic = chosen_kernel<
    &choose_int8<Layout>,
#if DLAS_AUTOMATIC_HAS_DEPTHWISE
    entry<Layout, precision::int8, sparsity::dense, algo::depthwise, auto_choice::depthwise>,
#endif
    entry<Layout, precision::int8, sparsity::dense, algo::pointwise, auto_choice::pointwise>,
    entry<Layout, precision::int8, sparsity::dense, algo::spatial_pack, auto_choice::spatial_pack>,
    entry<Layout, precision::int8, sparsity::dense, algo::im2col_gemm, auto_choice::im2col_gemm>>;

/// CSR, every precision: choose_csr's table.
template <class Layout, class Precision>
using csr_automatic =
    chosen_kernel<&choose_csr, entry<Layout, Precision, sparsity::csr, algo::pointwise, auto_choice::pointwise>,
                  entry<Layout, Precision, sparsity::csr, algo::spatial_pack, auto_choice::spatial_pack>>;

}  // namespace detail

/// fp32 and fp16 dense, NCHW and NHWC; see detail::dense_float_automatic.
template <layout_policy Layout, precision_policy Precision>
  requires(std::is_same_v<Precision, precision::fp32> || std::is_same_v<Precision, precision::fp16>)
class algorithm_impl<Layout, Precision, sparsity::dense, algo::automatic>
    : public detail::dense_float_automatic<Layout, Precision> {
  using base = detail::dense_float_automatic<Layout, Precision>;

 public:
  using base::base;
};

/// int8 dense, NCHW and NHWC; see detail::int8_automatic.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::int8, sparsity::dense, algo::automatic>
    : public detail::int8_automatic<Layout> {
  using base = detail::int8_automatic<Layout>;

 public:
  using base::base;
};

/// CSR, every precision, NCHW and NHWC; see detail::csr_automatic.
template <layout_policy Layout, precision_policy Precision>
class algorithm_impl<Layout, Precision, sparsity::csr, algo::automatic>
    : public detail::csr_automatic<Layout, Precision> {
  using base = detail::csr_automatic<Layout, Precision>;

 public:
  using base::base;
};

}  // namespace dlas::conv
