// SPDX-License-Identifier: Apache-2.0
/// \file kernels.hpp
/// \brief The kernels the network tests run, instantiated once for all of them in
/// kernels_*.cpp (an object library), so the test files themselves instantiate no kernel.
///
/// fp32 dense in NCHW and NHWC: automatic, pointwise, depthwise, direct, im2col_gemm,
/// spatial_pack, winograd (automatic already holds all but winograd). fp32 CSR: direct in
/// NHWC, im2col_gemm in NCHW. fp16 and int8: reference in both layouts, dense and CSR.
#pragma once

#include <span>

#include "dlas/graph/conv_layer.hpp"

namespace dlas::testing {

/// The factory of every kernel listed above.
graph::kernel_factory graph_kernels();

namespace detail {
// One part of the set per object file, so they compile in parallel.
graph::conv_layer make_nchw(const graph::conv_config&, const conv2d_shape&, std::span<const float>,
                            std::span<const float>, const conv2d_options&);
bool contains_nchw(const graph::conv_config&);
graph::conv_layer make_nhwc(const graph::conv_config&, const conv2d_shape&, std::span<const float>,
                            std::span<const float>, const conv2d_options&);
bool contains_nhwc(const graph::conv_config&);
graph::conv_layer make_reduced(const graph::conv_config&, const conv2d_shape&,
                               std::span<const float>, std::span<const float>,
                               const conv2d_options&);
bool contains_reduced(const graph::conv_config&);
}  // namespace detail

}  // namespace dlas::testing
