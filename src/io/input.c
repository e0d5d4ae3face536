/* th_input: walks the paths, opens one file at a time, hands it to the
 * splitter (split.c) and counts every file it reads or skips. */
#include "io/input.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/timeutil.h"
#include "io/input_int.h"

void th_input_opts_default(th_input_opts *o, th_diags *diags)
{
    memset(o, 0, sizeof(*o));
    o->key_from_ms = TH_TIME_NONE;
    o->key_to_ms = TH_TIME_NONE;
    o->max_inflated = TH_DEFAULT_MAX_INFLATED;
    o->max_record = TH_MAX_RECORD_BYTES;
    o->diags = diags;
}

static void end_source(th_input *in);
static void drop_source(th_input *in);
static void close_notes(th_input *in, const char *path, const file_counts *fc, uint64_t first);

static th_input *input_new(const th_input_opts *opts)
{
    th_input *in = th_xcalloc(1, sizeof(*in));
    in->opts = *opts;
    if (!in->opts.max_inflated)
        in->opts.max_inflated = TH_DEFAULT_MAX_INFLATED;
    if (!in->opts.max_record)
        in->opts.max_record = TH_MAX_RECORD_BYTES;
    th_io_src_init(&in->src);
    in->src.interrupted = opts->interrupted;
    th_arena_init(&in->arena, 256 * 1024);
    in->part_to = UINT64_MAX;
    if (in->opts.lazy) {
        in->scan = th_jscan_new();
        in->cscan = th_jscan_new();
    }
    return in;
}

th_input *th_input_open(const char *const *paths, size_t npaths, const th_input_opts *opts)
{
    th_input *in = input_new(opts);
    in->walk = th_io_walk_open(paths, npaths, opts->key_from_ms, opts->key_to_ms, opts->diags);
    for (size_t i = 0; i < opts->nexclude; i++)
        th_io_walk_exclude(in->walk, opts->exclude[i].dev, opts->exclude[i].ino,
                           opts->exclude[i].why);
    return in;
}

th_input *th_input_open_files(const th_input *like)
{
    th_input *in = input_new(&like->opts);
    in->files_only = true;
    in->opts.seen = NULL;
    in->opts.exclude = NULL;
    in->opts.nexclude = 0;
    return in;
}

void th_input_file(th_input *in, const char *path, th_diags *diags)
{
    if (in->open) { /* the last file was not read to its end */
        if (in->in_part)
            drop_source(in);
        else
            end_source(in);
    }
    in->in_part = in->part_req = in->part_done = false;
    in->part_to = UINT64_MAX;
    free(in->one);
    in->one = th_xstrdup(path);
    in->opts.diags = diags;
    memset(&in->st, 0, sizeof in->st);
    in->held = false;
    in->deferred = 0;
}

void th_input_file_part(th_input *in, const char *path, uint64_t from, uint64_t to,
                        uint64_t first, th_diags *diags)
{
    th_input_file(in, path, diags);
    in->part_req = true;
    in->part_from = from;
    in->part_first = first;
    in->part_to = to > from ? to : from + 1;
}

void th_input_part_get(const th_input *in, th_input_part *out) { *out = in->part_out; }

void th_input_defer_parts(th_input *in, uint64_t bytes)
{
    if (in)
        in->part_bytes = bytes;
}

uint64_t th_input_absorb_part(th_input *in, const char *path, const th_input_stats *st,
                              th_diags *diags, const th_input_part *pt, bool last)
{
    file_counts *f = &in->pf;
    uint64_t base = in->pf_lines;
    /* the file's first TH_MAX_INPUT_DIAGS_PER_FILE malformed records are
     * shown: each part showed its own first ones (shown_at) */
    size_t w = 0, k = 0;
    for (size_t i = 0; diags && i < diags->len; i++) {
        th_diag g = diags->items[i];
        bool mal = k < pt->shown && pt->shown_at[k] == i;
        k += mal;
        if (mal && f->shown >= TH_MAX_INPUT_DIAGS_PER_FILE) {
            if (g.severity == TH_SEV_ERROR)
                diags->errors--;
            else if (g.severity == TH_SEV_WARNING)
                diags->warnings--;
            free(g.file);
            free(g.message);
            continue;
        }
        f->shown += mal;
        if (g.line)
            g.line = base + g.line > UINT_MAX ? UINT_MAX : (unsigned)(base + g.line);
        diags->items[w++] = g;
    }
    if (diags)
        diags->len = w;
    th_input_absorb(in, st, diags);
    f->malformed += pt->malformed;
    if (!f->not_events && pt->not_events) {
        f->first_not_event = pt->first_not_event;
        f->first_not_event_line = pt->first_not_event_line ? base + pt->first_not_event_line : 0;
    }
    f->not_events += pt->not_events;
    f->digests += pt->digests;
    if (pt->sole_set) {
        f->sole = (th_io_class)pt->sole;
        f->sole_set = true;
    }
    if (!in->pf_started) { /* the part at 0 */
        in->pf_first = pt->first;
        in->pf_started = true;
    }
    in->pf_lines += pt->lines;
    if (last) {
        close_notes(in, path, f, in->pf_first);
        memset(f, 0, sizeof *f);
        in->pf_lines = in->pf_first = 0;
        in->pf_started = false;
    }
    return base;
}

void th_input_absorb(th_input *in, const th_input_stats *st, th_diags *diags)
{
    if (diags && in->opts.diags)
        th_diags_move(in->opts.diags, diags, 0);
    /* Every counter, by name: a counter added to th_input_stats must be added
     * here too, which this size check makes the compiler say. */
    _Static_assert(sizeof(th_input_stats) == 14 * sizeof(uint64_t),
                   "th_input_absorb adds every counter of th_input_stats");
    th_input_stats *t = &in->st;
    t->files += st->files;
    t->files_skipped += st->files_skipped;
    t->bytes += st->bytes;
    t->bytes_inflated += st->bytes_inflated;
    t->records += st->records;
    t->records_skipped += st->records_skipped;
    t->files_key_date += st->files_key_date;
    t->files_digest += st->files_digest;
    t->files_unreadable += st->files_unreadable;
    t->files_not_events += st->files_not_events;
    t->records_malformed += st->records_malformed;
    t->records_not_events += st->records_not_events;
    t->gzip_errors += st->gzip_errors;
    t->files_read_before += st->files_read_before;
}

void th_input_defer_files(th_input *in, uint64_t max)
{
    if (in)
        in->file_jobs = max;
}

const th_input_stats *th_input_stats_get(const th_input *in)
{
    return &in->st;
}

/* ---- files ----------------------------------------------------------- */
static void skip_file(th_input *in, uint64_t *reason_counter)
{
    in->st.files_skipped++;
    (*reason_counter)++;
}

/* Lets the source go, counting nothing (a file yielded in parts, or a part). */
static void drop_source(th_input *in)
{
    th_io_give_window(in, in->src.len);
    th_io_src_release(&in->src);
    free(in->path);
    in->path = NULL;
    in->open = false;
}

/* Adds the file's byte counts to the stats and lets the source go. */
static void end_source(th_input *in)
{
    th_io_give_window(in, in->src.len); /* the next file is read into it */
    in->st.bytes += in->src.raw_bytes;
    in->st.bytes_inflated += in->src.inflated;
    if (in->src.incomplete)
        in->st.gzip_errors++;
    th_io_src_release(&in->src);
    free(in->path);
    in->path = NULL;
    in->open = false;
}

/* The state of a file just opened in in->src (or of a part of one), read
 * from the window's start as NDJSON until start_file says otherwise. */
static void begin_file(th_input *in, const char *path)
{
    in->path = th_xstrdup(path);
    in->pos = 0;
    in->line = 1;
    memset(&in->fc, 0, sizeof(in->fc));
    memset(&in->cont, 0, sizeof(in->cont));
    in->deferred = 0;
    in->held = false;
    in->cscan_p = NULL;
    in->first_ls = NULL;
    in->line_p = NULL;
    in->open = true;
    in->mode = MODE_NDJSON;
    th_io_sync_window(in);
}

/* Sets up the file just opened in in->src: BOM, first value, binary or
 * non-JSON content, reading mode. */
static void start_file(th_input *in, const char *path)
{
    begin_file(in, path);
    size_t first;
    /* enough of the start to look at: 4 KiB past the leading whitespace */
    for (;;) {
        first = th_io_skip_ws(in->s, in->n, 0);
        if (in->n >= 3 && memcmp(in->s, "\xEF\xBB\xBF", 3) == 0)
            first = th_io_skip_ws(in->s, in->n, 3); /* UTF-8 byte order mark */
        if ((first < in->n && in->n - first >= 4096) || !th_io_pull(in, 0))
            break;
    }
    in->pos = first;
    in->first = first;
    if (first == in->n)
        return; /* empty: read, nothing in it */
    unsigned char c = (unsigned char)in->s[first];
    /* Only the first byte decides: a file that starts like JSON is read, and a
     * NUL byte or other binary data inside it costs only the records it falls
     * in (each reported as malformed), never the good ones around it. */
    if (c != '{' && c != '[') {
        th_diag_offset(in->opts.diags, TH_SEV_WARNING, in->path, (long long)first,
                       "not JSON (%s); file skipped",
                       c < 0x20 || c >= 0x7F ? "binary data"
                                             : "text that does not start "
                                               "with '{' or '['");
        skip_file(in, &in->st.files_not_events);
        end_source(in);
        return;
    }
    in->mode = th_io_pick_mode(in, first);
}

/* The end of a part (th_input_file_part): its tallies kept for
 * th_input_absorb_part, its bytes those from its first line to the next
 * part's (none when no line starts in it), no file counted, no notes. */
static void finish_part(th_input *in)
{
    th_input_part *o = &in->part_out;
    o->lines = in->line - 1;
    uint64_t end = in->src.base + (in->part_done ? in->pos : in->n);
    uint64_t bytes = o->lines && end > in->part_start ? end - in->part_start : 0;
    in->st.bytes += bytes;
    in->st.bytes_inflated += bytes;
    o->first = in->part_from == 0 ? in->first : 0;
    o->malformed = in->fc.malformed;
    o->shown = in->fc.shown;
    o->not_events = in->fc.not_events;
    o->digests = in->fc.digests;
    o->first_not_event = in->fc.first_not_event;
    o->first_not_event_line = in->fc.first_not_event_line;
    o->sole = (int)in->fc.sole;
    o->sole_set = in->fc.sole_set;
    in->in_part = in->part_done = false;
    in->part_to = UINT64_MAX;
    drop_source(in);
}

static void finish_file(th_input *in)
{
    if (in->in_part) {
        finish_part(in);
        return;
    }
    close_notes(in, in->path, &in->fc, in->first);
    end_source(in);
}

/* A file's closing notes (what was skipped in it), and its count: read, or
 * skipped when its only value is no event. */
static void close_notes(th_input *in, const char *path, const file_counts *fc, uint64_t first)
{
    th_diags *d = in->opts.diags;
    if (fc->malformed > fc->shown)
        th_diag_offset(d, TH_SEV_ERROR, path, -1,
                       "%llu more malformed records in this file (not shown one by one)",
                       (unsigned long long)(fc->malformed - fc->shown));
    if (fc->not_events) {
        if (fc->first_not_event_line)
            th_diag_at(d, TH_SEV_WARNING, path, (unsigned)fc->first_not_event_line, 1,
                       "%llu JSON values are neither CloudTrail records nor ECS documents; "
                       "skipped (this is the first)",
                       (unsigned long long)fc->not_events);
        else
            th_diag_offset(d, TH_SEV_WARNING, path, fc->first_not_event,
                           "%llu JSON values are neither CloudTrail records nor ECS "
                           "documents; skipped (this is the first)",
                           (unsigned long long)fc->not_events);
    }
    if (fc->digests)
        th_diag_offset(d, TH_SEV_INFO, path, -1, "%llu CloudTrail digest objects skipped",
                       (unsigned long long)fc->digests);
    if (fc->sole_set && fc->sole == TH_IO_DIGEST) {
        th_diag_offset(d, TH_SEV_INFO, path, -1, "CloudTrail digest file; skipped");
        skip_file(in, &in->st.files_digest);
    } else if (fc->sole_set) {
        th_diag_offset(d, TH_SEV_WARNING, path, (long long)first,
                       "JSON document with neither events nor a Records array; file skipped");
        skip_file(in, &in->st.files_not_events);
    } else {
        in->st.files++;
    }
}

/* Notes what was skipped by path alone, once, when the input is exhausted. */
static void note_end(th_input *in)
{
    if (in->ended)
        return;
    in->ended = true;
    if (in->st.files_key_date)
        th_diag_offset(in->opts.diags, TH_SEV_INFO, NULL, -1,
                       "%llu files skipped by the S3 key-date filter (not read)",
                       (unsigned long long)in->st.files_key_date);
    if (in->digest_paths)
        th_diag_offset(in->opts.diags, TH_SEV_INFO, NULL, -1,
                       "%llu CloudTrail digest files skipped by their path (not read)",
                       (unsigned long long)in->digest_paths);
}

/* What next_file found. */
enum { NF_END, NF_OPEN, NF_JOB };

/* Opens path and starts reading it; false when it cannot be read (counted
 * as unreadable) or start_file skipped it (not JSON: counted there). */
static bool open_file(th_input *in, const char *path, bool is_stdin)
{
    if (!th_io_src_open(&in->src, path, is_stdin, in->opts.max_inflated, in->opts.diags)) {
        th_io_src_release(&in->src);
        skip_file(in, &in->st.files_unreadable);
        return false;
    }
    start_file(in, path);
    return in->open;
}

/* th_input_file_part: opens the part. The part at 0 starts as the file
 * does (start_file); another starts just past the first '\n' at or after
 * part_from - 1 and the file's first value, the first line that starts in
 * it, if one does before part_to (else part_done: nothing in it). */
static bool open_part(th_input *in, const char *path)
{
    in->part_out = (th_input_part){0};
    uint64_t from = in->part_from;
    uint64_t at = from && from - 1 > in->part_first ? from - 1 : in->part_first;
    if (!th_io_src_open_at(&in->src, path, from ? at : 0, in->part_to, in->opts.diags)) {
        th_io_src_release(&in->src);
        if (from == 0) /* reported by every part; counted once */
            skip_file(in, &in->st.files_unreadable);
        return false;
    }
    in->in_part = true;
    in->part_done = false;
    in->part_start = 0;
    if (from == 0) {
        start_file(in, path); /* NDJSON: th_input_next found it so */
        return in->open;
    }
    begin_file(in, path);
    in->first = UINT64_MAX; /* not in this part */
    for (;;) {
        const char *nl = memchr(in->s + in->pos, '\n', in->n - in->pos);
        if (nl) {
            in->pos = (size_t)(nl - in->s) + 1;
            break;
        }
        in->pos = in->n;
        if (in->src.base + in->n >= in->part_to || !th_io_pull(in, in->n))
            break;
    }
    in->part_start = in->src.base + in->pos;
    in->part_done = in->part_start >= in->part_to || (in->pos >= in->n && in->src.eof);
    return true;
}

/* th_input_open_files: opens the file (or part) th_input_file named, once. */
static int next_named(th_input *in)
{
    char *path = in->one;
    in->one = NULL;
    bool part = in->part_req;
    in->part_req = false;
    bool open = path && (part ? open_part(in, path) : open_file(in, path, false));
    free(path);
    return open ? NF_OPEN : NF_END;
}

/* The next part of the file th_input_next yields in parts. */
static void next_part(th_input *in, th_record *job)
{
    uint64_t k = in->parts_next++, b = in->part_bytes;
    bool last = in->parts_next == in->parts_n;
    uint64_t to = last ? UINT64_MAX : (k + 1) * b;
    *job = (th_record){.kind = TH_REC_FILE,
                       .file = in->parts_path,
                       .size = (last ? in->parts_size : to) - k * b,
                       .part = true,
                       .part_last = last,
                       .part_from = k * b,
                       .part_to = to,
                       .part_first = in->parts_first};
    in->jobs++;
}

/* Whether the file just opened (size bytes) is yielded in parts
 * (th_input_defer_parts): plain NDJSON whose first line the scanner took. */
static bool in_parts(const th_input *in, const th_io_walk_item *it)
{
    return in->defer && in->part_bytes && it->regular && !it->is_stdin &&
           it->size / 2 >= in->part_bytes &&
           in->open && in->mode == MODE_NDJSON && !in->src.gzip && in->cscan_p &&
           !in->cont.active;
}

/* Moves to the next file to read: NF_OPEN, or NF_JOB with *job set
 * (th_input_defer_files), or NF_END when there is none. */
static int next_file(th_input *in, th_record *job)
{
    if (in->files_only)
        return next_named(in);
    if (in->parts_next < in->parts_n) {
        next_part(in, job);
        return NF_JOB;
    }
    free(in->parts_path); /* the last part's record is read */
    in->parts_path = NULL;
    in->parts_next = in->parts_n = 0;
    for (;;) {
        th_io_walk_item it;
        switch (th_io_walk_next(in->walk, &it)) {
        case TH_IO_WALK_END: return NF_END;
        case TH_IO_WALK_KEY_DATE: skip_file(in, &in->st.files_key_date); continue;
        case TH_IO_WALK_DIGEST:
            in->digest_paths++;
            skip_file(in, &in->st.files_digest);
            continue;
        case TH_IO_WALK_UNREADABLE: skip_file(in, &in->st.files_unreadable); continue;
        case TH_IO_WALK_FILE: break;
        }
        if (!it.is_stdin && in->opts.seen && in->opts.seen(in->opts.seen_ctx, it.path)) {
            in->st.files_read_before++;
            continue;
        }
        if (in->defer && in->file_jobs && it.regular && it.size <= in->file_jobs) {
            *job = (th_record){.kind = TH_REC_FILE, .file = it.path, .size = it.size};
            in->jobs++;
            return NF_JOB;
        }
        if (open_file(in, it.path, it.is_stdin)) {
            if (!in_parts(in, &it))
                return NF_OPEN;
            drop_source(in); /* its head was looked at; the parts are read elsewhere */
            in->parts_path = th_xstrdup(it.path);
            in->parts_size = it.size;
            in->parts_first = in->first;
            in->parts_n = (it.size + in->part_bytes - 1) / in->part_bytes;
            next_part(in, job);
            return NF_JOB;
        }
    }
}

bool th_input_next(th_input *in, th_record *out)
{
    th_arena_reset(&in->arena);
    for (;;) {
        if (!in->open) {
            int k = next_file(in, out);
            if (k == NF_JOB)
                return true;
            if (k == NF_END) {
                if (in->jobs && !in->held) {
                    /* files read elsewhere may still report: the notes on
                     * what was skipped by path come after theirs */
                    in->held = true;
                    return false;
                }
                in->held = false;
                note_end(in);
                return false;
            }
        }
        bool got = th_io_file_next(in, out);
        if (got)
            return true;
        if (!in->cont.active && ((in->pos >= in->n && in->src.eof) || in->part_done)) {
            if (in->deferred && !in->held) { /* th_input_settle may still report on it */
                in->held = true;
                return false;
            }
            in->held = false;
            in->deferred = 0;
            finish_file(in);
        }
    }
}

void th_input_defer(th_input *in, bool on)
{
    if (in)
        in->defer = on && in->scan;
}

bool th_input_held(const th_input *in) { return in && in->held; }

void th_input_give_windows(th_input *in, th_input_give_fn give, void *ctx)
{
    in->give = give;
    in->give_ctx = ctx;
}

size_t th_io_give_window(th_input *in, size_t from)
{
    if (!in->give || !in->src.win)
        return from;
    size_t cap = in->src.win_cap;
    char *fresh = in->give(in->give_ctx, in->src.win, cap);
    if (!fresh)
        return from;
    th_io_src_swap(&in->src, from, fresh, cap);
    return 0;
}

void th_input_close(th_input *in)
{
    if (!in)
        return;
    if (in->open && in->in_part)
        drop_source(in);
    else if (in->open)
        end_source(in);
    th_io_src_free(&in->src);
    th_io_walk_close(in->walk);
    th_arena_free(&in->arena);
    th_jscan_free(in->scan);
    th_jscan_free(in->cscan);
    free(in->one);
    free(in->parts_path);
    free(in);
}

th_jval *th_record_json(const th_record *rec, th_arena *a, th_json_error *err)
{
    if (rec->json || !rec->scan) {
        if (!rec->json && err) {
            err->offset = 0;
            err->reason = "record has neither a tree nor a scanner";
        }
        return rec->json;
    }
    return th_jcur_to_jval(th_jscan_root(rec->scan), a, err);
}
