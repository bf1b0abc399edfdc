// SPDX-License-Identifier: Apache-2.0
/// \file safetensors.hpp
/// \brief safetensors files (Hugging Face's format, what `safetensors.torch.save_file` writes):
/// read into named tensors, write fp32.
///
/// Layout: an 8-byte little-endian header length N, N bytes of JSON mapping each tensor name to
/// {"dtype", "shape", "data_offsets": [begin, end]} (offsets into the data that follows), an
/// optional "__metadata__" object of strings, then the data. As the format's own reader does,
/// dlas refuses headers over 100 MB, overlapping or out-of-range offsets, sizes that disagree
/// with the shape, and data with holes.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dlas/core/error.hpp"
#include "dlas/io/json_number.hpp"
#include "dlas/io/named_tensor.hpp"

namespace dlas::io {

/// Largest JSON header accepted (the limit of the reference implementation).
inline constexpr std::uint64_t safetensors_max_header = 100'000'000;

namespace detail {

inline dtype safetensors_dtype(const std::string& name, const std::string& where) {
  constexpr dtype all[] = {dtype::boolean, dtype::u8,  dtype::i8,  dtype::u16, dtype::i16,
                           dtype::u32,     dtype::i32, dtype::u64, dtype::i64, dtype::f16,
                           dtype::bf16,    dtype::f32, dtype::f64};
  for (const dtype t : all)
    if (to_string(t) == name) return t;
  throw error(errc::parse_error, where + ": unsupported dtype '" + name + "'");
}

}  // namespace detail

/// Parses a whole safetensors file, tensors in the order of their data.
inline std::vector<named_tensor> parse_safetensors(std::span<const std::byte> bytes,
                                                   const std::string& where = "safetensors") {
  const auto fail = [&](const std::string& what) { return error(errc::parse_error, where + ": " + what); };
  if (bytes.size() < 8) throw fail("shorter than the 8-byte header length");
  const std::uint64_t n = detail::load_bits(bytes.data(), 8, true);
  if (n > safetensors_max_header) throw fail("header length " + std::to_string(n) + " exceeds 100 MB");
  if (n > bytes.size() - 8) throw fail("header of " + std::to_string(n) + " bytes runs past the end of the file");
  const auto* text = reinterpret_cast<const char*>(bytes.data()) + 8;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(text, text + n);
  } catch (const nlohmann::json::exception& e) {
    throw fail(std::string("malformed JSON header: ") + e.what());
  }
  if (!header.is_object()) throw fail("the header is not a JSON object");
  const std::span<const std::byte> data = bytes.subspan(8 + std::size_t(n));

  struct entry {
    std::uint64_t begin, end;
    named_tensor t;
  };
  std::vector<entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& key = it.key();
    if (key == "__metadata__") {
      if (!it->is_object()) throw fail("'__metadata__' must be an object of strings");
      for (const auto& v : *it)
        if (!v.is_string()) throw fail("'__metadata__' must be an object of strings");
      continue;
    }
    if (key.empty()) throw fail("a tensor name is empty");  // the writer refuses it too
    const std::string at = where + ": tensor '" + key + "'";
    const auto& info = *it;
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") ||
        !info.contains("data_offsets") || !info["dtype"].is_string() || !info["shape"].is_array() ||
        !info["data_offsets"].is_array() || info["data_offsets"].size() != 2)
      throw error(errc::parse_error, at + ": needs \"dtype\", \"shape\" and \"data_offsets\": [begin, end]");
    entry e{json_integer<std::uint64_t>(info["data_offsets"][0], at + ": data_offsets[0]"),
            json_integer<std::uint64_t>(info["data_offsets"][1], at + ": data_offsets[1]"), {}};
    e.t.name = key;
    e.t.stored = detail::safetensors_dtype(info["dtype"].get<std::string>(), at);
    for (const auto& d : info["shape"]) e.t.shape.push_back(json_integer<std::int64_t>(d, at + ": shape"));
    const std::int64_t count = element_count(e.t.shape, at);
    if (e.begin > e.end || e.end > data.size())
      throw error(errc::parse_error, at + ": data_offsets [" + std::to_string(e.begin) + ", " +
                                         std::to_string(e.end) + "] outside the " +
                                         std::to_string(data.size()) + " data bytes");
    if (e.end - e.begin != std::uint64_t(count) * size_of(e.t.stored))
      throw error(errc::parse_error, at + ": " + std::to_string(e.end - e.begin) +
                                         " data bytes for " + std::to_string(count) + " " +
                                         std::string(to_string(e.t.stored)) + " elements");
    entries.push_back(std::move(e));
  }
  std::sort(entries.begin(), entries.end(),
            [](const entry& a, const entry& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  std::uint64_t covered = 0;
  for (const auto& e : entries) {
    if (e.begin != covered)
      throw fail(e.begin < covered ? "tensor '" + e.t.name + "' overlaps another"
                                   : "data bytes [" + std::to_string(covered) + ", " +
                                         std::to_string(e.begin) + ") belong to no tensor");
    covered = e.end;
  }
  if (covered != data.size())
    throw fail(std::to_string(data.size() - covered) + " data bytes after the last tensor");

  std::vector<named_tensor> out;
  out.reserve(entries.size());
  for (auto& e : entries) {
    e.t.values.resize(std::size_t((e.end - e.begin) / size_of(e.t.stored)));
    widen_to_f32(e.t.stored, data.data() + e.begin, e.t.values.size(), true, e.t.values.data());
    out.push_back(std::move(e.t));
  }
  return out;
}

/// The bytes of a safetensors file holding `tensors` as F32, in the given order.
inline std::vector<std::byte> safetensors_bytes(std::span<const named_tensor> tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    core::require(std::int64_t(t.values.size()) == element_count(t.shape, t.name),
                  errc::mismatched_buffer,
                  [&] { return t.name + ": " + std::to_string(t.values.size()) + " values do not fill its shape"; });
    core::require(!t.name.empty() && t.name != "__metadata__" && !header.contains(t.name),
                  errc::invalid_argument,
                  [&] { return "safetensors: tensor name '" + t.name + "' is empty, reserved or repeated"; });
    header[t.name] = {{"dtype", "F32"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 4 * t.values.size()}}};
    offset += 4 * t.values.size();
  }
  std::string text = header.dump();
  while (text.size() % 8 != 0) text += ' ';  // data aligned to 8 bytes, as the format advises
  std::vector<std::byte> out(8 + text.size() + offset);
  for (int b = 0; b < 8; ++b) out[std::size_t(b)] = std::byte(std::uint64_t(text.size()) >> (8 * b));
  std::memcpy(out.data() + 8, text.data(), text.size());
  std::size_t at = 8 + text.size();
  for (const auto& t : tensors)
    for (const float v : t.values) {
      const auto bits = std::bit_cast<std::uint32_t>(v);
      for (int b = 0; b < 4; ++b) out[at++] = std::byte(bits >> (8 * b));
    }
  return out;
}

}  // namespace dlas::io
