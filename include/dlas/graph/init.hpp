// SPDX-License-Identifier: Apache-2.0
/// \file init.hpp
/// \brief Deterministic weights: He-normal convolution and linear weights, small biases and
/// non-trivial batch-norm statistics, each parameter from its own seeded stream.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <string_view>
#include <vector>

#include "dlas/config.hpp"
#include "dlas/graph/model.hpp"

namespace dlas::DLAS_ISA_NAMESPACE::graph {

/// A splitmix64 stream: small, fast and the same on every platform.
class seeded_stream {
 public:
  explicit seeded_stream(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [0, 1), 53 bits.
  double uniform() noexcept { return double(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
  /// Standard normal (Box-Muller; each pair of uniforms gives two values).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform(), u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1)), t = 2.0 * std::numbers::pi * u2;
    spare_ = r * std::sin(t);
    has_spare_ = true;
    return r * std::cos(t);
  }

 private:
  std::uint64_t state_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

/// FNV-1a hash of a name: each parameter's stream depends on its name and the model seed
/// only, so a model's weights do not change with its batch, resolution or build order.
constexpr std::uint64_t name_hash(std::string_view s) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : s) h = (h ^ std::uint64_t(std::uint8_t(c))) * 0x100000001b3ULL;
  return h;
}

namespace detail {
/// init_weights() of every parameter (`only` null) or of those in `only`.
inline void fill_parameters(model& m, std::uint64_t seed, const parameter_names* only) {
  if (only)
    for (const std::string& name : *only) m.params.at(name);  // each must be declared
  std::vector<double> moment(m.values.size(), 1.0);  // E[x^2] per value, estimated
  for (const model_node& n : m.nodes) {
    auto fill = [&](const std::string& name, auto&& gen) {
      if (only && !only->contains(name)) return;
      param& p = m.params.at(name);
      seeded_stream s(seed ^ name_hash(name));
      p.values.resize(std::size_t(p.numel()));
      for (float& v : p.values) v = float(gen(s));
    };
    auto he = [](double fan_in) {
      const double sd = std::sqrt(2.0 / fan_in);
      return [sd](seeded_stream& s) { return sd * s.normal(); };
    };
    auto uniform = [](double lo, double hi) {
      return [=](seeded_stream& s) { return s.uniform(lo, hi); };
    };
    const tensor_dims in = n.inputs.empty() ? tensor_dims{} : m.values[std::size_t(n.inputs[0])];
    const double m_in = n.inputs.empty() ? 1.0 : moment[std::size_t(n.inputs[0])];
    double m_out = m_in;
    switch (n.kind) {
      case op_kind::conv:
        fill(n.name + ".weight",
             he(double(in.c / n.conv.groups * n.conv.kernel_h * n.conv.kernel_w)));
        if (n.conv.bias) fill(n.name + ".bias", uniform(-0.1, 0.1));
        m_out = 2.0 * m_in;
        break;
      case op_kind::linear:
        fill(n.name + ".weight", he(double(in.c * in.h * in.w)));
        if (n.bias) fill(n.name + ".bias", uniform(-0.1, 0.1));
        m_out = 2.0 * m_in;
        break;
      case op_kind::batch_norm: {
        const double sd = std::sqrt(m_in);
        fill(n.name + ".weight", uniform(0.75, 1.25));
        fill(n.name + ".bias", uniform(-0.2, 0.2));
        fill(n.name + ".running_mean", uniform(-0.2 * sd, 0.2 * sd));
        fill(n.name + ".running_var", uniform(0.6 * m_in, 1.6 * m_in));
        m_out = 1.0;
        break;
      }
      case op_kind::relu:
      case op_kind::relu6: m_out = 0.5 * m_in; break;
      case op_kind::add: m_out = m_in + moment[std::size_t(n.inputs[1])]; break;
      case op_kind::concat: {
        double sum = 0, channels = 0;
        for (int v : n.inputs) {
          sum += moment[std::size_t(v)] * double(m.values[std::size_t(v)].c);
          channels += double(m.values[std::size_t(v)].c);
        }
        m_out = sum / channels;
        break;
      }
      default: break;
    }
    moment[std::size_t(n.output)] = m_out;
  }
}
}  // namespace detail

/// Fills every parameter of `m` deterministically from `seed`:
/// - conv and linear weights: He normal, N(0, 2 / fan_in), fan_in = C/groups * R * S (or the
///   linear layer's input features);
/// - conv and linear biases: uniform in [-0.1, 0.1);
/// - batch norm: gamma uniform in [0.75, 1.25) and beta in [-0.2, 0.2); running statistics as
///   a trained network's would track its data: the mean second moment E[x^2] of the batch
///   norm's input is propagated from the input (E = 1) through the model (a He convolution
///   doubles it, ReLU halves it, an add sums its operands', pooling keeps it, a batch norm
///   resets it to 1), and each channel gets running_var = E[x^2] * u with u uniform in
///   [0.6, 1.6), running_mean = sqrt(E[x^2]) * uniform [-0.2, 0.2). Normalised activations stay
///   near unit scale with depth, and folding changes every weight and bias.
inline void init_weights(model& m, std::uint64_t seed) {
  detail::fill_parameters(m, seed, nullptr);
}

/// init_weights of the parameters in `only` (a stage's: layer_parameters); the others stay as
/// they are. Each value equals the one init_weights gives the whole model: a parameter's
/// stream depends on its name and the seed, and the statistics propagate through every node.
inline void init_weights(model& m, std::uint64_t seed, const parameter_names& only) {
  detail::fill_parameters(m, seed, &only);
}

}  // namespace dlas::graph
