// SPDX-License-Identifier: Apache-2.0
/// \file simd.hpp
/// \brief The architectures dlas compiles kernels for, and shims over xsimd 8.1 names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include <xsimd/xsimd.hpp>

#include "dlas/config.hpp"
#include "dlas/core/half.hpp"

#if DLAS_HAS_F16C || defined(__AVX512F__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif
#if defined(__aarch64__) && defined(__linux__)
#include <sys/auxv.h>
#endif

/// Fully unrolls the next loop (constant trip count) so register tiles stay in registers.
#if defined(__clang__)
#define DLAS_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define DLAS_UNROLL _Pragma("GCC unroll 64")
#else
#define DLAS_UNROLL
#endif

namespace dlas::DLAS_ISA_NAMESPACE::kernel {

/// The architecture the compiler targets (-march): what kernels use by default.
using default_arch = xsimd::default_arch;

/// Every x86 architecture dlas may carry kernels for, best first (portable builds).
using x86_arch_list = xsimd::arch_list<xsimd::avx512f, xsimd::fma3<xsimd::avx2>, xsimd::sse4_2>;

/// fp32 SIMD register of `Arch`.
template <class Arch>
using f32_batch = xsimd::batch<float, Arch>;

/// Short architecture name used in microkernel names (docs/naming.md): "avx2" for
/// fma3<avx2> (FMA is implied), "neon" for arm64's neon64, otherwise xsimd's own name.
template <class Arch>
constexpr std::string_view arch_name() noexcept {
  if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::avx2>>) return "avx2";
  else if constexpr (std::is_same_v<Arch, xsimd::fma3<xsimd::sse4_2>>) return "sse4_2";
#if defined(__aarch64__)
  else if constexpr (std::is_same_v<Arch, xsimd::neon64>) return "neon";
#endif
  else return Arch::name();
}

/// Whether the running CPU executes `Arch` (xsimd 8.1 orders architectures by version).
template <class Arch>
inline bool arch_available() noexcept {
  return xsimd::available_architectures().best >= Arch::version();
}

/// Whether the running arm64 CPU has the Armv8.2-A dot-product instructions (SDOT, UDOT):
/// known at compile time under -march=...+dotprod, otherwise Linux's HWCAP_ASIMDDP bit.
inline bool cpu_has_dotprod() noexcept {
#if defined(__ARM_FEATURE_DOTPROD)
  return true;
#elif defined(__aarch64__) && defined(__linux__)
  constexpr unsigned long hwcap_asimddp = 1ul << 20;  // <asm/hwcap.h> HWCAP_ASIMDDP
  return (getauxval(AT_HWCAP) & hwcap_asimddp) != 0;
#else
  return false;
#endif
}

/// a * b + c rounded once, on any batch. xsimd 8.1 (Debian 12) has no AVX-512 fma: its generic
/// fallback is x * y + z, which rounds twice unless the compiler contracts it (GCC does, clang
/// does not), so zmm batches call vfmadd directly; the kernels' exactness claims and their
/// speed under either compiler rest on it.
template <class T, class A>
[[gnu::always_inline]] inline xsimd::batch<T, A> fmadd(const xsimd::batch<T, A>& a, const xsimd::batch<T, A>& b,
                                                       const xsimd::batch<T, A>& c) noexcept {
#if defined(__AVX512F__)
  if constexpr (sizeof(xsimd::batch<T, A>) == 64 && std::is_same_v<T, float>)
    return _mm512_fmadd_ps(a, b, c);
  else if constexpr (sizeof(xsimd::batch<T, A>) == 64 && std::is_same_v<T, double>)
    return _mm512_fmadd_pd(a, b, c);
  else
#endif
    return xsimd::fma(a, b, c);
}

/// Calls f(std::integral_constant<int, I>{}) for I = 0 .. N-1, fully unrolled.
template <int N, class F>
[[gnu::always_inline]] inline void static_for(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) {
    (f(std::integral_constant<int, I>{}), ...);
  }(std::make_integer_sequence<int, N>{});
}

/// Widening load of `Arch::size` consecutive values stored as T (float or dlas::half) into an
/// fp32 register. fp16 is converted in the register: F16C's vcvtph2ps where the target has
/// it, NEON's fcvtl on arm64, the exact portable routine of core/half.hpp otherwise.
template <class Arch, class T>
[[gnu::always_inline]] inline f32_batch<Arch> load_as_f32(const T* p) noexcept {
  using batch = f32_batch<Arch>;
  if constexpr (std::is_same_v<T, float>) {
    return batch::load_unaligned(p);
  } else {
    static_assert(std::is_same_v<T, half>, "dlas::kernel::load_as_f32: float or dlas::half storage");
    constexpr std::size_t n = batch::size;
#if DLAS_HAS_F16C
    if constexpr (n == 8)
      return batch(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    if constexpr (n == 4)
      return batch(_mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
#if defined(__AVX512F__)
    if constexpr (n == 16)
      return batch(_mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))));
#endif
#elif defined(__aarch64__)
    if constexpr (n == 4)
      return batch(vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const std::uint16_t*>(p)))));
#endif
    alignas(64) float tmp[n];
    for (std::size_t i = 0; i < n; ++i) tmp[i] = core::detail::half_bits_to_float_portable(p[i].bits);
    return batch::load_aligned(tmp);
  }
}

/// One stored value (float or dlas::half) as fp32, broadcast to every lane.
template <class Arch, class T>
[[gnu::always_inline]] inline f32_batch<Arch> broadcast_as_f32(const T* p) noexcept {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, half>,
                "dlas::kernel::broadcast_as_f32: float or dlas::half storage");
  return f32_batch<Arch>(float(*p));
}

/// Narrowing store of an fp32 register to `Arch::size` values of T: fp16 rounds each lane to
/// nearest even (vcvtps2ph with an explicit rounding mode, NEON fcvtn, or dlas::half), the
/// same rounding as dlas::half(float), so vector and scalar tails agree bit for bit.
template <class Arch, class T>
[[gnu::always_inline]] inline void store_from_f32(T* p, f32_batch<Arch> v) noexcept {
  using batch = f32_batch<Arch>;
  if constexpr (std::is_same_v<T, float>) {
    v.store_unaligned(p);
  } else {
    static_assert(std::is_same_v<T, half>, "dlas::kernel::store_from_f32: float or dlas::half storage");
    constexpr std::size_t n = batch::size;
#if DLAS_HAS_F16C
    constexpr int rne = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    if constexpr (n == 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, rne));
      return;
    }
    if constexpr (n == 4) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_cvtps_ph(v, rne));
      return;
    }
#if defined(__AVX512F__)
    if constexpr (n == 16) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(v, rne));
      return;
    }
#endif
#elif defined(__aarch64__)
    if constexpr (n == 4) {
      vst1_u16(reinterpret_cast<std::uint16_t*>(p), vreinterpret_u16_f16(vcvt_f16_f32(v)));
      return;
    }
#endif
    alignas(64) float tmp[n];
    v.store_aligned(tmp);
    for (std::size_t i = 0; i < n; ++i) p[i] = half(tmp[i]);
  }
}

}  // namespace dlas::kernel
