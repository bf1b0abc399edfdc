// SPDX-License-Identifier: Apache-2.0
/// \file im2col_gemm_eigen.hpp
/// \brief algo::im2col_gemm_eigen in fp32: the im2col matrix of each image and group times the
/// weights through Eigen's GEMM, to compare with dlas's own GEMM (algo::im2col_gemm).
///
/// The only dlas header that includes Eigen; include it explicitly and link Eigen3::Eigen.
#pragma once

#include <algorithm>
#include <memory_resource>
#include <type_traits>

// dlas threads over blocks of pixels itself, so that results do not depend on the thread
// count; Eigen's own OpenMP split of one product would change its blocking.
#ifndef EIGEN_DONT_PARALLELIZE
#define EIGEN_DONT_PARALLELIZE
#endif
#include <Eigen/Core>

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/detail/gemm_conv.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/policy/algorithm.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

/// fp32 dense, NCHW and NHWC. Weights are kept as the K x (C/g * R * S) matrix; each image and
/// group is one Eigen GEMM per block of 96 output pixels (threaded over blocks, so results do
/// not depend on the thread count), followed by the epilogue in a second pass.
template <layout_policy Layout>
class algorithm_impl<Layout, precision::fp32, sparsity::dense, algo::im2col_gemm_eigen> {
  static constexpr bool nhwc = std::is_same_v<Layout, layout::nhwc>;
  static constexpr index_t pixel_block = 96;
  using row_major = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using const_map = Eigen::Map<const row_major, Eigen::Unaligned, Eigen::OuterStride<>>;
  using map = Eigen::Map<row_major, Eigen::Unaligned, Eigen::OuterStride<>>;

 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<precision::fp32, sparsity::dense>;

  static status can_implement(const conv2d_shape&) { return {}; }
  static constexpr index_t weight_bytes(const conv2d_shape& sh, index_t) noexcept {
    return detail::packed_weights<float>::bytes(sh, detail::packed_weights<float>::form::rows);
  }
  /// The im2col matrix of one image and group: (C/g * R * S) x P * Q floats.
  static constexpr index_t workspace_bytes(const conv2d_shape& sh) noexcept {
    return buffer_bytes<float>(detail::gemm_depth(sh) * sh.output_h() * sh.output_w());
  }

  algorithm_impl(const conv2d_shape& sh, weights_type&& w, const conv2d_options& opt)
      : shape_(sh), act_(opt.act), weights_(sh, w, detail::packed_weights<float>::form::rows) {}

  index_t weight_bytes() const noexcept { return weights_.bytes(); }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource* mr) const {
    static_assert(std::is_same_v<In, float> && std::is_same_v<Out, float>,
                  "algo::im2col_gemm_eigen takes float tensors");
    const conv2d_shape& sh = shape_;
    const index_t pq = sh.output_h() * sh.output_w(), kdim = detail::gemm_depth(sh);
    const index_t cg = sh.c_per_group(), kg = sh.k_per_group(), Q = sh.output_w();
    aligned_buffer<float> cols = detail::workspace(kdim * pq, mr);  // pq x kdim, (c, r, s)
    float* y = out.data();
    for (index_t img = 0; img < sh.n; ++img)
      for (index_t g = 0; g < sh.groups; ++g) {
        core::parallel_for(pq, [&](index_t pix) {
          const index_t p = pix / Q, q = pix % Q;
          float* row = cols.data() + pix * kdim;
          for (index_t c = 0; c < cg; ++c)
            for (index_t r = 0; r < sh.r; ++r)
              for (index_t s = 0; s < sh.s; ++s) {
                const index_t yy = p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
                const index_t xx = q * sh.stride_w - sh.pad_left + s * sh.dilation_w;
                const bool inside = yy >= 0 && yy < sh.h && xx >= 0 && xx < sh.w;
                row[(c * sh.r + r) * sh.s + s] = inside ? in(img, g * cg + c, yy, xx) : 0.0f;
              }
        });
        const const_map wmat(weights_.matrix() + g * kg * kdim, kg, kdim, Eigen::OuterStride<>(kdim));
        core::parallel_for(detail::ceil_div(pq, pixel_block), [&](index_t b) {
          const index_t p0 = b * pixel_block, np = std::min(pixel_block, pq - p0);
          const const_map patches(cols.data() + p0 * kdim, np, kdim, Eigen::OuterStride<>(kdim));
          if constexpr (nhwc) {
            map dst(y + (img * pq + p0) * sh.k + g * kg, np, kg, Eigen::OuterStride<>(sh.k));
            dst.noalias() = patches * wmat.transpose();
          } else {
            map dst(y + (img * sh.k + g * kg) * pq + p0, kg, np, Eigen::OuterStride<>(pq));
            dst.noalias() = wmat * patches.transpose();
          }
          for (index_t i = p0; i < p0 + np; ++i)
            for (index_t k = g * kg; k < (g + 1) * kg; ++k) {
              const index_t o = out.offset(img, k, i / Q, i % Q);
              kernel::tile_epilogue ep;
              ep.bias = kernel::bias_mode::per_row;
              ep.bias_ptr = weights_.bias() + k;
              ep.residual = residual ? residual + o : nullptr;
              ep.act = act_;
              y[o] = kernel::finish_scalar(y[o], ep, 0, 0, 0);
            }
        });
      }
  }

 private:
  conv2d_shape shape_;
  activation act_;
  detail::packed_weights<float> weights_;
};

}  // namespace dlas::conv
