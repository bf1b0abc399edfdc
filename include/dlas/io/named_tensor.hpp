// SPDX-License-Identifier: Apache-2.0
/// \file named_tensor.hpp
/// \brief A named fp32 tensor read from a weight file, and the element types files store.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"

namespace dlas::io {

/// Element types of weight files (safetensors names; NumPy's are mapped onto them).
enum class dtype { boolean, u8, i8, u16, i16, u32, i32, u64, i64, f16, bf16, f32, f64 };

/// Bytes of one element.
constexpr std::size_t size_of(dtype t) noexcept {
  switch (t) {
    case dtype::boolean: case dtype::u8: case dtype::i8: return 1;
    case dtype::u16: case dtype::i16: case dtype::f16: case dtype::bf16: return 2;
    case dtype::u32: case dtype::i32: case dtype::f32: return 4;
    default: return 8;
  }
}

/// The safetensors name of `t` ("F32", "BF16", ...).
constexpr std::string_view to_string(dtype t) noexcept {
  constexpr std::string_view names[] = {"BOOL", "U8",  "I8",  "U16", "I16", "U32", "I32",
                                        "U64",  "I64", "F16", "BF16", "F32", "F64"};
  return names[static_cast<int>(t)];
}

/// A tensor as dlas uses weights: row-major fp32 values and the shape the file gave.
///
/// Every stored type widens to fp32: integers above 2^24 (such as BatchNorm's
/// num_batches_tracked counters) round to the nearest float, which no weight depends on.
struct named_tensor {
  std::string name;
  std::vector<std::int64_t> shape;  ///< empty for a scalar
  std::vector<float> values;        ///< product of shape elements, C (row-major) order
  dtype stored = dtype::f32;        ///< the element type in the file

  std::int64_t numel() const noexcept { return std::int64_t(values.size()); }
};

/// Element count of `shape`, refused with errc::parse_error when a dimension is negative
/// and errc::resource_limit when the fp32 copy would exceed core::allocation_limit().
inline std::int64_t element_count(std::span<const std::int64_t> shape, std::string_view what) {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) {
    core::require(d >= 0, errc::parse_error,
                  [&] { return std::string(what) + ": negative dimension " + std::to_string(d); });
    core::require(d == 0 || n <= core::allocation_limit() / 4 / d, errc::resource_limit, [&] {
      return std::string(what) + ": shape exceeds the allocation limit of " +
             std::to_string(core::allocation_limit()) + " bytes";
    });
    n *= d;
  }
  return n;
}

namespace detail {

/// Reads `size_of(t)` bytes stored in byte order `little` (or big) as an unsigned integer.
inline std::uint64_t load_bits(const std::byte* p, std::size_t size, bool little) noexcept {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t at = little ? size - 1 - i : i;
    v = (v << 8) | std::uint64_t(std::to_integer<unsigned>(p[at]));
  }
  return v;
}

/// A double as the nearest float, +-inf beyond the float range (a plain cast is undefined
/// there).
inline float narrow(double d) noexcept {
  constexpr double top = double(std::numeric_limits<float>::max());
  if (d > top) return std::numeric_limits<float>::infinity();
  if (d < -top) return -std::numeric_limits<float>::infinity();
  return float(d);
}

}  // namespace detail

/// Widens `count` elements of type `t` at `src` to fp32; `little` is the file's byte order.
inline void widen_to_f32(dtype t, const std::byte* src, std::size_t count, bool little,
                         float* dst) noexcept {
  const std::size_t w = size_of(t);
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t b = detail::load_bits(src + i * w, w, little);
    float v = 0.0f;
    switch (t) {
      case dtype::boolean: v = b != 0 ? 1.0f : 0.0f; break;
      case dtype::u8: case dtype::u16: case dtype::u32: case dtype::u64: v = float(b); break;
      case dtype::i8: v = float(std::int8_t(std::uint8_t(b))); break;
      case dtype::i16: v = float(std::int16_t(std::uint16_t(b))); break;
      case dtype::i32: v = float(std::int32_t(std::uint32_t(b))); break;
      case dtype::i64: v = float(std::int64_t(b)); break;
      case dtype::f16: v = float(half::from_bits(std::uint16_t(b))); break;
      case dtype::bf16: v = std::bit_cast<float>(std::uint32_t(b) << 16); break;
      case dtype::f32: v = std::bit_cast<float>(std::uint32_t(b)); break;
      case dtype::f64: v = detail::narrow(std::bit_cast<double>(b)); break;
    }
    dst[i] = v;
  }
}

}  // namespace dlas::io
