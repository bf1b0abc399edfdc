// SPDX-License-Identifier: Apache-2.0
/// \file workspace_arena.hpp
/// \brief workspace_arena: the memory resource every convolution of a network draws its
/// workspace from, one shared buffer reused layer after layer, with exact accounting.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <mutex>

#include "dlas/config.hpp"
#include "dlas/core/shape.hpp"
#include "dlas/memory/executor_layout.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// Room for the alignment of up to four allocations in one call: each allocation after the
/// first may start up to DLAS_BUFFER_ALIGNMENT - 1 bytes after the previous one ends.
inline constexpr index_t workspace_alignment_reserve = 3 * DLAS_BUFFER_ALIGNMENT;

/// Bytes of the shared workspace buffer for layers whose largest workspace is `largest`
/// (conv2d's workspace_bytes: the sum of what one call allocates): that, rounded up to the
/// alignment, plus workspace_alignment_reserve; 0 when no layer needs a workspace.
constexpr index_t workspace_buffer_bytes(index_t largest) noexcept {
  return memory::workspace_buffer_bytes(largest, DLAS_BUFFER_ALIGNMENT, workspace_alignment_reserve);
}

/// A bump allocator over one buffer: allocations are placed one after another (aligned as
/// asked), and the buffer is reused from its start once every allocation has been returned,
/// which happens at the end of each convolution call. Thread-safe.
///
/// It records what the memory model predicts: the largest sum of requested bytes live at once
/// (peak_requested, comparable with footprint().workspace) and the highest byte used with
/// alignment (high_water, within the buffer). A request that does not fit is served by the
/// upstream resource and counted in overflow_bytes, so a wrong prediction shows, never crashes.
class workspace_arena final : public std::pmr::memory_resource {
 public:
  explicit workspace_arena(
      std::pmr::memory_resource* overflow = std::pmr::get_default_resource()) noexcept
      : overflow_(overflow) {}

  /// Serves allocations from [base, base + capacity) from now on (base aligned to
  /// DLAS_BUFFER_ALIGNMENT). Call between layer calls only.
  void attach(void* base, index_t capacity) noexcept {
    std::lock_guard lock(mutex_);
    base_ = static_cast<std::byte*>(base);
    capacity_ = capacity;
    top_ = 0;
    live_allocations_ = 0;
    live_requested_ = 0;
  }

  index_t capacity() const noexcept { return capacity_; }
  index_t peak_requested() const noexcept { return peak_requested_; }
  index_t high_water() const noexcept { return high_water_; }
  index_t overflow_bytes() const noexcept { return overflow_bytes_; }
  index_t allocations() const noexcept { return allocations_; }
  /// Clears the peaks and counters (not the live state).
  void reset_statistics() noexcept {
    std::lock_guard lock(mutex_);
    peak_requested_ = live_requested_;
    high_water_ = top_;
    overflow_bytes_ = 0;
    allocations_ = 0;
  }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    std::lock_guard lock(mutex_);
    ++allocations_;
    const index_t start = memory::align_up(top_, index_t(align));
    if (base_ && start + index_t(bytes) <= capacity_) {
      top_ = start + index_t(bytes);
      ++live_allocations_;
      live_requested_ += index_t(bytes);
      peak_requested_ = std::max(peak_requested_, live_requested_);
      high_water_ = std::max(high_water_, top_);
      return base_ + start;
    }
    overflow_bytes_ += index_t(bytes);
    return overflow_->allocate(bytes, align);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    std::lock_guard lock(mutex_);
    auto* b = static_cast<std::byte*>(p);
    if (base_ && b >= base_ && b <= base_ + capacity_) {
      live_requested_ -= index_t(bytes);
      if (--live_allocations_ == 0) top_ = 0;
      return;
    }
    overflow_->deallocate(p, bytes, align);
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override {
    return this == &o;
  }

  std::pmr::memory_resource* overflow_;
  std::mutex mutex_;
  std::byte* base_ = nullptr;
  index_t capacity_ = 0, top_ = 0;
  index_t live_allocations_ = 0, live_requested_ = 0;
  index_t peak_requested_ = 0, high_water_ = 0, overflow_bytes_ = 0, allocations_ = 0;
};

}  // namespace dlas::graph
