/* Applying a noise suggestion (noise.h) to a rule's files: a clause added to
 * the query in the rule's TOML text, or an exception list written as
 * detection-rules exception TOML and Kibana NDJSON (engine/exceptions.h reads
 * both back).
 *
 * The rule file is edited as text, not re-serialised: everything but the
 * query string stays byte for byte, so the change reads as a one-line diff.
 *
 * Ownership: results are appended to the caller's th_buf. */
#ifndef TH_TUNE_APPLY_H
#define TH_TUNE_APPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "rules/rule.h"
#include "tune/noise.h"

/* Writes into `out` the rule text `text` (the file `r` was read from) with
 * `clause` ("and not ...") appended to its KQL query on a line of its own;
 * a query whose top level is an `or` is parenthesised first, so the clause
 * narrows all of it. False (and `err` says why) when the query string
 * cannot be found or cannot hold the clause. */
bool th_apply_clause(th_buf *out, const char *text, size_t len, const th_rule *r,
                     const char *clause, char *err, size_t errlen);

/* An exception list with one item whose entries are the cluster's
 * conditions (match, wildcard, exists), named after the rule: as
 * detection-rules exception TOML, or as a Kibana exception-list export
 * (NDJSON: the list, its item, the export summary; what Kibana's "Import
 * exception list" takes). Both carry the same list_id and entries. */
void th_apply_exception_toml(th_buf *out, const th_rule *r, const th_noise_cluster *c);
void th_apply_exception_ndjson(th_buf *out, const th_rule *r, const th_noise_cluster *c);

#endif
