#!/usr/bin/env bash
# explain: for each rule type the engine runs (query, new_terms, threshold with
# cardinality, EQL single-event, EQL sequence), one event the rule selects and
# one it does not, with the verdict, the failing clause and the stateful reason.
# Events are ECS documents written here; the expected numbers follow from them
# (runs every 5 minutes on epoch-aligned times, 6-minute windows by default).
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
EX="$ROOT/examples/rules"

# ev TIME ID ACTION USER [OUTCOME] [ERROR_CODE] [REGION] [REQUEST_PARAMETERS]
ev() {
  local t=$1 id=$2 act=$3 user=$4 out=${5:-success} err=${6:-} reg=${7:-us-east-1} rp=${8:-}
  printf '{"@timestamp":"%s","event":{"id":"%s","dataset":"aws.cloudtrail","provider":"%s","action":"%s","outcome":"%s"},' \
    "$t" "$id" "${PROVIDER:-iam.amazonaws.com}" "$act" "$out"
  printf '"user":{"name":"%s"},"cloud":{"region":"%s"},"aws":{"cloudtrail":{"user_identity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/%s"}' \
    "$user" "$reg" "$user"
  [ -n "$err" ] && printf ',"error_code":"%s"' "$err"
  [ -n "$rp" ] && printf ',"request_parameters":"%s"' "$rp"
  printf '}}}\n'
}
# explain_ok NAME RC ARGS...: runs explain, output in $TMP/out
explain_ok() { local n=$1 rc=$2; shift 2; expect_rc "$n" "$rc" "$TH" explain "$@"; }
not_grep() { if grep -qE -- "$2" "$3"; then nok "$1" "a line matches /$2/" "$(head -c 800 "$3")"; else ok "$1"; fi; }

# ---- query -------------------------------------------------------------------
PROVIDER=cloudtrail.amazonaws.com
{ ev 2026-11-01T10:00:05.000Z q1 StopLogging alice
  ev 2026-11-01T10:01:05.000Z q2 StartLogging alice
} >"$TMP/q.ndjson"
unset PROVIDER
explain_ok "query: StopLogging is selected" 0 --rule "$EX/defense_evasion_cloudtrail_logging_stopped.toml" --data "$TMP/q.ndjson" --event-id q1
expect_grep "query: verdict SELECTS" "^verdict: the query SELECTS this event" "$TMP/out"
expect_grep "query: it raised the alert" "^replay: 1 alerts by the rule over the data; this event RAISED an alert" "$TMP/out"
explain_ok "query: StartLogging is not" 1 --rule "$EX/defense_evasion_cloudtrail_logging_stopped.toml" --data "$TMP/q.ndjson" --event-id q2
expect_grep "query: verdict NOT" "^verdict: the query does NOT select this event" "$TMP/out"
expect_grep "query: the failing clause" '^false +event.action: "StopLogging"' "$TMP/out"
expect_grep "query: what the clause saw" 'saw: "StartLogging"' "$TMP/out"
expect_grep "query: no alert for it" "this event did not raise an alert" "$TMP/out"

# ---- new_terms (arn, region; history now-14d) --------------------------------
# n1 is the first (alice, us-east-1): an alert. n2, 20 minutes later, repeats
# the terms: no alert, the terms alerted first with n1. n3 failed: not selected.
{ ev 2026-11-01T10:00:05.000Z n1 ListUsers alice
  ev 2026-11-01T10:20:05.000Z n2 ListRoles alice
  ev 2026-11-01T10:21:05.000Z n3 ListRoles alice failure
} >"$TMP/nt.ndjson"
NT="$EX/discovery_api_calls_from_new_region_for_identity.toml"
explain_ok "new_terms: the first event of the terms" 0 --rule "$NT" --data "$TMP/nt.ndjson" --event-id n1
expect_grep "new_terms: first seen raises" "this event RAISED an alert" "$TMP/out"
explain_ok "new_terms: the terms again" 0 --rule "$NT" --data "$TMP/nt.ndjson" --event-id n2
expect_grep "new_terms: selected" "^verdict: the query SELECTS this event" "$TMP/out"
expect_grep "new_terms: no alert" "this event did not raise an alert" "$TMP/out"
expect_grep "new_terms: the terms were seen before" "the terms \{aws.cloudtrail.user_identity.arn: \"arn:aws:iam::111122223333:user/alice\", cloud.region: \"us-east-1\"\} were already seen in the history window \(now-14d, from 2026-10-18T10:25:00.000Z\)" "$TMP/out"
expect_grep "new_terms: the first sighting is named" "before the run window of 2026-11-01T10:25:00.000Z: first sighting at 2026-11-01T10:00:05.000Z \(event n1\)" "$TMP/out"
expect_grep "new_terms: the first sighting raised the alert" "first sighting at 2026-11-01T10:00:05.000Z \(event n1\), which raised their alert" "$TMP/out"
not_grep "new_terms: a field present is not called missing" "no value for the new_terms field" "$TMP/out"
# n4 repeats alice's region but carries no user ARN: the query selects it, yet
# with a new_terms field missing it has no term at all (not "already seen").
# b1 and b2 (bob) fall in the same run window: b1 builds the alert, b2 does not.
{ cat "$TMP/nt.ndjson"
  ev 2026-11-01T10:30:05.000Z n4 ListRoles alice | sed 's/"arn":"[^"]*"/"x":1/'
  ev 2026-11-01T11:00:05.000Z b1 ListUsers bob
  ev 2026-11-01T11:01:05.000Z b2 ListRoles bob
} >"$TMP/nt2.ndjson"
explain_ok "new_terms: an event without a term field is selected" 0 --rule "$NT" --data "$TMP/nt2.ndjson" --event-id n4
expect_grep "new_terms: no term raises nothing" "this event did not raise an alert" "$TMP/out"
expect_grep "new_terms: the missing field is the reason" "why: no term: the event has no value for the new_terms field aws.cloudtrail.user_identity.arn" "$TMP/out"
not_grep "new_terms: a missing field is not called seen" "already seen" "$TMP/out"
explain_ok "new_terms: a second event in the same run" 0 --rule "$NT" --data "$TMP/nt2.ndjson" --event-id b2
expect_grep "new_terms: the earlier event of the run builds the alert" "an earlier event of that" "$TMP/out"
expect_grep "new_terms: ... and is named" "first sighting at 2026-11-01T11:00:05.000Z \(event b1\), which raised their alert" "$TMP/out"
explain_ok "new_terms: the first of bob's terms" 0 --rule "$NT" --data "$TMP/nt2.ndjson" --event-id b1
expect_grep "new_terms: b1 raised it" "this event RAISED an alert" "$TMP/out"
explain_ok "new_terms: a failed call is not selected" 1 --rule "$NT" --data "$TMP/nt.ndjson" --event-id n3
expect_grep "new_terms: the failing clause" '^false +event.outcome: "success"' "$TMP/out"

# ---- threshold: >= 20 events and >= 10 distinct event.action per arn --------
# mallory: 25 AccessDenied in 10:00:05..10:02:05 over 12 actions: the run at
# 10:05 (window 09:59..10:05) sees all 25 and alerts. bob: 7 over 3 actions in
# 10:01:00..10:01:30: at most 7 < 20. The run at 10:00 holds none of them.
{ for i in $(seq 0 24); do
    s=$((5 + i * 5))
    ev "2026-11-01T10:0$((s / 60)):$(printf %02d $((s % 60))).000Z" "m$i" "Act$((i % 12))" mallory failure AccessDenied
  done
  for i in $(seq 0 6); do
    ev "2026-11-01T10:01:$(printf %02d $((i * 5))).000Z" "b$i" "Act$((i % 3))" bob failure AccessDenied
  done
  ev 2026-11-01T10:01:40.000Z b-ok Act0 bob success
} >"$TMP/thr.ndjson"
THR="$EX/discovery_many_access_denied_errors.toml"
explain_ok "threshold: a mallory event" 0 --rule "$THR" --data "$TMP/thr.ndjson" --event-id m3
expect_grep "threshold: the bucket alerted" "this event RAISED an alert" "$TMP/out"
expect_grep "threshold: mallory's bucket, count and cardinality" \
  '^  bucket \{aws.cloudtrail.user_identity.arn: "arn:aws:iam::111122223333:user/mallory"\}: at most 25 matching events in one 6-minute run window containing this event \(threshold >= 20\), at most 12 distinct event.action \(cardinality >= 10\); ALERT' "$TMP/out"
expect_grep "threshold: the alert named" "^    alert: the run at 2026-11-01T10:05:00.000Z counted 25 events, 12 distinct event.action" "$TMP/out"
explain_ok "threshold: a bob event" 0 --rule "$THR" --data "$TMP/thr.ndjson" --event-id b2
expect_grep "threshold: bob raised nothing" "this event did not raise an alert" "$TMP/out"
expect_grep "threshold: bob's count below the value" \
  'user/bob"\}: at most 7 matching events in one 6-minute run window containing this event \(threshold >= 20\), at most 3 distinct event.action \(cardinality >= 10\); no alert' "$TMP/out"
explain_ok "threshold: a successful call is not selected" 1 --rule "$THR" --data "$TMP/thr.ndjson" --event-id b-ok
expect_grep "threshold: the failing clause" '^false +aws.cloudtrail.error_code: "AccessDenied"' "$TMP/out"
expect_grep "threshold: what it saw" 'saw: \(field absent\)' "$TMP/out"
# an exception for bob: named as the reason
printf '{"list_id":"scanners","item_id":"bob-item","name":"bob scans","entries":[{"field":"user.name","operator":"included","type":"match","value":"bob"}]}\n' >"$TMP/exc.ndjson"
explain_ok "exceptions: bob's event" 0 --rule "$THR" --data "$TMP/thr.ndjson" --event-id b2 --exceptions "$TMP/exc.ndjson"
expect_grep "exceptions: the matching item" "^exception: excluded by exception list scanners entry bob-item \(bob scans\)" "$TMP/out"
expect_grep "exceptions: the reason" "^  why: excluded by exception list scanners entry bob-item" "$TMP/out"
explain_ok "exceptions: mallory is not excepted" 0 --rule "$THR" --data "$TMP/thr.ndjson" --event-id m3 --exceptions "$TMP/exc.ndjson"
expect_grep "exceptions: no item matches" "^exception: no item of the rule's 1 exception items matches" "$TMP/out"
expect_grep "exceptions: mallory still alerts" "this event RAISED an alert" "$TMP/out"

# ---- EQL single event -----------------------------------------------------------
ADMIN="policyArn=arn:aws:iam::aws:policy/AdministratorAccess, userName=eve"
{ ev 2026-11-01T10:00:05.000Z e1 AttachUserPolicy alice success "" us-east-1 "$ADMIN"
  ev 2026-11-01T10:00:35.000Z e2 AttachUserPolicy alice success "" us-east-1 "policyArn=arn:aws:iam::aws:policy/ReadOnlyAccess"
} >"$TMP/eql.ndjson"
EQL="$EX/privilege_escalation_admin_policy_attached_to_user.toml"
explain_ok "eql: AdministratorAccess attached" 0 --rule "$EQL" --data "$TMP/eql.ndjson" --event-id e1
expect_grep "eql: verdict" "^verdict: the query SELECTS this event" "$TMP/out"
expect_grep "eql: the clause tree" '^TRUE +event.action: "AttachUserPolicy"' "$TMP/out"
expect_grep "eql: raised" "this event RAISED an alert" "$TMP/out"
explain_ok "eql: ReadOnlyAccess is not" 1 --rule "$EQL" --data "$TMP/eql.ndjson" --event-id e2
expect_grep "eql: the failing clause" '^false +aws.cloudtrail.request_parameters (wildcard|contains)' "$TMP/out"
expect_grep "eql: what it saw" 'saw: "policyArn=arn:aws:iam::aws:policy/ReadOnlyAccess"' "$TMP/out"

# ---- EQL sequence (by user.name, maxspan 2m) --------------------------------------
cat >"$TMP/seq.toml" <<'R'
[rule]
name = "Sequence: user created then given a policy"
description = "A user is created and a policy attached to it soon after."
language = "eql"
type = "eql"
from = "now-9m"
interval = "5m"
query = '''
sequence by user.name with maxspan=2m
  [any where event.action == "CreateUser"]
  [any where event.action == "AttachUserPolicy"]
'''
R
# alice: create 10:00:10, attach 10:01:00 (50 s): a sequence, alerted by the run
# at 10:05 (window 09:56..10:05). bob: create 10:00:20, attach 10:04:00 (220 s >
# maxspan). carol: an attach with no create. dave: ListUsers, no stage.
{ ev 2026-11-01T10:00:10.000Z s1 CreateUser alice
  ev 2026-11-01T10:01:00.000Z s2 AttachUserPolicy alice
  ev 2026-11-01T10:00:20.000Z s3 CreateUser bob
  ev 2026-11-01T10:04:00.000Z s4 AttachUserPolicy bob
  ev 2026-11-01T10:02:00.000Z s5 AttachUserPolicy carol
  ev 2026-11-01T10:02:30.000Z s6 ListUsers dave
} >"$TMP/seq.ndjson"
explain_ok "sequence: alice's create" 0 --rule "$TMP/seq.toml" --data "$TMP/seq.ndjson" --event-id s1
expect_grep "sequence: stages listed" "^stage 1 of 2 \(EQL sequence, by user.name\)" "$TMP/out"
expect_grep "sequence: stage 1 satisfied" "^stages: the event satisfies stage 1$" "$TMP/out"
expect_grep "sequence: part of the alert" "^replay: 3 alerts by the rule over the data; this event RAISED an alert" "$TMP/out"
explain_ok "sequence: alice's attach" 0 --rule "$TMP/seq.toml" --data "$TMP/seq.ndjson" --event-id s2
expect_grep "sequence: stage 2 satisfied" "^stages: the event satisfies stage 2$" "$TMP/out"
expect_grep "sequence: attach raised" "this event RAISED an alert" "$TMP/out"
explain_ok "sequence: bob's create" 0 --rule "$TMP/seq.toml" --data "$TMP/seq.ndjson" --event-id s3
expect_grep "sequence: bob no alert" "this event did not raise an alert" "$TMP/out"
expect_grep "sequence: no later stage 2" "why: no later stage-2 event with the same join key followed within maxspan" "$TMP/out"
explain_ok "sequence: bob's late attach" 0 --rule "$TMP/seq.toml" --data "$TMP/seq.ndjson" --event-id s4
expect_grep "sequence: maxspan" "why: the waiting stage-1 event with the same join key was more than maxspan earlier" "$TMP/out"
expect_grep "sequence: the join key" 'join key \{user.name: "bob"\}' "$TMP/out"
explain_ok "sequence: carol's lone attach" 0 --rule "$TMP/seq.toml" --data "$TMP/seq.ndjson" --event-id s5
expect_grep "sequence: no prior stage" "why: no earlier stage-1 event with the same join key was waiting" "$TMP/out"
explain_ok "sequence: dave matches no stage" 1 --rule "$TMP/seq.toml" --data "$TMP/seq.ndjson" --event-id s6
expect_grep "sequence: no stage" "^stages: the event satisfies no stage$" "$TMP/out"
expect_grep "sequence: a stage's failing clause" '^false +event.action: "CreateUser"' "$TMP/out"
not_grep "sequence: no alert claimed" "RAISED" "$TMP/out"
