/* EQL sequences (SEMANTICS.md 4.7, 4.9): the `sequence` header is split here
 * into join keys, maxspan and stage texts (each stage is then compiled by the
 * query layer as a single-event EQL query); the matcher runs in the temporal
 * pass (sequence.c).
 *
 * Ownership: th_seq_text points into the arena given. Not thread safe. */
#ifndef TH_ENGINE_SEQUENCE_H
#define TH_ENGINE_SEQUENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "engine/engine.h"

#define TH_SEQ_MAX_STAGES 16

typedef struct th_seq_text {
    const char **keys;        /* sequence-level `by` fields */
    size_t nkeys;
    int64_t maxspan_ms;       /* 0 = none */
    const char *stage[TH_SEQ_MAX_STAGES]; /* stage query texts (NUL-terminated copies) */
    size_t nstages;
    size_t stage_offset[TH_SEQ_MAX_STAGES]; /* where each stage text starts in the query */
} th_seq_text;

/* True when the query is an EQL sequence (starts with the keyword). */
bool th_seq_is_sequence(const char *query);
/* Splits a sequence query. On failure returns false with a reason in err
 * (unsupported: per-stage `by`, `until`, `runs=`; or malformed). */
bool th_seq_split(th_arena *a, const char *query, th_seq_text *out, char *err, size_t errn);

typedef struct th_seq_stage {
    th_pred_fn fn;
    const void *pred;
} th_seq_stage;

/* Adds an EQL sequence rule: its stages, join keys and maxspan. Stages and
 * keys are copied; predicates are borrowed. Returns the rule index. */
size_t th_engine_add_sequence(th_engine *e, const th_rule *r, const th_seq_stage *stages,
                              size_t nstages, const char *const *keys, size_t nkeys,
                              int64_t maxspan_ms, const th_exceptions *exc);

#endif
