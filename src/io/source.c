/* File content for io/: a window refilled by read() or inflate(). */
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"

/* Content added to the window per refill: large enough to amortise the
 * calls, small enough to stay in the L2 cache while it is split and parsed. */
#define CHUNK (1u << 20)
/* Buffers larger than this are released after each file rather than kept for
 * the next one, so one huge record does not pin its memory for the whole run. */
#define KEEP_BUFFER_MAX (64u * 1024u * 1024u)

void th_io_src_init(th_io_src *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
}

void th_io_src_release(th_io_src *s)
{
    if (s->map)
        munmap(s->map, s->map_len);
    if (s->fd >= 0 && s->close_fd)
        close(s->fd);
    if (s->z_live)
        inflateEnd(&s->z);
    free(s->path);
    if (s->win_cap > KEEP_BUFFER_MAX) {
        free(s->win);
        s->win = NULL;
        s->win_cap = 0;
    }
    if (s->raw_cap > KEEP_BUFFER_MAX) {
        free(s->raw);
        s->raw = NULL;
        s->raw_cap = 0;
    }
    char *win = s->win, *raw = s->raw;
    size_t win_cap = s->win_cap, raw_cap = s->raw_cap;
    th_io_src_init(s);
    s->win = win;
    s->win_cap = win_cap;
    s->raw = raw;
    s->raw_cap = raw_cap;
}

void th_io_src_free(th_io_src *s)
{
    th_io_src_release(s);
    free(s->win);
    free(s->raw);
    th_io_src_init(s);
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

static size_t doubled(size_t cap)
{
    return cap < CHUNK ? CHUNK : cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
}

/* Reads fd to its end into s->raw (compressed bytes from a pipe). */
static bool read_rest(th_io_src *s)
{
    for (;;) {
        if (s->raw_len == s->raw_cap && !grow(&s->raw, &s->raw_cap, doubled(s->raw_cap))) {
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)s->raw_len,
                           "out of memory reading the file; the rest is not read");
            return false;
        }
        ssize_t r = read(s->fd, s->raw + s->raw_len, s->raw_cap - s->raw_len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)s->raw_len, "read error: %s",
                           strerror(errno));
            return false;
        }
        if (r == 0)
            return true;
        s->raw_len += (size_t)r;
        s->raw_bytes += (uint64_t)r;
    }
}

/* Maps a regular file; false when it cannot be mapped (caller reads instead). */
static bool map_file(th_io_src *s, size_t size)
{
    int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
    flags |= MAP_POPULATE; /* one call faults the pages in, instead of one fault per page */
#endif
    void *p = mmap(NULL, size, PROT_READ, flags, s->fd, 0);
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

/* Makes room for `want` more bytes at the end of the window (after dropping
 * the consumed prefix). False (reported) on out-of-memory. */
static bool window_room(th_io_src *s, size_t want)
{
    size_t used = s->len;
    if (s->win_cap - used >= want)
        return true;
    size_t need = used + want;
    size_t cap = s->win_cap;
    while (cap < need)
        cap = doubled(cap);
    if (!grow(&s->win, &s->win_cap, cap)) {
        th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)(s->base + used),
                       "out of memory for a record of %zu bytes; the rest is not read", need);
        return false;
    }
    s->data = s->win;
    return true;
}

static void gz_fail(th_io_src *s)
{
    s->incomplete = true;
    s->eof = true;
}

/* True if the stream has more output after the content reached the cap. */
static bool has_more_output(th_io_src *s)
{
    unsigned char probe[64];
    s->z.next_out = probe;
    s->z.avail_out = sizeof(probe);
    int rc = inflate(&s->z, Z_NO_FLUSH);
    return s->z.avail_out < sizeof(probe) ||
           (rc == Z_STREAM_END && s->z.avail_in > 0 && !only_zeros(s->z.next_in, s->z.avail_in));
}

/* Inflates up to `room` bytes at s->win + s->len, handling member ends,
 * truncation, corruption and the cap. */
static void gz_fill(th_io_src *s, size_t room)
{
    z_stream *z = &s->z;
    size_t start = s->len;
    while (s->len - start < room && !s->eof) {
        uint64_t left_cap = s->cap - s->inflated;
        if (left_cap == 0) {
            if (has_more_output(s)) {
                th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)(z->next_in - s->zin),
                               "gzip: inflated size exceeds the limit of %llu bytes "
                               "(gzip bomb?); the rest of the file is ignored",
                               (unsigned long long)s->cap);
                gz_fail(s);
            }
            s->eof = true;
            break;
        }
        size_t n = room - (s->len - start);
        if (n > left_cap)
            n = (size_t)left_cap;
        if (n > (1u << 30))
            n = 1u << 30;
        size_t in_left = s->zin_len - (size_t)(z->next_in - s->zin);
        z->avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
        z->next_out = (unsigned char *)s->win + s->len;
        z->avail_out = (uInt)n;
        int rc = inflate(z, Z_NO_FLUSH);
        size_t got = n - z->avail_out;
        s->len += got;
        s->inflated += got;
        in_left = s->zin_len - (size_t)(z->next_in - s->zin);
        if (rc == Z_STREAM_END) {
            const unsigned char *next = z->next_in;
            if (in_left >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
                inflateReset(z); /* another member: concatenated gzip files */
                continue;
            }
            if (in_left && !only_zeros(next, in_left))
                th_diag_offset(s->diags, TH_SEV_WARNING, s->path, (long long)(next - s->zin),
                               "gzip: %zu bytes of trailing garbage after the gzip data "
                               "ignored",
                               in_left);
            s->eof = true;
            break;
        }
        if (rc == Z_OK || (rc == Z_BUF_ERROR && z->avail_out == 0))
            continue;
        if (rc == Z_BUF_ERROR && in_left == 0)
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)s->zin_len,
                           "gzip: truncated stream (%zu compressed bytes, %llu inflated bytes "
                           "kept)",
                           s->zin_len, (unsigned long long)s->inflated);
        else
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)(z->next_in - s->zin),
                           "gzip: corrupt data (%s); %llu inflated bytes kept",
                           z->msg ? z->msg : "inflate failed", (unsigned long long)s->inflated);
        gz_fail(s);
    }
}

/* Reads up to `room` bytes at s->win + s->len. */
static void fd_fill(th_io_src *s, size_t room)
{
    size_t start = s->len;
    while (s->len - start < room) {
        ssize_t r = read(s->fd, s->win + s->len, room - (s->len - start));
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)(s->base + s->len),
                           "read error: %s; the rest is not read", strerror(errno));
        if (r <= 0) {
            s->eof = true;
            return;
        }
        s->len += (size_t)r;
        s->raw_bytes += (uint64_t)r;
        s->inflated += (uint64_t)r;
        if (s->len - start >= CHUNK / 4)
            return; /* a pipe gives what it has: do not wait for a full chunk */
    }
}

bool th_io_src_more(th_io_src *s, size_t consumed)
{
    if (consumed > s->len)
        consumed = s->len;
    if (consumed) {
        memmove(s->win, s->win + consumed, s->len - consumed);
        s->len -= consumed;
        s->base += consumed;
    }
    if (s->eof)
        return false;
    size_t before = s->len;
    if (!window_room(s, CHUNK)) {
        s->eof = true;
        return false;
    }
    if (s->kind == TH_SRC_GZIP)
        gz_fill(s, s->win_cap - s->len);
    else
        fd_fill(s, s->win_cap - s->len);
    s->data = s->win;
    return s->len > before;
}

/* Switches to inflating s->zin[0..zin_len). */
static bool start_gzip(th_io_src *s)
{
    s->gzip = true;
    s->kind = TH_SRC_GZIP;
    s->len = 0;
    s->data = s->win;
    memset(&s->z, 0, sizeof(s->z));
    if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
        th_diag_offset(s->diags, TH_SEV_ERROR, s->path, 0, "gzip: cannot initialise zlib");
        gz_fail(s);
        return true;
    }
    s->z_live = true;
    s->z.next_in = (unsigned char *)s->zin;
    th_io_src_more(s, 0);
    return true;
}

bool th_io_src_open(th_io_src *s, const char *path, bool is_stdin, uint64_t max_inflated,
                    th_diags *d)
{
    th_io_src_release(s);
    s->path = th_xstrdup(path);
    s->diags = d;
    s->cap = max_inflated;
    s->fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    s->close_fd = !is_stdin;
    if (s->fd < 0) {
        th_diag_offset(d, TH_SEV_ERROR, path, -1, "cannot open: %s", strerror(errno));
        return false;
    }
    /* A gzip'd regular file is mapped: zlib reads the compressed bytes in
     * place. Everything else is read through the window, which stays hot in
     * the cache: measured faster than mapping plain files (first-touch page
     * faults) and it keeps memory at the size of the largest record. */
    struct stat st;
    unsigned char magic[2];
    if (!is_stdin && fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 2 &&
        (uint64_t)st.st_size <= SIZE_MAX && pread(s->fd, magic, 2, 0) == 2 && magic[0] == 0x1f &&
        magic[1] == 0x8b && map_file(s, (size_t)st.st_size)) {
        close(s->fd);
        s->fd = -1;
        s->raw_bytes = s->map_len;
        s->zin = s->map;
        s->zin_len = s->map_len;
        return start_gzip(s);
    }
    /* read a first chunk to look at the magic bytes, then stream */
    s->kind = TH_SRC_FD;
    if (!window_room(s, CHUNK))
        return false;
    s->data = s->win;
    fd_fill(s, CHUNK);
    const unsigned char *w = (const unsigned char *)s->win;
    if (s->len >= 2 && w[0] == 0x1f && w[1] == 0x8b) {
        /* keep the compressed bytes whole: they are small next to the content */
        if (!grow(&s->raw, &s->raw_cap, s->len > CHUNK ? s->len : CHUNK))
            return false;
        memcpy(s->raw, s->win, s->len);
        s->raw_len = s->len;
        s->inflated = 0;
        s->eof = false;
        if (!read_rest(s))
            s->incomplete = true;
        s->zin = (const unsigned char *)s->raw;
        s->zin_len = s->raw_len;
        return start_gzip(s);
    }
    return true;
}
