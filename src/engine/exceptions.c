/* Exception lists: evaluation and the Kibana NDJSON loader (exceptions.h).
 * The TOML loader is in exceptions_toml.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "engine/exceptions.h"

void th_exceptions_init(th_exceptions *x)
{
    memset(x, 0, sizeof(*x));
    th_arena_init(&x->arena, 16384);
}

void th_exceptions_free(th_exceptions *x)
{
    free(x->items);
    th_arena_free(&x->arena);
    memset(x, 0, sizeof(*x));
}

static void push_item(th_exceptions *x, const th_exc_item *it)
{
    if (x->len == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 8;
        x->items = th_xrealloc(x->items, x->cap * sizeof(th_exc_item));
    }
    x->items[x->len++] = *it;
}

/* ---- matching --------------------------------------------------------------- */

/* Glob with * and ?, backslash escaping the next byte. */
static bool glob(const char *p, const char *pe, const char *s, const char *se)
{
    const char *star = NULL, *ss = NULL;
    while (s < se) {
        if (p < pe && *p == '*') {
            star = ++p;
            ss = s;
            continue;
        }
        if (p < pe && (*p == '?' || (*p == '\\' && p + 1 < pe ? p[1] == *s : *p == *s))) {
            p += (*p == '\\' && p + 1 < pe) ? 2 : 1;
            s++;
            continue;
        }
        if (star) {
            p = star;
            s = ++ss;
            continue;
        }
        return false;
    }
    while (p < pe && *p == '*')
        p++;
    return p == pe;
}

typedef struct val_ctx {
    const th_exc_entry *en;
    bool any;   /* exists: any non-null value */
    bool hit;
} val_ctx;

static bool val_visit(const th_jval *v, void *ctx)
{
    val_ctx *c = ctx;
    if (v->type == TH_JNULL)
        return true;
    if (c->en->kind == TH_EXC_EXISTS) {
        c->hit = true;
        return false;
    }
    th_str s;
    if (!th_jscalar_text(v, &s))
        return true;
    for (size_t i = 0; i < c->en->nvalues; i++) {
        th_str want = c->en->values[i];
        bool ok = c->en->kind == TH_EXC_WILDCARD
                      ? glob(want.p, want.p + want.n, s.p, s.p + s.n)
                      : th_str_eq(s, want);
        if (ok) {
            c->hit = true;
            return false;
        }
    }
    return true;
}

static bool entry_holds(const th_exc_entry *en, const th_jval *doc);

typedef struct nested_ctx {
    const th_exc_entry *en;
    bool hit;
} nested_ctx;

static bool nested_visit(const th_jval *v, void *ctx)
{
    nested_ctx *c = ctx;
    if (v->type != TH_JOBJ)
        return true;
    for (size_t i = 0; i < c->en->nentries; i++) {
        if (!entry_holds(&c->en->entries[i], v))
            return true;
    }
    c->hit = true;
    return false;
}

static bool entry_holds(const th_exc_entry *en, const th_jval *doc)
{
    bool hit;
    if (en->kind == TH_EXC_NESTED) {
        nested_ctx c = {en, false};
        th_json_path_each(doc, th_str_c(en->field), nested_visit, &c);
        hit = c.hit;
    } else {
        val_ctx c = {en, false, false};
        th_json_path_each(doc, th_str_c(en->field), val_visit, &c);
        hit = c.hit;
    }
    return en->excluded ? !hit : hit;
}

bool th_exceptions_match(const th_exceptions *x, const th_jval *doc)
{
    if (!x)
        return false;
    for (size_t i = 0; i < x->len; i++) {
        const th_exc_item *it = &x->items[i];
        if (it->nentries == 0)
            continue; /* an empty item would except everything; Kibana rejects it */
        bool all = true;
        for (size_t j = 0; j < it->nentries && all; j++)
            all = entry_holds(&it->entries[j], doc);
        if (all)
            return true;
    }
    return false;
}

/* ---- building from JSON ------------------------------------------------------ */

static const char *cstr(th_arena *a, const th_jval *v)
{
    th_str s = th_jstr(v);
    return s.p ? th_arena_strndup(a, s.p, s.n) : NULL;
}

static bool parse_entry(th_exceptions *x, const th_jval *j, th_exc_entry *en, const char *file,
                        unsigned line, th_diags *diags, int depth)
{
    th_arena *a = &x->arena;
    const char *type = cstr(a, th_jobj_get(j, "type"));
    const char *op = cstr(a, th_jobj_get(j, "operator"));
    en->field = cstr(a, th_jobj_get(j, "field"));
    en->excluded = op && strcmp(op, "excluded") == 0;
    if (!type || !en->field) {
        th_diag_at(diags, TH_SEV_ERROR, file, line, 0, "exception entry without type or field");
        return false;
    }
    const th_jval *val = th_jobj_get(j, "value");
    if (strcmp(type, "match") == 0 || strcmp(type, "wildcard") == 0) {
        en->kind = type[0] == 'm' ? TH_EXC_MATCH : TH_EXC_WILDCARD;
        th_str s;
        if (!val || !th_jscalar_text(val, &s)) {
            th_diag_at(diags, TH_SEV_ERROR, file, line, 0, "exception entry '%s' needs a value",
                       en->field);
            return false;
        }
        en->values = TH_ANEW(a, th_str);
        en->values[0] = th_str_make(th_arena_strndup(a, s.p, s.n), s.n);
        en->nvalues = 1;
    } else if (strcmp(type, "match_any") == 0) {
        en->kind = TH_EXC_MATCH_ANY;
        if (!th_jis(val, TH_JARR)) {
            th_diag_at(diags, TH_SEV_ERROR, file, line, 0,
                       "exception entry '%s': match_any needs a list", en->field);
            return false;
        }
        en->values = TH_ANEWN(a, th_str, val->len ? val->len : 1);
        for (uint32_t i = 0; i < val->len; i++) {
            th_str s;
            if (th_jscalar_text(val->u.items[i], &s))
                en->values[en->nvalues++] = th_str_make(th_arena_strndup(a, s.p, s.n), s.n);
        }
    } else if (strcmp(type, "exists") == 0) {
        en->kind = TH_EXC_EXISTS;
    } else if (strcmp(type, "nested") == 0 && depth == 0) {
        en->kind = TH_EXC_NESTED;
        const th_jval *sub = th_jobj_get(j, "entries");
        if (!th_jis(sub, TH_JARR) || sub->len == 0) {
            th_diag_at(diags, TH_SEV_ERROR, file, line, 0, "nested exception entry '%s' is empty",
                       en->field);
            return false;
        }
        en->entries = TH_ANEWN(a, th_exc_entry, sub->len);
        for (uint32_t i = 0; i < sub->len; i++) {
            if (!parse_entry(x, sub->u.items[i], &en->entries[i], file, line, diags, 1))
                return false;
        }
        en->nentries = sub->len;
    } else {
        th_diag_at(diags, TH_SEV_WARNING, file, line, 0,
                   "exception entry type '%s' on '%s' is not supported; item ignored", type,
                   en->field);
        return false;
    }
    return true;
}

bool th_exceptions_add_json(th_exceptions *x, const th_jval *j, const char *file, unsigned line,
                            th_diags *diags)
{
    const th_jval *entries = th_jobj_get(j, "entries");
    if (!th_jis(entries, TH_JARR))
        return false; /* a list header line (no entries): nothing to add */
    th_exc_item it = {0};
    it.list_id = cstr(&x->arena, th_jobj_get(j, "list_id"));
    it.item_id = cstr(&x->arena, th_jobj_get(j, "item_id"));
    it.name = cstr(&x->arena, th_jobj_get(j, "name"));
    it.entries = TH_ANEWN(&x->arena, th_exc_entry, entries->len ? entries->len : 1);
    for (uint32_t i = 0; i < entries->len; i++) {
        if (!parse_entry(x, entries->u.items[i], &it.entries[i], file, line, diags, 0))
            return false;
    }
    it.nentries = entries->len;
    if (it.nentries == 0) {
        th_diag_at(diags, TH_SEV_WARNING, file, line, 0, "exception item without entries ignored");
        return false;
    }
    push_item(x, &it);
    return true;
}

size_t th_exceptions_load_toml(th_exceptions *x, const char *buf, size_t len, const char *path,
                               th_diags *diags);

size_t th_exceptions_load(th_exceptions *x, const char *path, th_diags *diags)
{
    size_t len;
    char *data = th_file_read(path, &len);
    if (!data) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot open exception file");
        return 0;
    }
    size_t before = x->len;
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t'))
        i++;
    if (i < len && data[i] == '{') {
        /* NDJSON: list header objects, item objects, and an export summary */
        const char *p = data, *end = data + len;
        unsigned line = 0;
        th_arena scratch;
        th_arena_init(&scratch, 65536);
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *le = nl ? nl : end;
            line++;
            th_json_error err;
            if (le > p) {
                th_jval *v = th_json_parse(&scratch, p, (size_t)(le - p), &err);
                if (!v)
                    th_diag_at(diags, TH_SEV_ERROR, path, line, (unsigned)err.offset + 1, "%s",
                               err.reason);
                else
                    th_exceptions_add_json(x, v, path, line, diags);
            }
            p = nl ? nl + 1 : end;
        }
        th_arena_free(&scratch);
    } else {
        th_exceptions_load_toml(x, data, len, path, diags);
    }
    free(data);
    return x->len - before;
}

static bool names_list(const th_rule *r, const char *list_id)
{
    for (size_t i = 0; i < r->exception_list_ids.len; i++) {
        if (strcmp(r->exception_list_ids.items[i], list_id) == 0)
            return true;
    }
    return false;
}

void th_exceptions_for_rule(const th_exceptions *x, const th_rule *r, const th_rule *const *all,
                            size_t nall, th_exceptions *out)
{
    for (size_t i = 0; i < x->len; i++) {
        const th_exc_item *it = &x->items[i];
        bool take;
        if (it->list_id && names_list(r, it->list_id)) {
            take = true;
        } else {
            take = true;
            for (size_t k = 0; k < nall && take && it->list_id; k++)
                take = !names_list(all[k], it->list_id);
        }
        if (take)
            push_item(out, it);
    }
}
