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
    {"before", TH_OPT_VALUE, "OLD", "the old version: FILE or FILE@REV (git revision)"},
    {"after", TH_OPT_VALUE, "NEW", "the new version: FILE or FILE@REV"},
    {"data", TH_OPT_MULTI, "PATH", "CloudTrail or ECS data (files, directories, gzip, -)"},
    {"from", TH_OPT_VALUE, "T", TH_CLI_FROM_HELP},
    {"to", TH_OPT_VALUE, "T", TH_CLI_TO_HELP},
    {"exceptions", TH_OPT_MULTI, "FILE", "exception lists, as for run (Kibana NDJSON or TOML), for both versions"},
    {"labels", TH_OPT_VALUE, "FILE", "labels.ndjson from `trailhound emulate` (true positives)"},
    {"expect", TH_OPT_VALUE, "FILE", "event ids that must keep alerting, one per line"},
    {"report", TH_OPT_VALUE, "FILE.html", "also write a self-contained HTML report"},
    {"rules", TH_OPT_VALUE, "DIR",
     "a detection-rules checkout: --before/--after are git revisions of it (the whole pack)"},
    {"format", TH_OPT_VALUE, "text|json|markdown",
     "output (default text; markdown: the evidence section of a pull request)"},
    {"sample", TH_OPT_VALUE, "N", "alerts shown per sample (default 5)"},
    {"top", TH_OPT_VALUE, "N", "values shown per field (default 5)"},
    {"color", TH_OPT_FLAG, NULL, "colour the per-day bars (the default on a terminal unless NO_COLOR is set)"},
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
static int write_report(const char *path, const th_tune_diff *d, const th_tune_meta *m,
                        const char *const *inputs, size_t ninputs)
{
    th_outfile of;
    if (!th_outfile_open(&of, "tune", path, inputs, ninputs))
        return -1;
    th_buf b;
    th_buf_init(&b);
    th_tune_render_html(&b, d, m);
    int rc = th_buf_write(&b, of.f) == 0 ? 0 : -1;
    if (rc == 0 && !th_outfile_commit(&of))
        rc = -1;
    else if (rc != 0)
        th_outfile_discard(&of);
    th_buf_free(&b);
    return rc;
}

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
            "Exit 1 when labeled true positives are lost.\n\n"
            "example: trailhound tune --before old.toml --after new.toml --data ev/ --report r.html",
            opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *before = th_args_value(&a, "before"), *after = th_args_value(&a, "after");
    const char *data[TH_ARGS_MAX];
    size_t ndata = th_args_values(&a, "data", data, TH_ARGS_MAX);
    const char *fmt = th_args_value(&a, "format");
    if (!before || !after || ndata == 0 || a.npos ||
        (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0 &&
         strcmp(fmt, "markdown") != 0)) {
        fprintf(stderr, "trailhound tune: need --before, --after and --data; --format "
                        "text|json|markdown (try --help)\n");
        return TH_EXIT_USAGE;
    }
    /* with --rules DIR, --before/--after are git revisions of DIR, not paths */
    bool revs = th_args_value(&a, "rules") != NULL;
    if (!th_cli_paths_ok("tune", "--data", TH_ROLE_DATA, data, ndata) ||
        (!revs && !strchr(before, '@') &&
         !th_cli_paths_ok("tune", "--before", TH_ROLE_OTHER, &before, 1)) ||
        (!revs && !strchr(after, '@') &&
         !th_cli_paths_ok("tune", "--after", TH_ROLE_OTHER, &after, 1)))
        return TH_EXIT_USAGE;
    th_replay_opts ro = {data, ndata, TH_TIME_NONE, TH_TIME_NONE, NULL, NULL, NULL, false, NULL, NULL, NULL};
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&a, &mo, &paths);
    ro.mo = &mo;
    if (!th_tune_cli_period("tune", &a, &ro.from_ms, &ro.to_ms))
        return TH_EXIT_USAGE;
    const char *rules_dir = th_args_value(&a, "rules");
    if (rules_dir || (th_tune_cli_is_dir(before) && th_tune_cli_is_dir(after))) {
        if (fmt && strcmp(fmt, "markdown") == 0) {
            fprintf(stderr, "trailhound tune: a pack comparison prints text or json\n");
            return TH_EXIT_USAGE;
        }
        return th_tune_cli_pack(rules_dir, before, after, &ro, fmt, num_opt(&a, "top", 30));
    }
    th_diags diags;
    th_diags_init(&diags);
    ro.diags = &diags;
    th_replay rp;
    th_replay_init(&rp);
    const th_rule *old = th_replay_load(&rp, before, &diags);
    const th_rule *new = th_replay_load(&rp, after, &diags);
    int rc = TH_EXIT_OK;
    th_labels labels;
    th_labels_init(&labels);
    bool have_labels = false;
    th_exceptions exc, excview;
    th_exceptions_init(&exc);
    th_exceptions_init(&excview);
    if (!old || !new) {
        th_diags_print(&diags, stderr);
        rc = TH_EXIT_USAGE;
        goto out;
    }
    if (!th_tune_cli_labels("tune", &a, new, &labels, &have_labels) ||
        !th_tune_cli_exceptions("tune", &a, new, &exc, &excview)) {
        rc = TH_EXIT_USAGE;
        goto out;
    }
    if (excview.len)
        ro.exc = &excview;
    th_replay_add(&rp, old, NULL);
    th_replay_add(&rp, new, NULL);
    if (!th_replay_run(&rp, &ro)) {
        th_diags_print(&diags, stderr);
        rc = TH_EXIT_USAGE;
        goto out;
    }
    for (size_t i = 0; i < diags.len; i++)
        if (diags.items[i].severity == TH_SEV_ERROR)
            th_diag_print(&diags.items[i], stderr);
    for (size_t i = 0; i < 2; i++)
        if (rp.skipped[i]) {
            fprintf(stderr, "trailhound tune: %s did not run: %s\n", i ? after : before,
                    rp.skipped[i]);
            rc = TH_EXIT_FINDINGS;
        }
    const char *fields[64], *group[64];
    size_t nfields = th_tune_cli_fields(new, fields, 64), ngroup = 0;
    for (size_t i = 0; i < nfields; i++) { /* dates: every alert its own value */
        const th_field_def *fd = th_schema_lookup(th_str_c(fields[i]));
        if (!fd || fd->type != TH_FT_DATE)
            group[ngroup++] = fields[i];
    }
    /* per-day rows span the replayed period (the data's, unless --from/--to) */
    int64_t day_from = ro.from_ms != TH_TIME_NONE ? ro.from_ms : rp.from_ms;
    int64_t day_to = ro.to_ms != TH_TIME_NONE   ? ro.to_ms
                     : rp.to_ms != TH_TIME_NONE ? rp.to_ms + 1
                                                : TH_TIME_NONE;
    th_tune_opts to = {group,    ngroup, num_opt(&a, "top", 5),
                       day_from, day_to, have_labels ? &labels : NULL};
    th_arena arena;
    th_arena_init(&arena, 1 << 16);
    th_tune_diff d;
    th_tune_diff_compute(&arena, &rp.alerts[0], &rp.alerts[1], &to, &d);
    th_buf datalabel;
    th_buf_init(&datalabel);
    for (size_t i = 0; i < ndata; i++)
        th_buf_printf(&datalabel, "%s%s", i ? " " : "", data[i]);
    th_buf_printf(&datalabel, " (%llu events)", (unsigned long long)rp.events);
    th_buf datapaths;
    th_buf_init(&datapaths);
    for (size_t i = 0; i < ndata; i++)
        th_buf_printf(&datapaths, "%s%s", i ? " " : "", data[i]);
    th_tune_meta m = {.rule_name = new->name,
                      .rule_id = new->rule_id,
                      .before_label = before,
                      .after_label = after,
                      .data_label = datalabel.data,
                      .sample_fields = fields,
                      .nsample_fields = nfields,
                      .sample_n = num_opt(&a, "sample", 5),
                      .color = !th_args_flag(&a, "no-color") && th_cli_colour(stdout),
                      .before_query = old->query,
                      .after_query = new->query,
                      .from_ms = day_from,
                      .to_ms = ro.to_ms != TH_TIME_NONE ? ro.to_ms : rp.to_ms,
                      .events = rp.events,
                      .provenance = th_tune_cli_provenance(data, ndata)};
    th_buf out;
    th_buf_init(&out);
    if (fmt && strcmp(fmt, "json") == 0)
        th_tune_render_json(&out, &d, &m);
    else if (fmt && strcmp(fmt, "markdown") == 0) {
        m.data_label = datapaths.data;
        th_tune_render_markdown(&out, &d, &m);
    } else
        th_tune_render_text(&out, &d, &m);
    th_buf_write(&out, stdout);
    th_buf_free(&out);
    const char *report = th_args_value(&a, "report");
    if (report) {
        if (write_report(report, &d, &m, data, ndata) != 0) {
            fprintf(stderr, "trailhound tune: cannot write %s\n", report);
            rc = TH_EXIT_USAGE;
        } else {
            fprintf(stderr, "tune: report written to %s\n", report);
        }
    }
    if (rc == TH_EXIT_OK && d.has_labels && d.tp_lost)
        rc = TH_EXIT_FINDINGS;
    th_buf_free(&datalabel);
    th_buf_free(&datapaths);
    th_arena_free(&arena);
out:
    th_exceptions_free(&excview);
    th_exceptions_free(&exc);
    th_labels_free(&labels);
    th_replay_free(&rp);
    th_diags_free(&diags);
    return rc;
}
