/* Value helpers of the evaluator: a document value's keyword text, wildcard
 * patterns, IPs, numbers, dates and text tokens, as Elasticsearch reads them. */
#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "query/cnode.h"

/* What a keyword (or flattened leaf) field indexes for a JSON value: strings as
 * they are, numbers as their source text, booleans as true/false. Values longer
 * than ignore_above (UTF-16 units, as Java counts) are not indexed. */
bool th_q_keyword_text(const th_jval *v, int ignore_above, th_str *out)
{
    if (v->type == TH_JSTR && ignore_above > 0 && v->u.str.n > (size_t)ignore_above &&
        th_q_utf16_len(v->u.str) > (size_t)ignore_above)
        return false;
    return th_jscalar_text(v, out);
}

size_t th_q_utf16_len(th_str s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if ((c & 0xC0) != 0x80)
            n += c >= 0xF0 ? 2 : 1; /* 4-byte sequences are surrogate pairs in Java */
    }
    return n;
}

static inline char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

bool th_q_eq_nocase(th_str a, th_str b)
{
    if (a.n != b.n)
        return false;
    for (size_t i = 0; i < a.n; i++)
        if (lower(a.p[i]) != lower(b.p[i]))
            return false;
    return true;
}

/* Compiles a Lucene wildcard pattern: `*` any sequence, `?` one code point,
 * `\x` the literal x (a trailing lone `\` is literal, as Lucene reads it). */
size_t th_q_wild_compile(th_arena *a, th_str pat, bool to_lower, wtok **out)
{
    wtok *w = TH_ANEWN(a, wtok, pat.n + 1);
    char *lit = th_arena_alloc(a, pat.n + 1);
    size_t nw = 0, ln = 0, lstart = 0;
    for (size_t i = 0; i < pat.n; i++) {
        char c = pat.p[i];
        if (c == '*' || c == '?') {
            if (ln > lstart) {
                w[nw++] = (wtok){W_LIT, th_str_make(lit + lstart, ln - lstart)};
                lstart = ln;
            }
            if (c == '*' && nw > 0 && w[nw - 1].kind == W_STAR)
                continue;
            w[nw++] = (wtok){c == '*' ? W_STAR : W_ONE, TH_STR_NULL};
            continue;
        }
        if (c == '\\' && i + 1 < pat.n)
            c = pat.p[++i];
        lit[ln++] = to_lower ? lower(c) : c;
    }
    if (ln > lstart)
        w[nw++] = (wtok){W_LIT, th_str_make(lit + lstart, ln - lstart)};
    *out = w;
    return nw;
}

static inline size_t cp_len(const char *p, size_t left)
{
    unsigned char c = (unsigned char)*p;
    size_t k = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    return k > left ? left : k;
}

static inline bool lit_at(th_str lit, const char *s, size_t left, bool nocase)
{
    if (lit.n > left)
        return false;
    if (!nocase) /* literals are never empty; the first byte settles most mismatches */
        return lit.p[0] == s[0] && memcmp(lit.p, s, lit.n) == 0;
    for (size_t i = 0; i < lit.n; i++)
        if (lower(lit.p[i]) != lower(s[i]))
            return false;
    return true;
}

/* Greedy match with backtracking to the last `*` (linear in practice). */
bool th_q_wild_match(const wtok *w, size_t nw, th_str s, bool nocase)
{
    size_t ti = 0, si = 0, star_ti = (size_t)-1, star_si = 0;
    while (si < s.n) {
        if (ti < nw && w[ti].kind == W_LIT && lit_at(w[ti].lit, s.p + si, s.n - si, nocase)) {
            si += w[ti].lit.n;
            ti++;
        } else if (ti < nw && w[ti].kind == W_ONE) {
            si += cp_len(s.p + si, s.n - si);
            ti++;
        } else if (ti < nw && w[ti].kind == W_STAR) {
            star_ti = ti++;
            star_si = si;
        } else if (star_ti != (size_t)-1) {
            ti = star_ti + 1;
            star_si += cp_len(s.p + star_si, s.n - star_si);
            si = star_si;
        } else {
            return false;
        }
    }
    while (ti < nw && w[ti].kind == W_STAR)
        ti++;
    return ti == nw;
}

/* s[0..lit.n) equals lit, s ASCII-folded first when fold (lit is folded). */
static inline bool eq_fold(const char *s, th_str lit, bool fold)
{
    if (!fold) /* in line: the literals are a few bytes, memcmp's call cost more */
        return th_bytes_eq(s, lit.p, lit.n);
    for (size_t i = 0; i < lit.n; i++)
        if (lower(s[i]) != lit.p[i])
            return false;
    return true;
}

/* Does lit (folded when fold) occur anywhere in s[0..n)? Searched by its
 * byte at (rare_at), which folding leaves alone unless every byte is a
 * letter. */
static bool find_lit(const char *s, size_t n, th_str lit, size_t at, bool fold)
{
    if (lit.n == 0)
        return true;
    if (lit.n > n)
        return false;
    size_t starts = n - lit.n + 1; /* candidate offsets */
    char c = lit.p[at];
    if (fold && c >= 'a' && c <= 'z') {
        for (size_t i = 0; i < starts; i++)
            if ((s[i] | 0x20) == c && eq_fold(s + i, lit, true))
                return true;
        return false;
    }
    /* c is no letter that folding changes: a plain byte search for it */
    const char *p = s + at, *end = s + at + starts;
    while (p < end && (p = memchr(p, c, (size_t)(end - p))) != NULL) {
        if (eq_fold(p - at, lit, fold))
            return true;
        p++;
    }
    return false;
}

/* How often byte c is met in the values wildcards test (paths, S3 keys,
 * ARNs, user agents): lower-case letters by their English frequency, then
 * the separators and digits; 0 for the rest (upper case, punctuation). */
static unsigned commonness(unsigned char c)
{
    static const char letters[] = "zqjxkvbpygfwmucldrhsnioate";
    if (c >= 'a' && c <= 'z')
        return 1 + (unsigned)(strchr(letters, c) - letters);
    if ((c >= '0' && c <= '9') || c == '/' || c == '.' || c == '-' || c == '_' || c == ':' ||
        c == ' ')
        return 30;
    return 0;
}

/* The byte of lit find_lit looks for: the rarest by commonness() (the
 * first of equals), so that memchr stops at few places that are not a
 * match (the S3 credential rule's atom `/.env.` found every `/` of each
 * GetObject key; b100k: 99,467 memchr calls for 29,687 searches); a
 * letter only without fold (folded, the bytes are scanned one by one). */
static uint16_t rare_at(th_str lit, bool fold)
{
    uint16_t at = 0;
    unsigned best = UINT_MAX;
    for (size_t i = 0; i < lit.n && i <= UINT16_MAX; i++) {
        unsigned char c = (unsigned char)lit.p[i];
        if (fold && c >= 'a' && c <= 'z')
            continue;
        if (commonness(c) < best) {
            best = commonness(c);
            at = (uint16_t)i;
        }
    }
    return at;
}

static th_str fold_copy(th_arena *a, th_str lit, bool fold)
{
    if (!fold || lit.n == 0)
        return lit;
    char *p = th_arena_alloc(a, lit.n);
    for (size_t i = 0; i < lit.n; i++)
        p[i] = lower(lit.p[i]);
    return th_str_make(p, lit.n);
}

void th_q_wild_prepare(th_arena *a, th_str pat, bool to_lower, bool nocase, wpat *out)
{
    memset(out, 0, sizeof *out);
    out->nw = th_q_wild_compile(a, pat, to_lower, &out->w);
    out->nocase = nocase;
    const wtok *w = out->w;
    size_t nw = out->nw;
    for (size_t i = 0; i < nw; i++)
        out->minlen += w[i].kind == W_LIT ? w[i].lit.n : w[i].kind == W_ONE ? 1 : 0;
    if (nw == 0) {
        out->shape = WS_EMPTY;
        return;
    }
    if (nw == 1 && w[0].kind == W_STAR) {
        out->shape = WS_ANY;
        return;
    }
    size_t first = 0, last = nw;
    if (w[0].kind == W_LIT) {
        out->pre = fold_copy(a, w[0].lit, nocase);
        first = 1;
        if (nw == 1) {
            out->shape = WS_EXACT;
            return;
        }
        if (nw == 2 && w[1].kind == W_STAR) {
            out->shape = WS_PREFIX;
            return;
        }
    }
    if (w[nw - 1].kind == W_LIT) {
        out->suf = fold_copy(a, w[nw - 1].lit, nocase);
        last = nw - 1;
    }
    size_t best = nw;
    for (size_t i = first; i < last; i++)
        if (w[i].kind == W_LIT && (best == nw || w[i].lit.n > w[best].lit.n))
            best = i;
    if (best < nw) {
        out->atom = fold_copy(a, w[best].lit, nocase);
        out->atom_at = rare_at(out->atom, nocase);
    }
    out->shape = WS_GENERAL;
}

/* Necessary conditions of a match: every LIT token is matched where
 * th_q_wild_match stands (a leading one at 0, a trailing one ending at s.n),
 * and each token consumes at least its literal's bytes or, for `?`, one. */
bool th_q_wild_test(const wpat *p, th_str s)
{
    bool fold = p->nocase;
    switch (p->shape) {
    case WS_EMPTY:
        return s.n == 0;
    case WS_ANY:
        return true;
    case WS_EXACT:
        return s.n == p->pre.n && eq_fold(s.p, p->pre, fold);
    case WS_PREFIX:
        return s.n >= p->pre.n && eq_fold(s.p, p->pre, fold);
    case WS_GENERAL:
        break;
    }
    if (s.n < p->minlen)
        return false;
    if (p->pre.n && !eq_fold(s.p, p->pre, fold))
        return false;
    if (p->suf.n && !eq_fold(s.p + s.n - p->suf.n, p->suf, fold))
        return false;
    if (p->atom.n &&
        !find_lit(s.p + p->pre.n, s.n - p->pre.n - p->suf.n, p->atom, p->atom_at, fold))
        return false;
    return th_q_wild_match(p->w, p->nw, s, p->nocase);
}

static bool copy_z(th_str s, char *buf, size_t cap)
{
    if (s.n == 0 || s.n >= cap)
        return false;
    memcpy(buf, s.p, s.n);
    buf[s.n] = '\0';
    return true;
}

/* IPv4 addresses are stored as IPv4-mapped IPv6, as Elasticsearch does. */
bool th_q_parse_ip(th_str s, uint8_t out[16])
{
    char buf[64];
    if (!copy_z(s, buf, sizeof buf))
        return false;
    uint8_t v4[4];
    if (inet_pton(AF_INET, buf, v4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xFF;
        memcpy(out + 12, v4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

bool th_q_parse_cidr(th_str s, uint8_t lo[16], uint8_t hi[16])
{
    const char *slash = memchr(s.p, '/', s.n);
    if (!slash)
        return false;
    th_str addr = th_str_make(s.p, (size_t)(slash - s.p));
    th_str bits = th_str_make(slash + 1, s.n - addr.n - 1);
    if (!th_q_parse_ip(addr, lo) || bits.n == 0 || bits.n > 3)
        return false;
    int b = 0;
    for (size_t i = 0; i < bits.n; i++) {
        if (bits.p[i] < '0' || bits.p[i] > '9')
            return false;
        b = b * 10 + (bits.p[i] - '0');
    }
    bool v4 = memchr(addr.p, ':', addr.n) == NULL;
    if (v4)
        b += 96;
    if (b > 128 || (v4 && b > 128))
        return false;
    memcpy(hi, lo, 16);
    for (int i = 0; i < 16; i++) {
        int keep = b - i * 8;
        uint8_t mask = keep >= 8 ? 0xFF : keep <= 0 ? 0x00 : (uint8_t)(0xFF << (8 - keep));
        lo[i] &= mask;
        hi[i] |= (uint8_t)~mask;
    }
    return true;
}

bool th_q_parse_number(th_str s, double *out)
{
    char buf[64];
    if (!copy_z(s, buf, sizeof buf))
        return false;
    char *end;
    double d = strtod(buf, &end);
    if (*end != '\0' || end == buf)
        return false;
    *out = d;
    return true;
}

/* The range a date literal covers: `2026-01-01` is the whole day, a time without
 * seconds the whole minute, and so on (ES rounds lte/gt up to the last ms). */
bool th_q_parse_date(th_str s, int64_t *lo, int64_t *hi)
{
    if (!th_time_parse_iso(s.p, s.n, lo)) {
        /* epoch_millis */
        double d;
        if (!th_q_parse_number(s, &d))
            return false;
        /* Out of the range of epoch milliseconds (a long): Elasticsearch
         * rejects the query, so this is no date. The margin keeps the +-1 of
         * exclusive bounds and the cast itself defined. */
        if (!(d > -TH_Q_EPOCH_MS_LIMIT && d < TH_Q_EPOCH_MS_LIMIT))
            return false;
        *lo = *hi = (int64_t)d;
        return true;
    }
    const char *t = memchr(s.p, 'T', s.n);
    int64_t span = 0;
    if (!t) {
        span = 86400000;
    } else {
        size_t k = (size_t)(t - s.p) + 1, digits = 0;
        while (k < s.n && ((s.p[k] >= '0' && s.p[k] <= '9') || s.p[k] == ':')) {
            if (s.p[k] != ':')
                digits++;
            k++;
        }
        bool frac = k < s.n && (s.p[k] == '.' || s.p[k] == ',');
        span = frac ? 1 : digits <= 2 ? 3600000 : digits <= 4 ? 60000 : 1000;
    }
    *hi = *lo + span - 1;
    return true;
}

static bool word_byte(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           c >= 0x80;
}

/* Approximates Lucene's StandardTokenizer (UAX#29) + lowercase filter: runs of
 * letters/digits, joined across `.` `'` `:` between letters and `.` `,` between
 * digits. */
bool th_q_next_token(th_str s, size_t *ip, char *buf, size_t cap, th_str *tok)
{
    size_t i = *ip;
    while (i < s.n && !word_byte((unsigned char)s.p[i]))
        i++;
    if (i >= s.n) {
        *ip = i;
        return false;
    }
    size_t k = 0;
    while (i < s.n) {
        unsigned char c = (unsigned char)s.p[i];
        if (word_byte(c)) {
            if (k < cap)
                buf[k++] = lower((char)c);
            i++;
            continue;
        }
        if ((c == '.' || c == '\'' || c == ':' || c == ',') && i + 1 < s.n && k > 0 &&
            word_byte((unsigned char)s.p[i + 1])) {
            bool pd = buf[k - 1] >= '0' && buf[k - 1] <= '9';
            bool nd = s.p[i + 1] >= '0' && s.p[i + 1] <= '9';
            bool join = (c == ',') ? (pd && nd) : (c == ':' || c == '\'') ? (!pd && !nd) : (pd == nd);
            if (join) {
                if (k < cap)
                    buf[k++] = (char)c;
                i++;
                continue;
            }
        }
        break;
    }
    *ip = i;
    *tok = th_str_make(buf, k);
    return true;
}
