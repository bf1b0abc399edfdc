// SPDX-License-Identifier: Apache-2.0
/// \file all_kernels.hpp
/// \brief all_kernels(): the kernel set of every policy combination that has a kernel, for
/// programs that choose any configuration at run time (a sweep, a tuner). Calling
/// all_kernels() instantiates every conv2d combination, minutes of compile time, unless the
/// program links dlas::kernels (dlas/conv/extern_kernels.hpp), which compiles them once.
#pragma once

#include "dlas/config.hpp"
#include "dlas/graph/conv_factory.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Every combination conv::has_kernel admits: new kernels join without edits here.
using all_kernel_set =
    kernel_product<every_layout, every_precision, every_sparsity, every_algorithm>;

/// The factory of all_kernel_set.
inline kernel_factory all_kernels() noexcept { return all_kernel_set::factory(); }

}  // namespace dlas::graph
