// SPDX-License-Identifier: Apache-2.0
/// \file memory_meter.hpp
/// \brief memory_meter: a std::pmr resource that measures the bytes allocated through it.
///
/// Give it to a network, a kernel's workspace or a pipeline's queue and compare its peak with
/// what the memory model predicted: the bytes requested are counted exactly, independent of
/// the allocator underneath.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory_resource>

namespace dlas::core {

class memory_meter : public std::pmr::memory_resource {
 public:
  explicit memory_meter(std::pmr::memory_resource* upstream = std::pmr::get_default_resource()) noexcept
      : upstream_(upstream) {}

  std::size_t live_bytes() const noexcept { return live_.load(); }
  std::size_t peak_bytes() const noexcept { return peak_.load(); }
  std::size_t allocations() const noexcept { return count_.load(); }
  /// Starts a new peak measurement at the current live level.
  void reset_peak() noexcept { peak_.store(live_.load()); }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    void* p = upstream_->allocate(bytes, align);  // throws before anything is counted
    const std::size_t now = live_.fetch_add(bytes) + bytes;
    for (std::size_t seen = peak_.load(); now > seen && !peak_.compare_exchange_weak(seen, now);) {
    }
    count_.fetch_add(1);
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    live_.fetch_sub(bytes);
    upstream_->deallocate(p, bytes, align);
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }

  std::pmr::memory_resource* upstream_;
  std::atomic<std::size_t> live_{0}, peak_{0}, count_{0};
};

}  // namespace dlas::core
