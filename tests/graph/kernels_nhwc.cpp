// SPDX-License-Identifier: Apache-2.0
// fp32 dense kernels in NHWC for the network tests (see kernels.hpp).
#include "dlas/graph/conv_factory.hpp"
#include "graph/kernels.hpp"

namespace dlas::testing::detail {
namespace {
using set =
    graph::kernel_product<graph::type_list<layout::nhwc>, graph::type_list<precision::fp32>,
                          graph::type_list<sparsity::dense>,
                          graph::type_list<algo::automatic, algo::pointwise, algo::depthwise,
                                           algo::spatial_pack, algo::direct, algo::winograd>>;
}  // namespace

graph::conv_layer make_nhwc(const graph::conv_config& c, const conv2d_shape& s,
                            std::span<const float> w, std::span<const float> b,
                            const conv2d_options& o) {
  return set::make(c, s, w, b, o);
}
bool contains_nhwc(const graph::conv_config& c) { return set::contains(c); }

}  // namespace dlas::testing::detail
