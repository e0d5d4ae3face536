/* What a uap-core pattern's syntax proves (ua_literal.h): literals of which
 * every match contains one, and whether PCRE2 certainly compiles it.
 *
 * The pattern is read as a sequence of atoms per group level. A run of plain
 * characters is required by its branch of the level, and so is what a group
 * requires when the group has no quantifier; a level requires one of its
 * branches' requirements, or nothing when one branch requires nothing. A
 * character followed by a quantifier leaves the run (it may be absent). Only
 * syntax whose meaning is certain yields literals: an escape that is not a
 * known class or anchor, `(?` (options, lookaround), `(*` (verbs) or `\Q`
 * give up on the pattern (no literal: it is always tried). Non-ASCII
 * characters end a run, so a quantifier never leaves half a character.
 *
 * Case-insensitive patterns: PCRE2 (UTF, caseless) also matches K and k by
 * U+212A (Kelvin sign) and S and s by U+017F (long s); no other code point
 * matches an ASCII letter caselessly. So k and s end a run there, and the
 * rest compares in ASCII case-insensitively. */
#include "ecs/ua_literal.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct lit_scan {
    const char *p;
    size_t i, n;
    bool caseless;
    bool give_up;
} lit_scan;

typedef struct lit {
    char s[TH_UA_LITERAL_MAX];
    size_t n;
} lit;

/* What a part of the pattern requires: one of its literals in every match
 * (n == 0: nothing known). */
typedef struct req {
    lit v[TH_UA_ALTS_MAX];
    size_t n;
} req;

static size_t shortest(const req *r)
{
    size_t m = TH_UA_LITERAL_MAX + 1;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].n < m)
            m = r->v[i].n;
    return m;
}

/* best = x where x filters better: its shortest literal is longer, or as long
 * with fewer literals to look for. */
static void keep_better(req *best, const req *x)
{
    if (x->n == 0)
        return;
    size_t a = shortest(x), b = shortest(best);
    if (best->n == 0 || a > b || (a == b && x->n < best->n)) {
        memcpy(best->v, x->v, x->n * sizeof x->v[0]);
        best->n = x->n;
    }
}

/* keep_better with a run of plain characters: one literal. */
static void keep_run(req *best, const lit *run)
{
    if (run->n == 0)
        return;
    size_t b = shortest(best);
    if (best->n == 0 || run->n > b || (run->n == b && best->n > 1)) {
        best->v[0] = *run;
        best->n = 1;
    }
}

/* The end of one branch of an alternation: its requirement joins the
 * others'; a branch requiring nothing (or too many literals in all) leaves
 * the alternation requiring nothing (*open). */
static void branch_end(req *alts, const req *branch, bool *open)
{
    if (branch->n == 0 || alts->n + branch->n > TH_UA_ALTS_MAX) {
        *open = true;
        return;
    }
    for (size_t i = 0; i < branch->n; i++)
        alts->v[alts->n++] = branch->v[i];
}

/* Whether c is a plain character that matches itself (as the run's next byte). */
static bool plain(const lit_scan *c, unsigned char ch)
{
    if (ch >= 0x80)
        return false;
    if (c->caseless && (ch == 'k' || ch == 'K' || ch == 's' || ch == 'S'))
        return false;
    return true;
}

/* At p[i]: whether a quantifier follows (and steps over it). */
static bool quantifier(lit_scan *c)
{
    if (c->i >= c->n)
        return false;
    char ch = c->p[c->i];
    if (ch == '?' || ch == '*' || ch == '+') {
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
    quantifier(c); /* which PCRE2 may read as literals, quantified: `{+`, `{}?` */
    return true;
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

/* One level, up to its `)` or the end: into *out, what it requires. A
 * branch's requirement is the best of its runs and unquantified groups; a
 * level with `|` requires one of its branches' literals. */
static void level(lit_scan *c, int depth, req *out)
{
    out->n = 0;
    if (depth > 32) {
        c->give_up = true;
        return;
    }
    req *r = malloc(3 * sizeof *r); /* ~30 KiB: not on the stack, at every depth */
    if (!r) {
        c->give_up = true;
        return;
    }
    req *best = &r[0], *alts = &r[1], *inner = &r[2];
    lit run = {{0}, 0};
    best->n = alts->n = 0;
    bool alternation = false, open = false;
    while (c->i < c->n && !c->give_up) {
        unsigned char ch = (unsigned char)c->p[c->i];
        if (ch == ')')
            break;
        if (ch == '|') {
            alternation = true;
            keep_run(best, &run);
            branch_end(alts, best, &open);
            best->n = 0;
            run.n = 0;
            c->i++;
            continue;
        }
        if (ch == '(') {
            keep_run(best, &run);
            run.n = 0;
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
            if (!quantifier(c))
                keep_better(best, inner);
            continue;
        }
        if (ch == '{') { /* a quantifier with nothing before it, or a literal `{` */
            keep_run(best, &run);
            run.n = 0;
            quantifier(c);
            continue;
        }
        if (ch == '[' || ch == '.' || ch == '^' || ch == '$') {
            keep_run(best, &run);
            run.n = 0;
            if (ch == '[')
                skip_class(c);
            else
                c->i++;
            quantifier(c);
            continue;
        }
        bool is_lit = false;
        unsigned char val = ch;
        if (ch == '\\') {
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
        if (quantifier(c) || !is_lit) {
            keep_run(best, &run);
            run.n = 0;
            continue;
        }
        if (run.n < sizeof run.s) {
            run.s[run.n++] = (char)val;
        } else { /* a longer run's prefix is required too */
            keep_run(best, &run);
        }
    }
    keep_run(best, &run);
    if (alternation) {
        branch_end(alts, best, &open);
        if (!open)
            keep_better(out, alts);
    } else {
        keep_better(out, best);
    }
    free(r);
}

size_t th_ua_literals(const char *pattern, bool caseless, th_ua_lit out[TH_UA_ALTS_MAX])
{
    lit_scan c = {pattern, 0, strlen(pattern), caseless, false};
    req *r = malloc(sizeof *r);
    if (!r)
        return 0;
    level(&c, 0, r);
    size_t n = c.give_up || c.i != c.n ? 0 : r->n; /* an unbalanced `)` ends the scan early */
    for (size_t k = 0; k < n; k++) {
        lit *l = &r->v[k];
        if (caseless)
            for (size_t i = 0; i < l->n; i++)
                if (l->s[i] >= 'A' && l->s[i] <= 'Z')
                    l->s[i] = (char)(l->s[i] - 'A' + 'a');
        memcpy(out[k].s, l->s, l->n);
        out[k].n = (uint8_t)l->n;
    }
    free(r);
    return n;
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
