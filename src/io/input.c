/* th_input: walks paths, loads one file at a time, splits it into records,
 * parses and classifies each, and counts everything it does not yield.
 *
 * A file is read in one of two modes, chosen from its first value:
 *  - NDJSON: the first value ends on the first line. Lines are split with
 *    memchr and parsed one by one, so a bad line costs only itself.
 *  - document: the first value spans lines (pretty-printed JSON) or is an
 *    array. Values are taken one after another (parse_prefix).
 * In both modes a value that is `[...]` or `{"Records":[...]}` is a container:
 * its elements are found by the structural scanner and parsed one by one,
 * which gives each record its exact bytes and offset and lets a truncated or
 * damaged container still yield the records before the damage. */
#include "io/input.h"

#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "base/timeutil.h"
#include "io/scan.h"
#include "io/source.h"
#include "io/walk.h"

typedef enum { MODE_NDJSON, MODE_DOC } file_mode;

/* Per-file tallies, for the summaries printed when the file is done. */
typedef struct file_counts {
    uint64_t malformed, shown, not_events, digests;
    long long first_not_event;   /* byte offset of the first non-event value */
    uint64_t first_not_event_line;
    th_io_class sole;            /* the file's only value was this non-event class */
    bool sole_set;
} file_counts;

/* The container (array of records) being iterated. */
typedef struct container {
    bool active;
    th_io_arr arr;
    size_t start;      /* its '[' */
    size_t limit;      /* end of the line (NDJSON) or of the file (document) */
    bool in_object;    /* a member of an object: the object is finished after it */
} container;

struct th_input {
    th_input_opts opts;
    th_io_walk *walk;
    th_io_src src;
    th_arena arena;
    th_input_stats st;
    bool ended;
    uint64_t digest_paths; /* digest files skipped by path (noted once at the end) */
    /* the current file */
    bool open;
    char *path;
    const char *s;
    size_t n;
    file_mode mode;
    size_t pos;    /* next unread byte */
    uint64_t line; /* NDJSON: number of the line starting at pos */
    uint64_t first; /* file offset of the first value */
    container cont;
    file_counts fc;
};

void th_input_opts_default(th_input_opts *o, th_diags *diags)
{
    memset(o, 0, sizeof(*o));
    o->key_from_ms = TH_TIME_NONE;
    o->key_to_ms = TH_TIME_NONE;
    o->max_inflated = TH_DEFAULT_MAX_INFLATED;
    o->diags = diags;
}

th_input *th_input_open(const char *const *paths, size_t npaths, const th_input_opts *opts)
{
    th_input *in = th_xcalloc(1, sizeof(*in));
    in->opts = *opts;
    if (!in->opts.max_inflated)
        in->opts.max_inflated = TH_DEFAULT_MAX_INFLATED;
    in->walk = th_io_walk_open(paths, npaths, opts->key_from_ms, opts->key_to_ms, opts->diags);
    th_io_src_init(&in->src);
    th_arena_init(&in->arena, 256 * 1024);
    return in;
}

const th_input_stats *th_input_stats_get(const th_input *in) { return &in->st; }

/* ---- the window ------------------------------------------------------ */

/* in->s / in->n follow the source's window; positions are window indices and
 * in->src.base + index is the file offset. */
static void sync_window(th_input *in)
{
    in->s = in->src.data;
    in->n = in->src.len;
}

/* Drops the window before `keep` and appends more; false at the end of file. */
static bool pull(th_input *in, size_t keep)
{
    bool more = th_io_src_more(&in->src, keep);
    in->pos -= keep < in->pos ? keep : in->pos;
    sync_window(in);
    return more;
}

static void pull_all(th_input *in)
{
    while (pull(in, 0))
        ;
}

/* True when only whitespace follows `end` up to the end of the file. */
static bool rest_is_ws(th_input *in, size_t end)
{
    for (;;) {
        size_t p = th_io_skip_ws(in->s, in->n, end);
        if (p < in->n)
            return false;
        if (!pull(in, 0))
            return true;
        end = p;
    }
}

static long long abs_off(const th_input *in, size_t at) { return (long long)(in->src.base + at); }

/* ---- skipping and reporting -------------------------------------------- */

/* Column of byte `at` in the NDJSON line that starts at `line_start`. */
static unsigned col_of(size_t line_start, size_t at)
{
    size_t c = at - line_start + 1;
    return c > 0xFFFFFFFFu ? 0xFFFFFFFFu : (unsigned)c;
}

/* A malformed record: counted, and reported with line:col (NDJSON) or byte
 * offset, up to TH_MAX_INPUT_DIAGS_PER_FILE per file. */
static void malformed(th_input *in, size_t at, uint64_t line, size_t line_start,
                      const char *reason, size_t rec_end)
{
    in->st.records_skipped++;
    in->st.records_malformed++;
    if (++in->fc.malformed > TH_MAX_INPUT_DIAGS_PER_FILE)
        return;
    in->fc.shown++;
    const char *why = in->src.incomplete && in->src.eof && rec_end >= in->n
                          ? "record cut off where the gzip stream ends"
                          : reason;
    if (line)
        th_diag_at(in->opts.diags, TH_SEV_ERROR, in->path, (unsigned)line,
                   col_of(line_start, at), "malformed record: %s", why);
    else
        th_diag_offset(in->opts.diags, TH_SEV_ERROR, in->path, abs_off(in, at),
                       "malformed record: %s", why);
}

/* A valid JSON value that is no event. The file's only value is not counted as
 * a record: the whole file is then counted as skipped (a manifest, a digest). */
static void not_event(th_input *in, th_io_class cls, size_t start, size_t end, uint64_t line,
                      bool top)
{
    if (top && in->src.base + start == in->first && rest_is_ws(in, end)) {
        in->fc.sole = cls;
        in->fc.sole_set = true;
        return;
    }
    in->st.records_skipped++;
    in->st.records_not_events++;
    if (cls == TH_IO_DIGEST) {
        in->fc.digests++;
        return;
    }
    if (in->fc.not_events++ == 0) {
        in->fc.first_not_event = abs_off(in, start);
        in->fc.first_not_event_line = line;
    }
}

/* ---- records --------------------------------------------------------- */

/* Parses [start, end) as one record. Returns true and fills *out for an event;
 * a container is opened instead (at its '['); anything else is counted. */
/* Yields the parsed value v (source bytes [start, end)) if it is an event;
 * opens its Records array if it is a container; else counts it. */
static bool use_value(th_input *in, th_jval *v, size_t start, size_t end, uint64_t line,
                      bool top, th_record *out)
{
    th_io_class cls = th_io_classify(v);
    if (cls == TH_IO_CLOUDTRAIL || cls == TH_IO_ECS) {
        out->json = v;
        out->text = th_str_make(in->s + start, end - start);
        out->kind = cls == TH_IO_ECS ? TH_REC_ECS : TH_REC_CLOUDTRAIL;
        out->file = in->path;
        out->offset = in->src.base + start;
        out->line = line;
        in->st.records++;
        return true;
    }
    /* a value not yielded gives its arena memory back, so a file of a million
     * skipped values does not grow the arena within one call */
    th_arena_reset(&in->arena);
    if (cls == TH_IO_CONTAINER && top) {
        size_t b = th_io_find_array_member(in->s, end, start, "Records");
        if (b) {
            in->cont = (container){.active = true, .arr = {.pos = b + 1}, .start = b,
                                   .limit = end, .in_object = true};
            return false;
        }
    }
    not_event(in, cls, start, end, line, top);
    return false;
}

/* Parses the NDJSON line value [start, end) as one record. */
static bool take_line(th_input *in, size_t start, size_t end, uint64_t line, size_t line_start,
                      th_record *out)
{
    if (end - start > TH_MAX_RECORD_BYTES) {
        malformed(in, start, line, line_start, "record larger than the limit", end);
        return false;
    }
    th_json_error err;
    th_jval *v = th_json_parse(&in->arena, in->s + start, end - start, &err);
    if (!v) {
        th_arena_reset(&in->arena);
        malformed(in, start + err.offset, line, line_start, err.reason, end);
        return false;
    }
    return use_value(in, v, start, end, line, true, out);
}

/* Parses the value starting at `start` (up to `limit`) in one pass, finding
 * its end as it goes. On a parse error the structural scanner looks for the
 * end so that reading can resume after it; *next gets 0 when it cannot. */
static th_jval *parse_here(th_input *in, size_t start, size_t limit, size_t *end, size_t *next)
{
    th_json_error err;
    size_t used = 0;
    th_jval *v = th_json_parse_prefix(&in->arena, in->s + start, limit - start, &used, &err);
    if (v) {
        *next = start + used;
        size_t e = start + used;
        while (e > start && th_io_is_ws((unsigned char)in->s[e - 1]))
            e--;
        *end = e;
        return v;
    }
    th_arena_reset(&in->arena);
    th_io_scan_err serr;
    size_t e = th_io_skip_value(in->s, limit, start, &serr);
    malformed(in, start + err.offset, 0, 0, err.reason, e ? e : limit);
    *next = e;
    return NULL;
}

/* Opens a container if the value at `start` is `[` or `{"Records": [`. */
static bool open_container(th_input *in, size_t start, size_t limit)
{
    size_t b = 0;
    bool obj = false;
    if (in->s[start] == '[') {
        b = start;
    } else if (in->s[start] == '{') {
        b = th_io_records_first(in->s, limit, start);
        obj = true;
    }
    if (!b && in->s[start] != '[')
        return false;
    in->cont = (container){.active = true, .arr = {.pos = b + 1}, .start = b, .limit = limit,
                           .in_object = obj};
    return true;
}

/* True when a scan error means the text ended inside a value (a cut-off file). */
static bool ran_off(const th_io_scan_err *err)
{
    return strncmp(err->reason, "unterminated", 12) == 0 ||
           strcmp(err->reason, "unexpected end of input") == 0;
}

/* The container ended (or broke): checks what follows it and moves on. */
static void close_container(th_input *in, bool broken)
{
    container *c = &in->cont;
    c->active = false;
    if (broken) {
        if (in->mode == MODE_DOC)
            in->pos = in->n; /* no way to find the next value: stop here */
        return;
    }
    size_t end = c->arr.pos;
    if (c->in_object) {
        th_io_scan_err err;
        end = th_io_finish_object(in->s, c->limit, end, &err);
        if (!end) {
            malformed(in, err.at, 0, 0, err.reason, ran_off(&err) ? c->limit : err.at);
            if (in->mode == MODE_DOC)
                in->pos = in->n;
            return;
        }
    }
    if (in->mode == MODE_DOC) {
        in->pos = end;
        return;
    }
    size_t rest = th_io_skip_ws(in->s, c->limit, end);
    if (rest < c->limit)
        malformed(in, rest, 0, 0, "trailing characters after the JSON value", c->limit);
}

static bool container_next(th_input *in, th_record *out)
{
    container *c = &in->cont;
    size_t a;
    th_io_scan_err err;
    int r = th_io_arr_begin(in->s, c->limit, &c->arr, &a, &err);
    if (r == 0) {
        close_container(in, false);
        return false;
    }
    if (r < 0) {
        malformed(in, err.at, 0, 0, err.reason, ran_off(&err) ? c->limit : err.at);
        close_container(in, true);
        return false;
    }
    size_t end, next;
    th_jval *v = parse_here(in, a, c->limit, &end, &next);
    if (!next) {
        close_container(in, true); /* cannot tell where the element ends */
        return false;
    }
    c->arr.pos = next;
    return v && use_value(in, v, a, end, 0, false, out);
}

/* ---- modes ----------------------------------------------------------- */

static bool ndjson_next(th_input *in, th_record *out)
{
    for (;;) {
        size_t ls = in->pos;
        const char *nl = ls < in->n ? memchr(in->s + ls, '\n', in->n - ls) : NULL;
        if (!nl && !in->src.eof) {
            pull(in, ls); /* the line goes on past the window: slide it */
            continue;
        }
        if (ls >= in->n)
            return false; /* end of file */
        const char *s = in->s;
        size_t le = nl ? (size_t)(nl - s) : in->n;
        uint64_t line = in->line++;
        in->pos = nl ? le + 1 : in->n;
        size_t a = ls, b = le;
        if (a < b && !th_io_is_ws((unsigned char)s[a]))
            ; /* the common case: the value starts the line */
        else
            a = th_io_skip_ws(s, b, a);
        while (b > a && th_io_is_ws((unsigned char)s[b - 1]))
            b--;
        if (a == b)
            continue; /* blank line */
        if (open_container(in, a, b))
            return false;
        if (take_line(in, a, b, line, ls, out))
            return true;
        if (in->cont.active)
            return false;
    }
}

static bool doc_next(th_input *in, th_record *out)
{
    const char *s = in->s;
    size_t p = th_io_skip_ws(s, in->n, in->pos);
    if (p >= in->n) {
        in->pos = in->n;
        return false;
    }
    if (open_container(in, p, in->n))
        return false;
    size_t end, next;
    th_jval *v = parse_here(in, p, in->n, &end, &next);
    in->pos = next ? next : in->n;
    return v && use_value(in, v, p, end, 0, true, out);
}

/* ---- files ----------------------------------------------------------- */

/* NDJSON when the first value ends on the first line; a document when it is
 * an array or a well-formed value spanning lines. A first line that is broken
 * on its own (not merely continued) means NDJSON: line by line recovers best.
 * A document is taken whole into the window. */
static file_mode pick_mode(th_input *in, size_t first)
{
    if (in->s[first] == '[') {
        pull_all(in);
        return MODE_DOC;
    }
    const char *nl;
    while (!(nl = memchr(in->s + first, '\n', in->n - first)) && pull(in, 0))
        ;
    size_t le = nl ? (size_t)(nl - in->s) : in->n;
    th_io_scan_err err;
    if (th_io_skip_value(in->s, le, first, &err) || le == in->n ||
        strncmp(err.reason, "unterminated", 12) != 0)
        return MODE_NDJSON;
    pull_all(in);
    return th_io_skip_value(in->s, in->n, first, &err) ? MODE_DOC : MODE_NDJSON;
}

static void skip_file(th_input *in, uint64_t *reason_counter)
{
    in->st.files_skipped++;
    (*reason_counter)++;
}

/* Adds the file's byte counts to the stats and lets the source go. */
static void end_source(th_input *in)
{
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
    in->open = true;
    in->mode = MODE_NDJSON;
    sync_window(in);
    size_t first;
    /* enough of the start to look at: 4 KiB past the leading whitespace */
    for (;;) {
        first = th_io_skip_ws(in->s, in->n, 0);
        if (in->n >= 3 && memcmp(in->s, "\xEF\xBB\xBF", 3) == 0)
            first = th_io_skip_ws(in->s, in->n, 3); /* UTF-8 byte order mark */
        if ((first < in->n && in->n - first >= 4096) || !pull(in, 0))
            break;
    }
    in->pos = first;
    in->first = first;
    if (first == in->n)
        return; /* empty: read, nothing in it */
    unsigned char c = (unsigned char)in->s[first];
    size_t head = in->n - first < 4096 ? in->n - first : 4096;
    /* JSON text never holds a NUL byte: one near the start means binary data */
    if (memchr(in->s + first, 0, head))
        c = 0;
    if (c != '{' && c != '[') {
        th_diag_offset(in->opts.diags, TH_SEV_WARNING, in->path, (long long)first,
                       "not JSON (%s); file skipped",
                       c < 0x20 || c >= 0x7F ? "binary data" : "text that does not start "
                                                               "with '{' or '['");
        skip_file(in, &in->st.files_not_events);
        end_source(in);
        return;
    }
    in->mode = pick_mode(in, first);
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

/* Moves to the next file to read; false when there is none. */
static bool next_file(th_input *in)
{
    for (;;) {
        th_io_walk_item it;
        switch (th_io_walk_next(in->walk, &it)) {
        case TH_WALK_END:
            return false;
        case TH_WALK_KEY_DATE:
            skip_file(in, &in->st.files_key_date);
            continue;
        case TH_WALK_DIGEST:
            in->digest_paths++;
            skip_file(in, &in->st.files_digest);
            continue;
        case TH_WALK_UNREADABLE:
            skip_file(in, &in->st.files_unreadable);
            continue;
        case TH_WALK_FILE:
            break;
        }
        if (!th_io_src_open(&in->src, it.path, it.is_stdin, in->opts.max_inflated,
                            in->opts.diags)) {
            th_io_src_release(&in->src);
            skip_file(in, &in->st.files_unreadable);
            continue;
        }
        start_file(in, it.path);
        if (in->open)
            return true;
    }
}

bool th_input_next(th_input *in, th_record *out)
{
    th_arena_reset(&in->arena);
    for (;;) {
        if (!in->open) {
            if (!next_file(in)) {
                note_end(in);
                return false;
            }
        }
        bool got;
        if (in->cont.active)
            got = container_next(in, out);
        else if (in->mode == MODE_NDJSON)
            got = ndjson_next(in, out); /* slides the window itself */
        else
            got = in->pos < in->n && doc_next(in, out); /* the window holds it all */
        if (got)
            return true;
        if (!in->cont.active && in->pos >= in->n && in->src.eof)
            finish_file(in);
    }
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
    free(in);
}
