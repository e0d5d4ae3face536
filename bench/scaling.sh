#!/usr/bin/env bash
# `make bench-scaling`: how the verbs that read events scale with worker
# threads, and whether their output is the same for every thread count.
# For each job and each N in BENCH_THREADS, runs the job with --threads N over
# the `make bench` NDJSON dataset (and the S3 set for the gzip'd job), prints
# wall-clock MB/s and the speed-up over N=1, and compares the output with
# N=1's byte for byte (a difference is reported and makes the script exit 1).
# Wall time: run it on a machine with that many idle cores.
#
#   BENCH_THREADS="1 2 4 8 16"   thread counts (default: 1, 2, 4, ... up to nproc)
#   BENCH_MB, BENCH_S3_DAYS, BENCH_DATA, BENCH_RULES   as for bench/run.sh
#   TH=path/to/trailhound        the binary (default build/release/trailhound)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${BENCH_THREADS:-}
if [ -z "$threads" ]; then
  n=1; cores=$(nproc)
  while [ "$n" -lt "$cores" ]; do threads="$threads $n"; n=$((n * 2)); done
  threads="$threads $cores"
fi
out=${BENCH_OUT:-$root/bench/results/scaling.txt}
mkdir -p "$(dirname "$out")"
: >"$out"
say() { echo "$*" | tee -a "$out"; }
. bench/lib.sh
bench_make_data
noesql="$data_dir/rules-without-esql"
bench_rules_without_esql "$noesql"
bytes=$(stat -c %s "$data")
s3bytes=$(find "$s3/AWSLogs" -name '*.json.gz' -print0 | xargs -0 cat | zcat | wc -c)
cat "$data" >/dev/null
find "$s3/AWSLogs" -name '*.json.gz' -print0 | xargs -0 cat >/dev/null

say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
say "dataset: $data ($bytes bytes); S3 set: $s3 ($s3bytes bytes of JSON inflated)"
say "threads: $threads"
say ""
printf '%-36s %7s %8s %9s %8s %s\n' job threads seconds MB/s speedup output | tee -a "$out"

status=0
o="$data_dir/scaling-out"
ref="$data_dir/scaling-ref"
# the jobs: each takes the thread count and writes its output to $o
run_pack()    { "$TH" run --rules "$rules" --data "$data" -o "$o" --quiet --threads "$1"; }
run_noesql()  { "$TH" run --rules "$noesql" --data "$data" -o "$o" --quiet --threads "$1"; }
run_seed()    { "$TH" run --rules "$seed" --data "$data" -o "$o" --quiet --threads "$1"; }
match_pack()  { "$TH" match --rules "$rules" --data "$data" --threads "$1" >"$o"; }
convert_all() { "$TH" convert "$data" -o "$o" --threads "$1"; }
s3_pack()     { "$TH" run --rules "$rules" --data "$s3/AWSLogs" -o "$o" --quiet --threads "$1"; }
s3_seed()     { "$TH" run --rules "$seed" --data "$s3/AWSLogs" -o "$o" --quiet --threads "$1"; }
first=$(echo $threads | cut -d" " -f1)
# job NAME BYTES FUNCTION
job() {
  local name=$1 b=$2 fn=$3 base="" n t0 t1 rc same line
  for n in $threads; do
    rm -f "$o"
    t0=$(date +%s.%N)
    "$fn" "$n" >/dev/null 2>"$data_dir/scaling-err"; rc=$?
    t1=$(date +%s.%N)
    # exit 1 means "found something" for trailhound verbs: only >= 2 is a failure
    if [ $rc -ge 2 ]; then say "$name, $n threads: FAILED (exit $rc)"; tail -3 "$data_dir/scaling-err"; status=1; continue; fi
    if [ "$n" = "$first" ]; then
      mv "$o" "$ref"; same="reference"
    elif cmp -s "$o" "$ref"; then
      same="same as $first thread(s)"
    else
      same="DIFFERS from $first thread(s)"; status=1
    fi
    line=$(awk -v n="$name" -v th="$n" -v b="$b" -v t0="$t0" -v t1="$t1" -v base="$base" -v same="$same" 'BEGIN {
      s = t1 - t0; mbs = b / s / 1e6
      printf "%-36s %7d %8.2f %9.1f %8s %s|%.4f\n", n, th, s, mbs, (base > 0 ? sprintf("%.2fx", base / s) : "1.00x"), same, s }')
    echo "${line%|*}" | tee -a "$out"
    [ -n "$base" ] || base=${line##*|}
  done
}
job "run, whole pack" "$bytes" run_pack
job "run, pack without ES|QL" "$bytes" run_noesql
job "run, seed rule" "$bytes" run_seed
job "match, whole pack" "$bytes" match_pack
job "convert (geo + user agents)" "$bytes" convert_all
job "S3 objects: run whole pack" "$s3bytes" s3_pack
job "S3 objects: run seed rule" "$s3bytes" s3_seed
rm -f "$o" "$ref" "$data_dir/scaling-err"
say ""
say "MB/s are of JSON (inflated for the S3 set), from wall-clock time; output compared byte for byte with the first thread count's."
exit $status
