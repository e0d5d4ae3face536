# The command line skeleton: help, version, exit codes.
. "$(dirname "$0")/lib.sh"
expect_rc "--version exits 0" 0 "$TH" --version
expect_grep "--version prints the version" '^trailhound [0-9]+\.[0-9]+\.[0-9]+' "$TMP/out"
expect_rc "--help exits 0" 0 "$TH" --help
expect_grep "--help lists verbs" 'verbs:' "$TMP/out"
expect_rc "no verb is a usage error" 2 "$TH"
expect_rc "unknown verb is a usage error" 2 "$TH" frobnicate
expect_grep "unknown verb is named" "unknown verb 'frobnicate'" "$TMP/err"
# a list option (--data PATH...) ends at the next option, short ones included:
# `-o` after it is an option (run: the output file; tune: unknown), not a path;
# `-` alone stays standard input
R="$(dirname "$0")/../../examples/rules"
printf '' >"$TMP/empty.ndjson"
expect_rc "run --data F -o OUT: -o is the output" 0 "$TH" run --rules "$R" --data "$TMP/empty.ndjson" -o "$TMP/alerts.ndjson" --quiet
if [ -f "$TMP/alerts.ndjson" ]; then ok "run --data F -o OUT wrote OUT"; else nok "run --data F -o OUT wrote OUT"; fi
V="$(dirname "$0")/../../examples/tuning"
expect_rc "tune --data F -o X: usage error" 2 "$TH" tune --before "$V/v1/iam_session_token.toml" --after "$V/v2/iam_session_token.toml" --data "$TMP/empty.ndjson" -o x
expect_grep "tune --data F -o X: -o named" "unknown option '-o'" "$TMP/err"
expect_rc "run --data - reads stdin" 0 "$TH" run --rules "$R" --data - --quiet </dev/null
