/* threshold (SEMANTICS.md 6).
 *
 * Per run: the matches in the window, minus those excluded by the signal
 * history, grouped by the threshold fields (cartesian product of array
 * values; a document missing a field is not bucketed; no fields = one
 * bucket). A bucket is kept when count >= value and, with a cardinality
 * clause, the number of distinct values of that field >= its value. At most
 * max_signals kept buckets, in composite key order, become alerts built from
 * a synthetic document. The signal history remembers, per bucket key, the
 * newest combined timestamp already alerted on; later runs exclude documents
 * carrying those exact key values at or before it, and forget entries older
 * than the run's window. */
#include <stdlib.h>
#include <string.h>

#include "base/sha256.h"
#include "engine/internal.h"

typedef struct bucket {
    th_str *vals;
    uint64_t count;
    int64_t min_ts, max_ts;
    th_map card;              /* distinct cardinality values (keys borrowed) */
} bucket;

typedef th_thist hist; /* internal.h: kept on the rule, carried across runs */

typedef struct th_state {
    th_engine *e;
    th_erule *r;
    size_t nf;
    bool has_card;
    uint64_t bytes;
    /* per run */
    th_map buckets;
    TH_VEC(bucket *) blist;
    const th_match *cur;
    th_buf key;
    /* explain trace (engine.h), per run */
    int64_t t;
    bucket **kept;
    size_t nkept, nalert;
} th_state;

static bool match_has(const th_engine *e, const th_match *m, size_t f, th_str v)
{
    const th_vlist *l = th_match_list(e, m, f);
    for (size_t i = 0; i < l->n; i++) {
        if (th_str_eq(l->v[i], v))
            return true;
    }
    return false;
}

static bool excluded(const th_state *s, const th_match *m)
{
    for (size_t h = 0; h < s->r->thr_hist.len; h++) {
        const hist *e = &s->r->thr_hist.items[h];
        if (th_match_combined(s->r, m) > e->last)
            continue;
        bool all = true;
        for (size_t f = 0; f < s->nf && all; f++)
            all = match_has(s->e, m, f, e->vals[f]);
        if (all)
            return true;
    }
    return false;
}

static void add_to_bucket(const th_str *tuple, size_t nf, void *ctx)
{
    th_state *s = ctx;
    th_tuple_key(&s->key, tuple, nf);
    bucket *b = th_map_get(&s->buckets, th_buf_str(&s->key));
    if (!b) {
        uint64_t cost = sizeof(bucket) + s->key.len + nf * sizeof(th_str) + 32;
        if (!th_state_charge(s->e, s->r, &s->bytes, cost))
            return; /* capped: this bucket is not counted (reported) */
        b = th_xcalloc(1, sizeof(*b));
        b->vals = TH_ANEWN(&s->e->arena, th_str, nf ? nf : 1);
        memcpy(b->vals, tuple, nf * sizeof(th_str));
        b->min_ts = INT64_MAX;
        b->max_ts = INT64_MIN;
        th_map_init(&b->card);
        /* the key bytes must outlive the scratch buffer */
        char *k = th_arena_strndup(&s->e->arena, s->key.data, s->key.len);
        th_map_put(&s->buckets, th_str_make(k, s->key.len), b);
        TH_VEC_PUSH(&s->blist, b);
    }
    const th_match *m = s->cur;
    int64_t c = th_match_combined(s->r, m);
    b->count++;
    if (c < b->min_ts)
        b->min_ts = c;
    if (c > b->max_ts)
        b->max_ts = c;
    if (s->has_card) {
        const th_vlist *l = th_match_list(s->e, m, s->nf);
        for (size_t i = 0; i < l->n; i++) {
            th_str v = l->v[i];
            if (!th_map_has(&b->card, v)) {
                if (th_state_charge(s->e, s->r, &s->bytes, 32))
                    th_map_put(&b->card, v, (void *)1);
            }
        }
    }
}

static int bucket_cmp(const bucket *a, const bucket *b, size_t nf)
{
    return th_tuple_cmp(a->vals, b->vals, nf);
}

static void sort_buckets(bucket **v, size_t n, size_t nf)
{
    for (size_t i = 1; i < n; i++) { /* few kept buckets: insertion sort */
        bucket *x = v[i];
        size_t j = i;
        while (j > 0 && bucket_cmp(v[j - 1], x, nf) > 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static th_jval *iso(th_arena *a, int64_t ms)
{
    char buf[32];
    th_time_format_iso(ms, buf);
    return th_jnew_strcopy(a, th_str_c(buf));
}

static void remember(th_state *s, const bucket *b)
{
    for (size_t h = 0; h < s->r->thr_hist.len; h++) {
        hist *e = &s->r->thr_hist.items[h];
        if (th_tuple_cmp(e->vals, b->vals, s->nf) == 0) {
            if (b->max_ts > e->last)
                e->last = b->max_ts;
            return;
        }
    }
    hist e = {b->vals, b->max_ts};
    TH_VEC_PUSH(&s->r->thr_hist, e);
}

static void alert_bucket(th_state *s, const bucket *b, int64_t t)
{
    th_engine *e = s->e;
    th_erule *r = s->r;
    th_arena *a = &e->arena;
    const th_rule *rule = r->rule;
    th_jval *doc = th_jnew_obj(a);
    th_jobj_set(a, doc, TH_STR_LIT("@timestamp"), iso(a, b->max_ts));
    th_jval *terms = th_jnew_arr(a);
    for (size_t f = 0; f < s->nf; f++) {
        th_jval *v = th_alert_value(a, b->vals[f]);
        th_jobj_set_path(a, doc, rule->threshold_fields.items[f], v);
        th_jval *tv = th_jnew_obj(a);
        th_jobj_set(a, tv, TH_STR_LIT("field"), th_jnew_cstr(a, rule->threshold_fields.items[f]));
        th_jobj_set(a, tv, TH_STR_LIT("value"), v);
        th_jarr_push(a, terms, tv);
    }
    th_jval *res = th_jnew_obj(a);
    th_jobj_set(a, res, TH_STR_LIT("terms"), terms);
    th_jobj_set(a, res, TH_STR_LIT("count"), th_jnew_i64(a, (int64_t)b->count));
    th_jobj_set(a, res, TH_STR_LIT("from"), iso(a, b->min_ts));
    th_jval *card = th_jnew_arr(a);
    if (s->has_card) {
        th_jval *c = th_jnew_obj(a);
        th_jobj_set(a, c, TH_STR_LIT("field"), th_jnew_cstr(a, rule->cardinality_field));
        th_jobj_set(a, c, TH_STR_LIT("value"), th_jnew_i64(a, (int64_t)b->card.len));
        th_jarr_push(a, card, c);
    }
    th_jobj_set(a, res, TH_STR_LIT("cardinality"), card);

    /* Ids: the synthetic doc's id is a function of rule, run time, fields and
     * sorted key values, so buckets never dedup across runs (as in Kibana);
     * the history above is what prevents double counting. */
    char tiso[32];
    th_time_format_iso(t, tiso);
    th_buf kb;
    th_buf_init(&kb);
    th_buf_printf(&kb, "%s%s", rule->rule_id ? rule->rule_id : "", tiso);
    for (size_t f = 0; f < s->nf; f++)
        th_buf_printf(&kb, "%s%s", f ? "," : "", rule->threshold_fields.items[f]);
    for (size_t f = 0; f < s->nf; f++)
        th_buf_putstr(&kb, b->vals[f]);
    char synth[65], id[65];
    th_sha256_hex(kb.data, kb.len, synth);
    th_buf_clear(&kb);
    for (size_t i = 0; i < rule->index.len; i++)
        th_buf_puts(&kb, rule->index.items[i]);
    th_buf_printf(&kb, "%sundefined%s:%s", synth, e->o.space_id, r->uuid);
    th_sha256_hex(kb.data, kb.len, id);
    th_buf_free(&kb);
    th_alert_id_claim(e, r, id);
    th_jobj_set(a, doc, TH_STR_LIT("kibana.alert.threshold_result"), res);
    th_alert_make(e, r, doc, t, id, b->max_ts, th_arena_strdup(a, synth));
}

/* explain: the traced event was left out of this run by the signal history */
static void trace_history(const th_str *tuple, size_t nf, void *ctx)
{
    th_state *s = ctx;
    th_trace_run *x = th_trace_entry(s->e, s->r, s->cur, s->t, tuple, nf);
    if (x)
        x->history = true;
}

/* explain: the traced event's bucket in this run, and what became of it */
static void trace_bucket(const th_str *tuple, size_t nf, void *ctx)
{
    th_state *s = ctx;
    th_trace_run *x = th_trace_entry(s->e, s->r, s->cur, s->t, tuple, nf);
    if (!x)
        return;
    th_tuple_key(&s->key, tuple, nf);
    const bucket *b = th_map_get(&s->buckets, th_buf_str(&s->key));
    if (!b)
        return; /* not counted (state cap) */
    x->count = b->count;
    x->cardinality = s->has_card ? b->card.len : 0;
    for (size_t i = 0; i < s->nkept; i++)
        if (s->kept[i] == b) {
            x->alerted = i < s->nalert;
            x->truncated = i >= s->nalert;
        }
}

static void free_buckets(th_state *s)
{
    for (size_t i = 0; i < s->blist.len; i++) {
        th_map_free(&s->blist.items[i]->card);
        free(s->blist.items[i]);
    }
    s->blist.len = 0;
    th_map_free(&s->buckets);
    th_map_init(&s->buckets);
}

static void th_run(th_engine *e, th_erule *r, int64_t t, void *ctx)
{
    th_state *s = ctx;
    int64_t f = t - th_sched_lookback(r);
    /* forget history older than this window */
    size_t w = 0;
    for (size_t h = 0; h < s->r->thr_hist.len; h++) {
        if (s->r->thr_hist.items[h].last > f)
            s->r->thr_hist.items[w++] = s->r->thr_hist.items[h];
    }
    s->r->thr_hist.len = w;
    size_t b, en;
    th_sched_window(e, r, f, t, &b, &en);
    s->bytes = 0; /* this run's state: the history plus its buckets */
    th_state_charge(e, r, &s->bytes, s->r->thr_hist.len * (sizeof(hist) + s->nf * sizeof(th_str)));
    s->t = t;
    const th_match *traced = NULL;
    for (size_t i = b; i < en; i++) {
        const th_match *m = &r->matches.items[i];
        s->cur = m;
        if (excluded(s, m)) {
            if (e->trace)
                th_match_tuples(e, m, 0, s->nf, trace_history, s);
            continue;
        }
        if (th_trace_is(e, r, m))
            traced = m;
        if (!th_match_tuples(e, m, 0, s->nf, add_to_bucket, s))
            r->rep.state_capped = true;
    }
    TH_VEC(bucket *) kept = {0};
    for (size_t i = 0; i < s->blist.len; i++) {
        bucket *bk = s->blist.items[i];
        if ((int64_t)bk->count < r->rule->threshold_value)
            continue;
        if (s->has_card && (int64_t)bk->card.len < r->rule->cardinality_value)
            continue;
        TH_VEC_PUSH(&kept, bk);
    }
    sort_buckets(kept.items, kept.len, s->nf);
    size_t n = kept.len;
    if ((int64_t)n > r->max_signals) {
        r->rep.runs_truncated++;
        n = (size_t)r->max_signals;
    }
    if (traced) {
        s->cur = traced;
        s->kept = kept.items;
        s->nkept = kept.len;
        s->nalert = n;
        th_match_tuples(e, traced, 0, s->nf, trace_bucket, s);
    }
    for (size_t i = 0; i < n; i++)
        alert_bucket(s, kept.items[i], t);
    for (size_t i = 0; i < n; i++)
        remember(s, kept.items[i]);
    TH_VEC_FREE(&kept);
    free_buckets(s);
}

void th_exec_threshold(th_engine *e, th_erule *r)
{
    th_state s = {.e = e, .r = r, .nf = r->rule->threshold_fields.len,
                  .has_card = r->rule->cardinality_field != NULL};
    th_map_init(&s.buckets);
    th_buf_init(&s.key);
    th_sched_each(e, r, th_run, &s);
    free_buckets(&s);
    th_map_free(&s.buckets);
    TH_VEC_FREE(&s.blist);
    th_buf_free(&s.key);
    /* the history outlives this pass (incremental runs save it): its keys
     * move from the pass's scratch arena to the rule's own */
    for (size_t h = 0; h < r->thr_hist.len; h++) {
        th_str *v = TH_ANEWN(&r->ids_arena, th_str, s.nf ? s.nf : 1);
        for (size_t f = 0; f < s.nf; f++) {
            th_str x = r->thr_hist.items[h].vals[f];
            v[f] = th_str_make(th_arena_strndup(&r->ids_arena, x.p, x.n), x.n);
        }
        r->thr_hist.items[h].vals = v;
    }
}
