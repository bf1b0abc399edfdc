#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A portable program's copies: each level this CPU has, asked for with DLAS_ISA_LEVEL; the
# level chosen without it (the best); a bad request refused; and, with qemu-x86_64, the copy
# chosen on a Haswell (AVX2, no AVX-512) and on a Nehalem (SSE4.2, no AVX), where any
# instruction above the level, in the copy or in the code the copies share, would trap.
# usage: test_portable.sh PROGRAM [QEMU_X86_64]
set -uo pipefail
program=$1 qemu=${2:-}
failures=0
fail() { echo "FAILED: $*"; failures=$((failures + 1)); }
best=""
for level in sse4_2 avx2 avx512 avx512_vnni; do
  out=$(DLAS_ISA_LEVEL=$level "$program" --expect $level 2>&1)
  rc=$?
  if grep -q "is above this CPU's level" <<<"$out"; then
    echo "ok: $level: not on this CPU"
    continue
  fi
  echo "$out"
  [ $rc = 0 ] && best=$level || fail "DLAS_ISA_LEVEL=$level: exit status $rc"
done
[ -n "$best" ] || fail "no level ran on this CPU"
out=$("$program" --expect "$best" 2>&1) || fail "without DLAS_ISA_LEVEL: not the $best copy: $out"
echo "ok: without DLAS_ISA_LEVEL the $best copy runs"
out=$(DLAS_ISA_LEVEL=avx9 "$program" 2>&1)
rc=$?
{ [ $rc = 2 ] && grep -q "carries copies for sse4_2, avx2, avx512, avx512_vnni" <<<"$out"; } ||
  fail "DLAS_ISA_LEVEL=avx9: exit status $rc, '$out'"
if [ -n "$qemu" ]; then
  for cpu in Haswell:avx2 Nehalem:sse4_2; do
    out=$("$qemu" -cpu "${cpu%%:*}" "$program" --expect "${cpu#*:}" 2>&1) ||
      fail "qemu -cpu ${cpu%%:*}: $(tail -3 <<<"$out")"
    grep "^copy" <<<"$out" | sed "s/^/qemu -cpu ${cpu%%:*}: /"
  done
fi
echo "$((failures == 0 ? 1 : 0)) passed, $failures failed"
[ $failures = 0 ]
