/* The engine's hot pass: prefilter routing, predicate evaluation, match
 * records; and the driver of the temporal pass (engine.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/limits.h"
#include "engine/exceptions.h"
#include "ecs/schema.h"
#include "engine/internal.h"
#include "engine/sequence.h"

void th_engine_opts_default(th_engine_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->from_ms = TH_TIME_NONE;
    o->to_ms = TH_TIME_NONE;
    o->space_id = "default";
    o->source_index = "logs-aws.cloudtrail-default";
}

th_engine *th_engine_new(const th_engine_opts *o)
{
    th_engine *e = th_xcalloc(1, sizeof(*e));
    e->o = *o;
    if (!e->o.space_id)
        e->o.space_id = "default";
    if (!e->o.source_index)
        e->o.source_index = "logs-aws.cloudtrail-default";
    th_arena_init(&e->arena, 1 << 20);
    th_map_init(&e->route);
    e->data_min = INT64_MAX;
    e->data_max = INT64_MIN;
    return e;
}

void th_engine_free(th_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->rules.len; i++) {
        th_erule *r = e->rules.items[i];
        TH_VEC_FREE(&r->matches);
        th_map_free(&r->ids);
        th_map_free(&r->nt_seen);
        free(r);
    }
    for (size_t i = 0; i < e->route.cap; i++) {
        if (e->route.slots[i].used) {
            th_idxvec *v = e->route.slots[i].value;
            TH_VEC_FREE(v);
            free(v);
        }
    }
    th_map_free(&e->route);
    TH_VEC_FREE(&e->rules);
    TH_VEC_FREE(&e->docs);
    TH_VEC_FREE(&e->alerts);
    TH_VEC_FREE(&e->always);
    if (e->scratch_ready)
        th_hits_free(&e->scratch);
    th_arena_free(&e->arena);
    free(e);
}

const char *th_engine_unsupported(const th_rule *r)
{
    if (r->timestamp_override && strcmp(r->timestamp_override, "event.ingested") != 0 &&
        strcmp(r->timestamp_override, "@timestamp") != 0)
        return "timestamp_override other than event.ingested / @timestamp";
    switch (r->type) {
    case TH_RULE_QUERY:
        return NULL;
    case TH_RULE_EQL:
        return NULL; /* single-event only: the caller's predicate refuses sequences */
    case TH_RULE_NEW_TERMS:
        if (r->new_terms_fields.len == 0)
            return "new_terms rule without new_terms fields";
        if (r->new_terms_fields.len > TH_ENGINE_MAX_TERM_FIELDS)
            return "new_terms rule with too many fields";
        if (!r->history_window_start)
            return "new_terms rule without history_window_start";
        return NULL;
    case TH_RULE_THRESHOLD:
        if (r->threshold_fields.len > TH_ENGINE_MAX_TERM_FIELDS)
            return "threshold rule with too many fields";
        return NULL;
    case TH_RULE_ESQL:
        return "esql rules are not supported yet";
    case TH_RULE_MACHINE_LEARNING:
        return "machine_learning rules need ML jobs (out of scope)";
    case TH_RULE_HUNT:
        return "hunting queries are not scheduled rules";
    default:
        return "rule type not supported";
    }
}

static th_erule *new_rule(th_engine *e, const th_rule *r)
{
    th_erule *er = th_xcalloc(1, sizeof(*er));
    er->rule = r;
    er->rep.rule = r;
    th_map_init(&er->ids);
    th_map_init(&er->nt_seen);
    th_alert_rule_uuid(r, er->uuid);
    TH_VEC_PUSH(&e->rules, er);
    return er;
}

size_t th_engine_skip_rule(th_engine *e, const th_rule *r, const char *reason)
{
    th_erule *er = new_rule(e, r);
    er->rep.skipped = th_arena_strdup(&e->arena, reason ? reason : "skipped");
    return e->rules.len - 1;
}

static void route_add(th_engine *e, const char *field, th_str value, bool nocase, size_t rule)
{
    char *key = th_arena_printf(&e->arena, "%s%c%.*s", field, nocase ? '\x1e' : '\x1f',
                                (int)value.n, value.p ? value.p : "");
    size_t flen = strlen(field) + 1;
    if (nocase) {
        for (size_t i = flen; key[i]; i++)
            key[i] = (char)tolower((unsigned char)key[i]);
    }
    bool inserted;
    void **slot = th_map_ref(&e->route, th_str_c(key), &inserted);
    if (inserted)
        *slot = th_xcalloc(1, sizeof(th_idxvec));
    th_idxvec *v = *slot;
    if (v->len == 0 || v->items[v->len - 1] != rule)
        TH_VEC_PUSH(v, rule);
}

static const char *const routed_fields[] = {"event.action", "event.provider", "data_stream.dataset"};
#define NROUTED (sizeof routed_fields / sizeof routed_fields[0])

/* Picks the most selective indexable condition: event.action, then provider,
 * then dataset. NULL when none. */
static const th_prefilter *pick_prefilter(const th_prefilter *pf, size_t npf)
{
    for (size_t f = 0; f < NROUTED; f++) {
        for (size_t i = 0; i < npf; i++) {
            /* an empty set means the rule can match nothing: never routed */
            if (pf[i].field && strcmp(pf[i].field, routed_fields[f]) == 0)
                return &pf[i];
        }
    }
    return NULL;
}

static void push_cap(th_engine *e, th_erule *er, const th_strlist *l)
{
    for (size_t i = 0; i < l->len; i++)
        er->cap[er->ncap++] = l->items[i];
    (void)e;
}

size_t th_engine_add_rule(th_engine *e, const th_rule *r, th_pred_fn fn, const void *pred,
                          const th_prefilter *pf, size_t npf, const th_exceptions *exc)
{
    const char *why = th_engine_unsupported(r);
    if (why)
        return th_engine_skip_rule(e, r, why);
    th_erule *er = new_rule(e, r);
    size_t idx = e->rules.len - 1;
    er->fn = fn;
    er->pred = pred;
    /* SEMANTICS 2.2: windows on timestamp_override with @timestamp fallback;
     * without an override, on @timestamp alone */
    er->use_ingested = r->timestamp_override && strcmp(r->timestamp_override, "event.ingested") == 0;
    er->exc = exc;
    er->max_signals = e->o.max_signals > 0 ? e->o.max_signals
                      : r->max_signals > 0 ? r->max_signals
                                           : TH_DEFAULT_MAX_SIGNALS;
    if (er->max_signals > TH_ENGINE_MAX_SIGNALS_CAP)
        er->max_signals = TH_ENGINE_MAX_SIGNALS_CAP; /* xpack.alerting.rules.run.alerts.max */
    size_t ncap = r->new_terms_fields.len + r->threshold_fields.len + 1 +
                  r->suppression_group_by.len;
    er->cap = TH_ANEWN(&e->arena, const char *, ncap);
    switch (r->type) {
    case TH_RULE_NEW_TERMS: {
        er->exec = TH_EXEC_NEW_TERMS;
        push_cap(e, er, &r->new_terms_fields);
        int64_t h;
        const char *hws = r->history_window_start;
        if (th_datemath_eval(hws, strlen(hws), 0, &h) && h < 0)
            er->nt_gap = -h - (r->lookback_ms > 0 ? r->lookback_ms : 6 * 60 * 1000);
        break;
    }
    case TH_RULE_THRESHOLD:
        er->exec = TH_EXEC_THRESHOLD;
        push_cap(e, er, &r->threshold_fields);
        if (r->cardinality_field)
            er->cap[er->ncap++] = r->cardinality_field;
        break;
    case TH_RULE_EQL:
        er->exec = TH_EXEC_EQL;
        break;
    default:
        er->exec = TH_EXEC_QUERY;
        break;
    }
    if (r->has_suppression && !e->o.no_suppression && er->exec == TH_EXEC_QUERY &&
        r->suppression_group_by.len > 0) {
        er->suppress = true;
        push_cap(e, er, &r->suppression_group_by);
    }
    const th_prefilter *p = pick_prefilter(pf, npf);
    if (!p) {
        TH_VEC_PUSH(&e->always, idx);
    } else {
        for (size_t i = 0; i < p->nvalues; i++)
            route_add(e, p->field, p->values[i], p->nocase, idx);
    }
    return idx;
}

/* A sequence rule's hot-pass predicate: any stage matches. */
static bool seq_any(const void *pred, const th_jval *doc)
{
    const th_erule *r = pred;
    for (size_t i = 0; i < r->nstages; i++)
        if (r->stages[i].fn(r->stages[i].pred, doc))
            return true;
    return false;
}

size_t th_engine_add_sequence(th_engine *e, const th_rule *r, const th_seq_stage *stages,
                              size_t nstages, const char *const *keys, size_t nkeys,
                              int64_t maxspan_ms, const th_exceptions *exc)
{
    if (nstages < 2 || nstages > TH_SEQ_MAX_STAGES)
        return th_engine_skip_rule(e, r, "a sequence needs 2 to 16 stages");
    if (nkeys > TH_ENGINE_MAX_TERM_FIELDS)
        return th_engine_skip_rule(e, r, "a sequence with too many join keys");
    const char *why = th_engine_unsupported(r);
    if (why)
        return th_engine_skip_rule(e, r, why);
    th_erule *er = new_rule(e, r);
    size_t idx = e->rules.len - 1;
    er->exec = TH_EXEC_SEQUENCE;
    er->stages = TH_ANEWN(&e->arena, th_seq_stage, nstages);
    memcpy(er->stages, stages, nstages * sizeof(th_seq_stage));
    er->nstages = nstages;
    er->maxspan = maxspan_ms;
    er->fn = seq_any;
    er->pred = er;
    er->exc = exc;
    er->use_ingested = r->timestamp_override && strcmp(r->timestamp_override, "event.ingested") == 0;
    er->max_signals = e->o.max_signals > 0 ? e->o.max_signals
                      : r->max_signals > 0 ? r->max_signals
                                           : TH_DEFAULT_MAX_SIGNALS;
    if (er->max_signals > TH_ENGINE_MAX_SIGNALS_CAP)
        er->max_signals = TH_ENGINE_MAX_SIGNALS_CAP;
    er->cap = TH_ANEWN(&e->arena, const char *, nkeys ? nkeys : 1);
    for (size_t i = 0; i < nkeys; i++)
        er->cap[er->ncap++] = th_arena_strdup(&e->arena, keys[i]);
    TH_VEC_PUSH(&e->always, idx);
    return idx;
}

/* ---- hot pass ------------------------------------------------------------ */

typedef struct route_ctx {
    const th_engine *e;
    const char *field;
    th_idxvec *hits[64];
    size_t nhits;
} route_ctx;

static void route_lookup(route_ctx *c, th_str v, bool nocase)
{
    char key[512];
    size_t fl = strlen(c->field);
    if (fl + 1 + v.n >= sizeof key || c->nhits == sizeof c->hits / sizeof c->hits[0])
        return;
    memcpy(key, c->field, fl);
    key[fl] = nocase ? '\x1e' : '\x1f';
    for (size_t i = 0; i < v.n; i++)
        key[fl + 1 + i] = nocase ? (char)tolower((unsigned char)v.p[i]) : v.p[i];
    th_idxvec *hit = th_map_get(&c->e->route, th_str_make(key, fl + 1 + v.n));
    if (hit)
        c->hits[c->nhits++] = hit;
}

static bool route_visit(const th_jval *v, void *ctx)
{
    if (v->type != TH_JSTR)
        return true;
    route_lookup(ctx, v->u.str, false);
    route_lookup(ctx, v->u.str, true);
    return true;
}

/* Limits of Elasticsearch keyword fields: longer values are not indexed, so
 * they neither aggregate nor group (SEMANTICS.md 3.4). From the field schema;
 * fields it does not know get the integration's defaults. */
static size_t ignore_above(const char *field)
{
    th_str f = th_str_c(field);
    const th_field_def *def = th_schema_lookup(f);
    if (def) {
        if (def->ignore_above > 0)
            return (size_t)def->ignore_above;
        return SIZE_MAX;
    }
    if (th_str_ends(f, "request_parameters") || th_str_ends(f, "response_elements") ||
        th_str_ends(f, "additional_eventdata") || th_str_ends(f, "service_event_details"))
        return TH_IGNORE_ABOVE_PARAMETERS;
    return TH_IGNORE_ABOVE_DEFAULT;
}

typedef struct cap_ctx {
    th_arena *a;
    TH_VEC(th_str) vals;
    size_t limit;
} cap_ctx;

static bool cap_visit(const th_jval *v, void *ctx)
{
    cap_ctx *c = ctx;
    th_buf b;
    switch (v->type) {
    case TH_JSTR:
        if (v->u.str.n > c->limit)
            return true;
        th_buf_init(&b);
        th_json_write_str(&b, v->u.str);
        TH_VEC_PUSH(&c->vals, th_str_make(th_arena_strndup(c->a, b.data, b.len), b.len));
        th_buf_free(&b);
        return true;
    case TH_JNUM:
        TH_VEC_PUSH(&c->vals, v->u.str);
        return true;
    case TH_JTRUE:
        TH_VEC_PUSH(&c->vals, TH_STR_LIT("true"));
        return true;
    case TH_JFALSE:
        TH_VEC_PUSH(&c->vals, TH_STR_LIT("false"));
        return true;
    default:
        return true; /* null and objects carry no term */
    }
}

static int str_cmp_q(const void *x, const void *y)
{
    return th_value_cmp(*(const th_str *)x, *(const th_str *)y);
}

int th_value_cmp(th_str a, th_str b)
{
    bool an = a.n && a.p[0] != '"' && a.p[0] != 't' && a.p[0] != 'f';
    bool bn = b.n && b.p[0] != '"' && b.p[0] != 't' && b.p[0] != 'f';
    if (an && bn) {
        char x[64], y[64];
        if (a.n < sizeof x && b.n < sizeof y) {
            memcpy(x, a.p, a.n);
            x[a.n] = 0;
            memcpy(y, b.p, b.n);
            y[b.n] = 0;
            double dx = strtod(x, NULL), dy = strtod(y, NULL);
            if (dx != dy)
                return dx < dy ? -1 : 1;
        }
    }
    return th_str_cmp(a, b);
}

static void capture(th_engine *e, th_erule *r, th_match *m, const th_jval *doc)
{
    m->voff = TH_ANEWN(&e->arena, uint32_t, r->ncap + 1);
    cap_ctx c = {.a = &e->arena};
    for (size_t f = 0; f < r->ncap; f++) {
        size_t start = c.vals.len;
        c.limit = ignore_above(r->cap[f]);
        th_json_path_each(doc, th_str_c(r->cap[f]), cap_visit, &c);
        /* doc values: sorted, duplicates removed (keyword doc_values) */
        size_t n = c.vals.len - start;
        if (n > 1) {
            qsort(c.vals.items + start, n, sizeof(th_str), str_cmp_q);
            size_t w = start + 1;
            for (size_t i = start + 1; i < c.vals.len; i++) {
                if (!th_str_eq(c.vals.items[i], c.vals.items[w - 1]))
                    c.vals.items[w++] = c.vals.items[i];
            }
            c.vals.len = w;
        }
        m->voff[f] = (uint32_t)start;
        m->voff[f + 1] = (uint32_t)c.vals.len;
    }
    m->voff[r->ncap] = (uint32_t)c.vals.len;
    m->nvals = (uint32_t)c.vals.len;
    m->vals = TH_ANEWN(&e->arena, th_str, c.vals.len ? c.vals.len : 1);
    if (c.vals.len)
        memcpy(m->vals, c.vals.items, c.vals.len * sizeof(th_str));
    TH_VEC_FREE(&c.vals);
}

static uint32_t store_doc(th_engine *e, const th_event *ev)
{
    th_edoc d = {0};
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, ev->doc);
    d.json = th_str_make(th_arena_strndup(&e->arena, b.data, b.len), b.len);
    th_buf_free(&b);
    const th_jval *id = th_json_path_first(ev->doc, TH_STR_LIT("event.id"));
    if (id && id->type == TH_JSTR && id->u.str.n > 0)
        d.id = th_str_make(th_arena_strndup(&e->arena, id->u.str.p, id->u.str.n), id->u.str.n);
    else if (ev->file)
        d.id = th_str_c(th_arena_printf(&e->arena, "%s:%llu", ev->file,
                                        (unsigned long long)ev->offset));
    else
        d.id = th_str_c(th_arena_printf(&e->arena, "#%llu", (unsigned long long)ev->index));
    d.ts = ev->timestamp_ms;
    d.ingested = ev->ingested_ms;
    d.combined = th_event_combined_ts(ev);
    d.index = ev->index;
    e->doc_bytes += d.json.n + d.id.n + sizeof(th_edoc);
    TH_VEC_PUSH(&e->docs, d);
    return (uint32_t)(e->docs.len - 1);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- evaluation (read-only, thread-safe) ------------------------------- */

void th_hits_init(th_hits *h, const th_engine *e)
{
    memset(h, 0, sizeof(*h));
    h->nrules = e->rules.len;
    h->mark = th_xcalloc(h->nrules + 1, 1);
}

void th_hits_free(th_hits *h)
{
    free(h->items);
    free(h->mark);
    memset(h, 0, sizeof(*h));
}

void th_hits_clear(th_hits *h) { h->len = 0; }

static void eval_rule(const th_engine *e, size_t ri, const th_event *ev, th_hits *h)
{
    if (ri >= h->nrules || h->mark[ri])
        return;
    h->mark[ri] = 1;
    const th_erule *r = e->rules.items[ri];
    uint64_t t0 = e->o.profile ? now_ns() : 0;
    bool hit = !r->fn || r->fn(r->pred, ev->doc);
    uint8_t res = hit ? 1 : 0;
    if (hit && r->exc && th_exceptions_match(r->exc, ev->doc))
        res = 2;
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->items = th_xrealloc(h->items, h->cap * sizeof(th_hit));
    }
    th_hit x = {(uint32_t)ri, res, e->o.profile ? (uint32_t)(now_ns() - t0) : 0};
    h->items[h->len++] = x;
}

void th_engine_eval(const th_engine *e, const th_event *ev, th_hits *h)
{
    size_t start = h->len;
    if (th_event_combined_ts(ev) == TH_TIME_NONE)
        return; /* no time at all: no window can contain it */
    for (size_t i = 0; i < e->always.len; i++)
        eval_rule(e, e->always.items[i], ev, h);
    for (size_t f = 0; f < NROUTED; f++) {
        route_ctx rc = {.e = e, .field = routed_fields[f]};
        th_json_path_each(ev->doc, th_str_c(routed_fields[f]), route_visit, &rc);
        for (size_t k = 0; k < rc.nhits; k++) {
            for (size_t i = 0; i < rc.hits[k]->len; i++)
                eval_rule(e, rc.hits[k]->items[i], ev, h);
        }
    }
    for (size_t i = start; i < h->len; i++)
        h->mark[h->items[i].rule] = 0;
}

/* ---- commit (single thread, input order) ------------------------------- */

static void commit_match(th_engine *e, th_erule *r, const th_event *ev, int64_t *docidx)
{
    th_match m = {0};
    m.ts = ev->timestamp_ms;
    m.ingested = r->use_ingested ? ev->ingested_ms : TH_TIME_NONE;
    m.combined = r->use_ingested ? th_event_combined_ts(ev) : ev->timestamp_ms;
    m.order = ev->index;
    capture(e, r, &m, ev->doc);
    for (size_t i = 0; i < r->nstages; i++) /* sequences: which stages (rare: matches only) */
        if (r->stages[i].fn(r->stages[i].pred, ev->doc))
            m.stages |= 1u << i;
    /* threshold alerts are synthetic: they never need the source document;
     * new_terms needs it only when the match can build an alert */
    bool need_doc = r->exec != TH_EXEC_THRESHOLD &&
                    (r->exec != TH_EXEC_NEW_TERMS || th_nt_doc_needed(e, r, &m));
    if (need_doc && *docidx < 0)
        *docidx = store_doc(e, ev);
    m.doc = need_doc ? (uint32_t)*docidx : UINT32_MAX;
    e->match_bytes += sizeof(th_match) + (r->ncap + 1) * sizeof(uint32_t) + m.nvals * sizeof(th_str);
    TH_VEC_PUSH(&r->matches, m);
    r->rep.matches++;
}

void th_engine_commit(th_engine *e, const th_event *ev, const th_hits *h, size_t from, size_t to)
{
    e->events++;
    if (ev->ingested_ms != TH_TIME_NONE)
        e->with_ingested++;
    int64_t c = th_event_combined_ts(ev);
    if (c == TH_TIME_NONE)
        return;
    if (c < e->data_min)
        e->data_min = c;
    if (c > e->data_max)
        e->data_max = c;
    int64_t docidx = -1;
    for (size_t i = from; i < to; i++) {
        th_erule *r = e->rules.items[h->items[i].rule];
        r->rep.evals++;
        r->rep.eval_ns += h->items[i].ns;
        if (h->items[i].result == 2)
            r->rep.excepted++;
        else if (h->items[i].result == 1)
            commit_match(e, r, ev, &docidx);
    }
}

void th_engine_feed(th_engine *e, const th_event *ev)
{
    if (e->scratch_ready && e->scratch.nrules != e->rules.len) {
        th_hits_free(&e->scratch); /* rules were added since */
        e->scratch_ready = false;
    }
    if (!e->scratch_ready) {
        th_hits_init(&e->scratch, e);
        e->scratch_ready = true;
    }
    th_hits_clear(&e->scratch);
    th_engine_eval(e, ev, &e->scratch);
    th_engine_commit(e, ev, &e->scratch, 0, e->scratch.len);
}

/* ---- temporal pass driver --------------------------------------------- */

static int match_cmp(const void *x, const void *y)
{
    const th_match *a = x, *b = y;
    if (a->combined != b->combined)
        return a->combined < b->combined ? -1 : 1;
    if (a->ts != b->ts)
        return a->ts < b->ts ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int alert_cmp(const void *x, const void *y)
{
    const th_ealert *a = x, *b = y;
    if (a->pub.time_ms != b->pub.time_ms)
        return a->pub.time_ms < b->pub.time_ms ? -1 : 1;
    if (a->pub.rule_index != b->pub.rule_index)
        return a->pub.rule_index < b->pub.rule_index ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

bool th_state_charge(th_engine *e, th_erule *r, uint64_t *cur, uint64_t bytes)
{
    if (e->o.max_state_bytes && *cur + bytes > e->o.max_state_bytes) {
        r->rep.state_capped = true;
        return false;
    }
    *cur += bytes;
    if (*cur > r->rep.state_peak_bytes)
        r->rep.state_peak_bytes = *cur;
    return true;
}

void th_engine_finish(th_engine *e, th_alert_fn sink, void *ctx)
{
    if (e->finished)
        return;
    e->finished = true;
    e->from = e->o.from_ms != TH_TIME_NONE ? e->o.from_ms
              : e->data_min != INT64_MAX  ? e->data_min
                                          : TH_TIME_NONE;
    e->to = e->o.to_ms != TH_TIME_NONE ? e->o.to_ms
            : e->data_max != INT64_MIN ? e->data_max
                                       : TH_TIME_NONE;
    for (size_t i = 0; i < e->rules.len; i++) {
        th_erule *r = e->rules.items[i];
        if (r->rep.skipped)
            continue;
        uint64_t t0 = now_ns();
        if (r->matches.len > 1)
            qsort(r->matches.items, r->matches.len, sizeof(th_match), match_cmp);
        size_t before = e->alerts.len;
        switch (r->exec) {
        case TH_EXEC_NEW_TERMS:
            th_exec_new_terms(e, r);
            break;
        case TH_EXEC_THRESHOLD:
            th_exec_threshold(e, r);
            break;
        case TH_EXEC_SEQUENCE:
            th_exec_sequence(e, r);
            break;
        default:
            th_exec_query(e, r);
            break;
        }
        for (size_t k = before; k < e->alerts.len; k++)
            e->alerts.items[k].pub.rule_index = i;
        r->rep.temporal_ns = now_ns() - t0;
    }
    if (e->alerts.len > 1)
        qsort(e->alerts.items, e->alerts.len, sizeof(th_ealert), alert_cmp);
    for (size_t i = 0; i < e->alerts.len; i++) {
        e->alerts.items[i].pub.doc = e->alerts.items[i].doc;
        if (sink)
            sink(ctx, &e->alerts.items[i].pub);
    }
}

const th_rule_report *th_engine_reports(const th_engine *e, size_t *n)
{
    /* reports live inside the rules; copy pointers into a stable array */
    th_engine *me = (th_engine *)e;
    th_rule_report *out = TH_ANEWN(&me->arena, th_rule_report, e->rules.len ? e->rules.len : 1);
    for (size_t i = 0; i < e->rules.len; i++)
        out[i] = e->rules.items[i]->rep;
    *n = e->rules.len;
    return out;
}

void th_engine_period(const th_engine *e, int64_t *from_ms, int64_t *to_ms)
{
    *from_ms = e->from;
    *to_ms = e->to;
}

void th_engine_event_counts(const th_engine *e, uint64_t *events, uint64_t *with_ingested)
{
    *events = e->events;
    *with_ingested = e->with_ingested;
}

void th_engine_memory(const th_engine *e, uint64_t *docs, uint64_t *doc_bytes, uint64_t *match_bytes)
{
    *docs = e->docs.len;
    *doc_bytes = e->doc_bytes;
    *match_bytes = e->match_bytes;
}
