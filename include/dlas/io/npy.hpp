// SPDX-License-Identifier: Apache-2.0
/// \file npy.hpp
/// \brief NumPy .npy files (format versions 1.0, 2.0 and 3.0): read into a named_tensor, write
/// fp32.
///
/// A .npy file is the magic "\x93NUMPY", a version, a little-endian header length and a
/// Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (64, 3, 7, 7), }
/// followed by the raw elements. Every numeric descr of bool, int, uint and float is read, in
/// either byte order and in C or Fortran order; object, string and structured arrays are refused.
#pragma once

#include <cstddef>
#include <cstdint>
#include <bit>
#include <cstring>
#include <utility>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dlas/core/error.hpp"
#include "dlas/io/named_tensor.hpp"

namespace dlas::io {

namespace detail {

/// The subset of Python literal syntax np.save writes in a header.
class npy_header_parser {
 public:
  npy_header_parser(std::string_view text, std::string_view where) : s_(text), where_(where) {}

  struct result {
    std::string descr;
    bool fortran_order = false;
    std::vector<std::int64_t> shape;
  };

  result parse() {
    result r;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (!accept('}')) {
      const std::string key = string_literal();
      expect(':');
      if (key == "descr") {
        r.descr = string_literal();
        seen_descr = true;
      } else if (key == "fortran_order") {
        r.fortran_order = boolean_literal();
        seen_order = true;
      } else if (key == "shape") {
        r.shape = int_tuple();
        seen_shape = true;
      } else {
        fail("unknown header key '" + key + "'");
      }
      if (!accept(',')) {
        expect('}');
        break;
      }
    }
    skip_space();
    if (pos_ != s_.size()) fail("text after the header dict");
    if (!seen_descr || !seen_order || !seen_shape)
      fail("the header needs 'descr', 'fortran_order' and 'shape'");
    return r;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw error(errc::parse_error, std::string(where_) + ": npy header: " + what);
  }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\t')) ++pos_;
  }
  bool accept(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!accept(c)) fail(std::string("expected '") + c + "' at offset " + std::to_string(pos_));
  }
  std::string string_literal() {
    skip_space();
    if (pos_ >= s_.size() || (s_[pos_] != '\'' && s_[pos_] != '"')) fail("expected a string");
    const char quote = s_[pos_++];
    const std::size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) fail("unterminated string");
    std::string out(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return out;
  }
  bool boolean_literal() {
    skip_space();
    for (const auto& [word, value] : {std::pair{std::string_view("True"), true},
                                      std::pair{std::string_view("False"), false}})
      if (s_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        return value;
      }
    fail("'fortran_order' must be True or False");
  }
  std::vector<std::int64_t> int_tuple() {
    std::vector<std::int64_t> dims;
    expect('(');
    while (!accept(')')) {
      skip_space();
      std::int64_t d = 0;
      std::size_t digits = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        if (d > (std::int64_t{1} << 50)) fail("a dimension is too large");
        d = d * 10 + (s_[pos_++] - '0');
        ++digits;
      }
      if (digits == 0) fail("'shape' must be a tuple of non-negative integers");
      if (pos_ < s_.size() && s_[pos_] == 'L') ++pos_;  // Python 2 long suffix
      dims.push_back(d);
      if (dims.size() > 32) fail("more than 32 dimensions");
      if (!accept(',')) {
        expect(')');
        break;
      }
    }
    return dims;
  }

  std::string_view s_, where_;
  std::size_t pos_ = 0;
};

/// dtype and byte order of a NumPy descr such as "<f4", "|u1", ">i8".
inline std::pair<dtype, bool> npy_descr(std::string_view d, std::string_view where) {
  const auto bad = [&] {
    return error(errc::parse_error, std::string(where) + ": unsupported npy dtype '" +
                                        std::string(d) + "' (numeric bool/int/uint/float only)");
  };
  if (d.size() < 3) throw bad();
  const char order = d[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') throw bad();
  const bool little = order != '>' && !(order == '=' && std::endian::native == std::endian::big);
  const std::string_view code = d.substr(1);
  struct entry {
    std::string_view code;
    dtype type;
  };
  constexpr entry table[] = {{"b1", dtype::boolean}, {"u1", dtype::u8},  {"i1", dtype::i8},
                             {"u2", dtype::u16},     {"i2", dtype::i16}, {"u4", dtype::u32},
                             {"i4", dtype::i32},     {"u8", dtype::u64}, {"i8", dtype::i64},
                             {"f2", dtype::f16},     {"f4", dtype::f32}, {"f8", dtype::f64}};
  for (const auto& e : table)
    if (e.code == code) return {e.type, little};
  throw bad();
}

/// Fortran-order (column-major) elements re-laid out in C (row-major) order.
inline std::vector<float> fortran_to_c(const std::vector<float>& f,
                                       std::span<const std::int64_t> shape) {
  std::vector<float> c(f.size());
  const std::size_t rank = shape.size();
  std::vector<std::int64_t> idx(rank, 0);
  for (std::size_t at = 0; at < f.size(); ++at) {  // at walks Fortran order: first index fastest
    std::int64_t row_major = 0;
    for (std::size_t k = 0; k < rank; ++k) row_major = row_major * shape[k] + idx[k];
    c[std::size_t(row_major)] = f[at];
    for (std::size_t k = 0; k < rank && ++idx[k] == shape[k]; ++k) idx[k] = 0;
  }
  return c;
}

}  // namespace detail

/// Parses the bytes of a .npy file into a tensor called `name`; errc::parse_error on anything
/// that is not a complete, numeric .npy array.
inline named_tensor parse_npy(std::span<const std::byte> bytes, std::string name) {
  const std::string where = name.empty() ? std::string("npy") : name;
  const auto fail = [&](const std::string& what) {
    return error(errc::parse_error, where + ": " + what);
  };
  constexpr unsigned char magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || std::memcmp(bytes.data(), magic, sizeof magic) != 0)
    throw fail("not a .npy file (no \\x93NUMPY magic)");
  const unsigned major = std::to_integer<unsigned>(bytes[6]);
  if (major < 1 || major > 3) throw fail("unsupported .npy version " + std::to_string(major));
  const std::size_t len_bytes = major == 1 ? 2 : 4;
  if (bytes.size() < 8 + len_bytes) throw fail("truncated header length");
  const std::size_t header_len = std::size_t(detail::load_bits(bytes.data() + 8, len_bytes, true));
  const std::size_t data_at = 8 + len_bytes + header_len;
  if (header_len > bytes.size() || data_at > bytes.size())
    throw fail("header of " + std::to_string(header_len) + " bytes runs past the end of the file");
  const std::string_view header(reinterpret_cast<const char*>(bytes.data()) + 8 + len_bytes,
                                header_len);
  const auto h = detail::npy_header_parser(header, where).parse();
  const auto [type, little] = detail::npy_descr(h.descr, where);

  named_tensor t;
  t.name = std::move(name);
  t.shape = h.shape;
  t.stored = type;
  const std::int64_t n = element_count(t.shape, where);
  const std::size_t data_bytes = bytes.size() - data_at;
  if (std::uint64_t(n) * size_of(type) != data_bytes)
    throw fail("shape needs " + std::to_string(std::uint64_t(n) * size_of(type)) +
               " bytes of data, the file holds " + std::to_string(data_bytes));
  t.values.resize(std::size_t(n));
  widen_to_f32(type, bytes.data() + data_at, std::size_t(n), little, t.values.data());
  if (h.fortran_order && t.shape.size() > 1) t.values = detail::fortran_to_c(t.values, t.shape);
  return t;
}

/// The bytes of a version 1.0 .npy file holding `t` as little-endian fp32 in C order.
inline std::vector<std::byte> npy_bytes(const named_tensor& t) {
  std::string dims;
  for (std::size_t i = 0; i < t.shape.size(); ++i)
    dims += (i > 0 ? ", " : "") + std::to_string(t.shape[i]);
  if (t.shape.size() == 1) dims += ",";  // a 1-tuple in Python
  core::require(std::int64_t(t.values.size()) == element_count(t.shape, t.name),
                errc::mismatched_buffer, [&] {
                  return t.name + ": " + std::to_string(t.values.size()) +
                         " values do not fill shape (" + dims + ")";
                });
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // np.save pads the header with spaces so that the data starts at a multiple of 64 bytes.
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  core::require(header.size() <= 0xffff, errc::invalid_argument,
                [&] { return t.name + ": shape too long for a version 1.0 .npy header"; });
  std::vector<std::byte> out(10 + header.size() + t.values.size() * 4);
  constexpr unsigned char prefix[] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  std::memcpy(out.data(), prefix, sizeof prefix);
  out[8] = std::byte(header.size() & 0xff);
  out[9] = std::byte(header.size() >> 8);
  std::memcpy(out.data() + 10, header.data(), header.size());
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    const auto bits = std::bit_cast<std::uint32_t>(t.values[i]);
    for (int b = 0; b < 4; ++b) out[10 + header.size() + 4 * i + b] = std::byte(bits >> (8 * b));
  }
  return out;
}

}  // namespace dlas::io
