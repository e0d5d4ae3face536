/* The hot pass of `trailhound run` (run_feed.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/timeutil.h"
#include "cli/run_feed.h"

#define BATCH_RECORDS 512

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

typedef struct progress {
    double t0, last;
} progress;

static void progress_tick(const th_run_feed *f, progress *p, th_input *in)
{
    if (!f->progress || (f->events & 4095) != 0)
        return;
    double s = now_s() - p->t0;
    if (s > 1.0 && s - p->last > 0.5) {
        const th_input_stats *st = th_input_stats_get(in);
        fprintf(stderr, "\rrun: %llu events, %.1f MB, %.1f MB/s   ", (unsigned long long)f->events,
                (double)st->bytes / 1e6, (double)st->bytes / 1e6 / s);
        p->last = s;
    }
}

static void progress_end(const progress *p)
{
    if (p->last > 0)
        fprintf(stderr, "\r%60s\r", "");
}

/* ECS document of a record, with times; stamps event.ingested when asked.
 * Returns 1 when raw CloudTrail was mapped, and sets *derived. */
static th_jval *to_ecs(const th_run_feed *f, th_mapper *m, th_arena *a, th_jval *json, th_str text,
                       th_rec_kind kind, th_event *ev, bool *derived)
{
    th_jval *doc = json;
    *derived = false;
    if (kind == TH_REC_CLOUDTRAIL)
        doc = th_ecs_map(m, a, json, text);
    ev->doc = doc;
    th_event_read_times(ev);
    if (kind == TH_REC_ECS && ev->ingested_ms == TH_TIME_NONE && f->delay != TH_TIME_NONE &&
        ev->timestamp_ms != TH_TIME_NONE) {
        /* as Fleet's final pipeline stamps it: whole seconds */
        int64_t ms = ev->timestamp_ms + f->delay;
        ms -= ((ms % 1000) + 1000) % 1000;
        char buf[32];
        th_time_format_iso(ms, buf);
        th_jobj_set_path(a, doc, "event.ingested", th_jnew_strcopy(a, th_str_c(buf)));
        ev->ingested_ms = ms;
        *derived = true;
    }
    return doc;
}

static void count(th_run_feed *f, const th_event *ev, th_rec_kind kind, bool derived)
{
    f->events++;
    f->raw += kind == TH_REC_CLOUDTRAIL;
    f->derived += derived;
    f->notime += th_event_combined_ts(ev) == TH_TIME_NONE;
}

static void feed_serial(th_run_feed *f, th_input *in)
{
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_record rec;
    progress p = {now_s(), 0};
    while (th_input_next(in, &rec)) {
        if (rec.kind == TH_REC_CLOUDTRAIL && !f->mapper)
            f->mapper = th_mapper_new(f->mo, f->diags);
        th_event ev = {NULL, 0, 0, f->events, rec.file, rec.offset, rec.line};
        bool derived;
        to_ecs(f, f->mapper, &a, rec.json, rec.text, rec.kind, &ev, &derived);
        th_engine_feed(f->e, &ev);
        count(f, &ev, rec.kind, derived);
        th_arena_reset(&a);
        progress_tick(f, &p, in);
    }
    progress_end(&p);
    th_arena_free(&a);
}

/* ---- parallel: batches of copied record text ------------------------------ */

enum { B_FREE, B_FILLED, B_BUSY, B_DONE };

typedef struct prec {
    const char *text;
    size_t n;
    th_rec_kind kind;
    const char *file;
    uint64_t offset, line, index;
    th_event ev;
    size_t hfrom, hto;
    bool derived;
} prec;

typedef struct pbatch {
    int state;
    th_arena arena;
    prec recs[BATCH_RECORDS];
    size_t n;
    const char *file;    /* the batch's copy of the current file name */
    th_hits hits;
} pbatch;

typedef struct pool {
    th_run_feed *f;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pbatch *ring;
    size_t nring;
    bool stop;
} pool;

static void process(pool *p, pbatch *b)
{
    th_hits_clear(&b->hits);
    for (size_t i = 0; i < b->n; i++) {
        prec *r = &b->recs[i];
        th_json_error err;
        th_jval *json = th_json_parse(&b->arena, r->text, r->n, &err);
        r->ev = (th_event){NULL, 0, 0, r->index, r->file, r->offset, r->line};
        r->hfrom = r->hto = b->hits.len;
        if (!json) { /* io parsed it already; cannot happen, but never crash */
            r->ev.timestamp_ms = r->ev.ingested_ms = TH_TIME_NONE;
            continue;
        }
        to_ecs(p->f, p->f->mapper, &b->arena, json, th_str_make(r->text, r->n), r->kind, &r->ev,
               &r->derived);
        th_engine_eval(p->f->e, &r->ev, &b->hits);
        r->hto = b->hits.len;
    }
}

static void *worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        pbatch *b = NULL;
        for (size_t i = 0; i < p->nring && !b; i++)
            if (p->ring[i].state == B_FILLED)
                b = &p->ring[i];
        if (!b) {
            if (p->stop)
                break;
            pthread_cond_wait(&p->cv, &p->mu);
            continue;
        }
        b->state = B_BUSY;
        pthread_mutex_unlock(&p->mu);
        process(p, b);
        pthread_mutex_lock(&p->mu);
        b->state = B_DONE;
        pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Waits for batch b to be processed, then commits it in input order. */
static void commit(pool *p, pbatch *b)
{
    pthread_mutex_lock(&p->mu);
    while (b->state != B_DONE)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    for (size_t i = 0; i < b->n; i++) {
        prec *r = &b->recs[i];
        th_engine_commit(p->f->e, &r->ev, &b->hits, r->hfrom, r->hto);
        count(p->f, &r->ev, r->kind, r->derived);
    }
    b->n = 0;
    b->file = NULL;
    th_arena_reset(&b->arena);
    pthread_mutex_lock(&p->mu);
    b->state = B_FREE;
    pthread_mutex_unlock(&p->mu);
}

static void submit(pool *p, pbatch *b)
{
    pthread_mutex_lock(&p->mu);
    b->state = B_FILLED;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void feed_parallel(th_run_feed *f, th_input *in)
{
    /* every worker maps: the mapper must exist before they start (it is
     * documented as shareable between threads) */
    if (!f->mapper)
        f->mapper = th_mapper_new(f->mo, f->diags);
    pool p = {.f = f};
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    p.nring = (size_t)f->threads * 2 + 2;
    p.ring = th_xcalloc(p.nring, sizeof(pbatch));
    for (size_t i = 0; i < p.nring; i++) {
        th_arena_init(&p.ring[i].arena, 1 << 20);
        th_hits_init(&p.ring[i].hits, f->e);
    }
    pthread_t *tids = th_xcalloc(f->threads, sizeof(pthread_t));
    unsigned started = 0;
    for (unsigned i = 0; i < f->threads; i++)
        if (pthread_create(&tids[started], NULL, worker, &p) == 0)
            started++;
    if (started == 0) { /* no threads to be had: the serial path gives the same result */
        for (size_t i = 0; i < p.nring; i++) {
            th_hits_free(&p.ring[i].hits);
            th_arena_free(&p.ring[i].arena);
        }
        free(p.ring);
        free(tids);
        pthread_cond_destroy(&p.cv);
        pthread_mutex_destroy(&p.mu);
        feed_serial(f, in);
        return;
    }
    uint64_t filled = 0, committed = 0, index = 0;
    progress pr = {now_s(), 0};
    th_record rec;
    for (;;) {
        bool more = th_input_next(in, &rec);
        pbatch *b = &p.ring[filled % p.nring];
        if (more) {
            if (b->n == 0 && filled - committed == p.nring) {
                commit(&p, &p.ring[committed % p.nring]);
                committed++;
            }
            prec *r = &b->recs[b->n++];
            r->text = th_arena_strndup(&b->arena, rec.text.p ? rec.text.p : "", rec.text.n);
            r->n = rec.text.n;
            r->kind = rec.kind;
            const char *file = rec.file ? rec.file : "-";
            if (!b->file || strcmp(b->file, file) != 0) /* io's path lives until the next file */
                b->file = th_arena_strdup(&b->arena, file);
            r->file = b->file;
            r->offset = rec.offset;
            r->line = rec.line;
            r->index = index++;
        }
        if (b->n > 0 && (b->n == BATCH_RECORDS || !more)) {
            submit(&p, b);
            filled++;
        }
        while (committed < filled && (!more || filled - committed == p.nring)) {
            commit(&p, &p.ring[committed % p.nring]);
            committed++;
        }
        if (!more)
            break;
        if (f->progress && (index & 4095) == 0) {
            uint64_t save = f->events;
            f->events = index;
            progress_tick(f, &pr, in);
            f->events = save;
        }
    }
    pthread_mutex_lock(&p.mu);
    p.stop = true;
    pthread_cond_broadcast(&p.cv);
    pthread_mutex_unlock(&p.mu);
    for (unsigned i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    progress_end(&pr);
    for (size_t i = 0; i < p.nring; i++) {
        th_hits_free(&p.ring[i].hits);
        th_arena_free(&p.ring[i].arena);
    }
    free(p.ring);
    free(tids);
    pthread_cond_destroy(&p.cv);
    pthread_mutex_destroy(&p.mu);
}

void th_run_feed_all(th_run_feed *f, th_input *in)
{
    if (!in)
        return;
    if (f->threads <= 1)
        feed_serial(f, in);
    else
        feed_parallel(f, in);
}
