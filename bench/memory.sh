#!/usr/bin/env bash
# `make bench-memory`: peak RSS of `run` with a catch-all query rule (every event
# matches: the worst case for what the engine keeps) over emulated raw CloudTrail,
# at the default --max-memory and a tighter one. Results go to
# bench/results/memory.txt.
#   BENCH_EVENTS_PER_HOUR=42000 BENCH_DAYS=2 make bench-memory   # about 2.2M events (3.3 GB)
#   BENCH_BUDGETS="4096 1024"                                     # --max-memory values (MB)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
TH="$root/build/release/trailhound"
rate=${BENCH_EVENTS_PER_HOUR:-42000}
days=${BENCH_DAYS:-2}
budgets=${BENCH_BUDGETS:-"4096 1024"}
dir=${BENCH_DATA:-$root/build/bench-data}
mkdir -p "$dir" bench/results
data="$dir/catchall-${rate}h-${days}d.ndjson"
out=bench/results/memory.txt
: >"$out"
say() { echo "$*" | tee -a "$out"; }
if [ ! -s "$data" ]; then
  say "generating $days days of background CloudTrail at $rate events/hour ..."
  "$TH" emulate background --seed 7 --start 2026-10-01 --days "$days" --rate "$rate" --out - >"$data" 2>/dev/null
fi
say "dataset: $data ($(stat -c %s "$data") bytes, $(wc -l <"$data") records); rule: bench/rules-catchall"
for mb in $budgets; do
  /usr/bin/time -f '%M %e' -o "$dir/mem.time" "$TH" run --rules bench/rules-catchall --data "$data" \
    --max-memory "$mb" -o "$dir/mem-alerts.ndjson" 2>"$dir/mem.err"
  read -r rss secs <"$dir/mem.time"
  alerts=$(wc -l <"$dir/mem-alerts.ndjson")
  say "--max-memory $mb: peak RSS $((rss / 1024)) MB, $secs s, $alerts alerts"
  grep -E '^run: (kept|memory)' "$dir/mem.err" | sed 's/^/    /' | tee -a "$out"
done
