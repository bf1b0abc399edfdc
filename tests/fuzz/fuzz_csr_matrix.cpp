// SPDX-License-Identifier: Apache-2.0
// csr_matrix::from_arrays on arbitrary arrays: malformed input is refused with
// errc::malformed_csr, accepted input round-trips through the dense form.
#include <vector>

#include "dlas/format/csr_matrix.hpp"
#include "fuzz/fuzz_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  dlas::fuzz::byte_reader in(data, size);
  const dlas::index_t rows = in.take<std::int8_t>(), cols = in.take<std::int16_t>();
  std::vector<dlas::index_t> row_ptr(std::size_t(in.take<std::uint8_t>() % 40));
  for (auto& v : row_ptr) v = in.take<std::int8_t>();
  std::vector<dlas::index_t> col(std::size_t(in.take<std::uint8_t>() % 64));
  for (auto& v : col) v = in.take<std::int16_t>();
  std::vector<float> values(std::size_t(in.take<std::uint8_t>() % 64));
  for (auto& v : values) v = float(in.take<std::int8_t>());
  return dlas::fuzz::guarded([&] {
    try {
      const auto m = dlas::format::csr_matrix<float>::from_arrays(rows, cols, row_ptr, col, values);
      const auto dense = m.to_dense();
      for (dlas::index_t i = 0; i < rows; ++i)
        for (dlas::index_t e = row_ptr[std::size_t(i)]; e < row_ptr[std::size_t(i + 1)]; ++e)
          dlas::fuzz::expect(dense[i * cols + col[std::size_t(e)]] == values[std::size_t(e)],
                             "dense form lost a value");
      dlas::fuzz::expect(m.bytes() == dlas::format::csr_bytes(rows, cols, m.nnz(), 4), "bytes formula");
    } catch (const dlas::error& e) {
      dlas::fuzz::expect(e.code() == dlas::errc::malformed_csr || e.code() == dlas::errc::resource_limit,
                         "unexpected error code");
    }
  });
}
