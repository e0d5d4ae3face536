/* inflate_bench: inflate-only throughput of zlib, libdeflate and ISA-L on
 * CloudTrail gzip input, for choosing the library behind src/io/source.c.
 *
 *   inflate_bench [-r REPS] [-m METHOD] PATH...
 *
 * PATH is a directory (every *.gz under it, each a small S3 object, inflated
 * whole) or a file (one big gzip stream). The compressed bytes are loaded into
 * memory first, so only inflating is timed: CPU time (user+sys of this
 * process) and MB/s of inflated output (MB = 1e6 bytes). Every method checks
 * the CRC-32 and handles multi-member streams. Methods:
 *   zlib-stream   inflate() with the gzip wrapper into a 1 MiB window
 *   zlib-whole    inflate() into one buffer of the ISIZE size
 *   deflate-whole libdeflate_gzip_decompress_ex member by member into one
 *                 buffer (sized by ISIZE, grown when a member does not fit)
 *   isal-stream   isal_inflate (ISAL_GZIP) into a 1 MiB window keeping 32 KiB
 *                 of history before the write point (ISA-L reads matches back
 *                 from the output buffer)
 *   isal-whole    isal_inflate into one buffer of the ISIZE size
 * and what trailhound itself does with the files (read from the page cache,
 * so file opening is counted):
 *   th_io_src     src/io/source.c: open, read or map, inflate into the window
 *   th_input      src/io/input.c: the above + split + JSON parse + classify */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "base/diag.h"
#include "io/input.h"
#include "io/source.h"

typedef struct blob {
    unsigned char *p;
    size_t n;
} blob;

static blob *g_files;
static char **g_paths;
static size_t g_nfiles, g_capfiles;

static void die(const char *m)
{
    fprintf(stderr, "inflate_bench: %s\n", m);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void load(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        die(strerror(errno));
    blob b = {xrealloc(NULL, (size_t)st.st_size), (size_t)st.st_size};
    size_t got = 0;
    while (got < b.n) {
        ssize_t r = read(fd, b.p + got, b.n - got);
        if (r <= 0)
            die("short read");
        got += (size_t)r;
    }
    close(fd);
    if (g_nfiles == g_capfiles) {
        g_capfiles = g_capfiles ? g_capfiles * 2 : 1024;
        g_files = xrealloc(g_files, g_capfiles * sizeof(*g_files));
        g_paths = xrealloc(g_paths, g_capfiles * sizeof(*g_paths));
    }
    g_paths[g_nfiles] = strdup(path);
    g_files[g_nfiles++] = b;
}

static int walk_cb(const char *path, const struct stat *st, int type, struct FTW *f)
{
    (void)st;
    (void)f;
    size_t n = strlen(path);
    if (type == FTW_F && n > 3 && strcmp(path + n - 3, ".gz") == 0)
        load(path);
    return 0;
}

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t isize(const blob *b)
{
    const unsigned char *t = b->p + b->n - 4;
    return (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
}

#define WIN (1u << 20)
#define HIST (32u * 1024u)

static unsigned char *g_out;
static size_t g_out_cap;

static unsigned char *out_buf(size_t need)
{
    if (need > g_out_cap) {
        g_out = xrealloc(g_out, need);
        g_out_cap = need;
    }
    return g_out;
}

static uint64_t do_zlib(const blob *b, int whole)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        die("zlib init");
    size_t cap = whole ? (size_t)isize(b) + 64 : WIN;
    unsigned char *out = out_buf(cap);
    uint64_t total = 0;
    z.next_in = b->p;
    z.avail_in = (uInt)b->n;
    size_t pos = 0;
    for (;;) {
        if (pos == cap) {
            if (whole) {
                cap *= 2;
                out = out_buf(cap);
            } else {
                pos = 0;
            }
        }
        z.next_out = out + pos;
        z.avail_out = (uInt)(cap - pos);
        int rc = inflate(&z, Z_NO_FLUSH);
        size_t got = cap - pos - z.avail_out;
        pos += got;
        total += got;
        if (rc == Z_STREAM_END) {
            if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
                inflateReset(&z);
                continue;
            }
            break;
        }
        if (rc != Z_OK && !(rc == Z_BUF_ERROR && z.avail_out == 0))
            die("zlib error");
    }
    inflateEnd(&z);
    return total;
}

static struct libdeflate_decompressor *g_ld;

static uint64_t do_deflate(const blob *b)
{
    size_t cap = (size_t)isize(b) + 64;
    unsigned char *out = out_buf(cap);
    cap = g_out_cap;
    size_t in_pos = 0, out_pos = 0;
    while (in_pos < b->n) {
        size_t used = 0, got = 0;
        enum libdeflate_result r = libdeflate_gzip_decompress_ex(
            g_ld, b->p + in_pos, b->n - in_pos, out + out_pos, cap - out_pos, &used, &got);
        if (r == LIBDEFLATE_INSUFFICIENT_SPACE) {
            cap *= 2;
            out = out_buf(cap);
            continue;
        }
        if (r != LIBDEFLATE_SUCCESS)
            die("libdeflate error");
        in_pos += used;
        out_pos += got;
    }
    return out_pos;
}

static struct inflate_state g_is;

static uint64_t do_isal(const blob *b, int whole)
{
    struct inflate_state *s = &g_is;
    isal_inflate_init(s);
    s->crc_flag = ISAL_GZIP;
    s->next_in = b->p;
    s->avail_in = (uint32_t)b->n;
    size_t cap = whole ? (size_t)isize(b) + 64 : WIN + HIST;
    unsigned char *out = out_buf(cap);
    size_t pos = 0;
    uint64_t total = 0;
    for (;;) {
        if (pos == cap) {
            if (whole) {
                cap *= 2;
                out = out_buf(cap);
            } else {
                memmove(out, out + pos - HIST, HIST);
                pos = HIST;
            }
        }
        s->next_out = out + pos;
        s->avail_out = (uint32_t)(cap - pos);
        int rc = isal_inflate(s);
        size_t got = cap - pos - s->avail_out;
        pos += got;
        total += got;
        if (rc != ISAL_DECOMP_OK)
            die("isal error");
        if (s->block_state == ISAL_BLOCK_FINISH) {
            if (s->avail_in >= 2 && s->next_in[0] == 0x1f && s->next_in[1] == 0x8b) {
                uint8_t *ni = s->next_in;
                uint32_t ai = s->avail_in;
                isal_inflate_reset(s);
                s->crc_flag = ISAL_GZIP;
                s->next_in = ni;
                s->avail_in = ai;
                continue;
            }
            break;
        }
        if (s->avail_in == 0 && s->avail_out > 0)
            die("isal: truncated");
    }
    return total;
}

static th_io_src g_src;
static th_diags g_diags;

static uint64_t do_src(size_t i)
{
    if (!th_io_src_open(&g_src, g_paths[i], false, UINT64_MAX, &g_diags))
        die("th_io_src_open");
    while (th_io_src_more(&g_src, g_src.len))
        ;
    if (g_src.incomplete)
        die("th_io_src: incomplete");
    return g_src.inflated;
}

/* All files through th_input, in one reader (as the CLI does). */
static uint64_t do_input(void)
{
    th_input_opts o;
    th_input_opts_default(&o, &g_diags);
    th_input *in = th_input_open((const char *const *)g_paths, g_nfiles, &o);
    th_record r;
    while (th_input_next(in, &r))
        ;
    uint64_t n = th_input_stats_get(in)->bytes_inflated;
    th_input_close(in);
    return n;
}

enum { M_ZLIB_STREAM, M_ZLIB_WHOLE, M_DEFLATE, M_ISAL_STREAM, M_ISAL_WHOLE, M_SRC, M_INPUT, M_N };
static const char *const names[M_N] = {"zlib-stream", "zlib-whole", "deflate-whole", "isal-stream",
                                       "isal-whole",  "th_io_src",  "th_input"};

static uint64_t run(int m, size_t i)
{
    const blob *b = &g_files[i];
    switch (m) {
    case M_SRC: return do_src(i);
    case M_ZLIB_STREAM: return do_zlib(b, 0);
    case M_ZLIB_WHOLE: return do_zlib(b, 1);
    case M_DEFLATE: return do_deflate(b);
    case M_ISAL_STREAM: return do_isal(b, 0);
    default: return do_isal(b, 1);
    }
}

int main(int argc, char **argv)
{
    int reps = 3, opt;
    const char *only = NULL;
    while ((opt = getopt(argc, argv, "r:m:")) != -1) {
        if (opt == 'r')
            reps = atoi(optarg);
        else if (opt == 'm')
            only = optarg;
        else
            die("usage: inflate_bench [-r REPS] [-m METHOD] PATH...");
    }
    g_ld = libdeflate_alloc_decompressor();
    th_io_src_init(&g_src);
    th_diags_init(&g_diags);
    printf("%-28s %-14s %7s %12s %10s %9s\n", "input", "method", "files", "inflated_MB", "cpu_s",
           "MB/s");
    for (int a = optind; a < argc; a++) {
        g_nfiles = 0;
        struct stat st;
        if (stat(argv[a], &st) != 0)
            die(strerror(errno));
        if (S_ISDIR(st.st_mode))
            nftw(argv[a], walk_cb, 16, FTW_PHYS);
        else
            load(argv[a]);
        uint64_t comp = 0;
        for (size_t i = 0; i < g_nfiles; i++)
            comp += g_files[i].n;
        for (int m = 0; m < M_N; m++) {
            if (only && strcmp(only, names[m]) != 0)
                continue;
            uint64_t bytes = 0;
            if (m == M_INPUT)
                bytes = do_input(); /* warm-up, and the size */
            else
                for (size_t i = 0; i < g_nfiles; i++) /* warm-up, and the size check */
                    bytes += run(m, i);
            double t0 = cpu_now();
            for (int r = 0; r < reps; r++) {
                if (m == M_INPUT)
                    do_input();
                else
                    for (size_t i = 0; i < g_nfiles; i++)
                        run(m, i);
            }
            double t = cpu_now() - t0;
            double mb = (double)bytes * reps / 1e6;
            printf("%-28s %-14s %7zu %12.1f %10.3f %9.0f\n", argv[a], names[m], g_nfiles, mb, t,
                   mb / t);
        }
        printf("%-28s %.1f MB compressed\n", argv[a], (double)comp / 1e6);
        for (size_t i = 0; i < g_nfiles; i++) {
            free(g_files[i].p);
            free(g_paths[i]);
        }
    }
    libdeflate_free_decompressor(g_ld);
    th_io_src_free(&g_src);
    th_diags_free(&g_diags);
    free(g_paths);
    free(g_out);
    free(g_files);
    return 0;
}
