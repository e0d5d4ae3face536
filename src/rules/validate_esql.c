/* ES|QL rule checks of detection-rules (ESQLRuleData.validates_esql_data): a
 * row-level query must read `FROM <indices> METADATA` with _id, _version and
 * _index (so alerts can be de-duplicated), unless it aggregates with
 * `STATS ... BY`; and every ES|QL rule needs a KEEP. The checks run on the
 * lower-cased query text with the repository's patterns, comments included as
 * there. The FROM pattern runs in PCRE2 (UTF/UCP mode, as Python's re) under a
 * match limit, since its nested repetition can backtrack badly on hostile
 * input; `\bstats\b.*?\bby\b` is decided by a linear scan: it matches exactly
 * when some `stats` word comes before some `by` word. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "rules/validate_internal.h"

static const char *const from_metadata =
    "from\\s+(?:\\S+\\s*,\\s*)*\\S+\\s+metadata\\s+"
    "(?:_id|_version|_index)(?:,\\s*(?:_id|_version|_index)){2}";
static const char *const keep = "\\|\\s*keep\\b";

#define MATCH_LIMIT 2000000u

/* 1 match, 0 no match, -1 the pattern could not decide (limit or bad input) */
static int search(const char *pattern, const char *text, size_t n)
{
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_DOTALL | PCRE2_UTF | PCRE2_UCP, &errcode, &erroff, NULL);
    if (!re)
        return -1;
    pcre2_match_context *mc = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mc, MATCH_LIMIT);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)text, n, 0, 0, md, mc);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    pcre2_code_free(re);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

/* \w in UCP mode: letters, digits, underscore; bytes of multi-byte UTF-8
 * characters are counted as word characters (nearly all are letters here). */
static bool wordc(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

/* offset of the first (or last) whole-word occurrence of w, or -1 */
static long find_word(const char *s, size_t n, const char *w, bool last)
{
    size_t wn = strlen(w);
    long found = -1;
    for (size_t i = 0; i + wn <= n; i++) {
        if (memcmp(s + i, w, wn) != 0)
            continue;
        if ((i > 0 && wordc((unsigned char)s[i - 1])) ||
            (i + wn < n && wordc((unsigned char)s[i + wn])))
            continue;
        found = (long)i;
        if (!last)
            break;
    }
    return found;
}

static bool stats_by(const char *s, size_t n)
{
    long st = find_word(s, n, "stats", false);
    long by = find_word(s, n, "by", true);
    return st >= 0 && by >= 0 && (size_t)by >= (size_t)st + 5;
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
    int m = stats_by(low, n) ? 1 : search(from_metadata, low, n);
    if (m == 0)
        v_error(v, q,
                "ES|QL query neither reads 'FROM ... METADATA _id, _version, _index' nor "
                "aggregates with 'STATS ... BY'");
    int k = search(keep, low, n);
    if (k == 0)
        v_error(v, q, "ES|QL query has no KEEP command");
    if (m < 0 || k < 0)
        v_error(v, q, "ES|QL query could not be checked (too complex for the pattern matcher)");
    free(low);
}
