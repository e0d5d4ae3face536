/* What a uap-core pattern's syntax proves (ua_literal.h): requirements every
 * match meets, and whether PCRE2 certainly compiles it.
 *
 * The pattern is read as a sequence of atoms per group level. A run of plain
 * characters is required by its branch of the level, and so is each
 * requirement of a group without a quantifier or with `+`; a branch keeps
 * its best TH_UA_REQS_MAX, all required. A level with `|` requires one of
 * its branches' best requirements, or nothing when one branch requires
 * nothing. A character followed by a quantifier leaves the run (it may be
 * absent; with `+` it ends the run). Only syntax whose meaning is certain
 * yields literals: an escape that is not a known class or anchor, `(?`
 * (options, lookaround), `(*` (verbs) or `\Q` give up on the pattern (no
 * literal: it is always tried). Non-ASCII characters end a run, so a
 * quantifier never leaves half a character.
 *
 * Case-insensitive patterns: PCRE2 (UTF, caseless) also matches K and k by
 * U+212A (Kelvin sign) and S and s by U+017F (long s); no other code point
 * matches an ASCII letter caselessly. So their literals are looked for in the
 * agent folded by th_ua_fold: ASCII letters lowered, and those two code
 * points made k and s. */
#include "ecs/ua_literal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct frame;

typedef struct lit_scan {
    const char *p;
    size_t i, n;
    bool caseless;
    bool give_up;
    struct frame *frames[34]; /* level's work space by depth, made on first use */
} lit_scan;

typedef struct lit {
    char s[TH_UA_LITERAL_MAX];
    uint8_t n;
    bool fold;  /* to be looked for with ASCII letters lowered (s is lowered) */
    bool start; /* begins where its branch begins (nothing of the branch before it) */
} lit;

/* What a part of the pattern requires: one of its literals in every match
 * (n == 0: nothing known). */
typedef struct req {
    lit v[TH_UA_ALTS_MAX];
    size_t n;
} req;

/* Requirements that all hold in every match (a branch's runs and groups). */
typedef struct conj {
    req r[TH_UA_REQS_MAX];
    size_t n;
    bool alt; /* the level is an alternation (set by level) */
} conj;

static size_t shortest(const req *r)
{
    size_t m = TH_UA_LITERAL_MAX + 1;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].n < m)
            m = r->v[i].n;
    return m;
}

/* Whether x filters better than y: its shortest literal is longer, or as
 * long with fewer literals to look for. */
static bool better(const req *x, const req *y)
{
    if (x->n == 0)
        return false;
    if (y->n == 0)
        return true;
    size_t a = shortest(x), b = shortest(y);
    return a > b || (a == b && x->n < y->n);
}

/* One more requirement of a branch: kept while there is room, else in place
 * of the one that filters worst when it filters better (any subset of a
 * branch's requirements is still required). */
static void conj_add(conj *c, const req *x)
{
    if (x->n == 0)
        return;
    size_t k = c->n;
    if (k == TH_UA_REQS_MAX) {
        k = 0;
        for (size_t i = 1; i < c->n; i++)
            if (better(&c->r[k], &c->r[i]))
                k = i;
        if (!better(x, &c->r[k]))
            return;
    } else {
        c->n++;
    }
    memcpy(c->r[k].v, x->v, x->n * sizeof x->v[0]);
    c->r[k].n = x->n;
}

/* A run of plain characters: one literal, required by its branch. */
static void conj_run(conj *c, req *tmp, lit *run)
{
    if (run->n == 0)
        return;
    tmp->v[0] = *run;
    tmp->n = 1;
    conj_add(c, tmp);
    run->n = 0;
    run->fold = false;
}

/* A group's requirements join its branch's; `start` stays true only for a
 * group that is the first thing of its branch. */
static void conj_join(conj *c, conj *inner, bool first)
{
    for (size_t i = 0; i < inner->n; i++) {
        if (!first)
            for (size_t k = 0; k < inner->r[i].n; k++)
                inner->r[i].v[k].start = false;
        conj_add(c, &inner->r[i]);
    }
}

/* The end of one branch of an alternation: its best requirement joins the
 * others'; a branch requiring nothing (or too many literals in all) leaves
 * the alternation requiring nothing (*open). */
static void branch_end(req *alts, const conj *branch, bool *open)
{
    const req *b = NULL;
    for (size_t i = 0; i < branch->n; i++)
        if (!b || better(&branch->r[i], b))
            b = &branch->r[i];
    if (!b || alts->n + b->n > TH_UA_ALTS_MAX) {
        *open = true;
        return;
    }
    for (size_t i = 0; i < b->n; i++)
        alts->v[alts->n++] = b->v[i];
}

/* Whether c is a plain character that matches itself (as the run's next byte). */
static bool plain(const lit_scan *c, unsigned char ch)
{
    (void)c;
    return ch < 0x80;
}

/* At p[i]: a class of one letter in both cases, `[Ss]` or `[sS]`, which
 * the agent folded (th_ua_fold) holds as the letter lowered wherever the
 * class matches (in a caseless pattern U+017F too, which folds to s); steps
 * over it and gives the letter lowered. */
static bool two_case_class(lit_scan *c, unsigned char *lower)
{
    if (c->i + 3 >= c->n || c->p[c->i + 3] != ']')
        return false;
    unsigned char a = (unsigned char)c->p[c->i + 1], b = (unsigned char)c->p[c->i + 2];
    unsigned char la = a >= 'A' && a <= 'Z' ? (unsigned char)(a - 'A' + 'a') : a;
    unsigned char lb = b >= 'A' && b <= 'Z' ? (unsigned char)(b - 'A' + 'a') : b;
    if (a == b || la != lb || la < 'a' || la > 'z')
        return false;
    c->i += 4;
    *lower = la;
    return true;
}

/* At p[i]: whether a quantifier follows (and steps over it); *least_one: it
 * is `+` (one or more, possessive or lazy too), so the item stays required. */
static bool quantifier_min(lit_scan *c, bool *least_one)
{
    *least_one = false;
    if (c->i >= c->n)
        return false;
    char ch = c->p[c->i];
    if (ch == '?' || ch == '*' || ch == '+') {
        *least_one = ch == '+';
        c->i++;
        if (c->i < c->n && (c->p[c->i] == '?' || c->p[c->i] == '+'))
            c->i++; /* lazy or possessive */
        return true;
    }
    if (ch != '{')
        return false;
    size_t k = c->i + 1;
    while (k < c->n && ((c->p[k] >= '0' && c->p[k] <= '9') || c->p[k] == ','))
        k++;
    if (k < c->n && c->p[k] == '}' && k > c->i + 1 && c->p[c->i + 1] != ',') {
        c->i = k + 1;
        if (c->i < c->n && (c->p[c->i] == '?' || c->p[c->i] == '+'))
            c->i++;
        return true;
    }
    /* Not a quantifier to us, so a literal `{`, not counted on; but PCRE2
     * versions differ on `{,m}` and spaces, so a `{` of digits, commas and
     * spaces up to a `}` counts as a quantifier (none of it is required) */
    k = c->i + 1;
    while (k < c->n && ((c->p[k] >= '0' && c->p[k] <= '9') || c->p[k] == ',' || c->p[k] == ' '))
        k++;
    c->i = k < c->n && c->p[k] == '}' ? k + 1 : c->i + 1;
    bool unused;
    quantifier_min(c, &unused); /* which PCRE2 may read as literals, quantified: `{+`, `{}?` */
    return true;
}

static bool quantifier(lit_scan *c)
{
    bool unused;
    return quantifier_min(c, &unused);
}

static void skip_class(lit_scan *c)
{
    c->i++; /* '[' */
    if (c->i < c->n && c->p[c->i] == '^')
        c->i++;
    if (c->i < c->n && c->p[c->i] == ']')
        c->i++;
    while (c->i < c->n && c->p[c->i] != ']') {
        if (c->p[c->i] == '\\')
            c->i++;
        else if (c->p[c->i] == '[' && c->i + 1 < c->n && c->p[c->i + 1] == ':') {
            const char *e = strstr(c->p + c->i + 2, ":]");
            if (e && (size_t)(e - c->p) < c->n)
                c->i = (size_t)(e - c->p) + 1;
        }
        c->i++;
    }
    if (c->i >= c->n)
        c->give_up = true;
    else
        c->i++;
}

/* Whether ch starts a quantifier for quantifier_min (`{` always does). */
static inline bool quantifier_char(unsigned char ch)
{
    return ch == '?' || ch == '*' || ch == '+' || ch == '{';
}

/* Whether level takes ch otherwise than as a plain character followed by
 * something other than a quantifier: syntax, a quantifier, non-ASCII. */
static inline bool run_stop(unsigned char ch)
{
    switch (ch) {
    case ')':
    case '|':
    case '(':
    case '[':
    case '.':
    case '^':
    case '$':
    case '\\': return true;
    default: return ch >= 0x80 || quantifier_char(ch);
    }
}

/* A level's work space (~80 KiB): one per depth, kept for the pattern's
 * other groups at that depth (a malloc and free per group was half the
 * scan). */
typedef struct frame {
    conj cur, inner;
    req alts, tmp;
} frame;

/* One level, up to its `)` or the end: into *out, what it requires. A
 * branch requires each of its runs and of its groups' requirements (a group
 * without a quantifier, or with `+`); a level with `|` requires one of its
 * branches' best requirements. A literal is marked `start` when nothing of
 * its branch comes before it. */
static void level(lit_scan *c, int depth, conj *out)
{
    out->n = 0;
    out->alt = false;
    if (depth > 32) {
        c->give_up = true;
        return;
    }
    frame *f = c->frames[depth];
    if (!f && !(f = c->frames[depth] = malloc(sizeof *f))) { /* not on the stack, at every depth */
        c->give_up = true;
        return;
    }
    conj *cur = &f->cur, *inner = &f->inner;
    req *alts = &f->alts, *tmp = &f->tmp;
    lit run = {{0}, 0, false, false};
    cur->n = alts->n = 0;
    bool alternation = false, open = false;
    bool fresh = true; /* nothing of the branch read yet */
    while (c->i < c->n && !c->give_up) {
        unsigned char ch = (unsigned char)c->p[c->i];
        if (ch == ')')
            break;
        if (ch == '|') {
            alternation = true;
            conj_run(cur, tmp, &run);
            branch_end(alts, cur, &open);
            cur->n = 0;
            fresh = true;
            c->i++;
            continue;
        }
        if (ch == '(') {
            conj_run(cur, tmp, &run);
            c->i++;
            if (c->i < c->n && (c->p[c->i] == '*' || c->p[c->i] == '?')) {
                if (c->p[c->i] == '*' || c->i + 1 >= c->n || c->p[c->i + 1] != ':') {
                    c->give_up = true;
                    break;
                }
                c->i += 2; /* (?: */
            }
            level(c, depth + 1, inner);
            if (c->i >= c->n) {
                c->give_up = true;
                break;
            }
            c->i++; /* ')' */
            bool least_one;
            bool q = quantifier_min(c, &least_one);
            if (!q || least_one)
                conj_join(cur, inner, fresh && !q);
            fresh = false;
            continue;
        }
        if (ch == '{') { /* a quantifier with nothing before it, or a literal `{` */
            conj_run(cur, tmp, &run);
            quantifier(c);
            fresh = false;
            continue;
        }
        /* plain characters no quantifier follows, taken as the steps below
         * take them, without their tests (~60 instructions a character:
         * most of the ~6,400 a pattern of uap-core took) */
        if (!run_stop(ch)) {
            const char *p = c->p;
            size_t i = c->i, n = c->n;
            while (i < n && !run_stop((unsigned char)p[i]) &&
                   !(i + 1 < n && quantifier_char((unsigned char)p[i + 1]))) {
                if (run.n == 0)
                    run.start = fresh;
                fresh = false;
                unsigned char v = (unsigned char)p[i++];
                if (run.n < sizeof run.s)
                    run.s[run.n++] = (char)(run.fold && v >= 'A' && v <= 'Z' ? v - 'A' + 'a' : v);
            }
            if (i != c->i) {
                c->i = i;
                continue;
            }
        }
        bool is_lit = false, fold = false;
        unsigned char val = ch;
        if (ch == '[' && two_case_class(c, &val)) {
            is_lit = fold = true;
        } else if (ch == '[' || ch == '.' || ch == '^' || ch == '$') {
            conj_run(cur, tmp, &run);
            if (ch == '[')
                skip_class(c);
            else
                c->i++;
            quantifier(c);
            fresh = false;
            continue;
        } else if (ch == '\\') {
            if (c->i + 1 >= c->n) {
                c->give_up = true;
                break;
            }
            unsigned char e = (unsigned char)c->p[c->i + 1];
            c->i += 2;
            if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
                if (!strchr("dDwWsSbB", e)) {
                    c->give_up = true;
                    break;
                }
            } else {
                is_lit = plain(c, e);
                val = e;
            }
        } else {
            c->i++;
            is_lit = plain(c, ch);
        }
        bool least_one;
        bool q = quantifier_min(c, &least_one);
        if (!is_lit || (q && !least_one)) {
            conj_run(cur, tmp, &run);
            fresh = false;
            continue;
        }
        if (run.n == 0)
            run.start = fresh;
        fresh = false;
        if (run.n < sizeof run.s) { /* a longer run's prefix is required too */
            if (fold && !run.fold) { /* a folded run is looked for lowered: lower it all */
                for (size_t i = 0; i < run.n; i++)
                    if (run.s[i] >= 'A' && run.s[i] <= 'Z')
                        run.s[i] = (char)(run.s[i] - 'A' + 'a');
                run.fold = true;
            }
            if (run.fold && val >= 'A' && val <= 'Z')
                val = (unsigned char)(val - 'A' + 'a');
            run.s[run.n++] = (char)val;
        }
        /* a character repeated by `+` is there once at least, but what
         * follows it need not be next to it */
        if (q)
            conj_run(cur, tmp, &run);
    }
    conj_run(cur, tmp, &run);
    out->alt = alternation;
    if (alternation) {
        branch_end(alts, cur, &open);
        out->n = 0;
        if (!open) {
            out->n = 1;
            memcpy(out->r[0].v, alts->v, alts->n * sizeof alts->v[0]);
            out->r[0].n = alts->n;
        }
    } else {
        out->n = cur->n;
        for (size_t i = 0; i < cur->n; i++) {
            memcpy(out->r[i].v, cur->r[i].v, cur->r[i].n * sizeof cur->r[i].v[0]);
            out->r[i].n = cur->r[i].n;
        }
    }
}
size_t th_ua_literals(const char *pattern, bool caseless, th_ua_lit out[TH_UA_ALTS_MAX])
{
    lit_scan c = {pattern, 0, strlen(pattern), caseless, false, {NULL}};
    /* A leading `^` (not quantified) anchors the first branch at the start
     * of the agent (no multiline option reaches these patterns: `(?` gives
     * up); it anchors the pattern when the top level has no `|`. */
    bool anchored = c.n > 0 && pattern[0] == '^' && (c.n == 1 || !strchr("?*+{", pattern[1]));
    if (anchored)
        c.i = 1;
    /* the result with the top level's frame: one allocation of 123 KiB,
     * under malloc's mmap threshold (a second malloc and free was ~450
     * instructions a pattern) */
    struct top {
        conj r;
        frame f;
    } *w = malloc(sizeof *w);
    if (!w)
        return 0;
    conj *r = &w->r;
    c.frames[0] = &w->f;
    level(&c, 0, r);
    /* level makes a depth's frame only below one made: they are a prefix
     * (freeing all 34 slots was 0.6 M instructions over uap-core's patterns) */
    for (size_t d = 1; d < sizeof c.frames / sizeof c.frames[0] && c.frames[d]; d++)
        free(c.frames[d]);
    size_t nreq = c.give_up || c.i != c.n ? 0 : r->n; /* an unbalanced `)` ends the scan early */
    anchored = anchored && !r->alt;
    /* the requirements, best first, while they fit */
    size_t n = 0;
    bool used[TH_UA_REQS_MAX] = {false};
    for (size_t done = 0; done < nreq; done++) {
        size_t b = nreq;
        for (size_t k = 0; k < nreq; k++)
            if (!used[k] && (b == nreq || better(&r->r[k], &r->r[b])))
                b = k;
        used[b] = true;
        const req *q = &r->r[b];
        if (n + q->n > TH_UA_ALTS_MAX)
            break;
        for (size_t k = 0; k < q->n; k++) {
            const lit *l = &q->v[k];
            th_ua_lit *o = &out[n++];
            memcpy(o->s, l->s, l->n);
            o->n = l->n;
            o->req = (uint8_t)done;
            o->fold = caseless || l->fold;
            o->start = anchored && l->start;
            if (caseless)
                for (size_t i = 0; i < o->n; i++)
                    if (o->s[i] >= 'A' && o->s[i] <= 'Z')
                        o->s[i] = (char)(o->s[i] - 'A' + 'a');
        }
    }
    free(w);
    return n;
}

size_t th_ua_fold(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 'A' && ch <= 'Z') {
            out[k++] = (char)(ch - 'A' + 'a');
        } else if (ch == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x84 &&
                   (unsigned char)s[i + 2] == 0xAA) { /* U+212A */
            out[k++] = 'k';
            i += 2;
        } else if (ch == 0xC5 && i + 1 < n && (unsigned char)s[i + 1] == 0xBF) { /* U+017F */
            out[k++] = 's';
            i += 1;
        } else {
            out[k++] = (char)ch;
        }
    }
    return k;
}

/* Whether l is in s[0..n) (at 0 only, for a start one). */
static bool lit_in(const th_ua_lit *l, const char *s, size_t n)
{
    for (size_t at = 0; at + l->n <= n && (at == 0 || !l->start); at++)
        if (memcmp(s + at, l->s, l->n) == 0)
            return true;
    return false;
}

bool th_ua_literals_held(const th_ua_lit *lits, size_t n, const char *agent, size_t len)
{
    char *folded = malloc(len + 1);
    if (!folded)
        return true; /* "may hold": the pattern is then tried */
    size_t flen = th_ua_fold(agent, len, folded);
    bool all = true;
    for (size_t k = 0; k < n && all;) {
        size_t e = k;
        bool held = false;
        for (; e < n && lits[e].req == lits[k].req; e++)
            held = held || (lits[e].fold ? lit_in(&lits[e], folded, flen)
                                         : lit_in(&lits[e], agent, len));
        all = held;
        k = e;
    }
    free(folded);
    return all;
}

/* ---- patterns PCRE2 certainly compiles ---------------------------------- */

/* A literal class member at p[*i] (a plain character or an escaped
 * punctuation character) into *c, stepping over it. */
static bool class_char(const char *p, size_t n, size_t *i, unsigned char *c)
{
    unsigned char x = (unsigned char)p[*i];
    if (x == '\\') {
        if (*i + 1 >= n)
            return false;
        unsigned char e = (unsigned char)p[*i + 1];
        if (e < 0x21 || e > 0x7E || (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') ||
            (e >= 'A' && e <= 'Z'))
            return false;
        *c = e;
        *i += 2;
        return true;
    }
    if (x < 0x20 || x > 0x7E || x == '[' || x == ']')
        return false;
    *c = x;
    (*i)++;
    return true;
}

/* `[...]` at p[*i] made of plain and escaped characters, ascending ranges of
 * them, and \d \D \w \W \s \S; steps over it. */
static bool plain_class(const char *p, size_t n, size_t *i)
{
    size_t k = *i + 1;
    if (k < n && p[k] == '^')
        k++;
    if (k < n && p[k] == ']')
        return false; /* a literal `]` first: legal, but not plain */
    if (k < n && (p[k] == ':' || p[k] == '.' || p[k] == '='))
        return false; /* `[:alpha:]` outside a class is an error; `[:x]` is not, but rare */
    while (k < n && p[k] != ']') {
        if (p[k] == '\\' && k + 1 < n && p[k + 1] && strchr("dDwWsS", p[k + 1])) {
            k += 2;
            if (k + 1 < n && p[k] == '-' && p[k + 1] != ']')
                return false; /* a class cannot start a range */
            continue;
        }
        unsigned char lo, hi;
        if (!class_char(p, n, &k, &lo))
            return false;
        if (k + 1 < n && p[k] == '-' && p[k + 1] != ']') {
            k++;
            if (!class_char(p, n, &k, &hi) || hi < lo)
                return false;
        }
    }
    if (k >= n)
        return false;
    *i = k + 1;
    return true;
}

bool th_ua_pattern_plain(const char *p)
{
    size_t n = strlen(p), i = 0;
    int depth = 0;
    bool atom = false;   /* a repeatable item precedes */
    bool single = false; /* and it is one character wide (not a group) */
    if (n > 4096)
        return false;
    while (i < n) {
        unsigned char c = (unsigned char)p[i];
        if (c == '(') {
            if (++depth > 32)
                return false;
            i++;
            if (i < n && p[i] == '?') {
                if (i + 1 >= n || p[i + 1] != ':')
                    return false;
                i += 2;
            }
            atom = false;
            continue;
        }
        if (c == ')') {
            if (depth-- == 0)
                return false;
            i++;
            atom = true;
            single = false;
            continue;
        }
        if (c == '|' || c == '^' || c == '$') {
            i++;
            atom = false;
            continue;
        }
        if (c == '?' || c == '*' || c == '+' || c == '{') {
            if (!atom)
                return false;
            i++;
            if (c == '{') {
                /* {n}, {n,} or {n,m}, n <= m <= 1000, after one character only
                 * (a group's copies could make the code too large) */
                if (!single)
                    return false;
                size_t lo = 0, hi = 0, d = 0;
                while (i < n && p[i] >= '0' && p[i] <= '9' && d++ < 4)
                    lo = lo * 10 + (size_t)(p[i++] - '0');
                if (d == 0 || d > 4 || i >= n)
                    return false;
                hi = lo;
                if (p[i] == ',') {
                    i++;
                    d = 0;
                    hi = 0;
                    while (i < n && p[i] >= '0' && p[i] <= '9' && d++ < 4)
                        hi = hi * 10 + (size_t)(p[i++] - '0');
                    if (d > 4 || (d > 0 && hi < lo))
                        return false;
                    if (d == 0)
                        hi = lo;
                }
                if (i >= n || p[i] != '}' || hi > 1000)
                    return false;
                i++;
            }
            if (i < n && (p[i] == '?' || p[i] == '+'))
                i++; /* lazy or possessive */
            atom = false;
            continue;
        }
        if (c == '[') {
            if (!plain_class(p, n, &i))
                return false;
            atom = single = true;
            continue;
        }
        if (c == '\\') {
            if (i + 1 >= n)
                return false;
            unsigned char e = (unsigned char)p[i + 1];
            bool alnum = (e >= '0' && e <= '9') || (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z');
            if (e == 'b' || e == 'B') { /* an assertion: nothing to repeat */
                i += 2;
                atom = false;
                continue;
            }
            if ((alnum && !strchr("dDwWsS", e)) || e < 0x21 || e > 0x7E)
                return false;
            i += 2;
            atom = single = true;
            continue;
        }
        if (c < 0x20 || c > 0x7E || c == ']' || c == '}')
            return false;
        i++;
        atom = single = true;
    }
    return depth == 0;
}
