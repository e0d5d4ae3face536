# The heap on transparent huge pages (cli/main.c): where the kernel gives
# them on request, trailhound starts itself again once with glibc's tunable
# glibc.malloc.hugetlb=1 added to GLIBC_TUNABLES (other tunables kept);
# TH_NO_HUGEPAGES=1 turns it off; the output is the same either way.
. "$(dirname "$0")/lib.sh"

mkdir -p "$TMP/rules"
{ printf '[metadata]\ncreation_date = "2024/01/01"\nmaturity = "production"\nupdated_date = "2024/01/01"\n\n'
  printf '[rule]\nauthor = ["t"]\ndescription = "d"\nfrom = "now-6m"\nindex = ["logs-aws.cloudtrail-*"]\n'
  printf 'language = "kuery"\nlicense = "Elastic License v2"\nname = "all"\nrisk_score = 47\nmax_signals = 10\n'
  printf 'rule_id = "all"\nseverity = "medium"\ntype = "query"\nquery = "event.action: A"\n'; } >"$TMP/rules/all.toml"
awk 'BEGIN { for (i = 0; i < 500; i++) printf "{\"@timestamp\":\"2024-01-01T00:%02d:%02dZ\",\"event\":{\"id\":\"e%d\",\"action\":\"%s\",\"kind\":\"event\"}}\n", int(i / 60), i % 60, i, (i % 3 ? "A" : "B") }' >"$TMP/ev.ndjson"

expect_rc "run (default)" 1 "$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson" -o "$TMP/a.ndjson"
TH_NO_HUGEPAGES=1 expect_rc "run (TH_NO_HUGEPAGES=1)" 1 "$TH" run --rules "$TMP/rules" --data "$TMP/ev.ndjson" -o "$TMP/b.ndjson"
if [ -s "$TMP/a.ndjson" ] && cmp -s "$TMP/a.ndjson" "$TMP/b.ndjson"; then ok "same alerts with and without huge pages ($(wc -l <"$TMP/a.ndjson"))"
else nok "same alerts with and without huge pages" "$(wc -l <"$TMP/a.ndjson") vs $(wc -l <"$TMP/b.ndjson")"; fi

# A running trailhound's huge pages (AnonHugePages, kB), having read the AWS
# pack (tens of MB of heap) and waiting on standard input (a FIFO held open). (Its
# GLIBC_TUNABLES as /proc shows it is no witness: glibc rewrites it.)
PACK=${TH_CORPUS:-$TH_ROOT/../shared/corpus}/detection-rules/rules/integrations/aws
[ -d "$PACK" ] || PACK=/work/shared/corpus/detection-rules/rules/integrations/aws
huge_of() { # VAR=VALUE...
  rm -f "$TMP/in"
  mkfifo "$TMP/in"
  env "$@" "$TH" run --rules "$PACK" --data - -o /dev/null <"$TMP/in" >/dev/null 2>&1 &
  local pid=$! v=none rss=0 last=-1 i
  exec 3>"$TMP/in" # standard input held open: the run waits, with the pack loaded
  for i in $(seq 100); do # until the resident size stops growing (at most 20 s)
    sleep 0.2
    rss=$(sed -n 's/^VmRSS: *\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null)
    [ -n "$rss" ] && [ "$rss" -gt 8000 ] && [ "$rss" = "$last" ] && break
    last=$rss
  done
  if [ -r "/proc/$pid/smaps_rollup" ]; then
    v=$(sed -n 's/^AnonHugePages: *\([0-9]*\) kB/\1/p' "/proc/$pid/smaps_rollup")
  fi
  exec 3>&-
  wait "$pid"
  echo "${v:-none}"
}

mode=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || true)
if ! ldd "$TH" 2>/dev/null | grep -q libc.so.6 || ldd "$TH" 2>/dev/null | grep -q libasan; then
  skip "huge pages: not a glibc build without sanitizers"
elif [ ! -r /proc/self/smaps_rollup ]; then
  skip "huge pages: no /proc/PID/smaps_rollup"
elif [ ! -d "$PACK" ]; then
  skip "huge pages: the AWS pack of detection-rules is absent (corpus)"
elif [[ "$mode" != *"[madvise]"* ]]; then
  skip "huge pages: transparent_hugepage is not 'madvise' here ($mode)"
else
  v=$(huge_of FOO=1)
  [ "$v" != none ] && [ "$v" -gt 0 ] && ok "heap on huge pages ($v kB)" || nok "heap on huge pages" "$v"
  v=$(huge_of TH_NO_HUGEPAGES=1)
  [ "$v" = 0 ] && ok "TH_NO_HUGEPAGES=1: no huge pages" || nok "TH_NO_HUGEPAGES=1: no huge pages" "$v"
  v=$(huge_of GLIBC_TUNABLES=glibc.malloc.perturb=0)
  [ "$v" != none ] && [ "$v" -gt 0 ] && ok "other tunables set: huge pages still ($v kB)" || nok "other tunables set: huge pages still" "$v"
  v=$(huge_of GLIBC_TUNABLES=glibc.malloc.hugetlb=0)
  [ "$v" = 0 ] && ok "glibc.malloc.hugetlb=0 already set: left as it is" || nok "glibc.malloc.hugetlb=0 left as it is" "$v"
fi
