#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Measures, on a CUDA machine with PyTorch and torchvision, what checks the memory model:
# the profiler's test with allocator readings, then per model a dlas.profile/1 profile and the
# measured peaks of real pipeline stages (tools/stage_truth_torch.py). Each model has a time
# budget; a model that runs out keeps the stages measured so far.
#   usage: scripts/gpu_memtruth.sh OUT_DIR
set -u
out=${1:?usage: gpu_memtruth.sh OUT_DIR}
mkdir -p "$out"
root=$(cd "$(dirname "$0")/.." && pwd)
export PYTHONUNBUFFERED=1
py=${PYTHON:-python3}
$py -c 'import torch, torchvision; print("torch", torch.__version__, "torchvision", torchvision.__version__, torch.cuda.get_device_name())'
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo "== tests/memory/test_profile_torch.py (CUDA allocator readings)"
DLAS_TOOLS_DIR=$root/tools $py "$root/tests/memory/test_profile_torch.py" && echo "profile_torch test: passed"
truth() {  # MODEL PRECISION SECONDS [options]
  local model=$1 precision=$2 seconds=$3
  shift 3
  echo "== $model $precision (budget ${seconds} s)"
  (cd "$root/tools" && $py stage_truth_torch.py --torchvision "$model" --precision "$precision" \
     --deadline "$seconds" --out-dir "$out" "$@") || echo "$model $precision: FAILED"
}
# ResNet-50 fp32 again, on the uniform partitions the shared measurements hold: does this harness
# reproduce them?
truth resnet50 fp32 50 --partitions uniform --stages 4,8 --sizes 1,2,4
# Models and precisions the predictor was never checked on.
truth mobilenet_v2 fp32 80
truth resnet50 fp16 80
truth resnet18 fp32 60
truth vgg16 fp32 50 --stages 2,4
