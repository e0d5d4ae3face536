# trailhound run end to end: rules and ECS events written here, expectations
# computed by hand (times in minutes after 2024-01-01T00:00:00Z; default
# schedule: interval 5m, lookback 6m, runs at multiples of 5 minutes).
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/rules"
rule() { # FILE TYPE NAME QUERY EXTRA...
  local f=$1 type=$2 name=$3 q=$4; shift 4
  { printf '[metadata]\ncreation_date = "2024/01/01"\nmaturity = "production"\nupdated_date = "2024/01/01"\n\n'
    printf '[rule]\nauthor = ["t"]\ndescription = "d"\nfrom = "now-6m"\nindex = ["logs-aws.cloudtrail-*"]\n'
    printf 'language = "kuery"\nlicense = "Elastic License v2"\nname = "%s"\nrisk_score = 47\n' "$name"
    printf 'rule_id = "%s"\nseverity = "medium"\ntimestamp_override = "event.ingested"\ntype = "%s"\nquery = %s\n' "$name" "$type" "$q"
    for x in "$@"; do printf '%s\n' "$x"; done; } > "$TMP/rules/$f"
}
rule q.toml query Q-create "'event.action: \"CreateUser\"'"
rule nt.toml new_terms NT-user "'event.action: *'" \
  '[rule.new_terms]' 'field = "new_terms_fields"' 'value = ["user.name"]' \
  '[[rule.new_terms.history_window_start]]' 'field = "history_window_start"' 'value = "now-1h"'
rule th.toml threshold TH-user "'event.action: \"ConsoleLogin\"'" \
  '[rule.threshold]' 'field = ["user.name"]' 'value = 3'
{ printf '[metadata]\ncreation_date = "2024/01/01"\nmaturity = "production"\nupdated_date = "2024/01/01"\n\n'
  printf '[rule]\nauthor = ["t"]\ndescription = "d"\nlanguage = "esql"\nlicense = "Elastic License v2"\n'
  printf 'name = "ES-rule"\nrisk_score = 47\nrule_id = "ES-rule"\nseverity = "low"\ntype = "esql"\n'
  printf 'query = "from logs-aws.cloudtrail-* | where event.action == \\"X\\""\n'; } > "$TMP/rules/es.toml"

ev() { # ID MINUTE ACTION USER
  printf '{"@timestamp":"2024-01-01T00:%02d:00Z","event":{"id":"%s","ingested":"2024-01-01T00:%02d:00Z","action":"%s","kind":"event"},"user":{"name":"%s"},"source":{"ip":"10.0.0.1"}}\n' "$2" "$1" "$2" "$3" "$4"
}
{ ev c1 1 CreateUser alice; ev l1 2 ConsoleLogin bob; ev l2 3 ConsoleLogin bob; ev l3 4 ConsoleLogin bob
  ev c2 12 CreateUser alice; ev l4 13 ConsoleLogin carol; } > "$TMP/ev.ndjson"

# Q: c1 (run 5), c2 (run 15) = 2. NT (user.name): alice@5 (c1), bob@5 (l1), carol@15 = 3.
# TH: bob x3 in run 5 = 1. Total 6.
expect_rc "run with alerts exits 1" 1 "$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson"
n=$(wc -l < "$TMP/out")
[ "$n" -eq 6 ] && ok "six alerts" || nok "six alerts" "got $n"
expect_grep "summary on stderr" '^run: 4 rules ran, 0 skipped; 6 alerts' "$TMP/err"
# the ES|QL rule runs (its WHERE matches none of the events: no alerts, not skipped)
if grep -q 'ES-rule' "$TMP/err"; then nok "esql rule runs, not skipped" "$(grep ES-rule "$TMP/err")"
else ok "esql rule runs, not skipped"; fi
expect_grep "event.ingested choice reported" 'event.ingested: 6 of 6 events have it' "$TMP/err"
expect_grep "alerts are signals" '"event.kind":"signal"' "$TMP/out"
expect_grep "new_terms alert carries the term" '"kibana.alert.new_terms":\["carol"\]' "$TMP/out"
expect_grep "threshold alert carries the count" '"kibana.alert.threshold_result":\{"terms":\[\{"field":"user.name","value":"bob"\}\],"count":3' "$TMP/out"
expect_grep "reason template" '"kibana.alert.reason":"event with source 10.0.0.1 by alice created medium alert Q-create."' "$TMP/out"
first=$(head -1 "$TMP/out" | grep -o '"@timestamp":"[^"]*"' | head -1)
[ "$first" = '"@timestamp":"2024-01-01T00:05:00.000Z"' ] && ok "alert @timestamp is the run time" || nok "alert @timestamp is the run time" "$first"
cp "$TMP/out" "$TMP/first.ndjson"
"$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson" >"$TMP/second.ndjson" 2>/dev/null
cmp -s "$TMP/first.ndjson" "$TMP/second.ndjson" && ok "same input, same alerts, same order" || nok "same input, same alerts, same order"

for n in 2 3; do
  "$TH" run --threads $n --rules "$TMP/rules" --data "$TMP/ev.ndjson" "$TMP/ev.ndjson" >"$TMP/par.ndjson" 2>/dev/null
  "$TH" run --threads 1 --rules "$TMP/rules" --data "$TMP/ev.ndjson" "$TMP/ev.ndjson" >"$TMP/ser.ndjson" 2>/dev/null
  cmp -s "$TMP/par.ndjson" "$TMP/ser.ndjson" && [ -s "$TMP/ser.ndjson" ] && ok "--threads $n gives the serial output" || nok "--threads $n gives the serial output"
done
expect_rc "bad --threads" 2 "$TH" run --threads x --rules "$TMP/rules" --data "$TMP/ev.ndjson"

expect_rc "summary format" 1 "$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson" --format summary
[ -s "$TMP/out" ] && nok "summary format writes no alerts" || ok "summary format writes no alerts"
expect_rc "table format" 1 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/ev.ndjson" --format table
expect_grep "table header" '^run time +severity +rule' "$TMP/out"
expect_grep "table row" '^2024-01-01T00:15:00.000Z medium +Q-create' "$TMP/out"
expect_rc "-o writes a file" 1 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/ev.ndjson" -o "$TMP/a.ndjson"
[ "$(wc -l < "$TMP/a.ndjson")" -eq 2 ] && ok "-o file has the alerts" || nok "-o file has the alerts"

# max_signals 1: run 5 ([-1,5]) has new terms alice and bob and keeps alice (key order).
# Run 10 ([4,10]) sees bob only via l3 at 4, but bob was first seen at 2 <= 4: not new.
# Run 15 adds carol. So NT: alice, carol (bob lost), one truncated run.
expect_rc "max-signals override" 1 "$TH" run --rules "$TMP/rules/nt.toml" --data "$TMP/ev.ndjson" --max-signals 1
[ "$(wc -l < "$TMP/out")" -eq 2 ] && ok "max-signals truncates" || nok "max-signals truncates" "$(wc -l < "$TMP/out")"
expect_grep "truncated run reported" '^ +2 +1 +new_terms +NT-user' "$TMP/err"

# exceptions: drop alice everywhere
printf '{"list_id":"L","item_id":"i","entries":[{"field":"user.name","operator":"included","type":"match","value":"alice"}]}\n' > "$TMP/exc.ndjson"
expect_rc "exceptions (the only matches excepted: exit 0)" 0 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/ev.ndjson" --exceptions "$TMP/exc.ndjson"
[ -s "$TMP/out" ] && nok "excepted events do not alert" "$(head -c 300 "$TMP/out")" || ok "excepted events do not alert"

# no alerts: exit 0
ev z1 1 Other nobody > "$TMP/quiet.ndjson"
expect_rc "no alerts exits 0" 0 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/quiet.ndjson"

# ingest delay for ECS input without event.ingested: windows move
printf '{"@timestamp":"2024-01-01T00:04:00Z","event":{"id":"d1","action":"CreateUser"}}\n' > "$TMP/noing.ndjson"
expect_rc "ingest delay" 1 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/noing.ndjson" --ingest-delay 3m
expect_grep "alert at the run after ingest (7m -> 10m)" '"@timestamp":"2024-01-01T00:10:00.000Z"' "$TMP/out"
expect_grep "stamped count reported" '1 ECS events stamped @timestamp \+ 180s' "$TMP/err"

expect_rc "bad format is a usage error" 2 "$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson" --format xml
expect_rc "missing --data is a usage error" 2 "$TH" run --rules "$TMP/rules"
expect_rc "--help" 0 "$TH" run --help
expect_grep "--help documents exit codes" 'exit codes' "$TMP/out"

# raw CloudTrail from the corpus, with the real AWS rule pack
if [ -d "$CORPUS/detection-rules/rules/integrations/aws" ]; then
  "$TH" run --rules "$CORPUS/detection-rules/rules/integrations/aws" \
    --data "$CORPUS/cloudtrail-real/otrf-security-datasets" --format summary --profile >"$TMP/out" 2>"$TMP/err"
  rc=$?
  [ $rc -le 1 ] && ok "AWS rule pack over raw CloudTrail runs (exit $rc)" || nok "AWS rule pack over raw CloudTrail runs" "exit $rc"
  [ -s "$TMP/out" ] && nok "summary format: nothing on stdout" || ok "summary format: nothing on stdout"
  expect_grep "pack summary" '^run: [0-9]+ rules ran' "$TMP/err"
  expect_grep "profile lines" 'profile \(per rule' "$TMP/err"
else
  skip "AWS rule pack over raw CloudTrail (no corpus)"
fi

# Real rules from the corpus on hand-made ECS events (expectations by hand).
AWS="$CORPUS/detection-rules/rules/integrations/aws"
if [ -f "$AWS/credential_access_root_console_failure_brute_force.toml" ]; then
  login() { # MINUTE SECOND ACCOUNT
    printf '{"@timestamp":"2024-01-01T00:%02d:%02dZ","data_stream":{"dataset":"aws.cloudtrail"},"event":{"id":"r%s-%s-%s","ingested":"2024-01-01T00:%02d:%02dZ","provider":"signin.amazonaws.com","action":"ConsoleLogin","outcome":"failure"},"aws":{"cloudtrail":{"user_identity":{"type":"Root"}}},"cloud":{"account":{"id":"%s"}}}\n' "$1" "$2" "$1" "$2" "$3" "$1" "$2" "$3"
  }
  # account 111: 10 failures in [1m, 4m30s] -> one alert at run 5 (count 10).
  # account 222: 9 failures -> none. account 111 again: 9 failures in [11m,14m] -> none.
  { for s in 0 20 40; do login 1 $s 111; login 2 $s 111; login 3 $s 111; done; login 4 30 111
    for s in 0 20 40; do login 1 $s 222; login 2 $s 222; login 3 $s 222; done
    for s in 0 20 40; do login 11 $s 111; login 12 $s 111; login 13 $s 111; done; } > "$TMP/root.ndjson"
  expect_rc "threshold rule from the pack" 1 "$TH" run --rules "$AWS/credential_access_root_console_failure_brute_force.toml" --data "$TMP/root.ndjson"
  [ "$(wc -l < "$TMP/out")" -eq 1 ] && ok "brute force: one alert" || nok "brute force: one alert" "$(wc -l < "$TMP/out")"
  expect_grep "brute force: account 111, count 10" '"terms":\[\{"field":"cloud.account.id","value":"111"\}\],"count":10' "$TMP/out"
  expect_grep "brute force: original_time = last failure" '"kibana.alert.original_time":"2024-01-01T00:04:30.000Z"' "$TMP/out"
else
  skip "threshold rule from the pack (no corpus)"
fi
if [ -f "$AWS/collection_s3_bucket_acl_public_access_new_identity.toml" ]; then
  acl() { # ID MINUTE ARN UA
    printf '{"@timestamp":"2024-01-01T00:%02d:00Z","data_stream":{"dataset":"aws.cloudtrail"},"event":{"id":"%s","ingested":"2024-01-01T00:%02d:00Z","provider":"s3.amazonaws.com","action":"PutBucketAcl","outcome":"success"},"aws":{"cloudtrail":{"user_identity":{"type":"IAMUser","arn":"%s"},"flattened":{"request_parameters":{"x-amz-acl":"public-read"}}}},"user_agent":{"original":"%s"}}\n' "$2" "$1" "$2" "$3" "$4"
  }
  # a: new at run 5; a again at 20: seen at 1 within 7 days -> not new; b: new at 25;
  # c via Terraform: excluded by the query.
  { acl a1 1 arn:a aws-cli; acl a2 20 arn:a aws-cli; acl b1 22 arn:b aws-cli; acl c1 23 arn:c Terraform/1.0; } > "$TMP/acl.ndjson"
  expect_rc "new_terms rule from the pack" 1 "$TH" run --rules "$AWS/collection_s3_bucket_acl_public_access_new_identity.toml" --data "$TMP/acl.ndjson"
  [ "$(wc -l < "$TMP/out")" -eq 2 ] && ok "new identity: two alerts" || nok "new identity: two alerts" "$(cat "$TMP/out" | head -c 500)"
  expect_grep "new identity: b at run 25" '"@timestamp":"2024-01-01T00:25:00.000Z".*"kibana.alert.new_terms":\["arn:b"\]' "$TMP/out"
else
  skip "new_terms rule from the pack (no corpus)"
fi
if [ -f "$AWS/discovery_bedrock_model_recon_and_invocation_via_long_term_key.toml" ]; then
  bed() { # ID MINUTE ACTION KEY
    printf '{"@timestamp":"2024-01-01T00:%02d:00Z","data_stream":{"dataset":"aws.cloudtrail"},"event":{"id":"%s","ingested":"2024-01-01T00:%02d:00Z","provider":"bedrock.amazonaws.com","action":"%s","outcome":"success"},"aws":{"cloudtrail":{"user_identity":{"access_key_id":"%s"}}}}\n' "$2" "$1" "$2" "$3" "$4"
  }
  # AKIA1: recon at 1, invoke at 5 -> one sequence; ASIA2 (not a long-term key): none;
  # AKIA3: recon at 2, invoke at 20 (18m > maxspan 15m): none.
  { bed s1 1 ListFoundationModels AKIA1; bed s2 5 InvokeModel AKIA1
    bed t1 1 ListFoundationModels ASIA2; bed t2 4 Converse ASIA2
    bed u1 2 ListFoundationModels AKIA3; bed u2 20 InvokeModel AKIA3; } > "$TMP/bed.ndjson"
  expect_rc "EQL sequence rule from the pack" 1 "$TH" run --rules "$AWS/discovery_bedrock_model_recon_and_invocation_via_long_term_key.toml" --data "$TMP/bed.ndjson"
  [ "$(wc -l < "$TMP/out")" -eq 3 ] && ok "sequence: 2 building blocks + 1 shell" || nok "sequence: 2 building blocks + 1 shell" "$(head -c 400 "$TMP/out")"
  [ "$(grep -c '"kibana.alert.building_block_type":"default"' "$TMP/out")" -eq 2 ] && ok "sequence: blocks marked" || nok "sequence: blocks marked"
  expect_grep "sequence: shell shares the key" '"access_key_id":"AKIA1"' "$TMP/out"
else
  skip "EQL sequence rule from the pack (no corpus)"
fi

# --from/--to: ISO times; run times outside the period do not happen
expect_rc "--from/--to ISO" 1 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/ev.ndjson" --from 2024-01-01T00:10:00Z --to 2024-01-01T00:20:00Z
[ "$(wc -l < "$TMP/out")" -eq 1 ] && ok "only c2 (12m) is in the period" || nok "only c2 (12m) is in the period" "$(wc -l < "$TMP/out")"
expect_grep "period reported" 'period 2024-01-01T00:10:00.000Z .. 2024-01-01T00:20:00.000Z' "$TMP/err"
expect_rc "bad --from" 2 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/ev.ndjson" --from yesterday
expect_rc "bad --interval-phase" 2 "$TH" run --rules "$TMP/rules/q.toml" --data "$TMP/ev.ndjson" --interval-phase x

# emulate -> run through a pipe: every log-tampering step alerts on its rule
if [ -d "$AWS" ] && "$TH" emulate --help >/dev/null 2>&1; then
  "$TH" emulate log-tampering --days 1 --out - 2>/dev/null | "$TH" run --rules "$AWS" --data - --format summary >"$TMP/out" 2>"$TMP/err"
  for name in "AWS CloudTrail Log Suspended" "AWS CloudTrail Log Deleted" "AWS GuardDuty Detector Deletion" "AWS Configuration Recorder Stopped"; do
    expect_grep "emulated log tampering: $name" "^ +[1-9][0-9]* +0 +query +$name " "$TMP/err"
  done
else
  skip "emulate -> run (no corpus or no emulate verb)"
fi
