/* IR -> compiled predicate, against the field schema (SEMANTICS.md 3.3-3.4):
 * each leaf picks the comparison the field's mapping implies and converts its
 * literal once. Also the prefilter and field-list queries over the result. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/vec.h"
#include "query/cnode.h"

typedef struct cctx {
    th_arena *a;
    th_qlang lang;
    const th_qsource *src;
    th_diags *diags;
    TH_VEC(th_str) fields;
} cctx;

static void warn(cctx *c, const th_ir *ir, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn(cctx *c, const th_ir *ir, const char *fmt, ...)
{
    if (!c->diags)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    unsigned line = c->src ? c->src->line : 0;
    unsigned col = c->src && ir->col ? c->src->col + ir->col - 1 : ir->col;
    /* An error, not a warning: Elasticsearch rejects such a query (a value
     * that is no date, number or address for its field, an invalid regex), so
     * Kibana reports the rule as failed; or it is a construct we cannot
     * evaluate (regex & ~ <n-m>), which must not pass for "no match" either.
     * The query still compiles (this part to no match) for the verbs that look
     * at one event (match, explain). */
    th_diag_at(c->diags, TH_SEV_ERROR, c->src ? c->src->file : NULL, line, col,
               "%s (an error of the rule: this part compiled to no match)", msg);
}

static cnode *mk(cctx *c, ctest t, const th_ir *ir)
{
    cnode *n = TH_ANEW(c->a, cnode);
    n->test = t;
    n->ir = ir;
    n->flags = ir ? ir->flags : 0;
    return n;
}

static void note_field(cctx *c, th_str path)
{
    for (size_t i = 0; i < c->fields.len; i++)
        if (th_str_eq(c->fields.items[i], path))
            return;
    TH_VEC_PUSH(&c->fields, path);
}

static char *zdup(cctx *c, th_str s) { return th_arena_strndup(c->a, s.p ? s.p : "", s.n); }

/* Resolves the field of a leaf into n (path, type, ignore_above, deep). */
static void resolve(cctx *c, cnode *n, th_str field)
{
    const th_field_def *d = th_schema_lookup(field);
    n->path = field;
    n->ftype = d ? d->type : TH_FT_UNKNOWN;
    n->ignore_above = d ? d->ignore_above : TH_IGNORE_ABOVE_DEFAULT;
    if (d && d->parent && d->type == TH_FT_TEXT)
        n->path = th_str_c(d->parent); /* a multi-field indexes its parent's values */
    if (n->ftype != TH_FT_KEYWORD && n->ftype != TH_FT_UNKNOWN)
        n->ignore_above = 0;
    n->deep = n->ftype == TH_FT_FLATTENED || n->ftype == TH_FT_OBJECT || n->ftype == TH_FT_NESTED;
    note_field(c, n->path);
}

static cnode *compile(cctx *c, const th_ir *ir, int depth);
static void merge_or_wild(cctx *c, cnode *n);

static cnode *text_tokens(cctx *c, cnode *n, th_str v)
{
    TH_VEC(th_str) toks = {0};
    size_t i = 0;
    char buf[256];
    th_str t;
    while (th_q_next_token(v, &i, buf, sizeof buf, &t))
        TH_VEC_PUSH(&toks, th_str_make(zdup(c, t), t.n));
    n->toks = TH_ANEWN(c->a, th_str, toks.len + 1);
    if (toks.len)
        memcpy(n->toks, toks.items, toks.len * sizeof(th_str));
    n->ntoks = toks.len;
    TH_VEC_FREE(&toks);
    if (n->ntoks == 0)
        n->test = CT_FALSE; /* nothing to search for: matches no document */
    return n;
}

static cnode *leaf_term(cctx *c, const th_ir *ir, th_str value)
{
    cnode *n = mk(c, CT_KW_EQ, ir);
    resolve(c, n, ir->field);
    n->s = value;
    if (ir->flags & TH_IRF_NULL) {
        warn(c, ir, "%s: a null value cannot be searched", zdup(c, ir->field));
        n->test = CT_FALSE;
        return n;
    }
    switch (n->ftype) {
    case TH_FT_KEYWORD:
    case TH_FT_CONSTANT_KEYWORD:
    case TH_FT_WILDCARD:
    case TH_FT_FLATTENED_LEAF:
    case TH_FT_FLATTENED:
        return n;
    case TH_FT_UNKNOWN:
        n->test = CT_DYN_EQ;
        n->has_num = th_q_parse_number(value, &n->num);
        return n;
    case TH_FT_TEXT:
        n->test = (ir->flags & TH_IRF_PHRASE) ? CT_TEXT_PHRASE : CT_TEXT_MATCH;
        return text_tokens(c, n, value);
    case TH_FT_BOOLEAN:
        n->test = CT_BOOL_EQ;
        if (th_str_eqc(value, "true") || th_str_eqc(value, "false")) {
            n->bval = th_str_eqc(value, "true");
            return n;
        }
        warn(c, ir, "%s is a boolean field; '%s' is not true or false", zdup(c, ir->field), zdup(c, value));
        n->test = CT_FALSE;
        return n;
    case TH_FT_LONG:
    case TH_FT_DOUBLE:
        n->test = CT_NUM_RANGE;
        if (th_q_parse_number(value, &n->dlo)) {
            n->dhi = n->dlo;
            n->has_lo = n->has_hi = n->lo_incl = n->hi_incl = true;
            return n;
        }
        warn(c, ir, "%s is a numeric field; '%s' is not a number", zdup(c, ir->field), zdup(c, value));
        n->test = CT_FALSE;
        return n;
    case TH_FT_DATE: {
        n->test = CT_DATE_RANGE;
        int64_t lo, hi;
        if (th_q_parse_date(value, &lo, &hi)) {
            n->tlo = lo;
            /* KQL `is` on a date is range gte=lte (rounded); EQL/ES|QL equality is exact */
            n->thi = (ir->flags & TH_IRF_KQL) ? hi : lo;
            n->has_lo = n->has_hi = true;
            return n;
        }
        warn(c, ir, "%s is a date field; '%s' is not a date", zdup(c, ir->field), zdup(c, value));
        n->test = CT_FALSE;
        return n;
    }
    case TH_FT_IP:
        n->test = CT_IP_RANGE;
        if (memchr(value.p, '/', value.n) ? th_q_parse_cidr(value, n->iplo, n->iphi)
                                          : th_q_parse_ip(value, n->iplo)) {
            if (!memchr(value.p, '/', value.n))
                memcpy(n->iphi, n->iplo, 16);
            return n;
        }
        warn(c, ir, "%s is an ip field; '%s' is not an address or CIDR", zdup(c, ir->field), zdup(c, value));
        n->test = CT_FALSE;
        return n;
    default:
        n->test = CT_FALSE; /* objects, nested, geo_point hold no comparable value */
        return n;
    }
}

static cnode *leaf_wild1(cctx *c, const th_ir *ir, th_str pattern)
{
    cnode *n = mk(c, CT_KW_WILD, ir);
    resolve(c, n, ir->field);
    switch (n->ftype) {
    case TH_FT_KEYWORD:
    case TH_FT_CONSTANT_KEYWORD:
    case TH_FT_WILDCARD:
    case TH_FT_FLATTENED_LEAF:
    case TH_FT_FLATTENED:
    case TH_FT_UNKNOWN:
        th_q_wild_prepare(c->a, pattern, false, (n->flags & TH_IRF_NOCASE) != 0, &n->wp);
        return n;
    case TH_FT_TEXT:
        n->test = CT_TEXT_WILD; /* tokens are lower-cased, and so is the pattern */
        th_q_wild_prepare(c->a, pattern, true, false, &n->wp);
        return n;
    default:
        warn(c, ir, "%s: wildcards apply to keyword and text fields only", zdup(c, ir->field));
        n->test = CT_FALSE;
        return n;
    }
}

/* KQL on a field that is not a single-type keyword sends a wildcard as a
 * query_string query, whose parser splits the value on (unescaped) whitespace
 * into terms OR'ed together. */
static cnode *leaf_wildcard(cctx *c, const th_ir *ir)
{
    const th_field_def *d = th_schema_lookup(ir->field);
    bool split = (ir->flags & TH_IRF_KQL) && !(d && d->type == TH_FT_KEYWORD);
    if (!split)
        return leaf_wild1(c, ir, ir->value);
    TH_VEC(cnode *) parts = {0};
    th_str v = ir->value;
    size_t i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\n' || v.p[i] == '\r'))
            i++;
        size_t b = i;
        while (i < v.n && !(v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == '\n' || v.p[i] == '\r'))
            i += (v.p[i] == '\\' && i + 1 < v.n) ? 2 : 1;
        if (i > b)
            TH_VEC_PUSH(&parts, leaf_wild1(c, ir, th_str_make(v.p + b, i - b)));
    }
    cnode *r;
    if (parts.len == 1) {
        r = parts.items[0];
    } else {
        r = mk(c, parts.len ? CT_OR : CT_FALSE, ir);
        r->kids = TH_ANEWN(c->a, cnode *, parts.len + 1);
        if (parts.len)
            memcpy(r->kids, parts.items, parts.len * sizeof(cnode *));
        r->nkids = parts.len;
    }
    TH_VEC_FREE(&parts);
    merge_or_wild(c, r);
    return r;
}

static cnode *leaf_range(cctx *c, const th_ir *ir)
{
    cnode *n = mk(c, CT_KW_RANGE, ir);
    resolve(c, n, ir->field);
    n->has_lo = ir->lo.p != NULL;
    n->has_hi = ir->hi.p != NULL;
    n->lo_incl = ir->lo_incl;
    n->hi_incl = ir->hi_incl;
    n->lo = ir->lo;
    n->hi = ir->hi;
    bool ok = true;
    switch (n->ftype) {
    case TH_FT_LONG:
    case TH_FT_DOUBLE:
        n->test = CT_NUM_RANGE;
        ok = (!n->has_lo || th_q_parse_number(ir->lo, &n->dlo)) &&
             (!n->has_hi || th_q_parse_number(ir->hi, &n->dhi));
        break;
    case TH_FT_DATE: {
        n->test = CT_DATE_RANGE;
        int64_t a, b;
        /* gte/lt round down, gt/lte round up; stored as an inclusive [tlo, thi] */
        if (n->has_lo) {
            ok = ok && th_q_parse_date(ir->lo, &a, &b);
            n->tlo = ir->lo_incl ? a : b + 1;
        }
        if (n->has_hi) {
            ok = ok && th_q_parse_date(ir->hi, &a, &b);
            n->thi = ir->hi_incl ? b : a - 1;
        }
        break;
    }
    case TH_FT_IP:
        n->test = CT_IP_RANGE;
        memset(n->iplo, 0, 16);
        memset(n->iphi, 0xFF, 16);
        ok = (!n->has_lo || th_q_parse_ip(ir->lo, n->iplo)) && (!n->has_hi || th_q_parse_ip(ir->hi, n->iphi));
        if (ok && n->has_lo && !ir->lo_incl) /* exclusive bounds: step one address */
            for (int i = 15; i >= 0 && ++n->iplo[i] == 0; i--) {}
        if (ok && n->has_hi && !ir->hi_incl)
            for (int i = 15; i >= 0 && n->iphi[i]-- == 0; i--) {}
        break;
    case TH_FT_BOOLEAN:
    case TH_FT_OBJECT:
    case TH_FT_NESTED:
    case TH_FT_GEO_POINT:
    case TH_FT_TEXT:
        ok = false;
        break;
    default:
        break; /* keyword-like and unmapped: bytewise */
    }
    if (!ok) {
        warn(c, ir, "%s (%s): range bounds do not fit the field type", zdup(c, ir->field),
             th_ftype_name(n->ftype));
        n->test = CT_FALSE;
    }
    return n;
}

/* An OR whose children are all exact keyword terms on one field (a KQL value
 * list, an EQL `or` chain) becomes one set test: one walk of the document
 * instead of one per value. */
static void merge_or_terms(cctx *c, cnode *n)
{
    if (n->test != CT_OR || n->nkids < 2)
        return;
    const cnode *k0 = n->kids[0];
    size_t total = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        const cnode *k = n->kids[i];
        unsigned mask = TH_IRF_NOCASE | TH_IRF_3VL; /* the only flags a keyword term obeys */
        if ((k->test != CT_KW_EQ && k->test != CT_KW_SET) || k->deep ||
            (k->flags & mask) != (k0->flags & mask) ||
            k->ftype != k0->ftype || k->ignore_above != k0->ignore_above || !th_str_eq(k->path, k0->path))
            return;
        total += k->test == CT_KW_EQ ? 1 : k->nset;
    }
    th_str *set = TH_ANEWN(c->a, th_str, total);
    size_t m = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        const cnode *k = n->kids[i];
        if (k->test == CT_KW_EQ)
            set[m++] = k->s;
        else
            for (size_t j = 0; j < k->nset; j++)
                set[m++] = k->set[j];
    }
    const th_ir *ir = n->ir;
    *n = *k0;
    n->ir = ir;
    n->test = CT_KW_SET;
    n->set = set;
    n->nset = m;
}

/* Keyword wildcards (or wildcard sets) of an OR on one field, read the same
 * way, become one set test: one walk of the document and one keyword text per
 * value for all of them. Kleene OR is associative and commutative, and these
 * leaves have no side effects, so the result is unchanged. 3VL leaves keep
 * their own per-leaf value count and are left alone. */
static bool wild_groupable(const cnode *k)
{
    return (k->test == CT_KW_WILD || k->test == CT_KW_WILDSET) && !k->deep && !(k->flags & TH_IRF_3VL);
}

static bool wild_same_field(const cnode *a, const cnode *b)
{
    unsigned mask = TH_IRF_NOCASE | TH_IRF_3VL;
    return (a->flags & mask) == (b->flags & mask) && a->ftype == b->ftype &&
           a->ignore_above == b->ignore_above && th_str_eq(a->path, b->path);
}

static void merge_or_wild(cctx *c, cnode *n)
{
    if (n->test != CT_OR || n->nkids < 2)
        return;
    size_t out = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        cnode *k = n->kids[i];
        if (!k) /* taken into an earlier group */
            continue;
        size_t total = 0, members = 0;
        if (wild_groupable(k))
            for (size_t j = i; j < n->nkids; j++) {
                const cnode *m = n->kids[j];
                if (m && wild_groupable(m) && wild_same_field(k, m)) {
                    total += m->test == CT_KW_WILD ? 1 : m->nwps;
                    members++;
                }
            }
        if (members < 2) {
            n->kids[out++] = k;
            continue;
        }
        wpat *ps = TH_ANEWN(c->a, wpat, total);
        size_t np = 0;
        for (size_t j = i; j < n->nkids; j++) {
            cnode *m = n->kids[j];
            if (!m || !wild_groupable(m) || !wild_same_field(k, m))
                continue;
            if (m->test == CT_KW_WILD)
                ps[np++] = m->wp;
            else
                for (size_t x = 0; x < m->nwps; x++)
                    ps[np++] = m->wps[x];
            if (j > i)
                n->kids[j] = NULL;
        }
        cnode *g = TH_ANEW(c->a, cnode);
        *g = *k;
        g->test = CT_KW_WILDSET;
        g->wps = ps;
        g->nwps = np;
        n->kids[out++] = g;
    }
    n->nkids = out;
    if (out == 1) { /* the whole OR was one group */
        const th_ir *ir = n->ir;
        *n = *n->kids[0];
        n->ir = ir;
    }
}

/* An AND's AND children (an OR's OR children) spliced into it, in order:
 * Kleene AND and OR are associative, an empty AND is TRUE and an empty OR
 * FALSE (as the evaluator finds them), and leaves have no side effects, so
 * every result is unchanged. The ES|QL front end nests its binary operators
 * (`a AND b AND c AND d` is three levels), and each level cost a call of
 * the evaluator per event and rule; flat, one loop reads the leaves. */
static void flatten(cctx *c, cnode *n)
{
    if (n->test != CT_AND && n->test != CT_OR)
        return;
    size_t total = 0;
    bool nested = false;
    for (size_t i = 0; i < n->nkids; i++) {
        const cnode *k = n->kids[i];
        nested |= k->test == n->test;
        total += k->test == n->test ? k->nkids : 1;
    }
    if (!nested)
        return;
    cnode **kids = TH_ANEWN(c->a, cnode *, total + 1);
    size_t m = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        cnode *k = n->kids[i];
        if (k->test == n->test)
            for (size_t j = 0; j < k->nkids; j++)
                kids[m++] = k->kids[j];
        else
            kids[m++] = k;
    }
    n->kids = kids;
    n->nkids = m;
}

static cnode *compile(cctx *c, const th_ir *ir, int depth)
{
    if (depth > TH_MAX_QUERY_DEPTH * 4)
        return mk(c, CT_FALSE, ir);
    switch (ir->op) {
    case TH_IR_TRUE:
        return mk(c, CT_TRUE, ir);
    case TH_IR_FALSE:
        return mk(c, CT_FALSE, ir);
    case TH_IR_AND:
    case TH_IR_OR:
    case TH_IR_NOT: {
        cnode *n = mk(c, ir->op == TH_IR_AND ? CT_AND : ir->op == TH_IR_OR ? CT_OR : CT_NOT, ir);
        n->kids = TH_ANEWN(c->a, cnode *, ir->nkids + 1);
        n->nkids = ir->nkids;
        for (size_t i = 0; i < ir->nkids; i++)
            n->kids[i] = compile(c, ir->kids[i], depth + 1);
        if (n->test == CT_NOT && n->nkids != 1)
            n->test = CT_FALSE;
        flatten(c, n);
        merge_or_terms(c, n);
        merge_or_wild(c, n);
        return n;
    }
    case TH_IR_EXISTS: {
        cnode *n = mk(c, CT_EXISTS, ir);
        resolve(c, n, ir->field);
        return n;
    }
    case TH_IR_TERM:
        if (ir->field.n == 0) {
            note_field(c, TH_STR_LIT("*"));
            cnode *n = mk(c, CT_FREE, ir);
            n->s = ir->value;
            text_tokens(c, n, ir->value);
            n->test = CT_FREE; /* keyword fields compare n->s; text fields the tokens */
            return n;
        }
        return leaf_term(c, ir, ir->value);
    case TH_IR_TERMS: {
        cnode *n = mk(c, CT_KW_SET, ir);
        resolve(c, n, ir->field);
        if (th_ftype_is_keyword_like(n->ftype) || n->ftype == TH_FT_FLATTENED) {
            n->set = ir->values;
            n->nset = ir->nvalues;
            return n;
        }
        n->test = CT_OR; /* per-type equality for each value */
        n->kids = TH_ANEWN(c->a, cnode *, ir->nvalues + 1);
        n->nkids = ir->nvalues;
        for (size_t i = 0; i < ir->nvalues; i++)
            n->kids[i] = leaf_term(c, ir, ir->values[i]);
        return n;
    }
    case TH_IR_WILDCARD:
        if (ir->field.n == 0) {
            note_field(c, TH_STR_LIT("*"));
            cnode *n = mk(c, CT_FREE, ir);
            th_q_wild_prepare(c->a, ir->value, false, false, &n->wp);
            return n;
        }
        return leaf_wildcard(c, ir);
    case TH_IR_PREFIX: {
        cnode *n = mk(c, CT_KW_PREFIX, ir);
        resolve(c, n, ir->field);
        n->s = ir->value;
        return n;
    }
    case TH_IR_RANGE:
        return leaf_range(c, ir);
    case TH_IR_CIDR: {
        cnode *n = mk(c, CT_IP_RANGE, ir);
        resolve(c, n, ir->field);
        if (!th_q_parse_cidr(ir->value, n->iplo, n->iphi)) {
            warn(c, ir, "'%s' is not a CIDR block", zdup(c, ir->value));
            n->test = CT_FALSE;
        }
        return n;
    }
    case TH_IR_REGEX: {
        cnode *n = mk(c, CT_KW_REGEX, ir);
        resolve(c, n, ir->field);
        char err[256];
        size_t at = 0;
        n->re = th_lregex_compile(c->a, ir->value.p, ir->value.n,
                                  (ir->flags & TH_IRF_NOCASE) ? TH_LRE_NOCASE : 0, err, sizeof err, &at);
        if (!n->re) {
            warn(c, ir, "%s: regex \"%s\": %s at offset %zu", zdup(c, ir->field), zdup(c, ir->value), err, at);
            n->test = CT_FALSE;
        }
        return n;
    }
    case TH_IR_CONTAINS_FIELD: {
        cnode *n = mk(c, CT_FIELD_CONTAINS, ir);
        resolve(c, n, ir->field);
        n->path2 = ir->value;
        note_field(c, n->path2);
        return n;
    }
    }
    return mk(c, CT_FALSE, ir);
}

/* ---- the evaluator's quicker ways (cnode.h th_cnode_finish) -------------- */

/* A set of this many values is looked up by hash: below it, comparing the
 * value with each (mostly a length that differs) costs less than hashing
 * it. The lists of the ES|QL rules' IN (event.action, 28 values) and of
 * KQL's value lists on event.action or event.provider are above it. */
#define SET_HASH_MIN 8

static void set_table(th_arena *a, cnode *n)
{
    size_t slots = 16;
    while (slots < 2 * n->nset)
        slots *= 2;
    n->hset = TH_ANEWN(a, uint32_t, slots);
    memset(n->hset, 0, slots * sizeof *n->hset);
    n->hmask = (uint32_t)(slots - 1);
    bool nocase = (n->flags & TH_IRF_NOCASE) != 0;
    for (size_t i = 0; i < n->nset; i++) {
        uint32_t at = (uint32_t)th_q_set_hash(n->set[i], nocase) & n->hmask;
        while (n->hset[at])
            at = (at + 1) & n->hmask;
        n->hset[at] = (uint32_t)i + 1;
    }
}

/* What test_string gives a string of at most qmax bytes, without its call:
 * within ignore_above (counted in UTF-16 units, never more than the bytes)
 * a string is its own keyword text, which an EXISTS of a field that parses
 * no values finds visible, and a case-kept KW_EQ compares. */
static void set_quick(cnode *n)
{
    n->qmax = n->ignore_above > 0 ? (size_t)n->ignore_above : SIZE_MAX;
    n->quick = Q_NONE;
    if (n->test == CT_KW_EQ && !(n->flags & TH_IRF_NOCASE))
        n->quick = Q_EQ;
    else if (n->test == CT_EXISTS && n->ftype != TH_FT_BOOLEAN && n->ftype != TH_FT_LONG &&
             n->ftype != TH_FT_DOUBLE && n->ftype != TH_FT_IP && n->ftype != TH_FT_DATE)
        n->quick = Q_EXISTS;
    n->wquick = n->test == CT_KW_WILDSET;
}

void th_cnode_finish(th_arena *a, cnode *c)
{
    for (size_t i = 0; i < c->nkids; i++)
        th_cnode_finish(a, c->kids[i]);
    if (c->test == CT_KW_SET && c->nset >= SET_HASH_MIN && c->nset < UINT32_MAX / 4)
        set_table(a, c);
    set_quick(c);
}

void th_cnode_plain(cnode *c)
{
    for (size_t i = 0; i < c->nkids; i++)
        th_cnode_plain(c->kids[i]);
    c->hset = NULL;
    c->hmask = 0;
    c->quick = Q_NONE;
    c->wquick = false;
}

/* Gives every leaf that reads a path its field's number (th_qfields). */
static void number_fields(cnode *n)
{
    n->fid = th_query_field_id(n->path);
    for (size_t i = 0; i < n->nkids; i++)
        number_fields(n->kids[i]);
}

th_query *th_query_compile_ir(th_arena *a, th_qlang lang, th_ir *ir, const th_qsource *src,
                              th_diags *diags)
{
    if (!ir)
        return NULL;
    cctx c = {.a = a, .lang = lang, .src = src, .diags = diags};
    th_query *q = TH_ANEW(a, th_query);
    q->lang = lang;
    q->ir = ir;
    q->root = compile(&c, ir, 0);
    number_fields(q->root);
    th_cnode_finish(a, q->root);
    q->fields = TH_ANEWN(a, th_str, c.fields.len + 1);
    if (c.fields.len)
        memcpy(q->fields, c.fields.items, c.fields.len * sizeof(th_str));
    q->nfields = c.fields.len;
    TH_VEC_FREE(&c.fields);
    return q;
}

th_query *th_query_compile(th_arena *a, th_qlang lang, const char *text, size_t len,
                           const th_qsource *src, th_diags *diags)
{
    th_ir *ir = NULL;
    switch (lang) {
    case TH_QLANG_KQL:
        ir = th_kql_parse(a, text, len, src, diags);
        break;
    case TH_QLANG_EQL:
        ir = th_eql_parse(a, text, len, NULL, src, diags);
        break;
    default:
        if (diags)
            th_diag_at(diags, TH_SEV_ERROR, src ? src->file : NULL, src ? src->line : 0,
                       src ? src->col : 0, "ES|QL queries are not supported yet");
        return NULL;
    }
    return th_query_compile_ir(a, lang, ir, src, diags);
}

th_query *th_query_compile_eql(th_arena *a, const char *text, size_t len, const char *category_field,
                               const th_qsource *src, th_diags *diags)
{
    th_ir *ir = th_eql_parse(a, text, len, category_field, src, diags);
    return ir ? th_query_compile_ir(a, TH_QLANG_EQL, ir, src, diags) : NULL;
}

const th_ir *th_query_ir(const th_query *q) { return q ? q->ir : NULL; }

bool th_query_match(const th_query *q, const th_jval *doc)
{
    return q && doc && th_cnode_eval(q->root, doc) == TV_TRUE;
}

bool th_query_match_fields(const th_query *q, th_qfields *f)
{
    return q && th_qfields_doc(f) && th_cnode_match_fields(q->root, f);
}

bool th_query_quick(const th_query *q, th_qquick *k)
{
    const cnode *c = q ? q->root : NULL;
    bool whole = !c || c->test != CT_AND;
    if (!whole) /* the operand th_cnode_match_fields tests first */
        c = c->nkids ? c->kids[0] : NULL;
    if (!c || c->quick == Q_NONE)
        return false;
    *k = (th_qquick){c->s, c->qmax, c->fid, c->quick == Q_EXISTS, whole};
    return true;
}

bool th_query_bind_slots(th_query *q, th_qslot_fn slot_of)
{
    if (!q)
        return false;
    q->slots_bound = th_cnode_bind_slots(q->root, slot_of);
    return q->slots_bound;
}

void th_query_order(th_query *q)
{
    if (q)
        th_cnode_order(q->root);
}

void th_query_last_of(th_query *q, uint64_t slots)
{
    if (q && q->slots_bound)
        th_cnode_last_of(q->root, slots);
}

bool th_query_match_slots(const th_query *q, const th_qslot *slots, th_qmemo *memo)
{
    return q && slots && q->slots_bound && th_cnode_eval_slots(q->root, slots, memo) == TV_TRUE;
}

bool th_query_slots_read(const th_query *q, uint64_t *mask)
{
    *mask = 0;
    return q && q->slots_bound && th_cnode_slots_read(q->root, mask);
}

bool th_query_keyword_text(const th_jval *v, th_str *out)
{
    return v && th_q_keyword_text(v, 0, out);
}

size_t th_query_fields(const th_query *q, th_str *out, size_t max)
{
    for (size_t i = 0; i < q->nfields && i < max; i++)
        out[i] = q->fields[i];
    return q->nfields;
}
