/* One self-contained HTML page for a comparison (report.h): inline CSS and
 * inline SVG, no script and nothing fetched, so the file can be mailed,
 * attached to a ticket or opened offline. Tooltips use SVG <title>. */
#include <math.h>
#include <string.h>

#include "base/timeutil.h"
#include "tune/report.h"

void th_html_escape(th_buf *out, th_str s)
{
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        switch (c) {
        case '&': th_buf_puts(out, "&amp;"); break;
        case '<': th_buf_puts(out, "&lt;"); break;
        case '>': th_buf_puts(out, "&gt;"); break;
        case '"': th_buf_puts(out, "&quot;"); break;
        case '\'': th_buf_puts(out, "&#39;"); break;
        default: th_buf_putc(out, c);
        }
    }
}

static void esc(th_buf *o, const char *s)
{
    th_html_escape(o, th_str_c(s ? s : ""));
}

static const char css[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;"
    "max-width:1100px;color:#1d2430;padding:0 16px}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px "
    "solid #dde2ea;padding-bottom:4px}h3{font-size:15px;margin:22px 0 6px}"
    "h3.field,h4.field{font-size:14px;margin:16px 0 4px;font-family:monospace}"
    ".meta{color:#5a6478;font-size:13px}.meta code{background:#f2f4f8;padding:1px 4px}"
    ".cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}"
    ".card{border:1px solid #dde2ea;border-radius:6px;padding:10px 14px;min-width:120px}"
    ".card .n{font-size:24px;font-weight:600}.card .l{color:#5a6478;font-size:12px}"
    ".down{color:#1a7f37}.up{color:#b42318}.warn{background:#fff4e5;border-color:#f5a524}"
    "table{border-collapse:collapse;font-size:13px;margin:6px 0}"
    "th,td{border-bottom:1px solid #eceff4;padding:3px 10px;text-align:left;vertical-align:top}"
    "th{background:#f6f8fa}td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td code{word-break:break-all}td "
    "code.id,code.id,td.nowrap{white-space:nowrap;word-break:normal}"
    "pre.diff{background:#f6f8fa;border:1px solid #dde2ea;padding:8px 10px;overflow-x:auto;"
    "font-size:12.5px;line-height:1.4}pre.diff span{display:block;white-space:pre}"
    "pre.diff .add{background:#e6ffec;color:#116329}pre.diff .del{background:#ffebe9;"
    "color:#82071e}.bar-label{font-size:10px;fill:#1d2430}"
    "section.rule{border-top:3px solid #2f6fde;margin-top:36px;padding-top:4px}"
    ".legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;"
    "vertical-align:middle}"
    ".bar-before{fill:#9aa4b5}.bar-after{fill:#2f6fde}.bar-removed{fill:#e4794a}"
    ".bar-added{fill:#3a9a5b}"
    ".axis{stroke:#9aa4b5;stroke-width:1}.grid{stroke:#eceff4;stroke-width:1}"
    "svg text{font:11px system-ui,sans-serif;fill:#5a6478}"
    ".scroll{overflow-x:auto}";

static void card(th_buf *o, const char *label, const char *value, const char *cls)
{
    th_buf_printf(o, "<div class=\"card%s%s\"><div class=\"n\">", cls ? " " : "", cls ? cls : "");
    esc(o, value);
    th_buf_puts(o, "</div><div class=\"l\">");
    esc(o, label);
    th_buf_puts(o, "</div></div>\n");
}

static void cards(th_buf *o, const th_tune_diff *d)
{
    char v[64];
    th_buf_puts(o, "<div class=\"cards\">\n");
    snprintf(v, sizeof v, "%zu", d->nbefore);
    card(o, "alerts before", v, NULL);
    snprintf(v, sizeof v, "%zu", d->nafter);
    card(o, "alerts after", v, NULL);
    double p = th_tune_pct(d->nbefore, d->nafter);
    if (isinf(p))
        snprintf(v, sizeof v, "new");
    else
        snprintf(v, sizeof v, "%+.1f%%", p);
    card(o, "change", v, p < 0 ? "down" : p > 0 ? "up" : NULL);
    snprintf(v, sizeof v, "%zu", d->nremoved);
    card(o, "removed", v, NULL);
    snprintf(v, sizeof v, "%zu", d->nadded);
    card(o, "added", v, NULL);
    if (d->has_labels) {
        snprintf(v, sizeof v, "%zu / %zu", d->tp_kept, d->tp_before);
        card(o, "true positives kept", v, NULL);
        snprintf(v, sizeof v, "%zu", d->tp_lost);
        card(o, "true positives lost", v, d->tp_lost ? "warn" : NULL);
    }
    th_buf_puts(o, "</div>\n");
}

/* A "nice" axis: four steps of 1, 2 or 5 times a power of ten, covering v. */
static size_t nice_max(size_t v)
{
    size_t need = (v + 3) / 4, p = 1;
    if (need <= 1)
        return 4;
    while (p * 10 < need)
        p *= 10;
    size_t step = p >= need ? p : 2 * p >= need ? 2 * p : 5 * p >= need ? 5 * p : 10 * p;
    return step * 4;
}

/* Nonzero bars are at least this tall (or wide), in pixels. */
#define TH_MIN_BAR 3.0

static void day_chart(th_buf *o, const th_tune_diff *d, size_t idx)
{
    size_t mx = 0;
    for (size_t i = 0; i < d->ndays; i++) {
        if (d->days[i].before > mx)
            mx = d->days[i].before;
        if (d->days[i].after > mx)
            mx = d->days[i].after;
    }
    mx = nice_max(mx);
    const double left = 48, top = 10, ph = 180, slot = d->ndays > 60 ? 12 : 26;
    double pw = slot * (double)d->ndays, w = left + pw + 10, h = top + ph + 40;
    char cid[32]; /* ids stay unique with several rules on the page */
    if (idx)
        snprintf(cid, sizeof cid, "chart-days-%zu", idx + 1);
    else
        snprintf(cid, sizeof cid, "chart-days");
    th_buf_printf(o,
                  "<div class=\"scroll\"><svg id=\"%s\" class=\"chart-days\" "
                  "xmlns=\"http://www.w3.org/2000/svg\" "
                  "width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
                  "aria-label=\"alerts per day, before and after\">\n",
                  cid, w, h, w, h);
    for (int g = 0; g <= 4; g++) {
        double y = top + ph - ph * g / 4.0;
        th_buf_printf(o, "<line class=\"grid\" x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\"/>",
                      left, y, left + pw, y);
        th_buf_printf(o, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%zu</text>\n", left - 6,
                      y + 4, mx / 4 * (size_t)g);
    }
    size_t every = d->ndays > 60 ? 14 : d->ndays > 14 ? 7 : 1;
    for (size_t i = 0; i < d->ndays; i++) {
        char day[16];
        th_tune_day_text(d->days[i].day, day);
        double x = left + slot * (double)i, bw = (slot - 4) / 2;
        size_t v[2] = {d->days[i].before, d->days[i].after};
        for (int s = 0; s < 2; s++) {
            double bh = ph * (double)v[s] / (double)mx;
            if (v[s] && bh < TH_MIN_BAR) /* a small count stays visible */
                bh = TH_MIN_BAR;
            th_buf_printf(o,
                          "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                          "height=\"%.1f\" data-n=\"%zu\"><title>%s %s: %zu</title></rect>",
                          s ? "bar-after" : "bar-before", x + 2 + bw * s, top + ph - bh, bw, bh,
                          v[s], day, s ? "after" : "before", v[s]);
            /* a count too small to read off the axis is written above its bar */
            if (s == 1 && v[s] && bh < 16)
                th_buf_printf(o,
                              "<text class=\"bar-label\" x=\"%.1f\" y=\"%.1f\" "
                              "text-anchor=\"middle\">%zu</text>",
                              x + 2 + bw * 1.5, top + ph - bh - 3, v[s]);
        }
        if (i % every == 0)
            th_buf_printf(o, "<text x=\"%.1f\" y=\"%.0f\">%s</text>", x + 2, top + ph + 16,
                          day + 5);
        th_buf_putc(o, '\n');
    }
    th_buf_printf(o,
                  "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                  "</svg></div>\n",
                  left, top + ph, left + pw, top + ph);
    th_buf_puts(o, "<div class=\"legend\"><span class=\"bar-before\" "
                   "style=\"background:#9aa4b5\"></span>before<span style=\"background:#2f6fde\">"
                   "</span>after</div>\n");
}

/* Horizontal bars of one field's top values (missing first when any). */
static void top_chart(th_buf *o, const th_tune_top *t, size_t total, const char *cls, int lvl)
{
    size_t rows = t->nvalues + (t->missing ? 1 : 0);
    if (rows == 0)
        return;
    const double label_w = 300, bar_w = 360, rh = 20;
    double h = rh * (double)rows + 6;
    th_buf_printf(o, "<h%d class=\"field\">", lvl + 1);
    esc(o, t->field);
    th_buf_printf(o, "</h%d>\n", lvl + 1);
    th_buf_printf(o,
                  "<svg class=\"chart-top\" xmlns=\"http://www.w3.org/2000/svg\" "
                  "width=\"%.0f\" height=\"%.0f\" role=\"img\">\n",
                  label_w + bar_w + 60, h);
    for (size_t r = 0; r < rows; r++) {
        bool miss = t->missing && r == 0;
        size_t cnt = miss ? t->missing : t->values[r - (t->missing ? 1 : 0)].count;
        th_str val = miss ? TH_STR_LIT("(missing)") : t->values[r - (t->missing ? 1 : 0)].value;
        th_str shown = val;
        if (shown.n > 48)
            shown.n = 48;
        double y = 3 + rh * (double)r, bw = total ? bar_w * (double)cnt / (double)total : 0;
        if (cnt && bw < TH_MIN_BAR)
            bw = TH_MIN_BAR;
        th_buf_printf(o, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", label_w - 6, y + 13);
        th_html_escape(o, shown);
        if (shown.n < val.n)
            th_buf_puts(o, "…");
        th_buf_printf(o,
                      "</text><rect class=\"%s\" x=\"%.0f\" y=\"%.0f\" width=\"%.1f\" "
                      "height=\"%.0f\"><title>",
                      cls, label_w, y + 2, bw, rh - 5);
        th_html_escape(o, val);
        th_buf_printf(o, ": %zu</title></rect><text x=\"%.1f\" y=\"%.0f\">%zu</text>\n", cnt,
                      label_w + bw + 6, y + 13, cnt);
    }
    th_buf_puts(o, "</svg>\n");
}

static void tops_section(th_buf *o, const char *what, size_t n, const th_tune_top *tops,
                         size_t ntops, int h)
{
    th_buf_printf(o, "<h%d>Top values of %s alerts (%zu)</h%d>\n", h, what, n, h);
    if (n == 0) {
        th_buf_puts(o, "<p class=\"meta\">none</p>\n");
        return;
    }
    for (size_t i = 0; i < ntops; i++)
        top_chart(o, &tops[i], n, strcmp(what, "added") == 0 ? "bar-added" : "bar-removed", h);
}

static void sample_table(th_buf *o, const char *what, const th_talert *const *al, size_t n,
                         const th_tune_meta *m, int h)
{
    size_t k = m->sample_n ? m->sample_n : 5;
    if (n == 0)
        return;
    th_buf_printf(o,
                  "<h%d>Sample of %s alerts (%zu of %zu)</h%d>\n<div class=\"scroll\"><table>"
                  "<tr><th>time</th><th>event id</th>",
                  h, what, n < k ? n : k, n, h);
    for (size_t f = 0; f < m->nsample_fields; f++) {
        if (strcmp(m->sample_fields[f], "@timestamp") == 0)
            continue;
        th_buf_puts(o, "<th>");
        esc(o, m->sample_fields[f]);
        th_buf_puts(o, "</th>");
    }
    th_buf_puts(o, "</tr>\n");
    th_buf cell;
    th_buf_init(&cell);
    for (size_t i = 0; i < n && i < k; i++) {
        char ts[32] = "-";
        if (al[i]->ts_ms != TH_TIME_NONE)
            th_time_format_iso(al[i]->ts_ms, ts);
        th_buf_printf(o, "<tr><td class=\"nowrap\">%s</td><td><code class=\"id\">", ts);
        th_html_escape(o, al[i]->id);
        th_buf_puts(o, "</code></td>");
        for (size_t f = 0; f < m->nsample_fields; f++) {
            if (strcmp(m->sample_fields[f], "@timestamp") == 0)
                continue;
            th_buf_clear(&cell);
            th_tune_field_text(&cell, al[i]->doc, m->sample_fields[f]);
            th_buf_puts(o, "<td><code>");
            th_html_escape(o, th_buf_str(&cell));
            th_buf_puts(o, "</code></td>");
        }
        th_buf_puts(o, "</tr>\n");
    }
    th_buf_free(&cell);
    th_buf_puts(o, "</table></div>\n");
}

static void day_table(th_buf *o, const th_tune_diff *d)
{
    th_buf_puts(o, "<details><summary>per-day table</summary><table id=\"table-days\">"
                   "<tr><th>day</th><th>before</th><th>after</th><th>change</th></tr>\n");
    for (size_t i = 0; i < d->ndays; i++) {
        char day[16];
        th_tune_day_text(d->days[i].day, day);
        th_buf_printf(o,
                      "<tr><td>%s</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                      "<td class=\"n\">%+lld</td></tr>\n",
                      day, d->days[i].before, d->days[i].after,
                      (long long)d->days[i].after - (long long)d->days[i].before);
    }
    th_buf_puts(o, "</table></details>\n");
}

static void diff_line(void *ctx, char op, th_str line)
{
    th_buf *o = ctx;
    th_buf_printf(o, "<span%s>%c ",
                  op == '+'   ? " class=\"add\""
                  : op == '-' ? " class=\"del\""
                              : "",
                  op);
    th_html_escape(o, line);
    th_buf_puts(o, "</span>");
}

/* The query as a diff, before to after (the same line diff as Markdown's). */
static void query_diff(th_buf *o, const th_tune_meta *m, int h)
{
    th_buf_printf(o, "<h%d>Query change</h%d>\n", h, h);
    if (m->before_query && m->after_query && strcmp(m->before_query, m->after_query) == 0) {
        th_buf_puts(o, "<p class=\"meta\">The query is unchanged (the change is elsewhere in the "
                       "rule).</p>\n");
        return;
    }
    th_buf_puts(o, "<pre class=\"diff\">");
    th_tune_line_diff(m->before_query, m->after_query, diff_line, o);
    th_buf_puts(o, "</pre>\n");
}

/* Period, events and where they came from. */
static void period(th_buf *o, const th_tune_meta *m)
{
    char f[32] = "-", t[32] = "-";
    if (m->from_ms != TH_TIME_NONE)
        th_time_format_iso(m->from_ms, f);
    if (m->to_ms != TH_TIME_NONE)
        th_time_format_iso(m->to_ms, t);
    th_buf_printf(
        o, "<div class=\"meta\" id=\"provenance\">period <code>%s</code> .. <code>%s</code>", f, t);
    if (m->from_ms != TH_TIME_NONE && m->to_ms != TH_TIME_NONE && m->to_ms > m->from_ms)
        th_buf_printf(o, " (%.1f days)", (double)(m->to_ms - m->from_ms) / 86400000.0);
    th_buf_printf(o, " · %llu events", (unsigned long long)m->events);
    if (m->data_label) {
        th_buf_puts(o, " · data <code>");
        esc(o, m->data_label);
        th_buf_puts(o, "</code>");
    }
    th_buf_puts(o, " · ");
    esc(o, m->provenance ? m->provenance : "provenance unknown");
    th_buf_puts(o, "</div>\n");
}

/* One rule's comparison; h is the level of its section headings. */
static void rule_body(th_buf *o, const th_tune_diff *d, const th_tune_meta *m, size_t idx, int h)
{
    th_buf_puts(o, "<div class=\"meta\">");
    if (m->rule_id) {
        th_buf_puts(o, "rule_id <code class=\"id\">");
        esc(o, m->rule_id);
        th_buf_puts(o, "</code> · ");
    }
    th_buf_puts(o, "before <code>");
    esc(o, m->before_label);
    th_buf_puts(o, "</code> · after <code>");
    esc(o, m->after_label);
    th_buf_puts(o, "</code></div>\n");
    cards(o, d);
    if (d->has_labels && d->nlost) {
        th_buf_puts(o, "<div class=\"card warn\"><b>True positives lost by the new version:</b> ");
        for (size_t i = 0; i < d->nlost; i++) {
            th_buf_puts(o, i ? ", <code class=\"id\">" : "<code class=\"id\">");
            th_html_escape(o, d->lost[i]->id);
            th_buf_puts(o, "</code>");
        }
        th_buf_puts(o, "</div>\n");
    }
    query_diff(o, m, h);
    th_buf_printf(o, "<h%d>Alerts per day</h%d>\n", h, h);
    if (d->ndays) {
        day_chart(o, d, idx);
        day_table(o, d);
    } else {
        th_buf_puts(o, "<p class=\"meta\">no alerts in the period</p>\n");
    }
    tops_section(o, "removed", d->nremoved, d->removed_top, d->nfields, h);
    sample_table(o, "removed", d->removed, d->nremoved, m, h);
    tops_section(o, "added", d->nadded, d->added_top, d->nfields, h);
    sample_table(o, "added", d->added, d->nadded, m, h);
}

static void head(th_buf *o, const char *title)
{
    th_buf_puts(o, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                   "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                   "<title>trailhound tune: ");
    esc(o, title);
    th_buf_printf(o, "</title><style>%s</style></head><body>\n<h1>", css);
    esc(o, title);
    th_buf_puts(o, "</h1>\n");
}

static void foot(th_buf *o)
{
    th_buf_puts(o,
                "<p class=\"meta\">made by trailhound tune " TH_VERSION "</p>\n</body></html>\n");
}

static void change_cell(th_buf *o, size_t b, size_t a)
{
    long long c = (long long)a - (long long)b;
    th_buf_printf(o, "<td class=\"n %s\">%+lld</td>", c < 0 ? "down" : c > 0 ? "up" : "", c);
}

void th_tune_render_html(th_buf *o, const th_tune_diff *d, const th_tune_meta *m)
{
    head(o, m->rule_name ? m->rule_name : "(unnamed rule)");
    period(o, m);
    rule_body(o, d, m, 0, 2);
    foot(o);
}

void th_tune_render_html_multi(th_buf *o, const th_tune_diff *const *d, const th_tune_meta *m,
                               size_t n, const th_pack *pack, const char *title)
{
    head(o, title);
    if (n)
        period(o, &m[0]);
    if (pack) {
        char v[64];
        th_buf_puts(o, "<div class=\"cards\">\n");
        snprintf(v, sizeof v, "%zu", pack->total_before);
        card(o, "alerts before (pack)", v, NULL);
        snprintf(v, sizeof v, "%zu", pack->total_after);
        card(o, "alerts after (pack)", v, NULL);
        const size_t cnt[] = {pack->changed, pack->added, pack->removed, pack->unchanged,
                              pack->not_run};
        static const char *const lab[] = {"rules changed", "rules added", "rules removed",
                                          "rules unchanged", "rules that did not run"};
        for (size_t i = 0; i < 5; i++) {
            snprintf(v, sizeof v, "%zu", cnt[i]);
            card(o, lab[i], v, NULL);
        }
        th_buf_puts(o, "</div>\n");
    }
    th_buf_puts(o, "<h2>Rules, biggest movers first</h2>\n<div class=\"scroll\"><table "
                   "id=\"rules-summary\"><tr><th>rule</th><th>status</th><th>before</th>"
                   "<th>after</th><th>change</th></tr>\n");
    if (pack) { /* every row that moved or changed; each detailed one links to its section */
        for (size_t i = 0; i < pack->nrows; i++) {
            const th_pack_row *r = &pack->rows[i];
            if (r->status == TH_PACK_UNCHANGED && r->nbefore == 0)
                continue;
            size_t k = n;
            for (size_t j = 0; j < n; j++)
                if (m[j].rule_id && r->rule_id && strcmp(m[j].rule_id, r->rule_id) == 0)
                    k = j;
            th_buf_puts(o, "<tr><td>");
            if (k < n)
                th_buf_printf(o, "<a href=\"#rule-%zu\">", k + 1);
            esc(o, r->name ? r->name : r->rule_id);
            th_buf_printf(o, "%s</td><td>%s%s", k < n ? "</a>" : "",
                          th_pack_status_names[r->status], r->skipped[0] ? " (did not run)" : "");
            th_buf_printf(o, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>", r->nbefore,
                          r->nafter);
            change_cell(o, r->nbefore, r->nafter);
            th_buf_puts(o, "</tr>\n");
        }
    } else {
        for (size_t j = 0; j < n; j++) {
            th_buf_printf(o, "<tr><td><a href=\"#rule-%zu\">", j + 1);
            esc(o, m[j].rule_name ? m[j].rule_name : "(unnamed rule)");
            th_buf_printf(o, "</a></td><td>%s</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>",
                          m[j].status ? m[j].status : "changed", d[j]->nbefore, d[j]->nafter);
            change_cell(o, d[j]->nbefore, d[j]->nafter);
            th_buf_puts(o, "</tr>\n");
        }
    }
    th_buf_puts(o, "</table></div>\n");
    for (size_t j = 0; j < n; j++) {
        th_buf_printf(o, "<section class=\"rule\" id=\"rule-%zu\"><h2>", j + 1);
        esc(o, m[j].rule_name ? m[j].rule_name : "(unnamed rule)");
        th_buf_puts(o, "</h2>\n");
        rule_body(o, d[j], &m[j], j, 3);
        th_buf_puts(o, "</section>\n");
    }
    foot(o);
}
