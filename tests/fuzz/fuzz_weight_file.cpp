// SPDX-License-Identifier: Apache-2.0
// The weight-file readers: any bytes are a .npy array and/or a safetensors file that write
// and read back bit for bit, or an errc::parse_error / errc::resource_limit.
#include <cstring>
#include <span>

#include "dlas/io/npy.hpp"
#include "dlas/io/safetensors.hpp"
#include "fuzz/fuzz_common.hpp"

namespace {

bool same(const dlas::io::named_tensor& a, const dlas::io::named_tensor& b) {
  return a.name == b.name && a.shape == b.shape && a.values.size() == b.values.size() &&
         std::memcmp(a.values.data(), b.values.data(), a.values.size() * sizeof(float)) == 0;
}

void expect_input_error(const dlas::error& e) {
  dlas::fuzz::expect(e.code() == dlas::errc::parse_error || e.code() == dlas::errc::resource_limit,
                     "unexpected error code");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  // A 1 MiB cap keeps a 4-byte header from asking for gigabytes of fp32.
  dlas::core::set_allocation_limit(std::int64_t{1} << 20);
  return dlas::fuzz::guarded([&] {
    try {
      const auto t = dlas::io::parse_npy(bytes, "x");
      dlas::fuzz::expect(same(dlas::io::parse_npy(dlas::io::npy_bytes(t), "x"), t),
                         "npy does not round-trip");
    } catch (const dlas::error& e) {
      expect_input_error(e);
    }
    try {
      const auto ts = dlas::io::parse_safetensors(bytes);
      const auto back = dlas::io::parse_safetensors(dlas::io::safetensors_bytes(ts));
      dlas::fuzz::expect(back.size() == ts.size(), "safetensors does not round-trip");
      for (std::size_t i = 0; i < ts.size(); ++i)
        dlas::fuzz::expect(same(back[i], ts[i]), "safetensors does not round-trip");
    } catch (const dlas::error& e) {
      expect_input_error(e);
    }
  });
}
