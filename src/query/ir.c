/* IR builders and the S-expression printer (tests and `--explain` read it). */
#include "query/ir.h"

#include <string.h>

#include "json/json.h"

th_ir *th_ir_new(th_arena *a, th_ir_op op)
{
    th_ir *n = TH_ANEW(a, th_ir);
    n->op = op;
    return n;
}

th_ir *th_ir_leaf(th_arena *a, th_ir_op op, th_str field, th_str value, unsigned flags)
{
    th_ir *n = th_ir_new(a, op);
    n->field = field;
    n->value = value;
    n->flags = flags;
    return n;
}

th_ir *th_ir_bool(th_arena *a, th_ir_op op, th_ir **kids, size_t n)
{
    th_ir *b = th_ir_new(a, op);
    b->kids = TH_ANEWN(a, th_ir *, n ? n : 1);
    memcpy(b->kids, kids, n * sizeof *kids);
    b->nkids = n;
    return b;
}

th_ir *th_ir_not(th_arena *a, th_ir *kid) { return th_ir_bool(a, TH_IR_NOT, &kid, 1); }

th_str th_ir_wildcard_escape(th_arena *a, th_str s)
{
    char *o = th_arena_alloc(a, s.n * 2 + 1);
    size_t k = 0;
    for (size_t i = 0; i < s.n; i++) {
        if (s.p[i] == '*' || s.p[i] == '?' || s.p[i] == '\\')
            o[k++] = '\\';
        o[k++] = s.p[i];
    }
    o[k] = '\0';
    return th_str_make(o, k);
}

const char *th_ir_op_name(th_ir_op op)
{
    switch (op) {
    case TH_IR_TRUE: return "true";
    case TH_IR_FALSE: return "false";
    case TH_IR_AND: return "and";
    case TH_IR_OR: return "or";
    case TH_IR_NOT: return "not";
    case TH_IR_EXISTS: return "exists";
    case TH_IR_TERM: return "term";
    case TH_IR_TERMS: return "terms";
    case TH_IR_WILDCARD: return "wildcard";
    case TH_IR_PREFIX: return "prefix";
    case TH_IR_RANGE: return "range";
    case TH_IR_CIDR: return "cidr";
    case TH_IR_REGEX: return "regex";
    case TH_IR_CONTAINS_FIELD: return "contains-field";
    }
    return "?";
}

void th_ir_print(th_buf *out, const th_ir *ir)
{
    if (!ir) {
        th_buf_puts(out, "(null)");
        return;
    }
    th_buf_putc(out, '(');
    th_buf_puts(out, th_ir_op_name(ir->op));
    if (ir->flags & (TH_IRF_NOCASE | TH_IRF_PHRASE | TH_IRF_KQL | TH_IRF_3VL | TH_IRF_NULL)) {
        th_buf_putc(out, '/');
        if (ir->flags & TH_IRF_NOCASE) th_buf_putc(out, 'i');
        if (ir->flags & TH_IRF_PHRASE) th_buf_putc(out, 'p');
        if (ir->flags & TH_IRF_KQL) th_buf_putc(out, 'k');
        if (ir->flags & TH_IRF_3VL) th_buf_putc(out, '3');
        if (ir->flags & TH_IRF_NULL) th_buf_putc(out, 'n');
    }
    switch (ir->op) {
    case TH_IR_TRUE:
    case TH_IR_FALSE:
        break;
    case TH_IR_AND:
    case TH_IR_OR:
    case TH_IR_NOT:
        for (size_t i = 0; i < ir->nkids; i++) {
            th_buf_putc(out, ' ');
            th_ir_print(out, ir->kids[i]);
        }
        break;
    case TH_IR_EXISTS:
        th_buf_putc(out, ' ');
        th_json_write_str(out, ir->field);
        break;
    case TH_IR_TERMS:
        th_buf_putc(out, ' ');
        th_json_write_str(out, ir->field);
        for (size_t i = 0; i < ir->nvalues; i++) {
            th_buf_putc(out, ' ');
            th_json_write_str(out, ir->values[i]);
        }
        break;
    case TH_IR_RANGE:
        th_buf_putc(out, ' ');
        th_json_write_str(out, ir->field);
        th_buf_puts(out, ir->lo_incl ? " [" : " (");
        if (ir->lo.p)
            th_json_write_str(out, ir->lo);
        else
            th_buf_putc(out, '*');
        th_buf_putc(out, ' ');
        if (ir->hi.p)
            th_json_write_str(out, ir->hi);
        else
            th_buf_putc(out, '*');
        th_buf_puts(out, ir->hi_incl ? "]" : ")");
        break;
    default:
        th_buf_putc(out, ' ');
        th_json_write_str(out, ir->field);
        th_buf_putc(out, ' ');
        if (ir->flags & TH_IRF_NULL)
            th_buf_puts(out, "null");
        else
            th_json_write_str(out, ir->value);
        break;
    }
    th_buf_putc(out, ')');
}
