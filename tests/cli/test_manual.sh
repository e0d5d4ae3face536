# The manual (docs/manual/) and the man page (docs/trailhound.1) against --help:
# every verb has a page; every option a verb's --help prints is in the "## Options"
# section of its page and in the man page; every --option in that section is one the
# verb accepts (stale docs); every relative link of the manual leads to a file.
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
MAN=${TH_MANUAL_DIR:-$ROOT/docs/manual}
MANPAGE=${TH_MANPAGE:-$ROOT/docs/trailhound.1}

# The verbs, from the "verbs:" block of `trailhound --help`.
"$TH" --help >"$TMP/help" 2>&1
verbs=$(awk '/^verbs:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}' "$TMP/help")
if [ "$(echo "$verbs" | wc -w)" -ge 10 ]; then ok "--help lists the verbs"; else
  nok "--help lists the verbs" "found: $verbs"; fi

# The man page as plain text: roff's \- is -, font changes removed.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(em/--/g' "$MANPAGE" >"$TMP/man.txt"

# options FILE: the options a --help output declares, one per line (--long, and -o
# where the help says "also -o").
options() {
  grep -Eo '^  (-h, )?--[a-z0-9][a-z0-9-]*' "$1" | sed -E 's/^  (-h, )?//'
  grep -qE '\(also -o[;,)]' "$1" && echo "-o"
}
# has OPT FILE: OPT appears in FILE as a whole option (--to is not --today)
has() { grep -qE -- "(^|[^a-z0-9-])$1([^a-z0-9-]|\$)" "$2"; }
# The "## Options" section of a page (to the next "## " heading).
options_section() { awk '/^## Options/ {on = 1; next} on && /^## / {on = 0} on' "$1"; }

for v in $verbs; do
  page="$MAN/$v.md"
  [ "$v" = lint ] && page="$MAN/rules.md"
  if [ -f "$page" ]; then ok "verb $v has a page (${page#"$ROOT"/})"; else
    nok "verb $v has a page" "missing: $page"; continue; fi
  has "$v" "$TMP/man.txt" && ok "man page names verb $v" || nok "man page names verb $v"
  options_section "$page" >"$TMP/section"
  helps=("$v")
  [ "$v" = rules ] && helps=("rules list" "rules show" "rules validate" "rules lint")
  : >"$TMP/accepted.$v"
  for h in "${helps[@]}"; do
    # shellcheck disable=SC2086
    if ! "$TH" help $h >"$TMP/h" 2>"$TMP/herr"; then
      nok "help $h exits 0" "$(head -c 500 "$TMP/herr")"; continue; fi
    if [ ! -s "$TMP/h" ] || ! grep -q '^options:' "$TMP/h"; then
      nok "help $h prints an options block on stdout"; continue; fi
    options "$TMP/h" >>"$TMP/accepted.$v"
    grep -q '^example: trailhound ' "$TMP/h" && ok "help $h gives an example" ||
      nok "help $h gives an example" "cli.md says every --help does"
    missing_page="" missing_man=""
    for o in $(options "$TMP/h"); do
      has "$o" "$TMP/section" || missing_page="$missing_page $o"
      has "$o" "$TMP/man.txt" || missing_man="$missing_man $o"
    done
    if [ -z "$missing_page" ]; then ok "every option of 'help $h' is in the Options of ${page#"$ROOT"/}"; else
      nok "every option of 'help $h' is in the Options of ${page#"$ROOT"/}" "missing:$missing_page"; fi
    if [ -z "$missing_man" ]; then ok "every option of 'help $h' is in the man page"; else
      nok "every option of 'help $h' is in the man page" "missing:$missing_man"; fi
  done
  # reverse: what the page documents as options exists
  [ "$v" = lint ] && continue
  if [ -s "$TMP/section" ]; then ok "${page#"$ROOT"/} has an Options section"; else
    nok "${page#"$ROOT"/} has an Options section"; continue; fi
  stale=""
  for o in $(grep -Eo -- '--[a-z0-9][a-z0-9-]*' "$TMP/section" | sort -u); do
    grep -qxF -- "$o" "$TMP/accepted.$v" || stale="$stale $o"
  done
  if [ -z "$stale" ]; then ok "every option in the Options section of $v.md exists"; else
    nok "every option in the Options section of ${page#"$ROOT"/} exists" "not in help $v:$stale"; fi
done

# Every relative link of the manual points at an existing file.
bad=""
for f in "$MAN"/*.md; do
  d=$(dirname "$f")
  for t in $(grep -Eo '\]\([^)]+\)' "$f" | sed -E 's/^\]\(//; s/\)$//; s/#.*//; s/ .*//'); do
    case $t in http:* | https:* | mailto:* | '') continue ;; esac
    [ -e "$d/$t" ] || bad="$bad ${f##*/}:$t"
  done
done
if [ -z "$bad" ]; then ok "every relative link in docs/manual leads to a file"; else
  nok "every relative link in docs/manual leads to a file" "broken:$bad"; fi

# Every #anchor of a link within the manual names a heading of its page (GitHub's
# slugs: lower case, punctuation dropped, spaces to hyphens).
if command -v python3 >/dev/null 2>&1; then
  python3 - "$MAN" >"$TMP/anchors" 2>&1 <<'PY'
import os, re, sys
d = sys.argv[1]
def slugs(path):
    out = set()
    for line in open(path, encoding="utf-8"):
        m = re.match(r"#+ (.*)", line)
        if m:
            t = re.sub(r"[^\w\- ]", "", m.group(1).strip().lower())
            out.add(t.replace(" ", "-"))
    return out
for f in sorted(os.listdir(d)):
    if not f.endswith(".md"):
        continue
    for t in re.findall(r"\]\(([^)\s]+)\)", open(os.path.join(d, f), encoding="utf-8").read()):
        if t.startswith(("http:", "https:", "mailto:")) or "#" not in t:
            continue
        page, anchor = t.split("#", 1)
        target = os.path.join(d, page) if page else os.path.join(d, f)
        if os.path.exists(target) and anchor not in slugs(target):
            print(f + ":" + t)
PY
  if [ ! -s "$TMP/anchors" ]; then ok "every #anchor in docs/manual names a heading"; else
    nok "every #anchor in docs/manual names a heading" "$(tr '\n' ' ' <"$TMP/anchors")"; fi
else
  skip "anchors (no python3)"
fi

# The index names every page.
for f in "$MAN"/*.md; do
  n=${f##*/}
  [ "$n" = index.md ] && continue
  grep -qF "($n)" "$MAN/index.md" && ok "index.md links $n" || nok "index.md links $n"
done
