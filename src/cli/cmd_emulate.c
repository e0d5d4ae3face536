/* trailhound emulate SCENARIO... : writes realistic raw CloudTrail for attack
 * stories and benign activity, with labels (src/emulate). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "cli/args.h"
#include "cli/guard.h"
#include "cli/verbs.h"
#include "emulate/emulate.h"

static const th_opt opts[] = {
    {"seed", TH_OPT_VALUE, "N", "PRNG seed; the same seed gives byte-identical output (default 1)"},
    {"start", TH_OPT_VALUE, "DATE",
     "first day of the period, YYYY-MM-DD or ISO time (default 2024-06-01)"},
    {"days", TH_OPT_VALUE, "N", "length of the period in days (default 1)"},
    {"rate", TH_OPT_VALUE, "N",
     "background events per hour, averaged over the week (default 2000)"},
    {"out", TH_OPT_VALUE, "DIR|-",
     "S3 layout under DIR plus DIR/labels.ndjson, or NDJSON on stdout with - (default -)"},
    {"labels", TH_OPT_VALUE, "FILE",
     "with --out -: write the labels here (otherwise they are not written)"},
    {"list", TH_OPT_FLAG, NULL, "describe the scenarios and exit"},
    {"quiet", TH_OPT_FLAG, NULL, "no summary on stderr"},
};

static void list(void)
{
    const th_emu_scenario_info *s;
    size_t n = th_emu_scenarios(&s);
    printf("%-24s %-7s %-26s %s\n", "SCENARIO", "KIND", "ATT&CK", "WHAT IT EMULATES");
    for (size_t i = 0; i < n; i++)
        printf("%-24s %-7s %-26s %s\n", s[i].name, s[i].kind,
               s[i].technique[0] ? s[i].technique : "-", s[i].summary);
}

static bool parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-')
        return false;
    *out = v;
    return true;
}

int th_cmd_emulate(int argc, char **argv)
{
    th_args a;
    if (!th_args_parse(&a, "emulate", opts, TH_NELEM(opts), argc, argv, 2))
        return TH_EXIT_USAGE;
    if (a.help) {
        th_args_help(
            "trailhound emulate SCENARIO... [options]",
            "Writes raw CloudTrail, as AWS delivers it, for attack stories and benign activity,\n"
            "with labels.ndjson (eventID -> scenario, step, malicious, expected Elastic rule "
            "ids).\n"
            "`--list` describes the scenarios.\n"
            "exit codes: 0 written; 2 unknown scenario, bad option or a write that failed.\n\n"
            "example: trailhound emulate log-tampering --days 2 --out ev/",
            opts, TH_NELEM(opts));
        return TH_EXIT_OK;
    }
    if (th_args_flag(&a, "list")) {
        list();
        return TH_EXIT_OK;
    }
    if (a.npos == 0) {
        fprintf(stderr, "trailhound emulate: name at least one scenario (see --list)\n");
        return TH_EXIT_USAGE;
    }
    th_emu_options o = {.seed = 1, .days = 1, .rate = 2000};
    const char *v;
    uint64_t u;
    if ((v = th_args_value(&a, "seed")) && !parse_u64(v, &o.seed)) {
        fprintf(stderr, "trailhound emulate: --seed wants a non-negative integer, not '%s'\n", v);
        return TH_EXIT_USAGE;
    }
    if ((v = th_args_value(&a, "days"))) {
        if (!parse_u64(v, &u) || u == 0 || u > 3660) {
            fprintf(stderr, "trailhound emulate: --days wants 1..3660, not '%s'\n", v);
            return TH_EXIT_USAGE;
        }
        o.days = (int)u;
    }
    if ((v = th_args_value(&a, "rate"))) {
        char *end;
        o.rate = strtod(v, &end);
        if (*end || !(o.rate >= 0) || o.rate > 1e9) {
            fprintf(stderr, "trailhound emulate: --rate wants events per hour (>= 0), not '%s'\n",
                    v);
            return TH_EXIT_USAGE;
        }
    }
    v = th_args_value(&a, "start");
    if (!v)
        v = "2024-06-01";
    if (!th_time_parse_iso(v, strlen(v), &o.start_ms)) {
        fprintf(stderr, "trailhound emulate: --start wants YYYY-MM-DD or an ISO time, not '%s'\n",
                v);
        return TH_EXIT_USAGE;
    }
    char rerr[160];
    if (!th_emu_start_ok(o.start_ms, o.days, rerr, sizeof rerr)) {
        fprintf(stderr, "trailhound emulate: --start '%s': %s\n", v, rerr);
        return TH_EXIT_USAGE;
    }
    for (size_t i = 0; i < a.npos; i++)
        if (!th_emu_find(a.pos[i])) {
            fprintf(stderr, "trailhound emulate: unknown scenario '%s' (see --list)\n", a.pos[i]);
            return TH_EXIT_USAGE;
        }
    for (size_t i = 0; i < a.npos; i++) {
        if (!th_emu_find(a.pos[i])) {
            fprintf(stderr, "trailhound emulate: unknown scenario '%s' (see --list)\n", a.pos[i]);
            return TH_EXIT_USAGE;
        }
    }
    const char *out = th_args_value(&a, "out");
    const char *labels = th_args_value(&a, "labels");
    char err[512] = "";
    th_emu_writer *w;
    FILE *lf = NULL;
    if (!out || !strcmp(out, "-")) {
        if (labels && !(lf = fopen(labels, "wb"))) {
            fprintf(stderr, "trailhound emulate: %s: %s\n", labels, strerror(errno));
            return TH_EXIT_USAGE;
        }
        w = th_emu_writer_stream(stdout, lf);
    } else {
        if (labels)
            fprintf(stderr, "trailhound emulate: --labels is ignored with --out DIR (labels go to "
                            "DIR/labels.ndjson)\n");
        w = th_emu_writer_dir(out, err, sizeof err);
        if (!w) {
            fprintf(stderr, "trailhound emulate: %s\n", err);
            return TH_EXIT_USAGE;
        }
    }
    th_emu_sink sink = th_emu_writer_sink(w);
    th_emu_stats st;
    int rc = th_emu_run(&o, (const char *const *)a.pos, a.npos, &sink, &st, err, sizeof err);
    char err2[512] = "";
    int rc2 = th_emu_writer_close(w, err2, sizeof err2);
    if (lf && fclose(lf))
        rc2 = -1;
    if (rc || rc2) {
        fprintf(stderr, "trailhound emulate: %s\n", rc2 ? err2 : err);
        return TH_EXIT_USAGE;
    }
    if (!th_args_flag(&a, "quiet"))
        fprintf(
            stderr,
            "trailhound emulate: %llu records (%llu malicious), %llu objects, %.1f MB of JSON\n",
            (unsigned long long)st.records, (unsigned long long)st.malicious,
            (unsigned long long)st.objects, (double)st.bytes / 1e6);
    return TH_EXIT_OK;
}
