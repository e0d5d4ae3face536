/* input_bench: CPU time of reading files through th_input (split + parse or
 * scan + classify), eager (DOM per record) against lazy (th_input_opts.lazy).
 *
 *   make MODE=release input-bench
 *   build/release/bench/input_bench [--mode eager|lazy|lazy-json|all] [--repeat N] PATH...
 *
 * lazy-json is lazy plus th_record_json on every record (what a consumer that
 * wants the tree anyway pays). For each mode, prints
 * `input_bench: MODE N records (L lazy), B bytes, S s CPU, X MB/s` where S is
 * the process CPU time of the best of N passes (the file comes from the page
 * cache after the first). Diagnostics are counted, not printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/diag.h"
#include "io/input.h"

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef enum { EAGER, LAZY, LAZY_JSON } mode;
static const char *const mode_names[] = {"eager", "lazy", "lazy-json"};

/* One pass; returns its CPU seconds and fills the counts. */
static double pass(mode m, const char *const *paths, size_t n, uint64_t *recs, uint64_t *lazy,
                   uint64_t *bytes, size_t *diags)
{
    th_diags d;
    th_diags_init(&d);
    th_input_opts o;
    th_input_opts_default(&o, &d);
    o.lazy = m != EAGER;
    th_arena a;
    th_arena_init(&a, 0);
    double t0 = cpu_seconds();
    th_input *in = th_input_open(paths, n, &o);
    th_record r;
    uint64_t nr = 0, nl = 0;
    while (th_input_next(in, &r)) {
        nr++;
        nl += r.scan != NULL;
        if (m == LAZY_JSON) {
            if (!th_record_json(&r, &a, NULL))
                abort();
            th_arena_reset(&a);
        }
    }
    *bytes = th_input_stats_get(in)->bytes_inflated;
    th_input_close(in);
    double t = cpu_seconds() - t0;
    *recs = nr;
    *lazy = nl;
    *diags = d.len;
    th_arena_free(&a);
    th_diags_free(&d);
    return t;
}

int main(int argc, char **argv)
{
    int repeat = 3, only = -1;
    const char **paths = calloc((size_t)argc, sizeof *paths);
    size_t np = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
            const char *m = argv[++i];
            only = strcmp(m, "all") == 0 ? -1 : -2;
            for (int k = 0; k < 3; k++)
                if (strcmp(m, mode_names[k]) == 0)
                    only = k;
            if (only == -2) {
                fprintf(stderr, "input_bench: unknown mode %s\n", m);
                return 2;
            }
        } else {
            paths[np++] = argv[i];
        }
    }
    if (!np || repeat < 1) {
        fprintf(stderr, "usage: input_bench [--mode eager|lazy|lazy-json|all] [--repeat N] "
                        "PATH...\n");
        return 2;
    }
    for (int k = 0; k < 3; k++) {
        if (only >= 0 && only != k)
            continue;
        double best = 0;
        uint64_t recs = 0, lazy = 0, bytes = 0;
        size_t diags = 0;
        for (int r = 0; r < repeat; r++) {
            double t = pass((mode)k, paths, np, &recs, &lazy, &bytes, &diags);
            if (r == 0 || t < best)
                best = t;
        }
        printf("input_bench: %-9s %llu records (%llu lazy), %llu bytes, %zu diagnostics, "
               "%.3f s CPU, %.0f MB/s\n",
               mode_names[k], (unsigned long long)recs, (unsigned long long)lazy,
               (unsigned long long)bytes, diags, best, best > 0 ? (double)bytes / best / 1e6 : 0);
    }
    free(paths);
    return 0;
}
