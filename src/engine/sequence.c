/* The EQL sequence matcher and its alerts (SEMANTICS.md 4.7, 4.9).
 *
 * Per run, the window's matches (the time filter is the rule's, on
 * event.ingested with fallback) are replayed in @timestamp order (input order
 * breaks ties), per join-key value (a multi-valued key gives one key per
 * value; a document without the key takes no part). Elasticsearch's
 * SequenceMatcher: a stage-1 event opens a candidate; a stage-n event takes
 * the latest candidate waiting at stage n-1 and drops it and every older one
 * there; the candidate dies if the event is more than maxspan after its first
 * event (equal is allowed). Completed sequences, at most max_signals in order
 * of their first event, become one building-block alert per event plus a shell
 * alert whose source is the intersection of theirs. Ids hash the events and
 * the rule, so an overlapping run finding the same sequence adds nothing. */
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "base/sort.h"
#include "engine/internal.h"
#include "engine/sequence.h"

typedef struct cand {
    uint32_t ev[TH_SEQ_MAX_STAGES]; /* match indices */
    size_t n;
    th_trace_run *tr;               /* explain: holds the traced event */
} cand;

typedef TH_VEC(cand) cand_vec;

typedef struct keystate {
    cand_vec at[TH_SEQ_MAX_STAGES]; /* candidates waiting after stage i */
} keystate;

typedef struct seq_ctx {
    th_engine *e;
    th_erule *r;
    th_map keys;                /* key text -> keystate* */
    TH_VEC(keystate *) all;
    TH_VEC(cand) done;
    th_buf kb;
    uint32_t cur;               /* match being replayed */
    int64_t t;                  /* the run */
} seq_ctx;

static const th_match *M(const seq_ctx *c, uint32_t i) { return &c->r->matches.items[i]; }

static void step(const th_str *tuple, size_t nf, void *ctx)
{
    seq_ctx *c = ctx;
    th_tuple_key(&c->kb, tuple, nf);
    keystate *ks = th_map_get(&c->keys, th_buf_str(&c->kb));
    if (!ks) {
        ks = th_xcalloc(1, sizeof(*ks));
        char *k = th_arena_strndup(&c->e->arena, c->kb.data, c->kb.len);
        th_map_put(&c->keys, th_str_make(k, c->kb.len), ks);
        TH_VEC_PUSH(&c->all, ks);
    }
    const th_match *m = M(c, c->cur);
    size_t ns = c->r->nstages;
    uint32_t stages = th_match_stages(c->r, m);
    th_trace_run *x = th_trace_entry(c->e, c->r, m, c->t, tuple, nf); /* explain */
    /* later stages first, so one event never extends a candidate it opened */
    for (size_t s = ns; s-- > 1;) {
        if (!(stages & (1u << s)))
            continue;
        if (ks->at[s - 1].len == 0) {
            if (x)
                x->seq |= TH_TRACE_SEQ_NO_PRIOR;
            continue;
        }
        cand cd = ks->at[s - 1].items[ks->at[s - 1].len - 1];
        ks->at[s - 1].len = 0; /* the latest is taken, older ones trimmed */
        if (c->r->maxspan > 0 && m->ts - M(c, cd.ev[0])->ts > c->r->maxspan) {
            if (x)
                x->seq |= TH_TRACE_SEQ_MAXSPAN;
            continue;
        }
        cd.ev[cd.n++] = c->cur;
        if (x) {
            x->seq |= TH_TRACE_SEQ_EXTENDED;
            cd.tr = x;
        }
        if (s == ns - 1 && cd.tr)
            cd.tr->seq |= TH_TRACE_SEQ_COMPLETED;
        if (s == ns - 1)
            TH_VEC_PUSH(&c->done, cd);
        else
            TH_VEC_PUSH(&ks->at[s], cd);
    }
    if (stages & 1u) {
        cand cd = {{c->cur}, 1, x};
        if (x)
            x->seq |= TH_TRACE_SEQ_OPENED;
        TH_VEC_PUSH(&ks->at[0], cd);
    }
}

static int by_ts_order(const void *x, const void *y, const th_match *ms)
{
    const th_match *a = &ms[*(const uint32_t *)x], *b = &ms[*(const uint32_t *)y];
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static inline bool idx_before(const th_match *ms, const uint32_t *x, const uint32_t *y)
{
    return by_ts_order(x, y, ms) < 0;
}
TH_DEFINE_STABLE_SORT(sort_idx, uint32_t, const th_match *, idx_before)

/* Kibana's intersection of the building blocks' sources: values equal in
 * all, arrays intersected, objects recursively; NULL when nothing is common. */
static th_jval *intersect(th_arena *a, const th_jval *x, const th_jval *y)
{
    if (!x || !y)
        return NULL;
    if (x->type == TH_JOBJ && y->type == TH_JOBJ) {
        th_jval *o = th_jnew_obj(a);
        for (uint32_t i = 0; i < x->len; i++) {
            th_jval *v = intersect(a, x->u.members[i].val, th_jobj_getn(y, x->u.members[i].key));
            if (v)
                th_jobj_set(a, o, x->u.members[i].key, v);
        }
        return o->len ? o : NULL;
    }
    if (x->type == TH_JARR || y->type == TH_JARR) {
        const th_jval *xs[1] = {x}, *ys[1] = {y};
        const th_jval *const *xi = x->type == TH_JARR ? (const th_jval *const *)x->u.items : xs;
        const th_jval *const *yi = y->type == TH_JARR ? (const th_jval *const *)y->u.items : ys;
        size_t xn = x->type == TH_JARR ? x->len : 1, yn = y->type == TH_JARR ? y->len : 1;
        th_jval *arr = th_jnew_arr(a);
        for (size_t i = 0; i < xn; i++)
            for (size_t j = 0; j < yn; j++)
                if (th_json_equal(xi[i], yi[j])) {
                    th_jarr_push(a, arr, (th_jval *)xi[i]);
                    break;
                }
        return arr->len ? arr : NULL;
    }
    return th_json_equal(x, y) ? (th_jval *)x : NULL;
}

static void seq_alerts(th_engine *e, th_erule *r, const cand *cd, int64_t t)
{
    th_arena *a = &e->arena;
    th_buf b;
    th_buf_init(&b);
    for (size_t i = 0; i < cd->n; i++) {
        const th_edoc *d = &e->docs.items[th_match_doc(r, &r->matches.items[cd->ev[i]])];
        th_buf_putstr(&b, d->id);
        th_buf_puts(&b, e->o.source_index);
    }
    th_buf_puts(&b, r->uuid);
    char shell_id[65];
    th_sha256_hex(b.data, b.len, shell_id);
    if (!th_alert_id_claim(e, r, shell_id)) {
        th_buf_free(&b);
        return; /* found by an overlapping run already */
    }
    size_t base = b.len;
    th_jval *common = NULL;
    th_jval *ancs = th_jnew_arr(a);
    for (size_t i = 0; i < cd->n; i++) {
        const th_match *m = &r->matches.items[cd->ev[i]];
        const th_edoc *d = &e->docs.items[th_match_doc(r, m)];
        th_jval *src = th_alert_source(e, d);
        if (!src)
            continue;
        common = i == 0 ? th_json_clone(a, src) : intersect(a, common, src);
        th_jval *anc = th_jnew_obj(a);
        th_jobj_set(a, anc, TH_STR_LIT("id"), th_jnew_strcopy(a, d->id));
        th_jobj_set(a, anc, TH_STR_LIT("type"), th_jnew_cstr(a, "event"));
        th_jobj_set(a, anc, TH_STR_LIT("index"), th_jnew_cstr(a, e->o.source_index));
        th_jobj_set(a, anc, TH_STR_LIT("depth"), th_jnew_i64(a, 0));
        th_jarr_push(a, ancs, anc);
        b.len = base;
        th_buf_printf(&b, "%zu", i);
        char bb_id[65];
        th_sha256_hex(b.data, b.len, bb_id);
        th_jobj_set(a, src, TH_STR_LIT("kibana.alert.building_block_type"), th_jnew_cstr(a, "default"));
        th_jobj_set(a, src, TH_STR_LIT("kibana.alert.group.id"), th_jnew_strcopy(a, th_str_c(shell_id)));
        th_jobj_set(a, src, TH_STR_LIT("kibana.alert.group.index"), th_jnew_i64(a, (int64_t)i));
        th_alert_make(e, r, src, t, bb_id, d->ts, th_arena_strndup(a, d->id.p, d->id.n));
        r->rep.alerts--;
        r->rep.building_blocks++;
    }
    th_buf_free(&b);
    if (!common)
        common = th_jnew_obj(a);
    th_jobj_set(a, common, TH_STR_LIT("kibana.alert.group.id"), th_jnew_strcopy(a, th_str_c(shell_id)));
    th_ealert *sh = th_alert_make(e, r, common, t, shell_id, t, "");
    /* the shell descends from every event of the sequence */
    th_jobj_set(a, sh->doc, TH_STR_LIT("kibana.alert.ancestors"), ancs);
}

static void seq_run(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    (void)ctx;
    size_t b, en;
    th_sched_window(e, r, t - th_sched_lookback(r), t, &b, &en);
    if (en - b < r->nstages)
        return;
    seq_ctx c = {.e = e, .r = r, .t = t};
    th_map_init(&c.keys);
    th_buf_init(&c.kb);
    size_t n = 0;
    uint32_t *idx = th_xmalloc((en - b) * sizeof(uint32_t));
    for (size_t i = b; i < en; i++)
        if (r->matches.items[i].ts != TH_TIME_NONE &&
            th_match_doc(r, &r->matches.items[i]) != UINT32_MAX)
            idx[n++] = (uint32_t)i;
    sort_idx(idx, n, r->matches.items);
    for (size_t i = 0; i < n; i++) {
        c.cur = idx[i];
        th_match_tuples(e, &r->matches.items[idx[i]], 0, r->ncap, step, &c);
    }
    /* in order of first event; at most max_signals */
    for (size_t i = 1; i < c.done.len; i++) {
        cand x = c.done.items[i];
        size_t j = i;
        while (j > 0 && by_ts_order(&c.done.items[j - 1].ev[0], &x.ev[0], r->matches.items) > 0) {
            c.done.items[j] = c.done.items[j - 1];
            j--;
        }
        c.done.items[j] = x;
    }
    size_t take = c.done.len;
    if ((int64_t)take > r->max_signals) {
        r->rep.runs_truncated++;
        take = (size_t)r->max_signals;
    }
    for (size_t i = 0; i < take; i++) {
        seq_alerts(e, r, &c.done.items[i], t);
        if (c.done.items[i].tr)
            c.done.items[i].tr->seq |= TH_TRACE_SEQ_ALERTED;
    }
    for (size_t i = 0; i < c.all.len; i++) {
        for (size_t s = 0; s < TH_SEQ_MAX_STAGES; s++)
            TH_VEC_FREE(&c.all.items[i]->at[s]);
        free(c.all.items[i]);
    }
    TH_VEC_FREE(&c.all);
    TH_VEC_FREE(&c.done);
    th_map_free(&c.keys);
    th_buf_free(&c.kb);
    free(idx);
}

void th_exec_sequence(th_engine *e, th_erule *r)
{
    th_sched_each(e, r, seq_run, NULL);
}
