// SPDX-License-Identifier: Apache-2.0
/// \file portable_conv.cpp
/// \brief A portable program (cmake/DlasPortable.cmake) that checks the copy it runs: that it
/// is the level asked for (--expect LEVEL), and that its kernels agree with the references
/// (fp32 and fp16 with the fp64 convolution, int8 with the exact integer one) on the curated
/// shapes and on shapes that reach each vector width's main loops and tails.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "dlas/conv2d.hpp"
#include "dlas/kernel/i8_gemm_tile.hpp"
#include "dlas/kernel/simd.hpp"
#include "reference/conv_int8.hpp"
#include "reference/data.hpp"
#include "reference/fp16_bound.hpp"
#include "reference/shapes.hpp"
#include "reference/winograd_route.hpp"

namespace {

using namespace dlas;
using namespace dlas::testing;

int failures = 0;

template <class T, class L>
constexpr const tensor_view<const T, L>* no_residual = nullptr;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    ++failures;
    std::printf("FAILED [%s]: %s\n", DLAS_ISA_NAME, what.c_str());
  }
}

std::vector<named_shape> shapes() {
  std::vector<named_shape> v = curated_shapes();
  v.push_back({"3x3_c37_winograd", make_shape(2, 37, 10, 10, 21, 3, 3, 1, 1)});
  v.push_back({"1x1_c70_k45", make_shape(1, 70, 6, 5, 45, 1, 1, 1, 0)});
  v.push_back({"dw_c37_s1", make_shape(1, 37, 9, 11, 37, 3, 3, 1, 1, 1, 37)});
  v.push_back({"dw_c48_s2", make_shape(1, 48, 9, 9, 48, 3, 3, 2, 1, 1, 48)});
  v.push_back({"stem_7x7_s2", make_shape(1, 3, 23, 23, 19, 7, 7, 2, 3)});
  return v;
}

/// Conv built from w, b and opt and run once on `values` stored as In: its input and output.
template <class Conv, class In, class Out>
auto run_once(const conv2d_shape& sh, const std::vector<float>& w, const std::vector<float>& b,
              const std::vector<float>& values, const conv2d_options& opt) {
  using L = typename Conv::layout_type;
  const Conv conv(sh, w, b, opt);
  std::pair<tensor<In, L>, tensor<Out, L>> io{from_values<In, L>(sh.input_dims(), values),
                                              tensor<Out, L>(sh.output_dims())};
  conv(io.first.cview(), io.second.view());
  return io;
}

/// fp32: relative L2 error against the fp64 convolution (docs/winograd.md's bound on Winograd).
template <class Conv>
bool check_fp32(const named_shape& ns, std::uint32_t seed) {
  using L = typename Conv::layout_type;
  const auto& sh = ns.shape;
  if (!Conv::can_implement(sh).ok()) return false;
  const auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1);
  const auto b = random_floats(std::size_t(sh.k), seed + 1);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), seed + 2, -2, 2);
  conv2d_options opt;
  opt.act = activation::relu;
  const auto [in, out] = run_once<Conv, float, float>(sh, w, b, x, opt);
  const double err = relative_l2_error(out.cview(), expected_output(sh, in.cview(), w, b, no_residual<float, L>, 1));
  expect(err <= (runs_winograd<Conv>(sh) ? 5e-5 : 1e-5),
         "fp32 " + ns.name + ": relative error " + std::to_string(err));
  return true;
}

/// fp16: every output within the fp16 bound of the fp64 convolution of the rounded inputs.
template <class Conv>
bool check_fp16(const named_shape& ns, std::uint32_t seed) {
  using L = typename Conv::layout_type;
  const auto& sh = ns.shape;
  if (!Conv::can_implement(sh).ok()) return false;
  auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1);
  const auto b = random_floats(std::size_t(sh.k), seed + 1);
  const auto x = random_floats(std::size_t(sh.input_dims().elements()), seed + 2, -2, 2);
  const auto [in, out] = run_once<Conv, half, half>(sh, w, b, x, {});
  for (float& v : w) v = float(half(v));
  tensor64 magnitude;
  const tensor64 want = expected_output(sh, in.cview(), w, b, no_residual<half, L>, 0, &magnitude);
  const tensor64 got = to_fp64(out.cview());
  const double taps = double(sh.c_per_group() * sh.r * sh.s);
  std::size_t outside = 0;
  for (std::size_t i = 0; i < want.v.size(); ++i) {
    double bound = fp16_error_bound(taps, magnitude.v[i], want.v[i]);
    if (runs_winograd<Conv>(sh)) bound += 1e-5 * magnitude.v[i];
    outside += !(std::fabs(got.v[i] - want.v[i]) <= bound);
  }
  expect(outside == 0, "fp16 " + ns.name + ": " + std::to_string(outside) + " outputs outside the bound");
  return true;
}

/// int8: uint8 codes in, float out, equal to the exact integer reference value for value.
template <class Conv>
bool check_int8(const named_shape& ns, std::uint32_t seed) {
  const auto& sh = ns.shape;
  if (!Conv::can_implement(sh).ok()) return false;
  std::mt19937 gen(seed);
  const auto w = random_floats(std::size_t(sh.weight_elements()), seed, -1, 1, 0.1);
  const auto b = random_floats(std::size_t(sh.k), seed + 1, -2, 2);
  std::vector<float> codes(std::size_t(sh.input_dims().elements()));
  for (float& v : codes) v = float(gen() % 256);
  const quant_params in_q{0.03f, std::int32_t(gen() % 256)};
  conv2d_options opt;
  opt.act = activation::relu;
  opt.input_quant = in_q;
  const auto [in, out] = run_once<Conv, std::uint8_t, float>(sh, w, b, codes, opt);
  const tensor64 want = conv_int8_oracle<float>(sh, to_fp64(in.cview()), w, b, in_q, std::nullopt, 1);
  const tensor64 got = to_fp64(out.cview());
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < want.v.size(); ++i) mismatches += got.v[i] != want.v[i];
  expect(mismatches == 0, "int8 " + ns.name + ": " + std::to_string(mismatches) + " outputs differ");
  return true;
}

}  // namespace

/// What each level's kernels must use: floats per vector, int8 tile path.
struct level_kernels {
  const char* level;
  std::size_t floats;
  const char* int8;
};
constexpr level_kernels expected_kernels[] = {
    {"sse4_2", 4, "scalar"}, {"avx2", 8, "avx2"}, {"avx512", 16, "avx2"}, {"avx512_vnni", 16, "avx512_vnni"}};

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--expect") == 0)
    expect(std::strcmp(argv[2], DLAS_ISA_NAME) == 0,
           std::string("the copy that runs is ") + DLAS_ISA_NAME + ", not " + argv[2]);
  const std::size_t floats = kernel::f32_batch<kernel::default_arch>::size;
  const std::string int8(kernel::i8_isa_name(kernel::i8_isa_in_use()));
  for (const auto& e : expected_kernels)
    if (std::strcmp(e.level, DLAS_ISA_NAME) == 0)
      expect(floats == e.floats && int8 == e.int8,
             "kernels with " + std::to_string(floats) + " floats a vector and int8 path " + int8);
  std::uint32_t seed = 100;
  int checked = 0;
  for (const auto& ns : shapes()) {
    checked += check_fp32<conv2d<layout::nhwc, precision::fp32, sparsity::dense, algo::automatic>>(ns, seed += 10);
    checked += check_fp32<conv2d<layout::nchw, precision::fp32, sparsity::dense, algo::automatic>>(ns, seed += 10);
    checked += check_fp16<conv2d<layout::nhwc, precision::fp16, sparsity::dense, algo::automatic>>(ns, seed += 10);
    checked += check_int8<conv2d<layout::nhwc, precision::int8, sparsity::dense, algo::automatic>>(ns, seed += 10);
    // NCHW: spatial_pack for the KxK layers, its tap regions included, on every level's tile.
    checked += check_int8<conv2d<layout::nchw, precision::int8, sparsity::dense, algo::automatic>>(ns, seed += 10);
  }
  std::printf("copy %s (%zu floats a vector, int8 path %s): %d kernel runs on %zu shapes, %d failed\n",
              DLAS_ISA_NAME, floats, int8.c_str(), checked, shapes().size(), failures);
  return failures == 0 ? 0 : 1;
}
