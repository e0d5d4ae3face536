#!/usr/bin/env bash
# Runs every test program and CLI test script for each build directory given,
# and ends with one line: `N passed, N failed, N skipped`.
# A program or script that runs longer than TH_TEST_TIMEOUT seconds (default
# 900) is stopped and counts as failed, so a hang fails the run instead of
# holding it until CI's own limit; each line gives the seconds it took. The
# longest take about 3 minutes (test_state.sh, test_pipeline.sh: 179 s under
# ASan on CI's machine); at 1800 a test that hung in both builds cost CI an
# hour, and took the run of 2026-12-08 to 88 of its 90 minutes.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export TH_ROOT="$root"
limit=${TH_TEST_TIMEOUT:-900}
passed=0 failed=0 skipped=0
failed_names=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# timeout(1) exits 124 after TERM and 137 after the KILL that follows it
timed_out() {
  if [ "$1" -eq 124 ] || [ "$1" -eq 137 ]; then
    echo "  $2: stopped after $limit s (TH_TEST_TIMEOUT)"
    f=$((f > 0 ? f : 1))
  fi
}
for build in "$@"; do
  mode=$(basename "$build")
  echo "== tests ($mode)"
  for t in $(find "$build/tests" -type f -name 'test_*' ! -name '*.d' ! -name '*.o' 2>/dev/null | sort); do
    name=${t#"$build/"}
    # test programs live below build/<mode>/tests/: the data files (uap-core,
    # GeoIP, ASN) are found through TH_DATA_DIR, not beside the binary
    start=$SECONDS
    if TH_DATA_DIR="${TH_DATA_DIR:-$root}" TH_BIN="$root/$build/trailhound" \
        timeout -k 10 "$limit" "$t" >"$log" 2>&1; then rc=0; else rc=$?; fi
    took=$((SECONDS - start))
    p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
    f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
    s=$(grep -Eo '^\[  SKIPPED \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # crashed or sanitizer abort
    timed_out "$rc" "$name"
    grep -E '^(SKIP|RATE|CONFORMANCE)' "$log" | sed "s|^|  $name: |"
    printf '  %-48s %3d passed %3d failed %3d skipped %4ds\n' "$name" "$p" "$f" "$s" "$took"
    if [ "$f" -ne 0 ]; then
      failed_names+=("$mode:$name")
      sed 's/^/    | /' "$log" | tail -n 40
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done
  for t in tests/cli/test_*.sh; do
    [ -e "$t" ] || continue
    start=$SECONDS
    if TH_BIN="$root/$build/trailhound" timeout -k 10 "$limit" bash "$t" >"$log" 2>&1; then rc=0; else rc=$?; fi
    took=$((SECONDS - start))
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log"); s=$(grep -c '^skip ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    timed_out "$rc" "$t"
    printf '  %-48s %3d passed %3d failed %3d skipped %4ds\n' "$t" "$p" "$f" "$s" "$took"
    if [ "$f" -ne 0 ]; then failed_names+=("$mode:$t"); grep -v '^ok ' "$log" | sed 's/^/    | /' | tail -n 40; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done
done
if [ ${#failed_names[@]} -ne 0 ]; then
  echo "failing: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
