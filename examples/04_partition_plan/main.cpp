// SPDX-License-Identifier: Apache-2.0
// From a measured profile to a pipeline plan: predict a partition, then ask for the best one.
//
// usage: example_04_partition_plan [PROFILE.json]   (without one, a small built-in profile)
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <dlas/memory.hpp>

namespace {

using namespace dlas::memory;

// Twelve layers whose activations shrink and whose weights grow with depth, like a CNN's.
profile built_in() {
  profile p;
  p.model = "toy-cnn";
  p.precision = "fp32";
  p.baseline_bytes = 64 << 20;
  for (int i = 0; i < 12; ++i) {
    layer_profile l;
    l.name = "block" + std::to_string(i);
    l.weight_bytes = (bytes_t(1) << 18) << (i / 3);  // 256 KiB, doubling every three blocks
    l.grad_bytes = l.weight_bytes;
    l.optimizer_bytes = 2 * l.weight_bytes;         // Adam's two moments
    l.optimizer_step_transient_bytes = l.weight_bytes;
    for (int b : {1, 2}) {
      const bytes_t act = (bytes_t(8) << 20) >> (i / 3);  // 8 MiB, halving every three blocks
      micro_batch_cost c;
      c.input_bytes = b * act / 4;
      c.output_bytes = b * act / 4;
      c.activation_bytes = b * act;
      c.forward_peak_bytes = c.activation_bytes + b * act / 8;
      c.backward_peak_bytes = c.activation_bytes + 2 * c.output_bytes + b * act / 4;
      l.per_micro_batch[b] = c;
    }
    p.layers.push_back(l);
  }
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const profile prof = argc > 1 ? read_profile(argv[1]) : built_in();
    const int n = int(prof.size());
    pipeline_options o;
    o.kind = schedule::one_f_one_b;
    o.micro_batches = 8;
    o.micro_batch_size = 4;  // not profiled by the built-in profile: fitted from sizes 1 and 2

    // A uniform split into four stages, simulated event by event.
    const std::vector<int> uniform{0, n / 4, n / 2, 3 * n / 4, n};
    std::cout << "uniform split of " << prof.model << ":\n"
              << format_json(stages_to_json(predict(prof, uniform, o)));

    // The best split for four stages, and whether it fits 1 GiB per device.
    const plan best = recommend(prof, {.pipeline = o, .stages = 4, .budget = bytes_t(1) << 30});
    std::cout << "recommended:\n" << stages_table(best.stages, best.layer_names);
    if (!best.fits)
      std::printf("no plan fits; the smallest budget that would is %.1f MiB\n",
                  double(best.smallest_budget) / 1048576);
    std::cout << "split points for torch.distributed.pipelining:\n"
              << format_json(torch_split_spec(best));
    return 0;
  } catch (const dlas::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
