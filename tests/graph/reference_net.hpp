// SPDX-License-Identifier: Apache-2.0
/// \file reference_net.hpp
/// \brief The test oracle for networks: runs a model's operations one by one in fp64 on the
/// unfused model (batch norm applied as written, not folded), with the loop convolution of
/// reference/conv_fp64.hpp and plain pooling loops; nothing from dlas::graph's kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "dlas/graph/model.hpp"
#include "reference/conv_fp64.hpp"
#include "reference/data.hpp"

namespace dlas::testing {

/// PyTorch's pooled size, written out independently of graph::pooled_size.
inline index_t ref_pool_out(index_t in, index_t k, index_t s, index_t p, bool ceil_mode) {
  const double q = double(in + 2 * p - k) / double(s);
  index_t out = index_t(ceil_mode ? std::ceil(q) : std::floor(q)) + 1;
  if (ceil_mode && (out - 1) * s >= in + p) out -= 1;
  return out;
}

/// Max or average pooling over an fp64 NCHW tensor (PyTorch semantics).
inline tensor64 ref_pool(const tensor64& x, const graph::pool_params& p, bool max) {
  const index_t oh = ref_pool_out(x.h, p.kernel_h, p.stride_h, p.pad_h, p.ceil_mode);
  const index_t ow = ref_pool_out(x.w, p.kernel_w, p.stride_w, p.pad_w, p.ceil_mode);
  tensor64 y(x.n, x.c, oh, ow);
  for (index_t n = 0; n < x.n; ++n)
    for (index_t c = 0; c < x.c; ++c)
      for (index_t i = 0; i < oh; ++i)
        for (index_t j = 0; j < ow; ++j) {
          double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
          index_t inside = 0, padded = 0;
          for (index_t a = 0; a < p.kernel_h; ++a)
            for (index_t b = 0; b < p.kernel_w; ++b) {
              const index_t yy = i * p.stride_h - p.pad_h + a, xx = j * p.stride_w - p.pad_w + b;
              // The divisor with count_include_pad counts positions inside the padded input.
              if (yy < x.h + p.pad_h && xx < x.w + p.pad_w) ++padded;
              if (yy < 0 || yy >= x.h || xx < 0 || xx >= x.w) continue;
              ++inside;
              best = std::max(best, x.at(n, c, yy, xx));
              sum += x.at(n, c, yy, xx);
            }
          y.at(n, c, i, j) = max ? best : sum / double(p.count_include_pad ? padded : inside);
        }
  return y;
}

inline tensor64 ref_adaptive_avg(const tensor64& x, index_t oh, index_t ow) {
  tensor64 y(x.n, x.c, oh, ow);
  for (index_t n = 0; n < x.n; ++n)
    for (index_t c = 0; c < x.c; ++c)
      for (index_t i = 0; i < oh; ++i)
        for (index_t j = 0; j < ow; ++j) {
          const index_t y0 = index_t(std::floor(double(i * x.h) / double(oh)));
          const index_t y1 = index_t(std::ceil(double((i + 1) * x.h) / double(oh)));
          const index_t x0 = index_t(std::floor(double(j * x.w) / double(ow)));
          const index_t x1 = index_t(std::ceil(double((j + 1) * x.w) / double(ow)));
          double s = 0.0;
          for (index_t a = y0; a < y1; ++a)
            for (index_t b = x0; b < x1; ++b) s += x.at(n, c, a, b);
          y.at(n, c, i, j) = s / double((y1 - y0) * (x1 - x0));
        }
  return y;
}

/// Runs model `m` in fp64 on an NCHW input (fp32 values); returns the output value.
inline tensor64 run_reference(const graph::model& m, const tensor64& input) {
  std::vector<tensor64> v(m.values.size());
  v[std::size_t(m.input)] = input;
  auto p = [&](const std::string& name) { return to_double(m.params.at(name).values); };
  for (const graph::model_node& node : m.nodes) {
    const tensor64& x = v[std::size_t(node.inputs[0])];
    tensor64 y;
    switch (node.kind) {
      case graph::op_kind::conv:
        y = conv_fp64(node.conv.shape({x.n, x.c, x.h, x.w}), x, p(node.name + ".weight"),
                      node.conv.bias ? p(node.name + ".bias") : std::vector<double>{});
        break;
      case graph::op_kind::batch_norm: {
        const auto g = p(node.name + ".weight"), b = p(node.name + ".bias");
        const auto mean = p(node.name + ".running_mean"), var = p(node.name + ".running_var");
        y = x;
        for (index_t n = 0; n < x.n; ++n)
          for (index_t c = 0; c < x.c; ++c)
            for (index_t i = 0; i < x.h; ++i)
              for (index_t j = 0; j < x.w; ++j) {
                const std::size_t k = std::size_t(c);
                y.at(n, c, i, j) =
                    g[k] * (x.at(n, c, i, j) - mean[k]) / std::sqrt(var[k] + node.eps) + b[k];
              }
        break;
      }
      case graph::op_kind::relu:
      case graph::op_kind::relu6:
        y = x;
        activate(y, node.kind == graph::op_kind::relu ? 1 : 2);
        break;
      case graph::op_kind::add:
        y = x;
        for (std::size_t i = 0; i < y.v.size(); ++i) y.v[i] += v[std::size_t(node.inputs[1])].v[i];
        break;
      case graph::op_kind::max_pool:
      case graph::op_kind::avg_pool:
        y = ref_pool(x, node.pool, node.kind == graph::op_kind::max_pool);
        break;
      case graph::op_kind::adaptive_avg_pool:
        y = ref_adaptive_avg(x, node.out_h, node.out_w);
        break;
      case graph::op_kind::linear: {
        const auto w = p(node.name + ".weight");
        const auto b = node.bias ? p(node.name + ".bias")
                                 : std::vector<double>(std::size_t(node.out_features), 0.0);
        const index_t in = x.c * x.h * x.w;
        y = tensor64(x.n, node.out_features, 1, 1);
        for (index_t n = 0; n < x.n; ++n)
          for (index_t o = 0; o < node.out_features; ++o) {
            double s = b[std::size_t(o)];
            for (index_t i = 0; i < in; ++i)
              s += w[std::size_t(o * in + i)] * x.v[std::size_t(n * in + i)];
            y.at(n, o, 0, 0) = s;
          }
        break;
      }
      case graph::op_kind::concat: {
        index_t c = 0;
        for (int id : node.inputs) c += v[std::size_t(id)].c;
        y = tensor64(x.n, c, x.h, x.w);
        for (index_t n = 0; n < x.n; ++n) {
          index_t c0 = 0;
          for (int id : node.inputs) {
            const tensor64& t = v[std::size_t(id)];
            for (index_t cc = 0; cc < t.c; ++cc)
              for (index_t i = 0; i < x.h; ++i)
                for (index_t j = 0; j < x.w; ++j) y.at(n, c0 + cc, i, j) = t.at(n, cc, i, j);
            c0 += t.c;
          }
        }
        break;
      }
      case graph::op_kind::softmax:
        y = x;
        for (index_t n = 0; n < x.n; ++n)
          for (index_t i = 0; i < x.h; ++i)
            for (index_t j = 0; j < x.w; ++j) {
              double mx = -std::numeric_limits<double>::infinity(), s = 0.0;
              for (index_t c = 0; c < x.c; ++c) mx = std::max(mx, x.at(n, c, i, j));
              for (index_t c = 0; c < x.c; ++c) s += std::exp(x.at(n, c, i, j) - mx);
              for (index_t c = 0; c < x.c; ++c)
                y.at(n, c, i, j) = std::exp(x.at(n, c, i, j) - mx) / s;
            }
        break;
    }
    v[std::size_t(node.output)] = std::move(y);
  }
  return v[std::size_t(m.output)];
}

/// max |got - want| / max |want| over all elements (the per-tensor relative error).
template <class T, class Layout>
double max_relative_error(tensor_view<const T, Layout> got, const tensor64& want) {
  double err = 0.0, mag = 0.0;
  const tensor_dims d = got.dims();
  for (index_t n = 0; n < d.n; ++n)
    for (index_t c = 0; c < d.c; ++c)
      for (index_t h = 0; h < d.h; ++h)
        for (index_t w = 0; w < d.w; ++w) {
          err = std::max(err, std::fabs(double(float(got(n, c, h, w))) - want.at(n, c, h, w)));
          mag = std::max(mag, std::fabs(want.at(n, c, h, w)));
        }
  return mag > 0 ? err / mag : err;
}

/// Signal-to-quantisation-noise ratio in dB: 10 log10(sum want^2 / sum (got - want)^2).
template <class T, class Layout>
double sqnr_db(tensor_view<const T, Layout> got, tensor_view<const T, Layout> want) {
  double s = 0.0, e = 0.0;
  for (index_t i = 0; i < got.size(); ++i) {
    const double w = double(want.data()[i]), g = double(got.data()[i]);
    s += w * w;
    e += (g - w) * (g - w);
  }
  return e == 0 ? 1e9 : 10.0 * std::log10(s / e);
}

}  // namespace dlas::testing
