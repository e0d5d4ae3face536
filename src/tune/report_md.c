/* Markdown rendering of a comparison (report.h): the evidence section of a
 * tuning pull request. Plain CommonMark plus pipe tables (GitHub, GitLab,
 * Python-Markdown's tables extension), no raw HTML, so it reads the same
 * as text and rendered. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "tune/report.h"

void th_md_cell(th_buf *out, th_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            th_buf_putc(out, ' ');
            continue;
        }
        if (c == '|' || c == '\\' || c == '`' || c == '*' || c == '_' || c == '<' || c == '[' ||
            c == ']')
            th_buf_putc(out, '\\');
        th_buf_putc(out, c);
    }
}

void th_md_code(th_buf *out, th_str s)
{
    /* a code span may not hold its own delimiter run: use one longer than
     * the longest run of backticks inside; pipes still end a table cell */
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < s.n; i++) {
        run = s.p[i] == '`' ? run + 1 : 0;
        longest = run > longest ? run : longest;
    }
    bool pad = longest > 0 || (s.n && (s.p[0] == ' ' || s.p[s.n - 1] == ' '));
    for (size_t i = 0; i <= longest; i++)
        th_buf_putc(out, '`');
    if (pad)
        th_buf_putc(out, ' ');
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        if (c == '|')
            th_buf_puts(out, "\\|");
        else
            th_buf_putc(out, c == '\n' || c == '\r' ? ' ' : c);
    }
    if (pad)
        th_buf_putc(out, ' ');
    for (size_t i = 0; i <= longest; i++)
        th_buf_putc(out, '`');
}

/* ---- query diff (lines, longest common subsequence) ----------------------- */

typedef struct lines {
    th_str *l;
    size_t n;
} lines;

static lines split_lines(const char *text)
{
    lines r = {NULL, 0};
    if (!text)
        return r;
    size_t cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == '\n';
    r.l = calloc(cap, sizeof *r.l);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\r'))
            n--;
        if (n || nl)
            r.l[r.n++] = th_str_make(p, n);
        p += (nl ? (size_t)(nl - p) + 1 : strlen(p));
    }
    while (r.n && r.l[r.n - 1].n == 0) /* trailing blank lines */
        r.n--;
    size_t skip = 0;
    while (skip < r.n && r.l[skip].n == 0)
        skip++;
    memmove(r.l, r.l + skip, (r.n - skip) * sizeof *r.l);
    r.n -= skip;
    return r;
}

void th_tune_line_diff(const char *before, const char *after, th_diff_line_fn fn, void *ctx)
{
    lines a = split_lines(before), b = split_lines(after);
    size_t w = b.n + 1;
    unsigned *t = calloc((a.n + 1) * w, sizeof *t); /* t[i][j]: LCS of a[i..], b[j..] */
    for (size_t i = a.n; i-- > 0;)
        for (size_t j = b.n; j-- > 0;)
            t[i * w + j] = th_str_eq(a.l[i], b.l[j])
                               ? t[(i + 1) * w + j + 1] + 1
                               : (t[(i + 1) * w + j] > t[i * w + j + 1] ? t[(i + 1) * w + j]
                                                                        : t[i * w + j + 1]);
    size_t i = 0, j = 0;
    while (i < a.n || j < b.n) {
        if (i < a.n && j < b.n && th_str_eq(a.l[i], b.l[j])) {
            fn(ctx, ' ', a.l[i]);
            i++, j++;
        } else if (i < a.n && (j == b.n || t[(i + 1) * w + j] >= t[i * w + j + 1])) {
            fn(ctx, '-', a.l[i]); /* a changed line reads old, then new */
            i++;
        } else {
            fn(ctx, '+', b.l[j]);
            j++;
        }
    }
    free(t);
    free(a.l);
    free(b.l);
}

static void md_diff_line(void *ctx, char op, th_str line)
{
    th_buf_printf(ctx, "%c%.*s\n", op, (int)line.n, line.p);
}

void th_md_query_diff(th_buf *o, const char *before, const char *after)
{
    th_buf_puts(o, "```diff\n");
    th_tune_line_diff(before, after, md_diff_line, o);
    th_buf_puts(o, "```\n");
}

/* ---- the comparison ---------------------------------------------------------- */

static void pct(th_buf *o, size_t b, size_t a)
{
    double p = th_tune_pct(b, a);
    if (isinf(p))
        th_buf_puts(o, "new");
    else
        th_buf_printf(o, "%+.1f%%", p);
}

void th_md_period(th_buf *o, int64_t from_ms, int64_t to_ms, uint64_t events, const char *data,
                  const char *provenance)
{
    char f[32] = "-", t[32] = "-";
    if (from_ms != TH_TIME_NONE)
        th_time_format_iso(from_ms, f);
    if (to_ms != TH_TIME_NONE)
        th_time_format_iso(to_ms, t);
    th_buf_printf(o, "- **Period:** %s .. %s", f, t);
    if (from_ms != TH_TIME_NONE && to_ms != TH_TIME_NONE && to_ms > from_ms)
        th_buf_printf(o, " (%.1f days)", (double)(to_ms - from_ms) / 86400000.0);
    th_buf_printf(o, "\n- **Data:** %llu events", (unsigned long long)events);
    if (data) {
        th_buf_puts(o, " from ");
        th_md_code(o, th_str_c(data));
    }
    th_buf_printf(o, "; %s\n", provenance ? provenance : "provenance unknown");
}

/* Up to two weeks, a row per day with alerts; longer periods a row per week
 * (totals, then each day as before→after), so a month fits on one screen. */
static void md_days(th_buf *o, const th_tune_diff *d)
{
    th_buf_puts(o, "\n#### Alerts per day\n\n");
    if (d->ndays > 14) {
        th_buf_puts(o, "| week from | before | after | each day, before→after |\n"
                       "|---|---:|---:|---|\n");
        for (size_t w = 0; w < d->ndays; w += 7) {
            char day[16];
            th_tune_day_text(d->days[w].day, day);
            size_t b = 0, a = 0;
            th_buf puts_days;
            th_buf_init(&puts_days);
            for (size_t i = w; i < d->ndays && i < w + 7; i++) {
                b += d->days[i].before;
                a += d->days[i].after;
                th_buf_printf(&puts_days, "%s%zu→%zu", i > w ? " " : "", d->days[i].before,
                              d->days[i].after);
            }
            th_buf_printf(o, "| %s | %zu | %zu | ", day, b, a);
            th_md_code(o, th_str_make(puts_days.data, puts_days.len));
            th_buf_puts(o, " |\n");
            th_buf_free(&puts_days);
        }
        th_buf_printf(o, "\n%zu days.\n", d->ndays);
        return;
    }
    size_t shown = 0;
    th_buf_puts(o, "| day | before | after |\n|---|---:|---:|\n");
    for (size_t i = 0; i < d->ndays; i++) {
        size_t b = d->days[i].before, a = d->days[i].after;
        if (b == 0 && a == 0)
            continue;
        char day[16];
        th_tune_day_text(d->days[i].day, day);
        th_buf_printf(o, "| %s | %zu | %zu |\n", day, b, a);
        shown++;
    }
    th_buf_printf(o, "\n%zu of %zu days had alerts (the others are left out).\n", shown, d->ndays);
}

static void md_tops(th_buf *o, const char *what, size_t n, const th_tune_top *tops, size_t ntops)
{
    th_buf_printf(o, "\n#### %s alerts by investigation field (%zu)\n\n", what, n);
    if (n == 0) {
        th_buf_puts(o, "None.\n");
        return;
    }
    th_buf_puts(o, "| field | value | alerts |\n|---|---|---:|\n");
    for (size_t i = 0; i < ntops; i++) {
        const th_tune_top *t = &tops[i];
        if (t->missing) {
            th_buf_puts(o, "| ");
            th_md_code(o, th_str_c(t->field));
            th_buf_printf(o, " | *(missing)* | %zu |\n", t->missing);
        }
        for (size_t j = 0; j < t->nvalues; j++) {
            th_buf_puts(o, "| ");
            th_md_code(o, th_str_c(t->field));
            th_buf_puts(o, " | ");
            th_md_code(o, t->values[j].value);
            th_buf_printf(o, " | %zu |\n", t->values[j].count);
        }
    }
}

void th_tune_render_markdown(th_buf *o, const th_tune_diff *d, const th_tune_meta *m)
{
    th_buf_puts(o, "### Tuning evidence: ");
    th_md_cell(o, th_str_c(m->rule_name ? m->rule_name : "(unnamed rule)"));
    th_buf_puts(o, "\n\n");
    if (m->rule_id) {
        th_buf_puts(o, "- **Rule:** ");
        th_md_code(o, th_str_c(m->rule_id));
        th_buf_putc(o, '\n');
    }
    th_buf_puts(o, "- **Versions:** before ");
    th_md_code(o, th_str_c(m->before_label ? m->before_label : "-"));
    th_buf_puts(o, ", after ");
    th_md_code(o, th_str_c(m->after_label ? m->after_label : "-"));
    th_buf_putc(o, '\n');
    th_md_period(o, m->from_ms, m->to_ms, m->events, m->data_label, m->provenance);
    th_buf_puts(o, "\n#### Query change\n\n");
    if (m->before_query && m->after_query && strcmp(m->before_query, m->after_query) == 0)
        th_buf_puts(o, "The query is unchanged (the change is elsewhere in the rule).\n");
    else
        th_md_query_diff(o, m->before_query, m->after_query);
    th_buf_puts(o, "\n#### Alerts\n\n| | before | after | change |\n|---|---:|---:|---|\n");
    th_buf_printf(o, "| alerts | %zu | %zu | ", d->nbefore, d->nafter);
    pct(o, d->nbefore, d->nafter);
    th_buf_printf(o, " |\n\nKept %zu, removed %zu, added %zu (matched by the source event's id).\n",
                  d->nkept, d->nremoved, d->nadded);
    th_buf_puts(o, "\n#### True positives\n\n");
    if (d->has_labels) {
        th_buf_printf(
            o, "%zu labeled. Before %zu, after %zu: **kept %zu, lost %zu**, gained %zu.\n",
            d->tp_labeled, d->tp_before, d->tp_after, d->tp_kept, d->tp_lost, d->tp_gained);
        for (size_t i = 0; i < d->nlost; i++) {
            th_buf_puts(o, "- lost: ");
            th_md_code(o, d->lost[i]->id);
            th_buf_putc(o, '\n');
        }
    } else {
        th_buf_puts(o, "Unknown: no labels were given (`--labels` or `--expect`).\n");
    }
    if (d->ndays)
        md_days(o, d);
    md_tops(o, "Removed", d->nremoved, d->removed_top, d->nfields);
    md_tops(o, "Added", d->nadded, d->added_top, d->nfields);
}
