/* Helpers shared by the io/ tests: temporary trees, gzip writing, and a run of
 * th_input collected into plain arrays. Header-only (static inline) so each
 * test program stays one file for the build. */
#ifndef TH_IO_TEST_UTIL_H
#define TH_IO_TEST_UTIL_H

#include "th_test.h"

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "base/buf.h"
#include "base/timeutil.h"
#include "io/input.h"
#include "io/source.h"
#include "json/json.h"

typedef struct got_rec {
    char *file;
    char *text;
    size_t text_len;
    char *json; /* th_record_json written by th_json_write */
    uint64_t offset, line;
    th_rec_kind kind;
} got_rec;

typedef struct got {
    got_rec *r;
    size_t n;
    size_t n_lazy; /* records that came with a scanner (json NULL) */
    size_t cap;
    size_t n_deferred; /* run_both: lines its deferred-mode run got deferred */
    size_t holds;      /* and how often th_input_next held a file's end */
    size_t n_bare;     /* and its container elements that came with neither tree nor scanner */
    size_t n_judged;   /* and its lines counted from th_input_judge_why's verdict alone */
    size_t n_files;    /* files mode: files read whole as jobs */
    size_t n_parts;    /* parts mode: parts of files read as jobs (th_input_defer_parts) */
    size_t parts_runs; /* run_both: the parts runs it made */
    size_t n_taken;    /* and the windows its held run took from io (got_give) */
    th_input_stats st;
    th_diags d;
} got;

/* One file read whole through a th_io_src (src_read): what came out and
 * what the reader said. */
typedef struct readout {
    th_buf bytes;
    bool opened, incomplete, gzip, whole;
    uint64_t inflated, raw_bytes;
    th_diags d;
} readout;

/* How much of the window the consumer takes each time (src_read): all of
 * it, half, or in turn an eighth, all and three quarters (isal_inflate()
 * calls of varying sizes, an earlier one smaller than a later one: a replay
 * must repeat each call's own size). */
enum { TAKE_ALL, TAKE_HALF, TAKE_VARIED };

/* Reads path whole through s, its buffers first filled with `fill`, the
 * consumer taking what `mode` says each time; o is freed by readout_free. */
static inline void src_read(th_io_src *s, const char *path, uint64_t cap, int fill, int mode, readout *o)
{
    memset(o, 0, sizeof *o);
    th_buf_init(&o->bytes);
    th_diags_init(&o->d);
    if (s->win)
        memset(s->win, fill, s->win_cap);
    if (s->raw)
        memset(s->raw, fill, s->raw_cap);
    o->opened = th_io_src_open(s, path, false, cap, &o->d);
    for (unsigned step = 0; o->opened; step++) {
        size_t take = s->len;
        if (mode == TAKE_HALF && !s->eof)
            take = s->len / 2;
        else if (mode == TAKE_VARIED && !s->eof)
            take = step % 3 == 0 ? s->len / 8 : step % 3 == 1 ? s->len : s->len / 4 * 3;
        th_buf_put(&o->bytes, s->data, take);
        if (!th_io_src_more(s, take)) {
            th_buf_put(&o->bytes, s->data, s->len);
            break;
        }
    }
    o->incomplete = s->incomplete;
    o->gzip = s->gzip;
    o->whole = s->whole;
    o->inflated = s->inflated;
    o->raw_bytes = s->raw_bytes;
    th_io_src_release(s);
}

static inline void readout_free(readout *o)
{
    th_buf_free(&o->bytes);
    th_diags_free(&o->d);
}

/* a and b: the same bytes, counts, `incomplete` and diagnostics (severity,
 * offset, message) */
static inline void readout_same(const readout *a, const readout *b)
{
    assert_int_equal(a->opened, b->opened);
    assert_int_equal(a->gzip, b->gzip);
    assert_int_equal(a->incomplete, b->incomplete);
    assert_int_equal(a->inflated, b->inflated);
    assert_int_equal(a->raw_bytes, b->raw_bytes);
    assert_int_equal(a->bytes.len, b->bytes.len);
    assert_memory_equal(a->bytes.data, b->bytes.data, a->bytes.len);
    assert_int_equal(a->d.len, b->d.len);
    for (size_t i = 0; i < a->d.len; i++) {
        assert_int_equal(a->d.items[i].severity, b->d.items[i].severity);
        assert_int_equal(a->d.items[i].offset, b->d.items[i].offset);
        assert_string_equal(a->d.items[i].message, b->d.items[i].message);
    }
}

/* A fresh temporary directory (removed by tmp_rm). */
static inline char *tmp_dir(void)
{
    char *t = strdup("/tmp/th_io_test_XXXXXX");
    if (!mkdtemp(t))
        fail_msg("mkdtemp: %s", strerror(errno));
    return t;
}

static inline void tmp_rm(char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* dir/rel, with parent directories created. Returned path is malloc'd. */
static inline char *tmp_path(const char *dir, const char *rel)
{
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", dir, rel);
    for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    return p;
}

static inline void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
}

static inline void write_file(const char *dir, const char *rel, const char *text)
{
    char *p = tmp_path(dir, rel);
    write_bytes(p, text, strlen(text));
    free(p);
}

/* One gzip member holding data[0..n) at `level` (0: stored blocks) with
 * `strategy` (Z_FIXED: fixed Huffman codes), and the header fields h gives
 * (NULL: none); *out_len gets its size (malloc'd). */
static inline unsigned char *gzip_deflate(const void *data, size_t n, int level, int strategy,
                                          gz_header *h, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, strategy), Z_OK);
    if (h)
        assert_int_equal(deflateSetHeader(&z, h), Z_OK);
    size_t cap = deflateBound(&z, (uLong)n) + 128;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_len = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

/* One gzip member holding data[0..n); *out_len gets its size (malloc'd). */
static inline unsigned char *gzip_member(const void *data, size_t n, size_t *out_len)
{
    return gzip_deflate(data, n, 6, Z_DEFAULT_STRATEGY, NULL, out_len);
}

static inline void write_gz(const char *dir, const char *rel, const char *text)
{
    size_t n;
    unsigned char *gz = gzip_member(text, strlen(text), &n);
    char *p = tmp_path(dir, rel);
    write_bytes(p, gz, n);
    free(p);
    free(gz);
}

/* Appends record r (text, name and tree copied) to g. */
static inline void got_add(got *g, const th_record *r, bool lazy_ok, th_arena *a, th_buf *b)
{
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->r = realloc(g->r, g->cap * sizeof *g->r);
    }
    got_rec *x = &g->r[g->n++];
    if (r->json) {
        assert_null(r->scan);
    } else {
        assert_true(lazy_ok);
        assert_non_null(r->scan);
        /* the scanner's root is exactly the record's text */
        th_str raw = th_jcur_raw(th_jscan_root(r->scan));
        assert_ptr_equal(raw.p, r->text.p);
        assert_int_equal(raw.n, r->text.n);
        g->n_lazy++;
    }
    th_json_error err;
    th_arena_reset(a);
    th_jval *v = th_record_json(r, a, &err);
    assert_non_null(v);
    th_buf_clear(b);
    th_json_write(b, v);
    x->json = strdup(b->data ? b->data : "");
    x->file = strdup(r->file);
    x->text = malloc(r->text.n + 1);
    memcpy(x->text, r->text.p, r->text.n);
    x->text[r->text.n] = '\0';
    x->text_len = r->text.n;
    x->offset = r->offset;
    x->line = r->line;
    x->kind = r->kind;
}

typedef struct got_ctx {
    got *g;
    th_arena *a;
    th_buf *b;
} got_ctx;

static inline void got_settled(void *ctx, const th_record *r)
{
    got_ctx *c = ctx;
    got_add(c->g, r, true, c->a, c->b);
}

/* A deferred line kept where io has it, and a copy to check it against. */
typedef struct got_held {
    const char *p;
    char *copy;
    size_t n;
} got_held;

/* A run's scratch: the arenas, buffer and scanner every record goes through,
 * and (files mode) the input that reads whole files. */
typedef struct got_run {
    got *g;
    th_arena a, ja;
    th_buf b;
    th_jscan *own;
    th_input *one;
    bool defer, lazy;
    /* hold (with defer): io's windows are taken while deferred lines in
     * them are kept, as the pipeline's batches keep them in place
     * (th_input_give_windows); after every th_input_next each kept line must
     * still be what io yielded, past the end of their file too (the lines
     * are settled at once). They are let go (and the windows taken) when
     * HOLD_MAX are kept and at the end. */
    bool hold;
    got_held *held;
    size_t nheld;
    char **taken;
    size_t ntaken;
} got_run;
#define HOLD_MAX 64

/* th_input_give_fn: the window is taken while kept lines are in it. */
static inline char *got_give(void *ctx, char *window, size_t cap)
{
    got_run *x = ctx;
    if (!x->nheld)
        return NULL;
    x->taken = realloc(x->taken, (x->ntaken + 1) * sizeof *x->taken);
    assert_non_null(x->taken);
    x->taken[x->ntaken++] = window;
    x->g->n_taken++;
    char *fresh = malloc(cap);
    assert_non_null(fresh);
    return fresh;
}

static inline void got_check_held(const got_run *x)
{
    for (size_t i = 0; i < x->nheld; i++)
        assert_memory_equal(x->held[i].p, x->held[i].copy, x->held[i].n);
}

static inline void got_let_go(got_run *x)
{
    got_check_held(x);
    for (size_t i = 0; i < x->nheld; i++)
        free(x->held[i].copy);
    x->nheld = 0;
    for (size_t i = 0; i < x->ntaken; i++)
        free(x->taken[i]);
    x->ntaken = 0;
}

/* Keeps deferred line r where io has it (hold). */
static inline void got_hold(got_run *x, const th_record *r)
{
    if (x->nheld == HOLD_MAX)
        got_let_go(x);
    if (!x->held)
        x->held = malloc(HOLD_MAX * sizeof *x->held);
    assert_non_null(x->held);
    char *copy = malloc(r->text.n + 1);
    assert_non_null(copy);
    memcpy(copy, r->text.p, r->text.n);
    x->held[x->nheld++] = (got_held){r->text.p, copy, r->text.n};
}

static inline void got_read(got_run *x, th_input *in, const th_record *r);

/* Every record of `in` (the main input or a file's) until its end. */
static inline void got_drain(got_run *x, th_input *in)
{
    th_record r;
    for (;;) {
        bool more = th_input_next(in, &r);
        if (x->hold)
            got_check_held(x);
        if (!more) {
            if (th_input_held(in)) {
                x->g->holds++;
                continue;
            }
            if (x->hold)
                got_let_go(x);
            return;
        }
        got_read(x, in, &r);
    }
}

static inline void got_read(got_run *x, th_input *in, const th_record *r)
{
    got *g = x->g;
    got_ctx ctx = {g, &x->a, &x->b};
    if (r->kind == TH_REC_FILE) { /* files mode: read whole, as a worker would
                                     (lazy, not deferred); parts mode: a part of
                                     one, its lines made the file's */
        assert_true(x->defer);
        if (r->part)
            g->n_parts++;
        else
            g->n_files++;
        if (!x->one)
            x->one = th_input_open_files(in);
        char *path = strdup(r->file);
        th_diags fd;
        th_diags_init(&fd);
        if (r->part)
            th_input_file_part(x->one, path, r->part_from, r->part_to, r->part_first, &fd);
        else
            th_input_file(x->one, path, &fd);
        size_t before = g->n;
        got_drain(x, x->one);
        if (r->part) {
            th_input_part pt;
            th_input_part_get(x->one, &pt);
            uint64_t base = th_input_absorb_part(in, path, th_input_stats_get(x->one), &fd, &pt,
                                                 r->part_last);
            for (size_t i = before; i < g->n; i++)
                if (g->r[i].line)
                    g->r[i].line += base;
        } else {
            th_input_absorb(in, th_input_stats_get(x->one), &fd);
        }
        assert_int_equal(fd.len, 0);
        th_diags_free(&fd);
        free(path);
        return;
    }
    if (in == x->one && r->scan) {
        /* as a worker keeps it: a copy of the text, with its part of io's
         * tape moved onto the copy (th_jscan_load_copy) */
        char *copy = malloc(r->text.n + 1);
        memcpy(copy, r->text.p, r->text.n);
        th_jscan_load_copy(x->own, th_jscan_root(r->scan), copy);
        th_record j = *r;
        j.text = th_str_make(copy, r->text.n);
        j.scan = x->own;
        got_add(g, &j, true, &x->a, &x->b);
        free(copy);
        return;
    }
    if (r->kind != TH_REC_DEFERRED && (r->json || r->scan)) {
        got_add(g, r, x->lazy, &x->a, &x->b);
        return;
    }
    if (r->kind != TH_REC_DEFERRED) { /* an element of a checked container */
        assert_true(x->defer);
        g->n_bare++;
        th_record j = *r;
        assert_true(th_jscan_load(x->own, r->text.p, r->text.n, NULL));
        j.scan = x->own;
        got_add(g, &j, true, &x->a, &x->b);
        return;
    }
    assert_true(x->defer && x->lazy);
    g->n_deferred++;
    if (x->hold)
        got_hold(x, r);
    char *copy = malloc(r->text.n + 1);
    memcpy(copy, r->text.p, r->text.n);
    th_rec_kind kind;
    th_judged why;
    th_arena_reset(&x->ja);
    if (th_input_judge_why(copy, r->text.n, x->own, &x->ja, &kind, &why)) {
        th_record j = *r;
        j.kind = kind;
        j.text = th_str_make(copy, r->text.n);
        j.scan = x->own;
        got_add(g, &j, true, &x->a, &x->b);
    } else if (why != TH_JUDGED_SETTLE) { /* no event: counted from the verdict (the pipeline's way) */
        g->n_judged++;
        th_input_settle_judged(in, r->offset, r->line, why);
    } else {
        th_input_settle(in, th_str_make(copy, r->text.n), r->offset, r->line, got_settled, &ctx);
    }
    free(copy);
}

/* Reads every record of paths into g (texts, names and trees copied) with the
 * options o (diags replaced by g's own). `defer`: in deferred mode, as a
 * pipeline with workers reads (th_input_defer): each deferred line is judged
 * on a copy with a scanner of its own and, when refused, settled at once.
 * `files` (with defer): every file comes as a job (th_input_defer_files) and
 * is read whole with an input of its own (lazy, not deferred, as a worker
 * reads it), its stats and messages absorbed. `hold` (with defer): deferred
 * lines are kept in io's windows as the pipeline keeps them (got_run). */
static inline void collect_run(got *g, const char *const *paths, size_t n,
                               const th_input_opts *opts, bool defer, bool files, bool hold,
                               uint64_t parts);

static inline void collect_files(got *g, const char *const *paths, size_t n,
                                 const th_input_opts *opts, bool defer, bool files, bool hold)
{
    collect_run(g, paths, n, opts, defer, files, hold, 0);
}

/* collect_files with every plain NDJSON file of at least twice `parts` bytes
 * read in parts of that size (th_input_defer_parts) by an input of its own,
 * as a pipeline's workers read a big file, and absorbed in order. */
static inline void collect_parts(got *g, const char *const *paths, size_t n,
                                 const th_input_opts *opts, uint64_t parts)
{
    collect_run(g, paths, n, opts, true, false, false, parts);
}

/* The bytes of the regular files at or under `path`. */
static inline uint64_t path_bytes(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0;
    if (S_ISREG(st.st_mode))
        return (uint64_t)st.st_size;
    if (!S_ISDIR(st.st_mode))
        return 0;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    uint64_t sum = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        size_t a = strlen(path), b = strlen(e->d_name);
        char *sub = malloc(a + b + 2);
        assert_non_null(sub);
        memcpy(sub, path, a);
        sub[a] = '/';
        memcpy(sub + a + 1, e->d_name, b + 1);
        sum += path_bytes(sub);
        free(sub);
    }
    closedir(d);
    return sum;
}

/* The bytes of the regular files under paths ("-" counts nothing). */
static inline uint64_t paths_bytes(const char *const *paths, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], "-") != 0)
            sum += path_bytes(paths[i]);
    return sum;
}

static inline void collect_run(got *g, const char *const *paths, size_t n,
                               const th_input_opts *opts, bool defer, bool files, bool hold,
                               uint64_t parts)
{
    memset(g, 0, sizeof *g);
    th_diags_init(&g->d);
    th_input_opts o = *opts;
    o.diags = &g->d;
    th_input *in = th_input_open(paths, n, &o);
    th_input_defer(in, defer);
    th_input_defer_files(in, files ? UINT64_MAX : 0);
    th_input_defer_parts(in, parts);
    got_run x = {.g = g, .defer = defer, .lazy = o.lazy, .hold = hold};
    if (hold)
        th_input_give_windows(in, got_give, &x);
    th_arena_init(&x.a, 64 * 1024);
    th_arena_init(&x.ja, 64 * 1024);
    th_buf_init(&x.b);
    x.own = th_jscan_new();
    got_drain(&x, in);
    th_input_give_windows(in, NULL, NULL);
    free(x.held);
    free(x.taken);
    th_input_close(x.one);
    th_jscan_free(x.own);
    th_buf_free(&x.b);
    th_arena_free(&x.a);
    th_arena_free(&x.ja);
    g->st = *th_input_stats_get(in);
    th_input_close(in);
    /* the invariants every run must keep */
    assert_int_equal(g->st.records, g->n);
    assert_int_equal(g->st.files_skipped, g->st.files_key_date + g->st.files_digest +
                                              g->st.files_unreadable + g->st.files_not_events);
    assert_int_equal(g->st.records_skipped, g->st.records_malformed + g->st.records_not_events);
}

static inline void collect_mode(got *g, const char *const *paths, size_t n,
                                const th_input_opts *opts, bool defer)
{
    collect_files(g, paths, n, opts, defer, false, false);
}

static inline void collect(got *g, const char *const *paths, size_t n, const th_input_opts *opts)
{
    collect_mode(g, paths, n, opts, false);
}

static inline void got_free(got *g);

static inline bool str_same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Lazy and eager runs agree: records, trees, stats and diagnostics. */
static inline void assert_same_run(const got *e, const got *l)
{
    assert_int_equal(e->n, l->n);
    for (size_t i = 0; i < e->n; i++) {
        const got_rec *x = &e->r[i], *y = &l->r[i];
        assert_string_equal(x->file, y->file);
        assert_int_equal(x->text_len, y->text_len);
        assert_memory_equal(x->text, y->text, x->text_len);
        assert_int_equal(x->offset, y->offset);
        assert_int_equal(x->line, y->line);
        assert_int_equal(x->kind, y->kind);
        assert_string_equal(x->json, y->json);
    }
    assert_memory_equal(&e->st, &l->st, sizeof e->st);
    assert_int_equal(e->d.len, l->d.len);
    for (size_t i = 0; i < e->d.len; i++) {
        const th_diag *a = &e->d.items[i], *b = &l->d.items[i];
        if (a->severity != b->severity || !str_same(a->file, b->file) || a->line != b->line ||
            a->col != b->col || a->offset != b->offset || !str_same(a->message, b->message))
            fail_msg("diagnostic %zu differs: %s:%u:%u@%lld %s | %s:%u:%u@%lld %s", i,
                     a->file ? a->file : "-", a->line, a->col, a->offset, a->message,
                     b->file ? b->file : "-", b->line, b->col, b->offset, b->message);
    }
}

/* Runs paths with o eagerly into g, then again with o.lazy set and checks that
 * both runs agree (stdin is rewound when it is a regular file, else the lazy
 * run is left out). Returns the lazy run's count of scanner records. */
static inline size_t run_both(got *g, const char *const *paths, size_t n, const th_input_opts *o)
{
    th_input_opts eo = *o, lo = *o;
    eo.lazy = false;
    lo.lazy = true;
    collect(g, paths, n, &eo);
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], "-") == 0 && lseek(STDIN_FILENO, 0, SEEK_SET) != 0)
            return 0;
    got l;
    collect(&l, paths, n, &lo);
    assert_same_run(g, &l);
    size_t lazy = l.n_lazy;
    got_free(&l);
    /* deferred mode (workers scan the lines, kept in io's windows) gives the same again */
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], "-") == 0 && lseek(STDIN_FILENO, 0, SEEK_SET) != 0)
            return lazy;
    collect_files(&l, paths, n, &lo, true, false, true);
    assert_same_run(g, &l);
    g->n_deferred = l.n_deferred;
    g->holds = l.holds;
    g->n_bare = l.n_bare;
    g->n_judged = l.n_judged;
    g->n_taken = l.n_taken;
    got_free(&l);
    /* and with every file read whole as a job (S3 objects on workers); stdin
     * never comes as one */
    for (size_t i = 0; i < n; i++)
        if (strcmp(paths[i], "-") == 0 && lseek(STDIN_FILENO, 0, SEEK_SET) != 0)
            return lazy;
    collect_files(&l, paths, n, &lo, true, true, false);
    assert_same_run(g, &l);
    g->n_files = l.n_files;
    got_free(&l);
    /* and with big NDJSON files read in parts on workers, of sizes that cut
     * lines anywhere (at most ~20,000 parts a run) */
    static const uint64_t part_sizes[] = {1, 13, 256, 4096, 1u << 16};
    uint64_t total = paths_bytes(paths, n);
    g->n_parts = 0;
    g->parts_runs = 0;
    for (size_t k = 0; k < sizeof part_sizes / sizeof *part_sizes; k++) {
        if (total / part_sizes[k] > 20000)
            continue;
        for (size_t i = 0; i < n; i++)
            if (strcmp(paths[i], "-") == 0 && lseek(STDIN_FILENO, 0, SEEK_SET) != 0)
                return lazy;
        collect_parts(&l, paths, n, &lo, part_sizes[k]);
        assert_same_run(g, &l);
        g->n_parts += l.n_parts;
        g->parts_runs++;
        got_free(&l);
    }
    return lazy;
}

/* Reads every record of paths into g; every run is made twice, with and
 * without lazy mode, and both must agree (see run_both). */
static inline void run_input_opts(got *g, const char *const *paths, size_t n, int64_t from,
                                  int64_t to, uint64_t max_inflated)
{
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    o.key_from_ms = from;
    o.key_to_ms = to;
    o.max_inflated = max_inflated;
    run_both(g, paths, n, &o);
}

static inline void run_input(got *g, const char *const *paths, size_t n)
{
    run_input_opts(g, paths, n, TH_TIME_NONE, TH_TIME_NONE, 0);
}

static inline void run_one(got *g, const char *path)
{
    const char *p[1] = {path};
    run_input(g, p, 1);
}

static inline void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->r[i].file);
        free(g->r[i].text);
        free(g->r[i].json);
    }
    free(g->r);
    th_diags_free(&g->d);
}

/* The first diagnostic whose message contains `needle`, or NULL. */
static inline const th_diag *find_diag(const got *g, const char *needle)
{
    for (size_t i = 0; i < g->d.len; i++)
        if (strstr(g->d.items[i].message, needle))
            return &g->d.items[i];
    return NULL;
}

/* Like find_diag, but the test fails when there is none (never NULL). */
static inline const th_diag *must_find_diag(const got *g, const char *needle)
{
    static const th_diag none = {TH_SEV_INFO, NULL, 0, 0, -1, NULL};
    const th_diag *d = find_diag(g, needle);
    if (!d) {
        fail_msg("no diagnostic contains \"%s\"", needle);
        return &none;
    }
    return d;
}

static inline size_t count_diags(const got *g, th_severity sev)
{
    size_t n = 0;
    for (size_t i = 0; i < g->d.len; i++)
        n += g->d.items[i].severity == sev;
    return n;
}

#endif
