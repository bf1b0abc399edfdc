// SPDX-License-Identifier: Apache-2.0
#include "graph/kernels.hpp"

#include "dlas/graph/all_kernels.hpp"

namespace dlas::testing {

graph::kernel_factory graph_kernels() { return graph::all_kernels(); }

}  // namespace dlas::testing
