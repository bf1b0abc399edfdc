// SPDX-License-Identifier: Apache-2.0
#include "tool_kernels.hpp"

#include "dlas/graph/all_kernels.hpp"

namespace dlas::tools {

graph::kernel_factory tool_kernels() { return graph::all_kernels(); }

}  // namespace dlas::tools
