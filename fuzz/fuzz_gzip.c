/* libFuzzer target for io/'s gzip reader (source.c): the bytes become one
 * file (a memfd), read whole by two readers, one taking a file's first member
 * in one call where it can (inflate_whole), one streaming every member
 * (th_io_src.stream_only, the reference); content, counts, `incomplete` and
 * every message with its offset must be the same. Each reader is reused from
 * input to input, as in a run (the first keeps an inflate state that is never
 * cleared), and each reader's window and compressed-bytes buffer are filled
 * with different bytes before the read (0xA5, 0x5A): what a corrupt member
 * keeps must not depend on them (source.c's redo_fault). Every input is read
 * twice: without a cap and with one drawn from its last byte (4 KiB to
 * 128 KiB, where the content often reaches it).
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_gzip -max_len=4096 corpus_dir/ */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "io/source.h"

typedef struct readout {
    char *bytes;
    size_t n, cap;
    bool opened, incomplete;
    uint64_t inflated, raw_bytes;
    th_diags d;
} readout;

static th_io_src g_whole, g_stream;
static readout g_w, g_s;

static void put(readout *o, const char *p, size_t n)
{
    if (!n)
        return;
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2;
        o->bytes = realloc(o->bytes, o->cap);
        if (!o->bytes)
            abort();
    }
    memcpy(o->bytes + o->n, p, n);
    o->n += n;
}

static void read_src(th_io_src *s, const char *path, uint64_t cap, int fill, readout *o)
{
    o->n = 0;
    th_diags_free(&o->d);
    th_diags_init(&o->d);
    if (s->win)
        memset(s->win, fill, s->win_cap);
    if (s->raw)
        memset(s->raw, fill, s->raw_cap);
    o->opened = th_io_src_open(s, path, false, cap, &o->d);
    if (o->opened) {
        put(o, s->data, s->len);
        while (th_io_src_more(s, s->len))
            put(o, s->data, s->len);
    }
    o->incomplete = s->incomplete;
    o->inflated = s->inflated;
    o->raw_bytes = s->raw_bytes;
    th_io_src_release(s);
}

static void differ(const char *what)
{
    fprintf(stderr, "fuzz_gzip: %s differs between the whole-member and streaming reads\n", what);
    abort();
}

static void compare(const char *path, uint64_t cap)
{
    read_src(&g_whole, path, cap, 0xA5, &g_w);
    read_src(&g_stream, path, cap, 0x5A, &g_s);
    if (g_w.opened != g_s.opened || g_w.incomplete != g_s.incomplete)
        differ("the outcome");
    if (g_w.inflated != g_s.inflated || g_w.raw_bytes != g_s.raw_bytes || g_w.n != g_s.n)
        differ("a count");
    if (g_w.n && memcmp(g_w.bytes, g_s.bytes, g_w.n) != 0)
        differ("the content");
    if (g_w.d.len != g_s.d.len)
        differ("the number of messages");
    for (size_t i = 0; i < g_w.d.len; i++)
        if (g_w.d.items[i].offset != g_s.d.items[i].offset ||
            strcmp(g_w.d.items[i].message, g_s.d.items[i].message) != 0)
            differ("a message");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        th_io_src_init(&g_whole);
        th_io_src_init(&g_stream);
        g_stream.stream_only = true;
        th_diags_init(&g_w.d);
        th_diags_init(&g_s.d);
        init = true;
    }
    int fd = memfd_create("fuzz_gzip", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    compare(path, UINT64_MAX);
    if (size)
        compare(path, (uint64_t)4096 * (1 + data[size - 1] % 32));
    close(fd);
    return 0;
}
