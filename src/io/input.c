/* th_input: walks the paths, opens one file at a time, hands it to the
 * splitter (split.c) and counts every file it reads or skips. */
#include "io/input.h"

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
    if (in->open) /* the last file was not read to its end */
        end_source(in);
    free(in->one);
    in->one = th_xstrdup(path);
    in->opts.diags = diags;
    memset(&in->st, 0, sizeof in->st);
    in->held = false;
    in->deferred = 0;
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

/* Sets up the file just opened in in->src: BOM, first value, binary or
 * non-JSON content, reading mode. */
static void start_file(th_input *in, const char *path)
{
    in->path = th_xstrdup(path);
    in->pos = 0;
    in->line = 1;
    memset(&in->fc, 0, sizeof(in->fc));
    memset(&in->cont, 0, sizeof(in->cont));
    in->deferred = 0;
    in->held = false;
    in->cscan_p = NULL;
    in->open = true;
    in->mode = MODE_NDJSON;
    th_io_sync_window(in);
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

static void finish_file(th_input *in)
{
    th_diags *d = in->opts.diags;
    file_counts *fc = &in->fc;
    if (fc->malformed > fc->shown)
        th_diag_offset(d, TH_SEV_ERROR, in->path, -1,
                       "%llu more malformed records in this file (not shown one by one)",
                       (unsigned long long)(fc->malformed - fc->shown));
    if (fc->not_events) {
        if (fc->first_not_event_line)
            th_diag_at(d, TH_SEV_WARNING, in->path, (unsigned)fc->first_not_event_line, 1,
                       "%llu JSON values are neither CloudTrail records nor ECS documents; "
                       "skipped (this is the first)",
                       (unsigned long long)fc->not_events);
        else
            th_diag_offset(d, TH_SEV_WARNING, in->path, fc->first_not_event,
                           "%llu JSON values are neither CloudTrail records nor ECS "
                           "documents; skipped (this is the first)",
                           (unsigned long long)fc->not_events);
    }
    if (fc->digests)
        th_diag_offset(d, TH_SEV_INFO, in->path, -1, "%llu CloudTrail digest objects skipped",
                       (unsigned long long)fc->digests);
    if (fc->sole_set && fc->sole == TH_IO_DIGEST) {
        th_diag_offset(d, TH_SEV_INFO, in->path, -1, "CloudTrail digest file; skipped");
        skip_file(in, &in->st.files_digest);
    } else if (fc->sole_set) {
        th_diag_offset(d, TH_SEV_WARNING, in->path, (long long)in->first,
                       "JSON document with neither events nor a Records array; file skipped");
        skip_file(in, &in->st.files_not_events);
    } else {
        in->st.files++;
    }
    end_source(in);
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

/* th_input_open_files: opens the file th_input_file named, once. */
static int next_named(th_input *in)
{
    char *path = in->one;
    in->one = NULL;
    bool open = path && open_file(in, path, false);
    free(path);
    return open ? NF_OPEN : NF_END;
}

/* Moves to the next file to read: NF_OPEN, or NF_JOB with *job set
 * (th_input_defer_files), or NF_END when there is none. */
static int next_file(th_input *in, th_record *job)
{
    if (in->files_only)
        return next_named(in);
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
        if (open_file(in, it.path, it.is_stdin))
            return NF_OPEN;
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
        if (!in->cont.active && in->pos >= in->n && in->src.eof) {
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
    if (in->open)
        end_source(in);
    th_io_src_free(&in->src);
    th_io_walk_close(in->walk);
    th_arena_free(&in->arena);
    th_jscan_free(in->scan);
    th_jscan_free(in->cscan);
    free(in->one);
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
