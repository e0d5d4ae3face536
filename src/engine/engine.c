/* The engine: rules in, the temporal pass driven, results out (engine.h).
 * The hot pass is in hotpass.c. */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "engine/exceptions.h"
#include "engine/internal.h"
#include "engine/sequence.h"

const char *const th_routed_fields[TH_NROUTED] = {"event.action", "event.provider",
                                                   "data_stream.dataset"};
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
    th_engine *e = th_xcalloc_lines(1, sizeof(*e));
    e->o = *o;
    if (!e->o.space_id)
        e->o.space_id = "default";
    if (!e->o.source_index)
        e->o.source_index = "logs-aws.cloudtrail-default";
    th_arena_init(&e->arena, 1 << 20);
    th_map_init(&e->route);
    th_map_init(&e->capfields);
    TH_VEC_PUSH(&e->lists, &th_vlist_empty);
    th_match_row_room(e, 1); /* th_match_row of a rule without rows: never NULL + 0 */
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
        TH_VEC_FREE(&r->ingested);
        TH_VEC_FREE(&r->mdoc);
        TH_VEC_FREE(&r->mstages);
        TH_VEC_FREE(&r->ret_trunc);
        free(r->esql_docs);
        th_map_free(&r->ids);
        th_arena_free(&r->ids_arena);
        th_map_free(&r->nt_seen);
        free(r->nt_memo);
        th_map_free(&r->supp_hist);
        TH_VEC_FREE(&r->thr_hist);
        free(r);
    }
    for (size_t i = 0; i < e->route.cap; i++) {
        if (e->route.slots[i].used) {
            th_routelist *v = e->route.slots[i].value;
            TH_VEC_FREE(v);
            free(v);
        }
    }
    th_map_free(&e->route);
    for (size_t i = 0; i < e->capfields.cap; i++)
        if (e->capfields.slots[i].used)
            free(((th_capfield *)e->capfields.slots[i].value)->intern);
    th_map_free(&e->capfields);
    th_lmaps_free(e);
    th_buf_free(&e->capbuf);
    TH_VEC_FREE(&e->lists);
    TH_VEC_FREE(&e->rowids);
    TH_VEC_FREE(&e->rules);
    TH_VEC_FREE(&e->docs);
    for (size_t i = 0; i < e->alerts.len; i++) {
        free(e->alerts.items[i].text);
        free(e->alerts.items[i].inst_heap);
    }
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
        return NULL; /* th_engine_add_rule wants the parsed query (th_engine_add_esql) */
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
    th_arena_init(&er->ids_arena, 0);
    th_map_init(&er->nt_seen);
    th_map_init(&er->supp_hist);
    er->last_run = er->done_until = er->cur_run = TH_TIME_NONE;
    er->cap_ts = UINT32_MAX;
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

size_t th_engine_fail_rule(th_engine *e, const th_rule *r, const char *reason)
{
    size_t idx = th_engine_skip_rule(e, r, reason);
    e->rules.items[idx]->rep.failed = true;
    return idx;
}

static void route_add(th_engine *e, const char *field, th_str value, bool nocase, size_t rule)
{
    char *key = th_arena_printf(&e->arena, "%s%c%.*s", field, nocase ? '\x1e' : '\x1f',
                                (int)value.n, value.p ? value.p : "");
    size_t flen = strlen(field) + 1;
    e->has_nocase |= nocase;
    if (nocase) {
        for (size_t i = flen; key[i]; i++)
            key[i] = (char)tolower((unsigned char)key[i]);
    }
    bool inserted;
    void **slot = th_map_ref(&e->route, th_str_c(key), &inserted);
    if (inserted) {
        th_routelist *l = th_xcalloc(1, sizeof *l);
        l->id = (uint32_t)(e->route.len - 1); /* the map counts this key */
        *slot = l;
    }
    th_routelist *v = *slot;
    if (v->len == 0 || v->items[v->len - 1] != rule)
        TH_VEC_PUSH(v, rule);
}


/* Picks the most selective indexable condition: event.action, then provider,
 * then dataset. NULL when none. */
static const th_prefilter *pick_prefilter(const th_prefilter *pf, size_t npf)
{
    for (size_t f = 0; f < TH_NROUTED; f++) {
        for (size_t i = 0; i < npf; i++) {
            /* an empty set means the rule can match nothing: never routed */
            if (pf[i].field && strcmp(pf[i].field, th_routed_fields[f]) == 0)
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

void th_engine_set_prefilter(th_engine *e, size_t idx, const th_prefilter *pf, size_t npf)
{
    if (idx >= e->rules.len || e->rules.items[idx]->rep.skipped)
        return;
    const th_prefilter *p = pick_prefilter(pf, npf);
    if (!p)
        return;
    size_t w = 0; /* no longer a candidate for every event */
    for (size_t i = 0; i < e->always.len; i++)
        if (e->always.items[i] != idx)
            e->always.items[w++] = e->always.items[i];
    e->always.len = w;
    for (size_t i = 0; i < p->nvalues; i++)
        route_add(e, p->field, p->values[i], p->nocase, idx);
}

size_t th_engine_add_esql(th_engine *e, const th_rule *r, const struct th_esql *q, th_pred_fn fn,
                          const void *pred, const th_prefilter *pf, size_t npf,
                          const th_exceptions *exc)
{
    e->adding_esql = q;
    size_t idx = th_engine_add_rule(e, r, fn, pred, pf, npf, exc);
    e->adding_esql = NULL;
    return idx;
}

static bool never(const void *pred, const th_jval *doc)
{
    (void)pred;
    (void)doc;
    return false;
}

size_t th_engine_add_esql_alerts(th_engine *e, const th_rule *r, const struct th_esql *q)
{
    static const th_str none[1] = {{"", 0}};
    th_prefilter pf = {"event.action", none, 0, false}; /* routes no event to it */
    size_t idx = th_engine_add_esql(e, r, q, never, NULL, &pf, 1, NULL);
    th_erule *er = e->rules.items[idx];
    if (!er->rep.skipped) {
        er->on_alerts = true;
        er->rep.reads_alerts = true;
        er->fields_known = true; /* it reads no event field */
    }
    return idx;
}

/* Routes rule idx by the prefilter pick_prefilter chooses, or evaluates it for
 * every event. */
static void add_prefilter(th_engine *e, size_t idx, const th_prefilter *pf, size_t npf)
{
    const th_prefilter *p = pick_prefilter(pf, npf);
    if (!p) {
        TH_VEC_PUSH(&e->always, idx);
    } else {
        for (size_t i = 0; i < p->nvalues; i++)
            route_add(e, p->field, p->values[i], p->nocase, idx);
    }
}

size_t th_engine_add_rule(th_engine *e, const th_rule *r, th_pred_fn fn, const void *pred,
                          const th_prefilter *pf, size_t npf, const th_exceptions *exc)
{
    const char *why = e->o.filters_only ? NULL
                      : r->type == TH_RULE_HUNT && e->adding_esql ? NULL
                                                                   : th_engine_unsupported(r);
    if (!why && r->type == TH_RULE_ESQL && !e->adding_esql && !e->o.filters_only)
        why = "esql rule without its parsed query (th_engine_add_esql)";
    if (why)
        return th_engine_skip_rule(e, r, why);
    th_erule *er = new_rule(e, r);
    er->esql = e->adding_esql;
    size_t idx = e->rules.len - 1;
    er->fn = fn;
    er->pred = pred;
    if (e->o.filters_only) { /* a filter: nothing captured, no schedule */
        er->exec = TH_EXEC_QUERY;
        add_prefilter(e, idx, pf, npf);
        return idx;
    }
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
    case TH_RULE_ESQL:
        er->exec = TH_EXEC_ESQL;
        break;
    case TH_RULE_HUNT:
        er->exec = TH_EXEC_HUNT;
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
    add_prefilter(e, idx, pf, npf);
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
    const char *why = r->type == TH_RULE_HUNT && e->adding_esql ? NULL : th_engine_unsupported(r);
    if (!why && r->type == TH_RULE_ESQL && !e->adding_esql)
        why = "esql rule without its parsed query (th_engine_add_esql)";
    if (why)
        return th_engine_skip_rule(e, r, why);
    th_erule *er = new_rule(e, r);
    er->esql = e->adding_esql;
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


/* ---- temporal pass driver --------------------------------------------- */

static int alert_cmp(const void *x, const void *y)
{
    const th_ealert *a = x, *b = y;
    if (a->pub.time_ms != b->pub.time_ms)
        return a->pub.time_ms < b->pub.time_ms ? -1 : 1;
    if (a->pub.rule_index != b->pub.rule_index)
        return a->pub.rule_index < b->pub.rule_index ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

uint64_t th_engine_retained_peak(const th_engine *e, bool *reached)
{
    *reached = e->budget_reached;
    return e->retained_peak;
}

uint64_t th_engine_alert_bytes(const th_engine *e) { return e->alert_bytes; }

bool th_state_charge(th_engine *e, th_erule *r, uint64_t *cur, uint64_t bytes)
{
    bool over_rule = e->o.max_state_bytes && *cur + bytes > e->o.max_state_bytes;
    if (over_rule || !th_budget_fits(e, bytes)) {
        r->rep.state_capped = true;
        r->rep.budget_reached |= !over_rule;
        return false;
    }
    *cur += bytes;
    e->state_bytes += bytes;
    th_budget_note(e);
    if (*cur > r->rep.state_peak_bytes)
        r->rep.state_peak_bytes = *cur;
    return true;
}

void th_state_release(th_engine *e, uint64_t *cur, uint64_t bytes)
{
    bytes = bytes < *cur ? bytes : *cur;
    *cur -= bytes;
    e->state_bytes -= bytes < e->state_bytes ? bytes : e->state_bytes;
}

void th_engine_set_threads(th_engine *e, unsigned n) { e->threads = n; }

void th_rule_forget_history(th_erule *r)
{
    th_map_free(&r->ids); /* th_map_free leaves an empty map */
    th_map_free(&r->supp_hist);
    r->thr_hist.len = 0;
}

/* One rule's temporal pass, on the engine or on a view of it (below). */
static void rule_pass(th_engine *e, size_t i, size_t nloaded)
{
    th_erule *r = e->rules.items[i];
    uint64_t t0 = th_now_ns();
    th_match_sort_rule(r);
    th_retain_finish(r);
    size_t before = e->alerts.len;
    /* the rule's temporal pass allocates in a scratch arena: its alerts are
     * kept as JSON text once it is over (a parsed ECS document takes several
     * times its text), and everything else it built is released */
    th_arena kept = e->arena;
    th_arena_init(&e->arena, 0);
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
    case TH_EXEC_ESQL:
        if (r->on_alerts)
            th_exec_esql_alerts(e, r);
        else
            th_exec_esql(e, r);
        break;
    case TH_EXEC_HUNT:
        break; /* the verb reads the matched documents (th_engine_each_doc) */
    default:
        th_exec_query(e, r);
        break;
    }
    for (size_t k = before; k < e->alerts.len; k++)
        e->alerts.items[k].pub.rule_index = i;
    th_alert_compact(e, before);
    for (size_t k = 0; k < nloaded; k++) /* revived by suppression: text again */
        if (e->alerts.items[k].doc)
            th_alert_compact(e, k);
    for (size_t k = 0; k < e->ncarried; k++) /* the same in a view: only its rule's */
        if (e->carried[k].pub.rule == r->rule && e->carried[k].doc)
            th_alert_compact_one(e, &e->carried[k]);
    int64_t first;
    uint64_t runs = r->exec == TH_EXEC_HUNT ? 0 : th_sched_runs(e, r, &first);
    r->done_until = runs ? first + (int64_t)(runs - 1) * th_sched_interval(r) : r->last_run;
    th_arena_free(&e->arena);
    e->arena = kept;
    r->rep.temporal_ns = th_now_ns() - t0;
}

/* A rule's matches once its pass is over, on one thread: no later pass
 * reads them (the rules over alerts read the alerts), only th_engine_save
 * (incremental runs) and a hunt's th_engine_each_doc. Freed, the pass of a
 * later rule grows the heap where they were: on the 1 GB bench file the run's
 * peak RSS is set at the discovery rule's (74f45152) panes, after the broad
 * ES|QL rules' passes. What the budget counted stays counted (the reports,
 * and a later rule's room, are those of the run that kept them). */
static void drop_matches(th_engine *e, th_erule *r)
{
    if (!e->o.incremental && r->exec != TH_EXEC_HUNT) {
        TH_VEC_FREE(&r->matches);
        TH_VEC_FREE(&r->ingested);
        TH_VEC_FREE(&r->mdoc);
        TH_VEC_FREE(&r->mstages);
    }
}

/* ---- the rules' passes on several threads ----------------------------------
 * Passes of different rules share nothing they write but the engine's
 * arena, alert list, alert counters and state accounting: each runs on a
 * view, a copy of the engine struct with those of its own (everything else
 * it reads, documents, matches, options, the period, is not written during
 * the passes). The views are merged in rule order, which gives the alerts
 * the creation order (seq) that one thread gives them.
 *
 * State accounting: a view counts its own state from 0 and never refuses for
 * the budget; the engine's peak is then what one thread would have seen:
 * rule i's own peak on top of the net state of the rules before it. If that
 * reaches max_memory_bytes, one thread would have refused something: the
 * passes are undone and run again one after the other (possible only when
 * no rule started with state from an earlier run, whose maps the passes
 * extend: with such state and a budget, one thread does it all). */

typedef struct rule_undo {
    th_rule_report rep;
    int64_t cur_run, done_until;
} rule_undo;

typedef struct finish_pool {
    th_engine *views;     /* per rule index (pass-1 rules only) */
    const size_t *order;  /* rule indices, largest pass first */
    size_t n;
    _Atomic size_t next;  /* the next entry of `order` to take */
} finish_pool;

static void *finish_worker(void *arg)
{
    finish_pool *fp = arg;
    for (size_t k; (k = atomic_fetch_add(&fp->next, 1)) < fp->n;)
        rule_pass(&fp->views[fp->order[k]], fp->order[k], 0);
    return NULL;
}

typedef struct lpt_key {
    uint64_t evals;
    size_t matches, rule;
} lpt_key;

/* More evaluations first, then more matches, then rule order. A pass's work
 * grows with its matches, but at no one rate: of the 1 GB file "AWS
 * Discovery API Calls via CLI from a Single Resource" keeps 41,508 matches,
 * the ASN rule 684,233, and their passes take 114 and 96 ms of thread CPU
 * (one thread, best of 3); by matches the first started among the last, by
 * its 553,789 events evaluated it starts third. From each pass's CPU at one
 * thread, two threads taking the rules in order end after (ms, by matches ->
 * by evaluations; the best split): 1 GB file 249.5 -> 218.7 (213.9), S3 2
 * days 102.1 -> 87.4 (87.4), b100k 16.8 -> 16.5 (16.5), esqlday 13.3 -> 13.2
 * (13.0). The order cannot change the output: the views merge in rule order. */
static int lpt_cmp(const void *x, const void *y)
{
    const lpt_key *a = x, *b = y;
    if (a->evals != b->evals)
        return a->evals > b->evals ? -1 : 1;
    if (a->matches != b->matches)
        return a->matches > b->matches ? -1 : 1;
    return a->rule < b->rule ? -1 : a->rule > b->rule;
}

/* Runs the passes of rules[0..n) (engine indices) on their views, on up to
 * e->threads threads, the calling one included. */
static void run_views(th_engine *e, th_engine *views, const size_t *rules, size_t n)
{
    lpt_key *keys = th_xmalloc(n * sizeof *keys);
    for (size_t k = 0; k < n; k++)
        keys[k] = (lpt_key){e->rules.items[rules[k]]->rep.evals,
                            e->rules.items[rules[k]]->matches.len, rules[k]};
    qsort(keys, n, sizeof *keys, lpt_cmp);
    size_t *order = th_xmalloc(n * sizeof *order);
    for (size_t k = 0; k < n; k++)
        order[k] = keys[k].rule;
    free(keys);
    finish_pool fp = {views, order, n, 0};
    size_t nthreads = e->threads < n ? e->threads : n;
    pthread_t *tids = th_xcalloc(nthreads, sizeof *tids);
    size_t started = 0;
    for (size_t k = 1; k < nthreads; k++) /* without threads the calling one does it all */
        if (pthread_create(&tids[started], NULL, finish_worker, &fp) == 0)
            started++;
    finish_worker(&fp);
    for (size_t k = 0; k < started; k++)
        pthread_join(tids[k], NULL);
    free(tids);
    free(order);
}

/* Merges view v (rule i's pass) into the engine; false when one thread
 * would have reached the memory budget in it. */
static bool view_merge(th_engine *e, th_engine *v)
{
    bool fits = true;
    if (v->retained_peak) { /* it charged state: its peak, over the rules before it */
        uint64_t peak = v->retained_peak + e->state_bytes;
        fits = !e->o.max_memory_bytes || peak <= e->o.max_memory_bytes;
        if (peak > e->retained_peak)
            e->retained_peak = peak;
    }
    e->state_bytes += v->state_bytes;
    e->alert_bytes += v->alert_bytes;
    for (size_t k = 0; k < v->alerts.len; k++) {
        v->alerts.items[k].seq = e->seq++;
        TH_VEC_PUSH(&e->alerts, v->alerts.items[k]);
    }
    TH_VEC_FREE(&v->alerts);
    return fits;
}

/* The pass-1 rules' passes on several threads (see above); false, with
 * nothing done, when one thread must do them. */
static bool finish_parallel(th_engine *e, size_t nloaded)
{
    if (e->threads < 2 || e->trace)
        return false;
    bool undoable = nloaded == 0;
    size_t n = 0;
    size_t *rules = th_xmalloc((e->rules.len ? e->rules.len : 1) * sizeof *rules);
    for (size_t i = 0; i < e->rules.len; i++) {
        const th_erule *r = e->rules.items[i];
        undoable &= !r->loaded;
        if (!r->rep.skipped && !r->on_alerts)
            rules[n++] = i;
    }
    if (n < 2 || (e->o.max_memory_bytes && !undoable)) {
        free(rules);
        return false;
    }
    th_engine *views = th_xcalloc_lines(e->rules.len, sizeof *views);
    rule_undo *undo = th_xmalloc(e->rules.len * sizeof *undo);
    for (size_t k = 0; k < n; k++) {
        th_erule *r = e->rules.items[rules[k]];
        undo[rules[k]] = (rule_undo){r->rep, r->cur_run, r->done_until};
        th_engine *v = &views[rules[k]];
        *v = *e;
        th_arena_init(&v->arena, 0);
        memset(&v->alerts, 0, sizeof v->alerts);
        v->seq = 0;
        v->alert_bytes = 0;
        v->state_bytes = 0;
        v->retained_peak = 0;
        v->o.max_memory_bytes = 0; /* checked by view_merge */
        v->carried = e->alerts.items;
        v->ncarried = nloaded;
    }
    run_views(e, views, rules, n);
    uint64_t state0 = e->state_bytes, peak0 = e->retained_peak, seq0 = e->seq, bytes0 = e->alert_bytes;
    size_t alerts0 = e->alerts.len;
    bool fits = true;
    for (size_t k = 0; k < n; k++) {
        fits &= view_merge(e, &views[rules[k]]);
        th_arena_free(&views[rules[k]].arena);
    }
    if (!fits) { /* undone: one thread runs them again, with the budget */
        for (size_t k = alerts0; k < e->alerts.len; k++) {
            free(e->alerts.items[k].text);
            free(e->alerts.items[k].inst_heap);
        }
        e->alerts.len = alerts0;
        e->state_bytes = state0;
        e->retained_peak = peak0;
        e->seq = seq0;
        e->alert_bytes = bytes0;
        for (size_t k = 0; k < n; k++) {
            th_erule *r = e->rules.items[rules[k]];
            th_rule_forget_history(r); /* none was loaded (undoable) */
            th_arena_free(&r->ids_arena);
            th_arena_init(&r->ids_arena, 0);
            free(r->esql_docs);
            r->esql_docs = NULL;
            r->rep = undo[rules[k]].rep;
            r->cur_run = undo[rules[k]].cur_run;
            r->done_until = undo[rules[k]].done_until;
        }
    }
    free(undo);
    free(views);
    free(rules);
    return fits;
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
    if (e->o.incremental && e->o.to_ms == TH_TIME_NONE) {
        /* the newest event read by this run or an earlier one, less the
         * settle margin (objects still in flight) unless the period ends */
        int64_t wm = e->o.watermark_ms;
        if (e->data_max != INT64_MIN && (wm == TH_TIME_NONE || e->data_max > wm))
            wm = e->data_max;
        e->to = wm == TH_TIME_NONE ? TH_TIME_NONE : e->o.final_runs ? wm : wm - e->o.settle_ms;
    }
    size_t nloaded = 0; /* alerts carried over from an earlier run come first */
    while (nloaded < e->alerts.len && e->alerts.items[nloaded].loaded)
        nloaded++;
    bool done = finish_parallel(e, nloaded); /* the rules over events */
    for (size_t i = 0; i < e->rules.len; i++) {
        th_erule *r = e->rules.items[i];
        if (!r->rep.skipped && !r->on_alerts && !done) {
            rule_pass(e, i, nloaded);
            drop_matches(e, r);
        }
    }
    for (size_t i = 0; i < e->rules.len; i++) {
        th_erule *r = e->rules.items[i];
        if (!r->rep.skipped && r->on_alerts) /* last, over everything the others raised */
            rule_pass(e, i, nloaded);
    }
    if (e->alerts.len > 1)
        qsort(e->alerts.items, e->alerts.len, sizeof(th_ealert), alert_cmp);
    th_arena scratch;
    th_arena_init(&scratch, 0);
    for (size_t i = 0; i < e->alerts.len; i++) {
        th_ealert *al = &e->alerts.items[i];
        if (al->loaded && !al->dirty)
            continue; /* written by the run that created it */
        th_json_error err;
        al->pub.doc = th_json_parse(&scratch, al->text, al->text_len, &err);
        al->pub.update = al->loaded;
        if (sink && al->pub.doc)
            sink(ctx, &al->pub);
        al->pub.doc = NULL;
        if (!e->o.incremental) { /* else kept for th_engine_save */
            free(al->text);
            al->text = NULL;
        }
        th_arena_reset(&scratch);
    }
    th_arena_free(&scratch);
}

void th_engine_each_field(const th_engine *e, th_rule_field_fn fn, void *ctx)
{
    for (size_t i = 0; i < e->rules.len; i++) {
        const th_erule *r = e->rules.items[i];
        if (r->rep.skipped)
            continue;
        for (size_t k = 0; k < r->nfields; k++)
            fn(ctx, r->rule, r->fields[k]);
        for (size_t k = 0; k < r->ncap; k++)
            fn(ctx, r->rule, r->cap[k]);
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

/* ---- trace (explain) ---------------------------------------------------- */

void th_engine_set_trace(th_engine *e, th_engine_trace *t)
{
    e->trace = t;
}

void *th_match_grow(void *items, size_t *cap, size_t len, size_t n, size_t size, const char *what)
{
    const size_t lim = UINT32_MAX - 1;
    if (n > lim - len) {
        fprintf(stderr, "trailhound: more than %zu %s kept: too many for a match's 32-bit index\n",
                lim, what);
        abort();
    }
    size_t c = *cap ? *cap * 2 : 8;
    while (c < len + n)
        c *= 2;
    *cap = c < lim ? c : lim;
    return th_xrealloc(items, *cap * size);
}

bool th_trace_is(const th_engine *e, const th_erule *r, const th_match *m)
{
    const th_engine_trace *tr = e->trace;
    return tr && tr->matched && tr->rule < e->rules.len && e->rules.items[tr->rule] == r &&
           m->order == tr->order;
}

th_trace_run *th_trace_entry(th_engine *e, const th_erule *r, const th_match *m, int64_t t,
                             const th_str *tuple, size_t nf)
{
    th_engine_trace *tr = e->trace;
    if (!th_trace_is(e, r, m))
        return NULL;
    char key[256];
    size_t k = 0;
    key[0] = 0;
    for (size_t f = 0; f < nf && f < r->ncap && k < sizeof key; f++) {
        int w = snprintf(key + k, sizeof key - k, "%s%s: %.*s", f ? ", " : "", r->cap[f],
                         (int)tuple[f].n, tuple[f].p);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    for (size_t i = 0; i < tr->nruns; i++)
        if (tr->runs[i].run_ms == t && strcmp(tr->runs[i].key, key) == 0)
            return &tr->runs[i];
    if (tr->nruns == TH_TRACE_MAX_RUNS) {
        tr->dropped++;
        return NULL;
    }
    th_trace_run *x = &tr->runs[tr->nruns++];
    memset(x, 0, sizeof *x);
    x->run_ms = t;
    x->from_ms = t - th_sched_lookback(r);
    memcpy(x->key, key, sizeof key);
    return x;
}
