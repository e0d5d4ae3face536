/* Rule tests as data: `*.test.toml` files that name a rule, give it events
 * and say which alerts it must raise (docs/manual/test.md).
 *
 *   rule = "../my_rule.toml"            # relative to the test file
 *   [[test]]
 *   name = "StopLogging alerts"
 *   events = ['''{"eventVersion": "1.08", ...}''']   # raw CloudTrail or ECS JSON
 *   [test.expect]
 *   alerts = 1
 *   alert_ids = ["<eventID>"]
 *
 * This module reads and checks the file (every problem as file:line:col) and
 * compares what a run produced with what was expected; running the engine is
 * the CLI's business (cli/cmd_test.c), so this layer depends on nothing but
 * toml/ and json/.
 *
 * Ownership: everything a th_rtest_file points to lives in the arena given to
 * th_rtest_load. Thread safety: no shared state; one file per thread. */
#ifndef TH_RULETEST_RULETEST_H
#define TH_RULETEST_RULETEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/str.h"
#include "json/json.h"

/* events from `trailhound emulate` (emulate/emulate.h) */
typedef struct th_rtest_emulate {
    const char **scenarios;
    size_t nscenarios;
    int64_t seed;      /* default 1 */
    int64_t days;      /* default 1 */
    const char *start; /* YYYY-MM-DD or ISO time; default 2024-06-01 as `emulate` */
    int64_t rate;      /* background events per hour; 0 = emulate's default */
} th_rtest_emulate;

typedef struct th_rtest {
    const char *name;
    unsigned line, col; /* where the [[test]] table starts */
    const char *rule;   /* rule file, resolved against the test file's directory */
    th_jval **events;   /* inline events (raw CloudTrail or ECS), parsed */
    size_t nevents;
    const char **data; /* data paths, resolved like `rule` */
    size_t ndata;
    th_rtest_emulate *emulate; /* NULL when absent */
    const char *from, *to;     /* passed to the engine as `run --from/--to`; NULL = data span */
    const char *pending;       /* the rule cannot run yet: a skipped rule is not a failure */
    /* expectations */
    bool has_count;
    int64_t count;
    const char **must; /* event ids that must alert */
    size_t nmust;
    const char **must_not; /* event ids that must not alert */
    size_t nmust_not;
} th_rtest;

typedef struct th_rtest_file {
    const char *path;
    th_rtest *tests;
    size_t ntests;
} th_rtest_file;

/* Reads and checks a test file. Returns NULL when it is unusable (every
 * problem reported to diags with file:line:col). */
th_rtest_file *th_rtest_load(th_arena *a, const char *path, th_diags *diags);
/* The same from text in memory; `path` names it in diagnostics and is the
 * base for relative paths. */
th_rtest_file *th_rtest_parse(th_arena *a, const char *text, size_t len, const char *path,
                              th_diags *diags);

/* What a run produced: alerts counted (building-block alerts excluded) and
 * the event ids of every alert's source event(s). */
typedef struct th_rtest_got {
    size_t alerts;
    const char **ids;
    size_t nids;
    const char *skipped; /* the engine did not run the rule: why */
} th_rtest_got;

typedef enum th_rtest_verdict {
    TH_RTEST_PASS,
    TH_RTEST_FAIL,
    TH_RTEST_PENDING,      /* `pending` and the rule did not run */
    TH_RTEST_PENDING_PASS, /* `pending` but the rule ran and passed: drop `pending` */
} th_rtest_verdict;

/* The comparison; `missing` and `unexpected` (arena arrays) get the ids that
 * broke the expectation. */
typedef struct th_rtest_diff {
    th_rtest_verdict verdict;
    bool count_ok;
    const char **missing; /* in must, not alerted */
    size_t nmissing;
    const char **unexpected; /* in must_not, alerted */
    size_t nunexpected;
} th_rtest_diff;

void th_rtest_compare(th_arena *a, const th_rtest *t, const th_rtest_got *got, th_rtest_diff *d);

/* Prints the failure as expected vs got (indented lines). */
void th_rtest_diff_print(FILE *f, const th_rtest *t, const th_rtest_got *got,
                         const th_rtest_diff *d);

#endif
