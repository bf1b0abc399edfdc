// SPDX-License-Identifier: Apache-2.0
/// \file shapes.hpp
/// \brief The curated shapes every convolution test runs: each exercises one awkward case.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "dlas/core/shape.hpp"

namespace dlas::testing {

struct named_shape {
  std::string name;
  conv2d_shape shape;
};

inline conv2d_shape make_shape(index_t n, index_t c, index_t h, index_t w, index_t k, index_t r,
                               index_t s, index_t stride, index_t pad, index_t dil = 1,
                               index_t groups = 1) {
  conv2d_shape sh;
  sh.n = n; sh.c = c; sh.h = h; sh.w = w; sh.k = k; sh.r = r; sh.s = s;
  sh.stride_h = sh.stride_w = stride;
  sh.pad_top = sh.pad_left = sh.pad_bottom = sh.pad_right = pad;
  sh.dilation_h = sh.dilation_w = dil;
  sh.groups = groups;
  return sh;
}

/// 1x1; 3x3 s1 p1; 7x7 s2 p3; 3x3 s2 asymmetric padding; dilation 2; groups 2; depthwise;
/// channels not a multiple of 8 or 16; H != W; batch 3.
inline std::vector<named_shape> curated_shapes() {
  std::vector<named_shape> v{
      {"1x1", make_shape(1, 16, 7, 7, 24, 1, 1, 1, 0)},
      {"3x3_s1_p1", make_shape(1, 8, 9, 9, 16, 3, 3, 1, 1)},
      {"7x7_s2_p3", make_shape(1, 3, 17, 17, 8, 7, 7, 2, 3)},
      {"3x3_s2_asym_pad", [] {
         conv2d_shape s = make_shape(1, 5, 10, 11, 7, 3, 3, 2, 0);
         s.pad_top = 0; s.pad_left = 1; s.pad_bottom = 1; s.pad_right = 0;
         return s;
       }()},
      {"3x3_dilation2", make_shape(1, 6, 12, 12, 5, 3, 3, 1, 2, 2)},
      {"3x3_groups2", make_shape(1, 8, 8, 8, 6, 3, 3, 1, 1, 1, 2)},
      {"depthwise_3x3", make_shape(1, 12, 9, 9, 12, 3, 3, 1, 1, 1, 12)},
      {"depthwise_3x3_s2", make_shape(1, 17, 10, 10, 17, 3, 3, 2, 1, 1, 17)},
      {"odd_channels", make_shape(1, 13, 6, 6, 19, 3, 3, 1, 1)},
      {"h_ne_w", [] {
         conv2d_shape s = make_shape(1, 4, 5, 13, 9, 3, 5, 1, 1);
         s.pad_left = s.pad_right = 2;
         return s;
       }()},
      {"batch3", make_shape(3, 7, 6, 5, 10, 3, 3, 1, 1)},
      {"1x1_s2", make_shape(2, 9, 8, 8, 11, 1, 1, 2, 0)},
  };
  return v;
}

/// Random valid depthwise shapes appended to `v` until it holds `size`: channels 1..40,
/// kernels 1..5, strides 1..3, dilation 1..3 (1..2 across), asymmetric padding 0..3, batch 1..2.
inline void add_random_depthwise_shapes(std::vector<named_shape>& v, std::size_t size, std::uint32_t seed) {
  std::mt19937 gen(seed);
  auto pick = [&](int lo, int hi) { return index_t(std::uniform_int_distribution<int>(lo, hi)(gen)); };
  while (v.size() < size) {
    const index_t c = pick(1, 40);
    conv2d_shape s = make_shape(pick(1, 2), c, pick(1, 20), pick(1, 45), c, pick(1, 5), pick(1, 5),
                                pick(1, 3), 0, pick(1, 3), c);
    s.stride_w = pick(1, 3);
    s.dilation_w = pick(1, 2);
    s.pad_top = pick(0, 3), s.pad_left = pick(0, 3), s.pad_bottom = pick(0, 3), s.pad_right = pick(0, 3);
    if (!s.is_valid()) continue;
    v.push_back({"dw_random" + std::to_string(v.size()), s});
  }
}

}  // namespace dlas::testing
