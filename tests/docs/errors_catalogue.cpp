// SPDX-License-Identifier: Apache-2.0
// docs/errors.md lists exactly the (code, message) pairs that the tests assert with
// REQUIRE_DLAS_ERROR; regenerate it with `python3 tools/errors_catalogue.py`.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "docs/read_text.hpp"

using dlas::testing::read_text;

TEST_CASE("docs/errors.md matches the error assertions of the tests", "[docs][errors]") {
  const std::filesystem::path root = DLAS_SOURCE_DIR;
  std::vector<std::string> in_tests, in_doc;
  const std::regex assertion(R"re(errc::(\w+)\s*,\s*"((?:[^"\\]|\\.)*)"\s*\))re");
  for (const auto& e : std::filesystem::recursive_directory_iterator(root / "tests")) {
    if (e.path().extension() != ".cpp") continue;
    const std::string text = read_text(e.path());
    if (text.find("REQUIRE_DLAS_ERROR(") == std::string::npos) continue;
    for (std::sregex_iterator it(text.begin(), text.end(), assertion), end; it != end; ++it)
      in_tests.push_back((*it)[1].str() + ": " + (*it)[2].str());
  }
  std::istringstream doc(read_text(root / "docs" / "errors.md"));
  std::string line, code;
  const std::regex heading(R"(^## `(\w+)`)"), row(R"(^\| `((?:[^`])*)` \|)");
  std::smatch m;
  while (std::getline(doc, line)) {
    if (std::regex_search(line, m, heading)) code = m[1];
    else if (!code.empty() && std::regex_search(line, m, row)) in_doc.push_back(code + ": " + m[1].str());
  }
  std::sort(in_tests.begin(), in_tests.end());
  std::sort(in_doc.begin(), in_doc.end());
  INFO("run `python3 tools/errors_catalogue.py` to regenerate docs/errors.md");
  CHECK(in_tests == in_doc);
  CHECK(in_tests.size() >= 50);
}
