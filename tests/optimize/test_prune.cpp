// SPDX-License-Identifier: Apache-2.0
// Pruning: exact sparsity, magnitude order, deterministic ties, and structured pruning that
// leaves a smaller network computing the same function.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>

#include "dlas/conv2d.hpp"
#include "dlas/optimize/prune.hpp"
#include "reference/data.hpp"
#include "reference/errors.hpp"
#include "reference/shapes.hpp"

using namespace dlas;
using namespace dlas::testing;

namespace {
index_t zeros(std::span<const float> w) { return index_t(std::count(w.begin(), w.end(), 0.0f)); }
}  // namespace

TEST_CASE("unstructured pruning hits the sparsity exactly and keeps the largest", "[optimize][prune]") {
  for (std::size_t n : {1u, 7u, 100u, 4609u}) {
    for (double sparsity : {0.0, 0.3, 0.5, 0.9, 0.95, 1.0}) {
      CAPTURE(n, sparsity);
      auto w = random_floats(n, std::uint32_t(n), -1, 1);
      const auto original = w;
      const index_t pruned = optimize::prune_unstructured(w, sparsity);
      CHECK(pruned == index_t(std::floor(sparsity * double(n) + 0.5)));
      CHECK(std::fabs(double(zeros(w)) - sparsity * double(n)) <= 0.5);
      float largest_pruned = 0, smallest_kept = INFINITY;
      for (std::size_t i = 0; i < n; ++i) {
        if (w[i] == 0.0f) largest_pruned = std::max(largest_pruned, std::fabs(original[i]));
        else {
          CHECK(w[i] == original[i]);
          smallest_kept = std::min(smallest_kept, std::fabs(original[i]));
        }
      }
      CHECK(largest_pruned <= smallest_kept);
    }
  }
}

TEST_CASE("ties are pruned from the lowest index", "[optimize][prune]") {
  std::vector<float> w(10, 0.5f);
  optimize::prune_unstructured(w, 0.3);
  CHECK(w == std::vector<float>{0, 0, 0, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f});
}

TEST_CASE("global pruning ranks all layers together", "[optimize][prune]") {
  auto a = random_floats(1000, 1, -1, 1), b = random_floats(500, 2, -10, 10);
  std::vector<std::span<float>> layers{a, b};
  const auto pruned = optimize::prune_unstructured_global(layers, 0.6);
  CHECK(pruned[0] + pruned[1] == 900);
  CHECK(pruned[0] == zeros(a));
  CHECK(pruned[1] == zeros(b));
  CHECK(pruned[0] > pruned[1] * 2);  // the small-magnitude layer loses more than its share
}

TEST_CASE("block pruning zeroes whole blocks", "[optimize][prune]") {
  for (optimize::block_shape block : {optimize::block_shape{8, 1}, optimize::block_shape{1, 4},
                                      optimize::block_shape{3, 5}}) {
    const index_t rows = 19, cols = 22;
    auto w = random_floats(std::size_t(rows * cols), 9, -1, 1);
    const index_t blocks = ((rows + block.rows - 1) / block.rows) * ((cols + block.cols - 1) / block.cols);
    const index_t pruned = optimize::prune_blocks(w, rows, cols, block, 0.7);
    CHECK(pruned == index_t(std::floor(0.7 * double(blocks) + 0.5)));
    index_t zero_blocks = 0;
    for (index_t r0 = 0; r0 < rows; r0 += block.rows)
      for (index_t c0 = 0; c0 < cols; c0 += block.cols) {
        index_t z = 0, n = 0;
        for (index_t r = r0; r < std::min(rows, r0 + block.rows); ++r)
          for (index_t c = c0; c < std::min(cols, c0 + block.cols); ++c, ++n) z += w[std::size_t(r * cols + c)] == 0.0f;
        CHECK((z == 0 || z == n));
        zero_blocks += z == n;
      }
    CHECK(zero_blocks == pruned);
  }
}

TEST_CASE("filter pruning leaves a smaller network with the same output", "[optimize][prune]") {
  // producer: 6 -> 10 channels 3x3; consumer: 10 -> 4 channels 3x3; relu in between.
  const conv2d_shape a = make_shape(2, 6, 9, 9, 10, 3, 3, 1, 1), b = make_shape(2, 10, 9, 9, 4, 3, 3, 1, 1);
  auto wa = random_floats(std::size_t(a.weight_elements()), 1), ba = random_floats(10, 2);
  auto wb = random_floats(std::size_t(b.weight_elements()), 3), bb = random_floats(4, 4);
  const auto keep = optimize::select_filters(wa, a.k, 0.4);
  REQUIRE(keep.size() == 6);
  // The full network with the removed filters zeroed (weights and bias).
  for (index_t k = 0; k < a.k; ++k)
    if (!std::binary_search(keep.begin(), keep.end(), k)) {
      std::fill_n(wa.begin() + k * 54, 54, 0.0f);
      ba[std::size_t(k)] = 0.0f;
    }
  const auto pa = optimize::keep_output_channels(a, wa, ba, keep);
  const auto pb = optimize::keep_input_channels(b, wb, bb, keep);
  CHECK(pa.shape.k == 6);
  CHECK(pb.shape.c == 6);
  using conv = conv2d<layout::nchw, precision::fp32, sparsity::dense, algo::reference>;
  const auto x = from_values<float, layout::nchw>(a.input_dims(), random_floats(std::size_t(a.input_dims().elements()), 5));
  tensor<float, layout::nchw> mid(a.output_dims()), out(b.output_dims());
  tensor<float, layout::nchw> mid2(pa.shape.output_dims()), out2(pb.shape.output_dims());
  conv(a, wa, ba, {.act = activation::relu})(x.cview(), mid.view());
  conv(b, wb, bb)(mid.cview(), out.view());
  conv(pa.shape, pa.weights, pa.bias, {.act = activation::relu})(x.cview(), mid2.view());
  conv(pb.shape, pb.weights, pb.bias)(mid2.cview(), out2.view());
  for (index_t i = 0; i < out.size(); ++i) CHECK(out2.data()[i] == Approx(out.data()[i]).margin(1e-5));
}

TEST_CASE("input-channel selection and depthwise shrinking", "[optimize][prune]") {
  const conv2d_shape sh = make_shape(1, 5, 4, 4, 3, 1, 1, 1, 0);
  std::vector<float> w(15, 1.0f);
  for (index_t k = 0; k < 3; ++k) w[std::size_t(k * 5 + 2)] = 0.01f;  // input channel 2 is weak
  CHECK(optimize::select_input_channels(sh, w, 0.2) == std::vector<index_t>{0, 1, 3, 4});
  const conv2d_shape dw = make_shape(1, 4, 5, 5, 4, 3, 3, 1, 1, 1, 4);
  const auto p = optimize::keep_output_channels(dw, std::vector<float>(36, 1.0f), {}, std::vector<index_t>{1, 3});
  CHECK(p.shape.c == 2);
  CHECK(p.shape.k == 2);
  CHECK(p.shape.groups == 2);
  CHECK(p.weights.size() == 18);
}

TEST_CASE("pruning rejects bad arguments", "[optimize][prune][errors]") {
  std::vector<float> w(8, 1.0f);
  REQUIRE_DLAS_ERROR(optimize::prune_unstructured(w, 1.5), errc::invalid_argument, "outside [0, 1]");
  w[3] = NAN;
  REQUIRE_DLAS_ERROR(optimize::prune_unstructured(w, 0.5), errc::invalid_argument, "weight 3 is not finite");
  w[3] = 1.0f;
  REQUIRE_DLAS_ERROR(optimize::prune_blocks(w, 3, 3, {1, 4}, 0.5), errc::mismatched_buffer, "8 weights");
  REQUIRE_DLAS_ERROR(optimize::select_filters(w, 3, 0.5), errc::mismatched_buffer, "do not split");
  const conv2d_shape sh = make_shape(1, 2, 4, 4, 4, 1, 1, 1, 0);
  REQUIRE_DLAS_ERROR(optimize::keep_output_channels(sh, w, {}, std::vector<index_t>{2, 1}),
                     errc::invalid_argument, "strictly increasing");
  REQUIRE_DLAS_ERROR(optimize::keep_output_channels(sh, w, {}, std::vector<index_t>{}),
                     errc::invalid_argument, "at least one");
  REQUIRE_DLAS_ERROR(optimize::keep_input_channels(sh, w, {}, std::vector<index_t>{0, 5}),
                     errc::invalid_argument, "[0, 2)");
}
