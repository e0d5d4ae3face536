#!/usr/bin/env bash
# End to end: rules lint, tune, noise, explain through the binary.
. "$(dirname "$0")/lib.sh"

# ---- rules lint ---------------------------------------------------------
cat >"$TMP/ok.toml" <<'R'
[metadata]
creation_date = "2024/01/01"
updated_date = "2026/06/01"
min_stack_version = "8.17.0"

[rule]
name = "Access Key Created for Another User"
description = "Detects a user creating an access key for another user."
note = "Review the caller."
language = "kuery"
type = "query"
query = '''
event.provider: "iam.amazonaws.com" and event.action: "CreateAccessKey" and source.ip: *
'''
R
expect_rc "lint: a clean rule passes" 0 "$TH" rules lint --today 2026/11/28 "$TMP/ok.toml"
expect_grep "lint: summary line" '^1 files, 0 errors, 0 warnings' "$TMP/err"

sed 's#2026/06/01#2026/12/24#; s#and source.ip: \*#and not source.ip: *#' "$TMP/ok.toml" >"$TMP/bad.toml"
expect_rc "lint: future date is an error" 1 "$TH" rules lint --today 2026/11/28 "$TMP/bad.toml"
expect_grep "lint: date finding has file:line:col" "bad.toml:3:16: error: updated_date 2026/12/24 is in the future" "$TMP/out"
expect_grep "lint: not exists flagged" "bad.toml:13:81: warning: .not source.ip: \*. excludes" "$TMP/out"

sed 's#and source.ip: \*#and not source.ip: *#' "$TMP/ok.toml" >"$TMP/warn.toml"
expect_rc "lint: warnings alone pass" 0 "$TH" rules lint --today 2026/11/28 "$TMP/warn.toml"
expect_rc "lint: --strict fails on warnings" 1 "$TH" rules lint --strict --today 2026/11/28 "$TMP/warn.toml"
expect_rc "lint: bad --today is a usage error" 2 "$TH" rules lint --today yesterday "$TMP/ok.toml"
expect_rc "lint: top-level alias" 0 "$TH" lint --today 2026/11/28 "$TMP/ok.toml"

AWS="$CORPUS/detection-rules/rules/integrations/aws"
if [ -d "$AWS" ]; then
  "$TH" rules lint --today 2026/11/28 "$AWS" >"$TMP/out" 2>"$TMP/err"; rc=$?
  summary=$(tail -1 "$TMP/err")
  echo "# corpus lint: $summary"
  if [ "$rc" -le 1 ] && grep -qE '^19[0-9] files, [0-9]+ errors, [0-9]+ warnings' "$TMP/err"; then
    ok "lint: whole AWS pack"
  else
    nok "lint: whole AWS pack" "rc $rc" "$summary"
  fi
else
  skip "lint: whole AWS pack (corpus absent)"
fi
