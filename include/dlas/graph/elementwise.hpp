// SPDX-License-Identifier: Apache-2.0
/// \file elementwise.hpp
/// \brief Residual add (with an optional activation), ReLU/ReLU6, concatenation along
/// channels and softmax over channels, on fp32 and fp16 tensors (8-bit for concat).
#pragma once

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/conv/options.hpp"
#include "dlas/core/error.hpp"
#include "dlas/core/half.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor_view.hpp"
#include "dlas/graph/parallel.hpp"
#include "dlas/policy/layout.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

namespace detail {
/// Elements per parallel chunk of the flat element-wise loops.
inline constexpr index_t elementwise_chunk = 16384;

/// f(i) for every i in [0, n), in parallel chunks of elementwise_chunk.
template <class F>
void for_each_element(index_t n, F&& f) {
  parallel_for_work((n + elementwise_chunk - 1) / elementwise_chunk, elementwise_chunk, [&](index_t chunk) {
    const index_t i0 = chunk * elementwise_chunk, i1 = std::min(n, i0 + elementwise_chunk);
    for (index_t i = i0; i < i1; ++i) f(i);
  });
}
}  // namespace detail

/// out = act(a + b), element by element; a, b and out share dims and layout (out may alias a
/// or b). T is float or half (computed in float).
template <class T, class L>
void add(tensor_view<const T, L> a, tensor_view<const T, L> b, tensor_view<T, L> out,
         activation act = activation::none) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, half>,
                "add takes float or half tensors");
  core::require(a.dims() == b.dims() && a.dims() == out.dims(), errc::mismatched_buffer, [&] {
    return "add: operand dims " + to_string(a.dims()) + " and " + to_string(b.dims()) +
           " and output " + to_string(out.dims()) + " differ";
  });
  detail::for_each_element(out.size(), [&](index_t i) {
    out.data()[i] = T(activated(float(a.data()[i]) + float(b.data()[i]), act));
  });
}

/// out = act(in) (ReLU or ReLU6), element by element; out may alias in.
template <class T, class L>
void activate(tensor_view<const T, L> in, tensor_view<T, L> out, activation act) {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, half>,
                "activate takes float or half tensors");
  core::require(in.dims() == out.dims(), errc::mismatched_buffer, [&] {
    return "activate: input " + to_string(in.dims()) + " and output " + to_string(out.dims()) +
           " differ";
  });
  detail::for_each_element(out.size(), [&](index_t i) { out.data()[i] = T(activated(float(in.data()[i]), act)); });
}

/// Dims of the concatenation of `parts` along channels; errc::mismatched_buffer unless they
/// agree on N, H and W.
inline tensor_dims concat_dims(std::span<const tensor_dims> parts) {
  core::require(!parts.empty(), errc::invalid_argument,
                [] { return std::string("concat: no inputs"); });
  tensor_dims d = parts[0];
  d.c = 0;
  for (const tensor_dims& p : parts) {
    core::require(p.n == d.n && p.h == d.h && p.w == d.w, errc::mismatched_buffer, [&] {
      return "concat: input " + to_string(p) + " differs from " + to_string(parts[0]) +
             " in batch or spatial size";
    });
    d.c += p.c;
  }
  return d;
}

/// Concatenates `parts` along channels into `out`, in order (torch.cat(parts, dim=1)).
/// Any element type: values are copied, so 8-bit parts must share one quantisation.
template <class T, class L>
void concat(std::span<const tensor_view<const T, L>> parts, tensor_view<T, L> out) {
  std::vector<tensor_dims> dims;
  for (const auto& p : parts) dims.push_back(p.dims());
  const tensor_dims want = concat_dims(dims);
  core::require(out.dims() == want, errc::mismatched_buffer, [&] {
    return "concat output " + to_string(out.dims()) + " does not match " + to_string(want);
  });
  const index_t pixels = want.h * want.w;
  parallel_for_work(want.n, want.c * pixels, [&](index_t n) {
    index_t c0 = 0;
    for (const auto& p : parts) {
      const index_t pc = p.dims().c;
      if constexpr (std::is_same_v<L, layout::nhwc>) {
        for (index_t px = 0; px < pixels; ++px)
          std::copy_n(p.data() + (n * pixels + px) * pc, pc,
                      out.data() + (n * pixels + px) * want.c + c0);
      } else {
        std::copy_n(p.data() + n * pc * pixels, pc * pixels,
                    out.data() + (n * want.c + c0) * pixels);
      }
      c0 += pc;
    }
  });
}

/// Softmax over channels at every (n, h, w): exp(x - max) / sum exp(x - max), in double.
template <class L>
void softmax(tensor_view<const float, L> in, tensor_view<float, L> out) {
  const tensor_dims d = in.dims();
  core::require(out.dims() == d, errc::mismatched_buffer, [&] {
    return "softmax: input " + to_string(d) + " and output " + to_string(out.dims()) + " differ";
  });
  parallel_for_work(d.n * d.h * d.w, 3 * d.c, [&](index_t i) {
    const index_t n = i / (d.h * d.w), y = i / d.w % d.h, x = i % d.w;
    float m = -INFINITY;
    for (index_t c = 0; c < d.c; ++c) m = std::max(m, in(n, c, y, x));
    double sum = 0.0;
    for (index_t c = 0; c < d.c; ++c) sum += std::exp(double(in(n, c, y, x)) - double(m));
    for (index_t c = 0; c < d.c; ++c)
      out(n, c, y, x) = float(std::exp(double(in(n, c, y, x)) - double(m)) / sum);
  });
}

}  // namespace dlas::graph
