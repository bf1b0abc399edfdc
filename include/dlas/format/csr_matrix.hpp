// SPDX-License-Identifier: Apache-2.0
/// \file csr_matrix.hpp
/// \brief csr_matrix: validated compressed sparse rows with the narrowest column index type.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>

#include "dlas/core/buffer.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::format {

/// Zero bytes appended to the value and index arrays so SIMD loads may read past the last
/// non-zero of a row without leaving the allocation.
inline constexpr index_t csr_overread_bytes = 64;

/// Bytes per column index: 1 when every column fits in uint8, then 2, then 4.
constexpr index_t csr_index_width(index_t cols) noexcept {
  return cols <= 256 ? 1 : cols <= 65536 ? 2 : 4;
}

/// Bytes a csr_matrix allocates: values and column indices (each padded by
/// csr_overread_bytes) and rows + 1 uint32 row pointers. The matrix allocates with exactly
/// this formula, so the memory model and the allocation cannot drift.
constexpr index_t csr_bytes(index_t rows, index_t cols, index_t nnz, index_t value_bytes) noexcept {
  return (nnz * value_bytes + csr_overread_bytes) + (nnz * csr_index_width(cols) + csr_overread_bytes) +
         (rows + 1) * index_t(sizeof(std::uint32_t));
}

/// A rows x cols sparse matrix in CSR form, Value being float, half or int8_t.
///
/// Row i's non-zeros are values()[row_ptr()[i] .. row_ptr()[i+1]) at strictly increasing
/// columns. Column indices use the narrowest unsigned type that holds cols - 1; kernels get
/// them as a typed span through visit_columns().
template <class Value>
class csr_matrix {
 public:
  csr_matrix() = default;

  /// Keeps the entries of a dense row-major rows x cols matrix whose magnitude exceeds
  /// `threshold` (threshold 0 keeps every non-zero).
  static csr_matrix from_dense(index_t rows, index_t cols, std::span<const Value> dense,
                               float threshold = 0.0f) {
    core::require(rows >= 0 && cols >= 0 && core::checked_mul(rows, cols) >= 0,
                  errc::malformed_csr, [&] {
                    return "csr_matrix::from_dense: invalid size " + std::to_string(rows) + " x " +
                           std::to_string(cols);
                  });
    core::require(index_t(dense.size()) == rows * cols, errc::mismatched_buffer, [&] {
      return "csr_matrix::from_dense: " + std::to_string(rows) + " x " + std::to_string(cols) +
             " matrix needs " + std::to_string(rows * cols) + " values, got " +
             std::to_string(dense.size());
    });
    core::require(std::isfinite(threshold) && threshold >= 0.0f, errc::invalid_argument, [&] {
      return "csr_matrix::from_dense: threshold " + std::to_string(threshold) +
             " must be finite and >= 0";
    });
    auto keep = [&](Value v) { return std::fabs(float(v)) > threshold; };
    index_t nnz = 0;
    for (const Value& v : dense) nnz += keep(v);
    csr_matrix m(rows, cols, nnz);
    index_t at = 0;
    m.visit_columns_mut([&](auto* col) {
      for (index_t i = 0; i < rows; ++i) {
        for (index_t j = 0; j < cols; ++j) {
          const Value v = dense[std::size_t(i * cols + j)];
          if (!keep(v)) continue;
          m.values_[at] = v;
          col[at] = static_cast<std::remove_pointer_t<decltype(col)>>(j);
          ++at;
        }
        m.row_ptr_[i + 1] = std::uint32_t(at);
      }
    });
    return m;
  }

  /// Builds from raw CSR arrays after checking every invariant: row_ptr has rows + 1
  /// entries, starts at 0, never decreases and ends at nnz; column indices are in [0, cols)
  /// and strictly increasing within a row; values and column indices both hold nnz entries.
  /// Violations throw errc::malformed_csr naming the first bad entry.
  static csr_matrix from_arrays(index_t rows, index_t cols, std::span<const index_t> row_ptr,
                                std::span<const index_t> col_idx, std::span<const Value> values) {
    auto fail = [](const std::string& what) { throw error(errc::malformed_csr, "csr_matrix: " + what); };
    if (rows < 0 || cols < 0) fail("negative size " + std::to_string(rows) + " x " + std::to_string(cols));
    if (index_t(row_ptr.size()) != rows + 1)
      fail("row_ptr has " + std::to_string(row_ptr.size()) + " entries, expected rows + 1 = " +
           std::to_string(rows + 1));
    if (row_ptr[0] != 0) fail("row_ptr[0] = " + std::to_string(row_ptr[0]) + ", expected 0");
    for (index_t i = 0; i < rows; ++i)
      if (row_ptr[std::size_t(i + 1)] < row_ptr[std::size_t(i)])
        fail("row_ptr decreases at row " + std::to_string(i) + " (" +
             std::to_string(row_ptr[std::size_t(i)]) + " -> " + std::to_string(row_ptr[std::size_t(i + 1)]) + ")");
    const index_t nnz = row_ptr[std::size_t(rows)];
    if (index_t(col_idx.size()) != nnz)
      fail("col_idx has " + std::to_string(col_idx.size()) + " entries, row_ptr[rows] = " + std::to_string(nnz));
    if (index_t(values.size()) != nnz)
      fail("values has " + std::to_string(values.size()) + " entries, row_ptr[rows] = " + std::to_string(nnz));
    if (nnz > index_t(std::numeric_limits<std::uint32_t>::max()))
      fail("nnz = " + std::to_string(nnz) + " exceeds the uint32 row pointer range");
    for (index_t i = 0; i < rows; ++i)
      for (index_t e = row_ptr[std::size_t(i)]; e < row_ptr[std::size_t(i + 1)]; ++e) {
        const index_t j = col_idx[std::size_t(e)];
        if (j < 0 || j >= cols)
          fail("col_idx[" + std::to_string(e) + "] = " + std::to_string(j) + " is outside [0, " +
               std::to_string(cols) + ") in row " + std::to_string(i));
        if (e > row_ptr[std::size_t(i)] && j <= col_idx[std::size_t(e - 1)])
          fail("col_idx is not strictly increasing in row " + std::to_string(i) + " at entry " +
               std::to_string(e));
      }
    csr_matrix m(rows, cols, nnz);
    for (index_t i = 0; i <= rows; ++i) m.row_ptr_[i] = std::uint32_t(row_ptr[std::size_t(i)]);
    m.visit_columns_mut([&](auto* col) {
      for (index_t e = 0; e < nnz; ++e) {
        col[e] = static_cast<std::remove_pointer_t<decltype(col)>>(col_idx[std::size_t(e)]);
        m.values_[e] = values[std::size_t(e)];
      }
    });
    return m;
  }

  index_t rows() const noexcept { return rows_; }
  index_t cols() const noexcept { return cols_; }
  index_t nnz() const noexcept { return nnz_; }
  /// Fraction of stored entries, nnz / (rows * cols); 0 for an empty matrix.
  double density() const noexcept {
    return rows_ * cols_ == 0 ? 0.0 : double(nnz_) / double(rows_ * cols_);
  }
  index_t index_width() const noexcept { return csr_index_width(cols_); }
  /// Bytes allocated; equals csr_bytes(rows, cols, nnz, sizeof(Value)).
  index_t bytes() const noexcept {
    return values_.bytes() + col_bytes_.bytes() + row_ptr_.bytes();
  }

  std::span<const std::uint32_t> row_ptr() const noexcept { return row_ptr_.span(); }
  std::span<const Value> values() const noexcept { return {values_.data(), std::size_t(nnz_)}; }

  /// Column index of stored entry e.
  index_t column(index_t e) const noexcept {
    return visit_columns([e](auto cols) { return index_t(cols[std::size_t(e)]); });
  }

  /// Calls f(std::span<const IndexT>) with the column indices at their stored width.
  template <class F>
  decltype(auto) visit_columns(F&& f) const {
    const void* p = col_bytes_.data();
    const std::size_t n = std::size_t(nnz_);
    switch (index_width()) {
      case 1: return f(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(p), n));
      case 2: return f(std::span<const std::uint16_t>(static_cast<const std::uint16_t*>(p), n));
      default: return f(std::span<const std::uint32_t>(static_cast<const std::uint32_t*>(p), n));
    }
  }

  /// Dense row-major copy, for tests and for converting back.
  aligned_buffer<Value> to_dense() const {
    aligned_buffer<Value> d(rows_ * cols_);
    visit_columns([&](auto col) {
      for (index_t i = 0; i < rows_; ++i)
        for (index_t e = row_ptr_[i]; e < row_ptr_[i + 1]; ++e)
          d[i * cols_ + index_t(col[std::size_t(e)])] = values_[e];
    });
    return d;
  }

 private:
  csr_matrix(index_t rows, index_t cols, index_t nnz)
      : rows_(rows),
        cols_(cols),
        nnz_(nnz),
        values_(nnz + csr_overread_bytes / index_t(sizeof(Value))),
        col_bytes_(nnz * csr_index_width(cols) + csr_overread_bytes),
        row_ptr_(rows + 1) {
    core::require(nnz <= index_t(std::numeric_limits<std::uint32_t>::max()), errc::resource_limit,
                  [&] { return "csr_matrix: nnz = " + std::to_string(nnz) + " exceeds uint32"; });
  }

  template <class F>
  void visit_columns_mut(F&& f) {
    void* p = col_bytes_.data();
    switch (index_width()) {
      case 1: f(static_cast<std::uint8_t*>(p)); break;
      case 2: f(static_cast<std::uint16_t*>(p)); break;
      default: f(static_cast<std::uint32_t*>(p)); break;
    }
  }

  index_t rows_ = 0, cols_ = 0, nnz_ = 0;
  aligned_buffer<Value> values_;
  aligned_buffer<std::uint8_t> col_bytes_;
  aligned_buffer<std::uint32_t> row_ptr_;
};

}  // namespace dlas::format
