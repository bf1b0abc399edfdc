// SPDX-License-Identifier: Apache-2.0
// algo::reference in int8: exact against an int32 reference on the same quantised data.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <random>

#include "dlas/conv2d.hpp"
#include "reference/data.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {

// The documented weight rule, restated: scale = max|w| / 127, q = round-half-even(w / scale).
std::vector<std::int32_t> quantize_weights(const std::vector<float>& w, index_t k, std::vector<float>& scales) {
  const std::size_t per = w.size() / std::size_t(k);
  std::vector<std::int32_t> q(w.size());
  scales.assign(std::size_t(k), 1.0f);
  for (std::size_t c = 0; c < std::size_t(k); ++c) {
    float amax = 0;
    for (std::size_t i = 0; i < per; ++i) amax = std::max(amax, std::fabs(w[c * per + i]));
    if (amax > 0) scales[c] = amax / 127.0f;
    for (std::size_t i = 0; i < per; ++i) q[c * per + i] = std::int32_t(std::nearbyint(w[c * per + i] / scales[c]));
  }
  return q;
}

// int64 product rounded half up, the documented requantisation.
std::int32_t requantize(std::int64_t acc, std::int32_t m, std::int32_t shift) {
  return std::int32_t((acc * m + (std::int64_t(1) << (shift - 1))) >> shift);
}

template <class L, class S, class In, class Out>
void check_int8(const conv2d_shape& sh, std::uint32_t seed, int act, bool adversarial) {
  std::mt19937 gen(seed);
  const float in_scale = 0.02f;
  const std::int32_t in_zero = std::is_same_v<In, std::uint8_t> ? std::int32_t(gen() % 256) : std::int32_t(gen() % 256) - 128;
  // Adversarial: every input code at its maximum against weights at +-127.
  auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1, adversarial ? 0.0 : 0.4);
  if (adversarial)
    for (float& v : w) v = v < 0 ? -1.0f : 1.0f;
  const auto b = random_floats(std::size_t(sh.k), seed + 7, -3, 3);
  std::vector<float> codes(std::size_t(sh.input_dims().elements()));
  for (float& c : codes)
    c = adversarial ? float(std::numeric_limits<In>::max())
                    : float(std::int32_t(gen() % 256) + std::int32_t(std::numeric_limits<In>::min()));

  conv2d_options opt;
  opt.act = act == 0 ? activation::none : act == 1 ? activation::relu : activation::relu6;
  opt.input_quant = {in_scale, in_zero};
  constexpr bool quantized_out = !std::is_same_v<Out, float>;
  if (quantized_out) opt.output_quant = quant_params{0.05f, std::is_same_v<Out, std::uint8_t> ? 37 : -5};
  conv2d<L, precision::int8, S, algo::reference> conv(sh, w, b, opt);
  auto in = from_values<In, L>(sh.input_dims(), codes);
  tensor<Out, L> out(sh.output_dims());
  conv(in.cview(), out.view());

  std::vector<float> scales;
  const auto q = quantize_weights(w, sh.k, scales);
  const auto& cw = conv.weights();
  for (index_t k = 0; k < sh.k; ++k) REQUIRE(cw.weight_scales()[std::size_t(k)] == scales[std::size_t(k)]);

  const index_t cg = sh.c_per_group(), kg = sh.k_per_group();
  const auto iv = in.cview();
  const auto ov = out.cview();
  for (index_t n = 0; n < sh.n; ++n)
    for (index_t k = 0; k < sh.k; ++k) {
      const double acc_scale = double(in_scale) * double(scales[std::size_t(k)]);
      const std::int64_t bias_q = std::int64_t(std::nearbyint(double(b[std::size_t(k)]) / acc_scale));
      for (index_t p = 0; p < sh.output_h(); ++p)
        for (index_t x = 0; x < sh.output_w(); ++x) {
          std::int64_t acc = 0;
          for (index_t c = 0; c < cg; ++c)
            for (index_t r = 0; r < sh.r; ++r)
              for (index_t s = 0; s < sh.s; ++s) {
                const index_t iy = p * sh.stride_h - sh.pad_top + r * sh.dilation_h;
                const index_t ix = x * sh.stride_w - sh.pad_left + s * sh.dilation_w;
                if (iy < 0 || iy >= sh.h || ix < 0 || ix >= sh.w) continue;
                acc += (std::int64_t(iv(n, (k / kg) * cg + c, iy, ix)) - in_zero) *
                       q[std::size_t(((k * cg + c) * sh.r + r) * sh.s + s)];
              }
          acc += bias_q;
          if constexpr (quantized_out) {
            const auto fpm = cw.multipliers()[std::size_t(k)];
            std::int32_t v = requantize(acc, fpm.multiplier, fpm.shift) + opt.output_quant->zero_point;
            std::int32_t lo = std::numeric_limits<Out>::min(), hi = std::numeric_limits<Out>::max();
            if (act >= 1) lo = std::max(lo, opt.output_quant->zero_point);
            if (act == 2) hi = std::min<std::int32_t>(hi, std::int32_t(std::nearbyint(6.0f / 0.05f)) + opt.output_quant->zero_point);
            v = std::clamp(v, lo, hi);
            REQUIRE(std::int32_t(ov(n, k, p, x)) == v);
          } else {
            float y = float(acc) * float(acc_scale);
            if (act >= 1) y = std::max(y, 0.0f);
            if (act == 2) y = std::min(y, 6.0f);
            REQUIRE(ov(n, k, p, x) == y);
          }
        }
    }
}

}  // namespace

TEMPLATE_PRODUCT_TEST_CASE("reference int8 equals the int32 reference", "[conv][reference][int8]",
                           std::pair, ((layout::nchw, sparsity::dense), (layout::nhwc, sparsity::dense),
                                       (layout::nchw, sparsity::csr), (layout::nhwc, sparsity::csr))) {
  using L = typename TestType::first_type;
  using S = typename TestType::second_type;
  std::uint32_t seed = 500;
  for (const auto& [name, sh] : curated_shapes()) {
    for (int act = 0; act < 3; ++act) {
      CAPTURE(name, act, to_string(sh));
      ++seed;
      check_int8<L, S, std::uint8_t, std::uint8_t>(sh, seed, act, false);
      check_int8<L, S, std::uint8_t, float>(sh, seed, act, false);
      check_int8<L, S, std::int8_t, std::int8_t>(sh, seed, act, false);
      check_int8<L, S, std::uint8_t, std::uint8_t>(sh, seed, act, true);
      check_int8<L, S, std::int8_t, float>(sh, seed, act, true);
    }
  }
}
