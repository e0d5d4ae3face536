/* Whole-pack comparison: what happens to the alert volume when a
 * detection-rules checkout moves from one state to another (two folders,
 * or two git revisions of one folder). Rules are paired by rule_id; a rule
 * whose file text is the same in both is replayed once. Every version is
 * replayed with the engine (replay.h) over the same data, in passes of up
 * to TH_REPLAY_MAX_RULES versions.
 *
 * Ownership: a th_pack owns its rule sets, texts and rows. */
#ifndef TH_TUNE_PACK_H
#define TH_TUNE_PACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"
#include "rules/rule.h"
#include "tune/replay.h"

typedef enum th_pack_status {
    TH_PACK_UNCHANGED,
    TH_PACK_CHANGED,
    TH_PACK_ADDED,
    TH_PACK_REMOVED,
} th_pack_status;

typedef struct th_pack_row {
    const char *rule_id, *name;
    th_pack_status status;
    const th_rule *before, *after; /* NULL where the rule is absent */
    size_t nbefore, nafter;        /* alerts over the period */
    char skipped[96];              /* why a version did not run (the rule type ...); "" ran */
    const th_talerts *alerts[2];   /* with keep_alerts: each version's alerts (NULL: absent;
                                      an unchanged rule's are the same set) */
} th_pack_row;

typedef struct th_pack_side {
    th_ruleset rules;
    char **texts; /* file text per rule (parallel to rules.rules) */
    size_t ntexts;
} th_pack_side;

typedef struct th_pack {
    th_pack_side side[2]; /* before, after */
    th_pack_row *rows;    /* biggest movers first (|after - before|), then by name */
    size_t nrows;
    size_t total_before, total_after;
    size_t changed, added, removed, unchanged, not_run;
    uint64_t events;
    int64_t from_ms, to_ms;
    size_t passes;       /* passes over the data */
    bool keep_alerts;    /* in: keep every version's alerts (reports), not only the counts */
    th_replay **replays; /* with keep_alerts: the passes, which own the alerts */
    size_t nreplays;
} th_pack;

void th_pack_init(th_pack *p);
void th_pack_free(th_pack *p);
/* Loads one side (0 before, 1 after): the rules under `dir`, or, with `rev`,
 * the *.toml files under the git folder `dir` as they were at `rev`.
 * Returns the number of rules loaded; problems in diags. */
size_t th_pack_load(th_pack *p, int side, const char *dir, const char *rev, th_diags *diags);
/* Pairs the rules and replays every version over o's data. False when the
 * data could not be read. */
bool th_pack_run(th_pack *p, const th_replay_opts *o);

extern const char *const th_pack_status_names[]; /* "unchanged", "changed", "added", "removed" */

#endif
