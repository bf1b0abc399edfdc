#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Measure the peak memory of real pipeline stages, to check the memory model's predictions.

For a model given as a list of named modules, each stage of a partition is built alone on the
GPU with Adam and runs two training iterations of its schedule; the second is measured
(torch.cuda.max_memory_allocated). The schedules are dlas's (memory/schedule.hpp): 1F1B runs
min(p - s, m) warm-up forwards, then backward/forward pairs, then the remaining backwards;
GPipe all forwards, then all backwards. A stage that is not first receives random inputs with
requires_grad; one that is not last is back-propagated with a random output gradient; the last
computes a cross-entropy loss. Each iteration ends with optimizer.step() and
zero_grad(set_to_none=True).

Writes, per model, a dlas.profile/1 profile (tools/profile_torch.py, same process) and a
dlas.stage_truth/1 file of the measured stages, the format tests/memory reads.

usage:
  stage_truth_torch.py --torchvision resnet18 [--precision fp16] --out-dir DIR
      [--sizes 1,2,4] [--stages 2,4,8] [--schedules 1f1b,gpipe]
      [--partitions uniform,balanced,random0] [--deadline SECONDS]
Without CUDA (--device cpu) the schedules run and every peak reads 0: a check of the harness.
"""
import argparse
import collections
import copy
import json
import os
import random
import sys
import time

import torch

from profile_torch import DTYPES, layer_shapes, profile_layers, torchvision_blocks


def stage_events(schedule, stages, stage, micro_batches):
    """'F'/'B' events of one iteration, as memory/schedule.hpp orders them."""
    warm = min(stages - stage, micro_batches) if schedule == "1f1b" else micro_batches
    return "F" * warm + "BF" * (micro_batches - warm) + "B" * warm


def partition(name, weights, stages):
    """Bounds of a contiguous partition: by layer count, by parameter count, or seeded random."""
    n = len(weights)
    if name == "uniform":  # the first n % stages stages take one layer more
        return [k * (n // stages) + min(k, n % stages) for k in range(stages + 1)]
    if name == "balanced":
        total, bounds, acc = sum(weights), [0], 0
        for i, w in enumerate(weights):
            acc += w
            left = stages - len(bounds)  # cuts still to place after this one
            if left > 0 and acc >= total * len(bounds) / stages and n - (i + 1) >= left:
                bounds.append(i + 1)
        while len(bounds) < stages:  # too few cuts: take them from the end
            bounds.append(n - (stages - len(bounds)))
        return bounds + [n]
    if name.startswith("random"):
        rng = random.Random(int(name[len("random"):] or 0) * 1000 + stages * 10 + n)
        return [0] + sorted(rng.sample(range(1, n), stages - 1)) + [n]
    raise ValueError(f"unknown partition '{name}' (uniform, balanced, random<seed>)")


def measure_stage(layers, shapes, bounds, s, schedule, m, mbs, device, dtype, classes):
    """Peak allocation of stage s's second iteration, and the micro-batches it held at once."""
    cuda = str(device).startswith("cuda")
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.empty_cache()
    a, b = bounds[s], bounds[s + 1]
    first, last = a == 0, b == len(layers)
    stage = torch.nn.Sequential(*[copy.deepcopy(layers[i][1]) for i in range(a, b)])
    stage = stage.to(device=device, dtype=dtype).train()
    params = [p for p in stage.parameters() if p.requires_grad]
    optimizer = torch.optim.Adam(params, lr=1e-4) if params else None
    events = stage_events(schedule, len(bounds) - 1, s, m)

    def iteration(levels=None):
        pending, held = collections.deque(), 0
        for e in events:
            if e == "F":
                x = torch.randn((mbs,) + shapes[a], device=device, dtype=dtype,
                                requires_grad=not first)
                y = stage(x)
                if last:
                    y = torch.nn.functional.cross_entropy(
                        y, torch.randint(0, classes, (mbs,), device=device))
                pending.append((x, y))
                held = max(held, len(pending))
                del x, y
            else:
                x, y = pending.popleft()
                y.backward(None if last else torch.randn_like(y))
                del x, y
            if levels is not None:  # what the stage holds after each event
                levels.append(torch.cuda.memory_allocated(device))
        if optimizer is not None:
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        return held

    iteration()  # warm-up: the optimiser state exists from here on
    if cuda:
        torch.cuda.synchronize(device)
        start = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    levels = [] if cuda else None
    held = iteration(levels)
    peak = 0
    if cuda:
        torch.cuda.synchronize(device)
        peak = torch.cuda.max_memory_allocated(device)
    del stage, optimizer, params
    return {"peak_bytes": peak, "in_flight": held, "start_bytes": start if cuda else 0,
            "levels": levels or []}


def measure_model(args, device, deadline, log):
    dtype = DTYPES[args.precision]
    torch.manual_seed(0)
    layers = torchvision_blocks(args.torchvision)
    image = (3, args.image, args.image)
    sizes = tuple(int(x) for x in args.sizes.split(","))
    t0 = time.time()
    profile = profile_layers(layers, image, sizes, device=device, dtype=dtype,
                             model=args.torchvision)
    log(f"{args.torchvision} {args.precision}: profiled {len(layers)} layers at sizes {sizes} "
        f"in {time.time() - t0:.1f} s")
    shapes = layer_shapes(layers, image)
    weights = [l["params"] for l in profile["layers"]]
    records, seen = [], set()
    for p in (int(x) for x in args.stages.split(",")):
        if p > len(layers):
            continue
        m = 2 * p
        for part in args.partitions.split(","):
            bounds = partition(part, weights, p)
            for schedule in args.schedules.split(","):
                for mbs in sizes:
                    for s in range(p):
                        key = (bounds[s], bounds[s + 1], s, p, schedule, mbs)
                        if key in seen:
                            continue
                        if time.time() > deadline:
                            log(f"  deadline: stopped after {len(records)} stages")
                            return profile, records
                        seen.add(key)
                        r = measure_stage(layers, shapes, bounds, s, schedule, m, mbs, device,
                                          dtype, 1000)
                        records.append({"bounds": bounds, "stage": s, "schedule": schedule,
                                        "micro_batches": m, "micro_batch_size": mbs,
                                        "partition": part, **r})
    log(f"  measured {len(records)} stages in {time.time() - t0:.1f} s")
    return profile, records


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torchvision", required=True)
    ap.add_argument("--precision", choices=sorted(DTYPES), default="fp32")
    ap.add_argument("--image", type=int, default=224)
    ap.add_argument("--sizes", default="1,2,4")
    ap.add_argument("--stages", default="2,4,8")
    ap.add_argument("--schedules", default="1f1b,gpipe")
    ap.add_argument("--partitions", default="uniform,balanced,random0")
    ap.add_argument("--device", default=None)
    ap.add_argument("--deadline", type=float, default=1e9, help="seconds from the start")
    ap.add_argument("--out-dir", required=True)
    args = ap.parse_args(argv)
    deadline = time.time() + args.deadline
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    # Deterministic algorithm choice, so that the workspaces measured are reproducible.
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = False

    def log(msg):
        print(msg, flush=True)

    profile, records = measure_model(args, device, deadline, log)
    gpu = torch.cuda.get_device_name(device) if str(device).startswith("cuda") else "cpu"
    stem = os.path.join(args.out_dir, f"{args.torchvision}_{args.precision}")
    os.makedirs(args.out_dir, exist_ok=True)
    profile["device"] = gpu
    profile["torch"] = torch.__version__
    with open(stem + ".profile.json", "w") as f:
        json.dump(profile, f, indent=1)
        f.write("\n")
    with open(stem + ".truth.json", "w") as f:
        f.write('{"format": "dlas.stage_truth/1", "model": %s, "precision": %s, "device": %s, '
                '"torch": %s, "records": [\n' % tuple(json.dumps(v) for v in (
                    args.torchvision, args.precision, gpu, torch.__version__)))
        f.write(",\n".join(json.dumps(r) for r in records))
        f.write("\n]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
