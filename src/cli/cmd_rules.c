/* trailhound rules list|show|validate PATH...
 *
 * Sub-verbs live in the table below; `rules lint` is meant to be added there
 * (its own file, cmd_rules_lint.c, reusing rules_cli.h to load and print). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "engine/sequence.h"
#include "query/query.h"
#include "cli/guard.h"
#include "cli/report.h"
#include "cli/rules_cli.h"
#include "cli/verbs.h"

static int cmd_list(int argc, char **argv);
static int cmd_validate(int argc, char **argv);

static const struct {
    const char *name;
    th_verb_fn fn;
    const char *summary;
} subverbs[] = {
    {"list", cmd_list, "one line per rule: rule_id, type, language, severity, name"},
    {"show", th_cmd_rules_show, "a rule file, parsed, section by section"},
    {"validate", cmd_validate, "schema checks; problems as file:line:col: message"},
    {"lint", th_cmd_rules_lint, "reviewer checks: dates, spelling, fields vs schema, ATT&CK"},
};

static void rules_usage(FILE *f)
{
    fprintf(f, "usage: trailhound rules <list|show|validate|lint> [options] PATH...\n\n"
               "Reads Elastic detection-rules TOML files (rules and hunting queries); a\n"
               "directory is read recursively (*.toml, in name order).\n\nsub-verbs:\n");
    for (size_t i = 0; i < TH_NELEM(subverbs); i++)
        fprintf(f, "  %-10s %s\n", subverbs[i].name, subverbs[i].summary);
    fprintf(f, "\n`trailhound rules <sub-verb> --help` describes each.\n"
               "exit codes: 0 ok, 1 problems found in the rules, 2 usage error, missing path or\n"
               "no rule loaded.\n\nexample: trailhound rules validate --format sarif rules/ > rules.sarif\n");
}

int th_cmd_rules(int argc, char **argv)
{
    if (argc < 3) {
        rules_usage(stderr);
        return TH_EXIT_USAGE;
    }
    if (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0 ||
        strcmp(argv[2], "help") == 0) {
        rules_usage(stdout);
        return TH_EXIT_OK;
    }
    for (size_t i = 0; i < TH_NELEM(subverbs); i++)
        if (strcmp(argv[2], subverbs[i].name) == 0)
            return subverbs[i].fn(argc, argv);
    fprintf(stderr, "trailhound rules: unknown sub-verb '%s'\n\n", argv[2]);
    rules_usage(stderr);
    return TH_EXIT_USAGE;
}

/* ---- shared helpers ---- */

bool th_rules_cli_common_args(const char *verb, const th_args *a, const char *what, bool *json)
{
    const char *fmt = th_args_value(a, "format");
    *json = fmt && strcmp(fmt, "json") == 0;
    if (fmt && !*json && strcmp(fmt, "text") != 0) {
        fprintf(stderr, "trailhound %s: --format must be text or json\n", verb);
        return false;
    }
    if (a->npos == 0) {
        fprintf(stderr, "trailhound %s: no %s given (try --help)\n", verb, what);
        return false;
    }
    return true;
}

int th_rules_cli_load(const char *verb, th_ruleset *rs, th_diags *diags, const char *const *paths,
                      size_t n)
{
    if (!th_cli_paths_ok(verb, "PATH", TH_ROLE_RULES, paths, n))
        return TH_EXIT_USAGE;
    th_ruleset_load(rs, paths, n, diags);
    if (rs->len == 0 && rs->files_failed == 0)
        return th_cli_no_rules(verb, paths, n);
    return TH_EXIT_OK;
}

typedef struct {
    const th_diag *g;
    size_t idx;
} dref;

static int cmp_diag(const void *a, const void *b)
{
    const dref *x = a, *y = b;
    const char *fx = x->g->file ? x->g->file : "", *fy = y->g->file ? y->g->file : "";
    int c = strcmp(fx, fy);
    if (c)
        return c;
    if (x->g->line != y->g->line)
        return x->g->line < y->g->line ? -1 : 1;
    if (x->g->col != y->g->col)
        return x->g->col < y->g->col ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

void th_rules_cli_print_diags(const th_diags *d, FILE *f, bool errors_only)
{
    if (!d->len)
        return;
    dref *v = malloc(d->len * sizeof(*v));
    if (!v)
        return;
    for (size_t i = 0; i < d->len; i++)
        v[i] = (dref){&d->items[i], i};
    qsort(v, d->len, sizeof(*v), cmp_diag);
    for (size_t i = 0; i < d->len; i++)
        if (!errors_only || v[i].g->severity == TH_SEV_ERROR)
            th_diag_print(v[i].g, f);
    free(v);
}

static const char *orhyphen(const char *s)
{
    return s && *s ? s : "-";
}

/* ---- rules list ---- */

static const th_opt list_opts[] = {
    {"format", TH_OPT_VALUE, "text|json", "output format (default text)"},
    {"type", TH_OPT_VALUE, "TYPE", "only rules of this type (query, eql, esql, new_terms, ...)"},
};

static bool type_ok(const th_rule *r, const char *type)
{
    return !type || strcmp(th_rule_type_name(r->type), type) == 0 ||
           (r->type_name && strcmp(r->type_name, type) == 0);
}

static int cmd_list(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "rules list", list_opts, TH_NELEM(list_opts), argc, argv, 3))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help("trailhound rules list [--format text|json] [--type TYPE] PATH...",
                     "Lists the rules (and hunting queries) found under each PATH: rule_id, type,\n"
                     "language, severity and name, one per line; JSON gives an array of objects\n"
                     "(rule_id, name, type, language, severity, risk_score, path, schedule, ...).\n\n"
                     "example: trailhound rules list --type new_terms rules/",
                     list_opts, TH_NELEM(list_opts));
        return TH_EXIT_OK;
    }
    bool json;
    if (!th_rules_cli_common_args("rules list", &a, "PATH", &json))
        return TH_EXIT_USAGE;
    const char *type = th_args_value(&a, "type");
    th_ruleset rs;
    th_diags d;
    th_ruleset_init(&rs);
    th_diags_init(&d);
    int rc = th_rules_cli_load("rules list", &rs, &d, a.pos, a.npos);
    if (rc == TH_EXIT_OK) {
        th_buf out;
        th_buf_init(&out);
        if (json) {
            th_jw w;
            th_jw_init(&w, &out);
            th_jw_arr(&w);
            for (size_t i = 0; i < rs.len; i++)
                if (type_ok(rs.rules[i], type))
                    th_rules_cli_json(&w, rs.rules[i], false);
            th_jw_end(&w);
            th_buf_putc(&out, '\n');
        } else {
            for (size_t i = 0; i < rs.len; i++) {
                const th_rule *r = rs.rules[i];
                if (!type_ok(r, type))
                    continue;
                th_buf_printf(&out, "%-36s  %-16s  %-6s  %-8s  %s\n", orhyphen(r->rule_id),
                              r->type == TH_RULE_UNKNOWN ? orhyphen(r->type_name)
                                                         : th_rule_type_name(r->type),
                              r->language == TH_LANG_NONE ? "-" : th_rule_lang_name(r->language),
                              orhyphen(r->severity), orhyphen(r->name));
            }
        }
        th_buf_write(&out, stdout);
        th_buf_free(&out);
        th_rules_cli_print_diags(&d, stderr, false);
        rc = d.errors ? TH_EXIT_FINDINGS : TH_EXIT_OK;
    }
    th_diags_free(&d);
    th_ruleset_free(&rs);
    return rc;
}

/* ---- rules validate ---- */

static const th_opt validate_opts[] = {
    {"format", TH_OPT_VALUE, "text|json|sarif", "output format (default text); sarif: SARIF 2.1.0 for code scanning"},
    {"errors-only", TH_OPT_FLAG, NULL, "do not print warnings (unknown keys ...)"},
    {"no-duplicates", TH_OPT_FLAG, NULL, "skip the duplicate rule_id / name check across files"},
};

/* A query that compiles but holds what Elasticsearch rejects (a bad regex,
 * date, number or address): its errors, as `run` reports them when the rule
 * fails. Queries our compiler does not take are left to `run` (which lists
 * them as skipped with the reason): they may be our limit, not the rule's. */
static void check_query(const th_rule *r, th_diags *d)
{
    if (!r->query || r->type == TH_RULE_HUNT ||
        (r->language != TH_LANG_KUERY && r->language != TH_LANG_EQL) ||
        (r->language == TH_LANG_EQL && th_seq_is_sequence(r->query)))
        return;
    th_arena a;
    th_arena_init(&a, 1 << 14);
    th_diags local;
    th_diags_init(&local);
    th_qsource src = {r->path, r->query_line, r->query_col};
    th_query *q = r->language == TH_LANG_EQL
                      ? th_query_compile_eql(&a, r->query, strlen(r->query),
                                             r->event_category_override, &src, &local)
                      : th_query_compile(&a, TH_QLANG_KQL, r->query, strlen(r->query), &src, &local);
    for (size_t k = 0; q && k < local.len; k++) {
        const th_diag *g = &local.items[k];
        th_diag_at(d, g->severity, g->file, g->line, g->col, "%s", g->message);
    }
    th_diags_free(&local);
    th_arena_free(&a);
}

static int cmd_validate(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "rules validate", validate_opts, TH_NELEM(validate_opts), argc, argv, 3))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help(
            "trailhound rules validate [--format text|json|sarif] [--errors-only] PATH...",
            "Checks rule files against the detection-rules schema: required keys per rule\n"
            "type, value types and enums, dates, schedule syntax, ATT&CK mapping,\n"
            "new_terms / threshold / alert_suppression shape, ES|QL METADATA/STATS and\n"
            "KEEP, index; duplicate rule_id and name across the files given. Problems\n"
            "print as file:line:col: severity: message, then a summary line.\n"
            "Unknown keys are warnings. Exit 1 when there is any error.\n"
            "--format json: an array of {file, line, col, severity, message}; sarif: a SARIF\n"
            "2.1.0 log (GitHub code scanning). The summary line then goes to stderr.\n\n"
            "example: trailhound rules validate --format sarif rules/ > validate.sarif",
            validate_opts, TH_NELEM(validate_opts));
        return TH_EXIT_OK;
    }
    th_report_fmt fmt;
    if (!th_report_fmt_parse("rules validate", th_args_value(&a, "format"), &fmt))
        return TH_EXIT_USAGE;
    if (a.npos == 0) {
        fprintf(stderr, "trailhound rules validate: no PATH given (try --help)\n");
        return TH_EXIT_USAGE;
    }
    bool json = fmt != TH_REPORT_TEXT;
    bool errors_only = th_args_flag(&a, "errors-only");
    th_ruleset rs;
    th_diags d;
    th_ruleset_init(&rs);
    th_diags_init(&d);
    int rc = th_rules_cli_load("rules validate", &rs, &d, a.pos, a.npos);
    if (rc == TH_EXIT_OK) {
        size_t hunts = 0;
        for (size_t i = 0; i < rs.len; i++) {
            th_rule_validate(rs.rules[i], &d);
            check_query(rs.rules[i], &d);
            hunts += rs.rules[i]->type == TH_RULE_HUNT;
        }
        if (!th_args_flag(&a, "no-duplicates"))
            th_ruleset_check_duplicates(&rs, &d);
        if (json) {
            th_buf out;
            th_buf_init(&out);
            if (fmt == TH_REPORT_SARIF)
                th_report_diags_sarif(&d, errors_only, "trailhound/validate",
                                      "detection-rules schema checks (trailhound rules validate)",
                                      &out);
            else
                th_report_diags_json(&d, errors_only, &out);
            th_buf_write(&out, stdout);
            th_buf_free(&out);
        } else {
            th_rules_cli_print_diags(&d, stdout, errors_only);
        }
        fprintf(json ? stderr : stdout,
                "%zu file%s: %zu rule%s, %zu hunting quer%s loaded, %zu failed to load; "
                "%zu error%s, %zu warning%s\n",
                rs.files_seen, rs.files_seen == 1 ? "" : "s", rs.len - hunts,
                rs.len - hunts == 1 ? "" : "s", hunts, hunts == 1 ? "y" : "ies", rs.files_failed,
                d.errors, d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
        rc = d.errors ? TH_EXIT_FINDINGS : TH_EXIT_OK;
    }
    th_diags_free(&d);
    th_ruleset_free(&rs);
    return rc;
}
