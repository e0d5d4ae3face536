#!/usr/bin/env bash
# Runs the commands that README.md and docs/tutorial.md show, and checks what they
# print, so that the documents cannot drift from the program.
#
# Convention (fenced blocks only; other blocks and inline code are not run):
#
#   ```console   `$ CMD` is a command; a line ending in `\` continues it on the next
#                line. The lines after it, up to the next `$ ` or the end of the
#                block, are output the command must print: each must be a whole line
#                of its stdout or stderr (trailing blanks ignored; order not
#                checked). A line `...` stands for output left out and is not
#                checked; a line ending in ` ...` must be the start of an output line.
#   ```sh        every line that is not blank or a comment is a command (`\` joins
#                lines); its output is not checked.
#
# A command must exit 0 unless its line ends in a comment `# exit N` (or
# `# exit N: why`). `trailhound` is the binary under test ($TH_BIN).
#
# Each document runs from top to bottom in its own new directory, set up as both
# documents ask the reader to: it holds `examples` (the repository's examples/,
# linked) and `detection-rules` (the corpus's checkout of Elastic's rules,
# $CORPUS/detection-rules, linked). Commands run one by one (`bash -c`), so a `cd`
# does not carry over. Commands naming detection-rules are skipped, and say
# so, when the corpus is absent. Commands that start with `make` or `scripts/`
# build or test the project itself: they are not run here (`make check` runs this
# test); `make -n` in the repository root checks that the target exists, and a
# script must exist and be executable. Paths the documents name (docs/, examples/,
# src/ ...) must exist; those under docs/manual/ once that folder does.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

if ! command -v python3 >/dev/null; then
  skip "docs: python3 is not installed (it reads the documents' blocks)"
  exit 0
fi

mkdir -p "$TMP/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$TH" >"$TMP/bin/trailhound"
chmod +x "$TMP/bin/trailhound"

# extract DOC: one record per command, fields separated by \037, records by \036:
# line, kind (console|sh), expected exit, command, expected lines (\035-joined)
extract() {
  python3 - "$1" <<'PY'
import re, sys
path = sys.argv[1]
lines = open(path, encoding="utf-8").read().split("\n")
out = []
def want_rc(cmd):
    m = re.search(r"#\s*exit\s+(\d+)\b[^'\"]*$", cmd)
    return int(m.group(1)) if m else 0
i = 0
while i < len(lines):
    m = re.match(r"^```(sh|console)\s*$", lines[i])
    if not m:
        i += 1
        continue
    kind = m.group(1)
    i += 1
    block = []
    while i < len(lines) and not lines[i].startswith("```"):
        block.append((i + 1, lines[i]))
        i += 1
    i += 1
    cur = None
    j = 0
    while j < len(block):
        no, text = block[j]
        if kind == "console" and text.startswith("$ "):
            cmd = text[2:]
            while cmd.endswith("\\") and j + 1 < len(block):
                j += 1
                cmd = cmd[:-1] + " " + block[j][1].strip()
            cur = [no, kind, want_rc(cmd), cmd, []]
            out.append(cur)
        elif kind == "console":
            if cur is None:
                if text.strip():
                    sys.exit("%s:%d: output before any `$ ` command" % (path, no))
            else:
                cur[4].append(text.rstrip())
        else:
            s = text.strip()
            if s and not s.startswith("#"):
                cmd = s
                while cmd.endswith("\\") and j + 1 < len(block):
                    j += 1
                    cmd = cmd[:-1] + " " + block[j][1].strip()
                out.append([no, kind, want_rc(cmd), cmd, []])
        j += 1
for no, kind, rc, cmd, exp in out:
    while exp and not exp[-1]:
        exp.pop()
    sys.stdout.write("\037".join([str(no), kind, str(rc), cmd, "\035".join(exp)]) + "\036")
PY
}

# check_lines NAME FILE EXPECTED: every expected line is a line of FILE
check_lines() {
  python3 - "$2" "$3" <<'PY'
import sys
got = [l.rstrip() for l in open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")]
miss = []
for e in sys.argv[2].split("\035"):
    if e == "" or e == "...":
        continue
    if e.endswith(" ..."):
        p = e[:-4]
        if not any(g.startswith(p) for g in got):
            miss.append(e)
    elif e not in got:
        miss.append(e)
for m in miss:
    print(m)
sys.exit(1 if miss else 0)
PY
}

run_doc() {
  local doc=$1 name=$2 dir="$TMP/$2" n=0 recs
  mkdir -p "$dir"
  ln -s "$ROOT/examples" "$dir/examples"
  local corpus=0
  if [ -d "$CORPUS/detection-rules" ]; then
    ln -s "$CORPUS/detection-rules" "$dir/detection-rules"; corpus=1
  fi
  if ! recs=$(extract "$ROOT/$doc"); then nok "$name: blocks parse" "$recs"; return; fi
  local rec line kind want cmd exp rc label
  while IFS= read -r -d $'\036' rec; do
    IFS=$'\037' read -r line kind want cmd exp <<<"$rec"
    n=$((n + 1))
    label="$name:$line: ${cmd:0:70}"
    case "$cmd" in
      make\ *|scripts/*)
        if [ "${cmd%% *}" = make ]; then
          local args=${cmd#make }; args=${args%%#*}
          # shellcheck disable=SC2086
          if (cd "$ROOT" && make -n $args >/dev/null 2>"$TMP/err"); then ok "$label (make -n)"
          else nok "$label (make -n)" "$(head -c 500 "$TMP/err")"; fi
        else
          if [ -x "$ROOT/${cmd%% *}" ]; then ok "$label (exists)"; else nok "$label" "no executable ${cmd%% *}"; fi
        fi
        continue ;;
    esac
    if [[ "$cmd" == *detection-rules* ]] && [ "$corpus" -eq 0 ]; then
      skip "$label: no corpus at $CORPUS (Elastic's rules)"
      continue
    fi
    (cd "$dir" && PATH="$TMP/bin:$PATH" NO_COLOR=1 TH_DATA_DIR="${TH_DATA_DIR:-$ROOT}" \
       GIT_AUTHOR_NAME=doc GIT_AUTHOR_EMAIL=doc@example.com GIT_COMMITTER_NAME=doc \
       GIT_COMMITTER_EMAIL=doc@example.com GIT_CONFIG_NOSYSTEM=1 HOME="$dir" \
       bash -o pipefail -c "$cmd" >"$TMP/out" 2>"$TMP/err" </dev/null)
    rc=$?
    if [ "$rc" -ne "$want" ]; then
      nok "$label" "exit $rc, wanted $want"; tail -c 1500 "$TMP/err" | sed 's/^/#   /'
      continue
    fi
    if [ -n "$exp" ]; then
      cat "$TMP/out" "$TMP/err" >"$TMP/both"
      local miss
      if miss=$(check_lines "$label" "$TMP/both" "$exp"); then ok "$label"
      else
        nok "$label" "lines shown in $doc but not printed:"
        { printf '%s\n' "$miss"; echo "--- printed:"; head -c 3000 "$TMP/both"; } | sed 's/^/#   /'
      fi
    else
      ok "$label"
    fi
  done <<<"$recs"
  if [ "$n" -gt 0 ]; then ok "$name: $n commands found"; else nok "$name: no commands found in $doc"; fi
}

# Paths the documents name (links, and docs/, examples/, src/ ... paths in the text)
# must exist; those under docs/manual/ only once that folder exists.
links() {
  python3 - "$ROOT" "$@" <<'PY'
import os, re, sys
root = sys.argv[1]
pat = re.compile(r"(?:\]\(|(?<![\w/.-]))((?:docs|examples|tests|scripts|src|bench|fuzz)/[\w./<>*-]*[\w])")
manual = os.path.isdir(os.path.join(root, "docs/manual"))
bad, skipped, n = [], 0, 0
for doc in sys.argv[2:]:
    for no, line in enumerate(open(os.path.join(root, doc), encoding="utf-8"), 1):
        for m in pat.finditer(line):
            path = m.group(1).rstrip(".")
            if any(c in path for c in "<>*") or path.startswith("tests/cli/test_*"):
                continue
            if path.startswith("docs/manual") and not manual:
                skipped += 1
                continue
            n += 1
            if not os.path.exists(os.path.join(root, path)):
                bad.append("%s:%d: %s" % (doc, no, path))
print("%d %d" % (n, skipped))
for b in bad:
    print(b)
PY
}
res=$(links README.md docs/tutorial.md CONTRIBUTING.md)
read -r nlinks nskipped <<<"$(head -n 1 <<<"$res")"
missing=$(tail -n +2 <<<"$res")
if [ -z "$missing" ] && [ "${nlinks:-0}" -gt 20 ]; then ok "docs: the $nlinks paths named exist"
else nok "docs: paths named exist ($nlinks checked)" "$missing"; fi
[ "${nskipped:-0}" -eq 0 ] || skip "docs: $nskipped paths under docs/manual/ not checked: docs/manual/ is absent"

# TH_DOCS_ONLY=readme or tutorial runs one document (while editing it)
for doc in README.md:readme docs/tutorial.md:tutorial; do
  name=${doc#*:}; doc=${doc%%:*}
  [ -z "${TH_DOCS_ONLY:-}" ] || [ "$TH_DOCS_ONLY" = "$name" ] || continue
  if [ -f "$ROOT/$doc" ]; then run_doc "$doc" "$name"; else nok "$name: $doc exists"; fi
done
exit 0
