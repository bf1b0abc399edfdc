// SPDX-License-Identifier: Apache-2.0
/// \file bench_network.cpp
/// \brief dlas-bench-network: a whole network end to end (graph::network::run), side by side
/// with oneDNN's convolutions of the same layers run back to back, in one process.
///
///   dlas-bench-network [--network resnet50] [--resolution 224] [--batch 1] [--layout nhwc|nchw]
///                      [--threads 1] [--rounds 5] [--sparsity 0.9] [--no-onednn] [--layers]
///                      [Google Benchmark flags]
///
/// Each round registers, in this order:
///   dlas/fp32        the network, fp32, dense, algo::automatic: every layer (pooling, the
///                    residual adds and ReLUs the convolutions do not fuse, the classifier)
///   onednn/fp32      oneDNN's convolution_auto on every convolution of the network (the
///                    classifier too, which dlas runs as a convolution), one after another:
///                    oneDNN's convolutions summed, without the layers between them
///   dlas/int8        the network in int8, calibrated on four inputs, algo::automatic
///   dlas/fp32-csr    the network with --sparsity of its weights pruned (magnitude, global
///                    per layer), stored as CSR, algo::automatic
///   onednn/int8      oneDNN's u8 x s8 convolutions summed, for reference
/// and the rounds repeat the list, so that machine noise hits every side alike. The summary
/// prints each side's median time and its dense-equivalent GFLOP/s (the convolutions'
/// multiply-adds of the unpruned network, times two), and the ratios. With one thread
/// every side runs on the calling thread and the timer is its CPU time (robust to other
/// processes sharing the core); with more threads, wall time.
///
/// --layers adds a table of every layer run alone (graph::time_stage, wall time, median of
/// 5): where each side spends its time, the conversions a layer's input needs included.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/conv_runner.hpp"
#include "common/harness.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/graph/models.hpp"
#include "dlas/graph/network.hpp"
#include "dlas/graph/prune_model.hpp"
#include "dlas/graph/stage_timer.hpp"
#include "tool_kernels.hpp"

namespace {

using namespace dlas;
namespace g = dlas::graph;

struct config {
  std::string network = "resnet50";
  int resolution = 224, batch = 1, threads = 1, rounds = 5;
  std::string layout = "nhwc";
  double sparsity = 0.9;
  bool onednn = true;
  bool layers = false;
};

[[noreturn]] void usage_error(const std::string& why) {
  std::fprintf(stderr,
               "dlas-bench-network: %s\nusage: dlas-bench-network [--network NAME] [--resolution R] "
               "[--batch B] [--layout nhwc|nchw] [--threads N] [--rounds R] [--sparsity F] "
               "[--no-onednn] [--layers] [Google Benchmark flags]\n",
               why.c_str());
  std::exit(2);
}

int positive(const std::string& flag, const std::string& v) {
  if (const auto x = dlas::benchmarks::positive_int(v)) return *x;
  usage_error(flag + " needs a positive integer, got '" + v + "'");
}

/// Takes dlas-bench-network's own flags out of argv and leaves Google Benchmark's.
config parse_args(int& argc, char** argv) {
  config cfg;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--network") cfg.network = value();
    else if (a == "--resolution") cfg.resolution = positive(a, value());
    else if (a == "--batch") cfg.batch = positive(a, value());
    else if (a == "--threads") cfg.threads = positive(a, value());
    else if (a == "--rounds") cfg.rounds = positive(a, value());
    else if (a == "--layout") {
      cfg.layout = value();
      if (cfg.layout != "nhwc" && cfg.layout != "nchw") usage_error("--layout is nhwc or nchw");
    } else if (a == "--sparsity") {
      const std::string v = value();
      char* end = nullptr;
      cfg.sparsity = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || !(cfg.sparsity > 0.0 && cfg.sparsity < 1.0))
        usage_error("--sparsity needs a fraction in (0, 1), got '" + v + "'");
    } else if (a == "--no-onednn") cfg.onednn = false;
    else if (a == "--layers") cfg.layers = true;
    else if (a == "--help" || a == "-h") usage_error("options");
    else argv[out++] = argv[i];
  }
  argc = out;
  return cfg;
}

/// Deterministic values in [-1, 1) shaped like `d`.
std::vector<float> input_like(const g::tensor_desc& d, unsigned seed) {
  return benchmarks::uniform(d.elements(), seed, 1.0f);
}

/// One prepared network: its buffers, called once per benchmark iteration.
struct network_runner final : benchmarks::runner {
  network_runner(const g::model& m, const g::conv_config& c, const std::vector<std::vector<float>>& calibration)
      : net(m, options(c), tools::tool_kernels()), in(input_like(net.input_desc(), 1)),
        out(std::size_t(net.output_desc().elements())) {
    if (c.precision == g::precision_kind::int8) {
      std::vector<g::const_tensor_ref> refs;
      for (const auto& x : calibration) refs.push_back({x.data(), net.input_desc()});
      net.calibrate(refs);
    }
    net.run({in.data(), net.input_desc()}, {out.data(), net.output_desc()});  // kernels, arena
  }
  static g::network_options options(const g::conv_config& c) {
    g::network_options o;
    o.conv = c;
    o.io_layout = c.layout;
    return o;
  }
  void run() override { net.run({in.data(), net.input_desc()}, {out.data(), net.output_desc()}); }
  double bytes() const override { return double(net.predict_memory().total()); }
  std::string label() const override { return g::to_string(net.config(first_conv())); }
  /// Layers that no fast kernel runs (they fall back to the scalar reference kernel).
  std::string on_reference() const {
    std::string s;
    for (int i = 0; i < net.size(); ++i)
      if (net.is_conv(i) && net.config(i).algorithm == g::algorithm_kind::reference)
        s += (s.empty() ? "" : ", ") + net.layer(i).name;
    return s;
  }
  int first_conv() const {
    for (int i = 0; i < net.size(); ++i)
      if (net.is_conv(i)) return i;
    return 0;
  }

  g::network net;
  std::vector<float> in, out;
};

#if DLAS_WITH_ONEDNN
/// oneDNN's convolutions of every convolution layer of a network, one after another.
struct onednn_layers final : benchmarks::runner {
  onednn_layers(const std::vector<conv2d_shape>& shapes, bool nhwc, const std::string& precision) {
    for (const auto& s : shapes) layers.push_back(std::make_unique<benchmarks::onednn_runner>(s, nhwc, precision));
  }
  void run() override {
    for (auto& l : layers) l->run();
  }
  double bytes() const override {
    double b = 0;
    for (const auto& l : layers) b += l->bytes();
    return b;
  }
  std::string label() const override { return layers.empty() ? "" : layers.front()->label(); }
  std::vector<std::unique_ptr<benchmarks::onednn_runner>> layers;
};
#endif

/// The sides, in registration order within a round.
enum side : int { dlas_fp32, onednn_fp32, dlas_int8, dlas_csr, onednn_int8, side_count };
constexpr const char* side_names[side_count] = {"dlas/fp32", "onednn/fp32", "dlas/int8", "dlas/fp32-csr",
                                                "onednn/int8"};

std::map<std::string, int>& registry() {
  static std::map<std::string, int> m;
  return m;
}

/// Forwards to the console reporter and keeps every run's time per iteration, per side.
class summary_reporter final : public benchmark::ConsoleReporter {
 public:
  summary_reporter() : benchmark::ConsoleReporter(OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const auto it = registry().find(run.run_name.function_name);
      if (it == registry().end()) continue;
      const double t = real_time ? run.GetAdjustedRealTime() : run.GetAdjustedCPUTime();
      seconds[it->second].push_back(t / benchmark::GetTimeUnitMultiplier(run.time_unit));
    }
    ConsoleReporter::ReportRuns(runs);
  }
  bool real_time = false;
  std::map<int, std::vector<double>> seconds;
};

using benchmarks::median;

/// Median wall seconds of 5 calls of `f` after one.
template <class F>
double median_seconds(F&& f) {
  std::vector<double> t;
  for (int r = 0; r < 6; ++r) {
    const auto start = std::chrono::steady_clock::now();
    f();
    if (r > 0) t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return median(t);
}

/// --layers: every layer of the dlas networks run alone, and oneDNN's convolution of each
/// convolution layer, in milliseconds.
void print_layers(std::vector<std::unique_ptr<benchmarks::runner>>& sides) {
  auto& fp32 = static_cast<network_runner&>(*sides[dlas_fp32]).net;
  std::printf("\nPer layer, each run alone (wall ms, median of 5):\n%-28s %-22s", "layer", "convolution");
  for (int s = 0; s < side_count; ++s)
    if (sides[std::size_t(s)]) std::printf(" %13s", side_names[s]);
  std::printf("\n");
  std::vector<double> total(side_count, 0.0);
  std::size_t conv = 0;
  for (int i = 0; i < fp32.size(); ++i) {
    std::string what;
    if (fp32.is_conv(i)) {
      const auto& sh = fp32.layer(i).shape;
      what = std::to_string(sh.k) + "x" + std::to_string(sh.c / sh.groups) + " " + std::to_string(sh.r) + "x" +
             std::to_string(sh.s) + "/" + std::to_string(sh.stride_h) + " " + std::to_string(sh.output_h()) + "x" +
             std::to_string(sh.output_w());
    }
    std::printf("%-28.28s %-22s", fp32.layer(i).name.c_str(), what.c_str());
    for (int s = 0; s < side_count; ++s) {
      if (!sides[std::size_t(s)]) continue;
      double t = -1;
      if (auto* n = dynamic_cast<network_runner*>(sides[std::size_t(s)].get())) {
        t = g::time_stage(n->net, i, i + 1, 1, 5);
#if DLAS_WITH_ONEDNN
      } else if (auto* d = dynamic_cast<onednn_layers*>(sides[std::size_t(s)].get()); d && fp32.is_conv(i)) {
        t = median_seconds([&] { d->layers[conv]->run(); });
#endif
      }
      if (t < 0) {
        std::printf(" %13s", "");
        continue;
      }
      total[std::size_t(s)] += t;
      std::printf(" %13.3f", 1e3 * t);
    }
    if (fp32.is_conv(i)) ++conv;
    std::printf("\n");
  }
  std::printf("%-28s %-22s", "sum", "");
  for (int s = 0; s < side_count; ++s)
    if (sides[std::size_t(s)]) std::printf(" %13.3f", 1e3 * total[std::size_t(s)]);
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  config cfg = parse_args(argc, argv);
  if (!benchmarks::start(argc, argv, cfg.threads, "dlas-bench-network")) return 2;
#if !DLAS_WITH_ONEDNN
  cfg.onednn = false;
#endif
  const g::layout_kind layout = cfg.layout == "nhwc" ? g::layout_kind::nhwc : g::layout_kind::nchw;
  const auto auto_config = [&](g::precision_kind p, g::sparsity_kind s) {
    return g::conv_config{layout, p, s, g::algorithm_kind::automatic};
  };

  // Every network is built (weights packed, int8 calibrated) before any timing.
  std::vector<std::unique_ptr<benchmarks::runner>> sides(side_count);
  std::vector<conv2d_shape> shapes;
  double flops = 0;
  try {
    g::model_options mo;
    mo.batch = cfg.batch;
    mo.height = mo.width = cfg.resolution;
    const g::model dense = g::make_model(cfg.network, mo);
    std::vector<std::vector<float>> calibration;
    auto fp32 = std::make_unique<network_runner>(dense, auto_config(g::precision_kind::fp32, g::sparsity_kind::dense),
                                                 calibration);
    for (unsigned s = 2; s < 6; ++s) calibration.push_back(input_like(fp32->net.input_desc(), s));
    for (int i = 0; i < fp32->net.size(); ++i)
      if (fp32->net.is_conv(i)) {
        shapes.push_back(fp32->net.layer(i).shape);
        flops += shapes.back().flops();
      }
    auto int8 = std::make_unique<network_runner>(dense, auto_config(g::precision_kind::int8, g::sparsity_kind::dense),
                                                 calibration);
    g::model pruned = dense;
    g::prune_unstructured(pruned, cfg.sparsity, g::prune_scope::skip_depthwise);  // run dense
    auto csr = std::make_unique<network_runner>(pruned, auto_config(g::precision_kind::fp32, g::sparsity_kind::csr),
                                                calibration);
    for (const auto* r : {fp32.get(), int8.get(), csr.get()})
      if (const std::string s = r->on_reference(); !s.empty())
        std::fprintf(stderr, "dlas-bench-network: note: %s runs %s on the scalar reference kernel\n",
                     r->label().c_str(), s.c_str());
    sides[dlas_fp32] = std::move(fp32);
    sides[dlas_int8] = std::move(int8);
    sides[dlas_csr] = std::move(csr);
#if DLAS_WITH_ONEDNN
    if (cfg.onednn) {
      sides[onednn_fp32] = std::make_unique<onednn_layers>(shapes, layout == g::layout_kind::nhwc, "fp32");
      sides[onednn_int8] = std::make_unique<onednn_layers>(shapes, layout == g::layout_kind::nhwc, "int8");
    }
#endif
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlas-bench-network: %s\n", e.what());
    return 1;
  }

  summary_reporter rep;
  rep.real_time = cfg.threads > 1;
  for (int round = 0; round < cfg.rounds; ++round)
    for (int s = 0; s < side_count; ++s) {
      if (!sides[std::size_t(s)]) continue;
      const std::string name = cfg.network + "/" + side_names[s] + "/round" + std::to_string(round + 1);
      registry()[name] = s;
      auto* b = benchmark::RegisterBenchmark(name.c_str(), [r = sides[std::size_t(s)].get(), flops](benchmark::State& st) {
        for (auto _ : st) r->run();
        st.SetLabel(r->label());
        st.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9 * double(st.iterations()), benchmark::Counter::kIsRate);
        st.counters["bytes"] = benchmark::Counter(r->bytes(), benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
      });
      b->Unit(benchmark::kMillisecond);
      if (rep.real_time) b->UseRealTime();
    }
  benchmark::RunSpecifiedBenchmarks(&rep);

  const auto ms = [&](int s) { return 1e3 * median(rep.seconds[s]); };
  std::printf("\nSummary: %s %dx%d, batch %d, %s, %d thread(s), median of %d rounds (%s time); "
              "GFLOP/s count the dense network's convolutions (%.2f GFLOP)\n\n",
              cfg.network.c_str(), cfg.resolution, cfg.resolution, cfg.batch, cfg.layout.c_str(), cfg.threads,
              cfg.rounds, rep.real_time ? "wall" : "CPU", flops * 1e-9);
  std::printf("%-44s %10s %10s %14s\n", "", "ms", "GFLOP/s", "dlas fp32 / it");
  const double base = ms(dlas_fp32);
  const char* what[side_count] = {"dlas fp32, end to end", "oneDNN fp32, convolutions summed", "dlas int8, end to end",
                                  nullptr, "oneDNN int8, convolutions summed"};
  const std::string csr_what = "dlas fp32 " + std::to_string(int(cfg.sparsity * 100 + 0.5)) + "% pruned (CSR), end to end";
  for (int s = 0; s < side_count; ++s) {
    const double t = ms(s);
    if (t <= 0) continue;
    std::printf("%-44s %10.2f %10.1f %14.2f\n", s == dlas_csr ? csr_what.c_str() : what[s], t, flops * 1e-6 / t,
                base / t);
  }
  if (ms(onednn_fp32) > 0)
    std::printf("\ndlas fp32 end to end against oneDNN's fp32 convolutions summed: %.2fx (> 1: dlas faster)\n",
                ms(onednn_fp32) / base);
  std::printf("int8 against dlas fp32: %.2fx; %.0f%% pruned CSR against dense fp32: %.2fx\n",
              ms(dlas_int8) > 0 ? base / ms(dlas_int8) : 0.0, cfg.sparsity * 100,
              ms(dlas_csr) > 0 ? base / ms(dlas_csr) : 0.0);
  if (cfg.layers) print_layers(sides);
  benchmark::Shutdown();
  return 0;
}
