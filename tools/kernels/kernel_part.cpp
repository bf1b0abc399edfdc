// SPDX-License-Identifier: Apache-2.0
// One part of the tools' kernel set: the layout DLAS_PART_LAYOUT and the precisions
// DLAS_PART_PRECISIONS, every sparsity and algorithm that has a kernel; the build compiles
// this file once per part, naming it DLAS_PART_NAME.
#include "dlas/graph/conv_factory.hpp"
#include "tool_kernels.hpp"

namespace dlas::tools::detail {

graph::kernel_factory DLAS_PART_NAME() {
  using set = graph::kernel_product<graph::type_list<DLAS_PART_LAYOUT>, graph::type_list<DLAS_PART_PRECISIONS>,
                                    graph::every_sparsity, graph::every_algorithm>;
  return set::factory();
}

}  // namespace dlas::tools::detail
