// SPDX-License-Identifier: Apache-2.0
/// \file tensor.hpp
/// \brief tensor: an owning, aligned 4-D tensor in a given layout.
#pragma once

#include <memory_resource>

#include "dlas/core/buffer.hpp"
#include "dlas/core/tensor_view.hpp"

namespace dlas {

/// Owns dims.elements() zero-initialised elements and hands out views of them.
template <class T, class Layout>
class tensor {
 public:
  tensor() = default;
  explicit tensor(tensor_dims dims, std::pmr::memory_resource* mr = std::pmr::get_default_resource())
      : dims_(dims), data_(checked_elements(dims), mr) {}

  const tensor_dims& dims() const noexcept { return dims_; }
  index_t size() const noexcept { return data_.size(); }
  T* data() noexcept { return data_.data(); }
  const T* data() const noexcept { return data_.data(); }
  std::span<T> span() noexcept { return data_.span(); }
  std::span<const T> span() const noexcept { return data_.span(); }

  tensor_view<T, Layout> view() noexcept { return {data_.data(), dims_}; }
  tensor_view<const T, Layout> view() const noexcept { return {data_.data(), dims_}; }
  tensor_view<const T, Layout> cview() const noexcept { return view(); }

 private:
  static index_t checked_elements(const tensor_dims& d) {
    const index_t e = core::checked_product(d.n, d.c, d.h, d.w);
    core::require(e >= 0, errc::invalid_shape,
                  [&] { return "tensor dims " + to_string(d) + " are negative or overflow"; });
    return e;
  }

  tensor_dims dims_{};
  aligned_buffer<T> data_;
};

}  // namespace dlas
