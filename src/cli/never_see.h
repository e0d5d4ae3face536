/* The "what it will never see" report: at load, the fields each rule reads
 * (engine) against the fields raw CloudTrail mapped with the verb's options
 * can have (th_mapper_opts_gap), grouped by reason:
 *   run: 31 rules read source.as.*, which raw CloudTrail never has here: ASN
 *   enrichment is off (...)
 * followed by the first rules of each group and the fields they read.
 * Rules the engine skips (ES|QL, ML, ...) are listed by the run summary. */
#ifndef TH_CLI_NEVER_SEE_H
#define TH_CLI_NEVER_SEE_H

#include <stdio.h>

#include "ecs/mapper.h"
#include "engine/engine.h"

/* Rules listed per group; the rest are counted. */
#define TH_NEVER_SEE_LISTED 5

/* Prints the report to f (nothing when every field can be mapped); returns
 * the number of (rule, group) pairs found. */
size_t th_never_see_print(const th_engine *e, const th_mapper_opts *mo, const char *verb, FILE *f);

#endif
