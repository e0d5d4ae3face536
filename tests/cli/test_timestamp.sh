# Events without eventTime take the record's own @timestamp (Logstash-style
# exports such as the OTRF data sets); an event with no usable time is an
# error with its place, and a run where most events have none exits 2.
. "$(dirname "$0")/lib.sh"

rec() { printf '{"eventVersion":"1.08",%s"eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"8.8.8.8","eventID":"e-%s"}\n' "$1" "$2"; }
printf '[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\n[rule]\nname = "create user"\nrule_id = "cu"\nrisk_score = 21\nseverity = "low"\ntype = "query"\nlanguage = "kuery"\nindex = ["logs-aws.cloudtrail-*"]\nquery = "event.action: CreateUser"\ndescription = "d"\nauthor = ["t"]\nlicense = "MIT"\n' >"$TMP/cu.toml"

# @timestamp only: timed, mapped to that instant, the rule alerts
rec '"@timestamp":"2026-01-01T10:20:30.000Z",' 1 >"$TMP/ts.ndjson"
expect_rc "convert: a record with @timestamp and no eventTime" 0 "$TH" convert "$TMP/ts.ndjson" -o "$TMP/ts.json"
expect_grep "@timestamp comes from the record's @timestamp" '"@timestamp":"2026-01-01T10:20:30.000Z"' "$TMP/ts.json"
if grep -q pipeline_error "$TMP/ts.json"; then nok "no pipeline error"; else ok "no pipeline error"; fi
expect_rc "run: the @timestamp-only event alerts" 1 "$TH" run --rules "$TMP/cu.toml" --data "$TMP/ts.ndjson"
expect_grep "run: no event without a time" ' 0 events without any timestamp' "$TMP/err"
# eventTime wins over @timestamp when both are there
rec '"eventTime":"2026-02-02T00:00:00Z","@timestamp":"2026-01-01T10:20:30.000Z",' 2 >"$TMP/both.ndjson"
"$TH" convert "$TMP/both.ndjson" -o "$TMP/both.json" 2>/dev/null
expect_grep "eventTime wins over @timestamp" '"@timestamp":"2026-02-02T00:00:00.000Z"' "$TMP/both.json"

# 1 timed, 3 not (none; an @timestamp ISO8601 cannot read; an eventTime with a space)
{ rec '"@timestamp":"2026-01-01T00:00:00.000Z",' 1; rec '' 2; rec '"@timestamp":"yesterday",' 3; rec '"eventTime":"2026-01-01 00:00:00",' 4; } >"$TMP/mixed.ndjson"
expect_rc "run: most events without a time exits 2" 2 "$TH" run --rules "$TMP/cu.toml" --data "$TMP/mixed.ndjson"
expect_grep "an error names the record (line 2)" 'mixed.ndjson:2:.*error: a raw CloudTrail record with no usable time' "$TMP/err"
expect_grep "an error names the record (line 4)" 'mixed.ndjson:4:.*error:' "$TMP/err"
expect_grep "the summary counts them" '3 of 4 events have no usable time' "$TMP/err"
expect_grep "the timed event still alerts" '"e-1"' "$TMP/out"
# a minority without a time: errors, exit 1 (not 2)
{ rec '"@timestamp":"2026-01-01T00:00:00.000Z",' 1; rec '"eventTime":"2026-01-01T00:00:01Z",' 2; rec '' 3; } >"$TMP/few.ndjson"
expect_rc "run: one event of three without a time exits 1" 1 "$TH" run --rules "$TMP/cu.toml" --data "$TMP/few.ndjson"
expect_grep "its error is there" 'few.ndjson:3:.*error: a raw CloudTrail record with no usable time' "$TMP/err"
# beyond the first five, one line with the count
for i in 1 2 3 4 5 6 7; do rec '' "$i"; done >"$TMP/seven.ndjson"
expect_rc "run: seven events without a time" 2 "$TH" run --rules "$TMP/cu.toml" --data "$TMP/seven.ndjson"
n=$(grep -c 'error: a raw CloudTrail record with no usable time' "$TMP/err")
if [ "$n" -eq 5 ]; then ok "five reported one by one"; else nok "five reported one by one" "got $n"; fi
expect_grep "then the rest counted" '2 more events without a usable time \(7 of 7 in all\)' "$TMP/err"

# The OTRF data set (Logstash export: @timestamp, no eventTime): the AWS pack
# alerts on it exactly as on the same records with eventTime.
OTRF="$CORPUS/cloudtrail-real/otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl"
RULES="$CORPUS/detection-rules/rules/integrations/aws"
if [ -f "$OTRF" ] && [ -d "$RULES" ]; then
  expect_rc "OTRF: the AWS pack alerts" 1 "$TH" run --rules "$RULES" --data "$OTRF"
  cp "$TMP/out" "$TMP/otrf-alerts"
  expect_grep "OTRF: 103 events, all timed" '103 events .* 0 events without any timestamp' "$TMP/err"
  if [ -s "$TMP/otrf-alerts" ]; then ok "OTRF: alerts written"; else nok "OTRF: alerts written"; fi
  sed 's/"@timestamp"/"eventTime"/' "$OTRF" >"$TMP/otrf-et.jsonl"
  expect_rc "OTRF with eventTime instead: the AWS pack alerts" 1 "$TH" run --rules "$RULES" --data "$TMP/otrf-et.jsonl"
  if cmp -s "$TMP/otrf-alerts" "$TMP/out"; then ok "OTRF: the same alerts as with eventTime (byte for byte)"; else nok "OTRF: the same alerts as with eventTime (byte for byte)"; fi
else
  skip "OTRF data set or detection rules absent (corpus)"
fi
