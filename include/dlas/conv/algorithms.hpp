// SPDX-License-Identifier: Apache-2.0
/// \file algorithms.hpp
/// \brief Every algorithm_impl specialisation; the facade includes this one header.
#pragma once

#include "dlas/conv/reference.hpp"
