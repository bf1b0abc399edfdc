// SPDX-License-Identifier: Apache-2.0
// The dlas.plan/1 reader: any JSON text is a plan that writes and reads back unchanged, or an
// errc::parse_error.
#include <string_view>

#include "dlas/memory/plan_io.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  return dlas::fuzz::guarded([&] {
    nlohmann::ordered_json j;
    try {
      j = nlohmann::ordered_json::parse(text.begin(), text.end());
    } catch (const nlohmann::ordered_json::exception&) {
      return;  // not JSON at all: read_plan reports that itself (tested in tests/memory)
    }
    try {
      const auto p = dlas::memory::plan_from_json(j);
      const auto written = dlas::memory::to_json(p);
      dlas::fuzz::expect(dlas::memory::to_json(dlas::memory::plan_from_json(written)) == written,
                         "plan does not round-trip");
    } catch (const dlas::error& e) {
      dlas::fuzz::expect(e.code() == dlas::errc::parse_error, "unexpected error code");
    }
  });
}
