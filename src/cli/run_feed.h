/* The hot pass of `trailhound run`: records from io/ -> ECS documents ->
 * th_engine_eval -> th_engine_commit, on one thread or on a pool of workers
 * that map and evaluate batches while the reading thread commits finished
 * batches in input order (so the result is the same at any thread count).
 * Ownership: borrows the engine, input and mapper. Not reentrant. */
#ifndef TH_CLI_RUN_FEED_H
#define TH_CLI_RUN_FEED_H

#include <stdbool.h>
#include <stdint.h>

#include "base/diag.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "io/input.h"

typedef struct th_run_feed {
    th_engine *e;
    const th_mapper_opts *mo;
    th_mapper *mapper;      /* created on first raw record (owned; freed by caller) */
    th_diags *diags;
    int64_t delay;          /* ECS documents without event.ingested get @timestamp + delay;
                             * TH_TIME_NONE = leave them */
    unsigned threads;       /* workers; <= 1 = evaluate on the reading thread */
    bool progress;          /* print progress on stderr after a second */
    /* results */
    uint64_t events, raw, derived, notime;
} th_run_feed;

void th_run_feed_all(th_run_feed *f, th_input *in);

#endif
