// SPDX-License-Identifier: Apache-2.0
/// \file counting_resource.hpp
/// \brief A memory resource that counts live and peak bytes, to check footprint() exactly.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory_resource>

namespace dlas::testing {

class counting_resource : public std::pmr::memory_resource {
 public:
  std::size_t live = 0, peak = 0, allocations = 0;

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    live += bytes;
    peak = std::max(peak, live);
    ++allocations;
    return std::pmr::new_delete_resource()->allocate(bytes, align);
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    live -= bytes;
    std::pmr::new_delete_resource()->deallocate(p, bytes, align);
  }
  bool do_is_equal(const memory_resource& o) const noexcept override { return this == &o; }
};

/// Makes `r` the default resource for the current scope.
class scoped_default_resource {
 public:
  explicit scoped_default_resource(std::pmr::memory_resource* r)
      : old_(std::pmr::set_default_resource(r)) {}
  ~scoped_default_resource() { std::pmr::set_default_resource(old_); }

 private:
  std::pmr::memory_resource* old_;
};

}  // namespace dlas::testing
