# trailhound match: rules over events, prefilter on and off, raw CloudTrail input.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/rules"
cat >"$TMP/rules/r1.toml" <<'TOML'
[metadata]
creation_date = "2024/01/01"
maturity = "production"
updated_date = "2024/01/01"

[rule]
author = ["t"]
description = "d"
index = ["logs-aws.cloudtrail-*"]
language = "kuery"
license = "Elastic License v2"
name = "Test user creation"
risk_score = 21
rule_id = "11111111-1111-1111-1111-111111111111"
severity = "low"
type = "query"
query = '''
event.provider: "iam.amazonaws.com" and event.action: (CreateUser or CreateAccessKey) and not user_agent.original: *terraform*
'''
TOML
cat >"$TMP/rules/r2.toml" <<'TOML'
[metadata]
creation_date = "2024/01/01"
maturity = "production"
updated_date = "2024/01/01"

[rule]
author = ["t"]
description = "d"
index = ["logs-aws.cloudtrail-*"]
language = "eql"
license = "Elastic License v2"
name = "Test eql"
risk_score = 21
rule_id = "22222222-2222-2222-2222-222222222222"
severity = "low"
type = "eql"
query = '''
any where event.action == "CreateUser"
'''
TOML
cat >"$TMP/ev.ndjson" <<'JSON'
{"@timestamp":"2026-01-01T00:00:00Z","event":{"id":"e0","provider":"iam.amazonaws.com","action":"CreateUser"}}
{"@timestamp":"2026-01-01T00:00:01Z","event":{"id":"e1","provider":"iam.amazonaws.com","action":"CreateUser"},"user_agent":{"original":"x terraform y"}}
{"@timestamp":"2026-01-01T00:00:02Z","event":{"id":"e2","provider":"iam.amazonaws.com","action":"DeleteUser"}}
{"@timestamp":"2026-01-01T00:00:03Z","event.id":"e3","event.provider":"iam.amazonaws.com","event.action":"CreateAccessKey"}
JSON

expect_rc "match --help exits 0" 0 "$TH" match --help
expect_rc "match without --data is a usage error" 2 "$TH" match --rules "$TMP/rules"
expect_rc "match with matches exits 1" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/ev.ndjson"
if [ "$(wc -l <"$TMP/out")" -eq 4 ]; then ok "four matches (KQL 2, EQL 2)"; else nok "four matches" "$(cat "$TMP/out")"; fi
expect_grep "EQL rule matches event 1" '"rule_id":"22222222-2222-2222-2222-222222222222","index":1,' "$TMP/out"
expect_grep "event 0 matches" '^\{"rule_id":"11111111-1111-1111-1111-111111111111","index":0,"event.id":"e0","@timestamp":"2026-01-01T00:00:00Z"\}$' "$TMP/out"
expect_grep "dotted keys: event 3 matches" '"index":3,"event.id":"e3"' "$TMP/out"
if grep -q '"rule_id":"1111.*"index":1' "$TMP/out"; then nok "not terraform excludes event 1"; else ok "not terraform excludes event 1"; fi
cat >"$TMP/rules/r3.toml" <<'TOML'
[metadata]
creation_date = "2024/01/01"
maturity = "production"
updated_date = "2024/01/01"

[rule]
author = ["t"]
description = "d"
language = "eql"
license = "Elastic License v2"
name = "Test sequence"
risk_score = 21
rule_id = "33333333-3333-3333-3333-333333333333"
severity = "low"
type = "eql"
query = '''
sequence by user.name with maxspan=1m [any where true] [any where true]
'''
TOML
expect_rc "match with a sequence rule" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/ev.ndjson"
expect_grep "EQL sequence listed as unsupported" 'r3.toml.*sequences need the engine' "$TMP/err"
rm "$TMP/rules/r3.toml"
cp "$TMP/out" "$TMP/with"
expect_rc "match --no-prefilter" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/ev.ndjson" --no-prefilter
if cmp -s "$TMP/out" "$TMP/with"; then ok "prefilter changes nothing"; else nok "prefilter changes nothing"; fi

expect_rc "match --no-lazy" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/ev.ndjson" --no-lazy
if cmp -s "$TMP/out" "$TMP/with"; then ok "--no-lazy changes nothing"; else nok "--no-lazy changes nothing" "$(cat "$TMP/out")"; fi
for n in 1 3; do
  expect_rc "match --threads $n" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/ev.ndjson" --threads "$n"
  if cmp -s "$TMP/out" "$TMP/with"; then ok "--threads $n changes nothing"; else nok "--threads $n changes nothing" "$(cat "$TMP/out")"; fi
done
# --profile: the stages and one line per rule (on stderr), the output unchanged
expect_rc "match --profile" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/ev.ndjson" --profile --threads 1
if cmp -s "$TMP/out" "$TMP/with"; then ok "--profile changes nothing"; else nok "--profile changes nothing"; fi
expect_grep "--profile: stages" '^match: profile \(stages, CPU ms summed over threads\): read\+split\+scan [0-9.]+, .*output [0-9.]+$' "$TMP/err"
nr=$(ls "$TMP/rules"/*.toml | wc -l)
np=$(grep -cE '^ +[0-9]+ +[0-9.]+ +[0-9]+  (11111111|22222222)' "$TMP/err")
if [ "$np" -eq "$nr" ]; then ok "--profile: a line per rule ($np)"; else nok "--profile: a line per rule" "$np lines for $nr rules" "$(cat "$TMP/err")"; fi
ev1=$(grep -E '^ +[0-9]+ .*  11111111-1111' "$TMP/err" | awk '{print $1, $3}')
if [ -n "$ev1" ] && [ "${ev1#* }" -ge 1 ] && [ "${ev1%% *}" -ge "${ev1#* }" ]; then ok "--profile: r1 evaluated and matched ($ev1)"; else nok "--profile: r1 evaluated and matched" "$ev1"; fi
expect_rc "match --threads x is a usage error" 2 "$TH" match --rules "$TMP/rules" --data "$TMP/ev.ndjson" --threads x
expect_grep "bad --threads named" "bad --threads 'x'" "$TMP/err"
# an event without a time is still judged (match has no schedule), on both paths
printf '{"Records":[{"eventVersion":"1.08","eventSource":"iam.amazonaws.com","eventName":"CreateUser","eventID":"nt","userIdentity":{"type":"IAMUser"}}]}\n' >"$TMP/notime.ndjson"
expect_rc "untimed event matches" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/notime.ndjson"
expect_grep "untimed event: KQL rule" '"rule_id":"11111111-1111-1111-1111-111111111111","index":0,"event.id":"nt","@timestamp":null' "$TMP/out"
cp "$TMP/out" "$TMP/nt-lazy"
expect_rc "untimed event, --no-lazy" 1 "$TH" match --rules "$TMP/rules" --data "$TMP/notime.ndjson" --no-lazy
if cmp -s "$TMP/out" "$TMP/nt-lazy"; then ok "untimed event: same lines with --no-lazy"; else nok "untimed event: same lines with --no-lazy"; fi

# raw CloudTrail goes through the mapper
cat >"$TMP/ct.json" <<'JSON'
{"Records":[{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"1.2.3.4","userAgent":"aws-cli/2","eventID":"ct-1","userIdentity":{"type":"IAMUser"}}]}
JSON
expect_rc "raw CloudTrail input" 1 "$TH" match --rules "$TMP/rules/r1.toml" --data "$TMP/ct.json"
expect_grep "raw CloudTrail record matches" '"index":0,"event.id":"ct-1"' "$TMP/out"

# no match: exit 0
printf '{"@timestamp":"2026-01-01T00:00:00Z","event":{"action":"X"}}\n' >"$TMP/none.ndjson"
expect_rc "no match exits 0" 0 "$TH" match --rules "$TMP/rules/r1.toml" --data "$TMP/none.ndjson"

# a syntax error in a rule's query is reported with file:line:col
sed 's/CreateAccessKey)/CreateAccessKey/' "$TMP/rules/r1.toml" >"$TMP/bad.toml"
expect_rc "bad query exits 1" 1 "$TH" match --rules "$TMP/bad.toml" --data "$TMP/none.ndjson"
expect_grep "bad query located" 'bad.toml:18:113: error: KQL syntax error' "$TMP/err"

# the oracle's events: agreement on the KQL rules (when the corpus is present)
if [ -d "$CORPUS/oracle" ]; then
  "$TH" match --rules "$CORPUS/detection-rules/rules/integrations/aws" --data "$CORPUS/oracle/events.ndjson" >"$TMP/o.ndjson" 2>/dev/null
  want=$(grep -v '"sequence"' "$CORPUS/oracle/expected.ndjson" | wc -l)
  got=$(wc -l <"$TMP/o.ndjson")
  if [ "$got" -eq "$want" ]; then ok "oracle KQL+EQL match count ($got)"; else nok "oracle match count" "got $got, want $want"; fi
else
  skip "oracle match count (corpus absent)"
fi
