# The command line skeleton: help, version, exit codes.
. "$(dirname "$0")/lib.sh"
expect_rc "--version exits 0" 0 "$TH" --version
expect_grep "--version prints the version" '^trailhound [0-9]+\.[0-9]+\.[0-9]+' "$TMP/out"
expect_rc "--help exits 0" 0 "$TH" --help
expect_grep "--help lists verbs" 'verbs:' "$TMP/out"
expect_rc "no verb is a usage error" 2 "$TH"
expect_rc "unknown verb is a usage error" 2 "$TH" frobnicate
expect_grep "unknown verb is named" "unknown verb 'frobnicate'" "$TMP/err"
