// SPDX-License-Identifier: Apache-2.0
// A quick side-by-side timer for the fp32 algorithms on ResNet-50 layers (mb = 1), with
// oneDNN when built with it: best of several interleaved repetitions, GFLOP/s.
//   time_conv [threads] [reps]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "dlas/conv2d.hpp"
#include "dlas/core/tensor.hpp"

#if DLAS_HAS_OPENMP
#include <omp.h>
#endif
#if DLAS_TIME_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

using namespace dlas;

namespace {

struct layer {
  const char* name;
  conv2d_shape shape;
};

conv2d_shape make(index_t c, index_t hw, index_t k, index_t rs, index_t stride, index_t pad) {
  conv2d_shape s;
  s.c = c; s.h = s.w = hw; s.k = k; s.r = s.s = rs; s.stride_h = s.stride_w = stride;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = pad;
  return s;
}

std::vector<layer> resnet50() {
  return {{"conv1", make(3, 224, 64, 7, 2, 3)},
          {"res2_1x1a", make(64, 56, 64, 1, 1, 0)},     {"res2_3x3", make(64, 56, 64, 3, 1, 1)},
          {"res2_1x1b", make(64, 56, 256, 1, 1, 0)},    {"res2_1x1c", make(256, 56, 64, 1, 1, 0)},
          {"res3_1x1a", make(256, 56, 128, 1, 1, 0)},   {"res3_3x3s2", make(128, 56, 128, 3, 2, 1)},
          {"res3_3x3", make(128, 28, 128, 3, 1, 1)},    {"res3_1x1b", make(128, 28, 512, 1, 1, 0)},
          {"res3_1x1c", make(512, 28, 128, 1, 1, 0)},   {"res3_ds", make(256, 56, 512, 1, 2, 0)},
          {"res4_3x3", make(256, 14, 256, 3, 1, 1)},    {"res4_1x1b", make(256, 14, 1024, 1, 1, 0)},
          {"res4_1x1c", make(1024, 14, 256, 1, 1, 0)},  {"res5_3x3", make(512, 7, 512, 3, 1, 1)},
          {"res5_1x1b", make(512, 7, 2048, 1, 1, 0)},   {"res5_1x1c", make(2048, 7, 512, 1, 1, 0)}};
}

/// With one thread: CPU time of the calling thread, so that time the machine gives to other
/// processes is not counted; otherwise wall time.
bool use_thread_clock = true;

double seconds(const std::function<void()>& f) {
  if (use_thread_clock) {
    timespec a{}, b{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    f();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    return double(b.tv_sec - a.tv_sec) + 1e-9 * double(b.tv_nsec - a.tv_nsec);
  }
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class L, class A>
std::function<void()> make_dlas(const conv2d_shape& sh) {
  if (!conv2d<L, precision::fp32, sparsity::dense, A>::can_implement(sh).ok()) return {};
  std::vector<float> w(std::size_t(sh.weight_elements()), 0.01f), b(std::size_t(sh.k), 0.1f);
  auto conv = std::make_shared<conv2d<L, precision::fp32, sparsity::dense, A>>(sh, w, b);
  auto in = std::make_shared<tensor<float, L>>(sh.input_dims());
  auto out = std::make_shared<tensor<float, L>>(sh.output_dims());
  std::fill(in->span().begin(), in->span().end(), 1.0f);
  return [conv, in, out] { (*conv)(in->cview(), out->view()); };
}

#if DLAS_TIME_WITH_ONEDNN
std::function<void()> make_onednn(const conv2d_shape& sh, bool nhwc) {
  using namespace dnnl;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  static engine eng(engine::kind::cpu, 0);
  auto st = std::make_shared<stream>(eng);
  const tag t = nhwc ? tag::nhwc : tag::nchw;
  memory::desc src_md({sh.n, sh.c, sh.h, sh.w}, dt::f32, t);
  memory::desc dst_md({sh.n, sh.k, sh.output_h(), sh.output_w()}, dt::f32, t);
  memory::desc wei_md({sh.k, sh.c, sh.r, sh.s}, dt::f32, tag::any);
  memory::desc bias_md({sh.k}, dt::f32, tag::x);
  convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, src_md,
                              wei_md, bias_md, dst_md, {sh.stride_h, sh.stride_w},
                              {sh.pad_top, sh.pad_left}, {sh.pad_bottom, sh.pad_right});
  convolution_forward::primitive_desc pd(d, eng);
  auto src = std::make_shared<memory>(pd.src_desc(), eng);
  auto wei = std::make_shared<memory>(pd.weights_desc(), eng);
  auto bias = std::make_shared<memory>(pd.bias_desc(), eng);
  auto dst = std::make_shared<memory>(pd.dst_desc(), eng);
  for (auto* m : {src.get(), wei.get(), bias.get()}) {
    float* p = static_cast<float*>(m->get_data_handle());
    std::fill(p, p + m->get_desc().get_size() / sizeof(float), 0.01f);
  }
  auto prim = std::make_shared<convolution_forward>(pd);
  return [=] {
    prim->execute(*st, {{DNNL_ARG_SRC, *src}, {DNNL_ARG_WEIGHTS, *wei}, {DNNL_ARG_BIAS, *bias},
                        {DNNL_ARG_DST, *dst}});
    st->wait();
  };
}
#endif

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  const char* only = argc > 3 ? argv[3] : nullptr;
  use_thread_clock = threads == 1;
#if DLAS_HAS_OPENMP
  omp_set_num_threads(threads);
#endif
  struct candidate {
    std::string name;
    std::function<std::function<void()>(const conv2d_shape&)> make;
  };
  std::vector<candidate> cands = {
      {"nhwc_pointwise", make_dlas<layout::nhwc, algo::pointwise>},
      {"nhwc_direct", make_dlas<layout::nhwc, algo::direct>},
      {"nhwc_im2col", make_dlas<layout::nhwc, algo::im2col_gemm>},
      {"nhwc_spatial", make_dlas<layout::nhwc, algo::spatial_pack>},
#if DLAS_TIME_WITH_ONEDNN
      {"nhwc_onednn", [](const conv2d_shape& s) { return make_onednn(s, true); }},
#endif
      {"nhwc_auto", make_dlas<layout::nhwc, algo::automatic>},
      {"nchw_pointwise", make_dlas<layout::nchw, algo::pointwise>},
      {"nchw_direct", make_dlas<layout::nchw, algo::direct>},
      {"nchw_im2col", make_dlas<layout::nchw, algo::im2col_gemm>},
      {"nchw_spatial", make_dlas<layout::nchw, algo::spatial_pack>},
      {"nchw_auto", make_dlas<layout::nchw, algo::automatic>},
#if DLAS_TIME_WITH_ONEDNN
      {"nchw_onednn", [](const conv2d_shape& s) { return make_onednn(s, false); }},
#endif
  };
  std::printf("%-12s", "layer");
  for (const auto& c : cands) std::printf(" %14s", c.name.c_str());
  std::printf("\n");
  for (const auto& [name, sh] : resnet50()) {
    if (only && std::string(name).find(only) == std::string::npos) continue;
    std::vector<std::function<void()>> fs;
    for (const auto& c : cands) fs.push_back(c.make(sh));
    std::vector<double> best(fs.size(), 1e30);
    for (auto& f : fs)
      if (f) f();  // warm-up
    for (int r = 0; r < reps; ++r)
      for (std::size_t i = 0; i < fs.size(); ++i)
        if (fs[i]) best[i] = std::min(best[i], seconds(fs[i]));
    std::printf("%-12s", name);
    for (std::size_t i = 0; i < fs.size(); ++i)
      if (fs[i]) std::printf(" %14.1f", sh.flops() / best[i] * 1e-9);
      else std::printf(" %14s", "-");
    std::printf("\n");
    std::fflush(stdout);
  }
}
