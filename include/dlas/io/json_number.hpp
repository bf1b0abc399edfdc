// SPDX-License-Identifier: Apache-2.0
/// \file json_number.hpp
/// \brief Integers read from JSON with their type and range checked.
///
/// nlohmann::json converts a float such as 1e300 to an integer type with a plain cast, which is
/// undefined behaviour; every reader of an untrusted document goes through json_integer instead.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "dlas/core/error.hpp"

namespace dlas::io {

/// `v` as T when it is a JSON integer that T can hold; errc::parse_error naming `what` otherwise.
template <class T, class Json>
T json_integer(const Json& v, std::string_view what) {
  const auto bad = [&] {
    return error(errc::parse_error, std::string(what) + " must be an integer in [" +
                                        std::to_string(std::numeric_limits<T>::min()) + ", " +
                                        std::to_string(std::numeric_limits<T>::max()) + "], got " +
                                        v.dump());
  };
  if (v.is_number_unsigned()) {
    const auto u = v.template get<std::uint64_t>();
    if (u > std::uint64_t(std::numeric_limits<T>::max())) throw bad();
    return T(u);
  }
  if (!v.is_number_integer()) throw bad();
  const auto i = v.template get<std::int64_t>();
  if (i < std::int64_t(std::numeric_limits<T>::min()) ||
      (i > 0 && std::uint64_t(i) > std::uint64_t(std::numeric_limits<T>::max())))
    throw bad();
  return T(i);
}

}  // namespace dlas::io
