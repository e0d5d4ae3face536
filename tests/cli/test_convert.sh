# trailhound convert: raw CloudTrail in, ECS NDJSON out, summary on stderr.
. "$(dirname "$0")/lib.sh"
expect_rc "convert --help exits 0" 0 "$TH" convert --help
expect_rc "convert without input is a usage error" 2 "$TH" convert
expect_rc "convert rejects a bad --ingest-delay" 2 "$TH" convert --ingest-delay soon -
cat >"$TMP/in.json" <<'J'
{"Records":[{"eventVersion":"1.08","eventTime":"2024-03-01T10:00:00Z","eventSource":"iam.amazonaws.com","eventName":"AttachRolePolicy","awsRegion":"us-east-1","sourceIPAddress":"10.1.2.3","userAgent":"aws-cli/2.15.0 Python/3.11.6 Linux/6.1","userIdentity":{"type":"IAMUser","userName":"alice","accountId":"111122223333","arn":"arn:aws:iam::111122223333:user/alice"},"requestParameters":{"roleName":"r","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"},"responseElements":null,"recipientAccountId":"111122223333"},
{"eventTime":"2024-03-01T10:00:01Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","sourceIPAddress":"backup.amazonaws.com","errorCode":"AccessDenied"}]}
J
expect_rc "convert maps an S3 object" 0 "$TH" convert "$TMP/in.json" -o "$TMP/out.ndjson" --ingest-delay 5m
expect_grep "summary counts records" '2 records: 2 mapped' "$TMP/err"
expect_grep "summary names the ingest delay" 'event.ingested = @timestamp \+ 300s' "$TMP/err"
n=$(wc -l <"$TMP/out.ndjson")
if [ "$n" -eq 2 ]; then ok "one document per event"; else nok "one document per event" "got $n lines"; fi
expect_grep "request_parameters in HashMap order" '"request_parameters":"\{policyArn=arn:aws:iam::aws:policy/AdministratorAccess, roleName=r\}"' "$TMP/out.ndjson"
expect_grep "event.ingested is @timestamp + 5m" '"ingested":"2024-03-01T10:05:00Z"' "$TMP/out.ndjson"
expect_grep "source.ip for an IP" '"ip":"10.1.2.3"' "$TMP/out.ndjson"
expect_grep "failure outcome" '"outcome":"failure"' "$TMP/out.ndjson"
expect_grep "data_stream.dataset" '"dataset":"aws.cloudtrail"' "$TMP/out.ndjson"
if [ -f "${TH_ROOT:-.}/node_modules/uap-core/regexes.yaml" ]; then
  expect_grep "user agent parsed" '"name":"aws-cli"' "$TMP/out.ndjson"
else
  skip "user agent parsed (node_modules/uap-core absent)"
fi
expect_rc "convert --profile" 0 "$TH" convert "$TMP/in.json" --profile --ingest-delay 5m -o "$TMP/prof.ndjson"
if cmp -s "$TMP/prof.ndjson" "$TMP/out.ndjson"; then ok "--profile changes nothing"; else nok "--profile changes nothing"; fi
expect_grep "--profile: stages" '^convert: profile \(stages, CPU ms summed over threads\): read\+split\+scan [0-9.]+, .*output [0-9.]+$' "$TMP/err"
expect_grep "--profile: every record mapped fully" '^convert: profile \(mapping\): .* [1-9][0-9]* fully' "$TMP/err"
head -n1 "$TMP/out.ndjson" >"$TMP/ecs.ndjson"
expect_rc "ECS input passes through" 0 "$TH" convert "$TMP/ecs.ndjson" -o "$TMP/out2.ndjson"
expect_grep "ECS record counted as passed through" '1 ECS passed through' "$TMP/err"

# Time filters: S3 key dates outside --from/--to are not read; events outside are left out.
"$TH" emulate background --seed 4 --start 2026-03-01 --days 4 --rate 20 --out "$TMP/s3" 2>/dev/null
all=$("$TH" convert "$TMP/s3/AWSLogs" 2>/dev/null | wc -l)
expect_rc "convert --from/--to" 0 "$TH" convert "$TMP/s3/AWSLogs" --from 2026-03-02T00:00:00Z --to 2026-03-02T23:59:59.999Z -o "$TMP/day.ndjson"
inday=$(grep -c '"@timestamp":"2026-03-02T' "$TMP/day.ndjson")
n=$(wc -l <"$TMP/day.ndjson")
if [ "$n" -gt 0 ] && [ "$n" -eq "$inday" ] && [ "$n" -lt "$all" ]; then ok "only the day's events are written ($n of $all)"; else nok "only the day's events are written" "$n written, $inday in the day, $all in all"; fi
want=$("$TH" convert "$TMP/s3/AWSLogs" 2>/dev/null | grep -c '"@timestamp":"2026-03-02T')
if [ "$n" -eq "$want" ]; then ok "no event of the day is lost to the key-date filter"; else nok "no event of the day is lost to the key-date filter" "$n vs $want"; fi
expect_grep "files outside the range are not read" 'files skipped by the S3 key-date filter' "$TMP/err"
expect_rc "a bad --from is a usage error" 2 "$TH" convert "$TMP/s3/AWSLogs" --from yesterday
