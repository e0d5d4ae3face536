/* The rule model: an Elastic detection-rules TOML file (or a hunting query
 * file), typed. SEMANTICS.md section 1 lists every key.
 *
 * Ownership: a th_ruleset owns an arena holding every rule, string and parsed
 * TOML tree; rules are valid until th_ruleset_free. Strings are NUL-terminated.
 * Absent optional strings are NULL; absent lists have length 0. */
#ifndef TH_RULES_RULE_H
#define TH_RULES_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "toml/toml.h"

typedef enum th_rule_type {
    TH_RULE_QUERY,
    TH_RULE_NEW_TERMS,
    TH_RULE_THRESHOLD,
    TH_RULE_EQL,
    TH_RULE_ESQL,
    TH_RULE_MACHINE_LEARNING,
    TH_RULE_SAVED_QUERY,
    TH_RULE_THREAT_MATCH,
    TH_RULE_HUNT,       /* a hunting query file ([hunt]) */
    TH_RULE_UNKNOWN,
} th_rule_type;

typedef enum th_rule_lang {
    TH_LANG_NONE,
    TH_LANG_KUERY,
    TH_LANG_EQL,
    TH_LANG_ESQL,
    TH_LANG_LUCENE,
    TH_LANG_OTHER,
} th_rule_lang;

typedef struct th_strlist {
    const char **items;
    size_t len;
} th_strlist;

typedef struct th_threat_technique {
    const char *id, *name, *reference;
    struct th_threat_technique *subtechniques;
    size_t nsub;
} th_threat_technique;

typedef struct th_threat {
    const char *framework;
    const char *tactic_id, *tactic_name, *tactic_reference;
    th_threat_technique *techniques;
    size_t ntechniques;
} th_threat;

typedef struct th_rule {
    const char *path;       /* file it came from */
    th_toml *toml;          /* the whole parsed file (unknown keys stay here) */

    /* [metadata] */
    const char *creation_date, *updated_date, *maturity, *min_stack_version;
    th_strlist integration;

    /* [rule] */
    const char *rule_id, *name, *description, *severity, *license, *note, *setup;
    int64_t risk_score;
    th_rule_type type;
    const char *type_name;  /* as written */
    th_rule_lang language;
    const char *language_name;
    const char *query;
    unsigned query_line, query_col; /* where the query string starts in the file */
    th_strlist index, tags, author, references, false_positives, investigation_fields;
    const char *from;       /* as written ("now-6m"); default "now-6m" */
    const char *interval;   /* as written; default "5m" */
    int64_t lookback_ms;    /* now - from, in ms (6 minutes by default) */
    int64_t interval_ms;    /* 5 minutes by default */
    int64_t max_signals;    /* default TH_DEFAULT_MAX_SIGNALS */
    const char *timestamp_override, *event_category_override;
    th_threat *threat;
    size_t nthreat;

    /* new_terms */
    th_strlist new_terms_fields;
    const char *history_window_start; /* e.g. "now-10d" */

    /* threshold */
    th_strlist threshold_fields;
    int64_t threshold_value;
    const char *cardinality_field; /* NULL when absent */
    int64_t cardinality_value;

    /* alert_suppression (has_suppression false when absent) */
    bool has_suppression;
    th_strlist suppression_group_by;
    int64_t suppression_duration_ms; /* 0 = per execution */
    const char *missing_fields_strategy;

    /* exceptions_list ids, when the rule names any */
    th_strlist exception_list_ids;

    /* hunting files */
    th_strlist hunt_queries;
} th_rule;

typedef struct th_ruleset {
    th_arena arena;
    th_rule **rules;
    size_t len, cap;
} th_ruleset;

void th_ruleset_init(th_ruleset *rs);
void th_ruleset_free(th_ruleset *rs);
/* Loads files and directories (recursively, in sorted order; *.toml only).
 * Problems go to diags; a file that fails to parse is skipped (and reported).
 * Returns the number of files that failed. */
size_t th_ruleset_load(th_ruleset *rs, const char *const *paths, size_t n, th_diags *diags);
/* Loads one rule from TOML text (tests use this). NULL on a parse error. */
th_rule *th_rule_from_text(th_ruleset *rs, const char *text, size_t len, const char *path,
                           th_diags *diags);
/* Schema checks of SEMANTICS.md 1.4-1.5; problems go to diags as errors.
 * Returns the number of problems found. */
size_t th_rule_validate(const th_rule *r, th_diags *diags);

const char *th_rule_type_name(th_rule_type t);
const char *th_rule_lang_name(th_rule_lang l);

#endif
