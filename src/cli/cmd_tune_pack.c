/* trailhound tune over a whole pack (tune/pack.h): two folders, or two git
 * revisions of a detection-rules checkout (--rules DIR). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/timeutil.h"
#include "cli/tune_cli.h"
#include "cli/verbs.h"
#include "ecs/schema.h"
#include "tune/pack.h"
#include "tune/report.h"
#include "json/json.h"

bool th_tune_cli_is_dir(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void print_text(const th_pack *p, const char *before, const char *after, size_t top)
{
    char f[32] = "-", t[32] = "-";
    if (p->from_ms != TH_TIME_NONE)
        th_time_format_iso(p->from_ms, f);
    if (p->to_ms != TH_TIME_NONE)
        th_time_format_iso(p->to_ms, t);
    printf("pack    before %s (%zu rules)  after %s (%zu rules)\n", before, p->side[0].rules.len,
           after, p->side[1].rules.len);
    printf("period  %s .. %s (%llu events, %zu pass%s over the data)\n", f, t,
           (unsigned long long)p->events, p->passes, p->passes == 1 ? "" : "es");
    double pct = p->total_before ? 100.0 * ((double)p->total_after - (double)p->total_before) /
                                       (double)p->total_before
                                 : 0;
    printf("alerts  before %zu  after %zu  change %+.1f%%\n", p->total_before, p->total_after, pct);
    printf("rules   changed %zu  added %zu  removed %zu  unchanged %zu  (did not run: %zu)\n\n",
           p->changed, p->added, p->removed, p->unchanged, p->not_run);
    printf("%-60s %-9s %7s %7s %8s\n", "rule (biggest movers first)", "status", "before", "after",
           "change");
    size_t shown = 0;
    for (size_t i = 0; i < p->nrows && shown < top; i++) {
        const th_pack_row *r = &p->rows[i];
        if (r->status == TH_PACK_UNCHANGED && r->nbefore == 0)
            continue; /* quiet and untouched: only in the totals */
        long d = (long)r->nafter - (long)r->nbefore;
        printf("%-60.60s %-9s %7zu %7zu %+8ld%s%s\n", r->name ? r->name : r->rule_id,
               th_pack_status_names[r->status], r->nbefore, r->nafter, d,
               r->skipped[0] ? "  not run: " : "", r->skipped);
        shown++;
    }
}

static void print_json(const th_pack *p)
{
    th_buf b;
    th_buf_init(&b);
    th_jw w;
    th_jw_init(&w, &b);
    th_jw_obj(&w);
    th_jw_key(&w, "before");
    th_jw_int(&w, (int64_t)p->total_before);
    th_jw_key(&w, "after");
    th_jw_int(&w, (int64_t)p->total_after);
    static const char *const keys[] = {"changed", "added", "removed", "unchanged", "not_run"};
    const size_t vals[] = {p->changed, p->added, p->removed, p->unchanged, p->not_run};
    for (size_t i = 0; i < 5; i++) {
        th_jw_key(&w, keys[i]);
        th_jw_int(&w, (int64_t)vals[i]);
    }
    th_jw_key(&w, "events");
    th_jw_int(&w, (int64_t)p->events);
    th_jw_key(&w, "rules");
    th_jw_arr(&w);
    for (size_t i = 0; i < p->nrows; i++) {
        const th_pack_row *r = &p->rows[i];
        th_jw_obj(&w);
        th_jw_key(&w, "rule_id");
        th_jw_cstr(&w, r->rule_id);
        th_jw_key(&w, "name");
        th_jw_cstr(&w, r->name ? r->name : "");
        th_jw_key(&w, "status");
        th_jw_cstr(&w, th_pack_status_names[r->status]);
        th_jw_key(&w, "before");
        th_jw_int(&w, (int64_t)r->nbefore);
        th_jw_key(&w, "after");
        th_jw_int(&w, (int64_t)r->nafter);
        if (r->skipped[0]) {
            th_jw_key(&w, "not_run");
            th_jw_cstr(&w, r->skipped);
        }
        th_jw_end(&w);
    }
    th_jw_end(&w);
    th_jw_end(&w);
    th_buf_putc(&b, '\n');
    th_buf_write(&b, stdout);
    th_buf_free(&b);
}

/* Markdown for a pull request that upgrades rules: versions, period and
 * data, totals, the movers table and each changed rule's query diff. */
static void print_markdown(const th_pack *p, const char *before, const char *after,
                           const th_replay_opts *ro, size_t top)
{
    th_buf o, data;
    th_buf_init(&o);
    th_buf_init(&data);
    for (size_t i = 0; i < ro->ndata; i++)
        th_buf_printf(&data, "%s%s", i ? " " : "", ro->data[i]);
    th_buf_puts(&o, "### Rule pack comparison\n\n- **Versions:** before ");
    th_md_code(&o, th_str_c(before));
    th_buf_printf(&o, " (%zu rules), after ", p->side[0].rules.len);
    th_md_code(&o, th_str_c(after));
    th_buf_printf(&o, " (%zu rules)\n", p->side[1].rules.len);
    th_buf_printf(&o,
                  "- **Rules:** changed %zu, added %zu, removed %zu, unchanged %zu (did not "
                  "run: %zu)\n",
                  p->changed, p->added, p->removed, p->unchanged, p->not_run);
    th_md_period(&o, p->from_ms, p->to_ms, p->events, data.data,
                 th_tune_cli_provenance(ro->data, ro->ndata));
    long long dt = (long long)p->total_after - (long long)p->total_before;
    th_buf_printf(&o, "- **Alerts:** before %zu, after %zu (%+lld", p->total_before, p->total_after,
                  dt);
    if (p->total_before)
        th_buf_printf(&o, ", %+.1f%%", 100.0 * (double)dt / (double)p->total_before);
    th_buf_puts(&o, ")\n\n#### Rules, biggest movers first\n\n"
                    "| rule | status | before | after | change |\n|---|---|---:|---:|---:|\n");
    size_t shown = 0, quiet = 0;
    for (size_t i = 0; i < p->nrows; i++) {
        const th_pack_row *r = &p->rows[i];
        if ((r->status == TH_PACK_UNCHANGED && r->nbefore == 0) || shown >= top) {
            quiet++; /* counted in the totals row */
            continue;
        }
        th_buf_puts(&o, "| ");
        th_md_cell(&o, th_str_c(r->name ? r->name : r->rule_id));
        th_buf_printf(&o, " | %s%s | %zu | %zu | %+lld |\n", th_pack_status_names[r->status],
                      r->skipped[0] ? " (did not run)" : "", r->nbefore, r->nafter,
                      (long long)r->nafter - (long long)r->nbefore);
        shown++;
    }
    th_buf_printf(&o,
                  "| **total** (%zu rules; %zu not listed: unchanged without alerts, or past "
                  "the top %zu) | | **%zu** | **%zu** | **%+lld** |\n",
                  p->nrows, quiet, top, p->total_before, p->total_after, dt);
    bool head = false;
    for (size_t i = 0, k = 0; i < p->nrows && k < top; i++) {
        const th_pack_row *r = &p->rows[i];
        if (r->status != TH_PACK_CHANGED || !r->before->query || !r->after->query ||
            strcmp(r->before->query, r->after->query) == 0)
            continue;
        if (!head)
            th_buf_puts(&o, "\n#### Query changes\n");
        head = true;
        th_buf_puts(&o, "\n**");
        th_md_cell(&o, th_str_c(r->name ? r->name : r->rule_id));
        th_buf_puts(&o, "**\n\n");
        th_md_query_diff(&o, r->before->query, r->after->query);
        k++;
    }
    th_buf_write(&o, stdout);
    th_buf_free(&o);
    th_buf_free(&data);
}

/* The HTML page: the pack's totals and movers, and a section per rule that
 * changed, was added or removed (the top ones), as tune shows one rule. */
static int write_pack_report(const char *path, const th_pack *p, const char *before,
                             const char *after, const th_replay_opts *ro, size_t top)
{
    size_t n = 0;
    th_tune_diff *diffs = calloc(p->nrows + 1, sizeof *diffs);
    const th_tune_diff **dd = calloc(p->nrows + 1, sizeof *dd);
    th_tune_meta *mm = calloc(p->nrows + 1, sizeof *mm);
    const char *(*fields)[64] = calloc(p->nrows + 1, sizeof *fields);
    const char *(*group)[64] = calloc(p->nrows + 1, sizeof *group);
    char(*labels)[2][300] = calloc(p->nrows + 1, sizeof *labels);
    th_arena arena;
    th_arena_init(&arena, 1 << 16);
    th_buf data;
    th_buf_init(&data);
    for (size_t i = 0; i < ro->ndata; i++)
        th_buf_printf(&data, "%s%s", i ? " " : "", ro->data[i]);
    static const th_talerts none = {0};
    for (size_t i = 0; i < p->nrows && n < top; i++) {
        const th_pack_row *r = &p->rows[i];
        if (r->status == TH_PACK_UNCHANGED)
            continue;
        const th_rule *rule = r->after ? r->after : r->before;
        size_t nf = th_tune_cli_fields(rule, fields[n], 64), ng = 0;
        for (size_t f = 0; f < nf; f++) {
            const th_field_def *fd = th_schema_lookup(th_str_c(fields[n][f]));
            if (!fd || fd->type != TH_FT_DATE)
                group[n][ng++] = fields[n][f];
        }
        th_tune_opts to = {
            group[n], ng, 5, p->from_ms, p->to_ms != TH_TIME_NONE ? p->to_ms + 1 : TH_TIME_NONE,
            NULL};
        th_tune_diff_compute(&arena, r->alerts[0] ? r->alerts[0] : &none,
                             r->alerts[1] ? r->alerts[1] : &none, &to, &diffs[n]);
        for (int v = 0; v < 2; v++) { /* FILE@REV (a revision) or the file (a folder) */
            const th_rule *x = v ? r->after : r->before;
            snprintf(labels[n][v], 300, "%s", x && x->path ? x->path : "-");
        }
        dd[n] = &diffs[n];
        mm[n] = (th_tune_meta){.rule_name = r->name ? r->name : r->rule_id,
                               .rule_id = r->rule_id,
                               .before_label = r->before ? labels[n][0] : "(absent)",
                               .after_label = r->after ? labels[n][1] : "(absent)",
                               .data_label = data.data,
                               .sample_fields = fields[n],
                               .nsample_fields = nf,
                               .sample_n = 5,
                               .before_query = r->before ? r->before->query : NULL,
                               .after_query = r->after ? r->after->query : NULL,
                               .from_ms = p->from_ms,
                               .to_ms = p->to_ms,
                               .events = p->events,
                               .provenance = th_tune_cli_provenance(ro->data, ro->ndata),
                               .status = th_pack_status_names[r->status]};
        n++;
    }
    if (n == 0) /* nothing changed: the page still carries the period */
        mm[0] = (th_tune_meta){.from_ms = p->from_ms,
                               .to_ms = p->to_ms,
                               .events = p->events,
                               .data_label = data.data,
                               .provenance = th_tune_cli_provenance(ro->data, ro->ndata)};
    char title[700];
    snprintf(title, sizeof title, "rule pack: %s -> %s", before, after);
    th_buf page;
    th_buf_init(&page);
    th_tune_render_html_multi(&page, dd, mm, n, p, title);
    int rc = th_tune_cli_write_page(path, &page, ro->data, ro->ndata);
    th_buf_free(&page);
    th_buf_free(&data);
    th_arena_free(&arena);
    free(diffs);
    free(dd);
    free(mm);
    free(fields);
    free(group);
    free(labels);
    return rc;
}

int th_tune_cli_pack(const char *rules_dir, const char *before, const char *after,
                     const th_replay_opts *ro, const th_args *a)
{
    const char *fmt = th_args_value(a, "format"), *report = th_args_value(a, "report");
    const char *tv = th_args_value(a, "top");
    size_t top = tv && strtol(tv, NULL, 10) > 0 ? (size_t)strtol(tv, NULL, 10) : 30;
    th_diags diags;
    th_diags_init(&diags);
    th_replay_opts o = *ro;
    o.diags = &diags;
    o.sequences = true;
    th_pack p;
    th_pack_init(&p);
    p.keep_alerts = report != NULL;
    int rc = TH_EXIT_OK;
    size_t nb = rules_dir ? th_pack_load(&p, 0, rules_dir, before, &diags)
                          : th_pack_load(&p, 0, before, NULL, &diags);
    size_t na = rules_dir ? th_pack_load(&p, 1, rules_dir, after, &diags)
                          : th_pack_load(&p, 1, after, NULL, &diags);
    if ((nb == 0 && na == 0) || !th_pack_run(&p, &o)) {
        th_diags_print(&diags, stderr);
        fprintf(stderr, "trailhound tune: no rules to compare, or the data could not be read\n");
        rc = TH_EXIT_USAGE;
        goto out;
    }
    if (fmt && strcmp(fmt, "json") == 0)
        print_json(&p);
    else if (fmt && strcmp(fmt, "markdown") == 0)
        print_markdown(&p, before, after, ro, top);
    else
        print_text(&p, before, after, top);
    fflush(stdout); /* before the report's line on stderr (`> out 2>&1`) */
    if (report) {
        if (write_pack_report(report, &p, before, after, ro, top) != 0) {
            fprintf(stderr, "trailhound tune: cannot write %s\n", report);
            rc = TH_EXIT_USAGE;
        } else {
            fprintf(stderr, "tune: report written to %s\n", report);
        }
    }
out:
    th_pack_free(&p);
    th_diags_free(&diags);
    return rc;
}
