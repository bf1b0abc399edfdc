#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Profile a PyTorch model, given as a list of named modules, into dlas.profile/1.

Each layer is measured alone, as CAPTURE does: its independent part M_i (weights and buffers,
gradients, Adam's two moments, the extra peak of the optimiser step) and, per micro-batch size,
its additive part M_a (bytes still allocated after one forward with autograd on, output kept,
input excluded) with the forward and backward peaks above the level before the forward.

On CUDA every figure is read from the caching allocator (torch.cuda.memory_allocated and
max_memory_allocated), so it includes the allocator's rounding and library workspaces. Without
CUDA there are no allocator readings: sizes are computed from the tensors instead (parameters,
the tensors autograd saves, deduplicated by storage), and the peaks are left out of the profile,
which the reader accepts.

usage (a torchvision model split into its top-level children):
  profile_torch.py --torchvision resnet18 --image 224 --sizes 1,2 --out resnet18.profile.json
as a library:
  from profile_torch import profile_layers
  doc = profile_layers([("conv", conv), ("relu", relu), ...], sample_shape=(3, 224, 224),
                       sizes=(1, 2), loss_fn=torch.nn.functional.cross_entropy, classes=1000)
"""
import argparse
import json
import sys
import time

import torch

DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def tensor_bytes(t):
    """Bytes of a tensor's storage (what an allocator hands out, before rounding)."""
    return t.untyped_storage().nbytes() if hasattr(t, "untyped_storage") else t.storage().nbytes()


class CudaMemory:
    """Readings from the CUDA caching allocator."""

    measured = True

    def __init__(self, device):
        self.device = device

    def sync(self):
        torch.cuda.synchronize(self.device)

    def allocated(self):
        self.sync()
        return torch.cuda.memory_allocated(self.device)

    def reset_peak(self):
        self.sync()
        torch.cuda.reset_peak_memory_stats(self.device)

    def peak(self):
        self.sync()
        return torch.cuda.max_memory_allocated(self.device)


class TensorMemory:
    """No allocator readings (CPU): sizes are computed from tensors, peaks are unknown."""

    measured = False


def storage_key(t):
    return t.untyped_storage().data_ptr() if hasattr(t, "untyped_storage") else t.storage().data_ptr()


def saved_tensors(run):
    """Runs run() with autograd on; returns (its result, {storage: bytes} of what autograd saved)."""
    seen = {}

    def pack(t):
        try:
            seen[storage_key(t)] = tensor_bytes(t)
        except RuntimeError:  # tensors without storage (sparse, meta)
            pass
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = run()
    return out, seen


def layer_shapes(layers, sample_shape):
    """Input shape (without the batch dimension) of every layer, by one forward on the CPU."""
    # In fp32 and eval mode: shapes do not depend on the precision (CPUs lack some fp16 ops),
    # and the running statistics stay as they are.
    shapes = []
    x = torch.zeros((1,) + tuple(sample_shape))
    with torch.no_grad():
        for _, module in layers:
            shapes.append(tuple(x.shape[1:]))
            x = module.to(device="cpu", dtype=torch.float32).eval()(x)
    return shapes


def profile_layer(name, module, in_shape, sizes, memory, device, dtype, first, last, loss_fn,
                  classes):
    """One layer of the profile (see the module's doc)."""
    empty = memory.allocated() if memory.measured else 0
    module = module.to(device=device, dtype=dtype)
    module.train()
    params = [p for p in module.parameters() if p.requires_grad]
    n_params = sum(p.numel() for p in params)
    weight_bytes = sum(tensor_bytes(p) for p in module.parameters()) + \
        sum(tensor_bytes(b) for b in module.buffers())
    if memory.measured:
        weight_bytes = memory.allocated() - empty
    grad_bytes = sum(tensor_bytes(p) for p in params)
    optimizer = torch.optim.Adam(params, lr=1e-4) if params else None

    def forward_backward(batch, measure):
        x = torch.randn((batch,) + tuple(in_shape), device=device, dtype=dtype,
                        requires_grad=not first)
        target = torch.randint(0, classes, (batch,), device=device) if last else None
        entry = {"input_bytes": tensor_bytes(x)}
        start = memory.allocated() if memory.measured else 0
        if memory.measured:
            memory.reset_peak()
        t0 = time.perf_counter()

        def run():
            y = module(x)
            return loss_fn(y, target) if last else y

        out, saved = saved_tensors(run)
        entry["keeps_input"] = storage_key(x) in saved  # a view of it (flatten) counts too
        entry["keeps_output"] = storage_key(out) in saved
        if memory.measured:
            memory.sync()
        t1 = time.perf_counter()
        out_bytes = 0 if last else tensor_bytes(out)
        entry["output_bytes"] = out_bytes
        if memory.measured:
            entry["activation_bytes"] = memory.allocated() - start
            entry["forward_peak_bytes"] = memory.peak() - start
            memory.reset_peak()
        else:
            # The output (kept by the caller) and what autograd saved besides it and the input;
            # parameters are saved too but belong to M_i.
            exclude = {storage_key(x), storage_key(out)} | {storage_key(p) for p in module.parameters()}
            entry["activation_bytes"] = tensor_bytes(out) + sum(
                b for k, b in saved.items() if k not in exclude)
        if out.requires_grad:
            grad = None if last else torch.randn_like(out)
            out.backward(grad)
            if memory.measured:
                entry["backward_peak_bytes"] = memory.peak() - start
        if memory.measured:
            memory.sync()
        t2 = time.perf_counter()
        entry["forward_seconds"] = t1 - t0
        entry["backward_seconds"] = t2 - t1
        del out, x
        return entry

    # One warm-up iteration with a step, so that the optimiser state exists.
    before = memory.allocated() if memory.measured else 0
    forward_backward(sizes[0], False)
    after_grads = memory.allocated() if memory.measured else 0
    step_transient = 0
    if optimizer is not None:
        if memory.measured:
            memory.reset_peak()
        optimizer.step()
        if memory.measured:
            step_transient = max(0, memory.peak() - memory.allocated())
    opt_bytes = sum(tensor_bytes(t) for st in (optimizer.state.values() if optimizer else [])
                    for t in st.values()
                    if torch.is_tensor(t) and t.dim() > 0)  # not Adam's scalar step count
    if memory.measured:
        grad_bytes = max(0, after_grads - before)
        opt_bytes = max(0, memory.allocated() - after_grads)
    elif optimizer is not None:
        step_transient = grad_bytes  # a multi-tensor Adam step holds one parameter-sized temporary
    per_micro_batch = {}
    keeps_input = keeps_output = True
    for b in sizes:
        # Gradients stay allocated from the warm-up, so the backward accumulates into them
        # and the peaks hold only its temporaries.
        per_micro_batch[str(b)] = forward_backward(b, True)
        keeps_input = per_micro_batch[str(b)].pop("keeps_input") and keeps_input
        keeps_output = per_micro_batch[str(b)].pop("keeps_output") and keeps_output
    if optimizer is not None:
        optimizer.zero_grad(set_to_none=True)
    layer = {
        "name": name,
        "params": n_params,
        "weight_bytes": weight_bytes,
        "grad_bytes": grad_bytes,
        "optimizer_bytes": opt_bytes,
        "optimizer_step_transient_bytes": step_transient,
        "per_micro_batch": per_micro_batch,
    }
    # Whether its backward needs its input (global average pooling keeps only the shape) and its
    # output (an in-place ReLU keeps it): in a stage a layer's output is freed after the next
    # layer's forward when neither keeps it.
    if not keeps_input:
        layer["keeps_input"] = False
    if not keeps_output:
        layer["keeps_output"] = False
    return layer


def profile_layers(layers, sample_shape, sizes=(1, 2), device=None, dtype=torch.float32,
                   loss_fn=None, classes=1000, model="model"):
    """dlas.profile/1 of `layers` (a list of (name, module) in execution order)."""
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if loss_fn is None:
        loss_fn = torch.nn.functional.cross_entropy
    memory = CudaMemory(device) if str(device).startswith("cuda") else TensorMemory()
    shapes = layer_shapes(layers, sample_shape)
    baseline = 0
    if memory.measured:
        # Libraries allocate workspaces on first use and keep them (cuBLAS, and cuBLASLt for a
        # linear layer with bias): run every layer's own forward and backward once before
        # reading the baseline, as a training run would have, so that no layer's figures
        # include a workspace that the whole process holds.
        for i, (_, module) in enumerate(layers):
            module.to(device=device, dtype=dtype).train()
            x = torch.randn((sizes[0],) + tuple(shapes[i]), device=device, dtype=dtype,
                            requires_grad=i > 0)
            y = module(x)
            if i == len(layers) - 1:
                y = loss_fn(y, torch.randint(0, classes, (sizes[0],), device=device))
            y.backward(None if y.dim() == 0 else torch.randn_like(y))
            for p in module.parameters():
                p.grad = None
            del x, y
            module.to("cpu")
        torch.cuda.empty_cache()
        baseline = memory.allocated()
    out = []
    for i, (name, module) in enumerate(layers):
        out.append(profile_layer(name, module, shapes[i], list(sizes), memory, device, dtype,
                                 i == 0, i == len(layers) - 1, loss_fn, classes))
        module.to("cpu")
        if memory.measured:
            torch.cuda.empty_cache()
    return {
        "format": "dlas.profile/1",
        "model": model,
        "precision": {v: k for k, v in DTYPES.items()}.get(dtype, str(dtype)),
        "baseline_bytes": baseline,
        "optimizer_step_transients": "sum",
        "measured_with": "cuda allocator" if memory.measured else "tensor sizes (no allocator)",
        "layers": out,
    }


def torchvision_layers(name):
    """A torchvision classifier as a list of top-level children, the flatten folded into the head."""
    import torchvision
    net = getattr(torchvision.models, name)(weights=None)
    children = list(net.named_children())
    head = []
    while children and isinstance(children[-1][1], (torch.nn.Linear, torch.nn.AdaptiveAvgPool2d,
                                                    torch.nn.Sequential, torch.nn.Dropout)):
        head.insert(0, children.pop())
        if isinstance(head[0][1], torch.nn.AdaptiveAvgPool2d):
            break
    tail = torch.nn.Sequential(*[m for _, m in head[:1]], torch.nn.Flatten(1),
                               *[m for _, m in head[1:]])
    return children + [("+".join(n for n, _ in head), tail)]


def torchvision_blocks(name):
    """A torchvision classifier split into its blocks, the split pipeline partitioners use.

    ResNets: the stem (conv, norm, ReLU, max-pool), every residual block, pooling with the
    classifier. MobileNetV2: every entry of `features`, pooling with the classifier. VGG: one
    layer per convolution (with its ReLU and any pooling after it), then the three classifier
    layers, the first with the pooling before it.
    """
    import torchvision
    net = getattr(torchvision.models, name)(weights=None)
    flat = torch.nn.Flatten(1)
    if name.startswith("resnet"):
        layers = [("stem", torch.nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool))]
        for stage in ("layer1", "layer2", "layer3", "layer4"):
            layers += [(f"{stage}.{i}", block) for i, block in enumerate(getattr(net, stage))]
        return layers + [("pool_fc", torch.nn.Sequential(net.avgpool, flat, net.fc))]
    if name.startswith("mobilenet_v2"):
        layers = [(f"features.{i}", m) for i, m in enumerate(net.features)]
        return layers + [("pool_fc", torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), flat,
                                                         net.classifier))]
    if name.startswith("vgg"):
        layers, current, first = [], [], 0
        for i, m in enumerate(net.features):
            if isinstance(m, torch.nn.Conv2d) and current:
                layers.append((f"features.{first}", torch.nn.Sequential(*current)))
                current, first = [], i
            current.append(m)
        layers.append((f"features.{first}", torch.nn.Sequential(*current)))
        c = list(net.classifier)
        return layers + [("pool_fc1", torch.nn.Sequential(net.avgpool, flat, *c[:3])),
                         ("fc2", torch.nn.Sequential(*c[3:6])),
                         ("fc3", torch.nn.Sequential(*c[6:]))]
    raise ValueError(f"no block split for '{name}' (resnet*, mobilenet_v2, vgg*)")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--torchvision", required=True, help="torchvision model name, e.g. resnet50")
    ap.add_argument("--split", choices=("children", "blocks"), default="children",
                    help="top-level children, or blocks (ResNet, MobileNetV2, VGG)")
    ap.add_argument("--precision", choices=sorted(DTYPES), default="fp32")
    ap.add_argument("--image", type=int, default=224)
    ap.add_argument("--sizes", default="1,2")
    ap.add_argument("--device", default=None)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    split = torchvision_blocks if args.split == "blocks" else torchvision_layers
    doc = profile_layers(split(args.torchvision), (3, args.image, args.image),
                         tuple(int(s) for s in args.sizes.split(",")), device=args.device,
                         dtype=DTYPES[args.precision], model=args.torchvision)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
