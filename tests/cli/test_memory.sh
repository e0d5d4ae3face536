# Memory bounded by design (issue 12, item 6): a catch-all query rule keeps
# only the matches a run can still alert (engine/retain.c), with the same
# alerts as keeping everything; --max-memory bounds what the engine keeps.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/rules"
{ printf '[metadata]\ncreation_date = "2024/01/01"\nmaturity = "production"\nupdated_date = "2024/01/01"\n\n'
  printf '[rule]\nauthor = ["t"]\ndescription = "d"\nfrom = "now-6m"\nindex = ["logs-aws.cloudtrail-*"]\n'
  printf 'language = "kuery"\nlicense = "Elastic License v2"\nname = "all"\nrisk_score = 47\nmax_signals = 10\n'
  printf 'rule_id = "all"\nseverity = "medium"\ntimestamp_override = "event.ingested"\ntype = "query"\nquery = "event.kind: *"\n'; } >"$TMP/rules/all.toml"
# N events, one a second from 00:00:00 (distinct times: same order whichever way read)
gen() {
  awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) { t = sprintf("2024-01-01T%02d:%02d:%02dZ", int(i / 3600), int(i / 60) % 60, i % 60);
    printf "{\"@timestamp\":\"%s\",\"event\":{\"id\":\"e%d\",\"ingested\":\"%s\",\"action\":\"A\",\"kind\":\"event\"},\"user\":{\"name\":\"u%d\"}}\n", t, i, t, i % 7 } }'
}
gen 3000 >"$TMP/ev.ndjson"
tac "$TMP/ev.ndjson" >"$TMP/rev.ndjson"

expect_rc "catch-all run (in time order)" 1 "$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson" --threads 1 -o "$TMP/a.ndjson"
cp "$TMP/err" "$TMP/err.in"
kept=$(sed -nE 's/^run: kept ([0-9]+) matched documents.*/\1/p' "$TMP/err.in")
# runs at 00:00 .. 00:55 (12), each alerts at most 10 of a 6-minute window; a match is kept
# only while fewer than (6m/5m + 1) * 10 = 20 kept ones precede it in the last window holding it
if [ -n "$kept" ] && [ "$kept" -le $((12 * 20)) ]; then ok "kept documents bounded by runs x max_signals ($kept of 3000)"
else nok "kept documents bounded by runs x max_signals" "kept=$kept" "$(cat "$TMP/err.in")"; fi
expect_grep "summary: matches not kept" 'memory: engine kept at most [0-9.]+ MB of the --max-memory budget of 4096 MB; 2[0-9]{3} matches not kept \(no run could alert them\); alerts held [0-9.]+ MB' "$TMP/err.in"
expect_grep "summary: peak RSS" 'peak RSS [0-9]+ MB' "$TMP/err.in"

# Reversed input keeps (nearly) everything: the alerts must be byte-identical
expect_rc "catch-all run (reversed order)" 1 "$TH" run --rules "$TMP/rules" --data "$TMP/rev.ndjson" --threads 1 -o "$TMP/b.ndjson"
kept_rev=$(sed -nE 's/^run: kept ([0-9]+) matched documents.*/\1/p' "$TMP/err")
if [ -n "$kept_rev" ] && [ "$kept_rev" -gt 2900 ]; then ok "reversed input keeps what it cannot rule out ($kept_rev)"
else nok "reversed input keeps what it cannot rule out" "kept=$kept_rev"; fi
# runs at 00:00 (1 event in its window) and 00:05 .. 00:50 (10 alerts each): 111
if cmp -s "$TMP/a.ndjson" "$TMP/b.ndjson" && [ "$(wc -l <"$TMP/a.ndjson")" -eq 111 ]; then
  ok "same 111 alerts (1 + 10 runs x max_signals 10) whether matches were dropped or kept"
else nok "same alerts whether matches were dropped or kept" "$(wc -l <"$TMP/a.ndjson") vs $(wc -l <"$TMP/b.ndjson")"; fi
grep -E '^ +111 +11 +query +all ' "$TMP/err.in" >/dev/null && grep -E '^ +111 +11 +query +all ' "$TMP/err" >/dev/null \
  && ok "runs truncated by max_signals counted alike" || nok "runs truncated counted alike" "$(grep -E 'query +all' "$TMP/err.in" "$TMP/err")"

# A budget too small for what must be kept: reported, never a crash
gen 9000 | tac >"$TMP/rev2.ndjson" # reversed: all 2 MB of documents would be kept
expect_rc "--max-memory 1 (reached)" 1 "$TH" run --rules "$TMP/rules" --data "$TMP/rev2.ndjson" --threads 1 --max-memory 1 -o "$TMP/c.ndjson"
expect_grep "budget reached is reported" 'BUDGET REACHED: [1-9][0-9]* matches' "$TMP/err"
expect_grep "budget reached flags the rule" 'MEMORY BUDGET REACHED \(--max-memory\)' "$TMP/err"
expect_rc "--max-memory must be a number of MB" 2 "$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson" --max-memory lots
