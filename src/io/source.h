/* Internal to io/: the whole content of one file in memory, gunzipped if it
 * starts with the gzip magic bytes (1f 8b), whatever its name.
 *
 * Buffering: a regular plain file is mapped read-only (zero copy: records
 * point into the page cache); stdin, pipes and files that cannot be mapped are
 * read into a heap buffer; gzip data is inflated into a heap buffer capped at
 * max_inflated. Buffers are reused from file to file, so memory follows the
 * largest file (plus its inflated size), not the whole input.
 *
 * Ownership: `data` is valid until the next th_io_src_load or th_io_src_free.
 * Thread safety: one source per thread. */
#ifndef TH_IO_SOURCE_H
#define TH_IO_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/diag.h"

typedef struct th_io_src {
    const char *data;   /* content (inflated for gzip) */
    size_t len;
    uint64_t raw_bytes; /* bytes read from the file */
    bool gzip;
    bool incomplete;    /* gzip stream truncated, corrupt or over the cap (reported) */
    /* owned storage */
    void *map;
    size_t map_len;
    char *raw;          /* heap copy of the file when not mapped */
    size_t raw_cap;
    char *inf;          /* inflated content */
    size_t inf_cap;
} th_io_src;

void th_io_src_init(th_io_src *s);
/* Loads `path` (stdin when is_stdin). Returns false when the file cannot be
 * read at all (reported to diags); true otherwise, with problems inside a gzip
 * stream reported and `incomplete` set, keeping whatever was inflated. */
bool th_io_src_load(th_io_src *s, const char *path, bool is_stdin, uint64_t max_inflated,
                    th_diags *diags);
/* Drops the current content (unmaps), keeping heap buffers for reuse. */
void th_io_src_release(th_io_src *s);
void th_io_src_free(th_io_src *s);

#endif
