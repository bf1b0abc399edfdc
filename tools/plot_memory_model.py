#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Plot predicted against measured stage peaks for docs/memory_model.md.

usage: plot_memory_model.py DLAS_PLAN PROFILE.json TRUTH.json [PROFILE.json TRUTH.json ...] OUT.png
Runs `dlas-plan predict` for every measured partition (with the full profile, and with sizes
1 and 2 only for the size-4 records), prints the error statistics and writes the figure. With
one profile the points are marked by schedule and size, with several by model and precision.
"""
import json
import os
import subprocess
import sys
import tempfile

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def predict(plan, profile_path, rec):
    out = subprocess.run(
        [plan, "predict", "--profile", profile_path,
         "--bounds", ",".join(str(b) for b in rec["bounds"]), "--schedule", rec["schedule"],
         "--microbatches", str(rec["micro_batches"]),
         "--micro-batch-size", str(rec["micro_batch_size"])],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)["stages"][rec["stage"]]["peak_bytes"]


def stats(pairs):
    errs = [abs(p - t) / t for p, t in pairs]
    return 100 * sum(errs) / len(errs), 100 * max(errs), len(errs)


def predictions(plan, profile_path, truth_path, tmp):
    """(predicted, measured, record) of every stage, with the full profile and for size 4 from
    sizes 1 and 2; records carry the set's label."""
    with open(profile_path) as f:
        profile = json.load(f)
    with open(truth_path) as f:
        doc = json.load(f)
    label = "%s %s" % (doc.get("model", "?"), doc.get("precision", profile.get("precision", "")))
    small = dict(profile)
    small["layers"] = [dict(l, per_micro_batch={k: v for k, v in l["per_micro_batch"].items()
                                                 if k in ("1", "2")}) for l in profile["layers"]]
    small_path = os.path.join(tmp, "sizes12.profile.json")
    with open(small_path, "w") as f:
        json.dump(small, f)
    truth = [dict(r, label=label) for r in doc["records"]]
    full = [(predict(plan, profile_path, r), r["peak_bytes"], r) for r in truth]
    four = [(predict(plan, small_path, r), r["peak_bytes"], r) for r in truth
            if r["micro_batch_size"] == 4]
    return full, four, label, doc.get("device", "")


def main(argv):
    if len(argv) < 5 or (len(argv) - 3) % 2:
        sys.stderr.write(__doc__)
        return 2
    plan, out_png = argv[1], argv[-1]
    pairs = list(zip(argv[2:-1:2], argv[3:-1:2]))
    full, four, labels, devices = [], [], [], set()
    with tempfile.TemporaryDirectory() as tmp:
        for profile_path, truth_path in pairs:
            f, s4, label, device = predictions(plan, profile_path, truth_path, tmp)
            full += f
            four += s4
            labels.append(label)
            devices.add(device)
    mae, worst, n = stats([(p, t) for p, t, _ in full])
    mae4, worst4, n4 = stats([(p, t) for p, t, _ in four])
    print("all %d stages: mean |error| %.2f%%, worst %.2f%%" % (n, mae, worst))
    print("size 4 from sizes 1 and 2, %d stages: mean %.2f%%, worst %.2f%%" % (n4, mae4, worst4))

    mib = 1 / 2**20
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.8))
    if len(pairs) == 1:
        styles = {("1f1b", 1): "o", ("1f1b", 2): "s", ("1f1b", 4): "^", ("gpipe", 1): "P",
                  ("gpipe", 2): "D", ("gpipe", 4): "X"}
        groups = [(marker, "%s, size %d" % key,
                   lambda r, key=key: (r["schedule"], r["micro_batch_size"]) == key)
                  for key, marker in styles.items()]
    else:
        groups = [("os^PDXv<>*"[i % 10], label, lambda r, label=label: r["label"] == label)
                  for i, label in enumerate(labels)]
    for marker, label, member in groups:
        pts = [(t * mib, p * mib) for p, t, r in full if member(r)]
        if pts:
            ax.scatter([x for x, _ in pts], [y for _, y in pts], marker=marker, s=22,
                       label=label, alpha=0.8)
    ax.scatter([t * mib for _, t, _ in four], [p * mib for p, _, _ in four], marker="x", s=28,
               color="black", label="size 4 from sizes 1, 2", alpha=0.7)
    lo = min(t for _, t, _ in full) * mib * 0.9
    hi = max(t for _, t, _ in full) * mib * 1.05
    ax.plot([lo, hi], [lo, hi], color="gray", lw=1)
    ax.fill_between([lo, hi], [lo * 0.97, hi * 0.97], [lo * 1.03, hi * 1.03], color="gray",
                    alpha=0.15, label="±3%")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("measured peak (MiB)")
    ax.set_ylabel("predicted peak (MiB)")
    device = ", ".join(sorted(d.replace("NVIDIA ", "") for d in devices if d))
    what = labels[0] if len(labels) == 1 else "%d models and precisions" % len(labels)
    ax.set_title("%s, %s: %d pipeline stages" % (what, device, n))
    ax.legend(fontsize=7, loc="upper left")
    ax2.hist([100 * (p - t) / t for p, t, _ in full], bins=30, alpha=0.8, label="profiled sizes")
    ax2.hist([100 * (p - t) / t for p, t, _ in four], bins=30, alpha=0.6,
             label="size 4 from sizes 1, 2")
    ax2.set_xlabel("(predicted - measured) / measured (%)")
    ax2.set_ylabel("stages")
    for x in (-3, 3):
        ax2.axvline(x, color="gray", lw=1, ls="--")
    ax2.set_title("mean |error| %.2f%%, worst %.2f%%; size 4: mean %.2f%%, worst %.2f%%"
                  % (mae, worst, mae4, worst4), fontsize=10)
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
