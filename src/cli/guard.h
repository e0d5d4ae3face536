/* Checks every verb makes before it reads any data, and the exit status that
 * follows (verbs.h): paths that exist, at least one rule loaded, inputs that
 * could be read, output that reached its destination. Each check prints one
 * message on stderr, `trailhound VERB: ...`, with a hint when the mistake is a
 * common one (--rules and --data swapped, a folder without .toml files, a
 * Kibana rule export given where events are expected).
 * Ownership: nothing is kept; every function reads its arguments only.
 * Thread safety: call from the main thread (they print). */
#ifndef TH_CLI_GUARD_H
#define TH_CLI_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/args.h"
#include "io/input.h"

typedef enum th_path_role {
    TH_ROLE_RULES, /* detection-rules TOML (files or directories) */
    TH_ROLE_DATA,  /* events: raw CloudTrail or ECS, `-` is stdin */
    TH_ROLE_OTHER, /* rule tests, exception lists, single files: existence only */
} th_path_role;

/* What a path looks like from its name and, for NDJSON, its first line. */
typedef enum th_path_kind {
    TH_KIND_MISSING,
    TH_KIND_TOML,         /* a .toml file, or a directory holding some */
    TH_KIND_EVENTS,       /* .json/.ndjson/.gz files, or a directory holding only such */
    TH_KIND_KIBANA_RULES, /* an NDJSON export of Kibana saved objects (rules) */
    TH_KIND_EMPTY_DIR,    /* a directory with neither */
    TH_KIND_OTHER,
} th_path_kind;

th_path_kind th_cli_path_kind(const char *path);

/* Every path exists (`-` always does for data). On the first problem prints
 * it (with a hint when the path looks like the other role's input) and returns
 * false: the caller exits TH_EXIT_USAGE before reading anything. `opt` names
 * the option in messages ("--rules"). */
bool th_cli_paths_ok(const char *verb, const char *opt, th_path_role role, const char *const *paths,
                     size_t n);

/* --threads of args (absent: the default) into *threads. On a bad value says
 * so and returns false: the caller exits TH_EXIT_USAGE. */
bool th_cli_threads(const char *verb, const th_args *args, unsigned *threads);

/* Called when no rule was loaded from paths: says so with the likely reason
 * and returns TH_EXIT_USAGE. */
int th_cli_no_rules(const char *verb, const char *const *paths, size_t n);

/* The exit status after reading inputs: TH_EXIT_USAGE when an input could not
 * be opened or read at all, or (strict) when any record or file was skipped as
 * malformed or corrupt; otherwise rc unchanged. Prints why when it changes rc. */
int th_cli_input_rc(const char *verb, const th_input_stats *s, bool strict, int rc);

/* --from / --to, with one meaning in every verb: the period of event time
 * considered, both ends included; each an ISO-8601 time or Elastic date math
 * (now-30d, now/d); absent ends are TH_TIME_NONE (the data's own span). A
 * value that does not parse, or --from after --to, is printed and false
 * returned (the caller exits TH_EXIT_USAGE). */
bool th_cli_period(const char *verb, const th_args *a, int64_t *from, int64_t *to);
#define TH_CLI_FROM_HELP                                                                           \
    "consider events at or after T (ISO-8601 or date math: now-30d; default: the earliest)"
#define TH_CLI_TO_HELP "consider events at or before T (same forms; default: the latest)"

/* The input's size on disk: the sum of the sizes of the regular files under
 * paths (directories walked without following links to directories, bounded
 * depth), or 0 when unknown (stdin, a FIFO). For progress percent and ETA. */
uint64_t th_cli_input_size(const char *const *paths, size_t n);

/* true when colour may be used on f: a terminal, and NO_COLOR unset or empty
 * (https://no-color.org). */
bool th_cli_colour(FILE *f);

/* Flushes f and reports a write error (full disk, closed pipe) as
 * `trailhound VERB: cannot write NAME: reason`. true when everything written
 * reached the file. Closes f when close is set. */
bool th_cli_write_ok(const char *verb, FILE *f, const char *name, bool close);

#endif
