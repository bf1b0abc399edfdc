// SPDX-License-Identifier: Apache-2.0
/// \file shapes.hpp
/// \brief The curated shapes every convolution test runs: each exercises one awkward case.
#pragma once

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

}  // namespace dlas::testing
