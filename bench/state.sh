#!/usr/bin/env bash
# The daily run of `run --state` (issue 15): one new day read with 14 days of
# state, against a replay of all 15 days, over the whole rule pack (one
# thread, input in the page cache). Called by `make bench`; alone:
#   bash bench/state.sh            # BENCH_STATE_RATE events/hour (default 400)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rate=${BENCH_STATE_RATE:-150}
out=${BENCH_OUT:-bench/results/latest.txt}
mkdir -p "$(dirname "$out")"
say() { echo "$*" | tee -a "$out"; }
. bench/lib.sh
src="$data_dir/state-15d-r$rate"
if [ ! -d "$src/AWSLogs" ]; then
  rm -rf "$src"
  "$TH" emulate background iam-temp-creds console-anomalies access-key-persistence secrets-access \
    --seed 7 --start 2026-10-01 --days 15 --rate "$rate" --out "$src" >/dev/null 2>&1
fi
export LC_ALL=C TH_THREADS=1
work=$(mktemp -d)
[ -n "${BENCH_STATE_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/land"
# days 1..14 land first; then day 15 (and the folder after it, which holds
# the objects delivered just after midnight)
dates=$(cd "$src" && ls -d AWSLogs/*/CloudTrail/*/*/*/* | sed 's|.*/CloudTrail/[^/]*/||' | sort -u)
newdates=$(echo "$dates" | tail -n 2)
for x in $(cd "$src" && ls -d AWSLogs/*/CloudTrail/*/*/*/*); do
  case "$newdates" in *"${x#*/CloudTrail/*/}"*) continue ;; esac
  mkdir -p "$work/land/$x"; cp -l "$src/$x"/* "$work/land/$x/"
done
"$TH" run --rules "$rules" --data "$work/land/AWSLogs" --state "$work/state.db" --format summary --quiet
newdirs=$(for d in $newdates; do (cd "$src" && ls -d AWSLogs/*/CloudTrail/*/"$d"); done)
for x in $newdirs; do mkdir -p "$work/land/$x"; cp -l "$src/$x"/* "$work/land/$x/"; done
find "$src/AWSLogs" -type f -print0 | xargs -0 cat >/dev/null # page cache
objects=$(find "$src/AWSLogs" -type f | wc -l)
new=$(for x in $newdirs; do ls "$src/$x"; done | wc -l)
timed() { # label, command...: wall s, user+sys s, peak RSS MB
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" >/dev/null 2>"$work/err"
  read -r wall user sys rss < <(tail -n 1 "$work/t")
  local cpu
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  printf '%-52s %7.2f s wall %7.2f s CPU %6d MB RSS\n' "$label" "$wall" "$cpu" "$((rss / 1024))" | tee -a "$out"
  echo "$cpu" >"$work/cpu"
}
say ""
say "daily run with state (run --state): $objects objects over 15 days at $rate events/hour; the new day: $new objects"
say "state before the daily run: $(du -k "$work/state.db" | cut -f1) KB"
timed "replay of 15 days, whole pack, 1 thread" "$TH" run --rules "$rules" --data "$src/AWSLogs" --format summary
rw=$(cat "$work/cpu")
timed "daily run: 1 new day + 14 days of state, 1 thread" "$TH" run --rules "$rules" --data "$work/land/AWSLogs" --state "$work/state.db" --format summary
dw=$(cat "$work/cpu")
say "state after: $(du -k "$work/state.db" | cut -f1) KB; CPU of the daily run / the replay: $(awk -v d="$dw" -v r="$rw" 'BEGIN { if (r > 0) printf "%.3f", d / r; else print "?" }')"
