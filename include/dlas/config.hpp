// SPDX-License-Identifier: Apache-2.0
/// \file config.hpp
/// \brief Feature macros derived from the compiler's target and options.
#pragma once

#if defined(_OPENMP)
#define DLAS_HAS_OPENMP 1
#else
#define DLAS_HAS_OPENMP 0
#endif

#if defined(__F16C__)
#define DLAS_HAS_F16C 1
#else
#define DLAS_HAS_F16C 0
#endif

/// AVX-512 VNNI with byte/word and 256-bit forms (vpdpbusd on zmm and ymm): the int8 tiles'
/// widest x86 path.
#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define DLAS_HAS_AVX512_VNNI 1
#else
#define DLAS_HAS_AVX512_VNNI 0
#endif

/// Alignment of every buffer dlas allocates: one cache line, enough for AVX-512 loads.
#define DLAS_BUFFER_ALIGNMENT 64

/// The instruction set this translation unit compiles dlas for. Every part of dlas whose code
/// depends on it (kernel, conv, graph, optimize, tune, bench, pipeline) lives in the inline
/// namespace `dlas::isa_<DLAS_ISA>`, invisible to users (`dlas::conv2d` names it). A program
/// that compiles dlas once per instruction set and picks one at run time (dlas/core/isa.hpp,
/// CMake's dlas_add_portable_executable, docs/portable.md) gives each copy its own DLAS_ISA,
/// so no two copies share a symbol and the linker cannot mix them. The ISA-neutral parts
/// (core, memory, io, format, policy) are shared. Left undefined, it is `native`: the
/// compiler's own target.
#ifndef DLAS_ISA
#define DLAS_ISA native
#endif
#define DLAS_ISA_JOIN_(a, b) a##b
#define DLAS_ISA_JOIN(a, b) DLAS_ISA_JOIN_(a, b)
#define DLAS_ISA_STRING_(a) #a
#define DLAS_ISA_STRING(a) DLAS_ISA_STRING_(a)
/// DLAS_ISA as a string, e.g. "avx2" (for reports).
#define DLAS_ISA_NAME DLAS_ISA_STRING(DLAS_ISA)
/// `namespace dlas::DLAS_ISA_NAMESPACE::conv {` opens dlas::conv of this instruction set.
#define DLAS_ISA_NAMESPACE inline DLAS_ISA_JOIN(isa_, DLAS_ISA)
