// SPDX-License-Identifier: Apache-2.0
/// \file conv_config.hpp
/// \brief conv_config: the four policy axes of a convolution as run-time values, their
/// mapping onto the compile-time tags, and the static queries (kernel exists, footprint).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/conv2d.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/footprint.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Run-time values of the four policy axes; each maps onto one tag of dlas::layout,
/// dlas::precision, dlas::sparsity and dlas::algo.
enum class layout_kind { nchw, nhwc };
enum class precision_kind { fp32, fp16, int8 };
enum class sparsity_kind { dense, csr };
enum class algorithm_kind {
  reference,
  direct,
  im2col_gemm,
  spatial_pack,
  pointwise,
  depthwise,
  winograd,
  automatic
};

inline constexpr std::array all_layouts{layout_kind::nchw, layout_kind::nhwc};
inline constexpr std::array all_precisions{precision_kind::fp32, precision_kind::fp16,
                                           precision_kind::int8};
inline constexpr std::array all_sparsities{sparsity_kind::dense, sparsity_kind::csr};
inline constexpr std::array all_algorithms{
    algorithm_kind::reference,    algorithm_kind::direct,    algorithm_kind::im2col_gemm,
    algorithm_kind::spatial_pack, algorithm_kind::pointwise, algorithm_kind::depthwise,
    algorithm_kind::winograd,     algorithm_kind::automatic};

constexpr std::string_view to_string(layout_kind v) noexcept {
  return v == layout_kind::nchw ? "nchw" : "nhwc";
}
constexpr std::string_view to_string(precision_kind v) noexcept {
  return v == precision_kind::fp32 ? "fp32" : v == precision_kind::fp16 ? "fp16" : "int8";
}
constexpr std::string_view to_string(sparsity_kind v) noexcept {
  return v == sparsity_kind::dense ? "dense" : "csr";
}
constexpr std::string_view to_string(algorithm_kind v) noexcept {
  switch (v) {
    case algorithm_kind::reference: return "reference";
    case algorithm_kind::direct: return "direct";
    case algorithm_kind::im2col_gemm: return "im2col_gemm";
    case algorithm_kind::spatial_pack: return "spatial_pack";
    case algorithm_kind::pointwise: return "pointwise";
    case algorithm_kind::depthwise: return "depthwise";
    case algorithm_kind::winograd: return "winograd";
    case algorithm_kind::automatic: return "automatic";
  }
  return "reference";
}

/// The policies of one convolution layer, chosen at run time.
struct conv_config {
  layout_kind layout = layout_kind::nchw;
  precision_kind precision = precision_kind::fp32;
  sparsity_kind sparsity = sparsity_kind::dense;
  algorithm_kind algorithm = algorithm_kind::automatic;

  constexpr bool operator==(const conv_config&) const noexcept = default;
};

/// "layout/precision/sparsity/algorithm", e.g. "nhwc/int8/csr/reference".
inline std::string to_string(const conv_config& c) {
  return std::string(to_string(c.layout)) + "/" + std::string(to_string(c.precision)) + "/" +
         std::string(to_string(c.sparsity)) + "/" + std::string(to_string(c.algorithm));
}

namespace detail {
template <class Enum, std::size_t N>
Enum parse_axis(std::string_view text, const std::array<Enum, N>& all, std::string_view axis) {
  for (Enum e : all)
    if (to_string(e) == text) return e;
  std::string known;
  for (Enum e : all) known += (known.empty() ? "" : ", ") + std::string(to_string(e));
  throw error(errc::invalid_argument, "unknown " + std::string(axis) + " '" + std::string(text) +
                                          "' (expected one of " + known + ")");
}
}  // namespace detail

inline layout_kind parse_layout(std::string_view s) {
  return detail::parse_axis(s, all_layouts, "layout");
}
inline precision_kind parse_precision(std::string_view s) {
  return detail::parse_axis(s, all_precisions, "precision");
}
inline sparsity_kind parse_sparsity(std::string_view s) {
  return detail::parse_axis(s, all_sparsities, "sparsity");
}
inline algorithm_kind parse_algorithm(std::string_view s) {
  return detail::parse_axis(s, all_algorithms, "algorithm");
}

/// Parses to_string's form "layout/precision/sparsity/algorithm"; errc::invalid_argument
/// naming the part that is not understood.
inline conv_config parse_conv_config(std::string_view text) {
  std::array<std::string_view, 4> part{};
  std::size_t n = 0, start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i)
    if (i == text.size() || text[i] == '/') {
      core::require(n < 4, errc::invalid_argument, [&] {
        return "conv_config '" + std::string(text) + "' has more than four parts";
      });
      part[n++] = text.substr(start, i - start);
      start = i + 1;
    }
  core::require(n == 4, errc::invalid_argument, [&] {
    return "conv_config '" + std::string(text) +
           "' must read layout/precision/sparsity/algorithm, e.g. nhwc/fp32/dense/direct";
  });
  return {parse_layout(part[0]), parse_precision(part[1]), parse_sparsity(part[2]),
          parse_algorithm(part[3])};
}

// The tag of each run-time value.
template <layout_kind V>
using layout_tag = std::conditional_t<V == layout_kind::nchw, layout::nchw, layout::nhwc>;
template <precision_kind V>
using precision_tag = std::conditional_t<
    V == precision_kind::fp32, precision::fp32,
    std::conditional_t<V == precision_kind::fp16, precision::fp16, precision::int8>>;
template <sparsity_kind V>
using sparsity_tag = std::conditional_t<V == sparsity_kind::dense, sparsity::dense, sparsity::csr>;

namespace detail {
/// The algorithm tags in the order of all_algorithms (checked below by name).
using algorithm_tags = std::tuple<algo::reference, algo::direct, algo::im2col_gemm, algo::spatial_pack,
                                  algo::pointwise, algo::depthwise, algo::winograd, algo::automatic>;
constexpr std::size_t algorithm_index(algorithm_kind v) {
  std::size_t i = 0;
  while (all_algorithms[i] != v) ++i;
  return i;
}
template <std::size_t... I>
constexpr bool tags_match_kinds(std::index_sequence<I...>) {
  return ((std::tuple_element_t<I, algorithm_tags>::name == to_string(all_algorithms[I])) && ...);
}
static_assert(std::tuple_size_v<algorithm_tags> == all_algorithms.size() &&
              tags_match_kinds(std::make_index_sequence<all_algorithms.size()>{}));
}  // namespace detail
template <algorithm_kind V>
using algorithm_tag = std::tuple_element_t<detail::algorithm_index(V), detail::algorithm_tags>;

/// The run-time value of each tag (the inverse mapping).
template <class L>
constexpr layout_kind layout_kind_of =
    std::is_same_v<L, layout::nchw> ? layout_kind::nchw : layout_kind::nhwc;
template <class P>
constexpr precision_kind precision_kind_of =
    std::is_same_v<P, precision::fp32>   ? precision_kind::fp32
    : std::is_same_v<P, precision::fp16> ? precision_kind::fp16
                                         : precision_kind::int8;
template <class S>
constexpr sparsity_kind sparsity_kind_of =
    S::compressed ? sparsity_kind::csr : sparsity_kind::dense;
template <class A>
constexpr algorithm_kind algorithm_kind_of = [] {
  for (algorithm_kind a : all_algorithms)
    if (to_string(a) == A::name) return a;
  return algorithm_kind::reference;
}();

/// The conv_config of the tags L, P, S, A.
template <class L, class P, class S, class A>
constexpr conv_config config_of{layout_kind_of<L>, precision_kind_of<P>, sparsity_kind_of<S>,
                                algorithm_kind_of<A>};

/// Calls `f.template operator()<L, P, S, A>()` with the tags of `c` when conv::has_kernel
/// holds for them, and returns its result; otherwise returns `missing()`. Every combination
/// with a kernel is instantiated, so new kernels appear here without edits; use it for the
/// static queries below (cheap: no kernel bodies), and kernel sets for construction.
template <class F, class Missing>
constexpr auto visit_config(const conv_config& c, F&& f, Missing&& missing) {
  using R = decltype(missing());
  std::optional<R> result;
  auto try_algo = [&]<class L, class P, class S, algorithm_kind A>() {
    if (c.algorithm != A) return;
    using AT = algorithm_tag<A>;
    if constexpr (conv::has_kernel<L, P, S, AT>)
      result.emplace(f.template operator()<L, P, S, AT>());
  };
  auto try_sparsity = [&]<class L, class P, sparsity_kind S>() {
    if (c.sparsity != S) return;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (try_algo.template operator()<L, P, sparsity_tag<S>, all_algorithms[I]>(), ...);
    }
    (std::make_index_sequence<all_algorithms.size()>{});
  };
  auto try_precision = [&]<class L, precision_kind P>() {
    if (c.precision != P) return;
    try_sparsity.template operator()<L, precision_tag<P>, sparsity_kind::dense>();
    try_sparsity.template operator()<L, precision_tag<P>, sparsity_kind::csr>();
  };
  auto try_layout = [&]<layout_kind L>() {
    if (c.layout != L) return;
    try_precision.template operator()<layout_tag<L>, precision_kind::fp32>();
    try_precision.template operator()<layout_tag<L>, precision_kind::fp16>();
    try_precision.template operator()<layout_tag<L>, precision_kind::int8>();
  };
  try_layout.template operator()<layout_kind::nchw>();
  try_layout.template operator()<layout_kind::nhwc>();
  if (result) return std::move(*result);
  return missing();
}

/// Whether conv2d<...> exists for the combination (conv::has_kernel; see docs/policies.md).
constexpr bool has_kernel(const conv_config& c) noexcept {
  return visit_config(
      c, []<class, class, class, class>() { return true; }, [] { return false; });
}

/// Why `c` cannot run `shape`: no kernel for the combination, or the kernel's
/// can_implement refusal (an invalid shape, or e.g. winograd on a 1x1 kernel). Success when
/// it can.
inline status can_implement(const conv_config& c, const conv2d_shape& shape) {
  return visit_config(
      c,
      [&]<class L, class P, class S, class A>() {
        return conv2d<L, P, S, A>::can_implement(shape);
      },
      [&] {
        return status(errc::unsupported,
                      "conv_config " + to_string(c) +
                          ": no kernel for this layout/precision/sparsity/algorithm combination "
                          "(docs/policies.md lists the supported ones; algorithm reference takes "
                          "them all)");
      });
}

/// Throws the error of can_implement(c, shape), prefixed with `what` (a layer name).
inline void require_implementable(const conv_config& c, const conv2d_shape& shape,
                                  std::string_view what) {
  const status s = can_implement(c, shape);
  if (!s.ok()) throw error(s.code(), std::string(what) + ": " + s.message());
}

/// conv2d<...>::footprint_of(shape, nnz) for the combination of `c` (a kernel must exist).
inline footprint footprint_of(const conv_config& c, const conv2d_shape& shape, index_t nnz) {
  return visit_config(
      c,
      [&]<class L, class P, class S, class A>() {
        return conv2d<L, P, S, A>::footprint_of(shape, nnz);
      },
      [&]() -> footprint {
        throw error(errc::unsupported, "conv_config " + to_string(c) + ": no kernel");
      });
}

/// Bytes of one activation element at a precision's storage type.
constexpr index_t storage_bytes(precision_kind p) noexcept {
  return p == precision_kind::fp32 ? 4 : p == precision_kind::fp16 ? 2 : 1;
}

}  // namespace dlas::graph
