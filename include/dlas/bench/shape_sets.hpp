// SPDX-License-Identifier: Apache-2.0
/// \file shape_sets.hpp
/// \brief Built-in benchmark sets generated from the published architectures: ResNet-50 v1,
/// MobileNet v1 (pointwise and depthwise halves) and VGG-19.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dlas/bench/benchdnn.hpp"
#include "dlas/config.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/shape.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::bench {

namespace detail {

/// A square convolution with symmetric begin padding `pad`; the end padding is what the
/// output size (i - k + 2 pad) / stride + 1 implies (benchdnn's convention, never negative
/// for the layers below).
inline conv2d_shape square_conv(index_t mb, index_t c, index_t size, index_t k, index_t kernel,
                                index_t stride, index_t pad, index_t groups = 1) {
  conv2d_shape s;
  s.n = mb, s.c = c, s.h = s.w = size, s.k = k, s.r = s.s = kernel;
  s.stride_h = s.stride_w = stride;
  s.groups = groups;
  const index_t out = (size - kernel + 2 * pad) / stride + 1;
  const index_t pad_end = (out - 1) * stride - size + kernel - pad;
  s.pad_top = s.pad_left = pad;
  s.pad_bottom = s.pad_right = pad_end < 0 ? 0 : pad_end;
  return s;
}

/// Appends a layer; a shape already in the set only increments that entry's weight, so a set
/// lists every distinct convolution once, named after its first occurrence.
inline void add_layer(std::vector<conv_problem>& set, std::string name, const conv2d_shape& s) {
  for (conv_problem& p : set)
    if (p.shape == s) {
      ++p.weight;
      return;
    }
  set.push_back({std::move(name), s, 1, 0});
}

}  // namespace detail

/// ResNet-50 v1 (He et al. 2015, Caffe layer names): the 7x7/2 stem and 16 bottleneck blocks
/// in stages of 3, 4, 6, 3 with widths 64..512 and expansion 4; the stride of a stage's
/// first block sits on its first 1x1 conv (branch2a) and on the projection (branch1).
inline std::vector<conv_problem> resnet50_v1(index_t mb = 1) {
  using detail::add_layer;
  using detail::square_conv;
  std::vector<conv_problem> set;
  add_layer(set, "resnet_50:conv1", square_conv(mb, 3, 224, 64, 7, 2, 3));
  const index_t blocks[] = {3, 4, 6, 3};
  index_t in_c = 64, size = 56;
  for (int stage = 0; stage < 4; ++stage) {
    const index_t width = index_t(64) << stage, out_c = 4 * width;
    for (index_t b = 0; b < blocks[stage]; ++b) {
      const std::string prefix =
          "resnet_50:res" + std::to_string(stage + 2) + char('a' + b) + "_branch";
      const index_t stride = (b == 0 && stage > 0) ? 2 : 1;
      const index_t out_size = size / stride;
      if (b == 0) add_layer(set, prefix + "1", square_conv(mb, in_c, size, out_c, 1, stride, 0));
      add_layer(set, prefix + "2a", square_conv(mb, in_c, size, width, 1, stride, 0));
      add_layer(set, prefix + "2b", square_conv(mb, width, out_size, width, 3, 1, 1));
      add_layer(set, prefix + "2c", square_conv(mb, width, out_size, out_c, 1, 1, 0));
      in_c = out_c;
      size = out_size;
    }
  }
  return set;
}

namespace detail {

/// MobileNet v1 (Howard et al. 2017, width 1.0, 224x224): after the 3x3/2 stem, 13 pairs of
/// a 3x3 depthwise conv (stride in the table) and a 1x1 pointwise conv, then the 1000-way
/// classifier as a 1x1 conv on the pooled 1x1 map.
struct mobilenet_block {
  index_t in_c, out_c, stride;
};
inline constexpr mobilenet_block mobilenet_v1_blocks[] = {
    {32, 64, 1},    {64, 128, 2},   {128, 128, 1},  {128, 256, 2},  {256, 256, 1},
    {256, 512, 2},  {512, 512, 1},  {512, 512, 1},  {512, 512, 1},  {512, 512, 1},
    {512, 512, 1},  {512, 1024, 2}, {1024, 1024, 1}};

inline void mobilenet_v1(index_t mb, std::vector<conv_problem>* pointwise,
                         std::vector<conv_problem>* depthwise) {
  if (pointwise) add_layer(*pointwise, "mobilenet:conv1", square_conv(mb, 3, 224, 32, 3, 2, 1));
  index_t size = 112;
  int i = 0;
  for (const mobilenet_block& b : mobilenet_v1_blocks) {
    ++i;
    const index_t out_size = (size - 3 + 2) / b.stride + 1;
    if (depthwise)
      add_layer(*depthwise, "mobilenet:conv_dw_" + std::to_string(i),
                square_conv(mb, b.in_c, size, b.in_c, 3, b.stride, 1, b.in_c));
    if (pointwise)
      add_layer(*pointwise, "mobilenet:conv_pw_" + std::to_string(i),
                square_conv(mb, b.in_c, out_size, b.out_c, 1, 1, 0));
    size = out_size;
  }
  if (pointwise) add_layer(*pointwise, "mobilenet:fc", square_conv(mb, 1024, 1, 1000, 1, 1, 0));
}

}  // namespace detail

/// MobileNet v1 without its depthwise layers: the stem, the 13 pointwise convs, the classifier.
inline std::vector<conv_problem> mobilenet_v1_pointwise(index_t mb = 1) {
  std::vector<conv_problem> set;
  detail::mobilenet_v1(mb, &set, nullptr);
  return set;
}

/// MobileNet v1's 13 depthwise 3x3 convs (9 distinct).
inline std::vector<conv_problem> mobilenet_v1_depthwise(index_t mb = 1) {
  std::vector<conv_problem> set;
  detail::mobilenet_v1(mb, nullptr, &set);
  return set;
}

/// VGG-19 (Simonyan and Zisserman 2014, configuration E): 16 3x3/1/1 convs in five blocks
/// of 2, 2, 4, 4, 4 with 64..512 channels, 224x224 halved after each block.
inline std::vector<conv_problem> vgg19(index_t mb = 1) {
  std::vector<conv_problem> set;
  const index_t convs[] = {2, 2, 4, 4, 4};
  index_t in_c = 3, size = 224;
  for (int block = 0; block < 5; ++block) {
    const index_t out_c = block < 4 ? index_t(64) << block : 512;
    for (index_t j = 0; j < convs[block]; ++j) {
      detail::add_layer(set,
                        "vgg_19:conv" + std::to_string(block + 1) + "_" + std::to_string(j + 1),
                        detail::square_conv(mb, in_c, size, out_c, 3, 1, 1));
      in_c = out_c;
    }
    size /= 2;
  }
  return set;
}

/// Names accepted by builtin_set.
inline constexpr std::string_view builtin_set_names[] = {"resnet50", "mobilenet", "mobilenet_dw",
                                                         "vgg19"};

/// A built-in set by name; errc::invalid_argument for an unknown name.
inline std::vector<conv_problem> builtin_set(std::string_view name, index_t mb = 1) {
  if (name == "resnet50") return resnet50_v1(mb);
  if (name == "mobilenet") return mobilenet_v1_pointwise(mb);
  if (name == "mobilenet_dw") return mobilenet_v1_depthwise(mb);
  if (name == "vgg19") return vgg19(mb);
  std::string known;
  for (std::string_view n : builtin_set_names) known += (known.empty() ? "" : ", ") + std::string(n);
  throw error(errc::invalid_argument,
              "unknown built-in shape set '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace dlas::bench
