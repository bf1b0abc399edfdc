// SPDX-License-Identifier: Apache-2.0
/// \file tool_kernels.hpp
/// \brief Every kernel the command-line tools can choose at run time (graph::all_kernels()):
/// the factory compiled once for all tools, the kernels once in dlas::kernels.
#pragma once

#include "dlas/graph/conv_layer.hpp"

namespace dlas::tools {

/// The factory of every policy combination that has a kernel.
graph::kernel_factory tool_kernels();

}  // namespace dlas::tools
