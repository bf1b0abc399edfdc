// SPDX-License-Identifier: Apache-2.0
/// \file algorithms.hpp
/// \brief Every algorithm_impl specialisation; the facade includes this one header.
#pragma once

#include "dlas/conv/reference.hpp"
#include "dlas/conv/pointwise.hpp"
#include "dlas/conv/direct.hpp"
#include "dlas/conv/im2col_gemm.hpp"
#include "dlas/conv/spatial_pack.hpp"
#include "dlas/conv/depthwise.hpp"
#include "dlas/conv/depthwise_int8.hpp"
#include "dlas/conv/automatic.hpp"
#include "dlas/conv/winograd.hpp"
#include "dlas/conv/csr_pointwise.hpp"
#include "dlas/conv/csr_direct.hpp"
#include "dlas/conv/csr_im2col_gemm.hpp"
#include "dlas/conv/csr_spatial_pack.hpp"
