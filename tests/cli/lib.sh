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

# browser_layout REPORT.html OUT.json: opens a copy of an HTML report in
# headless Chromium (narrow window, closed network) with a measuring script
# added, and writes what the browser laid out: id code spans that wrapped,
# "after" bars with data-n > 0 drawn under 2.5 px or, under 16 px, without
# their count written above them, sections, summary rows, day charts, diff
# lines. Returns 1 when no Chromium is installed.
browser_layout() {
  local chrome
  chrome=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
  [ -n "$chrome" ] || return 1
  local page="$TMP/layout-$$.html"
  cat >"$TMP/layout.js" <<'JS'
window.addEventListener("load", function () {
  var q = function (s) { return document.querySelectorAll(s); };
  var r = {ids: 0, ids_wrapped: [], after: 0, after_thin: [], after_unlabelled: [],
    sections: q("section.rule").length, summary_rows: Math.max(0, q("#rules-summary tr").length - 1),
    charts: q("svg.chart-days").length, diff_add: q("pre.diff .add").length,
    diff_del: q("pre.diff .del").length,
    provenance: (document.getElementById("provenance") || {}).textContent || ""};
  q("code.id").forEach(function (e) {
    r.ids++;
    var lh = parseFloat(getComputedStyle(e).lineHeight) || 16;
    if (e.getClientRects().length !== 1 || e.getBoundingClientRect().height > 1.6 * lh)
      r.ids_wrapped.push(e.textContent);
  });
  q("rect.bar-after").forEach(function (e) {
    var n = +e.getAttribute("data-n"); if (!n) return;
    r.after++;
    var eb = e.getBoundingClientRect();
    if (eb.height < 2.5) r.after_thin.push(n);
    if (eb.height < 16) {
      var ok = false;
      e.parentNode.querySelectorAll("text.bar-label").forEach(function (t) {
        var tb = t.getBoundingClientRect();
        if (t.textContent === String(n) && Math.abs((tb.left + tb.right) / 2 - (eb.left + eb.right) / 2) < 12 &&
            tb.bottom <= eb.top + 1 && tb.height > 4) ok = true;
      });
      if (!ok) r.after_unlabelled.push(n);
    }
  });
  var pre = document.createElement("pre"); pre.id = "layout"; pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
});
JS
  python3 -c 'import sys
page = open(sys.argv[1]).read(); js = open(sys.argv[2]).read()
open(sys.argv[3], "w").write(page.replace("</body>", "<script>" + js + "</script></body>"))' \
    "$1" "$TMP/layout.js" "$page"
  timeout 90 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$TMP/chrome-layout" --window-size=700,1000 --virtual-time-budget=5000 \
    --dump-dom "file://$page" 2>/dev/null |
    python3 -c 'import sys, re, html
m = re.search(r"<pre id=\"layout\">(.*?)</pre>", sys.stdin.read(), re.S)
print(html.unescape(m.group(1)) if m else "{}")' >"$2"
  return 0
}
