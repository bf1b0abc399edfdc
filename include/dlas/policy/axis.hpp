// SPDX-License-Identifier: Apache-2.0
/// \file axis.hpp
/// \brief policy_axis: which axis a policy tag belongs to, so concepts can tell tags apart.
#pragma once

namespace dlas {

/// The four axes a convolution kernel is composed from.
enum class policy_axis { layout, precision, sparsity, algorithm };

}  // namespace dlas
