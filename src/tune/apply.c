/* Applying a noise suggestion to a rule's files (apply.h). */
#include "tune/apply.h"

#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "query/ir.h"
#include "json/json.h"

/* The byte offset of the query value's opening quote. */
static bool value_start(const char *text, size_t len, const th_rule *r, size_t *at)
{
    size_t off = 0;
    for (unsigned l = 1; l < r->query_value_line && off < len; off++)
        if (text[off] == '\n')
            l++;
    size_t p = off + (r->query_value_col ? r->query_value_col - 1 : 0);
    if (p >= len || (text[p] != '\'' && text[p] != '"')) {
        p = off; /* columns counted in characters: the first quote of the line */
        while (p < len && text[p] != '\n' && text[p] != '\'' && text[p] != '"')
            p++;
    }
    if (p >= len || (text[p] != '\'' && text[p] != '"'))
        return false;
    *at = p;
    return true;
}

/* The offset of the closing delimiter `q` (1 or 3 quote characters). */
static bool value_end(const char *text, size_t len, size_t from, char q, size_t qn, size_t *at)
{
    for (size_t p = from; p + qn <= len; p++) {
        if (q == '"' && text[p] == '\\') {
            p++; /* an escape in a basic string */
            continue;
        }
        if (qn == 1 && text[p] == '\n')
            return false;
        if (text[p] == q && (qn == 1 || (text[p + 1] == q && text[p + 2] == q))) {
            while (qn == 3 && p + 3 < len && text[p + 3] == q)
                p++; /* up to two quotes may end the content: the last three close */
            *at = p;
            return true;
        }
    }
    return false;
}

/* Appends s as the content of a string delimited by q (escaped for basic strings). */
static bool put_content(th_buf *out, const char *s, size_t n, char q, size_t qn)
{
    for (size_t i = 0; i < n; i++) {
        if (q == '"' && (s[i] == '"' || s[i] == '\\'))
            th_buf_putc(out, '\\');
        else if (q == '\'' && s[i] == '\'' && qn == 1)
            return false; /* a literal string cannot hold its quote */
        th_buf_putc(out, s[i]);
    }
    return true;
}

bool th_apply_clause(th_buf *out, const char *text, size_t len, const th_rule *r,
                     const char *clause, char *err, size_t errlen)
{
    size_t open, close;
    if (r->language != TH_LANG_KUERY || !r->query) {
        snprintf(err, errlen, "only KQL queries take a clause");
        return false;
    }
    if (!value_start(text, len, r, &open)) {
        snprintf(err, errlen, "the query string was not found in the rule file");
        return false;
    }
    char q = text[open];
    size_t qn = open + 2 < len && text[open + 1] == q && text[open + 2] == q ? 3 : 1;
    if (!value_end(text, len, open + qn, q, qn, &close)) {
        snprintf(err, errlen, "the query string does not end");
        return false;
    }
    th_arena a;
    th_arena_init(&a, 4096);
    th_ir *ir = th_kql_parse(&a, r->query, strlen(r->query), NULL, NULL);
    bool wrap = ir && ir->op == TH_IR_OR;
    th_arena_free(&a);
    size_t body = open + qn;
    if (qn == 3 && body < len && text[body] == '\n')
        body++; /* the newline after ''' is not part of the value */
    size_t end = close;
    while (end > body && (text[end - 1] == '\n' || text[end - 1] == ' ' || text[end - 1] == '\r'))
        end--;
    th_buf_put(out, text, body);
    if (wrap)
        th_buf_puts(out, qn == 3 ? "(\n" : "(");
    th_buf_put(out, text + body, end - body);
    if (wrap)
        th_buf_puts(out, qn == 3 ? "\n)" : ")");
    th_buf_puts(out, qn == 3 ? "\n    " : " ");
    bool ok = put_content(out, clause, strlen(clause), q, qn);
    if (!ok) {
        snprintf(err, errlen, "the clause holds a quote the query string cannot");
        return false;
    }
    th_buf_puts(out, qn == 3 ? "\n" : "");
    th_buf_put(out, text + close, len - close);
    return true;
}

static void toml_str(th_buf *out, const char *s, size_t n)
{
    th_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            th_buf_printf(out, "\\%c", c);
        else if (c < 0x20)
            th_buf_printf(out, "\\u%04x", c);
        else
            th_buf_putc(out, (char)c);
    }
    th_buf_putc(out, '"');
}

/* The list's id and name, the same in both formats. */
static void list_names(const th_rule *r, char lid[256], char name[512])
{
    const char *id = r->rule_id ? r->rule_id : "rule";
    snprintf(lid, 256, "trailhound-noise-%s", id);
    snprintf(name, 512, "%s: known benign principals", r->name ? r->name : id);
}

/* An entry's type and operator (exists: present, or "excluded" for missing). */
static const char *entry_type(const th_noise_cond *d)
{
    if (d->kind == TH_NOISE_MISSING || d->kind == TH_NOISE_PRESENT)
        return "exists";
    return d->kind == TH_NOISE_PREFIX || d->kind == TH_NOISE_PATTERN ? "wildcard" : "match";
}

/* The members Kibana writes at the end of an exported list and of its items,
 * in its (alphabetical) order: one namespace, no OS types, no tags, the type. */
static void kibana_tail(th_jw *w, const char *type)
{
    th_jw_key(w, "namespace_type");
    th_jw_cstr(w, "single");
    th_jw_key(w, "os_types");
    th_jw_arr(w);
    th_jw_end(w);
    th_jw_key(w, "tags");
    th_jw_arr(w);
    th_jw_end(w);
    th_jw_key(w, "type");
    th_jw_cstr(w, type);
}

void th_apply_exception_ndjson(th_buf *out, const th_rule *r, const th_noise_cluster *c)
{
    char lid[256], name[512];
    list_names(r, lid, name);
    th_jw w;
    th_jw_init(&w, out);
    th_jw_obj(&w); /* the list */
    th_jw_key(&w, "description");
    th_jw_cstr(&w, "Exceptions proposed by trailhound noise");
    th_jw_key(&w, "immutable");
    th_jw_bool(&w, false);
    th_jw_key(&w, "list_id");
    th_jw_cstr(&w, lid);
    th_jw_key(&w, "name");
    th_jw_cstr(&w, name);
    kibana_tail(&w, "detection");
    th_jw_key(&w, "version");
    th_jw_int(&w, 1);
    th_jw_end(&w);
    th_buf_putc(out, '\n');
    th_jw_init(&w, out);
    th_jw_obj(&w); /* its one item */
    th_jw_key(&w, "comments");
    th_jw_arr(&w);
    th_jw_end(&w);
    th_jw_key(&w, "description");
    th_jw_cstr(&w, "Identity cluster found by trailhound noise");
    th_jw_key(&w, "entries");
    th_jw_arr(&w);
    for (size_t k = 0; k < c->ncond; k++) {
        const th_noise_cond *d = &c->cond[k];
        const char *type = entry_type(d);
        th_jw_obj(&w);
        th_jw_key(&w, "field");
        th_jw_cstr(&w, d->field);
        th_jw_key(&w, "operator");
        th_jw_cstr(&w, d->kind == TH_NOISE_MISSING ? "excluded" : "included");
        th_jw_key(&w, "type");
        th_jw_cstr(&w, type);
        if (strcmp(type, "exists") != 0) {
            th_buf v;
            th_buf_init(&v);
            th_buf_put(&v, d->value.p, d->value.n);
            if (d->kind == TH_NOISE_PREFIX)
                th_buf_putc(&v, '*');
            th_jw_key(&w, "value");
            th_jw_str(&w, th_str_make(v.data, v.len));
            th_buf_free(&v);
        }
        th_jw_end(&w);
    }
    th_jw_end(&w);
    char iid[300];
    snprintf(iid, sizeof iid, "%s-1", lid);
    th_jw_key(&w, "item_id");
    th_jw_cstr(&w, iid);
    th_jw_key(&w, "list_id");
    th_jw_cstr(&w, lid);
    th_jw_key(&w, "name");
    th_jw_cstr(&w, c->positive);
    kibana_tail(&w, "simple");
    th_jw_end(&w);
    th_buf_puts(out,
                "\n{\"exported_exception_list_count\":1,\"exported_exception_list_item_count\":1,"
                "\"missing_exception_list_item_count\":0,\"missing_exception_list_items\":[],"
                "\"missing_exception_lists\":[],\"missing_exception_lists_count\":0}\n");
}

void th_apply_exception_toml(th_buf *out, const th_rule *r, const th_noise_cluster *c)
{
    char lid[256], name[512];
    list_names(r, lid, name);
    th_buf_puts(out, "# Written by trailhound noise --apply: the alerts of one principal.\n"
                     "[[exceptions]]\ncontainer = { list_id = ");
    toml_str(out, lid, strlen(lid));
    th_buf_puts(out, ", name = ");
    toml_str(out, name, strlen(name));
    th_buf_puts(out,
                ", description = \"Exceptions proposed by trailhound noise\", type = "
                "\"detection\", namespace_type = \"single\" }\n\n[[exceptions.items]]\nname = ");
    toml_str(out, c->positive, strlen(c->positive));
    th_buf_puts(out, "\ndescription = \"Identity cluster found by trailhound noise\"\n"
                     "type = \"simple\"\nnamespace_type = \"single\"\n");
    for (size_t k = 0; k < c->ncond; k++) {
        const th_noise_cond *d = &c->cond[k];
        bool exists = strcmp(entry_type(d), "exists") == 0;
        th_buf_puts(out, "\n[[exceptions.items.entries]]\nfield = ");
        toml_str(out, d->field, strlen(d->field));
        th_buf_printf(out, "\ntype = \"%s\"\noperator = \"%s\"\n", entry_type(d),
                      d->kind == TH_NOISE_MISSING ? "excluded" : "included");
        if (exists)
            continue;
        th_buf_puts(out, "value = ");
        if (d->kind == TH_NOISE_PREFIX) {
            th_buf v;
            th_buf_init(&v);
            th_buf_put(&v, d->value.p, d->value.n);
            th_buf_putc(&v, '*');
            toml_str(out, v.data, v.len);
            th_buf_free(&v);
        } else {
            toml_str(out, d->value.p, d->value.n);
        }
        th_buf_putc(out, '\n');
    }
}
