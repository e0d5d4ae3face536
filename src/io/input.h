/* Inputs: files, directories (recursive, sorted), `-` for stdin; gzip detected
 * by magic bytes; CloudTrail S3 objects ({"Records":[...]}), JSON arrays of
 * records, NDJSON (raw CloudTrail or ECS documents, mixed freely).
 *
 * Contract: th_input_next yields one record at a time, parsed (lazy mode: NDJSON
 * lines scanned, see below). A record (its JSON tree or scanner, every string)
 * is valid until the next call to th_input_next or th_input_close; callers copy
 * what they keep.
 * Bad input never stops the run: a malformed record, a truncated gzip stream,
 * an unreadable file are reported to `diags` with file and byte offset (line
 * for NDJSON), counted in the stats, and reading goes on.
 * Lifetime: everything a th_record points to (json, scan, text, file) is valid
 * until the next th_input_next or th_input_close call.
 * Memory: files are streamed through a window of about 1 MiB that grows only
 * to hold one record (an NDJSON line, a minified S3 object) or one
 * pretty-printed document, so memory follows the largest record, not the
 * input (gzip'd files also map their compressed bytes).
 * What is read: docs/manual/input.md. In short: gzip by magic bytes;
 * a top-level {"Records":[...]} or [...] yields its elements, otherwise one JSON
 * value per line; records are CloudTrail (eventVersion/eventTime/eventSource/
 * eventName at top level) or ECS (@timestamp plus event.*); everything else is
 * skipped, counted in the stats and reported.
 * Lazy mode (th_input_opts.lazy; off by default, and then nothing here changes):
 * an NDJSON line that is one event object is indexed by a per-input on-demand
 * scanner (json/jscan.h) instead of being parsed into a DOM, and classified from
 * the scanner's root cursor by the same rules. Guarantees:
 *  - the same records (kind, file, offset, line, text), in the same order, the
 *    same th_input_stats and the same diagnostics (message, file, line:col or
 *    offset) as with lazy off, for any input: a line is yielded lazily only when
 *    th_json_parse would accept it. The scanner checks structure; string contents
 *    are checked by a pass that looks only at bytes >= 0x80 (valid UTF-8, as
 *    base/utf8.h), backslashes (escape and \uXXXX syntax) and bytes < 0x20 (a
 *    line holding one, e.g. a tab or CR inside it, takes the DOM path). A line
 *    the scanner or that pass rejects is parsed with th_json_parse, which then
 *    reports exactly what lazy off reports.
 *  - the elements of a `[...]` or `{"Records":[...]}` container on one line
 *    (an S3 object, minified) that the scanner and that pass accept whole are
 *    found on the container's tape and yielded lazily too: the scanner is the
 *    container's, its root (th_jscan_set_root) the element.
 *  - a lazy record has json == NULL and scan != NULL, whose root
 *    (th_jscan_root) is exactly rec.text. Every other
 *    record (elements of other containers, pretty-printed documents, lines the
 *    DOM path took as said above, any record with lazy off) has json set and
 *    scan == NULL. th_record_json gives the tree in both cases;
 *    for a lazy record it equals th_json_parse's tree of rec.text and never fails.
 *  - the scanner is owned by the th_input and, like the rest of the record, valid
 *    until the next th_input_next or th_input_close.
 * Thread safety: one th_input per thread. */
#ifndef TH_IO_INPUT_H
#define TH_IO_INPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "base/limits.h"
#include "base/walk.h"
#include "json/jscan.h"
#include "json/json.h"

typedef enum th_rec_kind {
    TH_REC_CLOUDTRAIL, /* a raw CloudTrail record (has eventTime/eventSource/eventName ...) */
    TH_REC_ECS,        /* an ECS document already mapped (has @timestamp and event.*) */
    TH_REC_DEFERRED,   /* (addition) deferred mode: an NDJSON line not yet looked at */
    TH_REC_FILE,       /* (addition) th_input_defer_files: a whole file not yet opened */
} th_rec_kind;

typedef struct th_record {
    th_jval *json;     /* the record; NULL for a lazy record (see scan) */
    th_str text;       /* its exact source bytes (for event.original), borrowed */
    th_rec_kind kind;
    const char *file;  /* path as given / found ("-" for stdin) */
    uint64_t offset;   /* byte offset of the record in the (inflated) file */
    uint64_t line;     /* 1-based line number for NDJSON, else 0 (elements of a
                          Records or top-level array, pretty-printed documents) */
    const th_jscan *scan; /* (addition, last so that positional initializers keep
                             working) lazy mode: the record loaded in the input's
                             scanner (text = rec.text), else NULL; see "Lazy mode" */
    uint64_t size;     /* (addition) TH_REC_FILE: the file's size on disk, else 0 */
    /* (addition) TH_REC_FILE of a part of a large NDJSON file
     * (th_input_defer_parts): the lines that start in [part_from, part_to)
     * of it (part_to UINT64_MAX in its last part, part_last set); size is
     * then the part's. part false: the whole file. */
    bool part, part_last;
    uint64_t part_from, part_to;
    uint64_t part_first; /* the file's first value's offset: its line is
                            the part at 0's, and a line starts after a '\n'
                            at or past it (not in whitespace before it) */
} th_record;

typedef struct th_input_opts {
    /* Only S3-layout files whose key date (.../YYYY/MM/DD/...) falls in
     * [key_from_ms, key_to_ms] are read; TH_TIME_NONE = unbounded. Files whose
     * path carries no such date are always read. */
    int64_t key_from_ms, key_to_ms;
    uint64_t max_inflated; /* per-object inflated-size cap; 0 = TH_DEFAULT_MAX_INFLATED */
    uint64_t max_record;   /* (addition) longest NDJSON line kept; a longer one is reported,
                              skipped and never held whole; 0 = TH_MAX_RECORD_BYTES */
    th_diags *diags;       /* where problems are reported (required) */
    bool lazy;             /* (addition) NDJSON event lines come as scanner records
                              (json NULL, scan set); see "Lazy mode" above */
    const th_walk_excl *exclude; /* (addition) files never read, e.g. this run's output
                                    (base/walk.h th_walk_exclude); borrowed */
    size_t nexclude;
    /* (addition) incremental runs (--state): asked before a file found by
     * the walk is opened (not stdin); true = it was read by an earlier run:
     * not opened, counted in files_read_before. ctx is seen_ctx. */
    bool (*seen)(void *ctx, const char *path);
    void *seen_ctx;
    const volatile sig_atomic_t *interrupted; /* (addition) when set and nonzero (a signal
                                                 came), a read that the signal interrupted
                                                 ends the file: reading stops promptly
                                                 even on a pipe that has no more data */
} th_input_opts;

typedef struct th_input_stats {
    uint64_t files;            /* files read */
    uint64_t files_skipped;    /* by key-date filter, digest files, non-event JSON, unreadable */
    uint64_t bytes;            /* bytes read from disk/stdin */
    uint64_t bytes_inflated;   /* bytes after gunzip (equals bytes for plain files) */
    uint64_t records;          /* records yielded */
    uint64_t records_skipped;  /* malformed or non-event records, reported */
    /* Breakdown (additions): each skipped file / record is in exactly one of these. */
    uint64_t files_key_date;     /* of files_skipped: S3 key date outside the range, not opened */
    uint64_t files_digest;       /* of files_skipped: CloudTrail digest files (by path or content) */
    uint64_t files_unreadable;   /* of files_skipped: missing, unreadable, special files */
    uint64_t files_not_events;   /* of files_skipped: not JSON text, or one JSON document
                                    that holds no events (e.g. a manifest) */
    uint64_t records_malformed;  /* of records_skipped: invalid JSON or broken structure */
    uint64_t records_not_events; /* of records_skipped: valid JSON that is neither a
                                    CloudTrail record nor an ECS document (digests too) */
    uint64_t gzip_errors;        /* truncated, corrupt or over-cap gzip streams (the data
                                    before the fault is still read) */
    uint64_t files_read_before;  /* (addition) not in files_skipped: read by an earlier
                                    run (th_input_opts.seen), not opened */
} th_input_stats;

typedef struct th_input th_input;

void th_input_opts_default(th_input_opts *o, th_diags *diags);
th_input *th_input_open(const char *const *paths, size_t npaths, const th_input_opts *opts);
bool th_input_next(th_input *in, th_record *out);
const th_input_stats *th_input_stats_get(const th_input *in);
void th_input_close(th_input *in);
/* Deferred mode (th_input_defer; lazy mode only), for a caller that hands
 * records to worker threads: the reading thread then only splits lines, and
 * the workers do the scanning and checking that lazy mode does. An NDJSON line
 * of a plain (not gzip'd) file that starts its line and is not the file's
 * first value comes as TH_REC_DEFERRED: text, file, offset and line set, json
 * and scan NULL, counted in stats.records. A worker calls th_input_judge on a
 * copy of its text: true when lazy mode would have yielded it as an event (its
 * kind; the worker's scanner is then loaded with it). When it is false, the
 * reading thread must call th_input_settle with the copy, before the file is
 * finished: io then does exactly what it would have done with the line
 * (records, diagnostics, counts), yielding its records to `each`. For that,
 * th_input_next returns false at the end of a file that had deferred lines
 * with th_input_held true: settle what is outstanding, then call it again.
 * In deferred mode the elements of a {"Records":[...]} (or [...]) NDJSON line
 * that the scanner and the string check accept whole are found on the
 * scanner's tape instead of parsed: each comes with its kind and text, json
 * and scan both NULL (the caller scans the text itself), exactly as lazy mode
 * would have yielded it otherwise.
 * Everything else (records, stats, diagnostics) is as without deferred mode,
 * except that the messages about a file's malformed lines may come in another
 * order among themselves (and so, past TH_MAX_INPUT_DIAGS_PER_FILE, others
 * may be shown). */
void th_input_defer(th_input *in, bool on);
bool th_input_held(const th_input *in);
/* (addition) Deferred lines without a copy, for a caller that keeps them in
 * io's buffers until its workers are done with them: give(ctx, window, cap)
 * is called (on the reading thread) before io's window (`window`, cap bytes
 * from malloc) moves or is overwritten: it slides, or the file ends and the
 * next one would be read into it. It returns NULL, and io goes on in that
 * buffer, or a buffer of cap bytes from malloc that io takes as its window
 * instead: `window` is then the caller's, its bytes unchanged, to free().
 * So the text of a TH_REC_DEFERRED record is valid until the next give call
 * (not only until the next th_input_next), and for as long as the caller
 * keeps the buffer it was in. give must not call into `in`; NULL turns it off. */
typedef char *(*th_input_give_fn)(void *ctx, char *window, size_t cap);
void th_input_give_windows(th_input *in, th_input_give_fn give, void *ctx);
/* Thread-safe (its own scanner and arena): whether the deferred line `text`
 * is an event lazy mode takes (*kind: TH_REC_CLOUDTRAIL or TH_REC_ECS). */
bool th_input_judge(const char *text, size_t n, th_jscan *scan, th_arena *a, th_rec_kind *kind);
/* (addition) What th_input_judge_why found in a line it refused: whether the
 * reading thread must settle it (th_input_settle scans and classifies it
 * again), or the line is valid JSON that is no event and holds none, which io
 * only counts (th_input_settle_judged, no second scan). A file of such lines
 * (an NDJSON of labels beside the logs) was otherwise scanned twice, the
 * second time on the reading thread. */
typedef enum th_judged {
    TH_JUDGED_SETTLE, /* malformed, not checked whole, or a {"Records":[...]} */
    TH_JUDGED_OTHER,  /* valid JSON, neither event nor container */
    TH_JUDGED_DIGEST, /* a CloudTrail digest record */
} th_judged;
/* th_input_judge, and when it refuses the line, *why (else TH_JUDGED_SETTLE). */
bool th_input_judge_why(const char *text, size_t n, th_jscan *scan, th_arena *a,
                        th_rec_kind *kind, th_judged *why);
typedef void (*th_input_each_fn)(void *ctx, const th_record *rec);
/* A deferred line th_input_judge refused: its records (valid during the
 * call), reported and counted as lazy mode would have. On the reading thread,
 * between th_input_next calls, while the line's file is open. */
void th_input_settle(th_input *in, th_str text, uint64_t offset, uint64_t line,
                     th_input_each_fn each, void *ctx);
/* th_input_settle for a line th_input_judge_why found `why` (TH_JUDGED_OTHER
 * or TH_JUDGED_DIGEST): the same counts and diagnostics, from the verdict
 * alone (the line yields no records). Same thread and timing rules. */
void th_input_settle_judged(th_input *in, uint64_t offset, uint64_t line, th_judged why);

/* Files as jobs (additions; deferred mode only), for a caller whose worker
 * threads read whole small files: a month of S3 delivery is hundreds of
 * thousands of gzip'd objects of 5-50 KB, and opening, inflating and
 * splitting them is most of the reading thread's work otherwise.
 * With th_input_defer_files(in, max) on, a regular file of at most `max`
 * bytes that the walk yields (past the key-date, digest-path, exclusion and
 * th_input_opts.seen filters) is not opened: th_input_next yields it as one
 * record of kind TH_REC_FILE, with `file` (valid until the next call) and
 * `size` set, everything else empty, and counts nothing. The caller reads it,
 * on any thread, with a th_input of its own (th_input_open_files, then
 * th_input_file per file, deferred mode on or off as it likes), which counts
 * the file in its own stats and reports to the diags given. Then, on the
 * reading thread, at the file's place in input order, th_input_absorb adds
 * those stats to `in` and moves those diagnostics to in's. Records, stats and
 * diagnostics are then those of reading the file in `in`. When it yielded
 * files, th_input_next holds the input's end once (false with th_input_held
 * true): absorb every file, then call it again for the closing notes. max 0
 * turns it off (the default). */
void th_input_defer_files(th_input *in, uint64_t max);
/* Parts of large files as jobs (additions; deferred mode only), for a caller
 * whose workers read one big NDJSON file: the reading thread otherwise
 * copies and splits every byte of it, and its workers scan lines another
 * core read (two threads gave 1.17 times one thread on the 1.5 GB bench
 * file, for 1.5 times the CPU).
 * With th_input_defer_parts(in, bytes) on (bytes > 0), a regular file that
 * is not yielded whole as a job (th_input_defer_files), of at least twice
 * `bytes`, and that th_input_next opens and finds to be plain NDJSON whose
 * first line the scanner takes, is not read: th_input_next yields it as
 * ceil(size / bytes) records of kind TH_REC_FILE with `part` set, part k
 * holding the lines that start in [k * bytes, (k + 1) * bytes) (the last:
 * to the file's end), and counts nothing. The caller reads each with a
 * th_input of its own (th_input_file_part), then, on the reading thread and
 * in order (the parts of a file one after another), hands its stats,
 * messages and th_input_part to th_input_absorb_part. Records, stats and
 * messages are then those of reading the file in `in`, except that the
 * records' and messages' line numbers are counted from the part's first
 * line: add what th_input_absorb_part returns to a record's line (not 0). */
void th_input_defer_parts(th_input *in, uint64_t bytes);
/* What th_input_absorb_part needs of a part besides its stats and messages. */
typedef struct th_input_part {
    uint64_t lines;  /* lines that start in the part (blank ones too) */
    uint64_t first;  /* the file's first value's offset (the part at 0), else 0 */
    uint64_t malformed, shown, not_events, digests;
    long long first_not_event;
    uint64_t first_not_event_line; /* counted from the part's first line */
    int sole;                      /* the part at 0: the file's sole value's class */
    bool sole_set;
    /* where in the part's messages are the malformed records it showed:
     * the file shows the first TH_MAX_INPUT_DIAGS_PER_FILE of them */
    size_t shown_at[TH_MAX_INPUT_DIAGS_PER_FILE];
} th_input_part;
/* Starts the part [from, to) of `path` (a record th_input_next yielded with
 * `part` set; first: its part_first): th_input_next then yields the records of the lines that
 * start in it, and false at its end; th_input_part_get then gives its part. */
void th_input_file_part(th_input *in, const char *path, uint64_t from, uint64_t to,
                        uint64_t first, th_diags *diags);
void th_input_part_get(const th_input *in, th_input_part *out);
/* Adds part pt of the file `path` (its stats st and messages diags, moved to
 * in's with their line numbers made the file's) to in; `last`: the file's
 * last part, after which the file's closing notes come. Returns the number of
 * the file's lines before the part: add it to the line of each of its records. */
uint64_t th_input_absorb_part(th_input *in, const char *path, const th_input_stats *st,
                              th_diags *diags, const th_input_part *pt, bool last);

/* A th_input with like's options that reads only the files th_input_file
 * names, one at a time (the walk's filters, seen and exclude are not applied
 * again). Its diags are those th_input_file gives. */
th_input *th_input_open_files(const th_input *like);
/* Starts `path` (not "-"): th_input_next then yields its records, and false
 * at its end. Its stats start at zero (th_input_stats_get gives the file's
 * alone) and its diagnostics go to `diags`. */
void th_input_file(th_input *in, const char *path, th_diags *diags);
/* Adds a file's stats (st, th_input_file's) to in's, and moves every message
 * of `diags` to in's diags, in order. */
void th_input_absorb(th_input *in, const th_input_stats *st, th_diags *diags);

/* The record's tree: rec->json when set (a unused; valid as the record is), else
 * built in `a` from rec->scan, equal to th_json_parse's tree of rec->text, with
 * strings pointing into rec->text or `a` (valid while both are). NULL and *err
 * (may be NULL) only for invalid text, which io never yields. */
th_jval *th_record_json(const th_record *rec, th_arena *a, th_json_error *err);

#endif
