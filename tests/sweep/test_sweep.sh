#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dlas-sweep end to end on a small grid: rows for every configuration that has a kernel, a
# summary, resuming without measuring again, and clear refusals of bad arguments.
# usage: test_sweep.sh DLAS_SWEEP
set -uo pipefail
sweep=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

args=(--networks resnet18 --resolution 32 --compression none,unstructured:0.8,channels:0.5 --precisions fp32,int8
      --algorithms im2col_gemm,automatic,tuned --layouts nhwc --threads 1 --repetitions 2 --out "$work/out")
"$sweep" "${args[@]}" >"$work/log" 2>&1 || { fail "sweep exited $?"; cat "$work/log"; }
rows=$(($(wc -l <"$work/out/results.csv") - 1))
# 3 compressions x 2 precisions x 3 algorithms = 18 configurations, all with kernels.
[ "$rows" = 18 ] || fail "results.csv has $rows rows, expected 18"
grep -q "^resnet18,unstructured:0.8,fp32,im2col_gemm,nhwc,1,csr," "$work/out/results.csv" ||
  fail "pruned fp32 im2col_gemm does not run on CSR"
# Channel pruning: smaller dense layers, so fewer weight bytes than the unpruned network.
awk -F, '$4 == "automatic" && $3 == "fp32" && $2 == "none" { full = $10 }
         $4 == "automatic" && $3 == "fp32" && $2 == "channels:0.5" { pruned = $10; dense = ($7 == "dense") }
         END { exit !(full > 0 && pruned > 0 && pruned < 0.75 * full && dense) }' "$work/out/results.csv" ||
  fail "channels:0.5 does not run smaller dense layers"
awk -F, '$2 == "none" && $3 == "fp32" && $4 == "automatic" { found = 1; if ($12 > 1e-5) bad = 1 }
         END { exit !(found && !bad) }' "$work/out/results.csv" ||
  fail "the fp32 dense automatic row is not within fp32 rounding of the reference"
awk -F, '$2 == "none" && $3 == "int8" { found = 1; if ($13 < 20) bad = 1 } END { exit !(found && !bad) }' \
  "$work/out/results.csv" || fail "int8 logits below 20 dB SQNR"
grep -q "fastest overall" "$work/out/summary.md" || fail "summary.md lacks the fastest configuration"
[ -s "$work/out/tuning.json" ] || fail "no tuning cache"
# A second run resumes: every row is already there.
"$sweep" "${args[@]}" >"$work/log2" 2>&1 || fail "resumed sweep exited $?"
[ "$(grep -c '(resumed)' "$work/log2")" = 18 ] || fail "the second run measured again"
[ "$(($(wc -l <"$work/out/results.csv") - 1))" = 18 ] || fail "resuming duplicated rows"
"$sweep" --precisions fp64 >"$work/log3" 2>&1
[ $? = 2 ] && grep -q "fp64" "$work/log3" || fail "a bad precision is not a usage error"
"$sweep" --compression unstructured:1.5 >"$work/log4" 2>&1
[ $? = 2 ] && grep -q "0 < F < 1" "$work/log4" || fail "a bad compression is not a usage error"
"$sweep" --compression channels:0 >"$work/log5" 2>&1
[ $? = 2 ] && grep -q "channels:F" "$work/log5" || fail "a bad channel fraction is not a usage error"
echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ $failures = 0 ]
