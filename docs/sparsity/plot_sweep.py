#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Plots the CSR-vs-dense sweep written by dlas-bench-sparse --sweep --csv FILE.

usage: /usr/bin/python3 docs/sparsity/plot_sweep.py OUT.png CSV [CSV...]

One panel per (CSV, shape set): the speedup of the CSR kernel over the fastest dense fp32
kernel against the density, for the whole set (time weighted by occurrences, thick line)
and for every layer (thin lines); the dashed line is speedup 1 (the crossover).
"""
import csv
import os
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    rows = list(csv.DictReader(open(path)))
    sets = defaultdict(lambda: defaultdict(dict))  # set -> layer -> density -> row
    for r in rows:
        sets[r["set"]][r["layer"]][float(r["density"])] = r
    return sets


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, paths = sys.argv[1], sys.argv[2:]
    panels = [(p, s, layers) for p in paths for s, layers in load(p).items()]
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.2), squeeze=False)
    for ax, (path, name, layers) in zip(axes[0], panels):
        densities = sorted({d for l in layers.values() for d in l})
        for layer, by_d in layers.items():
            xs = sorted(by_d)
            ax.plot([100 * d for d in xs], [float(by_d[d]["speedup"]) for d in xs],
                    color="0.75", linewidth=0.8)
        tot = []
        for d in densities:
            dense = sum(float(l[d]["dense_s"]) * int(l[d]["weight"]) for l in layers.values() if d in l)
            sparse = sum(float(l[d]["csr_s"]) * int(l[d]["weight"]) for l in layers.values() if d in l)
            tot.append(dense / sparse if sparse > 0 else 0)
        ax.plot([100 * d for d in densities], tot, "o-", color="C0", linewidth=2.2, label="whole set")
        ax.axhline(1.0, color="C3", linestyle="--", linewidth=1, label="dense fp32 (best algorithm)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks([100 * d for d in densities])
        ax.set_xticklabels([f"{100 * d:g}%" for d in densities])
        ax.set_xlabel("weight density (non-zeros kept)")
        ax.set_ylabel("speedup of CSR over dense")
        layout = os.path.basename(path).replace("sweep_", "").replace(".csv", "").upper()
        ax.set_title(f"{name}, {layout}, mb=1, 1 thread")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main()
