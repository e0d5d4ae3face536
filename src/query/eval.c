/* Evaluation of a compiled query over one document: Elasticsearch semantics per
 * field type (SEMANTICS.md 3.4). A leaf is TRUE when ANY value of its field
 * (arrays flattened, literal dotted keys honoured) satisfies it; a missing
 * field makes a leaf FALSE, hence `not` TRUE (must_not). Leaves flagged 3VL
 * (ES|QL) give NULL instead for a missing or multi-valued field.
 * No allocation: visitors keep their state on the stack. */
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/timeutil.h"
#include "query/cnode.h"

/* th_jnum_double without strtod for whole numbers of up to 15 digits (AS
 * numbers, ports, counts): a double holds them exactly, so their sum of
 * digits is the value strtod gives. */
static bool jnum_double(const th_jval *v, double *out)
{
    th_str s = v->u.str;
    size_t neg = s.n && s.p[0] == '-';
    if (s.n > neg && s.n - neg <= 15) {
        uint64_t x = 0;
        size_t i = neg;
        for (; i < s.n && s.p[i] >= '0' && s.p[i] <= '9'; i++)
            x = x * 10 + (uint64_t)(s.p[i] - '0');
        if (i == s.n) {
            *out = neg ? -(double)x : (double)x;
            return true;
        }
    }
    return th_jnum_double(v, out);
}

static bool number_of(const th_jval *v, double *out)
{
    if (v->type == TH_JNUM)
        return jnum_double(v, out);
    if (v->type == TH_JSTR) /* ES coerces numeric strings into numeric fields */
        return th_q_parse_number(v->u.str, out);
    return false;
}

static bool date_of(const th_jval *v, int64_t *out)
{
    if (v->type == TH_JSTR)
        return th_time_parse_iso(v->u.str.p, v->u.str.n, out);
    double d;
    if (v->type == TH_JNUM && th_jnum_double(v, &d)) {
        *out = (int64_t)d;
        return true;
    }
    return false;
}

static bool bool_of(const th_jval *v, bool *out)
{
    if (v->type == TH_JTRUE || v->type == TH_JFALSE) {
        *out = v->type == TH_JTRUE;
        return true;
    }
    if (v->type == TH_JSTR) {
        if (th_str_eqc(v->u.str, "true")) {
            *out = true;
            return true;
        }
        if (th_str_eqc(v->u.str, "false") || v->u.str.n == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool ip_of(const th_jval *v, uint8_t out[16])
{
    return v->type == TH_JSTR && th_q_parse_ip(v->u.str, out);
}

static bool has_scalar(const th_jval *v)
{
    switch (v->type) {
    case TH_JNULL:
        return false;
    case TH_JARR:
        for (uint32_t i = 0; i < v->len; i++)
            if (has_scalar(v->u.items[i]))
                return true;
        return false;
    case TH_JOBJ:
        for (uint32_t i = 0; i < v->len; i++)
            if (has_scalar(v->u.members[i].val))
                return true;
        return false;
    default:
        return true;
    }
}

/* Does the field index this (non-null, non-object) value? */
static bool visible(const cnode *n, const th_jval *v)
{
    th_str s;
    double d;
    int64_t t;
    bool b;
    uint8_t ip[16];
    switch (n->ftype) {
    case TH_FT_BOOLEAN:
        return bool_of(v, &b);
    case TH_FT_LONG:
    case TH_FT_DOUBLE:
        return number_of(v, &d);
    case TH_FT_DATE:
        return date_of(v, &t);
    case TH_FT_IP:
        return ip_of(v, ip);
    case TH_FT_UNKNOWN:
        return v->type != TH_JSTR || th_q_keyword_text(v, n->ignore_above, &s);
    case TH_FT_GEO_POINT:
        return true;
    default:
        return th_q_keyword_text(v, n->ignore_above, &s);
    }
}

static bool text_match(const cnode *n, th_str s)
{
    size_t i = 0;
    char buf[256];
    th_str t;
    while (th_q_next_token(s, &i, buf, sizeof buf, &t))
        for (size_t k = 0; k < n->ntoks; k++)
            if (th_str_eq(t, n->toks[k]))
                return true;
    return false;
}

static bool text_phrase(const cnode *n, th_str s)
{
    size_t i = 0;
    char buf[256];
    th_str t;
    for (;;) {
        size_t start = i;
        if (!th_q_next_token(s, &i, buf, sizeof buf, &t))
            return false;
        if (!th_str_eq(t, n->toks[0]))
            continue;
        size_t j = i, k = 1;
        (void)start;
        while (k < n->ntoks && th_q_next_token(s, &j, buf, sizeof buf, &t) && th_str_eq(t, n->toks[k]))
            k++;
        if (k == n->ntoks)
            return true;
    }
}

static bool text_wild(const cnode *n, th_str s)
{
    size_t i = 0;
    char buf[256];
    th_str t;
    while (th_q_next_token(s, &i, buf, sizeof buf, &t))
        if (th_q_wild_test(&n->wp, t))
            return true;
    return false;
}

static inline bool str_eq(const cnode *n, th_str a, th_str b)
{
    return (n->flags & TH_IRF_NOCASE) ? th_q_eq_nocase(a, b) : th_str_eq(a, b);
}

/* th_str_eq without memcmp's call where the lengths agree: the values a
 * set's probe or a quick equality meets mostly are the literal (routing
 * sent the event for it), and short. */
static inline bool bytes_eq(th_str a, th_str b)
{
    return a.n == b.n && th_bytes_eq(a.p, b.p, a.n);
}

/* Is s (keyword text) in the leaf's set? By its table when the set has
 * one (th_cnode_finish): a value equal to a member under str_eq hashes as
 * it does, so the probe from its hash meets that member before an empty
 * slot; else member by member. */
static bool set_has(const cnode *n, th_str s)
{
    if (n->hset) {
        bool nocase = (n->flags & TH_IRF_NOCASE) != 0;
        uint32_t at = (uint32_t)th_q_set_hash(s, nocase) & n->hmask;
        for (uint32_t k; (k = n->hset[at]) != 0; at = (at + 1) & n->hmask)
            if (nocase ? th_q_eq_nocase(s, n->set[k - 1]) : bytes_eq(s, n->set[k - 1]))
                return true;
        return false;
    }
    for (size_t i = 0; i < n->nset; i++)
        if (str_eq(n, s, n->set[i]))
            return true;
    return false;
}

/* Whether pattern p cannot match s by the first things th_q_wild_test
 * checks of a WS_GENERAL pattern, its length and the last byte of its
 * trailing literal (lower-cased when nocase, as p->suf is), decided without
 * its call: the values a set of suffix patterns meets (S3 object keys
 * against `*.pem`, `*.key` ...) mostly end otherwise, and each call
 * compared the whole trailing literal through memcmp's. s.n >= minlen >=
 * suf.n, so the byte read is within s. */
static inline bool wild_refuses(const wpat *p, th_str s)
{
    if (p->shape != WS_GENERAL)
        return false;
    if (s.n < p->minlen)
        return true;
    if (!p->suf.n)
        return false;
    unsigned char c = (unsigned char)s.p[s.n - 1];
    if (p->nocase && c >= 'A' && c <= 'Z')
        c = (unsigned char)(c - 'A' + 'a');
    return c != (unsigned char)p->suf.p[p->suf.n - 1];
}

/* Does this one value satisfy the leaf? */
static bool test_value(const cnode *n, const th_jval *v)
{
    th_str s;
    double d;
    int64_t t;
    bool b;
    uint8_t ip[16];
    switch (n->test) {
    case CT_EXISTS:
        return visible(n, v);
    case CT_KW_EQ:
        return th_q_keyword_text(v, n->ignore_above, &s) && str_eq(n, s, n->s);
    case CT_KW_SET:
        return th_q_keyword_text(v, n->ignore_above, &s) && set_has(n, s);
    case CT_KW_WILD:
        if (n->ftype == TH_FT_UNKNOWN && v->type != TH_JSTR)
            return false; /* dynamically mapped numbers/booleans are not keywords */
        return th_q_keyword_text(v, n->ignore_above, &s) && th_q_wild_test(&n->wp, s);
    case CT_KW_WILDSET:
        if (n->ftype == TH_FT_UNKNOWN && v->type != TH_JSTR)
            return false;
        if (!th_q_keyword_text(v, n->ignore_above, &s))
            return false;
        for (size_t i = 0; i < n->nwps; i++)
            if (!(n->wquick && wild_refuses(&n->wps[i], s)) && th_q_wild_test(&n->wps[i], s))
                return true;
        return false;
    case CT_KW_PREFIX:
        return th_q_keyword_text(v, n->ignore_above, &s) && s.n >= n->s.n &&
               str_eq(n, th_str_make(s.p, n->s.n), n->s);
    case CT_KW_RANGE: {
        if (!th_q_keyword_text(v, n->ignore_above, &s))
            return false;
        if (n->has_lo) {
            int c = th_str_cmp(s, n->lo);
            if (c < 0 || (c == 0 && !n->lo_incl))
                return false;
        }
        if (n->has_hi) {
            int c = th_str_cmp(s, n->hi);
            if (c > 0 || (c == 0 && !n->hi_incl))
                return false;
        }
        return true;
    }
    case CT_BOOL_EQ:
        return bool_of(v, &b) && b == n->bval;
    case CT_NUM_RANGE:
        if (!number_of(v, &d))
            return false;
        if (n->has_lo && (d < n->dlo || (d == n->dlo && !n->lo_incl)))
            return false;
        if (n->has_hi && (d > n->dhi || (d == n->dhi && !n->hi_incl)))
            return false;
        return true;
    case CT_DATE_RANGE:
        return date_of(v, &t) && (!n->has_lo || t >= n->tlo) && (!n->has_hi || t <= n->thi);
    case CT_IP_RANGE:
        return ip_of(v, ip) && memcmp(ip, n->iplo, 16) >= 0 && memcmp(ip, n->iphi, 16) <= 0;
    case CT_TEXT_MATCH:
        return th_q_keyword_text(v, 0, &s) && text_match(n, s);
    case CT_TEXT_PHRASE:
        return th_q_keyword_text(v, 0, &s) && text_phrase(n, s);
    case CT_TEXT_WILD:
        return th_q_keyword_text(v, 0, &s) && text_wild(n, s);
    case CT_KW_REGEX:
        if (n->ftype == TH_FT_UNKNOWN && v->type != TH_JSTR)
            return false;
        return th_q_keyword_text(v, n->ignore_above, &s) && th_lregex_match(n->re, s.p, s.n);
    case CT_DYN_EQ:
        if (v->type == TH_JSTR)
            return th_q_keyword_text(v, n->ignore_above, &s) && str_eq(n, s, n->s);
        if (v->type == TH_JNUM)
            return n->has_num && th_jnum_double(v, &d) && d == n->num;
        if (v->type == TH_JTRUE || v->type == TH_JFALSE)
            return th_str_eqc(n->s, v->type == TH_JTRUE ? "true" : "false");
        return false;
    default:
        return false;
    }
}

typedef struct vstate {
    const cnode *n;
    bool hit;
    unsigned count; /* visible values seen (3VL) */
    th_qmemo *memo; /* NULL: every value is tested (a leaf that is not costly) */
} vstate;

/* ---- remembered tests (th_qmemo) ----------------------------------------- */

/* Sets of four entries: a few dozen distinct values per costly leaf in a day
 * of records (user agents), next to values seen once (S3 object keys), which
 * replace entries that never served a look-up before those that did. A
 * value longer than an entry holds is tested every time. */
#define QMEMO_SETS 64
#define QMEMO_WAYS 4
#define QMEMO_VALUE 240
typedef struct qmemo_entry {
    const cnode *n; /* NULL: empty */
    uint64_t hash;
    uint32_t len;
    bool result;
    bool used; /* served a look-up since it was stored */
    char v[QMEMO_VALUE];
} qmemo_entry;
struct th_qmemo {
    qmemo_entry e[QMEMO_SETS][QMEMO_WAYS];
};

th_qmemo *th_qmemo_new(void)
{
    return th_xcalloc(1, sizeof(th_qmemo));
}

void th_qmemo_free(th_qmemo *m)
{
    free(m);
}

/* The tests that cost more than hashing and comparing the value: they scan
 * it (patterns with a `*` or `?` before the end, several patterns, automata,
 * tokens). */
static bool costly(const cnode *n)
{
    switch (n->test) {
    case CT_KW_WILD: return n->wp.shape == WS_GENERAL;
    case CT_KW_WILDSET:
    case CT_KW_REGEX:
    case CT_TEXT_MATCH:
    case CT_TEXT_PHRASE:
    case CT_TEXT_WILD: return true;
    default: return false;
    }
}

/* test_value of a costly leaf on a string, through the memo: a string's
 * result depends only on its bytes (test_value reads its type and text).
 * Not inlined: its registers would be saved on every visit of a value. */
__attribute__((noinline)) static bool test_memo(th_qmemo *m, const cnode *n, const th_jval *v)
{
    th_str s = v->u.str;
    if (s.n > QMEMO_VALUE)
        return test_value(n, v);
    uint64_t h = th_str_hash_sample(s); /* entries compare the whole value */
    qmemo_entry *set = m->e[(h ^ ((uint64_t)(uintptr_t)n * 0x9e3779b97f4a7c15ull)) >> 58];
    qmemo_entry *victim = NULL;
    for (int w = 0; w < QMEMO_WAYS; w++) {
        qmemo_entry *e = &set[w];
        if (e->n == n && e->hash == h && e->len == s.n && memcmp(e->v, s.p, s.n) == 0) {
            e->used = true;
            return e->result;
        }
        if (!victim && (!e->n || !e->used))
            victim = e;
    }
    if (!victim)
        victim = &set[h & (QMEMO_WAYS - 1)];
    bool r = test_value(n, v);
    victim->n = n;
    victim->hash = h;
    victim->len = (uint32_t)s.n;
    victim->result = r;
    victim->used = false;
    memcpy(victim->v, s.p, s.n);
    return r;
}

/* test_value on a string, the tests gates use most without its calls: the
 * string is its own keyword text unless it is longer than ignore_above. */
static bool test_string(const cnode *n, const th_jval *v)
{
    th_str s = v->u.str;
    if (n->ignore_above > 0 && s.n > (size_t)n->ignore_above)
        return test_value(n, v); /* counted in UTF-16 units, as Java counts */
    switch (n->test) {
    case CT_KW_EQ:
        return str_eq(n, s, n->s);
    case CT_KW_SET:
        return set_has(n, s);
    case CT_KW_PREFIX:
        return s.n >= n->s.n && str_eq(n, th_str_make(s.p, n->s.n), n->s);
    case CT_KW_WILD:
        return th_q_wild_test(&n->wp, s);
    case CT_KW_REGEX:
        return th_lregex_match(n->re, s.p, s.n);
    case CT_EXISTS:
        /* visible(): a string within ignore_above is its own keyword text;
         * the types that parse their values are left to it */
        switch (n->ftype) {
        case TH_FT_BOOLEAN:
        case TH_FT_LONG:
        case TH_FT_DOUBLE:
        case TH_FT_IP:
        case TH_FT_DATE:
            return test_value(n, v);
        default:
            return true;
        }
    default:
        return test_value(n, v);
    }
}

/* test_string, the leaves th_cnode_finish made quick (an EXISTS, a
 * case-kept equality: most leaves of the broad ES|QL rules' conditions)
 * decided in line on a string within qmax. */
static inline __attribute__((always_inline)) bool test_str(const cnode *n, const th_jval *v)
{
    th_str s = v->u.str;
    if (n->quick != Q_NONE && s.n <= n->qmax)
        return n->quick == Q_EXISTS || bytes_eq(s, n->s);
    return test_string(n, v);
}

/* Does this one value satisfy the leaf (remembered when st has a memo)?
 * Strings take test_string's way, without test_value's calls: most values
 * of the leaves evaluated on mapped documents are strings. */
static inline bool test_visited(const vstate *st, const th_jval *v)
{
    if (v->type == TH_JSTR)
        return st->memo ? test_memo(st->memo, st->n, v) : test_str(st->n, v);
    return test_value(st->n, v);
}

static bool visit_deep(const th_jval *v, vstate *st);

static bool visit(const th_jval *v, void *ctx)
{
    vstate *st = ctx;
    const cnode *n = st->n;
    if (v->type == TH_JNULL)
        return true;
    if (v->type == TH_JOBJ) {
        if (n->deep)
            return visit_deep(v, st);
        if (n->test == CT_EXISTS && n->ftype == TH_FT_UNKNOWN && has_scalar(v)) {
            st->hit = true; /* a dynamically mapped object exists through its leaves */
            st->count++;
            return (n->flags & TH_IRF_3VL) != 0;
        }
        return true; /* an object is no value of a leaf field */
    }
    if (n->flags & TH_IRF_3VL) {
        if (visible(n, v)) {
            st->count++;
            if (st->count == 1)
                st->hit = test_visited(st, v);
        }
        return st->count < 2;
    }
    if (test_visited(st, v)) {
        st->hit = true;
        return false;
    }
    return true;
}

static bool visit_deep(const th_jval *v, vstate *st)
{
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++)
            if (!visit_deep(v->u.items[i], st))
                return false;
        return true;
    }
    if (v->type == TH_JOBJ) {
        for (uint32_t i = 0; i < v->len; i++)
            if (!visit_deep(v->u.members[i].val, st))
                return false;
        return true;
    }
    if (v->type == TH_JNULL)
        return true;
    const cnode *n = st->n;
    bool ok = n->test == CT_EXISTS ? true : test_value(n, v);
    if (ok) {
        st->hit = true;
        return false;
    }
    return true;
}

/* ---- free text (KQL bare values) ---------------------------------------- */

typedef struct fstate {
    const cnode *n;
    char path[TH_MAX_FIELD_NAME];
    size_t len;
    bool hit;
} fstate;

static bool free_leaf(fstate *f, const th_jval *v)
{
    const cnode *n = f->n;
    const th_field_def *d = th_schema_lookup(th_str_make(f->path, f->len));
    th_str s;
    /* Fleet's index.query.default_field lists the keyword, wildcard and text fields */
    if (!d || !(d->type == TH_FT_KEYWORD || d->type == TH_FT_WILDCARD || d->type == TH_FT_TEXT))
        return false;
    if (!th_q_keyword_text(v, d->type == TH_FT_KEYWORD ? d->ignore_above : 0, &s))
        return false;
    bool wild = n->ir->op == TH_IR_WILDCARD;
    if (d->type == TH_FT_TEXT) {
        if (wild)
            return text_wild(n, s);
        return n->ntoks && ((n->flags & TH_IRF_PHRASE) ? text_phrase(n, s) : text_match(n, s));
    }
    return wild ? th_q_wild_test(&n->wp, s) : th_str_eq(s, n->s);
}

static void free_walk(fstate *f, const th_jval *v)
{
    if (f->hit || v->type == TH_JNULL)
        return;
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len && !f->hit; i++)
            free_walk(f, v->u.items[i]);
        return;
    }
    if (v->type == TH_JOBJ) {
        size_t save = f->len;
        for (uint32_t i = 0; i < v->len && !f->hit; i++) {
            th_str k = v->u.members[i].key;
            size_t need = save + (save ? 1 : 0) + k.n;
            if (need >= sizeof f->path)
                continue;
            if (save)
                f->path[save] = '.';
            memcpy(f->path + save + (save ? 1 : 0), k.p, k.n);
            f->len = need;
            free_walk(f, v->u.members[i].val);
            f->len = save;
        }
        return;
    }
    if (free_leaf(f, v))
        f->hit = true;
}

/* ---- field contains field (EQL script) ----------------------------------- */

typedef struct fcstate {
    const cnode *n;
    const th_jval *doc;
    th_str hay;
    bool hit;
} fcstate;

static bool contains(th_str hay, th_str needle, bool nocase)
{
    if (needle.n > hay.n)
        return false;
    for (size_t i = 0; i + needle.n <= hay.n; i++) {
        th_str w = th_str_make(hay.p + i, needle.n);
        if (nocase ? th_q_eq_nocase(w, needle) : th_str_eq(w, needle))
            return true;
    }
    return false;
}

static bool fc_inner(const th_jval *v, void *ctx)
{
    fcstate *st = ctx;
    th_str s;
    if (th_q_keyword_text(v, TH_IGNORE_ABOVE_DEFAULT, &s) &&
        contains(st->hay, s, (st->n->flags & TH_IRF_NOCASE) != 0)) {
        st->hit = true;
        return false;
    }
    return true;
}

static bool fc_outer(const th_jval *v, void *ctx)
{
    fcstate *st = ctx;
    if (!th_q_keyword_text(v, st->n->ignore_above, &st->hay))
        return true; /* no doc value: the script sees null, the predicate is false */
    th_json_path_each(st->doc, st->n->path2, fc_inner, st);
    return !st->hit;
}

/* ---- tree ---------------------------------------------------------------- */

/* Kleene logic, as the three walks below (over a document, through a
 * document's fields, over slots) fold it: NOT keeps null; an AND or OR
 * returns its decider (false, true) as soon as a kid gives it, else null when
 * a kid gave null, else the other value. */
static inline tv tv_not(tv k) { return k == TV_NULL ? TV_NULL : k == TV_TRUE ? TV_FALSE : TV_TRUE; }
static inline tv decider(const cnode *c) { return c->test == CT_AND ? TV_FALSE : TV_TRUE; }

/* A leaf's verdict from the values it visited. */
static inline tv leaf_tv(const cnode *c, const vstate *st)
{
    if (c->flags & TH_IRF_3VL) {
        if (c->test == CT_EXISTS)
            return st->count > 0 ? TV_TRUE : TV_FALSE;
        if (st->count != 1)
            return TV_NULL;
    }
    return st->hit ? TV_TRUE : TV_FALSE;
}

tv th_cnode_eval(const cnode *c, const th_jval *doc)
{
    switch (c->test) {
    case CT_TRUE:
        return TV_TRUE;
    case CT_FALSE:
        return TV_FALSE;
    case CT_AND:
    case CT_OR: {
        tv d = decider(c), r = tv_not(d);
        for (size_t i = 0; i < c->nkids; i++) {
            tv k = th_cnode_eval(c->kids[i], doc);
            if (k == d)
                return d;
            if (k == TV_NULL)
                r = TV_NULL;
        }
        return r;
    }
    case CT_NOT:
        return tv_not(th_cnode_eval(c->kids[0], doc));
    case CT_FREE: {
        fstate f;
        f.n = c;
        f.len = 0;
        f.hit = false;
        free_walk(&f, doc);
        return f.hit ? TV_TRUE : TV_FALSE;
    }
    case CT_FIELD_CONTAINS: {
        fcstate st = {c, doc, TH_STR_NULL, false};
        th_json_path_each(doc, c->path, fc_outer, &st);
        return st.hit ? TV_TRUE : TV_FALSE;
    }
    default: {
        vstate st = {c, false, 0, NULL};
        th_json_path_each(doc, c->path, visit, &st);
        return leaf_tv(c, &st);
    }
    }
}

/* A leaf's verdict from values[0..n) of its field, visited in order. */
static tv leaf_tv_from(const cnode *c, const th_jval *const *v, size_t n)
{
    vstate st = {c, false, 0, NULL};
    for (size_t i = 0; i < n && visit(v[i], &st); i++)
        ;
    return leaf_tv(c, &st);
}

/* th_cnode_eval with the leaves of kept fields reading through fc. Apart
 * from th_cnode_eval, not one function taking fc or NULL: that one's extra
 * argument and test cost 1 M instructions per 10k records of the pack. */
/* A leaf of th_cnode_eval_fields: reads its field through fc when kept. */
static inline tv leaf_fields(const cnode *c, th_qfields *fc)
{
    const th_jval *const *v;
    size_t n;
    if (!th_qfields_read(fc, c->fid, c->path, &v, &n))
        return th_cnode_eval(c, th_qfields_doc(fc));
    /* two-valued: a string decides as visit would, without its call */
    if (!(c->flags & TH_IRF_3VL)) {
        for (size_t i = 0; i < n; i++) {
            if (v[i]->type != TH_JSTR)
                return leaf_tv_from(c, v + i, n - i);
            if (test_str(c, v[i]))
                return TV_TRUE;
        }
        return TV_FALSE;
    }
    return leaf_tv_from(c, v, n);
}

/* A quick leaf (th_cnode_finish) on a field of no value or of one string
 * within qmax, decided as leaf_fields decides it, in its caller's loop:
 * leaf_fields' call and the registers it saves cost about what the test
 * does. Three-valued too (the broad ES|QL rules' WHERE, whose leaves took
 * leaf_fields' way through visit and visible): a quick leaf's field is of
 * a type whose values are their keyword text (an EXISTS of a type that
 * parses none; a KW_EQ, which compile.c's leaf_term keeps for the keyword
 * types alone), so one string within qmax is visible, counted once, and
 * the leaf is its test; no value is null but for an EXISTS (leaf_tv).
 * False: leaf_fields decides. */
static inline __attribute__((always_inline)) bool leaf_quick(const cnode *c, th_qfields *fc,
                                                             tv *out)
{
    const th_jval *const *v;
    size_t n;
    if (c->quick == Q_NONE || !th_qfields_read(fc, c->fid, c->path, &v, &n))
        return false;
    bool three = (c->flags & TH_IRF_3VL) != 0;
    if (n == 0) {
        *out = three && c->quick != Q_EXISTS ? TV_NULL : TV_FALSE;
        return true;
    }
    if (n != 1 || v[0]->type != TH_JSTR || v[0]->u.str.n > c->qmax)
        return false;
    *out = c->quick == Q_EXISTS || bytes_eq(v[0]->u.str, c->s) ? TV_TRUE : TV_FALSE;
    return true;
}

static inline bool fields_leaf(const cnode *c)
{
    return c->test >= CT_EXISTS && c->test != CT_FREE && c->test != CT_FIELD_CONTAINS;
}

tv th_cnode_eval_fields(const cnode *c, th_qfields *fc)
{
    switch (c->test) {
    case CT_AND:
    case CT_OR: {
        tv d = decider(c), r = tv_not(d);
        for (size_t i = 0; i < c->nkids; i++) {
            /* a leaf kid (most are), or a NOT of a quick leaf (the ES|QL
             * rules' `!=` and IS NULL, KQL's `not`: 117,130 of b100k's
             * recursive calls with the pack, each a call into the NOT and
             * one from it), without a recursive call */
            const cnode *kid = c->kids[i];
            tv k;
            if (leaf_quick(kid, fc, &k))
                ;
            else if (kid->test == CT_NOT && leaf_quick(kid->kids[0], fc, &k))
                k = tv_not(k);
            else
                k = fields_leaf(kid) ? leaf_fields(kid, fc) : th_cnode_eval_fields(kid, fc);
            if (k == d)
                return d;
            if (k == TV_NULL)
                r = TV_NULL;
        }
        return r;
    }
    case CT_NOT:
        return tv_not(th_cnode_eval_fields(c->kids[0], fc));
    case CT_TRUE:
    case CT_FALSE:
    case CT_FREE:
    case CT_FIELD_CONTAINS:
        return th_cnode_eval(c, th_qfields_doc(fc));
    default: { /* a query of one leaf, or a NOT's */
        tv k;
        return leaf_quick(c, fc, &k) ? k : leaf_fields(c, fc);
    }
    }
}

/* Whether c is TRUE. An AND is TRUE exactly where every kid is, so its
 * first kid that is not (FALSE or NULL) decides here, without
 * th_cnode_eval_fields' call: the ES|QL rules' rests are ANDs whose first
 * quick leaf mostly fails (b100k with the pack: the discovery rule's 53,175,
 * 958 of them past `user_agent.name == "aws-cli"`). */
bool th_cnode_match_fields(const cnode *c, th_qfields *fc)
{
    tv k;
    if (leaf_quick(c, fc, &k))
        return k == TV_TRUE;
    if (c->test != CT_AND)
        return th_cnode_eval_fields(c, fc) == TV_TRUE;
    for (size_t i = 0; i < c->nkids; i++) {
        const cnode *kid = c->kids[i];
        if (leaf_quick(kid, fc, &k))
            ;
        else if (kid->test == CT_NOT && leaf_quick(kid->kids[0], fc, &k))
            k = tv_not(k);
        else
            k = fields_leaf(kid) ? leaf_fields(kid, fc) : th_cnode_eval_fields(kid, fc);
        if (k != TV_TRUE)
            return false;
    }
    return true;
}

/* ---- over slots (th_query_bind_slots) ----------------------------------- */

/* A rough cost of evaluating c on one value (comparisons of a few bytes = 1;
 * parsing a number, date or address, or scanning a string, costs more). */
static unsigned cost(const cnode *c)
{
    unsigned k = c->slot_rest.n ? 4 : 0; /* a path to look up below a subtree */
    switch (c->test) {
    case CT_TRUE:
    case CT_FALSE:
        return 0;
    case CT_AND:
    case CT_OR:
    case CT_NOT:
        for (size_t i = 0; i < c->nkids; i++)
            k += cost(c->kids[i]);
        return k;
    case CT_EXISTS:
        return k + (c->ftype == TH_FT_KEYWORD || c->ftype == TH_FT_WILDCARD ? 1 : 4);
    case CT_KW_EQ:
    case CT_KW_PREFIX:
    case CT_BOOL_EQ:
    case CT_DYN_EQ:
        return k + 1;
    case CT_KW_SET:
    case CT_KW_RANGE:
        return k + 2;
    case CT_KW_WILD:
        return k + (c->wp.shape == WS_GENERAL ? 3 : 1);
    case CT_KW_WILDSET:
        return k + 3 + (unsigned)c->nwps;
    case CT_NUM_RANGE:
    case CT_DATE_RANGE:
    case CT_IP_RANGE:
        return k + 4;
    default:
        return k + 8; /* regular expressions, text analysis */
    }
}

/* Where kid x goes among c's: by its cost, and in an AND a NOT after the
 * other kids of its cost: a NOT of a test holds on most values (`!=`, IS
 * NULL), so an AND seldom stops there. The discovery rule's rest (b100k:
 * 53,175 evaluations) tests two NOTs before `user_agent.name == "aws-cli"`,
 * which 958 of them pass. */
static unsigned rank(const cnode *c, const cnode *x)
{
    return cost(x) * 2 + (c->test == CT_AND && x->test == CT_NOT);
}

/* Cheapest first: an AND stops at the first FALSE and an OR at the first
 * TRUE, and neither result depends on the order (a NULL only matters when
 * no child decides). A stable sort: kids of equal rank keep their order. */
static void order_kids(cnode *c)
{
    for (size_t i = 1; c->test != CT_NOT && i < c->nkids; i++) {
        cnode *x = c->kids[i];
        unsigned rx = rank(c, x);
        size_t j = i;
        for (; j > 0 && rank(c, c->kids[j - 1]) > rx; j--)
            c->kids[j] = c->kids[j - 1];
        c->kids[j] = x;
    }
}

void th_cnode_order(cnode *c)
{
    if (c->test != CT_AND && c->test != CT_OR && c->test != CT_NOT)
        return;
    for (size_t i = 0; i < c->nkids; i++)
        th_cnode_order(c->kids[i]);
    order_kids(c);
}

bool th_cnode_bind_slots(cnode *c, th_qslot_fn slot_of)
{
    switch (c->test) {
    case CT_TRUE:
    case CT_FALSE:
        return true;
    case CT_AND:
    case CT_OR:
    case CT_NOT:
        for (size_t i = 0; i < c->nkids; i++)
            if (!th_cnode_bind_slots(c->kids[i], slot_of))
                return false;
        order_kids(c);
        return true;
    case CT_FREE:            /* reads every field */
    case CT_FIELD_CONTAINS:  /* reads two */
        return false;
    default:
        c->slot = c->path.n ? slot_of(c->path, &c->slot_rest) : -1;
        /* not below a subtree: the request parameters' values are the
         * request's own (b100k: 9,306 GetObject keys, all distinct, each a
         * miss of the memo and a copy into it) */
        c->remember = costly(c) && !c->slot_rest.n;
        c->slot_leaf = c->slot >= 0;
        c->on_slot = !(c->flags & TH_IRF_3VL) && !c->slot_rest.n;
        return c->slot_leaf;
    }
}

/* Whether c is a leaf that reads only slots of the mask, on the slot's own
 * values (no path below it) */
static bool reads_only(const cnode *c, uint64_t slots)
{
    uint64_t m = 0;
    return c->slot_leaf && !c->slot_rest.n && th_cnode_slots_read(c, &m) && !(m & ~slots);
}

void th_cnode_last_of(cnode *c, uint64_t slots)
{
    if (c->test != CT_AND)
        return;
    size_t w = 0, nlast = 0;
    cnode *last[64];
    for (size_t i = 0; i < c->nkids; i++) {
        cnode *k = c->kids[i];
        th_cnode_last_of(k, slots);
        if (nlast < 64 && reads_only(k, slots))
            last[nlast++] = k;
        else
            c->kids[w++] = k;
    }
    memcpy(c->kids + w, last, nlast * sizeof *last);
}

/* The slots th_cnode_eval_slots reads of a bound c: those of its leaves
 * (leaf_eval reads slots[c->slot], nothing else). */
bool th_cnode_slots_read(const cnode *c, uint64_t *mask)
{
    switch (c->test) {
    case CT_TRUE:
    case CT_FALSE: return true;
    case CT_AND:
    case CT_OR:
    case CT_NOT:
        for (size_t i = 0; i < c->nkids; i++)
            if (!th_cnode_slots_read(c->kids[i], mask))
                return false;
        return true;
    case CT_FREE:
    case CT_FIELD_CONTAINS: return false;
    default:
        if (!c->slot_leaf || c->slot < 0 || c->slot > 63)
            return false;
        *mask |= 1ull << c->slot;
        return true;
    }
}

/* th_json_path_each's visit_flat: arrays flattened, in order */
static bool visit_flat(const th_jval *v, vstate *st)
{
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++)
            if (!visit_flat(v->u.items[i], st))
                return false;
        return true;
    }
    return visit(v, st);
}

/* A leaf on its slot: the values th_json_path_each(doc, path) visits, in
 * the same order: the slot's values, or below each of them the rest of the
 * path. Apart from the two-valued leaf on strings (leaf_strings), so that
 * the common case saves no registers for this one. */
__attribute__((noinline)) static tv leaf_visit(const cnode *c, const th_qslot *s, th_qmemo *memo)
{
    vstate st = {c, false, 0, c->remember ? memo : NULL};
    for (uint32_t i = 0; i < s->n; i++)
        if (c->slot_rest.n ? !th_json_path_each(&s->vals[i], c->slot_rest, visit, &st)
                           : !visit_flat(&s->vals[i], &st))
            break;
    if (c->flags & TH_IRF_3VL) {
        if (c->test == CT_EXISTS)
            return st.count > 0 ? TV_TRUE : TV_FALSE;
        if (st.count != 1)
            return TV_NULL;
    }
    return st.hit ? TV_TRUE : TV_FALSE;
}

/* Two-valued on the field itself: TRUE when some value passes, whatever the
 * order; strings (nearly every slot value) are tested as visit would,
 * without visiting. FALSE on the first value that is not a string: the
 * caller visits them all then (leaf_visit). */
static inline bool leaf_strings(const cnode *c, const th_qslot *s, th_qmemo *memo, bool *hit)
{
    th_qmemo *m = c->remember ? memo : NULL;
    for (uint32_t i = 0; i < s->n; i++) {
        const th_jval *v = &s->vals[i];
        if (v->type != TH_JSTR)
            return false;
        if (m ? test_memo(m, c, v) : test_str(c, v)) {
            *hit = true;
            return true;
        }
    }
    *hit = false;
    return true;
}

/* A leaf: on strings in line (nearly every leaf of a gate), else visiting. */
static inline tv leaf_eval(const cnode *c, const th_qslot *slots, th_qmemo *memo)
{
    const th_qslot *s = &slots[c->slot];
    bool hit;
    if (c->on_slot && leaf_strings(c, s, memo, &hit))
        return hit ? TV_TRUE : TV_FALSE;
    return leaf_visit(c, s, memo);
}

/* The kids of an AND or OR: a leaf without a call of th_cnode_eval_slots
 * (the kids of a gate are mostly leaves). */
static inline tv kid_eval(const cnode *k, const th_qslot *slots, th_qmemo *memo)
{
    return k->slot_leaf ? leaf_eval(k, slots, memo) : th_cnode_eval_slots(k, slots, memo);
}

tv th_cnode_eval_slots(const cnode *c, const th_qslot *slots, th_qmemo *memo)
{
    switch (c->test) {
    case CT_TRUE:
        return TV_TRUE;
    case CT_FALSE:
        return TV_FALSE;
    case CT_AND:
    case CT_OR: {
        tv d = decider(c), r = tv_not(d);
        for (size_t i = 0; i < c->nkids; i++) {
            tv k = kid_eval(c->kids[i], slots, memo);
            if (k == d)
                return d;
            if (k == TV_NULL)
                r = TV_NULL;
        }
        return r;
    }
    case CT_NOT:
        return tv_not(th_cnode_eval_slots(c->kids[0], slots, memo));
    case CT_FREE:
    case CT_FIELD_CONTAINS:
        return TV_FALSE; /* never bound (th_cnode_bind_slots) */
    default:
        return leaf_eval(c, slots, memo);
    }
}
