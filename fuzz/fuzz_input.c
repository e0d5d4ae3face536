/* libFuzzer target for io/: the bytes become one file (through a memfd, so
 * the whole path — gzip detection, window, splitting, scanning, parsing — is
 * exercised); every record must lie inside the content and be an event. The
 * file is read four ways, eagerly, in lazy mode, in deferred mode (each
 * deferred line judged on a copy with a scanner of its own, settled at once
 * when refused, from the verdict alone when that says it is no event, as the
 * pipeline's workers and committing thread do) and in
 * deferred mode with the file read whole as a job (th_input_defer_files, as
 * the workers read S3 objects: lazily, each record taken with its part of the
 * object's tape, th_jscan_load_copy), and all four must give the same records,
 * stats and number of messages. A fifth read, files as jobs again, reads a
 * fixed gzip'd file first with the same reader (as a worker reads one object
 * after another): the input's records, stats and messages must not change
 * (ISA-L's state, reused from file to file, once leaked one file's content
 * into a corrupt stream read after it). A sixth, deferred with the file read
 * in parts of 1 to 97 bytes (th_input_defer_parts, as the workers read a big
 * NDJSON file; the size from the input's middle byte), each part by the
 * worker's reader and absorbed in order, must give the records (their lines
 * made the file's), stats and messages of the eager read. A seventh and
 * eighth read the input after 16,300 to 16,399 blank lines, eagerly and in
 * parts of 4 KiB: the parts' reads past their ends then reach the offsets
 * around 16 KiB (io/source.c PAST_STOP), where the sum of a part's end and
 * what a read may take past it once wrapped for the last part, whose end is
 * the largest offset (it read nothing from offset 16,383 on, for ever); the
 * two must agree.
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_input -max_len=65536 corpus_dir/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include "io/input.h"
#include "json/jscan.h"

enum { MAX_RECS = 4096 };

typedef struct rec {
    uint64_t offset, line, hash;
    size_t n;
    th_rec_kind kind;
} rec;

typedef struct run {
    rec r[MAX_RECS];
    size_t n;
    th_input_stats st;
    size_t ndiags;
    th_diags d; /* the messages, kept until the next input (for dump) */
} run;

static uint64_t fnv(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static void add(run *x, const th_record *r, th_rec_kind kind)
{
    if (r->text.n == 0 || r->text.p[0] != '{')
        abort();
    if (r->scan) { /* a lazy record's scanner stands for exactly its text */
        th_str raw = th_jcur_raw(th_jscan_root(r->scan));
        if (raw.p != r->text.p || raw.n != r->text.n)
            abort();
    }
    if (x->n < MAX_RECS)
        x->r[x->n++] = (rec){r->offset, r->line, fnv(r->text.p, r->text.n), r->text.n, kind};
}

static void settled(void *ctx, const th_record *r)
{
    if (!r->json && !r->scan)
        abort();
    add(ctx, r, r->kind);
}

/* Every record of `in` into x (mode as read_all's, or 4: a job's file, read
 * lazily as a worker reads it); a file that comes as a job is read whole (or
 * a part of it) with `one` and absorbed. */
static void drain(th_input *in, th_input *one, int mode, run *x, th_jscan *own, th_arena *a)
{
    th_record r;
    for (;;) {
        if (!th_input_next(in, &r)) {
            if (mode >= 2 && th_input_held(in))
                continue;
            break;
        }
        if (r.kind == TH_REC_FILE) { /* a whole file (mode 3) or a part (mode 5) */
            if (mode != (r.part ? 5 : 3) || !one)
                abort();
            th_diags fd;
            th_diags_init(&fd);
            char *path = strdup(r.file);
            if (r.part)
                th_input_file_part(one, path, r.part_from, r.part_to, r.part_first, &fd);
            else
                th_input_file(one, path, &fd);
            size_t before = x->n;
            drain(one, NULL, 4, x, own, a);
            if (r.part) {
                th_input_part pt;
                th_input_part_get(one, &pt);
                uint64_t base = th_input_absorb_part(in, path, th_input_stats_get(one), &fd,
                                                     &pt, r.part_last);
                for (size_t i = before; i < x->n; i++)
                    if (x->r[i].line)
                        x->r[i].line += base;
            } else {
                th_input_absorb(in, th_input_stats_get(one), &fd);
            }
            free(path);
            th_diags_free(&fd);
            continue;
        }
        if (mode == 4 && r.scan) { /* as a worker keeps it: a copy, with its tape */
            char *copy = malloc(r.text.n);
            memcpy(copy, r.text.p, r.text.n);
            th_jscan_load_copy(own, th_jscan_root(r.scan), copy);
            th_record j = r;
            j.text = th_str_make(copy, r.text.n);
            j.scan = own;
            add(x, &j, r.kind);
            free(copy);
            continue;
        }
        if (r.kind != TH_REC_DEFERRED) {
            if (mode == 0 && !r.json)
                abort();
            add(x, &r, r.kind);
            continue;
        }
        if (mode < 2 || mode == 4)
            abort();
        char *copy = malloc(r.text.n ? r.text.n : 1);
        memcpy(copy, r.text.p, r.text.n);
        th_rec_kind kind;
        th_judged why;
        th_arena_reset(a);
        if (th_input_judge_why(copy, r.text.n, own, a, &kind, &why)) {
            th_record j = r;
            j.text = th_str_make(copy, r.text.n);
            add(x, &j, kind);
        } else if (why != TH_JUDGED_SETTLE) { /* counted from the verdict, as the pipeline does */
            th_input_settle_judged(in, r.offset, r.line, why);
        } else {
            th_input_settle(in, th_str_make(copy, r.text.n), r.offset, r.line, settled, x);
        }
        free(copy);
    }
}

/* mode: 0 eager, 1 lazy, 2 deferred, 3 deferred with files as jobs, 5
 * deferred with files in parts of `part` bytes; the npaths files are read in
 * order by one reader */
static void read_all(const char *const *paths, size_t npaths, int mode, run *x, uint64_t part)
{
    th_diags_free(&x->d);
    th_diags_init(&x->d);
    th_input_opts o;
    th_input_opts_default(&o, &x->d);
    o.max_inflated = 1u << 22;
    o.lazy = mode > 0;
    th_input *in = th_input_open(paths, npaths, &o);
    th_input_defer(in, mode >= 2);
    th_input_defer_files(in, mode == 3 ? UINT64_MAX : 0);
    th_input_defer_parts(in, mode == 5 ? part : 0);
    th_input *one = mode == 3 || mode == 5 ? th_input_open_files(in) : NULL; /* lazy, as a worker's */
    th_jscan *own = th_jscan_new();
    th_arena a;
    th_arena_init(&a, 1 << 16);
    x->n = 0;
    drain(in, one, mode, x, own, &a);
    x->st = *th_input_stats_get(in);
    if (x->st.files + x->st.files_skipped != npaths)
        abort();
    x->ndiags = x->d.len;
    th_arena_free(&a);
    th_jscan_free(own);
    th_input_close(one);
    th_input_close(in);
}

static const char *const mode_name[9] = {
    "eager", "lazy", "deferred", "deferred+jobs", "deferred+jobs after another file",
    "that file alone, then eager", "deferred+parts", "after blank lines, eager",
    "after blank lines, deferred+parts"};

/* A difference, said before the abort: a failure that does not reproduce
 * (one of this target's did not: stale heap in ISA-L's state) must tell its
 * story from the log alone. */
static void differ(int ma, int mb, const char *what, unsigned long long va,
                   unsigned long long vb)
{
    fprintf(stderr, "fuzz_input: %s differs: %s %llu, %s %llu\n", what, mode_name[ma], va,
            mode_name[mb], vb);
}

/* x's records from about `at` (where the runs part), and its messages */
static void dump(const run *x, int m, size_t at)
{
    fprintf(stderr, "fuzz_input: %s: %zu records, %zu messages\n", mode_name[m], x->n, x->ndiags);
    for (size_t i = at > 4 ? at - 4 : 0, k = 0; i < x->n && k < 16; i++, k++)
        fprintf(stderr, "  [%zu] offset %llu line %llu n %zu kind %d hash %016llx\n", i,
                (unsigned long long)x->r[i].offset, (unsigned long long)x->r[i].line, x->r[i].n,
                (int)x->r[i].kind, (unsigned long long)x->r[i].hash);
    th_diags_print(&x->d, stderr);
}

static void same(const run *x, int ma, const run *y, int mb)
{
    bool bad = false;
    if (x->n != y->n) {
        differ(ma, mb, "records kept", x->n, y->n);
        bad = true;
    }
    if (x->ndiags != y->ndiags) {
        differ(ma, mb, "messages", x->ndiags, y->ndiags);
        bad = true;
    }
    /* counter by counter (th_input_stats is all uint64_t, as th_input_absorb asserts) */
    static const char *const stat_name[] = {
        "files",           "files_skipped",     "bytes",          "bytes_inflated",
        "records",         "records_skipped",   "files_key_date", "files_digest",
        "files_unreadable", "files_not_events", "records_malformed", "records_not_events",
        "gzip_errors",     "files_read_before"};
    _Static_assert(sizeof stat_name / sizeof *stat_name ==
                       sizeof(th_input_stats) / sizeof(uint64_t),
                   "a name for every counter");
    uint64_t sx[sizeof stat_name / sizeof *stat_name], sy[sizeof sx / sizeof *sx];
    memcpy(sx, &x->st, sizeof sx);
    memcpy(sy, &y->st, sizeof sy);
    for (size_t i = 0; i < sizeof sx / sizeof *sx; i++)
        if (sx[i] != sy[i]) {
            differ(ma, mb, stat_name[i], sx[i], sy[i]);
            bad = true;
        }
    size_t at = 0;
    for (; at < x->n && at < y->n; at++) {
        const rec *a = &x->r[at], *b = &y->r[at]; /* field by field: rec has padding */
        if (a->offset != b->offset || a->line != b->line || a->hash != b->hash || a->n != b->n ||
            a->kind != b->kind) {
            fprintf(stderr, "fuzz_input: record %zu differs\n", at);
            bad = true;
            break;
        }
    }
    if (bad) {
        dump(x, ma, at);
        dump(y, mb, at);
        abort();
    }
}

/* The file read before the input by the fifth read: gzip'd CloudTrail lines,
 * over 32 KiB of them (ISA-L's history), made once. */
static char prior_path[64];
static run prior; /* it alone, as the fifth read reads it */

static void make_prior(void)
{
    static const char line[] =
        "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-05T10:00:00Z\",\"eventSource\":"
        "\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"awsRegion\":\"us-east-1\"}\n";
    enum { LINES = 400 };
    size_t ln = sizeof line - 1, n = ln * LINES;
    char *text = malloc(n);
    for (size_t i = 0; i < LINES; i++)
        memcpy(text + i * ln, line, ln);
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *gz = malloc(cap);
    z.next_in = (unsigned char *)text;
    z.avail_in = (uInt)n;
    z.next_out = gz;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END)
        abort();
    size_t gn = cap - z.avail_out;
    deflateEnd(&z);
    int fd = memfd_create("fuzz_input_prior", 0); /* kept open for the process */
    if (fd < 0 || write(fd, gz, gn) != (ssize_t)gn)
        abort();
    snprintf(prior_path, sizeof prior_path, "/proc/self/fd/%d", fd);
    free(gz);
    free(text);
    const char *paths[] = {prior_path};
    read_all(paths, 1, 3, &prior, 0);
    if (prior.n != LINES || prior.ndiags)
        abort();
}

/* What the fifth read must give: prior's records, counts and messages, then
 * the input's (x, as read alone). */
static void after_prior(const run *x, run *e)
{
    e->n = 0;
    for (size_t i = 0; i < prior.n && e->n < MAX_RECS; i++)
        e->r[e->n++] = prior.r[i];
    for (size_t i = 0; i < x->n && e->n < MAX_RECS; i++)
        e->r[e->n++] = x->r[i];
    uint64_t a[sizeof(th_input_stats) / sizeof(uint64_t)], b[sizeof a / sizeof *a];
    memcpy(a, &prior.st, sizeof a);
    memcpy(b, &x->st, sizeof b);
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        a[i] += b[i];
    memcpy(&e->st, a, sizeof a);
    e->ndiags = prior.ndiags + x->ndiags;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_input", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    if (!prior_path[0])
        make_prior();
    static run x[5], after, parts;
    const char *one[] = {path}, *two[] = {prior_path, path};
    for (int mode = 0; mode < 4; mode++)
        read_all(one, 1, mode, &x[mode], 0);
    for (int mode = 1; mode < 4; mode++)
        same(&x[0], 0, &x[mode], mode);
    read_all(two, 2, 3, &x[4], 0);
    after_prior(&x[0], &after);
    same(&after, 5, &x[4], 4);
    read_all(one, 1, 5, &parts, 1 + (size ? data[size / 2] % 97 : 0));
    same(&x[0], 0, &parts, 6);
    close(fd);
    int pfd = memfd_create("fuzz_input_padded", 0);
    if (pfd < 0)
        return 0;
    static char blank[16400];
    if (!blank[0])
        memset(blank, '\n', sizeof blank);
    size_t pad = 16300 + (size ? data[0] % 100 : 0);
    if (write(pfd, blank, pad) == (ssize_t)pad &&
        (!size || write(pfd, data, size) == (ssize_t)size)) {
        snprintf(path, sizeof path, "/proc/self/fd/%d", pfd);
        read_all(one, 1, 0, &x[0], 0);
        read_all(one, 1, 5, &parts, 4096);
        same(&x[0], 7, &parts, 8);
    }
    close(pfd);
    return 0;
}
