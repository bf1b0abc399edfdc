// SPDX-License-Identifier: Apache-2.0
/// \file benchdnn.hpp
/// \brief Parser of oneDNN benchdnn `--conv` descriptors and shape files into conv2d_shape.
#pragma once

#include <charconv>
#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::bench {

/// One convolution of a benchmark set: its shape, a display name and how often it occurs.
struct conv_problem {
  std::string name;    ///< the descriptor's name without the `*N` suffix ("" when unnamed)
  conv2d_shape shape;  ///< a valid dlas shape (normalised, see parse_descriptor)
  index_t weight = 1;  ///< occurrences in the network (`*N` name suffix), for weighted totals
  int line = 0;        ///< 1-based line in its file (0 for a single descriptor or built-in)
};

/// benchdnn's default minibatch when a descriptor has no `mb`.
inline constexpr index_t benchdnn_default_mb = 2;

namespace detail {

/// Raw values of one descriptor; -1 means "not given".
struct benchdnn_fields {
  index_t g = -1, mb = -1, ic = -1, ih = -1, iw = -1, oc = -1, oh = -1, ow = -1;
  index_t kh = -1, kw = -1, sh = -1, sw = -1, ph = -1, pw = -1, dh = -1, dw = -1;
};

[[noreturn]] inline void fail(std::string_view where, std::string_view what) {
  throw error(errc::parse_error, std::string(where) + ": " + std::string(what));
}

/// Values above this are refused: no real convolution dimension comes near it, and the
/// products taken in the defaulting rules stay far from overflow.
inline constexpr index_t max_value = index_t{1} << 40;

}  // namespace detail

/// Parses one benchdnn convolution descriptor, e.g.
/// `g1mb50ic3ih224iw224oc64oh112ow112kh7kw7sh2sw2ph3pw3n"resnet_50:conv1*4"`.
///
/// Defaulting follows benchdnn's str2desc (see the shape README): g 1, mb 2 (or `mb` when
/// given, which overrides the descriptor's), stride 1, dilation 0 (benchdnn dilation is
/// 0-based, dlas's 1-based), padding deduced from the output when the output is given and
/// 0 otherwise, width values copied from the height values when no width value is given,
/// a missing iw or kw taken from ih or kh. The right/bottom padding is implied by the output
/// size; `where` prefixes every error message (e.g. "shapes_resnet_50:12").
///
/// Throws dlas::error(errc::parse_error) naming the offending token for an unknown key, a
/// missing or non-numeric or too large value, a 3-D descriptor, missing ic/oc/ih/kh, or a
/// descriptor that gives no valid convolution.
inline conv_problem parse_descriptor(std::string_view text, std::optional<index_t> mb = {},
                                     std::string_view where = "benchdnn descriptor") {
  using detail::fail;
  const std::string ctx = std::string(where);
  detail::benchdnn_fields f;
  conv_problem out;
  struct key_ref {
    std::string_view key;
    index_t detail::benchdnn_fields::*field;
  };
  // Two-letter keys first so that "mb" is not read as "m" and a name key "n" comes last.
  static constexpr key_ref keys[] = {
      {"mb", &detail::benchdnn_fields::mb}, {"ic", &detail::benchdnn_fields::ic},
      {"ih", &detail::benchdnn_fields::ih}, {"iw", &detail::benchdnn_fields::iw},
      {"oc", &detail::benchdnn_fields::oc}, {"oh", &detail::benchdnn_fields::oh},
      {"ow", &detail::benchdnn_fields::ow}, {"kh", &detail::benchdnn_fields::kh},
      {"kw", &detail::benchdnn_fields::kw}, {"sh", &detail::benchdnn_fields::sh},
      {"sw", &detail::benchdnn_fields::sw}, {"ph", &detail::benchdnn_fields::ph},
      {"pw", &detail::benchdnn_fields::pw}, {"dh", &detail::benchdnn_fields::dh},
      {"dw", &detail::benchdnn_fields::dw}, {"g", &detail::benchdnn_fields::g}};
  static constexpr std::string_view keys_3d[] = {"id", "od", "kd", "sd", "pd", "dd"};

  auto token_at = [&](std::size_t pos) {
    std::size_t end = pos;
    while (end < text.size() && text[end] != '_' && end - pos < 24) ++end;
    std::string quoted(1, '\'');
    quoted.append(text.substr(pos, end - pos)).push_back('\'');
    return quoted;
  };

  std::size_t i = 0;
  while (i < text.size()) {
    const char ch = text[i];
    if (ch == '_') {
      ++i;
      continue;
    }
    const std::string_view rest = text.substr(i);
    for (std::string_view k3 : keys_3d)
      if (rest.starts_with(k3))
        fail(ctx, "3-D descriptors are not supported (key " + token_at(i) + " in '" +
                      std::string(text) + "')");
    const key_ref* hit = nullptr;
    for (const key_ref& k : keys)
      if (rest.starts_with(k.key)) {
        hit = &k;
        break;
      }
    if (!hit) {
      if (ch == 'n') {  // the name: the rest of the descriptor, quotes optional
        std::string_view name = text.substr(i + 1);
        if (name.starts_with('"')) {
          const std::size_t close = name.find('"', 1);
          if (close == std::string_view::npos)
            fail(ctx, "unterminated quoted name " + token_at(i) + " in '" + std::string(text) + "'");
          if (close + 1 != name.size())
            fail(ctx, "unexpected text '" + std::string(name.substr(close + 1)) +
                          "' after the name in '" + std::string(text) + "'");
          name = name.substr(1, close - 1);
        }
        if (const std::size_t star = name.rfind('*'); star != std::string_view::npos) {
          const std::string_view count = name.substr(star + 1);
          index_t n = 0;
          const auto [p, ec] = std::from_chars(count.data(), count.data() + count.size(), n);
          if (count.empty() || ec != std::errc() || p != count.data() + count.size() || n <= 0 ||
              n > detail::max_value)
            fail(ctx, "repeat count '*" + std::string(count) +
                          "' in the name is not a positive integer in '" + std::string(text) + "'");
          out.weight = n;
          name = name.substr(0, star);
        }
        out.name = std::string(name);
        break;
      }
      fail(ctx, "unknown key at " + token_at(i) + " in '" + std::string(text) + "'");
    }
    const std::size_t num = i + hit->key.size();
    std::size_t end = num;
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    if (end == num)
      fail(ctx, "key '" + std::string(hit->key) + "' needs a non-negative integer, got " +
                    token_at(num) + " in '" + std::string(text) + "'");
    index_t value = 0;
    const auto [p, ec] = std::from_chars(text.data() + num, text.data() + end, value);
    if (ec != std::errc() || value > detail::max_value)
      fail(ctx, "value of '" + std::string(hit->key) + "' " + token_at(num) +
                    " is too large (limit 2^40) in '" + std::string(text) + "'");
    (void)p;
    if (f.*(hit->field) != -1)
      fail(ctx, "key '" + std::string(hit->key) + "' given twice in '" + std::string(text) + "'");
    f.*(hit->field) = value;
    i = end;
  }

  const std::string desc = " in '" + std::string(text) + "'";
  if (f.ic < 0) fail(ctx, "missing ic (input channels)" + desc);
  if (f.oc < 0) fail(ctx, "missing oc (output channels)" + desc);
  if (f.ih < 0) fail(ctx, "missing ih (input height)" + desc);
  if (f.kh < 0) fail(ctx, "missing kh (kernel height)" + desc);
  for (auto [key, v] : {std::pair<const char*, index_t>{"g", f.g}, {"mb", f.mb}, {"ic", f.ic},
                        {"oc", f.oc}, {"ih", f.ih}, {"iw", f.iw}, {"kh", f.kh}, {"kw", f.kw},
                        {"sh", f.sh}, {"sw", f.sw}, {"oh", f.oh}, {"ow", f.ow}})
    if (v == 0) fail(ctx, std::string("key '") + key + "' must be positive" + desc);

  // No width value at all: a square problem, every h value copied to w.
  const bool no_w = f.iw < 0 && f.ow < 0 && f.kw < 0 && f.sw < 0 && f.pw < 0 && f.dw < 0;
  if (no_w) {
    f.iw = f.ih, f.ow = f.oh, f.kw = f.kh, f.sw = f.sh, f.pw = f.ph, f.dw = f.dh;
  } else {
    if (f.iw < 0) f.iw = f.ih;
    if (f.kw < 0) f.kw = f.kh;
  }

  conv2d_shape& s = out.shape;
  s.groups = f.g < 0 ? 1 : f.g;
  s.n = mb ? *mb : (f.mb < 0 ? benchdnn_default_mb : f.mb);
  s.c = f.ic;
  s.k = f.oc;

  // One spatial axis: the begin padding, and the end padding benchdnn implies from the output.
  struct axis_out {
    index_t in, pad_begin, pad_end;
  };
  auto axis = [&](char a, index_t i_, index_t o, index_t k, index_t st, index_t p,
                  index_t d0) -> axis_out {
    const index_t stride = st < 0 ? 1 : st;
    const index_t dil = (d0 < 0 ? 0 : d0) + 1;
    // Every value is at most 2^40, so only the two products can overflow: bound them.
    const index_t span = core::checked_mul(k - 1, dil);
    if (span < 0 || span >= detail::max_value)
      fail(ctx, std::string("kernel extent (k") + a + " - 1) * (d" + a +
                    " + 1) + 1 is too large (limit 2^40)" + desc);
    const index_t extent = span + 1;  // KE = (k - 1) * (d + 1) + 1
    if (const index_t reach = o < 0 ? 0 : core::checked_mul(o - 1, stride);
        reach < 0 || reach > detail::max_value)
      fail(ctx, std::string("output size o") + a + std::to_string(o) + " times the stride s" + a +
                    std::to_string(stride) + " is too large (limit 2^40)" + desc);
    index_t pad = p;
    if (o < 0) {
      if (pad < 0) pad = 0;
      if (i_ - extent + 2 * pad < 0)
        fail(ctx, std::string("kernel extent ") + std::to_string(extent) + " exceeds the padded input " +
                      std::to_string(i_ + 2 * pad) + " along " + a + desc);
      o = (i_ - extent + 2 * pad) / stride + 1;
    } else if (pad < 0) {
      pad = ((o - 1) * stride - i_ + extent) / 2;
      if (pad < 0) pad = 0;
    }
    index_t pad_end = (o - 1) * stride - i_ + extent - pad;
    if (pad_end >= extent)
      fail(ctx, std::string("output size o") + a + std::to_string(o) +
                    " is inconsistent with the input: its last rows would read only padding" + desc);
    index_t in = i_;
    if (pad_end < 0) {
      // The last -pad_end input rows (columns) are never read (e.g. a 1x1 stride-2 conv on an
      // even input). dlas pads are non-negative: use pad_end 0, which yields the same output
      // size whenever -pad_end < stride; beyond that, drop the unread rows from the input,
      // which leaves every output value unchanged.
      if (-pad_end >= stride) in = i_ + pad_end;
      pad_end = 0;
    }
    const index_t got = (in + pad + pad_end - extent) / stride + 1;
    if (in <= 0 || in + pad + pad_end < extent || got != o)
      fail(ctx, std::string("output size o") + a + std::to_string(o) +
                    " is inconsistent with the input, kernel, stride and padding" + desc);
    return {in, pad, pad_end};
  };
  const axis_out ah = axis('h', f.ih, f.oh, f.kh, f.sh, f.ph, f.dh);
  const axis_out aw = axis('w', f.iw, f.ow, f.kw, f.sw, f.pw, f.dw);
  s.h = ah.in, s.pad_top = ah.pad_begin, s.pad_bottom = ah.pad_end;
  s.w = aw.in, s.pad_left = aw.pad_begin, s.pad_right = aw.pad_end;
  s.r = f.kh, s.s = f.kw;
  s.stride_h = f.sh < 0 ? 1 : f.sh, s.stride_w = f.sw < 0 ? 1 : f.sw;
  s.dilation_h = (f.dh < 0 ? 0 : f.dh) + 1, s.dilation_w = (f.dw < 0 ? 0 : f.dw) + 1;
  if (const shape_issue issue = s.check())
    fail(ctx, "not a valid convolution: conv2d_shape." + std::string(issue.field) + " = " +
                  std::to_string(issue.value) + " " + std::string(issue.reason) + desc);
  return out;
}

/// Parses the text of a benchdnn shape file: one descriptor per line, `#` starts a comment
/// (outside a quoted name), blank lines are skipped. `source` names the file in messages
/// ("<source>:<line>: ..."); `mb`, when given, replaces every descriptor's minibatch.
inline std::vector<conv_problem> parse_shape_text(std::string_view text, std::string_view source,
                                                  std::optional<index_t> mb = {}) {
  std::vector<conv_problem> problems;
  int line_no = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    bool quoted = false;
    for (std::size_t j = 0; j < line.size(); ++j) {
      if (line[j] == '"') quoted = !quoted;
      if (line[j] == '#' && !quoted) {
        line = line.substr(0, j);
        break;
      }
    }
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!line.empty() && space(line.front())) line.remove_prefix(1);
    while (!line.empty() && space(line.back())) line.remove_suffix(1);
    if (line.empty()) {
      if (eol == text.size()) break;
      continue;
    }
    const std::string where = std::string(source) + ":" + std::to_string(line_no);
    if (line.starts_with('-'))
      detail::fail(where, "benchdnn options such as '" + std::string(line) +
                              "' are not supported in shape files; give --mb on the command line");
    for (char c : line)
      if (space(c) && line.find('"') == std::string_view::npos)
        detail::fail(where, "unexpected space in '" + std::string(line) +
                                "' (one descriptor per line)");
    conv_problem p = parse_descriptor(line, mb, where);
    p.line = line_no;
    problems.push_back(std::move(p));
    if (eol == text.size()) break;
  }
  return problems;
}

/// Reads and parses a shape file; errc::io_error when it cannot be read.
inline std::vector<conv_problem> read_shape_file(const std::string& path,
                                                 std::optional<index_t> mb = {}) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw error(errc::io_error, "cannot open shape file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw error(errc::io_error, "cannot read shape file '" + path + "'");
  return parse_shape_text(text.str(), path, mb);
}

/// The descriptor of a shape in benchdnn syntax (every value explicit, dilation 0-based),
/// with the name and a `*N` suffix when weight > 1. Parsing it gives the shape back.
inline std::string to_benchdnn(const conv_problem& p) {
  const conv2d_shape& s = p.shape;
  auto v = [](const char* key, index_t x) { return key + std::to_string(x); };
  std::string d = v("g", s.groups) + v("mb", s.n) + "_" + v("ic", s.c) + v("ih", s.h) +
                  v("iw", s.w) + "_" + v("oc", s.k) + v("oh", s.output_h()) +
                  v("ow", s.output_w()) + "_" + v("kh", s.r) + v("kw", s.s) + v("sh", s.stride_h) +
                  v("sw", s.stride_w) + v("ph", s.pad_top) + v("pw", s.pad_left) +
                  v("dh", s.dilation_h - 1) + v("dw", s.dilation_w - 1);
  if (!p.name.empty() || p.weight > 1) {
    d.append("_n\"").append(p.name);
    if (p.weight > 1) d.append("*").append(std::to_string(p.weight));
    d.push_back('"');
  }
  return d;
}

}  // namespace dlas::bench
