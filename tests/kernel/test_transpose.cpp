// SPDX-License-Identifier: Apache-2.0
// kernel/transpose.hpp: pixel rows <-> channel-major tiles, element for element against the
// index definition, for every block/tail split, null rows and zero-filled lanes.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "dlas/kernel/transpose.hpp"

using namespace dlas;

TEMPLATE_TEST_CASE("rows_to_columns and columns_to_rows follow their index definitions", "[kernel][transpose]",
                   float, std::int32_t) {
  using T = TestType;
  const index_t ldd = 40, lds_rows = 37;
  for (int m_pad : {1, 7, 8, 16, 19, 32}) {
    for (int m = 0; m <= m_pad; m += (m_pad > 8 ? 3 : 1)) {
      for (index_t n : {0, 1, 5, 8, 9, 16, 23}) {
        CAPTURE(m_pad, m, n);
        // m_pad pixel rows of n channels; every third row is null (padding).
        std::vector<T> image(std::size_t(m_pad * lds_rows));
        for (std::size_t e = 0; e < image.size(); ++e) image[e] = T(int(e % 1000) - 500);
        std::vector<const T*> rows(static_cast<std::size_t>(m_pad));
        for (int i = 0; i < m_pad; ++i) rows[std::size_t(i)] = i % 3 == 2 ? nullptr : image.data() + i * lds_rows;
        std::vector<T> panel(std::size_t(n * ldd + 1), T(7777));
        kernel::rows_to_columns(rows.data(), m, m_pad, n, panel.data(), ldd);
        for (index_t c = 0; c < n; ++c)
          for (int i = 0; i < ldd; ++i) {
            const T got = panel[std::size_t(c * ldd + i)];
            if (i >= m_pad) REQUIRE(got == T(7777));  // lanes past m_pad untouched
            else if (i >= m || !rows[std::size_t(i)]) REQUIRE(got == T(0));
            else REQUIRE(got == rows[std::size_t(i)][c]);
          }
        REQUIRE(panel.back() == T(7777));

        // And back: into fresh rows (nulls skipped), from the panel at stride ldd.
        std::vector<T> out(image.size(), T(-1));
        std::vector<T*> out_rows(static_cast<std::size_t>(m_pad));
        for (int i = 0; i < m_pad; ++i) out_rows[std::size_t(i)] = i % 3 == 2 ? nullptr : out.data() + i * lds_rows;
        kernel::columns_to_rows(panel.data(), ldd, n, out_rows.data(), m);
        for (int i = 0; i < m_pad; ++i)
          for (index_t c = 0; c < lds_rows; ++c) {
            const T got = out[std::size_t(i * lds_rows + c)];
            if (i < m && out_rows[std::size_t(i)] && c < n) REQUIRE(got == image[std::size_t(i * lds_rows + c)]);
            else REQUIRE(got == T(-1));
          }
      }
    }
  }
}
