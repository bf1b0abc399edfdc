// SPDX-License-Identifier: Apache-2.0
// conv2d_shape: derived sizes (in constant expressions) and validation messages.
#include <catch2/catch.hpp>

#include <limits>

#include "dlas/core/shape.hpp"

using namespace dlas;

namespace {
constexpr conv2d_shape stem{.n = 1, .c = 3, .h = 224, .w = 224, .k = 64, .r = 7, .s = 7,
                            .stride_h = 2, .stride_w = 2, .pad_top = 3, .pad_left = 3,
                            .pad_bottom = 3, .pad_right = 3};
static_assert(stem.output_h() == 112 && stem.output_w() == 112);
static_assert(stem.is_valid());
static_assert(stem.flops() == 2.0 * 64 * 112 * 112 * 3 * 49);
constexpr conv2d_shape dilated{.c = 1, .h = 10, .w = 10, .k = 1, .r = 3, .s = 3,
                               .dilation_h = 2, .dilation_w = 3};
static_assert(dilated.dilated_r() == 5 && dilated.dilated_s() == 7);
static_assert(dilated.output_h() == 6 && dilated.output_w() == 4);
static_assert(conv2d_shape{.c = 8, .k = 8, .groups = 8}.is_depthwise());

std::string message_of(const conv2d_shape& s) {
  try {
    s.validate();
  } catch (const error& e) {
    CHECK(e.code() == errc::invalid_shape);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("validate names the field and value of the first problem", "[core][shape]") {
  conv2d_shape s = stem;
  CHECK(message_of(s).empty());
  s.c = 0;
  CHECK(message_of(s) == "dlas: invalid_shape: conv2d_shape.c = 0 must be positive");
  s = stem;
  s.stride_w = -2;
  CHECK(message_of(s) == "dlas: invalid_shape: conv2d_shape.stride_w = -2 must be positive");
  s = stem;
  s.pad_left = -1;
  CHECK(message_of(s) == "dlas: invalid_shape: conv2d_shape.pad_left = -1 must not be negative");
  s = stem;
  s.groups = 2;  // divides k = 64 but not c = 3
  CHECK(message_of(s) == "dlas: invalid_shape: conv2d_shape.groups = 2 must divide the input channels c");
  s = stem;
  s.c = 4;
  s.groups = 4;
  s.k = 6;
  CHECK(message_of(s) == "dlas: invalid_shape: conv2d_shape.groups = 4 must divide the output channels k");
  s = stem;
  s.h = 4;
  s.pad_top = s.pad_bottom = 1;
  CHECK(message_of(s) ==
        "dlas: invalid_shape: conv2d_shape.r = 7 dilated kernel is taller than the padded input");
  s = stem;
  s.w = 5;
  s.dilation_w = 2;
  CHECK(message_of(s) ==
        "dlas: invalid_shape: conv2d_shape.s = 7 dilated kernel is wider than the padded input");
}

TEST_CASE("validate refuses sizes whose element counts overflow", "[core][shape]") {
  conv2d_shape s = stem;
  s.n = std::int64_t(1) << 40;
  s.c = std::int64_t(1) << 20;
  CHECK_THAT(message_of(s), Catch::Matchers::Contains("overflows the index type"));
  s = stem;
  s.h = std::numeric_limits<index_t>::max();
  CHECK_THAT(message_of(s), Catch::Matchers::Contains("conv2d_shape.h = 9223372036854775807 is too large"));
  s = stem;
  s.k = std::int64_t(1) << 62;
  s.r = s.s = 1;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 0;
  CHECK_THAT(message_of(s), Catch::Matchers::Contains("overflows the index type"));
}

TEST_CASE("checked arithmetic reports overflow as -1", "[core][shape]") {
  STATIC_REQUIRE(core::checked_mul(3, 4) == 12);
  STATIC_REQUIRE(core::checked_mul(std::numeric_limits<index_t>::max(), 2) == -1);
  STATIC_REQUIRE(core::checked_product(2, 3, 4, 5) == 120);
  STATIC_REQUIRE(core::checked_product(std::int64_t(1) << 32, std::int64_t(1) << 32, 2) == -1);
}
