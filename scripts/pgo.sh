#!/usr/bin/env bash
# `make pgo`: build/pgo/trailhound, the release sources compiled with GCC's
# profile-guided optimisation. Three steps, every time from scratch:
#   1. build/pgo compiled with -fprofile-generate (counters in every branch);
#   2. that binary run over training input: emulated CloudTrail (all scenarios,
#      seed 11, 2024-06, a different seed, period and mix from make bench's
#      dataset), as NDJSON and as gzip'd S3 objects, through run (one and two
#      threads), match, convert, tune and a single rule; the rules are the AWS
#      pack of ../shared/corpus where it is beside the checkout, else
#      examples/rules;
#   3. build/pgo compiled again with -fprofile-use, which lays out the hot paths
#      and inlines by the counts (why, and what it gave: docs/DESIGN-NOTES.md,
#      "Profile-guided build").
# Then the new binary and build/release/trailhound run the training commands
# again and their outputs must be the same bytes: the optimisation may change
# speed, never results (the test suite runs against build/release).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
self="$root/scripts/pgo.sh"
cd "$root"
B=build/pgo
train=build/pgo-train
REL=build/release/trailhound
export TH_DATA_DIR="$root" TH_NO_HUGEPAGES=1
[ -x "$REL" ] || { echo "pgo: $REL missing (make builds it)" >&2; exit 2; }
# `make` relinks the release binary whenever a source changed: a PGO binary
# newer than it and than this script is of the same sources
if [ -z "${PGO_FORCE:-}" ] && [ "$B/trailhound" -nt "$REL" ] && [ "$B/trailhound" -nt "$self" ]; then
  echo "pgo: $B/trailhound is up to date (PGO_FORCE=1 rebuilds it)"
  exit 0
fi

rules="$root/../shared/corpus/detection-rules/rules/integrations/aws"
[ -d "$rules" ] || rules="$root/examples/rules"
one="$root/examples/tuning/v1/iam_session_token.toml"
two="$root/examples/tuning/v2/iam_session_token.toml"

mkdir -p "$train"
if [ ! -s "$train/events.ndjson" ] || [ ! -d "$train/s3/AWSLogs" ]; then
  echo "pgo: emulating training input ($train)"
  scen=$("$REL" emulate --list | awk 'NR > 1 { print $1 }')
  # shellcheck disable=SC2086 # one word per scenario
  "$REL" emulate $scen --seed 11 --days 3 --rate 1200 --quiet >"$train/events.ndjson"
  rm -rf "$train/s3"
  # shellcheck disable=SC2086
  "$REL" emulate $scen --seed 12 --days 1 --rate 600 --quiet --out "$train/s3" >/dev/null
  rm -f "$train/s3/labels.ndjson"
  head -n 20000 "$train/events.ndjson" >"$train/head.ndjson"
fi

# job K BIN: the K-th command the profile is trained on (and the outputs
# compared after): one and two threads, NDJSON and S3 objects, match,
# convert, one rule and tune
njobs=6
job() {
  case $1 in
    0) "$2" run --rules "$rules" --data "$train/events.ndjson" --threads 1 --format summary ;;
    1) "$2" run --rules "$rules" --data "$train/s3" --threads 2 --format summary ;;
    2) "$2" run --rules "$one" --data "$train/events.ndjson" --threads 1 --format summary ;;
    3) "$2" match --rules "$rules" --data "$train/events.ndjson" --threads 1 ;;
    4) "$2" convert "$train/head.ndjson" --threads 1 ;;
    5) "$2" tune --before "$one" --after "$two" --data "$train/events.ndjson" --format json ;;
  esac
}
# run_jobs BIN DIR: every job's stdout and exit status into DIR/K (tune's
# JSON says how long each version took: that figure left out)
run_jobs() {
  local k rc
  mkdir -p "$2"
  for ((k = 0; k < njobs; k++)); do
    { rc=0; job "$k" "$1" 2>/dev/null || rc=$?; echo "exit $rc"; } | sed -E 's/"seconds":[0-9.e-]+//' >"$2/$k"
  done
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rm -rf "$B"
# The instrumented build keeps branches that -O2 alone proves dead, and GCC 12
# then warns of array bounds on them (mapper_int.h's paths below
# aws.cloudtrail for short literal paths): a warning, not an error, there only.
echo "pgo: 1/3 instrumented build"
make --no-print-directory -j"$(nproc)" MODE=pgo \
  OPT="-O2 -g -flto=auto -fprofile-generate -fprofile-update=prefer-atomic -Wno-error=array-bounds" \
  LDOPT="-O2 -g -flto=auto -fprofile-generate -Wno-error=array-bounds" "$B/trailhound" 2>&1 | grep -v 'Warray-bounds\|^ *[0-9]* |\|In function\|inlined from\|note:\|^ *|' || true
[ -x "$B/trailhound" ] || { echo "pgo: the instrumented build failed" >&2; exit 2; }

echo "pgo: 2/3 training ($njobs commands, rules: $rules)"
run_jobs "$B/trailhound" "$tmp/train"
for ((k = 0; k < njobs; k++)); do
  # exit 1 means "found something" for trailhound verbs: only >= 2 is a failure
  tail -n 1 "$tmp/train/$k" | grep -qx 'exit [01]' ||
    { echo "pgo: training command $k failed ($(tail -n 1 "$tmp/train/$k"); job() in $self)" >&2; exit 2; }
done

echo "pgo: 3/3 optimised build"
find "$B" \( -name '*.o' -o -name '*.a' \) -delete
rm -f "$B/trailhound"
make --no-print-directory -j"$(nproc)" MODE=pgo \
  OPT="-O2 -g -flto=auto -fprofile-use -fprofile-partial-training" \
  LDOPT="-O2 -g -flto=auto -fprofile-use -fprofile-partial-training" "$B/trailhound"

# the same outputs and exit statuses as the release build, byte for byte
run_jobs "$REL" "$tmp/a"
run_jobs "$B/trailhound" "$tmp/b"
for ((k = 0; k < njobs; k++)); do
  if ! cmp -s "$tmp/a/$k" "$tmp/b/$k"; then
    echo "pgo: $B/trailhound and $REL differ on training command $k (job() in $self)" >&2
    exit 1
  fi
done
echo "pgo: $B/trailhound built; its outputs equal $REL's on the $njobs training commands"
