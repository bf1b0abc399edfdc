// SPDX-License-Identifier: Apache-2.0
// dlas-sweep: the cross-stack sweep. For each network, the cross product of compression,
// precision, algorithm, layout and thread count: end-to-end latency, weight bytes, peak memory
// and output error against the fp32 dense network; CSV, a Markdown summary and plots.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <dlas/graph/models.hpp>
#include <dlas/graph/network.hpp>

#include "tool_kernels.hpp"
#include <dlas/graph/convert.hpp>
#include <dlas/graph/prune_model.hpp>
#include <dlas/tune/tuner.hpp>

namespace {

using namespace dlas;
using namespace dlas::graph;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

constexpr const char* usage = R"(usage: dlas-sweep [options]
  --networks a,b        architectures (default resnet18,mobilenet_v2; also resnet50, vgg16, ...)
  --resolution R        input height and width (default 112)
  --batch B             images per run (default 1)
  --compression list    none, unstructured:F (fraction of weights zeroed), channels:F
                        (fraction of the prunable channels removed), e.g.
                        none,unstructured:0.5,unstructured:0.8,unstructured:0.9,channels:0.5
                        (default none,unstructured:0.9)
  --precisions list     fp32,fp16,int8 (default all)
  --algorithms list     direct,im2col_gemm,spatial_pack,winograd,automatic,tuned (default all)
  --layouts list        nchw,nhwc (default both)
  --threads list        thread counts (default 1,2)
  --repetitions N       timed runs per configuration, after one warm-up (default 5)
  --out DIR             results folder (default sweep-results): results.csv, summary.md, plots
  --fresh               ignore results already in DIR/results.csv (default: resume)
  --tuning-cache FILE   tuner cache (default DIR/tuning.json)
An unstructured-pruned network stores its weights as CSR where the precision and algorithm
have a CSR kernel, dense otherwise. A channel-pruned network (graph::prune_channels) runs
smaller dense layers; its GFLOP/s count the unpruned network's operations. Configurations without a kernel are skipped and listed.)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// One value of the compression axis: "none", "unstructured:F" or "channels:F".
struct compression_spec {
  enum kind_t { none, unstructured, channels } kind = none;
  double fraction = 0;

  /// Prunes `m` as this compression says.
  void apply(model& m) const {
    if (kind == unstructured) prune_unstructured(m, fraction);
    if (kind == channels) prune_channels(m, fraction);
  }
};

compression_spec parse_compression(const std::string& text) {
  if (text == "none") return {};
  const auto colon = text.find(':');
  const std::string name = text.substr(0, colon);
  char* end = nullptr;
  const double f = colon == std::string::npos ? 0 : std::strtod(text.c_str() + colon + 1, &end);
  const bool number = end && *end == '\0' && f > 0 && f < 1;
  if (number && name == "unstructured") return {compression_spec::unstructured, f};
  if (number && name == "channels") return {compression_spec::channels, f};
  throw usage_error("--compression: '" + text + "' is not none, unstructured:F or channels:F with 0 < F < 1");
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct options {
  std::vector<std::string> networks{"resnet18", "mobilenet_v2"};
  // The default finishes in minutes on two cores; the full axis is
  // none,unstructured:0.5,unstructured:0.8,unstructured:0.9.
  std::vector<std::string> compression{"none", "unstructured:0.9"};
  std::vector<std::string> precisions{"fp32", "fp16", "int8"};
  std::vector<std::string> algorithms{"direct", "im2col_gemm", "spatial_pack", "winograd", "automatic", "tuned"};
  std::vector<std::string> layouts{"nchw", "nhwc"};
  std::vector<int> threads{1, 2};
  int resolution = 112, batch = 1, repetitions = 5;
  std::string out = "sweep-results", tuning_cache;
  bool fresh = false;
};

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw usage_error(a + " needs a value");
      return argv[++i];
    };
    auto positive = [&](const std::string& text) {
      try {
        std::size_t used = 0;
        const int v = std::stoi(text, &used);
        if (used == text.size() && v > 0) return v;
      } catch (const std::exception&) {
      }
      throw usage_error(a + " expects positive integers, got '" + text + "'");
    };
    if (a == "--networks") o.networks = split(value());
    else if (a == "--compression") o.compression = split(value());
    else if (a == "--precisions") o.precisions = split(value());
    else if (a == "--algorithms") o.algorithms = split(value());
    else if (a == "--layouts") o.layouts = split(value());
    else if (a == "--threads") {
      o.threads.clear();
      for (const auto& t : split(value())) o.threads.push_back(positive(t));
    } else if (a == "--resolution") o.resolution = positive(value());
    else if (a == "--batch") o.batch = positive(value());
    else if (a == "--repetitions") o.repetitions = positive(value());
    else if (a == "--out") o.out = value();
    else if (a == "--tuning-cache") o.tuning_cache = value();
    else if (a == "--fresh") o.fresh = true;
    else if (a == "--help" || a == "-h") throw usage_error("");
    else throw usage_error("unknown argument '" + a + "'");
  }
  for (const auto& p : o.precisions) parse_precision(p);
  for (const auto& l : o.layouts) parse_layout(l);
  for (const auto& al : o.algorithms)
    if (al != "tuned") parse_algorithm(al);
  for (const auto& c : o.compression) parse_compression(c);
  if (o.tuning_cache.empty()) o.tuning_cache = (fs::path(o.out) / "tuning.json").string();
  return o;
}

/// One measured configuration: a row of results.csv.
struct row {
  std::string network, compression, precision, sparsity, algorithm, layout;
  int threads = 1;
  double latency_ms = 0, gflops = 0;
  long long weight_bytes = 0, peak_bytes = 0;
  double rel_error = 0, sqnr_db = 0;

  std::string key() const {
    return network + "," + compression + "," + precision + "," + algorithm + "," + layout + "," + std::to_string(threads);
  }
};

constexpr const char* csv_header =
    "network,compression,precision,algorithm,layout,threads,sparsity,latency_ms,gflops,weight_bytes,peak_bytes,"
    "rel_error,sqnr_db";

std::string csv(const row& r) {
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s,%s,%s,%s,%s,%d,%s,%.4f,%.3f,%lld,%lld,%.3e,%.2f", r.network.c_str(),
                r.compression.c_str(), r.precision.c_str(), r.algorithm.c_str(), r.layout.c_str(), r.threads,
                r.sparsity.c_str(), r.latency_ms, r.gflops, r.weight_bytes, r.peak_bytes, r.rel_error, r.sqnr_db);
  return buf;
}

std::vector<row> read_csv(const fs::path& path) {
  std::vector<row> rows;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line != csv_header) return rows;  // another format: start over
  while (std::getline(in, line)) {
    const auto f = split(line);
    if (f.size() != 13) continue;  // a line cut short by an interrupted run
    row r{f[0], f[1], f[2], f[6], f[3], f[4]};
    try {
      r.threads = std::stoi(f[5]);
      r.latency_ms = std::stod(f[7]);
      r.gflops = std::stod(f[8]);
      r.weight_bytes = std::stoll(f[9]);
      r.peak_bytes = std::stoll(f[10]);
      r.rel_error = std::stod(f[11]);
      r.sqnr_db = std::stod(f[12]);
    } catch (const std::exception&) {
      continue;
    }
    rows.push_back(r);
  }
  return rows;
}

/// Deterministic input images, uniform in [-1, 1).
std::vector<float> make_input(const tensor_desc& d, std::uint64_t seed) {
  std::vector<float> x(std::size_t(d.elements()));
  seeded_stream s(seed);
  for (float& v : x) v = float(s.uniform(-1.0, 1.0));
  return x;
}

/// Multiply-adds of the network's convolutions, times two.
double network_flops(const network& net) {
  double f = 0;
  for (int i = 0; i < net.size(); ++i)
    if (net.is_conv(i)) {
      const auto& s = net.layer(i).shape;
      f += 2.0 * double(s.n) * double(s.k) * double(s.output_h()) * double(s.output_w()) * double(s.c / s.groups) *
           double(s.r) * double(s.s);
    }
  return f;
}

/// Progress on a terminal: a bar redrawn in place; elsewhere, a line per configuration.
class progress {
 public:
  explicit progress(int total) : total_(total), tty_(isatty(STDOUT_FILENO) != 0), start_(clock_type::now()) {}
  void step(const std::string& what) {
    ++done_;
    const double elapsed = std::chrono::duration<double>(clock_type::now() - start_).count();
    const int width = 30, filled = total_ ? width * done_ / total_ : width;
    if (tty_) {
      std::printf("\r[%s%s] %d/%d %5.0f s  %-60.60s", std::string(std::size_t(filled), '#').c_str(),
                  std::string(std::size_t(width - filled), '.').c_str(), done_, total_, elapsed, what.c_str());
      if (done_ == total_) std::printf("\n");
    } else {
      std::printf("[%d/%d %.0f s] %s\n", done_, total_, elapsed, what.c_str());
    }
    std::fflush(stdout);
  }

 private:
  int total_, done_ = 0;
  bool tty_;
  clock_type::time_point start_;
};

/// Relative L2 error and SQNR of `got` against `ref`.
std::pair<double, double> error_of(const std::vector<float>& got, const std::vector<float>& ref) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double d = double(got[i]) - double(ref[i]);
    num += d * d;
    den += double(ref[i]) * double(ref[i]);
  }
  const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  const double sqnr = num > 0 ? 10.0 * std::log10(den / num) : 999.0;
  return {rel, std::min(sqnr, 999.0)};
}

struct sweep {
  options o;
  std::vector<row> rows;
  std::set<std::string> done;
  std::vector<std::string> skipped;
  tune::tuning_cache cache;
  std::ofstream csv_out;

  void record(const row& r) {
    rows.push_back(r);
    done.insert(r.key());
    csv_out << csv(r) << "\n";
    csv_out.flush();  // an interrupted run keeps every finished row
  }

  /// The storage a configuration uses: CSR for pruned weights when the kernel exists.
  static sparsity_kind storage(const std::string& compression, const conv_config& c) {
    if (parse_compression(compression).kind != compression_spec::unstructured) return sparsity_kind::dense;
    conv_config csr = c;
    csr.sparsity = sparsity_kind::csr;
    return has_kernel(csr) ? sparsity_kind::csr : sparsity_kind::dense;
  }

  void run_network(const std::string& arch, progress& bar) {
    model_options mo;
    mo.batch = o.batch;
    mo.height = mo.width = o.resolution;
    const model base = make_model(arch, mo);
    // The reference output: fp32, dense, unpruned, automatic.
    network ref_net(base, {}, tools::tool_kernels());
    const auto in_desc = ref_net.input_desc();
    const auto out_desc = ref_net.output_desc();
    const std::vector<float> input = make_input(in_desc, 1);
    std::vector<float> reference(std::size_t(out_desc.elements()));
    ref_net.run({input.data(), in_desc}, {reference.data(), out_desc});
    const double flops = network_flops(ref_net);
    std::vector<std::vector<float>> calibration;
    for (std::uint64_t s = 2; s < 6; ++s) calibration.push_back(make_input(in_desc, s));

    for (const auto& compression : o.compression) {
      model m = base;
      parse_compression(compression).apply(m);
      for (const int threads : o.threads) {
#if defined(_OPENMP)
        omp_set_num_threads(threads);
#endif
        for (const auto& precision : o.precisions)
          for (const auto& layout : o.layouts)
            for (const auto& algorithm : o.algorithms) {
              row r{arch, compression, precision, "", algorithm, layout, threads};
              const std::string what = r.key();
              if (done.count(r.key())) {
                bar.step(what + " (resumed)");
                continue;
              }
              conv_config c{parse_layout(layout), parse_precision(precision), sparsity_kind::dense,
                            algorithm == "tuned" ? algorithm_kind::automatic : parse_algorithm(algorithm)};
              c.sparsity = storage(compression, c);
              if (!has_kernel(c)) {
                skipped.push_back(what + ": no " + to_string(c) + " kernel");
                bar.step(what + " (no kernel)");
                continue;
              }
              r.sparsity = std::string(to_string(c.sparsity));
              network_options no;
              no.conv = c;
              no.io_layout = c.layout;
              network net(m, no, tools::tool_kernels());
              // A layer left to the scalar reference kernel says nothing about the fast
              // kernels and would dominate the run's time: skip and list it.
              std::string scalar;
              for (int i = 0; i < net.size(); ++i)
                if (net.is_conv(i) && net.config(i).algorithm == algorithm_kind::reference)
                  scalar += (scalar.empty() ? "" : ", ") + net.layer(i).name;
              if (!scalar.empty()) {
                skipped.push_back(what + ": " + to_string(c) + " runs " + scalar.substr(0, 80) +
                                  (scalar.size() > 80 ? "..." : "") + " on the scalar reference kernel");
                bar.step(what + " (reference fallback)");
                continue;
              }
              std::vector<float> in_io(input.size()), out_io(reference.size());
              // The network's input and output are in its layout: reorder from/to NCHW.
              const auto to_io = [&](const std::vector<float>& nchw, std::vector<float>& dst) {
                tensor_desc from = net.input_desc();
                from.layout = layout_kind::nchw;
                convert({nchw.data(), from}, {dst.data(), net.input_desc()});
              };
              if (c.precision == precision_kind::int8) {
                std::vector<std::vector<float>> cal(calibration.size(), std::vector<float>(input.size()));
                std::vector<const_tensor_ref> refs;
                for (std::size_t k = 0; k < cal.size(); ++k) {
                  to_io(calibration[k], cal[k]);
                  refs.push_back({cal[k].data(), net.input_desc()});
                }
                net.calibrate(refs);
              }
              if (algorithm == "tuned") {
                // Algorithms per layer within the row's layout (layout is an axis of its own).
                tune::tune_options to;
                to.layouts = {c.layout};
                to.repetitions = 3;
                tune::tune(net, c.precision, c.sparsity, cache, to);
              }
              to_io(input, in_io);
              const const_tensor_ref x{in_io.data(), net.input_desc()};
              const tensor_ref y{out_io.data(), net.output_desc()};
              net.run(x, y);  // warm-up: kernels, arena
              std::vector<double> t;
              for (int k = 0; k < o.repetitions; ++k) {
                const auto start = clock_type::now();
                net.run(x, y);
                t.push_back(std::chrono::duration<double>(clock_type::now() - start).count());
              }
              std::sort(t.begin(), t.end());
              r.latency_ms = 1e3 * t[t.size() / 2];
              r.gflops = flops / t[t.size() / 2] * 1e-9;
              const auto mem = net.measured_memory(0, net.size());
              r.weight_bytes = mem.weights;
              r.peak_bytes = mem.total();
              std::vector<float> out_nchw(out_io.size());
              tensor_desc to = net.output_desc();
              to.layout = layout_kind::nchw;
              convert({out_io.data(), net.output_desc()}, {out_nchw.data(), to});
              std::tie(r.rel_error, r.sqnr_db) = error_of(out_nchw, reference);
              record(r);
              bar.step(what);
            }
      }
    }
  }
};

/// The fastest row among `rows` that satisfy `pred`, if any.
template <class Pred>
const row* fastest(const std::vector<row>& rows, Pred pred) {
  const row* best = nullptr;
  for (const auto& r : rows)
    if (pred(r) && (!best || r.latency_ms < best->latency_ms)) best = &r;
  return best;
}

std::string describe(const row& r) {
  return r.precision + "/" + r.sparsity + "/" + r.algorithm + "/" + r.layout + ", " + std::to_string(r.threads) +
         " thread" + (r.threads == 1 ? "" : "s");
}

/// gnuplot's data file for one plot and the script that draws it.
void plot(const fs::path& dir, const std::string& name, const std::string& data, const std::string& script) {
  std::ofstream(dir / (name + ".dat")) << data;
  std::ofstream(dir / (name + ".gp")) << "set terminal pngcairo size 1100,650 font 'sans,10'\n"
                                     << "set output '" << (dir / (name + ".png")).string() << "'\n"
                                     << "set grid\nset key outside right\n"
                                     << script;
}

/// results.csv's companions: summary.md and the plots (when gnuplot is installed).
void write_report(const std::vector<row>& rows, const std::vector<std::string>& skipped, const options& o) {
  const fs::path dir = o.out;
  std::ostringstream md;
  md << "# dlas-sweep results\n\n" << rows.size() << " configurations, resolution " << o.resolution << ", batch "
     << o.batch << ", median of " << o.repetitions << " runs after a warm-up; CPU: " << tune::cpu_model()
     << ". Error: relative L2 distance of the logits from the fp32 dense unpruned network "
        "(SQNR in dB).\n\n";
  std::set<std::string> nets;
  for (const auto& r : rows) nets.insert(r.network);
  for (const auto& net : nets) {
    auto of = [&](auto pred) { return fastest(rows, [&](const row& r) { return r.network == net && pred(r); }); };
    const row* base = of([](const row& r) {
      return r.compression == "none" && r.precision == "fp32" && r.algorithm == "automatic" && r.threads == 1;
    });
    md << "## " << net << "\n\n| what | configuration | latency ms (speed-up) | GFLOP/s | weights MiB | peak MiB | rel. error | SQNR dB |\n"
       << "|---|---|---|---|---|---|---|---|\n";
    auto line = [&](const std::string& what, const row* r) {
      if (!r) return;
      char speedup[32] = "";
      if (base && r != base) std::snprintf(speedup, sizeof speedup, " (%.2fx)", base->latency_ms / r->latency_ms);
      char buf[256];
      std::snprintf(buf, sizeof buf, "| %.2f%s | %.1f | %.2f | %.2f | %.2e | %.1f |\n", r->latency_ms, speedup,
                    r->gflops, double(r->weight_bytes) / (1 << 20), double(r->peak_bytes) / (1 << 20), r->rel_error,
                    r->sqnr_db);
      md << "| " << what << " | " << r->compression << ", " << describe(*r) << " " << buf;
    };
    line("baseline: fp32 dense automatic, 1 thread", base);
    line("fastest overall", of([](const row&) { return true; }));
    line("fastest, 1 thread", of([](const row& r) { return r.threads == 1; }));
    line("fastest within 1% error", of([](const row& r) { return r.rel_error <= 0.01; }));
    for (const std::string p : {"fp32", "fp16", "int8"})
      line("fastest " + p + ", 1 thread", of([&](const row& r) { return r.precision == p && r.threads == 1; }));
    for (const auto& c : o.compression)
      line("fastest " + c + ", 1 thread", of([&](const row& r) { return r.compression == c && r.threads == 1; }));
    line("fp32 untuned (automatic), 1 thread", base);
    line("fp32 tuned, 1 thread", of([](const row& r) {
      return r.compression == "none" && r.precision == "fp32" && r.algorithm == "tuned" && r.threads == 1;
    }));
    md << "\nEvery configuration of " << net << " is in results.csv; ![latency](" << net << "_latency.png) "
       << "![size](" << net << "_size.png) ![sparsity](" << net << "_sparsity.png)\n\n";

    // Latency per configuration, fastest first (1 thread).
    std::vector<const row*> mine;
    for (const auto& r : rows)
      if (r.network == net && r.threads == 1) mine.push_back(&r);
    std::sort(mine.begin(), mine.end(), [](const row* a, const row* b) { return a->latency_ms < b->latency_ms; });
    std::ostringstream lat, size, sparse;
    for (std::size_t i = 0; i < mine.size(); ++i)
      lat << i << " " << mine[i]->latency_ms << " \"" << mine[i]->compression << " " << mine[i]->precision << " "
          << mine[i]->algorithm << " " << mine[i]->layout << "\"\n";
    plot(dir, net + "_latency", lat.str(),
         "set title '" + net + ": latency per configuration, 1 thread (fastest first)'\nset ylabel 'ms'\n"
         "set xlabel 'configuration (see results.csv)'\nset logscale y\n"
         "plot '" + (dir / (net + "_latency.dat")).string() + "' using 1:2 with impulses lw 2 title 'latency'\n");
    // Latency against weight bytes, one point per configuration, by precision.
    for (const std::string p : {"fp32", "fp16", "int8"}) {
      for (const auto* r : mine)
        if (r->precision == p) size << double(r->weight_bytes) / (1 << 20) << " " << r->latency_ms << "\n";
      size << "\n\n";
    }
    plot(dir, net + "_size", size.str(),
         "set title '" + net + ": latency against model size, 1 thread'\nset xlabel 'weights (MiB)'\n"
         "set ylabel 'latency (ms)'\nset logscale y\nf='" + (dir / (net + "_size.dat")).string() + "'\n"
         "plot f index 0 with points pt 7 title 'fp32', f index 1 with points pt 5 title 'fp16', "
         "f index 2 with points pt 9 title 'int8'\n");
    // Speed-up of the fastest fp32 configuration at each unstructured sparsity over the dense
    // one (channel pruning changes the shapes, not the sparsity: its rows are in the summary).
    const row* dense = of([](const row& r) { return r.compression == "none" && r.precision == "fp32" && r.threads == 1; });
    for (const auto& c : o.compression) {
      const compression_spec spec = parse_compression(c);
      if (spec.kind == compression_spec::channels) continue;
      const row* b = of([&](const row& r) { return r.compression == c && r.precision == "fp32" && r.threads == 1; });
      if (dense && b) sparse << 100.0 * spec.fraction << " " << dense->latency_ms / b->latency_ms << "\n";
    }
    plot(dir, net + "_sparsity", sparse.str(),
         "set title '" + net + ": fastest fp32 configuration, speed-up over dense, 1 thread'\n"
         "set xlabel 'weights pruned (%)'\nset ylabel 'speed-up'\nset xrange [-5:100]\n"
         "plot '" + (dir / (net + "_sparsity.dat")).string() + "' using 1:2 with linespoints pt 7 lw 2 title 'speed-up'\n");
  }
  if (!skipped.empty()) {
    md << "## Skipped (no kernel for the combination, or layers on the scalar reference kernel)\n\n";
    for (const auto& s : skipped) md << "- " << s << "\n";
  }
  std::ofstream(dir / "summary.md") << md.str();
  bool plotted = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  for (const auto& net : nets)
    for (const std::string kind : {"_latency", "_size", "_sparsity"})
      plotted = plotted && std::system(("gnuplot '" + (dir / (net + kind + ".gp")).string() + "'").c_str()) == 0;
  std::printf("dlas-sweep: results in %s: results.csv, summary.md%s\n", dir.c_str(),
              plotted ? ", *.png plots" : " (plots: install gnuplot-nox and run gnuplot on the *.gp files)");
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  try {
    o = parse(argc, argv);
  } catch (const usage_error& e) {
    if (*e.what()) std::fprintf(stderr, "dlas-sweep: %s\n", e.what());
    std::fprintf(stderr, "%s\n", usage);
    return 2;
  } catch (const dlas::error& e) {
    std::fprintf(stderr, "dlas-sweep: %s\n%s\n", e.what(), usage);
    return 2;
  }
  try {
    fs::create_directories(o.out);
    sweep s;
    s.o = o;
    const fs::path csv_path = fs::path(o.out) / "results.csv";
    if (!o.fresh)
      for (const auto& r : read_csv(csv_path)) {
        s.rows.push_back(r);
        s.done.insert(r.key());
      }
    s.cache = tune::tuning_cache::load(o.tuning_cache);
    s.csv_out.open(csv_path, std::ios::trunc);
    s.csv_out << csv_header << "\n";
    for (const auto& r : s.rows) s.csv_out << csv(r) << "\n";
    const int total = int(o.networks.size() * o.compression.size() * o.threads.size() * o.precisions.size() *
                          o.layouts.size() * o.algorithms.size());
    std::printf("dlas-sweep: %d configurations (%zu already measured) -> %s\n", total, s.rows.size(), o.out.c_str());
    progress bar(total);
    for (const auto& arch : o.networks) s.run_network(arch, bar);
    s.cache.save(o.tuning_cache);
    write_report(s.rows, s.skipped, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dlas-sweep: %s\n", e.what());
    return 1;
  }
  return 0;
}
