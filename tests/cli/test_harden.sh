# Hardening (issue 12): directory walking, output safety, signals, edge cases.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-.}
EXR="$ROOT/examples/rules/defense_evasion_cloudtrail_logging_stopped.toml"
EXT="$ROOT/examples/tests/defense_evasion_cloudtrail_logging_stopped.test.toml"
CT='{"eventVersion":"1.08","eventTime":"2026-10-01T10:00:30Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userIdentity":{"type":"IAMUser","userName":"mallory"},"eventID":"e1"}'

# ---- one walker: symlink loops (#4) -------------------------------------
mkdir -p "$TMP/w/rules" "$TMP/w/tests" "$TMP/w/data"
cp "$EXR" "$TMP/w/rules/"
cp "$EXT" "$TMP/w/tests/"
for d in rules tests data; do ln -s . "$TMP/w/$d/s1"; ln -s . "$TMP/w/$d/s2"; ln -s ../$d "$TMP/w/$d/up"; done
ln -s ../rules "$TMP/w/tests/rules"   # the test file's ../rules/ path resolves through it
for i in 1 2 3; do echo "$CT" | sed "s/\"e1\"/\"e$i\"/"; done > "$TMP/w/data/a.ndjson"

expect_rc "rules list over symlink loops exits 0" 0 timeout 20 "$TH" rules list "$TMP/w/rules"
if [ "$(wc -l < "$TMP/out")" -eq 1 ]; then ok "rules list: a looped directory loads its rule once"; else nok "rules list: a looped directory loads its rule once" "$(cat "$TMP/out")"; fi
expect_grep "rules list: the loop is reported" 'directory loop' "$TMP/err"
expect_rc "test over symlink loops exits 0" 0 timeout 60 "$TH" test "$TMP/w/tests"
expect_grep "test: the test file runs once" '^[0-9]+ tests: ' "$TMP/out"
n=$(grep -c '^PASS ' "$TMP/out"); m=$(grep -c '^\[\[test\]\]' "$EXT")
if [ "$n" -eq "$m" ]; then ok "test: each test runs once ($n)"; else nok "test: each test runs once" "$n PASS lines for $m tests" "$(head -c 800 "$TMP/out")"; fi
expect_rc "lint over symlink loops" 0 timeout 20 "$TH" rules lint --no-spell --today 2026-12-01 "$TMP/w/rules"
expect_grep "lint: one file" '^1 files' "$TMP/err"
expect_rc "convert over symlink loops exits 0" 0 timeout 20 "$TH" convert --no-geoip --no-user-agent "$TMP/w/data"
if [ "$(wc -l < "$TMP/out")" -eq 3 ]; then ok "convert: a looped data directory is read once"; else nok "convert: a looped data directory is read once" "$(wc -l < "$TMP/out") documents"; fi
expect_rc "run over symlink loops (rules and data) raises the alert once" 1 timeout 30 "$TH" run --no-geoip --no-user-agent --rules "$TMP/w/rules" --data "$TMP/w/data"
if [ "$(wc -l < "$TMP/out")" -eq 3 ]; then ok "run: 3 alerts, not multiplied by the loops"; else nok "run: 3 alerts, not multiplied by the loops" "$(wc -l < "$TMP/out") alerts"; fi
# a second link to the same (non-ancestor) directory is not walked twice
mkdir -p "$TMP/w2/real" && cp "$EXR" "$TMP/w2/real/" && ln -s real "$TMP/w2/again"
expect_rc "rules list: a directory reached twice" 0 "$TH" rules list "$TMP/w2"
if [ "$(wc -l < "$TMP/out")" -eq 1 ]; then ok "rules list: a directory reached through two names loads once"; else nok "rules list: a directory reached through two names loads once" "$(cat "$TMP/out")"; fi
expect_grep "rules list: the repeat is said" 'the same directory as' "$TMP/err"

# a FIFO inside a data directory is an error, counted (#12)
mkdir -p "$TMP/fifo" && echo "$CT" > "$TMP/fifo/a.ndjson" && mkfifo "$TMP/fifo/p.ndjson"
expect_rc "convert: a FIFO inside a directory is an error (exit 1)" 1 timeout 20 "$TH" convert --no-geoip --no-user-agent "$TMP/fifo"
expect_grep "convert: the FIFO is named as an error" 'p.ndjson: error: not a regular file' "$TMP/err"
expect_grep "convert: the FIFO is counted as a skipped file" '1 files \(1 skipped\)' "$TMP/err"
