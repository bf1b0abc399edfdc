// SPDX-License-Identifier: Apache-2.0
/// \file dlas.hpp
/// \brief Umbrella header: everything a user of dlas's kernels needs.
#pragma once

#include "dlas/config.hpp"
#include "dlas/version.hpp"
#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/footprint.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/core/tensor.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/policy/algorithm.hpp"
#include "dlas/policy/layout.hpp"
#include "dlas/policy/precision.hpp"
#include "dlas/policy/sparsity.hpp"
#include "dlas/format/csr_matrix.hpp"
#include "dlas/format/fp16.hpp"
#include "dlas/optimize/quantize.hpp"
#include "dlas/optimize/requantize.hpp"
#include "dlas/conv2d.hpp"
// Networks (include/dlas/graph/, docs/networks.md): the run-time policy values here; the
// executor is dlas/graph/network.hpp, architectures dlas/graph/models.hpp, and every kernel
// for run-time choice dlas/graph/build.hpp (its own header: it instantiates them all).
#include "dlas/graph/conv_config.hpp"
