/* trailhound match --rules PATH... --data PATH... : the events each rule's query
 * selects, evaluated one event at a time (no schedule, look-back, max_signals,
 * new_terms or threshold aggregation). One NDJSON line per (rule, event), in
 * input order, rules in load order within an event.
 *
 * The rules go into an engine in filters_only mode, so match takes run's
 * planned path (pipeline.h): routed and gated on the raw projection, mapped
 * with what the planned rules read, evaluated on the workers. The line needs
 * only event.id and @timestamp, which the mapping's always-run part writes,
 * so no event is mapped completely. --no-lazy keeps the former path (every
 * event mapped completely, routed by query/router.h and evaluated on the
 * committing thread): the reference the tests compare with. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "cli/args.h"
#include "cli/guard.h"
#include "cli/verbs.h"
#include "cli/enrich.h"
#include "cli/run_out.h"
#include "cli/run_rules.h"
#include "ecs/mapper.h"
#include "io/input.h"
#include "json/json.h"
#include "pipeline/pipeline.h"
#include "query/query.h"
#include "query/router.h"
#include "rules/rule.h"

static const th_opt opts[] = {
    {"rules", TH_OPT_MULTI, "PATH", "rule files or directories (*.toml, recursive)"},
    {"data", TH_OPT_MULTI, "PATH", "events: raw CloudTrail or ECS NDJSON, files, directories, gzip, `-`"},
    {"no-prefilter", TH_OPT_FLAG, NULL, "evaluate every rule on every event (to compare)"},
    {"no-lazy", TH_OPT_FLAG, NULL, "map every event completely and evaluate on the committing thread (the former path: same output; slower; for checking)"},
    {"stats", TH_OPT_FLAG, NULL, "print counts (events, candidates, matches) to stderr"},
    {"profile", TH_OPT_FLAG, NULL, "where time goes, on stderr: CPU per stage (read, parse, map, evaluate, output), mapping levels, and per rule: evaluations, time, matches"},
    {"strict", TH_OPT_FLAG, NULL, "exit 2 when any record or file is skipped as malformed or corrupt"},
    {"threads", TH_OPT_VALUE, "N", "map and evaluate on N threads, the reading thread one of them (default: the number of cores; 1 = no workers); output is the same for every N"},
    TH_ENRICH_OPTS,
};

typedef struct mrule {
    const th_rule *rule;
    th_query *q;
} mrule;

static const char *unsupported(const th_rule *r)
{
    if (!r->query)
        return "the rule has no query";
    switch (r->language) {
    case TH_LANG_KUERY:
        return NULL;
    case TH_LANG_EQL: {
        const char *q = r->query;
        while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
            q++;
        if (strncmp(q, "sequence", 8) == 0 || strncmp(q, "sample", 6) == 0)
            return "EQL sequences need the engine (`trailhound run`), not a per-event filter";
        return NULL;
    }
    case TH_LANG_ESQL:
        return "ES|QL queries are not supported by match yet";
    default:
        return "unsupported query language";
    }
}

/* Compiles every supported rule; lists the others once on stderr. */
static size_t compile_rules(const th_ruleset *rs, th_arena *a, th_diags *diags, mrule *out,
                            size_t *failed)
{
    size_t n = 0;
    *failed = 0;
    for (size_t i = 0; i < rs->len; i++) {
        const th_rule *r = rs->rules[i];
        if (r->type == TH_RULE_HUNT)
            continue;
        const char *why = unsupported(r);
        if (why) {
            fprintf(stderr, "trailhound match: skipping %s (%s, %s): %s\n", r->path,
                    r->rule_id ? r->rule_id : "no rule_id", r->language_name ? r->language_name : "-", why);
            continue;
        }
        th_qsource src = {r->path, r->query_line, r->query_col};
        th_query *q = r->language == TH_LANG_EQL
                          ? th_query_compile_eql(a, r->query, strlen(r->query), r->event_category_override,
                                                 &src, diags)
                          : th_query_compile(a, TH_QLANG_KQL, r->query, strlen(r->query), &src, diags);
        if (!q) {
            (*failed)++;
            continue;
        }
        out[n].rule = r;
        out[n].q = q;
        n++;
    }
    return n;
}

static void emit(th_buf *out, const mrule *m, uint64_t index, const th_jval *doc)
{
    th_jw w;
    th_jw_init(&w, out);
    th_jw_obj(&w);
    th_jw_key(&w, "rule_id");
    th_jw_cstr(&w, m->rule->rule_id ? m->rule->rule_id : "");
    th_jw_key(&w, "index");
    th_jw_int(&w, (int64_t)index);
    th_jw_key(&w, "event.id");
    const th_jval *id = th_json_path_first(doc, TH_STR_LIT("event.id"));
    if (id)
        th_jw_value(&w, id);
    else
        th_jw_null(&w);
    th_jw_key(&w, "@timestamp");
    const th_jval *ts = th_json_path_first(doc, TH_STR_LIT("@timestamp"));
    if (ts)
        th_jw_value(&w, ts);
    else
        th_jw_null(&w);
    th_jw_end(&w);
    th_buf_putc(out, '\n');
}

/* Per event, in input order (the pipeline maps on its workers). */
typedef struct mctx {
    const mrule *rules;
    size_t n;
    const th_router *router;
    unsigned char *cand;
    th_buf out;
    uint64_t index, matches, candidates;
} mctx;

static void match_event(void *ctx, const th_event *ev, th_rec_kind kind)
{
    (void)kind;
    mctx *c = ctx;
    const th_jval *doc = ev->doc;
    if (c->router)
        c->candidates += th_router_candidates(c->router, doc, c->cand);
    else
        memset(c->cand, 1, c->n), c->candidates += c->n;
    for (size_t i = 0; i < c->n; i++) {
        if (c->cand[i] && th_query_match(c->rules[i].q, doc)) {
            emit(&c->out, &c->rules[i], c->index, doc);
            c->matches++;
        }
    }
    if (c->out.len > (1u << 16)) {
        th_buf_write(&c->out, stdout);
        th_buf_clear(&c->out);
    }
    c->index++;
}

/* The planned path: the verdicts of the rules the engine evaluated (one
 * engine, rule k of the engine = rules[k]), emitted in rule order. */
static void match_hits(void *ctx, const th_event *ev, size_t engine, const th_hit *items, size_t n)
{
    (void)engine;
    mctx *c = ctx;
    c->candidates += n;
    uint32_t hit[64], *h = n <= 64 ? hit : th_xcalloc(n, sizeof *h);
    size_t nh = 0;
    for (size_t i = 0; i < n; i++) {
        if (items[i].result != 1)
            continue;
        size_t k = nh++; /* insertion sort: a handful of matches at most */
        while (k > 0 && h[k - 1] > items[i].rule) {
            h[k] = h[k - 1];
            k--;
        }
        h[k] = items[i].rule;
    }
    for (size_t i = 0; i < nh; i++) {
        emit(&c->out, &c->rules[h[i]], c->index, ev->doc);
        c->matches++;
    }
    if (h != hit)
        free(h);
    if (c->out.len > (1u << 16)) {
        th_buf_write(&c->out, stdout);
        th_buf_clear(&c->out);
    }
    c->index++;
}

/* --profile: the stages, and per rule (when the rules were routed: the
 * engine counted them) its evaluations, their CPU and its matches. */
static void print_profile(const th_pipeline *pipe, const th_engine *engine)
{
    th_pipeline_profile_print(pipe, -1, "match", stderr);
    if (!engine)
        return;
    size_t n;
    const th_rule_report *rep = th_engine_reports(engine, &n);
    fprintf(stderr, "match: profile (per rule: evaluations, eval ms, matches):\n");
    for (size_t i = 0; i < n; i++) {
        const th_rule *r = rep[i].rule;
        fprintf(stderr, "  %10llu %9.2f %8llu  %s\n", (unsigned long long)rep[i].evals,
                (double)rep[i].eval_ns / 1e6, (unsigned long long)rep[i].matches,
                r->rule_id ? r->rule_id : r->path ? r->path : "?");
    }
}

int th_cmd_match(int argc, char **argv)
{
    th_args args;
    if (!th_args_parse(&args, "match", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (args.help) {
        th_args_help("trailhound match --rules PATH... --data PATH... [--no-prefilter] [--no-lazy] [--threads N]",
                     "Print the events each rule's query selects, one NDJSON line per (rule, event):\n"
                     "{\"rule_id\", \"index\" (0-based among the input's events), \"event.id\", \"@timestamp\"}.\n"
                     "Each event is judged alone: no schedule, look-back, max_signals, new_terms or\n"
                     "threshold aggregation. KQL and single-event EQL rules; the others (EQL sequences,\n"
                     "ES|QL, machine learning) are listed on stderr with the reason.\n"
                     "exit codes: 0 nothing matched, 1 matches (or rule errors), 2 could not run\n"
                     "(usage, missing path, no rule loaded, unreadable input; skipped records with\n"
                     "--strict).\n\n"
                     "example: trailhound match --rules rules/ --data cloudtrail/",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *rpaths[TH_ARGS_MAX], *dpaths[TH_ARGS_MAX];
    size_t nr = th_args_values(&args, "rules", rpaths, TH_ARGS_MAX);
    size_t nd = th_args_values(&args, "data", dpaths, TH_ARGS_MAX);
    if (nr == 0 || nd == 0 || args.npos) {
        fprintf(stderr, "trailhound match: give --rules PATH... and --data PATH...\n");
        return TH_EXIT_USAGE;
    }
    if (!th_cli_paths_ok("match", "--rules", TH_ROLE_RULES, rpaths, nr) ||
        !th_cli_paths_ok("match", "--data", TH_ROLE_DATA, dpaths, nd))
        return TH_EXIT_USAGE;
    unsigned threads;
    if (!th_cli_threads("match", &args, &threads))
        return TH_EXIT_USAGE;
    int rc = TH_EXIT_OK;
    th_diags diags;
    th_diags_init(&diags);
    diags.echo = stderr;
    th_ruleset rs;
    th_ruleset_init(&rs);
    th_ruleset_load(&rs, rpaths, nr, &diags);
    if (rs.len == 0) {
        th_ruleset_free(&rs);
        th_diags_free(&diags);
        return th_cli_no_rules("match", rpaths, nr);
    }
    th_arena qa;
    th_arena_init(&qa, 1 << 16);
    mrule *rules = th_xcalloc(rs.len + 1, sizeof *rules);
    size_t failed;
    size_t n = compile_rules(&rs, &qa, &diags, rules, &failed);
    if (failed || rs.files_failed)
        rc = TH_EXIT_FINDINGS;

    const th_query **qs = th_xcalloc(n + 1, sizeof *qs);
    for (size_t i = 0; i < n; i++)
        qs[i] = rules[i].q;
    bool prefilter = !th_args_flag(&args, "no-prefilter");
    th_router *router = prefilter ? th_router_new(qs, n) : NULL;
    unsigned char *cand = th_xcalloc(n + 1, 1);

    /* the same mapping and enrichment as run and convert, so results agree */
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&args, &mo, &paths);
    size_t rule_errors = diags.errors; /* later ones are the input's (skipped records) */
    th_input_opts io;
    th_input_opts_default(&io, &diags);
    /* NDJSON lines scanned, not parsed, on the planned path (as run): the
     * pipeline parses what it maps */
    io.lazy = prefilter && !th_args_flag(&args, "no-lazy");
    th_input *in = th_input_open(dpaths, nd, &io);
    mctx c = {.rules = rules, .n = n, .router = router, .cand = cand};
    th_buf_init(&c.out);
    bool profile = th_args_flag(&args, "profile");
    th_pipeline pipe = {.mo = &mo, .diags = &diags, .delay = TH_TIME_NONE,
                        .threads = threads, .verb = "match", .ctx = &c, .profile = profile};
    /* --no-prefilter evaluates every rule on every event: the former path
     * without its router */
    bool planned = prefilter && !th_args_flag(&args, "no-lazy");
    th_engine *engine = NULL;
    if (planned) {
        th_engine_opts eo;
        th_engine_opts_default(&eo);
        eo.filters_only = true;
        eo.profile = profile;
        engine = th_engine_new(&eo);
        for (size_t i = 0; i < n; i++)
            if (th_engine_add_query(engine, rules[i].rule, rules[i].q, &qa, NULL) != i)
                planned = false; /* cannot happen: filters_only adds every rule */
        pipe.engines[pipe.nengines++] = engine;
        pipe.on_hits = match_hits;
    }
    if (!planned) {
        pipe.nengines = 0;
        pipe.on_hits = NULL;
        pipe.full_docs = true;
        pipe.on_event = match_event;
    }
    th_pipeline_run(&pipe, in);
    th_mapper *mapper = pipe.mapper;
    th_buf out = c.out;
    uint64_t index = c.index, matches = c.matches, candidates = c.candidates;
    th_buf_write(&out, stdout);
    fflush(stdout);
    const th_input_stats *st = th_input_stats_get(in);
    if (th_args_flag(&args, "stats")) {
        size_t ba = 0, bp = 0, al = 0, nv = 0;
        if (router)
            th_router_stats(router, &ba, &bp, &al, &nv);
        fprintf(stderr,
                "trailhound match: %zu rules (%zu routed by event.action, %zu by event.provider, "
                "%zu unrouted, %zu never match), %llu events, %llu candidate evaluations, "
                "%llu matches\n",
                n, ba, bp, al, nv, (unsigned long long)index, (unsigned long long)candidates,
                (unsigned long long)matches);
        if (mapper)
            fprintf(stderr, "trailhound match: raw CloudTrail geo: %s\n",
                    th_mapper_geo_desc(mapper) ? th_mapper_geo_desc(mapper) : "off");
    }
    if (profile)
        print_profile(&pipe, engine);
    if (matches && rc == TH_EXIT_OK)
        rc = TH_EXIT_FINDINGS;
    if (rule_errors && rc == TH_EXIT_OK)
        rc = TH_EXIT_FINDINGS;
    rc = th_cli_input_rc("match", st, th_args_flag(&args, "strict"), rc);
    th_input_close(in);
    th_pipeline_free(&pipe);
    if (engine)
        th_engine_free(engine);
    th_buf_free(&out);
    th_router_free(router);
    free(cand);
    free(qs);
    free(rules);
    th_arena_free(&qa);
    th_ruleset_free(&rs);
    th_diags_free(&diags);
    return rc;
}
