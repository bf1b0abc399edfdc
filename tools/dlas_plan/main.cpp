// SPDX-License-Identifier: Apache-2.0
// dlas-plan: predicts the peak memory of pipeline stages from a dlas.profile/1 profile, and
// recommends the partition (and parallel degrees) with the lowest peak.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <dlas/memory.hpp>

namespace {

using namespace dlas;
using namespace dlas::memory;

constexpr const char* usage = R"(usage:
  dlas-plan predict   --profile P.json --bounds 0,7,14,18 [options]
  dlas-plan recommend --profile P.json (--stages N | --devices G) [--budget BYTES] [options]

options:
  --schedule 1f1b|gpipe|inference   pipeline schedule (default 1f1b)
  --microbatches M                  micro-batches per iteration (default 1; inference: the
                                    queue depth, a stream that fills every slot)
  --micro-batch-size B              samples per micro-batch (default 1)
  --queue-depth Q                   inference: micro-batches resident per stage (default 1)
  --data D --zero Z --tensor T      data-parallel degree, ZeRO stage 0-3, tensor degree
  --fit additive|linear             how unprofiled sizes are fitted (default additive)
  --allocator auto|exact|cuda_caching
                                    whose counting the bytes follow: exact (dlas's arena),
                                    cuda_caching (PyTorch's CUDA caching allocator); auto:
                                    exact for inference, cuda_caching for training (default)
  --grads-persist                   zero_grad(set_to_none=False): gradients stay allocated
  --tensor-degrees 1,2,4,8          tensor degrees tried with --devices (default 1,2,4,8)
  --budget BYTES                    per-device budget (suffix K, M, G for KiB, MiB, GiB)
  --balance-compute                 minimise the slowest stage's time within the budget
  --out PLAN.json                   also write the plan (dlas.plan/1)
  --torch-split SPLIT.json          also write torch.distributed.pipelining split points
  --table                           print a table instead of JSON
  --events                          predict: add each stage's events with their peak and level
Prints {"stages": [{"layers": [a, b], "in_flight": n, "peak_bytes": n}, ...]} (recommend adds
the bounds and the configuration). Exit status: 0 ok (recommend: also when nothing fits, with
"fits": false), 1 bad input, 2 bad usage.)";

struct usage_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

long long parse_int(const std::string& flag, const std::string& text) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0) throw usage_error(flag + " expects an integer, got '" + text + "'");
  long long scale = 1;
  const std::string rest = text.substr(used);
  if (rest == "K" || rest == "KiB") scale = 1LL << 10;
  else if (rest == "M" || rest == "MiB") scale = 1LL << 20;
  else if (rest == "G" || rest == "GiB") scale = 1LL << 30;
  else if (!rest.empty()) throw usage_error(flag + " expects an integer, got '" + text + "'");
  return v * scale;
}

std::vector<int> parse_list(const std::string& flag, const std::string& text) {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos
                                                                          : comma - start);
    out.push_back(int(parse_int(flag, item)));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int run(int argc, char** argv) {
  if (argc < 2) throw usage_error("missing command");
  const std::string command = argv[1];
  if (command == "-h" || command == "--help") {
    std::puts(usage);
    return 0;
  }
  if (command != "predict" && command != "recommend")
    throw usage_error("unknown command '" + command + "'");
  const std::vector<std::string> switches{"--table", "--balance-compute", "--grads-persist",
                                          "--events"};
  std::map<std::string, std::string> args;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0) throw usage_error("unexpected argument '" + flag + "'");
    if (std::find(switches.begin(), switches.end(), flag) != switches.end()) {
      args[flag] = "1";
      continue;
    }
    if (i + 1 >= argc) throw usage_error(flag + " needs a value");
    args[flag] = argv[++i];
  }
  const std::vector<std::string> known{"--profile", "--bounds", "--schedule", "--microbatches",
                                       "--micro-batch-size", "--queue-depth", "--data", "--zero",
                                       "--tensor", "--fit", "--allocator", "--budget", "--stages", "--devices",
                                       "--out", "--torch-split", "--tensor-degrees", "--table", "--balance-compute",
                                       "--grads-persist", "--events"};
  for (const auto& [k, v] : args)
    if (std::find(known.begin(), known.end(), k) == known.end())
      throw usage_error("unknown option '" + k + "'");
  auto get = [&](const std::string& k, long long fallback) {
    const auto it = args.find(k);
    return it == args.end() ? fallback : parse_int(k, it->second);
  };
  if (!args.count("--profile")) throw usage_error("--profile is required");
  const profile prof = read_profile(args["--profile"]);

  pipeline_options o;
  o.kind = parse_schedule(args.count("--schedule") ? args["--schedule"] : "1f1b");
  o.micro_batch_size = int(get("--micro-batch-size", 1));
  o.queue_depth = int(get("--queue-depth", 1));
  // An inference pipeline streams: without a count, every queue slot is in use.
  o.micro_batches = int(get("--microbatches", o.kind == schedule::inference ? o.queue_depth : 1));
  o.parallel = {int(get("--data", 1)), int(get("--zero", 0)), int(get("--tensor", 1))};
  o.grads_persist = args.count("--grads-persist") > 0;
  if (args.count("--fit")) {
    if (args["--fit"] == "linear") o.fit = size_fit::all_linear;
    else if (args["--fit"] != "additive") throw usage_error("--fit expects additive or linear");
  }
  if (args.count("--allocator")) o.allocator = parse_allocator(args["--allocator"]);
  const bool table = args.count("--table") > 0;
  std::vector<std::string> names;
  for (const auto& l : prof.layers) names.push_back(l.name);

  if (command == "predict") {
    if (!args.count("--bounds")) throw usage_error("predict needs --bounds");
    const auto stages = predict(prof, parse_list("--bounds", args["--bounds"]), o);
    if (table) {
      std::vector<plan_stage> rows;
      for (const auto& s : stages) rows.push_back({s.first, s.last, s.in_flight, s.peak_bytes, 0});
      std::fputs(stages_table(rows, names).c_str(), stdout);
    } else {
      auto j = stages_to_json(stages);
      if (args.count("--events"))
        for (std::size_t s = 0; s < stages.size(); ++s) {
          auto& out = j["stages"][s];
          out["start_bytes"] = stages[s].start_bytes;
          out["peak_event"] = stages[s].peak_event;
          std::string kinds;
          ordered_json levels = ordered_json::array();
          for (const auto& e : stages[s].events) {
            kinds += e.kind;
            levels.push_back({e.peak, e.level});
          }
          out["events"] = kinds;
          out["event_peak_and_level_bytes"] = std::move(levels);
        }
      std::cout << format_json(j);
    }
    return 0;
  }

  recommend_options r;
  r.pipeline = o;
  r.stages = int(get("--stages", 0));
  r.devices = int(get("--devices", 0));
  r.budget = get("--budget", 0);
  r.balance_compute = args.count("--balance-compute") > 0;
  if (args.count("--tensor-degrees")) r.tensor_degrees = parse_list("--tensor-degrees", args["--tensor-degrees"]);
  if ((r.stages > 0) == (r.devices > 0)) throw usage_error("recommend needs --stages or --devices");
  const plan p = recommend(prof, r);
  if (args.count("--out")) write_json(to_json(p), args["--out"]);
  if (args.count("--torch-split")) write_json(torch_split_spec(p), args["--torch-split"]);
  if (table) {
    std::printf("%s: %zu stages x %d data x %d tensor, %s, %d micro-batches of %d\n",
                p.model.c_str(), p.stages.size(), p.pipeline.parallel.data,
                p.pipeline.parallel.tensor, std::string(to_string(o.kind)).c_str(),
                o.micro_batches, o.micro_batch_size);
    std::fputs(stages_table(p.stages, names).c_str(), stdout);
    if (!p.fits)
      std::printf("no plan fits %lld bytes; the smallest budget that fits is %lld bytes\n",
                  (long long)p.budget, (long long)p.smallest_budget);
  } else {
    std::cout << format_json(to_json(p));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "dlas-plan: %s\n\n%s\n", e.what(), usage);
    return 2;
  } catch (const dlas::error& e) {
    std::fprintf(stderr, "dlas-plan: %s\n", e.what());
    return 1;
  }
}
