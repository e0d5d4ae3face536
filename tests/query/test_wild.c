/* Wildcard fast paths (query/cnode.h wpat): th_q_wild_test and the OR-of-
 * wildcards set test must give exactly the truth values of the backtracking
 * matcher. The matcher as it was before the fast paths is kept here as the
 * reference, and random patterns and values are compared against it. */
#include "th_test.h"

#include "base/arena.h"
#include "base/diag.h"
#include "json/json.h"
#include "query/cnode.h"
#include "query/query.h"

/* ---- the reference: th_q_wild_match before any fast path, verbatim ------ */

static inline char ref_lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static inline size_t ref_cp_len(const char *p, size_t left)
{
    unsigned char c = (unsigned char)*p;
    size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return k > left ? left : k;
}

static inline bool ref_lit_at(th_str lit, const char *s, size_t left, bool nocase)
{
    if (lit.n > left)
        return false;
    if (!nocase)
        return memcmp(lit.p, s, lit.n) == 0;
    for (size_t i = 0; i < lit.n; i++)
        if (ref_lower(lit.p[i]) != ref_lower(s[i]))
            return false;
    return true;
}

static bool th_q_wild_match_ref(const wtok *w, size_t nw, th_str s, bool nocase)
{
    size_t ti = 0, si = 0, star_ti = (size_t)-1, star_si = 0;
    while (si < s.n) {
        if (ti < nw && w[ti].kind == W_LIT && ref_lit_at(w[ti].lit, s.p + si, s.n - si, nocase)) {
            si += w[ti].lit.n;
            ti++;
        } else if (ti < nw && w[ti].kind == W_ONE) {
            si += ref_cp_len(s.p + si, s.n - si);
            ti++;
        } else if (ti < nw && w[ti].kind == W_STAR) {
            star_ti = ti++;
            star_si = si;
        } else if (star_ti != (size_t)-1) {
            ti = star_ti + 1;
            star_si += ref_cp_len(s.p + star_si, s.n - star_si);
            si = star_si;
        } else {
            return false;
        }
    }
    while (ti < nw && w[ti].kind == W_STAR)
        ti++;
    return ti == nw;
}

/* One pattern against one value, every way: returns the reference's answer. */
static bool check(th_arena *a, th_str pat, bool lower, bool nocase, th_str val)
{
    wpat p;
    th_q_wild_prepare(a, pat, lower, nocase, &p);
    bool want = th_q_wild_match_ref(p.w, p.nw, val, nocase);
    bool slow = th_q_wild_match(p.w, p.nw, val, nocase);
    bool fast = th_q_wild_test(&p, val);
    if (slow != want || fast != want)
        fail_msg("pattern \"%.*s\" (lower %d, nocase %d) on \"%.*s\": reference %d, matcher %d, fast %d",
                 (int)pat.n, pat.p, lower, nocase, (int)val.n, val.p, want, slow, fast);
    return want;
}

typedef struct wcase {
    const char *pat, *val;
    bool nocase, expect;
} wcase;

static void test_shapes(void **state)
{
    (void)state;
    static const wcase t[] = {
        /* empty pattern, `*` */
        {"", "", false, true},
        {"", "a", false, false},
        {"*", "", false, true},
        {"*", "anything", false, true},
        {"**", "x", false, true},
        /* exact and prefix */
        {"abc", "abc", false, true},
        {"abc", "abcd", false, false},
        {"abc", "ABC", false, false},
        {"abc", "ABC", true, true},
        {"AKIA*", "AKIAXYZ", false, true},
        {"AKIA*", "AKI", false, false},
        {"AKIA*", "akiaxyz", true, true},
        {"AKIA*", "ASIAXYZ", false, false},
        /* suffix */
        {"*.pem", "key.pem", false, true},
        {"*.pem", "key.pem.bak", false, false},
        {"*.PEM", "key.pem", true, true},
        {"*.pem", ".pem", false, true},
        {"*.pem", "KEY.PEM", true, true},
        {"*k?y.pem", "KEY.PEM", true, true},
        {"*.pem", "pem", false, false},
        /* inner atoms */
        {"*kali*", "Mozilla distrib#kali", false, true},
        {"*kali*", "Mozilla distrib#KALI x", true, true},
        {"*kali*", "Mozilla distrib#KALI x", false, false},
        {"*role/*BedrockAgentCore*", "arn:aws:iam::1:role/x-BedrockAgentCore-y", false, true},
        {"*role/*BedrockAgentCore*", "arn:aws:iam::1:BedrockAgentCore/role/x", false, false},
        {"*S3 Browser*", "S3 Browser 9.5", false, true},
        {"a*b*c", "abc", false, true},
        {"a*b*c", "ac", false, false},
        {"a*bb*c", "abbc", false, true},
        {"a*bb*c", "abc", false, false},
        {"ab*ba", "aba", false, false}, /* prefix and suffix may not overlap */
        {"ab*ba", "abba", false, true},
        /* `?` is one code point */
        {"a?c", "abc", false, true},
        {"a?c", "ac", false, false},
        {"a?c", "a\xc3\xa9" "c", false, true},
        {"a??c", "a\xc3\xa9" "c", false, false},
        {"?", "", false, false},
        {"*?", "\xe2\x82\xac", false, true},
        /* escapes: `\*` `\?` `\\` are literals; a trailing lone `\` is literal */
        {"a\\*b", "a*b", false, true},
        {"a\\*b", "axb", false, false},
        {"*\\?", "why?", false, true},
        {"*\\?", "why!", false, false},
        {"*\\\\*", "C:\\x", false, true},
        {"a\\", "a\\", false, true},
        /* NOCASE folds ASCII only: non-ASCII bytes compare as they are */
        {"*\xc3\xa9*", "CAF\xc3\x89", true, false},
        {"*\xc3\xa9*", "CAF\xc3\xa9", true, true},
        {"caf\xc3\xa9*", "CAF\xc3\xa9 noir", true, true},
        {"*\xc3\x89T\xc3\x89", "\xc3\x89t\xc3\x89", true, true},
        /* invalid UTF-8: `*` steps by code point, so a literal hidden in a lone
         * lead byte's span is not found (the fast path must agree) */
        {"*ab", "\xf0" "ab", false, false},
        {"*ab*", "\xf0" "ab", false, false},
        {"*ab*", "\xf0" "abab", false, false}, /* `*` tries offsets 0 and 4 only */
        {"*ab*", "\xf0" "xyzab", false, true},
        {"*b", "\xc3" "b", false, false},
    };
    th_arena a;
    th_arena_init(&a, 4096);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bool got = check(&a, th_str_c(t[i].pat), false, t[i].nocase, th_str_c(t[i].val));
        if (got != t[i].expect)
            fail_msg("case %zu: \"%s\" on \"%s\": expected %d", i, t[i].pat, t[i].val, t[i].expect);
    }
    th_arena_free(&a);
}

/* ---- randomized differential -------------------------------------------- */

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    return (uint32_t)(th_test_xorshift(&rng) >> 11) % n;
}

/* Pieces: ASCII both cases, a 2-byte and a 3-byte code point, lone lead and
 * continuation bytes, and the wildcard syntax itself. */
static const char *const pieces[] = {"a", "b", "A", "B", "k", ".", "/", "\xc3\xa9", "\xc3\x89",
                                     "\xe2\x82\xac", "\xf0", "\x80", "\xc3", "*", "?", "\\"};
#define NPIECES (sizeof pieces / sizeof pieces[0])

static size_t rnd_text(char *buf, size_t cap, size_t max_pieces, bool syntax)
{
    size_t n = 0, k = rnd((uint32_t)max_pieces + 1);
    for (size_t i = 0; i < k; i++) {
        const char *p = pieces[rnd(syntax ? NPIECES : NPIECES - 3)];
        size_t l = strlen(p);
        if (n + l >= cap)
            break;
        memcpy(buf + n, p, l);
        n += l;
    }
    buf[n] = '\0';
    return n;
}

/* A value built from the pattern (wildcards replaced by random text, escapes
 * resolved), then perhaps mutated: many of these match. */
static size_t value_from(const char *pat, size_t pn, char *buf, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < pn && n + 16 < cap; i++) {
        char c = pat[i];
        if (c == '*' || c == '?') {
            char tmp[32];
            size_t l = rnd_text(tmp, sizeof tmp, c == '*' ? 3 : 1, false);
            if (c == '?' && l == 0)
                l = rnd_text(tmp, sizeof tmp, 1, false);
            memcpy(buf + n, tmp, l);
            n += l;
            continue;
        }
        if (c == '\\' && i + 1 < pn)
            c = pat[++i];
        bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        buf[n++] = letter && rnd(8) == 0 ? (char)(c ^ 0x20) : c; /* sometimes flip case */
    }
    if (n && rnd(6) == 0)
        n--; /* drop the last byte */
    buf[n] = '\0';
    return n;
}

static void test_random_differential(void **state)
{
    (void)state;
    size_t matches = 0, total = 0;
    for (int round = 0; round < 200000; round++) {
        th_arena a;
        th_arena_init(&a, 1024);
        char pat[128], val[256];
        size_t pn = rnd_text(pat, sizeof pat, 8, true);
        size_t vn = rnd(2) ? value_from(pat, pn, val, sizeof val) : rnd_text(val, sizeof val, 10, true);
        bool nocase = rnd(2) != 0;
        bool lower = rnd(4) == 0;
        if (lower)
            nocase = false; /* text-token patterns are lower-cased and matched as they are */
        matches += check(&a, th_str_make(pat, pn), lower, nocase, th_str_make(val, vn));
        total++;
        th_arena_free(&a);
    }
    print_message("wildcard differential: %zu of %zu pairs match\n", matches, total);
    assert_true(matches > total / 10 && matches < total - total / 10);
}

/* ---- OR of wildcards on one field: one set test ------------------------- */

static bool match_doc(th_qlang lang, const char *query, const char *doc)
{
    th_arena a;
    th_arena_init(&a, 4096);
    th_diags d;
    th_diags_init(&d);
    th_query *q = th_query_compile(&a, lang, query, strlen(query), NULL, &d);
    if (!q) {
        th_diags_print(&d, stderr);
        fail_msg("query does not compile: %s", query);
    }
    th_json_error err;
    th_jval *v = th_json_parse(&a, doc, strlen(doc), &err);
    if (!v)
        fail_msg("bad test document: %s", doc);
    bool r = th_query_match(q, v);
    th_diags_free(&d);
    th_arena_free(&a);
    return r;
}

typedef struct qcase {
    th_qlang lang;
    const char *grouped, *apart; /* the same predicate; `not not` keeps leaves apart */
    const char *doc;
    bool expect;
} qcase;

#define KQL TH_QLANG_KQL
#define EQL TH_QLANG_EQL
#define UA_KQL "user_agent.original: (*S3 Browser* or *Cyberduck*)"
#define UA_KQL_APART "user_agent.original: *S3 Browser* or not (not user_agent.original: *Cyberduck*)"
#define UA_EQL "any where user_agent.original : (\"*KALI*\", \"*trufflehog*\", \"caf\xc3\xa9*\")"
#define UA_EQL_APART                                                                           \
    "any where user_agent.original : \"*KALI*\" or not (not user_agent.original : \"*trufflehog*\") " \
    "or not (not user_agent.original : \"caf\xc3\xa9*\")"

static char *long_doc(const char *before, size_t n, const char *after)
{
    size_t bl = strlen(before), al = strlen(after);
    char *s = malloc(bl + n + al + 1);
    memcpy(s, before, bl);
    memset(s + bl, 'x', n);
    memcpy(s + bl + n, after, al + 1);
    return s;
}

static void test_or_groups(void **state)
{
    (void)state;
    static const qcase t[] = {
        {KQL, UA_KQL, UA_KQL_APART, "{\"user_agent\":{\"original\":\"Cyberduck/8.1\"}}", true},
        {KQL, UA_KQL, UA_KQL_APART, "{\"user_agent\":{\"original\":\"S3 Browser 10\"}}", true},
        {KQL, UA_KQL, UA_KQL_APART, "{\"user_agent\":{\"original\":\"cyberduck/8.1\"}}", false},
        {KQL, UA_KQL, UA_KQL_APART, "{\"user_agent\":{\"original\":[\"aws-cli\",\"Cyberduck\"]}}", true},
        {KQL, UA_KQL, UA_KQL_APART, "{\"user_agent\":{\"original\":[\"aws-cli\",null,7]}}", false},
        {KQL, UA_KQL, UA_KQL_APART, "{\"user_agent.original\":\"x Cyberduck\"}", true},
        {KQL, UA_KQL, UA_KQL_APART, "{}", false},
        {EQL, UA_EQL, UA_EQL_APART, "{\"user_agent\":{\"original\":\"python distrib#kali\"}}", true},
        {EQL, UA_EQL, UA_EQL_APART, "{\"user_agent\":{\"original\":\"TruffleHog/3\"}}", true},
        {EQL, UA_EQL, UA_EQL_APART, "{\"user_agent\":{\"original\":\"CAF\xc3\xa9 1\"}}", true},
        {EQL, UA_EQL, UA_EQL_APART, "{\"user_agent\":{\"original\":\"CAF\xc3\x89 1\"}}", false},
        {EQL, UA_EQL, UA_EQL_APART, "{\"user_agent\":{\"original\":[\"a\",\"b\",\"xKaLiy\"]}}", true},
        {EQL, UA_EQL, UA_EQL_APART, "{\"user_agent\":{\"original\":\"aws-sdk-go\"}}", false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bool g = match_doc(t[i].lang, t[i].grouped, t[i].doc);
        bool s = match_doc(t[i].lang, t[i].apart, t[i].doc);
        if (g != t[i].expect || s != t[i].expect)
            fail_msg("case %zu on %s: expected %d, grouped %d, apart %d", i, t[i].doc, t[i].expect, g, s);
    }
    /* values longer than ignore_above (1024) are not indexed: not matched */
    char *big = long_doc("{\"user_agent\":{\"original\":\"Cyberduck", 1100, "\"}}");
    assert_false(match_doc(KQL, UA_KQL, big));
    assert_false(match_doc(KQL, UA_KQL_APART, big));
    free(big);
    char *two = long_doc("{\"user_agent\":{\"original\":[\"Cyberduck", 1100, "\", \"S3 Browser\"]}}");
    assert_true(match_doc(KQL, UA_KQL, two));
    assert_true(match_doc(KQL, UA_KQL_APART, two));
    free(two);
    char *fits = long_doc("{\"user_agent\":{\"original\":\"Cyberduck", 1000, "\"}}");
    assert_true(match_doc(KQL, UA_KQL, fits));
    free(fits);
}

/* Grouped and separate leaves agree on random documents. */
static void test_or_groups_random(void **state)
{
    (void)state;
    size_t hits = 0;
    for (int round = 0; round < 3000; round++) {
        char p1[64], p2[64], p3[64], grouped[512], apart[512], doc[2048];
        rnd_text(p1, sizeof p1, 4, true);
        rnd_text(p2, sizeof p2, 4, true);
        rnd_text(p3, sizeof p3, 4, true);
        /* escape what EQL strings cannot hold raw */
        for (char *p = p1; *p; p++) if (*p == '\\' || (unsigned char)*p >= 0x80) *p = (*p == '\\') ? '/' : 'k';
        for (char *p = p2; *p; p++) if (*p == '\\' || (unsigned char)*p >= 0x80) *p = (*p == '\\') ? '/' : 'k';
        for (char *p = p3; *p; p++) if (*p == '\\' || (unsigned char)*p >= 0x80) *p = (*p == '\\') ? '/' : 'k';
        snprintf(grouped, sizeof grouped, "any where user_agent.original : (\"%s\", \"%s\") or user_agent.original like \"%s\"", p1, p2, p3);
        snprintf(apart, sizeof apart,
                 "any where user_agent.original : \"%s\" or not (not user_agent.original : \"%s\") or not (not user_agent.original like \"%s\")",
                 p1, p2, p3);
        size_t n = (size_t)snprintf(doc, sizeof doc, "{\"user_agent\":{\"original\":[");
        int nv = (int)rnd(3) + 1;
        for (int i = 0; i < nv; i++) {
            char v[256];
            const char *src = rnd(2) ? p1 : rnd(2) ? p2 : p3;
            size_t vn = rnd(2) ? value_from(src, strlen(src), v, sizeof v) : rnd_text(v, sizeof v, 6, false);
            v[vn] = '\0';
            for (char *p = v; *p; p++) if (*p == '\\' || *p == '"' || (unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20) *p = 'z';
            n += (size_t)snprintf(doc + n, sizeof doc - n, "%s\"%s\"", i ? "," : "", v);
        }
        snprintf(doc + n, sizeof doc - n, "]}}");
        bool g = match_doc(EQL, grouped, doc);
        bool s = match_doc(EQL, apart, doc);
        if (g != s)
            fail_msg("grouped %d, apart %d: %s on %s", g, s, grouped, doc);
        hits += g;
    }
    print_message("OR-group differential: %zu of 3000 documents match\n", hits);
    assert_true(hits > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_random_differential),
        cmocka_unit_test(test_or_groups),
        cmocka_unit_test(test_or_groups_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
