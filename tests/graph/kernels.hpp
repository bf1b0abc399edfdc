// SPDX-License-Identifier: Apache-2.0
/// \file kernels.hpp
/// \brief The kernel set the network tests run: every combination (graph::all_kernels()),
/// its factory instantiated once in kernels.cpp; the kernels themselves come from dlas::kernels.
#pragma once

#include "dlas/graph/conv_layer.hpp"

namespace dlas::testing {

/// The factory of every policy combination that has a kernel.
graph::kernel_factory graph_kernels();

}  // namespace dlas::testing
