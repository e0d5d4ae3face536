/* The state file of incremental runs (`run --state PATH`): a SQLite database
 * holding what one run hands to the next (engine.h, "incremental runs"), the
 * input objects already read, and the position of the schedule.
 *
 * Format: SQLite (WAL journal), application_id 'THND', user_version = schema
 * version; tables meta (key/value: watermark, next input position, runs),
 * rules (per rule_id: revision hash of what decides its alerts, last run
 * done, its state blob), docs (the documents kept matches refer to), alerts
 * (those a later run can update or read) and objects (input files read). A
 * file that is not such a database, or of a newer schema, is refused, never
 * reset. Each run writes everything in one transaction: a run killed at any
 * point leaves the state of the run before it.
 *
 * Ownership: th_statedb owns its connection; strings it returns live until
 * th_statedb_close. Not thread safe. */
#ifndef TH_STATE_STATE_H
#define TH_STATE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"

#define TH_STATE_SCHEMA 1

typedef struct th_statedb th_statedb;

/* Opens (create: also creates) the state file. NULL with a message in err
 * (naming the file and the reason) when it cannot be used. */
th_statedb *th_statedb_open(const char *path, bool create, char *err, size_t errn);
void th_statedb_close(th_statedb *s);

/* From the meta table: newest combined time read (TH_TIME_NONE: none), the
 * next input position, runs recorded so far, and the phase they used. */
int64_t th_statedb_watermark(const th_statedb *s);
uint64_t th_statedb_order_next(const th_statedb *s);
uint64_t th_statedb_runs(const th_statedb *s);
int64_t th_statedb_phase(const th_statedb *s); /* TH_TIME_NONE: none recorded */

/* The hash of what decides a rule's alerts (type, query, schedule, type
 * parameters); hex, 64 chars + NUL. */
void th_state_rule_revision(const th_rule *r, char out[65]);

/* Per rule of the engine, what loading found. */
typedef enum th_state_rule_status {
    TH_STATE_NEW = 0,     /* not in the state: starts fresh */
    TH_STATE_RESUMED,     /* continues after its last run */
    TH_STATE_CHANGED,     /* its query or type changed: starts fresh */
    TH_STATE_UNREADABLE,  /* its blob could not be read: starts fresh (reported) */
} th_state_rule_status;

/* Loads the state into a new engine (every rule added, no event fed yet).
 * status[i] (engine rule count entries) gets each rule's outcome. */
bool th_statedb_load(th_statedb *s, th_engine *e, th_state_rule_status *status, char *err,
                     size_t errn);

/* True when the input file at path was read by an earlier run (for
 * th_input_opts.seen); otherwise it is recorded as read by this run. */
bool th_statedb_seen(void *s, const char *path);

/* Per rule, what the save wrote (for the summary). */
typedef struct th_state_rule_size {
    uint64_t bytes;   /* its blob and the documents it refers to */
    uint64_t matches; /* matches kept */
    bool capped;      /* over max_bytes: its state was dropped, it starts fresh next time */
} th_state_rule_size;

/* Saves the state of a finished engine in one transaction. max_bytes (0 =
 * none) caps each rule's state. sizes (engine rule count entries, may be
 * NULL) gets what was kept per rule. */
bool th_statedb_save(th_statedb *s, th_engine *e, uint64_t order_next, int64_t phase,
                     uint64_t max_bytes, th_state_rule_size *sizes, char *err, size_t errn);

/* `trailhound state show|prune|reset`. */
bool th_statedb_show(th_statedb *s, FILE *out, char *err, size_t errn);
/* Forgets the input objects whose S3 key date is before objects_before_ms
 * (their events are older than any window; were they still there, a later
 * run would read them again and find nothing to alert), then compacts the
 * file (VACUUM). */
bool th_statedb_prune(th_statedb *s, int64_t objects_before_ms, uint64_t *objects_dropped,
                      char *err, size_t errn);

#endif
