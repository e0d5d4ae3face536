/* Terminal and JSON renderings of a comparison (report.h). */
#include <math.h>
#include <string.h>

#include "base/timeutil.h"
#include "tune/report.h"

void th_tune_day_text(int64_t day, char out[16])
{
    int64_t y;
    unsigned m, d;
    th_civil_from_days(day, &y, &m, &d);
    snprintf(out, 16, "%04lld-%02u-%02u", (long long)y, m, d);
}

typedef struct join_ctx {
    th_buf *out;
    size_t n;
} join_ctx;

static bool join_visit(const th_jval *v, void *ctx)
{
    join_ctx *j = ctx;
    th_str s;
    if (!th_tune_value_text(v, &s))
        return true;
    if (j->n++)
        th_buf_puts(j->out, ", ");
    th_buf_putstr(j->out, s);
    return j->n < 8;
}

void th_tune_field_text(th_buf *out, const th_jval *doc, const char *field)
{
    join_ctx j = {out, 0};
    th_json_path_each(doc, th_str_c(field), join_visit, &j);
}

/* Values longer than this are cut in the terminal report (the JSON and HTML
 * reports keep them whole). */
#define TEXT_VALUE_MAX 100

static void pct_text(char *out, size_t n, size_t b, size_t a)
{
    double p = th_tune_pct(b, a);
    if (isinf(p))
        snprintf(out, n, "new");
    else
        snprintf(out, n, "%+.1f%%", p);
}

static void bar(th_buf *out, size_t v, size_t max, size_t width, const char *glyph)
{
    size_t n = max ? (v * width + max - 1) / max : 0;
    for (size_t i = 0; i < n; i++)
        th_buf_puts(out, glyph);
}

static size_t day_max(const th_tune_diff *d)
{
    size_t m = 0;
    for (size_t i = 0; i < d->ndays; i++) {
        if (d->days[i].before > m)
            m = d->days[i].before;
        if (d->days[i].after > m)
            m = d->days[i].after;
    }
    return m;
}

static void text_tops(th_buf *o, const char *what, size_t n, const th_tune_top *tops, size_t ntops)
{
    th_buf_printf(o, "\n%s alerts by field (%zu):\n", what, n);
    if (n == 0) {
        th_buf_puts(o, "  (none)\n");
        return;
    }
    for (size_t i = 0; i < ntops; i++) {
        const th_tune_top *t = &tops[i];
        th_buf_printf(o, "  %s  (%zu distinct)\n", t->field, t->distinct);
        if (t->missing)
            th_buf_printf(o, "    %6zu  (missing)\n", t->missing);
        for (size_t j = 0; j < t->nvalues; j++) {
            th_buf_printf(o, "    %6zu  ", t->values[j].count);
            th_str v = t->values[j].value;
            bool cut = v.n > TEXT_VALUE_MAX;
            size_t keep = TEXT_VALUE_MAX;
            while (cut && keep > 0 && ((unsigned char)v.p[keep] & 0xC0) == 0x80)
                keep--; /* not inside a UTF-8 sequence */
            th_json_write_str(o, cut ? th_str_make(v.p, keep) : v);
            if (cut)
                th_buf_puts(o, "…");
            th_buf_putc(o, '\n');
        }
    }
}

static void text_sample(th_buf *o, const char *what, const th_talert *const *al, size_t n,
                        const th_tune_meta *m)
{
    size_t k = m->sample_n ? m->sample_n : 5;
    if (n == 0)
        return;
    th_buf_printf(o, "\nsample of %s alerts (%zu of %zu):\n", what, n < k ? n : k, n);
    for (size_t i = 0; i < n && i < k; i++) {
        char ts[32] = "-";
        if (al[i]->ts_ms != TH_TIME_NONE)
            th_time_format_iso(al[i]->ts_ms, ts);
        th_buf_printf(o, "  %s  %.*s\n", ts, (int)al[i]->id.n, al[i]->id.p);
        for (size_t f = 0; f < m->nsample_fields; f++) {
            if (strcmp(m->sample_fields[f], "@timestamp") == 0)
                continue;
            th_buf_printf(o, "      %-44s ", m->sample_fields[f]);
            size_t before = o->len;
            th_tune_field_text(o, al[i]->doc, m->sample_fields[f]);
            if (o->len == before)
                th_buf_puts(o, "-");
            else if (o->len - before > TEXT_VALUE_MAX) { /* long values: the start is enough */
                o->len = before + TEXT_VALUE_MAX;
                while (o->len > before && ((unsigned char)o->data[o->len] & 0xC0) == 0x80)
                    o->len--; /* not inside a UTF-8 sequence */
                th_buf_puts(o, "…");
            }
            th_buf_putc(o, '\n');
        }
    }
}

void th_tune_render_text(th_buf *o, const th_tune_diff *d, const th_tune_meta *m)
{
    char pct[32];
    pct_text(pct, sizeof pct, d->nbefore, d->nafter);
    th_buf_printf(o, "rule    %s%s%s%s\n", m->rule_name ? m->rule_name : "(unnamed)",
                  m->rule_id ? " (" : "", m->rule_id ? m->rule_id : "", m->rule_id ? ")" : "");
    th_buf_printf(o, "before  %s\nafter   %s\n", m->before_label ? m->before_label : "-",
                  m->after_label ? m->after_label : "-");
    if (m->data_label)
        th_buf_printf(o, "data    %s\n", m->data_label);
    th_buf_printf(o, "\nalerts  before %zu  after %zu  change %s\n", d->nbefore, d->nafter, pct);
    th_buf_printf(o, "        kept %zu  removed %zu  added %zu\n", d->nkept, d->nremoved,
                  d->nadded);
    if (d->has_labels)
        th_buf_printf(o,
                      "true positives (%zu labeled)  before %zu  after %zu  kept %zu  lost %zu  "
                      "gained %zu\n",
                      d->tp_labeled, d->tp_before, d->tp_after, d->tp_kept, d->tp_lost,
                      d->tp_gained);
    if (d->ndays) {
        size_t mx = day_max(d);
        th_buf_puts(o, "\nday          before   after\n");
        size_t quiet = 0;
        for (size_t i = 0; i <= d->ndays; i++) {
            bool empty = i < d->ndays && d->days[i].before == 0 && d->days[i].after == 0;
            if (empty) {
                quiet++;
                continue;
            }
            if (quiet) /* runs of days without alerts fold into one line */
                th_buf_printf(o, "  (%zu day%s without alerts)\n", quiet, quiet > 1 ? "s" : "");
            quiet = 0;
            if (i == d->ndays)
                break;
            char day[16];
            size_t b = d->days[i].before, af = d->days[i].after, both = b < af ? b : af;
            th_tune_day_text(d->days[i].day, day);
            th_buf_printf(o, "%s  %7zu %7zu  ", day, b, af);
            bar(o, both, mx, 40, m->color ? "\033[32m=\033[0m" : "=");
            if (b > af)
                bar(o, b - af, mx, 40, m->color ? "\033[31m-\033[0m" : "-");
            else
                bar(o, af - b, mx, 40, m->color ? "\033[33m+\033[0m" : "+");
            th_buf_putc(o, '\n');
        }
        th_buf_puts(o, "(= in both counts, - fewer after the change, + more after)\n");
    }
    text_tops(o, "removed", d->nremoved, d->removed_top, d->nfields);
    text_sample(o, "removed", d->removed, d->nremoved, m);
    text_tops(o, "added", d->nadded, d->added_top, d->nfields);
    text_sample(o, "added", d->added, d->nadded, m);
    if (d->has_labels && d->nlost) {
        th_buf_puts(o, "\nWARNING: true positives lost by the new version:\n");
        for (size_t i = 0; i < d->nlost; i++)
            th_buf_printf(o, "  %.*s\n", (int)d->lost[i]->id.n, d->lost[i]->id.p);
    }
}

static void json_tops(th_jw *w, const th_tune_top *tops, size_t n)
{
    th_jw_obj(w);
    for (size_t i = 0; i < n; i++) {
        th_jw_key(w, tops[i].field);
        th_jw_obj(w);
        th_jw_key(w, "missing");
        th_jw_int(w, (int64_t)tops[i].missing);
        th_jw_key(w, "distinct");
        th_jw_int(w, (int64_t)tops[i].distinct);
        th_jw_key(w, "top");
        th_jw_arr(w);
        for (size_t j = 0; j < tops[i].nvalues; j++) {
            th_jw_obj(w);
            th_jw_key(w, "value");
            th_jw_str(w, tops[i].values[j].value);
            th_jw_key(w, "count");
            th_jw_int(w, (int64_t)tops[i].values[j].count);
            th_jw_end(w);
        }
        th_jw_end(w);
        th_jw_end(w);
    }
    th_jw_end(w);
}

static void json_ids(th_jw *w, const th_talert *const *al, size_t n, size_t k)
{
    th_jw_arr(w);
    for (size_t i = 0; i < n && i < k; i++)
        th_jw_str(w, al[i]->id);
    th_jw_end(w);
}

void th_tune_render_json(th_buf *o, const th_tune_diff *d, const th_tune_meta *m)
{
    th_jw w;
    th_jw_init(&w, o);
    th_jw_obj(&w);
    th_jw_key(&w, "rule");
    th_jw_cstr(&w, m->rule_name ? m->rule_name : "");
    th_jw_key(&w, "rule_id");
    th_jw_cstr(&w, m->rule_id ? m->rule_id : "");
    th_jw_key(&w, "before");
    th_jw_int(&w, (int64_t)d->nbefore);
    th_jw_key(&w, "after");
    th_jw_int(&w, (int64_t)d->nafter);
    th_jw_key(&w, "kept");
    th_jw_int(&w, (int64_t)d->nkept);
    th_jw_key(&w, "removed");
    th_jw_int(&w, (int64_t)d->nremoved);
    th_jw_key(&w, "added");
    th_jw_int(&w, (int64_t)d->nadded);
    double p = th_tune_pct(d->nbefore, d->nafter);
    th_jw_key(&w, "change_pct");
    if (isinf(p)) {
        th_jw_null(&w);
    } else { /* one decimal, written as the number text */
        char num[32];
        snprintf(num, sizeof num, "%.1f", p);
        th_jval v = {.type = TH_JNUM, .u.str = th_str_c(num)};
        th_jw_value(&w, &v);
    }
    if (d->has_labels) {
        th_jw_key(&w, "true_positives");
        th_jw_obj(&w);
        const char *k[] = {"labeled", "before", "after", "kept", "lost", "gained"};
        size_t v[] = {d->tp_labeled, d->tp_before, d->tp_after,
                      d->tp_kept,    d->tp_lost,   d->tp_gained};
        for (size_t i = 0; i < 6; i++) {
            th_jw_key(&w, k[i]);
            th_jw_int(&w, (int64_t)v[i]);
        }
        th_jw_key(&w, "lost_ids");
        json_ids(&w, d->lost, d->nlost, d->nlost);
        th_jw_end(&w);
    }
    th_jw_key(&w, "days");
    th_jw_arr(&w);
    for (size_t i = 0; i < d->ndays; i++) {
        char day[16];
        th_tune_day_text(d->days[i].day, day);
        th_jw_obj(&w);
        th_jw_key(&w, "day");
        th_jw_cstr(&w, day);
        th_jw_key(&w, "before");
        th_jw_int(&w, (int64_t)d->days[i].before);
        th_jw_key(&w, "after");
        th_jw_int(&w, (int64_t)d->days[i].after);
        th_jw_end(&w);
    }
    th_jw_end(&w);
    th_jw_key(&w, "removed_by_field");
    json_tops(&w, d->removed_top, d->nfields);
    th_jw_key(&w, "added_by_field");
    json_tops(&w, d->added_top, d->nfields);
    size_t k = m->sample_n ? m->sample_n : 5;
    th_jw_key(&w, "removed_sample");
    json_ids(&w, d->removed, d->nremoved, k);
    th_jw_key(&w, "added_sample");
    json_ids(&w, d->added, d->nadded, k);
    th_jw_end(&w);
    th_buf_putc(o, '\n');
}
