// SPDX-License-Identifier: Apache-2.0
// The benchdnn descriptor and shape-file parser: defaulting rules, the four public files,
// and clear errors for malformed input.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include "dlas/bench/benchdnn.hpp"
#include "reference/errors.hpp"

using namespace dlas;
using namespace dlas::bench;

namespace {
conv2d_shape parse(std::string_view d) { return parse_descriptor(d).shape; }
}  // namespace

TEST_CASE("benchdnn: canonical descriptor", "[bench][benchdnn]") {
  const conv_problem p = parse_descriptor(
      "g1mb50ic3ih224iw224oc64oh112ow112kh7kw7sh2sw2ph3pw3n\"resnet_50:conv1\"");
  CHECK(p.name == "resnet_50:conv1");
  CHECK(p.weight == 1);
  const conv2d_shape& s = p.shape;
  CHECK(s.n == 50);
  CHECK(s.c == 3);
  CHECK(s.h == 224);
  CHECK(s.w == 224);
  CHECK(s.k == 64);
  CHECK(s.r == 7);
  CHECK(s.s == 7);
  CHECK(s.stride_h == 2);
  CHECK(s.stride_w == 2);
  CHECK(s.pad_top == 3);
  CHECK(s.pad_left == 3);
  CHECK(s.pad_bottom == 2);  // implied: (112 - 1) * 2 - 224 + 7 - 3
  CHECK(s.pad_right == 2);
  CHECK(s.output_h() == 112);
  CHECK(s.output_w() == 112);
  CHECK(s.groups == 1);
  CHECK(s.dilation_h == 1);
  CHECK(s.flops() == 2.0 * 50 * 64 * 112 * 112 * 3 * 7 * 7);
}

TEST_CASE("benchdnn: defaults (mb 2, g 1, stride 1, dilation 0, padding 0, square)",
          "[bench][benchdnn]") {
  const conv2d_shape s = parse("ic16ih10oc8kh3");
  CHECK(s.n == benchdnn_default_mb);
  CHECK(s.n == 2);
  CHECK(s.groups == 1);
  CHECK(s.w == 10);
  CHECK(s.s == 3);
  CHECK(s.stride_h == 1);
  CHECK(s.stride_w == 1);
  CHECK(s.dilation_h == 1);
  CHECK(s.dilation_w == 1);
  CHECK(s.pad_top == 0);
  CHECK(s.pad_left == 0);
  CHECK(s.pad_bottom == 0);
  CHECK(s.output_h() == 8);
  CHECK(s.output_w() == 8);
}

TEST_CASE("benchdnn: h values copied to w only when no w value is given", "[bench][benchdnn]") {
  const conv2d_shape sq = parse("mb1ic4ih9oc4oh5kh3sh2ph1dh0");
  CHECK(sq.w == 9);
  CHECK(sq.s == 3);
  CHECK(sq.stride_w == 2);
  CHECK(sq.pad_left == 1);
  CHECK(sq.output_w() == 5);
  // One w value given: the others take their own defaults (sw 1, pw deduced), iw/kw from h.
  const conv2d_shape rect = parse("mb1ic4ih9oc4oh5kh3sh2ph1ow7");
  CHECK(rect.w == 9);
  CHECK(rect.s == 3);
  CHECK(rect.stride_w == 1);
  CHECK(rect.pad_left == 0);  // ((7 - 1) * 1 - 9 + 3) / 2
  CHECK(rect.output_w() == 7);
  const conv2d_shape wide = parse("mb1ic4ih5iw13oc4kh3kw5ph1pw2");
  CHECK(wide.w == 13);
  CHECK(wide.s == 5);
  CHECK(wide.output_h() == 5);
  CHECK(wide.output_w() == 13);
}

TEST_CASE("benchdnn: padding deduced from the output, implied end padding", "[bench][benchdnn]") {
  // p = ((o - 1) * s - i + KE) / 2 = (55 - 56 + 3) / 2 = 1.
  const conv2d_shape s = parse("mb1ic64ih56oc64oh56kh3");
  CHECK(s.pad_top == 1);
  CHECK(s.pad_bottom == 1);
  // Stride 2 on even input with ph1: p_r = 55 * 2 - 112 + 3 - 1 = 0.
  const conv2d_shape dw = parse("g64mb1ic64ih112iw112oc64oh56ow56kh3kw3sh2sw2ph1pw1");
  CHECK(dw.pad_top == 1);
  CHECK(dw.pad_bottom == 0);
  CHECK(dw.output_h() == 56);
  CHECK(dw.is_depthwise());
  // Output given and padding deduced for stride 2: ((28 - 1) * 2 - 56 + 3) / 2 = 0.
  const conv2d_shape st = parse("mb1ic8ih56oc8oh28kh3sh2");
  CHECK(st.pad_top == 0);
  CHECK(st.pad_bottom == 1);
  CHECK(st.output_h() == 28);
}

TEST_CASE("benchdnn: negative implied padding is normalised", "[bench][benchdnn]") {
  // 1x1 stride 2 on an even input: p_r = 27 * 2 - 56 + 1 - 0 = -1; pad 0 gives the same size.
  const conv2d_shape s = parse("ic256ih56oc512oh28kh1sh2ph0");
  CHECK(s.h == 56);
  CHECK(s.pad_bottom == 0);
  CHECK(s.output_h() == 28);
  CHECK(s.output_w() == 28);
  // An output smaller than the input allows: p_r = 3 * 2 - 10 + 1 = -3 <= -stride, so the
  // three unread rows are dropped from the input.
  const conv2d_shape cut = parse("mb1ic2ih10oc2oh4kh1sh2ph0");
  CHECK(cut.h == 7);
  CHECK(cut.pad_bottom == 0);
  CHECK(cut.output_h() == 4);
}

TEST_CASE("benchdnn: dilation is 0-based", "[bench][benchdnn]") {
  const conv2d_shape dense = parse("mb1ic4ih12oc4kh3dh0");
  CHECK(dense.dilation_h == 1);
  CHECK(dense.output_h() == 10);
  const conv2d_shape gap = parse("mb1ic4ih12oc4kh3dh1ph2");
  CHECK(gap.dilation_h == 2);
  CHECK(gap.dilation_w == 2);
  CHECK(gap.output_h() == 12);  // KE = 5, (12 - 5 + 4) / 1 + 1
  const conv2d_shape deduced = parse("mb1ic4ih12oc4oh12kh3dh1");
  CHECK(deduced.pad_top == 2);
  CHECK(deduced.pad_bottom == 2);
}

TEST_CASE("benchdnn: names, repeat weights, separators, mb override", "[bench][benchdnn]") {
  const conv_problem p = parse_descriptor("mb50_ic256ih14_oc256oh14_kh3ph1_n\"resnet_50:res4a_branch2b*6\"");
  CHECK(p.name == "resnet_50:res4a_branch2b");
  CHECK(p.weight == 6);
  CHECK(p.shape.n == 50);
  const conv_problem q = parse_descriptor("mb50ic256ih14oc256oh14kh3ph1nplain_name", index_t(1));
  CHECK(q.name == "plain_name");
  CHECK(q.shape.n == 1);
  const conv_problem unnamed = parse_descriptor("ic3ih5oc3kh1");
  CHECK(unnamed.name.empty());
}

TEST_CASE("benchdnn: to_benchdnn round-trips", "[bench][benchdnn]") {
  for (const char* d : {"g1mb50ic3ih224iw224oc64oh112ow112kh7kw7sh2sw2ph3pw3n\"resnet_50:conv1\"",
                        "g32mb1ic32ih112iw112oc32oh112ow112kh3kw3sh1sw1ph1pw1n\"dw*2\"",
                        "mb1ic4ih5iw13oc4kh3kw5ph1pw2dh0dw1", "mb3ic6ih12oc4oh12kh3dh1"}) {
    CAPTURE(d);
    const conv_problem p = parse_descriptor(d);
    const conv_problem back = parse_descriptor(to_benchdnn(p));
    CHECK(back.shape == p.shape);
    CHECK(back.name == p.name);
    CHECK(back.weight == p.weight);
  }
}

TEST_CASE("benchdnn: shape text with comments and blank lines", "[bench][benchdnn]") {
  const std::string text =
      "# a comment\n"
      "\n"
      "  mb8ic3ih9oc4kh3ph1n\"a#b*2\"   # trailing comment\n"
      "# mb8ic3ih9oc4kh3ph1n\"commented\"\n"
      "\t\r\n"
      "ic3ih9oc4kh1";
  const auto v = parse_shape_text(text, "inline", index_t(1));
  REQUIRE(v.size() == 2);
  CHECK(v[0].name == "a#b");
  CHECK(v[0].weight == 2);
  CHECK(v[0].line == 3);
  CHECK(v[0].shape.n == 1);
  CHECK(v[1].line == 6);
  CHECK(v[1].shape.n == 1);
  CHECK(parse_shape_text("", "empty").empty());
  CHECK(parse_shape_text("# only\n\n", "comments").empty());
}

TEST_CASE("benchdnn: malformed descriptors give parse errors naming the token",
          "[bench][benchdnn][errors]") {
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3xy5"), errc::parse_error, "unknown key at 'xy5'");
  REQUIRE_DLAS_ERROR(parse("mb1ih8oc4kh3"), errc::parse_error, "missing ic");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8kh3"), errc::parse_error, "missing oc");
  REQUIRE_DLAS_ERROR(parse("mb1ic4oc4kh3"), errc::parse_error, "missing ih");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4"), errc::parse_error, "missing kh");
  REQUIRE_DLAS_ERROR(parse("mb1ic4id8ih8oc4kh3"), errc::parse_error, "3-D descriptors");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kd3kh3"), errc::parse_error, "3-D descriptors");
  REQUIRE_DLAS_ERROR(parse("mb1icxih8oc4kh3"), errc::parse_error,
                     "key 'ic' needs a non-negative integer, got 'xih8oc4kh3'");
  REQUIRE_DLAS_ERROR(parse("mb1ic-4ih8oc4kh3"), errc::parse_error, "needs a non-negative integer");
  REQUIRE_DLAS_ERROR(parse("mb1ic99999999999999999999ih8oc4kh3"), errc::parse_error, "too large");
  REQUIRE_DLAS_ERROR(parse("mb1ic2199023255553ih8oc4kh3"), errc::parse_error, "too large");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3ic5"), errc::parse_error, "given twice");
  // Values under the 2^40 limit whose products are not (found by fuzz_benchdnn).
  REQUIRE_DLAS_ERROR(parse("mb2ic3ih9oc4kh55873587503dh715870022ph2"), errc::parse_error,
                     "kernel extent (kh - 1) * (dh + 1) + 1 is too large");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4oh1099511627776kh3sh1099511627776"), errc::parse_error,
                     "output size oh1099511627776 times the stride sh1099511627776 is too large");
  REQUIRE_DLAS_ERROR(parse("mb0ic4ih8oc4kh3"), errc::parse_error, "'mb' must be positive");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3sh0"), errc::parse_error, "'sh' must be positive");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih2oc4kh3"), errc::parse_error, "kernel extent 3 exceeds");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4oh20kh3ph1"), errc::parse_error, "output size oh20");
  REQUIRE_DLAS_ERROR(parse("g3mb1ic4ih8oc4kh3"), errc::parse_error,
                     "conv2d_shape.groups = 3 must divide");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3n\"unterminated"), errc::parse_error, "unterminated");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3n\"x\"y"), errc::parse_error, "after the name");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3n\"x*\""), errc::parse_error, "repeat count");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3n\"x*0\""), errc::parse_error, "repeat count");
  REQUIRE_DLAS_ERROR(parse("mb1ic4ih8oc4kh3n\"x*2a\""), errc::parse_error, "repeat count");
}

TEST_CASE("benchdnn: shape-file errors name the file and line", "[bench][benchdnn][errors]") {
  REQUIRE_DLAS_ERROR(parse_shape_text("ic3ih9oc4kh1\n\nic3ih9oc4kh1zz\n", "net.txt"),
                     errc::parse_error, "net.txt:3: unknown key at 'zz'");
  REQUIRE_DLAS_ERROR(parse_shape_text("--mb=2\n", "net.txt"), errc::parse_error,
                     "net.txt:1: benchdnn options");
  REQUIRE_DLAS_ERROR(parse_shape_text("ic3ih9 oc4kh1\n", "net.txt"), errc::parse_error,
                     "net.txt:1: unexpected space");
  REQUIRE_DLAS_ERROR(read_shape_file("/nonexistent/dlas/shapes"), errc::io_error,
                     "cannot open shape file '/nonexistent/dlas/shapes'");
}

TEST_CASE("benchdnn: the public shape files parse to their documented line counts",
          "[bench][benchdnn][files]") {
  const std::filesystem::path dir = std::filesystem::path(DLAS_SHARED_DIR) / "shapes";
  if (!std::filesystem::exists(dir / "shapes_resnet_50")) {
    WARN("shape files not found under " << dir.string() << "; skipped");
    return;
  }
  struct expected {
    const char* file;
    std::size_t active;
    index_t mb;
    index_t total_weight;
  };
  // Active lines and minibatch from the README; total weights from the *N suffixes.
  for (const expected& e : {expected{"shapes_resnet_50", 20, 50, 53},
                            expected{"shapes_mobilenet", 11, 32, 59},
                            expected{"shapes_mobilenet_dw", 9, 1, 9},
                            expected{"shapes_vgg_19", 9, 64, 16}}) {
    CAPTURE(e.file);
    const auto v = read_shape_file((dir / e.file).string());
    CHECK(v.size() == e.active);
    index_t weight = 0;
    for (const conv_problem& p : v) {
      CAPTURE(p.name, p.line);
      CHECK(p.shape.n == e.mb);
      CHECK(p.shape.is_valid());
      CHECK(!p.name.empty());
      weight += p.weight;
    }
    CHECK(weight == e.total_weight);
    const auto one = read_shape_file((dir / e.file).string(), index_t(1));
    for (const conv_problem& p : one) CHECK(p.shape.n == 1);
  }
}
