// SPDX-License-Identifier: Apache-2.0
/// \file simd.hpp
/// \brief The architectures dlas compiles kernels for, and shims over xsimd 8.1 names.
#pragma once

#include <cstddef>
#include <string_view>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

/// Fully unrolls the next loop (constant trip count) so register tiles stay in registers.
#if defined(__clang__)
#define DLAS_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define DLAS_UNROLL _Pragma("GCC unroll 64")
#else
#define DLAS_UNROLL
#endif

namespace dlas::kernel {

/// The architecture the compiler targets (-march): what kernels use by default.
using default_arch = xsimd::default_arch;

/// Every x86 architecture dlas may carry kernels for, best first (portable builds).
using x86_arch_list = xsimd::arch_list<xsimd::avx512f, xsimd::fma3<xsimd::avx2>, xsimd::sse4_2>;

/// fp32 SIMD register of `Arch`.
template <class Arch>
using f32_batch = xsimd::batch<float, Arch>;

/// Short architecture name used in microkernel names (docs/naming.md): "avx2" for
/// fma3<avx2> (FMA is implied), otherwise xsimd's own name.
template <class Arch>
constexpr std::string_view arch_name() noexcept {
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) return "avx2";
  else if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::sse4_2>>) return "sse4_2";
  else return Arch::name();
}

/// Whether the running CPU executes `Arch` (xsimd 8.1 orders architectures by version).
template <class Arch>
inline bool arch_available() noexcept {
  return xsimd::available_architectures().best >= Arch::version();
}

/// Calls f(std::integral_constant<int, I>{}) for I = 0 .. N-1, fully unrolled.
template <int N, class F>
[[gnu::always_inline]] inline void static_for(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
  }(std::make_integer_sequence<int, N>{});
}

/// Widening load of `Arch::size` consecutive values stored as T into an fp32 register.
/// fp32 is a plain load; fp16 and int8 storage add their conversions here.
template <class Arch, class T>
[[gnu::always_inline]] inline f32_batch<Arch> load_as_f32(const T* p) noexcept {
  static_assert(std::is_same_v<T, float>, "dlas::kernel::load_as_f32: only fp32 storage so far");
  return f32_batch<Arch>::load_unaligned(p);
}

/// One stored value as fp32, broadcast to every lane.
template <class Arch, class T>
[[gnu::always_inline]] inline f32_batch<Arch> broadcast_as_f32(const T* p) noexcept {
  static_assert(std::is_same_v<T, float>, "dlas::kernel::broadcast_as_f32: only fp32 storage so far");
  return f32_batch<Arch>(*p);
}

}  // namespace dlas::kernel
