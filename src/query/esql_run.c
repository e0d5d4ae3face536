/* ES|QL: running a parsed query over documents, the result accessors, and
 * what the engine derives from a query (the lowered condition, the fields). */
#include <stdlib.h>
#include <string.h>

#include "base/vec.h"
#include "ecs/schema.h"
#include "query/esql_int.h"

static void drop_unread(erun *r, etab *t);

/* Keeps the rows marked in new arrays: a table may share its columns with
 * another (th_esql_run_rest's view of the prefix rows). The prefix's own
 * table is filtered in place, less the columns no later command reads: on a
 * broad rule nearly every row stays, and a copy of every column would be
 * fresh memory the size of the table. */
/* The rows keep marks: a bool is one byte, 0 or 1, so eight rows' count is
 * their word's bytes summed (no sum reaches a carry into the top byte):
 * ~2.5 -> ~0.5 instructions a row. */
static size_t count_kept(const bool *keep, size_t nrows)
{
    size_t n = 0, row = 0;
    for (; row + 8 <= nrows; row += 8) {
        uint64_t w;
        memcpy(&w, keep + row, sizeof w);
        n += (size_t)((w * 0x0101010101010101ull) >> 56);
    }
    for (; row < nrows; row++)
        n += keep[row];
    return n;
}

static void compact(erun *r, etab *t, const bool *keep)
{
    size_t n = count_kept(keep, t->nrows);
    if (r->prefix)
        drop_unread(r, t);
    if (n == t->nrows) { /* every row: the arrays stay (no command writes into them) */
        if (r->prefix)
            th_esql_ids_compact(r, t, NULL, 0);
        return;
    }
    /* the kept rows' indexes once (malloc'd: the arena's bytes are charged),
     * so that each column copies its n cells without testing every row: a
     * window's WHERE on NOW() keeps few of its groups, often none */
    size_t *at = th_xmalloc((n ? n : 1) * sizeof(size_t)), w = 0;
    for (size_t row = 0; row < t->nrows && w < n; row++)
        if (keep[row])
            at[w++] = row;
    /* ids are made in the prefix only, whose columns are filtered in place */
    if (r->prefix)
        th_esql_ids_compact(r, t, at, n);
    for (size_t c = 0; c < t->ncols; c++) { /* every cell is written: not zeroed first */
        ev *col = r->prefix ? t->cols[c] : th_arena_alloc(r->a, (n ? n : 1) * sizeof(ev));
        const ev *in = t->cols[c];
        for (size_t i = 0; i < n; i++)
            col[i] = in[at[i]];
        t->cols[c] = col;
    }
    long *doc = r->prefix ? t->doc : TH_ANEWN(r->a, long, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        doc[i] = t->doc[at[i]];
    free(at);
    t->doc = doc;
    t->nrows = n;
}

static void conjuncts(const xnode *x, const xnode **out, size_t *n, size_t max);

enum { WHERE_CONJ = 16, IMPLIED_FIELDS = 8 };

static size_t implied_fields(th_arena *a, const th_esql *q, size_t at, const xnode *x, th_str *f);

/* The prefix's WHERE at r->at over documents the routing selected
 * (th_esql_run_prefix_routed): per conjunct the routing holds exactly
 * (implied), the documents on which it is known TRUE (its fields plain
 * there), in arena a; NULL for the others. Skipping it must not change
 * what the prefix keeps in r->a either (its bytes are charged as the
 * rule's state, and reported): a column only this WHERE reads loads into
 * the WHERE's scratch, so it need not load at all; one a later command
 * reads loaded in r->a where the first row reaching the conjunct read it,
 * over the rows before this WHERE, so *load[k] names it to be loaded there
 * still. That is exact where the conjunct reads that one column (its first
 * leaf is evaluated on any row that reaches it); a conjunct reading several
 * is skipped only where all of them are the WHERE's own. */
static const uint8_t **implied_docs(erun *r, th_arena *a, const xnode **cj, size_t n, th_str **load)
{
    if (!r->prefix || r->ndocs == 0 || !r->plain)
        return NULL;
    const uint8_t **ok = TH_ANEWN(a, const uint8_t *, n);
    *load = TH_ANEWN(a, th_str, n);
    uint8_t *tmp = NULL;
    bool any = false;
    for (size_t k = 0; k < n; k++) {
        th_str f[IMPLIED_FIELDS];
        size_t nf = implied_fields(a, r->q, r->at, cj[k], f);
        if (nf == 0 || nf > IMPLIED_FIELDS)
            continue;
        size_t kept = 0; /* its columns that load into r->a */
        for (size_t i = 0; i < nf; i++)
            kept += th_esql_col_arena(r, f[i]) == r->a;
        if (kept > 0 && nf > 1)
            continue;
        uint8_t *all = th_arena_alloc(a, r->ndocs);
        bool known = true;
        for (size_t i = 0; i < nf && known; i++) {
            uint8_t *dst = i == 0 ? all : tmp ? tmp : (tmp = th_arena_alloc(a, r->ndocs));
            known = r->plain(r->pctx, f[i], dst);
            for (size_t d = 0; known && i > 0 && d < r->ndocs; d++)
                all[d] &= dst[d];
        }
        if (known) {
            ok[k] = all;
            (*load)[k] = kept ? f[0] : TH_STR_NULL;
            any = true;
        }
    }
    return any ? ok : NULL;
}

/* A chain of ANDs runs as its conjuncts, each remembered on its own
 * (esql_memo): `event.outcome == "success" AND user.name IS NOT NULL`
 * repeats its first value on nearly every row, the whole condition only
 * where every column it reads repeats. Row by row, the conjuncts are
 * evaluated in the order and up to the point X_AND evaluates them (a FALSE
 * one ends the row; a NULL one does not), so the same columns load in the
 * same order and the same warnings count; a row is kept when all are TRUE. */
static void do_where(erun *r, etab *t, const xnode *cond)
{
    bool *keep = TH_ANEWN(r->a, bool, t->nrows ? t->nrows : 1);
    /* in the prefix, the columns only this WHERE reads (a column per
     * document each) are released once it has filtered the rows */
    th_arena scratch;
    if (r->prefix) {
        th_arena_init(&scratch, 1 << 16);
        r->scratch = &scratch;
    }
    const xnode *cj[WHERE_CONJ];
    size_t n = 0;
    conjuncts(cond, cj, &n, WHERE_CONJ);
    if (n > WHERE_CONJ) {
        cj[0] = cond;
        n = 1;
    }
    th_str *load = NULL;
    const uint8_t **ok = implied_docs(r, r->prefix ? &scratch : r->a, cj, n, &load);
    esql_memo m[WHERE_CONJ];
    for (size_t k = 0; k < n; k++) {
        th_esql_memo_init(&m[k], cj[k]);
        th_esql_memo_cache(&m[k]);
    }
    /* Per document, whether the routing holds every one of the leading
     * conjuncts it decides (implied) TRUE there: the rows of a broad rule
     * pass all of them, and the loop below took three tests per row and
     * conjunct to find that. Such a row starts at the first conjunct after
     * them, having passed them as the loop would have: nothing evaluated,
     * only their pending loads made, in their order (lo: the first
     * conjunct whose load may still be pending); any other row runs the
     * loop from its first conjunct. The flags are 0 or 1 per byte, so a
     * word's AND is eight documents'. malloc'd: the arenas' bytes are
     * charged. */
    uint8_t *pass = NULL;
    size_t npass = 0, lo = 0;
    if (ok && ok[0]) {
        size_t nd = r->ndocs;
        pass = th_xmalloc(nd);
        memcpy(pass, ok[0], nd);
        for (npass = 1; npass < n && ok[npass]; npass++) {
            const uint8_t *o = ok[npass];
            size_t d = 0;
            for (; d + 8 <= nd; d += 8) {
                uint64_t x, y;
                memcpy(&x, pass + d, 8);
                memcpy(&y, o + d, 8);
                x &= y;
                memcpy(pass + d, &x, 8);
            }
            for (; d < nd; d++)
                pass[d] &= o[d];
        }
    }
    for (size_t row = 0; row < t->nrows; row++) {
        /* every conjunct known TRUE and loaded: a run of passing rows is
         * kept as it comes (ASN and OIDC rules: ~25 instructions a row in
         * the loop below) */
        if (pass && npass == n && lo == n) {
            const long *doc = t->doc;
            const size_t nrows = t->nrows;
            if (doc == r->rows0 && nrows == r->ndocs) { /* row i is document i: memchr's run */
                const uint8_t *z = memchr(pass + row, 0, nrows - row);
                size_t end = z ? (size_t)(z - pass) : nrows;
                memset(keep + row, true, end - row);
                row = end;
            }
            while (row < nrows && pass[doc[row]])
                keep[row++] = true;
            if (row == nrows)
                break;
        }
        bool all = true;
        size_t k = 0;
        if (pass && pass[t->doc[row]]) {
            k = npass;
            for (; lo < k; lo++)
                if (load[lo].p) { /* where the first row passing it would have loaded it */
                    th_etab_col(r, t, load[lo]);
                    load[lo] = TH_STR_NULL;
                }
        }
        for (; k < n; k++) {
            if (ok && ok[k]) {
                if (load[k].p) { /* where its evaluation would have loaded it */
                    th_etab_col(r, t, load[k]);
                    load[k] = TH_STR_NULL;
                }
                if (ok[k][t->doc[row]])
                    continue; /* TRUE: the routing evaluated it (implied) */
            }
            int b = th_esql_truth_memo(r, t, row, &m[k]);
            all = all && b == 1;
            if (b == 0)
                break;
        }
        keep[row] = all;
    }
    free(pass);
    for (size_t k = 0; k < n; k++)
        th_esql_memo_free(&m[k]);
    compact(r, t, keep);
    if (r->prefix) { /* compact dropped those columns */
        r->scratch = NULL;
        th_arena_free(&scratch);
    }
}

/* A WHERE whose first conjuncts read neither NOW() nor a document, run in
 * two parts over a table kept from run to run (esql_inc.c, Same): those
 * first conjuncts once, then the others in each run, row by row as
 * do_where runs them all (the same conjuncts evaluated on the same rows, so
 * the same warnings once the first part's are counted again). */
size_t th_esql_where_split(const xnode *cond)
{
    const xnode *cj[WHERE_CONJ];
    size_t n = 0;
    conjuncts(cond, cj, &n, WHERE_CONJ);
    if (n > WHERE_CONJ)
        return 0;
    size_t k = 0;
    while (k < n && !th_esql_reads_run(cj[k]))
        k++;
    return k < n ? k : 0;
}

/* per row: 0 a first conjunct is FALSE (the row is out), 1 all are TRUE,
 * 2 else (the others still run; the row is out) */
uint8_t *th_esql_where_first(erun *r, etab *t, const xnode *cond, size_t nfirst)
{
    uint8_t *st = TH_ANEWN(r->a, uint8_t, t->nrows ? t->nrows : 1);
    const xnode *cj[WHERE_CONJ];
    size_t n = 0;
    conjuncts(cond, cj, &n, WHERE_CONJ);
    esql_memo m[WHERE_CONJ];
    for (size_t k = 0; k < nfirst; k++) {
        th_esql_memo_init(&m[k], cj[k]);
        th_esql_memo_cache(&m[k]);
    }
    for (size_t row = 0; row < t->nrows; row++) {
        uint8_t v = 1;
        for (size_t k = 0; k < nfirst; k++) {
            int b = th_esql_truth_memo(r, t, row, &m[k]);
            if (b == 0) {
                v = 0;
                break;
            }
            if (b < 0)
                v = 2;
        }
        st[row] = v;
    }
    for (size_t k = 0; k < nfirst; k++)
        th_esql_memo_free(&m[k]);
    return st;
}

void th_esql_where_then(erun *r, etab *t, const xnode *cond, size_t nfirst, const uint8_t *first)
{
    bool *keep = TH_ANEWN(r->a, bool, t->nrows ? t->nrows : 1);
    const xnode *cj[WHERE_CONJ];
    size_t n = 0;
    conjuncts(cond, cj, &n, WHERE_CONJ);
    esql_memo m[WHERE_CONJ];
    for (size_t k = nfirst; k < n; k++) {
        th_esql_memo_init(&m[k], cj[k]);
        th_esql_memo_cache(&m[k]);
    }
    for (size_t row = 0; row < t->nrows; row++) {
        bool all = first[row] == 1;
        for (size_t k = nfirst; k < n && first[row]; k++) {
            int b = th_esql_truth_memo(r, t, row, &m[k]);
            all = all && b == 1;
            if (b == 0)
                break;
        }
        keep[row] = all;
    }
    for (size_t k = nfirst; k < n; k++)
        th_esql_memo_free(&m[k]);
    compact(r, t, keep);
}

/* An EVAL's column by its key column's ids (d) whose cells are few (a flag
 * per action or organisation): its ids' classes, the cell of each id
 * remembered (idv) by ev_same_cell in order of id, so that a memo over two
 * or three such columns keys on the few cells, not on the ids' products
 * (th_esql_ids_values); none where the cells are as many as the ids or over
 * EVAL_CLASSES. */
enum { EVAL_CLASSES = 16 };
static void eval_classes(erun *r, const ev *col, const esql_memo *m, const esql_ids *d)
{
    const esql_memo_val *rep[EVAL_CLASSES];
    uint32_t *cls = th_xmalloc((d->n ? d->n : 1) * sizeof *cls);
    uint32_t n = 0, set = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        const esql_memo_val *v = &m->idv[i];
        cls[i] = UINT32_MAX; /* for now */
        if (v->pcol == ESQL_MEMO_UNSET)
            continue;
        set++;
        uint32_t c = 0;
        while (c < n && !ev_same_cell(&rep[c]->out, &v->out))
            c++;
        if (c == EVAL_CLASSES) {
            free(cls);
            return;
        }
        if (c == n)
            rep[n++] = v;
        cls[i] = c;
    }
    if (n >= set) {
        free(cls);
        return;
    }
    /* an id no row here evaluated (rows a WHERE dropped before): a class of
     * its own, so a row with it, if any, could share its key with no other */
    uint32_t ncls = n;
    for (uint32_t i = 0; i < d->n; i++)
        if (cls[i] == UINT32_MAX)
            cls[i] = ncls++;
    th_esql_ids_classes(r, col, cls, ncls);
}

/* An EVAL that picks one of its argument columns (COALESCE, CASE) and
 * picked the same one, the cell as it is, on every row (the k8s rule's
 * access key: a GROK output that matched no row, else the identity's key):
 * its cells are that column's, so that column's cell ids hold for it too,
 * and the panes group by them (group_ids) where they grouped by the cells'
 * hash. Equal ids are the very same cells (ev_same_cell) in both columns.
 * Out of line: once per EVAL, and in line GCC laid out do_eval's memo
 * loops anew for +0.65 M (b100k pack). */
__attribute__((noinline)) static void picked_ids(erun *r, const etab *t, const xnode *x,
                                                 const ev *col)
{
    for (size_t k = 0; t->nrows && k < x->nkids; k++) {
        const xnode *kid = x->kids[k];
        long c = kid->kind == X_COL ? th_etab_find(t, kid->name) : -1;
        if (c < 0)
            continue;
        const ev *src = t->cols[c];
        const esql_ids *d = th_esql_ids_of(r, src);
        if (!d || d->n == 0)
            continue;
        size_t row = 0;
        while (row < t->nrows && ev_same_cell(&col[row], &src[row]))
            row++;
        if (row == t->nrows) {
            th_esql_ids_add(r, col, d->ids, d->n);
            return;
        }
    }
}

static void do_eval(erun *r, etab *t, const cmd *c)
{
    for (size_t k = 0; k < c->nas; k++) {
        ev *col = th_arena_alloc(r->a, (t->nrows ? t->nrows : 1) * sizeof(ev)); /* every row is set */
        esql_memo m;
        th_esql_memo_init(&m, c->as[k].x);
        th_esql_memo_cache(&m);
        for (size_t row = 0; row < t->nrows; row++) {
            col[row] = th_esql_eval_memo(r, t, row, &m);
            /* by one column's cell ids (idv): th_esql_eval_memo_at's first
             * branch with the memo's arrays in locals, until an id not yet
             * remembered (the call, then the arrays again). Nothing else
             * runs between the rows here, so the key column stays idcol. */
            if (!m.idv || t->cols[m.cols[0]] != m.idcol)
                continue;
            const esql_memo_val *idv = m.idv;
            const uint32_t *ids = m.ids;
            ev *const *cols = t->cols;
            uint64_t warn = 0;
            size_t next = row + 1;
            for (; next < t->nrows; next++) {
                const esql_memo_val *v = &idv[ids[next]];
                if (v->pcol == ESQL_MEMO_UNSET)
                    break;
                warn += v->warn;
                col[next] = v->pcol < 0 ? v->out : cols[v->pcol][next];
            }
            r->warnings += warn;
            row = next - 1;
        }
        /* remembered by its one column's cell ids from the first row on
         * (memo_resolve), every row's cell is its id's: the ids hold */
        const esql_ids *d = m.idv && !m.picks ? th_esql_ids_of(r, m.idcol) : NULL;
        if (d) {
            th_esql_ids_add(r, col, d->ids, d->n);
            eval_classes(r, col, &m, d);
        } else if (r->ids) {
            picked_ids(r, t, c->as[k].x, col);
        }
        th_esql_memo_free(&m);
        th_etab_set(r, t, c->as[k].name, col);
    }
}

static void do_rename(erun *r, etab *t, const cmd *c)
{
    for (size_t k = 0; k + 1 < c->nnames; k += 2) {
        long col = th_etab_col(r, t, c->names[k]);
        if (col < 0) {
            r->err = "RENAME: unknown column";
            return;
        }
        ev *vals = t->cols[col];
        memmove(t->names + col, t->names + col + 1, (t->ncols - (size_t)col - 1) * sizeof(th_str));
        memmove(t->cols + col, t->cols + col + 1, (t->ncols - (size_t)col - 1) * sizeof(ev *));
        t->ncols--;
        bool src = r->source;
        r->source = false;
        th_etab_set(r, t, c->names[k + 1], vals);
        r->source = src;
    }
}

static void do_mv_expand(erun *r, etab *t, const cmd *c)
{
    long col = th_etab_col(r, t, c->names[0]);
    if (col < 0) {
        r->err = "MV_EXPAND: unknown column";
        return;
    }
    size_t n = 0;
    for (size_t row = 0; row < t->nrows; row++)
        n += t->cols[col][row].n > 1 ? t->cols[col][row].n : 1;
    etab o = *t;
    o.nrows = n;
    o.cols = TH_ANEWN(r->a, ev *, t->ncols ? t->ncols : 1);
    o.capcols = t->ncols ? t->ncols : 1;
    o.names = TH_ANEWN(r->a, th_str, o.capcols);
    memcpy(o.names, t->names, t->ncols * sizeof(th_str));
    o.doc = TH_ANEWN(r->a, long, n ? n : 1);
    for (size_t k = 0; k < t->ncols; k++)
        o.cols[k] = TH_ANEWN(r->a, ev, n ? n : 1);
    size_t w = 0;
    for (size_t row = 0; row < t->nrows; row++) {
        ev v = t->cols[col][row];
        uint32_t m = v.n > 1 ? v.n : 1;
        for (uint32_t i = 0; i < m; i++, w++) {
            for (size_t k = 0; k < t->ncols; k++)
                o.cols[k][w] = t->cols[k][row];
            if (v.n > 1)
                o.cols[col][w] = (ev){v.t, 1, {.one = v.many[i]}};
            o.doc[w] = t->doc[row];
        }
    }
    *t = o;
}

void th_esql_run_cmds(erun *r, th_esql_result *res, size_t from, size_t to)
{
    const th_esql *q = r->q;
    etab *t = &res->t;
    for (size_t i = from; i < to && !r->err; i++) {
        const cmd *c = &q->cmds[i];
        r->at = i;
        res->rows_in[i] = t->nrows;
        switch (c->kind) {
        case C_WHERE: {
            const xnode *cond = res->where && i < res->next ? res->where[i] : c->cond;
            if (cond)
                do_where(r, t, cond);
            break;
        }
        case C_EVAL: do_eval(r, t, c); break;
        case C_STATS:
            th_esql_stats(r, t, c);
            r->source = false;
            break;
        case C_KEEP: th_esql_keep(r, t, c, false); break;
        case C_DROP: th_esql_keep(r, t, c, true); break;
        case C_RENAME: do_rename(r, t, c); break;
        case C_SORT: th_esql_sort(r, t, c); break;
        case C_LIMIT:
            if ((int64_t)t->nrows > c->limit)
                t->nrows = c->limit < 0 ? 0 : (size_t)c->limit;
            break;
        case C_DISSECT: th_esql_dissect(r, t, c); break;
        case C_GROK: th_esql_grok(r, t, c); break;
        case C_MV_EXPAND: do_mv_expand(r, t, c); break;
        default: break;
        }
        res->rows_out[i] = t->nrows;
        if (res->tracked)
            res->tracked[i] = th_esql_tracked_rows(res);
    }
}

th_esql_result *th_esql_new_result(th_arena *a, const th_esql *q)
{
    th_esql_result *res = TH_ANEW(a, th_esql_result);
    res->track = -1;
    res->ncmds = q->ncmds;
    res->rows_in = TH_ANEWN(a, size_t, q->ncmds);
    res->rows_out = TH_ANEWN(a, size_t, q->ncmds);
    return res;
}

static void source_rows(th_arena *a, th_esql_result *res, size_t n)
{
    etab *t = &res->t;
    t->nrows = n;
    t->doc = th_arena_alloc(a, (n ? n : 1) * sizeof(long)); /* every row is set: not zeroed first */
    for (size_t i = 0; i < n; i++)
        t->doc[i] = (long)i;
    res->rows_in[0] = res->rows_out[0] = n;
}

th_esql_result *th_esql_finish(erun *r, th_esql_result *res, size_t limit, const char **err)
{
    if (r->err) {
        *err = r->err;
        return NULL;
    }
    size_t cap = limit ? limit : r->q->has_limit ? SIZE_MAX : 1000;
    if (res->t.nrows > cap)
        res->t.nrows = cap;
    res->warnings = r->warnings;
    res->source = r->source;
    *err = NULL;
    return res;
}

th_esql_result *th_esql_run(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                            int64_t now_ms, size_t limit, const char **err)
{
    return th_esql_run_traced(a, q, docs, n, now_ms, limit, SIZE_MAX, err);
}

th_esql_result *th_esql_run_traced(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                                   int64_t now_ms, size_t limit, size_t track, const char **err)
{
    erun r = {.a = a, .q = q, .docs = docs, .ndocs = n, .now = now_ms, .source = true, .track = -1};
    th_esql_result *res = th_esql_new_result(a, q);
    source_rows(a, res, n);
    r.rows0 = res->t.doc;
    if (track < n) {
        r.track = (long)track;
        res->track = (long)track;
        res->tracked = TH_ANEWN(a, size_t, q->ncmds);
        res->tracked[0] = 1;
    }
    th_esql_run_cmds(&r, res, 1, q->ncmds);
    return th_esql_finish(&r, res, limit, err);
}

size_t th_esql_tracked_rows(const th_esql_result *r)
{
    size_t n = 0;
    for (size_t row = 0; r->track >= 0 && row < r->t.nrows; row++)
        n += r->t.doc[row] == r->track || r->t.doc[row] == ESQL_TRACKED;
    return n;
}

size_t th_esql_cmd_tracked(const th_esql_result *r, size_t i)
{
    return r->tracked && i < r->ncmds ? r->tracked[i] : 0;
}

static bool uses_now(const xnode *x)
{
    if (!x)
        return false;
    if (x->kind == X_CALL && x->fn == F_NOW)
        return true;
    for (size_t k = 0; k < x->nkids; k++)
        if (uses_now(x->kids[k]))
            return true;
    return false;
}

bool th_esql_uses_now(const xnode *x) { return uses_now(x); }

bool th_esql_reads_run(const xnode *x)
{
    if (!x)
        return false;
    if (x->kind == X_CALL && (x->fn == F_NOW || x->fn == F_KQL))
        return true;
    for (size_t k = 0; k < x->nkids; k++)
        if (th_esql_reads_run(x->kids[k]))
            return true;
    return false;
}

/* the first command that cannot run once per document, ignoring WHERE */
static size_t head_end(const th_esql *q)
{
    size_t i = 1;
    for (; i < q->ncmds; i++) {
        const cmd *c = &q->cmds[i];
        if (c->kind == C_STATS || c->kind == C_SORT || c->kind == C_LIMIT)
            break;
        bool now = false;
        for (size_t k = 0; k < c->nas; k++)
            now |= uses_now(c->as[k].x);
        if (now)
            break;
    }
    return i;
}

static void conjuncts(const xnode *x, const xnode **out, size_t *n, size_t max)
{
    if (x->kind == X_AND) {
        conjuncts(x->kids[0], out, n, max);
        conjuncts(x->kids[1], out, n, max);
    } else if (*n < max) {
        out[(*n)++] = x;
    } else {
        (*n)++;
    }
}

static bool reads_col(const xnode *x, th_str name)
{
    if (x->kind == X_COL && th_str_eq(x->name, name))
        return true;
    for (size_t k = 0; k < x->nkids; k++)
        if (reads_col(x->kids[k], name))
            return true;
    return false;
}

/* Some memo may key on column name (an expression other than the bare
 * column reads it: a WHERE, an EVAL, an aggregate's argument or filter, a
 * computed BY), or a STATS groups by it (th_esql_group by ids), or VALUES,
 * COUNT_DISTINCT, MIN or MAX take it bare (the panes' part_loop passes a
 * row whose id is the row before's), so that its cells' ids are worth
 * making (esql_ids); any column where a RENAME could give it another name. */
bool th_esql_memo_reads(const th_esql *q, th_str name)
{
    for (size_t i = 0; i < q->ncmds; i++) {
        const cmd *c = &q->cmds[i];
        if (c->kind == C_RENAME || (c->kind == C_WHERE && c->cond && reads_col(c->cond, name)))
            return true;
        for (size_t k = 0; (c->kind == C_EVAL || c->kind == C_STATS) && k < c->nas; k++) {
            const assign *as = &c->as[k];
            const xnode *x = c->kind == C_EVAL ? as->x : as->x->nkids ? as->x->kids[0] : NULL;
            if ((as->filter && reads_col(as->filter, name)) || (x && x->kind != X_COL && reads_col(x, name)))
                return true;
            int fn = c->kind == C_STATS ? as->x->fn : -1;
            if (x && x->kind == X_COL && !as->filter && th_str_eq(x->name, name) &&
                (fn == F_VALUES || fn == F_COUNT_DISTINCT || fn == F_MIN || fn == F_MAX))
                return true;
        }
        for (size_t k = 0; c->kind == C_STATS && k < c->nby; k++)
            if (c->by[k].x && reads_col(c->by[k].x, name))
                return true;
    }
    return false;
}

/* A condition on NOW() in a WHERE at i may move to just before command end
 * (a later filter keeps the same rows: AND is a conjunction of filters) when
 * no command between changes a column it reads or the rows themselves. */
static bool movable(const th_esql *q, size_t i, size_t end, const xnode *x)
{
    for (size_t j = i + 1; j < end; j++) {
        const cmd *c = &q->cmds[j];
        switch (c->kind) {
        case C_WHERE: break;
        case C_EVAL:
            for (size_t k = 0; k < c->nas; k++)
                if (reads_col(x, c->as[k].name))
                    return false;
            break;
        case C_DISSECT:
        case C_GROK:
            for (size_t k = 0; k < c->nout; k++)
                if (reads_col(x, c->outcols[k]))
                    return false;
            break;
        default: return false; /* KEEP, DROP, RENAME, MV_EXPAND */
        }
    }
    return true;
}

static xnode *and_of(th_arena *a, xnode *l, const xnode *x)
{
    if (!l)
        return (xnode *)x;
    xnode *n = TH_ANEW(a, xnode);
    n->kind = X_AND;
    n->kids = TH_ANEWN(a, xnode *, 2);
    n->kids[0] = l;
    n->kids[1] = (xnode *)x;
    n->nkids = 2;
    n->line = x->line;
    n->col = x->col;
    return n;
}

enum { MAX_CONJ = 64 };

/* Plans the prefix: its end, and for WHEREs that mix row-local conditions
 * with conditions on NOW() (`@timestamp >= NOW() - 7 days`), the row-local
 * part to run once (res->where) and the rest to run per window
 * (res->deferred). Without a movable NOW() condition the prefix ends at the
 * first WHERE that reads NOW(), as before. */
static void plan_prefix(th_arena *a, const th_esql *q, th_esql_result *res)
{
    size_t end = head_end(q);
    bool ok = true;
    for (size_t i = 1; i < end && ok; i++) {
        const cmd *c = &q->cmds[i];
        if (c->kind != C_WHERE || !uses_now(c->cond))
            continue;
        const xnode *cj[MAX_CONJ];
        size_t n = 0;
        conjuncts(c->cond, cj, &n, MAX_CONJ);
        ok = n <= MAX_CONJ;
        for (size_t k = 0; k < n && ok; k++)
            ok = !uses_now(cj[k]) || movable(q, i, end, cj[k]);
    }
    if (!ok) { /* the old plan: stop at the first WHERE on NOW() */
        for (size_t i = 1; i < end; i++)
            if (q->cmds[i].kind == C_WHERE && uses_now(q->cmds[i].cond)) {
                end = i;
                break;
            }
        res->next = end;
        return;
    }
    res->next = end;
    xnode *deferred = NULL;
    for (size_t i = 1; i < end; i++) {
        const cmd *c = &q->cmds[i];
        if (c->kind != C_WHERE || !uses_now(c->cond))
            continue;
        if (!res->where) {
            res->where = TH_ANEWN(a, const xnode *, q->ncmds);
            for (size_t j = 0; j < q->ncmds; j++)
                res->where[j] = q->cmds[j].cond;
        }
        const xnode *cj[MAX_CONJ];
        size_t n = 0;
        conjuncts(c->cond, cj, &n, MAX_CONJ);
        xnode *local = NULL;
        for (size_t k = 0; k < n; k++) {
            if (uses_now(cj[k]))
                deferred = and_of(a, deferred, cj[k]);
            else
                local = and_of(a, local, cj[k]);
        }
        res->where[i] = local;
    }
    res->deferred = deferred;
}

static bool reads(const xnode *x, th_str name) { return x && reads_col(x, name); }

/* Whether a command after i may read column name: a later one up to the
 * STATS that replaces the columns (a WHERE, EVAL or the STATS itself), or
 * the prefix's conditions deferred to each window. True when that cannot
 * be told (another command) or every column is output (no STATS). */
static bool read_after(const th_esql_result *res, const th_esql *q, size_t i, th_str name)
{
    if (reads(res->deferred, name))
        return true;
    for (size_t j = i + 1; j < q->ncmds; j++) {
        const cmd *c = &q->cmds[j];
        switch (c->kind) {
        case C_WHERE:
            if (reads(c->cond, name))
                return true;
            break;
        case C_EVAL:
            for (size_t k = 0; k < c->nas; k++)
                if (reads(c->as[k].x, name))
                    return true;
            break;
        case C_STATS:
            for (size_t k = 0; k < c->nas; k++)
                if (reads(c->as[k].x, name) || reads(c->as[k].filter, name))
                    return true;
            for (size_t k = 0; k < c->nby; k++)
                if (th_str_eq(c->by[k].name, name) || reads(c->by[k].x, name))
                    return true;
            return false;
        default: return true;
        }
    }
    return true;
}

/* The prefix's columns that no later command reads (`event.dataset ==
 * "aws.cloudtrail"` in a leading WHERE): not kept for every row, nor
 * loaded again at the end of the prefix. */
static void drop_unread(erun *r, etab *t)
{
    size_t w = 0;
    for (size_t c = 0; c < t->ncols; c++) {
        if (!read_after(r->prefix, r->q, r->at, t->names[c]))
            continue;
        t->names[w] = t->names[c];
        t->cols[w++] = t->cols[c];
    }
    t->ncols = w;
}

th_arena *th_esql_col_arena(const erun *r, th_str name)
{
    return r->scratch && !read_after(r->prefix, r->q, r->at, name) ? r->scratch : r->a;
}

size_t th_esql_prefix_end(const th_esql *q)
{
    th_arena a;
    th_arena_init(&a, 1024);
    th_esql_result res = {0};
    plan_prefix(&a, q, &res);
    th_arena_free(&a);
    return res.next;
}

const xnode *th_esql_prefix_deferred(th_arena *a, const th_esql *q)
{
    th_esql_result res = {0};
    plan_prefix(a, q, &res);
    return res.deferred;
}

th_esql_result *th_esql_run_prefix(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                                   const char **err)
{
    return th_esql_run_prefix_routed(a, q, docs, n, NULL, NULL, err);
}

th_esql_result *th_esql_run_prefix_routed(th_arena *a, const th_esql *q, const th_esql_doc *docs,
                                          size_t n, th_esql_plain_fn plain, const void *ctx,
                                          const char **err)
{
    return th_esql_run_prefix_keyed(a, q, docs, n, plain, NULL, ctx, err);
}

static th_esql_result *prefix_run(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                                  th_esql_plain_fn plain, th_esql_key_texts_fn texts,
                                  th_esql_key_ids_fn key_ids, const void *ctx, const char **err,
                                  th_esql_ids **keep)
{
    th_esql_result *res = th_esql_new_result(a, q);
    erun r = {.a = a,
              .q = q,
              .docs = docs,
              .ndocs = n,
              .source = true,
              .track = -1,
              .prefix = res,
              .plain = plain,
              .pctx = ctx,
              .texts = texts,
              .key_ids = key_ids,
              .ids = th_xcalloc(1, sizeof(esql_idset))};
    source_rows(a, res, n);
    r.rows0 = res->t.doc;
    plan_prefix(a, q, res);
    th_esql_run_cmds(&r, res, 1, res->next);
    if (r.source && !r.err) { /* load once what later commands read of the documents */
        th_str f[256];
        bool pat;
        size_t nf = th_esql_fields(q, f, 256, &pat);
        for (size_t i = 0; i < nf && i < 256; i++)
            if (read_after(res, q, res->next - 1, f[i]))
                th_etab_col(&r, &res->t, f[i]);
    }
    th_esql_result *out = th_esql_finish(&r, res, SIZE_MAX, err);
    if (keep)
        *keep = NULL;
    if (out && keep && r.ids->nids) {
        th_esql_ids_compact(&r, &out->t, NULL, 0); /* those of its columns only */
        *keep = r.ids;
    } else {
        th_esql_ids_free(r.ids);
    }
    return out;
}

th_esql_result *th_esql_run_prefix_keyed(th_arena *a, const th_esql *q, const th_esql_doc *docs, size_t n,
                                         th_esql_plain_fn plain, th_esql_key_texts_fn texts, const void *ctx,
                                         const char **err)
{
    return prefix_run(a, q, docs, n, plain, texts, NULL, ctx, err, NULL);
}

th_esql_result *th_esql_run_prefix_kept(th_arena *a, const th_esql *q, const th_esql_doc *docs,
                                        size_t n, th_esql_plain_fn plain,
                                        th_esql_key_texts_fn texts, th_esql_key_ids_fn key_ids,
                                        const void *ctx, th_esql_ids **ids, const char **err)
{
    return prefix_run(a, q, docs, n, plain, texts, key_ids, ctx, err, ids);
}

th_esql_result *th_esql_run_rest(th_arena *a, const th_esql *q, const th_esql_result *pre,
                                 const th_esql_doc *docs, size_t ndocs, size_t dlo, size_t dhi,
                                 int64_t now_ms, size_t limit, const char **err)
{
    erun r = {.a = a, .q = q, .docs = docs, .ndocs = ndocs, .now = now_ms, .source = pre->source, .track = -1};
    th_esql_result *res = th_esql_new_result(a, q);
    const etab *in = &pre->t;
    size_t lo = 0, hi = in->nrows; /* rows are in document order */
    while (lo < hi && (size_t)in->doc[lo] < dlo)
        lo++;
    while (hi > lo && (size_t)in->doc[hi - 1] >= dhi)
        hi--;
    etab *t = &res->t;
    t->nrows = hi - lo;
    t->ncols = t->capcols = in->ncols;
    t->names = TH_ANEWN(a, th_str, in->ncols ? in->ncols : 1);
    t->cols = TH_ANEWN(a, ev *, in->ncols ? in->ncols : 1);
    if (in->ncols)
        memcpy(t->names, in->names, in->ncols * sizeof(th_str));
    /* a view: commands never write into the cells of their input */
    for (size_t c = 0; c < in->ncols; c++)
        t->cols[c] = in->cols[c] + lo;
    t->doc = in->doc + lo;
    for (size_t i = 0; i < pre->next && i < q->ncmds; i++) {
        res->rows_in[i] = pre->rows_in[i];
        res->rows_out[i] = pre->rows_out[i];
    }
    if (pre->deferred) /* the prefix's conditions on NOW(), for this window */
        do_where(&r, t, pre->deferred);
    th_esql_run_cmds(&r, res, pre->next, q->ncmds);
    return th_esql_finish(&r, res, limit, err);
}

size_t th_esql_ncols(const th_esql_result *r) { return r->t.ncols; }
size_t th_esql_nrows(const th_esql_result *r) { return r->t.nrows; }
th_str th_esql_colname(const th_esql_result *r, size_t c) { return r->t.names[c]; }
uint64_t th_esql_warnings(const th_esql_result *r) { return r->warnings; }
long th_esql_row_doc(const th_esql_result *r, size_t row) { return r->t.doc[row]; }

const char *th_esql_coltype(const th_esql_result *r, size_t c)
{
    for (size_t row = 0; row < r->t.nrows; row++)
        if (r->t.cols[c][row].n)
            return th_ev_type_name(r->t.cols[c][row].t);
    return "null";
}

th_jval *th_esql_cell(th_arena *a, const th_esql_result *r, size_t row, size_t col)
{
    return th_ev_json(a, &r->t.cols[col][row]);
}

void th_esql_cmd_rows(const th_esql_result *r, size_t i, size_t *in, size_t *out)
{
    *in = i < r->ncmds ? r->rows_in[i] : 0;
    *out = i < r->ncmds ? r->rows_out[i] : 0;
}

/* ---- lowering ------------------------------------------------------------ */

typedef struct lctx {
    th_arena *a;
    th_str *defined;
    size_t ndef, capdef;
} lctx;

static bool is_defined(const lctx *l, th_str name)
{
    for (size_t i = 0; i < l->ndef; i++)
        if (th_str_eq(l->defined[i], name))
            return true;
    return false;
}

static void define(lctx *l, th_str name)
{
    if (l->ndef == l->capdef) {
        size_t nc = l->capdef ? l->capdef * 2 : 16;
        l->defined = th_arena_realloc(l->a, l->defined, l->capdef * sizeof(th_str), nc * sizeof(th_str));
        l->capdef = nc;
    }
    l->defined[l->ndef++] = name;
}

/* a source field whose values compare as keyword text */
static bool keyword_col(const lctx *l, const xnode *x)
{
    if (x->kind != X_COL || is_defined(l, x->name) || x->name.p[0] == '_')
        return false;
    const th_field_def *d = th_schema_lookup(x->name);
    return d && th_ftype_is_keyword_like(d->type) && !d->parent;
}

static bool source_col(const lctx *l, const xnode *x)
{
    return x->kind == X_COL && !is_defined(l, x->name) && x->name.p[0] != '_' &&
           th_schema_lookup(x->name) != NULL;
}

static bool kw_lit(const xnode *x) { return x->kind == X_LIT && x->lit.t == EV_KW; }

static th_ir *maybe_not(lctx *l, th_ir *ir, bool neg) { return neg ? th_ir_not(l->a, ir) : ir; }

/* A condition true wherever x is TRUE (see esql.h); NULL: none. *exact: the
 * condition is also false wherever x is FALSE (so it may sit under NOT). */
static th_ir *lower(lctx *l, const xnode *x, bool *exact)
{
    *exact = false;
    switch (x->kind) {
    case X_AND:
    case X_OR: {
        bool e1, e2;
        th_ir *a = lower(l, x->kids[0], &e1), *b = lower(l, x->kids[1], &e2);
        if (x->kind == X_OR && (!a || !b))
            return NULL;
        if (!a || !b) {
            return a ? a : b;
        }
        th_ir *kids[2] = {a, b};
        *exact = e1 && e2;
        return th_ir_bool(l->a, x->kind == X_AND ? TH_IR_AND : TH_IR_OR, kids, 2);
    }
    case X_NOT: {
        bool e;
        th_ir *k = lower(l, x->kids[0], &e);
        if (!k || !e)
            return NULL;
        *exact = true;
        return th_ir_not(l->a, k);
    }
    case X_CMP: {
        if (x->op != CMP_EQ && x->op != CMP_NE)
            return NULL;
        const xnode *c = x->kids[0], *v = x->kids[1];
        if (!keyword_col(l, c)) {
            c = x->kids[1];
            v = x->kids[0];
        }
        if (!keyword_col(l, c) || !kw_lit(v))
            return NULL;
        *exact = true;
        return maybe_not(l, th_ir_leaf(l->a, TH_IR_TERM, c->name, v->lit.one.s, 0), x->op == CMP_NE);
    }
    case X_IN: {
        if (!keyword_col(l, x->kids[0]))
            return NULL;
        for (size_t k = 1; k < x->nkids; k++)
            if (!kw_lit(x->kids[k]))
                return NULL;
        th_ir *ir = th_ir_new(l->a, TH_IR_TERMS);
        ir->field = x->kids[0]->name;
        ir->nvalues = x->nkids - 1;
        ir->values = TH_ANEWN(l->a, th_str, ir->nvalues);
        for (size_t k = 1; k < x->nkids; k++)
            ir->values[k - 1] = x->kids[k]->lit.one.s;
        *exact = true;
        return maybe_not(l, ir, x->neg);
    }
    case X_LIKE:
    case X_RLIKE:
        if (!keyword_col(l, x->kids[0]))
            return NULL;
        *exact = true;
        return maybe_not(l,
                         th_ir_leaf(l->a, x->kind == X_LIKE ? TH_IR_WILDCARD : TH_IR_REGEX,
                                    x->kids[0]->name, x->kids[1]->lit.one.s, 0),
                         x->neg);
    case X_ISNULL:
        if (!source_col(l, x->kids[0]))
            return NULL;
        *exact = true;
        return maybe_not(l, th_ir_leaf(l->a, TH_IR_EXISTS, x->kids[0]->name, TH_STR_NULL, 0), !x->neg);
    default:
        return NULL;
    }
}

static void define_outputs(lctx *l, const cmd *c)
{
    switch (c->kind) {
    case C_EVAL:
        for (size_t k = 0; k < c->nas; k++)
            define(l, c->as[k].name);
        break;
    case C_DISSECT:
    case C_GROK:
        for (size_t k = 0; k < c->nout; k++)
            define(l, c->outcols[k]);
        break;
    case C_RENAME:
        for (size_t k = 0; k + 1 < c->nnames; k += 2) {
            define(l, c->names[k]);
            define(l, c->names[k + 1]);
        }
        break;
    case C_MV_EXPAND:
        define(l, c->names[0]);
        break;
    default:
        break;
    }
}

th_ir *th_esql_lower(th_arena *a, const th_esql *q)
{
    lctx l = {.a = a};
    TH_VEC(th_ir *) conj = {0};
    for (size_t i = 1; i < q->ncmds; i++) {
        const cmd *c = &q->cmds[i];
        if (c->kind == C_STATS || c->kind == C_LIMIT)
            break;
        if (c->kind == C_WHERE) {
            bool e;
            th_ir *ir = lower(&l, c->cond, &e);
            if (ir)
                TH_VEC_PUSH(&conj, ir);
        }
        define_outputs(&l, c);
    }
    th_ir *out = NULL;
    if (conj.len == 1)
        out = conj.items[0];
    else if (conj.len > 1)
        out = th_ir_bool(a, TH_IR_AND, conj.items, conj.len);
    TH_VEC_FREE(&conj);
    return out;
}

/* ---- conjuncts the routing decided ---------------------------------------- */

/* A condition of the prefix's WHERE that the lowered condition holds as it
 * is (every leaf lowered, so the IR is the same tree of ANDs and ORs), made
 * only of leaves that ES|QL finds TRUE wherever the IR's leaf is TRUE, on a
 * document where the leaf's field holds no value or one string (plain):
 *  - `f == "s"`, `f IN ("s", ...)`, `f LIKE "p"`, `f IS NOT NULL` on a
 *    keyword field proper (keyword or constant_keyword, no multi-field;
 *    the IR reads neither's declared constant): the IR (CT_KW_EQ,
 *    CT_KW_SET, CT_KW_WILD with the pattern th_q_wild_prepare made as
 *    compile_pattern does, CT_EXISTS) tests the string after
 *    ignore_above, as the column holds it (esql_val.c visit: the same text,
 *    the same ignore_above test), so a TRUE leaf there has that one value in
 *    the column, which ES|QL's leaf tests the same way; over a cell of one
 *    value or none it counts no warning.
 *  - AND and OR of such leaves: no NOT, so with a leaf NULL (a field
 *    missing) where the IR's is FALSE, ES|QL's value is never below the
 *    IR's in FALSE < NULL < TRUE (AND is the least, OR the greatest): TRUE
 *    where the IR's is.
 * The routing evaluated the whole lowered condition on every document the
 * prefix sees (th_esql_run_prefix_routed), so such a conjunct is TRUE on
 * those whose fields are plain, with no warning: do_where does not
 * evaluate it there.
 * Returns the fields it reads into f (at most IMPLIED_FIELDS; more: more
 * than that, not filled), 0 where it is not such a condition. */
static bool kw_proper(const lctx *l, const xnode *x)
{
    if (!keyword_col(l, x))
        return false;
    const th_field_def *d = th_schema_lookup(x->name);
    /* a constant_keyword's leaf takes no ignore_above in the IR (resolve()),
     * the column its schema's: the same where that is none */
    return d && !d->parent &&
           (d->type == TH_FT_KEYWORD ||
            (d->type == TH_FT_CONSTANT_KEYWORD && d->ignore_above == 0));
}

static void implied_field(th_str name, th_str *f, size_t *nf)
{
    for (size_t i = 0; i < *nf && i < IMPLIED_FIELDS; i++)
        if (th_str_eq(f[i], name))
            return;
    if (*nf < IMPLIED_FIELDS)
        f[*nf] = name;
    (*nf)++;
}

static bool implied_leaf(const lctx *l, const xnode *x, th_str *f, size_t *nf)
{
    switch (x->kind) {
    case X_AND:
    case X_OR:
        return implied_leaf(l, x->kids[0], f, nf) && implied_leaf(l, x->kids[1], f, nf);
    case X_CMP: {
        if (x->op != CMP_EQ)
            return false;
        const xnode *c = x->kids[0], *v = x->kids[1];
        if (c->kind != X_COL) {
            c = x->kids[1];
            v = x->kids[0];
        }
        if (!kw_proper(l, c) || !kw_lit(v))
            return false;
        implied_field(c->name, f, nf);
        return true;
    }
    case X_IN:
        if (x->neg || !kw_proper(l, x->kids[0]))
            return false;
        for (size_t k = 1; k < x->nkids; k++)
            if (!kw_lit(x->kids[k]))
                return false;
        implied_field(x->kids[0]->name, f, nf);
        return true;
    case X_LIKE:
    case X_ISNULL:
        if ((x->kind == X_LIKE) == x->neg || !kw_proper(l, x->kids[0]))
            return false;
        implied_field(x->kids[0]->name, f, nf);
        return true;
    default:
        return false;
    }
}

static size_t implied_fields(th_arena *a, const th_esql *q, size_t at, const xnode *x, th_str *f)
{
    lctx l = {.a = a};
    if (at >= q->ncmds || q->cmds[at].kind != C_WHERE)
        return 0;
    for (size_t i = 1; i < at; i++) { /* the names defined before it, as th_esql_lower sees them */
        if (q->cmds[i].kind == C_STATS || q->cmds[i].kind == C_LIMIT)
            return 0;
        define_outputs(&l, &q->cmds[i]);
    }
    size_t nf = 0;
    return implied_leaf(&l, x, f, &nf) ? nf : 0;
}

/* ---- fields read ----------------------------------------------------------- */

typedef struct fctx {
    lctx l;
    th_str *out;
    size_t n, max;
} fctx;

static void field(fctx *f, th_str name)
{
    if (is_defined(&f->l, name) || (name.n && name.p[0] == '_' && (th_str_eqc(name, "_id") ||
                                                                  th_str_eqc(name, "_index") ||
                                                                  th_str_eqc(name, "_version"))))
        return;
    for (size_t i = 0; i < f->n && i < f->max; i++)
        if (th_str_eq(f->out[i], name))
            return;
    if (f->n < f->max)
        f->out[f->n] = name;
    f->n++;
}

static void walk(fctx *f, const xnode *x)
{
    if (!x)
        return;
    if (x->kind == X_COL)
        field(f, x->name);
    for (size_t k = 0; k < x->nkids; k++)
        walk(f, x->kids[k]);
}

size_t th_esql_fields(const th_esql *q, th_str *out, size_t max, bool *patterns)
{
    fctx f = {.l = {0}, .out = out, .max = max};
    th_arena a;
    th_arena_init(&a, 4096);
    f.l.a = &a;
    *patterns = false;
    for (size_t i = 1; i < q->ncmds; i++) {
        const cmd *c = &q->cmds[i];
        switch (c->kind) {
        case C_WHERE: walk(&f, c->cond); break;
        case C_EVAL:
            for (size_t k = 0; k < c->nas; k++) {
                walk(&f, c->as[k].x);
                define(&f.l, c->as[k].name);
            }
            break;
        case C_STATS:
            for (size_t k = 0; k < c->nas; k++) {
                walk(&f, c->as[k].x);
                walk(&f, c->as[k].filter);
            }
            for (size_t k = 0; k < c->nby; k++)
                walk(&f, c->by[k].x);
            th_arena_free(&a);
            return f.n;
        case C_KEEP:
        case C_DROP:
            for (size_t k = 0; k < c->nnames; k++) {
                if (memchr(c->names[k].p, '*', c->names[k].n))
                    *patterns = c->kind == C_KEEP ? true : *patterns;
                else if (c->kind == C_KEEP)
                    field(&f, c->names[k]);
            }
            break;
        case C_RENAME:
            for (size_t k = 0; k + 1 < c->nnames; k += 2)
                field(&f, c->names[k]);
            break;
        case C_SORT:
            for (size_t k = 0; k < c->nkeys; k++)
                field(&f, c->keys[k].name);
            break;
        case C_DISSECT:
        case C_GROK:
            field(&f, c->field);
            break;
        case C_MV_EXPAND:
            field(&f, c->names[0]);
            break;
        default:
            break;
        }
        define_outputs(&f.l, c);
    }
    th_arena_free(&a);
    return f.n;
}

/* ---- capture ------------------------------------------------------------- */

static bool reads_doc(const xnode *x)
{
    if (!x)
        return false;
    if (x->kind == X_CALL && x->fn == F_KQL)
        return true;
    if (x->kind == X_COL && x->name.n && x->name.p[0] == '_' &&
        (th_str_eqc(x->name, "_id") || th_str_eqc(x->name, "_index") || th_str_eqc(x->name, "_version")))
        return true;
    for (size_t k = 0; k < x->nkids; k++)
        if (reads_doc(x->kids[k]))
            return true;
    return false;
}

size_t th_esql_capture_fields(const th_esql *q, th_str *out, size_t max)
{
    if (!q->aggregating)
        return SIZE_MAX;
    for (size_t i = 1; i < q->ncmds; i++) {
        const cmd *c = &q->cmds[i];
        if (reads_doc(c->cond))
            return SIZE_MAX;
        for (size_t k = 0; k < c->nas; k++)
            if (reads_doc(c->as[k].x) || reads_doc(c->as[k].filter))
                return SIZE_MAX;
        for (size_t k = 0; k < c->nby; k++)
            if (reads_doc(c->by[k].x))
                return SIZE_MAX;
        if (c->kind == C_STATS)
            break;
    }
    bool pat;
    size_t n = th_esql_fields(q, out, max, &pat);
    if (pat || n > max)
        return SIZE_MAX;
    for (size_t i = 0; i < n; i++) { /* a multi-field reads its parent's values */
        const th_field_def *d = th_schema_lookup(out[i]);
        if (d && d->parent)
            out[i] = th_str_c(d->parent);
    }
    return n;
}
