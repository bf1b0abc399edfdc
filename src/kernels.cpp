// SPDX-License-Identifier: Apache-2.0
// One part of dlas::kernels: the explicit instantiations of DLAS_KERNELS_<DLAS_KERNEL_GROUP> in
// layout DLAS_KERNEL_LAYOUT (the build compiles this file once per group and layout, so the
// parts build in parallel).
#include "dlas/conv/extern_kernels.hpp"
#include "dlas/graph/conv_factory.hpp"

#define DLAS_CAT_(a, b) a##b
#define DLAS_CAT(a, b) DLAS_CAT_(a, b)

DLAS_CAT(DLAS_KERNELS_, DLAS_KERNEL_GROUP)(DLAS_INSTANTIATE_KERNEL, DLAS_KERNEL_LAYOUT)

namespace {
// The lists in extern_kernels.hpp name exactly the combinations that have a kernel: each
// listed one instantiates above (conv2d stops on a combination without one), and the count
// matches conv::has_kernel over every tag of every axis.
template <class... C>
constexpr int count(dlas::graph::type_list<C...>) {
  return int(sizeof...(C));
}
#define DLAS_COUNT_ONE(L, P, S, A) +1
constexpr int listed = 0 DLAS_KERNELS(DLAS_COUNT_ONE);
static_assert(listed == count(dlas::graph::combo_product<dlas::graph::every_layout, dlas::graph::every_precision,
                                                          dlas::graph::every_sparsity, dlas::graph::every_algorithm>{}),
              "extern_kernels.hpp: the kernel lists differ from the combinations conv::has_kernel admits");
}  // namespace
