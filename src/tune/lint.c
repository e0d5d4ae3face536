/* Rule linter driver and the metadata, text and spelling checks (lint.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "tune/lint_int.h"

void th_lint_init(th_lint *l, int64_t today_days, const th_spell *spell)
{
    memset(l, 0, sizeof *l);
    l->today = today_days;
    l->spell = spell;
    l->schema = true;
    th_arena_init(&l->arena, 1 << 16);
}

void th_lint_free(th_lint *l)
{
    free(l->uses);
    th_arena_free(&l->arena);
    memset(l, 0, sizeof *l);
}

void lint_find(lfile *f, th_severity sev, unsigned line, unsigned col, const char *check,
               const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    th_diag_at(f->d, sev, f->path, line, col, "%s [%s]", msg, check);
    f->n++;
}

size_t lint_offset(const lfile *f, unsigned line, unsigned col)
{
    size_t off = 0;
    for (unsigned l = 1; l < line; l++) {
        const char *nl = memchr(f->text + off, '\n', f->len - off);
        if (!nl)
            return f->len;
        off = (size_t)(nl - f->text) + 1;
    }
    off += col ? col - 1 : 0;
    return off <= f->len ? off : f->len;
}

void lint_line_col(const lfile *f, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1;
    size_t bol = 0, end = off < f->len ? off : f->len;
    const char *nl;
    while (bol < end && (nl = memchr(f->text + bol, '\n', end - bol)) != NULL) {
        l++;
        bol = (size_t)(nl - f->text) + 1;
    }
    *line = l;
    *col = (unsigned)(off - bol) + 1;
}

size_t lint_string_start(const lfile *f, const th_toml *v)
{
    size_t off = lint_offset(f, v->line, v->col);
    const char *s = f->text + off;
    size_t rest = f->len - off;
    if (rest >= 3 && (memcmp(s, "'''", 3) == 0 || memcmp(s, "\"\"\"", 3) == 0)) {
        off += 3;
        if (off < f->len && f->text[off] == '\n')
            off++;
        else if (off + 1 < f->len && f->text[off] == '\r' && f->text[off + 1] == '\n')
            off += 2;
    } else if (rest >= 1 && (*s == '\'' || *s == '"')) {
        off++;
    }
    return off;
}

const th_toml_kv *lint_kv(const th_toml *t, const char *key)
{
    if (!t || t->type != TH_TOML_TABLE)
        return NULL;
    const th_toml_kv *found = NULL;
    for (size_t i = 0; i < t->u.tab.len; i++)
        if (th_str_eqc(t->u.tab.kvs[i].key, key))
            found = &t->u.tab.kvs[i];
    return found;
}

static const char *str_of(const th_toml_kv *kv, th_arena *a)
{
    if (!kv || kv->val->type != TH_TOML_STRING)
        return NULL;
    return th_arena_strndup(a, kv->val->u.str.p, kv->val->u.str.n);
}

bool th_lint_parse_date(const char *s, int64_t *days)
{
    if (!s || strlen(s) != 10 || s[4] != '/' || s[7] != '/')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] + (m == 2 && leap))
        return false;
    *days = th_days_from_civil(y, (unsigned)m, (unsigned)d);
    return true;
}

static void lint_dates(lfile *f, const th_toml *meta)
{
    const th_toml_kv *ckv = lint_kv(meta, "creation_date"), *ukv = lint_kv(meta, "updated_date");
    const char *c = str_of(ckv, f->a), *u = str_of(ukv, f->a);
    int64_t cd = 0, ud = 0;
    bool cok = false, uok = false;
    if (!ckv)
        lint_find(f, TH_SEV_ERROR, meta ? meta->line : 1, 1, "dates",
                  "metadata.creation_date is missing");
    else if (!(cok = th_lint_parse_date(c, &cd)))
        lint_find(f, TH_SEV_ERROR, ckv->val->line, ckv->val->col, "dates",
                  "creation_date '%s' is not a valid YYYY/MM/DD date", c ? c : "(not a string)");
    if (!ukv) {
        lint_find(f, TH_SEV_ERROR, meta ? meta->line : 1, 1, "dates",
                  "metadata.updated_date is missing");
        return;
    }
    if (!(uok = th_lint_parse_date(u, &ud))) {
        lint_find(f, TH_SEV_ERROR, ukv->val->line, ukv->val->col, "dates",
                  "updated_date '%s' is not a valid YYYY/MM/DD date", u ? u : "(not a string)");
        return;
    }
    if (ud > f->l->today) {
        char today[16];
        int64_t y;
        unsigned mo, d;
        th_civil_from_days(f->l->today, &y, &mo, &d);
        snprintf(today, sizeof today, "%04lld/%02u/%02u", (long long)y, mo, d);
        lint_find(f, TH_SEV_ERROR, ukv->val->line, ukv->val->col, "dates",
                  "updated_date %s is in the future (today is %s)", u, today);
    }
    if (cok && ud < cd)
        lint_find(f, TH_SEV_ERROR, ukv->val->line, ukv->val->col, "dates",
                  "updated_date %s is before creation_date %s", u, c);
}

static void lint_version(lfile *f, const th_toml *meta)
{
    const th_toml_kv *kv = lint_kv(meta, "min_stack_version");
    if (!kv)
        return;
    const char *v = str_of(kv, f->a);
    int parts = 0, digits = 0;
    bool ok = v != NULL;
    for (const char *p = v; ok && *p; p++) {
        if (*p >= '0' && *p <= '9') {
            digits++;
        } else if (*p == '.' && digits) {
            parts++;
            digits = 0;
        } else {
            ok = false;
        }
    }
    if (!ok || parts != 2 || !digits)
        lint_find(f, TH_SEV_ERROR, kv->val->line, kv->val->col, "version",
                  "min_stack_version '%s' is not MAJOR.MINOR.PATCH", v ? v : "(not a string)");
}

typedef struct spell_ctx {
    lfile *f;
    const char *key;
    size_t start;   /* content start in the file */
    th_str content; /* decoded value */
} spell_ctx;

static void on_bad_word(th_str w, size_t off, void *vctx)
{
    spell_ctx *c = vctx;
    lfile *f = c->f;
    /* The decoded text matches the file byte for byte unless escapes were
     * used; otherwise fall back to the first occurrence after the start. */
    size_t pos = c->start + off;
    if (pos + w.n > f->len || memcmp(f->text + pos, w.p, w.n) != 0) {
        pos = c->start;
        while (pos + w.n <= f->len && memcmp(f->text + pos, w.p, w.n) != 0)
            pos++;
    }
    unsigned line, col;
    lint_line_col(f, pos, &line, &col);
    char sug[160];
    if (th_spell_suggest(f->l->spell, w, sug, sizeof sug))
        lint_find(f, TH_SEV_WARNING, line, col, "spelling",
                  "%s: unknown word '%.*s' (did you mean %s?)", c->key, (int)w.n, w.p, sug);
    else
        lint_find(f, TH_SEV_WARNING, line, col, "spelling", "%s: unknown word '%.*s'", c->key,
                  (int)w.n, w.p);
}

static void lint_text(lfile *f, const th_toml *rule)
{
    static const char *const keys[] = {"name", "description"};
    for (size_t i = 0; i < 2; i++) {
        const th_toml_kv *kv = lint_kv(rule, keys[i]);
        if (!kv || kv->val->type != TH_TOML_STRING || kv->val->u.str.n == 0) {
            lint_find(f, TH_SEV_ERROR, kv ? kv->line : (rule ? rule->line : 1), 1, "text",
                      "rule.%s is missing or empty", keys[i]);
            continue;
        }
        if (!f->l->spell)
            continue;
        spell_ctx c = {f, keys[i], lint_string_start(f, kv->val), kv->val->u.str};
        th_spell_text(f->l->spell, kv->val->u.str, on_bad_word, &c);
    }
    const th_toml_kv *note = lint_kv(rule, "note");
    if (!note || note->val->type != TH_TOML_STRING || note->val->u.str.n == 0)
        lint_find(f, TH_SEV_WARNING, rule ? rule->line : 1, 1, "text",
                  "rule.note (investigation guide) is missing");
}

static void lint_inv_fields(lfile *f, const th_toml *rule);

size_t th_lint_text(th_lint *l, const char *path, const char *text, size_t len, th_diags *d)
{
    th_arena a;
    th_arena_init(&a, 1 << 16);
    lfile f = {l, path, text, len, d, &a, 0};
    l->files++;
    th_diags tdiags;
    th_diags_init(&tdiags);
    th_toml *doc = th_toml_parse(&a, text, len, path, &tdiags);
    if (!doc) {
        for (size_t i = 0; i < tdiags.len; i++) {
            const th_diag *g = &tdiags.items[i];
            lint_find(&f, TH_SEV_ERROR, g->line, g->col, "toml", "%s", g->message);
        }
        th_diags_free(&tdiags);
        th_arena_free(&a);
        return f.n;
    }
    th_diags_free(&tdiags);
    const th_toml *meta = th_toml_get(doc, "metadata"), *rule = th_toml_get(doc, "rule");
    if (!rule) {
        /* hunting files ([hunt]) and others: only what applies */
        if (!th_toml_get(doc, "hunt"))
            lint_find(&f, TH_SEV_ERROR, 1, 1, "text", "no [rule] table");
        th_arena_free(&a);
        return f.n;
    }
    lint_dates(&f, meta);
    lint_version(&f, meta);
    lint_text(&f, rule);
    lint_query(&f, rule);
    lint_inv_fields(&f, rule);
    lint_attack(&f, rule);
    th_arena_free(&a);
    return f.n;
}

#include "ecs/schema.h"

static bool contains(th_str hay, th_str needle)
{
    for (size_t i = 0; needle.n && i + needle.n <= hay.n; i++)
        if (memcmp(hay.p + i, needle.p, needle.n) == 0)
            return true;
    return false;
}

static void lint_inv_fields(lfile *f, const th_toml *rule)
{
    if (!f->l->schema)
        return;
    const th_toml *inv = th_toml_get(rule, "investigation_fields");
    const th_toml *names = th_toml_get(inv, "field_names");
    if (!names || names->type != TH_TOML_ARRAY)
        return;
    for (size_t i = 0; i < names->u.arr.len; i++) {
        const th_toml *v = names->u.arr.items[i];
        if (v->type != TH_TOML_STRING)
            continue;
        /* ES|QL rules may name the columns their query computes (Esql.*) */
        const th_toml *q = th_toml_get(rule, "query");
        bool in_query = q && q->type == TH_TOML_STRING && v->u.str.n &&
                        contains(q->u.str, v->u.str) && th_str_starts(v->u.str, "Esql");
        if (!th_schema_lookup(v->u.str) && !in_query)
            lint_find(f, TH_SEV_ERROR, v->line, v->col, "inv-fields",
                      "investigation field '%.*s' is not in the field schema", (int)v->u.str.n,
                      v->u.str.p);
    }
}
