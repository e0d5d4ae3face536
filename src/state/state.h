/* The state file of incremental runs (`run --state PATH`): a SQLite database
 * holding what one run hands to the next (engine.h, "incremental runs"), the
 * input objects already read, and the position of the schedule.
 *
 * Format: SQLite (WAL journal), application_id 'THND', user_version = schema
 * version; tables meta (key/value: watermark, next input position, runs),
 * rules (per rule_id: revision hash of what decides its alerts, last run
 * done, its state blob), docs (the documents kept matches refer to), alerts
 * (those a later run can update or read), objects (input files read) and
 * outbox (the last run's output until it is known to be in place). A
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

#include "base/buf.h"
#include "engine/engine.h"

#define TH_STATE_SCHEMA 2

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
    uint64_t bytes;   /* its blob and the documents it was the first to refer to */
    uint64_t matches; /* matches kept */
    bool capped;      /* over max_bytes: trimmed to it, its oldest matches left out */
    uint64_t dropped; /* those matches */
} th_state_rule_size;

/* Saves the state of a finished engine in one transaction. max_bytes (0 =
 * none) caps each rule's state: over it, the rule's oldest matches are left
 * out until its blob and documents fit (reported in sizes). sizes (engine rule count entries, may be
 * NULL) gets what was kept per rule. out_path (NULL: none): the file this
 * run's output (out_blob, complete) is about to be renamed onto; it stays in
 * the outbox, in the same transaction, until th_statedb_outbox_done.
 *
 * Crash safety: the output is written to a temporary file, the state and
 * that output are committed together, then the file is renamed into place,
 * then the outbox is cleared. Killed before the commit, nothing happened
 * (the next run does it all again); after it, the next run finds the outbox
 * (th_statedb_pending) and writes it first unless the file at out_path holds
 * exactly it. No alert is lost or written twice. append_at >= 0 (run
 * --follow): the output is appended to out_path at that offset instead of
 * replacing it; a part appended by a killed run is cut off again. */
bool th_statedb_save(th_statedb *s, th_engine *e, uint64_t order_next, int64_t phase,
                     uint64_t max_bytes, th_state_rule_size *sizes, const char *out_path,
                     th_str out_blob, int64_t append_at, char *err, size_t errn);
bool th_statedb_outbox_done(th_statedb *s, char *err, size_t errn);
/* True (its bytes appended to out, its path in shown) when the last run's
 * output never got into place: the caller writes it before its own (an
 * append that stopped half way is truncated away first). False when there
 * is none or it is in place (then the outbox is cleared). */
bool th_statedb_pending(th_statedb *s, th_buf *out, char *shown, size_t shown_n);

/* `trailhound state show|prune|reset`. */
bool th_statedb_show(th_statedb *s, FILE *out, char *err, size_t errn);
/* Forgets the input objects whose S3 key date is before objects_before_ms
 * (their events are older than any window; were they still there, a later
 * run would read them again and find nothing to alert), then compacts the
 * file (VACUUM). */
bool th_statedb_prune(th_statedb *s, int64_t objects_before_ms, uint64_t *objects_dropped,
                      char *err, size_t errn);

#endif
