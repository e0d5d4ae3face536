/* trailhound test PATH... : runs rule tests (*.test.toml, ruletest/ruletest.h)
 * through the same engine replay as `run` (cli/run_rules.h, pipeline/pipeline.h)
 * and reports pass/fail per test, with expected vs got on failure.
 *
 * Events given inline or by [test.emulate] are written to a private
 * temporary directory and read back through the input layer, so a test sees
 * exactly what `run --data` would see for the same records. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/vec.h"
#include "base/timeutil.h"
#include "base/walk.h"
#include "cli/args.h"
#include "cli/enrich.h"
#include "cli/guard.h"
#include "cli/outfile.h"
#include "cli/report.h"
#include "pipeline/pipeline.h"
#include "cli/run_rules.h"
#include "cli/verbs.h"
#include "emulate/emulate.h"
#include "engine/engine.h"
#include "io/input.h"
#include "ruletest/ruletest.h"

static const th_opt opts[] = {
    {"name", TH_OPT_VALUE, "TEXT", "run only tests whose name contains TEXT"},
    {"verbose", TH_OPT_FLAG, NULL, "also show the alerted ids of passing tests"},
    {"format", TH_OPT_VALUE, "text|junit", "text (default) or JUnit XML on stdout (the text then goes to stderr)"},
    TH_ENRICH_OPTS,
};

typedef struct counts {
    size_t pass, fail, pending, files_bad;
    const th_mapper_opts *mo; /* the mapping every test's raw events get */
    FILE *out;                   /* the text report: stdout, or stderr with --format junit */
    bool junit;
    TH_VEC(th_junit_case) cases; /* --format junit; strings in `keep` */
    th_arena keep;
    bool colour;
} counts;

/* One JUnit test case; msg is the text report's explanation (may be NULL). */
static void record(counts *n, const char *file, const char *name, bool failed, bool skipped,
                   const char *msg, double secs)
{
    if (!n->junit)
        return;
    th_junit_case c = {th_arena_strdup(&n->keep, file), th_arena_strdup(&n->keep, name), failed,
                       skipped, msg ? th_arena_strdup(&n->keep, msg) : NULL, secs};
    TH_VEC_PUSH(&n->cases, c);
}

/* ANSI colour for the PASS / FAIL / PENDING labels (code: "32" green, "31"
 * red, "33" yellow): on a terminal only, and not when NO_COLOR is set. */
static const char *on(const counts *n, const char *code)
{
    if (!n->colour)
        return "";
    return strcmp(code, "31") == 0 ? "\033[31m" : strcmp(code, "32") == 0 ? "\033[32m" : "\033[33m";
}

static const char *off(const counts *n) { return n->colour ? "\033[0m" : ""; }

static double since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- temporary directory ----------------------------------------------- */

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static bool write_events(const th_rtest *t, const char *file)
{
    FILE *f = fopen(file, "wb");
    if (!f)
        return false;
    th_buf b;
    th_buf_init(&b);
    for (size_t i = 0; i < t->nevents; i++) {
        th_buf_clear(&b);
        th_json_write(&b, t->events[i]);
        th_buf_putc(&b, '\n');
        th_buf_write(&b, f);
    }
    th_buf_free(&b);
    return fclose(f) == 0;
}

/* The emulator's sink, stopped by an interrupt so that a test stops writing
 * at once and its temporary directory is removed. */
typedef struct stoppable {
    th_emu_sink inner;
} stoppable;

static int stoppable_object(void *ctx, const char *account, const char *region,
                            int64_t delivery_ms, const char *suffix, const th_emu_record *recs,
                            size_t n)
{
    stoppable *s = ctx;
    if (th_signals_caught())
        return -1;
    return s->inner.object(s->inner.ctx, account, region, delivery_ms, suffix, recs, n);
}

static bool write_emulated(const th_rtest_emulate *em, const char *dir, char *err, size_t n)
{
    th_emu_options o = {(uint64_t)em->seed, 0, (int)em->days, em->rate ? (double)em->rate : 2000};
    const char *start = em->start ? em->start : "2024-06-01";
    if (!th_time_parse_iso(start, strlen(start), &o.start_ms)) {
        snprintf(err, n, "emulate start '%s' is not YYYY-MM-DD or an ISO time", start);
        return false;
    }
    th_emu_writer *w = th_emu_writer_dir(dir, err, n);
    if (!w)
        return false;
    stoppable st_sink = {th_emu_writer_sink(w)};
    th_emu_sink sink = {&st_sink, stoppable_object};
    th_emu_stats st;
    int rc = th_emu_run(&o, em->scenarios, em->nscenarios, &sink, &st, err, n);
    char err2[256];
    if (th_emu_writer_close(w, err2, sizeof err2) != 0 && rc == 0) {
        snprintf(err, n, "%s", err2);
        rc = -1;
    }
    return rc == 0;
}

/* ---- one test ---------------------------------------------------------- */

typedef struct collect {
    th_arena *a;
    const th_rule *rule;
    th_rtest_got got;
    size_t cap;
} collect;

static void on_alert(void *vc, const th_alert *al)
{
    collect *c = vc;
    /* the building blocks of an EQL sequence are parts of one alert (the
     * shell); a rule that is itself a building block counts all of its own */
    bool bb = th_json_path_first(al->doc, TH_STR_LIT("kibana.alert.building_block_type")) != NULL;
    if (!bb || c->rule->building_block_type)
        c->got.alerts++;
    const th_jval *id = th_json_path_first(al->doc, TH_STR_LIT("event.id"));
    if (!th_jis(id, TH_JSTR))
        return;
    if (c->got.nids == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        c->got.ids =
            th_arena_realloc(c->a, c->got.ids, c->cap * sizeof(char *), nc * sizeof(char *));
        c->cap = nc;
    }
    th_str s = th_jstr(id);
    c->got.ids[c->got.nids++] = th_arena_strndup(c->a, s.p, s.n);
}

static bool parse_when(const char *s, int64_t *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return th_datemath_eval(s, strlen(s), (int64_t)now.tv_sec * 1000, out);
}

/* Runs one test; fills got. false with a reason when it could not run. */
static bool run_one(const th_rtest *t, const th_mapper_opts *mo, th_arena *a, th_rtest_got *got,
                    th_diags *diags, const char **why)
{
    th_engine_opts eo;
    th_engine_opts_default(&eo);
    eo.max_state_bytes = 1024ull << 20;
    if (t->from && !parse_when(t->from, &eo.from_ms)) {
        *why = th_arena_printf(a, "bad `from` '%s' (ISO-8601 or date math)", t->from);
        return false;
    }
    if (t->to && !parse_when(t->to, &eo.to_ms)) {
        *why = th_arena_printf(a, "bad `to` '%s' (ISO-8601 or date math)", t->to);
        return false;
    }
    th_ruleset rs;
    th_ruleset_init(&rs);
    size_t before = diags->errors;
    th_ruleset_load(&rs, &t->rule, 1, diags);
    if (rs.len != 1 || diags->errors > before) {
        *why =
            th_arena_printf(a, "the rule file %s did not load as one rule (see messages)", t->rule);
        th_ruleset_free(&rs);
        return false;
    }
    const char *tmpdir = getenv("TMPDIR");
    if (!tmpdir || !*tmpdir)
        tmpdir = "/tmp";
    char *tmpl = th_arena_printf(a, "%s/trailhound-test.XXXXXX", tmpdir);
    if (!mkdtemp(tmpl)) {
        *why = "cannot create a temporary directory";
        th_ruleset_free(&rs);
        return false;
    }
    const char *paths[TH_ARGS_MAX + 2];
    size_t np = 0;
    bool ok = true;
    /* removed by rm_tree below on every return; a second signal removes the
     * events file and, when nothing else is in it, the directory */
    const char *evfile = th_arena_printf(a, "%s/events.ndjson", tmpl);
    th_signals_register_tmp(evfile);
    th_signals_register_tmp(tmpl);
    if (t->nevents) {
        const char *f = evfile;
        if (!write_events(t, f)) {
            *why = "cannot write the inline events to a temporary file";
            ok = false;
        }
        paths[np++] = f;
    }
    if (ok && t->emulate) {
        const char *d = th_arena_printf(a, "%s/emulate", tmpl);
        char err[256];
        if (!write_emulated(t->emulate, d, err, sizeof err)) {
            *why = th_arena_printf(a, "emulate: %s", err);
            ok = false;
        }
        /* the records only: labels.ndjson beside them is not CloudTrail */
        paths[np++] = th_arena_printf(a, "%s/AWSLogs", d);
    }
    for (size_t i = 0; i < t->ndata && np < TH_ARGS_MAX; i++)
        paths[np++] = t->data[i];

    if (ok && np == 0) {
        *why = "the test gives no events (empty `events`, `data`)";
        ok = false;
    }
    if (ok) {
        th_engine *e = th_engine_new(&eo);
        th_arena qa;
        th_arena_init(&qa, 1 << 16);
        th_exceptions *views[1] = {NULL};
        size_t nskipped = 0;
        th_run_add_rules(e, &rs, &qa, diags, NULL, views, &nskipped);
        th_input_opts io;
        th_input_opts_default(&io, diags);
        io.lazy = true;
        io.interrupted = th_signals_flag();
        th_input *in = th_input_open(paths, np, &io);
        th_pipeline feed = {.engines = {e}, .nengines = 1, .mo = mo, .diags = diags,
                            .delay = TH_TIME_NONE, .threads = 1, .verb = "test",
                            .interrupted = th_signals_flag()};
        th_pipeline_run(&feed, in);
        collect c = {a, rs.rules[0], {0}, 0};
        th_engine_finish(e, on_alert, &c);
        size_t nrep = 0;
        const th_rule_report *rep = th_engine_reports(e, &nrep);
        if (nrep && rep[0].skipped)
            c.got.skipped = th_arena_strdup(a, rep[0].skipped);
        else if (!nrep)
            c.got.skipped = "the rule is not scheduled (a hunting file?)";
        if (in && th_input_stats_get(in)->records_skipped) {
            *why = "some events could not be read (see messages)";
            ok = false;
        }
        *got = c.got;
        if (in)
            th_input_close(in);
        th_pipeline_free(&feed);
        th_engine_free(e);
        th_arena_free(&qa);
    }
    rm_tree(tmpl);
    th_signals_unregister_tmp(evfile);
    th_signals_unregister_tmp(tmpl);
    th_ruleset_free(&rs);
    return ok;
}

static void run_file(const char *path, const char *filter, bool verbose, counts *n)
{
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_diags diags;
    th_diags_init(&diags);
    diags.echo = stderr;
    th_rtest_file *f = th_rtest_load(&a, path, &diags);
    if (!f) {
        fprintf(n->out, "%sERROR%s %s: not a usable test file (see messages)\n", on(n, "31"),
                off(n), path);
        n->files_bad++;
        record(n, path, "(file)", true, false, "not a usable test file", 0);
    }
    for (size_t i = 0; f && i < f->ntests && !th_signals_caught(); i++) {
        const th_rtest *t = &f->tests[i];
        if (filter && !strstr(t->name, filter))
            continue;
        th_rtest_got got = {0};
        const char *why = NULL;
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        bool ran = run_one(t, n->mo, &a, &got, &diags, &why);
        if (th_signals_caught())
            break; /* not counted: it did not run to the end */
        if (!ran) {
            fprintf(n->out, "%sFAIL %s %s:%u  %s\n    could not run: %s\n", on(n, "31"), off(n),
                    path, t->line, t->name, why);
            n->fail++;
            record(n, path, t->name, true, false, th_arena_printf(&a, "could not run: %s", why),
                   since(&t0));
            continue;
        }
        double secs = since(&t0);
        th_rtest_diff d;
        th_rtest_compare(&a, t, &got, &d);
        switch (d.verdict) {
        case TH_RTEST_PASS:
            fprintf(n->out, "%sPASS %s %s:%u  %s (%zu alert%s)\n", on(n, "32"), off(n), path,
                    t->line, t->name, got.alerts, got.alerts == 1 ? "" : "s");
            if (verbose)
                th_rtest_diff_print(n->out, t, &got, &d);
            n->pass++;
            record(n, path, t->name, false, false, NULL, secs);
            break;
        case TH_RTEST_PENDING:
            fprintf(n->out, "%sPENDING%s %s:%u  %s (%s; the rule did not run: %s)\n", on(n, "33"),
                    off(n), path, t->line, t->name, t->pending, got.skipped);
            n->pending++;
            record(n, path, t->name, false, true,
                   th_arena_printf(&a, "pending (%s): %s", t->pending, got.skipped), secs);
            break;
        case TH_RTEST_PENDING_PASS:
            fprintf(n->out,
                    "%sFAIL %s %s:%u  %s\n    marked pending (%s) but the rule ran and passed: "
                    "remove `pending`\n",
                    on(n, "31"), off(n), path, t->line, t->name, t->pending);
            n->fail++;
            record(n, path, t->name, true, false, "marked pending but the rule ran and passed",
                   secs);
            break;
        case TH_RTEST_FAIL:
            fprintf(n->out, "%sFAIL %s %s:%u  %s\n", on(n, "31"), off(n), path, t->line, t->name);
            th_rtest_diff_print(n->out, t, &got, &d);
            n->fail++;
            if (n->junit) {
                char *msg = NULL;
                size_t len = 0;
                FILE *m = open_memstream(&msg, &len);
                if (m) {
                    th_rtest_diff_print(m, t, &got, &d);
                    fclose(m);
                }
                record(n, path, t->name, true, false, msg ? msg : "failed", secs);
                free(msg);
            }
            break;
        }
    }
    th_diags_free(&diags);
    th_arena_free(&a);
}

/* A path: a file is run whatever its name; a directory gives every
 * *.test.toml below it, through the one walker (base/walk.h: name order,
 * hidden entries skipped, loop-safe). 1 when the path is missing (usage). */
static size_t run_path(const char *path, const char *filter, bool verbose, counts *n)
{
    th_diags d;
    th_diags_init(&d);
    d.echo = stderr;
    th_walk_opts wo = {.suffix = ".test.toml", .diags = &d};
    th_walk *w = th_walk_open(&path, 1, &wo);
    th_walk_item it;
    th_walk_kind k;
    size_t found = 0, missing = 0;
    while (!th_signals_caught() && (k = th_walk_next(w, &it)) != TH_WALK_END) {
        if (k == TH_WALK_FILE) {
            found++;
            run_file(it.path, filter, verbose, n);
        } else if (it.named) {
            missing++; /* reported by the walker */
        } else {
            n->files_bad++;
        }
    }
    if (!found && !missing && !d.errors)
        fprintf(stderr, "trailhound test: no *.test.toml under %s\n", path);
    th_walk_close(w);
    th_diags_free(&d);
    return missing ? missing : found ? 0 : 1; /* a folder without tests: usage */
}

int th_cmd_test(int argc, char **argv)
{
    th_args args;
    if (!th_args_parse(&args, "test", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (args.help) {
        th_args_help("trailhound test [--name TEXT] [--verbose] PATH...",
                     "Run rule tests: *.test.toml files (or directories holding them) that name a\n"
                     "rule, give it events (inline raw CloudTrail or ECS JSON, data files, or an\n"
                     "`emulate` scenario) and the alerts expected (a count, event ids that must\n"
                     "alert, ids that must not). Each test replays the rule with the engine as\n"
                     "`run` does. Failures show expected vs got. Format: docs/manual/test.md.\n"
                     "exit codes: 0 all passed; 1 a test failed or a file is not usable; 2 usage error,\n"
                     "a missing path or a directory without tests.\n\n"
                     "--format junit writes JUnit XML on stdout (one testsuite per file).\n\n"
                     "example: trailhound test --format junit examples/tests > junit.xml",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    if (args.npos == 0) {
        fprintf(stderr, "trailhound test: give test files or directories (PATH...)\n");
        return TH_EXIT_USAGE;
    }
    if (!th_cli_paths_ok("test", "PATH", TH_ROLE_OTHER, args.pos, args.npos))
        return TH_EXIT_USAGE;
    const char *fmt = th_args_value(&args, "format");
    if (fmt && strcmp(fmt, "text") != 0 && strcmp(fmt, "junit") != 0) {
        fprintf(stderr, "trailhound test: --format must be text or junit\n");
        return TH_EXIT_USAGE;
    }
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&args, &mo, &paths);
    counts n = {.mo = &mo};
    n.junit = fmt && strcmp(fmt, "junit") == 0;
    n.out = n.junit ? stderr : stdout;
    n.colour = th_cli_colour(n.out);
    th_arena_init(&n.keep, 1 << 14);
    size_t missing = 0;
    const char *filter = th_args_value(&args, "name");
    bool verbose = th_args_flag(&args, "verbose");
    th_signals_install();
    for (size_t i = 0; i < args.npos && !th_signals_caught(); i++)
        missing += run_path(args.pos[i], filter, verbose, &n);
    if (n.junit) {
        th_buf x;
        th_buf_init(&x);
        th_report_junit(n.cases.items, n.cases.len, &x);
        th_buf_write(&x, stdout);
        th_buf_free(&x);
    }
    TH_VEC_FREE(&n.cases);
    th_arena_free(&n.keep);
    int sig = th_signals_caught();
    if (sig) {
        fprintf(n.out, "%zu tests: %zu passed, %zu failed, %zu pending; interrupted by signal %d, the "
               "rest not run\n",
               n.pass + n.fail + n.pending, n.pass, n.fail, n.pending, sig);
        return th_signals_exit_code(sig);
    }
    if (missing)
        return TH_EXIT_USAGE;
    fprintf(n.out, "%zu tests: %zu passed, %zu failed, %zu pending", n.pass + n.fail + n.pending, n.pass,
           n.fail, n.pending);
    if (n.files_bad)
        fprintf(n.out, "; %zu file%s not usable", n.files_bad, n.files_bad == 1 ? "" : "s");
    fprintf(n.out, "\n");
    return n.fail || n.files_bad ? TH_EXIT_FINDINGS : TH_EXIT_OK;
}
