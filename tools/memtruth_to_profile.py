#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Convert memtruth measurements (JSON lines) to a dlas.profile/1 profile and a truth file.

memtruth records: `env` (baseline_alloc), `model` (layer names), `profile` (one per layer and
micro-batch size), `truth` (measured peak of one pipeline stage). The profile keeps what the
predictor needs; the truth file keeps one entry per distinct measured stage:
  {"format": "dlas.stage_truth/1", "model": ..., "records": [
     {"bounds": [...], "stage": s, "schedule": "1f1b", "micro_batches": m,
      "micro_batch_size": B, "in_flight": n, "peak_bytes": n}, ...]}

usage: memtruth_to_profile.py MEMTRUTH.jsonl OUT.profile.json OUT.truth.json
"""
import json
import sys
from collections import defaultdict


def convert(lines):
    recs = [json.loads(line) for line in lines if line.strip()]
    env = next(r for r in recs if r["type"] == "env")
    model = next(r for r in recs if r["type"] == "model")
    per_layer = defaultdict(dict)   # layer -> mbs -> first record
    times = defaultdict(list)       # (layer, mbs) -> (fwd_s, fwd_bwd_s) of every run
    for r in recs:
        if r["type"] != "profile" or r.get("oom"):
            continue
        per_layer[r["layer"]].setdefault(r["mbs"], r)
        times[(r["layer"], r["mbs"])].append((r["fwd_s"], r["fwd_bwd_s"]))
    layers = []
    for i, name in enumerate(model["names"]):
        sizes = per_layer[i]
        first = sizes[min(sizes)]
        pm = {}
        for mbs, r in sorted(sizes.items()):
            t = times[(i, mbs)]
            fwd = min(x[0] for x in t)  # the fastest run: least disturbed by warm-up
            both = min(x[1] for x in t)
            pm[str(mbs)] = {
                "input_bytes": r["in_bytes"],
                "output_bytes": r["out_bytes"],
                "activation_bytes": r["M_a"],
                "forward_peak_bytes": r["fwd_peak"],
                "backward_peak_bytes": r["bwd_peak"],
                "forward_seconds": fwd,
                "backward_seconds": max(0.0, both - fwd),
            }
        layers.append({
            "name": name,
            "params": first["params"],
            "weight_bytes": first["model_bytes"],
            "grad_bytes": first["grad_bytes"],
            "optimizer_bytes": first["opt_bytes"],
            "optimizer_step_transient_bytes": first["step_transient"],
            "per_micro_batch": pm,
        })
    profile = {
        "format": "dlas.profile/1",
        "model": model["model"],
        "precision": model["precision"],
        "baseline_bytes": env["baseline_alloc"],
        "optimizer_step_transients": "sum",
        "layers": layers,
    }
    seen = set()
    truth = []
    for r in recs:
        if r["type"] != "truth" or r.get("oom") or not r.get("schedule_ok", True):
            continue
        key = (tuple(r["bounds"]), r["s"], r["schedule"], r["m"], r["mbs"])
        if key in seen:  # the same stage measured again under another partition label
            continue
        seen.add(key)
        truth.append({"bounds": r["bounds"], "stage": r["s"], "schedule": r["schedule"],
                      "micro_batches": r["m"], "micro_batch_size": r["mbs"],
                      "in_flight": r["in_flight"], "peak_bytes": r["peak_alloc"]})
    return profile, {"format": "dlas.stage_truth/1", "model": model["model"],
                     "device": env.get("device", ""), "records": truth}


def main(argv):
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as f:
        profile, truth = convert(f)
    with open(argv[2], "w") as f:
        json.dump(profile, f, indent=1)
        f.write("\n")
    with open(argv[3], "w") as f:
        f.write('{"format": "dlas.stage_truth/1", "model": %s, "device": %s, "records": [\n'
                % (json.dumps(truth["model"]), json.dumps(truth["device"])))
        f.write(",\n".join(json.dumps(r) for r in truth["records"]))
        f.write("\n]}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
