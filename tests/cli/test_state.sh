# run --state (issue 15): daily incremental runs give byte-identical alerts to
# one long replay over the whole runnable AWS pack; input objects are read
# once; a foreign or corrupt state file is refused; a changed rule starts
# fresh; `state show|prune|reset`.
. "$(dirname "$0")/lib.sh"
RULES=$CORPUS/detection-rules/rules/integrations/aws
export LC_ALL=C
# the whole pack under ASan is slow: fewer days there, the same checks
case "$TH" in *asan*) DAYS=4 KDD=3 ;; *) DAYS=${TH_STATE_DAYS:-30} KDD=8 ;; esac

# corrupt and foreign files are refused, never reset (no corpus needed)
echo '{"Records":[]}' > "$TMP/empty.json"
mkdir -p "$TMP/r1"
cat > "$TMP/r1/r.toml" <<'TOML'
[metadata]
creation_date = "2024/01/01"
updated_date = "2024/01/01"
maturity = "production"
[rule]
author = ["t"]
description = "t"
name = "State Test Rule"
risk_score = 21
rule_id = "00000000-0000-4000-8000-000000000015"
severity = "low"
type = "query"
language = "kuery"
index = ["logs-aws.cloudtrail-*"]
query = 'event.action: "GetCallerIdentity"'
TOML
echo 'not a database' > "$TMP/bad.db"
expect_rc "state: a file that is no database is refused" 2 "$TH" run --rules "$TMP/r1" --data "$TMP/empty.json" --state "$TMP/bad.db" --format summary
expect_grep "state: says why" "not a trailhound state file" "$TMP/err"
if [ "$(cat "$TMP/bad.db")" = "not a database" ]; then ok "state: the refused file is unchanged"; else nok "state: the refused file is unchanged"; fi
if command -v python3 >/dev/null; then
  python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('create table t(x)'); c.commit()" "$TMP/foreign.db"
  expect_rc "state: another application's SQLite database is refused" 2 "$TH" run --rules "$TMP/r1" --data "$TMP/empty.json" --state "$TMP/foreign.db" --format summary
  expect_grep "state: says it is another application's" "another application" "$TMP/err"
fi
expect_rc "state: show of a missing file" 2 "$TH" state show "$TMP/none.db"
expect_rc "state: --final without --state is a usage error" 2 "$TH" run --rules "$TMP/r1" --data "$TMP/empty.json" --final
expect_rc "state: hunt --state is a usage error" 2 "$TH" hunt --esql 'FROM logs-* | LIMIT 1' --data "$TMP/empty.json" --state "$TMP/h.db"
expect_grep "state: hunt --state says why not and what to use" "no --state: a hunt answers over all .*run --state" "$TMP/err"
if [ ! -e "$TMP/h.db" ]; then ok "state: hunt --state made no file"; else nok "state: hunt --state made no file"; fi
"$TH" help hunt > "$TMP/hh" 2>&1
expect_grep "state: help hunt says it has no --state" "A hunt has no --state" "$TMP/hh"

# An alert that a later run's suppression updates is written again by that
# run, same _id (kibana.alert.uuid), new count and end, as Kibana updates it.
# upd_reduce FILE: each _id's last copy at its first copy's place; an exact
# repeat of a line is no update (it would be an alert written twice) and is
# kept, so that the comparison with a replay fails on it. Says on fd 3 how
# many earlier copies were replaced.
upd_reduce() {
  jq -r '."kibana.alert.uuid"' "$1" | paste - "$1" | awk -F'\t' '
    { id = $1; line = substr($0, length(id) + 2)
      if (!(id in last)) order[++n] = id
      else if (last[id] == line) dup[++nd] = line
      else up++
      last[id] = line }
    END { for (i = 1; i <= n; i++) print last[order[i]]
          for (i = 1; i <= nd; i++) print dup[i]
          print up + 0 > "/dev/stderr" }' 2>"$TMP/upd.n"
}
mkdir -p "$TMP/rs" "$TMP/sup/src" "$TMP/sup/land"
# the rule of the first checks, with a 3-hour suppression per user
sed -e 's/"State Test Rule"/"State Suppression Rule"/' -e 's/-000000000015"/-000000000016"/' \
  "$TMP/r1/r.toml" > "$TMP/rs/r.toml"
cat >> "$TMP/rs/r.toml" <<'TOML'
[rule.alert_suppression]
group_by = ["aws.cloudtrail.user_identity.arn"]
missing_fields_strategy = "suppress"
[rule.alert_suppression.duration]
unit = "h"
value = 3
TOML
# one call every 20 minutes for 6 hours, one object per hour
for h in 0 1 2 3 4 5; do
  { printf '{"Records":['
    for m in 01 21 41; do
      [ "$m" = 01 ] || printf ','
      printf '{"eventVersion":"1.08","eventTime":"2026-10-01T0%s:%s:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.0","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},"eventID":"e-%s-%s","eventType":"AwsApiCall","recipientAccountId":"111122223333"}' "$h" "$m" "$h" "$m"
    done
    printf ']}\n'; } > "$TMP/sup/src/h0$h.json"
done
"$TH" run --rules "$TMP/rs" --data "$TMP/sup/src" --quiet -o "$TMP/sup/replay.ndjson"
for h in 0 1 2 3 4 5; do
  cp "$TMP/sup/src/h0$h.json" "$TMP/sup/land/"
  "$TH" run --rules "$TMP/rs" --data "$TMP/sup/land" --state "$TMP/sup/s.db" -o "$TMP/sup/o$h.ndjson" --quiet
done
"$TH" run --rules "$TMP/rs" --data "$TMP/sup/land" --state "$TMP/sup/s.db" --final -o "$TMP/sup/oz.ndjson" --quiet
cat "$TMP"/sup/o[0-5].ndjson "$TMP/sup/oz.ndjson" > "$TMP/sup/all.ndjson"
nsup=$(jq -r '."kibana.alert.suppression.docs_count"' "$TMP/sup/replay.ndjson" | paste -sd' ')
if [ "$(wc -l < "$TMP/sup/replay.ndjson")" -ge 1 ] && [ "${nsup%% *}" -gt 3 ] 2>/dev/null; then
  ok "state: suppression: the replay's alerts suppress later matches (docs_count $nsup)"
else nok "state: suppression: the replay's alerts suppress later matches" "docs_count $nsup"; fi
upd_reduce "$TMP/sup/all.ndjson" > "$TMP/sup/reduced.ndjson"
nup=$(cat "$TMP/upd.n")
if [ "$nup" -ge 2 ]; then ok "state: suppression: later runs wrote updated alerts again, same _id ($nup updates)"
else nok "state: suppression: later runs wrote updated alerts again, same _id" "$nup updates"; fi
if cmp -s "$TMP/sup/reduced.ndjson" "$TMP/sup/replay.ndjson"; then ok "state: suppression: the last copy of each _id is byte-identical to the replay's alert"
else nok "state: suppression: the last copy of each _id is byte-identical to the replay's alert" \
  "$(diff <(jq -c '[."kibana.alert.uuid", ."kibana.alert.suppression.docs_count"]' "$TMP/sup/replay.ndjson") <(jq -c '[."kibana.alert.uuid", ."kibana.alert.suppression.docs_count"]' "$TMP/sup/all.ndjson"))"; fi

# the summary says so; in _bulk form the update is an `index` (replaces the
# document with that _id), the first a `create`
mkdir -p "$TMP/sup/bl"; cp "$TMP/sup/src/h00.json" "$TMP/sup/bl/"
"$TH" run --rules "$TMP/rs" --data "$TMP/sup/bl" --state "$TMP/sup/b.db" --format bulk -o "$TMP/sup/b0.ndjson" --quiet
cp "$TMP/sup/src/h01.json" "$TMP/sup/bl/"
expect_rc "state: suppression: a later run in bulk form" 1 "$TH" run --rules "$TMP/rs" --data "$TMP/sup/bl" --state "$TMP/sup/b.db" --format bulk -o "$TMP/sup/b1.ndjson"
expect_grep "state: suppression: the summary counts the updates" "^state: 1 alert of earlier runs updated by alert suppression and written again" "$TMP/err"
a0=$(head -1 "$TMP/sup/b0.ndjson" | jq -c '[keys[0], .[keys[0]]._id]'); a1=$(head -1 "$TMP/sup/b1.ndjson" | jq -c '[keys[0], .[keys[0]]._id]')
if [ "$(echo "$a0" | jq -r '.[0]')" = create ] && [ "$(echo "$a1" | jq -r '.[0]')" = index ] && [ "$(echo "$a0" | jq -r '.[1]')" = "$(echo "$a1" | jq -r '.[1]')" ]; then
  ok "state: suppression: bulk: created first, then indexed again under the same _id"
else nok "state: suppression: bulk: created first, then indexed again under the same _id" "$a0 then $a1"; fi

# a run killed after its commit, before its rename, leaves FILE.tmp.*; the
# next run writing FILE removes it (and writes the killed run's output first)
rm -rf "$TMP/lo"; mkdir -p "$TMP/lo/land"; cp "$TMP/sup/src/h00.json" "$TMP/sup/src/h01.json" "$TMP/lo/land/"
TH_TEST_KILL_AFTER_STATE_COMMIT=1 "$TH" run --rules "$TMP/rs" --data "$TMP/lo/land" --state "$TMP/lo/s.db" -o "$TMP/lo/out.ndjson" --quiet 2>/dev/null
lrc=$?
nleft=$(ls "$TMP/lo" | grep -c '^out\.ndjson\.tmp\.')
if [ $lrc -eq 137 ] && [ "$nleft" -eq 1 ]; then ok "state: leftovers: the killed run left its temporary file"; else nok "state: leftovers: the killed run left its temporary file" "exit $lrc, $nleft files"; fi
cp "$TMP/sup/src/h02.json" "$TMP/lo/land/"
expect_rc "state: leftovers: the next run writing the same file" 1 "$TH" run --rules "$TMP/rs" --data "$TMP/lo/land" --state "$TMP/lo/s.db" -o "$TMP/lo/out.ndjson"
expect_grep "state: leftovers: it says it removed the killed run's temporary file" "removed 1 temporary file of .*out.ndjson left by runs that were killed" "$TMP/err"
if ! ls "$TMP/lo" | grep -q '\.tmp\.'; then ok "state: leftovers: no temporary file is left"; else nok "state: leftovers: no temporary file is left" "$(ls "$TMP/lo")"; fi
"$TH" run --rules "$TMP/rs" --data "$TMP/lo/land" --quiet -o "$TMP/lo/replay.ndjson"
if [ "$(jq -r '."kibana.alert.uuid"' "$TMP/lo/out.ndjson" | sort -u)" = "$(jq -r '."kibana.alert.uuid"' "$TMP/lo/replay.ndjson")" ] && [ -s "$TMP/lo/out.ndjson" ]; then
  ok "state: leftovers: the file holds the killed run's alert, then its update"
else nok "state: leftovers: the file holds the killed run's alert, then its update" "$(cat "$TMP/lo/out.ndjson" | head -c 600)"; fi

if [ ! -d "$RULES" ]; then
  skip "state: daily runs equal one replay (corpus absent: $RULES)"
  exit 0
fi
EMU="$TMP/emu"
"$TH" emulate background iam-temp-creds console-anomalies access-key-persistence secrets-access \
  --days "$DAYS" --rate 40 --out "$EMU" >/dev/null 2>&1
days=$(cd "$EMU" && ls -d AWSLogs/*/CloudTrail/*/*/*/* | sed 's|.*/CloudTrail/[^/]*/||' | sort -u)
all=()
for d in $days; do for x in $(cd "$EMU" && ls -d AWSLogs/*/CloudTrail/*/"$d"); do all+=("$EMU/$x"); done; done
"$TH" run --rules "$RULES" --data "${all[@]}" --quiet -o "$TMP/replay.ndjson"
n=0; bad=0
mkdir -p "$TMP/land"
for d in $days; do
  for x in $(cd "$EMU" && ls -d AWSLogs/*/CloudTrail/*/"$d"); do mkdir -p "$TMP/land/$x"; cp -l "$EMU/$x"/* "$TMP/land/$x/"; done
  n=$((n + 1))
  "$TH" run --rules "$RULES" --data "$TMP/land/AWSLogs" --state "$TMP/state.db" -o "$TMP/day$n.ndjson" --quiet
  rc=$?; [ $rc -le 1 ] || bad=$((bad + 1))
done
"$TH" run --rules "$RULES" --data "$TMP/land/AWSLogs" --state "$TMP/state.db" --final -o "$TMP/final.ndjson" 2>"$TMP/final.err"
if [ $bad -eq 0 ]; then ok "state: $n daily runs ran"; else nok "state: $n daily runs ran" "$bad failed"; fi
for i in $(seq 1 $n); do cat "$TMP/day$i.ndjson"; done > "$TMP/daily.ndjson"
cat "$TMP/final.ndjson" >> "$TMP/daily.ndjson"
nrep=$(wc -l < "$TMP/replay.ndjson")
if [ "$nrep" -gt 0 ]; then ok "state: the replay raised alerts ($nrep)"; else nok "state: the replay raised alerts"; fi
nrules=$(jq -r '."kibana.alert.rule.rule_id"' "$TMP/replay.ndjson" | sort -u | wc -l)
if [ "$nrules" -ge 5 ]; then ok "state: alerts of several rules ($nrules)"; else nok "state: alerts of several rules" "$nrules"; fi
if upd_reduce "$TMP/daily.ndjson" | cmp -s "$TMP/replay.ndjson" -; then ok "state: $n daily runs + --final give byte-identical alerts to one replay ($(cat "$TMP/upd.n") suppression updates)"
else nok "state: $n daily runs + --final give byte-identical alerts to one replay" \
  "$(diff <(jq -c '[."kibana.alert.rule.name", ."@timestamp"]' "$TMP/replay.ndjson") <(jq -c '[."kibana.alert.rule.name", ."@timestamp"]' "$TMP/daily.ndjson") | head -20)"; fi
expect_grep "state: the last run opened no object again" "[1-9][0-9]* input files read before, not opened" "$TMP/final.err"
expect_grep "state: every rule resumed" "rules resume, 0 new, 0 changed" "$TMP/final.err"

# --max-state-mb: a rule over the cap is trimmed to it (its oldest matches
# left out), not dropped; the file holds no more than the cap for it
# (one run over all days, no --final: the ES|QL rules keep 7 days of matches)
"$TH" run --rules "$RULES" --data "$TMP/land/AWSLogs" --state "$TMP/nocap.db" --quiet -o /dev/null
"$TH" state show "$TMP/nocap.db" > "$TMP/show0"
big=$(awk '$1 ~ /^20/ && $4 + 0 > m { m = $4 + 0 } END { print m + 0 }' "$TMP/show0")
if [ "$big" -gt 1048576 ]; then
  expect_rc "state: cap: a run with --max-state-mb 1" 1 "$TH" run --rules "$RULES" --data "$TMP/land/AWSLogs" --state "$TMP/cap.db" --max-state-mb 1 --format summary
  expect_grep "state: cap: the summary names the capped rule and what was left out" "STATE CAPPED  .*: [1-9][0-9]* oldest matches not saved, [1-9][0-9]* kept" "$TMP/err"
  "$TH" state show "$TMP/cap.db" > "$TMP/show1"
  cbig=$(awk '$1 ~ /^20/ && $4 + 0 > m { m = $4 + 0 } END { print m + 0 }' "$TMP/show1")
  ckept=$(awk '$1 ~ /^20/ && $4 + 0 > 1000000 { n++ } END { print n + 0 }' "$TMP/show1")
  if [ "$cbig" -le 1048576 ] && [ "$ckept" -ge 1 ]; then ok "state: cap: trimmed to 1 MB, not dropped (largest rule $big -> $cbig bytes)"
  else nok "state: cap: trimmed to 1 MB, not dropped" "largest $big -> $cbig bytes, $ckept rules near the cap"; fi
  expect_rc "state: cap: the trimmed state resumes" 0 "$TH" run --rules "$RULES" --data "$TMP/land/AWSLogs" --state "$TMP/cap.db" --max-state-mb 1 --format summary
  expect_grep "state: cap: every rule resumed from it" "rules resume, 0 new, 0 changed" "$TMP/err"
else
  skip "state: cap: no rule's state is over 1 MB with $DAYS days (largest $big bytes)"
fi

# kill-and-resume: SIGKILL at random points of every daily run, retried until
# one finishes; the outputs of all tries, in order, are the replay's alerts:
# no alert lost, none written twice (the output is committed with the state,
# state/state.h)
KD=${TH_STATE_KILL_DAYS:-$KDD}
kdays=$(echo "$days" | head -n "$KD")
kall=()
for d in $kdays; do for x in $(cd "$EMU" && ls -d AWSLogs/*/CloudTrail/*/"$d"); do kall+=("$EMU/$x"); done; done
"$TH" run --rules "$RULES" --data "${kall[@]}" --quiet -o "$TMP/kreplay.ndjson"
# the first day's run is timed, not killed; later kills fall within a run:
# the delay is drawn below 9/10 of the fastest whole run so far, and below
# half of that on a day's first try, so that a run rarely ends before its
# kill (runs vary: the first, on a cold start, is often the slowest)
span_ms=0
mkdir -p "$TMP/kland" "$TMP/kout"
kills=0; tries=0; n=0
for d in $kdays; do
  for x in $(cd "$EMU" && ls -d AWSLogs/*/CloudTrail/*/"$d"); do mkdir -p "$TMP/kland/$x"; cp -l "$EMU/$x"/* "$TMP/kland/$x/"; done
  n=$((n + 1)); k=0
  while :; do
    k=$((k + 1)); tries=$((tries + 1))
    lim=$(( k == 1 ? span_ms / 2 : span_ms ))
    delay=$(( lim > 1 ? RANDOM % lim + 1 : 1 )) # timeout 0 would never kill
    out="$TMP/kout/day$(printf %03d $n).try$(printf %02d $k).ndjson"
    t0=$(date +%s%N)
    if [ $n -gt 1 ] && [ $k -le 8 ]; then
      timeout -s KILL "$((delay / 1000)).$(printf %03d $((delay % 1000)))" \
        "$TH" run --rules "$RULES" --data "$TMP/kland/AWSLogs" --state "$TMP/kstate.db" -o "$out" --quiet 2>/dev/null
    else
      "$TH" run --rules "$RULES" --data "$TMP/kland/AWSLogs" --state "$TMP/kstate.db" -o "$out" --quiet 2>/dev/null
    fi
    rc=$?
    if [ $rc -eq 137 ]; then kills=$((kills + 1)); continue; fi
    took=$(( ($(date +%s%N) - t0) / 1000000 * 9 / 10 ))
    if [ $span_ms -eq 0 ] || [ $took -lt $span_ms ]; then span_ms=$took; fi
    break
  done
done
"$TH" run --rules "$RULES" --data "$TMP/kland/AWSLogs" --state "$TMP/kstate.db" --final -o "$TMP/kout/zfinal.ndjson" --quiet 2>/dev/null
ls "$TMP/kout" | grep -E '^(day[0-9]+\.try[0-9]+|zfinal)\.ndjson$' | sort | sed "s|^|$TMP/kout/|" | xargs cat > "$TMP/kdaily.ndjson"
if [ "$kills" -ge 1 ]; then ok "state: kill: $kills of $tries runs killed at random points"; else nok "state: kill: some runs were killed" "0 of $tries"; fi
if upd_reduce "$TMP/kdaily.ndjson" | cmp -s "$TMP/kreplay.ndjson" -; then ok "state: kill: the alerts of every try equal one replay (none lost, none twice; $(wc -l < "$TMP/kreplay.ndjson") alerts)"
else nok "state: kill: the alerts of every try equal one replay" "$(wc -l < "$TMP/kreplay.ndjson") vs $(wc -l < "$TMP/kdaily.ndjson")" \
  "$(diff <(jq -c '[."kibana.alert.uuid"]' "$TMP/kreplay.ndjson") <(jq -c '[."kibana.alert.uuid"]' "$TMP/kdaily.ndjson") | head -10)"; fi

# the one window where the state is ahead of the output: killed after the
# commit, before the rename; the next run writes that output first
rm -rf "$TMP/wland" "$TMP/wout"; mkdir -p "$TMP/wland" "$TMP/wout"
w=0
for d in $kdays; do
  for x in $(cd "$EMU" && ls -d AWSLogs/*/CloudTrail/*/"$d"); do mkdir -p "$TMP/wland/$x"; cp -l "$EMU/$x"/* "$TMP/wland/$x/"; done
  w=$((w + 1))
  if [ $((w % 2)) -eq 0 ]; then
    TH_TEST_KILL_AFTER_STATE_COMMIT=1 "$TH" run --rules "$RULES" --data "$TMP/wland/AWSLogs" --state "$TMP/wstate.db" -o "$TMP/wout/day$(printf %03d $w).a.ndjson" --quiet 2>/dev/null
    [ $? -eq 137 ] || nok "state: window: the test hook killed the run"
  fi
  "$TH" run --rules "$RULES" --data "$TMP/wland/AWSLogs" --state "$TMP/wstate.db" -o "$TMP/wout/day$(printf %03d $w).b.ndjson" 2>>"$TMP/werr" >/dev/null
done
"$TH" run --rules "$RULES" --data "$TMP/wland/AWSLogs" --state "$TMP/wstate.db" --final -o "$TMP/wout/zfinal.ndjson" --quiet 2>/dev/null
ls "$TMP/wout" | grep -E '\.ndjson$' | sort | sed "s|^|$TMP/wout/|" | xargs cat > "$TMP/wdaily.ndjson"
expect_grep "state: window: the next run says it writes the last output first" "never got into place: written here first" "$TMP/werr"
if ! ls "$TMP/wout" | grep -q '\.a\.ndjson$'; then ok "state: window: the killed runs left no output in place"; else nok "state: window: the killed runs left no output in place"; fi
if upd_reduce "$TMP/wdaily.ndjson" | cmp -s "$TMP/kreplay.ndjson" -; then ok "state: window: the next run wrote the killed run's alerts first, once"
else nok "state: window: the next run wrote the killed run's alerts first, once" "$(wc -l < "$TMP/kreplay.ndjson") vs $(wc -l < "$TMP/wdaily.ndjson")"; fi

# hourly runs: objects land by the hour of their S3 key time; one run per
# hour, every hour of the $DAYS days (720 for 30). A run costs 0.1-0.5 s of CPU
# in the release build (state load and save, rules, the ES|QL rules' 7-day
# windows recomputed), some 3-4 minutes for all; ASan's 5-10x would make that
# half an hour, so under ASan 12 hours check the same things
case "$TH" in
  *asan*) HOURS=${TH_STATE_HOURS:-12}
    skip "state: 720 hourly runs over 30 days (release build only: under ASan each run loads and saves the state of the whole pack, some 30 minutes for all; here $HOURS hourly runs over $DAYS days)" ;;
  *) HOURS=${TH_STATE_HOURS:-$((DAYS * 24))} ;;
esac
rm -rf "$TMP/hland" "$TMP/hrep"; mkdir -p "$TMP/hland" "$TMP/hrep"
(cd "$EMU" && find AWSLogs -type f -name '*.json.gz' | sed -E 's|^(.*_([0-9]{8}T[0-9]{2})[0-9]{2}Z_[^/]*)$|\2 \1|' | sort -k1,1 -k2,2) > "$TMP/hfiles"
hours=$(cut -d' ' -f1 "$TMP/hfiles" | uniq | head -n "$HOURS")
mkdir -p "$TMP/hlist"
awk -v d="$TMP/hlist" '{ print $2 > (d "/" $1) }' "$TMP/hfiles"
i=0
for h in $hours; do
  i=$((i + 1)); hd=$(printf %04d $i); mkdir -p "$TMP/hrep/$hd"
  (cd "$EMU" && xargs cp -l --parents -t "$TMP/hrep/$hd" < "$TMP/hlist/$h")
done
"$TH" run --rules "$RULES" --data "$TMP/hrep" --quiet -o "$TMP/hreplay.ndjson"
i=0; hbad=0
for h in $hours; do
  i=$((i + 1)); hd=$(printf %04d $i)
  cp -rl "$TMP/hrep/$hd/AWSLogs" "$TMP/hland/"
  "$TH" run --rules "$RULES" --data "$TMP/hland/AWSLogs" --state "$TMP/hstate.db" -o "$TMP/hour$hd.ndjson" --quiet 2>"$TMP/herr"
  hrc=$?; [ $hrc -le 1 ] || { hbad=$((hbad + 1)); echo "hour $hd exit $hrc: $(tail -2 "$TMP/herr")" >> "$TMP/hbad.log"; }
done
"$TH" run --rules "$RULES" --data "$TMP/hland/AWSLogs" --state "$TMP/hstate.db" --final -o "$TMP/hourz.ndjson" --quiet 2>/dev/null
cat "$TMP"/hour*.ndjson > "$TMP/hdaily.ndjson"
if [ $hbad -eq 0 ] && [ -s "$TMP/hreplay.ndjson" ]; then ok "state: $i hourly runs ran ($(wc -l < "$TMP/hreplay.ndjson") alerts in the replay)"; else nok "state: $i hourly runs ran" "$hbad failed: $(head -5 "$TMP/hbad.log" 2>/dev/null | tr "\n" " ")"; fi
if upd_reduce "$TMP/hdaily.ndjson" | cmp -s "$TMP/hreplay.ndjson" -; then ok "state: $i hourly runs + --final give byte-identical alerts to one replay ($(cat "$TMP/upd.n") suppression updates)"
else nok "state: $i hourly runs + --final give byte-identical alerts to one replay" "$(wc -l < "$TMP/hreplay.ndjson") vs $(wc -l < "$TMP/hdaily.ndjson")" \
  "$(diff <(jq -c '[."kibana.alert.rule.name", ."@timestamp"]' "$TMP/hreplay.ndjson") <(jq -c '[."kibana.alert.rule.name", ."@timestamp"]' "$TMP/hdaily.ndjson") | head -20)"; fi

# --follow: objects dropped into the watched folder day by day; each batch is
# run as it lands (alerts appended to -o); SIGTERM stops it with the state of
# every finished run; with a --final run the alerts are the replay's
rm -rf "$TMP/fland"; mkdir -p "$TMP/fland"
"$TH" run --rules "$RULES" --data "$TMP/fland" --state "$TMP/fstate.db" --follow -o "$TMP/follow.ndjson" 2>"$TMP/ferr" >/dev/null &
fpid=$!
waitsaved() { local i; for i in $(seq 1 1200); do [ "$(grep -c '^state: saved' "$TMP/ferr")" -ge "$1" ] && return 0; sleep 0.25; done; return 1; }
fok=0; waitsaved 1 && fok=1
fn=1
for d in $kdays; do
  for x in $(cd "$EMU" && ls -d AWSLogs/*/CloudTrail/*/"$d"); do mkdir -p "$TMP/fland/$x"; cp -l "$EMU/$x"/* "$TMP/fland/$x/"; done
  fn=$((fn + 1)); waitsaved $fn || fok=0
done
kill -TERM $fpid; wait $fpid; frc=$?
if [ $fok -eq 1 ]; then ok "state: follow: one run per batch of objects as they landed ($fn runs)"; else nok "state: follow: one run per batch of objects as they landed" "$(tail -5 "$TMP/ferr")"; fi
if [ $frc -le 1 ]; then ok "state: follow: SIGTERM stops it cleanly (exit $frc)"; else nok "state: follow: SIGTERM stops it cleanly" "exit $frc"; fi
expect_grep "state: follow: says it stopped with the state committed" "stopped by signal 15; the state holds every finished run" "$TMP/ferr"
"$TH" run --rules "$RULES" --data "$TMP/fland" --state "$TMP/fstate.db" --final -o "$TMP/ffinal.ndjson" --quiet 2>/dev/null
if cat "$TMP/follow.ndjson" "$TMP/ffinal.ndjson" > "$TMP/fall.ndjson" && upd_reduce "$TMP/fall.ndjson" | cmp -s - "$TMP/kreplay.ndjson"; then ok "state: follow: the alerts appended as raised equal one replay"
else nok "state: follow: the alerts appended as raised equal one replay" "$(cat "$TMP/follow.ndjson" "$TMP/ffinal.ndjson" | wc -l) vs $(wc -l < "$TMP/kreplay.ndjson")"; fi
expect_rc "state: follow without --state is a usage error" 2 "$TH" run --rules "$TMP/r1" --data "$TMP/fland" --follow

# a run with nothing new raises nothing and reads nothing
expect_rc "state: nothing new: exit 0" 0 "$TH" run --rules "$RULES" --data "$TMP/land/AWSLogs" --state "$TMP/state.db" -o "$TMP/again.ndjson"
if [ ! -s "$TMP/again.ndjson" ]; then ok "state: nothing new: no alert written again"; else nok "state: nothing new: no alert written again"; fi

# a changed rule starts fresh, and the summary says so
mkdir -p "$TMP/rules2"; cp "$RULES"/*.toml "$TMP/rules2/"
f=$(grep -l '^type = "query"' "$TMP/rules2"/*.toml | head -1)
name=$(sed -n 's/^name = "\(.*\)"$/\1/p' "$f" | head -1)
sed -i 's/^from = "now-6m"/from = "now-7m"/' "$f"
expect_rc "state: run with a changed rule" 0 "$TH" run --rules "$TMP/rules2" --data "$TMP/land/AWSLogs" --state "$TMP/state.db" --format summary
expect_grep "state: the changed rule starts fresh, named" "changed, starts fresh: .*$name" "$TMP/err"

expect_rc "state: show" 0 "$TH" state show "$TMP/state.db"
expect_grep "state: show lists the rules' last runs" "^20[0-9-]+T.*Z +[0-9]+ +[0-9]+ +[0-9]+ " "$TMP/out"
expect_rc "state: prune" 0 "$TH" state prune "$TMP/state.db" --objects-before 2100-01-01T00:00:00Z
expect_grep "state: prune drops the object records" "[1-9][0-9]* input object records dropped" "$TMP/out"
expect_rc "state: reset" 0 "$TH" state reset "$TMP/state.db"
if [ ! -e "$TMP/state.db" ]; then ok "state: reset removed the file"; else nok "state: reset removed the file"; fi
