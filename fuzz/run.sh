#!/usr/bin/env bash
# `make fuzz`: runs each libFuzzer target for SECONDS: first every input in
# fuzz/regress/<target>/ (inputs that once failed: each must pass now), then
# fuzzing from fuzz/seeds/<target>/ plus the corpus grown by earlier runs
# (build/fuzz/corpus/<target>/). Crashes land in build/fuzz/artifacts/<target>/.
# Prints executions per target and ends with `fuzz: N targets, N failed`;
# results also go to build/fuzz/results.txt.
#   bash fuzz/run.sh SECONDS build/fuzz/fuzz_X...
set -uo pipefail
secs=${1:?seconds}; shift
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=build/fuzz/results.txt
: >"$out"
failed=0
for bin in "$@"; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  t=$(basename "$bin")
  corpus=build/fuzz/corpus/$t art=build/fuzz/artifacts/$t/
  mkdir -p "$corpus" "$art"
  if [ -d "fuzz/regress/$t" ] && [ -n "$(ls -A "fuzz/regress/$t")" ]; then
    if ! "$bin" -runs=0 "fuzz/regress/$t"/* >"build/fuzz/$t.regress.log" 2>&1; then
      echo "fuzz: $t: a regression input fails again (build/fuzz/$t.regress.log)" | tee -a "$out"
      failed=$((failed + 1))
      continue
    fi
  fi
  seeds=(); [ -d "fuzz/seeds/$t" ] && seeds=("fuzz/seeds/$t")
  "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$art" "$corpus" "${seeds[@]}" >"build/fuzz/$t.log" 2>&1
  rc=$?
  execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+).*/\1/p' "build/fuzz/$t.log" | tail -1)
  cov=$(grep -Eo 'cov: [0-9]+' "build/fuzz/$t.log" | tail -1)
  if [ "$rc" -ne 0 ]; then
    failed=$((failed + 1))
    printf 'fuzz: %-16s FAILED (exit %d): see build/fuzz/%s.log and %s\n' "$t" "$rc" "$t" "$art" | tee -a "$out"
  else
    printf 'fuzz: %-16s %12s executions in %ss (%s, corpus %d)\n' "$t" "${execs:-?}" "$secs" "${cov:-cov: ?}" \
      "$(ls "$corpus" | wc -l)" | tee -a "$out"
  fi
done
echo "fuzz: $# targets, $failed failed" | tee -a "$out"
[ "$failed" -eq 0 ]
