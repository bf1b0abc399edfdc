// SPDX-License-Identifier: Apache-2.0
/// \file fuzz_common.hpp
/// \brief Shared pieces of the libFuzzer targets: reading fields from bytes, and the rule
/// that dlas::error is the only acceptable failure.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <exception>

#include "dlas/core/error.hpp"

namespace dlas::fuzz {

/// Consumes the input front to back; returns zeros once it is exhausted.
class byte_reader {
 public:
  byte_reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  template <class T>
  T take() {
    T v{};
    const std::size_t n = std::min(sizeof(T), size_ - pos_);
    std::memcpy(&v, data_ + pos_, n);
    pos_ += n;
    return v;
  }
  std::size_t left() const { return size_ - pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_, pos_ = 0;
};

/// Runs f; a dlas::error is the documented answer to bad input, anything else is a bug.
template <class F>
int guarded(F&& f) {
  try {
    f();
  } catch (const dlas::error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "non-dlas exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}

/// Aborts with a message when an invariant fails (libFuzzer keeps the input).
inline void expect(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

}  // namespace dlas::fuzz
