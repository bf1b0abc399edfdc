// SPDX-License-Identifier: Apache-2.0
/// \file read_text.hpp
/// \brief The whole text of a file, for the tests that compare docs/ with the sources.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dlas::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace dlas::testing
