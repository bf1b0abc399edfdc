// SPDX-License-Identifier: Apache-2.0
/// \file version.hpp
/// \brief dlas version numbers; CMake parses them from this file.
#pragma once

#define DLAS_VERSION_MAJOR 0
#define DLAS_VERSION_MINOR 1
#define DLAS_VERSION_PATCH 0

namespace dlas {
inline constexpr int version_major = DLAS_VERSION_MAJOR;
inline constexpr int version_minor = DLAS_VERSION_MINOR;
inline constexpr int version_patch = DLAS_VERSION_PATCH;
}  // namespace dlas
