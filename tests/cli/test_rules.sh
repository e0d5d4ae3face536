# trailhound rules list|show|validate on examples/rules and on broken files.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-.}
EX="$ROOT/examples/rules"
nex=$(ls "$EX"/*.toml | wc -l)

expect_rc "rules --help exits 0" 0 "$TH" rules --help
expect_grep "rules --help lists sub-verbs" '^  validate ' "$TMP/out"
expect_rc "rules without sub-verb is a usage error" 2 "$TH" rules
expect_rc "rules unknown sub-verb is a usage error" 2 "$TH" rules frob
for v in list show validate; do
  expect_rc "rules $v --help exits 0" 0 "$TH" rules $v --help
  expect_grep "rules $v --help shows usage" "^usage: trailhound rules $v" "$TMP/out"
  expect_rc "rules $v without PATH is a usage error" 2 "$TH" rules $v
  expect_rc "rules $v on a missing path exits 2" 2 "$TH" rules $v "$TMP/does-not-exist"
  expect_grep "rules $v names the missing path" 'does-not-exist' "$TMP/err"
done
expect_rc "rules list --format xml is a usage error" 2 "$TH" rules list --format xml "$EX"

# list
expect_rc "rules list examples exits 0" 0 "$TH" rules list "$EX"
n=$(wc -l < "$TMP/out")
if [ "$n" -eq "$nex" ]; then ok "rules list prints one line per rule ($n)"; else nok "rules list prints one line per rule" "got $n lines for $nex files"; fi
expect_grep "rules list shows rule_id, type, language, severity, name" \
  '^8feca50a-a502-4c42-84d7-a1df3a88f4ed +threshold +kuery +medium +Example: AWS Many Access Denied' "$TMP/out"
expect_rc "rules list --type eql exits 0" 0 "$TH" rules list --type eql "$EX"
if [ "$(wc -l < "$TMP/out")" -eq 1 ] && grep -q ' eql ' "$TMP/out"; then ok "rules list --type filters"; else nok "rules list --type filters" "$(cat "$TMP/out")"; fi

expect_rc "rules list --format json exits 0" 0 "$TH" rules list --format json "$EX"
if python3 - "$TMP/out" "$nex" <<'PY'
import json, sys
rules = json.load(open(sys.argv[1]))
assert isinstance(rules, list) and len(rules) == int(sys.argv[2]), len(rules)
for r in rules:
    for k in ("rule_id", "name", "type", "language", "severity", "risk_score", "path"):
        assert k in r, k
nt = [r for r in rules if r["type"] == "new_terms"][0]
assert nt["new_terms"]["fields"] == ["aws.cloudtrail.user_identity.arn", "cloud.region"], nt
assert nt["lookback_ms"] == 360000 and nt["interval_ms"] == 300000
es = [r for r in rules if r["type"] == "esql"][0]
assert es["lookback_ms"] == 15 * 60000 and es["alert_suppression"]["duration_ms"] == 30 * 60000
PY
then ok "rules list --format json parses and carries the fields"; else nok "rules list --format json parses and carries the fields"; fi

# show
f="$EX/discovery_many_access_denied_errors.toml"
expect_rc "rules show exits 0" 0 "$TH" rules show "$f"
expect_grep "rules show has the schedule section" '^\[schedule\]' "$TMP/out"
expect_grep "rules show gives the lookback" 'now-6m \(looks back 6m\)' "$TMP/out"
expect_grep "rules show gives the query position" '^\[query, line [0-9]+ col 1\]' "$TMP/out"
expect_grep "rules show gives the threshold" 'distinct event.action >= 10' "$TMP/out"
expect_grep "rules show gives the ATT&CK mapping" 'TA0007 Discovery' "$TMP/out"
expect_rc "rules show --format json exits 0" 0 "$TH" rules show --format json "$f"
if python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; assert r["threshold"]["value"]==20 and r["query"].startswith("event.dataset")' "$TMP/out"; then
  ok "rules show --format json parses"; else nok "rules show --format json parses"; fi

# validate
expect_rc "rules validate examples exits 0" 0 "$TH" rules validate "$EX"
expect_grep "rules validate summary counts the rules" "^$nex files: $nex rules, 0 hunting queries loaded, 0 failed to load; 0 errors, 0 warnings" "$TMP/out"

mkdir -p "$TMP/bad"
sed 's/^risk_score = 47$/risk_score = 470/' "$EX/defense_evasion_cloudtrail_logging_stopped.toml" > "$TMP/bad/risk.toml"
line=$(grep -n '^risk_score = 470' "$TMP/bad/risk.toml" | cut -d: -f1)
expect_rc "rules validate on a bad value exits 1" 1 "$TH" rules validate "$TMP/bad/risk.toml"
expect_grep "rules validate reports file:line:col" "^$TMP/bad/risk.toml:$line:14: error: 'rule.risk_score' must be between 0 and 100" "$TMP/out"
expect_grep "rules validate summary counts the error" '1 error' "$TMP/out"

head -c 300 "$EX/defense_evasion_cloudtrail_logging_stopped.toml" > "$TMP/bad/trunc.toml"
printf 'name = "unterminated\n' >> "$TMP/bad/trunc.toml"
expect_rc "rules validate on a broken file exits 1" 1 "$TH" rules validate "$TMP/bad/trunc.toml"
expect_grep "a parse error is reported as file:line:col" "^$TMP/bad/trunc.toml:[0-9]+:[0-9]+: error: " "$TMP/out"
expect_grep "the broken file counts as failed" '1 failed to load' "$TMP/out"

cp "$EX"/*.toml "$TMP/bad/"
expect_rc "rules list still lists the good files next to broken ones" 1 "$TH" rules list "$TMP/bad"
n=$(wc -l < "$TMP/out")
if [ "$n" -eq $((nex + 1)) ]; then ok "rules list skips only the broken file"; else nok "rules list skips only the broken file" "got $n lines"; fi
expect_grep "rules list reports the broken file on stderr" 'trunc.toml:[0-9]+:[0-9]+: error' "$TMP/err"

printf 'colour = "blue"\n' | cat "$EX/credential_access_sts_session_token_for_iam_user.toml" - > "$TMP/unknown.toml"
expect_rc "an unknown key alone is only a warning (exit 0)" 0 "$TH" rules validate "$TMP/unknown.toml"
expect_grep "the unknown key is named, at its table" "unknown.toml:[0-9]+:1: warning: unknown key 'rule.threat.tactic.colour'" "$TMP/out"
expect_rc "--errors-only hides warnings" 0 "$TH" rules validate --errors-only "$TMP/unknown.toml"
if grep -q 'warning:' "$TMP/out"; then nok "--errors-only prints no warning line"; else ok "--errors-only prints no warning line"; fi
expect_rc "rules validate --format json exits 1 on errors" 1 "$TH" rules validate --format json "$TMP/bad/risk.toml"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["line"]>0 and d[0]["severity"]=="error"' "$TMP/out"; then
  ok "rules validate --format json parses"; else nok "rules validate --format json parses"; fi

# the corpus, when present
AWS="$CORPUS/detection-rules/rules/integrations/aws"
if [ -d "$AWS" ]; then
  expect_rc "the AWS rule pack validates" 0 "$TH" rules validate "$AWS"
  expect_grep "194 AWS rules, no errors" '^194 files: 194 rules, 0 hunting queries loaded, 0 failed to load; 0 errors' "$TMP/out"
else
  skip "the AWS rule pack validates (corpus absent)"
fi

# a hunting file
cat > "$TMP/hunt.toml" <<'TOML'
[hunt]
author = "trailhound"
description = "Regions used by one identity."
integration = ["aws.cloudtrail"]
uuid = "5a98585e-328d-44a8-9374-518fd4ea77ae"
name = "Example: Regions Used per Identity"
language = ["ES|QL"]
license = "Apache-2.0"
notes = ["Compare with the regions the account normally uses."]
mitre = ["T1580"]
query = ['''
from logs-aws.cloudtrail-*
| stats regions = count_distinct(cloud.region) by aws.cloudtrail.user_identity.arn
''']
TOML
expect_rc "rules list on a hunting file exits 0" 0 "$TH" rules list "$TMP/hunt.toml"
expect_grep "a hunting file lists as hunt / esql" '^5a98585e-328d-44a8-9374-518fd4ea77ae +hunt +esql' "$TMP/out"
expect_rc "rules show on a hunting file exits 0" 0 "$TH" rules show "$TMP/hunt.toml"
expect_grep "rules show gives the hunting query and its line" '^\[query 1, line 12\]' "$TMP/out"
expect_rc "rules validate on a hunting file exits 0" 0 "$TH" rules validate "$TMP/hunt.toml"
expect_grep "rules validate counts the hunting query" '1 hunting query loaded' "$TMP/out"
