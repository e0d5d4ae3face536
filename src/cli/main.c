/* trailhound: detection engine and detection-engineering workbench for AWS CloudTrail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#include <unistd.h>
#endif

#include "cli/args.h"
#include "cli/guard.h"
#include "cli/verbs.h"

static const th_verb verbs[] = {
    {"run", th_cmd_run, "run rules over CloudTrail as Elastic Security would; write alerts"},
    {"match", th_cmd_match, "the events each rule's query selects (no scheduling)"},
    {"hunt", th_cmd_hunt, "run hunting queries (ES|QL) over logs; a table, NDJSON or CSV"},
    {"convert", th_cmd_convert, "map raw CloudTrail to ECS NDJSON (as Elastic's AWS integration)"},
    {"rules", th_cmd_rules, "list, show, validate, lint Elastic rule files"},
    {"lint", th_cmd_rules_lint, "lint rule files (same as `rules lint`)"},
    {"tune", th_cmd_tune, "compare two versions of a rule over the same data (+ HTML report)"},
    {"explain", th_cmd_explain, "why a rule's query selects an event or not, clause by clause"},
    {"noise", th_cmd_noise, "rank single conditions that would remove the most of a rule's alerts"},
    {"emulate", th_cmd_emulate, "write realistic raw CloudTrail for attack and benign scenarios"},
    {"test", th_cmd_test, "run rule tests (*.test.toml): events in, expected alerts out"},
    {"state", th_cmd_state, "show, prune or reset the state file of incremental runs (run --state)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: trailhound <verb> [options]\n\n"
               "trailhound runs Elastic detection rules (detection-rules TOML) over AWS CloudTrail.\n\n"
               "verbs:\n");
    for (size_t i = 0; i < TH_NELEM(verbs); i++)
        fprintf(f, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    fprintf(f, "\n`trailhound help <verb>` (or `trailhound <verb> --help`) describes each verb.\n"
               "example: trailhound run --rules rules/ --data cloudtrail/ --format summary\n"
               "exit codes: 0 nothing found; 1 findings (alerts, rule problems, failed tests);\n"
               "2 the job could not be done (usage error, missing path, no rule loaded,\n"
               "unreadable input, output not written).\n");
}

static const th_verb *find_verb(const char *name)
{
    for (size_t i = 0; i < TH_NELEM(verbs); i++)
        if (strcmp(name, verbs[i].name) == 0)
            return &verbs[i];
    return NULL;
}

/* Runs the verb, then makes sure what it wrote on stdout reached it: a full
 * disk or a closed pipe is exit 2, whatever the verb found. */
static int run_verb(const th_verb *v, int argc, char **argv)
{
    int rc = v->fn(argc, argv);
    if (!th_cli_write_ok(v->name, stdout, "standard output", false))
        rc = TH_EXIT_USAGE;
    return rc;
}

/* `trailhound help VERB [SUB]` is `trailhound VERB [SUB] --help`. */
static int help_verb(int argc, char **argv)
{
    const th_verb *v = find_verb(argv[2]);
    if (!v) {
        fprintf(stderr, "trailhound help: unknown verb '%s'\n\n", argv[2]);
        usage(stderr);
        return TH_EXIT_USAGE;
    }
    char *hv[5] = {argv[0], argv[2], NULL, NULL, NULL};
    int n = 2;
    if (argc > 3 && strcmp(argv[2], "rules") == 0)
        hv[n++] = argv[3];
    hv[n++] = (char *)"--help";
    return run_verb(v, n, hv);
}

#if defined(__GLIBC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
/* The heap on transparent huge pages: a first touch faults in 2 MB instead of
 * 4 KB. In a VM a minor fault costs several microseconds, and a run touches
 * every page of its peak (150 MB with the AWS pack's ES|QL rules on 100k
 * events: 32k faults, ~0.3 s of 2.2 s; 7k faults, ~0.08 s of 0.6 s without
 * them). glibc does it (madvise on what it takes from the kernel) when the
 * tunable glibc.malloc.hugetlb=1 is set, which it reads only at start-up: the
 * program starts itself again once with it. Only where the kernel gives huge
 * pages on request (transparent_hugepage "madvise"; "always" needs no help,
 * "never" gives none); TH_NO_HUGEPAGES=1 turns it off. Output is unchanged. */
static void heap_on_huge_pages(char **argv)
{
    const char *t = getenv("GLIBC_TUNABLES");
    if (getenv("TH_NO_HUGEPAGES") || (t && strstr(t, "glibc.malloc.hugetlb")))
        return;
    FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
    if (!f)
        return;
    char mode[128] = {0};
    bool madv = fgets(mode, sizeof mode, f) && strstr(mode, "[madvise]");
    fclose(f);
    if (!madv)
        return;
    char v[1024];
    int n = snprintf(v, sizeof v, "%s%sglibc.malloc.hugetlb=1", t ? t : "", t && *t ? ":" : "");
    if (n < 0 || (size_t)n >= sizeof v || setenv("GLIBC_TUNABLES", v, 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* not started again (no /proc): go on as we are, without the variable */
    if (t)
        setenv("GLIBC_TUNABLES", t, 1);
    else
        unsetenv("GLIBC_TUNABLES");
}
#endif

int main(int argc, char **argv)
{
#if defined(__GLIBC__) && defined(__linux__) && !defined(__SANITIZE_ADDRESS__)
    heap_on_huge_pages(argv);
#endif
#if defined(__GLIBC__)
    /* Memory freed between the temporal passes of two rules (an ES|QL rule's
     * tables: 30-65 MB for 72k matches) is kept for the next instead of being
     * given back to the kernel and faulted in again page by page: 58k minor
     * faults -> 37k and ~0.3 s of 2.6 s on 100k events with the AWS pack,
     * same peak RSS. glibc's defaults trim the heap past 128 KB free and map
     * big blocks (mmap threshold) on their own. */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    /* The same on the other threads (the temporal pass runs rules side by
     * side, engine.h th_engine_set_threads): glibc unmaps a thread's heap as
     * soon as it is all free, whatever the trim threshold, unless the top pad
     * asks to keep that much: the ES|QL passes' tables were faulted in again
     * on every pass of a helper thread. 100k events, AWS pack, --threads 2:
     * 14.6k minor faults -> 2.0k, CPU 1.86 -> 1.65 s; peak RSS unchanged. */
    mallopt(M_TOP_PAD, 64 << 20);
#endif
    if (argc < 2) {
        usage(stderr);
        return TH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "help") == 0 && argc > 2)
        return help_verb(argc, argv);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return th_cli_write_ok("help", stdout, "standard output", false) ? TH_EXIT_OK
                                                                          : TH_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("trailhound %s\n", TH_VERSION);
        return TH_EXIT_OK;
    }
    const th_verb *v = find_verb(argv[1]);
    if (v)
        return run_verb(v, argc, argv);
    fprintf(stderr, "trailhound: unknown verb '%s'", argv[1]);
    const char *names[TH_NELEM(verbs)];
    for (size_t i = 0; i < TH_NELEM(verbs); i++)
        names[i] = verbs[i].name;
    const char *near = th_args_nearest(argv[1], names, TH_NELEM(verbs));
    if (near)
        fprintf(stderr, " (did you mean '%s'?)", near);
    fprintf(stderr, "\n\n");
    usage(stderr);
    return TH_EXIT_USAGE;
}
