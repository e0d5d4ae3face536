# The event pipeline (src/pipeline): the same results for every thread count,
# with and without lazy mapping, and for every verb that goes through it.
. "$(dirname "$0")/lib.sh"
rules="${TH_ROOT:-.}/../shared/corpus/detection-rules/rules/integrations/aws"
[ -d "$rules" ] || rules="${TH_ROOT:-.}/examples/rules"
"$TH" emulate background iam-temp-creds log-tampering s3-exfiltration discovery-burst \
  console-admins aws-internal bedrock-abuse access-key-persistence --seed 3 --start 2026-10-01 --days 2 --rate 300 --out "$TMP/s3" 2>/dev/null
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
expect_rc "run --profile works" 1 "$TH" run --rules "$rules" --data "$TMP/ev.ndjson" --profile --format summary
expect_grep "profile names the stages" 'profile \(stages, CPU ms' "$TMP/err"
expect_grep "profile names the mapping levels" 'ruled out before mapping' "$TMP/err"
expect_grep "summary gives the peak RSS" 'peak RSS [0-9]+ MB' "$TMP/err"
expect_rc "run --threads rejects junk" 2 "$TH" run --rules "$rules" --data "$TMP/ev.ndjson" --threads x
"$TH" run --help >"$TMP/help" 2>&1
expect_grep "help states the default thread count" 'default: the number of cores' "$TMP/help"
