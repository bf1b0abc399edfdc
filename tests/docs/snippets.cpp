// SPDX-License-Identifier: Apache-2.0
// Every code block in docs/ that names a snippet ("<!-- snippet: FILE [TAG] -->" on the line
// before it) must equal the lines between the two "// [TAG]" markers of tests/docs/FILE.
#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>

#include "docs/read_text.hpp"

using dlas::testing::read_text;

namespace {

// Lines strictly between the two "// [tag]" markers, with the common indentation removed.
std::string snippet(const std::string& source, const std::string& tag) {
  std::istringstream in(source);
  std::string line, out;
  const std::string marker = "// [" + tag + "]";
  int seen = 0;
  std::size_t indent = std::string::npos;
  std::vector<std::string> lines;
  while (std::getline(in, line)) {
    if (line.find(marker) != std::string::npos && line.find_first_not_of(' ') == line.find(marker)) {
      if (++seen == 2) break;
      continue;
    }
    if (seen == 1) {
      lines.push_back(line);
      if (!line.empty()) indent = std::min(indent, line.find_first_not_of(' '));
    }
  }
  for (const auto& l : lines) out += (l.size() >= indent ? l.substr(indent) : l) + "\n";
  return out;
}

}  // namespace

TEST_CASE("docs quote the compiled snippets verbatim", "[docs]") {
  const std::filesystem::path root = DLAS_SOURCE_DIR;
  const std::regex block(R"(<!-- snippet: (\S+) (\S+) -->\n```cpp\n([\s\S]*?)```)");
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(root / "docs")) {
    if (entry.path().extension() != ".md") continue;
    const std::string md = read_text(entry.path());
    for (std::sregex_iterator it(md.begin(), md.end(), block), end; it != end; ++it) {
      const std::string file = (*it)[1], tag = (*it)[2];
      INFO(entry.path().filename().string() << " quotes " << file << " [" << tag << "]");
      const std::string source = read_text(root / "tests" / "docs" / file);
      REQUIRE_FALSE(source.empty());
      CHECK((*it)[3].str() == snippet(source, tag));
      ++checked;
    }
  }
  CHECK(checked >= 5);
}
