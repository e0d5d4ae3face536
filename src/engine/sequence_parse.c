/* Splits an EQL `sequence` query into keys, maxspan and stage texts. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/timeutil.h"
#include "engine/sequence.h"

typedef struct sp {
    const char *s, *p;
} sp;

static void skip_ws(sp *x)
{
    for (;;) {
        while (*x->p && isspace((unsigned char)*x->p))
            x->p++;
        if (x->p[0] == '/' && x->p[1] == '/') {
            while (*x->p && *x->p != '\n')
                x->p++;
        } else if (x->p[0] == '/' && x->p[1] == '*') {
            const char *e = strstr(x->p + 2, "*/");
            x->p = e ? e + 2 : x->p + strlen(x->p);
        } else {
            return;
        }
    }
}

static bool word(sp *x, const char *w)
{
    skip_ws(x);
    size_t n = strlen(w);
    if (strncmp(x->p, w, n) != 0)
        return false;
    char c = x->p[n];
    if (isalnum((unsigned char)c) || c == '_' || c == '.')
        return false;
    x->p += n;
    return true;
}

/* A field name: letters, digits, _ . @ - or a `backquoted` name. */
static const char *field(th_arena *a, sp *x)
{
    skip_ws(x);
    const char *b = x->p;
    if (*x->p == '`') {
        const char *e = strchr(x->p + 1, '`');
        if (!e)
            return NULL;
        x->p = e + 1;
        return th_arena_strndup(a, b + 1, (size_t)(e - b - 1));
    }
    while (isalnum((unsigned char)*x->p) || *x->p == '_' || *x->p == '.' || *x->p == '@' ||
           *x->p == '-')
        x->p++;
    return x->p > b ? th_arena_strndup(a, b, (size_t)(x->p - b)) : NULL;
}

/* The text between a balanced [ ... ], skipping strings. */
static bool bracket(th_arena *a, sp *x, const char **out, size_t *off)
{
    skip_ws(x);
    if (*x->p != '[')
        return false;
    const char *b = ++x->p;
    int depth = 1;
    while (*x->p) {
        char c = *x->p;
        if (c == '"' || c == '\'') {
            bool triple = c == '"' && strncmp(x->p, "\"\"\"", 3) == 0;
            if (triple) {
                const char *e = strstr(x->p + 3, "\"\"\"");
                if (!e)
                    return false;
                x->p = e + 3;
                continue;
            }
            x->p++;
            while (*x->p && *x->p != c) {
                if (*x->p == '\\' && x->p[1])
                    x->p++;
                x->p++;
            }
            if (!*x->p)
                return false;
            x->p++;
            continue;
        }
        if (c == '/' && (x->p[1] == '/' || x->p[1] == '*')) {
            skip_ws(x); /* a comment may hold brackets */
            continue;
        }
        if (c == '[')
            depth++;
        if (c == ']' && --depth == 0) {
            *out = th_arena_strndup(a, b, (size_t)(x->p - b));
            *off = (size_t)(b - x->s);
            x->p++;
            return true;
        }
        x->p++;
    }
    return false;
}

bool th_seq_is_sequence(const char *query)
{
    sp x = {query, query};
    return query && word(&x, "sequence");
}

bool th_seq_split(th_arena *a, const char *query, th_seq_text *out, char *err, size_t errn)
{
    memset(out, 0, sizeof(*out));
    sp x = {query, query};
    if (!word(&x, "sequence")) {
        snprintf(err, errn, "not a sequence");
        return false;
    }
    const char *keys[16];
    if (word(&x, "by")) {
        do {
            const char *f = field(a, &x);
            if (!f || out->nkeys == 16) {
                snprintf(err, errn, "bad join key after `by`");
                return false;
            }
            keys[out->nkeys++] = f;
            skip_ws(&x);
        } while (*x.p == ',' && x.p++);
    }
    if (word(&x, "with")) {
        if (!word(&x, "maxspan")) {
            snprintf(err, errn, "only `with maxspan=` is supported");
            return false;
        }
        skip_ws(&x);
        if (*x.p++ != '=') {
            snprintf(err, errn, "expected `=` after maxspan");
            return false;
        }
        skip_ws(&x);
        const char *b = x.p;
        while (isalnum((unsigned char)*x.p))
            x.p++;
        if (!th_duration_parse(b, (size_t)(x.p - b), &out->maxspan_ms)) {
            snprintf(err, errn, "bad maxspan '%.*s'", (int)(x.p - b), b);
            return false;
        }
    }
    out->keys = TH_ANEWN(a, const char *, out->nkeys ? out->nkeys : 1);
    memcpy(out->keys, keys, out->nkeys * sizeof(char *));
    for (;;) {
        skip_ws(&x);
        if (!*x.p)
            break;
        if (word(&x, "until")) {
            snprintf(err, errn, "`until` is not supported yet");
            return false;
        }
        if (out->nstages == TH_SEQ_MAX_STAGES) {
            snprintf(err, errn, "too many stages");
            return false;
        }
        if (!bracket(a, &x, &out->stage[out->nstages], &out->stage_offset[out->nstages])) {
            snprintf(err, errn, "expected a [stage] at offset %zu", (size_t)(x.p - query));
            return false;
        }
        out->nstages++;
        skip_ws(&x);
        if (word(&x, "by")) {
            snprintf(err, errn, "per-stage `by` keys are not supported yet");
            return false;
        }
        if (word(&x, "with")) {
            snprintf(err, errn, "per-stage `with runs=` is not supported yet");
            return false;
        }
    }
    if (out->nstages < 2) {
        snprintf(err, errn, "a sequence needs at least two stages");
        return false;
    }
    return true;
}
