# A pleasant terminal: progress with percent and ETA on a terminal (script(1)
# gives a pseudo-terminal), none with --quiet or off a terminal; colour only on
# a terminal and never with NO_COLOR; an example in every --help; --from/--to
# parsed alike everywhere (ISO-8601 or date math; --from after --to refused).
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:?}
R="$ROOT/examples/rules"

for v in run match convert rules "rules list" "rules show" "rules validate" "rules lint" lint tune explain noise emulate test; do
  # shellcheck disable=SC2086
  if "$TH" $v --help | grep -q '^example: trailhound '; then ok "help example: $v"; else nok "help example: $v"; fi
done

"$TH" emulate background --rate 800 --out "$TMP/ev" --quiet
if command -v script >/dev/null; then
  TH_PROGRESS_AFTER=0.01 script -qec "'$TH' run --threads 1 --rules '$R' --data '$TMP/ev' --format summary" /dev/null \
    >"$TMP/tty.txt" 2>&1
  if tr '\r' '\n' < "$TMP/tty.txt" | grep -aqE '^run: +[0-9]+%  [0-9.]+ of [0-9.]+ MB, .* [0-9]+:[0-9]{2} left'; then
    ok "progress on a terminal: percent and ETA"; else nok "progress on a terminal: percent and ETA" "$(tr '\r' '\n' < "$TMP/tty.txt" | head -5)"; fi
  TH_PROGRESS_AFTER=0.01 script -qec "'$TH' run --quiet --threads 1 --rules '$R' --data '$TMP/ev' --format summary" /dev/null \
    >"$TMP/tty-quiet.txt" 2>&1
  if grep -aq '%\|^run:' "$TMP/tty-quiet.txt"; then nok "--quiet: no progress, no summary" "$(head -c 300 "$TMP/tty-quiet.txt")"; else ok "--quiet: no progress, no summary"; fi
  script -qec "'$TH' test '$ROOT/examples/tests/defense_evasion_cloudtrail_logging_stopped.test.toml'" /dev/null >"$TMP/tty-test.txt" 2>&1
  if grep -aq $'\033\\[32mPASS' "$TMP/tty-test.txt"; then ok "colour on a terminal"; else nok "colour on a terminal" "$(head -c 300 "$TMP/tty-test.txt" | cat -v)"; fi
  NO_COLOR=1 script -qec "'$TH' test '$ROOT/examples/tests/defense_evasion_cloudtrail_logging_stopped.test.toml'" /dev/null >"$TMP/tty-nc.txt" 2>&1
  if grep -aq $'\033\\[' "$TMP/tty-nc.txt"; then nok "NO_COLOR: no colour" "$(head -c 300 "$TMP/tty-nc.txt" | cat -v)"; else ok "NO_COLOR: no colour"; fi
else
  skip "terminal checks (no script(1))"
fi
TH_PROGRESS_AFTER=0.01 "$TH" run --threads 1 --rules "$R" --data "$TMP/ev" --format summary >/dev/null 2>"$TMP/err"
if grep -q '%' "$TMP/err"; then nok "no progress off a terminal"; else ok "no progress off a terminal"; fi
"$TH" test "$ROOT/examples/tests/defense_evasion_cloudtrail_logging_stopped.test.toml" >"$TMP/out" 2>&1
if grep -q $'\033' "$TMP/out"; then nok "no colour off a terminal"; else ok "no colour off a terminal"; fi

# --from/--to: one parser, one meaning
for v in run tune noise; do
  case $v in
    run) args=(run --rules "$R" --data "$TMP/ev") ;;
    tune) args=(tune --before "$R/defense_evasion_cloudtrail_logging_stopped.toml" --after "$R/defense_evasion_cloudtrail_logging_stopped.toml" --data "$TMP/ev") ;;
    noise) args=(noise --rule "$R/defense_evasion_cloudtrail_logging_stopped.toml" --data "$TMP/ev") ;;
  esac
  expect_rc "$v: --from after --to is 2" 2 "$TH" "${args[@]}" --from 2024-06-02 --to 2024-06-01
  expect_grep "$v: --from after --to said" 'from is after --to' "$TMP/err"
  expect_rc "$v: --from not a time is 2" 2 "$TH" "${args[@]}" --from yesterday
done
expect_rc "convert: --from after --to is 2" 2 "$TH" convert "$TMP/ev" --from now-1d --to now-2d
# both ends included, in convert as in run
"$TH" convert --quiet "$TMP/ev" > "$TMP/all.ndjson" 2>/dev/null
t=$(grep -o '"@timestamp":"[^"]*"' "$TMP/all.ndjson" | sort | sed -n 10p | cut -d'"' -f4)
n=$("$TH" convert --quiet "$TMP/ev" --from "$t" --to "$t" 2>/dev/null | grep -c "\"@timestamp\":\"$t\"")
want=$(grep -c "\"@timestamp\":\"$t\"" "$TMP/all.ndjson")
if [ "$n" -ge 1 ] && [ "$n" -eq "$want" ]; then ok "convert: --from T --to T keeps the events at T"; else nok "convert: --from T --to T keeps the events at T" "$n of $want"; fi
