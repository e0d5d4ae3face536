/* Rule set -> engine, as `trailhound run` does it: compile every rule's query
 * (KQL, EQL, EQL sequences split into stages), derive the prefilter the
 * engine indexes, attach exception lists, and record the rules that cannot
 * run with the reason. Shared by `run` and `test` so both replay alike.
 * Ownership: compiled queries live in the arena `a`; views[i] (exception
 * views) are malloc'd and owned by the caller (th_exceptions_free + free).
 * The rule set, arena and exceptions must outlive the engine. */
#ifndef TH_CLI_RUN_RULES_H
#define TH_CLI_RUN_RULES_H

#include <stddef.h>

#include "base/arena.h"
#include "base/diag.h"
#include "engine/engine.h"
#include "engine/exceptions.h"
#include "rules/rule.h"

/* views must have rs->len entries; *nskipped counts rules that cannot run. */
void th_run_add_rules(th_engine *e, const th_ruleset *rs, th_arena *a, th_diags *diags,
                      const th_exceptions *exc, th_exceptions **views, size_t *nskipped);

/* One ES|QL query (a rule's, or one of a hunt's) parsed and added to the
 * engine, its leading WHERE lowered for routing, gates and lazy mapping.
 * NULL, or the reason it cannot run (parse errors also go to diags). *idx
 * and *out (either may be NULL) get the engine index and the parsed query. */
struct th_esql;
struct th_qsource;
const char *th_run_add_esql(th_engine *e, const th_rule *r, const char *text,
                            const struct th_qsource *src, th_arena *a, th_diags *diags,
                            const th_exceptions *view, size_t *idx, struct th_esql **out);

#endif
