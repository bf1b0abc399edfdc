// SPDX-License-Identifier: Apache-2.0
/// \file bench_conv.cpp
/// \brief dlas-bench-conv: dlas conv2d on benchdnn shape sets, interleaved with oneDNN.
///
///   dlas-bench-conv [--shapes FILE|resnet50|mobilenet|mobilenet_dw|vgg19[,...]] [--mb N]
///                   [--layout nhwc|nchw] [--precision fp32|fp16|int8] [--sparsity dense|csr]
///                   [--density D] [--algorithm automatic|reference|direct|...] [--threads N] [--rounds R]
///                   [--timer auto|cpu|real] [--no-onednn] [Google Benchmark flags]
///
/// Timer: with one thread both sides run on the calling thread, and its CPU time is robust
/// to other processes time-sharing the core (auto picks it); with more threads, wall time.
///
/// Workspace: each dlas object gets a conv2d_options::workspace_resource that reuses freed
/// blocks (reuse_resource), as oneDNN's scratchpad is allocated once outside the timing.
///
/// Per shape it registers dlas and then oneDNN (same layout, weights in oneDNN's preferred
/// format reordered once outside the timing), and repeats the whole list --rounds times so
/// that machine noise hits both alike. At the end it prints, per set, the median GFLOP/s of
/// each side per shape, their ratio, the geometric mean of the ratios and the
/// occurrence-weighted network throughput.
///
/// Precisions: fp16 runs half tensors (oneDNN f16 where its build supports it on this CPU;
/// otherwise the oneDNN side is skipped with its error). int8 runs uint8 codes in and
/// requantised uint8 codes out (per-channel int8 weights), against oneDNN u8 x s8 -> u8 with
/// output scales; its "GFLOP/s" counts integer multiply-adds as 2 operations (GOP/s).
///
/// CSR (--sparsity csr, any precision): each layer's weights are pruned to exactly density D
/// (default 0.2) with optimize::prune_unstructured (magnitude, ties to the lower index).
/// "GFLOP/s" is then dense-equivalent (the dense layer's operations over the time, comparable
/// with dense runs and oneDNN), "actual_GFLOP/s" counts the non-zero multiply-adds only, and
/// "weight_bytes" is the kernel's exact weight storage (footprint().weights).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "dlas/bench/benchdnn.hpp"
#include "dlas/bench/shape_sets.hpp"
#include "dlas/conv2d.hpp"
#include "dlas/core/parallel.hpp"
#include "dlas/core/tensor.hpp"
#include "dlas/optimize/prune.hpp"

#include "common/conv_runner.hpp"
#include "common/harness.hpp"
#include "common/peak_rate.hpp"

namespace {

using namespace dlas;
using bench::conv_problem;

// ---------------------------------------------------------------------------------------
// Command line

struct config {
  std::string shapes = "resnet50";
  std::optional<index_t> mb = index_t(1);
  std::string layout = "nhwc", precision = "fp32", sparsity = "dense", algorithm = "automatic";
  std::optional<double> density;  // CSR: fraction of weights kept (default 0.2)
  int threads = 1;
  int rounds = 1;
  std::string timer = "auto";  // real, cpu, or auto: cpu for one thread, real otherwise
  bool onednn = true;
  std::string format = "console";
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr,
               "dlas-bench-conv: %s\n"
               "usage: dlas-bench-conv [--shapes FILE|resnet50|mobilenet|mobilenet_dw|vgg19[,...]]\n"
               "         [--mb N|file] [--layout nhwc|nchw] [--precision fp32|fp16|int8]\n"
               "         [--sparsity dense|csr] [--density D (csr: weights kept, 0 < D <= 1;\n"
               "         default 0.2)] [--algorithm NAME] [--threads N] [--rounds R]\n"
               "         [--timer auto|cpu|real]\n"
               "         [--no-onednn] [Google Benchmark flags, e.g. --benchmark_min_time=0.2]\n",
               msg.c_str());
  std::exit(2);
}

int to_int(const std::string& flag, const std::string& v) {
  if (const auto x = dlas::benchmarks::positive_int(v)) return *x;
  usage_error(flag + " needs a positive integer, got '" + v + "'");
}

// Removes dlas's own flags from argv; the rest goes to Google Benchmark.
config parse_args(int& argc, char** argv) {
  config cfg;
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    auto take = [&](const char* flag) {
      const std::string f = flag;
      if (a == f) {
        if (i + 1 >= argc) usage_error(f + " needs a value");
        value = argv[++i];
        return true;
      }
      if (a.rfind(f + "=", 0) == 0) {
        value = a.substr(f.size() + 1);
        return true;
      }
      return false;
    };
    if (take("--shapes")) cfg.shapes = value;
    else if (take("--mb")) cfg.mb = value == "file" ? std::nullopt : std::optional<index_t>(to_int("--mb", value));
    else if (take("--layout")) cfg.layout = value;
    else if (take("--precision")) cfg.precision = value;
    else if (take("--sparsity")) cfg.sparsity = value;
    else if (take("--density")) {
      char* end = nullptr;
      const double d = std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(d > 0.0 && d <= 1.0))
        usage_error("--density needs a number in (0, 1], got '" + value + "'");
      cfg.density = d;
    }
    else if (take("--algorithm")) cfg.algorithm = value;
    else if (take("--threads")) cfg.threads = to_int("--threads", value);
    else if (take("--rounds")) cfg.rounds = to_int("--rounds", value);
    else if (take("--timer")) {
      if (value != "real" && value != "cpu" && value != "auto")
        usage_error("--timer needs real, cpu or auto, got '" + value + "'");
      cfg.timer = value;
    }
    else if (a == "--no-onednn") cfg.onednn = false;
    else {
      if (a.rfind("--benchmark_format=", 0) == 0) cfg.format = a.substr(19);
      argv[out++] = argv[i];
    }
  }
  argc = out;
  if (cfg.density && cfg.sparsity != "csr") usage_error("--density needs --sparsity csr");
  return cfg;
}

// ---------------------------------------------------------------------------------------
// Shape sets

struct shape_set {
  std::string name;
  std::vector<conv_problem> problems;
};

std::vector<shape_set> load_sets(const config& cfg) {
  std::vector<shape_set> sets;
  std::stringstream list(cfg.shapes);
  std::string item;
  while (std::getline(list, item, ',')) {
    if (item.empty()) continue;
    const bool builtin = std::find(std::begin(bench::builtin_set_names),
                                   std::end(bench::builtin_set_names),
                                   item) != std::end(bench::builtin_set_names);
    if (builtin) {
      sets.push_back({item, bench::builtin_set(item, cfg.mb.value_or(1))});
    } else {
      std::string base = item.substr(item.find_last_of('/') + 1);
      sets.push_back({base, bench::read_shape_file(item, cfg.mb)});
    }
  }
  if (sets.empty()) usage_error("--shapes names no set");
  return sets;
}

// ---------------------------------------------------------------------------------------
// Runners: one prepared convolution each, called once per benchmark iteration
// (benchmarks/common/conv_runner.hpp: the interface and oneDNN's side).

using benchmarks::runner;
using benchmarks::uniform;
using factory = std::function<std::unique_ptr<runner>(const conv2d_shape&)>;

/// Keeps the blocks a call frees and hands them back to the next call of the same size, so
/// that workspaces are not page-faulted anew in every iteration (oneDNN's side gets its
/// scratchpad allocated once, outside the timing, too).
class reuse_resource final : public std::pmr::memory_resource {
 public:
  ~reuse_resource() override {
    for (auto& [key, blocks] : free_)
      for (void* p : blocks) std::pmr::new_delete_resource()->deallocate(p, key.first, key.second);
  }

 private:
  void* do_allocate(std::size_t bytes, std::size_t align) override {
    auto& blocks = free_[{bytes, align}];
    if (blocks.empty()) return std::pmr::new_delete_resource()->allocate(bytes, align);
    void* p = blocks.back();
    blocks.pop_back();
    return p;
  }
  void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
    free_[{bytes, align}].push_back(p);
  }
  bool do_is_equal(const std::pmr::memory_resource& o) const noexcept override { return this == &o; }

  std::map<std::pair<std::size_t, std::size_t>, std::vector<void*>> free_;
};

template <class L, class P, class S, class A>
struct dlas_runner final : runner {
  using conv_type = conv2d<L, P, S, A>;
  using in_type = typename P::storage_type;
  using out_type = typename P::storage_type;

  static conv2d_options options(std::pmr::memory_resource* workspace) {
    conv2d_options o;
    o.workspace_resource = workspace;
    // int8: codes 128 +- 100 stand for [-2, 2]; outputs requantised to uint8.
    if constexpr (P::quantized) {
      o.input_quant = {0.02f, 128};
      o.output_quant = quant_params{0.05f, 128};
    }
    return o;
  }

  /// Uniform weights in [-1, 1]; CSR keeps exactly the `density` of largest magnitude.
  static std::vector<float> weights(const conv2d_shape& sh, double density) {
    std::vector<float> w = uniform(sh.weight_elements(), 1, 1.0f);
    if constexpr (S::compressed) optimize::prune_unstructured(w, 1.0 - density);
    return w;
  }

  dlas_runner(const conv2d_shape& sh, double density)
      : dlas_runner(sh, weights(sh, density)) {}
  dlas_runner(const conv2d_shape& sh, const std::vector<float>& w)
      : conv(sh, w, uniform(sh.k, 2, 0.1f), options(&workspace)),
        in(sh.input_dims()),
        out(sh.output_dims()),
        kept(double(std::count_if(w.begin(), w.end(), [](float v) { return v != 0.0f; })) / double(w.size())) {
    const auto x = uniform(sh.input_dims().elements(), 3, 1.0f);
    auto* d = in.view().data();
    for (std::size_t i = 0; i < x.size(); ++i) {
      if constexpr (P::quantized) d[i] = std::uint8_t(128 + int(x[i] * 100));
      else d[i] = in_type(x[i]);
    }
  }
  void run() override {
    conv(in.cview(), out.view());
    benchmark::DoNotOptimize(out.view().data());
    benchmark::ClobberMemory();
  }
  double bytes() const override { return double(conv.footprint().total()); }
  std::string label() const override { return std::string(A::name); }
  bool sparse() const override { return S::compressed; }
  double density() const override { return kept; }
  double weight_bytes() const override { return double(conv.footprint().weights); }

  reuse_resource workspace;  // declared before conv, which keeps a pointer to it
  conv_type conv;
  tensor<in_type, L> in;
  tensor<out_type, L> out;
  double kept;  // non-zero weights / weights
};

using algo_list = std::tuple<algo::reference, algo::direct, algo::im2col_gemm, algo::spatial_pack,
                             algo::pointwise, algo::depthwise, algo::winograd, algo::automatic>;

template <class L, class P, class S>
struct combination {
  // Algorithm names with a kernel for (L, P, S), in algo_list order.
  static std::vector<std::string> available() {
    std::vector<std::string> v;
    std::apply([&](auto... a) {
      ((conv::has_kernel<L, P, S, decltype(a)> ? v.push_back(std::string(decltype(a)::name)) : void()),
       ...);
    }, algo_list{});
    return v;
  }

  // can_implement and a factory for the named algorithm; false when it has no kernel.
  static bool lookup(const std::string& name, double density,
                     std::function<status(const conv2d_shape&)>& check, factory& make) {
    bool found = false;
    std::apply([&](auto... a) {
      (([&] {
         using A = decltype(a);
         if constexpr (conv::has_kernel<L, P, S, A>) {
           if (!found && name == A::name) {
             found = true;
             check = [](const conv2d_shape& s) { return conv2d<L, P, S, A>::can_implement(s); };
             make = [density](const conv2d_shape& s) -> std::unique_ptr<runner> {
               return std::make_unique<dlas_runner<L, P, S, A>>(s, density);
             };
           }
         }
       }()),
       ...);
    }, algo_list{});
    return found;
  }
};

// Per shape: whether dlas can run it, and a runner factory.
struct dlas_choice {
  std::function<status(const conv2d_shape&)> check;
  factory make;
};

template <class L, class P, class S>
dlas_choice choose_in(const config& cfg) {
  using C = combination<L, P, S>;
  dlas_choice choice;
  const double density = cfg.density.value_or(0.2);
  if (C::lookup(cfg.algorithm, density, choice.check, choice.make)) return choice;
  const auto names = C::available();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  const bool known = std::apply(
      [&](auto... a) { return ((cfg.algorithm == decltype(a)::name) || ...); }, algo_list{});
  if (!known) usage_error("unknown --algorithm '" + cfg.algorithm + "' (kernels here: " + list + ")");
  if (cfg.algorithm != "automatic") {
    std::fprintf(stderr,
                 "dlas-bench-conv: note: no %s kernel for %s/%s/%s yet; using reference "
                 "(kernels here: %s)\n",
                 cfg.algorithm.c_str(), cfg.layout.c_str(), cfg.precision.c_str(),
                 cfg.sparsity.c_str(), list.c_str());
    C::lookup("reference", density, choice.check, choice.make);
    return choice;
  }
  // No algo::automatic kernel yet: pick per shape the first kernel that accepts it, in a
  // fixed preference order (specialised kernels first, the reference last).
  std::fprintf(stderr,
               "dlas-bench-conv: note: no automatic kernel for %s/%s/%s yet; choosing per "
               "shape among: %s\n",
               cfg.layout.c_str(), cfg.precision.c_str(), cfg.sparsity.c_str(), list.c_str());
  std::vector<dlas_choice> ordered;
  for (const char* n : {"depthwise", "pointwise", "winograd", "im2col_gemm", "direct",
                        "spatial_pack", "reference"}) {
    dlas_choice c;
    if (C::lookup(n, density, c.check, c.make)) ordered.push_back(std::move(c));
  }
  choice.check = [ordered](const conv2d_shape& s) {
    for (const auto& c : ordered)
      if (c.check(s).ok()) return status{};
    return status(errc::unsupported, "no kernel accepts this shape");
  };
  choice.make = [ordered](const conv2d_shape& s) -> std::unique_ptr<runner> {
    for (const auto& c : ordered)
      if (c.check(s).ok()) return c.make(s);
    return nullptr;
  };
  return choice;
}

template <class L>
dlas_choice choose_for_layout(const config& cfg) {
  if (cfg.precision == "fp32" && cfg.sparsity == "dense")
    return choose_in<L, precision::fp32, sparsity::dense>(cfg);
  if (cfg.precision == "fp32" && cfg.sparsity == "csr")
    return choose_in<L, precision::fp32, sparsity::csr>(cfg);
  if (cfg.precision == "fp16" && cfg.sparsity == "dense")
    return choose_in<L, precision::fp16, sparsity::dense>(cfg);
  if (cfg.precision == "fp16" && cfg.sparsity == "csr")
    return choose_in<L, precision::fp16, sparsity::csr>(cfg);
  if (cfg.precision == "int8" && cfg.sparsity == "dense")
    return choose_in<L, precision::int8, sparsity::dense>(cfg);
  if (cfg.precision == "int8" && cfg.sparsity == "csr")
    return choose_in<L, precision::int8, sparsity::csr>(cfg);
  usage_error("unknown --precision '" + cfg.precision + "' or --sparsity '" + cfg.sparsity +
              "' (precision: fp32, fp16, int8; sparsity: dense, csr)");
}

dlas_choice choose(const config& cfg) {
  if (cfg.layout == "nhwc") return choose_for_layout<layout::nhwc>(cfg);
  if (cfg.layout == "nchw") return choose_for_layout<layout::nchw>(cfg);
  usage_error("unknown --layout '" + cfg.layout + "' (nhwc or nchw)");
}

#if DLAS_WITH_ONEDNN
using benchmarks::onednn_runner;
#endif

// ---------------------------------------------------------------------------------------
// Registration and the summary

enum class side { dlas, onednn };

struct entry {
  std::size_t set = 0, problem = 0;
  side who = side::dlas;
};

std::map<std::string, entry>& registry() {
  static std::map<std::string, entry> m;
  return m;
}

void bench_body(benchmark::State& state, const conv2d_shape& sh, const factory& make) {
  std::unique_ptr<runner> r;
  try {
    r = make(sh);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
    return;
  }
  if (!r) {
    state.SkipWithError("no kernel for this shape");
    return;
  }
  r->run();  // warm-up: first-touch pages, caches
  for (auto _ : state) r->run();
  state.SetLabel(r->label());
  state.counters["GFLOP/s"] =
      benchmark::Counter(sh.flops() * 1e-9 * double(state.iterations()), benchmark::Counter::kIsRate);
  if (r->sparse()) {
    state.counters["actual_GFLOP/s"] = benchmark::Counter(
        r->density() * sh.flops() * 1e-9 * double(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["weight_bytes"] = benchmark::Counter(r->weight_bytes(), benchmark::Counter::kDefaults,
                                                        benchmark::Counter::kIs1024);
  }
  state.counters["bytes"] = benchmark::Counter(r->bytes(), benchmark::Counter::kDefaults,
                                               benchmark::Counter::kIs1024);
}

// Forwards to the display reporter chosen by --benchmark_format and keeps every run's
// GFLOP/s for the summary.
class summary_reporter final : public benchmark::BenchmarkReporter {
 public:
  explicit summary_reporter(const std::string& format) {
    if (format == "json") inner_ = std::make_unique<benchmark::JSONReporter>();
    else if (format == "csv") inner_ = make_csv();
    else inner_ = std::make_unique<benchmark::ConsoleReporter>(benchmark::ConsoleReporter::OO_Tabular);
  }
  bool ReportContext(const Context& ctx) override {
    inner_->SetOutputStream(&GetOutputStream());
    inner_->SetErrorStream(&GetErrorStream());
    return inner_->ReportContext(ctx);
  }
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred) continue;
      const auto it = registry().find(run.run_name.function_name);
      const auto c = run.counters.find("GFLOP/s");
      if (it == registry().end() || c == run.counters.end()) continue;
      const std::tuple<std::size_t, std::size_t, int> key{it->second.set, it->second.problem, int(it->second.who)};
      samples[key].push_back(c->second.value);
      const auto a = run.counters.find("actual_GFLOP/s"), w = run.counters.find("weight_bytes");
      if (a != run.counters.end()) actual[key].push_back(a->second.value);
      if (w != run.counters.end()) weight_bytes[key] = w->second.value;
    }
    inner_->ReportRuns(runs);
  }
  void Finalize() override { inner_->Finalize(); }

  std::map<std::tuple<std::size_t, std::size_t, int>, std::vector<double>> samples;
  /// CSR runs: non-zero GFLOP/s samples and the weight bytes.
  std::map<std::tuple<std::size_t, std::size_t, int>, std::vector<double>> actual;
  std::map<std::tuple<std::size_t, std::size_t, int>, double> weight_bytes;

 private:
  // Google Benchmark 1.7 marks its CSV reporter deprecated; --benchmark_format=csv uses it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  static std::unique_ptr<benchmark::BenchmarkReporter> make_csv() {
    return std::make_unique<benchmark::CSVReporter>();
  }
#pragma GCC diagnostic pop

  std::unique_ptr<benchmark::BenchmarkReporter> inner_;
};

using benchmarks::median;
using benchmarks::measure_peak_rates;
using benchmarks::peak_rates;

void print_summary(std::FILE* out, const config& cfg, const std::vector<shape_set>& sets,
                   const summary_reporter& rep, bool with_onednn) {
  // fp16 computes in fp32 (half storage widened in registers): its yardstick is fp32's.
  const peak_rates peak = measure_peak_rates();
  const bool int8 = cfg.precision == "int8";
  const double core_peak = (int8 ? peak.int8_gops : peak.fp32_gflops) * cfg.threads;
  const bool real_time = cfg.timer == "real" || (cfg.timer == "auto" && cfg.threads > 1);
  std::fprintf(out,
               "\nSummary: dlas %s/%s/%s/%s vs %s, %d thread(s), median GFLOP/s (%s time) over "
               "rounds and repetitions\n",
               cfg.layout.c_str(), cfg.precision.c_str(), cfg.sparsity.c_str(),
               cfg.algorithm.c_str(), with_onednn ? "oneDNN (convolution_auto)" : "(no oneDNN)",
               cfg.threads, real_time ? "wall" : "CPU");
  // A portable build runs the copy of the CPU's level (docs/portable.md); otherwise "native".
  std::fprintf(out, "dlas compiled for: %s\n", DLAS_ISA_NAME);
  for (std::size_t si = 0; si < sets.size(); ++si) {
    const shape_set& set = sets[si];
    const bool csr = cfg.sparsity == "csr";
    std::fprintf(out, "\n%-34s %5s %10s %10s %7s", ("set " + set.name).c_str(), "count",
                 "dlas", "oneDNN", "ratio");
    if (csr) std::fprintf(out, " %10s %12s", "actual", "weight KiB");
    std::fprintf(out, "\n");
    double log_sum = 0, log_dlas = 0, log_dnn = 0;
    int n_ratio = 0, n_dlas = 0, n_dnn = 0;
    double flop = 0, t_dlas = 0, t_dnn = 0;
    bool all_dlas = true, all_dnn = true;
    for (std::size_t pi = 0; pi < set.problems.size(); ++pi) {
      const conv_problem& p = set.problems[pi];
      auto get = [&](side s) {
        const auto it = rep.samples.find({si, pi, int(s)});
        return it == rep.samples.end() ? 0.0 : median(it->second);
      };
      const double a = get(side::dlas), b = with_onednn ? get(side::onednn) : 0.0;
      const double f = double(p.weight) * p.shape.flops() * 1e-9;
      flop += f;
      // Geometric means over the shapes both sides ran (all dlas ran without oneDNN).
      const bool paired = a > 0 && (b > 0 || !with_onednn);
      if (a > 0) t_dlas += f / a;
      else all_dlas = false;
      if (paired) log_dlas += std::log(a), ++n_dlas;
      if (b > 0) t_dnn += f / b;
      else all_dnn = false;
      if (b > 0 && a > 0) log_dnn += std::log(b), ++n_dnn;
      char ratio[16] = "-";
      if (a > 0 && b > 0) {
        std::snprintf(ratio, sizeof ratio, "%.2f", a / b);
        log_sum += std::log(a / b);
        ++n_ratio;
      }
      const std::string name = p.name.empty() ? "line " + std::to_string(p.line) : p.name;
      std::fprintf(out, "%-34s %5lld %10.2f %10.2f %7s", name.c_str(), (long long)p.weight, a, b,
                   ratio);
      if (csr) {
        const std::tuple<std::size_t, std::size_t, int> key{si, pi, int(side::dlas)};
        const auto act = rep.actual.find(key);
        const auto wb = rep.weight_bytes.find(key);
        std::fprintf(out, " %10.2f %12.1f", act == rep.actual.end() ? 0.0 : median(act->second),
                     wb == rep.weight_bytes.end() ? 0.0 : wb->second / 1024.0);
      }
      std::fprintf(out, "\n");
    }
    if (n_dnn == 0) {  // oneDNN ran none of the set (e.g. no f16 kernel here): dlas alone
      log_dlas = 0, n_dlas = 0;
      for (std::size_t pi = 0; pi < set.problems.size(); ++pi) {
        const auto it = rep.samples.find({si, pi, int(side::dlas)});
        if (it != rep.samples.end() && median(it->second) > 0) log_dlas += std::log(median(it->second)), ++n_dlas;
      }
    }
    const double geo_dlas = n_dlas ? std::exp(log_dlas / n_dlas) : 0.0;
    std::fprintf(out, "%-34s %5s %10.2f %10.2f %7.2f", "geomean", "", geo_dlas,
                 n_dnn ? std::exp(log_dnn / n_dnn) : 0.0, n_ratio ? std::exp(log_sum / n_ratio) : 0.0);
    if (core_peak > 0) std::fprintf(out, "   dlas at %.0f%% of peak", 100 * geo_dlas / core_peak);
    std::fprintf(out, "\n");
    if (all_dlas && all_dnn && t_dlas > 0 && t_dnn > 0)
      std::fprintf(out, "%-34s %5s %10.2f %10.2f %7.2f\n", "network (count-weighted)", "",
                   flop / t_dlas, flop / t_dnn, t_dnn / t_dlas);
  }
  std::fprintf(out,
               "\nratio = dlas / oneDNN GFLOP/s (> 1: dlas faster); peak of one core, measured on "
               "registers now: fp32 FMA %.1f GFLOP/s, int8 %.1f GOP/s (%s); int8 rates are GOP/s; "
               "Winograd's rates count direct-convolution operations (they can pass the peak).\n",
               peak.fp32_gflops, peak.int8_gops, peak.int8_sequence.c_str());
  if (cfg.sparsity == "csr")
    std::fprintf(out,
                 "csr: weights pruned to density %.3g with optimize::prune_unstructured; dlas and "
                 "oneDNN columns are dense-equivalent GFLOP/s, 'actual' counts non-zero multiply-adds.\n",
                 cfg.density.value_or(0.2));
}

}  // namespace

int main(int argc, char** argv) {
  config cfg = parse_args(argc, argv);
  if (!benchmarks::start(argc, argv, cfg.threads, "dlas-bench-conv")) return 2;
#if !DLAS_WITH_ONEDNN
  cfg.onednn = false;
#endif
  std::vector<shape_set> sets;
  dlas_choice choice;
  try {
    sets = load_sets(cfg);
    choice = choose(cfg);
  } catch (const dlas::error& e) {
    std::fprintf(stderr, "dlas-bench-conv: %s\n", e.what());
    return 1;
  }
  const bool nhwc = cfg.layout == "nhwc";
  const bool real_time = cfg.timer == "real" || (cfg.timer == "auto" && cfg.threads > 1);
  auto timing = [real_time](benchmark::internal::Benchmark* b) {
    b->Unit(benchmark::kMicrosecond);
    if (real_time) b->UseRealTime();
  };
  for (int round = 0; round < cfg.rounds; ++round)
    for (std::size_t si = 0; si < sets.size(); ++si)
      for (std::size_t pi = 0; pi < sets[si].problems.size(); ++pi) {
        const conv_problem& p = sets[si].problems[pi];
        const std::string base = sets[si].name + "/" +
                                 (p.name.empty() ? "line" + std::to_string(p.line) : p.name) +
                                 (cfg.rounds > 1 ? "/round" + std::to_string(round + 1) : "");
        const std::string dl = base + "/dlas";
        registry()[dl] = {si, pi, side::dlas};
        const status st = choice.check(p.shape);
        if (!st.ok()) {
          const std::string why = st.message();
          benchmark::RegisterBenchmark(dl.c_str(), [why](benchmark::State& s) {
            s.SkipWithError(why.c_str());
          });
        } else {
          timing(benchmark::RegisterBenchmark(
              dl.c_str(), [sh = p.shape, make = choice.make](benchmark::State& s) {
                bench_body(s, sh, make);
              }));
        }
#if DLAS_WITH_ONEDNN
        if (cfg.onednn) {
          const std::string dn = base + "/onednn";
          registry()[dn] = {si, pi, side::onednn};
          timing(benchmark::RegisterBenchmark(dn.c_str(), [sh = p.shape, nhwc,
                                                            precision = cfg.precision](benchmark::State& s) {
            bench_body(s, sh, [nhwc, precision](const conv2d_shape& x) -> std::unique_ptr<runner> {
              return std::make_unique<onednn_runner>(x, nhwc, precision);
            });
          }));
        }
#endif
      }
  summary_reporter rep(cfg.format);
  benchmark::RunSpecifiedBenchmarks(&rep);
  print_summary(cfg.format == "console" ? stdout : stderr, cfg, sets, rep, cfg.onednn);
  benchmark::Shutdown();
  return 0;
}
