// SPDX-License-Identifier: Apache-2.0
/// \file bytes.hpp
/// \brief Building weight-file bytes by hand, as NumPy and the safetensors library write them.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace dlas::testing {

inline void append(std::vector<std::byte>& out, const std::string& s) {
  for (const char c : s) out.push_back(std::byte(static_cast<unsigned char>(c)));
}

/// `v` as `size` bytes, little- or big-endian.
inline void append_int(std::vector<std::byte>& out, std::uint64_t v, int size, bool little = true) {
  for (int i = 0; i < size; ++i) out.push_back(std::byte(v >> (8 * (little ? i : size - 1 - i))));
}

/// A version-1.0 .npy file with header dict `dict` (padded as np.save pads it) and raw data.
inline std::vector<std::byte> npy_file(const std::string& dict, const std::vector<std::byte>& data,
                                       int version = 1) {
  std::string header = dict;
  const std::size_t prefix = version == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::vector<std::byte> out;
  append(out, "\x93NUMPY");
  out.push_back(std::byte(version));
  out.push_back(std::byte(0));
  append_int(out, header.size(), version == 1 ? 2 : 4);
  append(out, header);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

/// A safetensors file with JSON header `json` (padded to 8 bytes) and raw data.
inline std::vector<std::byte> safetensors_file(std::string json, const std::vector<std::byte>& data) {
  while (json.size() % 8 != 0) json += ' ';
  std::vector<std::byte> out;
  append_int(out, json.size(), 8);
  append(out, json);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

inline std::vector<std::byte> f32_bytes(const std::vector<float>& v) {
  std::vector<std::byte> out;
  for (const float f : v) append_int(out, std::bit_cast<std::uint32_t>(f), 4);
  return out;
}

}  // namespace dlas::testing
