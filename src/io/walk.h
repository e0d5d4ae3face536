/* Internal to io/: turns the paths a user gave into a sequence of files to
 * read, through the one walker (base/walk.h: sorted, loop-safe, counted; data
 * reads hidden entries too and takes `-` for stdin). S3-layout files outside
 * the key-date range and CloudTrail digest files are reported as skipped
 * without being opened.
 *
 * Ownership: an item's path is valid until the next th_io_walk_next call.
 * Thread safety: one walker per thread. */
#ifndef TH_IO_WALK_H
#define TH_IO_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/diag.h"

typedef enum th_io_walk_kind {
    TH_IO_WALK_END,     /* no more paths */
    TH_IO_WALK_FILE,       /* a file (or stdin, or a pipe given by name) to read */
    TH_IO_WALK_KEY_DATE,   /* skipped: S3 key date outside the range (not opened) */
    TH_IO_WALK_DIGEST,     /* skipped: CloudTrail digest file by its path (not opened) */
    TH_IO_WALK_UNREADABLE, /* skipped: missing, unreadable or special file (already reported) */
} th_io_walk_kind;

typedef struct th_io_walk_item {
    const char *path; /* "-" for stdin */
    bool is_stdin;
    bool regular;  /* a regular file */
    uint64_t size; /* its size when found (regular files), else 0 */
} th_io_walk_item;

typedef struct th_io_walk th_io_walk;

th_io_walk *th_io_walk_open(const char *const *paths, size_t npaths, int64_t key_from_ms,
                            int64_t key_to_ms, th_diags *diags);
th_io_walk_kind th_io_walk_next(th_io_walk *w, th_io_walk_item *out);
/* Never reads the file with this device and inode (this run's output). */
void th_io_walk_exclude(th_io_walk *w, dev_t dev, ino_t ino, const char *why);
void th_io_walk_close(th_io_walk *w);

/* The S3 key date of a CloudTrail log path (.../CloudTrail/<region>/YYYY/MM/DD/<file>,
 * as under AWSLogs/<account>/ or AWSLogs/<org>/<account>/): the start of that UTC day
 * in epoch ms. False when the path has no such date. */
bool th_io_s3_key_day(const char *path, int64_t *day_start_ms);
/* True when a file under that key day may hold events in [from_ms, to_ms]
 * (TH_TIME_NONE = unbounded), allowing TH_S3_KEY_DATE_SLACK_MS for late delivery. */
bool th_io_key_day_in_range(int64_t day_start_ms, int64_t from_ms, int64_t to_ms);
/* True for paths AWS uses for digest files (a `CloudTrail-Digest` component). */
bool th_io_is_digest_path(const char *path);

#endif
