// SPDX-License-Identifier: Apache-2.0
// The choice among a portable program's copies (core/isa.hpp): the best level the CPU has,
// a requested lower one, and clear refusals.
#include <catch2/catch.hpp>

#include <array>
#include <optional>
#include <string_view>

#include "dlas/core/isa.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using core::isa_level;

namespace {
constexpr std::array<isa_level, 4> four_copies{isa_level::sse4_2, isa_level::avx2, isa_level::avx512,
                                       isa_level::avx512_vnni};
}

TEST_CASE("isa: names round-trip and order from lowest to highest", "[core][isa]") {
  for (std::size_t i = 0; i < core::every_isa_level.size(); ++i) {
    const isa_level l = core::every_isa_level[i];
    CHECK(core::parse_isa_level(core::name(l)) == l);
    if (i > 0) CHECK(core::every_isa_level[i - 1] < l);
  }
  CHECK_FALSE(core::parse_isa_level("avx9").has_value());
  CHECK_FALSE(core::parse_isa_level("").has_value());
}

TEST_CASE("isa: the best copy the CPU runs", "[core][isa]") {
  CHECK(core::choose_isa_level(four_copies, isa_level::avx512_vnni) == isa_level::avx512_vnni);
  CHECK(core::choose_isa_level(four_copies, isa_level::avx512) == isa_level::avx512);
  CHECK(core::choose_isa_level(four_copies, isa_level::avx2) == isa_level::avx2);
  CHECK(core::choose_isa_level(four_copies, isa_level::sse4_2) == isa_level::sse4_2);
  // A program without the CPU's own level runs the next one below, in any order given.
  constexpr std::array<isa_level, 2> two{isa_level::avx2, isa_level::sse4_2};
  CHECK(core::choose_isa_level(two, isa_level::avx512_vnni) == isa_level::avx2);
  REQUIRE_DLAS_ERROR(core::choose_isa_level(std::array{isa_level::avx2}, isa_level::sse4_2),
                     errc::unsupported, "this CPU (sse4_2) runs none of this program's copies (avx2)");
  REQUIRE_DLAS_ERROR(core::choose_isa_level(four_copies, std::nullopt), errc::unsupported,
                     "below sse4_2 or not x86-64");
}

TEST_CASE("isa: a requested level", "[core][isa]") {
  CHECK(core::choose_isa_level(four_copies, isa_level::avx512_vnni, "sse4_2") == isa_level::sse4_2);
  CHECK(core::choose_isa_level(four_copies, isa_level::avx2, "avx2") == isa_level::avx2);
  REQUIRE_DLAS_ERROR(core::choose_isa_level(four_copies, isa_level::avx2, "avx512"), errc::unsupported,
                     "DLAS_ISA_LEVEL=avx512 is above this CPU's level (avx2)");
  REQUIRE_DLAS_ERROR(core::choose_isa_level(four_copies, isa_level::avx2, "avx9"), errc::invalid_argument,
                     "this program carries copies for sse4_2, avx2, avx512, avx512_vnni");
  constexpr std::array<isa_level, 2> two{isa_level::sse4_2, isa_level::avx2};
  REQUIRE_DLAS_ERROR(core::choose_isa_level(two, isa_level::avx512, "avx512"), errc::invalid_argument,
                     "carries copies for sse4_2, avx2");
}

TEST_CASE("isa: this CPU's level is one of the levels, or none off x86-64", "[core][isa]") {
  const auto l = core::detected_isa_level();
#if defined(__x86_64__)
  REQUIRE(l.has_value());
  CHECK(core::parse_isa_level(core::name(*l)) == l);
#else
  CHECK_FALSE(l.has_value());
#endif
}
