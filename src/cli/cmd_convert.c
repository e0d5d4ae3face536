/* trailhound convert PATH... : raw CloudTrail -> ECS NDJSON, one document per
 * event in input order (ECS records pass through), summary on stderr. */
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
#include "cli/enrich.h"
#include "cli/guard.h"
#include "cli/outfile.h"
#include "cli/run_out.h"
#include "cli/verbs.h"
#include "ecs/mapper.h"
#include "pipeline/pipeline.h"
#include "io/input.h"

static const th_opt opts[] = {
    {"quiet", TH_OPT_FLAG, NULL, "no progress and no summary on stderr"},
    {"profile", TH_OPT_FLAG, NULL, "where time goes, on stderr: CPU per stage (read, parse, map, render) and mapping levels"},
    {"strict", TH_OPT_FLAG, NULL, "exit 2 when any record or file is skipped as malformed or corrupt"},
    {"output", TH_OPT_VALUE, "FILE", "write the NDJSON here (also -o; default: stdout)"},
    {"ingest-delay", TH_OPT_VALUE, "D",
     "event.ingested = @timestamp + D, whole seconds (default 0s; `none` leaves it unset)"},
    {"preserve-original", TH_OPT_FLAG, NULL, "keep event.original (tag preserve_original_event)"},
    {"retain", TH_OPT_VALUE, "MODE", "the integration's retain setting (all|minimal|keyword|...)"},
    TH_ENRICH_OPTS,
    {"no-data-stream", TH_OPT_FLAG, NULL, "omit data_stream.*, event.dataset, event.module"},
    {"from", TH_OPT_VALUE, "T", TH_CLI_FROM_HELP "; S3 objects whose key date is outside are not read"},
    {"to", TH_OPT_VALUE, "T", TH_CLI_TO_HELP},
    {"threads", TH_OPT_VALUE, "N",
     "map on N threads, the reading thread one of them (default: the number of cores; 1 = no "
     "workers); output is the same for every N"},
};

#define GEO_OFF "off (--no-geoip, or no database: run scripts/setup.sh or give --geoip-city)"

/* --from/--to: ISO-8601 or Elastic date math relative to the wall clock. */
/* The event time of a record: eventTime (raw CloudTrail) or @timestamp (ECS). */
static int64_t record_time(const th_record *rec)
{
    const char *key = rec->kind == TH_REC_ECS ? "@timestamp" : "eventTime";
    th_str t = th_jstr(th_json_path_first(rec->json, th_str_c(key)));
    int64_t ms;
    return t.p && th_time_parse_iso(t.p, t.n, &ms) ? ms : TH_TIME_NONE;
}

/* The output is handed to stdio in chunks of about this size: one write(2)
 * per MiB, not one or two per document (a 4 KiB stdio buffer holds about one
 * document). The first chunk is handed over once it passes 4 KiB, as stdio's
 * buffer would have been flushed, so that an output that takes nothing (a full
 * disk, a closed pipe) stops the run after the same few records. A terminal
 * gets every document as it comes. */
enum { OUT_FIRST = 4096, OUT_CHUNK = 1 << 20 };

/* The pipeline's callbacks: the time filter (before mapping) and the writer. */
typedef struct conv {
    int64_t from_ms, to_ms;
    FILE *out;
    th_pipeline *pipe;
    th_buf pend;     /* lines not yet handed to out (the pipeline's `rendered`) */
    size_t flush_at; /* pend goes to out once longer than this */
    size_t chunk;    /* flush_at after the first chunk */
    uint64_t mapped, passed, outbytes, out_of_range;
    bool werr;
} conv;

static bool conv_keep(void *ctx, const th_record *rec)
{
    conv *c = ctx;
    if (c->from_ms == TH_TIME_NONE && c->to_ms == TH_TIME_NONE)
        return true;
    int64_t t = record_time(rec);
    if (t == TH_TIME_NONE || (c->from_ms != TH_TIME_NONE && t < c->from_ms) ||
        (c->to_ms != TH_TIME_NONE && t > c->to_ms)) {
        c->out_of_range++;
        return false;
    }
    return true;
}

/* The document's NDJSON line, made on the worker that mapped it. A mapped
 * document's empty values are dropped as it is written (the mapper's
 * prune_on_write); other records pass as they came. */
static void conv_render(const void *ctx, const th_event *ev, th_rec_kind kind, th_buf *out)
{
    (void)ctx;
    if (kind == TH_REC_CLOUDTRAIL)
        th_json_write_pruned(out, ev->doc);
    else
        th_json_write(out, ev->doc);
    th_buf_putc(out, '\n');
}

/* Hands the pending lines to the output; a failed write stops the run. */
static void conv_flush(conv *c)
{
    if (c->pend.len && !c->werr && fwrite(c->pend.data, 1, c->pend.len, c->out) != c->pend.len) {
        c->werr = true;
        c->pipe->stop = true;
    }
    th_buf_clear(&c->pend);
}

/* Counts the line the pipeline has just appended to pend, in input order (the
 * committing thread), and hands pend to the output once it is long enough. */
static void conv_write(void *ctx, const th_event *ev, th_rec_kind kind, th_str text)
{
    (void)ev;
    conv *c = ctx;
    if (c->werr) { /* the run is stopping: nothing more is written */
        th_buf_clear(&c->pend);
        return;
    }
    c->mapped += kind == TH_REC_CLOUDTRAIL;
    c->passed += kind != TH_REC_CLOUDTRAIL;
    c->outbytes += text.n;
    if (c->pend.len > c->flush_at) {
        conv_flush(c);
        c->flush_at = c->chunk;
    }
}

int th_cmd_convert(int argc, char **argv)
{
    /* -o FILE is accepted as --output FILE */
    for (int i = 2; i < argc; i++)
        if (strcmp(argv[i], "-o") == 0)
            argv[i] = (char *)"--output";
    th_args args;
    if (!th_args_parse(&args, "convert", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (args.help) {
        th_args_help("trailhound convert PATH... [-o FILE] [options]",
                     "Map raw CloudTrail records (files, directories, gzip, S3 objects, NDJSON, `-`)\n"
                     "to ECS documents as Elastic's AWS integration does; writes NDJSON.\n"
                     "exit codes: 0 converted; 1 records skipped (malformed or not events); 2 could\n"
                     "not run (usage, missing path, unreadable input, write error; --strict: skipped\n"
                     "records).\n\n"
                     "example: trailhound convert cloudtrail/ -o events.ndjson",
                     opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    if (args.npos == 0) {
        fprintf(stderr, "trailhound convert: no input (give files, directories or -)\n");
        return TH_EXIT_USAGE;
    }
    if (!th_cli_paths_ok("convert", "PATH", TH_ROLE_DATA, args.pos, args.npos))
        return TH_EXIT_USAGE;
    bool quiet = th_args_flag(&args, "quiet");
    th_mapper_opts mo;
    th_mapper_paths paths;
    th_cli_enrich_opts(&args, &mo, &paths);
    const char *delay = th_args_value(&args, "ingest-delay");
    if (delay && strcmp(delay, "none") == 0) {
        mo.ingest_delay_ms = -1;
    } else if (delay) {
        int64_t ms;
        if (!th_duration_parse(delay, strlen(delay), &ms) || ms < 0) {
            fprintf(stderr, "trailhound convert: bad --ingest-delay '%s' (e.g. 0s, 5m, none)\n", delay);
            return TH_EXIT_USAGE;
        }
        mo.ingest_delay_ms = ms;
    }
    mo.preserve_original = th_args_flag(&args, "preserve-original");
    mo.data_stream = !th_args_flag(&args, "no-data-stream");
    mo.retain = th_args_value(&args, "retain");
    mo.prune_on_write = true; /* conv_render writes mapped documents pruned */
    th_diags diags;
    th_diags_init(&diags);
    diags.echo = stderr;
    th_mapper *m = th_mapper_new(&mo, &diags);
    if (!m) {
        th_diags_free(&diags);
        return TH_EXIT_USAGE;
    }
    int64_t from_ms = TH_TIME_NONE, to_ms = TH_TIME_NONE;
    if (!th_cli_period("convert", &args, &from_ms, &to_ms)) {
        th_mapper_free(m);
        th_diags_free(&diags);
        return TH_EXIT_USAGE;
    }
    unsigned threads;
    if (!th_cli_threads("convert", &args, &threads)) {
        th_mapper_free(m);
        th_diags_free(&diags);
        return TH_EXIT_USAGE;
    }
    th_signals_install();
    th_outfile of;
    if (!th_outfile_open(&of, "convert", th_args_value(&args, "output"), args.pos, args.npos)) {
        th_mapper_free(m);
        th_diags_free(&diags);
        return TH_EXIT_USAGE;
    }
    FILE *out = of.f;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    th_input_opts io;
    th_input_opts_default(&io, &diags);
    io.key_from_ms = from_ms;
    io.key_to_ms = to_ms;
    io.exclude = of.excl;
    io.nexclude = of.nexcl;
    io.interrupted = th_signals_flag();
    /* The reading thread only scans and classifies an NDJSON line, and the
     * DOM is built from that scan (with workers, a worker scans it again);
     * alone, the scan and the build cost less than one parse into a DOM.
     * conv_keep reads the DOM (--from/--to): then io parses. keep is set even
     * without a period: the pipeline then has io read every file itself, not
     * defer lines and files to the workers, so messages keep their order. */
    io.lazy = from_ms == TH_TIME_NONE && to_ms == TH_TIME_NONE;
    th_input *in = th_input_open(args.pos, args.npos, &io);
    bool tty = isatty(fileno(out)) != 0;
    conv c = {.from_ms = from_ms, .to_ms = to_ms, .out = out, .flush_at = tty ? 0 : OUT_FIRST,
              .chunk = tty ? 0 : OUT_CHUNK};
    th_buf_init(&c.pend);
    th_pipeline pipe = {.mo = &mo, .diags = &diags, .delay = TH_TIME_NONE, .threads = threads,
                        .progress = !quiet && isatty(2) != 0,
                        .total_bytes =
                            !quiet && isatty(2) ? th_cli_input_size(args.pos, args.npos) : 0,
                        .verb = "convert", .full_docs = true,
                        .render = conv_render, .on_rendered = conv_write,
                        .rendered = &c.pend, .keep = conv_keep,
                        .ctx = &c, .mapper = m, .profile = th_args_flag(&args, "profile"),
                        .interrupted = th_signals_flag()};
    c.pipe = &pipe;
    th_pipeline_run(&pipe, in);
    conv_flush(&c); /* also after a signal: whole documents up to the stop */
    th_buf_free(&c.pend);
    uint64_t mapped = c.mapped, passed = c.passed, outbytes = c.outbytes,
             out_of_range = c.out_of_range;
    bool werr = c.werr;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int sig = th_signals_caught();
    bool atomic = th_outfile_atomic(&of);
    if (sig || werr)
        th_outfile_discard(&of); /* F keeps what it held: never a cut-off output */
    else if (!th_outfile_commit(&of))
        werr = true;
    const th_input_stats *st = in ? th_input_stats_get(in) : NULL;
    if (pipe.profile)
        th_pipeline_profile_print(&pipe, -1, "convert", stderr);
    if (!quiet) {
        fprintf(stderr,
                "convert: %llu files (%llu skipped), %llu records: %llu mapped, %llu ECS passed through, "
                "%llu skipped (malformed or not events; see messages above); %llu bytes read "
                "(%llu inflated), %llu bytes written, %.3f s\n",
                st ? (unsigned long long)st->files : 0ULL,
                st ? (unsigned long long)st->files_skipped : 0ULL,
                (unsigned long long)(mapped + passed), (unsigned long long)mapped,
                (unsigned long long)passed, st ? (unsigned long long)st->records_skipped : 0ULL,
                st ? (unsigned long long)st->bytes : 0ULL,
                st ? (unsigned long long)st->bytes_inflated : 0ULL, (unsigned long long)outbytes, secs);
        if (from_ms != TH_TIME_NONE || to_ms != TH_TIME_NONE)
            fprintf(stderr,
                    "convert: %llu events outside --from/--to (or without a time) left out; %llu files "
                    "left unread by their S3 key date\n",
                    (unsigned long long)out_of_range,
                    st ? (unsigned long long)st->files_key_date : 0ULL);
        if (mo.ingest_delay_ms >= 0)
            fprintf(stderr, "convert: event.ingested = @timestamp + %llds (--ingest-delay)\n",
                    (long long)(mo.ingest_delay_ms / 1000));
        else
            fprintf(stderr, "convert: event.ingested not set (--ingest-delay none)\n");
        const char *uav = th_mapper_ua_version(m);
        fprintf(stderr, "convert: user agents: %s%s%s; geo: %s; actor_target_mapping: %s\n",
                th_mapper_has_ua(m) ? "uap-core " : "not parsed (no regexes.yaml; run scripts/setup.sh)",
                th_mapper_has_ua(m) ? (uav ? uav : "(version unknown)") : "",
                "", th_mapper_geo_desc(m) ? th_mapper_geo_desc(m) : GEO_OFF,
                mo.actor_target_mapping ? "on" : "off");
    }
    if (werr && !sig) /* a write a signal interrupted is part of the interrupt */
        fprintf(stderr, "trailhound convert: write error%s\n",
                atomic ? "; nothing written, the output file is as it was" : "");
    if (sig)
        fprintf(stderr,
                "trailhound convert: interrupted by signal %d: stopped reading; %s\n", sig,
                atomic ? "output discarded, the output file is as it was"
                       : "the output is incomplete (whole documents up to the stop)");
    bool problems = diags.errors > 0 || (st && st->records_skipped > 0);
    int rc = th_cli_input_rc("convert", st, th_args_flag(&args, "strict"),
                             problems ? TH_EXIT_FINDINGS : TH_EXIT_OK);
    if (werr)
        rc = TH_EXIT_USAGE;
    if (sig)
        rc = th_signals_exit_code(sig);
    if (in)
        th_input_close(in);
    th_pipeline_free(&pipe); /* frees the mapper */
    th_diags_free(&diags);
    return rc;
}
