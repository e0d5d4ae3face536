# trailhound test end to end: a passing file, a failing one (the diff is
# shown), a malformed one (file:line:col), pending tests, exit codes, and the
# example rule tests shipped in examples/tests.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-.}
RULE=$(cd "$ROOT" && pwd)/examples/rules/defense_evasion_cloudtrail_logging_stopped.toml

# one raw CloudTrail record: ID NAME TIME [ERRORCODE]
ct() {
  local err=""
  [ -n "${4:-}" ] && err=",\"errorCode\":\"$4\""
  printf "'''{\"eventVersion\":\"1.08\",\"eventTime\":\"%s\",\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"%s\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.7\",\"userAgent\":\"aws-cli/2.17.60\",\"eventID\":\"%s\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"111122223333\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/m\",\"accountId\":\"111122223333\",\"userName\":\"m\"}%s}'''" "$3" "$2" "$1" "$err"
}

mkdir -p "$TMP/t"
cat >"$TMP/t/pass.test.toml" <<EOF
rule = "$RULE"
[[test]]
name = "stop alerts"
events = [$(ct e1 StopLogging 2026-10-01T10:00:30Z), $(ct e2 StopLogging 2026-10-01T10:01:00Z AccessDenied)]
[test.expect]
alerts = 1
alert_ids = ["e1"]
no_alert_ids = ["e2"]
EOF
expect_rc "pass: exit 0" 0 "$TH" test "$TMP/t/pass.test.toml"
expect_grep "pass: PASS line with file:line" "^PASS  .*pass.test.toml:2  stop alerts \(1 alert\)" "$TMP/out"
expect_grep "pass: summary" "^1 tests: 1 passed, 0 failed, 0 pending" "$TMP/out"

# expectations that do not hold: the count, a missing id and an unexpected one
cat >"$TMP/t/fail.test.toml" <<EOF
rule = "$RULE"
[[test]]
name = "wrong on purpose"
events = [$(ct f1 StopLogging 2026-10-01T10:00:30Z), $(ct f2 DeleteTrail 2026-10-01T10:01:00Z), $(ct f3 StartLogging 2026-10-01T10:02:00Z)]
[test.expect]
alerts = 1
alert_ids = ["f1", "f3"]
no_alert_ids = ["f2"]
[[test]]
name = "right"
events = [$(ct g1 DeleteTrail 2026-10-01T10:00:30Z)]
expect = { alerts = 1 }
EOF
expect_rc "fail: exit 1" 1 "$TH" test "$TMP/t/fail.test.toml"
expect_grep "fail: FAIL line" "^FAIL  .*fail.test.toml:2  wrong on purpose" "$TMP/out"
expect_grep "fail: count diff" "alerts: +expected 1, got 2 +<-- differs" "$TMP/out"
expect_grep "fail: missing id" "- missing: +f3 " "$TMP/out"
expect_grep "fail: unexpected id" "\+ unexpected: f2 " "$TMP/out"
expect_grep "fail: got ids" "got ids: +f1, f2" "$TMP/out"
expect_grep "fail: the other test passes" "^PASS  .*right" "$TMP/out"
expect_grep "fail: summary" "^2 tests: 1 passed, 1 failed" "$TMP/out"

# malformed: a misspelt expectation key is an error at its line:col, exit 1
cat >"$TMP/t/bad.test.toml" <<EOF
rule = "$RULE"
[[test]]
name = "typo"
events = [$(ct b1 StopLogging 2026-10-01T10:00:30Z)]
[test.expect]
alert = 1
EOF
expect_rc "malformed: exit 1" 1 "$TH" test "$TMP/t/bad.test.toml"
expect_grep "malformed: file:line:col" "bad.test.toml:6:1: error: unknown key \`alert\`" "$TMP/err"
expect_grep "malformed: reported as not usable" "^ERROR .*bad.test.toml: not a usable test file" "$TMP/out"
printf 'rule = "r"\n[[test]\n' >"$TMP/t/syntax.test.toml"
expect_rc "TOML syntax error: exit 1" 1 "$TH" test "$TMP/t/syntax.test.toml"
expect_grep "TOML syntax error: file:line:col" "syntax.test.toml:2:[0-9]+: error" "$TMP/err"
printf 'rule = "r"\n[[test]]\nevents = [%s]\nexpect = {alerts = 0}\n' "'{\"a\": }'" >"$TMP/t/json.test.toml"
expect_rc "bad JSON event: exit 1" 1 "$TH" test "$TMP/t/json.test.toml"
expect_grep "bad JSON event: file:line:col" "json.test.toml:3:18: error: event is not valid JSON" "$TMP/err"

# a rule that cannot run fails, unless the test says it is pending (a lucene
# query: the engine does not run lucene)
ESQL=$TMP/lucene_rule.toml
sed -e 's/^language = "esql"/language = "lucene"/' -e 's/^type = "esql"/type = "query"/' \
  -e 's/^timestamp_override.*//' \
  "$(cd "$ROOT" && pwd)/examples/rules/impact_many_s3_objects_deleted_esql.toml" >"$ESQL"
cat >"$TMP/t/pending.test.toml" <<EOF
rule = "$ESQL"
[[test]]
name = "waits for lucene"
pending = "no lucene yet"
events = [$(ct p1 DeleteObject 2026-10-01T10:00:30Z)]
expect = { alerts = 0 }
[[test]]
name = "not pending"
events = [$(ct p2 DeleteObject 2026-10-01T10:00:30Z)]
expect = { alerts = 0 }
EOF
expect_rc "pending: the non-pending test fails" 1 "$TH" test "$TMP/t/pending.test.toml"
expect_grep "pending: reported" "^PENDING .*waits for lucene" "$TMP/out"
expect_grep "pending: the reason the rule did not run" "the rule did not run: lucene" "$TMP/out"

# directories: every *.test.toml below; other files are ignored
mkdir -p "$TMP/d/sub"
cp "$TMP/t/pass.test.toml" "$TMP/d/sub/"
echo 'not a test' >"$TMP/d/readme.toml"
expect_rc "directory: exit 0" 0 "$TH" test "$TMP/d"
expect_grep "directory: finds nested files" "^1 tests: 1 passed" "$TMP/out"
expect_rc "--name filters" 0 "$TH" test "$TMP/t/fail.test.toml" --name right
expect_grep "--name: one test ran" "^1 tests: 1 passed, 0 failed" "$TMP/out"

# usage
expect_rc "no paths: exit 2" 2 "$TH" test
expect_rc "missing path: exit 2" 2 "$TH" test "$TMP/nope.test.toml"
expect_rc "--help: exit 0" 0 "$TH" test --help
expect_grep "--help mentions the format" "test.toml" "$TMP/out"

# the example rule tests: a positive and a negative test for every example rule
expect_rc "examples: exit 0" 0 "$TH" test "$ROOT/examples/tests"
expect_grep "examples: nothing failed" "tests: [0-9]+ passed, 0 failed" "$TMP/out"
for r in "$ROOT"/examples/rules/*.toml; do
  b=$(basename "$r" .toml)
  t="$ROOT/examples/tests/$b.test.toml"
  if [ -f "$t" ] && grep -q '^name = "positive' "$t" && grep -q '^name = "negative' "$t"; then
    ok "examples: $b has positive and negative tests"
  else
    nok "examples: $b has positive and negative tests" "$t"
  fi
done

# a test whose event lists are empty cannot pass (`alerts = 0` would be vacuous)
printf 'rule = "%s"\n[[test]]\nname = "empty"\nevents = []\nexpect = {alerts = 0}\n' "$RULE" >"$TMP/t/empty.test.toml"
expect_rc "empty events: exit 1" 1 "$TH" test "$TMP/t/empty.test.toml"
expect_grep "empty events: reason" "could not run: the test gives no events" "$TMP/out"
