/* Explain a query on one event (explain.h). */
#include "tune/explain.h"

#include <string.h>

#include "query/ir.h"
#include "tune/tune.h"

static void quoted(th_buf *o, th_str s)
{
    th_json_write_str(o, s);
}

/* The clause in a KQL-like form: `field: "value"`, `field: *`, ... */
static void clause_text(th_buf *o, const th_ir *n)
{
    th_str f = n->field.n ? n->field : TH_STR_LIT("*");
    switch (n->op) {
    case TH_IR_EXISTS: th_buf_printf(o, "%.*s: *", (int)f.n, f.p); break;
    case TH_IR_TERM:
        th_buf_printf(o, "%.*s: ", (int)f.n, f.p);
        quoted(o, n->value);
        break;
    case TH_IR_TERMS:
        th_buf_printf(o, "%.*s: (", (int)f.n, f.p);
        for (size_t i = 0; i < n->nvalues; i++) {
            if (i)
                th_buf_puts(o, " or ");
            quoted(o, n->values[i]);
        }
        th_buf_putc(o, ')');
        break;
    case TH_IR_WILDCARD:
    case TH_IR_PREFIX:
    case TH_IR_REGEX:
    case TH_IR_CIDR:
    case TH_IR_CONTAINS_FIELD:
        th_buf_printf(o, "%.*s %s ", (int)f.n, f.p, th_ir_op_name(n->op));
        quoted(o, n->value);
        break;
    case TH_IR_RANGE:
        th_buf_printf(o, "%.*s in %c", (int)f.n, f.p, n->lo_incl ? '[' : '(');
        if (n->lo.p)
            th_buf_putstr(o, n->lo);
        th_buf_puts(o, ", ");
        if (n->hi.p)
            th_buf_putstr(o, n->hi);
        th_buf_putc(o, n->hi_incl ? ']' : ')');
        break;
    default: th_buf_puts(o, th_ir_op_name(n->op));
    }
    if (n->flags & TH_IRF_NOCASE)
        th_buf_puts(o, " (case-insensitive)");
}

typedef struct seen_ctx {
    th_buf *o;
    size_t n;
    bool json;
} seen_ctx;

static bool seen_visit(const th_jval *v, void *vctx)
{
    seen_ctx *c = vctx;
    th_str s;
    if (!th_tune_value_text(v, &s))
        return true;
    if (c->n == 8) {
        th_buf_puts(c->o, c->json ? "" : ", …");
        return false;
    }
    if (c->n++)
        th_buf_puts(c->o, c->json ? "," : ", ");
    if (s.n > 120 && !c->json) {
        quoted(c->o, th_str_make(s.p, 120));
        th_buf_puts(c->o, "…");
    } else {
        quoted(c->o, s);
    }
    return true;
}

static bool is_leaf(const th_ir *n)
{
    return n->op != TH_IR_AND && n->op != TH_IR_OR && n->op != TH_IR_NOT && n->op != TH_IR_TRUE &&
           n->op != TH_IR_FALSE;
}

typedef struct walk {
    th_buf *o;
    th_arena *a;
    th_qlang lang;
    const th_jval *doc;
    bool json;
    th_explain_stats *st;
} walk;

static bool eval_node(walk *w, const th_ir *n)
{
    th_diags quiet;
    th_diags_init(&quiet);
    /* compile the subtree alone: the same compiler and evaluator as the rule */
    th_query *q = th_query_compile_ir(w->a, w->lang, (th_ir *)n, NULL, &quiet);
    th_diags_free(&quiet);
    return th_query_match(q, w->doc);
}

static void node(walk *w, const th_ir *n, int depth)
{
    bool v = eval_node(w, n);
    w->st->nodes++;
    w->st->true_nodes += v;
    if (w->json) {
        th_buf_puts(w->o, "{\"op\":");
        quoted(w->o, th_str_c(th_ir_op_name(n->op)));
        th_buf_printf(w->o, ",\"value\":%s", v ? "true" : "false");
        if (is_leaf(n)) {
            th_buf t;
            th_buf_init(&t);
            clause_text(&t, n);
            th_buf_puts(w->o, ",\"clause\":");
            quoted(w->o, th_buf_str(&t));
            th_buf_free(&t);
            th_buf_puts(w->o, ",\"field\":");
            quoted(w->o, n->field);
            th_buf_puts(w->o, ",\"seen\":[");
            seen_ctx c = {w->o, 0, true};
            if (n->field.n)
                th_json_path_each(w->doc, n->field, seen_visit, &c);
            th_buf_putc(w->o, ']');
        }
        if (n->nkids) {
            th_buf_puts(w->o, ",\"kids\":[");
            for (size_t i = 0; i < n->nkids; i++) {
                if (i)
                    th_buf_putc(w->o, ',');
                node(w, n->kids[i], depth + 1);
            }
            th_buf_putc(w->o, ']');
        }
        th_buf_putc(w->o, '}');
        return;
    }
    th_buf_printf(w->o, "%-5s  %*s", v ? "TRUE" : "false", depth * 2, "");
    if (is_leaf(n)) {
        clause_text(w->o, n);
        th_buf_puts(w->o, "\n       ");
        th_buf_printf(w->o, "%*s  saw: ", depth * 2, "");
        seen_ctx c = {w->o, 0, false};
        if (n->field.n)
            th_json_path_each(w->doc, n->field, seen_visit, &c);
        if (c.n == 0)
            th_buf_puts(w->o, n->field.n ? "(field absent)" : "(free text: every field)");
        th_buf_putc(w->o, '\n');
    } else {
        th_buf_printf(w->o, "%s\n", th_ir_op_name(n->op));
        for (size_t i = 0; i < n->nkids; i++)
            node(w, n->kids[i], depth + 1);
    }
}

void th_explain_query(th_buf *out, th_arena *a, const th_query *q, th_qlang lang,
                      const th_jval *doc, bool json, th_explain_stats *st)
{
    memset(st, 0, sizeof *st);
    const th_ir *root = th_query_ir(q);
    st->verdict = th_query_match(q, doc);
    if (!root)
        return;
    walk w = {out, a, lang, doc, json, st};
    node(&w, root, 0);
    if (!json)
        th_buf_printf(out, "\nverdict: the query %s this event\n",
                      st->verdict ? "SELECTS" : "does NOT select");
}
