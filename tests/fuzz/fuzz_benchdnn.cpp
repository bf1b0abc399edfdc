// SPDX-License-Identifier: Apache-2.0
// The benchdnn shape-file parser: any text either parses into valid shapes that print and
// re-parse to the same shape, or is refused with errc::parse_error.
#include <string_view>

#include "dlas/bench/benchdnn.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  return dlas::fuzz::guarded([&] {
    try {
      for (const auto& p : dlas::bench::parse_shape_text(text, "fuzz")) {
        dlas::fuzz::expect(p.shape.is_valid(), "parsed an invalid shape");
        const auto again = dlas::bench::parse_descriptor(dlas::bench::to_benchdnn(p));
        dlas::fuzz::expect(again.shape == p.shape, "descriptor does not round-trip");
      }
    } catch (const dlas::error& e) {
      dlas::fuzz::expect(e.code() == dlas::errc::parse_error, "unexpected error code");
    }
  });
}
