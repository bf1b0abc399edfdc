#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tools/profile_torch.py on a small model: the document it writes, and dlas-plan reading it.

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
from profile_torch import profile_layers  # noqa: E402


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
    print("profile_torch: ok (%s)" % ("cpu and cuda" if torch.cuda.is_available() else "cpu"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
