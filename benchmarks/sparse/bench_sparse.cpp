// SPDX-License-Identifier: Apache-2.0
/// \file bench_sparse.cpp
/// \brief dlas-bench-sparse: CSR fp32 convolutions against the fastest dense fp32 algorithm,
/// per layer of a built-in shape set, at one density or a sweep of densities.
///
///   dlas-bench-sparse [--set resnet50|mobilenet|all] [--density D | --sweep]
///                     [--layout nchw|nhwc] [--mb N] [--threads N] [--rounds R]
///                     [--min-time S] [--filter TEXT] [--csv FILE] [google benchmark flags]
///
/// For each layer the dense fp32 algorithms (automatic, pointwise, direct, im2col_gemm,
/// spatial_pack, winograd) and the CSR algorithms are timed briefly once and the fastest of
/// each kind is kept. Weights are pruned with optimize::prune_unstructured to the density.
/// Each round then times, layer by layer, the dense kernel and the CSR kernel at every
/// density next to each other, so a drift of the machine affects both. Reported per run:
/// actual GFLOP/s (non-zero multiply-adds), effective GFLOP/s (the dense layer's FLOPs over
/// the time) and the bytes of weights plus workspace. The summary gives median times over
/// rounds, the speedup over dense per layer and per set, and the crossover density.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dlas/bench/shape_sets.hpp"
#include "dlas/conv2d.hpp"
#include "dlas/core/tensor.hpp"
#include "dlas/optimize/prune.hpp"

#if DLAS_HAS_OPENMP
#include <omp.h>
#endif

namespace {

using namespace dlas;

struct config {
  std::vector<std::string> sets{"resnet50", "mobilenet"};
  std::vector<double> densities{0.1};
  std::string layout = "nchw";
  index_t mb = 1;
  int threads = 1;
  int rounds = 3;
  double min_time = 0.05;
  std::string filter;
  std::string csv;
};

/// One ready-to-time convolution: input, output and weights live as long as it does.
struct runner {
  std::function<void()> run;
  std::string label;    ///< the algorithm
  double bytes = 0;     ///< weights + workspace
  double nnz = 0;       ///< stored weights
};

template <class L>
struct data {
  tensor<float, L> in, out;
  explicit data(const conv2d_shape& sh) : in(sh.input_dims()), out(sh.output_dims()) {
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> d(-1, 1);
    for (float& v : in.span()) v = d(gen);
  }
};

template <class L, class S, class A>
std::unique_ptr<runner> make_runner(const conv2d_shape& sh, const std::vector<float>& w, const char* name) {
  using conv = conv2d<L, precision::fp32, S, A>;
  if (!conv::can_implement(sh).ok()) return nullptr;
  auto c = std::make_shared<conv>(sh, w);
  auto d = std::make_shared<data<L>>(sh);
  auto r = std::make_unique<runner>();
  r->run = [c, d] { (*c)(d->in.cview(), d->out.view()); };
  r->label = name;
  const footprint f = c->footprint();
  r->bytes = double(f.weights + f.workspace);
  index_t nnz = 0;
  for (float v : w) nnz += v != 0.0f;
  r->nnz = double(nnz);
  return r;
}

double time_once(const runner& r) {
  r.run();  // warm-up: first touch, caches
  double best = 1e30;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    r.run();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

/// The fastest of the candidates (by a short timing).
std::unique_ptr<runner> fastest(std::vector<std::unique_ptr<runner>> cands) {
  std::unique_ptr<runner> best;
  double best_t = 1e30;
  for (auto& c : cands) {
    if (!c) continue;
    const double t = time_once(*c);
    if (t < best_t) best_t = t, best = std::move(c);
  }
  return best;
}

template <class L>
std::unique_ptr<runner> best_dense(const conv2d_shape& sh, const std::vector<float>& w) {
  using D = sparsity::dense;
  std::vector<std::unique_ptr<runner>> c;
  c.push_back(make_runner<L, D, algo::automatic>(sh, w, "dense automatic"));
  c.push_back(make_runner<L, D, algo::pointwise>(sh, w, "dense pointwise"));
  c.push_back(make_runner<L, D, algo::direct>(sh, w, "dense direct"));
  c.push_back(make_runner<L, D, algo::im2col_gemm>(sh, w, "dense im2col_gemm"));
  c.push_back(make_runner<L, D, algo::spatial_pack>(sh, w, "dense spatial_pack"));
  c.push_back(make_runner<L, D, algo::winograd>(sh, w, "dense winograd"));
  return fastest(std::move(c));
}

template <class L>
std::unique_ptr<runner> best_csr(const conv2d_shape& sh, const std::vector<float>& w) {
  using S = sparsity::csr;
  std::vector<std::unique_ptr<runner>> c;
  c.push_back(make_runner<L, S, algo::pointwise>(sh, w, "csr pointwise"));
  c.push_back(make_runner<L, S, algo::direct>(sh, w, "csr direct"));
  c.push_back(make_runner<L, S, algo::im2col_gemm>(sh, w, "csr im2col_gemm"));
  c.push_back(make_runner<L, S, algo::spatial_pack>(sh, w, "csr spatial_pack"));
  return fastest(std::move(c));
}

struct layer {
  std::string set, name;
  conv2d_shape shape;
  index_t weight = 1;
  std::unique_ptr<runner> dense;
  std::vector<std::unique_ptr<runner>> csr;  // one per density
};

/// Median seconds per iteration of each benchmark name, over rounds.
std::map<std::string, std::vector<double>> g_times;

class collect final : public benchmark::ConsoleReporter {
 public:
  /// Single-threaded runs are summarised by CPU time: on a shared machine the process is
  /// descheduled at times, which inflates wall time but not the work measured.
  explicit collect(bool cpu_time) : cpu_time_(cpu_time) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs)
      if (r.run_type == Run::RT_Iteration && !r.error_occurred) {
        std::string key = r.run_name.function_name;
        key = key.substr(key.find('/') + 1);  // drop the round prefix
        const double secs = cpu_time_ ? r.cpu_accumulated_time : r.real_accumulated_time;
        g_times[key].push_back(secs / double(r.iterations));
      }
    ConsoleReporter::ReportRuns(runs);
  }

 private:
  bool cpu_time_;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

std::string density_name(double d) {
  char b[32];
  std::snprintf(b, sizeof b, "%g%%", d * 100);
  return b;
}

void usage() {
  std::fprintf(stderr,
               "usage: dlas-bench-sparse [--set resnet50|mobilenet|all] [--density D | --sweep]\n"
               "         [--layout nchw|nhwc] [--mb N] [--threads N] [--rounds R] [--min-time S]\n"
               "         [--filter TEXT] [--csv FILE] [google benchmark flags]\n");
}

template <class L>
int run_all(const config& cfg, int argc, char** argv) {
  std::vector<layer> layers;
  for (const std::string& set : cfg.sets)
    for (const auto& p : bench::builtin_set(set, cfg.mb)) {
      if (!cfg.filter.empty() && p.name.find(cfg.filter) == std::string::npos) continue;
      layer l{set, p.name, p.shape, p.weight, nullptr, {}};
      std::vector<float> w(std::size_t(p.shape.weight_elements()));
      std::mt19937 gen(11);
      std::normal_distribution<float> nd(0.0f, 1.0f);
      for (float& v : w) v = nd(gen);
      l.dense = best_dense<L>(p.shape, w);
      for (double d : cfg.densities) {
        std::vector<float> pw = w;
        optimize::prune_unstructured(pw, 1.0 - d);
        l.csr.push_back(best_csr<L>(p.shape, pw));
      }
      std::fprintf(stderr, "prepared %s (%s)\n", p.name.c_str(), l.dense ? l.dense->label.c_str() : "-");
      layers.push_back(std::move(l));
    }
  // Rounds x layers x (dense, densities): registration order is run order.
  for (int round = 0; round < cfg.rounds; ++round)
    for (const layer& l : layers) {
      const std::string base = "r" + std::to_string(round) + "/" + l.name;
      const double flops = l.shape.flops();
      auto add = [&](const std::string& name, const runner* r, double actual_flops) {
        benchmark::RegisterBenchmark(name.c_str(), [r, flops, actual_flops](benchmark::State& s) {
          r->run();
          for (auto _ : s) r->run();
          s.SetLabel(r->label);
          s.counters["GFLOP/s"] = benchmark::Counter(actual_flops * 1e-9 * double(s.iterations()),
                                                     benchmark::Counter::kIsRate);
          s.counters["eff_GFLOP/s"] = benchmark::Counter(flops * 1e-9 * double(s.iterations()),
                                                         benchmark::Counter::kIsRate);
          s.counters["bytes"] = benchmark::Counter(r->bytes, benchmark::Counter::kDefaults,
                                                   benchmark::Counter::kIs1024);
        })->MinTime(cfg.min_time)->UseRealTime()->Unit(benchmark::kMicrosecond);
      };
      if (l.dense) add(base + "/dense", l.dense.get(), flops);
      for (std::size_t i = 0; i < cfg.densities.size(); ++i)
        if (l.csr[i])
          add(base + "/csr@" + density_name(cfg.densities[i]), l.csr[i].get(),
              flops * l.csr[i]->nnz / double(l.shape.weight_elements()));
    }
  collect rep(cfg.threads == 1);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks(&rep);

  // Summary.
  std::FILE* csv = cfg.csv.empty() ? nullptr : std::fopen(cfg.csv.c_str(), "w");
  if (csv) std::fprintf(csv, "set,layer,weight,gflop,dense_algo,dense_s,density,csr_algo,csr_s,speedup\n");
  std::printf("\nSummary (%s, mb=%lld, %d thread(s)): median %s seconds over %d rounds; speedup = dense / csr\n",
              cfg.layout.c_str(), (long long)cfg.mb, cfg.threads, cfg.threads == 1 ? "CPU" : "wall", cfg.rounds);
  for (const std::string& set : cfg.sets) {
    std::printf("\n%-34s %-20s %10s", ("[" + set + "] layer").c_str(), "dense", "dense_us");
    for (double d : cfg.densities) std::printf(" %9s", density_name(d).c_str());
    std::printf("\n");
    double dense_total = 0;
    std::vector<double> csr_total(cfg.densities.size(), 0.0);
    for (const layer& l : layers) {
      if (l.set != set || !l.dense) continue;
      const double td = median(g_times[l.name + "/dense"]);
      dense_total += td * double(l.weight);
      std::printf("%-34s %-20s %10.1f", l.name.c_str(), l.dense->label.c_str(), td * 1e6);
      for (std::size_t i = 0; i < cfg.densities.size(); ++i) {
        const double tc = median(g_times[l.name + "/csr@" + density_name(cfg.densities[i])]);
        csr_total[i] += tc * double(l.weight);
        std::printf(" %8.2fx", tc > 0 ? td / tc : 0.0);
        if (csv)
          std::fprintf(csv, "%s,%s,%lld,%.6f,%s,%.9f,%.4f,%s,%.9f,%.4f\n", set.c_str(), l.name.c_str(),
                       (long long)l.weight, l.shape.flops() * 1e-9, l.dense->label.c_str(), td,
                       cfg.densities[i], l.csr[i] ? l.csr[i]->label.c_str() : "-", tc,
                       tc > 0 ? td / tc : 0.0);
      }
      std::printf("\n");
    }
    std::printf("%-34s %-20s %10.1f", "total (weighted by occurrences)", "", dense_total * 1e6);
    for (std::size_t i = 0; i < cfg.densities.size(); ++i)
      std::printf(" %8.2fx", csr_total[i] > 0 ? dense_total / csr_total[i] : 0.0);
    std::printf("\n");
    // Crossover: the highest density at which CSR is still faster in total (interpolated
    // linearly in density between the sweep points around speedup 1).
    std::vector<std::pair<double, double>> pts;
    for (std::size_t i = 0; i < cfg.densities.size(); ++i)
      pts.push_back({cfg.densities[i], csr_total[i] > 0 ? dense_total / csr_total[i] : 0.0});
    std::sort(pts.begin(), pts.end());
    double cross = -1;
    for (std::size_t i = 0; i + 1 < pts.size(); ++i)
      if (pts[i].second >= 1.0 && pts[i + 1].second < 1.0)
        cross = pts[i].first + (pts[i].second - 1.0) / (pts[i].second - pts[i + 1].second) *
                                   (pts[i + 1].first - pts[i].first);
    if (!pts.empty() && pts.back().second >= 1.0) cross = pts.back().first;
    if (cross >= 0) std::printf("crossover density (%s total): %.0f%%\n", set.c_str(), cross * 100);
    else std::printf("crossover density (%s total): below the lowest density measured\n", set.c_str());
  }
  if (csv) std::fclose(csv);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--set") {
        const std::string s = next();
        cfg.sets = s == "all" ? std::vector<std::string>{"resnet50", "mobilenet"} : std::vector<std::string>{s};
      } else if (a == "--density") {
        const double d = std::stod(next());
        if (!(d > 0.0 && d <= 1.0)) throw std::invalid_argument("density must be in (0, 1]");
        cfg.densities = {d};
      } else if (a == "--sweep") cfg.densities = {1.0, 0.5, 0.3, 0.2, 0.1, 0.05};
      else if (a == "--layout") cfg.layout = next();
      else if (a == "--mb") cfg.mb = std::stoll(next());
      else if (a == "--threads") cfg.threads = std::stoi(next());
      else if (a == "--rounds") cfg.rounds = std::max(1, std::stoi(next()));
      else if (a == "--min-time") cfg.min_time = std::stod(next());
      else if (a == "--filter") cfg.filter = next();
      else if (a == "--csv") cfg.csv = next();
      else if (a == "--help" || a == "-h") {
        usage();
        return 0;
      } else rest.push_back(argv[i]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dlas-bench-sparse: %s: %s\n", a.c_str(), e.what());
      return 2;
    }
  }
  if (cfg.layout != "nchw" && cfg.layout != "nhwc") {
    usage();
    return 2;
  }
#if DLAS_HAS_OPENMP
  omp_set_num_threads(cfg.threads);
#endif
  int n = int(rest.size());
  try {
    return cfg.layout == "nchw" ? run_all<layout::nchw>(cfg, n, rest.data())
                                : run_all<layout::nhwc>(cfg, n, rest.data());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlas-bench-sparse: %s\n", e.what());
    return 1;
  }
}
