// SPDX-License-Identifier: Apache-2.0
/// \file footprint.hpp
/// \brief footprint: the bytes one kernel or layer needs, a literal type that composes.
#pragma once

#include <algorithm>
#include <cstdint>

namespace dlas {

/// Memory a kernel needs, by role. All members are bytes.
///
/// `a + b` composes pieces that are live together (a kernel's parts, a stage's layers);
/// `merge(a, b)` combines alternatives where only one is live at a time (the largest of
/// each field). The value-initialised footprint is the identity of both.
struct footprint {
  std::int64_t weights = 0;    ///< packed weights, bias and their index arrays (CSR)
  std::int64_t workspace = 0;  ///< scratch the call allocates (im2col, packed panels, transforms)
  std::int64_t input = 0;      ///< input activation tensor
  std::int64_t output = 0;     ///< output activation tensor
  std::int64_t transient = 0;  ///< short-lived peak above the rest (none for most kernels)

  /// Everything that is live during one call.
  constexpr std::int64_t total() const noexcept {
    return weights + workspace + input + output + transient;
  }

  constexpr footprint& operator+=(const footprint& o) noexcept {
    weights += o.weights;
    workspace += o.workspace;
    input += o.input;
    output += o.output;
    transient += o.transient;
    return *this;
  }
  friend constexpr footprint operator+(footprint a, const footprint& b) noexcept {
    return a += b;
  }
  friend constexpr footprint merge(const footprint& a, const footprint& b) noexcept {
    return {std::max(a.weights, b.weights), std::max(a.workspace, b.workspace),
            std::max(a.input, b.input), std::max(a.output, b.output),
            std::max(a.transient, b.transient)};
  }
  constexpr bool operator==(const footprint&) const noexcept = default;
};

}  // namespace dlas
