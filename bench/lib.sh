# Sourced by the bench scripts (run.sh, scaling.sh, state.sh): the binary, the
# rules, the seed rule and the dataset every figure is measured on, defined
# once so that the scripts time the same data. Needs `root` set and `say`
# defined by the caller.
TH=${TH:-$root/build/release/trailhound}
mb=${BENCH_MB:-1024}
s3days=${BENCH_S3_DAYS:-2}
data_dir=${BENCH_DATA:-$root/build/bench-data}
data="$data_dir/cloudtrail-${mb}mb.ndjson"
s3="$data_dir/s3-${s3days}d"
rules=${BENCH_RULES:-}
corpus_aws="$root/../shared/corpus/detection-rules/rules/integrations/aws"
if [ -z "$rules" ]; then
  if [ -d "$corpus_aws" ]; then rules="$corpus_aws"; else rules="$root/examples/rules"; fi
fi
seed="$rules/persistence_iam_api_calls_via_user_session_token.toml"
[ -f "$seed" ] || seed="$corpus_aws/persistence_iam_api_calls_via_user_session_token.toml"
[ -f "$seed" ] || seed="$root/examples/tuning/v1/iam_session_token.toml"
mkdir -p "$data_dir"

# The NDJSON file ($data) and the S3 set ($s3), generated once.
bench_make_data() {
  local rate=$(( 19000 * mb / 1024 ))
  if [ ! -s "$data" ]; then
    say "generating ${mb} MB of raw CloudTrail NDJSON (emulate background + stories) ..."
    # two days of a very busy account: about 1 GB per 19000 events/hour
    "$TH" emulate background iam-temp-creds log-tampering s3-exfiltration discovery-burst \
      --seed 7 --start 2026-10-01 --days 2 --rate "$rate" --out - >"$data" 2>/dev/null
  fi
  if [ ! -d "$s3/AWSLogs" ]; then
    say "generating ${s3days} days of S3-layout objects (gzip'd Records) ..."
    rm -rf "$s3"
    "$TH" emulate background iam-temp-creds log-tampering s3-exfiltration discovery-burst \
      --seed 7 --start 2026-10-01 --days "$s3days" --rate "$(( rate / 4 ))" --out "$s3" >/dev/null 2>&1
  fi
}

# Copies the rules that are not ES|QL into the directory $1 (made afresh).
bench_rules_without_esql() {
  rm -rf "$1" && mkdir -p "$1"
  find "$rules" -name '*.toml' | while read -r f; do
    grep -q '^type = "esql"' "$f" || cp "$f" "$1/"
  done
}
