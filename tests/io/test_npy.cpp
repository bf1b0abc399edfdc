// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "dlas/io/npy.hpp"
#include "io/bytes.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::io;
using dlas::testing::append_int;
using dlas::testing::npy_file;

TEST_CASE("npy files as np.save writes them read back exactly", "[io][npy]") {
  const std::vector<float> v = {1.5f, -2.0f, 0.0f, 3.25f, 1e-30f, -7.0f};
  const auto t = parse_npy(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                                    testing::f32_bytes(v)),
                           "conv1.weight");
  CHECK(t.name == "conv1.weight");
  CHECK(t.shape == std::vector<std::int64_t>{2, 3});
  CHECK(t.values == v);
  CHECK(t.stored == dtype::f32);

  SECTION("every numeric descr and both byte orders widen to fp32") {
    struct sample {
      std::string descr;
      int size;
      std::uint64_t bits;
      float expected;
    };
    const sample samples[] = {
        {"<f8", 8, std::bit_cast<std::uint64_t>(0.1), 0.1f},
        {">f8", 8, std::bit_cast<std::uint64_t>(-2.5), -2.5f},
        {"<f2", 2, 0x3c00, 1.0f},  // half 1.0
        {"<f2", 2, 0xfbff, -65504.0f},
        {"|i1", 1, 0x80, -128.0f},
        {"|u1", 1, 0xff, 255.0f},
        {"<i2", 2, 0xfffe, -2.0f},
        {">u2", 2, 0x0102, 258.0f},
        {"<i4", 4, 0xffffff85, -123.0f},
        {"<u4", 4, 4000000000u, 4e9f},
        {"<i8", 8, std::uint64_t(-5), -5.0f},
        {"<u8", 8, 1u << 20, 1048576.0f},
        {"|b1", 1, 1, 1.0f},
        {"<f8", 8, std::bit_cast<std::uint64_t>(1e300), std::numeric_limits<float>::infinity()},
    };
    for (const auto& s : samples) {
      std::vector<std::byte> data;
      append_int(data, s.bits, s.size, s.descr[0] != '>');
      const auto got = parse_npy(
          npy_file("{'descr': '" + s.descr + "', 'fortran_order': False, 'shape': (1,), }", data), "x");
      INFO(s.descr);
      REQUIRE(got.values.size() == 1);
      CHECK(got.values[0] == s.expected);
    }
  }

  SECTION("Fortran order is re-laid out in C order") {
    // A 2x3 matrix [[0, 1, 2], [3, 4, 5]] stored column by column: 0 3 1 4 2 5.
    const auto f = parse_npy(npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                                      testing::f32_bytes({0, 3, 1, 4, 2, 5})),
                             "f");
    CHECK(f.values == std::vector<float>{0, 1, 2, 3, 4, 5});
    // 2x2x2: element (i, j, k) at Fortran offset i + 2j + 4k holds 100i + 10j + k.
    std::vector<float> col(8);
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j)
        for (int k = 0; k < 2; ++k) col[std::size_t(i + 2 * j + 4 * k)] = float(100 * i + 10 * j + k);
    const auto g = parse_npy(npy_file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2, 2), }",
                                      testing::f32_bytes(col)),
                             "g");
    CHECK(g.values == std::vector<float>{0, 1, 10, 11, 100, 101, 110, 111});
  }

  SECTION("scalars, empty arrays, version 2.0 headers") {
    const auto s = parse_npy(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                                      testing::f32_bytes({42.0f})),
                             "s");
    CHECK(s.shape.empty());
    CHECK(s.values == std::vector<float>{42.0f});
    const auto e = parse_npy(npy_file("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", {}), "e");
    CHECK(e.values.empty());
    const auto v2 = parse_npy(npy_file("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1,)}",
                                       testing::f32_bytes({1.0f}), 2),
                              "v2");
    CHECK(v2.values == std::vector<float>{1.0f});
  }
}

TEST_CASE("npy_bytes writes what parse_npy reads", "[io][npy]") {
  for (const auto& shape : std::vector<std::vector<std::int64_t>>{{}, {5}, {2, 3, 4}, {0, 3}}) {
    named_tensor t{"t", shape, {}, dtype::f32};
    std::int64_t n = 1;
    for (auto d : shape) n *= d;
    for (std::int64_t i = 0; i < n; ++i) t.values.push_back(float(i) * 0.5f - 3.0f);
    const auto bytes = npy_bytes(t);
    CHECK((bytes.size() - t.values.size() * 4) % 64 == 0);  // data aligned as np.save aligns it
    const auto back = parse_npy(bytes, "t");
    CHECK(back.shape == shape);
    CHECK(back.values == t.values);
  }
  REQUIRE_DLAS_ERROR(npy_bytes(named_tensor{"w", {2, 2}, {1.0f}, dtype::f32}), errc::mismatched_buffer,
                     "w: 1 values do not fill shape (2, 2)");
}

TEST_CASE("malformed npy files get a parse_error that says what is wrong", "[io][npy][errors]") {
  const auto one = testing::f32_bytes({1.0f});
  const auto file = [&](const std::string& dict) { return npy_file(dict, one); };
  REQUIRE_DLAS_ERROR(parse_npy(std::vector<std::byte>(4), "w"), errc::parse_error, "w: not a .npy file");
  auto bad_version = file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }");
  bad_version[6] = std::byte(9);
  REQUIRE_DLAS_ERROR(parse_npy(bad_version, "w"), errc::parse_error, "unsupported .npy version 9");
  auto long_header = file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }");
  long_header[8] = std::byte(0xff);
  long_header[9] = std::byte(0xff);
  REQUIRE_DLAS_ERROR(parse_npy(long_header, "w"), errc::parse_error, "runs past the end of the file");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }"), "w"),
                     errc::parse_error, "unsupported npy dtype '<c8'");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), "w"),
                     errc::parse_error, "unsupported npy dtype '|O'");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }"), "w"),
                     errc::parse_error, "expected a string");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': '<f4', 'shape': (1,), }"), "w"), errc::parse_error,
                     "needs 'descr', 'fortran_order' and 'shape'");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }"), "w"),
                     errc::parse_error, "must be True or False");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }"), "w"),
                     errc::parse_error, "tuple of non-negative integers");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"), "w"),
                     errc::parse_error, "shape needs 8 bytes of data, the file holds 4");
  REQUIRE_DLAS_ERROR(parse_npy(file("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}"), "w"),
                     errc::parse_error, "unknown header key 'x'");
  REQUIRE_DLAS_ERROR(
      parse_npy(file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999), }"), "w"),
      errc::resource_limit, "exceeds the allocation limit");
}
