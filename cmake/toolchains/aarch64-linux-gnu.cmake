# SPDX-License-Identifier: Apache-2.0
# Cross-compiles dlas's tests for arm64 with Debian's g++-aarch64-linux-gnu; ctest runs the
# binaries under qemu-aarch64 (Debian's qemu-user). The binaries are linked statically, so
# no target sysroot is needed at run time; QEMU_CPU picks the emulated core (max, cortex-a53).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
# Header-only dependencies (xsimd, nlohmann_json, Catch2) are architecture-independent: use
# the host's CMake package files for them.
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
list(APPEND CMAKE_PREFIX_PATH /usr/lib/x86_64-linux-gnu/cmake /usr/lib/cmake /usr/share/cmake)
# The host's /usr/include comes last, after the target's own system headers: only the
# header-only libraries that the target sysroot lacks are found there.
set(CMAKE_CXX_FLAGS_INIT "-idirafter /usr/include")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")
# OpenMP's runtime linked statically too.
execute_process(COMMAND aarch64-linux-gnu-gcc -print-file-name=libgomp.a
                OUTPUT_VARIABLE _dlas_libgomp OUTPUT_STRIP_TRAILING_WHITESPACE)
set(OpenMP_gomp_LIBRARY "${_dlas_libgomp}" CACHE FILEPATH "static libgomp for arm64")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64)
