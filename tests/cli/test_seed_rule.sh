# The seed rule, "AWS IAM API Calls via Temporary Session Tokens" (Elastic's
# persistence_iam_api_calls_via_user_session_token.toml, new_terms on
# aws.cloudtrail.user_identity.arn, 7-day history), over 30 days of emulated raw
# CloudTrail that carry every pattern the rule must ignore: AWS-internal
# operations (no IP, user agent "AWS Internal"), AWS services acting for a user
# (source is a service name), console sessions (sessionCredentialFromConsole
# "true"), long-term AKIA keys, assumed roles, failed calls; and one attacker
# using a stolen ASIA session from an external IP.
. "$(dirname "$0")/lib.sh"
SEED="$CORPUS/detection-rules/rules/integrations/aws/persistence_iam_api_calls_via_user_session_token.toml"
if [ ! -f "$SEED" ]; then
  skip "seed rule scenario (../shared/corpus absent)"
  exit 0
fi
ID=c70d9f0d-8cb6-4cfc-85df-a95c1ccf4eab
"$TH" emulate background iam-temp-creds iam-lookalikes aws-internal console-admins cicd-pipelines \
  --seed 11 --start 2026-10-01 --days 30 --rate 40 --out "$TMP/d" 2>"$TMP/err" || nok "emulate" "$(cat "$TMP/err")"

# Expected, from the scenario's construction: the attacker's IAM calls are the
# only records the query selects (the story makes 10 successful IAM calls with
# the stolen ASIA key from one external IP, plus a denied call and an STS call
# that the query excludes); the labels name the seed rule on exactly those.
want_ids=$(grep "\"rules\":\[\"$ID\"" "$TMP/d/labels.ndjson" | grep -o '"eventID":"[^"]*"' | cut -d'"' -f4 | sort)
nwant=$(printf '%s\n' "$want_ids" | grep -c .)
if [ "$nwant" -eq 10 ]; then ok "labels name the seed rule on the attacker's 10 IAM calls"; else nok "labels name the seed rule on the attacker's 10 IAM calls" "got $nwant"; fi

# 1. The filter: `match` selects exactly the attacker records, none of the look-alikes.
"$TH" match --rules "$SEED" --data "$TMP/d/AWSLogs" >"$TMP/m" 2>"$TMP/err"
got_ids=$(grep -o '"event.id":"[^"]*"' "$TMP/m" | cut -d'"' -f4 | sort)
if [ "$got_ids" = "$want_ids" ]; then ok "match: the query selects exactly the 10 attacker records"; else nok "match: the query selects exactly the 10 attacker records" "$(diff <(echo "$want_ids") <(echo "$got_ids") | head -20)"; fi

# 2. The rule as Elastic runs it (new_terms): the attacker's user ARN was never
# seen in the 7-day history, so exactly ONE alert, built from the attacker's
# first IAM call; later calls carry the same term and raise nothing.
"$TH" run --rules "$SEED" --data "$TMP/d/AWSLogs" -o "$TMP/alerts" 2>"$TMP/err"
nal=$(grep -c . "$TMP/alerts")
if [ "$nal" -eq 1 ]; then ok "run: the new_terms rule raises exactly 1 alert in 30 days"; else nok "run: the new_terms rule raises exactly 1 alert in 30 days" "got $nal" "$(tail -5 "$TMP/err")"; fi
aid=$(grep -o '"event":{[^}]*"id":"[^"]*"' "$TMP/alerts" | grep -o '"id":"[^"]*"' | cut -d'"' -f4)
first=$(grep "\"rules\":\[\"$ID\"" "$TMP/d/labels.ndjson" | sort -t'"' -k8 | head -1 | grep -o '"eventID":"[^"]*"' | cut -d'"' -f4)
if [ -n "$aid" ] && [ "$aid" = "$first" ]; then ok "run: the alert is the attacker's first IAM call"; else nok "run: the alert is the attacker's first IAM call" "alert event $aid, first attacker call $first"; fi
if grep -q '"kibana.alert.new_terms":\["arn:aws:iam::' "$TMP/alerts" || grep -q '"new_terms":\["arn:aws:iam::' "$TMP/alerts"; then ok "run: kibana.alert.new_terms holds the attacker's user ARN"; else nok "run: kibana.alert.new_terms holds the attacker's user ARN" "$(head -c 600 "$TMP/alerts")"; fi

# 3. The same query as a plain `query` rule alerts on every attacker record: 10.
sed 's/^type = "new_terms"/type = "query"/' "$SEED" | grep -v '^\[rule.new_terms\]' >"$TMP/q.toml"
python3 - "$TMP/q.toml" <<'PY' 2>/dev/null || true
import sys, re
p = sys.argv[1]; s = open(p).read()
s = re.sub(r'\nfield = "new_terms_fields"\nvalue = \[[^\]]*\]\n\[\[rule.new_terms.history_window_start\]\]\nfield = "history_window_start"\nvalue = "[^"]*"\n', '\n', s)
open(p, 'w').write(s)
PY
"$TH" run --rules "$TMP/q.toml" --data "$TMP/d/AWSLogs" -o "$TMP/qalerts" 2>"$TMP/err"
q_ids=$(grep -o '"event":{[^}]*"id":"[^"]*"' "$TMP/qalerts" | grep -o '"id":"[^"]*"' | cut -d'"' -f4 | sort)
if [ "$q_ids" = "$want_ids" ]; then ok "run: as a query rule it alerts exactly on the 10 attacker records"; else nok "run: as a query rule it alerts exactly on the 10 attacker records" "$(diff <(echo "$want_ids") <(echo "$q_ids") | head)" "$(tail -3 "$TMP/err")"; fi
