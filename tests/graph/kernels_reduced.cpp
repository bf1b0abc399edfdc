// SPDX-License-Identifier: Apache-2.0
// fp32 CSR, fp16 and int8 kernels for the network tests, and the factory of the whole set
// (see kernels.hpp).
#include "dlas/graph/conv_factory.hpp"
#include "graph/kernels.hpp"

namespace dlas::testing {
namespace detail {
namespace {
using csr32 =
    graph::type_list<graph::combo<layout::nhwc, precision::fp32, sparsity::csr, algo::direct>,
                     graph::combo<layout::nchw, precision::fp32, sparsity::csr, algo::im2col_gemm>>;
using reduced =
    graph::combo_product<graph::every_layout, graph::type_list<precision::fp16, precision::int8>,
                         graph::every_sparsity, graph::type_list<algo::reference>>;
using set = graph::kernel_union<csr32, reduced>;
}  // namespace

graph::conv_layer make_reduced(const graph::conv_config& c, const conv2d_shape& s,
                               std::span<const float> w, std::span<const float> b,
                               const conv2d_options& o) {
  return set::make(c, s, w, b, o);
}
bool contains_reduced(const graph::conv_config& c) { return set::contains(c); }

namespace {
bool contains_any(const graph::conv_config& c) {
  return contains_nchw(c) || contains_nhwc(c) || contains_reduced(c);
}
graph::conv_layer make_any(const graph::conv_config& c, const conv2d_shape& s,
                           std::span<const float> w, std::span<const float> b,
                           const conv2d_options& o) {
  if (contains_nchw(c)) return make_nchw(c, s, w, b, o);
  if (contains_nhwc(c)) return make_nhwc(c, s, w, b, o);
  return make_reduced(c, s, w, b, o);  // or its errc::unsupported
}
}  // namespace
}  // namespace detail

graph::kernel_factory graph_kernels() { return {&detail::make_any, &detail::contains_any}; }

}  // namespace dlas::testing
