#!/usr/bin/env bash
# Runs every test program and CLI test script for each build directory given,
# and ends with one line: `N passed, N failed, N skipped`.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export TH_ROOT="$root"
passed=0 failed=0 skipped=0
failed_names=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for build in "$@"; do
  mode=$(basename "$build")
  echo "== tests ($mode)"
  for t in $(find "$build/tests" -type f -name 'test_*' ! -name '*.d' ! -name '*.o' 2>/dev/null | sort); do
    name=${t#"$build/"}
    # test programs live below build/<mode>/tests/: the data files (uap-core,
    # GeoIP, ASN) are found through TH_DATA_DIR, not beside the binary
    if TH_DATA_DIR="${TH_DATA_DIR:-$root}" TH_BIN="$root/$build/trailhound" "$t" >"$log" 2>&1; then rc=0; else rc=$?; fi
    p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
    f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
    s=$(grep -Eo '^\[  SKIPPED \] [0-9]+' "$log" | awk '{s+=$4} END {print s+0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi  # crashed or sanitizer abort
    grep -E '^(SKIP|RATE|CONFORMANCE)' "$log" | sed "s|^|  $name: |"
    printf '  %-48s %3d passed %3d failed %3d skipped\n' "$name" "$p" "$f" "$s"
    if [ "$f" -ne 0 ]; then
      failed_names+=("$mode:$name")
      sed 's/^/    | /' "$log" | tail -n 40
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done
  for t in tests/cli/test_*.sh; do
    [ -e "$t" ] || continue
    if TH_BIN="$root/$build/trailhound" bash "$t" >"$log" 2>&1; then rc=0; else rc=$?; fi
    p=$(grep -c '^ok ' "$log"); f=$(grep -c '^not ok ' "$log"); s=$(grep -c '^skip ' "$log")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    printf '  %-48s %3d passed %3d failed %3d skipped\n' "$t" "$p" "$f" "$s"
    if [ "$f" -ne 0 ]; then failed_names+=("$mode:$t"); grep -v '^ok ' "$log" | sed 's/^/    | /' | tail -n 40; fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  done
done
if [ ${#failed_names[@]} -ne 0 ]; then
  echo "failing: ${failed_names[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
