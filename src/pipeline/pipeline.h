/* The one event driver (DESIGN.md `pipeline/`): every verb that reads events
 * (run, test, tune, noise, explain, match, convert) goes through it, so every
 * verb gets the same speed-ups and the same counting of input.
 *
 *   io/ records -> ECS (lazily) -> route -> evaluate (engines) -> in-order commit
 *   -> the verb's per-event callback; the temporal pass stays with the engine
 *   (th_engine_finish), called by the verb.
 *
 * Lazy ECS: a raw event is first planned on its raw record (ecs/rawproj.h):
 * routed to the rules it can meet and checked against their necessary
 * conditions (th_engine_plan). An event no rule can match is only counted;
 * the others are mapped with just what their planned rules read
 * (ecs/demand.h); a record the projection cannot vouch for is mapped with
 * what any rule reads. A matching event keeps its raw record, from which the
 * engine builds the complete document when an alert needs it
 * (th_engine_set_materialiser: the pipeline must then outlive
 * th_engine_finish). Every event gets the full mapping when the verb asks for
 * documents (convert, match) or with `eager`.
 *
 * Threads: with threads > 1, workers parse, map and evaluate batches of
 * records while the calling thread reads input and commits finished batches
 * in input order, so results are byte-identical for every thread count. The
 * engines' temporal pass gets the same number of threads
 * (th_engine_set_threads), for the verb's th_engine_finish.
 *
 * Ownership: borrows the engines, input, mapper options and diags; owns the
 * mapper it creates (th_pipeline_free). Not reentrant; one run per object. */
#ifndef TH_PIPELINE_PIPELINE_H
#define TH_PIPELINE_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/diag.h"
#include "ecs/demand.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "event/event.h"
#include "io/input.h"

#define TH_PIPELINE_MAX_ENGINES 64 /* tune replays up to TH_REPLAY_MAX_RULES versions */

/* Called once per event, in input order, after the engines committed it (on
 * the calling thread). `ev->doc` is the full ECS document when the pipeline
 * was asked for documents (full_docs), else whatever mapping was needed. */
typedef void (*th_pipeline_event_fn)(void *ctx, const th_event *ev, th_rec_kind kind);
/* Called once per event and engine, in input order, right after that engine
 * committed it, with the rules it evaluated for the event and their verdicts
 * (th_hit: rule index, result), in evaluation order. Unlike on_event it keeps
 * lazy mapping: `ev->doc` holds what the planned rules read and the mapping's
 * always-run part (event.id, @timestamp ...), or is NULL when no rule could
 * match (n is then 0). For `match` (engines with filters_only). */
typedef void (*th_pipeline_hits_fn)(void *ctx, const th_event *ev, size_t engine,
                                    const th_hit *items, size_t n);
/* (addition) An output made where the event was prepared, so that writing it
 * runs on every worker instead of the committing thread: render appends the
 * event's output to `out` (on any thread, concurrently: it may only read the
 * event and ctx's constant parts); the calling thread appends that text to
 * `rendered`, in input order, and on_rendered then gets it there (the end of
 * `rendered`), once per event. The serial path renders straight onto the end
 * of `rendered`: no copy. With render set, on_event is not called and a worker
 * keeps only the text of an event that no engine kept. For `convert`. */
typedef void (*th_pipeline_render_fn)(const void *ctx, const th_event *ev, th_rec_kind kind,
                                      th_buf *out);
typedef void (*th_pipeline_rendered_fn)(void *ctx, const th_event *ev, th_rec_kind kind,
                                        th_str text);
/* Called on the reading thread for every record before anything else is
 * done with it; false drops it (not counted as an event), e.g. convert's
 * --from/--to on the raw event time. */
typedef bool (*th_pipeline_keep_fn)(void *ctx, const th_record *rec);

/* Time per stage, in nanoseconds of the threads that did the work (so with
 * several workers the stages add up to more than the wall clock). */
typedef struct th_pipeline_profile {
    uint64_t read_ns;    /* io: read, inflate, split, parse (calling thread) */
    uint64_t parse_ns;   /* workers: parsing the copied record again */
    uint64_t map_ns;     /* planning on the raw record and CloudTrail -> ECS, every level */
    uint64_t eval_ns;    /* routing and rule filters */
    uint64_t commit_ns;  /* in-order commit: match records, documents kept */
    uint64_t output_ns;  /* the verb's per-event callback */
    uint64_t render_ns;  /* workers: the verb's render (th_pipeline.render) */
    uint64_t judge_ns;   /* workers: scanning and checking deferred lines (th_input_judge) */
    uint64_t files_ns;   /* workers: reading whole files (io's th_input_defer_files) */
    uint64_t mapped_base;      /* raw events mapped for their planned rules */
    uint64_t slotdoc;          /* raw events whose planned rules read only exact slots:
                                  evaluated on a document made from them, not mapped */
    uint64_t slotbare;         /* of those, events whose rules read only the fields' values
                                  (an ES|QL rule's): given those, not the document */
    uint64_t mapped_unplanned; /* raw events planning could not vouch for, mapped for every rule */
    uint64_t mapped_full;      /* complete mappings: alert sources, --no-lazy, outputs */
    uint64_t skipped;    /* raw events no rule could match (routing + gates on the raw
                            projection): not mapped, not evaluated */
    uint64_t worker_files; /* files read whole on workers (S3 objects) */
    uint64_t worker_parts; /* parts of big NDJSON files read on workers */
} th_pipeline_profile;

typedef struct th_pipeline {
    /* in */
    th_engine *engines[TH_PIPELINE_MAX_ENGINES];
    size_t nengines;
    const th_mapper_opts *mo;
    th_diags *diags;
    int64_t delay;          /* ECS documents without event.ingested get @timestamp + delay;
                             * TH_TIME_NONE = leave them */
    unsigned threads;       /* threads in all: threads - 1 workers and the calling thread;
                             * <= 1 = everything on the calling thread */
    bool progress;          /* progress on stderr after a second */
    const char *verb;       /* progress label ("run") */
    uint64_t total_bytes;   /* input size on disk when known (percent and ETA), else 0 */
    double progress_after;  /* seconds before the first progress line (0: 1 s) */
    bool full_docs;         /* every event gets the full mapping (convert, match) */
    bool eager;             /* no lazy mapping: full mapping for every event */
    bool profile;           /* fill `prof` */
    th_pipeline_event_fn on_event;
    th_pipeline_keep_fn keep;
    th_pipeline_hits_fn on_hits;
    th_pipeline_render_fn render;     /* with on_rendered, instead of on_event */
    th_pipeline_rendered_fn on_rendered;
    th_buf *rendered;       /* with render: where the texts go, in input order */
    void *ctx;              /* for on_event, on_hits, render, on_rendered and keep */
    bool stop;              /* set (by on_event) to stop reading */
    const volatile sig_atomic_t *interrupted; /* (addition) when set and nonzero (a signal
                             * came, cli/outfile.h), reading stops at the next record */
    /* state and results */
    th_mapper *mapper;      /* given, or created on the first raw record; th_pipeline_free frees it */
    /* the commit's counts, on a line of their own: the workers read the
     * fields above for every record, and the calling thread writes these */
    _Alignas(64) uint64_t events, raw, derived, notime;
    th_pipeline_profile prof;
    char demand_rules[TH_ECS_DEMAND_DESC_MAX]; /* th_ecs_demand_desc of what all the rules read */
} th_pipeline;

/* Reads every record of `in` through the stages. */
void th_pipeline_run(th_pipeline *p, th_input *in);
void th_pipeline_free(th_pipeline *p);

/* The default worker count: $TH_THREADS when it is a number in 1..256, else
 * the number of online processors. */
unsigned th_pipeline_default_threads(void);
/* A --threads value: NULL, "" or "0" = the default, else 1..256. False (and *out
 * untouched) for anything else. */
bool th_pipeline_threads_arg(const char *arg, unsigned *out);

#endif
