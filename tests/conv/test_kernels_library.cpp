// SPDX-License-Identifier: Apache-2.0
// dlas::kernels defines every kernel that extern_kernels.hpp declares: this program links
// against it with DLAS_EXTERN_KERNELS, so each call taken here must come from the library
// (the declarations keep this file from compiling its own), or the link fails.
#include <catch2/catch.hpp>

#include <cstdint>

#include "dlas/conv2d.hpp"

#ifndef DLAS_EXTERN_KERNELS
#error "the tests link dlas::kernels, which defines DLAS_EXTERN_KERNELS"
#endif

namespace {
// Taking a call's address needs its definition at link time.
template <class F>
int odr_use(F f) {
  return f != nullptr ? 1 : 0;
}
#define DLAS_TAKE_CALL(L, P, S, A, In, Out) calls += odr_use(&DLAS_CONV2D_TYPE(L, P, S, A)::operator()<In, Out>);
#define DLAS_TAKE_KERNEL(L, P, S, A) DLAS_KERNEL_CALLS_##P(DLAS_TAKE_CALL, L, S, A) ++kernels;

struct counts {
  int kernels = 0, calls = 0;
};
counts take_every_kernel() {
  int kernels = 0, calls = 0;
  DLAS_KERNELS(DLAS_TAKE_KERNEL)
  return {kernels, calls};
}
}  // namespace

TEST_CASE("dlas::kernels holds every kernel and every element-type pair of its call", "[conv][kernels]") {
  const counts c = take_every_kernel();
  // 2 layouts x (8 fp32, 8 fp16, 7 int8 dense + 6 CSR each): 82 kernels; int8 takes 6 pairs.
  CHECK(c.kernels == 82);
  CHECK(c.calls == 2 * (8 + 8 + 6 + 6) + 2 * (7 + 6) * 6);
}
