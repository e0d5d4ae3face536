/* Every limit trailhound enforces, in one place (as YARA keeps limits.h). */
#ifndef TH_BASE_LIMITS_H
#define TH_BASE_LIMITS_H

/* JSON nesting depth; deeper input is rejected with an error, never a stack overflow. */
#define TH_MAX_JSON_DEPTH 512
/* TOML nesting depth (arrays and inline tables). */
#define TH_MAX_TOML_DEPTH 256
/* Largest single input record / line we accept (bytes). */
#define TH_MAX_RECORD_BYTES (256u * 1024u * 1024u)
/* Default cap on the inflated size of one gzip object (a gzip bomb stops here). */
#define TH_DEFAULT_MAX_INFLATED (1024ull * 1024ull * 1024ull)
/* Largest rule file we read. */
#define TH_MAX_RULE_FILE_BYTES (64u * 1024u * 1024u)
/* Elasticsearch keyword ignore_above defaults (SEMANTICS.md 3.4). */
#define TH_IGNORE_ABOVE_DEFAULT 1024
#define TH_IGNORE_ABOVE_PARAMETERS 8191
/* The AWS pipeline keeps flattened copies only when toString() is shorter than this. */
#define TH_FLATTENED_MAX_CHARS 32766
/* Nesting depth of a query (parentheses, not, nested); deeper is a syntax error. */
#define TH_MAX_QUERY_DEPTH 200
/* Longest field name a query may use (bytes). */
#define TH_MAX_FIELD_NAME 512
/* Longest string value we accept in a rule file (queries and notes included);
 * a longer one makes the file fail to load with a diagnostic. */
#define TH_MAX_RULE_STRING_BYTES (1024u * 1024u)
/* Default max_signals of a rule. */
#define TH_DEFAULT_MAX_SIGNALS 100
/* The Kibana version whose alert documents trailhound writes (kibana.version;
 * the field set of .alerts-security.alerts-* as of 8.16+, docs/DESIGN-NOTES.md). */
#define TH_KIBANA_VERSION "8.18.0"
/* Kibana's xpack.alerting.rules.run.alerts.max: no run creates more alerts. */
#define TH_ENGINE_MAX_SIGNALS_CAP 1000
/* Fields of a new_terms / threshold / suppression key. */
#define TH_ENGINE_MAX_TERM_FIELDS 8
/* Term tuples one document may contribute (cartesian product of its array
 * values); beyond this the rest are dropped and the rule is flagged capped. */
#define TH_ENGINE_MAX_COMBOS 10000

/* query/lregex: a Lucene RegExp is determinized when its DFA has at most this many
 * states (Elasticsearch's default max_determinized_states); a bigger one is run as
 * an NFA, except under `~` and `&`, which need a DFA (a compile error beyond). */
#define TH_LRE_MAX_DFA_STATES 10000
/* Steps the subset construction may take for one determinization. */
#define TH_LRE_MAX_DET_WORK (32u * 1024u * 1024u)
/* NFA states one pattern may compile to (`{n,m}` copies its operand). */
#define TH_LRE_MAX_NFA_STATES 100000
/* Members of the epsilon closures one determinization keeps for reuse (beyond
 * it, closures are walked each time: same result, slower). */
#define TH_LRE_MAX_CLOSURE_CACHE (4u * 1024u * 1024u)
/* A pattern `.*(a|b|...).*` over literal strings is built as an Aho-Corasick
 * automaton when it spells at most this many strings of at most this many code
 * points in all (else by the subset construction: same language, more work). */
#define TH_LRE_MAX_LITERALS 256
#define TH_LRE_MAX_LITERAL_CPS 4096

/* engine/retain.c: a kept match that sorts before more than this many kept ones
 * (input far out of time order) stops the pruning of its rule's matches. */
#define TH_RETAIN_MAX_SHIFT 4096

/* io/: directory recursion depth (deeper directories are reported and skipped). */
#define TH_MAX_DIR_DEPTH 128
/* io/: per-file cap on individual malformed-record diagnostics; the rest are summed up. */
#define TH_MAX_INPUT_DIAGS_PER_FILE 20
/* After a damaged element of a Records array: candidate element starts tried
 * when looking for the next whole element (bounds the time on hostile input). */
#define TH_MAX_RESYNC_TRIES 1024
/* io/: CloudTrail files an event late (minutes after eventTime), so a file under the S3
 * key date D may hold events from the end of day D-1: the key-date filter reads a day
 * folder when [day start - this slack, day end] overlaps the requested range. */
#define TH_S3_KEY_DATE_SLACK_MS (60ll * 60ll * 1000ll)

/* Bytes of chunks an arena keeps for reuse across th_arena_recycle (a
 * pipeline batch of 512 records needs a few MB). */
#define TH_ARENA_MAX_SPARE (64u * 1024 * 1024)

/* Events without a usable time reported one by one (with file and line)
 * before the pipeline only counts them. */
#define TH_NOTIME_REPORTED 5

#endif
