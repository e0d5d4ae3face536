# The event pipeline (src/pipeline): the same results for every thread count,
# with and without lazy mapping, and for every verb that goes through it.
. "$(dirname "$0")/lib.sh"
rules="${TH_ROOT:-.}/../shared/corpus/detection-rules/rules/integrations/aws"
[ -d "$rules" ] || rules="${TH_ROOT:-.}/examples/rules"
# ci-token-theft and eks-irsa-abuse: broad ES|QL rules that fire on events
# given their fields' values alone (pipeline.c slot_doc, bare)
"$TH" emulate background iam-temp-creds log-tampering s3-exfiltration discovery-burst \
  console-admins aws-internal bedrock-abuse access-key-persistence ci-token-theft eks-irsa-abuse \
  --seed 3 --start 2026-10-01 --days 2 --rate 300 --out "$TMP/s3" 2>/dev/null
"$TH" emulate background iam-temp-creds log-tampering --seed 5 --start 2026-10-01 --days 1 \
  --rate 300 --out - >"$TMP/ev.ndjson" 2>/dev/null
for data in "$TMP/s3/AWSLogs" "$TMP/ev.ndjson"; do
  name=$(basename "$data")
  "$TH" run --rules "$rules" --data "$data" --threads 1 --no-lazy >"$TMP/eager.ndjson" 2>/dev/null
  n=$(wc -l <"$TMP/eager.ndjson")
  if [ "$n" -gt 0 ]; then ok "$name: the pack raises alerts ($n)"; else nok "$name: the pack raises alerts" "none"; fi
  for t in 1 2 3; do
    "$TH" run --rules "$rules" --data "$data" --threads "$t" >"$TMP/lazy$t.ndjson" 2>/dev/null
    if cmp -s "$TMP/eager.ndjson" "$TMP/lazy$t.ndjson"; then
      ok "$name: lazy mapping, $t threads: alerts byte-identical to --no-lazy"
    else
      nok "$name: lazy mapping, $t threads: alerts byte-identical to --no-lazy" "$(cmp "$TMP/eager.ndjson" "$TMP/lazy$t.ndjson")"
    fi
  done
  # events evaluated on documents made from exact slots (rawproj.h), and
  # without them (TH_NO_SLOTDOC: every planned event mapped); with the AWS
  # pack, the events of its broad ES|QL rules alone get the slots' values
  # without the document (pipeline.c slot_doc, bare)
  for t in 1 2; do
    TH_NO_SLOTDOC=1 "$TH" run --rules "$rules" --data "$data" --threads "$t" --profile >"$TMP/noslot$t.ndjson" 2>"$TMP/noslot$t.err"
    "$TH" run --rules "$rules" --data "$data" --threads "$t" --profile >"$TMP/slot$t.ndjson" 2>"$TMP/slot$t.err"
    made=$(sed -nE 's/.* ([0-9]+) evaluated on exact slots.*/\1/p' "$TMP/slot$t.err")
    none=$(sed -nE 's/.* ([0-9]+) evaluated on exact slots.*/\1/p' "$TMP/noslot$t.err")
    bare=$(sed -nE 's/.*; ([0-9]+) of them on the values alone.*/\1/p' "$TMP/slot$t.err")
    case "$rules" in */examples/rules) want_bare=0 ;; *) want_bare=1 ;; esac
    if cmp -s "$TMP/noslot$t.ndjson" "$TMP/slot$t.ndjson" && [ "${made:-0}" -gt 0 ] && [ "$none" = 0 ] &&
      [ "${bare:-0}" -ge "$want_bare" ]; then
      ok "$name: slot documents, $t threads: alerts byte-identical to mapping every event ($made events on slots, $bare without the document)"
    else
      nok "$name: slot documents, $t threads: alerts byte-identical to mapping every event" "made ${made:-?}, bare ${bare:-?}, without ${none:-?}; $(cmp "$TMP/noslot$t.ndjson" "$TMP/slot$t.ndjson" 2>&1)"
    fi
  done
  # one rule: the first look reads the routed keys only (no constants' slots;
  # this rule reads event.dataset)
  one="${TH_ROOT:-.}/examples/rules/defense_evasion_cloudtrail_logging_stopped.toml"
  TH_NO_SLOTDOC=1 "$TH" run --rules "$one" --data "$data" --threads 1 >"$TMP/noslot.ndjson" 2>/dev/null
  "$TH" run --rules "$one" --data "$data" --threads 1 >"$TMP/slot.ndjson" 2>/dev/null
  if cmp -s "$TMP/noslot.ndjson" "$TMP/slot.ndjson" && [ -s "$TMP/slot.ndjson" ]; then
    ok "$name: slot documents, one rule: alerts byte-identical ($(wc -l <"$TMP/slot.ndjson") alerts)"
  else
    nok "$name: slot documents, one rule: alerts byte-identical" "$(cmp "$TMP/noslot.ndjson" "$TMP/slot.ndjson" 2>&1)"
  fi
  TH_THREADS=1 "$TH" convert "$data" -o "$TMP/c1.ndjson" 2>/dev/null
  "$TH" convert "$data" --threads 2 -o "$TMP/c2.ndjson" 2>/dev/null
  if cmp -s "$TMP/c1.ndjson" "$TMP/c2.ndjson" && [ -s "$TMP/c1.ndjson" ]; then
    ok "$name: convert output identical for 1 and 2 threads"
  else
    nok "$name: convert output identical for 1 and 2 threads" "differs or empty"
  fi
  TH_THREADS=1 "$TH" match --rules "$rules" --data "$data" >"$TMP/m1.ndjson" 2>/dev/null
  TH_THREADS=2 "$TH" match --rules "$rules" --data "$data" >"$TMP/m2.ndjson" 2>/dev/null
  if cmp -s "$TMP/m1.ndjson" "$TMP/m2.ndjson" && [ -s "$TMP/m1.ndjson" ]; then
    ok "$name: match output identical for 1 and 2 threads"
  else
    nok "$name: match output identical for 1 and 2 threads" "differs or empty"
  fi
  # match takes the planned path; --no-lazy maps every event completely
  TH_THREADS=1 "$TH" match --rules "$rules" --data "$data" --no-lazy >"$TMP/m0.ndjson" 2>/dev/null
  if cmp -s "$TMP/m0.ndjson" "$TMP/m1.ndjson" && [ -s "$TMP/m0.ndjson" ]; then
    ok "$name: match output byte-identical to --no-lazy ($(wc -l <"$TMP/m0.ndjson") lines)"
  else
    nok "$name: match output byte-identical to --no-lazy" "$(cmp "$TMP/m0.ndjson" "$TMP/m1.ndjson" 2>&1)"
  fi
done
# A bare event's nodes (pipeline.c slot_doc, rawproj.h th_ecs_slots_nodes): with
# one thread they are the slots' own values, read before the next record's;
# a batch's workers evaluate every record before the batch's commit, and the
# captures keep the nodes' addresses until then, so theirs are copies. A day
# on which the broad ES|QL rules fire on such events (workers that borrowed
# the slots' values lose the GitHub OIDC rule's alert here).
"$TH" emulate background ci-token-theft eks-irsa-abuse esql-lookalikes --seed 3 --start 2026-10-01 \
  --days 1 --rate 600 --out - >"$TMP/bare.ndjson" 2>/dev/null
"$TH" run --rules "$rules" --data "$TMP/bare.ndjson" --threads 1 >"$TMP/bare1.ndjson" 2>/dev/null
"$TH" run --rules "$rules" --data "$TMP/bare.ndjson" --threads 1 --profile >/dev/null 2>"$TMP/bare1.err"
bare=$(sed -nE 's/.*; ([0-9]+) of them on the values alone.*/\1/p' "$TMP/bare1.err")
case "$rules" in */examples/rules) want_bare=0 ;; *) want_bare=1 ;; esac
for t in 2 3; do
  "$TH" run --rules "$rules" --data "$TMP/bare.ndjson" --threads "$t" >"$TMP/bare$t.ndjson" 2>/dev/null
  if cmp -s "$TMP/bare1.ndjson" "$TMP/bare$t.ndjson" && [ -s "$TMP/bare1.ndjson" ] && [ "${bare:-0}" -ge "$want_bare" ]; then
    ok "ES|QL day, $t threads: alerts byte-identical to one thread's ($(wc -l <"$TMP/bare1.ndjson") alerts, ${bare:-0} events on the values alone)"
  else
    nok "ES|QL day, $t threads: alerts byte-identical to one thread's" "bare ${bare:-?}; $(cmp "$TMP/bare1.ndjson" "$TMP/bare$t.ndjson" 2>&1)"
  fi
done
# A captured string handed over by a worker (hotpass.c find_captures,
# TH_CAPR_STR): IAM calls with a session key by six users, three of whose ARNs
# are longer than user_identity.arn's ignore_above (1024), so that they hold
# no term: the new-terms rule alerts the other three, with workers as with
# one thread (a worker's string taken whatever its length alerts all six; one
# cut by a byte alerts one).
R="$rules/persistence_iam_api_calls_via_user_session_token.toml"
if [ -f "$R" ]; then
  python3 - >"$TMP/longarn.ndjson" <<'PY'
import json
for i in range(600):
    u = i % 6
    name = "user%d" % u + ("-" + "x" * 1100 if u >= 3 else "")
    print(json.dumps({"eventVersion": "1.08",
        "userIdentity": {"type": "IAMUser", "principalId": "AIDA%d" % u,
                         "arn": "arn:aws:iam::111122223333:user/" + name,
                         "accountId": "111122223333", "accessKeyId": "ASIAAAAAAAAAAAAAAAA%d" % u,
                         "userName": name},
        "eventTime": "2026-03-01T10:%02d:%02dZ" % (i // 60, i % 60),
        "eventSource": "iam.amazonaws.com", "eventName": "ListUsers", "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7", "userAgent": "aws-cli/2.15.0",
        "requestParameters": None, "responseElements": None, "requestID": "r%d" % i,
        "eventID": "ev-%d" % i, "readOnly": True, "eventType": "AwsApiCall",
        "managementEvent": True, "recipientAccountId": "111122223333",
        "eventCategory": "Management"}, separators=(",", ":")))
PY
  "$TH" run --rules "$R" --data "$TMP/longarn.ndjson" --threads 1 >"$TMP/longarn1.ndjson" 2>/dev/null
  "$TH" run --rules "$R" --data "$TMP/longarn.ndjson" --threads 2 >"$TMP/longarn2.ndjson" 2>/dev/null
  if [ "$(wc -l <"$TMP/longarn1.ndjson")" -eq 3 ] && cmp -s "$TMP/longarn1.ndjson" "$TMP/longarn2.ndjson"; then
    ok "captured strings over ignore_above: none with workers as with one thread (3 alerts)"
  else
    nok "captured strings over ignore_above: none with workers as with one thread" \
      "$(wc -l <"$TMP/longarn1.ndjson") and $(wc -l <"$TMP/longarn2.ndjson") alerts, 3 wanted"
  fi
else
  skip "captured strings over ignore_above (no corpus rule)"
fi
# The temporal pass on several threads (th_engine_set_threads): the rules'
# passes run side by side, largest first, their alerts merged in rule order,
# and the rule over the alerts (ES|QL FROM .alerts-security.*) runs last over
# all of them. Alerts, the JSON summary and the state file are those of one
# thread: in a fresh run, in a run that continues saved state, and with a
# memory budget that the temporal pass reaches (one thread then redoes it).
strip() { sed -E 's/"(seconds|peak_rss_bytes)": *[0-9.e+-]+//g' "$1"; }
# a state file's contents but the wall-clock times of its creation and last run (every
# record, blobs included, where the sqlite3 shell is installed)
state_of() {
  "$TH" state show "$1" | tail -n +2 # its first line names the file
  if command -v sqlite3 >/dev/null; then sqlite3 "$1" .dump | grep -v "'last_run_at'\|'created'"; fi
}
mkdir -p "$TMP/tp"
# the budget's runs need well over 1 MB kept: the AWS pack keeps 7 MB over the
# two days above, the example rules about 1.0 MB since matches share their rows
# of captured values (hotpass.c row_keep), so these get eight days (3.1 MB)
mdata="$TMP/s3/AWSLogs"
if [ "$rules" = "${TH_ROOT:-.}/examples/rules" ]; then
  "$TH" emulate background iam-temp-creds log-tampering s3-exfiltration discovery-burst \
    console-admins aws-internal bedrock-abuse access-key-persistence ci-token-theft eks-irsa-abuse \
    --seed 3 --start 2026-10-01 --days 8 --rate 300 --out "$TMP/s3m" >/dev/null 2>&1
  mdata="$TMP/s3m/AWSLogs"
fi
for t in 1 2 3 8; do
  "$TH" run --rules "$rules" --data "$TMP/s3/AWSLogs" --threads "$t" >"$TMP/tp/a$t.ndjson" 2>/dev/null
  "$TH" run --rules "$rules" --data "$TMP/s3/AWSLogs" --threads "$t" --format json >"$TMP/tp/s$t.json" 2>/dev/null
  "$TH" run --rules "$rules" --data "$mdata" --threads "$t" --max-memory 1 --format json >"$TMP/tp/m$t.json" 2>/dev/null
  # day 1 lands, then day 2 (the state keeps the objects' paths: one place for every t)
  rm -rf "$TMP/tp/land" && mkdir -p "$TMP/tp/land"
  cp -r "$TMP/s3/AWSLogs" "$TMP/tp/land/"
  find "$TMP/tp/land" -type f ! -path '*/2026/10/01/*' -delete
  "$TH" run --rules "$rules" --data "$TMP/tp/land" --threads "$t" --state "$TMP/tp/st$t.db" >"$TMP/tp/d1-$t.ndjson" 2>/dev/null
  cp -r "$TMP/s3/AWSLogs" "$TMP/tp/land/"
  "$TH" run --rules "$rules" --data "$TMP/tp/land" --threads "$t" --state "$TMP/tp/st$t.db" --final >"$TMP/tp/d2-$t.ndjson" 2>/dev/null
done
kinds() { grep -q '"kibana.alert.rule.type":"new_terms"' "$1" && grep -q '"kibana.alert.rule.type":"eql"' "$1"; }
if grep -qs '98cfaa44-83f0-4aba-90c4-363fb9d51a75' "$rules"/*.toml; then # the rule over alerts
  n=$(grep -c '"kibana.alert.rule.rule_id":"98cfaa44-83f0-4aba-90c4-363fb9d51a75"' "$TMP/tp/a1.ndjson")
  if [ "$n" -gt 0 ] && kinds "$TMP/tp/a1.ndjson"; then
    ok "temporal pass: the pack's alerts include every kind and the rule over alerts ($n)"
  else
    nok "temporal pass: the pack's alerts include every kind and the rule over alerts" "$n"
  fi
else
  if kinds "$TMP/tp/a1.ndjson"; then ok "temporal pass: the example rules' alerts include new_terms and eql"
  else nok "temporal pass: the example rules' alerts include new_terms and eql"; fi
  skip "temporal pass: the rule over alerts (ES|QL FROM .alerts-security.*) is in the AWS pack of ../shared/corpus, absent here"
fi
if grep -q 'BUDGET REACHED\|"budget_reached":true' "$TMP/tp/m1.json" || "$TH" run --rules "$rules" --data "$mdata" --threads 1 --max-memory 1 --format summary 2>&1 >/dev/null | grep -q 'BUDGET REACHED'; then
  ok "temporal pass: --max-memory 1 reaches the budget"
else
  nok "temporal pass: --max-memory 1 reaches the budget"
fi
for t in 2 3 8; do
  if cmp -s "$TMP/tp/a1.ndjson" "$TMP/tp/a$t.ndjson" && [ "$(strip "$TMP/tp/s1.json")" = "$(strip "$TMP/tp/s$t.json")" ] &&
     [ "$(strip "$TMP/tp/m1.json")" = "$(strip "$TMP/tp/m$t.json")" ]; then
    ok "temporal pass, $t threads: alerts and summary (also with the budget reached) those of one thread"
  else
    nok "temporal pass, $t threads: alerts and summary (also with the budget reached) those of one thread" \
      "$(cmp "$TMP/tp/a1.ndjson" "$TMP/tp/a$t.ndjson" 2>&1; diff <(strip "$TMP/tp/s1.json") <(strip "$TMP/tp/s$t.json") | head -4; diff <(strip "$TMP/tp/m1.json") <(strip "$TMP/tp/m$t.json") | head -4)"
  fi
  if cmp -s "$TMP/tp/d1-1.ndjson" "$TMP/tp/d1-$t.ndjson" && cmp -s "$TMP/tp/d2-1.ndjson" "$TMP/tp/d2-$t.ndjson" &&
     [ "$(state_of "$TMP/tp/st1.db")" = "$(state_of "$TMP/tp/st$t.db")" ] && [ -s "$TMP/tp/d2-1.ndjson" ]; then
    ok "temporal pass, $t threads: --state runs: alerts of each run and the state file those of one thread"
  else
    nok "temporal pass, $t threads: --state runs: alerts of each run and the state file those of one thread" \
      "$(cmp "$TMP/tp/d1-1.ndjson" "$TMP/tp/d1-$t.ndjson" 2>&1; cmp "$TMP/tp/d2-1.ndjson" "$TMP/tp/d2-$t.ndjson" 2>&1; diff <(state_of "$TMP/tp/st1.db") <(state_of "$TMP/tp/st$t.db") | head -4)"
  fi
done
expect_rc "run --profile works" 1 "$TH" run --rules "$rules" --data "$TMP/ev.ndjson" --profile --format summary
expect_grep "profile names the stages" 'profile \(stages, CPU ms' "$TMP/err"
expect_grep "profile names the mapping levels" 'ruled out before mapping' "$TMP/err"
expect_grep "summary gives the peak RSS" 'peak RSS [0-9]+ MB' "$TMP/err"
expect_rc "run --threads rejects junk" 2 "$TH" run --rules "$rules" --data "$TMP/ev.ndjson" --threads x
"$TH" run --help >"$TMP/help" 2>&1
expect_grep "help states the default thread count" 'default: the number of cores' "$TMP/help"

# Deferred lines: with worker threads the reading thread only splits NDJSON
# lines and the workers scan them; a line they cannot take (malformed, not an
# event, a container, a tab between tokens) goes back to io in input order.
# Records, their order and index, the counts and the messages are those of one
# thread.
mkdir -p "$TMP/mixed"
"$TH" emulate background --seed 9 --start 2026-10-01 --days 1 --rate 60 --out - >"$TMP/base.ndjson" 2>/dev/null
{
  head -700 "$TMP/base.ndjson"
  echo '{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"tab-between-tokens",	"awsRegion":"us-east-1"}'
  echo '{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:01Z","eventSource":"iam.amazonaws.com"'
  echo '{"not":"an event"}'
  echo '  {"eventVersion":"1.08","eventTime":"2026-10-01T10:00:02Z","eventSource":"iam.amazonaws.com","eventName":"ListRoles","eventID":"leading-space"}'
  echo '{"x":1,"Records":[{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:03Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"in-container-1"},{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:04Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","eventID":"in-container-2"}]}'
  echo '{"Records":[{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:05Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"records-first"}]}'
  printf '{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:06Z","eventSource":"iam.amazonaws.com","eventName":"Bad\xff","eventID":"bad-utf8"}\n'
  echo '{"digestStartTime":"2026-10-01T00:00:00Z","digestEndTime":"2026-10-01T01:00:00Z"}'
  echo '{"@timestamp":"2026-10-01T10:00:07Z","event":{"action":"ListUsers","provider":"iam.amazonaws.com"},"message":"an ECS document"}'
  sed -n '701,1400p' "$TMP/base.ndjson"
} >"$TMP/mixed/a.ndjson"
sed -n '1401,$p' "$TMP/base.ndjson" >"$TMP/mixed/b.ndjson"
catchall="${TH_ROOT:-.}/bench/rules-catchall"
for t in 1 3; do
  "$TH" match --rules "$catchall" --data "$TMP/mixed" --threads "$t" >"$TMP/mm$t.ndjson" 2>"$TMP/mm$t.err"
  "$TH" run --rules "$catchall" --data "$TMP/mixed" --threads "$t" -o "$TMP/mr$t.ndjson" 2>/dev/null
  "$TH" run --rules "$catchall" --data "$TMP/mixed" --threads "$t" -o "$TMP/ms$t.json" --format json 2>/dev/null
done
n=$(wc -l <"$TMP/mm1.ndjson")
if [ "$n" -gt 1400 ] && grep -q '"event.id":"in-container-2"' "$TMP/mm1.ndjson" && grep -q '"event.id":"tab-between-tokens"' "$TMP/mm1.ndjson"; then
  ok "mixed NDJSON: every event read ($n), the container's and the tabbed line's too"
else
  nok "mixed NDJSON: every event read" "$n lines"
fi
if cmp -s "$TMP/mm1.ndjson" "$TMP/mm3.ndjson"; then ok "mixed NDJSON: match output (event index and order) identical for 1 and 3 threads"; else nok "mixed NDJSON: match identical for 1 and 3 threads" "$(diff "$TMP/mm1.ndjson" "$TMP/mm3.ndjson" | head -4)"; fi
if cmp -s "$TMP/mr1.ndjson" "$TMP/mr3.ndjson" && [ -s "$TMP/mr1.ndjson" ]; then ok "mixed NDJSON: alerts identical for 1 and 3 threads"; else nok "mixed NDJSON: alerts identical for 1 and 3 threads" "differ or empty"; fi
# the summary's counts (input: records, skipped, malformed, not events) apart from the timings
strip() { sed -E 's/"(seconds|peak_rss_bytes)": *[0-9.e+-]+//g' "$1"; }
if [ "$(strip "$TMP/ms1.json")" = "$(strip "$TMP/ms3.json")" ] && grep -q '"records_skipped":4' "$TMP/ms1.json"; then
  ok "mixed NDJSON: summary counts identical for 1 and 3 threads (4 records skipped)"
else
  nok "mixed NDJSON: summary counts identical for 1 and 3 threads" "$(diff <(strip "$TMP/ms1.json") <(strip "$TMP/ms3.json") | head -6)"
fi
if [ "$(sort "$TMP/mm1.err")" = "$(sort "$TMP/mm3.err")" ] && grep -q 'a.ndjson:702:92: error: malformed record' "$TMP/mm1.err"; then
  ok "mixed NDJSON: the same messages for 1 and 3 threads (malformed line 702 named)"
else
  nok "mixed NDJSON: the same messages for 1 and 3 threads" "$(diff <(sort "$TMP/mm1.err") <(sort "$TMP/mm3.err") | head -6)"
fi

# Whole files on the workers: with worker threads, files up to 1 MiB (S3
# objects) are opened, inflated and split by the workers, and their records,
# counts and messages taken in input order. A day of S3 objects with a
# truncated and a corrupt object, digests and text files among them gives the
# alerts, summary counts and messages (in the same order) of one thread.
"$TH" emulate background log-tampering --seed 4 --start 2026-10-01 --days 1 --rate 400 --out "$TMP/s3" >/dev/null 2>&1
mapfile -t objs < <(ls -S "$TMP"/s3/AWSLogs/*/CloudTrail/*/2026/10/01/*.json.gz)
dir=$(dirname "${objs[0]}")
head -c 3000 "${objs[0]}" >"$dir/zz-truncated.json.gz"
{ head -c 2000 "${objs[1]}"; printf 'garbage-in-the-middle'; tail -c +2022 "${objs[1]}"; } >"$dir/zz-corrupt.json.gz"
echo '{"digestStartTime":"2026-10-01T00:00:00Z","digestEndTime":"2026-10-01T01:00:00Z","logFiles":[]}' >"$dir/zz-digest.json"
echo 'not json at all' >"$dir/zz-notes.txt"
# a digest skipped by its path: its note ends the input, after the messages of
# the last file (read on a worker)
mkdir -p "$TMP/s3/AWSLogs/1/CloudTrail-Digest/us-east-1/2026/10/01"
echo '{}' >"$TMP/s3/AWSLogs/1/CloudTrail-Digest/us-east-1/2026/10/01/d.json.gz"
echo 'not json either' >"$TMP/s3/zz-last.txt"
for t in 1 3; do
  "$TH" run --rules "$catchall" --data "$TMP/s3" --threads "$t" -o "$TMP/s3r$t.ndjson" 2>"$TMP/s3r$t.err"
  "$TH" run --rules "$catchall" --data "$TMP/s3" --threads "$t" -o "$TMP/s3s$t.json" --format json 2>/dev/null
done
if cmp -s "$TMP/s3r1.ndjson" "$TMP/s3r3.ndjson" && [ -s "$TMP/s3r1.ndjson" ]; then ok "S3 objects: alerts identical for 1 and 3 threads"; else nok "S3 objects: alerts identical for 1 and 3 threads" "differ or empty"; fi
if [ "$(strip "$TMP/s3s1.json")" = "$(strip "$TMP/s3s3.json")" ] && grep -q '"records_skipped"' "$TMP/s3s1.json"; then
  ok "S3 objects: summary counts identical for 1 and 3 threads"
else
  nok "S3 objects: summary counts identical for 1 and 3 threads" "$(diff <(strip "$TMP/s3s1.json") <(strip "$TMP/s3s3.json") | head -6)"
fi
timing() { grep -v ' read in '; }
if [ "$(timing <"$TMP/s3r1.err")" = "$(timing <"$TMP/s3r3.err")" ] && grep -q 'zz-truncated.json.gz: byte 3000: error: gzip: truncated' "$TMP/s3r1.err" &&
  grep -q 'zz-corrupt.json.gz: .*error: gzip' "$TMP/s3r1.err" &&
  last=$(grep -n 'zz-last.txt' "$TMP/s3r3.err" | cut -d: -f1) &&
  note=$(grep -n 'digest files skipped by their path' "$TMP/s3r3.err" | cut -d: -f1) &&
  [ "$last" -lt "$note" ]; then
  ok "S3 objects: the same messages in the same order for 1 and 3 threads"
else
  nok "S3 objects: the same messages in the same order for 1 and 3 threads" "$(diff <(timing <"$TMP/s3r1.err") <(timing <"$TMP/s3r3.err") | head -6)"
fi

# Lines that are no event beside the S3 objects (a labels file, as the
# emulated S3 day has): the workers judge them, and the reading thread only
# counts them from that verdict (io's th_input_settle_judged), in input order.
# Two batches or more of lines: the file's report names its first non-event
# line and counts them all; the events among them keep their place and index
# (match output); counts, messages and alerts are those of one thread.
mkdir -p "$TMP/lab"
cp -r "$TMP/s3/AWSLogs" "$TMP/lab/"
{
  sed -n '1,600p' "$TMP/base.ndjson"
  i=0
  while IFS= read -r ev; do
    i=$((i + 1))
    echo "{\"label\":$i,\"malicious\":false,\"rules\":[]}"
    [ "$i" = 300 ] && echo '{"digestStartTime":"2026-10-01T00:00:00Z","digestEndTime":"2026-10-01T01:00:00Z"}'
    echo "$ev"
  done < <(sed -n '601,1200p' "$TMP/base.ndjson")
} >"$TMP/lab/labels.ndjson"
for t in 1 2 3; do
  "$TH" match --rules "$catchall" --data "$TMP/lab" --threads "$t" >"$TMP/lm$t.ndjson" 2>"$TMP/lm$t.err"
  "$TH" run --rules "$catchall" --data "$TMP/lab" --threads "$t" -o "$TMP/ls$t.json" --format json 2>"$TMP/ls$t.err"
done
for t in 2 3; do
  if cmp -s "$TMP/lm1.ndjson" "$TMP/lm$t.ndjson" && [ -s "$TMP/lm1.ndjson" ] && cmp -s "$TMP/lm1.err" "$TMP/lm$t.err" &&
    [ "$(strip "$TMP/ls1.json")" = "$(strip "$TMP/ls$t.json")" ] &&
    [ "$(timing <"$TMP/ls1.err")" = "$(timing <"$TMP/ls$t.err")" ]; then
    ok "labels beside S3 objects, $t threads: match output, summary counts and messages (in order) those of one thread"
  else
    nok "labels beside S3 objects, $t threads: match output, summary counts and messages (in order) those of one thread" \
      "$(diff "$TMP/lm1.ndjson" "$TMP/lm$t.ndjson" | head -2)" "$(diff "$TMP/lm1.err" "$TMP/lm$t.err" | head -4)" \
      "$(diff <(strip "$TMP/ls1.json") <(strip "$TMP/ls$t.json") | head -4)"
  fi
done
expect_grep "labels beside S3 objects: the first non-event line named, all 600 counted" \
  'labels.ndjson:601:1: warning: 600 JSON values are neither' "$TMP/lm3.err"

# Big NDJSON files read in parts: with worker threads a plain NDJSON file of
# two parts or more (1 MiB each; TH_PART_BYTES sets it for tests) is read by
# the workers, a part each, instead of being split by the reading thread. In
# parts of 777 and 4096 bytes (lines cut anywhere), the mixed files and the
# labels beside S3 objects (files under 1 MiB are read whole, as before) give
# the match output, alerts, summary counts and messages (in order) of one
# thread, and --profile counts the parts.
for pb in 777 4096; do
  for t in 2 3; do
    TH_PART_BYTES=$pb "$TH" match --rules "$catchall" --data "$TMP/mixed" --threads "$t" >"$TMP/pm.ndjson" 2>"$TMP/pm.err"
    TH_PART_BYTES=$pb "$TH" run --rules "$catchall" --data "$TMP/mixed" --threads "$t" -o "$TMP/pr.ndjson" 2>/dev/null
    TH_PART_BYTES=$pb "$TH" run --rules "$catchall" --data "$TMP/mixed" --threads "$t" -o "$TMP/ps.json" --format json 2>/dev/null
    TH_PART_BYTES=$pb "$TH" match --rules "$catchall" --data "$TMP/lab" --threads "$t" >"$TMP/plm.ndjson" 2>"$TMP/plm.err"
    if cmp -s "$TMP/mm1.ndjson" "$TMP/pm.ndjson" && cmp -s "$TMP/mm1.err" "$TMP/pm.err" &&
      cmp -s "$TMP/mr1.ndjson" "$TMP/pr.ndjson" && [ "$(strip "$TMP/ms1.json")" = "$(strip "$TMP/ps.json")" ] &&
      cmp -s "$TMP/lm1.ndjson" "$TMP/plm.ndjson" && cmp -s "$TMP/lm1.err" "$TMP/plm.err"; then
      ok "parts of $pb bytes, $t threads: match output, alerts, summary counts and messages (in order) those of one thread"
    else
      nok "parts of $pb bytes, $t threads: match output, alerts, summary counts and messages (in order) those of one thread" \
        "$(diff "$TMP/mm1.ndjson" "$TMP/pm.ndjson" | head -2)" "$(diff "$TMP/mm1.err" "$TMP/pm.err" | head -4)" \
        "$(diff <(strip "$TMP/ms1.json") <(strip "$TMP/ps.json") | head -4)" "$(diff "$TMP/lm1.err" "$TMP/plm.err" | head -4)"
    fi
  done
done
TH_PART_BYTES=777 "$TH" run --rules "$catchall" --data "$TMP/mixed" --threads 2 --profile -o /dev/null 2>"$TMP/pp.err"
expect_grep "parts: --profile counts the parts the workers read" \
  'profile \(reading\): 1 files read whole and [0-9]{4,} parts of big NDJSON files' "$TMP/pp.err"
"$TH" run --rules "$catchall" --data "$TMP/lab/AWSLogs" --threads 1 -o "$TMP/ls0.json" --format json 2>/dev/null
skipped() { grep -o '"records_skipped":[0-9]*' "$1" | cut -d: -f2; }
if [ -n "$(skipped "$TMP/ls0.json")" ] && [ $(($(skipped "$TMP/ls3.json") - $(skipped "$TMP/ls0.json"))) = 601 ]; then
  ok "labels beside S3 objects: 601 more records skipped than the objects alone (600 labels and the digest)"
else
  nok "labels beside S3 objects: 601 more records skipped than the objects alone" "$(skipped "$TMP/ls0.json") / $(skipped "$TMP/ls3.json")"
fi

# Strings numbered by the workers (hotpass.c lid_of): the commit finds the
# list of a string a worker numbered by its number, but only while the
# engine still stores the field's strings. 5,000 distinct source addresses
# fill the engine's table (each later string a list of its own), then the
# events return to the first 400, which the workers numbered before: one
# thread's bytes kept, exactly, at every thread count (taking the stored list
# by number there keeps fewer).
awk 'BEGIN {
  for (i = 0; i < 15000; i++) {
    k = i < 5000 ? i : (i * 7) % 400
    printf "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDAX\",\"arn\":\"arn:aws:iam::123456789012:user/u%d\",\"accountId\":\"123456789012\",\"accessKeyId\":\"AKIAX%d\",\"userName\":\"u%d\"},\"eventTime\":\"2026-10-01T%02d:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"10.%d.%d.%d\",\"userAgent\":\"aws-cli/2.15.0\",\"requestParameters\":null,\"responseElements\":null,\"requestID\":\"r%d\",\"eventID\":\"e%d\",\"readOnly\":true,\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"123456789012\",\"eventCategory\":\"Management\"}\n", i % 7, i % 7, i % 7, int(i / 3600), int(i / 60) % 60, i % 60, int(k / 65536), int(k / 256) % 256, k % 256, i, i
  }
}' >"$TMP/addr.ndjson"
cat >"$TMP/esql_addr.toml" <<'TOML'
[metadata]
creation_date = "2026/12/07"
maturity = "production"
updated_date = "2026/12/07"

[rule]
author = ["trailhound tests"]
description = "The addresses each user called S3 from (captures source.address)."
from = "now-60m"
interval = "30m"
language = "esql"
license = "Elastic License v2"
name = "Test ES|QL Addresses Per User"
risk_score = 21
rule_id = "7d1e2f3a-0b1c-4d2e-8f3a-4b5c6d7e8f90"
severity = "low"
type = "esql"
query = '''
from logs-aws.cloudtrail-*
| where event.provider == "s3.amazonaws.com"
| stats Esql.n = count_distinct(source.address), Esql.addrs = values(source.address) by user.name
| where Esql.n > 100000
'''
TOML
mem() { grep -o '"memory":{[^}]*}' "$1"; }
"$TH" run --rules "$TMP/esql_addr.toml" --data "$TMP/addr.ndjson" --threads 1 --format json -o "$TMP/am1.json" 2>/dev/null
for t in 2 3; do
  TH_PART_BYTES=65536 "$TH" run --rules "$TMP/esql_addr.toml" --data "$TMP/addr.ndjson" --threads "$t" \
    --format json -o "$TMP/am$t.json" 2>/dev/null
  if [ -n "$(mem "$TMP/am1.json")" ] && [ "$(mem "$TMP/am1.json")" = "$(mem "$TMP/am$t.json")" ] &&
    grep -q '"match_bytes":[1-9]' "$TMP/am1.json"; then
    ok "numbered strings, $t threads: the engine keeps one thread's lists, byte for byte ($(grep -o '"match_bytes":[0-9]*' "$TMP/am1.json"))"
  else
    nok "numbered strings, $t threads: the engine keeps one thread's lists, byte for byte" "$(mem "$TMP/am1.json")" "$(mem "$TMP/am$t.json")"
  fi
done

# Lines the workers give back (a tab between tokens: settled on the reading
# thread, in input order) among lines they take, in one small file (not in
# parts), under an ES|QL rule whose values (addresses, agents) every event
# captures: the settled lines are prepared with the batch's own hits, which
# number nothing, between records a worker numbered. Alerts (each user's
# values) and the engine's bytes are one thread's at two and three threads;
# numbers read in the wrong thread's numbering change the values.
awk 'BEGIN {
  for (i = 0; i < 3400; i++) {
    k = (i * 7919) % 97; u = (i * 31) % 5
    sep = (i % 9 == 4) ? ",\t" : ","
    printf "{\"eventVersion\":\"1.09\"%s\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDAX\",\"arn\":\"arn:aws:iam::123456789012:user/u%d\",\"accountId\":\"123456789012\",\"accessKeyId\":\"AKIAX%d\",\"userName\":\"u%d\"},\"eventTime\":\"2026-10-01T%02d:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"10.0.%d.%d\",\"userAgent\":\"aws-cli/2.15.%d\",\"requestParameters\":null,\"responseElements\":null,\"requestID\":\"r%d\",\"eventID\":\"e%d\",\"readOnly\":true,\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"123456789012\",\"eventCategory\":\"Management\"}\n", sep, u, u, u, int(i / 3600), int(i / 60) % 60, i % 60, int(k / 10), k % 10, (i * 13) % 17, i, i
  }
}' >"$TMP/settle.ndjson"
sed -e 's/Test ES|QL Addresses Per User/Test ES|QL Values Per User/' \
  -e 's/7d1e2f3a-0b1c-4d2e-8f3a-4b5c6d7e8f90/1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b/' \
  -e 's/^| stats .*/| stats Esql.addrs = values(source.address), Esql.agents = values(user_agent.original), Esql.n = count(*) by user.name/' \
  -e '/^| where Esql.n > 100000/d' "$TMP/esql_addr.toml" >"$TMP/esql_values.toml"
"$TH" run --rules "$TMP/esql_values.toml" --data "$TMP/settle.ndjson" --threads 1 -o "$TMP/sv1.ndjson" 2>/dev/null
"$TH" run --rules "$TMP/esql_values.toml" --data "$TMP/settle.ndjson" --threads 1 --format json -o "$TMP/sj1.json" 2>/dev/null
for t in 2 3; do
  "$TH" run --rules "$TMP/esql_values.toml" --data "$TMP/settle.ndjson" --threads "$t" -o "$TMP/sv$t.ndjson" 2>/dev/null
  "$TH" run --rules "$TMP/esql_values.toml" --data "$TMP/settle.ndjson" --threads "$t" --format json -o "$TMP/sj$t.json" 2>/dev/null
  if [ -s "$TMP/sv1.ndjson" ] && cmp -s "$TMP/sv1.ndjson" "$TMP/sv$t.ndjson" && [ -n "$(mem "$TMP/sj1.json")" ] &&
    [ "$(mem "$TMP/sj1.json")" = "$(mem "$TMP/sj$t.json")" ]; then
    ok "settled lines among numbered ones, $t threads: alerts and kept bytes those of one thread ($(wc -l <"$TMP/sv1.ndjson") alerts)"
  else
    nok "settled lines among numbered ones, $t threads: alerts and kept bytes those of one thread" \
      "$(cmp "$TMP/sv1.ndjson" "$TMP/sv$t.ndjson" 2>&1)" "$(mem "$TMP/sj1.json")" "$(mem "$TMP/sj$t.json")"
  fi
done
