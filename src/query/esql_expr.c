/* ES|QL expressions over one row (esql_int.h). NULL propagates through
 * operators and functions; a multi-valued operand where one value is wanted
 * gives NULL and counts a warning, as Elasticsearch does; AND, OR and NOT use
 * three-valued logic. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "query/cnode.h"
#include "query/esql_int.h"

static ev single(erun *r, ev v)
{
    if (v.n > 1) {
        r->warnings++;
        return ev_null();
    }
    return v;
}

/* a boolean operand: 1 true, 0 false, -1 null */
static int truth(erun *r, etab *t, size_t row, const xnode *x)
{
    ev v = single(r, th_esql_eval(r, t, row, x));
    if (v.n == 0 || v.t != EV_BOOL)
        return -1;
    return v.one.i != 0;
}

bool th_esql_true(erun *r, etab *t, size_t row, const xnode *x) { return truth(r, t, row, x) == 1; }

static ev tv3(int b) { return b < 0 ? ev_null() : ev_bool(b == 1); }

/* a string-typed literal compared with a date or ip column takes its type */
static ev coerce_to(erun *r, ev lit, uint8_t t)
{
    if (lit.t != EV_KW || lit.n != 1)
        return lit;
    if (t == EV_DATE) {
        int64_t ms;
        if (th_time_parse_iso(lit.one.s.p, lit.one.s.n, &ms))
            return (ev){EV_DATE, 1, {.one = {.i = ms}}};
        r->warnings++;
        return ev_null();
    }
    if (t == EV_IP)
        lit.t = EV_IP;
    return lit;
}

static ev compare(erun *r, int op, ev a, ev b)
{
    a = single(r, a);
    b = single(r, b);
    if (a.n == 0 || b.n == 0)
        return ev_null();
    if (a.t == EV_KW && b.t == EV_KW && (op == CMP_EQ || op == CMP_NE)) {
        /* keyword equality (IN lists, == "x"): no ordering needed */
        bool eq = a.one.s.n == b.one.s.n && (a.one.s.n == 0 || memcmp(a.one.s.p, b.one.s.p, a.one.s.n) == 0);
        return ev_bool(eq == (op == CMP_EQ));
    }
    if (a.t != b.t) {
        a = coerce_to(r, a, b.t);
        b = coerce_to(r, b, a.t);
        if (a.n == 0 || b.n == 0)
            return ev_null();
    }
    if (!th_ev_comparable(&a, &b))
        return ev_null();
    int c = th_ev_cmp(&a, 0, &b, 0);
    switch (op) {
    case CMP_EQ: return ev_bool(c == 0);
    case CMP_NE: return ev_bool(c != 0);
    case CMP_LT: return ev_bool(c < 0);
    case CMP_LE: return ev_bool(c <= 0);
    case CMP_GT: return ev_bool(c > 0);
    default: return ev_bool(c >= 0);
    }
}

static ev arith(erun *r, const xnode *x, ev a, ev b)
{
    a = single(r, a);
    b = single(r, b);
    if (a.n == 0 || b.n == 0)
        return ev_null();
    char op = (char)x->op;
    if ((a.t == EV_DATE && b.t == EV_SPAN) || (a.t == EV_SPAN && b.t == EV_DATE)) {
        int64_t d = a.t == EV_DATE ? a.one.i : b.one.i, s = a.t == EV_SPAN ? a.one.i : b.one.i;
        if (op == '+')
            return (ev){EV_DATE, 1, {.one = {.i = d + s}}};
        if (op == '-' && a.t == EV_DATE)
            return (ev){EV_DATE, 1, {.one = {.i = d - s}}};
        return ev_null();
    }
    if (a.t == EV_SPAN && b.t == EV_SPAN && (op == '+' || op == '-'))
        return (ev){EV_SPAN, 1, {.one = {.i = op == '+' ? a.one.i + b.one.i : a.one.i - b.one.i}}};
    bool na = a.t == EV_LONG || a.t == EV_DOUBLE, nb = b.t == EV_LONG || b.t == EV_DOUBLE;
    if (!na || !nb)
        return ev_null();
    if (a.t == EV_LONG && b.t == EV_LONG) {
        int64_t p = a.one.i, q = b.one.i, res;
        switch (op) {
        case '+':
            if (__builtin_add_overflow(p, q, &res)) goto overflow;
            break;
        case '-':
            if (__builtin_sub_overflow(p, q, &res)) goto overflow;
            break;
        case '*':
            if (__builtin_mul_overflow(p, q, &res)) goto overflow;
            break;
        case '/':
        case '%':
            if (q == 0 || (p == INT64_MIN && q == -1)) goto overflow;
            res = op == '/' ? p / q : p % q; /* Java: truncates toward zero */
            break;
        default:
            return ev_null();
        }
        return ev_long(res);
    overflow:
        r->warnings++;
        return ev_null();
    }
    double p = a.t == EV_DOUBLE ? a.one.d : (double)a.one.i;
    double q = b.t == EV_DOUBLE ? b.one.d : (double)b.one.i;
    double res;
    switch (op) {
    case '+': res = p + q; break;
    case '-': res = p - q; break;
    case '*': res = p * q; break;
    case '/': res = p / q; break;
    case '%': res = fmod(p, q); break;
    default: return ev_null();
    }
    if (!isfinite(res)) {
        r->warnings++;
        return ev_null();
    }
    return (ev){EV_DOUBLE, 1, {.one = {.d = res}}};
}

/* a keyword in an IN list of string literals: equal bytes, as compare() */
static bool in_set(const esql_inset *set, th_str s)
{
    size_t lo = 0, hi = set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        th_str v = set->v[mid];
        int c = v.n != s.n ? (v.n < s.n ? -1 : 1) : s.n ? memcmp(v.p, s.p, s.n) : 0;
        if (c == 0)
            return true;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static ev eval_in(erun *r, etab *t, size_t row, const xnode *x)
{
    ev l = single(r, th_esql_eval(r, t, row, x->kids[0]));
    if (l.n == 0)
        return ev_null();
    if (x->aux && l.t == EV_KW) /* every item a keyword: no NULL, no warning, no coercion */
        return ev_bool(in_set(x->aux, l.one.s) != x->neg);
    bool saw_null = false;
    for (size_t k = 1; k < x->nkids; k++) {
        ev c = compare(r, CMP_EQ, l, th_esql_eval(r, t, row, x->kids[k]));
        if (c.n == 0) {
            saw_null = true;
            continue;
        }
        if (c.one.i)
            return ev_bool(!x->neg);
    }
    if (saw_null)
        return ev_null();
    return ev_bool(x->neg);
}

static ev eval_pattern(erun *r, etab *t, size_t row, const xnode *x)
{
    ev l = single(r, th_esql_eval(r, t, row, x->kids[0]));
    if (l.n == 0 || (l.t != EV_KW && l.t != EV_IP))
        return ev_null();
    bool m = x->kind == X_LIKE ? th_q_wild_test(x->aux, l.one.s) : th_lregex_match(x->aux, l.one.s.p, l.one.s.n);
    return ev_bool(m != x->neg);
}

ev th_esql_call(erun *r, etab *t, size_t row, const xnode *x); /* esql_fn.c */

/* The column x names in t. A node reads the same column row after row: the
 * one it found last is taken when t still has, at that index, the very name
 * it had then (a table's column names are distinct, and every name lives as
 * long as the query), else t is searched (th_etab_col). */
static long col_of(erun *r, etab *t, const xnode *x)
{
    colhint *h = &r->hint[((uintptr_t)x >> 4) % ESQL_HINTS];
    if (h->x == x && (size_t)h->col < t->ncols && t->names[h->col].p == h->name && t->names[h->col].n == x->name.n)
        return h->col;
    long c = th_etab_col(r, t, x->name);
    if (c >= 0)
        *h = (colhint){x, c, t->names[c].p};
    return c;
}

ev th_esql_eval(erun *r, etab *t, size_t row, const xnode *x)
{
    switch (x->kind) {
    case X_LIT:
        return x->lit;
    case X_COL: {
        long c = col_of(r, t, x);
        if (c < 0) {
            if (!r->err)
                r->err = "unknown column";
            return ev_null();
        }
        return t->cols[c][row];
    }
    case X_NOT: {
        int b = truth(r, t, row, x->kids[0]);
        return tv3(b < 0 ? -1 : !b);
    }
    case X_AND: {
        int a = truth(r, t, row, x->kids[0]);
        if (a == 0)
            return ev_bool(false);
        int b = truth(r, t, row, x->kids[1]);
        if (b == 0)
            return ev_bool(false);
        return tv3(a < 0 || b < 0 ? -1 : 1);
    }
    case X_OR: {
        int a = truth(r, t, row, x->kids[0]);
        if (a == 1)
            return ev_bool(true);
        int b = truth(r, t, row, x->kids[1]);
        if (b == 1)
            return ev_bool(true);
        return tv3(a < 0 || b < 0 ? -1 : 0);
    }
    case X_CMP:
        return compare(r, x->op, th_esql_eval(r, t, row, x->kids[0]), th_esql_eval(r, t, row, x->kids[1]));
    case X_ARITH:
        return arith(r, x, th_esql_eval(r, t, row, x->kids[0]), th_esql_eval(r, t, row, x->kids[1]));
    case X_NEG: {
        ev v = single(r, th_esql_eval(r, t, row, x->kids[0]));
        if (v.n == 0)
            return v;
        if (v.t == EV_LONG || v.t == EV_SPAN) {
            if (v.one.i == INT64_MIN) {
                r->warnings++;
                return ev_null();
            }
            v.one.i = -v.one.i;
        } else if (v.t == EV_DOUBLE) {
            v.one.d = -v.one.d;
        } else {
            return ev_null();
        }
        return v;
    }
    case X_IN:
        return eval_in(r, t, row, x);
    case X_LIKE:
    case X_RLIKE:
        return eval_pattern(r, t, row, x);
    case X_ISNULL: {
        ev v = th_esql_eval(r, t, row, x->kids[0]);
        return ev_bool((v.n == 0) != x->neg);
    }
    case X_CALL:
        return th_esql_call(r, t, row, x);
    default:
        return ev_null();
    }
}

/* ---- remembered values (esql_memo, esql_int.h) ---------------------------- */

/* The columns x reads, each once from index from on: a condition that
 * reads one column several times (`org LIKE "Amazon*" OR org == "Google
 * LLC" OR ...`, an action against several IN lists) compares its cell once,
 * and stays within ESQL_MEMO_CACHED columns where it reads that few. */
static void memo_names(esql_memo *m, const xnode *x, size_t from)
{
    if (m->state < 0)
        return;
    if (x->kind == X_CALL && x->fn == F_KQL) {
        m->state = -1;
        return;
    }
    if (x->kind == X_COL) {
        size_t k = from;
        while (k < m->ncols && !th_str_eq(m->names[k], x->name))
            k++;
        if (k == m->ncols && m->ncols == ESQL_MEMO_COLS) {
            m->state = -1;
            return;
        }
        if (k == m->ncols)
            m->names[m->ncols++] = x->name;
    }
    for (size_t k = 0; k < x->nkids; k++)
        memo_names(m, x->kids[k], from);
}

/* a CASE whose values (odd kids, and the last of an odd count) are columns
 * or literals, one at least a column */
static bool case_of_cells(const xnode *x)
{
    if (x->kind != X_CALL || x->fn != F_CASE)
        return false;
    bool col = false;
    for (size_t k = 0; k < x->nkids; k++) {
        bool value = k % 2 == 1 || k + 1 == x->nkids;
        if (value && x->kids[k]->kind != X_COL && x->kids[k]->kind != X_LIT)
            return false;
        col = col || (value && x->kids[k]->kind == X_COL);
    }
    return col;
}

/* Whether evaluating x only reads and compares cells: no function (one
 * may allocate in the run's arena, whose bytes are charged) and no RLIKE
 * (its automaton may grow as it matches). Remembering some of its parts
 * and not others then changes nothing but the instructions: the same
 * values, warnings, and columns loaded at the same rows (a part
 * remembered was evaluated on an earlier row with the same cells, which
 * read what this row would). */
static bool reads_cells_only(const xnode *x)
{
    switch (x->kind) {
    case X_LIT:
    case X_COL:
    case X_NOT:
    case X_AND:
    case X_OR:
    case X_CMP:
    case X_IN:
    case X_LIKE:
    case X_ISNULL: break;
    default: return false;
    }
    for (size_t k = 0; k < x->nkids; k++)
        if (!reads_cells_only(x->kids[k]))
            return false;
    return true;
}

/* The memos a split memo evaluates from (split_eval): an AND's or OR's two
 * operands, a NOT's one, a CASE's conditions where its values are
 * literals; 0 where x is none of those or reads more than cells. */
static size_t split_kids(const xnode *x)
{
    if (x->kind == X_AND || x->kind == X_OR || x->kind == X_NOT)
        return reads_cells_only(x) ? x->nkids : 0;
    if (x->kind != X_CALL || x->fn != F_CASE)
        return 0;
    for (size_t k = 0; k < x->nkids; k++) {
        bool value = k % 2 == 1 || k + 1 == x->nkids;
        if (value ? x->kids[k]->kind != X_LIT : !reads_cells_only(x->kids[k]))
            return 0;
    }
    return x->nkids / 2;
}

void th_esql_memo_init(esql_memo *m, const xnode *x)
{
    memset(m, 0, sizeof *m);
    m->x = x;
    m->tcols = SIZE_MAX;
    m->v.pcol = -1;
    m->lin = m->in;
    m->lv = &m->v;
    if (x->kind == X_LIT || x->kind == X_COL) /* nothing to save */
        m->state = -1;
    if (!case_of_cells(x)) {
        memo_names(m, x, 0);
        m->nkey = m->ncols;
        /* more columns than a table keys on: remembered only as the row
         * before, a miss wherever one of them changes */
        if (m->ncols > ESQL_MEMO_CACHED || m->state < 0)
            m->nsplit = split_kids(x);
        return;
    }
    m->picks = true;
    for (size_t k = 0; k + 1 < x->nkids; k += 2)
        memo_names(m, x->kids[k], 0);
    m->nkey = m->ncols;
    /* the values' columns: resolved, not compared, one entry per value
     * (pick_col counts them), even where a condition reads the column too */
    for (size_t k = 0; k < x->nkids; k++)
        if (k % 2 == 1 || k + 1 == x->nkids)
            memo_names(m, x->kids[k], m->ncols);
}

/* th_esql_call's choice for a CASE: the kid whose value it takes, -1 none */
static int case_pick(erun *r, etab *t, size_t row, const xnode *x)
{
    size_t k = 0;
    for (; k + 1 < x->nkids; k += 2)
        if (th_esql_true(r, t, row, x->kids[k]))
            return (int)k + 1;
    return k < x->nkids ? (int)k : -1;
}

/* the remembered value for the row: the value, or the picked column's
 * cell (th_esql_eval of that X_COL) */
static inline ev memo_value(etab *t, size_t row, const esql_memo_val *v)
{
    return v->pcol < 0 ? v->out : t->cols[v->pcol][row];
}

/* the column of the picked kid, a column (memo_init lists the values'
 * columns after the conditions', kid after kid) */
static long pick_col(const esql_memo *m, int pick)
{
    size_t j = m->nkey;
    for (int k = 0; k < pick; k++)
        if ((k % 2 == 1 || (size_t)k + 1 == m->x->nkids) && m->x->kids[k]->kind == X_COL)
            j++;
    return m->cols[j];
}

/* The columns' indexes (none is loaded here: a column loads where the
 * evaluation reads it, in the same order as before). Once all are in the
 * table the memo keys on them all; before that, an expression that is no
 * CASE of cells keys on those that are (partial): every column an
 * evaluation reads is in the table after it (reading loads it), so a value
 * remembered with the columns there then was found reading only those, and
 * a row with the same cells in them takes the same branches, reads no other
 * column and gives that value (`a == "x" AND b LIKE "y*"`, b in no row yet
 * because a never was "x"). When more of its columns come, the memo keys
 * on them too and forgets what it remembered. */
static void memo_ids_free(esql_memo *m)
{
    free(m->idv);
    m->idv = NULL;
    free(m->idh);
    m->idh = NULL;
    m->idcap = m->idlen = 0;
    for (size_t k = 0; k < ESQL_MEMO_CACHED; k++) {
        free(m->idown[k]);
        m->idown[k] = NULL;
    }
}

/* A word of what ev_same_cell compares: equal cells give equal words */
static uint64_t same_cell_word(const ev *v)
{
    uint64_t h = ((uint64_t)v->t << 32 | v->n) * 0x9E3779B97F4A7C15ull;
    if (v->n == 0)
        return h;
    h = (h ^ (uint64_t)v->one.i) * 0xBF58476D1CE4E5B9ull;
    if (v->n == 1 && (v->t == EV_KW || v->t == EV_IP))
        h = (h ^ v->one.s.n) * 0x94D049BB133111EBull;
    return h ^ h >> 31;
}

/* Ids of col's n cells by ev_same_cell, in order of first appearance (a
 * column without esql_ids: GROK's, DISSECT's), into *nid. NULL where more
 * than half the rows bring a new cell (times, request ids: the memo's
 * table by ids would hold one entry a row, where its table of cells holds
 * ESQL_MEMO_SLOTS) or over 2^21 ids. Every cell is kept in the table (none
 * replaced), so which row first has a cell does not hang on the words,
 * which hash addresses. */
static uint32_t *memo_cell_ids(const ev *col, size_t n, uint32_t *nid)
{
    uint32_t *ids = th_xmalloc((n ? n : 1) * sizeof *ids);
    size_t cap = 64, len = 0;
    uint32_t *first = th_xmalloc(cap * sizeof *first); /* a row + 1 per slot, 0: free */
    memset(first, 0, cap * sizeof *first);
    for (size_t row = 0; row < n; row++) {
        if (row && ev_same_cell(&col[row], &col[row - 1])) {
            ids[row] = ids[row - 1];
            continue;
        }
        size_t j = (size_t)same_cell_word(&col[row]) & (cap - 1);
        while (first[j] && !ev_same_cell(&col[first[j] - 1], &col[row]))
            j = (j + 1) & (cap - 1);
        if (first[j]) {
            ids[row] = ids[first[j] - 1];
            continue;
        }
        if (len >= 1u << 21 || (len + 1) * 2 > n) {
            free(first);
            free(ids);
            return NULL;
        }
        ids[row] = (uint32_t)len++;
        first[j] = (uint32_t)row + 1;
        if (len * 2 > cap) { /* grown at half full */
            size_t ocap = cap;
            uint32_t *old = first;
            cap *= 2;
            first = th_xmalloc(cap * sizeof *first);
            memset(first, 0, cap * sizeof *first);
            for (size_t i = 0; i < ocap; i++) {
                if (!old[i])
                    continue;
                size_t k = (size_t)same_cell_word(&col[old[i] - 1]) & (cap - 1);
                while (first[k])
                    k = (k + 1) & (cap - 1);
                first[k] = old[i];
            }
            free(old);
        }
    }
    free(first);
    *nid = (uint32_t)len;
    return ids;
}

static void memo_resolve(erun *r, etab *t, esql_memo *m)
{
    if (t->ncols == m->tcols)
        return;
    m->tcols = t->ncols;
    bool src = r->source;
    r->source = false;
    size_t n = 0;
    for (size_t k = 0; k < m->ncols; k++) {
        long c = th_etab_col(r, t, m->names[k]);
        if (c >= 0)
            m->cols[n++] = c;
    }
    r->source = src;
    if (n == m->ncols) {
        m->state = 1;
    } else if (!m->picks && n > 0) {
        m->state = 1;
        m->partial = true;
    } else {
        return;
    }
    if (n != m->nkey && !m->picks) { /* a new key: what was remembered is forgotten */
        m->nkey = n;
        m->have = false;
        memset(m->used, 0, sizeof m->used);
        memo_ids_free(m);
    }
    if (n == m->ncols)
        m->partial = false;
    /* one key column whose cells have ids (the prefix's captured columns,
     * and EVALs of them): remembered per id, every value kept; partial
     * too (keyed on the columns there, as above) */
    if (m->state == 1 && m->nkey == 1 && !m->idv && !m->idoff) {
        const esql_ids *d = th_esql_ids_of(r, t->cols[m->cols[0]]);
        if (d) {
            m->idv = th_xmalloc((d->n ? d->n : 1) * sizeof *m->idv);
            for (uint32_t i = 0; i < d->n; i++)
                m->idv[i].pcol = ESQL_MEMO_UNSET;
            m->ids = d->ids;
            m->idcol = d->col;
        }
    }
    /* two or three: by their ids packed into a word (each under
     * 2^ESQL_MEMO_ID_BITS), where the table of earlier cells would only
     * hold 256 of them */
    if (m->state == 1 && m->nkey >= 2 && m->nkey <= ESQL_MEMO_CACHED && !m->idh && !m->idoff) {
        size_t k = 0;
        for (; k < m->nkey; k++) {
            const ev *col = t->cols[m->cols[k]];
            const esql_ids *d = th_esql_ids_of(r, col);
            esql_ids own = {.col = col};
            if (!d && r->prefix && (own.ids = memo_cell_ids(col, t->nrows, &own.n)))
                d = &own;
            free(m->idown[k]);
            m->idown[k] = own.ids;
            if (!d || d->n >= 1u << ESQL_MEMO_ID_BITS)
                break;
            /* a few cells (an EVAL's flag): keyed on them, not on the ids of
             * what made them; equal classes are ev_same_cell cells */
            const uint32_t *cv = th_esql_ids_values(r, t, col);
            m->idsk[k] = cv ? cv : d->ids;
            m->idcolk[k] = d->col;
            m->idsh[k] = (unsigned)(ESQL_MEMO_ID_BITS * k);
        }
        if (k == m->nkey) {
            m->idcap = 64;
            m->idh = th_xcalloc(m->idcap, sizeof *m->idh);
        }
    }
}

/* the value of the row's key in idh (a miss evaluated it) */
static void memo_id_put(esql_memo *m, uint64_t key, esql_memo_val v)
{
    if ((m->idlen + 1) * 2 > m->idcap) {
        esql_memo_ent *old = m->idh;
        size_t ocap = m->idcap;
        m->idcap *= 2;
        m->idh = th_xcalloc(m->idcap, sizeof *m->idh);
        for (size_t i = 0; i < ocap; i++) {
            if (!old[i].key)
                continue;
            size_t j = th_esql_memo_idslot(m, old[i].key);
            while (m->idh[j].key)
                j = (j + 1) & (m->idcap - 1);
            m->idh[j] = old[i];
        }
        free(old);
    }
    size_t j = th_esql_memo_idslot(m, key);
    while (m->idh[j].key)
        j = (j + 1) & (m->idcap - 1);
    m->idh[j] = (esql_memo_ent){key, v};
    m->idlen++;
}

void th_esql_memo_cache(esql_memo *m)
{
    m->cache = m->nsplit || m->nkey <= ESQL_MEMO_CACHED;
}

void th_esql_memo_free(esql_memo *m)
{
    for (size_t k = 0; m->sub && k < m->nsplit; k++)
        th_esql_memo_free(&m->sub[k]);
    free(m->sub);
    m->sub = NULL;
    free(m->slots);
    m->slots = NULL;
    memo_ids_free(m);
    memset(m->used, 0, sizeof m->used);
    m->have = false; /* the row before may have been a slot's */
    m->lin = m->in;
    m->lv = &m->v;
}

/* A split memo's value: its operands (conditions) in the order and up to
 * the point th_esql_eval (th_esql_call's CASE) evaluates them, each from
 * its own memo, keyed on its own columns. The self-created access key
 * rule's WHERE has `type == "IAMUser" AND access_key_id LIKE "AKIA*" AND
 * NOT (provider == ... AND action == ...)` in an OR with the creation's
 * four tests: five columns, one a key that is new on almost every row
 * (b100k: 1,168 misses in 1,182 rows, as many for its two CASE flags); so
 * split, only the part reading the key misses. */
static ev split_eval(erun *r, etab *t, size_t row, esql_memo *m)
{
    const xnode *x = m->x;
    bool cases = x->kind == X_CALL;
    if (!m->sub) {
        m->sub = th_xmalloc(m->nsplit * sizeof *m->sub);
        for (size_t k = 0; k < m->nsplit; k++) {
            th_esql_memo_init(&m->sub[k], x->kids[cases ? 2 * k : k]);
            if (m->cache)
                th_esql_memo_cache(&m->sub[k]);
        }
    }
    esql_memo *s = m->sub;
    if (cases) {
        size_t k = 0;
        for (; k < m->nsplit; k++)
            if (th_esql_true_memo(r, t, row, &s[k]))
                return x->kids[2 * k + 1]->lit;
        return 2 * k < x->nkids ? x->kids[2 * k]->lit : ev_null();
    }
    int a = th_esql_truth_memo(r, t, row, &s[0]);
    if (x->kind == X_NOT)
        return tv3(a < 0 ? -1 : !a);
    if (a == (x->kind == X_OR))
        return ev_bool(a == 1);
    int b = th_esql_truth_memo(r, t, row, &s[1]);
    if (b == (x->kind == X_OR))
        return ev_bool(b == 1);
    return tv3(a < 0 || b < 0 ? -1 : x->kind == X_AND);
}

/* th_esql_eval_memo past the row before and the table: the columns
 * resolved, the row evaluated and remembered (a table hit found here is
 * one th_esql_eval_memo could not look for: partial, or not warm yet) */
ev th_esql_eval_memo_call(erun *r, etab *t, size_t row, esql_memo *m)
{
    if (m->nsplit)
        return split_eval(r, t, row, m);
    if (m->state == 0 || m->partial)
        memo_resolve(r, t, m);
    if (m->state != 1)
        return th_esql_eval(r, t, row, m->x);
    if (m->idv || m->idh) {
        bool same = true;
        for (size_t k = 0; k < m->nkey; k++)
            same = same && t->cols[m->cols[k]] == (m->idv ? m->idcol : m->idcolk[k]);
        if (same) { /* the ids' first row: evaluated and kept (not found inline) */
            uint64_t w0 = r->warnings;
            int pick = m->picks ? case_pick(r, t, row, m->x) : -1;
            ev v = !m->picks ? th_esql_eval(r, t, row, m->x)
                   : pick < 0 ? ev_null() : th_esql_eval(r, t, row, m->x->kids[pick]);
            /* the evaluation loaded columns: key on those it read (memo_resolve
             * keys on them, afresh); the value is kept under that key */
            if (m->partial && t->ncols != m->tcols)
                memo_resolve(r, t, m);
            esql_memo_val mv = {v, pick >= 0 && m->x->kids[pick]->kind == X_COL ? pick_col(m, pick) : -1,
                                r->warnings - w0};
            if (r->err)
                return v;
            if (m->idv && t->cols[m->cols[0]] == m->idcol)
                m->idv[m->ids[row]] = mv;
            else if (m->idh && m->nkey >= 2)
                memo_id_put(m, th_esql_memo_idkey(m, row), mv);
            return v;
        }
        /* another array under a key column's index: by cells from here on */
        memo_ids_free(m);
        m->idoff = true;
    }
    /* the last row's cells are not the row's: th_esql_eval_memo compared
     * them (have is only set once state is 1, which it then stays) */
    size_t si = 0;
    esql_memo_slot *s = NULL;
    if (m->slots && m->nkey) {
        si = th_esql_memo_slot(t, row, m);
        s = &m->slots[si];
        if ((m->used[si / 64] >> (si % 64) & 1) && th_esql_memo_same(t, row, m, s->in)) {
            m->lin = s->in;
            m->lv = &s->v;
            m->have = true;
            r->warnings += s->v.warn;
            return memo_value(t, row, &s->v);
        }
    }
    uint64_t w0 = r->warnings;
    int pick = m->picks ? case_pick(r, t, row, m->x) : -1;
    ev v = !m->picks ? th_esql_eval(r, t, row, m->x) : pick < 0 ? ev_null() : th_esql_eval(r, t, row, m->x->kids[pick]);
    if (m->partial && t->ncols != m->tcols) { /* the evaluation loaded columns: key on those it read */
        memo_resolve(r, t, m);
        s = NULL;
        if (m->slots && m->nkey) {
            si = th_esql_memo_slot(t, row, m);
            s = &m->slots[si];
        }
    }
    m->have = r->err == NULL;
    for (size_t k = 0; k < m->nkey; k++)
        m->in[k] = t->cols[m->cols[k]][row];
    m->v.out = v;
    m->v.pcol = pick >= 0 && m->x->kids[pick]->kind == X_COL ? pick_col(m, pick) : -1;
    m->v.warn = r->warnings - w0;
    m->lin = m->in;
    m->lv = &m->v;
    if (s && m->have) {
        for (size_t k = 0; k < m->nkey; k++)
            s->in[k] = m->in[k];
        s->v = m->v;
        m->used[si / 64] |= 1ull << (si % 64);
    } else if (m->cache && !m->slots && ++m->misses == ESQL_MEMO_WARM) {
        m->slots = th_xmalloc(ESQL_MEMO_SLOTS * sizeof(esql_memo_slot));
    }
    return v;
}
