// SPDX-License-Identifier: Apache-2.0
/// \file conv_runner.hpp
/// \brief The benchmarks' prepared convolutions: the runner interface, deterministic data,
/// and oneDNN's convolution (when the benchmarks are built with oneDNN), shared by
/// dlas-bench-conv (one layer at a time) and dlas-bench-network (every layer of a network).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dlas/core/half.hpp"
#include "dlas/core/shape.hpp"

#if DLAS_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace dlas::benchmarks {

/// One prepared convolution (or a sequence of them), called once per benchmark iteration.
struct runner {
  virtual ~runner() = default;
  virtual void run() = 0;
  virtual double bytes() const = 0;
  virtual std::string label() const = 0;
  /// CSR kernels: stored weights over the dense weight count, and their bytes.
  virtual bool sparse() const { return false; }
  virtual double density() const { return 1.0; }
  virtual double weight_bytes() const { return 0.0; }
};

/// n values uniform in [-scale, scale), the same for the same seed on every machine.
inline std::vector<float> uniform(index_t n, unsigned seed, float scale) {
  std::vector<float> v(static_cast<std::size_t>(n));
  std::uint32_t x = seed * 2654435761u + 12345u;
  for (float& f : v) {
    x = x * 1664525u + 1013904223u;
    f = scale * (float(x >> 8) / float(1 << 24) * 2.0f - 1.0f);
  }
  return v;
}

#if DLAS_WITH_ONEDNN
// oneDNN's convolution with algorithm::convolution_auto, src/dst in the same plain layout as
// dlas, weights and bias reordered once into the primitive's preferred format.
struct onednn_runner final : runner {
  using dt = dnnl::memory::data_type;
  /// precision: "fp32" (f32), "fp16" (f16 tensors and weights) or "int8" (u8 x s8 -> u8).
  onednn_runner(const conv2d_shape& sh, bool nhwc, const std::string& precision)
      : eng(dnnl::engine::kind::cpu, 0), strm(eng) {
    using tag = dnnl::memory::format_tag;
    const bool int8 = precision == "int8";
    const dt act_t = int8 ? dt::u8 : precision == "fp16" ? dt::f16 : dt::f32;
    const dt wei_t = int8 ? dt::s8 : act_t;
    const dnnl::memory::dims src_d{sh.n, sh.c, sh.h, sh.w};
    const dnnl::memory::dims dst_d{sh.n, sh.k, sh.output_h(), sh.output_w()};
    const bool grouped = sh.groups > 1;
    const dnnl::memory::dims wei_d =
        grouped ? dnnl::memory::dims{sh.groups, sh.k_per_group(), sh.c_per_group(), sh.r, sh.s}
                : dnnl::memory::dims{sh.k, sh.c, sh.r, sh.s};
    const tag act = nhwc ? tag::nhwc : tag::nchw;
    const dnnl::memory::desc src_md(src_d, act_t, act), dst_md(dst_d, act_t, act);
    const dnnl::memory::desc wei_any(wei_d, wei_t, tag::any), bias_md({sh.k}, dt::f32, tag::x);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    if (int8) attr.set_output_scales(1 << 1, std::vector<float>(std::size_t(sh.k), 0.02f / 0.05f / 127.0f));
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_auto, src_md, wei_any,
        bias_md, dst_md, {sh.stride_h, sh.stride_w}, {sh.dilation_h - 1, sh.dilation_w - 1},
        {sh.pad_top, sh.pad_left}, {sh.pad_bottom, sh.pad_right});
    const dnnl::convolution_forward::primitive_desc pd(desc, attr, eng);
    impl = pd.impl_info_str();
    prim = dnnl::convolution_forward(pd);
    src = dnnl::memory(src_md, eng);
    dst = dnnl::memory(dst_md, eng);
    bias = dnnl::memory(bias_md, eng);
    wei = dnnl::memory(pd.weights_desc(), eng);
    scratch = dnnl::memory(pd.scratchpad_desc(), eng);
    dnnl::memory user_wei({wei_d, wei_t, grouped ? tag::goihw : tag::oihw}, eng);
    fill(user_wei, uniform(sh.weight_elements(), 1, 1.0f));
    fill(bias, uniform(sh.k, 2, 0.1f));
    fill(src, uniform(sh.input_dims().elements(), 3, 1.0f));
    dnnl::reorder(user_wei, wei).execute(strm, user_wei, wei);
    strm.wait();
    total_bytes = double(src_md.get_size() + dst_md.get_size() + bias_md.get_size() +
                         pd.weights_desc().get_size() + pd.scratchpad_desc().get_size());
  }
  /// Stores v in m's data type: f32 as is, f16 rounded, u8 as codes 128 + 100 v, s8 as 127 v.
  static void fill(dnnl::memory& m, const std::vector<float>& v) {
    const dt t = m.get_desc().data_type();
    const std::size_t n = std::min(m.get_desc().get_size() / dnnl::memory::data_type_size(t), v.size());
    void* d = m.get_data_handle();
    for (std::size_t i = 0; i < n; ++i) {
      if (t == dt::f32) static_cast<float*>(d)[i] = v[i];
      else if (t == dt::f16) static_cast<half*>(d)[i] = half(v[i]);
      else if (t == dt::u8) static_cast<std::uint8_t*>(d)[i] = std::uint8_t(128 + int(v[i] * 100));
      else if (t == dt::s8) static_cast<std::int8_t*>(d)[i] = std::int8_t(std::lround(v[i] * 127));
    }
  }
  void run() override {
    prim.execute(strm, {{DNNL_ARG_SRC, src},
                        {DNNL_ARG_WEIGHTS, wei},
                        {DNNL_ARG_BIAS, bias},
                        {DNNL_ARG_DST, dst},
                        {DNNL_ARG_SCRATCHPAD, scratch}});
    strm.wait();
  }
  double bytes() const override { return total_bytes; }
  std::string label() const override { return impl; }

  dnnl::engine eng;
  dnnl::stream strm;
  dnnl::convolution_forward prim;
  dnnl::memory src, wei, bias, dst, scratch;
  std::string impl;
  double total_bytes = 0;
};
#endif

}  // namespace dlas::benchmarks
