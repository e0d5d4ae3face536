/* trailhound state show|prune|reset PATH: inspect and maintain the state file
 * of incremental runs (state/state.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/timeutil.h"
#include "cli/verbs.h"
#include "state/state.h"

/* Prints the help to `f`: stdout for --help, stderr after a usage error. The
 * options block has the layout of th_args_help, so that tests and the bash
 * completion read it like every other verb's. */
static void usage(FILE *f)
{
    fprintf(f,
            "usage: trailhound state show PATH\n"
            "       trailhound state prune PATH [--objects-before T]\n"
            "       trailhound state reset PATH\n\n"
            "Inspect and maintain the state file of incremental runs (run --state).\n"
            "show: runs, newest event read, documents and alerts kept, per rule its last run,\n"
            "  matches and ids kept and its state size. prune: forgets the input objects whose\n"
            "  S3 key date is before T (ISO-8601) and compacts the file. reset: deletes the state\n"
            "  file (after checking that it is one): the next run starts from nothing.\n"
            "exit codes: 0 done; 2 usage error, or PATH missing or not a trailhound state file.\n\n"
            "example: trailhound state show /var/lib/trailhound/state.db\n\n"
            "options:\n"
            "  %-28s %s\n"
            "  %-28s %s\n",
            "--objects-before T", "prune: forget the input objects whose key date is before T "
                                  "(without it: only compact)",
            "-h, --help", "show this help");
}

int th_cmd_state(int argc, char **argv)
{
    if (argc >= 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
        usage(stdout);
        return TH_EXIT_OK;
    }
    if (argc < 4)
        return usage(stderr), TH_EXIT_USAGE;
    const char *sub = argv[2], *path = argv[3];
    int64_t before = TH_TIME_NONE;
    if (strcmp(sub, "prune") == 0 && argc == 6 && strcmp(argv[4], "--objects-before") == 0) {
        if (!th_time_parse_iso(argv[5], strlen(argv[5]), &before)) {
            fprintf(stderr, "trailhound state: bad --objects-before '%s' (ISO-8601)\n", argv[5]);
            return TH_EXIT_USAGE;
        }
    } else if (argc != 4) {
        return usage(stderr), TH_EXIT_USAGE;
    }
    if (strcmp(sub, "show") && strcmp(sub, "prune") && strcmp(sub, "reset"))
        return usage(stderr), TH_EXIT_USAGE;
    char err[512];
    th_statedb *s = th_statedb_open(path, false, err, sizeof err);
    if (!s) {
        fprintf(stderr, "trailhound state: %s\n", err);
        return TH_EXIT_USAGE;
    }
    int rc = TH_EXIT_OK;
    if (strcmp(sub, "show") == 0) {
        if (!th_statedb_show(s, stdout, err, sizeof err)) {
            fprintf(stderr, "trailhound state: %s\n", err);
            rc = TH_EXIT_USAGE;
        }
    } else if (strcmp(sub, "prune") == 0) {
        uint64_t n;
        if (!th_statedb_prune(s, before, &n, err, sizeof err)) {
            fprintf(stderr, "trailhound state: %s\n", err);
            rc = TH_EXIT_USAGE;
        } else {
            printf("state: %s: %llu input object records dropped; compacted\n", path,
                   (unsigned long long)n);
        }
    } else {
        th_statedb_close(s);
        s = NULL;
        char wal[4096], shm[4096];
        snprintf(wal, sizeof wal, "%s-wal", path);
        snprintf(shm, sizeof shm, "%s-shm", path);
        if (unlink(path) != 0) {
            perror(path);
            rc = TH_EXIT_USAGE;
        } else {
            unlink(wal);
            unlink(shm);
            printf("state: %s: removed; the next run starts from nothing\n", path);
        }
    }
    th_statedb_close(s);
    return rc;
}
