// SPDX-License-Identifier: Apache-2.0
// Magnitude-pruned weights stored as CSR: same result as dense storage of the same weights,
// a fraction of the bytes.
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <dlas/dlas.hpp>

int main() {
  using namespace dlas;
  constexpr conv2d_shape shape{.n = 1, .c = 64, .h = 14, .w = 14, .k = 128, .r = 1, .s = 1};
  std::mt19937 gen(2);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> weights(std::size_t(shape.weight_elements()));
  for (float& w : weights) w = normal(gen);

  // |w| <= 1.645 holds ~90% of a standard normal: prune them.
  const conv2d_options opt{.prune_threshold = 1.645f};
  const conv2d<layout::nchw, precision::fp32, sparsity::dense, algo::reference> dense(shape, weights, {}, opt);
  const conv2d<layout::nchw, precision::fp32, sparsity::csr, algo::reference> sparse(shape, weights, {}, opt);

  tensor<float, layout::nchw> x(shape.input_dims()), a(shape.output_dims()), b(shape.output_dims());
  for (float& v : x.span()) v = normal(gen);
  dense(x.cview(), a.view());
  sparse(x.cview(), b.view());
  double max_diff = 0;
  for (index_t i = 0; i < a.size(); ++i) max_diff = std::fmax(max_diff, std::fabs(a.data()[i] - b.data()[i]));

  const double density = double(sparse.weights().nnz()) / double(shape.weight_elements());
  std::printf("CSR conv2d on %s at %.1f%% density\n", to_string(shape).c_str(), 100 * density);
  std::printf("  weight bytes: dense %lld, csr %lld\n", (long long)dense.footprint().weights,
              (long long)sparse.footprint().weights);
  std::printf("  max |dense - csr| = %.3g\n", max_diff);
  return 0;
}
