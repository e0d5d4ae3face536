/* Shared by the workbench verbs (cmd_tune.c, cmd_noise.c, cmd_explain.c):
 * period options, labels, reading files, the fields to group by.
 * Ownership: results belong to the caller (read buffers are malloc'd). */
#ifndef TH_CLI_TUNE_CLI_H
#define TH_CLI_TUNE_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "cli/args.h"
#include "rules/rule.h"
#include "tune/tune.h"

/* --from / --to as epoch ms (TH_TIME_NONE when absent); false on a bad value. */
bool th_tune_cli_period(const char *verb, const th_args *a, int64_t *from, int64_t *to);
/* --labels FILE (labels.ndjson) and --expect FILE (ids) into l, for rule r. */
bool th_tune_cli_labels(const char *verb, const th_args *a, const th_rule *r, th_labels *l,
                        bool *have);
/* Whole file, malloc'd and NUL-terminated, or NULL (th_file_read). */
char *th_tune_cli_read(const char *path, size_t *len);
/* Where the data came from, for evidence: "emulated (...)" when emulate's
 * labels.ndjson lies in or beside a --data path, else "as given (...)". */
const char *th_tune_cli_provenance(const char *const *data, size_t n);
struct th_exceptions;
/* --exceptions FILE...: loads them into all and the items that apply to r
 * into view (as run applies them); false when a file cannot be read. */
bool th_tune_cli_exceptions(const char *verb, const th_args *a, const th_rule *r,
                            struct th_exceptions *all, struct th_exceptions *view);
/* True when path is a directory. */
bool th_tune_cli_is_dir(const char *path);
struct th_replay_opts;
/* tune over a whole pack: --rules DIR with --before/--after revisions, or
 * two folders; per rule alerts before/after, biggest movers first. */
int th_tune_cli_pack(const char *rules_dir, const char *before, const char *after,
                     const struct th_replay_opts *ro, const th_args *a);
/* Writes a rendered page to path through a temporary file (cli/outfile.h);
 * 0 or -1. inputs: the data paths, which the page must not overwrite. */
int th_tune_cli_write_page(const char *path, const th_buf *page, const char *const *inputs,
                           size_t ninputs);
/* The rule's investigation fields, or the common fields when it has none. */
size_t th_tune_cli_fields(const th_rule *r, const char **out, size_t max);

#endif
