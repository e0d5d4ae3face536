#!/usr/bin/env bash
# `make demo`: thirty days of an AWS account (busy normal activity, twelve attack
# stories, benign look-alikes) emulated as raw CloudTrail in S3 layout, the
# example rules run over it as Elastic Security would, and a tuning comparison
# of one rule before and after two exclusions, with an HTML report.
set -euo pipefail
cd "$(dirname "$0")/.."
TH=build/release/trailhound
out=build/demo
rm -rf "$out"
mkdir -p "$out"
t0=$(date +%s)

stories="iam-temp-creds access-key-persistence log-tampering s3-exfiltration s3-ransomware
ec2-userdata snapshot-share secrets-access lambda-backdoor console-anomalies discovery-burst
bedrock-abuse cicd-pipelines console-admins aws-internal iam-lookalikes"

echo "== 1. emulate: 30 days of raw CloudTrail (S3 layout, gzip) with labels"
# shellcheck disable=SC2086
"$TH" emulate background $stories --seed 42 --start 2026-10-01 --days 30 --rate 60 \
    --out "$out/logs"

echo
echo "== 2. validate the example rules"
"$TH" rules validate examples/rules

echo
echo "== 3. run them as Elastic Security would (5-minute schedule replay), as if enabled on"
echo "      2026-10-15 with the first two weeks already indexed (new_terms history)"
set +e
"$TH" run --rules examples/rules --data "$out/logs/AWSLogs" --from 2026-10-15 -o "$out/alerts.ndjson"
rc=$?
set -e
[ "$rc" -le 1 ] || exit "$rc"
echo "   alerts written to $out/alerts.ndjson ($(wc -l <"$out/alerts.ndjson") documents)"

echo
echo "== 4. tune: the session-token rule before and after excluding AWS-internal calls"
echo "      and console sessions (true positives from the emulation labels)"
set +e
"$TH" tune --before examples/tuning/v1/iam_session_token.toml \
    --after examples/tuning/v2/iam_session_token.toml \
    --data "$out/logs/AWSLogs" --labels "$out/logs/labels.ndjson" --report "$out/report.html"
rc=$?
set -e
[ "$rc" -le 1 ] || exit "$rc"

echo
echo "demo finished in $(( $(date +%s) - t0 )) s; open $out/report.html"
