// SPDX-License-Identifier: Apache-2.0
/// \file error.hpp
/// \brief The one exception type dlas throws, with a machine-readable code.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace dlas {

/// What kind of bad input or failure an error reports; stable for callers to branch on.
enum class errc {
  invalid_shape,      ///< a conv2d_shape field is out of range or inconsistent
  mismatched_buffer,  ///< a tensor or span does not have the size the shape requires
  malformed_csr,      ///< CSR arrays that break the format's invariants
  invalid_argument,   ///< any other argument outside its documented domain
  unsupported,        ///< a valid request that the chosen kernel cannot implement
  parse_error,        ///< a text or JSON input that does not follow its format
  io_error,           ///< a file that cannot be opened, read or written
  resource_limit,     ///< a size that overflows or exceeds a configured limit
};

/// Short name of an error code, as used in messages and docs/errors.md.
constexpr std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::invalid_shape: return "invalid_shape";
    case errc::mismatched_buffer: return "mismatched_buffer";
    case errc::malformed_csr: return "malformed_csr";
    case errc::invalid_argument: return "invalid_argument";
    case errc::unsupported: return "unsupported";
    case errc::parse_error: return "parse_error";
    case errc::io_error: return "io_error";
    case errc::resource_limit: return "resource_limit";
  }
  return "unknown";
}

/// Every failure dlas reports is a dlas::error; what() reads "dlas: <code>: <detail>".
class error : public std::runtime_error {
 public:
  error(errc code, const std::string& detail)
      : std::runtime_error("dlas: " + std::string(to_string(code)) + ": " + detail),
        code_(code) {}

  errc code() const noexcept { return code_; }

 private:
  errc code_;
};

/// Outcome of a check that callers may want without an exception (can_implement).
class status {
 public:
  status() = default;  ///< success
  status(errc code, std::string message) : failed_(true), code_(code), message_(std::move(message)) {}

  bool ok() const noexcept { return !failed_; }
  errc code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  /// Throws the equivalent dlas::error when the status is a failure.
  void throw_if_error() const {
    if (failed_) throw error(code_, message_);
  }

 private:
  bool failed_ = false;
  errc code_ = errc::invalid_argument;
  std::string message_;
};

namespace core {

/// Throws dlas::error(code, detail) when cond is false; detail is built only on failure.
template <class MakeDetail>
constexpr void require(bool cond, errc code, MakeDetail&& make_detail) {
  if (!cond) throw error(code, std::forward<MakeDetail>(make_detail)());
}

}  // namespace core
}  // namespace dlas
