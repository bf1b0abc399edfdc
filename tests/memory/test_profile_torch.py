#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tools/profile_torch.py on a small model: the document it writes, and dlas-plan reading it;
tools/stage_truth_torch.py's schedules and partitions against dlas-plan's.

Exits 77 (skipped) where PyTorch is not installed. Without CUDA the profiler computes sizes from
tensors; with CUDA it also checks the allocator readings.
"""
import json
import os
import subprocess
import sys
import tempfile

try:
    import torch
except ImportError:
    print("skipped: PyTorch (python3-torch) is not installed")
    sys.exit(77)

sys.path.insert(0, os.environ.get("DLAS_TOOLS_DIR",
                                  os.path.join(os.path.dirname(__file__), "..", "..", "tools")))
from profile_torch import layer_shapes, profile_layers  # noqa: E402
from stage_truth_torch import measure_stage, partition, stage_events  # noqa: E402


class Scale(torch.nn.Module):
    """x / 2: its backward needs no tensor of the forward, so it does not keep its input."""

    def forward(self, x):
        return x * 0.5


def layers():
    torch.manual_seed(0)
    return [
        ("conv1", torch.nn.Conv2d(3, 8, 3, padding=1)),
        ("bn_relu", torch.nn.Sequential(torch.nn.BatchNorm2d(8), torch.nn.ReLU())),
        ("scale", Scale()),
        ("conv2", torch.nn.Conv2d(8, 16, 3, padding=1, stride=2)),
        ("head", torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(1),
                                     torch.nn.Linear(16, 10))),
    ]


def check(doc, measured):
    assert doc["format"] == "dlas.profile/1"
    names = [l["name"] for l in doc["layers"]]
    assert names == ["conv1", "bn_relu", "scale", "conv2", "head"], names
    conv1, bn, scale, conv2, head = doc["layers"]
    # The scale frees its input after the forward; the convolutions and the normalisation keep
    # theirs (the field is written only when false). The head's pooling keeps its input up to
    # PyTorch 1.x and not from 2.0, whose global average pooling is a mean that keeps only shapes.
    keeps = [l.get("keeps_input", True) for l in doc["layers"]]
    assert keeps[:4] == [True, True, False, True], keeps
    # ReLU keeps its output; the convolutions and the scale do not.
    keeps = [l.get("keeps_output", True) for l in doc["layers"]]
    assert keeps[:4] == [False, True, False, False], keeps
    assert conv1["params"] == 8 * 3 * 9 + 8
    if not measured:
        assert conv1["weight_bytes"] == (8 * 3 * 9 + 8) * 4
        assert bn["weight_bytes"] == 8 * 4 * 4 + 8  # weight, bias, two running stats, count
        assert conv1["grad_bytes"] == conv1["weight_bytes"]
        assert conv1["optimizer_bytes"] == 2 * conv1["grad_bytes"]
    for l in doc["layers"]:
        assert set(l["per_micro_batch"]) == {"1", "2"}
        for key in ("weight_bytes", "grad_bytes", "optimizer_bytes",
                    "optimizer_step_transient_bytes"):
            assert l[key] >= 0, (l["name"], key)
        one, two = l["per_micro_batch"]["1"], l["per_micro_batch"]["2"]
        assert two["input_bytes"] == 2 * one["input_bytes"]
        assert two["activation_bytes"] >= one["activation_bytes"] > 0, l["name"]
        assert ("forward_peak_bytes" in one) == measured
    for a, b in zip(doc["layers"], doc["layers"][1:]):
        assert a["per_micro_batch"]["2"]["output_bytes"] == b["per_micro_batch"]["2"]["input_bytes"]
    one = conv1["per_micro_batch"]["1"]
    assert one["input_bytes"] == 3 * 16 * 16 * 4 and one["output_bytes"] == 8 * 16 * 16 * 4
    if not measured:
        # conv1 saves its input (excluded) and weight (M_i): M_a is its output alone.
        assert one["activation_bytes"] == one["output_bytes"]
        # The head's last layer holds the loss.
        assert head["per_micro_batch"]["1"]["output_bytes"] == 0


def check_stage_harness(plan, profile_path):
    """The stage harness runs dlas's schedules: same events, same micro-batches in flight."""
    for bounds in ([0, 5], [0, 2, 5], [0, 1, 3, 5]):
        for schedule in ("1f1b", "gpipe"):
            m = 2 * (len(bounds) - 1) + 1
            out = subprocess.run([plan, "predict", "--profile", profile_path, "--bounds",
                                  ",".join(map(str, bounds)), "--schedule", schedule,
                                  "--microbatches", str(m), "--events"],
                                 check=True, capture_output=True, text=True).stdout
            for s, stage in enumerate(json.loads(out)["stages"]):
                events = stage_events(schedule, len(bounds) - 1, s, m)
                assert events + "S" == stage["events"], (bounds, s, events, stage["events"])
                r = measure_stage(layers(), layer_shapes(layers(), (3, 16, 16)), bounds, s,
                                  schedule, m, 2, "cpu", torch.float32, 10)
                assert r["in_flight"] == stage["in_flight"], (bounds, s, r, stage["in_flight"])
    for name in ("uniform", "balanced", "random0", "random1"):
        for stages in (1, 2, 4, 5):
            b = partition(name, [10, 0, 5, 300, 7], stages)
            assert len(b) == stages + 1 and b[0] == 0 and b[-1] == 5, (name, stages, b)
            assert all(x < y for x, y in zip(b, b[1:])), (name, stages, b)
    assert partition("uniform", [1] * 18, 4) == [0, 5, 10, 14, 18]  # the shared H200 split
    assert partition("balanced", [1, 1, 1, 9], 2) == [0, 3, 4]


def main():
    doc = profile_layers(layers(), (3, 16, 16), sizes=(1, 2), device="cpu", classes=10,
                         model="tiny")
    check(doc, measured=False)
    if torch.cuda.is_available():
        check(profile_layers(layers(), (3, 16, 16), sizes=(1, 2), device="cuda", classes=10),
              measured=True)
    plan = os.environ.get("DLAS_PLAN")
    if plan:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "tiny.profile.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            out = subprocess.run([plan, "predict", "--profile", path, "--bounds", "0,2,5",
                                  "--microbatches", "4", "--micro-batch-size", "3"],
                                 check=True, capture_output=True, text=True).stdout
            stages = json.loads(out)["stages"]
            assert [s["in_flight"] for s in stages] == [2, 1], stages
            assert all(s["peak_bytes"] > 0 for s in stages)
            check_stage_harness(plan, path)
    print("profile_torch: ok (%s)" % ("cpu and cuda" if torch.cuda.is_available() else "cpu"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
