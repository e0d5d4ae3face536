/* Internal to io/: the content of one file, gunzipped if it starts with the
 * gzip magic bytes (1f 8b), whatever its name.
 *
 * Buffering: content is streamed through a window: `data` holds the bytes
 * from file offset `base` on, and th_io_src_more drops what the reader has
 * consumed and appends the next chunk (about 1 MiB, read() for plain data,
 * ISA-L's isal_inflate() for gzip; a file's first member that fits the room,
 * as an S3 object does, is inflated in one isal_inflate_stateless() call
 * instead, falling back to the stream on any failure). The window only grows
 * when one record (one NDJSON line, a minified S3 object, or a whole
 * pretty-printed document) needs it, so memory follows the largest record,
 * not the file. The compressed bytes
 * of a gzip'd file are read into memory with the file's first read() (small
 * files and pipes; they are small next to what they inflate to) or, for a
 * regular file over GZ_MAP_MIN, mapped and inflated in place.
 *
 * Ownership: `data` is valid until the next th_io_src_more, th_io_src_open,
 * th_io_src_release or th_io_src_free. Thread safety: one source per thread. */
#ifndef TH_IO_SOURCE_H
#define TH_IO_SOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inflate_state; /* ISA-L (isa-l/igzip_lib.h) */

#include "base/diag.h"

typedef enum th_io_src_kind { TH_SRC_FD, TH_SRC_GZIP } th_io_src_kind;

typedef struct th_io_src {
    const char *data; /* content from file offset `base` on */
    size_t len;
    uint64_t base;
    bool eof;           /* nothing more will come: data ends where the content ends */
    uint64_t raw_bytes; /* bytes read from the file so far */
    uint64_t inflated;  /* content bytes produced so far (inflated for gzip) */
    bool gzip;
    bool incomplete; /* gzip stream truncated, corrupt or over the cap (reported) */
    bool whole;      /* the first gzip member was inflated in one call (source.c's
                        inflate_whole), not streamed */
    const volatile sig_atomic_t *interrupted; /* set by the owner: when nonzero, a read
                                                 interrupted by a signal ends the file */
    bool stream_only; /* set by tests: every gzip member through the streaming
                         path (the reference inflate_whole is checked against) */
    /* private */
    th_io_src_kind kind;
    char *path;
    th_diags *diags;
    uint64_t cap; /* max inflated bytes per file */
    uint64_t stop; /* th_io_src_open_at: reads end at this file offset, then go on
                      in small reads (the line that crosses it); 0: none */
    int fd;       /* TH_SRC_FD: the descriptor being read (-1 when closed) */
    bool close_fd;
    bool at_part; /* opened by th_io_src_open_at */
    /* the file of the last part read (th_io_src_open_at), kept open from one
     * part to the next part of the same file (-1: none): a worker reads a
     * big file's parts one after another, and opening, seeking and closing
     * the file for each MiB was 4,300 calls a run of the bench file */
    int part_fd;
    char *part_path;
    void *map; /* mapped gzip file: the compressed bytes */
    size_t map_len;
    char *raw; /* compressed bytes read from a pipe */
    size_t raw_len, raw_cap;
    char *win; /* the window (TH_SRC_FD, TH_SRC_GZIP) */
    size_t win_cap;
    struct inflate_state *isal; /* allocated at the first gzip file, reused */
    bool fresh;                 /* the first member is not started yet (gz_fill starts it) */
    const unsigned char *zin;   /* compressed bytes */
    size_t zin_len;
    /* The streaming member being inflated, for redo_fault in source.c: where
     * it starts in zin, and the avail_out of each isal_inflate() call on it
     * so far (calls_lost: one could not be recorded). */
    size_t member_in;
    uint32_t *calls;
    size_t ncalls, calls_cap;
    bool calls_lost;
} th_io_src;

void th_io_src_init(th_io_src *s);
/* Opens `path` (stdin when is_stdin) and makes its first bytes available.
 * Returns false when it cannot be read at all (reported to diags). Problems
 * inside a gzip stream are reported as they are met, set `incomplete`, and end
 * the content there: what was inflated before them is kept. */
bool th_io_src_open(th_io_src *s, const char *path, bool is_stdin, uint64_t max_inflated,
                    th_diags *diags);
/* Opens the plain regular file `path` at byte `from` (base = from): a part
 * of a large NDJSON file (th_input_defer_parts), read without a look at gzip
 * magic bytes (the whole file's first bytes were looked at). Reads stop at
 * file offset `stop` and go on past it 64 KiB at a time, so that the line
 * that crosses it costs no whole chunk more. False as th_io_src_open. */
bool th_io_src_open_at(th_io_src *s, const char *path, uint64_t from, uint64_t stop,
                       th_diags *diags);
/* Drops data[0..consumed) (base advances) and appends more content. Returns
 * false, changing nothing but the drop, when there is no more (eof). */
bool th_io_src_more(th_io_src *s, size_t consumed);
/* Moves data[from..len) to `fresh` (cap bytes from malloc, at least len -
 * from), which becomes the window (base advances by from); the old window's
 * buffer is no longer the source's, its bytes unchanged. */
void th_io_src_swap(th_io_src *s, size_t from, char *fresh, size_t cap);
/* Ends the current file (unmaps, closes), keeping buffers for reuse. */
void th_io_src_release(th_io_src *s);
void th_io_src_free(th_io_src *s);

#endif
