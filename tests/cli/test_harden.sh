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
expect_rc "convert: a FIFO inside a directory is an input that could not be read (exit 2)" 2 timeout 20 "$TH" convert --no-geoip --no-user-agent "$TMP/fifo"
expect_grep "convert: the FIFO is named as an error" 'p.ndjson: error: not a regular file' "$TMP/err"
expect_grep "convert: the FIFO is counted as a skipped file" '1 files \(1 skipped\)' "$TMP/err"

# ---- output safety (#1, #2) ---------------------------------------------
NG="--no-geoip --no-user-agent"
mkdir -p "$TMP/o"
for i in 1 2 3; do echo "$CT" | sed "s/\"e1\"/\"e$i\"/"; done > "$TMP/o/a.ndjson"
expect_rc "convert DIR -o DIR/out finishes" 0 timeout 20 "$TH" convert $NG "$TMP/o" -o "$TMP/o/out.ndjson"
if [ "$(wc -l < "$TMP/o/out.ndjson")" -eq 3 ]; then ok "convert DIR -o DIR/out does not read its own output"; else nok "convert DIR -o DIR/out does not read its own output" "$(wc -l < "$TMP/o/out.ndjson") lines"; fi
expect_grep "convert: the skipped output is said" "this run's output.*not read" "$TMP/err"
expect_rc "convert DIR -o DIR/out again (the old output is passed over too)" 0 timeout 20 "$TH" convert $NG "$TMP/o" -o "$TMP/o/out.ndjson"
if [ "$(wc -l < "$TMP/o/out.ndjson")" -eq 3 ]; then ok "convert: an existing output inside the input is not read back"; else nok "convert: an existing output inside the input is not read back" "$(wc -l < "$TMP/o/out.ndjson") lines"; fi
expect_rc "convert DIR > DIR/out (stdout) finishes" 0 sh -c "'$TH' convert $NG '$TMP/o/a.ndjson' '$TMP/o' > '$TMP/o/so.ndjson'"
if [ "$(wc -l < "$TMP/o/so.ndjson")" -eq 9 ]; then ok "convert: standard output inside the input is not read back"; else nok "convert: standard output inside the input is not read back" "$(wc -l < "$TMP/o/so.ndjson") lines"; fi
rm -f "$TMP/o/so.ndjson" "$TMP/o/out.ndjson"
cp "$TMP/o/a.ndjson" "$TMP/keep.ndjson"
expect_rc "convert f -o f is refused (usage)" 2 "$TH" convert $NG "$TMP/o/a.ndjson" -o "$TMP/o/a.ndjson"
expect_grep "convert f -o f: says why" 'is also an input' "$TMP/err"
if cmp -s "$TMP/o/a.ndjson" "$TMP/keep.ndjson"; then ok "convert f -o f leaves f intact"; else nok "convert f -o f leaves f intact"; fi
expect_rc "run --data f -o f is refused (usage)" 2 "$TH" run $NG --rules "$EXR" --data "$TMP/o/a.ndjson" -o "$TMP/o/a.ndjson"
if cmp -s "$TMP/o/a.ndjson" "$TMP/keep.ndjson"; then ok "run --data f -o f leaves f intact"; else nok "run --data f -o f leaves f intact"; fi
ln -s a.ndjson "$TMP/o/link.ndjson"
expect_rc "convert f -o link-to-f is refused" 2 "$TH" convert $NG "$TMP/o/a.ndjson" -o "$TMP/o/link.ndjson"
expect_rc "convert - -o f < f is refused" 2 sh -c "'$TH' convert $NG - -o '$TMP/o/a.ndjson' < '$TMP/o/a.ndjson'"
if cmp -s "$TMP/o/a.ndjson" "$TMP/keep.ndjson"; then ok "f is still intact"; else nok "f is still intact"; fi
rm -f "$TMP/o/link.ndjson"
# -o to /dev/null (not a regular file) is written in place, never replaced
expect_rc "convert -o /dev/null" 0 "$TH" convert $NG "$TMP/o/a.ndjson" -o /dev/null
if [ -c /dev/null ]; then ok "/dev/null is still a device"; else nok "/dev/null is still a device"; fi
# a symlinked output: the file it names is replaced, the link kept
echo old > "$TMP/o2.real" && ln -s o2.real "$TMP/o2.link"
expect_rc "convert -o LINK" 0 "$TH" convert $NG "$TMP/o/a.ndjson" -o "$TMP/o2.link"
if [ -L "$TMP/o2.link" ] && [ "$(wc -l < "$TMP/o2.real")" -eq 3 ]; then ok "convert -o LINK writes through the link"; else nok "convert -o LINK writes through the link"; fi
# a failed write leaves F as it was, and no temporary file
echo previous > "$TMP/prev.ndjson"
expect_rc "convert with an unusable --threads keeps F" 2 "$TH" convert $NG "$TMP/o/a.ndjson" --threads x -o "$TMP/prev.ndjson"
if [ "$(cat "$TMP/prev.ndjson")" = previous ]; then ok "F untouched by a usage error"; else nok "F untouched by a usage error"; fi

# ---- interrupts (#3) -----------------------------------------------------
# input from a FIFO that stays open: the run is waiting for more when it is
# interrupted; F must stay as it was, and no temporary file may be left.
interrupt_check() { # NAME SIGNAL EXPECTED_RC CMD...
  local name=$1 sig=$2 want=$3; shift 3
  rm -f "$TMP/in.fifo"; mkfifo "$TMP/in.fifo"
  ( cat "$TMP/o/a.ndjson"; sleep 60 ) > "$TMP/in.fifo" &
  local wpid=$!
  "$@" > "$TMP/out" 2> "$TMP/err" &
  local pid=$!
  sleep 2
  kill -"$sig" "$pid"
  local i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; nok "$name: stops promptly"; else ok "$name: stops promptly"; fi
  wait "$pid"; local rc=$?
  kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
  if [ "$rc" -eq "$want" ]; then ok "$name: exit $want"; else nok "$name: exit $want" "exit $rc" "$(head -c 1000 "$TMP/err")"; fi
}
mkdir -p "$TMP/sig"
echo "previous content" > "$TMP/sig/F"
interrupt_check "convert -o F, SIGINT" INT 130 "$TH" convert $NG "$TMP/in.fifo" -o "$TMP/sig/F"
expect_grep "convert: says the output was discarded" 'interrupted by signal 2.*output discarded' "$TMP/err"
if [ "$(cat "$TMP/sig/F")" = "previous content" ]; then ok "convert -o F: F left as it was"; else nok "convert -o F: F left as it was" "$(head -c 300 "$TMP/sig/F")"; fi
if [ -z "$(ls "$TMP/sig" | grep tmp)" ]; then ok "convert: no temporary file left"; else nok "convert: no temporary file left" "$(ls "$TMP/sig")"; fi
interrupt_check "run -o F, SIGTERM" TERM 143 "$TH" run $NG --rules "$EXR" --data "$TMP/in.fifo" -o "$TMP/sig/F"
expect_grep "run: says nothing was written" 'interrupted by signal 15 while reading.*no alerts were written' "$TMP/err"
if [ "$(cat "$TMP/sig/F")" = "previous content" ]; then ok "run -o F: F left as it was"; else nok "run -o F: F left as it was"; fi
if [ -z "$(ls "$TMP/sig" | grep tmp)" ]; then ok "run: no temporary file left"; else nok "run: no temporary file left" "$(ls "$TMP/sig")"; fi
rm -f "$TMP/sig/F"
interrupt_check "run -o NEW, SIGINT" INT 130 "$TH" run $NG --rules "$EXR" --data "$TMP/in.fifo" -o "$TMP/sig/F"
if [ ! -e "$TMP/sig/F" ] && [ -z "$(ls "$TMP/sig")" ]; then ok "run -o NEW: no file that looks like a result"; else nok "run -o NEW: no file that looks like a result" "$(ls -la "$TMP/sig")"; fi
interrupt_check "convert to stdout, SIGINT" INT 130 "$TH" convert $NG "$TMP/in.fifo"
expect_grep "convert to stdout: says the output is incomplete" 'output is incomplete' "$TMP/err"
if python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$TMP/out"; then ok "convert to stdout: only whole documents"; else nok "convert to stdout: only whole documents"; fi
# `test` interrupted while a test emulates a month of data: its temporary
# directory is removed, and the summary says the rest did not run
mkdir -p "$TMP/tt/rules" "$TMP/tt/tests" "$TMP/tt/tmp"
cp "$EXR" "$TMP/tt/rules/"
cat > "$TMP/tt/tests/long.test.toml" <<TOML
rule = "../rules/$(basename "$EXR")"
[[test]]
name = "a long one"
[test.expect]
alerts = 0
[test.emulate]
scenarios = ["background"]
days = 30
rate = 20000
TOML
TMPDIR="$TMP/tt/tmp" "$TH" test "$TMP/tt/tests" > "$TMP/out" 2> "$TMP/err" &
pid=$!
i=0; while [ -z "$(ls "$TMP/tt/tmp")" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
sleep 0.5
kill -INT $pid
i=0; while kill -0 $pid 2>/dev/null && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
if kill -0 $pid 2>/dev/null; then kill -9 $pid; nok "test: stops promptly on SIGINT"; else ok "test: stops promptly on SIGINT"; fi
wait $pid; rc=$?
if [ $rc -eq 130 ]; then ok "test: interrupted exits 130"; else nok "test: interrupted exits 130" "exit $rc" "$(head -c 600 "$TMP/err")"; fi
if [ -z "$(ls "$TMP/tt/tmp")" ]; then ok "test: temporary directory removed after SIGINT"; else nok "test: temporary directory removed after SIGINT" "$(du -sh "$TMP/tt/tmp")"; fi
expect_grep "test: says it was interrupted" 'interrupted by signal 2, the rest not run' "$TMP/out"

# ---- compile problems are errors of the rule (#11), edge cases (#12) -------
mkq() { # FILE QUERY [LANGUAGE]: the example rule with another query
  python3 - "$EXR" "$2" "$1" "${3:-kuery}" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
src = re.sub(r"query = '''.*?'''", lambda m: "query = '''\n" + sys.argv[2] + "\n'''", src, flags=re.S)
src = re.sub(r'language = "kuery"', 'language = "%s"' % sys.argv[4], src)
open(sys.argv[3], "w").write(src)
PY
}
mkdir -p "$TMP/q"
echo "$CT" > "$TMP/q/ev.ndjson"
mkq "$TMP/q/date.toml" 'event.action: "StopLogging" and @timestamp > "9223372036854775807"'
mkq "$TMP/q/regex.toml" 'any where event.action regex "Stop(Logging"' eql
mkq "$TMP/q/baddate.toml" 'event.action: "StopLogging" and @timestamp: "yesterday-ish"'
for r in date regex baddate; do
  expect_rc "run: a rule whose query Elasticsearch rejects ($r) exits 1" 1 "$TH" run $NG --rules "$TMP/q/$r.toml" --data "$TMP/q/ev.ndjson"
  expect_grep "run: $r: the rule is counted as failed" 'rules ran, 0 skipped, 1 failed' "$TMP/err"
  expect_grep "run: $r: the error names file:line:col" "$r.toml:[0-9]+:[0-9]+: error: " "$TMP/err"
  if [ ! -s "$TMP/out" ]; then ok "run: $r: no alerts from a failed rule"; else nok "run: $r: no alerts from a failed rule" "$(head -c 300 "$TMP/out")"; fi
  expect_rc "rules validate: $r is an error" 1 "$TH" rules validate "$TMP/q/$r.toml"
  expect_grep "rules validate: $r says why" 'error: .*an error of the rule' "$TMP/out"
  expect_rc "match: $r is an error (exit 1)" 1 "$TH" match $NG --rules "$TMP/q/$r.toml" --data "$TMP/q/ev.ndjson"
  if [ ! -s "$TMP/out" ]; then ok "match: $r selects no event"; else nok "match: $r selects no event" "$(head -c 300 "$TMP/out")"; fi
done
expect_rc "lint: an out-of-range date is an error" 1 "$TH" rules lint --no-spell --today 2026-12-01 --strict "$TMP/q/date.toml"
expect_grep "lint: says why" 'date.toml:[0-9]+:[0-9]+: error: .*range bounds' "$TMP/out"
cat > "$TMP/q/t.test.toml" <<TOML
rule = "date.toml"
[[test]]
name = "a rule that fails"
events = ['$CT']
[test.expect]
alerts = 1
TOML
expect_rc "test: a failed rule fails its test" 1 "$TH" test "$TMP/q/t.test.toml"

expect_rc "emulate --start 9999-12-31 is a range error" 2 "$TH" emulate background --start 9999-12-31 --days 2 --out -
expect_grep "emulate: says the range" 'out of range.*9999-12-29' "$TMP/err"
expect_rc "run --from after --to is a usage error" 2 "$TH" run $NG --rules "$EXR" --data "$TMP/q/ev.ndjson" --from 2026-10-02 --to 2026-10-01
expect_grep "run: says --from is after --to" 'from is after --to' "$TMP/err"
expect_rc "convert --from after --to is a usage error" 2 "$TH" convert $NG "$TMP/q/ev.ndjson" --from 2026-10-02 --to 2026-10-01
expect_rc "tune --from after --to is a usage error" 2 "$TH" noise --rule "$EXR" --data "$TMP/q/ev.ndjson" --from 2026-10-02 --to 2026-10-01
cp "$EXR" "$TMP/q/stop.toml"
cat > "$TMP/q/e.test.toml" <<TOML
rule = "stop.toml"
[[test]]
name = "emulated past year 9999"
[test.expect]
alerts = 0
[test.emulate]
scenarios = ["background"]
start = "9999-12-31"
TOML
expect_rc "test: an emulate start past 9999 cannot run (exit 1)" 1 "$TH" test "$TMP/q/e.test.toml"
expect_grep "test: says the start is out of range" 'start out of range' "$TMP/out"
