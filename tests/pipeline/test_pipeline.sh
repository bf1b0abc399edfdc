#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dlas-pipeline under mpirun on this machine (loopback): ResNet-18 at 32x32 on 2 and 4 ranks
# with outputs compared bitwise against one process and memory compared with the prediction,
# then the fault cases, each of which must stop the whole job with a clear message in seconds.
# Each rank builds only its stage, so each of 2 ranks stays below one process's peak RSS.
# Between hosts the transport is TCP, so one 2-rank run uses TCP on loopback.
# usage: test_pipeline.sh DLAS_PIPELINE DLAS_PLAN MPIEXEC
set -uo pipefail
pipeline=$1 plan=$2 mpiexec=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl=self,vader
# Open MPI's own allocations are not leaks of ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }

net=(--arch resnet18 --resolution 32)
"$pipeline" --write-profile "$work/profile.json" "${net[@]}" || fail "write-profile"
for stages in 1 2 4; do
  "$plan" recommend --profile "$work/profile.json" --stages $stages --schedule inference \
    --queue-depth 2 --out "$work/plan$stages.json" >/dev/null || fail "recommend $stages stages"
done

# run NAME EXPECT_RC TEXT ARGS...: runs mpirun with a 60 s limit, checks exit status and text.
run() {
  local name=$1 expect=$2 text=$3
  shift 3
  local start=$SECONDS
  timeout 60 "$mpiexec" "$@" >"$work/out" 2>&1
  local rc=$? took=$((SECONDS - start))
  if { [ "$expect" = 0 ] && [ $rc != 0 ]; } || { [ "$expect" != 0 ] && { [ $rc = 0 ] || [ $rc = 124 ]; }; }; then
    fail "$name: exit status $rc after $took s"; tail -20 "$work/out"; return
  fi
  if ! grep -q -- "$text" "$work/out"; then
    fail "$name: output lacks '$text'"; tail -20 "$work/out"; return
  fi
  [ $took -le 30 ] || fail "$name: took $took s"
  echo "ok: $name (exit $rc, $took s)"
}

for np in 2 4; do
  run "$np ranks: identical outputs" 0 "bitwise identical" \
    -np $np --oversubscribe "$pipeline" --plan "$work/plan$np.json" "${net[@]}" --images 6 --check
  grep -q "equal the prediction on every stage" "$work/out" || fail "$np ranks: memory differs from the prediction"
  grep "^| [0-9]" "$work/out"
  # The plan's peak (the memory model, from the profile) equals what each stage measured.
  awk -F'|' '/^\| [0-9]/ { gsub(/ /, "", $11); if ($11 != "+0.00%" && $11 != "-0.00%") bad = 1 } END { exit bad }' \
    "$work/out" || fail "$np ranks: the plan's peak differs from the measured bytes"
  cp "$work/out" "$work/out$np"
done
# Between hosts Open MPI sends over TCP: the same run on loopback TCP.
OMPI_MCA_btl=self,tcp run "2 ranks over TCP: identical outputs" 0 "bitwise identical" \
  -np 2 "$pipeline" --plan "$work/plan2.json" "${net[@]}" --images 6 --check

# Peak RSS (MiB) of each rank: the table's RSS column.
rss() { awk -F'|' '/^\| [0-9]/ { gsub(/ /, "", $12); print $12 }' "$1"; }
run "1 rank: the whole network in one process" 0 "equal the prediction on every stage" \
  -np 1 "$pipeline" --plan "$work/plan1.json" "${net[@]}" --images 6
single=$(rss "$work/out")
echo "peak RSS MiB: one process $single; 2 ranks:" $(rss "$work/out2")
for r in $(rss "$work/out2"); do
  if awk -v r="$r" -v s="$single" 'BEGIN { exit !(r > 0 && s > 0 && r >= s) }'; then
    fail "a rank of 2 holds $r MiB, not less than one process's $single MiB"
  fi
done
run "more ranks than stages" 1 "the plan has 2 stages but 3 ranks were started" \
  -np 3 --oversubscribe "$pipeline" --plan "$work/plan2.json" "${net[@]}"
run "a plan for another network" 1 "the plan partitions" \
  -np 2 "$pipeline" --plan "$work/plan2.json" --arch mobilenet_v2 --resolution 32
run "a rank killed" 1 "exited on signal 9" \
  -np 2 "$pipeline" --plan "$work/plan2.json" "${net[@]}" --images 6 --fault kill:1:2
run "a rank out of memory" 1 "resource_limit" \
  -np 2 "$pipeline" --plan "$work/plan2.json" "${net[@]}" --fault oom:1
run "a rank that hangs" 1 "no progress for 3 s" \
  -np 4 --oversubscribe "$pipeline" --plan "$work/plan4.json" "${net[@]}" --images 6 --fault hang:1:2 --timeout 3

echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ $failures = 0 ]
