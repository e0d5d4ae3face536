/* Rendering a comparison (tune.h) for people and programs: a terminal report,
 * a JSON document, and one self-contained HTML page (inline CSS, inline SVG
 * charts; no script, no network).
 *
 * Ownership: renderers append to the caller's th_buf and keep nothing. */
#ifndef TH_TUNE_REPORT_H
#define TH_TUNE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "tune/pack.h"
#include "tune/tune.h"

typedef struct th_tune_meta {
    const char *rule_name; /* shown as the title */
    const char *rule_id;
    const char *before_label; /* e.g. "rule.toml@HEAD~1" */
    const char *after_label;
    const char *data_label;           /* what was replayed (paths), may be NULL */
    const char *const *sample_fields; /* columns of the sample tables (investigation fields) */
    size_t nsample_fields;
    size_t sample_n; /* alerts shown per sample table (default 5) */
    bool color;      /* terminal colours (text only) */
    /* Markdown evidence: */
    const char *before_query, *after_query; /* the query texts, for the diff */
    int64_t from_ms, to_ms;                 /* the period replayed */
    uint64_t events;                        /* events replayed */
    const char *provenance; /* where the data came from ("emulated ...", "as given ...") */
    const char *status;     /* several rules: "changed", "added", "removed" (NULL: changed) */
} th_tune_meta;

void th_tune_render_text(th_buf *out, const th_tune_diff *d, const th_tune_meta *m);
void th_tune_render_json(th_buf *out, const th_tune_diff *d, const th_tune_meta *m);
/* One rule: the versions, period and data provenance, the query diff,
 * alerts per day (bars of small counts kept visible and labelled), the top
 * values and samples of removed and added alerts. */
void th_tune_render_html(th_buf *out, const th_tune_diff *d, const th_tune_meta *m);
/* Several rules on one page (a pull request changing three rules, or a pack
 * comparison): a summary table, biggest movers first, linking to a section
 * per rule with its comparison. d[i] and m[i] describe rule i (n of them);
 * with `pack`, the table lists the pack's rows that moved or changed and the
 * page opens with its totals. m[0] gives the period and data. */
void th_tune_render_html_multi(th_buf *out, const th_tune_diff *const *d, const th_tune_meta *m,
                               size_t n, const th_pack *pack, const char *title);
/* Markdown for a pull request: versions, period and data, the query diff,
 * alerts and true positives, alerts per day (days with alerts), removed and
 * added alerts by investigation field (report_md.c). */
void th_tune_render_markdown(th_buf *out, const th_tune_diff *d, const th_tune_meta *m);

/* Markdown pieces, shared with noise's rendering: */
/* text for a table cell or a heading (| \ ` * _ < [ ] escaped, newlines as spaces) */
void th_md_cell(th_buf *out, th_str s);
/* a code span that may hold backticks; pipes escaped for tables */
void th_md_code(th_buf *out, th_str s);
/* The lines of two texts (either may be NULL) as a diff: fn gets each line
 * with ' ' (in both), '-' (before only) or '+' (after only), in order. */
typedef void (*th_diff_line_fn)(void *ctx, char op, th_str line);
void th_tune_line_diff(const char *before, const char *after, th_diff_line_fn fn, void *ctx);
/* a ```diff block of the lines of two texts (either may be NULL) */
void th_md_query_diff(th_buf *out, const char *before, const char *after);
/* "- **Period:** ... - **Data:** N events from `PATH`; provenance" */
void th_md_period(th_buf *out, int64_t from_ms, int64_t to_ms, uint64_t events, const char *data,
                  const char *provenance);

/* HTML-escapes s (& < > " ') into out. */
void th_html_escape(th_buf *out, th_str s);
/* "2026-11-28" for a day number (days since 1970-01-01). */
void th_tune_day_text(int64_t day, char out[16]);
/* First value of field in doc as text, "" when absent; several values are joined by ", ". */
void th_tune_field_text(th_buf *out, const th_jval *doc, const char *field);

#endif
