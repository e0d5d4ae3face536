/* ES|QL rule checks of detection-rules (ESQLRuleData.validates_esql_data): a
 * row-level query must read `FROM <indices> METADATA` with _id, _version and
 * _index (so alerts can be de-duplicated), unless it aggregates with
 * `STATS ... BY`; and every ES|QL rule needs a KEEP. The checks run on the
 * lower-cased query text with the same patterns the repository uses (PCRE2 in
 * UTF/UCP mode behaves as Python's re here), comments included as there. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "rules/validate_internal.h"

static const char *const metadata_or_stats =
    "(from\\s+(?:\\S+\\s*,\\s*)*\\S+\\s+metadata\\s+"
    "(?:_id|_version|_index)(?:,\\s*(?:_id|_version|_index)){2})"
    "|(\\bstats\\b.*?\\bby\\b)";
static const char *const keep = "\\|\\s*keep\\b";

/* 1 match, 0 no match, -1 the pattern could not run (reported by the caller) */
static int search(const char *pattern, const char *text, size_t n)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_DOTALL | PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK,
                                   &errcode, &erroff, NULL);
    if (!re)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)text, n, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

void v_esql(vctx *v, const th_toml *rule)
{
    const th_toml *q = th_toml_get(rule, "query");
    if (!q || q->type != TH_TOML_STRING)
        return; /* reported by the common checks */
    size_t n = q->u.str.n;
    char *low = th_xmalloc(n + 1);
    for (size_t i = 0; i < n; i++) {
        char c = q->u.str.p[i];
        low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    low[n] = '\0';
    int m = search(metadata_or_stats, low, n);
    if (m == 0)
        v_error(v, q,
                "ES|QL query neither reads 'FROM ... METADATA _id, _version, _index' nor "
                "aggregates with 'STATS ... BY'");
    int k = search(keep, low, n);
    if (k == 0)
        v_error(v, q, "ES|QL query has no KEEP command");
    if (m < 0 || k < 0)
        v_error(v, q, "ES|QL query could not be checked (pattern matching failed)");
    free(low);
}
