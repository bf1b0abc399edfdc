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
