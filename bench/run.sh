#!/usr/bin/env bash
# `make bench`: single-thread throughput and peak memory of the hot paths, on a
# generated dataset (raw CloudTrail NDJSON made by `trailhound emulate`), with
# the input in the page cache. Results go to stdout and bench/results/latest.txt.
#
#   BENCH_MB=1024 make bench     # dataset size in MB (default 1024)
#   BENCH_RULES=DIR              # rules to run (default: ../shared/corpus AWS rules, else examples/rules)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
TH="$root/build/release/trailhound"
mb=${BENCH_MB:-1024}
data_dir=${BENCH_DATA:-$root/build/bench-data}
mkdir -p "$data_dir" bench/results
data="$data_dir/cloudtrail-${mb}mb.ndjson"
rules=${BENCH_RULES:-}
if [ -z "$rules" ]; then
  if [ -d "$root/../shared/corpus/detection-rules/rules/integrations/aws" ]; then
    rules="$root/../shared/corpus/detection-rules/rules/integrations/aws"
  else
    rules="$root/examples/rules"
  fi
fi
out=bench/results/latest.txt
: >"$out"
say() { echo "$*" | tee -a "$out"; }

if [ ! -s "$data" ]; then
  say "generating ${mb} MB of raw CloudTrail NDJSON (emulate background + stories) ..."
  # two days of a very busy account: about 1 GB per 19000 events/hour
  "$TH" emulate background iam-temp-creds log-tampering s3-exfiltration discovery-burst \
    --seed 7 --start 2026-10-01 --days 2 --rate "$(( 19000 * mb / 1024 ))" --out - >"$data" 2>/dev/null
fi
bytes=$(stat -c %s "$data")
records=$(wc -l <"$data")
cat "$data" >/dev/null # page cache
say "dataset: $data ($bytes bytes, $records records)"
say "rules:   $rules"

have_time=0; [ -x /usr/bin/time ] && have_time=1
measure() { # name cmd...
  local name=$1; shift
  local t0 t1 rss=""
  t0=$(date +%s.%N)
  if [ $have_time -eq 1 ]; then
    # exit 1 means "found something" for trailhound verbs: only >= 2 is a failure
    /usr/bin/time -f '%M' -o "$data_dir/rss" "$@" >/dev/null 2>"$data_dir/err"; local rc=$?
    if [ $rc -ge 2 ]; then say "$name: FAILED (exit $rc)"; tail -5 "$data_dir/err"; return; fi
    rss=$(tail -1 "$data_dir/rss")
  else
    "$@" >/dev/null 2>"$data_dir/err"; local rc=$?
    if [ $rc -ge 2 ]; then say "$name: FAILED (exit $rc)"; return; fi
  fi
  t1=$(date +%s.%N)
  awk -v n="$name" -v b="$bytes" -v r="$records" -v t0="$t0" -v t1="$t1" -v rss="$rss" 'BEGIN {
    s = t1 - t0; printf "%-34s %7.2f s  %8.1f MB/s  %10.0f records/s  peak RSS %s MB\n",
      n, s, b / s / 1e6, r / s, (rss == "" ? "?" : sprintf("%.0f", rss / 1024)) }' | tee -a "$out"
}

measure "cat (read only)" cat "$data"
measure "convert (map to ECS)" "$TH" convert "$data" -o /dev/null
# the KQL rules alone (query, new_terms and threshold filters), linked into a folder
kql="$data_dir/kql-rules"
rm -rf "$kql"; mkdir -p "$kql"
for f in $(grep -rl '^language = "kuery"' "$rules" --include='*.toml' | sort); do ln -s "$f" "$kql/"; done
say "KQL rules: $(ls "$kql" | wc -l)"
measure "match, KQL filters, prefilter on" "$TH" match --rules "$kql" --data "$data"
measure "match, KQL filters, prefilter off" "$TH" match --no-prefilter --rules "$kql" --data "$data"
measure "run, KQL pack (query+nt+threshold)" "$TH" run --rules "$kql" --data "$data" --format summary
measure "run, whole pack" "$TH" run --rules "$rules" --data "$data" --format summary
gz="$data_dir/cloudtrail-${mb}mb.ndjson.gz"
[ -s "$gz" ] || gzip -1 -c "$data" >"$gz"
measure "gunzip only (zcat)" zcat "$gz"
measure "run, whole pack, gzip input" "$TH" run --rules "$rules" --data "$gz" --format summary
say "(single thread; see docs/DESIGN-NOTES.md for the targets)"
