# Tiny TAP-like helpers for CLI tests: each check prints `ok NAME` or `not ok NAME`.
# TH_BIN is the trailhound binary under test.
TH=${TH_BIN:?TH_BIN must name the trailhound binary}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
CORPUS=${TH_CORPUS:-${TH_ROOT:-.}/../shared/corpus}

ok()   { echo "ok $1"; }
nok()  { echo "not ok $1"; shift; for l in "$@"; do echo "# $l"; done; }
skip() { echo "skip $1"; }

# expect_rc NAME RC CMD...: runs CMD, checks its exit status; output in $TMP/out, $TMP/err
expect_rc() {
  local name=$1 want=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"; local rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$name"; else nok "$name" "exit $rc, wanted $want" "$(head -c 2000 "$TMP/err")"; fi
}
# expect_grep NAME PATTERN FILE
expect_grep() {
  if grep -qE -- "$2" "$3"; then ok "$1"; else nok "$1" "no line matches /$2/ in $3" "$(head -c 1000 "$3")"; fi
}
