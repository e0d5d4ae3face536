#!/usr/bin/env bash
# End to end: noise's root-cause clusters on 30 emulated days of a busy
# account (one region, one account: they hold every alert and mean nothing).
. "$(dirname "$0")/lib.sh"

"$TH" emulate background aws-internal console-admins iam-temp-creds iam-lookalikes cicd-pipelines \
  --days 30 --start 2026-10-01 --rate 30 --seed 7 --out "$TMP/d" --quiet

# The temporary-credential IAM rule as a plain query, without the exclusions
# Elastic's version has (no source.ip, "AWS Internal", console sessions).
cat >"$TMP/iam.toml" <<'R'
[metadata]
creation_date = "2025/04/16"
updated_date = "2026/07/20"
[rule]
rule_id = "c70d9f0d-8cb6-4cfc-85df-a95c1ccf4eab"
name = "IAM Calls with Session Tokens"
description = "IAM calls made with temporary credentials."
risk_score = 73
severity = "high"
type = "query"
language = "kuery"
index = ["logs-aws.cloudtrail-*"]
from = "now-6m"
timestamp_override = "event.ingested"
investigation_fields = { field_names = ["@timestamp", "user.name", "user_agent.original", "source.ip",
  "aws.cloudtrail.user_identity.arn", "aws.cloudtrail.user_identity.access_key_id", "event.action",
  "cloud.account.id", "cloud.region", "aws.cloudtrail.request_parameters"] }
query = '''
data_stream.dataset: aws.cloudtrail and event.provider: ("iam.amazonaws.com")
    and event.outcome: "success" and aws.cloudtrail.user_identity.type: "IAMUser"
    and aws.cloudtrail.user_identity.access_key_id: ASIA*
'''
R

expect_rc "noise: root causes with labels" 0 "$TH" noise --rule "$TMP/iam.toml" \
  --data "$TMP/d/AWSLogs" --labels "$TMP/d/labels.ndjson" --top 5 --format json
cp "$TMP/out" "$TMP/iam.json"
if python3 - "$TMP/iam.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["candidates"]
plain = [x for x in c if not x["blinding"]]
assert d["true_positives_known"] and d["alerts"] > 100, d["alerts"]
# the mechanisms: console sessions first, AWS acting inside the account and
# the missing source address among the top five; every one verified by replay
assert plain[0]["class"] == "provenance", plain[0]
assert plain[0]["kql"] == "and not aws.cloudtrail.session_credential_from_console: true", plain[0]["kql"]
kqls = [x["kql"] for x in plain[:5]]
assert 'and not source.address: "AWS Internal"' in kqls and "and source.ip: *" in kqls, kqls
for x in plain[:5]:
    assert d["alerts"] - x["alerts_after_replay"] == x["removes"], x
# with labels, no top-3 suggestion loses a true positive
assert all(x["tp_removed"] == 0 for x in plain[:3]), plain[:3]
# region and account: scope, flagged, after every other suggestion
scope = [x for x in c if any(k["field"] in ("cloud.region", "cloud.account.id") for k in x["conditions"])
         or any(s.startswith(("cloud.region", "cloud.account.id")) for s in x["same"])]
assert scope and all(x["blinding"] and x["class"] == "scope" for x in scope), scope
first_scope = next(i for i, x in enumerate(c) if x["blinding"])
assert all(x["blinding"] for x in c[first_scope:])
# one suggestion per set of alerts: source.ip and source.address never both
assert not any("source.address" in k for k in [x["kql"] for x in plain] if "source.ip" in k)
PY
then ok "noise: provenance first, region/account flagged as blinding, no top-3 loses a true positive"
else nok "noise: ranking on the emulated month" "$(head -c 1500 "$TMP/iam.json")"; fi

expect_rc "noise: text without labels" 0 "$TH" noise --rule "$TMP/iam.toml" --data "$TMP/d/AWSLogs" --top 3
expect_grep "noise: says true positives are unknown" "^true positives: unknown" "$TMP/out"
expect_grep "noise: scope section flags blinding" "BLINDING \(every alert\): " "$TMP/out"

# Every alert from one CI role (GitHub Actions via Terraform over rotating runner addresses).
cat >"$TMP/ci.toml" <<'R'
[metadata]
creation_date = "2026/01/01"
updated_date = "2026/01/01"
[rule]
rule_id = "7c0c3bd4-1b0e-4c57-9a52-0d1a5c2f6b11"
name = "IAM Role Policy Changed by an Assumed Role"
description = "A role's policies were changed by an assumed role."
risk_score = 47
severity = "medium"
type = "query"
language = "kuery"
index = ["logs-aws.cloudtrail-*"]
from = "now-6m"
query = '''
event.dataset: "aws.cloudtrail" and event.provider: "iam.amazonaws.com"
    and event.action: ("AttachRolePolicy" or "PutRolePolicy" or "CreatePolicyVersion")
    and event.outcome: "success" and aws.cloudtrail.user_identity.type: "AssumedRole"
'''
R
expect_rc "noise: the CI-role case" 0 "$TH" noise --rule "$TMP/ci.toml" --data "$TMP/d/AWSLogs" --top 5 --format json
if python3 - "$TMP/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
c = d["candidates"][0]
assert d["alerts"] > 20
assert c["class"] == "identity" and c["removes"] == d["alerts"], c
assert c["alerts_after_replay"] == 0, c
e = c["exception_entries"]
assert len(e) == 1 and e[0]["type"] == "match" and e[0]["value"].endswith(":role/vandelay-github-actions-deploy"), e
identity = [x for x in d["candidates"] if x["class"] == "identity" and x["removes"] == d["alerts"]]
assert len(identity) == 1, identity   # its other names (user.name, the ARN) are the same alerts
assert not any("source.address" in x["kql"] for x in d["candidates"])
assert d["true_positives_known"] is False and c["tp_removed"] is None
PY
then ok "noise: the CI role is one exception-list suggestion that removes every alert"
else nok "noise: the CI-role case" "$(head -c 1500 "$TMP/out")"; fi

# ---- --apply: the suggestion written where it belongs, then replayed -------
cp "$TMP/iam.toml" "$TMP/apply.toml"
n_iam=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alerts"])' "$TMP/iam.json")
n_console=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["candidates"][0]["removes"])' "$TMP/iam.json")
expect_rc "noise --apply 1: the clause into the rule file" 0 "$TH" noise --rule "$TMP/apply.toml" \
  --data "$TMP/d/AWSLogs" --apply 1
expect_grep "noise --apply: replayed counts" "^replayed: alerts $n_iam -> $((n_iam - n_console))$" "$TMP/out"
if diff "$TMP/iam.toml" "$TMP/apply.toml" | grep -qx '>     and not aws.cloudtrail.session_credential_from_console: true' &&
   [ "$(diff "$TMP/iam.toml" "$TMP/apply.toml" | grep -c '^[<>]')" = 1 ]; then
  ok "noise --apply: the rule file differs by the one clause line"
else nok "noise --apply: the rule file" "$(diff "$TMP/iam.toml" "$TMP/apply.toml")"; fi
"$TH" run --rules "$TMP/apply.toml" --data "$TMP/d/AWSLogs" --format summary >/dev/null 2>"$TMP/err"
expect_grep "noise --apply: run agrees with the replay" "; $((n_iam - n_console)) alerts;" "$TMP/err"
mkdir -p "$TMP/g" && cp "$TMP/iam.toml" "$TMP/g/rule.toml" && git -C "$TMP/g" init -q &&
  git -C "$TMP/g" add rule.toml && git -C "$TMP/g" -c user.email=t@t -c user.name=t commit -qm r
expect_rc "noise --apply: a revision needs --out" 2 "$TH" noise --rule "$TMP/g/rule.toml@HEAD" \
  --data "$TMP/d/AWSLogs" --apply 1
expect_grep "noise --apply: says why" "name the file to write with --out" "$TMP/err"
expect_rc "noise --apply: a revision, written to --out" 0 "$TH" noise --rule "$TMP/g/rule.toml@HEAD" \
  --data "$TMP/d/AWSLogs" --apply 1 --out "$TMP/g/applied.toml"
if cmp -s "$TMP/apply.toml" "$TMP/g/applied.toml"; then ok "noise --apply: same file from the revision"
else nok "noise --apply: same file from the revision" "$(diff "$TMP/apply.toml" "$TMP/g/applied.toml" | head)"; fi
cp "$TMP/ci.toml" "$TMP/ci_apply.toml"
expect_rc "noise --apply 1: the CI role's exception list" 0 "$TH" noise --rule "$TMP/ci_apply.toml" \
  --data "$TMP/d/AWSLogs" --apply 1
expect_grep "noise --apply: every CI alert gone in the replay" "^replayed: alerts [0-9]+ -> 0$" "$TMP/out"
"$TH" run --rules "$TMP/ci.toml" --data "$TMP/d/AWSLogs" --exceptions "$TMP/ci_apply.exceptions.toml" \
  --format summary >/dev/null 2>"$TMP/err"
expect_grep "noise --apply: run --exceptions reads the written list" "; 0 alerts;" "$TMP/err"
# ... and the same list as a Kibana exception-list export (NDJSON), read back too
if python3 - "$TMP/ci_apply.exceptions.ndjson" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert len(lines) == 3, len(lines)
lst, item, summary = lines
assert lst["type"] == "detection" and lst["namespace_type"] == "single" and "entries" not in lst, lst
assert item["list_id"] == lst["list_id"] and item["type"] == "simple" and item["item_id"], item
e = item["entries"]
assert len(e) == 1 and e[0]["type"] == "match" and e[0]["operator"] == "included", e
assert e[0]["field"] == "aws.cloudtrail.user_identity.session_context.session_issuer.arn", e
assert e[0]["value"].endswith(":role/vandelay-github-actions-deploy"), e
assert summary["exported_exception_list_count"] == 1 and summary["exported_exception_list_item_count"] == 1
PY
then ok "noise --apply: the Kibana NDJSON export beside the TOML (list, item, summary)"
else nok "noise --apply: the Kibana NDJSON export" "$(head -c 800 "$TMP/ci_apply.exceptions.ndjson")"; fi
"$TH" run --rules "$TMP/ci.toml" --data "$TMP/d/AWSLogs" --exceptions "$TMP/ci_apply.exceptions.ndjson" \
  --format summary >/dev/null 2>"$TMP/err"
expect_grep "noise --apply: run --exceptions reads the NDJSON list" "; 0 alerts;" "$TMP/err"

# An identity suggestion that removes part of the alerts, with an `exists`
# entry (not invoked_by: * and user.name: X): written as NDJSON (--out *.ndjson),
# read back by run --exceptions, it removes exactly the alerts it promised.
"$TH" noise --rule "$TMP/iam.toml" --data "$TMP/d/AWSLogs" --labels "$TMP/d/labels.ndjson" --top 12 \
  --verify 0 --format json >"$TMP/iam12.json" 2>"$TMP/err"
pick=$(python3 - "$TMP/iam12.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["candidates"]
ids = [i for i, x in enumerate(c) if x["class"] == "identity" and len(x["conditions"]) == 2
       and any(k["kind"] == "missing" for k in x["conditions"])]
ids = ids or [i for i, x in enumerate(c) if x["class"] == "identity"]
print(ids[0] + 1 if ids else 0)
PY
)
if [ "${pick:-0}" -gt 0 ]; then
  expect_rc "noise --apply $pick --out FILE.ndjson: an identity suggestion as Kibana NDJSON" 0 "$TH" noise \
    --rule "$TMP/iam.toml" --data "$TMP/d/AWSLogs" --labels "$TMP/d/labels.ndjson" --top 12 --verify 0 \
    --apply "$pick" --out "$TMP/ident.ndjson"
  expect_grep "noise --apply: says it wrote NDJSON" "^wrote .*ident.ndjson \(an exception list, Kibana NDJSON export" "$TMP/out"
  "$TH" run --rules "$TMP/iam.toml" --data "$TMP/d/AWSLogs" --format ndjson >"$TMP/all.ndjson" 2>/dev/null
  "$TH" run --rules "$TMP/iam.toml" --data "$TMP/d/AWSLogs" --exceptions "$TMP/ident.ndjson" \
    --format ndjson >"$TMP/left.ndjson" 2>/dev/null
  if python3 - "$TMP/iam12.json" "$pick" "$TMP/all.ndjson" "$TMP/left.ndjson" "$TMP/out" <<'PY'
import json, sys
cand = json.load(open(sys.argv[1]))["candidates"][int(sys.argv[2]) - 1]
def get(d, f):
    if f in d: return d[f]
    head, _, rest = f.partition(".")
    while rest and head not in d:
        a, _, rest = rest.partition(".")
        head += "." + a
    return get(d[head], rest) if rest and isinstance(d.get(head), dict) else (d.get(head) if not rest else None)
def holds(doc, k):
    v = get(doc, k["field"])
    vals = v if isinstance(v, list) else ([] if v is None else [v])
    if k["kind"] == "missing": return not vals
    if k["kind"] == "value": return any(str(x).lower() == k["value"].lower() if isinstance(x, bool) else str(x) == k["value"] for x in vals)
    raise SystemExit("unexpected condition kind " + k["kind"])
alerts = [json.loads(l) for l in open(sys.argv[3])]
left = {json.loads(l)["event"]["id"] for l in open(sys.argv[4])}
by_cond = {a["event"]["id"] for a in alerts if all(holds(a, k) for k in cand["conditions"])}
removed = {a["event"]["id"] for a in alerts} - left
assert len(removed) == cand["removes"] > 0, (len(removed), cand["removes"])
assert removed == by_cond, (len(removed), len(by_cond))
assert f"replayed: alerts {len(alerts)} -> {len(left)}" in open(sys.argv[5]).read()
PY
  then ok "noise --apply: the NDJSON list removes exactly the promised alerts (run --exceptions)"
  else nok "noise --apply: the NDJSON list removes exactly the promised alerts" "$(head -c 600 "$TMP/ident.ndjson")"; fi
else
  nok "noise: an identity suggestion among the top 12" "$(head -c 600 "$TMP/iam12.json")"
fi

# ---- the options run takes: --exceptions, --from/--to forms ----------------
expect_rc "noise --exceptions: the CI role's list leaves no noise" 0 "$TH" noise --rule "$TMP/ci.toml" \
  --data "$TMP/d/AWSLogs" --exceptions "$TMP/ci_apply.exceptions.toml"
expect_grep "noise --exceptions: no alerts left" "^alerts  0 over" "$TMP/out"
expect_rc "tune --exceptions: both versions" 0 "$TH" tune --before "$TMP/ci.toml" --after "$TMP/ci.toml" \
  --data "$TMP/d/AWSLogs" --exceptions "$TMP/ci_apply.exceptions.toml" --format json
expect_grep "tune --exceptions: 0 -> 0" '"before":0,"after":0' "$TMP/out"
expect_rc "tune --from/--to: date math as run takes it" 0 "$TH" tune --before "$TMP/ci.toml" \
  --after "$TMP/ci.toml" --data "$TMP/d/AWSLogs" --from now-100000d --to 2026-10-15T00:00:00Z --format json
n_half=$(grep -o '"before":[0-9]*' "$TMP/out" | head -1 | cut -d: -f2)
"$TH" run --rules "$TMP/ci.toml" --data "$TMP/d/AWSLogs" --from now-100000d --to 2026-10-15T00:00:00Z \
  --format summary 2>"$TMP/err" >/dev/null
expect_grep "tune --from/--to: the same period as run" "; $n_half alerts;" "$TMP/err"
expect_rc "noise --from: not a time is a usage error" 2 "$TH" noise --rule "$TMP/ci.toml" \
  --data "$TMP/d/AWSLogs" --from yesterday

# ---- tune over a whole pack: two git revisions, three rules changed -------
# v1: iam, ci, console (a copy of iam for console sessions), gone (removed in v2).
# v2: iam narrowed (--apply's file), ci excepts its CI role, console broadened
# to every session, gone removed, fresh added.
mkdir -p "$TMP/pack/rules"
P="$TMP/pack/rules"
sed 's/^rule_id = .*/rule_id = "aaaaaaaa-0000-0000-0000-000000000001"/' "$TMP/iam.toml" >"$P/iam.toml"
cp "$TMP/ci.toml" "$P/ci.toml"
sed 's/^rule_id = .*/rule_id = "aaaaaaaa-0000-0000-0000-000000000002"/; s/^name = .*/name = "IAM Calls by Console Sessions"/;
     s/^    and aws.cloudtrail.user_identity.access_key_id: ASIA\*$/&\n    and aws.cloudtrail.session_credential_from_console: true/' \
  "$TMP/iam.toml" >"$P/console.toml"
sed 's/^rule_id = .*/rule_id = "aaaaaaaa-0000-0000-0000-000000000003"/; s/^name = .*/name = "Gone"/' "$TMP/ci.toml" >"$P/gone.toml"
git -C "$TMP/pack" init -q && git -C "$TMP/pack" add -A && git -C "$TMP/pack" -c user.email=t@t -c user.name=t commit -qm v1
for f in iam ci console gone; do cp "$P/$f.toml" "$TMP/v1_$f.toml"; done
sed 's/^rule_id = .*/rule_id = "aaaaaaaa-0000-0000-0000-000000000001"/' "$TMP/apply.toml" >"$P/iam.toml"
sed 's/^    and event.outcome: "success" and aws.cloudtrail.user_identity.type: "AssumedRole"$/&\n    and not user.name: "vandelay-github-actions-deploy"/' "$TMP/ci.toml" >"$P/ci.toml"
grep -v 'session_credential_from_console: true' "$P/console.toml" | sed 's/^name = .*/name = "IAM Calls by Console Sessions"/' >"$TMP/c" && mv "$TMP/c" "$P/console.toml"
git -C "$TMP/pack" rm -q rules/gone.toml
sed 's/^rule_id = .*/rule_id = "aaaaaaaa-0000-0000-0000-000000000004"/; s/^name = .*/name = "Fresh"/' "$TMP/ci.toml" >"$P/fresh.toml"
git -C "$TMP/pack" add -A && git -C "$TMP/pack" -c user.email=t@t -c user.name=t commit -qm v2
expect_rc "tune --rules: two revisions of a pack" 0 "$TH" tune --rules "$P" --before HEAD~1 --after HEAD \
  --data "$TMP/d/AWSLogs" --format json
cp "$TMP/out" "$TMP/pack.json"
count() { "$TH" run --rules "$1" --data "$TMP/d/AWSLogs" --format summary 2>&1 >/dev/null | grep -o '; [0-9]* alerts;' | grep -o '[0-9]*'; }
want=""
for f in iam ci console gone; do want="$want $f:$(count "$TMP/v1_$f.toml")"; done
for f in iam ci console fresh; do want="$want $f+$(count "$P/$f.toml")"; done
if python3 - "$TMP/pack.json" "$want" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = {}
for tok in sys.argv[2].split():
    sep = ":" if ":" in tok else "+"
    name, n = tok.split(sep)
    want[(name, "before" if sep == ":" else "after")] = int(n)
ids = {"aaaaaaaa-0000-0000-0000-000000000001": "iam", "7c0c3bd4-1b0e-4c57-9a52-0d1a5c2f6b11": "ci",
       "aaaaaaaa-0000-0000-0000-000000000002": "console", "aaaaaaaa-0000-0000-0000-000000000003": "gone",
       "aaaaaaaa-0000-0000-0000-000000000004": "fresh"}
rows = {ids[r["rule_id"]]: r for r in d["rules"]}
status = {k: r["status"] for k, r in rows.items()}
assert status == {"iam": "changed", "ci": "changed", "console": "changed", "gone": "removed", "fresh": "added"}, status
assert (d["changed"], d["added"], d["removed"]) == (3, 1, 1), d
for (name, side), n in want.items():
    assert rows[name][side] == n, (name, side, rows[name][side], n)     # the same counts as `run`
assert d["before"] == sum(r["before"] for r in d["rules"]) and d["after"] == sum(r["after"] for r in d["rules"])
moves = [abs(r["after"] - r["before"]) for r in d["rules"]]
assert moves == sorted(moves, reverse=True), moves                      # biggest movers first
assert rows["ci"]["after"] == 0 and rows["console"]["after"] > rows["console"]["before"]
PY
then ok "tune --rules: per-rule movers, statuses and totals agree with run"
else nok "tune --rules: per-rule movers" "$want" "$(head -c 1500 "$TMP/pack.json")"; fi
mkdir -p "$TMP/v1" && git -C "$TMP/pack" archive HEAD~1 rules | tar -x -C "$TMP/v1"
expect_rc "tune: two folders" 0 "$TH" tune --before "$TMP/v1/rules" --after "$P" --data "$TMP/d/AWSLogs" --format json
if python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); assert a==b, (a, b)' "$TMP/out" "$TMP/pack.json"; then
  ok "tune: two folders give what two revisions give"
else nok "tune: two folders" "$(head -c 600 "$TMP/out")"; fi
expect_rc "tune --rules: text" 0 "$TH" tune --rules "$P" --before HEAD~1 --after HEAD --data "$TMP/d/AWSLogs"
expect_grep "tune --rules: the summary line" "^rules +changed 3  added 1  removed 1  unchanged 0" "$TMP/out"

# ---- the corpus's detection-rules: two revisions, three rules changed ------
# The IAM rules of the AWS pack under git; the second revision drops the seed
# rule's two exclusions, narrows the login-profile rule to CreateLoginProfile
# and excepts one user from the group-addition rule. Every count must be what
# `run` gives for that file (changed rules) or for the folder (the rest).
AWS="$CORPUS/detection-rules/rules/integrations/aws"
if [ -d "$AWS" ]; then
  C="$TMP/corpus/rules"; mkdir -p "$C"; cp "$AWS"/*iam*.toml "$C/"
  git -C "$TMP/corpus" init -q && git -C "$TMP/corpus" add -A &&
    git -C "$TMP/corpus" -c user.email=t@t -c user.name=t commit -qm v1
  cp -r "$C" "$TMP/corpus_v1"
  sed -i '/^    and source.ip: \*$/d; /^    and not user_agent.original : "AWS Internal"$/d' \
    "$C/persistence_iam_api_calls_via_user_session_token.toml"
  sed -i 's/^    and event.action: ("CreateLoginProfile" or "UpdateLoginProfile")$/    and event.action: "CreateLoginProfile"/' \
    "$C/persistence_iam_login_profile_created_or_modified.toml"
  sed -i 's/^    event.outcome: success$/    event.outcome: success and not user.name: "judy"/' \
    "$C/credential_access_iam_user_addition_to_group.toml"
  git -C "$TMP/corpus" -c user.email=t@t -c user.name=t commit -qam "three rules changed"
  expect_rc "tune --rules: the corpus pack, two revisions" 0 "$TH" tune --rules "$C" --before HEAD~1 \
    --after HEAD --data "$TMP/d/AWSLogs" --format json
  cp "$TMP/out" "$TMP/corpus.json"
  "$TH" run --rules "$TMP/corpus_v1" --data "$TMP/d/AWSLogs" --format summary 2>"$TMP/run_v1.txt" >/dev/null
  : >"$TMP/changed.txt"
  for f in persistence_iam_api_calls_via_user_session_token persistence_iam_login_profile_created_or_modified \
           credential_access_iam_user_addition_to_group; do
    echo "$f $(count "$TMP/corpus_v1/$f.toml") $(count "$C/$f.toml")" >>"$TMP/changed.txt"
  done
  if python3 - "$TMP/corpus.json" "$TMP/run_v1.txt" "$TMP/changed.txt" "$C" <<'PY'
import json, re, sys, os
d = json.load(open(sys.argv[1]))
ran = {}
for l in open(sys.argv[2]):
    m = re.match(r"^\s+(\d+)\s+\d+\s+\S+\s+.* \(([0-9a-f-]{36})\)$", l)
    if m: ran[m.group(2)] = int(m.group(1))
def rid(f):
    return re.search(r'^rule_id = "([^"]+)"', open(os.path.join(sys.argv[4], f + ".toml")).read(), re.M).group(1)
changed = {rid(f): (int(b), int(a)) for f, b, a in (l.split() for l in open(sys.argv[3]))}
rows = {r["rule_id"]: r for r in d["rules"]}
assert (d["changed"], d["added"], d["removed"], d["unchanged"]) == (3, 0, 0, len(rows) - 3), d
assert {k for k, r in rows.items() if r["status"] == "changed"} == set(changed), rows
for k, (b, a) in changed.items():
    assert (rows[k]["before"], rows[k]["after"]) == (b, a), (rows[k], b, a)
assert sum(1 for b, a in changed.values() if b != a) == 3      # all three move
for k, r in rows.items():
    if r["status"] == "unchanged" and "not_run" not in r:
        assert r["before"] == r["after"] == ran.get(k, 0), (r, ran.get(k))
assert d["before"] == sum(r["before"] for r in d["rules"]) and d["after"] == sum(r["after"] for r in d["rules"])
moves = [abs(r["after"] - r["before"]) for r in d["rules"]]
assert moves == sorted(moves, reverse=True) and moves[2] > 0 and moves[3] == 0, moves   # the movers first
PY
  then ok "tune --rules: corpus revisions, three rules changed: per-rule movers agree with run"
  else nok "tune --rules: corpus revisions" "$(cat "$TMP/changed.txt")" "$(head -c 1200 "$TMP/corpus.json")"; fi
else
  skip "tune --rules: corpus revisions (corpus absent)"
fi

# ---- Markdown evidence, rendered with a Markdown library -------------------
# Python-Markdown (Debian python3-markdown, installed by scripts/setup.sh).
MDPY=""
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import markdown' 2>/dev/null; then MDPY=$py; break; fi
done
sed 's#^    and aws.cloudtrail.user_identity.access_key_id: ASIA\*$#&\n    and source.ip: *\n    and not aws.cloudtrail.session_credential_from_console: true#' \
  "$TMP/iam.toml" >"$TMP/iam_new.toml"
expect_rc "tune --format markdown" 0 "$TH" tune --before "$TMP/iam.toml" --after "$TMP/iam_new.toml" \
  --data "$TMP/d/AWSLogs" --labels "$TMP/d/labels.ndjson" --format markdown
cp "$TMP/out" "$TMP/tune.md"
expect_rc "noise --format markdown" 0 "$TH" noise --rule "$TMP/iam.toml" --data "$TMP/d/AWSLogs" \
  --labels "$TMP/d/labels.ndjson" --top 5 --format markdown
cp "$TMP/out" "$TMP/noise.md"
if [ -z "$MDPY" ]; then
  skip "markdown: rendered (no Python-Markdown; run scripts/setup.sh)"
elif "$MDPY" - "$TMP/tune.md" "$TMP/noise.md" <<'PY'
import sys, markdown
from html.parser import HTMLParser

class Tree(HTMLParser):
    """Collects headings, tables (rows of cell texts), code blocks and strong texts."""
    def __init__(self):
        super().__init__(); self.stack = []; self.h = []; self.tables = []; self.code = []; self.strong = []
        self.text = ""
    def handle_starttag(self, tag, attrs):
        self.stack.append(tag); self.text = "" if tag in ("h3", "h4", "td", "th", "strong", "pre") else self.text
        if tag == "table": self.tables.append([])
        if tag == "tr": self.tables[-1].append([])
    def handle_endtag(self, tag):
        if tag in ("h3", "h4"): self.h.append((tag, self.text.strip()))
        if tag in ("td", "th"): self.tables[-1][-1].append(self.text.strip())
        if tag == "pre": self.code.append(self.text)
        if tag == "strong": self.strong.append(self.text)
        while self.stack and self.stack.pop() != tag: pass
    def handle_data(self, data):
        self.text += data

def render(path):
    t = Tree(); t.feed(markdown.markdown(open(path).read(), extensions=["tables", "fenced_code"])); return t

tune = render(sys.argv[1])
assert tune.h[0][0] == "h3" and tune.h[0][1].startswith("Tuning evidence: IAM Calls with Session Tokens"), tune.h
heads = [x[1] for x in tune.h]
for want in ("Query change", "Alerts", "True positives", "Alerts per day"):
    assert want in heads, (want, heads)
assert any(h.startswith("Removed alerts by investigation field") for h in heads), heads
diff = tune.code[0].splitlines()
assert "+    and source.ip: *" in diff and "+    and not aws.cloudtrail.session_credential_from_console: true" in diff, diff
assert all(l[:1] in " +-" for l in diff)
alerts = tune.tables[0]
assert alerts[0] == ["", "before", "after", "change"] and alerts[1][0] == "alerts", alerts
before, after = int(alerts[1][1]), int(alerts[1][2])
assert before > after > 0
days = tune.tables[1]
assert days[0][:3] == ["week from", "before", "after"] and len(days) == 1 + 5, days   # 30 days: 5 weeks
assert sum(int(r[1]) for r in days[1:]) == before and sum(int(r[2]) for r in days[1:]) == after
assert any(s.startswith("kept") and s.endswith("lost 0") for s in tune.strong), tune.strong
removed = tune.tables[2]
assert removed[0] == ["field", "value", "alerts"] and any(r[0] == "user.name" for r in removed[1:]), removed

noise = render(sys.argv[2])
assert noise.h[0][1].startswith("Noise analysis: IAM Calls with Session Tokens"), noise.h
t = noise.tables[0]
assert t[0] == ["#", "class", "alerts", "share", "lift", "days", "TP lost", "replayed", "suggestion"], t[0]
assert all(len(r) == 9 for r in t), t
assert t[1][1] == "provenance" and t[1][8].startswith("and not aws.cloudtrail.session_credential_from_console: true"), t[1]
assert int(t[1][7]) == int(t[1][2])           # the replay confirms the count
assert [r[6] for r in t[1:4]] == ["0", "0", "0"]  # no top-3 suggestion loses a true positive
assert any(r[1] == "scope" and "blinding" in r[8] for r in t[1:])
PY
then ok "markdown: tune and noise render as readable evidence (headings, query diff, tables)"
else nok "markdown: rendered structure" "$(head -c 1500 "$TMP/tune.md")"; fi

# ---- the pack comparison as pull-request evidence: Markdown and HTML -------
expect_rc "tune --rules --format markdown --report" 0 "$TH" tune --rules "$P" --before HEAD~1 --after HEAD \
  --data "$TMP/d/AWSLogs" --format markdown --report "$TMP/pack.html"
cp "$TMP/out" "$TMP/pack.md"
if [ -z "$MDPY" ]; then
  skip "markdown: pack comparison rendered (no Python-Markdown; run scripts/setup.sh)"
elif "$MDPY" - "$TMP/pack.md" "$TMP/pack.json" <<'PY'
import json, sys, markdown
from html.parser import HTMLParser

class Tree(HTMLParser):
    def __init__(self):
        super().__init__(); self.h = []; self.tables = []; self.code = []; self.text = ""
    def handle_starttag(self, tag, attrs):
        if tag in ("h3", "h4", "td", "th", "pre"): self.text = ""
        if tag == "table": self.tables.append([])
        if tag == "tr": self.tables[-1].append([])
    def handle_endtag(self, tag):
        if tag in ("h3", "h4"): self.h.append(self.text.strip())
        if tag in ("td", "th"): self.tables[-1][-1].append(self.text.strip())
        if tag == "pre": self.code.append(self.text)
    def handle_data(self, data):
        self.text += data

t = Tree(); t.feed(markdown.markdown(open(sys.argv[1]).read(), extensions=["tables", "fenced_code"]))
pack = json.load(open(sys.argv[2]))
assert t.h[0] == "Rule pack comparison" and "Rules, biggest movers first" in t.h and "Query changes" in t.h, t.h
rows = t.tables[0]
assert rows[0] == ["rule", "status", "before", "after", "change"], rows[0]
body, total = rows[1:-1], rows[-1]
want = {(r["name"], r["status"], r["before"], r["after"]) for r in pack["rules"]}
got = {(r[0], r[1], int(r[2]), int(r[3])) for r in body}
assert got == want, (got, want)                                  # every rule moved or changed here
assert all(int(r[4]) == int(r[3]) - int(r[2]) for r in body), body
moves = [abs(int(r[4])) for r in body]
assert moves == sorted(moves, reverse=True), moves               # biggest movers first
assert total[0].startswith("total") and (int(total[2]), int(total[3])) == (pack["before"], pack["after"]), total
assert int(total[4]) == pack["after"] - pack["before"], total
diffs = [c for c in t.code if any(l.startswith("+") or l.startswith("-") for l in c.splitlines())]
assert len(diffs) == 3, t.code                                   # the three changed queries
assert any('+    and not user.name: "vandelay-github-actions-deploy"' in c for c in diffs), diffs
assert any(l.startswith("-") and "session_credential_from_console: true" in l for c in diffs for l in c.splitlines())
PY
then ok "markdown: the pack comparison renders (movers table = the JSON's rows, totals, three query diffs)"
else nok "markdown: pack comparison" "$(head -c 1500 "$TMP/pack.md")"; fi
if browser_layout "$TMP/pack.html" "$TMP/pack-layout.json"; then
  if python3 - "$TMP/pack-layout.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
# changed 3, added 1, removed 1: a section and a day chart each, all five in the summary
assert r["sections"] == 5 and r["summary_rows"] == 5 and r["charts"] >= 4, r
assert r["ids_wrapped"] == [] and r["after_thin"] == [] and r["after_unlabelled"] == [], r
assert r["diff_add"] >= 2 and r["diff_del"] >= 1 and "emulated" in r["provenance"], r
PY
  then ok "report: the pack comparison as one HTML page (in the browser: a section per changed rule)"
  else nok "report: the pack comparison page" "$(cat "$TMP/pack-layout.json")"; fi
elif [ -n "${CI:-}" ]; then
  nok "report: the pack comparison page" "chromium not installed in CI (scripts/setup.sh installs it)"
else
  skip "report: the pack comparison page (chromium not installed)"
fi
