// SPDX-License-Identifier: Apache-2.0
// The dlas.profile/1 reader: any text is a profile that writes and reads back unchanged, or
// an errc::parse_error.
#include <string_view>

#include "dlas/memory/profile_io.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  return dlas::fuzz::guarded([&] {
    try {
      const auto p = dlas::memory::parse_profile(text);
      const std::string written = dlas::memory::to_json(p).dump();
      const auto again = dlas::memory::parse_profile(written);
      dlas::fuzz::expect(dlas::memory::to_json(again).dump() == written, "profile does not round-trip");
    } catch (const dlas::error& e) {
      dlas::fuzz::expect(e.code() == dlas::errc::parse_error, "unexpected error code");
    }
  });
}
