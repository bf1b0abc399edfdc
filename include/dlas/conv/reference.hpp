// SPDX-License-Identifier: Apache-2.0
/// \file reference.hpp
/// \brief algo::reference: scalar loops over the definition, for every layout, precision and
/// sparsity; the baseline the fast algorithms are measured and tested against.
#pragma once

#include <cstdint>
#include <memory_resource>
#include <type_traits>
#include <utility>

#include "dlas/config.hpp"
#include "dlas/conv/conv_decl.hpp"
#include "dlas/conv/epilogue.hpp"
#include "dlas/conv/weights.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::conv {

template <layout_policy Layout, precision_policy Precision, sparsity_policy Sparsity>
class algorithm_impl<Layout, Precision, Sparsity, algo::reference> {
 public:
  static constexpr bool is_kernel = true;
  using weights_type = conv_weights<Precision, Sparsity>;
  using accum_type = typename Precision::accum_type;

  static status can_implement(const conv2d_shape&) { return {}; }
  static constexpr index_t weight_bytes(const conv2d_shape& shape, index_t nnz) noexcept {
    return weights_type::bytes(shape, nnz);
  }
  static constexpr index_t workspace_bytes(const conv2d_shape&) noexcept { return 0; }

  algorithm_impl(const conv2d_shape& shape, weights_type&& weights, const conv2d_options& opt)
      : shape_(shape), weights_(std::move(weights)), opt_(opt) {}

  index_t weight_bytes() const noexcept { return weights_.bytes(); }
  const weights_type& weights() const noexcept { return weights_; }

  template <class In, class Out>
  void run(tensor_view<const In, Layout> in, tensor_view<Out, Layout> out, const Out* residual,
           std::pmr::memory_resource*) const {
    const epilogue<Precision, Out> finish(weights_, opt_);
    const std::int32_t zero = Precision::quantized ? opt_.input_quant.zero_point : 0;
    const conv2d_shape& sh = shape_;
    const index_t P = sh.output_h(), Q = sh.output_w();
    const index_t kg = sh.k_per_group(), cg = sh.c_per_group();
    core::parallel_for(sh.n * sh.k, [&](index_t nk) {
      const index_t n = nk / sh.k, k = nk % sh.k, c0 = (k / kg) * cg;
      // One tap: input (c0 + c, p*stride - pad + r*dil, q*stride - pad + s*dil) times weight.
      auto tap = [&](index_t p, index_t q, index_t c, index_t r, index_t s) -> accum_type {
        const index_t y = p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
        const index_t x = q * sh.stride_w - sh.pad_left + s * sh.dilation_w;
        if (y < 0 || y >= sh.h || x < 0 || x >= sh.w) return accum_type(0);  // zero padding
        return accum_type(accum_type(in(n, c0 + c, y, x)) - accum_type(zero));
      };
      for (index_t p = 0; p < P; ++p)
        for (index_t q = 0; q < Q; ++q) {
          accum_type acc = 0;
          if constexpr (Sparsity::compressed) {
            const auto& m = weights_.matrix();
            const auto rows = m.row_ptr();
            const auto values = m.values();
            m.visit_columns([&](auto cols) {
              for (index_t e = rows[std::size_t(k)]; e < rows[std::size_t(k + 1)]; ++e) {
                const index_t j = index_t(cols[std::size_t(e)]);
                acc += tap(p, q, j / (sh.r * sh.s), j / sh.s % sh.r, j % sh.s) *
                       accum_type(values[std::size_t(e)]);
              }
            });
          } else {
            const auto* w = weights_.matrix().data() + k * cg * sh.r * sh.s;
            for (index_t c = 0; c < cg; ++c)
              for (index_t r = 0; r < sh.r; ++r)
                for (index_t s = 0; s < sh.s; ++s)
                  acc += tap(p, q, c, r, s) * accum_type(w[(c * sh.r + r) * sh.s + s]);
          }
          const index_t o = out.offset(n, k, p, q);
          out.data()[o] = finish(acc, k, residual ? residual + o : nullptr);
        }
    });
  }

 private:
  conv2d_shape shape_;
  weights_type weights_;
  conv2d_options opt_;
};

}  // namespace dlas::conv
