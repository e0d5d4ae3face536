/* trailhound tune --before OLD --after NEW --data PATH...: what a rule change
 * does to the alerts (tune/replay.h, tune/tune.h, tune/report.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/timeutil.h"
#include "cli/args.h"
#include "cli/outfile.h"
#include "cli/enrich.h"
#include "cli/guard.h"
#include "cli/tune_cli.h"
#include "cli/verbs.h"
#include "ecs/schema.h"
#include "engine/exceptions.h"
#include "tune/noise.h"
#include "tune/replay.h"
#include "tune/report.h"

static const th_opt opts[] = {
    {"before", TH_OPT_MULTI, "OLD",
     "the old version: FILE or FILE@REV (git revision); several rules: one pair per rule"},
    {"after", TH_OPT_MULTI, "NEW", "the new version: FILE or FILE@REV (the i-th --before's)"},
    {"data", TH_OPT_MULTI, "PATH", "CloudTrail or ECS data (files, directories, gzip, -)"},
    {"from", TH_OPT_VALUE, "T", TH_CLI_FROM_HELP},
    {"to", TH_OPT_VALUE, "T", TH_CLI_TO_HELP},
    {"exceptions", TH_OPT_MULTI, "FILE", "exception lists, as for run (Kibana NDJSON or TOML), for both versions"},
    {"labels", TH_OPT_VALUE, "FILE", "labels.ndjson from `trailhound emulate` (true positives)"},
    {"expect", TH_OPT_VALUE, "FILE", "event ids that must keep alerting, one per line"},
    {"report", TH_OPT_VALUE, "FILE.html",
     "also write a self-contained HTML report (several rules or a pack: one page)"},
    {"rules", TH_OPT_VALUE, "DIR",
     "a detection-rules checkout: --before/--after are git revisions of it (the whole pack)"},
    {"format", TH_OPT_VALUE, "text|json|markdown",
     "output (default text; markdown: the evidence section of a pull request)"},
    {"sample", TH_OPT_VALUE, "N", "alerts shown per sample (default 5)"},
    {"top", TH_OPT_VALUE, "N", "values shown per field (default 5)"},
    {"color", TH_OPT_FLAG, NULL, "colour the per-day bars, also when not on a terminal (default: on a terminal unless NO_COLOR is set)"},
    {"no-color", TH_OPT_FLAG, NULL, "no colour, even on a terminal"},
    TH_ENRICH_OPTS,
};

bool th_tune_cli_period(const char *verb, const th_args *a, int64_t *from, int64_t *to)
{
    return th_cli_period(verb, a, from, to);
}

bool th_tune_cli_labels(const char *verb, const th_args *a, const th_rule *r, th_labels *l,
                        bool *have)
{
    *have = false;
    const char *lf = th_args_value(a, "labels"), *ef = th_args_value(a, "expect");
    const char *files[2] = {lf, ef};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        size_t len;
        char *text = th_tune_cli_read(files[i], &len);
        if (!text) {
            fprintf(stderr, "trailhound %s: cannot read %s\n", verb, files[i]);
            return false;
        }
        if (i == 0)
            th_labels_load_ndjson(l, text, len, r->rule_id, r->name, files[i], stderr);
        else
            th_labels_load_lines(l, text, len);
        free(text);
        *have = true;
    }
    return true;
}

const char *th_tune_cli_provenance(const char *const *data, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char path[4096];
        const char *slash = strrchr(data[i], '/');
        /* DIR/labels.ndjson, or beside it: emulate --out DIR writes DIR/AWSLogs */
        snprintf(path, sizeof path, "%s/labels.ndjson", data[i]);
        bool found = access(path, R_OK) == 0;
        if (!found && slash) {
            snprintf(path, sizeof path, "%.*s/labels.ndjson", (int)(slash - data[i]), data[i]);
            found = access(path, R_OK) == 0;
        } else if (!found) {
            found = access("labels.ndjson", R_OK) == 0 && strcmp(data[i], "AWSLogs") == 0;
        }
        if (found)
            return "emulated (trailhound emulate; its labels.ndjson lies beside the data)";
    }
    return "as given (no emulate labels beside it: real or converted CloudTrail)";
}

bool th_tune_cli_exceptions(const char *verb, const th_args *a, const th_rule *r,
                            th_exceptions *all, th_exceptions *view)
{
    const char *paths[TH_ARGS_MAX];
    size_t n = th_args_values(a, "exceptions", paths, TH_ARGS_MAX);
    th_diags d;
    th_diags_init(&d);
    for (size_t i = 0; i < n; i++)
        th_exceptions_load(all, paths[i], &d);
    bool ok = d.errors == 0;
    if (!ok) {
        th_diags_print(&d, stderr);
        fprintf(stderr, "trailhound %s: the exception lists could not be read\n", verb);
    }
    th_diags_free(&d);
    if (ok && n)
        th_exceptions_for_rule(all, r, &r, 1, view);
    return ok;
}

char *th_tune_cli_read(const char *path, size_t *len)
{
    return th_file_read(path, len);
}

size_t th_tune_cli_fields(const th_rule *r, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < r->investigation_fields.len && n < max; i++)
        out[n++] = r->investigation_fields.items[i];
    if (n == 0) /* no investigation fields: the common ones */
        for (size_t i = 0; th_noise_common_fields[i] && n < max; i++)
            out[n++] = th_noise_common_fields[i];
    return n;
}

static size_t num_opt(const th_args *a, const char *name, size_t def)
{
    const char *v = th_args_value(a, name);
    if (!v)
        return def;
    long n = strtol(v, NULL, 10);
    return n > 0 ? (size_t)n : def;
}

/* Through a temporary file renamed into place (cli/outfile.h): a failed
 * write leaves an existing report as it was. */
int th_tune_cli_write_page(const char *path, const th_buf *page, const char *const *inputs,
                           size_t ninputs)
{
    th_outfile of;
    if (!th_outfile_open(&of, "tune", path, inputs, ninputs))
        return -1;
    int rc = th_buf_write(page, of.f) == 0 ? 0 : -1;
    if (rc == 0 && !th_outfile_commit(&of))
        rc = -1;
    else if (rc != 0)
        th_outfile_discard(&of);
    return rc;
}

/* One rule's two versions and what became of them. */
typedef struct tpair {
    const char *before, *after;
    const th_rule *old, *new;
    th_labels labels;
    bool have_labels;
    th_exceptions exc, view;
    const char *fields[64], *group[64];
    size_t nfields, ngroup;
    th_tune_diff d;
} tpair;

#define TH_TUNE_MAX_PAIRS (TH_REPLAY_MAX_RULES / 2)

int th_cmd_tune(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "tune", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help(
            "trailhound tune --before OLD --after NEW --data PATH... [options]",
            "Replays both versions of a rule over the same data and shows what the change\n"
            "does: alerts before/after, per day, the removed and added alerts grouped by\n"
            "the rule's investigation fields, and true positives kept or lost.\n"
            "Several rules: one --before/--after pair each (one report page for all).\n"
            "A whole pack: --rules DIR --before REV --after REV, or two folders.\n"
            "Exit 1 when labeled true positives are lost.\n\n"
            "example: trailhound tune --before old.toml --after new.toml --data ev/ --report r.html",
            opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *befores[TH_ARGS_MAX], *afters[TH_ARGS_MAX];
    size_t npairs = th_args_values(&a, "before", befores, TH_ARGS_MAX);
    size_t nafters = th_args_values(&a, "after", afters, TH_ARGS_MAX);
    const char *data[TH_ARGS_MAX];
    size_t ndata = th_args_values(&a, "data", data, TH_ARGS_MAX);
    const char *fmt = th_args_value(&a, "format");
    if (npairs == 0 || nafters != npairs || ndata == 0 || a.npos ||
        (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0 &&
         strcmp(fmt, "markdown") != 0)) {
        fprintf(stderr, "trailhound tune: need --before, --after (one of each per rule) and "
                        "--data; --format text|json|markdown (try --help)\n");
        return TH_EXIT_USAGE;
    }
    if (npairs > TH_TUNE_MAX_PAIRS) {
        fprintf(stderr, "trailhound tune: at most %d rules (--before/--after pairs) at once; "
                        "compare a whole pack with --rules DIR\n", TH_TUNE_MAX_PAIRS);
        return TH_EXIT_USAGE;
    }
    /* with --rules DIR, --before/--after are git revisions of DIR, not paths */
    bool revs = th_args_value(&a, "rules") != NULL;
    if (!th_cli_paths_ok("tune", "--data", TH_ROLE_DATA, data, ndata))
        return TH_EXIT_USAGE;
    for (size_t i = 0; i < npairs && !revs; i++)
        if ((!strchr(befores[i], '@') &&
             !th_cli_paths_ok("tune", "--before", TH_ROLE_OTHER, &befores[i], 1)) ||
            (!strchr(afters[i], '@') &&
             !th_cli_paths_ok("tune", "--after", TH_ROLE_OTHER, &afters[i], 1)))
            return TH_EXIT_USAGE;
    th_replay_opts ro = {data, ndata, TH_TIME_NONE, TH_TIME_NONE, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, 0};
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&a, &mo, &paths);
    ro.mo = &mo;
    if (!th_tune_cli_period("tune", &a, &ro.from_ms, &ro.to_ms))
        return TH_EXIT_USAGE;
    const char *rules_dir = th_args_value(&a, "rules");
    if (rules_dir || (th_tune_cli_is_dir(befores[0]) && th_tune_cli_is_dir(afters[0]))) {
        if (npairs > 1) {
            fprintf(stderr, "trailhound tune: a pack comparison takes one --before and one "
                            "--after\n");
            return TH_EXIT_USAGE;
        }
        return th_tune_cli_pack(rules_dir, befores[0], afters[0], &ro, &a);
    }
    th_diags diags;
    th_diags_init(&diags);
    ro.diags = &diags;
    th_replay rp;
    th_replay_init(&rp);
    int rc = TH_EXIT_OK;
    tpair *pp = calloc(npairs, sizeof *pp);
    for (size_t i = 0; i < npairs; i++) {
        th_labels_init(&pp[i].labels);
        th_exceptions_init(&pp[i].exc);
        th_exceptions_init(&pp[i].view);
    }
    th_arena arena;
    th_arena_init(&arena, 1 << 16);
    th_buf datalabel, datapaths;
    th_buf_init(&datalabel);
    th_buf_init(&datapaths);
    for (size_t i = 0; i < npairs; i++) {
        tpair *p = &pp[i];
        p->before = befores[i];
        p->after = afters[i];
        p->old = th_replay_load(&rp, p->before, &diags);
        p->new = th_replay_load(&rp, p->after, &diags);
        if (!p->old || !p->new) {
            th_diags_print(&diags, stderr);
            rc = TH_EXIT_USAGE;
            goto out;
        }
        if (!th_tune_cli_labels("tune", &a, p->new, &p->labels, &p->have_labels) ||
            !th_tune_cli_exceptions("tune", &a, p->new, &p->exc, &p->view)) {
            rc = TH_EXIT_USAGE;
            goto out;
        }
        size_t k = th_replay_add(&rp, p->old, NULL);
        th_replay_add(&rp, p->new, NULL);
        if (p->view.len) /* each rule with the items that apply to it */
            rp.exc[k] = rp.exc[k + 1] = &p->view;
    }
    if (!th_replay_run(&rp, &ro)) {
        th_diags_print(&diags, stderr);
        rc = TH_EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < diags.len; i++)
        if (diags.items[i].severity == TH_SEV_ERROR)
            th_diag_print(&diags.items[i], stderr);
    for (size_t i = 0; i < 2 * npairs; i++)
        if (rp.skipped[i]) {
            fprintf(stderr, "trailhound tune: %s did not run: %s\n",
                    i % 2 ? pp[i / 2].after : pp[i / 2].before, rp.skipped[i]);
            rc = TH_EXIT_FINDINGS;
        }
    /* per-day rows span the replayed period (the data's, unless --from/--to) */
    int64_t day_from = ro.from_ms != TH_TIME_NONE ? ro.from_ms : rp.from_ms;
    int64_t day_to = ro.to_ms != TH_TIME_NONE   ? ro.to_ms
                     : rp.to_ms != TH_TIME_NONE ? rp.to_ms + 1
                                                : TH_TIME_NONE;
    for (size_t i = 0; i < ndata; i++)
        th_buf_printf(&datalabel, "%s%s", i ? " " : "", data[i]);
    th_buf_printf(&datalabel, " (%llu events)", (unsigned long long)rp.events);
    for (size_t i = 0; i < ndata; i++)
        th_buf_printf(&datapaths, "%s%s", i ? " " : "", data[i]);
    th_tune_meta *mm = calloc(npairs, sizeof *mm);
    const th_tune_diff **dd = calloc(npairs, sizeof *dd);
    th_buf out;
    th_buf_init(&out);
    bool json = fmt && strcmp(fmt, "json") == 0, md = fmt && strcmp(fmt, "markdown") == 0;
    if (json && npairs > 1)
        th_buf_putc(&out, '[');
    if (md && npairs > 1)
        th_buf_printf(&out, "### Tuning evidence: %zu rules\n\n| rule | before | after | change |\n"
                            "|---|---:|---:|---:|\n", npairs);
    for (size_t i = 0; i < npairs; i++) {
        tpair *p = &pp[i];
        p->nfields = th_tune_cli_fields(p->new, p->fields, 64);
        for (size_t f = 0; f < p->nfields; f++) { /* dates: every alert its own value */
            const th_field_def *fd = th_schema_lookup(th_str_c(p->fields[f]));
            if (!fd || fd->type != TH_FT_DATE)
                p->group[p->ngroup++] = p->fields[f];
        }
        th_tune_opts to = {p->group,  p->ngroup, num_opt(&a, "top", 5),
                           day_from,  day_to,    p->have_labels ? &p->labels : NULL};
        th_tune_diff_compute(&arena, &rp.alerts[2 * i], &rp.alerts[2 * i + 1], &to, &p->d);
        dd[i] = &p->d;
        mm[i] = (th_tune_meta){.rule_name = p->new->name,
                               .rule_id = p->new->rule_id,
                               .before_label = p->before,
                               .after_label = p->after,
                               .data_label = md ? datapaths.data : datalabel.data,
                               .sample_fields = p->fields,
                               .nsample_fields = p->nfields,
                               .sample_n = num_opt(&a, "sample", 5),
                               .color = !th_args_flag(&a, "no-color") &&
                                        (th_args_flag(&a, "color") || th_cli_colour(stdout)),
                               .before_query = p->old->query,
                               .after_query = p->new->query,
                               .from_ms = day_from,
                               .to_ms = ro.to_ms != TH_TIME_NONE ? ro.to_ms : rp.to_ms,
                               .events = rp.events,
                               .provenance = th_tune_cli_provenance(data, ndata)};
        if (md && npairs > 1) {
            th_buf_puts(&out, "| ");
            th_md_cell(&out, th_str_c(p->new->name ? p->new->name : "(unnamed rule)"));
            long long c = (long long)p->d.nafter - (long long)p->d.nbefore;
            th_buf_printf(&out, " | %zu | %zu | %+lld |\n", p->d.nbefore, p->d.nafter, c);
        }
        if (p->d.has_labels && p->d.tp_lost)
            rc = rc == TH_EXIT_OK ? TH_EXIT_FINDINGS : rc;
    }
    for (size_t i = 0; i < npairs; i++) {
        if (json) {
            if (i)
                th_buf_putc(&out, ',');
            th_tune_render_json(&out, dd[i], &mm[i]);
        } else if (md) {
            th_buf_puts(&out, npairs > 1 || i ? "\n" : "");
            th_tune_render_markdown(&out, dd[i], &mm[i]);
        } else {
            th_buf_puts(&out, i ? "\n" : "");
            th_tune_render_text(&out, dd[i], &mm[i]);
        }
    }
    if (json && npairs > 1)
        th_buf_puts(&out, "]\n");
    th_buf_write(&out, stdout);
    th_buf_free(&out);
    /* the comparison is on stdout before the report's line on stderr, also when
     * both go to one file (`> out 2>&1`) */
    fflush(stdout);
    const char *report = th_args_value(&a, "report");
    if (report) {
        th_buf page;
        th_buf_init(&page);
        for (size_t i = 0; i < npairs; i++) /* the page gives the event count itself */
            mm[i].data_label = datapaths.data;
        char title[64];
        snprintf(title, sizeof title, "%zu rules", npairs);
        if (npairs == 1)
            th_tune_render_html(&page, dd[0], &mm[0]);
        else
            th_tune_render_html_multi(&page, dd, mm, npairs, NULL, title);
        if (th_tune_cli_write_page(report, &page, data, ndata) != 0) {
            fprintf(stderr, "trailhound tune: cannot write %s\n", report);
            rc = TH_EXIT_USAGE;
        } else {
            fprintf(stderr, "tune: report written to %s\n", report);
        }
        th_buf_free(&page);
    }
    free(mm);
    free(dd);
out:
    th_buf_free(&datalabel);
    th_buf_free(&datapaths);
    th_arena_free(&arena);
    for (size_t i = 0; i < npairs; i++) {
        th_exceptions_free(&pp[i].view);
        th_exceptions_free(&pp[i].exc);
        th_labels_free(&pp[i].labels);
    }
    free(pp);
    th_replay_free(&rp);
    th_diags_free(&diags);
    return rc;
}
