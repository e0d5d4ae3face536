/* Output of `trailhound run`: alert formats (ndjson, table, summary) and the
 * summary printed on stderr. Ownership: th_run_out owns its FILE when it
 * opened one (-o FILE). Not thread safe. */
#ifndef TH_CLI_RUN_OUT_H
#define TH_CLI_RUN_OUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/buf.h"
#include "cli/outfile.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "io/input.h"
#include "pipeline/pipeline.h"

/* ndjson: alert documents; bulk: Elasticsearch _bulk (action line + document);
 * table: one line per alert; summary: no alerts (the summary is on stderr);
 * json: no alerts, the summary as one JSON object on the output. */
typedef enum th_run_fmt { TH_RUN_NDJSON, TH_RUN_BULK, TH_RUN_TABLE, TH_RUN_SUMMARY, TH_RUN_JSON } th_run_fmt;

typedef struct th_run_out {
    th_run_fmt fmt;
    FILE *f;          /* out.f */
    th_outfile out;   /* -o FILE through a temporary file (cli/outfile.h), or stdout */
    bool werr;
    th_buf buf;
    uint64_t alerts;
    uint64_t updates; /* of them, alerts of earlier runs written again, updated (run --state) */
} th_run_out;

/* Prints a usage message and returns false on a bad format, an unwritable
 * file, or an output that is one of the inputs (cli/outfile.h). */
bool th_run_out_init(th_run_out *o, const char *format, const char *path,
                     const char *const *inputs, size_t ninputs);
/* th_alert_fn: writes one alert. */
void th_run_out_alert(void *ctx, const th_alert *a);
/* The _bulk action line for one alert document: a `create` into Kibana's
 * alerts alias for the default space, with the alert's uuid as _id (Kibana
 * indexes alerts under kibana.alert.uuid), so a second load is refused as a
 * duplicate instead of doubling the alerts. `update` (an alert of an earlier
 * run that suppression updated, run --state): `index`, which replaces the
 * document with that _id, as Kibana updates it. */
void th_run_out_bulk_action(th_buf *b, const th_jval *doc, bool update);
/* Flushes, closes and renames the output into place; false (said) on a
 * write error, and the output file is then left as it was. */
bool th_run_out_close(th_run_out *o);
/* -o FILE: everything written so far, flushed to the temporary file and
 * synced, read back into content (run --state commits it with the state
 * before the rename: state/state.h). False when the output is not a
 * temporary file, or on an error. */
bool th_run_out_stage(th_run_out *o, th_buf *content);
/* Writes bytes as they are (an earlier run's output, run --state). */
void th_run_out_raw(th_run_out *o, const void *p, size_t n);
/* Drops what was written: the output file is left as it was (stdout: flushed). */
void th_run_out_discard(th_run_out *o);

typedef struct th_run_summary {
    const th_engine *engine;
    const th_input_stats *input;
    uint64_t events, raw, derived_ingested, no_time;
    double read_s, total_s;
    int64_t ingest_delay_ms;  /* mapper's (raw CloudTrail); < 0 = not set */
    int64_t ecs_delay_ms;     /* for ECS input; TH_TIME_NONE = not applied */
    bool profile;
    size_t exceptions;
    const th_mapper *mapper;  /* NULL when no raw CloudTrail was read */
    const th_pipeline *pipe;  /* stage profile and mapping levels (--profile) */
    double temporal_s;        /* th_engine_finish: CPU seconds, all threads */
    uint64_t max_memory;      /* the --max-memory budget in bytes (0: none) */
} th_run_summary;

/* Peak resident set size of the process so far, in bytes (0 if unknown). */
uint64_t th_peak_rss(void);
/* The pipeline's per-stage profile, as `run --profile` prints it (temporal_s
 * < 0: a verb without a temporal pass, which is left out). */
void th_pipeline_profile_print(const th_pipeline *p, double temporal_s, const char *verb, FILE *f);

/* The summary, rules sorted by alert count (then name), as text on f. */
void th_run_summary_print(const th_run_summary *s, FILE *f);
/* The same facts as one JSON object (and a newline) appended to out. */
void th_run_summary_json(const th_run_summary *s, th_buf *out);

#endif
