# ASN by default: source.as.* from the table `make` compiles out of npm
# @ip-location-db/asn (pinned 2.3.2026061719, so the owners below are that
# release's), --no-asn, --geoip-asn with a MaxMind database instead, and an
# Elastic rule that needs source.as.organization.name firing with no options.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-.}
TABLE="$ROOT/build/data/asn-ranges.bin"

rec() { printf '{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:%02dZ","eventSource":"%s","eventName":"%s","awsRegion":"us-east-1","sourceIPAddress":"%s","eventID":"e-%s","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","userName":"alice","accountId":"111122223333"}}\n' "$1" "$2" "$3" "$4" "$1"; }
{ rec 1 s3.amazonaws.com GetObject 8.8.8.8; rec 2 s3.amazonaws.com GetObject 2600:1f18::1; rec 3 s3.amazonaws.com GetObject 10.1.2.3; } >"$TMP/in.ndjson"

for v in run test match convert tune noise explain; do
  "$TH" $v --help >"$TMP/help" 2>&1
  expect_grep "$v --help lists --no-asn" '--no-asn' "$TMP/help"
  expect_grep "$v --help lists --geoip-asn" '--geoip-asn' "$TMP/help"
  expect_grep "$v --help lists --no-actor-target-mapping" '--no-actor-target-mapping' "$TMP/help"
done

if [ ! -f "$TABLE" ]; then
  skip "ASN table absent ($TABLE; scripts/setup.sh, then make)"
  exit 0
fi
expect_rc "convert with no options" 0 "$TH" convert "$TMP/in.ndjson" -o "$TMP/out.ndjson"
expect_grep "summary names the ASN table" 'ASN .*asn-ranges.bin \(ip-location-db compiled, [0-9]+ IPv4 \+ [0-9]+ IPv6 ranges\)' "$TMP/err"
sed -n 1p "$TMP/out.ndjson" >"$TMP/v4.json"; sed -n 2p "$TMP/out.ndjson" >"$TMP/v6.json"; sed -n 3p "$TMP/out.ndjson" >"$TMP/priv.json"
expect_grep "IPv4 8.8.8.8: AS15169 Google LLC" '"as":\{"number":15169,"organization":\{"name":"Google LLC"\}\}' "$TMP/v4.json"
expect_grep "IPv6 2600:1f18::1: AS14618 Amazon.com, Inc." '"as":\{"number":14618,"organization":\{"name":"Amazon.com, Inc."\}\}' "$TMP/v6.json"
if grep -q '"as"' "$TMP/priv.json"; then nok "a private address gets no source.as"; else ok "a private address gets no source.as"; fi

expect_rc "convert --no-asn" 0 "$TH" convert --no-asn "$TMP/in.ndjson" -o "$TMP/off.ndjson"
if grep -q '"as"' "$TMP/off.ndjson"; then nok "--no-asn: no source.as"; else ok "--no-asn: no source.as"; fi
expect_grep "--no-asn: source.geo stays" '"geo":' "$TMP/off.ndjson"
expect_grep "--no-asn summary: ASN off" 'ASN off' "$TMP/err"

MM="$CORPUS/geoip-test/GeoLite2-ASN-Test.mmdb"
if [ -f "$MM" ]; then
  rec 4 s3.amazonaws.com GetObject 1.128.0.1 >"$TMP/telstra.ndjson"
  expect_rc "convert (ip-location-db) 1.128.0.1" 0 "$TH" convert "$TMP/telstra.ndjson" -o "$TMP/t1.json"
  expect_grep "ip-location-db names AS1221 'Telstra Limited'" '"number":1221,"organization":\{"name":"Telstra Limited"\}' "$TMP/t1.json"
  expect_rc "convert --geoip-asn MaxMind" 0 "$TH" convert --geoip-asn "$MM" "$TMP/telstra.ndjson" -o "$TMP/t2.json"
  expect_grep "--geoip-asn overrides: MaxMind's 'Telstra Pty Ltd'" '"number":1221,"organization":\{"name":"Telstra Pty Ltd"\}' "$TMP/t2.json"
  expect_grep "--geoip-asn summary names the MaxMind file" 'ASN .*GeoLite2-ASN-Test.mmdb \(GeoLite2-ASN, MaxMind schema\)' "$TMP/err"
else
  skip "corpus GeoIP test databases absent"
fi

# An Elastic new_terms rule whose query requires source.as.organization.name
# (not Amazon, Google, Microsoft): CreateKeyPair from 175.16.199.9 (AS4837,
# CHINA UNICOM) alerts with no options, and never with --no-asn.
RULE="$CORPUS/detection-rules/rules/integrations/aws/persistence_new_terms_ec2_create_keypair_unusual_source_as.toml"
if [ -f "$RULE" ]; then
  rec 5 ec2.amazonaws.com CreateKeyPair 175.16.199.9 >"$TMP/kp.ndjson"
  expect_rc "Elastic rule on source.as.organization.name alerts with no options" 1 "$TH" run --rules "$RULE" --data "$TMP/kp.ndjson"
  expect_grep "the alert names CHINA UNICOM" '"organization":\{"name":"CHINA UNICOM China169 Backbone"\}' "$TMP/out"
  expect_rc "--no-asn: the same rule cannot alert" 0 "$TH" run --no-asn --rules "$RULE" --data "$TMP/kp.ndjson"
  "$TH" explain --rule "$RULE" --event "$TMP/kp.ndjson" >"$TMP/ex" 2>&1
  expect_grep "explain (no options): the query is true" '^TRUE +and' "$TMP/ex"
  "$TH" explain --no-asn --rule "$RULE" --event "$TMP/kp.ndjson" >"$TMP/ex" 2>&1
  expect_grep "explain --no-asn: the query is false" '^false +and' "$TMP/ex"
else
  skip "detection-rules corpus absent"
fi

# Emulated data: the attacker of iam-temp-creds calls from a non-Amazon AS; a
# rule reading source.as.organization.name fires on it with no options.
"$TH" emulate iam-temp-creds --seed 1 --days 2 --start 2026-10-01 --out "$TMP/emu" --quiet
printf '[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\n[rule]\nname = "as org"\nrule_id = "as-org"\nrisk_score = 21\nseverity = "low"\ntype = "query"\nlanguage = "kuery"\nindex = ["logs-aws.cloudtrail-*"]\nquery = '"'"'source.as.organization.name: (* and not (Amazon* or AMAZON* or "Google LLC"))'"'"'\ndescription = "d"\nauthor = ["t"]\nlicense = "MIT"\n' >"$TMP/asorg.toml"
expect_rc "emulated iam-temp-creds: a source.as.organization.name rule alerts" 1 "$TH" run --rules "$TMP/asorg.toml" --data "$TMP/emu/AWSLogs"
# the alert of the attacker's first (labelled malicious) event carries its AS
mal=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d.get("malicious"):
        print(d["eventID"]); break' "$TMP/emu/labels.ndjson")
if grep "\"id\":\"$mal\"" "$TMP/out" | grep -qE '"as":\{"number":[0-9]+,"organization":\{"name":"[^"]+"'; then
  ok "emulated: the alert of the attacker's event carries its AS"
else
  nok "emulated: the alert of the attacker's event carries its AS" "event $mal"
fi
expect_rc "emulated, --no-asn: no alert" 0 "$TH" run --no-asn --rules "$TMP/asorg.toml" --data "$TMP/emu/AWSLogs"
