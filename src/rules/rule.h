/* The rule model: an Elastic detection-rules TOML file (or a hunting query
 * file), typed. SEMANTICS.md section 1 lists every key.
 *
 * Ownership: a th_ruleset owns an arena holding every rule, string and parsed
 * TOML tree; rules are valid until th_ruleset_free. Strings are NUL-terminated.
 * Absent optional strings are NULL; absent lists have length 0.
 * Thread safety: a loaded ruleset is read-only and may be shared by threads. */
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
    TH_RULE_HUNT, /* a hunting query file ([hunt]) */
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
    const char *path; /* file it came from */
    th_toml *toml;    /* the whole parsed file (unknown keys stay here) */

    /* [metadata] */
    const char *creation_date, *updated_date, *maturity, *min_stack_version;
    const char *min_stack_comments, *deprecation_date;
    th_strlist integration;

    /* [rule] */
    const char *rule_id, *name, *description, *severity, *license, *note, *setup;
    int64_t risk_score;
    th_rule_type type;
    const char *type_name; /* as written */
    th_rule_lang language;
    const char *language_name;
    const char *query;
    /* Where the query TEXT starts in the file: the first character after the
     * opening quotes (and after the newline a multi-line string trims), 1-based.
     * Use th_rule_query_pos to map an offset inside the query to line:col. */
    unsigned query_line, query_col;
    unsigned query_value_line, query_value_col; /* where the value (its quotes) starts */
    bool query_literal; /* '...' or '''...''': offsets map to the file exactly */
    th_strlist index, tags, author, references, false_positives, investigation_fields;
    const char *from;     /* as written ("now-6m"); default "now-6m" */
    const char *interval; /* as written; default "5m" */
    int64_t lookback_ms;  /* now - from, in ms (6 minutes by default) */
    int64_t interval_ms;  /* 5 minutes by default */
    int64_t max_signals;  /* default TH_DEFAULT_MAX_SIGNALS */
    const char *timestamp_override, *event_category_override;
    th_threat *threat;
    size_t nthreat;
    const char *to;                  /* default "now" */
    const char *building_block_type; /* "default" or NULL */
    const char *rule_name_override, *timeline_id, *timeline_title, *data_view_id;
    const char *tiebreaker_field, *timestamp_field;
    int64_t version; /* 0 when absent (set at build time by Elastic) */

    /* machine_learning */
    int64_t anomaly_threshold;          /* -1 when absent */
    th_strlist machine_learning_job_id; /* a string is a one-item list */

    /* new_terms */
    th_strlist new_terms_fields;
    const char *history_window_start; /* e.g. "now-10d" */
    /* now - history_window_start (10 days); 0 if absent or not date math in the
     * past. Date math other than now-<n><unit> ("now-14d/d") is measured from
     * 2026-01-01T00:00Z; the engine evaluates it against its real "now". */
    int64_t history_window_ms;

    /* threshold */
    th_strlist threshold_fields;
    int64_t threshold_value;
    const char *cardinality_field; /* first [[rule.threshold.cardinality]]; NULL when absent */
    int64_t cardinality_value;

    /* alert_suppression (has_suppression false when absent) */
    bool has_suppression;
    th_strlist suppression_group_by;
    int64_t suppression_duration_ms;       /* 0 = per execution */
    int64_t suppression_duration_value;    /* as written (0 when absent) */
    const char *suppression_duration_unit; /* as written ("m"), NULL when absent */
    const char *missing_fields_strategy;   /* NULL when absent (Kibana: suppress) */

    /* exceptions_list ids, when the rule names any */
    th_strlist exception_list_ids;

    /* hunting files ([hunt]): rule_id is the hunt's uuid, author its author,
     * language/language_name come from language[0] ("ES|QL"), query is query[0];
     * the scheduling fields (from, interval, to, lookback_ms ...) are NULL / 0. */
    th_strlist hunt_queries;
    unsigned *hunt_query_lines, *hunt_query_cols; /* text start of each query */
    th_strlist hunt_notes, hunt_mitre;
} th_rule;

typedef struct th_ruleset {
    th_arena arena;
    th_rule **rules;
    size_t len, cap;
    size_t files_seen;   /* rule files th_ruleset_load tried */
    size_t files_failed; /* of which could not be read or parsed */
} th_ruleset;

void th_ruleset_init(th_ruleset *rs);
void th_ruleset_free(th_ruleset *rs);
/* Loads files and directories (recursively, in sorted order; *.toml only, names
 * starting with '.' skipped; a file named explicitly is read whatever its name).
 * A file is a hunting query when its root has a [hunt] table, a rule when it has
 * [rule]. A file named explicitly that starts with '{' is a Kibana rule export
 * (NDJSON, one rule object a line: rules/kibana.c), each rule loaded as the
 * TOML that says the same. Problems go to diags; a file that cannot be read, fails to parse, has
 * neither table, or holds a string longer than TH_MAX_RULE_STRING_BYTES is
 * reported (file:line:col) and skipped; the rest loads.
 * Returns the number of files that failed. */
size_t th_ruleset_load(th_ruleset *rs, const char *const *paths, size_t n, th_diags *diags);
/* Loads one rule from TOML text (tests use this). NULL on a parse error. */
th_rule *th_rule_from_text(th_ruleset *rs, const char *text, size_t len, const char *path,
                           th_diags *diags);
/* Schema checks of SEMANTICS.md 1.4-1.5 that apply to one file; problems go to
 * diags as `file:line:col` errors at the offending TOML node. Keys the schema
 * does not know are reported as warnings (they stay in r->toml).
 * Returns the number of errors (warnings not counted). */
size_t th_rule_validate(const th_rule *r, th_diags *diags);

/* Cross-file checks for a loaded set: duplicate rule_id and duplicate name
 * (errors, reported at the second occurrence). Returns the number found. */
size_t th_ruleset_check_duplicates(const th_ruleset *rs, th_diags *diags);
/* The rule with this rule_id, or NULL. Linear; fine for a few thousand rules. */
const th_rule *th_ruleset_find(const th_ruleset *rs, const char *rule_id);

/* Maps a byte offset inside r->query to a 1-based file line:col. Exact for
 * literal strings; for basic strings with escapes the column is approximate.
 * Returns false when the rule has no query or offset is past its end. */
bool th_rule_query_pos(const th_rule *r, size_t offset, unsigned *line, unsigned *col);

const char *th_rule_type_name(th_rule_type t);
const char *th_rule_lang_name(th_rule_lang l);
/* Parses a type / language as written in a rule file; UNKNOWN / OTHER if not known. */
th_rule_type th_rule_type_parse(const char *s);
th_rule_lang th_rule_lang_parse(const char *s);
/* Lookback of an Elastic relative date "now-6m" in ms (360000): units s m h H d w,
 * and M/y as 30/365 days (nominal: no AWS rule uses them). false if not of the
 * form now-<digits><unit>. */
bool th_rule_lookback_parse(const char *s, int64_t *out_ms);

#endif
