// SPDX-License-Identifier: Apache-2.0
/// \file buffer.hpp
/// \brief aligned_buffer: an owning, 64-byte aligned array drawn from a memory resource.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <memory_resource>
#include <new>
#include <span>
#include <string>
#include <type_traits>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"

namespace dlas {

namespace core {
namespace detail {
inline std::atomic<index_t>& allocation_limit_value() noexcept {
  static std::atomic<index_t> limit{index_t{1} << 40};
  return limit;
}
}  // namespace detail

/// Largest single allocation dlas makes (default 1 TiB). Larger requests, such as the
/// workspace of an absurd shape, are refused with errc::resource_limit before allocating.
inline index_t allocation_limit() noexcept { return detail::allocation_limit_value().load(); }

/// Sets allocation_limit(); a deployment on a small device can lower it to its memory size.
inline void set_allocation_limit(index_t bytes) {
  require(bytes > 0, errc::invalid_argument,
          [&] { return "set_allocation_limit: " + std::to_string(bytes) + " must be positive"; });
  detail::allocation_limit_value().store(bytes);
}

}  // namespace core

/// Tag for aligned_buffer: leave the elements uninitialised (workspaces overwritten anyway).
struct uninitialized_t {
  explicit uninitialized_t() = default;
};
inline constexpr uninitialized_t uninitialized{};

/// Bytes an aligned_buffer<T> of n elements allocates: the figure footprint() reports.
template <class T>
constexpr index_t buffer_bytes(index_t n) noexcept {
  return n * index_t(sizeof(T));
}

/// An owning array of trivially copyable T, aligned to DLAS_BUFFER_ALIGNMENT.
///
/// Memory comes from a std::pmr::memory_resource, so callers (tests, the executor's arena)
/// can count or place every byte a kernel allocates. Allocation failure and size overflow
/// and requests above core::allocation_limit() surface as dlas::error(errc::resource_limit).
template <class T>
class aligned_buffer {
  static_assert(std::is_trivially_copyable_v<T>, "aligned_buffer holds trivially copyable types");

 public:
  static constexpr std::size_t alignment = DLAS_BUFFER_ALIGNMENT;

  aligned_buffer() noexcept = default;

  /// n zero-initialised elements.
  explicit aligned_buffer(index_t n,
                          std::pmr::memory_resource* mr = std::pmr::get_default_resource())
      : aligned_buffer(n, uninitialized, mr) {
    if (size_ > 0) std::memset(static_cast<void*>(data_), 0, std::size_t(size_) * sizeof(T));
  }

  /// n uninitialised elements.
  aligned_buffer(index_t n, uninitialized_t,
                 std::pmr::memory_resource* mr = std::pmr::get_default_resource())
      : mr_(mr) {
    core::require(n >= 0 && core::checked_mul(n, index_t(sizeof(T))) >= 0, errc::resource_limit,
                  [&] { return "buffer of " + std::to_string(n) + " elements overflows"; });
    core::require(n * index_t(sizeof(T)) <= core::allocation_limit(), errc::resource_limit, [&] {
      return "allocation of " + std::to_string(n * index_t(sizeof(T))) +
             " bytes exceeds the limit of " + std::to_string(core::allocation_limit()) +
             " bytes (core::set_allocation_limit)";
    });
    if (n == 0) return;
    try {
      data_ = static_cast<T*>(mr_->allocate(std::size_t(n) * sizeof(T), alignment));
    } catch (const std::bad_alloc&) {
      throw error(errc::resource_limit,
                  "allocation of " + std::to_string(n * index_t(sizeof(T))) + " bytes failed");
    }
    size_ = n;
  }

  /// A copy of `values`.
  explicit aligned_buffer(std::span<const T> values,
                          std::pmr::memory_resource* mr = std::pmr::get_default_resource())
      : aligned_buffer(index_t(values.size()), uninitialized, mr) {
    if (size_ > 0) std::memcpy(static_cast<void*>(data_), values.data(), values.size_bytes());
  }

  aligned_buffer(aligned_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        mr_(other.mr_) {}
  aligned_buffer& operator=(aligned_buffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      mr_ = other.mr_;
    }
    return *this;
  }
  aligned_buffer(const aligned_buffer&) = delete;
  aligned_buffer& operator=(const aligned_buffer&) = delete;
  ~aligned_buffer() { release(); }

  T* data() noexcept { return data_; }
  const T* data() const noexcept { return data_; }
  index_t size() const noexcept { return size_; }
  index_t bytes() const noexcept { return buffer_bytes<T>(size_); }
  bool empty() const noexcept { return size_ == 0; }
  T& operator[](index_t i) noexcept { return data_[i]; }
  const T& operator[](index_t i) const noexcept { return data_[i]; }
  T* begin() noexcept { return data_; }
  T* end() noexcept { return data_ + size_; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }
  std::span<T> span() noexcept { return {data_, std::size_t(size_)}; }
  std::span<const T> span() const noexcept { return {data_, std::size_t(size_)}; }

 private:
  void release() noexcept {
    if (data_) mr_->deallocate(data_, std::size_t(size_) * sizeof(T), alignment);
    data_ = nullptr;
    size_ = 0;
  }

  T* data_ = nullptr;
  index_t size_ = 0;
  std::pmr::memory_resource* mr_ = std::pmr::get_default_resource();
};

}  // namespace dlas
