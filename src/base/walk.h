/* The one directory walker: turns the paths a user gave into the files to
 * read. Used by every verb that takes directories (rule loading, `test`,
 * `lint`, and io/'s --data walk, which adds the S3 key-date and digest skips).
 *
 * What it guarantees:
 *  - paths in the order given; a directory is walked recursively and lazily
 *    (only the sorted entry lists of the directories on the current path are
 *    held, each read and closed at once), entries in bytewise name order;
 *  - symbolic links are followed, loop-safe by device and inode: a link back
 *    to a directory on the current path is reported and not followed, and a
 *    directory already walked (reached again through another link, or named
 *    twice) is reported and not walked again, so no file is read twice through
 *    a directory and the walk is linear in the size of the tree;
 *  - inside directories, only regular files are yielded (with `hidden`
 *    false, names starting with '.' are passed over; with `suffix` set, only
 *    names ending with it); a dangling link or a pipe, socket or device there
 *    is an error, counted; a path named by the user is yielded whatever it is
 *    (so `<(zcat ...)` works) unless it is missing;
 *  - files that must never be read (the output file of this run) are excluded
 *    by device and inode (th_walk_exclude), each said once;
 *  - nesting deeper than TH_MAX_DIR_DEPTH is an error, counted.
 * Every problem goes to `diags` with the path. Counts: th_walk_stats.
 *
 * Ownership: the walker owns copies of the paths; an item's path is valid
 * until the next th_walk_next call. Thread safety: one walker per thread. */
#ifndef TH_BASE_WALK_H
#define TH_BASE_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/diag.h"

typedef struct th_walk_opts {
    bool hidden;        /* also read entries whose names start with '.' (data: yes) */
    bool stdin_dash;    /* "-" means standard input */
    const char *suffix; /* inside directories, only files whose names end so; NULL = all */
    th_diags *diags;    /* required */
} th_walk_opts;

typedef enum th_walk_kind {
    TH_WALK_END,     /* no more paths */
    TH_WALK_FILE,    /* a file (or stdin, or a pipe named by the user) to read */
    TH_WALK_SKIPPED, /* missing, unreadable (a directory too), a dangling link, a
                        special file inside a directory, a directory nested too
                        deep: already reported, counted in `unreadable` */
} th_walk_kind;

typedef struct th_walk_item {
    const char *path; /* "-" for stdin */
    bool is_stdin;
    bool named; /* given by the user, not found in a directory */
    bool regular;  /* a regular file (not stdin, a pipe or a device) */
    uint64_t size; /* a regular file's size when it was found, else 0 */
} th_walk_item;

typedef struct th_walk_stats {
    uint64_t dirs;       /* directories walked */
    uint64_t files;      /* items yielded as TH_WALK_FILE */
    uint64_t unreadable; /* TH_WALK_SKIPPED items */
    uint64_t loops;      /* links back to a directory on the current path, not followed */
    uint64_t repeats;    /* directories reached a second time, not walked again */
    uint64_t excluded;   /* excluded files passed over (th_walk_exclude) */
    uint64_t too_deep;   /* of unreadable: directories nested deeper than TH_MAX_DIR_DEPTH */
} th_walk_stats;

/* A file the walk must pass over (see th_walk_exclude). */
typedef struct th_walk_excl {
    dev_t dev;
    ino_t ino;
    const char *why;
} th_walk_excl;

typedef struct th_walk th_walk;

th_walk *th_walk_open(const char *const *paths, size_t npaths, const th_walk_opts *opts);
/* Never yields the file with this device and inode; `why` (static or owned by
 * the caller for the walker's life) says what it is, e.g. "this run's output". */
void th_walk_exclude(th_walk *w, dev_t dev, ino_t ino, const char *why);
th_walk_kind th_walk_next(th_walk *w, th_walk_item *out);
const th_walk_stats *th_walk_stats_get(const th_walk *w);
void th_walk_close(th_walk *w);

#endif
