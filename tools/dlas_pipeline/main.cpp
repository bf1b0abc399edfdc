// SPDX-License-Identifier: Apache-2.0
// dlas-pipeline: runs a network as a pipeline across MPI ranks, rank r executing stage r of a
// dlas.plan/1 plan, each rank building its stage's layers and weights only, and compares each
// stage's measured memory with the prediction.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#if defined(_OPENMP)
#include <omp.h>
#endif

#include <dlas/core/memory_meter.hpp>
#include <dlas/graph/models.hpp>
#include <dlas/graph/network.hpp>
#include <dlas/graph/stage_timer.hpp>

#include "tool_kernels.hpp"
#include <dlas/memory/plan_io.hpp>
#include <dlas/memory/profile_io.hpp>
#include <dlas/pipeline/mpi_session.hpp>
#include <dlas/pipeline/stage_assignment.hpp>
#include <dlas/pipeline/stage_runner.hpp>

namespace {

using namespace dlas;
using clock_type = std::chrono::steady_clock;

constexpr const char* usage = R"(usage:
  dlas-pipeline --write-profile P.json [network options] [--time-layers]
  mpirun -np S dlas-pipeline --plan PLAN.json [network options] [run options]

network options:
  --arch NAME          resnet18 (default), resnet50, mobilenet_v2, vgg16, ...
  --resolution R       input height and width (default 224)
  --batch B            images per micro-batch (default 1; a plan's micro-batch size wins)
  --config L/P/S/A     every convolution's policies, e.g. nhwc/fp32/dense/automatic (default)
run options:
  --images N           images streamed through the pipeline (default 64)
  --threads T          OpenMP threads per rank (default 1)
  --timeout SECONDS    a rank that sees no progress for this long stops the job (default 60)
  --check              the last rank also builds and runs the whole network in one process on
                       the same images (after the pipeline, whose figures it leaves out):
                       outputs must be bitwise identical; reports its throughput
  --fault KIND:RANK[:N]  testing: kill:R:N (rank R dies at micro-batch N), oom:R (rank R's
                       allocation limit is 1 MiB), hang:R:N (rank R stops at micro-batch N)
The plan comes from: dlas-plan recommend --profile P.json --stages S --schedule inference
[--queue-depth Q] --out PLAN.json
Exit status: 0 ok, 1 failure (any rank), 2 bad usage.)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct options {
  std::string plan, write_profile, arch = "resnet18", config = "nhwc/fp32/dense/automatic", fault;
  int resolution = 224, batch = 1, images = 64, threads = 1;
  double timeout = 60;
  bool check = false, time_layers = false;
};

options parse(int argc, char** argv) {
  options o;
  auto value = [&](int& i) -> std::string {
    if (i + 1 >= argc) throw usage_error(std::string(argv[i]) + " needs a value");
    return argv[++i];
  };
  auto number = [&](int& i) {
    const std::string flag = argv[i], text = value(i);
    try {
      std::size_t used = 0;
      const double v = std::stod(text, &used);
      if (used == text.size() && v > 0) return v;
    } catch (const std::exception&) {
    }
    throw usage_error(flag + " expects a positive number, got '" + text + "'");
  };
  auto count = [&](int& i) {  // a positive whole number
    const std::string flag = argv[i];
    const double v = number(i);
    if (v > 1e9 || v != std::floor(v)) throw usage_error(flag + " expects a whole number up to 1e9, got " + std::to_string(v));
    return int(v);
  };
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--plan") o.plan = value(i);
    else if (a == "--write-profile") o.write_profile = value(i);
    else if (a == "--arch") o.arch = value(i);
    else if (a == "--config") o.config = value(i);
    else if (a == "--fault") o.fault = value(i);
    else if (a == "--resolution") o.resolution = count(i);
    else if (a == "--batch") o.batch = count(i);
    else if (a == "--images") o.images = count(i);
    else if (a == "--threads") o.threads = count(i);
    else if (a == "--timeout") o.timeout = number(i);
    else if (a == "--check") o.check = true;
    else if (a == "--time-layers") o.time_layers = true;
    else if (a == "--help" || a == "-h") throw usage_error("");
    else throw usage_error("unknown argument '" + a + "'");
  }
  if (o.plan.empty() == o.write_profile.empty()) throw usage_error("give exactly one of --plan and --write-profile");
  return o;
}

/// A fault injected for the fault-handling tests.
struct fault {
  std::string kind;
  int rank = -1, at = 0;
};

fault parse_fault(const std::string& text) {
  fault f;
  if (text.empty()) return f;
  const auto a = text.find(':'), b = text.find(':', a == std::string::npos ? a : a + 1);
  f.kind = text.substr(0, a);
  try {
    f.rank = std::stoi(text.substr(a + 1, b == std::string::npos ? b : b - a - 1));
    if (b != std::string::npos) f.at = std::stoi(text.substr(b + 1));
  } catch (const std::exception&) {
    throw usage_error("--fault expects kill:R:N, oom:R or hang:R:N, got '" + text + "'");
  }
  if (f.kind != "kill" && f.kind != "oom" && f.kind != "hang")
    throw usage_error("--fault expects kill:R:N, oom:R or hang:R:N, got '" + text + "'");
  return f;
}

graph::model_options model_options_of(const options& o) {
  graph::model_options m;
  m.batch = o.batch;
  m.height = m.width = o.resolution;
  return m;
}

/// The layers of the network every rank describes identically, without any weight: what a
/// plan is checked against.
graph::network_desc describe_network(const options& o) {
  graph::model_options m = model_options_of(o);
  m.init = false;
  return graph::fuse(graph::make_model(o.arch, m));
}

/// The network (`layers`: only those layers and their weights) as every rank builds it: the
/// same weights from the same seed.
graph::network make_network(const options& o, std::pmr::memory_resource* memory,
                            std::optional<graph::layer_range> layers = std::nullopt) {
  graph::network_options n;
  n.conv = graph::parse_conv_config(o.config);
  n.memory = memory;
  n.layers = layers;
  const graph::model_options m = model_options_of(o);
  return graph::network(layers ? graph::make_model(o.arch, m, *layers) : graph::make_model(o.arch, m), n,
                        tools::tool_kernels());
}

/// Deterministic input of micro-batch i: uniform in [-1, 1) from a stream seeded by i.
void fill_input(int i, std::span<float> x) {
  graph::seeded_stream s(0x696e707574ULL + std::uint64_t(i));
  for (float& v : x) v = float(s.uniform(-1.0, 1.0));
}

/// Peak resident set of this process (VmHWM), in bytes; 0 where /proc is absent.
long long peak_rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  return 0;
}

std::string mib(long long bytes) {
  char s[32];
  std::snprintf(s, sizeof s, "%.2f", double(bytes) / double(1 << 20));
  return s;
}

/// --write-profile: the network's inference profile, optionally with measured layer times.
int write_profile(const options& o) {
  auto net = make_network(o, nullptr);
  memory::profile p = net.profile();
  if (o.time_layers) {
    // Each layer alone on its boundary tensors, median of 5 runs after a warm-up.
    for (int l = 0; l < net.size(); ++l) {
      const double t = graph::time_stage(net, l, l + 1, 1, 5);
      for (auto& [size, cost] : p.layers[std::size_t(l)].per_micro_batch) cost.forward_seconds = t;
      net.release();
    }
  }
  memory::write_profile(p, o.write_profile);
  std::printf("dlas-pipeline: wrote %s (%s, %d layers, resolution %d, batch %d)\n", o.write_profile.c_str(),
              o.arch.c_str(), net.size(), o.resolution, o.batch);
  return 0;
}

/// What each rank reports to rank 0 at the end.
struct rank_report {
  int rank, first, last, queue_depth;
  long long predicted_arena, measured_arena, predicted_workspace, measured_workspace;
  long long predicted_weights, measured_weights, predicted_queue, measured_queue;
  long long plan_peak, measured_total, rss, check_rss;
  double seconds, compute, wait, latency_sum;
  int micro_batches, checked, identical;
  double single_seconds;
};

int run(const options& o, int& argc, char**& argv) {
  pipeline::mpi_session mpi(argc, argv);
  try {
    const fault f = parse_fault(o.fault);
    if (f.kind == "oom" && f.rank == mpi.rank()) core::set_allocation_limit(1 << 20);
    const memory::plan plan = memory::read_plan(o.plan);
    options mine = o;
    mine.batch = plan.pipeline.micro_batch_size;
    core::memory_meter executor_memory, queue_memory;
    // The plan is checked before any weight is made; then each rank makes its stage's only.
    const auto st = pipeline::assign_stage(plan, describe_network(mine), mpi.rank(), mpi.size());
    auto net = make_network(mine, &executor_memory, graph::layer_range{st.first, st.last});
#if defined(_OPENMP)
    omp_set_num_threads(o.threads);
#endif

    const pipeline::message_layout in_layout(net.boundary(st.first)), out_layout(net.boundary(st.last));
    const graph::memory_report predicted = net.predict_memory(st.first, st.last);
    net.executor(st.first, st.last);  // kernels, arena and workspace buffer, before the clock starts
    pipeline::stage_runner runner(mpi, in_layout.bytes(), out_layout.bytes(), st.queue_depth,
                                  std::chrono::duration<double>(o.timeout), &queue_memory);

    std::vector<std::byte> outputs;  // the last rank keeps every output for --check
    const auto stats = runner.run(
        o.images,
        [&](int i, std::span<std::byte> in) {
          auto x = in_layout.refs(in);
          fill_input(i, {static_cast<float*>(x[0].data), std::size_t(x[0].desc.elements())});
        },
        [&](int i, std::span<const std::byte> in, std::span<std::byte> out) {
          if (f.rank == mpi.rank() && i == f.at && f.kind == "kill") std::raise(SIGKILL);
          if (f.rank == mpi.rank() && i == f.at && f.kind == "hang")
            std::this_thread::sleep_for(std::chrono::hours(1));
          net.run_stage(st.first, st.last, in_layout.refs(in), out_layout.refs(out));
        },
        [&](int, std::span<const std::byte> out) {
          if (o.check) outputs.insert(outputs.end(), out.begin(), out.end());
        });

    const graph::memory_report measured = net.measured_memory(st.first, st.last);
    rank_report r{};
    r.rank = mpi.rank();
    r.first = st.first;
    r.last = st.last;
    r.queue_depth = st.queue_depth;
    r.predicted_arena = predicted.arena;
    r.measured_arena = measured.arena;
    r.predicted_workspace = predicted.workspace_buffer;
    r.measured_workspace = measured.workspace_buffer;
    r.predicted_weights = predicted.weights;
    r.measured_weights = measured.weights;
    r.predicted_queue = index_t(st.queue_depth) * index_t(in_layout.bytes() + out_layout.bytes());
    r.measured_queue = (long long)queue_memory.peak_bytes();
    r.plan_peak = plan.stages.at(std::size_t(mpi.rank())).peak_bytes;
    r.measured_total = (long long)executor_memory.peak_bytes() + measured.weights + r.measured_queue;
    r.seconds = stats.seconds;
    r.compute = stats.compute_seconds;
    r.wait = stats.wait_seconds;
    r.latency_sum = stats.latency_sum;
    r.micro_batches = stats.micro_batches;

    r.rss = peak_rss_bytes();  // the pipeline's: the whole network of --check comes after
    if (o.check && runner.last()) {
      // The same images through the whole network, built in this one process for the check only.
      net.release();
      auto whole = make_network(mine, nullptr);
      const pipeline::message_layout whole_in(whole.boundary(0)), whole_out(whole.boundary(whole.size()));
      std::vector<std::byte> in(whole_in.bytes()), out(whole_out.bytes());
      auto x = whole_in.refs(std::span<std::byte>(in));
      bool same = true;
      whole.executor(0, whole.size());
      const auto start = clock_type::now();
      for (int i = 0; i < o.images; ++i) {
        fill_input(i, {static_cast<float*>(x[0].data), std::size_t(x[0].desc.elements())});
        whole.run_stage(0, whole.size(), whole_in.refs(std::span<const std::byte>(in)),
                        whole_out.refs(std::span<std::byte>(out)));
        same = same && std::memcmp(out.data(), outputs.data() + std::size_t(i) * out_layout.bytes(),
                                   std::size_t(whole_out.tensors()[0].bytes())) == 0;
      }
      r.single_seconds = std::chrono::duration<double>(clock_type::now() - start).count();
      r.checked = 1;
      r.identical = same ? 1 : 0;
      r.check_rss = peak_rss_bytes();
    }
    // Wait with a poll rather than in MPI_Gather, whose busy wait would steal the core of the
    // rank still checking.
    mpi.barrier(std::chrono::duration<double>(o.timeout * 20));
    std::vector<rank_report> all(std::size_t(mpi.size()));
    pipeline::mpi_check(MPI_Gather(&r, sizeof r, MPI_BYTE, all.data(), sizeof r, MPI_BYTE, 0, MPI_COMM_WORLD),
                        "MPI_Gather");
    if (mpi.rank() != 0) return 0;

    std::printf("dlas-pipeline: %s, resolution %d, micro-batch %d, %d images, %d ranks, queue depth %d, %s\n",
                net.arch().c_str(), o.resolution, mine.batch, o.images, mpi.size(), st.queue_depth,
                o.config.c_str());
    std::printf("| stage | layers | arena MiB pred / meas | workspace MiB pred / meas | weights MiB pred / meas | queue MiB pred / meas | exact | plan peak MiB | measured MiB | plan error | RSS MiB | compute s | wait s |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    bool exact = true;
    for (const auto& a : all) {
      const bool e = a.predicted_arena == a.measured_arena && a.predicted_workspace == a.measured_workspace &&
                     a.predicted_weights == a.measured_weights && a.predicted_queue == a.measured_queue;
      exact = exact && e;
      std::printf("| %d | [%d, %d) | %s / %s | %s / %s | %s / %s | %s / %s | %s | %s | %s | %+.2f%% | %s | %.3f | %.3f |\n",
                  a.rank, a.first, a.last, mib(a.predicted_arena).c_str(), mib(a.measured_arena).c_str(),
                  mib(a.predicted_workspace).c_str(), mib(a.measured_workspace).c_str(),
                  mib(a.predicted_weights).c_str(), mib(a.measured_weights).c_str(),
                  mib(a.predicted_queue).c_str(), mib(a.measured_queue).c_str(), e ? "yes" : "NO",
                  mib(a.plan_peak).c_str(), mib(a.measured_total).c_str(),
                  100.0 * double(a.plan_peak - a.measured_total) / double(std::max(1LL, a.measured_total)),
                  mib(a.rss).c_str(), a.compute, a.wait);
    }
    const int plan_in_flight = plan.stages.front().in_flight;
    if (plan_in_flight < st.queue_depth)
      std::printf("note: the plan counts %d micro-batch%s in flight, the queue holds %d: its peak leaves "
                  "out %d queue slot%s (dlas-plan recommend --microbatches %d or more)\n",
                  plan_in_flight, plan_in_flight == 1 ? "" : "es", st.queue_depth,
                  st.queue_depth - plan_in_flight, st.queue_depth - plan_in_flight == 1 ? "" : "s",
                  st.queue_depth);
    const auto& tail = all.back();
    const double images_per_s = double(o.images) * mine.batch / tail.seconds;
    std::printf("memory: arena, workspace, weights and queue %s the prediction on every stage\n",
                exact ? "equal" : "DO NOT equal");
    std::printf("each rank built its stage's layers and weights only; RSS is its peak resident set while "
                "it ran the pipeline\n");
    std::printf("pipeline: %.2f images/s, mean latency %.2f ms per micro-batch\n", images_per_s,
                1e3 * tail.latency_sum / std::max(1, tail.micro_batches));
    if (tail.checked) {
      const double single = double(o.images) * mine.batch / tail.single_seconds;
      std::printf("single process (%d thread%s): %.2f images/s, %.2f ms per micro-batch; pipeline speed-up %.2fx\n",
                  o.threads, o.threads == 1 ? "" : "s", single, 1e3 * tail.single_seconds / o.images,
                  images_per_s / single);
      std::printf("outputs: %s\n", tail.identical ? "bitwise identical to the single-process run"
                                                  : "DIFFER from the single-process run");
      std::printf("check: the last rank then built the whole network; its peak RSS with both: %s MiB\n",
                  mib(tail.check_rss).c_str());
      if (!tail.identical) return 1;
    }
    return exact ? 0 : 1;
  } catch (const std::exception& e) {
    mpi.abort_job(e.what());
  }
}

}  // namespace

int main(int argc, char** argv) {
  options o;
  try {
    o = parse(argc, argv);
  } catch (const usage_error& e) {
    if (*e.what()) std::fprintf(stderr, "dlas-pipeline: %s\n", e.what());
    std::fprintf(stderr, "%s\n", usage);
    return 2;
  }
  if (!o.write_profile.empty()) {
    try {
      return write_profile(o);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dlas-pipeline: %s\n", e.what());
      return 1;
    }
  }
  return run(o, argc, argv);
}
