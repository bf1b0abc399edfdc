// SPDX-License-Identifier: Apache-2.0
/// \file errors.hpp
/// \brief REQUIRE_DLAS_ERROR(expr, errc, text): expr throws dlas::error with that code and text.
#pragma once

#include <catch2/catch.hpp>

#include "dlas/core/error.hpp"

#define REQUIRE_DLAS_ERROR(expr, expected_code, expected_text)         \
  do {                                                                 \
    try {                                                              \
      expr;                                                            \
      FAIL("no dlas::error thrown by " #expr);                         \
    } catch (const dlas::error& dlas_error_) {                         \
      CHECK(dlas_error_.code() == (expected_code));                    \
      CHECK_THAT(dlas_error_.what(), Catch::Matchers::Contains(expected_text)); \
    }                                                                  \
  } while (0)
