# Outputs CI systems read: rules validate / rules lint as SARIF 2.1.0 (checked
# against the OASIS schema that npm's @microsoft/jest-sarif ships) and JSON;
# test as JUnit XML (read back with Python's XML parser); run --format json
# (the summary) and --format bulk (Elasticsearch _bulk).
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:?}
SCHEMA="$ROOT/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json"
PY=
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done

R="$TMP/rules"; mkdir -p "$R"
cp "$ROOT/examples/rules/defense_evasion_cloudtrail_logging_stopped.toml" "$R/"
# a rule with schema problems (a bad severity, a bad risk_score) and a misspelling
sed -e 's/^severity = .*/severity = "urgent"/' -e 's/^risk_score = .*/risk_score = 500/' \
    -e 's/^name = "\(.*\)"/name = "\1 teh copy"/' \
    -e 's/^rule_id = .*/rule_id = "11111111-2222-4333-8444-555555555555"/' \
    -e 's/("StopLogging" or "DeleteTrail")/("StopLogging" or "DeleteTrail" or "ListTrails")/' \
  "$ROOT/examples/rules/defense_evasion_cloudtrail_logging_stopped.toml" > "$R/bad.toml"

sarif_ok() { # NAME FILE MIN_RESULTS
  if [ -z "$PY" ] || [ ! -f "$SCHEMA" ]; then skip "$1 (python3-jsonschema or the npm schema missing)"; return; fi
  if "$PY" - "$SCHEMA" "$2" "$3" >"$TMP/py.out" 2>&1 <<'PYEOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.validators.validator_for(schema)(schema).validate(doc)
res = doc["runs"][0]["results"]
assert len(res) >= int(sys.argv[3]), f"{len(res)} results"
for r in res:
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].endswith(".toml"), loc
    assert loc["region"]["startLine"] >= 1, loc
# the schema does reject what is not SARIF (so the check above can fail)
doc["version"] = "2.0.0"
try:
    jsonschema.validators.validator_for(schema)(schema).validate(doc)
    sys.exit("a SARIF log with version 2.0.0 validated")
except jsonschema.ValidationError:
    pass
PYEOF
  then ok "$1"; else nok "$1" "$(tail -5 "$TMP/py.out")"; fi
}

expect_rc "validate --format sarif: errors found is 1" 1 "$TH" rules validate --format sarif "$R"
cp "$TMP/out" "$TMP/validate.sarif"
sarif_ok "validate: SARIF valid against the 2.1.0 schema" "$TMP/validate.sarif" 2
expect_grep "validate SARIF: the bad severity at its line" '"ruleId":"trailhound/validate","ruleIndex":0,"level":"error","message":\{"text":"[^"]*severity' "$TMP/validate.sarif"
expect_grep "validate SARIF: summary on stderr" '2 files: 2 rules' "$TMP/err"

expect_rc "lint --format sarif" 1 "$TH" rules lint --today 2026/12/01 --format sarif "$R"
cp "$TMP/out" "$TMP/lint.sarif"
sarif_ok "lint: SARIF valid against the 2.1.0 schema" "$TMP/lint.sarif" 1
expect_grep "lint SARIF: a rule per check" '"id":"trailhound/lint/[a-z]+"' "$TMP/lint.sarif"

expect_rc "validate --format json" 1 "$TH" rules validate --format json "$R"
if [ -n "$PY" ] && "$PY" -c '
import json,sys
d = json.load(open(sys.argv[1]))
assert isinstance(d, list) and d, d
assert all(set(x) == {"file","line","col","severity","message"} for x in d), d[0]
assert any(x["severity"] == "error" and x["file"].endswith("bad.toml") for x in d)
' "$TMP/out"; then ok "validate JSON: array of diagnostics"; else nok "validate JSON: array of diagnostics" "$(head -c 400 "$TMP/out")"; fi
expect_rc "lint --format json" 1 "$TH" rules lint --today 2026/12/01 --format json "$R"
expect_grep "lint JSON: diagnostics with file and line" '^\[\{"file":"[^"]*\.toml","line":[1-9]' "$TMP/out"
expect_rc "lint --format nosuch is 2" 2 "$TH" rules lint --format nosuch "$R"

# JUnit: one passing, one failing test, read back by a parser
mkdir -p "$TMP/t"
ev() { printf '{"@timestamp":"2024-01-01T00:0%d:00Z","event":{"id":"e%d","action":"%s","provider":"cloudtrail.amazonaws.com","dataset":"aws.cloudtrail","outcome":"success","kind":"event"}}' "$1" "$1" "$2"; }
{ printf 'rule = "%s"\n' "$R/defense_evasion_cloudtrail_logging_stopped.toml"
  printf '[[test]]\nname = "stop alerts"\nevents = [%s]\n[test.expect]\nalerts = 1\n' "'$(ev 1 StopLogging)'"
  printf '[[test]]\nname = "wrong <on purpose> & failing"\nevents = [%s]\n[test.expect]\nalerts = 3\n' "'$(ev 2 StopLogging)'"
} > "$TMP/t/stop.test.toml"
expect_rc "test --format junit: a failure is 1" 1 "$TH" test --format junit "$TMP/t"
cp "$TMP/out" "$TMP/junit.xml"
if python3 - "$TMP/junit.xml" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("tests") == "2" and root.get("failures") == "1", root.attrib
suite = root.find("testsuite")
assert suite.get("name").endswith("stop.test.toml"), suite.attrib
cases = suite.findall("testcase")
assert [c.get("name") for c in cases] == ["stop alerts", "wrong <on purpose> & failing"], cases
assert cases[0].find("failure") is None
f = cases[1].find("failure")
assert f is not None and f.get("message"), "no failure message"
PYEOF
then ok "JUnit XML read back: 2 tests, 1 failure with its message"; else nok "JUnit XML read back" "$(head -c 600 "$TMP/junit.xml")"; fi
expect_grep "test --format junit: the text report goes to stderr" '^FAIL ' "$TMP/err"

# run --format json: the summary, rules sorted by alerts; the text summary too
{ ev 1 StopLogging; echo; ev 2 DeleteTrail; echo; ev 3 ListTrails; echo; } > "$TMP/ev.ndjson"
expect_rc "run --format json: alerts is 1" 1 "$TH" run --quiet --rules "$R" --data "$TMP/ev.ndjson" --format json
if python3 - "$TMP/out" <<'PYEOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "one JSON document"
d = json.loads(lines[0])
assert d["alerts"] == 5 and d["events"]["total"] == 3 and d["rules_ran"] == 2, d
# most alerts first: the copy (3, its name sorts last) before the original (2)
assert [r["alerts"] for r in d["rules"]] == [3, 2], d["rules"]
PYEOF
then ok "run --format json: the summary"; else nok "run --format json: the summary" "$(head -c 600 "$TMP/out")"; fi
if [ -s "$TMP/err" ]; then nok "run --quiet: nothing on stderr" "$(head -c 300 "$TMP/err")"; else ok "run --quiet: nothing on stderr"; fi
expect_rc "run --format summary" 1 "$TH" run --rules "$R" --data "$TMP/ev.ndjson" --format summary
if grep -A2 'rules with alerts, most first' "$TMP/err" | sed -n 2p | grep -q '^ *3 .*teh copy'; then
  ok "run summary: sorted by alert count"; else nok "run summary: sorted by alert count" "$(head -5 "$TMP/err")"; fi
expect_rc "run --format bulk" 1 "$TH" run --rules "$R" --data "$TMP/ev.ndjson" --format bulk
if python3 - "$TMP/out" <<'PYEOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 10, len(lines)
for action, doc in zip(lines[0::2], lines[1::2]):
    a = json.loads(action)["create"]; d = json.loads(doc)
    assert a["_index"] == ".alerts-security.alerts-default", a
    assert a["_id"] == d["kibana.alert.uuid"], (a, d.get("kibana.alert.uuid"))
PYEOF
then ok "run --format bulk: action line + alert, _id = kibana.alert.uuid"; else nok "run --format bulk" "$(head -c 400 "$TMP/out")"; fi
