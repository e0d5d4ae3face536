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
#include "base/file.h"
#include "engine/exceptions.h"
#include "tune/apply.h"
#include "tune/replay.h"
#include "tune/report.h"
#include "json/json.h"

static const th_opt opts[] = {
    {"rule", TH_OPT_VALUE, "RULE", "the rule: FILE or FILE@REV"},
    {"data", TH_OPT_MULTI, "PATH", "CloudTrail or ECS data (files, directories, gzip, -)"},
    {"from", TH_OPT_VALUE, "T", TH_CLI_FROM_HELP},
    {"to", TH_OPT_VALUE, "T", TH_CLI_TO_HELP},
    {"exceptions", TH_OPT_MULTI, "FILE", "exception lists, as for run (Kibana NDJSON or TOML): noise among what they leave"},
    {"field", TH_OPT_MULTI, "FIELD",
     "more fields to consider (besides investigation fields "
     "and common ones)"},
    {"labels", TH_OPT_VALUE, "FILE",
     "labels.ndjson: each suggestion reports the true positives it loses; none lost ranks first"},
    {"expect", TH_OPT_VALUE, "FILE", "event ids that must keep alerting, one per line"},
    {"top", TH_OPT_VALUE, "N", "suggestions shown (default 10; scope conditions follow, flagged)"},
    {"verify", TH_OPT_VALUE, "N", "replay the top N with their clause added (default 5; 0: off)"},
    {"min", TH_OPT_VALUE, "N", "leave out clusters of fewer alerts (default 2; 1 under 4 alerts)"},
    {"format", TH_OPT_VALUE, "text|json|markdown",
     "output (default text; markdown: the evidence section of a pull request)"},
    {"apply", TH_OPT_VALUE, "N",
     "apply suggestion N: the rule file with its clause (identity: an exception list), then "
     "replay"},
    {"out", TH_OPT_VALUE, "FILE",
     "with --apply: write here (default: the rule file itself; identity: RULE.exceptions.toml "
     "and RULE.exceptions.ndjson; FILE.ndjson: Kibana NDJSON, else TOML)"},
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

/* The rule's investigation fields and --field (noise adds its own
 * attributes); dates left out: every alert has its own time. */
static size_t noise_fields(const th_args *a, const th_rule *r, const char **out, size_t max)
{
    const char *cand[256];
    size_t nc = 0;
    for (size_t i = 0; i < r->investigation_fields.len && nc < 256; i++)
        cand[nc++] = r->investigation_fields.items[i];
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

static void observe(void *ctx, const th_jval *doc, bool selected)
{
    th_noise_observe(ctx, doc, selected);
}

/* The suggestions shown: the top `top` that do not blind the rule, then the
 * three scope clusters holding the most alerts (the tempting ones), flagged.
 * Returns how many; `nblind` of them are scope clusters at the end. */
static size_t pick(th_noise_cluster **c, size_t n, size_t top, th_noise_cluster **out,
                   size_t *nblind)
{
    size_t k = 0, b = 0;
    for (size_t i = 0; i < n && k < top; i++)
        if (c[i]->cls != TH_NOISE_SCOPE)
            out[k++] = c[i];
    for (size_t i = 0; i < n; i++) {
        if (c[i]->cls != TH_NOISE_SCOPE)
            continue;
        size_t j = b < 3 ? b++ : 3;
        while (j > 0 && out[k + j - 1]->alerts < c[i]->alerts) {
            if (j < 3)
                out[k + j] = out[k + j - 1];
            j--;
        }
        if (j < 3)
            out[k + j] = c[i];
    }
    *nblind = b;
    return k + b;
}

typedef struct shown {
    const th_rule *r;
    const th_replay *rp; /* the first replay: alerts and period */
    const th_replay *vr; /* verification: version 0 again, then one per verified suggestion */
    th_noise_cluster **c;
    size_t n, nblind, nverify, events, selected;
    bool labels;
    size_t tp_alerts; /* labeled true positives among the alerts */
    const char *data, *provenance; /* the --data paths, where they came from */
} shown;

static long replayed(const shown *s, size_t i)
{
    if (i >= s->nverify || s->vr->skipped[i + 1])
        return -1;
    size_t total = s->vr->alerts[0].len, after = s->vr->alerts[i + 1].len;
    return (long)(total > after ? total - after : 0);
}

static void print_row(const shown *s, size_t i, size_t rank)
{
    const th_noise_cluster *c = s->c[i];
    char days[48], tp[24] = "?", rep[24] = "";
    snprintf(days, sizeof days, "%zu/%zu", c->days,
             c->recurrence > 0 ? (size_t)((double)c->days / c->recurrence + 0.5) : c->days);
    if (s->labels)
        snprintf(tp, sizeof tp, "%zu", c->tp);
    long rv = replayed(s, i);
    if (rv >= 0)
        snprintf(rep, sizeof rep, "%ld", rv);
    printf("%4zu  %-10s %6zu %5.1f%% %6.1f %7s %7s %6s  ", rank, th_noise_class_names[c->cls],
           c->alerts, 100 * c->coverage, c->lift_data, days, tp, rep);
    if (c->cls == TH_NOISE_IDENTITY)
        printf("exception: %s\n", c->positive);
    else if (c->cls == TH_NOISE_SCOPE)
        printf("BLINDING%s: %s\n", c->removes_all ? " (every alert)" : "", c->kql);
    else
        printf("%s\n", c->kql);
    for (size_t k = 0; k < c->nsame; k++)
        printf("%*s  same alerts: %s\n", 58, "", c->same[k]->positive);
}

static void print_text(const shown *s)
{
    const th_replay *rp = s->rp;
    size_t total = rp->alerts[0].len;
    char f[32] = "-", t[32] = "-";
    if (rp->from_ms != TH_TIME_NONE)
        th_time_format_iso(rp->from_ms, f);
    if (rp->to_ms != TH_TIME_NONE)
        th_time_format_iso(rp->to_ms, t);
    printf("rule    %s (%s)\nalerts  %zu over %s .. %s (%zu events; the query selects %zu)\n",
           s->r->name ? s->r->name : "-", s->r->rule_id ? s->r->rule_id : "-", total, f, t,
           s->events, s->selected);
    if (s->labels)
        printf("true positives: %zu of the alerts are labeled true positives; suggestions losing "
               "none rank first\n\n",
               s->tp_alerts);
    else
        printf("true positives: unknown (no --labels or --expect): check what each suggestion "
               "would remove\n\n");
    if (s->n == 0) {
        printf("no cluster of alerts explains some alerts but not all\n");
        return;
    }
    printf("rank  class      alerts  share   lift    days TP lost replay  suggestion\n");
    size_t nplain = s->n - s->nblind;
    for (size_t i = 0; i < nplain; i++)
        print_row(s, i, i + 1);
    if (s->nblind) {
        printf("\nscope conditions (they blind the rule to a whole region, account, service or "
               "action; never ranked first):\n");
        for (size_t i = nplain; i < s->n; i++)
            print_row(s, i, i + 1);
    }
    printf(
        "\nshare: of the alerts; lift: how much more often the alerts hold the conditions than\n"
        "the events of the data; days: days with such alerts (many: automation, one: a burst);\n"
        "identity clusters are exception-list items, not query changes; replay: alerts the rule\n"
        "really loses with the clause added (the top %zu, replayed).\n",
        s->nverify);
}

static void md_row(th_buf *o, const shown *s, size_t i)
{
    const th_noise_cluster *c = s->c[i];
    th_buf_printf(o, "| %zu | %s | %zu | %.1f%% | %.1f | %zu | ", i + 1,
                  th_noise_class_names[c->cls], c->alerts, 100 * c->coverage, c->lift_data,
                  c->days);
    if (s->labels)
        th_buf_printf(o, "%zu", c->tp);
    else
        th_buf_puts(o, "unknown");
    long rv = replayed(s, i);
    if (rv >= 0)
        th_buf_printf(o, " | %ld | ", rv);
    else
        th_buf_puts(o, " | | ");
    if (c->cls == TH_NOISE_IDENTITY) {
        th_buf_puts(o, "exception list: ");
        th_md_code(o, th_str_c(c->positive));
    } else {
        if (c->cls == TH_NOISE_SCOPE)
            th_buf_puts(o, c->removes_all ? "**blinding, every alert:** " : "**blinding:** ");
        th_md_code(o, th_str_c(c->kql));
    }
    for (size_t k = 0; k < c->nsame; k++) {
        th_buf_puts(o, "<br>same alerts: ");
        th_md_code(o, th_str_c(c->same[k]->positive));
    }
    th_buf_puts(o, " |\n");
}

static void print_markdown(const shown *s)
{
    th_buf o;
    th_buf_init(&o);
    th_buf_puts(&o, "### Noise analysis: ");
    th_md_cell(&o, th_str_c(s->r->name ? s->r->name : "(unnamed rule)"));
    th_buf_puts(&o, "\n\n");
    if (s->r->rule_id) {
        th_buf_puts(&o, "- **Rule:** ");
        th_md_code(&o, th_str_c(s->r->rule_id));
        th_buf_putc(&o, '\n');
    }
    th_md_period(&o, s->rp->from_ms, s->rp->to_ms, s->events, s->data, s->provenance);
    th_buf_printf(&o, "- **Alerts:** %zu (the query selects %zu events)\n", s->rp->alerts[0].len,
                  s->selected);
    if (s->labels)
        th_buf_printf(&o, "- **True positives:** %zu among the alerts (labeled); suggestions "
                          "losing none rank first\n",
                      s->tp_alerts);
    else
        th_buf_puts(&o, "- **True positives:** unknown (no labels given): check what each "
                        "suggestion removes\n");
    th_buf_puts(&o, "\n| # | class | alerts | share | lift | days | TP lost | replayed | "
                    "suggestion |\n|---:|---|---:|---:|---:|---:|---:|---:|---|\n");
    for (size_t i = 0; i < s->n; i++)
        md_row(&o, s, i);
    th_buf_puts(&o, "\n*provenance*: how the call was made (a query clause); *identity*: who "
                    "made it (an exception-list item); *scope*: where (excluding it blinds the "
                    "rule). *lift*: how much more often the alerts hold the conditions than the "
                    "events of the data; *days*: days with such alerts; *replayed*: alerts the "
                    "rule really loses with the clause added.\n");
    th_buf_write(&o, stdout);
    th_buf_free(&o);
}

/* The rule's text as loaded: FILE, or FILE@REV through git. */
static char *rule_text(const char *spec, size_t *len, bool *at_rev)
{
    const char *at = strrchr(spec, '@'), *slash = strrchr(spec, '/');
    *at_rev = at && (!slash || at > slash) && at[1];
    if (!*at_rev)
        return th_file_read(spec, len);
    char *path = strdup(spec);
    path[at - spec] = 0;
    char *t = th_git_show(path, at + 1, len);
    free(path);
    return t;
}

static bool write_file(const char *path, const th_buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(b->data, 1, b->len, f) == b->len;
    return fclose(f) == 0 && ok;
}

/* --apply N: writes the suggestion where it belongs and replays the rule
 * with it, so the counts before/after are the engine's. */
static int apply(const th_args *a, const char *spec, const shown *s, size_t n,
                 const th_replay_opts *ro)
{
    if (n == 0 || n > s->n) {
        fprintf(stderr, "trailhound noise: --apply %zu: there are %zu suggestions\n", n, s->n);
        return TH_EXIT_USAGE;
    }
    const th_noise_cluster *c = s->c[n - 1];
    const char *out = th_args_value(a, "out");
    size_t len;
    bool at_rev;
    char *text = rule_text(spec, &len, &at_rev);
    th_buf b, target, b2, target2; /* identity without --out: TOML, then NDJSON */
    th_buf_init(&b);
    th_buf_init(&target);
    th_buf_init(&b2);
    th_buf_init(&target2);
    int rc = TH_EXIT_OK;
    bool ident = c->cls == TH_NOISE_IDENTITY;
    if (ident) {
        size_t ol = out ? strlen(out) : 0;
        if (out && ol > 7 && strcmp(out + ol - 7, ".ndjson") == 0) {
            th_apply_exception_ndjson(&b, s->r, c);
            th_buf_puts(&target, out);
        } else if (out) {
            th_apply_exception_toml(&b, s->r, c);
            th_buf_puts(&target, out);
        } else {
            const char *base = at_rev ? s->r->path : spec;
            size_t bl = strlen(base);
            if (at_rev && strrchr(base, '@'))
                bl = (size_t)(strrchr(base, '@') - base);
            if (bl > 5 && memcmp(base + bl - 5, ".toml", 5) == 0)
                bl -= 5;
            th_apply_exception_toml(&b, s->r, c);
            th_buf_printf(&target, "%.*s.exceptions.toml", (int)bl, base);
            th_apply_exception_ndjson(&b2, s->r, c);
            th_buf_printf(&target2, "%.*s.exceptions.ndjson", (int)bl, base);
            th_buf_putc(&target2, 0);
        }
    } else {
        char err[160];
        if (!text || (at_rev && !out)) {
            fprintf(stderr, "trailhound noise: --apply: %s\n",
                    text ? "the rule is a git revision: name the file to write with --out"
                         : "cannot read the rule file");
            rc = TH_EXIT_USAGE;
            goto done;
        }
        if (!th_apply_clause(&b, text, len, s->r, c->kql, err, sizeof err)) {
            fprintf(stderr, "trailhound noise: --apply: %s\n", err);
            rc = TH_EXIT_USAGE;
            goto done;
        }
        th_buf_puts(&target, out ? out : spec);
    }
    th_buf_putc(&target, 0);
    if (!write_file(target.data, &b) || (target2.len && !write_file(target2.data, &b2))) {
        fprintf(stderr, "trailhound noise: cannot write %s\n",
                target2.len ? target2.data : target.data);
        rc = TH_EXIT_USAGE;
        goto done;
    }
    if (c->cls == TH_NOISE_SCOPE)
        fprintf(stderr, "trailhound noise: warning: suggestion %zu is a scope condition: the rule "
                        "no longer sees that scope at all\n", n);
    /* the replay: the written rule, or the rule with the written exceptions */
    th_diags d;
    th_diags_init(&d);
    th_replay rp;
    th_replay_init(&rp);
    th_exceptions exc, view;
    th_exceptions_init(&exc);
    th_exceptions_init(&view);
    th_replay_opts o = *ro;
    o.diags = &d;
    o.observe = NULL;
    o.from_ms = s->rp->from_ms;
    o.to_ms = s->rp->to_ms;
    const th_rule *r2 = ident ? s->r : th_replay_load(&rp, target.data, &d);
    bool read_back = true; /* each written list reads back as its one item */
    if (ident) {
        read_back = th_exceptions_load(&exc, target.data, &d) == 1;
        if (target2.len) { /* the same item in the other format: replayed once */
            th_exceptions other;
            th_exceptions_init(&other);
            read_back &= th_exceptions_load(&other, target2.data, &d) == 1;
            th_exceptions_free(&other);
        }
        th_exceptions_for_rule(&exc, s->r, &s->r, 1, &view);
        o.exc = &view;
    }
    size_t after = 0;
    bool ran = read_back && r2 && (th_replay_add(&rp, r2, NULL), th_replay_run(&rp, &o)) &&
               !rp.skipped[0];
    if (ran)
        after = rp.alerts[0].len;
    bool nd = ident && !target2.len && strstr(target.data, ".ndjson");
    printf("applied %zu: %s\nwrote %s (%s)\n", n, ident ? c->positive : c->kql, target.data,
           !ident ? "the rule with the clause added to its query"
           : nd   ? "an exception list, Kibana NDJSON export; run --exceptions reads it"
                  : "an exception list, detection-rules TOML; run --exceptions reads it");
    if (target2.len)
        printf("wrote %s (the same list as a Kibana NDJSON export, for Kibana's import)\n",
               target2.data);
    if (ran)
        printf("replayed: alerts %zu -> %zu\n", s->rp->alerts[0].len, after);
    else {
        th_diags_print(&d, stderr);
        fprintf(stderr, "trailhound noise: the applied version did not replay%s\n",
                read_back ? "" : " (a written exception list did not read back as one item)");
        rc = TH_EXIT_FINDINGS;
    }
    th_exceptions_free(&view);
    th_exceptions_free(&exc);
    th_replay_free(&rp);
    th_diags_free(&d);
done:
    free(text);
    th_buf_free(&b);
    th_buf_free(&target);
    th_buf_free(&b2);
    th_buf_free(&target2);
    return rc;
}

static void json_exception(th_jw *w, const th_noise_cluster *c)
{
    th_jw_key(w, "exception_entries");
    th_jw_arr(w);
    for (size_t k = 0; k < c->ncond; k++) {
        const th_noise_cond *d = &c->cond[k];
        th_jw_obj(w);
        th_jw_key(w, "field");
        th_jw_cstr(w, d->field);
        bool exists = d->kind == TH_NOISE_MISSING || d->kind == TH_NOISE_PRESENT;
        bool wild = d->kind == TH_NOISE_PREFIX || d->kind == TH_NOISE_PATTERN;
        th_jw_key(w, "type");
        th_jw_cstr(w, exists ? "exists" : wild ? "wildcard" : "match");
        th_jw_key(w, "operator");
        th_jw_cstr(w, d->kind == TH_NOISE_MISSING ? "excluded" : "included");
        if (!exists) {
            th_jw_key(w, "value");
            if (d->kind == TH_NOISE_PREFIX) {
                char *v = th_xcalloc(d->value.n + 2, 1);
                memcpy(v, d->value.p, d->value.n);
                v[d->value.n] = '*';
                th_jw_cstr(w, v);
                free(v);
            } else {
                th_jw_str(w, d->value);
            }
        }
        th_jw_end(w);
    }
    th_jw_end(w);
}

static void print_json(const shown *s)
{
    th_buf b;
    th_buf_init(&b);
    th_jw w;
    th_jw_init(&w, &b);
    th_jw_obj(&w);
    th_jw_key(&w, "rule");
    th_jw_cstr(&w, s->r->name ? s->r->name : "");
    th_jw_key(&w, "alerts");
    th_jw_int(&w, (int64_t)s->rp->alerts[0].len);
    th_jw_key(&w, "events");
    th_jw_int(&w, (int64_t)s->events);
    th_jw_key(&w, "selected");
    th_jw_int(&w, (int64_t)s->selected);
    th_jw_key(&w, "true_positives_known");
    th_jw_bool(&w, s->labels);
    th_jw_key(&w, "candidates");
    th_jw_arr(&w);
    static const char *const kinds[] = {"value", "missing", "prefix", "present", "cidr", "pattern"};
    for (size_t i = 0; i < s->n; i++) {
        const th_noise_cluster *c = s->c[i];
        th_jw_obj(&w);
        th_jw_key(&w, "class");
        th_jw_cstr(&w, th_noise_class_names[c->cls]);
        th_jw_key(&w, "blinding");
        th_jw_bool(&w, c->cls == TH_NOISE_SCOPE);
        th_jw_key(&w, "conditions");
        th_jw_arr(&w);
        for (size_t k = 0; k < c->ncond; k++) {
            th_jw_obj(&w);
            th_jw_key(&w, "kind");
            th_jw_cstr(&w, kinds[c->cond[k].kind]);
            th_jw_key(&w, "field");
            th_jw_cstr(&w, c->cond[k].field);
            th_jw_key(&w, "value");
            th_jw_str(&w, c->cond[k].value);
            th_jw_end(&w);
        }
        th_jw_end(&w);
        th_jw_key(&w, "removes");
        th_jw_int(&w, (int64_t)c->alerts);
        th_jw_key(&w, "tp_removed");
        if (s->labels)
            th_jw_int(&w, (int64_t)c->tp);
        else
            th_jw_null(&w);
        th_jw_key(&w, "days");
        th_jw_int(&w, (int64_t)c->days);
        th_jw_key(&w, "lift_data");
        th_jw_double(&w, c->lift_data);
        th_jw_key(&w, "lift_selected");
        th_jw_double(&w, c->lift_selected);
        th_jw_key(&w, "score");
        th_jw_double(&w, c->score);
        long rv = replayed(s, i);
        if (rv >= 0) {
            th_jw_key(&w, "alerts_after_replay");
            th_jw_int(&w, (int64_t)s->vr->alerts[i + 1].len);
        }
        th_jw_key(&w, "kql");
        th_jw_cstr(&w, c->kql);
        if (c->cls == TH_NOISE_IDENTITY)
            json_exception(&w, c);
        th_jw_key(&w, "same");
        th_jw_arr(&w);
        for (size_t k = 0; k < c->nsame; k++)
            th_jw_cstr(&w, c->same[k]->positive);
        th_jw_end(&w);
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
        th_args_help(
            "trailhound noise --rule RULE --data PATH... [options]",
            "Replays the rule and groups its alerts into clusters described by one or two\n"
            "attribute conditions (values, networks, ARN paths, user-agent families,\n"
            "presence or absence); ranks them by how many alerts they explain, how\n"
            "specific they are to the alerts (lift against the data and the rule's\n"
            "selection) and how they recur over days. Provenance clusters become query\n"
            "clauses, identity clusters exception-list items; scope clusters (region,\n"
            "account, service) blind the rule and are flagged. The top ones are checked\n"
            "by replaying the rule with the clause added.\n\n"
            "example: trailhound noise --rule rule.toml --data ev/ --labels labels.ndjson",
            opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *rulespec = th_args_value(&a, "rule"), *fmt = th_args_value(&a, "format");
    const char *data[TH_ARGS_MAX];
    size_t ndata = th_args_values(&a, "data", data, TH_ARGS_MAX);
    if (!rulespec || ndata == 0 || a.npos ||
        (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "json") != 0 &&
         strcmp(fmt, "markdown") != 0)) {
        fprintf(stderr, "trailhound noise: need --rule and --data; --format text|json|markdown "
                        "(try --help)\n");
        return TH_EXIT_USAGE;
    }
    if (!th_cli_paths_ok("noise", "--data", TH_ROLE_DATA, data, ndata) ||
        (!strchr(rulespec, '@') &&
         !th_cli_paths_ok("noise", "--rule", TH_ROLE_OTHER, &rulespec, 1)))
        return TH_EXIT_USAGE;
    th_replay_opts ro = {data, ndata, TH_TIME_NONE, TH_TIME_NONE, NULL, NULL, NULL, false, NULL, NULL, NULL, NULL, 0};
    th_mapper_opts mo;
    th_mapper_paths mpaths;
    th_cli_enrich_opts(&a, &mo, &mpaths);
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
    th_noise *noise = NULL;
    th_exceptions exc, excview;
    th_exceptions_init(&exc);
    th_exceptions_init(&excview);
    const th_rule *r = th_replay_load(&rp, rulespec, &diags);
    if (!r || !th_tune_cli_labels("noise", &a, r, &labels, &have_labels) ||
        !th_tune_cli_exceptions("noise", &a, r, &exc, &excview)) {
        th_diags_print(&diags, stderr);
        rc = TH_EXIT_USAGE;
        goto out;
    }
    if (excview.len)
        ro.exc = &excview;
    th_replay_add(&rp, r, NULL);
    if (!th_replay_run(&rp, &ro) || rp.skipped[0]) {
        th_diags_print(&diags, stderr);
        if (rp.skipped[0])
            fprintf(stderr, "trailhound noise: the rule did not run: %s\n", rp.skipped[0]);
        rc = rp.skipped[0] ? TH_EXIT_FINDINGS : TH_EXIT_USAGE;
        goto out;
    }
    /* Second pass: how often the data and the rule's selection hold each
     * cluster's conditions (the lifts). */
    const char *fields[128];
    size_t ndays = 0;
    if (rp.from_ms != TH_TIME_NONE && rp.to_ms != TH_TIME_NONE) {
        int64_t r0, r1;
        ndays = (size_t)(th_time_split_day(rp.to_ms, &r1) - th_time_split_day(rp.from_ms, &r0) + 1);
    }
    th_noise_opts no = {fields, noise_fields(&a, r, fields, 128), have_labels ? &labels : NULL,
                        num(&a, "min", 0), ndays};
    noise = th_noise_build(&arena, &rp.alerts[0], &no);
    th_replay obs;
    th_replay_init(&obs);
    th_replay_add(&obs, r, NULL);
    th_replay_opts oo = ro;
    oo.from_ms = rp.from_ms;
    oo.to_ms = rp.to_ms;
    oo.observe = observe;
    oo.observe_ctx = noise;
    th_replay_run(&obs, &oo);
    th_replay_free(&obs);
    th_noise_cluster **all;
    size_t nall = th_noise_rank(noise, &all);
    size_t top = num(&a, "top", 10), nverify = num(&a, "verify", 5);
    th_noise_cluster **c = th_arena_alloc(&arena, (top + 4) * sizeof *c);
    shown s = {r, &rp, &vr, c, 0, 0, 0, 0, 0, have_labels, 0, NULL, NULL};
    s.n = pick(all, nall, top, c, &s.nblind);
    th_noise_totals(noise, &s.events, &s.selected);
    for (size_t i = 0; i < rp.alerts[0].len; i++)
        s.tp_alerts += have_labels && th_labels_has(&labels, rp.alerts[0].items[i].id);
    if (nverify > s.n - s.nblind)
        nverify = s.n - s.nblind;
    if (nverify > TH_REPLAY_MAX_RULES - 1)
        nverify = TH_REPLAY_MAX_RULES - 1;
    if (r->language == TH_LANG_ESQL) /* the clauses are KQL: they do not append to a pipeline */
        nverify = 0;
    /* Verification: the rule again (index 0, for the same period) plus one
     * version per suggestion with its clause appended, all in one pass. */
    if (nverify) {
        th_replay_add(&vr, r, NULL);
        for (size_t i = 0; i < nverify; i++) {
            char *q = th_arena_printf(&arena, "(%s)\n%s", r->query, c[i]->kql);
            th_replay_add(&vr, r, q);
        }
        ro.from_ms = rp.from_ms;
        ro.to_ms = rp.to_ms;
        th_replay_run(&vr, &ro);
    }
    s.nverify = nverify;
    th_buf paths;
    th_buf_init(&paths);
    for (size_t i = 0; i < ndata; i++)
        th_buf_printf(&paths, "%s%s", i ? " " : "", data[i]);
    s.data = paths.data;
    s.provenance = th_tune_cli_provenance(data, ndata);
    if (th_args_value(&a, "apply") && r->language == TH_LANG_ESQL) {
        fprintf(stderr, "trailhound noise: --apply writes KQL clauses; for an ES|QL rule add the "
                        "suggested exception items, or a WHERE after FROM, by hand\n");
        rc = TH_EXIT_USAGE;
    } else if (th_args_value(&a, "apply"))
        rc = apply(&a, rulespec, &s, num(&a, "apply", 0), &ro);
    else if (fmt && strcmp(fmt, "json") == 0)
        print_json(&s);
    else if (fmt && strcmp(fmt, "markdown") == 0)
        print_markdown(&s);
    else
        print_text(&s);
    th_buf_free(&paths);
out:
    th_exceptions_free(&excview);
    th_exceptions_free(&exc);
    th_noise_free(noise);
    th_arena_free(&arena);
    th_labels_free(&labels);
    th_replay_free(&vr);
    th_replay_free(&rp);
    th_diags_free(&diags);
    return rc;
}
