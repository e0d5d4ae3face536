/* Linter: KQL fields against the field schema (lint.h, check `fields`). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/timeutil.h"
#include "ecs/schema.h"
#include "query/esql.h"
#include "query/ir.h"
#include "query/query.h"
#include "tune/lint_int.h"

static bool is_number(th_str v)
{
    if (v.n == 0 || v.n > 64)
        return false;
    char buf[80];
    memcpy(buf, v.p, v.n);
    buf[v.n] = 0;
    char *end;
    strtod(buf, &end);
    return *end == 0;
}

static bool is_ip_or_cidr(th_str v)
{
    if (v.n == 0 || v.n > 60)
        return false;
    char buf[64];
    memcpy(buf, v.p, v.n);
    buf[v.n] = 0;
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = 0;
        char *end;
        long bits = strtol(slash + 1, &end, 10);
        if (*end || slash[1] == 0 || bits < 0 || bits > (strchr(buf, ':') ? 128 : 32))
            return false;
    }
    unsigned char addr[16];
    return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

/* One `field: value` / `field op value` clause of a KQL query, read off
 * the query IR (query/ir.h): the linter checks clauses, not predicates. */
typedef enum ckind { C_EXISTS, C_TERM, C_WILDCARD, C_RANGE, C_FREE } ckind;

typedef struct clause {
    ckind kind;
    th_str field; /* empty for FREE */
    th_str value; /* as written, escapes resolved; a wildcard's pattern */
    bool negated; /* under an odd number of `not` */
} clause;

static bool wildcard_ok(th_ftype t)
{
    return t == TH_FT_KEYWORD || t == TH_FT_CONSTANT_KEYWORD || t == TH_FT_WILDCARD ||
           t == TH_FT_FLATTENED || t == TH_FT_FLATTENED_LEAF;
}

static void check_clause(lfile *f, const clause *c, unsigned line, unsigned col)
{
    int fn = (int)c->field.n, vn = (int)c->value.n;
    if (c->kind == C_FREE) {
        lint_find(f, TH_SEV_WARNING, line, col, "fields",
                  "free-text term '%.*s' (no field) searches every field", vn, c->value.p);
        return;
    }
    if (c->kind == C_EXISTS && c->negated)
        lint_find(f, TH_SEV_WARNING, line, col, "negation",
                  "`not %.*s: *` excludes every event that has the field at all; possibly "
                  "overly exclusive",
                  fn, c->field.p);
    if (!f->l->schema || memchr(c->field.p, '*', c->field.n))
        return;
    const th_field_def *def = th_schema_lookup(c->field);
    if (!def) {
        lint_find(f, TH_SEV_ERROR, line, col, "fields", "field '%.*s' is not in the field schema",
                  fn, c->field.p);
        return;
    }
    th_ftype t = def->type;
    const char *tn = th_ftype_name(t);
    if (t == TH_FT_OBJECT && c->kind != C_EXISTS) {
        lint_find(f, TH_SEV_ERROR, line, col, "fields",
                  "'%.*s' is an object: it has no values of its own", fn, c->field.p);
        return;
    }
    switch (c->kind) {
    case C_WILDCARD:
        if (t == TH_FT_TEXT)
            lint_find(f, TH_SEV_WARNING, line, col, "fields",
                      "wildcard '%.*s' on text field '%.*s' matches single analysed words, not "
                      "the whole value",
                      vn, c->value.p, fn, c->field.p);
        else if (!wildcard_ok(t))
            lint_find(f, TH_SEV_ERROR, line, col, "fields",
                      "wildcard '%.*s' on %s field '%.*s': wildcards apply to keyword and "
                      "flattened fields only",
                      vn, c->value.p, tn, fn, c->field.p);
        break;
    case C_TERM:
        if (t == TH_FT_BOOLEAN && !th_str_eqc(c->value, "true") && !th_str_eqc(c->value, "false"))
            lint_find(f, TH_SEV_ERROR, line, col, "fields",
                      "'%.*s' is not a boolean, but '%.*s' is a boolean field", vn, c->value.p, fn,
                      c->field.p);
        else if ((t == TH_FT_LONG || t == TH_FT_DOUBLE) && !is_number(c->value))
            lint_find(f, TH_SEV_ERROR, line, col, "fields",
                      "'%.*s' is not a number, but '%.*s' is a %s field", vn, c->value.p, fn,
                      c->field.p, tn);
        else if (t == TH_FT_IP && !is_ip_or_cidr(c->value))
            lint_find(f, TH_SEV_ERROR, line, col, "fields",
                      "'%.*s' is not an IP address or CIDR, but '%.*s' is an ip field", vn,
                      c->value.p, fn, c->field.p);
        else if (t == TH_FT_DATE) {
            int64_t ms;
            if (!th_time_parse_iso(c->value.p, c->value.n, &ms) && !is_number(c->value))
                lint_find(f, TH_SEV_WARNING, line, col, "fields",
                          "'%.*s' is not a date, but '%.*s' is a date field", vn, c->value.p, fn,
                          c->field.p);
        }
        break;
    case C_RANGE:
        if (t == TH_FT_BOOLEAN)
            lint_find(f, TH_SEV_ERROR, line, col, "fields", "range on boolean field '%.*s'", fn,
                      c->field.p);
        else if (th_ftype_is_keyword_like(t) || t == TH_FT_TEXT)
            lint_find(f, TH_SEV_WARNING, line, col, "fields",
                      "range on %s field '%.*s' compares strings, not numbers", tn, fn, c->field.p);
        break;
    default: break;
    }
}

/* EQL: the fields the compiled query reads must be in the schema. The IR
 * carries no positions, so a finding points at the field's first mention in
 * the query text. */
static void lint_eql(lfile *f, const th_toml *qv)
{
    th_str t = qv->u.str;
    while (t.n && strchr(" \t\r\n", *t.p)) {
        t.p++;
        t.n--;
    }
    if (th_str_starts(t, "sequence")) { /* sequences compile in the engine, not here */
        f->l->rules_other_lang++;
        return;
    }
    f->l->rules_eql++;
    size_t start = lint_string_start(f, qv);
    unsigned line, col;
    lint_line_col(f, start, &line, &col);
    th_qsource src = {f->path, line, col};
    th_diags qd;
    th_diags_init(&qd);
    th_query *q = th_query_compile(f->a, TH_QLANG_EQL, qv->u.str.p, qv->u.str.n, &src, &qd);
    for (size_t i = 0; q && i < qd.len; i++) /* compiled, but Elasticsearch rejects it */
        lint_find(f, qd.items[i].severity, qd.items[i].line, qd.items[i].col, "query", "%s",
                  qd.items[i].message);
    for (size_t i = 0; !q && i < qd.len; i++)
        if (qd.items[i].severity == TH_SEV_ERROR)
            /* a warning: our EQL compiler does not take every construct
             * Elasticsearch does, so this may be its limit, not the rule's */
            lint_find(f, TH_SEV_WARNING, qd.items[i].line, qd.items[i].col, "fields",
                      "fields not checked: the query does not compile here: %s",
                      qd.items[i].message);
    th_diags_free(&qd);
    if (!q || !f->l->schema)
        return;
    th_str fields[256];
    size_t n = th_query_fields(q, fields, 256);
    for (size_t i = 0; i < n && i < 256; i++) {
        th_str fl = fields[i];
        if (fl.n == 0 || memchr(fl.p, '*', fl.n) || th_schema_lookup(fl))
            continue;
        size_t off = 0;
        for (size_t k = 0; k + fl.n <= qv->u.str.n; k++)
            if (memcmp(qv->u.str.p + k, fl.p, fl.n) == 0) {
                off = k;
                break;
            }
        lint_line_col(f, start + off, &line, &col);
        lint_find(f, TH_SEV_ERROR, line, col, "fields", "field '%.*s' is not in the field schema",
                  (int)fl.n, fl.p);
    }
}

/* ES|QL: the query must parse (a syntax error is reported where it is), and
 * the source fields it reads (names no earlier command defines) must be in
 * the schema: Elasticsearch fails the whole query on an unknown column. */
static void lint_esql(lfile *f, const th_toml *qv)
{
    f->l->rules_esql++;
    size_t start = lint_string_start(f, qv);
    unsigned line, col;
    lint_line_col(f, start, &line, &col);
    th_qsource src = {f->path, line, col};
    th_diags qd;
    th_diags_init(&qd);
    th_esql *q = th_esql_parse(f->a, qv->u.str.p, qv->u.str.n, &src, &qd);
    for (size_t i = 0; i < qd.len; i++)
        lint_find(f, TH_SEV_ERROR, qd.items[i].line, qd.items[i].col, "fields",
                  "fields not checked: %s", qd.items[i].message);
    th_diags_free(&qd);
    if (!q || !f->l->schema || strncmp(th_esql_index(q), ".alerts", 7) == 0)
        return; /* the alert index has its own mapping (kibana.alert.*) */
    th_str fields[256];
    bool pat;
    size_t n = th_esql_fields(q, fields, 256, &pat);
    for (size_t i = 0; i < n && i < 256; i++) {
        th_str fl = fields[i];
        if (fl.n == 0 || th_schema_lookup(fl))
            continue;
        size_t off = 0;
        for (size_t k = 0; k + fl.n <= qv->u.str.n; k++)
            if (memcmp(qv->u.str.p + k, fl.p, fl.n) == 0) {
                off = k;
                break;
            }
        lint_line_col(f, start + off, &line, &col);
        lint_find(f, TH_SEV_ERROR, line, col, "fields",
                  "field '%.*s' is not in the field schema (ES|QL fails the query on an unknown column)",
                  (int)fl.n, fl.p);
    }
}

/* A field name with a wildcard (`aws.*: x`) as written: the parser expands
 * it into every schema field it names, which are not the author's clauses
 * (checking each would flag fields the author never meant). */
static bool field_pattern(const th_toml *qv, const th_ir *ir)
{
    th_str t = qv->u.str;
    for (size_t i = ir->src_start; i < ir->src_end && i < t.n; i++) {
        if (t.p[i] == ':' || t.p[i] == '<' || t.p[i] == '>' || t.p[i] == ' ')
            return false;
        if (t.p[i] == '*')
            return true;
    }
    return false;
}

/* Every leaf of the query with the parity of the `not`s above it. */
static void walk(lfile *f, const th_toml *qv, const th_ir *ir, size_t start, bool negated)
{
    if (ir->op == TH_IR_NOT) {
        walk(f, qv, ir->kids[0], start, !negated);
        return;
    }
    for (size_t i = 0; i < ir->nkids; i++)
        walk(f, qv, ir->kids[i], start, negated);
    clause c = {C_TERM, ir->field, ir->value, negated};
    switch (ir->op) {
    case TH_IR_EXISTS: c.kind = C_EXISTS; break;
    case TH_IR_TERM: c.kind = C_TERM; break;
    case TH_IR_WILDCARD: c.kind = C_WILDCARD; break;
    case TH_IR_RANGE:
        c.kind = C_RANGE;
        c.value = ir->lo.p ? ir->lo : ir->hi;
        break;
    default: return; /* and/or/true: nothing of their own */
    }
    if (c.field.n == 0)
        c.kind = C_FREE;
    else if (field_pattern(qv, ir))
        return;
    unsigned line, col;
    lint_line_col(f, start + ir->src_start, &line, &col);
    check_clause(f, &c, line, col);
}

void lint_query(lfile *f, const th_toml *rule)
{
    const th_toml_kv *lang = lint_kv(rule, "language"), *q = lint_kv(rule, "query");
    const th_toml_kv *type = lint_kv(rule, "type");
    bool ml = type && type->val->type == TH_TOML_STRING &&
              th_str_eqc(type->val->u.str, "machine_learning");
    if (!q || q->val->type != TH_TOML_STRING) {
        if (!ml)
            lint_find(f, TH_SEV_ERROR, rule->line, 1, "fields", "rule.query is missing");
        return;
    }
    if (lang && lang->val->type == TH_TOML_STRING && th_str_eqc(lang->val->u.str, "eql")) {
        lint_eql(f, q->val);
        return;
    }
    if (lang && lang->val->type == TH_TOML_STRING && th_str_eqc(lang->val->u.str, "esql")) {
        lint_esql(f, q->val);
        return;
    }
    if (!lang || lang->val->type != TH_TOML_STRING || !th_str_eqc(lang->val->u.str, "kuery")) {
        f->l->rules_other_lang++;
        return;
    }
    f->l->rules_kql++;
    size_t start = lint_string_start(f, q->val);
    unsigned line, col;
    lint_line_col(f, start, &line, &col);
    th_qsource src = {f->path, line, col};
    th_diags qd;
    th_diags_init(&qd);
    th_ir *ir = th_kql_parse(f->a, q->val->u.str.p, q->val->u.str.n, &src, &qd);
    size_t qd_errors = qd.len, errors = f->d->errors;
    for (size_t i = 0; i < qd.len; i++)
        lint_find(f, TH_SEV_ERROR, qd.items[i].line, qd.items[i].col, "fields",
                  "query does not parse: %s", qd.items[i].message);
    th_diags_free(&qd);
    if (!ir || qd_errors)
        return;
    errors = f->d->errors;
    walk(f, q->val, ir, start, false);
    if (f->d->errors > errors)
        return; /* the clause checks said it (value types) */
    /* what else Elasticsearch rejects (a date out of range ...): the rule
     * fails in Kibana */
    th_diags cd;
    th_diags_init(&cd);
    th_query *cq = th_query_compile(f->a, TH_QLANG_KQL, q->val->u.str.p, q->val->u.str.n, &src, &cd);
    for (size_t i = 0; cq && i < cd.len; i++)
        lint_find(f, cd.items[i].severity, cd.items[i].line, cd.items[i].col, "query", "%s",
                  cd.items[i].message);
    th_diags_free(&cd);
}
