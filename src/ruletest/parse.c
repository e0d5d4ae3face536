/* Reading *.test.toml files (ruletest.h). Every key is checked: an unknown
 * key or a value of the wrong type is an error at its line:col, because a
 * misspelt expectation would otherwise make a test pass vacuously. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/limits.h"
#include "ruletest/ruletest.h"
#include "toml/toml.h"

typedef struct ctx {
    th_arena *a;
    const char *path;
    const char *dir; /* directory of the test file, "" for the current one */
    th_diags *diags;
    size_t errors;
} ctx;

#include <stdarg.h>

static void err(ctx *c, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void err(ctx *c, unsigned line, unsigned col, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    th_diag_at(c->diags, TH_SEV_ERROR, c->path, line, col, "%s", msg);
    c->errors++;
}

/* A path relative to the test file's directory (absolute paths as they are). */
static const char *resolve(ctx *c, th_str p)
{
    if ((p.n && p.p[0] == '/') || !c->dir[0])
        return th_arena_strndup(c->a, p.p, p.n);
    return th_arena_printf(c->a, "%s/%.*s", c->dir, (int)p.n, p.p);
}

static bool want(ctx *c, const th_toml_kv *kv, th_toml_type t)
{
    if (kv->val->type == t)
        return true;
    th_diag_at(c->diags, TH_SEV_ERROR, c->path, kv->val->line, kv->val->col,
               "`%.*s` must be %s, not %s", (int)kv->key.n, kv->key.p,
               t == TH_TOML_TABLE   ? "a table"
               : t == TH_TOML_ARRAY ? "an array"
                                    : th_toml_type_name(t),
               th_toml_type_name(kv->val->type));
    c->errors++;
    return false;
}

static const char *str_of(ctx *c, const th_toml_kv *kv)
{
    if (!want(c, kv, TH_TOML_STRING))
        return NULL;
    return th_arena_strndup(c->a, kv->val->u.str.p, kv->val->u.str.n);
}

/* An array of strings; NULL (with an error) when it is anything else. */
static const char **strs_of(ctx *c, const th_toml_kv *kv, size_t *n)
{
    *n = 0;
    if (!want(c, kv, TH_TOML_ARRAY))
        return NULL;
    size_t len = kv->val->u.arr.len;
    const char **out = TH_ANEWN(c->a, const char *, len ? len : 1);
    for (size_t i = 0; i < len; i++) {
        const th_toml *v = kv->val->u.arr.items[i];
        if (v->type != TH_TOML_STRING) {
            th_diag_at(c->diags, TH_SEV_ERROR, c->path, v->line, v->col,
                       "`%.*s` must hold strings, not %s", (int)kv->key.n, kv->key.p,
                       th_toml_type_name(v->type));
            c->errors++;
            return NULL;
        }
        out[(*n)++] = th_arena_strndup(c->a, v->u.str.p, v->u.str.n);
    }
    return out;
}

static bool int_of(ctx *c, const th_toml_kv *kv, int64_t *out, int64_t min)
{
    if (!want(c, kv, TH_TOML_INTEGER))
        return false;
    if (kv->val->u.i < min) {
        th_diag_at(c->diags, TH_SEV_ERROR, c->path, kv->val->line, kv->val->col,
                   "`%.*s` must be at least %lld", (int)kv->key.n, kv->key.p, (long long)min);
        c->errors++;
        return false;
    }
    *out = kv->val->u.i;
    return true;
}

static void unknown(ctx *c, const th_toml_kv *kv, const char *where, const char *known)
{
    th_diag_at(c->diags, TH_SEV_ERROR, c->path, kv->line, kv->col,
               "unknown key `%.*s` in %s (known: %s)", (int)kv->key.n, kv->key.p, where, known);
    c->errors++;
}

#define KEY(k) th_str_eqc(kv->key, k)

static void add_event(ctx *c, th_rtest *t, size_t *cap, th_jval *ev)
{
    if (t->nevents == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        t->events =
            th_arena_realloc(c->a, t->events, *cap * sizeof *t->events, nc * sizeof *t->events);
        *cap = nc;
    }
    t->events[t->nevents++] = ev;
}

/* The line:col of byte `off` of a string value. Multi-line strings that
 * start with a newline drop it (TOML), so the content starts a line below;
 * single-line strings start one column after the quote. Close enough to
 * find the spot; exact for the usual `'''` + newline layout. */
static void where_in_string(const th_toml *v, th_str s, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = v->line, cl = v->col + 1;
    bool multiline = memchr(s.p, '\n', s.n) != NULL;
    if (multiline) {
        l++;
        cl = 1;
    }
    for (size_t i = 0; i < off && i < s.n; i++) {
        if (s.p[i] == '\n') {
            l++;
            cl = 1;
        } else {
            cl++;
        }
    }
    *line = l;
    *col = cl;
}

static void parse_events(ctx *c, th_rtest *t, size_t *cap, const th_toml_kv *kv)
{
    if (!want(c, kv, TH_TOML_ARRAY))
        return;
    for (size_t i = 0; i < kv->val->u.arr.len; i++) {
        const th_toml *v = kv->val->u.arr.items[i];
        if (v->type == TH_TOML_TABLE) {
            /* an event written as a TOML inline table */
            add_event(c, t, cap, th_toml_to_json(c->a, v));
            continue;
        }
        if (v->type != TH_TOML_STRING) {
            err(c, v->line, v->col, "an event is a JSON string or a table, not %s",
                th_toml_type_name(v->type));
            continue;
        }
        th_json_error je;
        th_jval *doc = th_json_parse(c->a, v->u.str.p, v->u.str.n, &je);
        if (!doc) {
            unsigned l, cl;
            where_in_string(v, v->u.str, je.offset, &l, &cl);
            err(c, l, cl, "event is not valid JSON: %s", je.reason);
            continue;
        }
        if (doc->type != TH_JOBJ) {
            err(c, v->line, v->col, "%s", "an event must be a JSON object");
            continue;
        }
        add_event(c, t, cap, doc);
    }
}

static void parse_emulate(ctx *c, th_rtest *t, const th_toml_kv *ekv)
{
    if (!want(c, ekv, TH_TOML_TABLE))
        return;
    th_rtest_emulate *em = TH_ANEW(c->a, th_rtest_emulate);
    em->seed = 1;
    em->days = 1;
    const th_toml *tab = ekv->val;
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const th_toml_kv *kv = &tab->u.tab.kvs[i];
        if (KEY("scenario")) {
            const char *s = str_of(c, kv);
            if (s) {
                em->scenarios = TH_ANEWN(c->a, const char *, 1);
                em->scenarios[0] = s;
                em->nscenarios = 1;
            }
        } else if (KEY("scenarios")) {
            em->scenarios = strs_of(c, kv, &em->nscenarios);
        } else if (KEY("seed")) {
            int_of(c, kv, &em->seed, 0);
        } else if (KEY("days")) {
            int_of(c, kv, &em->days, 1);
        } else if (KEY("rate")) {
            int_of(c, kv, &em->rate, 1);
        } else if (KEY("start")) {
            em->start = str_of(c, kv);
        } else {
            unknown(c, kv, "[test.emulate]", "scenario, scenarios, seed, days, start, rate");
        }
    }
    if (!em->nscenarios)
        err(c, tab->line, tab->col, "%s", "[test.emulate] needs `scenario` or `scenarios`");
    t->emulate = em;
}

static void parse_expect(ctx *c, th_rtest *t, const th_toml_kv *ekv, bool *any)
{
    if (!want(c, ekv, TH_TOML_TABLE))
        return;
    const th_toml *tab = ekv->val;
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const th_toml_kv *kv = &tab->u.tab.kvs[i];
        if (KEY("alerts")) {
            t->has_count = int_of(c, kv, &t->count, 0);
            *any = true;
        } else if (KEY("alert_ids")) {
            t->must = strs_of(c, kv, &t->nmust);
            *any = true;
        } else if (KEY("no_alert_ids")) {
            t->must_not = strs_of(c, kv, &t->nmust_not);
            *any = true;
        } else {
            unknown(c, kv, "[test.expect]", "alerts, alert_ids, no_alert_ids");
        }
    }
}

static void parse_test(ctx *c, const th_toml *tab, const char *rule, th_rtest *t)
{
    memset(t, 0, sizeof *t);
    t->line = tab->line;
    t->col = tab->col;
    t->rule = rule;
    size_t cap = 0;
    bool expect = false, have_events = false;
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const th_toml_kv *kv = &tab->u.tab.kvs[i];
        if (KEY("name")) {
            t->name = str_of(c, kv);
        } else if (KEY("rule")) {
            if (want(c, kv, TH_TOML_STRING))
                t->rule = resolve(c, kv->val->u.str);
        } else if (KEY("events")) {
            parse_events(c, t, &cap, kv);
            have_events = true;
        } else if (KEY("data")) {
            t->data = strs_of(c, kv, &t->ndata);
            for (size_t k = 0; k < t->ndata; k++)
                t->data[k] = resolve(c, th_str_c(t->data[k]));
            have_events = true;
        } else if (KEY("emulate")) {
            parse_emulate(c, t, kv);
            have_events = true;
        } else if (KEY("from")) {
            t->from = str_of(c, kv);
        } else if (KEY("to")) {
            t->to = str_of(c, kv);
        } else if (KEY("pending")) {
            t->pending = str_of(c, kv);
        } else if (KEY("expect")) {
            parse_expect(c, t, kv, &expect);
        } else {
            unknown(c, kv, "[[test]]",
                    "name, rule, events, data, emulate, from, to, pending, expect");
        }
    }
    if (!t->name)
        t->name = th_arena_printf(c->a, "test at line %u", t->line);
    if (!t->rule)
        err(c, tab->line, tab->col, "%s",
            "no rule: set `rule` at the top of the file or in the test");
    if (!have_events)
        err(c, tab->line, tab->col, "test \"%s\" has no events (events, data or [test.emulate])",
            t->name);
    if (!expect)
        err(c, tab->line, tab->col,
            "test \"%s\" expects nothing: give [test.expect] alerts, alert_ids or no_alert_ids",
            t->name);
}

th_rtest_file *th_rtest_parse(th_arena *a, const char *text, size_t len, const char *path,
                              th_diags *diags)
{
    ctx c = {a, path, "", diags, 0};
    const char *slash = strrchr(path, '/');
    if (slash)
        c.dir = slash == path ? "/" : th_arena_strndup(a, path, (size_t)(slash - path));
    th_toml *root = th_toml_parse(a, text, len, path, diags);
    if (!root)
        return NULL;
    const char *rule = NULL;
    const th_toml *tests = NULL;
    for (size_t i = 0; i < root->u.tab.len; i++) {
        const th_toml_kv *kv = &root->u.tab.kvs[i];
        if (KEY("rule")) {
            if (want(&c, kv, TH_TOML_STRING))
                rule = resolve(&c, kv->val->u.str);
        } else if (KEY("test")) {
            if (want(&c, kv, TH_TOML_ARRAY))
                tests = kv->val;
        } else {
            unknown(&c, kv, "the test file", "rule, [[test]]");
        }
    }
    if (!tests || tests->u.arr.len == 0) {
        if (!c.errors)
            err(&c, 1, 1, "%s", "no tests: add at least one [[test]] table");
        return NULL;
    }
    th_rtest_file *f = TH_ANEW(a, th_rtest_file);
    f->path = th_arena_strdup(a, path);
    f->tests = TH_ANEWN(a, th_rtest, tests->u.arr.len);
    for (size_t i = 0; i < tests->u.arr.len; i++) {
        const th_toml *t = tests->u.arr.items[i];
        if (t->type != TH_TOML_TABLE) {
            err(&c, t->line, t->col, "%s", "`test` must be an array of tables ([[test]])");
            continue;
        }
        parse_test(&c, t, rule, &f->tests[f->ntests++]);
    }
    return c.errors ? NULL : f;
}

th_rtest_file *th_rtest_load(th_arena *a, const char *path, th_diags *diags)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "%s", "cannot read the test file");
        return NULL;
    }
    th_buf b;
    th_buf_init(&b);
    char tmp[65536];
    size_t k;
    while ((k = fread(tmp, 1, sizeof tmp, fp)) > 0 && b.len <= TH_MAX_RULE_FILE_BYTES)
        th_buf_put(&b, tmp, k);
    fclose(fp);
    th_rtest_file *f = NULL;
    if (b.len > TH_MAX_RULE_FILE_BYTES)
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "%s", "test file too large");
    else
        f = th_rtest_parse(a, b.data ? b.data : "", b.len, path, diags);
    th_buf_free(&b);
    return f;
}
