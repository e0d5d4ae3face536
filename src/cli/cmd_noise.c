/* trailhound noise --rule RULE --data PATH...: which single condition would
 * remove the most of a rule's alerts (tune/noise.h), each verified by
 * replaying the rule with the clause added. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/timeutil.h"
#include "cli/args.h"
#include "cli/enrich.h"
#include "cli/guard.h"
#include "cli/tune_cli.h"
#include "cli/verbs.h"
#include "ecs/schema.h"
#include "tune/noise.h"
#include "tune/replay.h"
#include "json/json.h"

static const th_opt opts[] = {
    {"rule", TH_OPT_VALUE, "RULE", "the rule: FILE or FILE@REV"},
    {"data", TH_OPT_MULTI, "PATH", "CloudTrail or ECS data (files, directories, gzip, -)"},
    {"from", TH_OPT_VALUE, "T", TH_CLI_FROM_HELP},
    {"to", TH_OPT_VALUE, "T", TH_CLI_TO_HELP},
    {"field", TH_OPT_MULTI, "FIELD",
     "more fields to consider (besides investigation fields "
     "and common ones)"},
    {"labels", TH_OPT_VALUE, "FILE",
     "labels.ndjson: candidates removing true positives rank lower"},
    {"expect", TH_OPT_VALUE, "FILE", "event ids that must keep alerting, one per line"},
    {"top", TH_OPT_VALUE, "N", "candidates shown (default 10)"},
    {"verify", TH_OPT_VALUE, "N", "replay the top N with their clause added (default 5; 0: off)"},
    {"min", TH_OPT_VALUE, "N", "leave out candidates removing fewer alerts (default 1)"},
    {"format", TH_OPT_VALUE, "text|json", "output (default text)"},
    TH_ENRICH_OPTS,
};

static size_t num(const th_args *a, const char *name, size_t def)
{
    const char *v = th_args_value(a, name);
    if (!v)
        return def;
    char *end;
    long n = strtol(v, &end, 10);
    return *end == 0 && n >= 0 ? (size_t)n : def;
}

static bool has(const char *const *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i], name) == 0)
            return true;
    return false;
}

/* The rule's investigation fields, the common ones, and --field; dates left
 * out (every alert has its own time, so no value removes more than one). */
static size_t noise_fields(const th_args *a, const th_rule *r, const char **out, size_t max)
{
    const char *cand[256];
    size_t nc = 0;
    for (size_t i = 0; i < r->investigation_fields.len && nc < 256; i++)
        cand[nc++] = r->investigation_fields.items[i];
    for (size_t i = 0; th_noise_common_fields[i] && nc < 256; i++)
        cand[nc++] = th_noise_common_fields[i];
    nc += th_args_values(a, "field", cand + nc, 256 - nc);
    size_t n = 0;
    for (size_t i = 0; i < nc && n < max; i++) {
        const th_field_def *d = th_schema_lookup(th_str_c(cand[i]));
        if ((d && d->type == TH_FT_DATE) || has(out, n, cand[i]))
            continue;
        out[n++] = cand[i];
    }
    return n;
}

/* Verified candidates first by the alerts the replay really removed (a
 * stable sort, so ties keep the estimate's order); the rest follow. */
static void verified_order(const th_replay *rp, size_t n, size_t nverify, size_t *order)
{
    size_t total = rp->alerts[0].len;
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < nverify; i++) { /* insertion sort: n is small */
        size_t k = order[i], j = i;
        size_t rk = total - (rp->alerts[k + 1].len < total ? rp->alerts[k + 1].len : total);
        while (j > 0) {
            size_t p = order[j - 1];
            size_t rpv = total - (rp->alerts[p + 1].len < total ? rp->alerts[p + 1].len : total);
            if (rpv >= rk)
                break;
            order[j] = p;
            j--;
        }
        order[j] = k;
    }
}

static void print_text(const th_rule *r, const th_replay *rp, const th_noise_cand *c, size_t n,
                       size_t top, size_t nverify, bool labels, const size_t *order)
{
    size_t total = rp->alerts[0].len;
    char f[32] = "-", t[32] = "-";
    if (rp->from_ms != TH_TIME_NONE)
        th_time_format_iso(rp->from_ms, f);
    if (rp->to_ms != TH_TIME_NONE)
        th_time_format_iso(rp->to_ms, t);
    printf("rule    %s (%s)\nalerts  %zu over %s .. %s (%llu events)\n\n", r->name ? r->name : "-",
           r->rule_id ? r->rule_id : "-", total, f, t, (unsigned long long)rp->events);
    if (n == 0) {
        printf("no single condition removes some alerts but not all\n");
        return;
    }
    printf("rank  removes        %s%s clause to add\n", labels ? "TP lost  " : "",
           nverify ? "replay   " : "");
    for (size_t ii = 0; ii < n && ii < top; ii++) {
        size_t i = order[ii];
        char pct[16];
        snprintf(pct, sizeof pct, "(%.1f%%)",
                 total ? 100.0 * (double)c[i].removed / (double)total : 0);
        printf("%4zu  %5zu %-8s ", ii + 1, c[i].removed, pct);
        if (labels)
            printf("%7zu  ", c[i].tp_removed);
        if (i < nverify) {
            const th_talerts *v = &rp->alerts[i + 1];
            if (rp->skipped[i + 1])
                printf("%-8s ", "n/a");
            else
                printf("%-8zu ", total > v->len ? total - v->len : 0);
        } else if (nverify) {
            printf("%-8s ", "");
        }
        printf(" %s\n", c[i].kql);
    }
    if (nverify)
        printf("\nremoves: alerts holding the value (an estimate); replay: alerts the rule really\n"
               "loses with the clause added (the top %zu, replayed; they rank by it). For\n"
               "new_terms and threshold rules the two differ: a later event can take the place\n"
               "of a removed one.\n",
               nverify);
}

static void print_json(const th_rule *r, const th_replay *rp, const th_noise_cand *c, size_t n,
                       size_t top, size_t nverify, const size_t *order)
{
    th_buf b;
    th_buf_init(&b);
    th_jw w;
    th_jw_init(&w, &b);
    th_jw_obj(&w);
    th_jw_key(&w, "rule");
    th_jw_cstr(&w, r->name ? r->name : "");
    th_jw_key(&w, "alerts");
    th_jw_int(&w, (int64_t)rp->alerts[0].len);
    th_jw_key(&w, "candidates");
    th_jw_arr(&w);
    static const char *const kinds[] = {"value", "missing", "prefix"};
    for (size_t ii = 0; ii < n && ii < top; ii++) {
        size_t i = order[ii];
        th_jw_obj(&w);
        th_jw_key(&w, "kind");
        th_jw_cstr(&w, kinds[c[i].kind]);
        th_jw_key(&w, "field");
        th_jw_cstr(&w, c[i].field);
        th_jw_key(&w, "value");
        th_jw_str(&w, c[i].value);
        th_jw_key(&w, "removes");
        th_jw_int(&w, (int64_t)c[i].removed);
        th_jw_key(&w, "tp_removed");
        th_jw_int(&w, (int64_t)c[i].tp_removed);
        if (i < nverify && !rp->skipped[i + 1]) {
            th_jw_key(&w, "alerts_after_replay");
            th_jw_int(&w, (int64_t)rp->alerts[i + 1].len);
        }
        th_jw_key(&w, "kql");
        th_jw_cstr(&w, c[i].kql);
        th_jw_end(&w);
    }
    th_jw_end(&w);
    th_jw_end(&w);
    th_buf_putc(&b, '\n');
    th_buf_write(&b, stdout);
    th_buf_free(&b);
}

int th_cmd_noise(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "noise", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help("trailhound noise --rule RULE --data PATH... [options]",
                     "Replays the rule and ranks single conditions that would remove the most of\n"
                     "its alerts: a field value, a field's absence, a value prefix; each with the\n"
                     "KQL clause to add. The top ones are checked by replaying the rule with the\n"
                     "clause added.\n\n"
                     "example: trailhound noise --rule rule.toml --data ev/",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *rulespec = th_args_value(&a, "rule"), *fmt = th_args_value(&a, "format");
    const char *data[TH_ARGS_MAX];
    size_t ndata = th_args_values(&a, "data", data, TH_ARGS_MAX);
    if (!rulespec || ndata == 0 || a.npos ||
        (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0)) {
        fprintf(stderr,
                "trailhound noise: need --rule and --data; --format text|json (try --help)\n");
        return TH_EXIT_USAGE;
    }
    if (!th_cli_paths_ok("noise", "--data", TH_ROLE_DATA, data, ndata) ||
        (!strchr(rulespec, '@') &&
         !th_cli_paths_ok("noise", "--rule", TH_ROLE_OTHER, &rulespec, 1)))
        return TH_EXIT_USAGE;
    th_replay_opts ro = {data, ndata, TH_TIME_NONE, TH_TIME_NONE, NULL, NULL, NULL, false, NULL};
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&a, &mo, &paths);
    ro.mo = &mo;
    if (!th_tune_cli_period("noise", &a, &ro.from_ms, &ro.to_ms))
        return TH_EXIT_USAGE;
    th_diags diags;
    th_diags_init(&diags);
    ro.diags = &diags;
    int rc = TH_EXIT_OK;
    th_replay rp, vr;
    th_replay_init(&rp);
    th_replay_init(&vr);
    th_labels labels;
    th_labels_init(&labels);
    bool have_labels = false;
    th_arena arena;
    th_arena_init(&arena, 1 << 16);
    const th_rule *r = th_replay_load(&rp, rulespec, &diags);
    if (!r || !th_tune_cli_labels("noise", &a, r, &labels, &have_labels)) {
        th_diags_print(&diags, stderr);
        rc = TH_EXIT_USAGE;
        goto out;
    }
    th_replay_add(&rp, r, NULL);
    if (!th_replay_run(&rp, &ro) || rp.skipped[0]) {
        th_diags_print(&diags, stderr);
        if (rp.skipped[0])
            fprintf(stderr, "trailhound noise: the rule did not run: %s\n", rp.skipped[0]);
        rc = rp.skipped[0] ? TH_EXIT_FINDINGS : TH_EXIT_USAGE;
        goto out;
    }
    const char *fields[128];
    th_noise_opts no = {fields, noise_fields(&a, r, fields, 128), have_labels ? &labels : NULL,
                        num(&a, "min", 1), 64};
    th_noise_cand *c;
    size_t n = th_noise_rank(&arena, &rp.alerts[0], &no, &c);
    size_t top = num(&a, "top", 10), nverify = num(&a, "verify", 5);
    if (nverify > top)
        nverify = top;
    if (nverify > n)
        nverify = n;
    if (nverify > TH_REPLAY_MAX_RULES - 1)
        nverify = TH_REPLAY_MAX_RULES - 1;
    /* Verification: the rule again (index 0, for the same period) plus one
     * version per candidate with its clause appended, all in one pass. */
    if (nverify) {
        th_replay_add(&vr, r, NULL);
        for (size_t i = 0; i < nverify; i++) {
            char *q = th_arena_printf(&arena, "(%s)\n%s", r->query, c[i].kql);
            th_replay_add(&vr, r, q);
        }
        ro.from_ms = rp.from_ms;
        ro.to_ms = rp.to_ms;
        th_replay_run(&vr, &ro);
    }
    const th_replay *shown = nverify ? &vr : &rp;
    size_t *order = th_arena_alloc(&arena, (n + 1) * sizeof *order);
    verified_order(shown, n, nverify, order);
    if (fmt && strcmp(fmt, "json") == 0)
        print_json(r, shown, c, n, top, nverify, order);
    else
        print_text(r, shown, c, n, top, nverify, have_labels, order);
out:
    th_arena_free(&arena);
    th_labels_free(&labels);
    th_replay_free(&vr);
    th_replay_free(&rp);
    th_diags_free(&diags);
    return rc;
}
