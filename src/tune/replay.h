/* Replaying rule versions over the same data with the engine (engine.h), in
 * one pass over the data: every rule version gets its own engine (so alert
 * ids and de-duplication of one version never touch another's), and each
 * event is mapped once and fed to all of them.
 *
 * This is the only place tune/ meets the engine, the query compiler and the
 * inputs; everything else in tune/ works on the alert sets it returns.
 *
 * Ownership: a th_replay owns its rules' arena, the alert documents it
 * collected (copied out of the engine's callbacks) and the alert sets. */
#ifndef TH_TUNE_REPLAY_H
#define TH_TUNE_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "rules/rule.h"
#include "tune/tune.h"

#define TH_REPLAY_MAX_RULES 64

/* An alert document as text, with the run that created it (kept for the
 * rules over the alert index, which read the other rules' alerts). */
typedef struct th_replay_text {
    int64_t time_ms;
    char *text; /* malloc'd */
    size_t len;
} th_replay_text;
typedef struct th_replay_texts {
    th_replay_text *items;
    size_t len, cap;
} th_replay_texts;
void th_replay_texts_free(th_replay_texts *t);

struct th_exceptions;
typedef struct th_replay {
    th_arena arena;   /* alert documents, compiled queries */
    th_ruleset rules; /* rules loaded by th_replay_load */
    const th_rule *rule[TH_REPLAY_MAX_RULES];
    const char *query_text[TH_REPLAY_MAX_RULES]; /* query override (NULL = the rule's) */
    const char *skipped[TH_REPLAY_MAX_RULES];    /* why a version did not run */
    th_talerts alerts[TH_REPLAY_MAX_RULES];
    /* exception items of one version (set after th_replay_add; NULL: the
     * options' exc), when versions of different rules need their own */
    const struct th_exceptions *exc[TH_REPLAY_MAX_RULES];
    size_t n;
    /* keep_texts: every version's alerts are also kept as text, in the order
     * the engine wrote them (th_replay_free frees what is left in texts) */
    bool keep_texts;
    th_replay_texts texts[TH_REPLAY_MAX_RULES];
    uint64_t events;        /* events fed */
    int64_t from_ms, to_ms; /* the period replayed (after defaults) */
} th_replay;

void th_replay_init(th_replay *r);
void th_replay_free(th_replay *r);

/* Loads a rule version: `FILE` or `FILE@REV` (the file as it was at git
 * revision REV: `git show REV:./FILE` run in the file's directory).
 * Returns the rule or NULL (problems in diags). `label` gets "FILE@REV". */
const th_rule *th_replay_load(th_replay *r, const char *spec, th_diags *diags);

/* Adds a version to replay: the rule, optionally with its query replaced by
 * `query` (noise verification appends a clause). Returns its index. */
size_t th_replay_add(th_replay *r, const th_rule *rule, const char *query);

struct th_exceptions;
struct th_engine_trace;
typedef struct th_replay_opts {
    const char *const *data;
    size_t ndata;
    int64_t from_ms, to_ms; /* TH_TIME_NONE = the data's span */
    th_diags *diags;
    /* explain's additions (zero = off, as before): */
    const struct th_exceptions *exc; /* exception items applied to every version */
    struct th_engine_trace *trace;   /* traces one event in version 0 (engine.h) */
    bool sequences;                  /* run EQL sequence rules (else skipped) */
    /* the mapping of raw CloudTrail; NULL = as Elastic deploys the integration
     * (th_mapper_opts_deployed) */
    const struct th_mapper_opts *mo;
    /* noise's observer: every event of the data, fully mapped, in input
     * order, with whether version 0's query selects it (NULL = off). */
    void (*observe)(void *ctx, const th_jval *doc, bool selected);
    void *observe_ctx;
    /* alerts raised by other rules (in other replays), read by the versions
     * that are rules over the alert index as `run` would have them read:
     * in the order `run` creates them (rule after rule, in load order) */
    const th_replay_text *foreign;
    size_t nforeign;
} th_replay_opts;

/* Runs every added version over the data. Returns false when the data could
 * not be read at all (no event read and errors in diags, which say why).
 * Alerts land in r->alerts[i]. */
bool th_replay_run(th_replay *r, const th_replay_opts *o);

/* The CloudTrail -> ECS mapper as replays use it: `mo`, or NULL for
 * th_mapper_opts_deployed (data packages found beside the binary); NULL on
 * failure (diags says why). */
struct th_mapper;
struct th_mapper *th_replay_mapper(th_diags *diags, const struct th_mapper_opts *mo);

/* Reads `git show REV:./PATH` into a malloc'd buffer; NULL on failure. */
char *th_git_show(const char *path, const char *rev, size_t *len);
/* `git -C DIR ls-tree -r --name-only REV -- .`: the files under DIR at REV,
 * one path (relative to DIR) per line; malloc'd, NULL on failure. */
char *th_git_ls(const char *dir, const char *rev, size_t *len);

#endif
