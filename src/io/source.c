/* File content for io/: a window refilled by read() or isal_inflate(). */
#include "io/source.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
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
/* gzip'd regular files larger than this are mapped; smaller ones (every S3
 * object) are read with the file's first read(), into a buffer reused from
 * file to file: mmap + munmap per object cost a TLB shootdown each and were
 * 7% of `convert` over a month of small objects. */
#define GZ_MAP_MIN (16u * 1024u * 1024u)
/* Most bytes given to isal_inflate() per call (its counters are 32-bit). */
#define ISAL_STEP (1u << 30)

void th_io_src_init(th_io_src *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->part_fd = -1;
}

/* The kept file of the last part closed */
static void part_fd_close(th_io_src *s)
{
    if (s->part_fd >= 0)
        close(s->part_fd);
    s->part_fd = -1;
    free(s->part_path);
    s->part_path = NULL;
}

void th_io_src_release(th_io_src *s)
{
    if (s->map)
        munmap(s->map, s->map_len);
    if (s->fd >= 0 && s->close_fd && s->at_part) { /* kept for the file's next part */
        part_fd_close(s);
        s->part_fd = s->fd;
        s->part_path = s->path;
        s->path = NULL;
    } else if (s->fd >= 0 && s->close_fd) {
        close(s->fd);
    }
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
    struct inflate_state *isal = s->isal;
    uint32_t *calls = s->calls;
    size_t calls_cap = s->calls_cap;
    const volatile sig_atomic_t *interrupted = s->interrupted;
    bool stream_only = s->stream_only;
    int part_fd = s->part_fd;
    char *part_path = s->part_path;
    th_io_src_init(s);
    s->part_fd = part_fd;
    s->part_path = part_path;
    s->calls = calls;
    s->calls_cap = calls_cap;
    s->interrupted = interrupted;
    s->stream_only = stream_only;
    s->win = win;
    s->win_cap = win_cap;
    s->raw = raw;
    s->raw_cap = raw_cap;
    s->isal = isal;
}

void th_io_src_free(th_io_src *s)
{
    th_io_src_release(s);
    part_fd_close(s);
    free(s->win);
    free(s->raw);
    free(s->isal);
    free(s->calls);
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

/* A signal asked the run to stop (th_io_src.interrupted). */
static bool stopped(const th_io_src *s)
{
    return s->interrupted && *s->interrupted;
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
        if (r < 0 && errno == EINTR && !stopped(s))
            continue;
        if (r < 0 && errno == EINTR)
            return true; /* interrupted: the rest is not read */
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

static size_t in_left(const th_io_src *s)
{
    return s->zin_len - (size_t)(s->isal->next_in - s->zin);
}

/* Feeds isal_inflate() the next compressed bytes, at most ISAL_STEP. */
static void feed(th_io_src *s)
{
    size_t left = in_left(s);
    s->isal->avail_in = left > ISAL_STEP ? ISAL_STEP : (uint32_t)left;
}

/* Starts the gzip member at s->isal->next_in (the first, or the next one of
 * concatenated gzip files). The whole state is cleared first: ISA-L resolves
 * a match that reaches back before the member's start (a corrupt stream)
 * from the history buffer inside the state, and emits those bytes before it
 * reports the stream invalid. Without the clearing they were what the state
 * held: the previous file's content (records of another file, and with files
 * read as jobs, of whichever file that thread read before) or, in a new
 * state, uninitialised heap. Cleared, what is kept of a corrupt member
 * depends on its own bytes alone. 85 KiB per member, next to inflating it;
 * a file's first member mostly skips it (inflate_whole). */
static void member_start(th_io_src *s)
{
    struct inflate_state *st = s->isal;
    uint8_t *next = st->next_in;
    memset(st, 0, sizeof *st);
    isal_inflate_init(st);
    st->crc_flag = ISAL_GZIP; /* parse the header, check CRC-32 and ISIZE */
    st->next_in = next;
    feed(s);
    s->member_in = (size_t)(next - s->zin);
    s->ncalls = 0;
    s->calls_lost = false;
}

/* Records the avail_out of an isal_inflate() call on the current member
 * (redo_fault replays them). One store per call, about one per MiB. */
static void log_call(th_io_src *s, uint32_t n)
{
    if (s->calls_lost)
        return;
    if (s->ncalls == s->calls_cap) {
        size_t cap = s->calls_cap ? s->calls_cap * 2 : 64;
        uint32_t *p = realloc(s->calls, cap * sizeof *p);
        if (!p) {
            s->calls_lost = true;
            return;
        }
        s->calls = p;
        s->calls_cap = cap;
    }
    s->calls[s->ncalls++] = n;
}

/* Makes the `got` bytes an isal_inflate() call that failed reported at `out`
 * depend on the member alone. ISA-L 2.30's fast decode loop advances next_out
 * by a match's length before it checks the distance, and on
 * ISAL_INVALID_LOOKBACK or an invalid distance symbol returns with up to 257
 * bytes counted as output that it never wrote. Past a member's first 64 KiB
 * (decoded straight into our window) they were the window's old bytes: the
 * end of an earlier file read by this reader, which with files read as jobs
 * depends on the thread. Clearing the window before each call would cost
 * every valid member a memset of its content; errors are rare, so instead
 * the failing call is redone: the member restarts from its first byte with
 * the state cleared as member_start clears it, the logged calls are replayed
 * with the same avail_out (and so the same avail_in, feed's) into a scratch
 * buffer, the failing one into zeros, and its output replaces the window's.
 * ISA-L's state keeps no pointer into the output between calls, so the bytes it
 * wrote are the same as before, those it did not are zeros, and the count is
 * unchanged: exactly what the first call gave over a zeroed window, as in a
 * member's first 64 KiB, where the unwritten bytes come from the cleared
 * state. When a call could not be logged or the scratch buffer cannot be
 * had, nothing of the failing call is kept (also independent of the window).
 * Every error takes this path, once per file (the file ends at its first
 * error); valid members never do. */
static void redo_fault(th_io_src *s, unsigned char *out, size_t got)
{
    struct inflate_state *st = s->isal;
    size_t max = 0;
    for (size_t i = 0; i < s->ncalls; i++)
        if (s->calls[i] > max)
            max = s->calls[i];
    unsigned char *tmp = s->calls_lost || !s->ncalls ? NULL : malloc(max);
    if (!tmp) {
        s->len -= got;
        s->inflated -= got;
        return;
    }
    memset(st, 0, sizeof *st);
    isal_inflate_init(st);
    st->crc_flag = ISAL_GZIP;
    st->next_in = (uint8_t *)s->zin + s->member_in;
    for (size_t i = 0; i < s->ncalls; i++) {
        if (i + 1 == s->ncalls)
            memset(tmp, 0, s->calls[i]);
        feed(s);
        st->next_out = tmp;
        st->avail_out = s->calls[i];
        isal_inflate(st);
    }
    memcpy(out, tmp, got);
    free(tmp);
}

/* The first member inflated in one isal_inflate_stateless() call, straight
 * into the window, when its ISIZE trailer says it fits in the `n` bytes the
 * streaming call would get: no state to clear (the stateless decoder checks
 * every match against the start of its own output and builds each block's
 * tables whole) and no copy through ISA-L's history buffer, which the
 * streaming decoder fills with a member's first 64 KiB before copying them
 * out. Taken only when the member decodes cleanly, its CRC-32 and ISIZE
 * check, and the content stays under the cap: that content is then what the
 * streaming path gives a valid member. Anything else (a lying ISIZE, a member
 * larger than n, a corrupt stream, content reaching the cap, which the
 * streaming path probes further) returns false with the member not started,
 * and gz_fill starts it as before: member_start clears the state, so what is
 * kept and reported of a corrupt member stays the streaming path's. The
 * bytes written here are the member's own up to where it failed; the
 * streaming call writes the same bytes there, and redo_fault replaces those
 * of its failing call. */
static bool inflate_whole(th_io_src *s, size_t n, uint64_t left_cap)
{
    struct inflate_state *st = s->isal;
    const unsigned char *z = s->zin;
    size_t zn = s->zin_len;
    if (s->stream_only || zn < 18 || zn > ISAL_STEP)
        return false;
    uint32_t isize = (uint32_t)z[zn - 4] | (uint32_t)z[zn - 3] << 8 | (uint32_t)z[zn - 2] << 16 |
                     (uint32_t)z[zn - 1] << 24;
    if (isize >= n)
        return false;
    isal_inflate_init(st);
    st->crc_flag = ISAL_GZIP;
    st->next_in = (uint8_t *)z;
    st->avail_in = (uint32_t)zn;
    st->next_out = (uint8_t *)s->win + s->len;
    st->avail_out = (uint32_t)n;
    int rc = isal_inflate_stateless(st);
    size_t got = n - st->avail_out;
    if (rc != ISAL_DECOMP_OK || st->block_state != ISAL_BLOCK_FINISH || got >= left_cap) {
        st->next_in = (uint8_t *)z; /* where member_start starts the member */
        return false;
    }
    s->len += got;
    s->inflated += got;
    s->whole = true;
    return true;
}

/* At the end of a member: true if another one follows (and starts it). */
static bool next_member(th_io_src *s)
{
    const unsigned char *next = s->isal->next_in;
    size_t left = in_left(s);
    if (left >= 2 && next[0] == 0x1f && next[1] == 0x8b) {
        member_start(s);
        return true;
    }
    return false;
}

/* True if the stream has more output after the content reached the cap.
 * ISA-L keeps its own copy of the history, so the probe may go elsewhere. */
static bool has_more_output(th_io_src *s)
{
    struct inflate_state *st = s->isal;
    unsigned char probe[64];
    for (;;) {
        if (st->block_state == ISAL_BLOCK_FINISH) {
            size_t left = in_left(s);
            if (!left || only_zeros(st->next_in, left))
                return false;
            if (!next_member(s))
                return true; /* trailing bytes: reported as over the cap, as before */
        }
        feed(s);
        st->next_out = probe;
        st->avail_out = sizeof(probe);
        int rc = isal_inflate(st);
        if (st->avail_out < sizeof(probe))
            return true;
        if (rc != ISAL_DECOMP_OK || st->block_state != ISAL_BLOCK_FINISH)
            return false; /* an empty tail, truncated or corrupt: nothing more */
    }
}

static const char *isal_error(int rc)
{
    switch (rc) {
    case ISAL_INCORRECT_CHECKSUM: return "CRC-32 or length check failed";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    default: return "inflate failed";
    }
}

/* Inflates up to `room` bytes at s->win + s->len, handling member ends,
 * truncation, corruption and the cap. */
static void gz_fill(th_io_src *s, size_t room)
{
    struct inflate_state *st = s->isal;
    size_t start = s->len;
    if (s->fresh && room) {
        /* the file's first member, not started yet */
        s->fresh = false;
        uint64_t cap_left = s->cap - s->inflated;
        size_t n = room < ISAL_STEP ? room : ISAL_STEP;
        if (!inflate_whole(s, n, cap_left))
            member_start(s);
    }
    while (s->len - start < room && !s->eof) {
        if (st->block_state == ISAL_BLOCK_FINISH) {
            if (next_member(s))
                continue; /* another member: concatenated gzip files */
            size_t left = in_left(s);
            if (left && !only_zeros(st->next_in, left))
                th_diag_offset(s->diags, TH_SEV_WARNING, s->path,
                               (long long)(st->next_in - s->zin),
                               "gzip: %zu bytes of trailing garbage after the gzip data "
                               "ignored",
                               left);
            s->eof = true;
            break;
        }
        uint64_t left_cap = s->cap - s->inflated;
        if (left_cap == 0) {
            if (has_more_output(s)) {
                th_diag_offset(s->diags, TH_SEV_ERROR, s->path,
                               (long long)(st->next_in - s->zin),
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
        if (n > ISAL_STEP)
            n = ISAL_STEP;
        feed(s);
        const uint8_t *in_before = st->next_in;
        st->next_out = (uint8_t *)s->win + s->len;
        st->avail_out = (uint32_t)n;
        log_call(s, (uint32_t)n);
        int rc = isal_inflate(st);
        size_t got = n - st->avail_out;
        s->len += got;
        s->inflated += got;
        bool progress = got || st->next_in != in_before;
        if (rc == ISAL_DECOMP_OK && (st->block_state == ISAL_BLOCK_FINISH ||
                                     (progress && (st->avail_out == 0 || in_left(s) > 0))))
            continue; /* member end, window full, or more input to give */
        /* isal_inflate() returns when the output is full, the input is used
         * up or the member ends: with output left and no input, it is cut */
        long long at = (long long)(st->next_in - s->zin);
        if (rc != ISAL_DECOMP_OK && got)
            redo_fault(s, (unsigned char *)s->win + s->len - got, got);
        if (rc == ISAL_DECOMP_OK && in_left(s) == 0)
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, (long long)s->zin_len,
                           "gzip: truncated stream (%zu compressed bytes, %llu inflated bytes "
                           "kept)",
                           s->zin_len, (unsigned long long)s->inflated);
        else
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, at,
                           "gzip: corrupt data (%s); %llu inflated bytes kept", isal_error(rc),
                           (unsigned long long)s->inflated);
        gz_fail(s);
    }
}

/* Reads past a part's end (th_io_src_open_at) this much at a time: the line
 * that crosses it (CloudTrail records are a few KB). At 64 KiB a MiB's part
 * read 6% of its bytes again, its neighbour's. */
#define PAST_STOP (16u << 10)

/* The most bytes a read at file offset `at` may take: up to PAST_STOP past
 * `stop`. A file's last part stops at UINT64_MAX: the sum saturates (it had
 * wrapped, to no bytes at all when `at` was PAST_STOP - 1, and the read never
 * ended). */
static uint64_t read_most(uint64_t at, uint64_t stop)
{
    uint64_t before = at < stop ? stop - at : 0;
    return before > UINT64_MAX - PAST_STOP ? UINT64_MAX : before + PAST_STOP;
}

/* Reads up to `room` bytes at s->win + s->len (when a stop is set: up to
 * PAST_STOP bytes past it, in the same read as the bytes before it, which
 * took a read of its own, often of one byte). */
static void fd_fill(th_io_src *s, size_t room)
{
    if (s->stop) {
        uint64_t most = read_most(s->base + s->len, s->stop);
        if (room > most)
            room = (size_t)most;
    }
    size_t start = s->len;
    while (s->len - start < room) {
        ssize_t r = read(s->fd, s->win + s->len, room - (s->len - start));
        if (r < 0 && errno == EINTR && !stopped(s))
            continue;
        if (r < 0 && errno == EINTR)
            r = 0; /* interrupted: the rest is not read */
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

void th_io_src_swap(th_io_src *s, size_t from, char *fresh, size_t cap)
{
    if (from > s->len)
        from = s->len;
    if (s->len > from)
        memcpy(fresh, s->data + from, s->len - from);
    s->len -= from;
    s->base += from;
    s->win = fresh;
    s->win_cap = cap;
    s->data = fresh;
}

/* Switches to inflating s->zin[0..zin_len). */
static bool start_gzip(th_io_src *s)
{
    s->gzip = true;
    s->kind = TH_SRC_GZIP;
    s->len = 0;
    s->data = s->win;
    if (!s->isal) {
        void *p = NULL;
        if (posix_memalign(&p, 64, sizeof(struct inflate_state)) != 0) {
            th_diag_offset(s->diags, TH_SEV_ERROR, s->path, 0,
                           "gzip: out of memory for the inflate state");
            gz_fail(s);
            return true;
        }
        s->isal = p;
    }
    /* gz_fill starts the first member (inflate_whole, else member_start) */
    s->isal->next_in = (uint8_t *)s->zin;
    s->fresh = true;
    th_io_src_more(s, 0);
    return true;
}

/* The source's start for th_io_src_open and th_io_src_open_at: the last
 * file let go, `path` opened (stdin when is_stdin), or for a part (at_part)
 * of the file whose part was read last, that part's descriptor taken again;
 * false, reported, when it cannot be. */
static bool open_fd(th_io_src *s, const char *path, bool is_stdin, bool at_part, uint64_t cap,
                    th_diags *d)
{
    th_io_src_release(s);
    s->path = th_xstrdup(path);
    s->diags = d;
    s->cap = cap;
    s->at_part = at_part;
    if (at_part && s->part_fd >= 0 && strcmp(s->part_path, path) == 0) {
        s->fd = s->part_fd; /* the same file's next part: seeked to by the caller */
        s->part_fd = -1;
        free(s->part_path);
        s->part_path = NULL;
    } else {
        part_fd_close(s); /* another file now */
        s->fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    }
    s->close_fd = !is_stdin;
    if (s->fd < 0) {
        th_diag_offset(d, TH_SEV_ERROR, path, -1, "cannot open: %s", strerror(errno));
        return false;
    }
    return true;
}

bool th_io_src_open_at(th_io_src *s, const char *path, uint64_t from, uint64_t stop,
                       th_diags *d)
{
    if (!open_fd(s, path, false, true, UINT64_MAX, d))
        return false;
    if (from > (uint64_t)INT64_MAX || lseek(s->fd, (off_t)from, SEEK_SET) < 0) {
        th_diag_offset(d, TH_SEV_ERROR, path, (long long)from, "cannot seek: %s",
                       strerror(errno));
        return false;
    }
    s->kind = TH_SRC_FD;
    s->base = from;
    s->stop = stop;
    /* a part of up to a chunk, with the start of the line that crosses its
     * end, in one read */
    uint64_t want = read_most(from, stop);
    size_t first = want < CHUNK + PAST_STOP ? (size_t)want : CHUNK + PAST_STOP;
    if (!window_room(s, first))
        return false;
    s->data = s->win;
    fd_fill(s, first);
    return true;
}

bool th_io_src_open(th_io_src *s, const char *path, bool is_stdin, uint64_t max_inflated,
                    th_diags *d)
{
    if (!open_fd(s, path, is_stdin, false, max_inflated, d))
        return false;
    /* A large gzip'd regular file is mapped: the compressed bytes are inflated
     * in place. Everything else is read through the window, which stays hot
     * in the cache: measured faster than mapping plain files (first-touch page
     * faults) and it keeps memory at the size of the largest record. */
    struct stat st;
    unsigned char magic[2];
    bool reg = !is_stdin && fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode);
    if (reg && (uint64_t)st.st_size > GZ_MAP_MIN && (uint64_t)st.st_size <= SIZE_MAX &&
        pread(s->fd, magic, 2, 0) == 2 && magic[0] == 0x1f && magic[1] == 0x8b &&
        map_file(s, (size_t)st.st_size)) {
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
    /* a small regular file is read whole by one read(), without a second one
     * just to see its end (syscalls are most of the per-file cost) */
    bool small = reg && st.st_size >= 0 && (uint64_t)st.st_size < CHUNK;
    fd_fill(s, small ? (size_t)st.st_size : CHUNK);
    if (small && s->len == (size_t)st.st_size)
        s->eof = true;
    const unsigned char *w = (const unsigned char *)s->win;
    if (s->len >= 2 && w[0] == 0x1f && w[1] == 0x8b) {
        /* Keep the compressed bytes whole (they are small next to the
         * content): the chunk just read becomes them, no copy, by swapping
         * the window and compressed buffers. Usually that is the whole file. */
        bool at_end = s->eof;
        char *buf = s->raw;
        size_t cap = s->raw_cap;
        s->raw = s->win;
        s->raw_cap = s->win_cap;
        s->raw_len = s->len;
        s->win = buf;
        s->win_cap = cap;
        s->len = 0;
        s->data = s->win;
        s->inflated = 0;
        s->eof = false;
        if (!at_end && !read_rest(s))
            s->incomplete = true;
        s->zin = (const unsigned char *)s->raw;
        s->zin_len = s->raw_len;
        return start_gzip(s);
    }
    return true;
}
