// SPDX-License-Identifier: Apache-2.0
// conv2d_shape::check/validate on arbitrary field values: no overflow, no crash, and a valid
// verdict only for shapes whose derived sizes are positive and consistent.
#include "dlas/core/shape.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dlas::fuzz::byte_reader in(data, size);
  dlas::conv2d_shape s;
  // Small values are the interesting ones; a flag byte per field picks the full 64-bit range.
  auto field = [&]() -> dlas::index_t {
    const auto mode = in.take<std::uint8_t>();
    return (mode & 1) ? in.take<std::int64_t>() : dlas::index_t(in.take<std::int8_t>());
  };
  for (dlas::index_t* f : {&s.n, &s.c, &s.h, &s.w, &s.k, &s.r, &s.s, &s.stride_h, &s.stride_w,
                           &s.pad_top, &s.pad_left, &s.pad_bottom, &s.pad_right, &s.dilation_h,
                           &s.dilation_w, &s.groups})
    *f = field();
  const bool valid = s.is_valid();
  dlas::fuzz::guarded([&] { s.validate(); });
  if (valid) {
    dlas::fuzz::expect(s.output_h() >= 1 && s.output_w() >= 1, "valid shape with empty output");
    dlas::fuzz::expect(s.c % s.groups == 0 && s.k % s.groups == 0, "valid shape with bad groups");
    dlas::fuzz::expect(s.output_dims().elements() > 0 && s.weight_elements() > 0,
                       "valid shape with non-positive element counts");
    (void)s.flops();
  }
  return 0;
}
