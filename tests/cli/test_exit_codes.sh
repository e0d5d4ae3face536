# Exit codes CI can trust (docs/manual/cli.md, "Exit codes"): 0 nothing found, 1 findings,
# 2 the job could not be done; checked before any data is read. Every verb's
# write to a full disk (/dev/full) is exit 2 with a message. And the hints for
# typical mistakes (swapped --rules/--data, a folder without .toml, --rule for
# --rules, `help VERB`).
. "$(dirname "$0")/lib.sh"

R="$TMP/rules"; mkdir -p "$R" "$TMP/empty"
{ printf '[metadata]\ncreation_date = "2024/01/01"\nmaturity = "production"\nupdated_date = "2024/01/01"\n\n'
  printf '[rule]\nauthor = ["t"]\ndescription = "d"\nfrom = "now-6m"\nindex = ["logs-aws.cloudtrail-*"]\n'
  printf 'language = "kuery"\nlicense = "Elastic License v2"\nname = "Create user"\nrisk_score = 47\n'
  printf 'rule_id = "0c3f1b1e-2a7d-4e55-9a0e-5b7c1d2e3f40"\nseverity = "medium"\ntype = "query"\nquery = %s\n' "'event.action: \"CreateUser\"'"
} > "$R/create.toml"
ev() { printf '{"@timestamp":"2024-01-01T00:%02d:00Z","event":{"id":"%s","action":"%s","kind":"event"},"user":{"name":"u"}}\n' "$2" "$1" "$3"; }
{ ev a 1 CreateUser; ev b 2 ListUsers; } > "$TMP/hit.ndjson"
ev c 3 ListUsers > "$TMP/quiet.ndjson"
{ ev d 4 ListUsers; echo '{"not closed'; } > "$TMP/bad.ndjson"

# 0 / 1 / 2 for run
expect_rc "run: no alerts is 0" 0 "$TH" run --rules "$R" --data "$TMP/quiet.ndjson"
expect_rc "run: alerts is 1" 1 "$TH" run --rules "$R" --data "$TMP/hit.ndjson"
expect_rc "run: missing --rules dir is 2" 2 "$TH" run --rules "$TMP/nosuch/" --data "$TMP/hit.ndjson"
expect_grep "run: missing path named" 'run: --rules .*nosuch/: No such file' "$TMP/err"
# checked before reading data: stdin is never read (it would block without </dev/null)
if timeout 5 "$TH" run --rules "$TMP/nosuch" --data - >/dev/null 2>&1 </dev/zero; then rc=0; else rc=$?; fi
if [ "$rc" -eq 2 ]; then ok "run: bad --rules fails before reading data"; else nok "run: bad --rules fails before reading data" "exit $rc"; fi
expect_rc "run: missing --data is 2" 2 "$TH" run --rules "$R" --data "$TMP/nosuch.json"
expect_rc "run: no rule loaded is 2" 2 "$TH" run --rules "$TMP/empty" --data "$TMP/hit.ndjson"
expect_grep "run: no rule loaded said" 'no rule loaded from' "$TMP/err"
expect_grep "hint: folder without .toml" 'holds no \.toml file' "$TMP/err"
expect_rc "run: usage error is 2" 2 "$TH" run --rules "$R"
expect_rc "run: skipped records without --strict is 0" 0 "$TH" run --rules "$R" --data "$TMP/bad.ndjson"
expect_rc "run: skipped records with --strict is 2" 2 "$TH" run --strict --rules "$R" --data "$TMP/bad.ndjson"
expect_grep "run --strict says why" 'strict: 1 record' "$TMP/err"
# an input inside a directory that cannot be read (a dangling link: works as root too)
mkdir -p "$TMP/dd"; cp "$TMP/quiet.ndjson" "$TMP/dd/"; ln -s "$TMP/nowhere" "$TMP/dd/gone.json"
expect_rc "run: unreadable input is 2" 2 "$TH" run --rules "$R" --data "$TMP/dd"
expect_grep "run: unreadable input said" 'could not be read' "$TMP/err"
expect_rc "run -o /dev/full is 2" 2 "$TH" run --rules "$R" --data "$TMP/hit.ndjson" -o /dev/full
expect_grep "run -o /dev/full says so" 'write' "$TMP/err"

# match, convert, test, rules, emulate, tune, noise, explain
expect_rc "match: no match is 0" 0 "$TH" match --rules "$R" --data "$TMP/quiet.ndjson"
expect_rc "match: matches is 1" 1 "$TH" match --rules "$R" --data "$TMP/hit.ndjson"
expect_rc "match: missing --rules is 2" 2 "$TH" match --rules "$TMP/nosuch" --data "$TMP/hit.ndjson"
expect_rc "match: skipped record without --strict is 0" 0 "$TH" match --rules "$R" --data "$TMP/bad.ndjson"
expect_rc "match --strict: skipped record is 2" 2 "$TH" match --strict --rules "$R" --data "$TMP/bad.ndjson"
expect_rc "convert: converted is 0" 0 "$TH" convert "$TMP/hit.ndjson"
expect_rc "convert: missing input is 2" 2 "$TH" convert "$TMP/nosuch.json"
expect_rc "convert --strict: skipped record is 2" 2 "$TH" convert --strict "$TMP/bad.ndjson"
expect_rc "rules validate: valid is 0" 0 "$TH" rules validate "$R"
printf '[rule]\nname = 3\n' > "$TMP/badrule.toml"
expect_rc "rules validate: problems is 1" 1 "$TH" rules validate "$TMP/badrule.toml"
expect_rc "rules validate: missing path is 2" 2 "$TH" rules validate "$TMP/nosuch"
expect_rc "rules list: folder without .toml is 2" 2 "$TH" rules list "$TMP/empty"
expect_rc "rules lint: folder without .toml is 2" 2 "$TH" rules lint "$TMP/empty"
expect_rc "test: missing path is 2" 2 "$TH" test "$TMP/nosuch"
expect_rc "test: folder without tests is 2" 2 "$TH" test "$TMP/empty"
expect_rc "emulate: unknown scenario is 2" 2 "$TH" emulate no-such-scenario
expect_rc "tune: missing --data is 2" 2 "$TH" tune --before "$R/create.toml" --after "$R/create.toml" --data "$TMP/nosuch"
expect_rc "noise: missing --data is 2" 2 "$TH" noise --rule "$R/create.toml" --data "$TMP/nosuch"
expect_rc "explain: missing --event is 2" 2 "$TH" explain --rule "$R/create.toml" --event "$TMP/nosuch.json"

# every verb's stdout on a full disk: exit 2 and a message
full() { # NAME CMD...: stdout to /dev/full
  local name=$1; shift
  "$@" >/dev/full 2>"$TMP/err"; local rc=$?
  if [ "$rc" -eq 2 ] && grep -q 'cannot write' "$TMP/err"; then ok "$name >/dev/full is 2"; else
    nok "$name >/dev/full is 2" "exit $rc" "$(head -c 600 "$TMP/err")"; fi
}
full "rules list" "$TH" rules list "$R"
full "rules show" "$TH" rules show "$R/create.toml"
full "rules validate" "$TH" rules validate "$R"
full "rules lint" "$TH" rules lint --no-spell "$R"
full "match" "$TH" match --rules "$R" --data "$TMP/hit.ndjson"
full "run" "$TH" run --rules "$R" --data "$TMP/hit.ndjson"
full "convert" "$TH" convert "$TMP/hit.ndjson"
full "emulate" "$TH" emulate log-tampering
full "emulate --list" "$TH" emulate --list
full "explain" "$TH" explain --rule "$R/create.toml" --event <(ev a 1 CreateUser)
full "noise" "$TH" noise --rule "$R/create.toml" --data "$TMP/hit.ndjson"
full "tune" "$TH" tune --before "$R/create.toml" --after "$R/create.toml" --data "$TMP/hit.ndjson"
full "help" "$TH" help run
full "--help" "$TH" --help
mkdir -p "$TMP/t"
printf 'rule = "%s"\n[[test]]\nname = "one"\nexpect_alerts = 1\nevents = [%s]\n' "$R/create.toml" \
  "'$(ev a 1 CreateUser)'" > "$TMP/t/x.test.toml"
full "test" "$TH" test "$TMP/t"

# typical mistakes get a hint
expect_rc "swap: events given as --rules is 2" 2 "$TH" run --rules "$TMP/hit.ndjson" --data "$R"
expect_grep "swap: hint" 'did you swap --rules and --data' "$TMP/err"
expect_rc "swap: rules given as --data is 2" 2 "$TH" match --rules "$R/create.toml" --data "$R"
expect_grep "swap: hint for --data" 'did you swap --rules and --data' "$TMP/err"
expect_rc "--rule for --rules is 2" 2 "$TH" run --rule "$R" --data "$TMP/hit.ndjson"
expect_grep "--rule: did you mean" "did you mean '--rules'" "$TMP/err"
expect_rc "misspelt verb is 2" 2 "$TH" rnu
expect_grep "verb: did you mean" "did you mean 'run'" "$TMP/err"
expect_rc "help VERB is 0" 0 "$TH" help match
expect_grep "help VERB prints the verb's help" 'usage: trailhound match' "$TMP/out"
expect_rc "help rules SUB is 0" 0 "$TH" help rules validate
expect_grep "help rules SUB" 'usage: trailhound rules validate' "$TMP/out"
expect_rc "help nosuch is 2" 2 "$TH" help nosuch

# a Kibana rule export (saved objects NDJSON) is read as rules
K="$(dirname "$0")/data/kibana_rules_export.ndjson"
expect_rc "Kibana export: rules list is 0" 0 "$TH" rules list "$K"
expect_grep "Kibana export: the query rule" '^7b6e9f5a-3c1d-4b1e-8f6a-1e2d3c4b5a69 +query' "$TMP/out"
expect_grep "Kibana export: the new_terms rule" '^30edeb07-3962-4477-b7a1-9ff004a8ccc1 +new_terms' "$TMP/out"
if [ "$(wc -l < "$TMP/out")" -eq 2 ]; then ok "Kibana export: the summary line is not a rule"; else nok "Kibana export: the summary line is not a rule" "$(cat "$TMP/out")"; fi
expect_rc "Kibana export: validates" 0 "$TH" rules validate "$K"
expect_rc "Kibana export: rules show new_terms" 0 "$TH" rules show --format json "$K"
expect_grep "Kibana export: new_terms fields kept" '"new_terms":\{"fields":\["cloud.region","user.name"\]' "$TMP/out"
expect_grep "Kibana export: history window kept" '"history_window_start":"now-14d"' "$TMP/out"
stop() { printf '{"@timestamp":"2024-01-01T00:0%d:00Z","event":{"id":"s%d","action":"StopLogging","provider":"cloudtrail.amazonaws.com","dataset":"aws.cloudtrail","outcome":"success","kind":"event"}}\n' "$1" "$1"; }
stop 1 > "$TMP/stop.ndjson"
expect_rc "Kibana export: run alerts (1)" 1 "$TH" run --rules "$K" --data "$TMP/stop.ndjson"
expect_grep "Kibana export: the alert names the rule" '"kibana.alert.rule.rule_id":"7b6e9f5a-3c1d-4b1e-8f6a-1e2d3c4b5a69"' "$TMP/out"
expect_rc "Kibana export given as --data is 2" 2 "$TH" run --rules "$R" --data "$K"
expect_grep "Kibana export as --data: hint" 'Kibana rule export, not events' "$TMP/err"
