/* Internal to io/: the state of a th_input, shared by input.c (paths, files,
 * statistics) and split.c (the window, record splitting, reporting).
 * Positions are indices into the current window (s, n); src.base + index is
 * the file offset. Thread safety: one th_input per thread. */
#ifndef TH_IO_INPUT_INT_H
#define TH_IO_INPUT_INT_H

#include "io/input.h"
#include "io/scan.h"
#include "io/source.h"
#include "io/walk.h"

/* How a file is split (see split.c). */
typedef enum { MODE_NDJSON, MODE_DOC } file_mode;

/* Per-file tallies, for the summaries printed when the file is done. */
typedef struct file_counts {
    uint64_t malformed, shown, not_events, digests;
    long long first_not_event; /* byte offset of the first non-event value */
    uint64_t first_not_event_line;
    th_io_class sole; /* the file's only value was this non-event class */
    bool sole_set;
} file_counts;

/* The container (array of records) being iterated. */
typedef struct container {
    bool active;
    th_io_arr arr;
    size_t start;   /* its '[' */
    size_t limit;   /* end of the line (NDJSON) or of the file (document) */
    bool in_object; /* a member of an object: the object is finished after it */
    /* lazy mode, an NDJSON line that the scanner and the string check
     * accepted whole (so th_json_parse accepts every element): the elements
     * are taken from the scanner's tape (in->cscan), not parsed */
    bool checked;
    th_jiter it;
} container;

struct th_input {
    th_input_opts opts;
    th_io_walk *walk;
    th_io_src src;
    th_arena arena;
    th_jscan *scan; /* lazy mode only: the scanner of the current NDJSON line */
    th_jscan *cscan; /* lazy mode: the scanner of the current checked container */
    const char *cscan_p; /* cscan holds [cscan_p, +cscan_n) of the window (th_io_pick_mode) */
    size_t cscan_n;
    bool cscan_strings_ok; /* and take_line_lazy found its strings valid (loaded_strings_ok) */
    const char *first_ls; /* th_io_pick_mode found the end of the line that starts here */
    const char *first_nl; /* (its '\n', or NULL: none up to in->n at the end of file),
                             for ndjson_next; first_ls NULL once used or the window moved */
    const char *line_p;   /* scan holds [line_p, +line_n) of the window, loaded by ndjson_next's
                             find_line; NULL once used or the window moved */
    size_t line_n;
    th_input_stats st;
    bool ended;
    uint64_t digest_paths; /* digest files skipped by path (noted once at the end) */
    /* the current file */
    bool open;
    char *path;
    const char *s;
    size_t n;
    file_mode mode;
    size_t pos;     /* next unread byte */
    uint64_t line;  /* NDJSON: number of the line starting at pos */
    uint64_t first; /* file offset of the first value */
    container cont;
    file_counts fc;
    bool defer;        /* deferred mode (th_input_defer) */
    uint64_t deferred; /* lines of the current file yielded deferred */
    bool held;         /* th_input_next stopped at the end of such a file */
    uint64_t file_jobs; /* th_input_defer_files: largest file yielded as a job; 0: none */
    uint64_t jobs;      /* files yielded as jobs (the input's end is then held once) */
    bool files_only;   /* th_input_open_files: no walk, only `one` */
    char *one;         /* the file th_input_file named, not opened yet */
    /* th_input_defer_parts: the part size, and the file being yielded in
     * parts (its path, size, next part and count) */
    uint64_t part_bytes;
    char *parts_path;
    uint64_t parts_size, parts_next, parts_n, parts_first;
    /* the parts absorbed so far of a file read in parts: its tallies, lines
     * and first value's offset (th_input_absorb_part) */
    file_counts pf;
    uint64_t pf_lines, pf_first;
    bool pf_started;
    /* th_input_file_part: reading one part. part_to ends it (UINT64_MAX when
     * not reading a part); part_start: the file offset of its first line
     * (counted from there); part_done: a line starts at or past part_to */
    bool part_req, in_part, part_done;
    uint64_t part_from, part_to, part_first, part_start;
    th_input_part part_out;
    char reason[96]; /* a composed message (limit_reason in split.c) */
    th_input_give_fn give; /* th_input_give_windows */
    void *give_ctx;
};

/* in->s / in->n follow the source's window. */
void th_io_sync_window(th_input *in);
/* Before the window's bytes move or are overwritten: offers the window to
 * the caller (th_input_give_windows); when it takes it, the window's bytes
 * from `from` on are moved to the buffer it gave, and 0 is returned (nothing
 * before them is left to drop), else `from`. */
size_t th_io_give_window(th_input *in, size_t from);
/* Drops the window before `keep` and appends more; false at the end of file. */
bool th_io_pull(th_input *in, size_t keep);
/* Chooses the mode of the file whose first value starts at `first`. */
file_mode th_io_pick_mode(th_input *in, size_t first);
/* The next record of the current file; false when the file has none left
 * (in->pos >= in->n with the source at eof and no container open) or when a
 * container was just opened (call again). */
bool th_io_file_next(th_input *in, th_record *out);

#endif
