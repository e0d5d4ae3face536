/* query/lregex: Lucene RegExp on an automaton. Expectations are derived by hand
 * from Lucene's documented syntax (Elasticsearch "Regular expression syntax"
 * and Lucene's RegExp grammar), not from running another engine. */
#include "th_test.h"

#include <time.h>

#include "base/arena.h"
#include "base/limits.h"
#include "query/lregex.h"

typedef struct mcase {
    const char *re;
    const char *s;
    bool nocase;
    bool want;
} mcase;

static bool run1(const char *re, const char *s, size_t sn, bool nocase, bool *is_dfa)
{
    th_arena a;
    th_arena_init(&a, 0);
    char err[200];
    size_t at;
    th_lregex *r = th_lregex_compile(&a, re, strlen(re), nocase ? TH_LRE_NOCASE : 0, err, sizeof err, &at);
    if (!r)
        fail_msg("/%s/ did not compile: %s at %zu", re, err, at);
    bool ok = th_lregex_match(r, s, sn);
    if (is_dfa)
        *is_dfa = th_lregex_is_dfa(r);
    th_arena_free(&a);
    return ok;
}

static void test_table(void **state)
{
    (void)state;
    static const mcase t[] = {
        /* anchoring: the whole value */
        {"abc", "abc", false, true}, {"abc", "xabc", false, false}, {"abc", "abcx", false, false},
        {"ab.*", "abcde", false, true}, {"abcd", "abcde", false, false},
        /* . any character, newlines included */
        {"ab.", "abz", false, true}, {"ab.", "ab", false, false}, {"a.c", "a\nc", false, true},
        /* ? + * */
        {"abc?", "ab", false, true}, {"abc?", "abc", false, true}, {"abc?", "abcc", false, false},
        {"ab+", "ab", false, true}, {"ab+", "abbb", false, true}, {"ab+", "a", false, false},
        {"ab*", "a", false, true}, {"ab*", "abbbb", false, true}, {"ab*", "ac", false, false},
        {"a*?", "aaa", false, true}, /* no lazy quantifier: (a*)? */
        /* {n} {n,} {n,m} */
        {"a{2}", "aa", false, true}, {"a{2}", "a", false, false}, {"a{2}", "aaa", false, false},
        {"a{2,}", "aa", false, true}, {"a{2,}", "aaaaaa", false, true}, {"a{2,}", "a", false, false},
        {"a{2,4}", "aaaa", false, true}, {"a{2,4}", "aaaaa", false, false}, {"a{2,4}", "aaa", false, true},
        {"a{0}", "", false, true}, {"a{0}", "a", false, false},
        {"a{3,2}", "aa", false, false}, {"a{3,2}", "aaa", false, false}, /* m < n: empty language */
        {"(ab){2}c", "ababc", false, true},
        /* | and ( ) */
        {"abc|xyz", "xyz", false, true}, {"abc|xyz", "abz", false, false}, {"abc|xyz", "abcxyz", false, false},
        {"a(b|c)d", "acd", false, true}, {"a(b|c)d", "abcd", false, false},
        {"a()b", "ab", false, true}, {"(|a)", "|a", false, true}, /* `|` where an operand is due: literal */
        /* classes */
        {"[abc]", "b", false, true}, {"[abc]", "d", false, false}, {"[a-c]+", "abcabc", false, true},
        {"[^abc]", "d", false, true}, {"[^abc]", "a", false, false}, {"[^abc]", "dd", false, false},
        {"[-a]", "-", false, true}, {"[a\\-z]", "-", false, true}, {"[a\\-z]", "m", false, false},
        {"[]a]", "]", false, true}, {"[.]", "x", false, false}, {"[.]", ".", false, true},
        {"[\\d]+", "0123", false, true}, {"[^/]+", "a/b", false, false},
        /* predefined classes */
        {"\\d+", "42", false, true}, {"\\d", "x", false, false}, {"\\D", "x", false, true}, {"\\D", "1", false, false},
        {"\\w+", "a_Z9", false, true}, {"\\w", "-", false, false}, {"\\W", "-", false, true},
        {"\\s", " ", false, true}, {"\\s", "\t", false, true}, {"\\S", " ", false, false},
        /* "..." strings and \ escapes */
        {"\"john@smith.com\"", "john@smith.com", false, true}, {"\"a.b\"", "axb", false, false},
        {"john\"@smith.com\"", "john@smith.com", false, true}, {"\"\"", "", false, true},
        {"\\@", "@", false, true}, {"\\\\", "\\", false, true}, {"a\\.b", "a.b", false, true}, {"a\\.b", "axb", false, false},
        {"\\q", "q", false, true}, /* any escaped character is itself */
        {"a^b$", "a^b$", false, true}, /* ^ $ are not anchors */
        {"*a", "*a", false, true}, /* an operator where an operand is due is literal */
        /* optional operators, all enabled: # @ <n-m> & ~ */
        {"#", "", false, false}, {"a|#", "a", false, true}, {"ab#", "ab", false, false},
        {"@", "", false, true}, {"@", "anything at all", false, true}, {"x@", "xyz", false, true},
        {"@&.*x.*", "abxcd", false, true}, {"@&.*x.*", "abcd", false, false},
        {"foo<1-100>", "foo1", false, true}, {"foo<1-100>", "foo100", false, true},
        {"foo<1-100>", "foo101", false, false}, {"foo<1-100>", "foo0", false, false},
        {"foo<1-100>", "foo007", false, true}, /* widths differ: any leading zeros */
        {"<01-10>", "05", false, true}, {"<01-10>", "5", false, false}, {"<01-10>", "010", false, false},
        {"<10-1>", "7", false, true}, /* bounds are swapped */
        {"<0-5>", "0", false, true}, {"<0-5>", "000", false, false} /* same widths: exactly 1 digit */, {"<0-5>", "", false, false},
        {"<150-2035>", "999", false, true}, {"<150-2035>", "2036", false, false}, {"<150-2035>", "149", false, false},
        {"<150-2035>", "2035", false, true}, {"<150-2035>", "0150", false, true}, {"<150-2035>", "1999", false, true},
        {"aaa.+&.+bbb", "aaabbb", false, true}, {"aaa.+&.+bbb", "aaabb", false, false},
        {"a.*&.*b&.*c.*", "acb", false, true}, {"a.*&.*b&.*c.*", "ab", false, false},
        {"ab~(cd)", "abxx", false, true}, {"ab~(cd)", "abcd", false, false}, {"ab~(cd)", "ab", false, true},
        {"~(abc)", "abcd", false, true}, {"~(abc)", "abc", false, false},
        {"~a*", "bbb", false, true}, /* ~ binds tighter than *: (~a)* */
        {"[a-z]+&~(.*admin.*)", "root", false, true}, {"[a-z]+&~(.*admin.*)", "xadminx", false, false},
        /* Unicode: code points, not bytes */
        {".", "\xc3\xa9", false, true},       /* é is one character */
        {"..", "\xc3\xa9", false, false},
        {".", "\xf0\x9f\x98\x80", false, true}, /* U+1F600 */
        {"caf\xc3\xa9", "caf\xc3\xa9", false, true},
        {"[\xc3\xa0-\xc3\xbf]", "\xc3\xa9", false, true}, {"[\xc3\xa0-\xc3\xbf]", "e", false, false},
        {"[^a]", "\xe2\x82\xac", false, true}, {"a{3}", "\xc3\xa9\xc3\xa9\xc3\xa9", false, false},
        {".{3}", "\xc3\xa9\xc3\xa9\xc3\xa9", false, true},
        /* case-insensitive (regex~): ASCII letters in characters, strings, ranges */
        {"abc", "ABC", true, true}, {"abc", "ABC", false, false}, {"\"ab\"c", "aBC", true, true},
        {"[a-c]+", "CAB", true, true}, {"[^a]", "A", true, false}, {"\xc3\xa9", "\xc3\x89", true, false},
        /* the rule pack's ransom-note pattern */
        {"arn:aws:s3:::[^/]+/.*?(how|decrypt|restor|help|instruct|read|get|recov|save|encrypt|delet|info|ransom).*",
         "arn:aws:s3:::bucket/dir/HOW_TO_DECRYPT.txt", true, true},
        {"arn:aws:s3:::[^/]+/.*?(how|decrypt|restor|help|instruct|read|get|recov|save|encrypt|delet|info|ransom).*",
         "arn:aws:s3:::bucket/dir/photo.jpg", true, false},
        /* empty pattern: the empty string */
        {"", "", false, true}, {"", "a", false, false},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        bool got = run1(t[i].re, t[i].s, strlen(t[i].s), t[i].nocase, NULL);
        if (got != t[i].want)
            fail_msg("case %zu: /%s/%s on \"%s\": got %d, want %d", i, t[i].re, t[i].nocase ? "i" : "",
                     t[i].s, got, t[i].want);
    }
}

static void test_errors(void **state)
{
    (void)state;
    static const struct {
        const char *re;
        size_t at;
        const char *what;
    } t[] = {
        {"a\\", 2, "end of pattern"},   {"(ab", 3, "expected ')'"},  {"[ab", 3, "expected ']'"},
        {"\"ab", 3, "expected '\"'"},   {"a{", 2, "integer"},        {"a{2", 3, "expected '}'"},
        {"a{x}", 2, "integer"},         {"[z-a]", 3, "invalid range"}, {"ab)", 2, "end of pattern expected"},
        {"<1-2", 4, "expected '>'"},    {"<foo>", 0, "not supported"}, {"<1-2-3>", 0, "interval"},
        {"<a-5>", 0, "interval"},       {"x|", 2, "end of pattern"}, {"[]", 2, "expected ']'"},
        {"a\xff", 1, "UTF-8"},          {"a{99999999999}", 2, "too large"},
        {"[a-]", 3, "invalid range"}, /* Lucene reads `]` as the range's end */
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        th_arena a;
        th_arena_init(&a, 0);
        char err[200] = "";
        size_t at = 99;
        th_lregex *r = th_lregex_compile(&a, t[i].re, strlen(t[i].re), 0, err, sizeof err, &at);
        if (r)
            fail_msg("/%s/ compiled", t[i].re);
        if (!strstr(err, t[i].what) || at != t[i].at)
            fail_msg("/%s/: \"%s\" at %zu, want \"%s\" at %zu", t[i].re, err, at, t[i].what, t[i].at);
        th_arena_free(&a);
    }
    /* nesting beyond the query depth limit is refused, not a stack overflow */
    char deep[2 * TH_MAX_QUERY_DEPTH + 8];
    size_t k = 0;
    for (int i = 0; i < TH_MAX_QUERY_DEPTH + 2; i++)
        deep[k++] = '(';
    deep[k++] = 'a';
    th_arena a;
    th_arena_init(&a, 0);
    char err[200];
    assert_null(th_lregex_compile(&a, deep, k, 0, err, sizeof err, NULL));
    assert_non_null(strstr(err, "nests deeper"));
    /* a huge repetition stops at the state limit */
    assert_null(th_lregex_compile(&a, "(abc){1000000}", 14, 0, err, sizeof err, NULL));
    assert_non_null(strstr(err, "too large"));
    th_arena_free(&a);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The issue's pathological cases: PCRE2 gave up (and answered "no match") or
 * took seconds and gigabytes; an automaton answers right in one pass. */
static void test_pathological(void **state)
{
    (void)state;
    char v[64];
    for (size_t n = 0; n < 60; n++) {
        memset(v, 'x', n);
        bool got = run1("(x+x+)+y|.*", v, n, false, NULL);
        assert_true(got); /* `.*` takes every value */
    }
    assert_false(run1("(x+x+)+y", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 41, false, NULL));
    assert_true(run1("(x+x+)+y", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy", 41, false, NULL));

    /* nested repetitions build one copy each (fuzz finding: 2^n copies, each
     * determinizing its `~`, took minutes); `~` operands are determinized once */
    assert_true(run1("(~(a)|b)++++++++++++++++++++++++", "bbb", 3, false, NULL));
    /* the fuzz input itself: run1 fails the test unless it compiles (promptly) */
    (void)run1("~|++++++++++++++++~+++a~~~~~~~~~~~~~~~~:~~~>~~~~~~~~~~JJJJJJJJJJtxt", "x", 1, true, NULL);

    size_t big = 8u << 20;
    char *s = malloc(big + 1);
    assert_non_null(s);
    memset(s, 'a', big);
    s[big] = 'b';
    double t0 = now_s();
    bool dfa = false;
    assert_true(run1("(a|aa)*b", s, big + 1, false, &dfa));
    assert_false(run1("(a|aa)*b", s, big, false, NULL));
    s[big / 2] = 'c';
    assert_false(run1("(a|aa)*b", s, big + 1, false, NULL));
    double t1 = now_s();
    assert_true(dfa);
    print_message("(a|aa)*b on 8 MiB, 3 runs: %.3f s\n", t1 - t0);
    free(s);
}

/* A pattern whose DFA would pass the state limit runs as an NFA simulation:
 * still linear, same answers. `.*a.{14}` needs 2^15 DFA states. */
static void test_nfa_fallback(void **state)
{
    (void)state;
    bool dfa = true;
    char v[64];
    memcpy(v, "zzzzazzzzzzzzzzzzzzz", 20); /* 'a' 15 from the end */
    assert_true(run1(".*a.{14}", v + 0, 19, false, &dfa));
    assert_false(dfa);
    assert_false(run1(".*a.{14}", v, 20, false, NULL));
    assert_true(run1("(.*a.{14})|x", "x", 1, false, &dfa));
    assert_false(dfa);
    /* linear on a long value as well */
    size_t big = 1u << 20;
    char *s = malloc(big);
    assert_non_null(s);
    for (size_t i = 0; i < big; i++)
        s[i] = (i % 7) ? 'b' : 'a';
    double t0 = now_s();
    bool got = run1(".*a.{14}", s, big, false, NULL);
    print_message("NFA simulation, 1 MiB: %.3f s\n", now_s() - t0);
    /* the 15th character from the end is at big-15: an 'a' iff (big-15) % 7 == 0 */
    assert_int_equal(got, (big - 15) % 7 == 0);
    free(s);
}

/* A random value for the differential tests below, into v (cap bytes): up
 * to max_pieces - 1 pieces, each a run of up to max_len bytes of the
 * pattern's own text (pn bytes; so that its literals, prefixes and overlaps
 * occur) or one of the nother strings of other; its length. */
static size_t random_value(uint32_t *seed, const char *pat, size_t pn, unsigned max_pieces,
                           unsigned max_len, const char *const *other, size_t nother, char *v,
                           size_t cap)
{
    size_t n = 0;
    int pieces = (int)((*seed = *seed * 1103515245u + 12345u) >> 16) % (int)max_pieces;
    for (int k = 0; k < pieces; k++) {
        *seed = *seed * 1103515245u + 12345u;
        const char *src;
        size_t len;
        if ((*seed >> 16) % 3) { /* a piece of the pattern */
            size_t from = (*seed >> 8) % pn;
            len = 1 + (*seed >> 20) % max_len;
            if (from + len > pn)
                len = pn - from;
            src = pat + from;
        } else {
            src = other[(*seed >> 8) % nother];
            len = strlen(src);
        }
        if (n + len > cap)
            break;
        memcpy(v + n, src, len);
        n += len;
    }
    return n;
}

/* re compiled with flags fl as the matcher runs it (fast) and again with
 * the reference construction slow_fl added (slow: TH_LRE_GENERAL, the
 * general construction; TH_LRE_CODEPOINTS, the DFA code point by code point) */
static void compile_both(th_arena *a, const char *re, unsigned fl, unsigned slow_fl,
                         th_lregex **fast, th_lregex **slow)
{
    char err[200];
    size_t at, n = strlen(re);
    *fast = th_lregex_compile(a, re, n, fl, err, sizeof err, &at);
    *slow = th_lregex_compile(a, re, n, fl | slow_fl, err, sizeof err, &at);
    if (!*fast || !*slow)
        fail_msg("/%s/ did not compile: %s at %zu", re, err, at);
}

/* `.*(L1|...).*` over literal strings is built as an Aho-Corasick DFA; it must
 * accept exactly what the general construction (TH_LRE_GENERAL) accepts. Values
 * are random concatenations of pieces of the pattern's own text (so that the
 * literals, their prefixes and overlaps occur), other characters, a two-byte
 * character, an invalid byte and a truncated sequence (each read as U+FFFD). */
static void test_literal_search(void **state)
{
    (void)state;
    static const char *pats[] = {
        /* the ES|QL rule's lifecycle script fragments */
        ".*(/dev/tcp/|/dev/udp/|bash -i|sh -i|nc -e|ncat |socat |mkfifo|169\\.254\\.169\\.254|"
        "/latest/meta-data/|/latest/api/token|\\| ?sh|\\| ?bash|base64 -d|import socket|pty\\.spawn|"
        "perl -e|ruby -rsocket|php -r|xmrig|minerd|stratum\\+|authorized_keys|/etc/cron|crontab ).*",
        ".*callWithBearerToken=true.*",
        ".*cpu=(8192|16384)x.*",
        /* overlaps, suffixes of one another, repeats */
        ".*(abab|bab|aab|b).*", ".*(aaa|aa)b?.*", ".*a{2,3}(b|c){1,2}.*", ".*\"x\"y?\"\".*",
        ".*(he|she|his|hers).*", ".*(a|\"\")c.*", "@(ab|ba)@", ".*é(a|ü)?.*", ".*(()|a)b.*", ".*ab.*.*",
        /* shapes the fast path leaves to the general construction: same answers still */
        ".*a*b.*", ".*[ab]c.*", ".*a.b.*", "a.*b.*", ".*ab", ".*(ab|c.).*", ".*a{0}.*",
    };
    static const char *noise[] = {"x", "a", "b", "\xc3\xa9", "\xff", "\xe2\x82", "\"", "|", " ", "\n"};
    uint32_t seed = 12345;
    char v[256];
    size_t tested = 0, matched = 0;
    for (size_t p = 0; p < sizeof pats / sizeof *pats; p++) {
        th_arena a;
        th_arena_init(&a, 0);
        size_t pn = strlen(pats[p]);
        th_lregex *fast, *slow;
        compile_both(&a, pats[p], 0, TH_LRE_GENERAL, &fast, &slow);
        for (int r = 0; r < 4000; r++) {
            size_t n = random_value(&seed, pats[p], pn, 6, 19, noise,
                                    sizeof noise / sizeof *noise, v, sizeof v);
            bool want = th_lregex_match(slow, v, n), got = th_lregex_match(fast, v, n);
            if (want != got)
                fail_msg("/%s/ on \"%.*s\": %d, the general construction says %d", pats[p], (int)n, v, got, want);
            tested++;
            matched += want;
        }
        th_arena_free(&a);
    }
    /* both answers occur often enough for the comparison to mean something */
    assert_true(matched > tested / 10 && matched < tested - tested / 10);
}

/* A DFA moves on ASCII bytes through its table (lregex.c ascii_table); it
 * must accept exactly what the same DFA accepts code point by code point
 * (TH_LRE_CODEPOINTS). Patterns whose ranges cut the ASCII bytes into many
 * classes, and at their edges ('@' 'A' 'Z' '[', '`' 'a' 'z' '{', DEL, NUL),
 * case folding, complement, numeric ranges, and non-ASCII characters in
 * patterns and values (a value's ASCII and non-ASCII characters alternate
 * between the table and the search). Values are random concatenations of
 * pieces of the pattern's text and of edge characters. */
static void test_ascii_table(void **state)
{
    (void)state;
    static const struct {
        const char *re;
        bool nocase;
    } pats[] = {
        {"[a-z]+[0-9]{2,4}", false},
        {"[A-Za-z_][A-Za-z0-9_]*", false},
        {"[^a-m]*x[@-Z]?", false},
        {".*(AssumeRole|GetSessionToken)[A-Z]?.*", false},
        {"arn:aws:iam::[0-9]{12}:(user|role)/.*", false},
        {"arn:aws:iam::[0-9]{12}:(user|role)/.*", true},
        {"Mozilla/5\\.0 \\(.*\\) (Gecko|AppleWebKit)/[0-9.]+.*", true},
        {"~(.*admin.*)", false},
        {"<10-250>\\.[a-f0-9]+", false},
        {"[\x01-\x1f\x7f]?\\w+\\s\\S*\\d", false},
        {"é+[a-z]*ü?", false},
        {".*[`-{]{3}.*", false},
        {"[@-\\[]+", true},
        {"(a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p|q|r|s|t|u|v|w|x|y|z)*", false},
    };
    static const char *edge[] = {"@", "A", "Z", "[", "`", "a", "z", "{", "\x7f", "\x01", "0", "9",
                                 " ", "\xc3\xa9", "\xc3\xbc", "\xff", "\xe2\x82", "_", ".", "/"};
    uint32_t seed = 4242;
    char v[256];
    size_t tested = 0, matched = 0, tables = 0;
    for (size_t p = 0; p < sizeof pats / sizeof *pats; p++) {
        th_arena a;
        th_arena_init(&a, 0);
        size_t pn = strlen(pats[p].re);
        th_lregex *fast, *slow;
        compile_both(&a, pats[p].re, pats[p].nocase ? TH_LRE_NOCASE : 0, TH_LRE_CODEPOINTS, &fast,
                     &slow);
        assert_false(th_lregex_has_table(slow));
        tables += th_lregex_has_table(fast);
        for (int r = 0; r < 4000; r++) {
            size_t n = random_value(&seed, pats[p].re, pn, 8, 12, edge,
                                    sizeof edge / sizeof *edge, v, sizeof v);
            bool want = th_lregex_match(slow, v, n), got = th_lregex_match(fast, v, n);
            if (want != got)
                fail_msg("/%s/ on \"%.*s\": %d, code point by code point %d", pats[p].re, (int)n,
                         v, got, want);
            tested++;
            matched += want;
        }
        th_arena_free(&a);
    }
    /* the table served every pattern here (all small DFAs), and both answers
     * occur often enough for the comparison to mean something */
    assert_int_equal(tables, sizeof pats / sizeof *pats);
    assert_true(matched > tested / 20 && matched < tested - tested / 20);
}

/* A state that moves to itself on all but a few ASCII bytes skips its runs
 * 16 bytes at a time (lregex.c skip_run), a chain of states each left by one
 * byte compares them at once (lit_eq); both must accept exactly what the
 * same DFA accepts code point by code point (TH_LRE_CODEPOINTS). Patterns of
 * the rules' shapes (a required prefix, `[^/]+`, `.*` before an alternation
 * of words, regex~ folding), whose runs end on each exit byte, a non-ASCII
 * byte, at a block's edge or at the value's end, and whose chains are met
 * whole, cut short or off by a byte: values are the pattern's required
 * prefix or not, then long runs of filler and pieces of the pattern's text
 * (under regex~ in either case) and of edge characters, up to ~250 bytes. */
static void test_skip_runs(void **state)
{
    (void)state;
    static const struct {
        const char *re, *prefix;
        bool nocase;
    } pats[] = {
        {"arn:aws:s3:::[^/]+/.*?(how|decrypt|restor|help|instruct|read|get|recov|save|encrypt|"
         "delet|info|ransom).*",
         "arn:aws:s3:::", true},
        {".*(AWSLogs|CloudTrail|access-logs).*", "", true},
        {".*(AWSLogs|CloudTrail|access-logs).*", "", false},
        {"[^/]+/[^/]*", "", false},
        {".*é.*x", "", false},
        {"arn:aws:iam::[0-9]{12}:(user|role)/.*", "arn:aws:iam::123456789012:", false},
        {"[^ab]*a[^c]*c.*", "", false},
        {"~(.*/.*)", "", false},
        {".*", "", false},
        {"[\x01-~]*", "", false},
    };
    static const char *edge[] = {"/", "a", "c", "x", "é",   "\xc3",    "\xff", "\x7f", "\x80",
                                 "A", "C", "L", "-", "HoW", "DECRYPT", "help", "aws"};
    static const char filler[] = "0123456789bdefghijkmnopqrstuvwyz_.:";
    uint32_t seed = 777;
    char v[300];
    size_t tested = 0, matched = 0;
    for (size_t p = 0; p < sizeof pats / sizeof *pats; p++) {
        th_arena a;
        th_arena_init(&a, 0);
        size_t pn = strlen(pats[p].re);
        th_lregex *fast, *slow;
        compile_both(&a, pats[p].re, pats[p].nocase ? TH_LRE_NOCASE : 0, TH_LRE_CODEPOINTS, &fast,
                     &slow);
        if (th_lregex_skip_states(fast) == 0)
            fail_msg("/%s/: no state skips", pats[p].re);
        assert_int_equal(th_lregex_skip_states(slow), 0);
        for (int r = 0; r < 4000; r++) {
            size_t n = 0;
            seed = seed * 1103515245u + 12345u;
            if ((seed >> 16) % 4) {
                n = strlen(pats[p].prefix);
                memcpy(v, pats[p].prefix, n);
            }
            while (n < 250) {
                seed = seed * 1103515245u + 12345u;
                unsigned pick = (seed >> 16) % 8;
                if (pick == 0)
                    break;
                if (pick < 4) { /* a run of filler, across blocks */
                    size_t len = (seed >> 8) % 40;
                    for (size_t k = 0; k < len && n < 250; k++) {
                        seed = seed * 1103515245u + 12345u;
                        v[n++] = filler[(seed >> 16) % (sizeof filler - 1)];
                    }
                } else if (pick < 6) {
                    const char *e = edge[(seed >> 8) % (sizeof edge / sizeof *edge)];
                    memcpy(v + n, e, strlen(e));
                    n += strlen(e);
                } else {
                    size_t from = (seed >> 8) % pn, len = 1 + (seed >> 20) % 8;
                    len = from + len > pn ? pn - from : len;
                    memcpy(v + n, pats[p].re + from, len);
                    for (size_t k = 0; pats[p].nocase && k < len; k++) /* either case */
                        if (((seed >> (k + 8)) & 1) &&
                            ((v[n + k] | 0x20) >= 'a' && (v[n + k] | 0x20) <= 'z'))
                            v[n + k] ^= 0x20;
                    n += len;
                }
            }
            bool want = th_lregex_match(slow, v, n), got = th_lregex_match(fast, v, n);
            if (want != got)
                fail_msg("/%s/ on \"%.*s\": %d, code point by code point %d", pats[p].re, (int)n, v,
                         got, want);
            tested++;
            matched += want;
        }
        th_arena_free(&a);
    }
    assert_true(matched > tested / 10 && matched < tested - tested / 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),          cmocka_unit_test(test_errors),
        cmocka_unit_test(test_pathological),   cmocka_unit_test(test_nfa_fallback),
        cmocka_unit_test(test_literal_search), cmocka_unit_test(test_ascii_table),
        cmocka_unit_test(test_skip_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
