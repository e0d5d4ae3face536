/* Incremental runs: the state one run hands to the next (engine.h,
 * "incremental runs").
 *
 * The schedule is a function of the matches alone, so the general mechanism
 * is: keep every match some later run can still see, with what the runs so
 * far changed that a later run reads, and continue each rule's schedule at
 * the run after the last one done. For the first later run at `next`:
 *  - a run at t >= next windows [t - lookback, t]: matches older than
 *    next - lookback are never in a window again; new_terms also looks back
 *    to datemath(history_window_start, t), so its matches are kept that far,
 *    but without their documents once outside every later window (only the
 *    alert's document is read, and it is inside the window);
 *  - an alert id claimed at run t0 came from events within [t0 - lookback,
 *    t0], so no run after t0 + lookback can produce it again;
 *  - threshold and suppression histories only exclude matches at or before
 *    their time, so entries older than next - lookback are dropped;
 *  - alerts: those a suppression window can still update, and those the
 *    rule over the alert index can still read.
 * Nothing here knows the file format (state/state.c). */
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "engine/internal.h"

#define SNAP_VERSION 1

/* ---- a small binary writer / reader -------------------------------------- */

static void put_u64(th_buf *b, uint64_t v)
{
    unsigned char x[10];
    size_t n = 0;
    do {
        unsigned char c = v & 0x7f;
        v >>= 7;
        x[n++] = (unsigned char)(c | (v ? 0x80 : 0));
    } while (v);
    th_buf_put(b, x, n);
}

static void put_i64(th_buf *b, int64_t v)
{
    put_u64(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag */
}

static void put_str(th_buf *b, th_str s)
{
    put_u64(b, s.n);
    th_buf_put(b, s.p, s.n);
}

typedef struct rd {
    const unsigned char *p, *end;
    bool bad;
} rd;

static uint64_t get_u64(rd *r)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            r->bad = true;
            return 0;
        }
        unsigned char c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return v;
    }
    r->bad = true;
    return 0;
}

static int64_t get_i64(rd *r)
{
    uint64_t u = get_u64(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static th_str get_str(rd *r, th_arena *a)
{
    uint64_t n = get_u64(r);
    if (r->bad || n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        return TH_STR_NULL;
    }
    char *s = th_arena_strndup(a, (const char *)r->p, (size_t)n);
    r->p += n;
    return th_str_make(s, (size_t)n);
}

/* ---- what a rule keeps --------------------------------------------------- */

/* The first run a later invocation will do (INT64_MIN: none done yet, keep
 * everything). */
static int64_t next_run(const th_erule *r)
{
    return r->done_until == TH_TIME_NONE ? INT64_MIN : r->done_until + th_sched_interval(r);
}

static int64_t horizon(int64_t next, int64_t span)
{
    return next == INT64_MIN ? INT64_MIN : next - span;
}

/* How far back from `next` the rule's matches still count. */
static int64_t match_horizon(const th_erule *r, int64_t next)
{
    int64_t h = horizon(next, th_sched_lookback(r));
    const char *hws = r->rule->history_window_start;
    int64_t H;
    if (r->exec == TH_EXEC_NEW_TERMS && next != INT64_MIN && hws &&
        th_datemath_eval(hws, strlen(hws), next, &H) && H < h)
        h = H;
    return h;
}

static int64_t watermark(const th_engine *e)
{
    int64_t wm = e->o.watermark_ms;
    if (e->data_max != INT64_MIN && (wm == TH_TIME_NONE || e->data_max > wm))
        wm = e->data_max;
    return wm;
}

int64_t th_engine_watermark(const th_engine *e) { return watermark(e); }

typedef struct save_ctx {
    th_engine *e;
    const th_engine_saver *s;
    uint32_t *docnum; /* engine doc index -> saved number, UINT32_MAX = not yet */
    uint32_t ndocs;
} save_ctx;

static uint32_t save_doc(save_ctx *c, uint32_t di)
{
    if (c->docnum[di] != UINT32_MAX)
        return c->docnum[di];
    const th_edoc *d = &c->e->docs.items[di];
    th_saved_doc sd = {d->json, d->raw, d->id, d->ts, d->ingested, d->combined, d->index};
    c->docnum[di] = c->ndocs++;
    if (c->s->doc)
        c->s->doc(c->s->ctx, c->docnum[di], &sd);
    return c->docnum[di];
}

static uint64_t u64_len(uint64_t v)
{
    uint64_t n = 1;
    while (v >>= 7)
        n++;
    return n;
}

static uint64_t i64_len(int64_t v) { return u64_len(((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); }

/* What a document costs in the state (as the state file counts it). */
static uint64_t doc_cost(const th_edoc *d) { return d->json.n + d->id.n + 32; }

/* The bytes match m takes in the blob (put_match writes exactly these). */
static uint64_t match_len(const th_engine *e, const th_erule *r, const th_match *m, uint64_t dref1)
{
    uint64_t n = u64_len(dref1) + i64_len(m->ts) + i64_len(th_match_ingested(r, m)) +
                 i64_len(th_match_combined(r, m)) + u64_len(m->order) +
                 u64_len(th_match_stages(r, m));
    for (size_t f = 0; f < r->ncap; f++) {
        if (th_match_row(e, m)[f] == TH_VLIST_TS) { /* the list of one string it stands for */
            char t[34];
            size_t tn = th_ts_json(m->ts, t);
            n += u64_len(1) + u64_len(tn) + tn;
            continue;
        }
        const th_vlist *l = th_match_list(e, m, f);
        n += u64_len(l->n);
        for (size_t k = 0; k < l->n; k++)
            n += u64_len(l->v[k].n) + l->v[k].n;
    }
    return n;
}

static void save_rule(save_ctx *c, size_t idx)
{
    th_engine *e = c->e;
    th_erule *r = e->rules.items[idx];
    int64_t next = next_run(r);
    int64_t mh = match_horizon(r, next), dh = horizon(next, th_sched_lookback(r));
    /* what follows the matches: alert ids a later run could produce again,
     * threshold signal history, suppression history */
    th_buf tail;
    th_buf_init(&tail);
    uint64_t nids = 0;
    for (size_t i = 0; i < r->ids.cap; i++) {
        const th_map_slot *sl = &r->ids.slots[i];
        if (sl->used && (next == INT64_MIN || *(int64_t *)sl->value >= dh))
            nids++;
    }
    put_u64(&tail, nids);
    for (size_t i = 0; i < r->ids.cap; i++) {
        const th_map_slot *sl = &r->ids.slots[i];
        if (sl->used && (next == INT64_MIN || *(int64_t *)sl->value >= dh)) {
            put_str(&tail, sl->key);
            put_i64(&tail, *(int64_t *)sl->value);
        }
    }
    size_t nf = r->rule->threshold_fields.len;
    uint64_t nh = 0;
    for (size_t h = 0; h < r->thr_hist.len; h++)
        nh += r->thr_hist.items[h].last > dh;
    put_u64(&tail, nf);
    put_u64(&tail, nh);
    for (size_t h = 0; h < r->thr_hist.len; h++) {
        if (r->thr_hist.items[h].last <= dh)
            continue;
        for (size_t f = 0; f < nf; f++)
            put_str(&tail, r->thr_hist.items[h].vals[f]);
        put_i64(&tail, r->thr_hist.items[h].last);
    }
    uint64_t ns = 0;
    for (size_t i = 0; i < r->supp_hist.cap; i++)
        ns += r->supp_hist.slots[i].used && *(int64_t *)r->supp_hist.slots[i].value >= dh;
    put_u64(&tail, ns);
    for (size_t i = 0; i < r->supp_hist.cap; i++) {
        const th_map_slot *sl = &r->supp_hist.slots[i];
        if (sl->used && *(int64_t *)sl->value >= dh) {
            put_str(&tail, sl->key);
            put_i64(&tail, *(int64_t *)sl->value);
        }
    }
    size_t first = 0;
    while (first < r->matches.len && th_match_combined(r, &r->matches.items[first]) < mh)
        first++;
    /* --max-state-mb: the newest matches that fit (with their documents) are
     * kept, the oldest left out: they leave the windows first */
    uint64_t cap = c->s->max_rule_bytes, dropped = 0;
    if (cap) {
        uint64_t cost = 16 + tail.len;
        size_t cut = r->matches.len;
        while (cut > first) {
            const th_match *m = &r->matches.items[cut - 1];
            uint32_t di = th_match_doc(r, m);
            bool doc = di != UINT32_MAX && th_match_combined(r, m) >= dh;
            /* its document number is at most this (the varint's length counts) */
            uint64_t mc = match_len(e, r, m, doc ? (uint64_t)c->ndocs + (cut - first) + 1 : 0);
            if (doc && c->docnum[di] == UINT32_MAX)
                mc += doc_cost(&e->docs.items[di]);
            if (cost + mc > cap)
                break;
            cost += mc;
            cut--;
        }
        dropped = cut - first;
        first = cut;
    }
    th_buf b;
    th_buf_init(&b);
    th_buf_putc(&b, SNAP_VERSION);
    put_u64(&b, r->ncap);
    put_u64(&b, r->matches.len - first);
    for (size_t i = first; i < r->matches.len; i++) {
        const th_match *m = &r->matches.items[i];
        uint32_t dref = UINT32_MAX;
        uint32_t di = th_match_doc(r, m);
        if (di != UINT32_MAX && th_match_combined(r, m) >= dh)
            dref = save_doc(c, di);
        put_u64(&b, dref == UINT32_MAX ? 0 : (uint64_t)dref + 1);
        put_i64(&b, m->ts);
        put_i64(&b, th_match_ingested(r, m));
        put_i64(&b, th_match_combined(r, m));
        put_u64(&b, m->order);
        put_u64(&b, th_match_stages(r, m));
        for (size_t f = 0; f < r->ncap; f++) {
            if (th_match_row(e, m)[f] == TH_VLIST_TS) { /* written as the list it stands for */
                char t[34];
                put_u64(&b, 1);
                put_str(&b, th_str_make(t, th_ts_json(m->ts, t)));
                continue;
            }
            const th_vlist *l = th_match_list(e, m, f);
            put_u64(&b, l->n);
            for (size_t k = 0; k < l->n; k++)
                put_str(&b, l->v[k]);
        }
    }
    th_buf_put(&b, tail.data, tail.len);
    th_buf_free(&tail);
    if (dropped && c->s->capped)
        c->s->capped(c->s->ctx, idx, dropped);
    if (c->s->rule)
        c->s->rule(c->s->ctx, idx, r->done_until, b.data, b.len, r->matches.len - first, nids);
    th_buf_free(&b);
}

static bool keep_alert(th_engine *e, const th_ealert *al, th_arena *scratch, int64_t reader_h)
{
    if (!al->text || al->pub.rule_index >= e->rules.len) /* a foreign alert: not this engine's */
        return false;
    const th_erule *r = e->rules.items[al->pub.rule_index];
    const th_rule *ru = r->rule;
    if (al->instance.n && ru->has_suppression && ru->suppression_duration_ms > 0) {
        int64_t next = next_run(r);
        if (next == INT64_MIN || al->pub.time_ms >= next - ru->suppression_duration_ms)
            return true;
    }
    if (reader_h == INT64_MAX)
        return false; /* no rule reads alerts */
    th_json_error err;
    th_jval *doc = th_json_parse(scratch, al->text, al->text_len, &err);
    bool keep = doc && (reader_h == INT64_MIN || th_alert_window_time(al, doc) >= reader_h);
    th_arena_reset(scratch);
    return keep;
}

void th_engine_save(th_engine *e, const th_engine_saver *s)
{
    save_ctx c = {e, s, th_xmalloc((e->docs.len ? e->docs.len : 1) * sizeof(uint32_t)), 0};
    for (size_t i = 0; i < e->docs.len; i++)
        c.docnum[i] = UINT32_MAX;
    int64_t reader_h = INT64_MAX; /* oldest alert time a rule over alerts can still read */
    for (size_t i = 0; i < e->rules.len; i++) {
        th_erule *r = e->rules.items[i];
        if (r->rep.skipped || r->exec == TH_EXEC_HUNT)
            continue;
        save_rule(&c, i);
        if (r->on_alerts) {
            int64_t h = horizon(next_run(r), th_sched_lookback(r));
            if (h < reader_h)
                reader_h = h;
        }
    }
    th_arena scratch;
    th_arena_init(&scratch, 0);
    for (size_t i = 0; i < e->alerts.len && s->alert; i++) {
        const th_ealert *al = &e->alerts.items[i];
        if (!keep_alert(e, al, &scratch, reader_h))
            continue;
        th_saved_alert sa = {al->pub.rule_index, al->pub.time_ms,
                             th_str_make(al->text, al->text_len), al->instance,
                             al->supp_end, al->supp_docs};
        s->alert(s->ctx, &sa);
    }
    th_arena_free(&scratch);
    free(c.docnum);
}

/* ---- loading ------------------------------------------------------------- */

uint32_t th_engine_load_doc(th_engine *e, const th_saved_doc *sd)
{
    th_edoc d = {0};
    d.json = th_str_make(th_arena_strndup(&e->arena, sd->json.p, sd->json.n), sd->json.n);
    d.raw = sd->raw;
    d.id = th_str_make(th_arena_strndup(&e->arena, sd->id.p, sd->id.n), sd->id.n);
    d.ts = sd->ts;
    d.ingested = sd->ingested;
    d.combined = sd->combined;
    d.index = sd->index;
    e->doc_bytes += d.json.n + d.id.n + sizeof(th_edoc);
    TH_VEC_PUSH(&e->docs, d);
    return (uint32_t)(e->docs.len - 1);
}

bool th_engine_load_rule(th_engine *e, size_t idx, int64_t last_run, const void *blob, size_t len,
                         const uint32_t *docmap, size_t ndocs)
{
    th_erule *r = e->rules.items[idx];
    rd in = {blob, (const unsigned char *)blob + len, false};
    if (len < 1 || *in.p++ != SNAP_VERSION)
        return false;
    if (get_u64(&in) != r->ncap)
        return false;
    /* nothing was fed yet; undone on error */
    size_t keep = r->matches.len, keep_ing = r->ingested.len, keep_rows = e->rowids.len;
    size_t keep_doc = r->mdoc.len, keep_stages = r->mstages.len;
    uint64_t nm = get_u64(&in);
    TH_VEC(th_str) vals = {0};
    for (uint64_t i = 0; i < nm && !in.bad; i++) {
        th_match m = {0};
        uint64_t dref = get_u64(&in);
        if (dref > ndocs) {
            in.bad = true;
            break;
        }
        uint32_t doc = dref ? docmap[dref - 1] : UINT32_MAX;
        m.ts = get_i64(&in);
        int64_t ing = get_i64(&in);
        if (get_i64(&in) != (ing != TH_TIME_NONE ? ing : m.ts))
            in.bad = true; /* not th_match_combined: no file this engine wrote */
        m.ing = th_match_keep_ingested(e, r, m.ts, ing);
        m.order = get_u64(&in);
        uint32_t stages = (uint32_t)get_u64(&in);
        /* a row of its own (th_vlist_new below grows no row: fv stays valid) */
        uint32_t *fv = th_match_row_room(e, r->ncap);
        m.fv = (uint32_t)e->rowids.len;
        e->rowids.len += r->ncap;
        th_match_row_room(e, e->row_room); /* as the commit expects */
        uint64_t made = 0;
        for (size_t f = 0; f < r->ncap; f++) {
            fv[f] = th_vlist_empty.id; /* also what a bad state leaves */
            uint64_t nv = in.bad ? 0 : get_u64(&in);
            if (nv > (uint64_t)(in.end - in.p)) {
                in.bad = true;
                continue;
            }
            vals.len = 0;
            for (uint64_t k = 0; k < nv && !in.bad; k++) {
                th_str v = get_str(&in, &e->arena);
                TH_VEC_PUSH(&vals, v);
            }
            if (vals.len) {
                fv[f] = th_vlist_new(e, vals.items, vals.len)->id;
                made += sizeof(th_vlist) + vals.len * sizeof(th_str) + sizeof(th_vlist *);
            }
        }
        e->match_bytes += sizeof(th_match) + r->ncap * sizeof(uint32_t) + made;
        TH_VEC_PUSH(&r->matches, m);
        /* beside it where the rule reads them (a rule that does not never
         * wrote a document or a stage: th_rule_keeps_doc) */
        if (th_rule_keeps_doc(r))
            th_match_side_push(e, &r->mdoc.items, &r->mdoc.cap, &r->mdoc.len, doc);
        if (r->nstages)
            th_match_side_push(e, &r->mstages.items, &r->mstages.cap, &r->mstages.len, stages);
    }
    TH_VEC_FREE(&vals);
    uint64_t nids = in.bad ? 0 : get_u64(&in);
    for (uint64_t i = 0; i < nids && !in.bad; i++) {
        th_str id = get_str(&in, &r->ids_arena);
        int64_t *when = TH_ANEW(&r->ids_arena, int64_t);
        *when = get_i64(&in);
        if (!in.bad)
            th_map_put(&r->ids, id, when);
    }
    uint64_t nf = in.bad ? 0 : get_u64(&in);
    if (!in.bad && nf != r->rule->threshold_fields.len)
        in.bad = true;
    uint64_t nh = in.bad ? 0 : get_u64(&in);
    for (uint64_t h = 0; h < nh && !in.bad; h++) {
        th_thist x = {TH_ANEWN(&r->ids_arena, th_str, nf ? nf : 1), 0};
        for (size_t f = 0; f < nf; f++)
            x.vals[f] = get_str(&in, &r->ids_arena);
        x.last = get_i64(&in);
        if (!in.bad)
            TH_VEC_PUSH(&r->thr_hist, x);
    }
    uint64_t ns = in.bad ? 0 : get_u64(&in);
    for (uint64_t i = 0; i < ns && !in.bad; i++) {
        th_str k = get_str(&in, &r->ids_arena);
        int64_t *end = TH_ANEW(&r->ids_arena, int64_t);
        *end = get_i64(&in);
        if (!in.bad)
            th_map_put(&r->supp_hist, k, end);
    }
    if (in.bad || in.p != in.end) {
        r->matches.len = keep;
        r->ingested.len = keep_ing;
        r->mdoc.len = keep_doc;
        r->mstages.len = keep_stages;
        e->rowids.len = keep_rows;
        th_rule_forget_history(r);
        return false;
    }
    r->last_run = last_run;
    r->loaded = true;
    r->ret_off = true; /* retain.c: the loaded matches were not counted; keep everything */
    return true;
}

void th_engine_load_alert(th_engine *e, const th_saved_alert *a)
{
    if (a->rule_index >= e->rules.len)
        return;
    th_ealert al = {0};
    al.pub.time_ms = a->time_ms;
    al.pub.rule_index = a->rule_index;
    al.pub.rule = e->rules.items[a->rule_index]->rule;
    al.seq = e->seq++;
    al.text = th_xstrndup(a->text.p, a->text.n);
    al.text_len = a->text.n;
    if (a->instance.n) {
        al.inst_heap = th_xstrndup(a->instance.p, a->instance.n);
        al.instance = th_str_make(al.inst_heap, a->instance.n);
    }
    al.supp_end = a->supp_end;
    al.supp_docs = a->supp_docs;
    al.loaded = true;
    TH_VEC_PUSH(&e->alerts, al);
}

void th_engine_add_foreign_alert(th_engine *e, int64_t time_ms, const char *text, size_t len)
{
    th_ealert al = {0};
    al.pub.time_ms = time_ms;
    al.pub.rule_index = SIZE_MAX; /* no rule of this engine: never its own */
    al.pub.rule = NULL;
    al.seq = e->seq++;
    al.text = th_xstrndup(text, len);
    al.text_len = len;
    al.loaded = true; /* written by the engine that raised it, not by this one */
    TH_VEC_PUSH(&e->alerts, al);
}
