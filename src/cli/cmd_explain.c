/* trailhound explain --rule RULE --event EVENT.json | --data PATH --event-id ID:
 * every clause of the rule's query with its truth value on the event and the
 * values it saw (tune/explain.h); with --data, also whether the rule raised
 * an alert for the event when replayed (stateful rules). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/timeutil.h"
#include "cli/args.h"
#include "cli/enrich.h"
#include "cli/guard.h"
#include "cli/tune_cli.h"
#include "cli/verbs.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "engine/exceptions.h"
#include "engine/sequence.h"
#include "io/input.h"
#include "pipeline/pipeline.h"
#include "query/esql.h"
#include "query/query.h"
#include "tune/explain.h"
#include "tune/replay.h"

static const th_opt opts[] = {
    {"rule", TH_OPT_VALUE, "RULE", "the rule: FILE or FILE@REV"},
    {"event", TH_OPT_VALUE, "EVENT.json", "one event: raw CloudTrail record or ECS document"},
    {"data", TH_OPT_MULTI, "PATH", "data to find --event-id in (and to replay the rule over)"},
    {"event-id", TH_OPT_VALUE, "ID", "the event's eventID / event.id"},
    {"from", TH_OPT_VALUE, "T", TH_CLI_FROM_HELP " (with --data)"},
    {"to", TH_OPT_VALUE, "T", TH_CLI_TO_HELP " (with --data)"},
    {"exceptions", TH_OPT_MULTI, "FILE", "exception lists, as for run (Kibana NDJSON or TOML)"},
    {"format", TH_OPT_VALUE, "text|json", "output (default text)"},
    TH_ENRICH_OPTS,
};

static bool is_raw(const th_jval *doc)
{
    return th_jobj_get(doc, "eventName") && th_jobj_get(doc, "eventSource");
}

/* The ECS document of a raw record or ECS doc, in arena a. */
static th_jval *as_ecs(th_mapper *m, th_arena *a, th_jval *doc, th_str text)
{
    if (!is_raw(doc))
        return th_json_clone(a, doc);
    return th_json_clone(a, th_ecs_map(m, a, doc, text));
}

static th_jval *event_from_file(const char *path, th_mapper *m, th_arena *a)
{
    size_t len;
    char *text = th_tune_cli_read(path, &len);
    if (!text) {
        fprintf(stderr, "trailhound explain: cannot read %s\n", path);
        return NULL;
    }
    th_json_error err;
    char *keep = th_arena_strndup(a, text, len);
    free(text);
    th_jval *doc = th_json_parse(a, keep, len, &err);
    if (!doc) {
        fprintf(stderr, "%s: byte %zu: %s\n", path, err.offset, err.reason);
        return NULL;
    }
    th_jval *recs = th_jobj_get(doc, "Records"); /* an S3 object: its first record */
    if (th_jis(recs, TH_JARR) && recs->len)
        doc = recs->u.items[0];
    return as_ecs(m, a, doc, th_str_make(keep, len));
}

/* Finding the event: the pipeline keeps only the record with that id (the
 * raw eventID, or event.id of an ECS document) and stops after it. */
typedef struct find_ctx {
    const char *id;
    th_arena *a;
    th_jval *found;
    th_pipeline *pipe;
} find_ctx;

static bool find_keep(void *ctx, const th_record *rec)
{
    find_ctx *f = ctx;
    const char *path = rec->kind == TH_REC_ECS ? "event.id" : "eventID";
    return !f->found && th_str_eqc(th_jstr(th_json_path_first(rec->json, th_str_c(path))), f->id);
}

static void find_event(void *ctx, const th_event *ev, th_rec_kind kind)
{
    (void)kind;
    find_ctx *f = ctx;
    f->found = th_json_clone(f->a, ev->doc);
    f->pipe->stop = true;
}

static th_jval *event_from_data(const char *const *data, size_t n, const char *id, th_mapper *m,
                                th_arena *a, th_diags *diags)
{
    th_input_opts io;
    th_input_opts_default(&io, diags);
    th_input *in = th_input_open(data, n, &io);
    find_ctx f = {.id = id, .a = a};
    th_pipeline p = {.diags = diags, .delay = TH_TIME_NONE, .threads = 1, .verb = "explain",
                     .full_docs = true, .mapper = m, .keep = find_keep, .on_event = find_event,
                     .ctx = &f};
    f.pipe = &p;
    th_pipeline_run(&p, in); /* the mapper stays ours */
    if (in)
        th_input_close(in);
    return f.found;
}

static void fmt_time(int64_t ms, char out[32])
{
    if (ms == TH_TIME_NONE)
        snprintf(out, 32, "-");
    else
        th_time_format_iso(ms, out);
}

/* Same values at every new_terms field? (first value of each, as text) */
static bool same_terms(const th_rule *r, const th_jval *a, const th_jval *b)
{
    for (size_t i = 0; i < r->new_terms_fields.len; i++) {
        th_str f = th_str_c(r->new_terms_fields.items[i]), x, y;
        if (!th_tune_value_text(th_json_path_first(a, f), &x) ||
            !th_tune_value_text(th_json_path_first(b, f), &y) || !th_str_eq(x, y))
            return false;
    }
    return r->new_terms_fields.len > 0;
}

/* The earlier alert that made this event's terms "seen", if the replay has it. */
static void new_terms_claim(const th_rule *r, const th_replay *rp, const th_jval *doc)
{
    for (size_t i = 0; i < rp->alerts[0].len; i++) {
        const th_talert *al = &rp->alerts[0].items[i];
        if (!same_terms(r, al->doc, doc))
            continue;
        char ts[32] = "-";
        if (al->ts_ms != TH_TIME_NONE)
            th_time_format_iso(al->ts_ms, ts);
        printf("  the same terms alerted first at %s (event %.*s)\n", ts, (int)al->id.n, al->id.p);
        return;
    }
    printf("  no alert of the replayed period carries these terms\n");
}


/* "6-minute", "90-second": a run window's length */
/* Is there an alert for the event with this id? */
static bool alert_of(const th_replay *rp, const char *id)
{
    for (size_t i = 0; id[0] && i < rp->alerts[0].len; i++)
        if (th_str_eqc(rp->alerts[0].items[i].id, id))
            return true;
    return false;
}

/* new_terms: why the event raised no alert, from the engine's trace: a
 * new_terms field without a value (no term at all), or per term tuple its
 * first sighting in the history window (before the run window: seen; inside
 * it: an earlier event of the same run builds the alert). */
static void new_terms_why(const th_rule *r, const th_engine_trace *t, const th_replay *rp,
                          const th_jval *doc)
{
    if (t->nt_missing) {
        const char *f = r->new_terms_fields.items[t->nt_missing - 1];
        const th_jval *v = th_json_path_first(doc, th_str_c(f));
        if (v && v->type != TH_JNULL)
            printf("  why: no term: the value of the new_terms field %s is not aggregatable\n"
                   "  (longer than the field's ignore_above): Kibana's terms aggregation skips\n"
                   "  the event, so new_terms never alerts on it\n",
                   f);
        else
            printf("  why: no term: the event has no value for the new_terms field %s; a\n"
                   "  document missing any of the rule's new_terms fields gives no term, so\n"
                   "  new_terms never alerts on it (whatever the history)\n",
                   f);
        return;
    }
    if (t->nruns == 0) {
        printf("  why: no run window of the replayed period contains this event\n");
        return;
    }
    bool named = false; /* an alerting first sighting was named */
    for (size_t i = 0; i < t->nruns; i++) {
        const th_trace_run *x = &t->runs[i];
        bool first = true, alerted = false, trunc = false; /* one line per tuple */
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(t->runs[j].key, x->key) != 0;
        if (!first)
            continue;
        for (size_t j = i; j < t->nruns; j++)
            if (strcmp(t->runs[j].key, x->key) == 0) {
                alerted |= t->runs[j].alerted;
                trunc |= t->runs[j].truncated;
            }
        char run[32], seen[32], hist[32];
        fmt_time(x->run_ms, run);
        fmt_time(x->first_ms, seen);
        fmt_time(x->history_ms, hist);
        const char *fid = x->first_id[0] ? x->first_id : "not kept";
        bool fa = alert_of(rp, x->first_id); /* the first sighting raised their alert */
        named |= fa && (x->history || x->first_order != t->order);
        if (alerted)
            printf("  terms {%s}: new; this event raised their alert\n", x->key);
        else if (trunc)
            printf("  why: the terms {%s} were new in the run at %s, which was past max_signals\n",
                   x->key, run);
        else if (x->history)
            printf("  why: the terms {%s} were already seen in the history window (%s, from %s)\n"
                   "  before the run window of %s: first sighting at %s (event %s)%s\n",
                   x->key, r->history_window_start ? r->history_window_start : "?", hist, run,
                   seen, fid, fa ? ", which raised their alert" : "");
        else if (x->first_order != t->order)
            printf("  why: the terms {%s} are new in the run at %s, but an earlier event of that\n"
                   "  run window holds them first and builds the alert: first sighting at %s "
                   "(event %s)%s\n",
                   x->key, run, seen, fid, fa ? ", which raised their alert" : "");
        else
            printf("  why: the terms {%s} were new in the run at %s; the alert was de-duplicated\n",
                   x->key, run);
    }
    if (!named)
        new_terms_claim(r, rp, doc);
}

static void fmt_span(int64_t ms, char out[32])
{
    if (ms % 60000 == 0)
        snprintf(out, 32, "%lld-minute", (long long)(ms / 60000));
    else
        snprintf(out, 32, "%lld-second", (long long)(ms / 1000));
}

/* Threshold: per bucket of this event, the largest count any run window
 * containing it reached, versus the threshold (from the engine's trace). */
static bool threshold_why(const th_rule *r, const th_engine_trace *t, bool print)
{
    bool raised = false;
    for (size_t i = 0; i < t->nruns; i++)
        raised |= t->runs[i].alerted;
    if (!print)
        return raised;
    for (size_t i = 0; i < t->nruns; i++) {
        const th_trace_run *x = &t->runs[i];
        bool first = true; /* one line per bucket key, at its first run */
        for (size_t j = 0; j < i && first; j++)
            first = strcmp(t->runs[j].key, x->key) != 0;
        if (!first)
            continue;
        uint64_t maxc = 0, maxd = 0;
        bool hist = false, trunc = false;
        char span[32], ts[32];
        fmt_span(x->run_ms - x->from_ms, span);
        printf("  bucket {%s}:", x->key[0] ? x->key : "all events (no threshold.field)");
        bool any = false;
        for (size_t j = i; j < t->nruns; j++) {
            const th_trace_run *y = &t->runs[j];
            if (strcmp(y->key, x->key) != 0)
                continue;
            hist |= y->history;
            trunc |= y->truncated;
            any |= y->alerted;
            if (y->count > maxc)
                maxc = y->count;
            if (y->cardinality > maxd)
                maxd = y->cardinality;
        }
        printf(" at most %llu matching events in one %s run window containing this event "
               "(threshold >= %lld)",
               (unsigned long long)maxc, span, (long long)r->threshold_value);
        if (r->cardinality_field)
            printf(", at most %llu distinct %s (cardinality >= %lld)", (unsigned long long)maxd,
                   r->cardinality_field, (long long)r->cardinality_value);
        printf("; %s\n", any ? "ALERT" : "no alert");
        for (size_t j = i; j < t->nruns; j++) {
            const th_trace_run *y = &t->runs[j];
            if (strcmp(y->key, x->key) != 0 || !y->alerted)
                continue;
            fmt_time(y->run_ms, ts);
            printf("    alert: the run at %s counted %llu events", ts,
                   (unsigned long long)y->count);
            if (r->cardinality_field)
                printf(", %llu distinct %s", (unsigned long long)y->cardinality,
                       r->cardinality_field);
            printf("\n");
        }
        if (hist)
            printf("    (some runs left this event out: an earlier alert of the bucket had "
                   "already counted it)\n");
        if (trunc)
            printf("    (the bucket qualified in a run but was past max_signals)\n");
    }
    if (t->nruns == 0)
        printf("  no run window of the replayed period contains this event\n");
    if (t->dropped)
        printf("  (%zu more run windows not shown)\n", t->dropped);
    return raised;
}

/* EQL sequence: the stages it satisfies and its part in sequences. */
static bool sequence_why(const th_engine_trace *t, size_t nstages, bool print)
{
    unsigned all = 0;
    for (size_t i = 0; i < t->nruns; i++)
        all |= t->runs[i].seq;
    bool raised = all & TH_TRACE_SEQ_ALERTED;
    if (!print || raised)
        return raised;
    if (t->nruns == 0) {
        printf("  why: no run window of the replayed period held it with enough events for a "
               "sequence, or the event lacks the join key\n");
        return raised;
    }
    size_t last = 0;
    for (size_t s = 0; s < nstages; s++)
        if (t->stages & (1u << s))
            last = s;
    if (all & TH_TRACE_SEQ_COMPLETED)
        printf("  why: it completed a sequence, which was past max_signals in its run\n");
    else if (all & (TH_TRACE_SEQ_OPENED | TH_TRACE_SEQ_EXTENDED))
        printf("  why: no later stage-%zu event with the same join key followed within maxspan "
               "in a run window (or a newer candidate took its place)\n",
               last + 2 <= nstages ? last + 2 : nstages);
    else if (all & TH_TRACE_SEQ_MAXSPAN)
        printf("  why: the waiting stage-%zu event with the same join key was more than maxspan "
               "earlier\n",
               last);
    else if (all & TH_TRACE_SEQ_NO_PRIOR)
        printf("  why: no earlier stage-%zu event with the same join key was waiting\n", last);
    for (size_t i = 0; i < t->nruns && i < 4; i++) {
        char ts[32];
        fmt_time(t->runs[i].run_ms, ts);
        printf("  run %s, join key {%s}\n", ts, t->runs[i].key);
    }
    return raised;
}

static void stateful(const th_rule *r, const th_args *args, const char *const *data, size_t n,
                     const char *id, bool selected, const th_jval *doc, size_t nstages,
                     const th_exceptions *exc, const char *exc_why, th_diags *diags)
{
    th_replay rp;
    th_replay_init(&rp);
    th_replay_add(&rp, r, NULL);
    th_engine_trace *tr = calloc(1, sizeof *tr);
    tr->id = id;
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(args, &mo, &paths);
    th_replay_opts ro = {data, n, TH_TIME_NONE, TH_TIME_NONE, diags, exc, tr, true, &mo, NULL, NULL, NULL, 0};
    if (!th_tune_cli_period("explain", args, &ro.from_ms, &ro.to_ms) || !th_replay_run(&rp, &ro)) {
        th_replay_free(&rp);
        free(tr);
        return;
    }
    if (rp.skipped[0]) {
        printf("replay: the rule did not run: %s\n", rp.skipped[0]);
        th_replay_free(&rp);
        free(tr);
        return;
    }
    bool raised = false;
    if (r->type == TH_RULE_THRESHOLD)
        raised = threshold_why(r, tr, false);
    else if (nstages)
        raised = sequence_why(tr, nstages, false);
    for (size_t i = 0; i < rp.alerts[0].len && !raised; i++)
        raised = th_str_eqc(rp.alerts[0].items[i].id, id);
    printf("replay: %zu alerts by the rule over the data; this event %s an alert\n",
           rp.alerts[0].len, raised ? "RAISED" : "did not raise");
    if (tr->excepted) {
        printf("  why: %s\n", exc_why && *exc_why ? exc_why : "removed by an exception list");
    } else if (selected && !tr->matched) {
        printf("  why: the engine did not see it (no usable timestamp?)\n");
    } else if (r->type == TH_RULE_THRESHOLD && selected) {
        threshold_why(r, tr, true);
    } else if (nstages && selected) {
        sequence_why(tr, nstages, true);
    } else if (selected && !raised) {
        switch (r->type) {
        case TH_RULE_NEW_TERMS:
            new_terms_why(r, tr, &rp, doc);
            break;
        default:
            printf("  why: outside the replayed period, past max_signals in its run, or\n"
                   "  removed by de-duplication or suppression\n");
        }
    }
    th_replay_free(&rp);
    free(tr);
}

/* ---- ES|QL rules: the pipeline of the run that held the event ---------- */

static int64_t combined_ms(const th_jval *doc)
{
    int64_t ms;
    const char *keys[] = {"event.ingested", "@timestamp"};
    for (size_t i = 0; i < 2; i++) {
        th_str v = th_jstr(th_json_path_first(doc, th_str_c(keys[i])));
        if (v.p && th_time_parse_iso(v.p, v.n, &ms))
            return ms;
    }
    return TH_TIME_NONE;
}

typedef struct win_ctx {
    th_arena *a;
    int64_t lo, hi;
    th_jval **docs;
    int64_t *ts;
    size_t n, cap;
} win_ctx;

static void win_event(void *ctx, const th_event *ev, th_rec_kind kind)
{
    (void)kind;
    win_ctx *w = ctx;
    int64_t t = ev->ingested_ms != TH_TIME_NONE ? ev->ingested_ms : ev->timestamp_ms;
    if (t == TH_TIME_NONE || t < w->lo || t > w->hi)
        return;
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 256;
        w->docs = th_xrealloc(w->docs, w->cap * sizeof *w->docs);
        w->ts = th_xrealloc(w->ts, w->cap * sizeof *w->ts);
    }
    w->docs[w->n] = th_json_clone(w->a, ev->doc);
    w->ts[w->n++] = t;
}

/* every event of the data with its combined time in [lo, hi], in input order */
static void window_docs(const char *const *data, size_t n, th_mapper *m, th_diags *diags, win_ctx *w)
{
    th_input_opts io;
    th_input_opts_default(&io, diags);
    th_input *in = th_input_open(data, n, &io);
    th_pipeline p = {.diags = diags, .delay = TH_TIME_NONE, .threads = 1, .verb = "explain",
                     .full_docs = true, .mapper = m, .on_event = win_event, .ctx = w};
    th_pipeline_run(&p, in);
    if (in)
        th_input_close(in);
}

static int64_t ceil_to(int64_t x, int64_t iv)
{
    int64_t k = x / iv;
    if (x % iv != 0 && x > 0)
        k++;
    return k * iv;
}

static int esql_doc_order(const void *x, const void *y)
{
    const int64_t *a = x, *b = y; /* (time, input position) pairs */
    if (a[0] != b[0])
        return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

/* The rule's scheduled runs whose window holds the event (epoch-aligned, as
 * `run` schedules them without --interval-phase): the first run where the
 * event reaches the query's result, else the one where it got furthest, is
 * explained command by command. Returns the exit code. */
static int explain_esql(const th_rule *r, const th_esql *q, th_jval *doc, const char *const *data,
                        size_t ndata, const char *id, const char *evfile, th_mapper *m, th_arena *a,
                        bool json, th_diags *diags)
{
    int64_t t_ev = combined_ms(doc);
    if (t_ev == TH_TIME_NONE) {
        fprintf(stderr, "trailhound explain: the event has no @timestamp\n");
        return TH_EXIT_USAGE;
    }
    int64_t iv = r->interval_ms > 0 ? r->interval_ms : 5 * 60 * 1000;
    int64_t lb = r->lookback_ms > 0 ? r->lookback_ms : 6 * 60 * 1000;
    int64_t first = ceil_to(t_ev, iv);
    win_ctx w = {.a = a, .lo = first - lb, .hi = first + lb + iv};
    size_t track = 0;
    if (ndata) {
        window_docs(data, ndata, m, diags, &w);
        /* the event itself: the first document with its id */
        track = SIZE_MAX;
        for (size_t i = 0; i < w.n && track == SIZE_MAX; i++)
            if (th_str_eqc(th_jstr(th_json_path_first(w.docs[i], TH_STR_LIT("event.id"))), id))
                track = i;
    } else {
        w.docs = th_xmalloc(sizeof *w.docs);
        w.ts = th_xmalloc(sizeof *w.ts);
        w.docs[0] = doc;
        w.ts[0] = t_ev;
        w.n = 1;
    }
    if (track == SIZE_MAX) { /* not among the mapped events (it was found before): take ours */
        w.docs = th_xrealloc(w.docs, (w.n + 1) * sizeof *w.docs);
        w.ts = th_xrealloc(w.ts, (w.n + 1) * sizeof *w.ts);
        w.docs[w.n] = doc;
        w.ts[w.n] = t_ev;
        track = w.n++;
    }
    /* documents in window-time order (the engine's), ties in input order */
    int64_t *ord = th_xmalloc((w.n ? w.n : 1) * 2 * sizeof(int64_t));
    for (size_t i = 0; i < w.n; i++) {
        ord[2 * i] = w.ts[i];
        ord[2 * i + 1] = (int64_t)i;
    }
    qsort(ord, w.n, 2 * sizeof(int64_t), esql_doc_order);
    th_esql_doc *docs = th_xcalloc(w.n ? w.n : 1, sizeof *docs);
    int64_t *ts = th_xmalloc((w.n ? w.n : 1) * sizeof *ts);
    size_t tr = 0;
    for (size_t i = 0; i < w.n; i++) {
        size_t k = (size_t)ord[2 * i + 1];
        th_str eid = th_jstr(th_json_path_first(w.docs[k], TH_STR_LIT("event.id")));
        docs[i] = (th_esql_doc){.doc = w.docs[k],
                                .id = eid,
                                .index = TH_STR_LIT("logs-aws.cloudtrail-default"),
                                .version = 1};
        ts[i] = w.ts[k];
        if (k == track)
            tr = i;
    }
    bool agg = th_esql_aggregating(q);
    bool supp = r->has_suppression && r->suppression_group_by.len > 0;
    size_t limit = (!agg && th_esql_metadata_id(q)) || supp ? SIZE_MAX : (size_t)r->max_signals;
    /* the runs holding the event: [first, first + lb) */
    int64_t best_t = first;
    size_t best = 0;
    for (int64_t t = first; t - lb <= t_ev; t += iv) {
        size_t lo = 0, hi = 0;
        while (lo < w.n && ts[lo] < t - lb)
            lo++;
        for (hi = lo; hi < w.n && ts[hi] <= t; hi++)
            ;
        th_arena s;
        th_arena_init(&s, 1 << 16);
        size_t reach = th_explain_esql_reach(&s, q, docs + lo, hi - lo, tr - lo, t, limit);
        th_arena_free(&s);
        if (reach > best) {
            best = reach;
            best_t = t;
        }
        if (reach > th_esql_ncmds(q))
            break;
    }
    size_t lo = 0, hi = 0;
    while (lo < w.n && ts[lo] < best_t - lb)
        lo++;
    for (hi = lo; hi < w.n && ts[hi] <= best_t; hi++)
        ;
    th_buf out;
    th_buf_init(&out);
    if (!json)
        th_buf_printf(&out, "rule   %s\nevent  %s\n\n", r->name ? r->name : "-", id ? id : evfile);
    bool sel = th_explain_esql(&out, a, q, docs + lo, hi - lo, tr - lo, best_t - lb, best_t, limit, json);
    if (json)
        th_buf_putc(&out, '\n');
    else if (lb > iv)
        th_buf_printf(&out, "(the event is in every run from this one on while it is within the %llds look-back; "
                            "this is the first where it reaches the result, else the one where it got furthest)\n",
                      (long long)(lb / 1000));
    th_buf_write(&out, stdout);
    th_buf_free(&out);
    free(ord);
    free(docs);
    free(ts);
    free(w.docs);
    free(w.ts);
    return sel ? TH_EXIT_OK : TH_EXIT_FINDINGS;
}

/* Which exception items of the rule match the event ("excluded by ...");
 * the first one's description goes to why (for the replay's verdict). */
static bool explain_exceptions(const th_exceptions *view, const th_jval *doc, char *why,
                               size_t nwhy)
{
    bool any = false;
    for (size_t i = 0; view && i < view->len; i++) {
        th_exceptions one = *view;
        one.items = &view->items[i];
        one.len = 1;
        if (!th_exceptions_match(&one, doc))
            continue;
        const th_exc_item *it = &view->items[i];
        char d[512];
        snprintf(d, sizeof d, "excluded by exception list %s entry %s%s%s%s",
                 it->list_id ? it->list_id : "-", it->item_id ? it->item_id : "-",
                 it->name ? " (" : "", it->name ? it->name : "", it->name ? ")" : "");
        printf("exception: %s\n", d);
        if (!any)
            snprintf(why, nwhy, "%s", d);
        any = true;
    }
    if (view && view->len && !any)
        printf("exception: no item of the rule's %zu exception items matches\n", view->len);
    return any;
}

int th_cmd_explain(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "explain", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help("trailhound explain --rule RULE (--event EVENT.json | --data PATH... "
                     "--event-id ID)",
                     "Shows every clause of the rule's query with its truth value on the event\n"
                     "and the values it saw, and the verdict. With --data, also replays the rule\n"
                     "and says whether the event raised an alert (and why not, for stateful "
                     "rules).\nFor an ES|QL rule: each command's rows in and out in the scheduled "
                     "run that held\nthe event (with --data, over the data's events of its "
                     "window), and the command\nthat dropped the event.\n"
                     "Exit 0 when the query selects the event, 1 when it does not.\n\n"
                     "example: trailhound explain --rule rule.toml --event event.json",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *rulespec = th_args_value(&a, "rule"), *evfile = th_args_value(&a, "event");
    const char *id = th_args_value(&a, "event-id"), *fmt = th_args_value(&a, "format");
    const char *data[TH_ARGS_MAX];
    size_t ndata = th_args_values(&a, "data", data, TH_ARGS_MAX);
    if (!rulespec || (!evfile && !(ndata && id)) || a.npos ||
        (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0)) {
        fprintf(stderr, "trailhound explain: need --rule and --event FILE or --data PATH "
                        "--event-id ID (try --help)\n");
        return TH_EXIT_USAGE;
    }
    if (!th_cli_paths_ok("explain", "--data", TH_ROLE_DATA, data, ndata) ||
        (evfile && !th_cli_paths_ok("explain", "--event", TH_ROLE_DATA, &evfile, 1)) ||
        (!strchr(rulespec, '@') &&
         !th_cli_paths_ok("explain", "--rule", TH_ROLE_OTHER, &rulespec, 1)))
        return TH_EXIT_USAGE;
    bool json = fmt && strcmp(fmt, "json") == 0;
    int rc = TH_EXIT_USAGE;
    th_diags diags;
    th_diags_init(&diags);
    th_replay rp; /* only for loading the rule (FILE@REV) */
    th_replay_init(&rp);
    th_arena arena;
    th_arena_init(&arena, 1 << 16);
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&a, &mo, &paths);
    th_mapper *m = th_replay_mapper(&diags, &mo);
    const th_rule *r = th_replay_load(&rp, rulespec, &diags);
    th_exceptions exc, view;
    th_exceptions_init(&exc);
    th_exceptions_init(&view);
    const char *xpaths[TH_ARGS_MAX];
    size_t nx = th_args_values(&a, "exceptions", xpaths, TH_ARGS_MAX);
    for (size_t i = 0; i < nx; i++)
        th_exceptions_load(&exc, xpaths[i], &diags);
    if (r && r->query && r->language == TH_LANG_ESQL) {
        th_qsource src = {r->path, r->query_line, r->query_col};
        th_esql *q = th_esql_parse(&arena, r->query, strlen(r->query), &src, &diags);
        th_jval *doc = !m || !q ? NULL
                       : evfile ? event_from_file(evfile, m, &arena)
                                : event_from_data(data, ndata, id, m, &arena, &diags);
        if (q && strncmp(th_esql_index(q), ".alerts", 7) == 0)
            fprintf(stderr, "trailhound explain: the rule reads alerts (FROM %s), not events\n",
                    th_esql_index(q));
        else if (q && doc)
            rc = explain_esql(r, q, doc, data, ndata, id, evfile, m, &arena, json, &diags);
        else if (q && m)
            fprintf(stderr, "trailhound explain: event %s not found\n", id ? id : evfile);
    } else if (r && r->query) {
        th_qlang lang = r->language == TH_LANG_EQL    ? TH_QLANG_EQL
                        : r->language == TH_LANG_ESQL ? TH_QLANG_ESQL
                                                      : TH_QLANG_KQL;
        th_qsource src = {r->path, r->query_line, r->query_col};
        /* an EQL sequence: each stage is a single-event query of its own */
        th_seq_text st = {0};
        const char *texts[TH_SEQ_MAX_STAGES] = {r->query};
        size_t nq = 1, nstages = 0;
        char err[160];
        if (lang == TH_QLANG_EQL && th_seq_is_sequence(r->query)) {
            if (!th_seq_split(&arena, r->query, &st, err, sizeof err)) {
                fprintf(stderr, "%s: EQL sequence: %s\n", r->path ? r->path : rulespec, err);
                nq = 0;
            } else {
                nq = nstages = st.nstages;
                for (size_t i = 0; i < nq; i++)
                    texts[i] = st.stage[i];
            }
        }
        th_query *qs[TH_SEQ_MAX_STAGES] = {0};
        bool compiled = nq > 0;
        for (size_t i = 0; i < nq; i++) {
            const char *t = texts[i];
            qs[i] = lang == TH_QLANG_EQL
                        ? th_query_compile_eql(&arena, t, strlen(t), r->event_category_override,
                                               &src, &diags)
                        : th_query_compile(&arena, lang, t, strlen(t), &src, &diags);
            compiled &= qs[i] != NULL;
        }
        th_jval *doc = !m || !compiled ? NULL
                       : evfile        ? event_from_file(evfile, m, &arena)
                                       : event_from_data(data, ndata, id, m, &arena, &diags);
        if (compiled && doc) {
            th_buf out;
            th_buf_init(&out);
            bool verdict = false;
            if (!json)
                th_buf_printf(&out, "rule   %s\nevent  %s\n", r->name ? r->name : "-",
                              id ? id : evfile);
            if (json && nstages)
                th_buf_putc(&out, '[');
            for (size_t i = 0; i < nq; i++) {
                th_explain_stats sst;
                if (!json && nstages) {
                    th_buf_printf(&out, "\nstage %zu of %zu (EQL sequence", i + 1, nstages);
                    for (size_t k = 0; k < st.nkeys; k++)
                        th_buf_printf(&out, "%s%s", k ? ", " : ", by ", st.keys[k]);
                    th_buf_puts(&out, ")\n");
                } else if (!json)
                    th_buf_putc(&out, '\n');
                if (json && i)
                    th_buf_putc(&out, ',');
                th_explain_query(&out, &arena, qs[i], lang, doc, json, &sst);
                verdict |= sst.verdict;
            }
            if (json && nstages)
                th_buf_putc(&out, ']');
            if (!json && nstages) {
                th_buf_puts(&out, "\nstages: the event satisfies");
                size_t k = 0;
                for (size_t i = 0; i < nq; i++) {
                    th_explain_stats sst;
                    th_buf tmp;
                    th_buf_init(&tmp);
                    th_explain_query(&tmp, &arena, qs[i], lang, doc, true, &sst);
                    th_buf_free(&tmp);
                    if (sst.verdict)
                        th_buf_printf(&out, "%s stage %zu", k++ ? "," : "", i + 1);
                }
                th_buf_puts(&out, k ? "\n" : " no stage\n");
            }
            if (json)
                th_buf_putc(&out, '\n');
            th_buf_write(&out, stdout);
            th_buf_free(&out);
            char exc_why[512] = "";
            if (!json && exc.len) {
                th_exceptions_for_rule(&exc, r, &r, 1, &view);
                explain_exceptions(&view, doc, exc_why, sizeof exc_why);
            }
            fflush(stdout);
            if (ndata && id && !json)
                stateful(r, &a, data, ndata, id, verdict, doc, nstages, exc.len ? &view : NULL,
                         exc_why, &diags);
            rc = verdict ? TH_EXIT_OK : TH_EXIT_FINDINGS;
        } else if (compiled && !doc && m) {
            fprintf(stderr, "trailhound explain: event %s not found\n", id ? id : evfile);
        }
    } else if (r) {
        fprintf(stderr, "trailhound explain: the rule has no query\n");
    }
    for (size_t i = 0; i < diags.len; i++)
        if (diags.items[i].severity == TH_SEV_ERROR)
            th_diag_print(&diags.items[i], stderr);
    th_exceptions_free(&view);
    th_exceptions_free(&exc);
    th_mapper_free(m);
    th_arena_free(&arena);
    th_replay_free(&rp);
    th_diags_free(&diags);
    return rc;
}
