// SPDX-License-Identifier: Apache-2.0
/// \file tool_kernels.hpp
/// \brief Every kernel the command-line tools can choose at run time (graph::all_kernels()),
/// compiled once for all tools, in four parts that build in parallel.
#pragma once

#include "dlas/graph/conv_layer.hpp"

namespace dlas::tools {

/// The factory of every policy combination that has a kernel.
graph::kernel_factory tool_kernels();

namespace detail {
// One part per layout and precision group (kernel_part.cpp, compiled four times).
graph::kernel_factory kernels_nchw_fp32();
graph::kernel_factory kernels_nhwc_fp32();
graph::kernel_factory kernels_nchw_reduced();
graph::kernel_factory kernels_nhwc_reduced();
}  // namespace detail

}  // namespace dlas::tools
