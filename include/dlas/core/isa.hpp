// SPDX-License-Identifier: Apache-2.0
/// \file isa.hpp
/// \brief The x86-64 instruction-set levels a portable dlas program carries a copy for, the
/// level this CPU runs, and the choice among the copies a program was built with.
///
/// A portable program (CMake: DLAS_PORTABLE, dlas_add_portable_executable) compiles its own
/// sources and dlas once per level, each copy in its own namespace (DLAS_ISA, config.hpp),
/// and calls the copy of the best level the CPU has. The CPU is read with xsimd's detection,
/// the one xsimd::dispatch uses; DLAS_ISA_LEVEL in the environment asks for a lower level,
/// to compare the copies on one machine.
#pragma once

#include <array>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <xsimd/xsimd.hpp>

#include "dlas/core/error.hpp"

namespace dlas::core {

/// The levels, lowest first. Each copy is compiled with the -march of its x86-64 level.
enum class isa_level {
  sse4_2,  ///< x86-64-v2: SSE4.2, POPCNT; 4 floats a vector
  avx2,    ///< x86-64-v3: AVX2, FMA, F16C, BMI2; 8 floats a vector
  avx512,  ///< x86-64-v4: AVX-512 F, BW, DQ, CD, VL; 16 floats a vector
  avx512_vnni,  ///< x86-64-v4 and AVX-512 VNNI: int8 products with vpdpbusd
};

inline constexpr std::array<isa_level, 4> every_isa_level{isa_level::sse4_2, isa_level::avx2,
                                                          isa_level::avx512, isa_level::avx512_vnni};

constexpr std::string_view name(isa_level l) noexcept {
  switch (l) {
    case isa_level::sse4_2: return "sse4_2";
    case isa_level::avx2: return "avx2";
    case isa_level::avx512: return "avx512";
    case isa_level::avx512_vnni: return "avx512_vnni";
  }
  return "?";
}

inline std::optional<isa_level> parse_isa_level(std::string_view s) noexcept {
  for (isa_level l : every_isa_level)
    if (name(l) == s) return l;
  return std::nullopt;
}

/// The best level this CPU runs, or none (not x86-64, or older than SSE4.2). xsimd 8 reports
/// FMA with AVX2 and BW, DQ and CD with AVX-512 F; every CPU that has those has F16C and
/// AVX-512 VL too, which the levels also use. xsimd 8 does not know VNNI: the compiler's
/// CPU check does.
inline std::optional<isa_level> detected_isa_level() noexcept {
#if defined(__x86_64__) || defined(_M_AMD64)
  const auto a = xsimd::available_architectures();
  if (a.avx512f && a.avx512bw && a.avx512dq && a.avx512cd)
    return __builtin_cpu_supports("avx512vnni") ? isa_level::avx512_vnni : isa_level::avx512;
  if (a.avx2 && a.fma3_avx2) return isa_level::avx2;
  if (a.sse4_2) return isa_level::sse4_2;
#endif
  return std::nullopt;
}

/// The level a portable program runs among the `built` ones (any order): the highest the CPU
/// has, or `requested` (DLAS_ISA_LEVEL) when given. errc::unsupported when the CPU has none of
/// them or lacks the requested one; errc::invalid_argument for a name that is no level or a
/// level the program carries no copy of.
inline isa_level choose_isa_level(std::span<const isa_level> built, std::optional<isa_level> cpu,
                                  std::optional<std::string_view> requested = std::nullopt) {
  auto has = [&](isa_level l) {
    for (isa_level b : built)
      if (b == l) return true;
    return false;
  };
  auto list = [&] {
    std::string s;
    for (isa_level b : built) s += (s.empty() ? "" : ", ") + std::string(name(b));
    return s;
  };
  const std::string cpu_name = cpu ? std::string(name(*cpu)) : "below sse4_2 or not x86-64";
  if (requested) {
    const auto l = parse_isa_level(*requested);
    core::require(l && has(*l), errc::invalid_argument, [&] {
      return "DLAS_ISA_LEVEL=" + std::string(*requested) + ": this program carries copies for " + list();
    });
    core::require(cpu && *l <= *cpu, errc::unsupported, [&] {
      return "DLAS_ISA_LEVEL=" + std::string(*requested) + " is above this CPU's level (" + cpu_name + ")";
    });
    return *l;
  }
  std::optional<isa_level> best;
  for (isa_level b : built)
    if (cpu && b <= *cpu && (!best || b > *best)) best = b;
  core::require(best.has_value(), errc::unsupported, [&] {
    return "this CPU (" + cpu_name + ") runs none of this program's copies (" + list() + ")";
  });
  return *best;
}

/// choose_isa_level for this CPU and the environment's DLAS_ISA_LEVEL.
inline isa_level running_isa_level(std::span<const isa_level> built) {
  const char* env = std::getenv("DLAS_ISA_LEVEL");
  return choose_isa_level(built, detected_isa_level(),
                          env && *env ? std::optional<std::string_view>(env) : std::nullopt);
}

/// One copy of a portable program: its level and its main.
struct isa_copy {
  isa_level level;
  int (*main)(int, char**);
};

/// A portable program's main: runs the copy of running_isa_level, or says why none can run
/// (exit status 2).
inline int run_best_copy(std::span<const isa_copy> copies, int argc, char** argv) {
  std::array<isa_level, every_isa_level.size()> built{};
  std::size_t n = 0;
  for (const isa_copy& c : copies)
    if (n < built.size()) built[n++] = c.level;
  try {
    const isa_level l = running_isa_level(std::span<const isa_level>(built.data(), n));
    for (const isa_copy& c : copies)
      if (c.level == l) return c.main(argc, argv);
  } catch (const error& e) {
    std::fprintf(stderr, "%s: %s\n", argc > 0 ? argv[0] : "dlas", e.what());
  }
  return 2;
}

}  // namespace dlas::core
