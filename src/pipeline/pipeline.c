/* The event driver (pipeline.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "base/vec.h"
#include "ecs/rawproj.h"
#include "json/jscan.h"
#include "pipeline/pipeline.h"
#include "query/query.h"

#define BATCH_RECORDS 512
/* Files up to FILE_JOB_MAX bytes (S3 objects) are read whole on the workers
 * (io's th_input_defer_files); a batch takes such files until their sizes
 * add up to BATCH_FILE_BYTES: about 1.6 MB of records gzip'd (15 objects of
 * a day of CloudTrail, a few ms of a worker's time). At 64 KiB (4 objects) a
 * day's 1,647 objects made 328 batches, and the workers found no batch
 * filled 70-100 times a run at 2 threads (20-30 times at 256 KiB). */
#define FILE_JOB_MAX (1u << 20)
#define BATCH_FILE_BYTES (256u << 10)
/* A batch's arena grows by this much: a batch of files keeps only the
 * records some rule may match (copied: raw_own; a part's text stays in io's
 * windows: wwin), a batch of lines their copies (512 of a few KB); chunks are
 * kept from batch to batch. Every batch had a 1 MB chunk that it touched the
 * start of, 8 MB more fresh memory at 2 threads (peak RSS 43 -> 35 MB over a
 * day of S3 objects), which a VM pays for in page faults. */
#define BATCH_CHUNK (64u << 10)
/* io's windows (2 MiB for a big NDJSON file) kept for io to read on into;
 * one grown for a longer line is freed */
#define SPARE_WINDOW_MAX (4u << 20)
/* A big NDJSON file is read by the workers in parts of this many bytes
 * (io's th_input_defer_parts): each reads its part itself, so the text is
 * in the cache of the core that scans it, and the reading thread only
 * commits. TH_PART_BYTES (tests) sets it. */
#define PART_BYTES (1u << 20)

static uint64_t part_bytes(void)
{
    const char *v = getenv("TH_PART_BYTES");
    char *end;
    unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
    return n && !*end ? (uint64_t)n : PART_BYTES;
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

/* The stage profile's clock. Sections are timed with the monotonic clock
 * (vDSO: 30 ns on the development VM), not the thread CPU clock, which is a
 * system call in a VM (2.2 us there): read five times a record it doubled a
 * profiled run and charged its own cost to the shortest stages (the commit of
 * the seed rule, 150 ms of nothing). The thread CPU clock is read once per
 * window of records instead (prof_window), and the window's stage times are
 * scaled by its CPU / wall ratio, which takes out, in proportion, the time
 * other processes had the core. */
static uint64_t cpu_ns(void) { return now_ns(); }

static uint64_t thread_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

#define PROF_WINDOW 256 /* records per window on the calling thread */

/* pr[0]: the profile that gets the reading thread's stages (read, commit,
 * output), pr[1]: the worker stages' (parse, map, evaluate); either NULL when
 * the window's thread does not run them. */
typedef struct prof_window {
    uint64_t w0, c0;
    th_pipeline_profile at[2];
    th_pipeline_profile *pr[2];
} prof_window;

static void prof_window_start(prof_window *x, th_pipeline_profile *a, th_pipeline_profile *b)
{
    x->pr[0] = a;
    x->pr[1] = b;
    for (int i = 0; i < 2; i++)
        if (x->pr[i])
            x->at[i] = *x->pr[i];
    x->w0 = now_ns();
    x->c0 = thread_cpu_ns();
}

static void scale(uint64_t *f, uint64_t base, double r)
{
    if (*f > base)
        *f = base + (uint64_t)((double)(*f - base) * r);
}

/* Scales the stage times added since the window started to CPU time. */
static void prof_window_end(prof_window *x)
{
    uint64_t c = thread_cpu_ns() - x->c0, w = now_ns() - x->w0;
    double r = w == 0 || c >= w ? 1.0 : (double)c / (double)w;
    th_pipeline_profile *rd = x->pr[0], *wk = x->pr[1];
    if (rd) { /* the reading thread's stages (its profile also gets the
               * workers' stages added at commits: those stay as they are) */
        scale(&rd->read_ns, x->at[0].read_ns, r);
        scale(&rd->commit_ns, x->at[0].commit_ns, r);
        scale(&rd->output_ns, x->at[0].output_ns, r);
    }
    if (wk) {
        scale(&wk->files_ns, x->at[1].files_ns, r);
        scale(&wk->parse_ns, x->at[1].parse_ns, r);
        scale(&wk->map_ns, x->at[1].map_ns, r);
        scale(&wk->eval_ns, x->at[1].eval_ns, r);
        scale(&wk->render_ns, x->at[1].render_ns, r);
        scale(&wk->judge_ns, x->at[1].judge_ns, r);
    }
}

/* A thread count in 0..256 (0, or an empty text, meaning the default); -1
 * when s is not one. */
static long thread_count(const char *s)
{
    char *end;
    long n = strtol(s, &end, 10);
    return !*end && n >= 0 && n <= 256 ? n : -1;
}

unsigned th_pipeline_default_threads(void)
{
    const char *env = getenv("TH_THREADS");
    long v = env ? thread_count(env) : -1;
    if (v >= 1)
        return (unsigned)v;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 256 ? 256 : (unsigned)n;
}

bool th_pipeline_threads_arg(const char *arg, unsigned *out)
{
    long n = arg ? thread_count(arg) : 0;
    if (n < 0)
        return false;
    *out = n == 0 ? th_pipeline_default_threads() : (unsigned)n;
    return true;
}

/* ---- progress ------------------------------------------------------------ */

typedef struct progress {
    uint64_t t0;
    double last;
} progress;

static void progress_tick(const th_pipeline *p, progress *pr, th_input *in, uint64_t events)
{
    if (!p->progress || (events & 4095) != 0)
        return;
    double s = (double)(now_ns() - pr->t0) / 1e9;
    double after = p->progress_after > 0 ? p->progress_after : 1.0;
    if (s > after && (pr->last == 0 || s - pr->last > 0.5)) {
        const th_input_stats *st = th_input_stats_get(in);
        double mb = (double)st->bytes / 1e6, rate = mb / s;
        const char *verb = p->verb ? p->verb : "read";
        if (p->total_bytes && st->bytes <= p->total_bytes && rate > 0) {
            double total = (double)p->total_bytes / 1e6;
            unsigned left = (unsigned)((total - mb) / rate + 0.5);
            fprintf(stderr, "\r%s: %3.0f%%  %.1f of %.1f MB, %llu events, %.1f MB/s, %u:%02u left   ",
                    verb, 100.0 * mb / total, mb, total, (unsigned long long)events, rate,
                    left / 60, left % 60);
        } else {
            fprintf(stderr, "\r%s: %llu events, %.1f MB, %.1f MB/s   ", verb,
                    (unsigned long long)events, mb, rate);
        }
        pr->last = s;
    }
}

static void progress_end(const progress *pr)
{
    if (pr->last > 0)
        fprintf(stderr, "\r%90s\r", "");
}

/* ---- one record ------------------------------------------------------------ */

/* How records are mapped, decided once before the first record. */
typedef struct levels {
    bool lazy;
    th_ecs_demand rules;  /* what all the rules read */
    unsigned extras;      /* what the raw projection adds for the gates (rawproj.h) */
    /* Slot documents (rawproj.h th_ecs_slots_doc): per engine and rule, the
     * document's fields the rule reads (NO_SLOTDOC: some field it reads is
     * not one), NULL when they are off; and what every such document holds:
     * event.id (store_doc, match), the routed fields, @timestamp (match).
     * A bare event (below) has no document: its nodes are its rules'
     * fields alone. */
    uint64_t *docfields[TH_PIPELINE_MAX_ENGINES];
    /* per engine and rule: the rule reads an event only through its
     * fields' values (engine.h th_engine_rule_reads_values_only), each of
     * one node (not aws.cloudtrail.resources.arn), and no verb reads the
     * hits' documents (on_hits); an event whose planned rules are all such
     * gets the slot document's nodes without the document (bare) */
    bool *bare[TH_PIPELINE_MAX_ENGINES];
    uint64_t docbase;
    uint64_t tsbit; /* @timestamp's (th_ecs_docfield_of), 0 where it is none */
    /* by field number (query.h th_query_field_id), below ndocat: the
     * document's field of that number (th_ecs_docfield_name), else 0xff;
     * the engines read an event's fields through it (th_qknown.at) */
    uint8_t *docat;
    size_t ndocat;
} levels;
#define NO_SLOTDOC UINT64_MAX

/* Per-thread results of one record, kept until its commit. */
typedef struct prepared {
    th_event ev;
    th_rec_kind kind;
    bool derived;
    bool rendered;  /* text holds render's output (made on a worker) */
    th_str text;
    uint32_t hfrom[TH_PIPELINE_MAX_ENGINES], hto[TH_PIPELINE_MAX_ENGINES];
} prepared;

/* A record's prepared state before prepare, which sets hfrom and hto for
 * every engine (and judge for a line that is no event): those are not
 * cleared, where an initialiser of the whole struct stored 512 bytes of
 * zeros per record (80 instructions). */
static inline void prepared_init(prepared *r, th_rec_kind kind)
{
    r->kind = kind;
    r->derived = false;
    r->rendered = false;
    r->text = TH_STR_NULL;
}

typedef struct worker_state {
    th_hits hits[TH_PIPELINE_MAX_ENGINES];
    th_jscan *scan;      /* the raw record, for planning without a DOM */
    th_ecs_slots slots;  /* its projection, for routing and the gates */
    /* the slot document's fields, as its builder wrote them (by the
     * document's field, rawproj.h th_ecs_docfield_name), which the engines
     * read there (known) */
    const th_jval *slotnode[64];
    th_qknown known;
    /* the engines may keep a bare event's nodes past the next record's
     * planning: a batch's worker evaluates all its records before their
     * commit (th_ecs_slots_nodes' `lasting`); one thread commits each
     * record before it plans the next, so its nodes are the slots' values */
    bool nodes_lasting;
    int route_first;     /* -1 not known yet; 1: routing alone can rule records out */
    int slotdoc;         /* -1 not known yet; 1: the mapper allows slot documents */
    th_buf out;          /* render's output */
    th_pipeline_profile prof;
} worker_state;

static void ws_init(worker_state *w, const th_pipeline *p)
{
    memset(w, 0, sizeof *w);
    for (size_t i = 0; i < p->nengines; i++)
        th_hits_init(&w->hits[i], p->engines[i]);
    w->scan = th_jscan_new();
    th_ecs_slots_init(&w->slots);
    w->route_first = -1;
    w->slotdoc = -1;
    th_buf_init(&w->out);
}

static void ws_free(worker_state *w, const th_pipeline *p)
{
    for (size_t i = 0; i < p->nengines; i++)
        th_hits_free(&w->hits[i]);
    th_jscan_free(w->scan);
    th_buf_free(&w->out);
    th_ecs_slots_free(&w->slots);
}

static void ws_clear(worker_state *w, const th_pipeline *p)
{
    for (size_t i = 0; i < p->nengines; i++)
        th_hits_clear(&w->hits[i]);
}

/* Stamps event.ingested on an ECS document that lacks it, as Fleet's final
 * pipeline would (whole seconds after @timestamp + delay). */
static bool stamp_ingested(const th_pipeline *p, th_arena *a, th_event *ev)
{
    if (ev->ingested_ms != TH_TIME_NONE || p->delay == TH_TIME_NONE ||
        ev->timestamp_ms == TH_TIME_NONE)
        return false;
    int64_t ms = ev->timestamp_ms + p->delay;
    ms -= ((ms % 1000) + 1000) % 1000;
    char buf[32];
    th_time_format_iso(ms, buf);
    th_jobj_set_path(a, ev->doc, "event.ingested", th_jnew_strcopy(a, th_str_c(buf)));
    ev->ingested_ms = ms;
    return true;
}

/* One record as a worker sees it: its text, and a DOM and/or a loaded
 * scanner when the reading thread had them; the others are made on demand. */
typedef struct rawrec {
    th_str text;
    th_jval *json;         /* NULL until needed (lazy io, batches) */
    const th_jscan *scan;  /* loaded with text, or NULL */
    /* A record of a whole file read on a worker: text and scan are still
     * io's (valid during prepare only); raw_own copies them into `keep`
     * before anything that outlives prepare can point into them. NULL: the
     * text lives as long as the record (a part's record: in io's window,
     * which the batch holds: wwin). */
    th_arena *keep;
} rawrec;

/* Makes the record's text its own (see rawrec.keep): copied, with its part
 * of io's tape moved to the worker's scanner (th_jscan_load_copy), so that a
 * record no rule can match is never copied. */
static void raw_own(rawrec *x, worker_state *w)
{
    if (!x->keep)
        return;
    char *t = th_arena_strndup(x->keep, x->text.p ? x->text.p : "", x->text.n);
    if (x->scan) {
        th_jscan_load_copy(w->scan, th_jscan_root(x->scan), t);
        x->scan = w->scan;
    }
    x->text = th_str_make(t, x->text.n);
    x->keep = NULL;
}

/* The record in a scanner (the io's, or the worker's loaded now); NULL when
 * the text does not load (the general path then reports nothing new: io
 * already checked it). */
static const th_jscan *raw_scan(rawrec *x, worker_state *w)
{
    if (!x->scan && th_jscan_load(w->scan, x->text.p, x->text.n, NULL))
        x->scan = w->scan;
    return x->scan;
}

/* The record's DOM when io did not parse it: built from the scanner that
 * holds the record, loaded now when none does (a load and a build from the
 * tape cost about three quarters of th_json_parse), else parsed from the text. */
static th_jval *raw_json(rawrec *x, th_arena *a, worker_state *w, const th_pipeline *p)
{
    if (x->json)
        return x->json;
    uint64_t t0 = p->profile ? cpu_ns() : 0;
    th_json_error err;
    const th_jscan *scan = raw_scan(x, w);
    x->json = scan ? th_jcur_to_jval(th_jscan_root(scan), a, &err) : NULL;
    if (!x->json)
        x->json = th_json_parse(a, x->text.p, x->text.n, &err);
    if (p->profile)
        w->prof.parse_ns += cpu_ns() - t0;
    return x->json;
}

/* Whether a record can meet no rule at all: true unless some rule meets
 * every event or the data stream constants alone route to one (then routing
 * rules nothing out and is left to th_engine_plan). Decided on the projection
 * of an empty record, which holds only the constants. */
static bool routing_can_rule_out(const th_pipeline *p, th_arena *a, worker_state *w)
{
    th_jscan *s = th_jscan_new();
    th_jval *rp = th_jscan_load(s, "{}", 2, NULL)
                      ? th_ecs_project_with(p->mapper, a, s, TH_PROJ_ROUTING)
                      : NULL;
    bool any = !rp;
    for (size_t i = 0; i < p->nengines && !any; i++)
        any = th_engine_routes(p->engines[i], rp, &w->hits[i]);
    th_jscan_free(s);
    return !any;
}

/* Counts a record that no rule can match: only its times. */
static void skip_record(const th_pipeline *p, prepared *r, worker_state *w, int64_t ts,
                        int64_t ing)
{
    r->ev.doc = NULL;
    r->ev.timestamp_ms = ts;
    r->ev.ingested_ms = ing;
    for (size_t i = 0; i < p->nengines; i++)
        r->hfrom[i] = r->hto[i] = (uint32_t)w->hits[i].len;
    w->prof.skipped++;
}

/* The planned rules' document made from exact slots (rawproj.h
 * th_ecs_slots_doc), or NULL when some rule reads a field that is not one on
 * this record (or at all): the record is then mapped. */
static th_jval *slot_doc(const th_pipeline *p, const levels *lv, th_arena *a, worker_state *w,
                         int64_t ts, bool copy, bool *ts_held)
{
    if (!lv->docfields[0])
        return NULL;
    if (w->slotdoc < 0)
        w->slotdoc = th_ecs_slots_doc_usable(p->mapper);
    if (!w->slotdoc)
        return NULL;
    uint64_t want = 0;
    bool bare = true;
    for (size_t i = 0; i < p->nengines; i++) {
        const th_hits *h = &w->hits[i];
        for (size_t k = 0; k < h->nplan; k++) {
            uint64_t f = lv->docfields[i][h->plan[k]];
            if (f == NO_SLOTDOC)
                return NULL;
            want |= f;
            bare &= lv->bare[i][h->plan[k]];
        }
    }
    /* docbase is for the readers of the document (store_doc's event.id,
     * match's hits); the rules of a bare event read only the fields they
     * name (lv->bare), so its nodes are those fields' alone */
    if (!bare)
        want |= lv->docbase;
    th_ecs_proj_need need = th_ecs_docfields_need(want);
    if (!th_ecs_slots_fill(&w->slots, need.extras, need.fields))
        return NULL;
    /* the events of the broad ES|QL rules alone (6,426 of b10k's 10,000
     * with the pack): their rules read the known fields and nothing else,
     * so the document that would hold them is left out; the engines get
     * one that holds nothing (a walk of it would find nothing, and none
     * happens) */
    th_jval *doc;
    if (bare)
        doc = th_ecs_slots_nodes(&w->slots, want, ts, copy, w->nodes_lasting, w->slotnode)
                  ? th_jnew_obj(a)
                  : NULL;
    else
        doc = th_ecs_slots_doc(&w->slots, want, ts, copy, w->slotnode);
    if (!doc)
        return NULL;
    w->prof.slotbare += bare;
    /* the date processor's text of ts (rawproj.c doc_values), where the
     * nodes hold the field */
    *ts_held = (want & lv->tsbit) != 0;
    /* every field it holds is found by the engines without a walk, but
     * those of several nodes (rawproj.h th_ecs_slots.walked): read in
     * slotnode, where the builder wrote them, until the next record's */
    w->known =
        (th_qknown){lv->docat, lv->ndocat, w->slotnode, want & ~w->slots.walked, w->slots.exact};
    return doc;
}

/* The planned path: routes and gates rules on the raw projection; maps only
 * what the planned rules read, or nothing at all when no rule can match.
 * False when the record needs the general path (no projection or times). */
static bool prepare_planned(const th_pipeline *p, const levels *lv, th_arena *a, rawrec *x,
                            prepared *r, worker_state *w, bool *matched)
{
    const th_jscan *scan = raw_scan(x, w);
    if (!scan)
        return false;
    int64_t ts, ing;
    if (w->route_first < 0)
        w->route_first = routing_can_rule_out(p, a, w);
    /* A first look at what routing reads, as slots: the candidates, and what
     * their gates read. With the seed rule most records stop here. When
     * routing rules nothing out (the pack), the look walks every top-level
     * key the gates may need, so that the record is walked once. */
    bool timed;
    unsigned look = w->route_first ? TH_PROJ_ROUTING | TH_PROJ_NO_CONSTANTS : 0;
    th_ecs_slots *sl = &w->slots;
    if (!th_ecs_slots_start(p->mapper, a, scan, look, sl, &ts, &ing, &timed))
        return false;
    /* and what the candidates' gates read: the same routed values, so the
     * same candidates (th_engine_plan_slots keeps them); an engine without
     * candidates needs nothing. One loop, not two: the second one's values
     * moved to registers and back cost ~24 instructions a record (b10k with
     * the pack: 240.18 -> 239.94 M). */
    bool routed = false;
    th_ecs_proj_need need = {0, 0};
    for (size_t i = 0; i < p->nengines; i++) {
        if (th_engine_routes_slots(p->engines[i], sl, &w->hits[i])) {
            routed = true;
            th_engine_gate_need(p->engines[i], &w->hits[i], &need);
        }
    }
    if (!routed) {
        /* the mapped event.provider/action are among the projected values
         * (and the constants route nowhere when they were left out), so the
         * document would meet no rule either */
        if (!timed)
            return false;
        skip_record(p, r, w, ts, ing);
        return true;
    }
    if (!timed)
        return false;
    /* user_agent.name looked up only where a gate is evaluated: a plan
     * remembered by the agent's text needs none */
    if (!th_ecs_slots_fill(sl, (lv->extras & need.extras) | TH_PROJ_UA_LATER, need.fields))
        return false;
    const th_jval *proj = NULL; /* only for a gate that reads documents (rare) */
    if (need.extras & TH_PROJ_DOM) {
        proj = th_ecs_project_only(p->mapper, a, scan, lv->extras & need.extras, need.fields, &ts,
                                   &ing, &timed);
        if (!proj || !timed)
            return false;
    }
    th_ecs_demand d;
    th_ecs_demand_none(&d);
    bool any = false;
    for (size_t i = 0; i < p->nengines; i++)
        any |= th_engine_plan_slots(p->engines[i], sl, proj, &w->hits[i], &d);
    if (!any) { /* no rule can match: the event only counts */
        skip_record(p, r, w, ts, ing);
        return true;
    }
    /* made before raw_own, which may reload the scanner the slots read;
     * copied when the record's text is not its own yet */
    bool ts_held = false;
    r->ev.doc = slot_doc(p, lv, a, w, ts, x->keep != NULL, &ts_held);
    const th_qknown *known = r->ev.doc ? &w->known : NULL;
    raw_own(x, w);
    if (r->ev.doc) { /* the times are those the mapping would give */
        r->ev.timestamp_ms = ts;
        r->ev.ingested_ms = ing;
        r->ev.ts_formatted = ts_held;
        w->prof.slotdoc++;
    } else {
        /* the members the mapping reads come from the scanner's tape (the
         * record's own now): no DOM of the whole record */
        r->ev.doc = x->json ? th_ecs_map_demand(p->mapper, a, x->json, x->text, &d)
                            : th_ecs_map_scan(p->mapper, a, x->scan, x->text, &d);
        if (!r->ev.doc) {
            th_jval *json = raw_json(x, a, w, p);
            if (!json)
                return false;
            r->ev.doc = th_ecs_map_demand(p->mapper, a, json, x->text, &d);
        }
        w->prof.mapped_base++;
        th_event_read_times(&r->ev);
    }
    uint64_t t0 = p->profile ? cpu_ns() : 0;
    for (size_t i = 0; i < p->nengines; i++) {
        th_hits *h = &w->hits[i];
        r->hfrom[i] = (uint32_t)h->len;
        th_engine_eval_plan(p->engines[i], &r->ev, known, h);
        r->hto[i] = (uint32_t)h->len;
        for (size_t k = r->hfrom[i]; k < r->hto[i] && !*matched; k++)
            *matched = h->items[k].result == 1;
    }
    if (p->profile)
        w->prof.eval_ns += cpu_ns() - t0;
    return true;
}

/* Maps (as lazily as the rules allow) and evaluates one record. */
static void prepare(const th_pipeline *p, const levels *lv, th_arena *a, rawrec *rr, prepared *r,
                    worker_state *w)
{
    r->derived = false;
    r->ev.ts_formatted = false; /* a slot document's alone (prepare_planned) */
    bool matched = false;
    uint64_t t0 = 0, e0 = 0, p0 = 0; /* read with a profile alone: ~5 instructions a record */
    if (p->profile) {
        t0 = cpu_ns();
        e0 = w->prof.eval_ns;
        p0 = w->prof.parse_ns;
    }
    if (r->kind == TH_REC_CLOUDTRAIL && lv->lazy && prepare_planned(p, lv, a, rr, r, w, &matched)) {
        if (matched) /* the engines map it again, completely, if an alert needs it */
            r->ev.raw = rr->text;
        if (p->profile) /* planning and mapping; evaluation and parsing were counted apart */
            w->prof.map_ns += cpu_ns() - t0 - (w->prof.eval_ns - e0) - (w->prof.parse_ns - p0);
        return;
    }
    raw_own(rr, w);
    th_str text = rr->text;
    th_jval *json = raw_json(rr, a, w, p);
    if (!json) { /* cannot happen (io checked the text), but never crash */
        r->ev.doc = NULL;
        r->ev.timestamp_ms = r->ev.ingested_ms = TH_TIME_NONE;
        for (size_t i = 0; i < p->nengines; i++)
            r->hfrom[i] = r->hto[i] = (uint32_t)w->hits[i].len;
        return;
    }
    bool ct = r->kind == TH_REC_CLOUDTRAIL;
    if (ct) { /* a record planning could not vouch for: what any rule reads */
        r->ev.doc = th_ecs_map_demand(p->mapper, a, json, text, lv->lazy ? &lv->rules : NULL);
        w->prof.mapped_full += !lv->lazy;
        w->prof.mapped_unplanned += lv->lazy;
    } else {
        r->ev.doc = json;
    }
    th_event_read_times(&r->ev);
    if (r->kind == TH_REC_ECS)
        r->derived = stamp_ingested(p, a, &r->ev);
    uint64_t t1 = p->profile ? cpu_ns() : 0;
    for (size_t i = 0; i < p->nengines; i++) {
        th_hits *h = &w->hits[i];
        r->hfrom[i] = (uint32_t)h->len;
        th_engine_eval(p->engines[i], &r->ev, h);
        r->hto[i] = (uint32_t)h->len;
        for (size_t k = r->hfrom[i]; k < r->hto[i] && !matched; k++)
            matched = h->items[k].result == 1;
    }
    uint64_t t2 = p->profile ? cpu_ns() : 0;
    if (ct && lv->lazy && matched)
        r->ev.raw = text; /* the engines map it again, completely, if an alert needs it */
    if (p->profile) {
        uint64_t t3 = cpu_ns();
        w->prof.map_ns += (t1 - t0) + (t3 - t2) - (w->prof.parse_ns - p0);
        w->prof.eval_ns += t2 - t1;
    }
}

/* An event without a usable time cannot be placed in any rule run: an error,
 * with the record's place for the first few, then only counted (the verb's
 * summary gives the total; th_pipeline_run adds one line for the rest). */
static void no_time(th_pipeline *p, const th_event *ev, th_rec_kind kind)
{
    if (p->notime++ >= TH_NOTIME_REPORTED || !p->diags)
        return;
    const char *why = kind == TH_REC_CLOUDTRAIL
                          ? "a raw CloudTrail record with no usable time (neither an eventTime "
                            "nor an @timestamp that the pipeline's ISO8601 date format reads); no "
                            "rule can see it"
                          : "an ECS document without a usable @timestamp; no rule can see it";
    if (ev->line)
        th_diag_at(p->diags, TH_SEV_ERROR, ev->file, (unsigned)ev->line, 0, "%s", why);
    else
        th_diag_offset(p->diags, TH_SEV_ERROR, ev->file, (long long)ev->offset, "%s", why);
}

/* In input order, on the calling thread. */
static void commit(th_pipeline *p, prepared *r, worker_state *w)
{
    r->ev.index = p->events; /* a settled deferred line can hold several events */
    uint64_t t0 = p->profile ? cpu_ns() : 0;
    for (size_t i = 0; i < p->nengines; i++)
        th_engine_commit(p->engines[i], &r->ev, &w->hits[i], r->hfrom[i], r->hto[i]);
    if (p->profile)
        p->prof.commit_ns += cpu_ns() - t0;
    if (p->on_hits) {
        uint64_t t1 = p->profile ? cpu_ns() : 0;
        for (size_t i = 0; i < p->nengines; i++)
            p->on_hits(p->ctx, &r->ev, i, w->hits[i].items + r->hfrom[i], r->hto[i] - r->hfrom[i]);
        if (p->profile)
            p->prof.output_ns += cpu_ns() - t1;
    }
    if (p->on_event || p->on_rendered) {
        uint64_t t1 = p->profile ? cpu_ns() : 0;
        if (p->on_rendered) {
            th_buf *o = p->rendered;
            size_t at = o->len;
            if (r->rendered)
                th_buf_put(o, r->text.p, r->text.n);
            else /* the serial path renders here, in place */
                p->render(p->ctx, &r->ev, r->kind, o);
            p->on_rendered(p->ctx, &r->ev, r->kind, th_str_make(o->data + at, o->len - at));
        } else {
            p->on_event(p->ctx, &r->ev, r->kind);
        }
        if (p->profile)
            p->prof.output_ns += cpu_ns() - t1;
    }
    p->events++;
    p->raw += r->kind == TH_REC_CLOUDTRAIL;
    p->derived += r->derived;
    if (th_event_combined_ts(&r->ev) == TH_TIME_NONE)
        no_time(p, &r->ev, r->kind);
}

static void add_prof(th_pipeline_profile *to, const th_pipeline_profile *from)
{
    to->files_ns += from->files_ns;
    to->parse_ns += from->parse_ns;
    to->map_ns += from->map_ns;
    to->eval_ns += from->eval_ns;
    to->render_ns += from->render_ns;
    to->judge_ns += from->judge_ns;
    to->mapped_base += from->mapped_base;
    to->slotdoc += from->slotdoc;
    to->slotbare += from->slotbare;
    to->mapped_unplanned += from->mapped_unplanned;
    to->mapped_full += from->mapped_full;
    to->skipped += from->skipped;
    to->worker_files += from->worker_files;
    to->worker_parts += from->worker_parts;
}

/* th_materialise_fn: the complete document of a kept raw record, as it was
 * stored before laziness (mapped, written, read back: no shared nodes). */
static th_jval *materialise(void *ctx, th_arena *a, th_str raw)
{
    th_pipeline *p = ctx;
    if (!p->mapper)
        return NULL;
    th_json_error err;
    th_jval *json = th_json_parse(a, raw.p, raw.n, &err);
    if (!json)
        return NULL;
    th_jval *doc = th_ecs_map(p->mapper, a, json, raw);
    th_buf b;
    th_buf_init(&b);
    th_json_write(&b, doc);
    char *text = th_arena_strndup(a, b.data ? b.data : "", b.len);
    th_jval *v = th_json_parse(a, text, b.len, &err);
    th_buf_free(&b);
    /* the engines' temporal passes call this on several threads */
    __atomic_fetch_add(&p->prof.mapped_full, 1, __ATOMIC_RELAXED);
    return th_jis(v, TH_JOBJ) ? v : NULL;
}

/* th_field_fn: adds field's bit to the slot document's fields (ctx) */
static bool add_docfield(void *ctx, const char *field)
{
    int f = th_ecs_docfield_of(th_str_c(field));
    if (f < 0)
        return false;
    *(uint64_t *)ctx |= 1ull << f;
    return true;
}

static void plan(th_pipeline *p, levels *lv)
{
    memset(lv, 0, sizeof *lv);
    lv->lazy = !p->eager && !p->full_docs && !p->on_event && !p->render && p->nengines > 0;
    th_ecs_demand_none(&lv->rules);
    for (size_t i = 0; i < p->nengines; i++)
        th_engine_demand(p->engines[i], &lv->rules);
    if (!lv->lazy)
        th_ecs_demand_all(&lv->rules);
    if (lv->lazy) /* matched events keep their raw record; the engines map it for alerts */
        for (size_t i = 0; i < p->nengines; i++)
            th_engine_set_materialiser(p->engines[i], materialise, p);
    th_ecs_demand_desc(&lv->rules, p->demand_rules, sizeof p->demand_rules);
    /* a gate reads only fields its rule reads: the projection computes the
     * source.as.* and copies the flattened subtrees only when some rule reads
     * the ASN or stringify block's outputs */
    if (th_ecs_demand_has(&lv->rules, TH_MB_ASN))
        lv->extras |= TH_PROJ_ASN;
    /* and user_agent.name only when some rule reads the user-agent block's */
    if (th_ecs_demand_has(&lv->rules, TH_MB_UA_PARSE))
        lv->extras |= TH_PROJ_UA;
    if (th_ecs_demand_stringifies(&lv->rules))
        lv->extras |= TH_PROJ_TREES;
    /* slot documents: only the engines read the planned events' documents
     * (match's on_hits reads event.id and @timestamp, in docbase) */
    if (lv->lazy && !getenv("TH_NO_SLOTDOC")) {
        static const char *const base[] = {"event.id", "event.action", "event.provider",
                                           "data_stream.dataset", "@timestamp"};
        for (size_t i = 0; i < sizeof base / sizeof base[0]; i++)
            lv->docbase |= 1ull << th_ecs_docfield_of(th_str_c(base[i]));
        uint32_t fid[64];
        size_t nf = 0;
        for (; th_ecs_docfield_name(nf) && nf < 64; nf++) {
            fid[nf] = th_query_field_id(th_str_c(th_ecs_docfield_name(nf)));
            if (fid[nf] >= lv->ndocat)
                lv->ndocat = fid[nf] + 1;
        }
        lv->docat = th_xmalloc(lv->ndocat ? lv->ndocat : 1);
        th_qknown table;
        th_qknown_of(&table, lv->docat, lv->ndocat, fid, NULL, nf);
        /* the rests the engines evaluate on slot documents: the data
         * stream constants there are the mapper's, whatever the record */
        const th_jval *consts = th_ecs_slots_constants(p->mapper, p->mo);
        for (size_t i = 0; i < p->nengines && consts; i++)
            th_engine_set_slot_constants(p->engines[i], consts, th_ecs_constant_field);
        /* several nodes: only a walk of the document finds them all */
        uint64_t arns = 1ull << th_ecs_docfield_of(TH_STR_LIT("aws.cloudtrail.resources.arn"));
        int tsf = th_ecs_docfield_of(TH_STR_LIT("@timestamp"));
        lv->tsbit = tsf >= 0 ? 1ull << tsf : 0;
        for (size_t i = 0; i < p->nengines; i++) {
            size_t n = th_engine_nrules(p->engines[i]);
            lv->docfields[i] = th_xcalloc(n ? n : 1, sizeof(uint64_t));
            lv->bare[i] = th_xcalloc(n ? n : 1, sizeof(bool));
            for (size_t k = 0; k < n; k++) {
                if (!th_engine_rule_reads(p->engines[i], k, add_docfield, &lv->docfields[i][k]))
                    lv->docfields[i][k] = NO_SLOTDOC;
                lv->bare[i][k] = lv->docfields[i][k] != NO_SLOTDOC &&
                                 !(lv->docfields[i][k] & arns) && !p->on_hits &&
                                 th_engine_rule_reads_values_only(p->engines[i], k);
            }
        }
    }
}

/* ---- serial ------------------------------------------------------------------ */

/* The verb asked to stop, or a signal came (th_pipeline.interrupted). */
static bool halted(const th_pipeline *p)
{
    return p->stop || (p->interrupted && *p->interrupted);
}

static void run_serial(th_pipeline *p, const levels *lv, th_input *in)
{
    th_arena a;
    th_arena_init(&a, 1 << 20); /* one record's DOM, mappings and projection fit: no chunk churn */
    const th_arena_chunk *clean = NULL; /* the arena's head after its last recycle */
    worker_state w;
    ws_init(&w, p);
    th_record rec;
    progress pr = {now_ns(), 0};
    prof_window pw;
    uint64_t n = 0;
    if (p->profile)
        prof_window_start(&pw, &p->prof, &w.prof);
    for (;;) {
        if (p->profile && ++n % PROF_WINDOW == 0) {
            prof_window_end(&pw);
            prof_window_start(&pw, &p->prof, &w.prof);
        }
        uint64_t t0 = p->profile ? cpu_ns() : 0;
        bool more = th_input_next(in, &rec);
        if (p->profile)
            p->prof.read_ns += cpu_ns() - t0;
        if (!more || halted(p))
            break;
        if (p->keep && !p->keep(p->ctx, &rec))
            continue;
        if (rec.kind == TH_REC_CLOUDTRAIL && !p->mapper)
            p->mapper = th_mapper_new(p->mo, p->diags);
        prepared r;
        prepared_init(&r, rec.kind);
        r.ev =
            (th_event){NULL, 0, 0, p->events, rec.file, rec.offset, rec.line, TH_STR_NULL, false};
        ws_clear(&w, p);
        rawrec x = {rec.text, rec.json, rec.scan, NULL};
        prepare(p, lv, &a, &x, &r, &w);
        commit(p, &r, &w);
        /* a record that took nothing from the arena (one that routing or
         * the gates ruled out: with the seed rule all of b10k's but one)
         * left it as the last recycle did (no bytes handed out, no chunk
         * added: a new one is the head); the call cost 29 instructions */
        if (a.used_total || a.head != clean)
            th_arena_recycle(&a);
        clean = a.head;
        progress_tick(p, &pr, in, p->events);
    }
    if (p->profile)
        prof_window_end(&pw);
    progress_end(&pr);
    add_prof(&p->prof, &w.prof);
    ws_free(&w, p);
    th_arena_free(&a);
}

/* ---- parallel: batches of copied record text ------------------------------ */

enum { B_FREE, B_FILLED, B_BUSY, B_DONE };

typedef struct prec {
    const char *text;    /* the record's copy (a deferred line: in io's window, which
                            the batch keeps: pwin); TH_REC_FILE: the file's path; NULL
                            for the records of such a file (prepared from io's buffers) */
    size_t n;
    size_t job;          /* TH_REC_FILE: its index in the batch's jobs */
    th_judged why;       /* TH_REC_DEFERRED that is no event: what the worker found */
    prepared r;
} prec;

/* A record of a file read on a worker, kept until its commit: `prepared` but
 * for its hit ranges, which are 2 x nengines of the batch's `ranges` (from,
 * to; engine after engine). prepared's arrays are sized for 64 engines: 620
 * bytes a record, 1 MB of fresh memory for each batch of the ring at 256 KiB
 * of S3 objects; this is about 100 bytes and 8. */
typedef struct xrec {
    th_event ev;
    th_str text;
    th_rec_kind kind;
    bool derived, rendered;
} xrec;

/* A whole file read on a worker (io's th_input_defer_files): its records,
 * stats and messages, for the commit to take in input order. */
typedef struct pjob {
    size_t from, to;     /* its records: the batch's extra[from..to) */
    th_input_stats st;
    th_diags diags;
    /* a part of a large NDJSON file (th_input_defer_parts): the lines that
     * start in [part_from, part_to), and what io needs of it at the commit */
    bool part, part_last;
    uint64_t part_from, part_to, part_first;
    th_input_part pt;
} pjob;

/* One of io's windows that deferred lines are read from in place (io's
 * th_input_give_windows): the batches that hold lines in it keep it until
 * their commit, and io reads on into another buffer. */
typedef struct wwin wwin;
typedef struct pwin {
    char *buf; /* once io gave it up; NULL while it is io's window */
    size_t cap;
    size_t refs; /* batches holding lines in it */
    wwin *worker; /* a worker's input's (its wwin): refs and buf under the pool's lock */
} pwin;

/* Each on lines of its own (the ring is allocated so: th_xcalloc_lines): the
 * thread that prepares one writes its arena and its stage counts per
 * record, and two batches side by side are prepared by two threads. The
 * last counts of one (w.prof) shared a line with the next one's arena:
 * the seed rule at two threads spent ~20% of its preparing in the two
 * misses this made per record (perf, the 1.49 GB bench file). */
typedef struct pbatch {
    _Alignas(64) int state;
    th_arena arena;
    /* BATCH_RECORDS of them, not cleared (each is set when it is added): a
     * batch of S3 objects holds about 15, and zeroing the whole array (333
     * KB) of every batch of the ring faulted in 1 MB at 2 threads */
    prec *recs;
    size_t n;
    const char *file;    /* the batch's copy of the current file name */
    uint64_t job_bytes;  /* sizes of the files among recs */
    TH_VEC(pjob) jobs;
    TH_VEC(xrec) extra;  /* the records of the files, read by the worker */
    TH_VEC(uint32_t) ranges; /* their hit ranges (xrec) */
    TH_VEC(pwin *) wins;     /* the windows its deferred lines are in */
    /* made by the first worker that takes the batch (ws_init, 1.2 M
     * instructions an engine, mostly its look-up caches): made before the
     * workers started, the ring's 2 x threads + 2 of them were serial, 7.2 M
     * at two threads over the whole pack */
    bool ready;
    worker_state w;
} pbatch;

typedef struct pool {
    th_pipeline *p;
    const levels *lv;
    th_input *in;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* a batch was filled (workers wait on it) */
    pthread_cond_t done;  /* `awaited` was processed */
    /* the batch the reading thread waits for, or NULL: a worker wakes it only
     * for that one (waking it for every batch cost a context switch each,
     * mostly for batches behind the one it waits for) */
    pbatch *awaited;
    pbatch *ring;
    size_t nring;
    /* batches taken by the workers: they take them in the order they were
     * filled (ring[taken % nring] next), the order they are committed in */
    uint64_t taken;
    bool stop;
    /* per worker thread, each made by its thread: the look-ups it
     * remembers, whichever batch it takes (process); each batch's own warmed
     * on the batches of its ring slot alone (a sixth of them at two threads) */
    th_hits (*own)[TH_PIPELINE_MAX_ENGINES];
    unsigned nown; /* taken by the workers so far */
    /* the reading thread's own, for the batches it prepares (commit_batch) */
    struct helper *self;
    /* the reading thread's alone: io's window, and the buffers of windows
     * the batches are done with, which io is given to read on into */
    pwin *win;
    TH_VEC(pwin) spare;
} pool;

/* Whether any engine kept a hit of the record (its items may point into the
 * batch's arena). */
static bool has_hits(const th_pipeline *p, const prepared *r)
{
    for (size_t i = 0; i < p->nengines; i++)
        if (r->hto[i] != r->hfrom[i])
            return true;
    return false;
}

/* Maps, evaluates and renders record x of batch b (rr: its text, and the
 * worker's scanner when it is loaded with it); what was allocated from mark
 * m on is released when nothing reads it again. */
static void prepare_rec(pool *pl, pbatch *b, prec *x, rawrec *rr, th_arena_mark m)
{
    const th_pipeline *p = pl->p;
    prepare(p, pl->lv, &b->arena, rr, &x->r, &b->w);
    bool kept = has_hits(p, &x->r);
    if (p->render) {
        uint64_t t0 = p->profile ? cpu_ns() : 0;
        th_buf *o = &b->w.out;
        th_buf_clear(o);
        p->render(p->ctx, &x->r.ev, x->r.kind, o);
        if (!kept) { /* only the text is read again */
            th_arena_release(&b->arena, m);
            x->r.ev.doc = NULL;
        }
        x->r.text = th_str_make(th_arena_strndup(&b->arena, o->data ? o->data : "", o->len),
                                o->len);
        x->r.rendered = true;
        if (p->profile)
            b->w.prof.render_ns += cpu_ns() - t0;
    } else if (!x->r.ev.doc && !kept) {
        /* nothing of it is read again: its scratch (projection, DOM) goes */
        th_arena_release(&b->arena, m);
    }
}

/* Whether the deferred line x is an event (x's kind is then set and the
 * worker's scanner loaded with it); else x takes no hits, and what was
 * allocated from mark m on (the record's, taken by process) is released. */
static bool judge(pool *pl, pbatch *b, prec *x, th_arena_mark m)
{
    const th_pipeline *p = pl->p;
    uint64_t t0 = p->profile ? cpu_ns() : 0;
    bool event = th_input_judge_why(x->text, x->n, b->w.scan, &b->arena, &x->r.kind, &x->why);
    if (p->profile)
        b->w.prof.judge_ns += cpu_ns() - t0;
    if (!event) {
        th_arena_release(&b->arena, m);
        for (size_t k = 0; k < p->nengines; k++)
            x->r.hfrom[k] = x->r.hto[k] = (uint32_t)b->w.hits[k].len;
    }
    return event;
}

/* A worker's own input's windows (th_input_give_windows on `one`): the
 * records of the parts of big files it reads keep their text where io has
 * it, as deferred lines do, and a batch that keeps such a record holds the
 * window until its commit. Copying each kept record's text and tape into
 * the batch (raw_own, as whole files' records still are) cost the whole
 * pack at two threads ~10% of its CPU on the bench file in parts (7 in 10
 * records are kept: the broad ES|QL rules), and the copies' fresh memory as
 * much again in page faults. */
#define WORKER_SPARES 2
struct wwin {
    pool *pl;
    pwin *cur; /* the window io reads into now (buf NULL) */
    /* windows the batches let go, for io to read on into (under pl->mu) */
    pwin spare[WORKER_SPARES];
    size_t nspare;
};

static pwin *worker_pwin(wwin *ww)
{
    pwin *w = th_xcalloc(1, sizeof(pwin));
    w->worker = ww;
    return w;
}

/* th_input_give_fn of a worker's input: a window some batch holds becomes
 * the batches' (freed at the last one's commit), and io reads on into a new
 * buffer. */
static char *worker_give(void *ctx, char *window, size_t cap)
{
    wwin *ww = ctx;
    pthread_mutex_lock(&ww->pl->mu);
    pwin *w = ww->cur;
    if (!w->refs) {
        pthread_mutex_unlock(&ww->pl->mu);
        return NULL;
    }
    w->buf = window;
    w->cap = cap;
    ww->cur = worker_pwin(ww);
    char *fresh = NULL;
    for (size_t i = 0; i < ww->nspare && !fresh; i++)
        if (ww->spare[i].cap >= cap) {
            fresh = ww->spare[i].buf;
            ww->spare[i] = ww->spare[--ww->nspare];
        }
    pthread_mutex_unlock(&ww->pl->mu);
    return fresh ? fresh : th_xmalloc(cap);
}

/* Batch b keeps a record whose text is in the worker's current window. */
static void hold_window(pbatch *b, wwin *ww)
{
    pwin *w = ww->cur;
    if (b->wins.len && b->wins.items[b->wins.len - 1] == w)
        return;
    pthread_mutex_lock(&ww->pl->mu);
    w->refs++;
    pthread_mutex_unlock(&ww->pl->mu);
    TH_VEC_PUSH(&b->wins, w);
}

/* One record of a file (or part) read on a worker, prepared where io has
 * it: on io's scanner when io yields it so (an element of an S3 object's
 * tape, or a line), so the object is scanned once. When prepare keeps
 * something of it, a whole file's record is copied into the batch
 * (raw_own), a part's stays in io's window, which the batch then holds
 * (hold_window, ww: the worker's windows); a record no rule can match costs
 * neither. Its DOM, if io parsed it, is in io's arena: prepare makes its own
 * from the text. */
static void read_rec(pool *pl, pbatch *b, const char *path, const th_record *rec, wwin *ww)
{
    th_arena_mark m = th_arena_mark_get(&b->arena);
    prec y; /* prepare_rec reads only y.r: 512 bytes of zeros a record cost more */
    prepared_init(&y.r, rec->kind);
    y.r.ev = (th_event){NULL, 0, 0, 0, path, rec->offset, rec->line, TH_STR_NULL, false};
    /* a part's record: its text stays where io has it (the batch holds the
     * window: wwin); a whole file's (an S3 object of a few hundred KB
     * inflated into a window of 1 MiB or more, one for each object held):
     * copied, for memory (held, the whole pack over two days of S3 objects
     * at two threads peaked at 580 MB) */
    rawrec rr = {rec->text, NULL, rec->scan, ww ? NULL : &b->arena};
    prepare_rec(pl, b, &y, &rr, m);
    if (ww && (y.r.ev.doc || y.r.ev.raw.p || has_hits(pl->p, &y.r))) /* may point into it */
        hold_window(b, ww);
    TH_VEC_PUSH(&b->extra, ((xrec){y.r.ev, y.r.text, y.r.kind, y.r.derived, y.r.rendered}));
    size_t n = pl->p->nengines;
    TH_VEC_GROW(&b->ranges, 2 * n);
    uint32_t *h = b->ranges.items + b->ranges.len;
    for (size_t i = 0; i < n; i++) {
        h[2 * i] = y.r.hfrom[i];
        h[2 * i + 1] = y.r.hto[i];
    }
    b->ranges.len += 2 * n;
}

/* Record k of the batch's files as prepare left it (read_rec). */
static void unpack(const pool *pl, const pbatch *b, size_t k, prepared *r)
{
    const xrec *x = &b->extra.items[k];
    r->ev = x->ev;
    r->text = x->text;
    r->kind = x->kind;
    r->derived = x->derived;
    r->rendered = x->rendered;
    size_t n = pl->p->nengines;
    const uint32_t *h = b->ranges.items + k * 2 * n;
    for (size_t i = 0; i < n; i++) {
        r->hfrom[i] = h[2 * i];
        r->hto[i] = h[2 * i + 1];
    }
}

/* Reads the file of job x with this worker's own input (`one`). */
static void read_file(pool *pl, pbatch *b, prec *x, th_input *one, wwin *ww)
{
    const th_pipeline *p = pl->p;
    pjob *j = &b->jobs.items[x->job];
    j->from = b->extra.len;
    th_diags_init(&j->diags);
    if (j->part)
        th_input_file_part(one, x->text, j->part_from, j->part_to, j->part_first, &j->diags);
    else
        th_input_file(one, x->text, &j->diags);
    b->w.prof.worker_files += !j->part;
    b->w.prof.worker_parts += j->part;
    th_record rec;
    for (;;) {
        uint64_t t0 = p->profile ? cpu_ns() : 0;
        bool more = th_input_next(one, &rec);
        if (p->profile)
            b->w.prof.files_ns += cpu_ns() - t0;
        if (!more)
            break;
        read_rec(pl, b, x->text, &rec, j->part ? ww : NULL);
    }
    j->to = b->extra.len;
    j->st = *th_input_stats_get(one);
    if (j->part)
        th_input_part_get(one, &j->pt);
}

/* own: the worker thread's caches of look-ups (th_hits_swap_caches), which
 * the batch's th_hits use while it is processed; slots: the thread's
 * projection, whose memos (identity walks, user agents, times, layouts) the
 * batch uses in place of its own. A batch's own were warmed on its ring
 * slot's batches alone (a sixth at two threads); nothing a record keeps for
 * its commit points into the slots (nodes_lasting: made in the batch's arena).
 * scan: the thread's scanner, whose tape stays in its cache (cachegrind,
 * b100k at two threads: D1 misses -1.2%, LL data misses -8%). */
static void process(pool *pl, pbatch *b, th_input *one, th_hits *own, th_ecs_slots *slots,
                    th_jscan **scan, wwin *ww)
{
    const th_pipeline *p = pl->p;
    if (!b->ready) {
        ws_init(&b->w, p);
        b->w.nodes_lasting = true;
        b->ready = true;
    }
    ws_clear(&b->w, p);
    for (size_t i = 0; i < p->nengines; i++)
        th_hits_swap_caches(&b->w.hits[i], &own[i]);
    th_ecs_slots mine = b->w.slots;
    b->w.slots = *slots;
    th_jscan *mine_scan = b->w.scan;
    b->w.scan = *scan;
    prof_window pw;
    if (p->profile) /* a batch is a window (its stages are on this thread) */
        prof_window_start(&pw, NULL, &b->w.prof);
    for (size_t i = 0; i < b->n; i++) {
        prec *x = &b->recs[i];
        if (x->r.kind == TH_REC_FILE) {
            read_file(pl, b, x, one, ww);
            continue;
        }
        rawrec rr = {th_str_make(x->text, x->n), NULL, NULL, NULL};
        th_arena_mark m = th_arena_mark_get(&b->arena);
        if (x->r.kind == TH_REC_DEFERRED) {
            if (!judge(pl, b, x, m))
                continue; /* io settles it when the batch is committed */
            rr.scan = b->w.scan; /* loaded with the text */
        }
        prepare_rec(pl, b, x, &rr, m);
    }
    *slots = b->w.slots;
    b->w.slots = mine; /* a line settled at the commit is prepared with them */
    *scan = b->w.scan;
    b->w.scan = mine_scan;
    for (size_t i = 0; i < p->nengines; i++)
        th_hits_swap_caches(&b->w.hits[i], &own[i]);
    if (p->profile)
        prof_window_end(&pw);
}

/* What a thread that prepares batches keeps from batch to batch: the
 * workers' and the reading thread's, which prepares one itself where it
 * would wait (commit_batch) */
typedef struct helper {
    th_input *one; /* its reader of whole files and parts, made at the first */
    wwin ww;       /* the windows of `one` */
    th_ecs_slots slots;
    th_jscan *scan;
    th_hits *own;
} helper;

static void helper_init(pool *pl, helper *h)
{
    h->one = NULL;
    h->ww = (wwin){.pl = pl};
    h->ww.cur = worker_pwin(&h->ww);
    th_ecs_slots_init(&h->slots);
    h->scan = th_jscan_new();
    pthread_mutex_lock(&pl->mu);
    h->own = pl->own[pl->nown++];
    pthread_mutex_unlock(&pl->mu);
    for (size_t i = 0; i < pl->p->nengines; i++) {
        th_hits_init(&h->own[i], pl->p->engines[i]);
        th_hits_number_strings(&h->own[i]);
    }
}

/* Takes batch b (next_filled's), prepares it and marks it done; pl->mu is
 * held on entry and on return, not while it prepares. */
static void helper_process(pool *pl, helper *h, pbatch *b)
{
    pl->taken++;
    b->state = B_BUSY;
    pthread_mutex_unlock(&pl->mu);
    if (b->jobs.len && !h->one) { /* lazy, not deferred: records come on its scanners */
        h->one = th_input_open_files(pl->in);
        th_input_give_windows(h->one, worker_give, &h->ww);
    }
    process(pl, b, h->one, h->own, &h->slots, &h->scan, &h->ww);
    pthread_mutex_lock(&pl->mu);
    b->state = B_DONE;
}

/* Once every batch it prepared is committed (none holds its windows) */
static void helper_free(helper *h)
{
    th_input_close(h->one);
    free(h->ww.cur);
    for (size_t i = 0; i < h->ww.nspare; i++)
        free(h->ww.spare[i].buf);
    th_ecs_slots_free(&h->slots);
    th_jscan_free(h->scan);
}

/* The oldest filled batch not taken, or NULL: the one the reading thread
 * commits first. Taking the first filled one by ring position took a
 * younger batch before it after every wrap (120 of 199 batches over two
 * days of S3 objects at 2 threads), so the reading thread waited on the old
 * one with the ring full and the other worker found nothing to take.
 * Under pl->mu. */
static pbatch *next_filled(pool *pl)
{
    pbatch *b = &pl->ring[pl->taken % pl->nring];
    return b->state == B_FILLED ? b : NULL; /* else none is: they are filled in ring order */
}

static void *worker(void *arg)
{
    pool *pl = arg;
    helper h;
    helper_init(pl, &h);
    pthread_mutex_lock(&pl->mu);
    for (;;) {
        pbatch *b = next_filled(pl);
        if (!b) {
            if (pl->stop)
                break;
            pthread_cond_wait(&pl->work, &pl->mu);
            continue;
        }
        helper_process(pl, &h, b);
        if (pl->awaited == b)
            pthread_cond_signal(&pl->done); /* one waiter at most: the reading thread */
    }
    pthread_mutex_unlock(&pl->mu);
    helper_free(&h);
    return NULL;
}

/* A record of a settled deferred line: prepared and committed on the calling
 * thread, with the batch's worker state (the batch is done: no worker has it). */
typedef struct settling {
    pool *pl;
    pbatch *b;
} settling;

static void settle_one(void *ctx, const th_record *rec)
{
    settling *st = ctx;
    th_pipeline *p = st->pl->p;
    prepared r;
    prepared_init(&r, rec->kind);
    r.ev = (th_event){NULL, 0, 0, 0, rec->file, rec->offset, rec->line, TH_STR_NULL, false};
    rawrec x = {rec->text, rec->json, rec->scan, NULL};
    prepare(p, st->pl->lv, &st->b->arena, &x, &r, &st->b->w);
    commit(p, &r, &st->b->w);
}

/* io's th_input_give_fn: a window that batches hold lines in is theirs
 * until their commit, and io reads on into a spare buffer (or a new one).
 * Each line was copied into its batch before: 1.5 GB for the bench file. */
static char *give_window(void *ctx, char *window, size_t cap)
{
    pool *pl = ctx;
    pwin *w = pl->win;
    if (!w->refs)
        return NULL; /* no batch reads it: io may move or overwrite it */
    w->buf = window;
    w->cap = cap;
    pl->win = th_xcalloc(1, sizeof(pwin));
    if (!pl->spare.len)
        return th_xmalloc(cap);
    pwin f = pl->spare.items[--pl->spare.len];
    if (f.cap >= cap)
        return f.buf;
    free(f.buf);
    return th_xmalloc(cap);
}

/* Batch b's lines are committed: the windows given up that no batch holds
 * lines in any more go to the spares (a few: as many as the ring's batches
 * may hold at once). */
static void release_windows(pool *pl, pbatch *b)
{
    if (!b->wins.len)
        return;
    pthread_mutex_lock(&pl->mu); /* a worker's windows: its give and holds */
    for (size_t i = 0; i < b->wins.len; i++) {
        pwin *w = b->wins.items[i];
        if (--w->refs || !w->buf)
            continue;
        if (w->worker) {
            wwin *ww = w->worker;
            if (ww->nspare < WORKER_SPARES)
                ww->spare[ww->nspare++] = *w;
            else
                free(w->buf);
            free(w);
            continue;
        }
        if (pl->spare.len < pl->nring && w->cap <= SPARE_WINDOW_MAX)
            TH_VEC_PUSH(&pl->spare, *w);
        else
            free(w->buf);
        free(w);
    }
    pthread_mutex_unlock(&pl->mu);
    b->wins.len = 0;
}

/* Waits for batch b to be processed, then commits it in input order. */
static void commit_batch(pool *pl, pbatch *b)
{
    pthread_mutex_lock(&pl->mu);
    while (b->state != B_DONE) {
        /* a batch no worker has taken yet: prepared here rather than waited
         * for (b itself when the workers are all busy) */
        pbatch *o = next_filled(pl);
        if (o) {
            helper_process(pl, pl->self, o);
            continue;
        }
        pl->awaited = b;
        pthread_cond_wait(&pl->done, &pl->mu);
        pl->awaited = NULL;
    }
    pthread_mutex_unlock(&pl->mu);
    for (size_t i = 0; i < b->n; i++) {
        prec *x = &b->recs[i];
        if (x->r.kind == TH_REC_FILE) { /* io counts it and reports on it now */
            pjob *j = &b->jobs.items[x->job];
            uint64_t base = 0; /* a part's lines are numbered from its first */
            if (j->part)
                base = th_input_absorb_part(pl->in, x->text, &j->st, &j->diags, &j->pt,
                                            j->part_last);
            else
                th_input_absorb(pl->in, &j->st, &j->diags);
            th_diags_free(&j->diags);
            for (size_t k = j->from; k < j->to; k++) {
                prepared r;
                unpack(pl, b, k, &r);
                if (r.ev.line)
                    r.ev.line += base;
                commit(pl->p, &r, &b->w);
            }
            continue;
        }
        if (x->r.kind != TH_REC_DEFERRED) {
            commit(pl->p, &x->r, &b->w);
            continue;
        }
        /* a line the worker could not take: io does what it would have done
         * with it, and its records (if any) are prepared here; one the worker
         * found to be no event is only counted, from the worker's verdict
         * (scanning it again here made the reading thread the bottleneck of
         * a folder that holds an NDJSON of other JSON) */
        if (x->why != TH_JUDGED_SETTLE) {
            th_input_settle_judged(pl->in, x->r.ev.offset, x->r.ev.line, x->why);
            continue;
        }
        settling st = {pl, b};
        th_input_settle(pl->in, th_str_make(x->text, x->n), x->r.ev.offset, x->r.ev.line,
                        settle_one, &st);
    }
    add_prof(&pl->p->prof, &b->w.prof);
    memset(&b->w.prof, 0, sizeof b->w.prof);
    release_windows(pl, b);
    b->n = 0;
    b->file = NULL;
    b->job_bytes = 0;
    b->jobs.len = 0;
    b->extra.len = 0;
    b->ranges.len = 0;
    th_arena_recycle(&b->arena);
    pthread_mutex_lock(&pl->mu);
    b->state = B_FREE;
    pthread_mutex_unlock(&pl->mu);
}

static void submit(pool *pl, pbatch *b)
{
    pthread_mutex_lock(&pl->mu);
    b->state = B_FILLED;
    pthread_cond_signal(&pl->work); /* one batch: one worker */
    pthread_mutex_unlock(&pl->mu);
}

static void pool_free(pool *pl)
{
    for (size_t i = 0; i < pl->nring; i++) {
        if (pl->ring[i].ready)
            ws_free(&pl->ring[i].w, pl->p);
        free(pl->ring[i].recs);
        th_arena_free(&pl->ring[i].arena);
        TH_VEC_FREE(&pl->ring[i].jobs);
        TH_VEC_FREE(&pl->ring[i].extra);
        TH_VEC_FREE(&pl->ring[i].ranges);
        TH_VEC_FREE(&pl->ring[i].wins);
    }
    free(pl->ring);
    free(pl->win); /* every batch is committed: it is io's window, held by none */
    for (size_t i = 0; i < pl->spare.len; i++)
        free(pl->spare.items[i].buf);
    TH_VEC_FREE(&pl->spare);
    for (unsigned k = 0; k < pl->nown; k++) /* the workers are joined */
        for (size_t i = 0; i < pl->p->nengines; i++)
            th_hits_free(&pl->own[k][i]);
    free(pl->own);
    pthread_cond_destroy(&pl->work);
    pthread_cond_destroy(&pl->done);
    pthread_mutex_destroy(&pl->mu);
}

static void run_parallel(th_pipeline *p, const levels *lv, th_input *in)
{
    /* every worker maps: the mapper must exist before they start (it is
     * documented as shareable between threads) */
    if (!p->mapper)
        p->mapper = th_mapper_new(p->mo, p->diags);
    pool pl = {.p = p, .lv = lv, .in = in};
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.work, NULL);
    pthread_cond_init(&pl.done, NULL);
    pl.nring = (size_t)p->threads + 2;
    pl.ring = th_xcalloc_lines(pl.nring, sizeof(pbatch));
    for (size_t i = 0; i < pl.nring; i++) { /* their worker state: process */
        th_arena_init(&pl.ring[i].arena, BATCH_CHUNK);
        pl.ring[i].recs = th_xmalloc(BATCH_RECORDS * sizeof(prec));
    }
    pl.own = th_xcalloc(p->threads, sizeof *pl.own);
    pthread_t *tids = th_xcalloc(p->threads, sizeof(pthread_t));
    unsigned started = 0;
    /* Workers block SIGINT/SIGTERM, so an interrupt reaches the reading thread
     * and ends a read blocked on a pipe (th_input_opts.interrupted). */
    sigset_t stop_sigs, old_mask;
    sigemptyset(&stop_sigs);
    sigaddset(&stop_sigs, SIGINT);
    sigaddset(&stop_sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_sigs, &old_mask);
    /* threads - 1 workers: the reading thread is the last (commit_batch) */
    for (unsigned i = 0; i + 1 < p->threads; i++)
        if (pthread_create(&tids[started], NULL, worker, &pl) == 0)
            started++;
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    if (started == 0) { /* no threads to be had: the serial path gives the same result */
        pool_free(&pl);
        free(tids);
        run_serial(p, lv, in);
        return;
    }
    helper self;
    helper_init(&pl, &self);
    pl.self = &self;
    /* the workers scan and check NDJSON lines: the reading thread only splits
     * them (unless a keep callback must look at each record first) */
    th_input_defer(in, !p->keep);
    th_input_defer_files(in, p->keep ? 0 : FILE_JOB_MAX);
    th_input_defer_parts(in, p->keep ? 0 : part_bytes());
    pl.win = th_xcalloc(1, sizeof(pwin));
    th_input_give_windows(in, give_window, &pl);
    uint64_t filled = 0, committed = 0, index = 0, n = 0;
    progress pr = {now_ns(), 0};
    th_record rec;
    prof_window pw; /* the reading thread's stages: read, commit, output */
    if (p->profile)
        prof_window_start(&pw, &p->prof, NULL);
    for (;;) {
        if (p->profile && ++n % PROF_WINDOW == 0) {
            prof_window_end(&pw);
            prof_window_start(&pw, &p->prof, NULL);
        }
        uint64_t t0 = p->profile ? cpu_ns() : 0;
        bool more = !halted(p) && th_input_next(in, &rec);
        while (more && p->keep && !p->keep(p->ctx, &rec))
            more = th_input_next(in, &rec);
        /* io holds a file's end until its deferred lines are settled: commit
         * everything, then go on reading */
        bool held = !more && !halted(p) && th_input_held(in);
        if (p->profile)
            p->prof.read_ns += cpu_ns() - t0;
        pbatch *b = &pl.ring[filled % pl.nring];
        if (more) {
            if (b->n == 0 && filled - committed == pl.nring) {
                commit_batch(&pl, &pl.ring[committed % pl.nring]);
                committed++;
            }
            prec *x = &b->recs[b->n++];
            if (rec.kind == TH_REC_DEFERRED) { /* read where io has it */
                x->text = rec.text.p;
                if (!b->wins.len || b->wins.items[b->wins.len - 1] != pl.win) {
                    TH_VEC_PUSH(&b->wins, pl.win);
                    pl.win->refs++;
                }
            } else {
                x->text = th_arena_strndup(&b->arena, rec.text.p ? rec.text.p : "", rec.text.n);
            }
            x->n = rec.text.n;
            x->why = TH_JUDGED_SETTLE;
            const char *file = rec.file ? rec.file : "-";
            if (!b->file || strcmp(b->file, file) != 0) /* io's path lives until the next file */
                b->file = th_arena_strdup(&b->arena, file);
            prepared_init(&x->r, rec.kind);
            x->r.ev =
                (th_event){NULL, 0, 0, index++, b->file, rec.offset, rec.line, TH_STR_NULL, false};
            if (rec.kind == TH_REC_FILE) { /* a worker reads it (text: its path) */
                x->text = b->file;
                x->n = strlen(b->file);
                x->job = b->jobs.len;
                TH_VEC_PUSH(&b->jobs, ((pjob){.part = rec.part,
                                              .part_last = rec.part_last,
                                              .part_from = rec.part_from,
                                              .part_to = rec.part_to,
                                              .part_first = rec.part_first}));
                b->job_bytes += rec.size;
            }
        }
        if (b->n > 0 && (b->n == BATCH_RECORDS || b->job_bytes >= BATCH_FILE_BYTES || !more)) {
            submit(&pl, b);
            filled++;
        }
        while (committed < filled && (!more || filled - committed == pl.nring)) {
            commit_batch(&pl, &pl.ring[committed % pl.nring]);
            committed++;
        }
        if (held)
            continue;
        if (!more)
            break;
        progress_tick(p, &pr, in, index);
    }
    pthread_mutex_lock(&pl.mu);
    pl.stop = true;
    pthread_cond_broadcast(&pl.work);
    pthread_mutex_unlock(&pl.mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    helper_free(&self); /* every batch is committed */
    if (p->profile)
        prof_window_end(&pw);
    progress_end(&pr);
    th_input_defer(in, false);
    th_input_defer_files(in, 0);
    th_input_defer_parts(in, 0);
    th_input_give_windows(in, NULL, NULL);
    pool_free(&pl);
    free(tids);
}

void th_pipeline_run(th_pipeline *p, th_input *in)
{
    if (!in)
        return;
    levels lv;
    plan(p, &lv);
    for (size_t i = 0; i < p->nengines; i++) /* th_engine_finish, called by the verb */
        th_engine_set_threads(p->engines[i], p->threads);
    if (p->threads <= 1)
        run_serial(p, &lv, in);
    else
        run_parallel(p, &lv, in);
    for (size_t i = 0; i < p->nengines; i++) {
        free(lv.docfields[i]);
        free(lv.bare[i]);
    }
    free(lv.docat);
    if (p->notime > TH_NOTIME_REPORTED && p->diags)
        th_diag_at(p->diags, TH_SEV_ERROR, NULL, 0, 0,
                   "%llu more events without a usable time (%llu of %llu in all)",
                   (unsigned long long)(p->notime - TH_NOTIME_REPORTED),
                   (unsigned long long)p->notime, (unsigned long long)p->events);
}

void th_pipeline_free(th_pipeline *p)
{
    th_mapper_free(p->mapper);
    p->mapper = NULL;
}
