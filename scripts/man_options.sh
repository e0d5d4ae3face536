#!/usr/bin/env bash
# Prints the "OPTIONS BY VERB" section of docs/trailhound.1 from each verb's
# --help, so that the man page lists exactly the options the binary accepts.
# Usage: scripts/man_options.sh [TRAILHOUND] > section.roff; then replace the
# lines between the BEGIN/END OPTIONS markers of docs/trailhound.1 with it.
# tests/cli/test_manual.sh checks that the man page and --help agree.
set -eu
th=${1:-./trailhound}
roff() { sed -e 's/\\/\\e/g' -e 's/-/\\-/g' -e "s/^\\([.']\\)/\\\\\\&\\1/"; }
verbs=$("$th" --help | awk '/^verbs:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')
echo '.SH OPTIONS BY VERB'
echo 'Every verb also takes \fB\-h\fR, \fB\-\-help\fR.'
for v in $verbs; do
  [ "$v" = lint ] && { echo '.SS lint'; echo 'The same as \fBrules lint\fR.'; continue; }
  subs=("$v")
  [ "$v" = rules ] && subs=("rules list" "rules show" "rules validate" "rules lint")
  for s in "${subs[@]}"; do
    echo ".SS $s"
    # shellcheck disable=SC2086
    "$th" help $s | awk '/^options:/ {on = 1; next} on' | grep -v -- '-h, --help' |
      while IFS= read -r line; do
        left=$(printf '%s' "$line" | sed -E 's/^  ([^ ]+( [^ ]+)?) {2,}.*/\1/')
        text=$(printf '%s' "$line" | sed -E 's/^  [^ ]+( [^ ]+)? {2,}//')
        name=${left%% *}
        arg=""
        [ "$left" != "$name" ] && arg=${left#* }
        echo '.TP'
        if [ -n "$arg" ]; then
          printf '.B %s \\fI%s\\fR\n' "$(printf '%s' "$name" | roff)" "$(printf '%s' "$arg" | roff)"
        else
          printf '.B %s\n' "$(printf '%s' "$name" | roff)"
        fi
        printf '%s\n' "$text" | roff
      done
  done
done
