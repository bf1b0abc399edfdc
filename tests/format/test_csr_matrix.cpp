// SPDX-License-Identifier: Apache-2.0
// csr_matrix: construction from dense and from raw arrays, validation, index width, bytes.
#include <catch2/catch.hpp>

#include <cstdint>

#include "dlas/core/half.hpp"
#include "dlas/format/csr_matrix.hpp"
#include "reference/counting_resource.hpp"

using namespace dlas;
using format::csr_matrix;

namespace {
std::string csr_error(index_t rows, index_t cols, std::vector<index_t> rp, std::vector<index_t> ci,
                      std::vector<float> v) {
  try {
    csr_matrix<float>::from_arrays(rows, cols, rp, ci, v);
  } catch (const error& e) {
    CHECK(e.code() == errc::malformed_csr);
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("from_dense keeps entries above the threshold in row order", "[format][csr]") {
  const std::vector<float> d{0, 1, 0, -2,  //
                             0, 0, 0, 0,   // empty row
                             3, 0.1f, 0, 4};
  auto m = csr_matrix<float>::from_dense(3, 4, d);
  CHECK(m.nnz() == 5);
  CHECK(std::vector<std::uint32_t>(m.row_ptr().begin(), m.row_ptr().end()) ==
        std::vector<std::uint32_t>{0, 2, 2, 5});
  CHECK(m.column(0) == 1);
  CHECK(m.column(4) == 3);
  auto back = m.to_dense();
  for (std::size_t i = 0; i < d.size(); ++i) CHECK(back[index_t(i)] == d[i]);
  auto pruned = csr_matrix<float>::from_dense(3, 4, d, 0.5f);
  CHECK(pruned.nnz() == 4);
  auto empty = csr_matrix<float>::from_dense(2, 3, std::vector<float>(6, 0.0f));
  CHECK(empty.nnz() == 0);
  CHECK(empty.density() == 0.0);
}

TEST_CASE("column indices use the narrowest width", "[format][csr]") {
  STATIC_REQUIRE(format::csr_index_width(256) == 1);
  STATIC_REQUIRE(format::csr_index_width(257) == 2);
  STATIC_REQUIRE(format::csr_index_width(65536) == 2);
  STATIC_REQUIRE(format::csr_index_width(65537) == 4);
  for (index_t cols : {5, 300, 70000}) {
    std::vector<half> d(std::size_t(2 * cols));
    d[std::size_t(cols - 1)] = half(1.0f);
    d[std::size_t(2 * cols - 1)] = half(2.0f);
    testing::counting_resource counter;
    testing::scoped_default_resource scope(&counter);
    auto m = csr_matrix<half>::from_dense(2, cols, d);
    CHECK(m.index_width() == format::csr_index_width(cols));
    CHECK(m.column(1) == cols - 1);
    CHECK(m.bytes() == format::csr_bytes(2, cols, 2, 2));
    CHECK(index_t(counter.live) == m.bytes());
  }
}

TEST_CASE("from_arrays accepts valid CSR, including empty rows", "[format][csr]") {
  auto m = csr_matrix<std::int8_t>::from_arrays(3, 4, std::vector<index_t>{0, 1, 1, 3},
                                                std::vector<index_t>{2, 0, 3},
                                                std::vector<std::int8_t>{5, -1, 7});
  CHECK(m.nnz() == 3);
  CHECK(m.to_dense()[2] == 5);
  CHECK(m.to_dense()[11] == 7);
}

TEST_CASE("from_arrays rejects malformed CSR with a precise message", "[format][csr]") {
  CHECK_THAT(csr_error(2, 3, {0, 1}, {0}, {1}), Catch::Matchers::Contains("row_ptr has 2 entries, expected rows + 1 = 3"));
  CHECK_THAT(csr_error(1, 3, {1, 1}, {}, {}), Catch::Matchers::Contains("row_ptr[0] = 1, expected 0"));
  CHECK_THAT(csr_error(2, 3, {0, 2, 1}, {0}, {1}), Catch::Matchers::Contains("row_ptr decreases at row 1"));
  CHECK_THAT(csr_error(1, 3, {0, 2}, {0}, {1, 2}), Catch::Matchers::Contains("col_idx has 1 entries"));
  CHECK_THAT(csr_error(1, 3, {0, 2}, {0, 1}, {1}), Catch::Matchers::Contains("values has 1 entries"));
  CHECK_THAT(csr_error(1, 3, {0, 1}, {3}, {1}), Catch::Matchers::Contains("col_idx[0] = 3 is outside [0, 3)"));
  CHECK_THAT(csr_error(1, 3, {0, 1}, {-1}, {1}), Catch::Matchers::Contains("is outside"));
  CHECK_THAT(csr_error(1, 3, {0, 2}, {1, 1}, {1, 2}), Catch::Matchers::Contains("not strictly increasing in row 0"));
  CHECK_THAT(csr_error(1, 3, {0, 2}, {2, 0}, {1, 2}), Catch::Matchers::Contains("not strictly increasing"));
  CHECK_THAT(csr_error(-1, 3, {}, {}, {}), Catch::Matchers::Contains("negative size"));
  CHECK_THROWS_AS(csr_matrix<float>::from_dense(2, 2, std::vector<float>(3)), error);
}
