/* File content for io/: mmap or read, then gunzip when the magic bytes say so. */
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* Buffers larger than this are released after each file rather than kept for
 * the next one, so one huge file does not pin its memory for the whole run. */
#define KEEP_BUFFER_MAX (64u * 1024u * 1024u)

void th_io_src_init(th_io_src *s) { memset(s, 0, sizeof(*s)); }

void th_io_src_release(th_io_src *s)
{
    if (s->map)
        munmap(s->map, s->map_len);
    s->map = NULL;
    s->map_len = 0;
    if (s->raw_cap > KEEP_BUFFER_MAX) {
        free(s->raw);
        s->raw = NULL;
        s->raw_cap = 0;
    }
    if (s->inf_cap > KEEP_BUFFER_MAX) {
        free(s->inf);
        s->inf = NULL;
        s->inf_cap = 0;
    }
    s->data = NULL;
    s->len = 0;
    s->raw_bytes = 0;
    s->gzip = false;
    s->incomplete = false;
}

void th_io_src_free(th_io_src *s)
{
    th_io_src_release(s);
    free(s->raw);
    free(s->inf);
    memset(s, 0, sizeof(*s));
}

/* Grows *buf to exactly `need` bytes if it is smaller; false on out-of-memory
 * (the caller reports it: a huge input must not abort the run). */
static bool grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return true;
    char *p = realloc(*buf, need);
    if (!p)
        return false;
    *buf = p;
    *cap = need;
    return true;
}

/* The next size of a buffer growing geometrically. */
static size_t doubled(size_t cap) { return cap < 64 * 1024 ? 64 * 1024 : cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2; }

/* Reads fd to its end into s->raw. */
static bool read_all(th_io_src *s, int fd, const char *path, th_diags *d, size_t *len)
{
    size_t n = 0;
    for (;;) {
        if (n == s->raw_cap && !grow(&s->raw, &s->raw_cap, doubled(s->raw_cap))) {
            th_diag_offset(d, TH_SEV_ERROR, path, (long long)n,
                           "out of memory reading the file; the rest is not read");
            break;
        }
        ssize_t r = read(fd, s->raw + n, s->raw_cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            th_diag_offset(d, TH_SEV_ERROR, path, (long long)n, "read error: %s",
                           strerror(errno));
            if (n == 0)
                return false;
            break;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return true;
}

/* Maps a regular file; false when it cannot be mapped (caller reads instead). */
static bool map_file(th_io_src *s, int fd, size_t size)
{
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE; /* one call faults the pages in, instead of one fault per page */
#endif
    void *p = mmap(NULL, size, PROT_READ, flags, fd, 0);
    if (p == MAP_FAILED)
        return false;
#ifdef MADV_SEQUENTIAL
    madvise(p, size, MADV_SEQUENTIAL);
#endif
    s->map = p;
    s->map_len = size;
    return true;
}

static bool only_zeros(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* True if the stream has more output after the buffer filled up at the cap. */
static bool has_more_output(z_stream *z)
{
    unsigned char probe[64];
    z->next_out = probe;
    z->avail_out = sizeof(probe);
    int rc = inflate(z, Z_NO_FLUSH);
    return z->avail_out < sizeof(probe) || (rc == Z_STREAM_END && z->avail_in > 0 &&
                                            !only_zeros(z->next_in, z->avail_in));
}

/* First guess at the inflated size: the gzip trailer's ISIZE (size mod 2^32
 * of the last member, exact for the usual single-member file), so the buffer
 * is allocated once instead of grown by copying; 4x the input otherwise. */
static size_t size_hint(const unsigned char *raw, size_t n)
{
    size_t guess = n * 4 + 4096;
    if (n >= 18) {
        const unsigned char *t = raw + n - 4;
        size_t isize = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 | (size_t)t[3] << 24;
        if (isize >= n / 2)
            guess = isize + 64; /* slack: room for zlib to finish the stream */
    }
    return guess;
}

/* Inflates every gzip member of raw[0..n) into s->inf, up to `cap` bytes. */
static void gunzip(th_io_src *s, const unsigned char *raw, size_t n, uint64_t cap,
                   const char *path, th_diags *d)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    size_t out = 0;
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        th_diag_offset(d, TH_SEV_ERROR, path, 0, "gzip: cannot initialise zlib");
        s->incomplete = true;
        goto done;
    }
    size_t hint = size_hint(raw, n);
    grow(&s->inf, &s->inf_cap, hint < cap ? hint : (size_t)cap); /* failure: grown below */
    z.next_in = (unsigned char *)raw;
    z.avail_in = 0;
    size_t in_left = n;
    for (;;) {
        /* zlib counts in uInt: feed at most 1 GiB at a time */
        if (z.avail_in == 0 && in_left) {
            z.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            in_left -= z.avail_in;
        }
        if (out == s->inf_cap) {
            if (out >= cap) {
                if (has_more_output(&z)) {
                    th_diag_offset(d, TH_SEV_ERROR, path, (long long)(z.next_in - raw),
                                   "gzip: inflated size exceeds the limit of %llu bytes "
                                   "(gzip bomb?); the rest of the file is ignored",
                                   (unsigned long long)cap);
                    s->incomplete = true;
                }
                break;
            }
            size_t want = doubled(s->inf_cap);
            if (want > cap)
                want = (size_t)cap;
            if (!grow(&s->inf, &s->inf_cap, want)) {
                th_diag_offset(d, TH_SEV_ERROR, path, (long long)(z.next_in - raw),
                               "gzip: out of memory after %zu inflated bytes; the rest is "
                               "ignored", out);
                s->incomplete = true;
                break;
            }
        }
        size_t room = s->inf_cap - out;
        z.next_out = (unsigned char *)s->inf + out;
        z.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        uInt before = z.avail_out;
        int rc = inflate(&z, Z_NO_FLUSH);
        out += before - z.avail_out;
        if (rc == Z_STREAM_END) {
            size_t left = z.avail_in + in_left;
            if (left == 0)
                break;
            const unsigned char *next = z.next_in;
            if (left >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
                inflateReset(&z); /* another member: concatenated gzip files */
                continue;
            }
            if (!only_zeros(next, left))
                th_diag_offset(d, TH_SEV_WARNING, path, (long long)(next - raw),
                               "gzip: %zu bytes of trailing garbage after the gzip data "
                               "ignored", left);
            break;
        }
        if (rc == Z_OK)
            continue;
        if (rc == Z_BUF_ERROR && z.avail_out == 0)
            continue; /* needs more room */
        if (rc == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
            th_diag_offset(d, TH_SEV_ERROR, path, (long long)n,
                           "gzip: truncated stream (%zu compressed bytes, %zu inflated "
                           "bytes kept)", n, out);
        } else {
            th_diag_offset(d, TH_SEV_ERROR, path, (long long)(z.next_in - raw),
                           "gzip: corrupt data (%s); %zu inflated bytes kept",
                           z.msg ? z.msg : "inflate failed", out);
        }
        s->incomplete = true;
        break;
    }
    inflateEnd(&z);
done:
    s->data = s->inf ? s->inf : "";
    s->len = out;
}

bool th_io_src_load(th_io_src *s, const char *path, bool is_stdin, uint64_t max_inflated,
                    th_diags *d)
{
    th_io_src_release(s);
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        th_diag_offset(d, TH_SEV_ERROR, path, -1, "cannot open: %s", strerror(errno));
        return false;
    }
    struct stat st;
    const char *raw = NULL;
    size_t n = 0;
    bool ok = true;
    if (!is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (uint64_t)st.st_size <= SIZE_MAX && map_file(s, fd, (size_t)st.st_size)) {
        raw = s->map;
        n = s->map_len;
    } else {
        ok = read_all(s, fd, path, d, &n);
        raw = s->raw ? s->raw : "";
    }
    if (!is_stdin)
        close(fd);
    if (!ok)
        return false;
    s->raw_bytes = n;
    if (n >= 2 && (unsigned char)raw[0] == 0x1f && (unsigned char)raw[1] == 0x8b) {
        s->gzip = true;
        gunzip(s, (const unsigned char *)raw, n, max_inflated, path, d);
        if (s->map) { /* the compressed bytes are no longer needed */
            munmap(s->map, s->map_len);
            s->map = NULL;
            s->map_len = 0;
        }
    } else {
        s->data = raw;
        s->len = n;
    }
    return true;
}
