/* run --state: what the summary says about the state file (state/state.h). */
#ifndef TH_CLI_RUN_STATE_H
#define TH_CLI_RUN_STATE_H

#include <stdio.h>

#include "engine/engine.h"
#include "io/input.h"
#include "state/state.h"

/* After loading: rules resumed, and those that start fresh (new, or their
 * query or type changed: named). f NULL: nothing printed. */
void th_run_state_loaded(const th_engine *e, const th_state_rule_status *st, const char *path,
                         FILE *f);
/* After saving: the state kept per rule (the largest), rules over the cap,
 * input objects read before. */
void th_run_state_saved(const th_engine *e, const th_state_rule_size *sz, const char *path,
                        const th_input_stats *in, FILE *f);

#endif
