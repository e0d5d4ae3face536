/* trailhound run --rules PATH... --data PATH... : runs the rules over the
 * events as Elastic Security's scheduler would (engine/engine.h) and writes
 * the alerts. A summary always goes to stderr. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/timeutil.h"
#include "base/vec.h"
#include "cli/args.h"
#include "cli/guard.h"
#include "cli/outfile.h"
#include "pipeline/pipeline.h"
#include "cli/run_out.h"
#include "cli/run_rules.h"
#include "cli/run_state.h"
#include "cli/verbs.h"
#include "cli/enrich.h"
#include "cli/never_see.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "engine/exceptions.h"
#include "engine/sequence.h"
#include "io/input.h"
#include "query/query.h"
#include "rules/rule.h"
#include "state/state.h"

static const th_opt opts[] = {
    {"rules", TH_OPT_MULTI, "PATH", "rule files or directories (*.toml, recursive)"},
    {"data", TH_OPT_MULTI, "PATH", "events: raw CloudTrail or ECS NDJSON, files, dirs, gzip, `-`"},
    {"from", TH_OPT_VALUE, "T", TH_CLI_FROM_HELP "; rules run from the first run time >= T"},
    {"to", TH_OPT_VALUE, "T", TH_CLI_TO_HELP "; the last run covers T"},
    {"interval-phase", TH_OPT_VALUE, "D", "run times are epoch + D + k*interval (default 0s)"},
    {"max-signals", TH_OPT_VALUE, "N", "override every rule's max_signals"},
    {"ingest-delay", TH_OPT_VALUE, "D",
     "event.ingested = @timestamp + D for events without it (default 0s for raw CloudTrail, "
     "unset for ECS input; `none` leaves it unset)"},
    {"exceptions", TH_OPT_MULTI, "FILE", "exception lists (Kibana NDJSON export or detection-rules TOML)"},
    {"max-state-mb", TH_OPT_VALUE, "N", "cap on each rule's temporal state (default 1024); with --state also on what is saved for each rule: over it, its oldest matches are left out (STATE CAPPED in the summary)"},
    {"max-memory", TH_OPT_VALUE, "MB", "one budget for all the engine keeps: matched documents, match records, every rule's state (default 4096); reached: later matches are counted, not kept, and the summary says so"},
    {"no-suppression", TH_OPT_FLAG, NULL, "ignore alert_suppression (as an unlicensed Kibana)"},
    {"format", TH_OPT_VALUE, "F",
     "ndjson (default: alert documents), bulk (Elasticsearch _bulk NDJSON), table, summary "
     "(no alerts), json (the summary as JSON, no alerts)"},
    {"quiet", TH_OPT_FLAG, NULL, "no progress and no summary on stderr"},
    {"output", TH_OPT_VALUE, "FILE", "write alerts here (also -o; default stdout)"},
    {"profile", TH_OPT_FLAG, NULL, "where time goes: CPU per stage (read, parse, map, evaluate, commit, temporal), mapping levels, and per rule: evaluations, time, matches, peak state"},
    {"no-lazy", TH_OPT_FLAG, NULL, "map every event completely instead of only what the rules read (same alerts; slower; for checking)"},
    {"threads", TH_OPT_VALUE, "N", "map and evaluate on N threads, the reading thread one of them, then run the rules' scheduled runs N side by side (default: the number of cores; 1 = no workers); output is the same for every N"},
    TH_ENRICH_OPTS,
    {"strict", TH_OPT_FLAG, NULL, "exit 2 when any record or file is skipped as malformed or corrupt"},
    {"state", TH_OPT_VALUE, "PATH",
     "incremental run: the state file (SQLite) of earlier runs; only input objects not read "
     "before are read, each rule's schedule continues where it stopped, and the state is saved "
     "(created when missing). With -o FILE a run killed at any point loses no alert and writes "
     "none twice (the output is committed with the state; the next run finishes it and removes "
     "the killed run's FILE.tmp.*); to standard output none is lost, but alerts written by a "
     "run killed before its state was saved are written again by the next run. An alert that a "
     "later run's alert suppression updates is written again, same kibana.alert.uuid (_id), "
     "with its new suppression count and end (--format bulk: an index action, which replaces "
     "it): the last copy of each _id is the replay's"},
    {"settle", TH_OPT_VALUE, "D",
     "with --state: rules run up to the newest event read less D, so that objects still in "
     "flight are read first (default 15m)"},
    {"final", TH_OPT_FLAG, NULL,
     "with --state: the period ends: also the runs after the last event, as a replay does"},
    {"follow", TH_OPT_FLAG, NULL,
     "with --state: keep watching the --data folders (inotify) and run again as objects land "
     "(after 1s without new ones); alerts are appended to -o FILE (or stdout); SIGINT/SIGTERM "
     "stop it with the state of the last finished run committed"},
};

/* run --follow: one incremental run per batch of new objects (run_once). */
typedef struct run_follow {
    int pass;
} run_follow;


/* --follow: appends a run's output to FILE and syncs it. */
static bool append_file(const char *path, const th_buf *b)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "trailhound run: %s: cannot append: %s\n", path, strerror(errno));
        return false;
    }
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "trailhound run: %s: write error: %s\n", path, strerror(errno));
            close(fd);
            return false;
        }
        off += (size_t)n;
    }
    bool ok = fsync(fd) == 0;
    close(fd);
    return ok;
}

/* CPU seconds of the whole process, all threads. */
static double process_cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int run_once(int argc, char **argv, run_follow *fw)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "-o") == 0)
            argv[i] = (char *)"--output";
    th_args args;
    if (!th_args_parse(&args, "run", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (args.help) {
        th_args_help(
            "trailhound run --rules PATH... --data PATH... [--from T] [--to T] [--format F] [-o FILE]",
            "Run Elastic detection rules over CloudTrail as Elastic Security's scheduler would:\n"
            "every rule runs every `interval` over [run - lookback, run] on event.ingested (else\n"
            "@timestamp), with max_signals, overlap de-duplication, new_terms history, threshold\n"
            "buckets, alert suppression and ES|QL pipelines (per run window, NOW() = run time).\n"
            "Alerts are Elastic Security alert documents (NDJSON).\n"
            "A summary goes to stderr. Rules that cannot run are listed with the reason.\n"
            "exit codes: 0 ran, no alerts; 1 alerts raised (or rule errors); 2 could not run\n"
            "(usage, missing path, no rule loaded, unreadable input; skipped records with --strict).\n\n"
            "example: trailhound run --rules rules/ --data cloudtrail/ --format summary",
            opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    const char *rpaths[TH_ARGS_MAX], *dpaths[TH_ARGS_MAX], *xpaths[TH_ARGS_MAX];
    size_t nr = th_args_values(&args, "rules", rpaths, TH_ARGS_MAX);
    size_t nd = th_args_values(&args, "data", dpaths, TH_ARGS_MAX);
    size_t nx = th_args_values(&args, "exceptions", xpaths, TH_ARGS_MAX);
    if (nr == 0 || nd == 0 || args.npos) {
        fprintf(stderr, "trailhound run: give --rules PATH... and --data PATH...\n");
        return TH_EXIT_USAGE;
    }
    if (!th_cli_paths_ok("run", "--rules", TH_ROLE_RULES, rpaths, nr) ||
        !th_cli_paths_ok("run", "--data", TH_ROLE_DATA, dpaths, nd) ||
        !th_cli_paths_ok("run", "--exceptions", TH_ROLE_OTHER, xpaths, nx))
        return TH_EXIT_USAGE;
    th_run_out ro;
    th_engine_opts eo;
    th_engine_opts_default(&eo);
    eo.max_state_bytes = 1024ull << 20;
    eo.max_memory_bytes = 4096ull << 20;
    eo.no_suppression = th_args_flag(&args, "no-suppression");
    eo.profile = th_args_flag(&args, "profile");
    const char *v;
    if (!th_cli_period("run", &args, &eo.from_ms, &eo.to_ms))
        return TH_EXIT_USAGE;
    if ((v = th_args_value(&args, "interval-phase")) &&
        (!th_duration_parse(v, strlen(v), &eo.phase_ms) || eo.phase_ms < 0)) {
        fprintf(stderr, "trailhound run: bad --interval-phase '%s' (e.g. 90s, 2m)\n", v);
        return TH_EXIT_USAGE;
    }
    if ((v = th_args_value(&args, "max-signals"))) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*end || n <= 0) {
            fprintf(stderr, "trailhound run: bad --max-signals '%s'\n", v);
            return TH_EXIT_USAGE;
        }
        eo.max_signals = n;
    }
    if ((v = th_args_value(&args, "max-state-mb"))) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*end || n <= 0) {
            fprintf(stderr, "trailhound run: bad --max-state-mb '%s'\n", v);
            return TH_EXIT_USAGE;
        }
        eo.max_state_bytes = (uint64_t)n << 20;
    }
    if ((v = th_args_value(&args, "max-memory"))) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (*end || n <= 0 || n > (1ll << 30)) {
            fprintf(stderr, "trailhound run: bad --max-memory '%s' (megabytes)\n", v);
            return TH_EXIT_USAGE;
        }
        eo.max_memory_bytes = (uint64_t)n << 20;
    }
    const char *state_path = th_args_value(&args, "state");
    th_statedb *sdb = NULL;
    if (!state_path && (th_args_value(&args, "settle") || th_args_flag(&args, "final") ||
                        th_args_flag(&args, "follow"))) {
        fprintf(stderr, "trailhound run: --settle, --final and --follow need --state PATH\n");
        return TH_EXIT_USAGE;
    }
    if (state_path) {
        eo.incremental = true;
        eo.final_runs = th_args_flag(&args, "final");
        eo.settle_ms = 15 * 60 * 1000;
        if ((v = th_args_value(&args, "settle")) &&
            (!th_duration_parse(v, strlen(v), &eo.settle_ms) || eo.settle_ms < 0)) {
            fprintf(stderr, "trailhound run: bad --settle '%s' (e.g. 15m, 0s)\n", v);
            return TH_EXIT_USAGE;
        }
        char err[512];
        sdb = th_statedb_open(state_path, true, err, sizeof err);
        if (!sdb) {
            fprintf(stderr, "trailhound run: %s\n", err);
            return TH_EXIT_USAGE;
        }
        if (th_statedb_runs(sdb) && th_statedb_phase(sdb) != eo.phase_ms) {
            fprintf(stderr, "trailhound run: %s: earlier runs used --interval-phase %llds; a different "
                            "phase would move every rule's schedule (use the same, or `trailhound "
                            "state reset`)\n",
                    state_path, (long long)(th_statedb_phase(sdb) / 1000));
            th_statedb_close(sdb);
            return TH_EXIT_USAGE;
        }
        eo.watermark_ms = th_statedb_watermark(sdb);
        eo.order_base = th_statedb_order_next(sdb);
    }
    int64_t delay = TH_TIME_NONE; /* for ECS input lacking event.ingested */
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&args, &mo, &paths);
    if ((v = th_args_value(&args, "ingest-delay"))) {
        if (strcmp(v, "none") == 0) {
            mo.ingest_delay_ms = -1;
        } else if (!th_duration_parse(v, strlen(v), &delay) || delay < 0) {
            fprintf(stderr, "trailhound run: bad --ingest-delay '%s' (e.g. 0s, 5m, none)\n", v);
            return TH_EXIT_USAGE;
        } else {
            mo.ingest_delay_ms = delay;
        }
    }
    bool quiet = th_args_flag(&args, "quiet");
    unsigned threads;
    if (!th_cli_threads("run", &args, &threads))
        return TH_EXIT_USAGE;
    const char *inputs[3 * TH_ARGS_MAX];
    size_t ninputs = 0;
    for (size_t i = 0; i < nd; i++)
        inputs[ninputs++] = dpaths[i];
    for (size_t i = 0; i < nr; i++)
        inputs[ninputs++] = rpaths[i];
    for (size_t i = 0; i < nx; i++)
        inputs[ninputs++] = xpaths[i];
    th_signals_install();
    if (!th_run_out_init(&ro, th_args_value(&args, "format"), th_args_value(&args, "output"),
                         inputs, ninputs))
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
        return th_cli_no_rules("run", rpaths, nr);
    }
    th_exceptions exc;
    th_exceptions_init(&exc);
    for (size_t i = 0; i < nx; i++)
        th_exceptions_load(&exc, xpaths[i], &diags);
    th_engine *e = th_engine_new(&eo);
    th_arena qa;
    th_arena_init(&qa, 1 << 16);
    th_exceptions **views = th_xcalloc(rs.len + 1, sizeof *views);
    size_t nskipped = 0;
    th_run_add_rules(e, &rs, &qa, &diags, &exc, views, &nskipped);
    th_never_see_print(e, &mo, "run", stderr);
    size_t nrules_e;
    th_engine_reports(e, &nrules_e);
    th_state_rule_status *sstat = sdb ? th_xcalloc(nrules_e + 1, sizeof *sstat) : NULL;
    if (sdb) {
        char err[512];
        if (!th_statedb_load(sdb, e, sstat, err, sizeof err)) {
            fprintf(stderr, "trailhound run: %s\n", err);
            rc = TH_EXIT_USAGE;
            th_run_out_discard(&ro);
            goto state_fail;
        }
        th_run_state_loaded(e, sstat, state_path, quiet ? NULL : stderr);
        th_buf pend;
        th_buf_init(&pend);
        char shown[1024];
        if (th_statedb_pending(sdb, &pend, shown, sizeof shown)) {
            /* the last run was killed after committing, before its output was in place */
            th_run_out_raw(&ro, pend.data, pend.len);
            if (!quiet)
                fprintf(stderr, "state: the output of the last run (%s) never got into place: "
                                "written here first (%zu bytes)\n", shown, pend.len);
        }
        th_buf_free(&pend);
    }

    /* errors from here on are the input's: skipped records, reported, not findings */
    size_t rule_errors = diags.errors;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    th_input_opts io;
    th_input_opts_default(&io, &diags);
    io.lazy = true; /* NDJSON lines scanned, not parsed: the pipeline parses what it maps */
    io.exclude = ro.out.excl;
    io.nexclude = ro.out.nexcl;
    io.interrupted = th_signals_flag();
    if (sdb) {
        io.seen = th_statedb_seen;
        io.seen_ctx = sdb;
    }
    th_input *in = th_input_open(dpaths, nd, &io);
    th_pipeline feed = {.engines = {e}, .nengines = 1, .mo = &mo, .diags = &diags,
                        .delay = delay, .threads = threads, .progress = !quiet && isatty(2) != 0,
                        .total_bytes = !quiet && isatty(2) ? th_cli_input_size(dpaths, nd) : 0,
                        .progress_after = getenv("TH_PROGRESS_AFTER")
                                              ? atof(getenv("TH_PROGRESS_AFTER"))
                                              : 0,
                        .verb = "run", .profile = eo.profile,
                        .eager = th_args_flag(&args, "no-lazy"),
                        .interrupted = th_signals_flag()};
    th_pipeline_run(&feed, in);
    double read_s = elapsed(&t0);
    /* Interrupted while reading: the temporal pass would run on part of the
     * input and its alerts would look complete, so nothing is written. */
    int sig = th_signals_caught();
    /* the profile's temporal figure is CPU summed over threads, like its
     * other stages: the pass runs rules side by side (th_engine_set_threads) */
    double cpu0 = process_cpu_s();
    if (!sig)
        th_engine_finish(e, th_run_out_alert, &ro);
    double temporal_cpu_s = process_cpu_s() - cpu0;
    double total_s = elapsed(&t0);
    int sig_late = sig ? 0 : th_signals_caught(); /* came during the temporal pass */
    bool atomic = th_outfile_atomic(&ro.out);

    th_run_summary sum = {0};
    sum.engine = e;
    sum.input = in ? th_input_stats_get(in) : NULL;
    sum.events = feed.events;
    sum.raw = feed.raw;
    sum.derived_ingested = feed.derived;
    sum.no_time = feed.notime;
    sum.read_s = read_s;
    sum.total_s = total_s;
    sum.ingest_delay_ms = mo.ingest_delay_ms;
    sum.ecs_delay_ms = delay;
    sum.profile = eo.profile;
    sum.max_memory = eo.max_memory_bytes;
    sum.exceptions = exc.len;
    sum.mapper = feed.mapper;
    sum.pipe = &feed;
    sum.temporal_s = temporal_cpu_s;
    if (ro.fmt == TH_RUN_JSON)
        th_run_summary_json(&sum, &ro.buf);
    bool werr = false;
    /* With --state and -o FILE, the output (complete, in its temporary file)
     * and the state are committed in one transaction before the rename
     * (state/state.h, crash safety); otherwise the state is saved after the
     * output is written. */
    bool staged = sdb && th_outfile_atomic(&ro.out) && ro.out.tmp && ro.fmt != TH_RUN_JSON;
    /* a copy: th_outfile frees its paths at discard */
    char *target = th_xstrdup(ro.out.target ? ro.out.target
                              : th_args_value(&args, "output") ? th_args_value(&args, "output")
                                                                : "-");
    int64_t append_at = -1; /* --follow: appended to the file, not replacing it */
    if (staged && fw) {
        struct stat tst;
        append_at = stat(target, &tst) == 0 ? (int64_t)tst.st_size : 0;
    }
    bool saved = false;
    th_state_rule_size *sizes = sdb ? th_xcalloc(nrules_e + 1, sizeof *sizes) : NULL;
    char serr[512] = "";
    uint64_t nrec = sum.input ? sum.input->records : 0;
    if (sig || sig_late) {
        th_run_out_discard(&ro);
    } else if (staged) {
        th_buf content;
        th_buf_init(&content);
        if (!th_run_out_stage(&ro, &content)) {
            snprintf(serr, sizeof serr, "%s: cannot read back the output to commit it with the state",
                     state_path);
        } else {
            saved = th_statedb_save(sdb, e, eo.order_base + nrec, eo.phase_ms, eo.max_state_bytes,
                                    sizes, target, th_buf_str(&content), append_at, serr,
                                    sizeof serr);
        }
        if (saved && append_at >= 0) {
            if (getenv("TH_TEST_KILL_AFTER_STATE_COMMIT"))
                raise(SIGKILL);
            th_run_out_discard(&ro);
            werr = !append_file(target, &content);
            char derr[512];
            if (!werr && !th_statedb_outbox_done(sdb, derr, sizeof derr))
                fprintf(stderr, "trailhound run: %s (the next run checks the output)\n", derr);
        }
        th_buf_free(&content);
        if (!saved) {
            th_run_out_discard(&ro);
            werr = true;
        } else if (append_at >= 0) {
            /* appended above */
        } else {
            /* tests: die in the one window where the state is ahead of the
             * output (tests/cli/test_state.sh checks that the next run
             * writes this run's output first) */
            if (getenv("TH_TEST_KILL_AFTER_STATE_COMMIT"))
                raise(SIGKILL);
            werr = !th_run_out_close(&ro);
            char derr[512];
            if (!werr && !th_statedb_outbox_done(sdb, derr, sizeof derr))
                fprintf(stderr, "trailhound run: %s (the next run checks the output)\n", derr);
        }
    } else {
        werr = !th_run_out_close(&ro);
        if (sdb && !werr)
            saved = th_statedb_save(sdb, e, eo.order_base + nrec, eo.phase_ms, eo.max_state_bytes,
                                    sizes, NULL, TH_STR_NULL, -1, serr, sizeof serr);
    }
    free(target);
    if (!quiet)
        th_run_summary_print(&sum, stderr);
    if (sdb && serr[0]) {
        fprintf(stderr, "trailhound run: %s\n", serr);
        rc = TH_EXIT_USAGE;
    } else if (saved && !quiet) {
        th_run_state_saved(e, sizes, state_path, sum.input, stderr);
        if (ro.updates)
            fprintf(stderr, "state: %llu alert%s of earlier runs updated by alert suppression and "
                            "written again (same kibana.alert.uuid, new suppression count and end%s)\n",
                    (unsigned long long)ro.updates, ro.updates == 1 ? "" : "s",
                    ro.fmt == TH_RUN_BULK ? "; bulk action index, replacing it" : "");
    }
    free(sizes);

    if (ro.alerts > 0 || rule_errors > 0 || rs.files_failed)
        rc = TH_EXIT_FINDINGS;
    rc = th_cli_input_rc("run", sum.input, th_args_flag(&args, "strict"), rc);
    if (werr)
        rc = TH_EXIT_USAGE;
    /* most events could not be placed in time: the rules were not run over
     * the data as asked, whatever alerts the rest gave */
    if (sum.events && sum.no_time * 2 > sum.events) {
        fprintf(stderr,
                "trailhound run: %llu of %llu events have no usable time (no eventTime or "
                "@timestamp that ISO8601 reads); the rules could not see them\n",
                (unsigned long long)sum.no_time, (unsigned long long)sum.events);
        rc = TH_EXIT_USAGE;
    }
    if (sdb && (sig || sig_late))
        fprintf(stderr, "trailhound run: %s: the state was not saved; the next run does this one again\n",
                state_path);
    if (sig) {
        fprintf(stderr,
                "trailhound run: interrupted by signal %d while reading: stopped; the temporal "
                "pass did not run and no alerts were written%s\n",
                sig, atomic ? " (the output file is as it was)" : "");
        rc = th_signals_exit_code(sig);
    } else if (sig_late) {
        fprintf(stderr, "trailhound run: interrupted by signal %d during the temporal pass: %s\n",
                sig_late,
                atomic ? "output discarded, the output file is as it was"
                       : "the alerts written are incomplete");
        rc = th_signals_exit_code(sig_late);
    }
    if (in)
        th_input_close(in);
    th_pipeline_free(&feed);
state_fail:
    free(sstat);
    th_statedb_close(sdb);
    th_engine_free(e);
    for (size_t i = 0; i < rs.len; i++) {
        if (views[i]) {
            th_exceptions_free(views[i]);
            free(views[i]);
        }
    }
    free(views);
    th_exceptions_free(&exc);
    th_arena_free(&qa);
    th_ruleset_free(&rs);
    th_diags_free(&diags);
    return rc;
}

/* ---- run --follow --------------------------------------------------------- */

typedef struct watcher {
    int fd;
    TH_VEC(char *) paths; /* by watch descriptor */
} watcher;

static void watch_tree(watcher *w, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    int wd = inotify_add_watch(w->fd, path,
                               IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ONLYDIR);
    if (wd < 0) {
        fprintf(stderr, "trailhound run: --follow: cannot watch %s: %s\n", path, strerror(errno));
        return;
    }
    while (w->paths.len <= (size_t)wd) {
        char *none = NULL;
        TH_VEC_PUSH(&w->paths, none);
    }
    if (!w->paths.items[wd])
        w->paths.items[wd] = th_xstrdup(path);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        size_t n = strlen(path) + strlen(de->d_name) + 2;
        char *sub = th_xmalloc(n);
        snprintf(sub, n, "%s/%s", path, de->d_name);
        watch_tree(w, sub);
        free(sub);
    }
    closedir(d);
}

/* Reads the pending events; new folders are watched too. */
static void drain(watcher *w)
{
    _Alignas(struct inotify_event) char buf[16384];
    for (;;) {
        ssize_t n = read(w->fd, buf, sizeof buf);
        if (n <= 0)
            return;
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ev = (struct inotify_event *)(void *)p;
            if ((ev->mask & IN_ISDIR) && ev->len && ev->wd >= 0 && (size_t)ev->wd < w->paths.len &&
                w->paths.items[ev->wd]) {
                size_t k = strlen(w->paths.items[ev->wd]) + strlen(ev->name) + 2;
                char *sub = th_xmalloc(k);
                snprintf(sub, k, "%s/%s", w->paths.items[ev->wd], ev->name);
                watch_tree(w, sub);
                free(sub);
            }
            p += sizeof(struct inotify_event) + ev->len;
        }
    }
}

/* Waits for new objects, then for a second without more; false when a
 * signal came (stop). */
static bool wait_for_objects(watcher *w)
{
    bool got = false;
    for (;;) {
        struct pollfd p = {w->fd, POLLIN, 0};
        int n = poll(&p, 1, 1000);
        if (th_signals_caught())
            return false;
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0) {
            drain(w);
            got = true;
        } else if (n == 0 && got) {
            return true;
        }
    }
}

static int run_follow_loop(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "-o") == 0)
            argv[i] = (char *)"--output";
    th_args args;
    if (!th_args_parse(&args, "run", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (!th_args_value(&args, "state")) {
        fprintf(stderr, "trailhound run: --follow needs --state PATH\n");
        return TH_EXIT_USAGE;
    }
    const char *dpaths[TH_ARGS_MAX];
    size_t nd = th_args_values(&args, "data", dpaths, TH_ARGS_MAX);
    th_signals_install();
    watcher w = {inotify_init1(IN_CLOEXEC | IN_NONBLOCK), {0}};
    if (w.fd < 0) {
        fprintf(stderr, "trailhound run: --follow: inotify: %s\n", strerror(errno));
        return TH_EXIT_USAGE;
    }
    for (size_t i = 0; i < nd; i++) /* before the first run: nothing lands unseen */
        watch_tree(&w, dpaths[i]);
    int worst = TH_EXIT_OK;
    run_follow fw = {0};
    for (;;) {
        fw.pass++;
        int rc = run_once(argc, argv, &fw);
        if (rc == TH_EXIT_USAGE) {
            worst = rc;
            break;
        }
        if (rc == TH_EXIT_FINDINGS)
            worst = rc;
        if (th_signals_caught() || !wait_for_objects(&w))
            break;
    }
    int sig = th_signals_caught();
    if (sig)
        fprintf(stderr, "trailhound run: --follow: stopped by signal %d; the state holds every "
                        "finished run\n", sig);
    for (size_t i = 0; i < w.paths.len; i++)
        free(w.paths.items[i]);
    TH_VEC_FREE(&w.paths);
    close(w.fd);
    return worst;
}

int th_cmd_run(int argc, char **argv)
{
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "--follow") == 0)
            return run_follow_loop(argc, argv);
    return run_once(argc, argv, NULL);
}
