/* Prefilter routing: which of a set of compiled queries can match a document,
 * decided from the literal values each query requires (th_query_required_values)
 * of event.action or, failing that, event.provider. A query that pins neither is
 * a candidate for every document. Candidates are a superset of the matches:
 * evaluate them with th_query_match.
 *
 * Ownership: the router borrows the queries (their strings key its table); free
 * the router before them. Thread safety: read-only after th_router_new; each
 * thread passes its own `cand` buffer. */
#ifndef TH_QUERY_ROUTER_H
#define TH_QUERY_ROUTER_H

#include <stddef.h>

#include "json/json.h"
#include "query/query.h"

typedef struct th_router th_router;

/* qs[i] may be NULL (never a candidate). */
th_router *th_router_new(const th_query *const *qs, size_t n);
void th_router_free(th_router *r);
/* Sets cand[i] = 1 for every query i that may match doc, 0 for the others
 * (cand has n bytes); returns the number of candidates. */
size_t th_router_candidates(const th_router *r, const th_jval *doc, unsigned char *cand);
/* How the queries were routed: by event.action, by event.provider, unrouted
 * (always candidates), never (can match nothing). */
void th_router_stats(const th_router *r, size_t *by_action, size_t *by_provider, size_t *always,
                     size_t *never);

#endif
