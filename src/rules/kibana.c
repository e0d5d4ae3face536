/* Kibana rule exports as rules: the NDJSON that Kibana's "Export rules" (the
 * saved objects API) writes, one rule object a line, then an export summary
 * line ({"exported_count": ...}). Each rule object is rewritten as the
 * detection-rules TOML that says the same thing and loaded by the one TOML
 * loader, so an exported rule and its source file behave alike.
 *
 * The API's field names are detection-rules' [rule] keys, with these
 * exceptions, rewritten here: new_terms_fields / history_window_start become
 * [rule.new_terms]; created_at / updated_at become [metadata] dates; keys that
 * only Kibana's saved object carries (id, enabled, revision, execution_summary,
 * actions, ...) are left out. Messages about an exported rule name the file and
 * the line of the export (`export.ndjson:3`), the rule's path. */
#include <stdio.h>
#include <string.h>

#include "base/buf.h"
#include "rules/rule.h"
#include "rules/rule_internal.h"
#include "json/json.h"

static const char *const kibana_only[] = {
    "id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "enabled",
    "immutable",
    "rule_source",
    "revision",
    "execution_summary",
    "output_index",
    "meta",
    "actions",
    "throttle",
    "response_actions",
    "new_terms_fields",
    "history_window_start",
    "related_integrations",
    "required_fields",
};

static bool bare_key(th_str k)
{
    if (!k.n)
        return false;
    for (size_t i = 0; i < k.n; i++) {
        char c = k.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void toml_string(th_buf *b, th_str s)
{
    th_buf_putc(b, '"');
    for (size_t i = 0; i < s.n; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c == '"' || c == '\\') {
            th_buf_putc(b, '\\');
            th_buf_putc(b, (char)c);
        } else if (c == '\n') {
            th_buf_puts(b, "\\n");
        } else if (c == '\t') {
            th_buf_puts(b, "\\t");
        } else if (c < 0x20 || c == 0x7f) {
            th_buf_printf(b, "\\u%04x", c);
        } else {
            th_buf_putc(b, (char)c);
        }
    }
    th_buf_putc(b, '"');
}

static void toml_key(th_buf *b, th_str k)
{
    if (bare_key(k))
        th_buf_putstr(b, k);
    else
        toml_string(b, k);
}

/* One value, inline (TOML has no null: callers leave null members out). */
static void toml_value(th_buf *b, const th_jval *v)
{
    switch (v->type) {
    case TH_JNULL: th_buf_puts(b, "\"\""); break;
    case TH_JFALSE: th_buf_puts(b, "false"); break;
    case TH_JTRUE: th_buf_puts(b, "true"); break;
    case TH_JNUM: th_buf_putstr(b, v->u.str); break;
    case TH_JSTR: toml_string(b, v->u.str); break;
    case TH_JARR: {
        th_buf_putc(b, '[');
        size_t n = 0;
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->u.items[i]->type == TH_JNULL)
                continue;
            th_buf_puts(b, n++ ? ", " : "");
            toml_value(b, v->u.items[i]);
        }
        th_buf_putc(b, ']');
        break;
    }
    case TH_JOBJ: {
        th_buf_putc(b, '{');
        size_t n = 0;
        for (uint32_t i = 0; i < v->len; i++) {
            const th_jmember *m = &v->u.members[i];
            if (m->val->type == TH_JNULL)
                continue;
            th_buf_puts(b, n++ ? ", " : "");
            toml_key(b, m->key);
            th_buf_puts(b, " = ");
            toml_value(b, m->val);
        }
        th_buf_putc(b, '}');
        break;
    }
    }
}

static const th_jval *member(const th_jval *o, const char *key)
{
    for (uint32_t i = 0; i < o->len; i++)
        if (th_str_eq(o->u.members[i].key, th_str_c(key)))
            return o->u.members[i].val;
    return NULL;
}

/* "2024-05-01T10:00:00.000Z" -> "2024/05/01" (detection-rules' date form). */
static void meta_date(th_buf *b, const char *key, const th_jval *v)
{
    if (!v || v->type != TH_JSTR || v->u.str.n < 10)
        return;
    const char *s = v->u.str.p;
    th_buf_printf(b, "%s = \"%.4s/%.2s/%.2s\"\n", key, s, s + 5, s + 8);
}

static bool kibana_only_key(th_str k)
{
    for (size_t i = 0; i < sizeof kibana_only / sizeof kibana_only[0]; i++)
        if (th_str_eq(k, th_str_c(kibana_only[i])))
            return true;
    return false;
}

/* The TOML text of one exported rule object. */
static void rule_toml(th_buf *b, const th_jval *o)
{
    th_buf_puts(b, "[metadata]\n");
    meta_date(b, "creation_date", member(o, "created_at"));
    meta_date(b, "updated_date", member(o, "updated_at"));
    th_buf_puts(b, "maturity = \"production\"\n\n[rule]\n");
    for (uint32_t i = 0; i < o->len; i++) {
        const th_jmember *m = &o->u.members[i];
        if (m->val->type == TH_JNULL || kibana_only_key(m->key))
            continue;
        toml_key(b, m->key);
        th_buf_puts(b, " = ");
        toml_value(b, m->val);
        th_buf_putc(b, '\n');
    }
    const th_jval *ntf = member(o, "new_terms_fields"), *hws = member(o, "history_window_start");
    if (ntf) {
        th_buf_puts(b, "\n[rule.new_terms]\nfield = \"new_terms_fields\"\nvalue = ");
        toml_value(b, ntf);
        th_buf_putc(b, '\n');
        if (hws && hws->type == TH_JSTR) {
            th_buf_puts(b, "[[rule.new_terms.history_window_start]]\n"
                           "field = \"history_window_start\"\nvalue = ");
            toml_value(b, hws);
            th_buf_putc(b, '\n');
        }
    }
}

bool th_rules_is_kibana_export(const char *text, size_t len)
{
    size_t i = 0;
    while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
        i++;
    return i < len && text[i] == '{'; /* a TOML file never starts with '{' */
}

size_t th_rules_load_kibana(th_ruleset *rs, const char *path, const char *text, size_t len,
                            th_diags *diags)
{
    size_t failed = 0, loaded = 0, line = 0;
    th_buf toml;
    th_buf_init(&toml);
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        line++;
        size_t k = pos;
        while (k < end && (text[k] == ' ' || text[k] == '\r' || text[k] == '\t'))
            k++;
        if (k < end) {
            th_arena tmp;
            th_arena_init(&tmp, 1u << 14);
            th_json_error err;
            th_jval *o = th_json_parse(&tmp, text + pos, end - pos, &err);
            if (!o || o->type != TH_JOBJ) {
                th_diag_at(diags, TH_SEV_ERROR, path, (unsigned)line, (unsigned)err.offset + 1,
                           "Kibana rule export: %s",
                           o ? "a line that is not a JSON object" : err.reason);
                failed++;
            } else if (member(o, "rule_id")) {
                th_buf_clear(&toml);
                rule_toml(&toml, o);
                const char *where = th_arena_printf(&rs->arena, "%s:%zu", path, line);
                rs->files_seen++;
                if (th_rule_from_text(rs, toml.data, toml.len, where, diags))
                    loaded++;
                else
                    failed++;
            } /* the export summary and exception lists carry no rule_id */
            th_arena_free(&tmp);
        }
        pos = end + 1;
    }
    th_buf_free(&toml);
    if (!loaded && !failed)
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "Kibana export without any rule");
    return failed + (!loaded && !failed);
}
