// SPDX-License-Identifier: Apache-2.0
/// \file check_reduced.hpp
/// \brief The checks of the fp16 and int8 CSR algorithms, on the sparsity patterns of
/// check.hpp: fp16 within the dense fp16 kernels' bound of the fp64 oracle, int8 byte for byte
/// equal to the dense int8 reference and the int32 oracle on the same pruned weights; bitwise
/// thread independence; exact footprint with values at 2 and 1 bytes.
#pragma once

#include <catch2/catch.hpp>

#include <cstring>
#include <optional>
#include <random>
#include <type_traits>
#include <vector>

#include "conv_sparse/check.hpp"
#include "reference/check_fp16.hpp"
#include "reference/check_int8.hpp"

namespace dlas::testing {

/// fp16, one pattern: the pruned weights through the fp16 accuracy check.
template <class Conv>
void check_fp16_against_oracle(const conv2d_shape& sh, pattern p, int act, bool residual, std::uint32_t seed) {
  check_fp16_outputs<Conv>(sh, sparse_weights(sh, p, seed), act, residual, seed);
}

/// int8, one pattern: random codes over the whole range of the input type, random zero
/// points; `all` runs the four input/output type pairs, otherwise the one `rotation` picks.
template <class Conv>
void check_int8_pattern(const conv2d_shape& sh, pattern p, int act, bool all, int rotation, std::uint32_t seed) {
  std::mt19937 gen(seed);
  const auto w = sparse_weights(sh, p, seed);
  const auto b = random_floats(std::size_t(sh.k), seed + 1, -2, 2);
  std::vector<float> codes(std::size_t(sh.input_dims().elements()));
  for (float& v : codes) v = float(gen() % 256);
  const std::int32_t zp_u = std::int32_t(gen() % 256), zp_s = zp_u - 128;
  const quant_params out_u{0.05f, std::int32_t(gen() % 256)}, out_s{0.05f, std::int32_t(gen() % 256) - 128};
  if (all || rotation % 4 == 0)
    check_int8_exact<Conv, std::uint8_t, std::uint8_t>(sh, codes, w, b, {0.03f, zp_u}, out_u, act, false);
  if (all || rotation % 4 == 1)
    check_int8_exact<Conv, std::uint8_t, float>(sh, codes, w, b, {0.03f, zp_u}, std::nullopt, act, act == 1);
  for (float& v : codes) v -= 128.0f;
  if (all || rotation % 4 == 2)
    check_int8_exact<Conv, std::int8_t, std::int8_t>(sh, codes, w, b, {0.03f, zp_s}, out_s, act, false);
  if (all || rotation % 4 == 3)
    check_int8_exact<Conv, std::int8_t, float>(sh, codes, w, b, {0.03f, zp_s}, std::nullopt, act, act != 1);
}

/// Every sparsity pattern on every shape the kernel takes: 20% and 4x1 blocks with every
/// epilogue, the others with one, in rotation.
template <class Conv>
void check_reduced_shapes(const std::vector<named_shape>& shapes) {
  constexpr bool int8 = std::is_same_v<typename Conv::precision_type, precision::int8>;
  std::uint32_t seed = 31;
  int rotation = 0;
  for (const auto& [shape_name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (pattern p : all_patterns) {
      const bool all = p == pattern::density_20 || p == pattern::blocks_4x1;
      for (int e = 0; e < 6; ++e) {
        if (!all && e != rotation % 6) continue;
        CAPTURE(shape_name, name(p), e, to_string(sh));
        if constexpr (int8) {
          if (e < 3) check_int8_pattern<Conv>(sh, p, e, all, rotation, ++seed);
        } else {
          check_fp16_against_oracle<Conv>(sh, p, e % 3, e >= 3, ++seed);
        }
      }
      ++rotation;
    }
  }
}

/// int8 sums beyond the 514 non-zeros one fp32 run sums exactly: all codes 255 (or 0) with
/// zero point 0 (or 255) against weights that all quantise to +127 or -127, rows of up to
/// 4608 non-zeros (sums up to 1.5e8, far above 2^24), full and half-dense rows.
template <class Conv>
void check_int8_long_rows() {
  const std::vector<named_shape> shapes{
      {"1x1_c2048", make_shape(1, 2048, 2, 3, 9, 1, 1, 1, 0)},
      {"3x3_c512", make_shape(1, 512, 3, 3, 6, 3, 3, 1, 1)},
  };
  for (const auto& [shape_name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (float sign : {1.0f, -1.0f})
      for (pattern p : {pattern::full, pattern::dense_rows, pattern::blocks_4x1}) {
        std::vector<float> w = sparse_weights(sh, p, 1);
        for (float& v : w) v = v == 0.0f ? 0.0f : sign;
        const std::vector<float> b(std::size_t(sh.k), 0.0f);
        for (float level : {255.0f, 0.0f}) {
          CAPTURE(shape_name, sign, name(p), level);
          const std::vector<float> u(std::size_t(sh.input_dims().elements()), level);
          for (std::int32_t zp : {0, 255}) {
            check_int8_exact<Conv, std::uint8_t, float>(sh, u, w, b, {1e-4f, zp}, std::nullopt, 0, false);
            check_int8_exact<Conv, std::uint8_t, std::uint8_t>(sh, u, w, b, {1e-4f, zp}, quant_params{0.01f, 3}, 0,
                                                               false);
          }
          std::vector<float> s(u);
          for (float& v : s) v -= 128.0f;
          for (std::int32_t zp : {-128, 127})
            check_int8_exact<Conv, std::int8_t, std::int8_t>(sh, s, w, b, {1e-4f, zp}, quant_params{0.02f, -5}, 1,
                                                             false);
        }
      }
  }
}

/// Bytes of the input and output elements the precision stores.
template <class Conv>
using input_element = std::conditional_t<std::is_same_v<typename Conv::precision_type, precision::int8>,
                                         std::uint8_t, half>;

/// The output of one call with `threads` OpenMP threads (fp16: half, int8: uint8 codes).
template <class Conv>
std::vector<input_element<Conv>> run_reduced_with_threads(const conv2d_shape& sh, pattern p, int threads) {
  using L = typename Conv::layout_type;
  using T = input_element<Conv>;
  conv2d_options opt;
  opt.act = activation::relu6;
  opt.input_quant = {0.02f, 100};
  opt.output_quant = quant_params{0.03f, 7};
  std::vector<float> x = random_floats(std::size_t(sh.input_dims().elements()), 7, -2, 2);
  if constexpr (std::is_same_v<T, std::uint8_t>)
    for (float& v : x) v = std::nearbyint((v + 2.0f) * 63.0f);
  const Conv conv(sh, sparse_weights(sh, p, 5), random_floats(std::size_t(sh.k), 6), opt);
  const auto in = from_values<T, L>(sh.input_dims(), x);
  tensor<T, L> out(sh.output_dims());
  with_threads(threads, [&] { conv(in.cview(), out.view()); });
  return std::vector<T>(out.span().begin(), out.span().end());
}

/// Bitwise-identical output for 1, 2 and 3 threads.
template <class Conv>
void check_reduced_thread_independence() {
  const std::vector<named_shape> shapes{{"1x1_parallel", make_shape(1, 48, 23, 21, 40, 1, 1, 1, 0)},
                                        {"3x3_parallel", make_shape(2, 24, 19, 17, 36, 3, 3, 2, 1)}};
  for (const auto& [shape_name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (pattern p : {pattern::density_20, pattern::blocks_4x1}) {
      CAPTURE(shape_name, name(p));
      const auto one = run_reduced_with_threads<Conv>(sh, p, 1);
      for (int t : {2, 3}) {
        const auto many = run_reduced_with_threads<Conv>(sh, p, t);
        REQUIRE(one.size() == many.size());
        CHECK(std::memcmp(one.data(), many.data(), one.size() * sizeof(one[0])) == 0);
      }
    }
  }
}

/// Live weight bytes after construction equal footprint().weights, footprint_of(shape, nnz)
/// and the CSR formula with values at the storage precision (2 bytes fp16, 1 byte int8, plus
/// the int8 per-channel scales and multipliers); the peak of a call is the workspace.
template <class Conv>
void check_reduced_footprint(const std::vector<named_shape>& shapes) {
  using L = typename Conv::layout_type;
  using T = input_element<Conv>;
  using P = typename Conv::precision_type;
  constexpr bool int8 = std::is_same_v<P, precision::int8>;
  for (const auto& [shape_name, sh] : shapes) {
    if (!Conv::can_implement(sh).ok()) continue;
    for (pattern p : {pattern::empty, pattern::density_20, pattern::full}) {
      CAPTURE(shape_name, name(p), to_string(sh));
      const auto w = sparse_weights(sh, p, 3);
      const auto in = from_values<T, L>(sh.input_dims(), std::vector<float>(std::size_t(sh.input_dims().elements()), 1.0f));
      tensor<std::conditional_t<int8, float, T>, L> out(sh.output_dims());
      // Non-zeros after the conversion (int8: weights that quantise to 0 are dropped).
      const index_t nnz = conv::conv_weights<P, sparsity::csr>(sh, w, {}, {}).nnz();
      if (!int8) {
        index_t nonzero = 0;
        for (float v : w) nonzero += v != 0.0f;
        CHECK(nnz == nonzero);
      }
      const footprint f = check_counted_footprint<Conv>(sh, w, in, out);
      // (int8 with a float output counts its output at 4 bytes, footprint_of at 1.)
      CHECK(f.weights == Conv::footprint_of(sh, nnz).weights);
      CHECK(f.workspace == Conv::footprint_of(sh, nnz).workspace);
      const index_t per_channel = int8 ? 4 + 2 * 4 + index_t(sizeof(optimize::fixed_point_multiplier)) : 4;
      CHECK(f.weights == format::csr_bytes(sh.k, sh.c_per_group() * sh.r * sh.s, nnz, int8 ? 1 : 2) +
                             sh.k * per_channel + (sh.k + 3) / 4);
    }
  }
}

/// automatic: pointwise for 1x1 kernels, spatial_pack otherwise, with their results.
template <class Layout, class Precision>
void check_automatic_choice() {
  using impl = conv::algorithm_impl<Layout, Precision, sparsity::csr, algo::automatic>;
  const conv2d_shape pw = make_shape(1, 16, 7, 7, 24, 1, 1, 2, 0), kxk = make_shape(2, 8, 9, 9, 16, 3, 3, 2, 1);
  const conv2d_options opt;
  for (const conv2d_shape& sh : {pw, kxk}) {
    const impl k(sh, typename impl::weights_type(sh, sparse_weights(sh, pattern::density_20, 2), {}, opt), opt);
    CHECK(k.choice() == (sh.r == 1 ? conv::auto_choice::pointwise : conv::auto_choice::spatial_pack));
  }
}

}  // namespace dlas::testing
