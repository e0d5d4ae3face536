/* Record splitting for th_input: the window over the current file, NDJSON
 * lines, documents, containers, and the reporting of what is skipped.
 *
 * A file is read in one of two modes, chosen from its first value:
 *  - NDJSON: the first value ends on the first line. Lines are split with
 *    memchr and parsed in place, so a bad line costs only itself.
 *  - document: the first value spans lines (pretty-printed JSON) or is an
 *    array. Values are taken one after another (parse_prefix).
 * In both modes a value that is `[...]` or `{"Records":[...]}` is a container:
 * each element is parsed where it starts (parse_prefix tells where it ends),
 * which gives each record its exact bytes and offset and lets a truncated or
 * damaged container still yield the records before the damage.
 * Lazy mode (opts.lazy): an NDJSON line is first loaded into the scanner
 * (json/jscan.h) and its string contents checked (strings_ok); when both pass
 * it is classified and yielded from the scanner, else it takes the DOM path
 * above, which reports exactly as without lazy mode. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/limits.h"
#include "base/utf8.h"
#include "io/input_int.h"

static bool strings_ok(const char *text, size_t n);
static bool loaded_strings_ok(const th_jscan *scan, const char *text, size_t n);

/* ---- the window ------------------------------------------------------ */

void th_io_sync_window(th_input *in)
{
    in->s = in->src.data;
    in->n = in->src.len;
}

bool th_io_pull(th_input *in, size_t keep)
{
    in->cscan_p = NULL; /* the window moves */
    in->first_ls = NULL;
    in->line_p = NULL;
    bool more = th_io_src_more(&in->src, th_io_give_window(in, keep));
    in->pos -= keep < in->pos ? keep : in->pos;
    th_io_sync_window(in);
    return more;
}

static void pull_all(th_input *in)
{
    while (th_io_pull(in, 0))
        ;
}

/* True when only whitespace follows `end` up to the end of the file. */
static bool rest_is_ws(th_input *in, size_t end)
{
    for (;;) {
        size_t p = th_io_skip_ws(in->s, in->n, end);
        if (p < in->n)
            return false;
        if (!th_io_pull(in, 0))
            return true;
        end = p;
    }
}

static long long abs_off(const th_input *in, size_t at)
{
    return (long long)(in->src.base + at);
}

/* ---- skipping and reporting -------------------------------------------- */

/* Column of byte `at` in the NDJSON line that starts at `line_start`. */
static unsigned col_of(size_t line_start, size_t at)
{
    size_t c = at - line_start + 1;
    return c > 0xFFFFFFFFu ? 0xFFFFFFFFu : (unsigned)c;
}

/* A malformed record: counted, and reported with line:col (NDJSON) or byte
 * offset, up to TH_MAX_INPUT_DIAGS_PER_FILE per file. */
static void malformed(th_input *in, size_t at, uint64_t line, size_t line_start, const char *reason,
                      size_t rec_end)
{
    in->st.records_skipped++;
    in->st.records_malformed++;
    if (++in->fc.malformed > TH_MAX_INPUT_DIAGS_PER_FILE)
        return;
    in->fc.shown++;
    if (in->in_part && in->opts.diags) /* th_input_absorb_part shows the file's first */
        in->part_out.shown_at[in->fc.shown - 1] = in->opts.diags->len;
    const char *why = in->src.incomplete && in->src.eof && rec_end >= in->n
                          ? "record cut off where the gzip stream ends"
                          : reason;
    if (at < in->n && in->s[at] == '\0')
        why = "NUL byte (binary data)";
    if (line)
        th_diag_at(in->opts.diags, TH_SEV_ERROR, in->path, (unsigned)line, col_of(line_start, at),
                   "malformed record: %s", why);
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

/* "line longer than the limit of 256 MiB": the limit stated (max_record). */
static const char *limit_reason(th_input *in)
{
    uint64_t m = in->opts.max_record;
    if (m % (1u << 20) == 0)
        snprintf(in->reason, sizeof in->reason,
                 "line longer than the limit of %llu MiB (a longer record is skipped)",
                 (unsigned long long)(m >> 20));
    else
        snprintf(in->reason, sizeof in->reason,
                 "line longer than the limit of %llu bytes (a longer record is skipped)",
                 (unsigned long long)m);
    return in->reason;
}

/* ---- records --------------------------------------------------------- */

/* Lazy mode: checks the NDJSON line [start, limit) that holds the container
 * just opened (its array at in->cont.start) with the scanner and the string
 * check; when both accept it, th_json_parse would too, so its elements are
 * then taken from the scanner's tape (container_next) instead of parsed: each
 * is scanned again on its own (deferred mode: by a worker; the reading thread
 * only finds them). */
static void check_container(th_input *in, size_t start, size_t limit)
{
    container *c = &in->cont;
    bool loaded = in->cscan_p == in->s + start && in->cscan_n == limit - start;
    in->cscan_p = NULL;
    if (!in->cscan || in->mode != MODE_NDJSON || limit - start >= ((size_t)4 << 30) - 64 ||
        (!loaded && !th_jscan_load(in->cscan, in->s + start, limit - start, NULL)) ||
        (!(loaded && in->cscan_strings_ok) &&
         !loaded_strings_ok(in->cscan, in->s + start, limit - start)))
        return;
    th_jcur root = th_jscan_root(in->cscan), arr = root;
    if (th_jcur_type(root) == TH_JOBJ) {
        th_jiter it = th_jcur_iter(root);
        th_jcur k, v;
        bool found = false;
        while (!found && th_jiter_next(&it, &k, &v))
            if (th_jcur_raw(v).p == in->s + c->start) {
                arr = v;
                found = true;
            }
        if (!found)
            return;
    }
    if (th_jcur_type(arr) != TH_JARR || th_jcur_raw(arr).p != in->s + c->start)
        return;
    c->it = th_jcur_iter(arr);
    c->checked = true;
}

static bool is_event(th_io_class cls)
{
    return cls == TH_IO_CLOUDTRAIL || cls == TH_IO_ECS;
}

/* Yields the event of class `cls` (is_event) at source bytes [start, end): its
 * tree v, or (lazy mode, v NULL) the scanner holding it. In line where a
 * lazy line is taken: the call of use_class, with its nine arguments, cost
 * as much as what it writes. */
static inline bool yield_event(th_input *in, th_io_class cls, th_jval *v, const th_jscan *scan,
                               size_t start, size_t end, uint64_t line, th_record *out)
{
    out->json = v;
    out->scan = scan;
    out->text = th_str_make(in->s + start, end - start);
    out->kind = cls == TH_IO_ECS ? TH_REC_ECS : TH_REC_CLOUDTRAIL;
    out->file = in->path;
    out->offset = in->src.base + start;
    out->line = line;
    in->st.records++;
    return true;
}

/* Yields the value of class `cls` (source bytes [start, end)) if it is an
 * event (yield_event); opens its Records array if it is a container; else
 * counts it. */
static bool use_class(th_input *in, th_io_class cls, th_jval *v, const th_jscan *scan,
                      size_t start, size_t end, uint64_t line, bool top, th_record *out)
{
    if (is_event(cls))
        return yield_event(in, cls, v, scan, start, end, line, out);
    /* a value not yielded gives its arena memory back, so a file of a million
     * skipped values does not grow the arena within one call */
    th_arena_reset(&in->arena);
    if (cls == TH_IO_CONTAINER && top) {
        size_t b = th_io_find_array_member(in->s, end, start, "Records");
        if (b) {
            in->cont = (container){
                .active = true, .arr = {.pos = b + 1}, .start = b, .limit = end, .in_object = true};
            check_container(in, start, end);
            return false;
        }
    }
    not_event(in, cls, start, end, line, top);
    return false;
}

/* Yields the parsed value v (source bytes [start, end)) if it is an event;
 * opens its Records array if it is a container; else counts it. */
static bool use_value(th_input *in, th_jval *v, size_t start, size_t end, uint64_t line, bool top,
                      th_record *out)
{
    return use_class(in, th_io_classify(v), v, NULL, start, end, line, top, out);
}

/* ---- lazy mode: string contents ------------------------------------------ */

/* Index of the first byte in p[i..n) that string validation must look at
 * (< 0x20, a backslash, >= 0x80), or n. 32 bytes a step with SSE2 (every
 * x86-64), else 8 with plain words. */
static size_t next_special(const unsigned char *p, size_t i, size_t n)
{
#ifdef __SSE2__
    const __m128i lim = _mm_set1_epi8(0x20), bs = _mm_set1_epi8('\\');
    for (; i + 32 <= n; i += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        /* signed compare: bytes >= 0x80 are negative, so < 0x20 catches both */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmplt_epi8(a, lim), _mm_cmpeq_epi8(a, bs)),
                                 _mm_or_si128(_mm_cmplt_epi8(b, lim), _mm_cmpeq_epi8(b, bs)));
        if (_mm_movemask_epi8(m))
            break;
    }
#endif
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        uint64_t x = w ^ (ones * '\\');
        /* exact "any byte is" tests: < 0x20, >= 0x80 (high bit), == '\\' */
        if ((((w - ones * 0x20) & ~w) | w | ((x - ones) & ~x)) & highs)
            break;
    }
    for (; i < n; i++)
        if (p[i] < 0x20 || p[i] >= 0x80 || p[i] == '\\')
            return i;
    return n;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* For a line th_jscan_load accepted (so every byte >= 0x80 and every backslash
 * lies inside a string): true when th_json_parse's string checks pass too, i.e.
 * valid UTF-8 (base/utf8.h), valid escapes, and no byte < 0x20 at all. A tab or
 * CR may be legal whitespace between tokens, but telling needs the string
 * bounds: such a line gets false and takes the DOM path, as does every line
 * th_json_parse rejects. Never true for text th_json_parse rejects. */
static bool strings_ok(const char *text, size_t n)
{
    const unsigned char *p = (const unsigned char *)text;
    for (size_t i = next_special(p, 0, n); i < n; i = next_special(p, i, n)) {
        unsigned char c = p[i];
        if (c < 0x20)
            return false;
        if (c == '\\') {
            unsigned char e = i + 1 < n ? p[i + 1] : 0;
            if (e == 'u') {
                if (n - i < 6 || !is_hex(p[i + 2]) || !is_hex(p[i + 3]) || !is_hex(p[i + 4]) ||
                    !is_hex(p[i + 5]))
                    return false;
                i += 6; /* surrogates: lone ones decode to U+FFFD, pairs combine */
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' ||
                       e == 'r' || e == 't') {
                i += 2;
            } else {
                return false;
            }
            continue;
        }
        size_t l;
        uint32_t cp;
        if (th_utf8_decode(p + i, n - i, &l, &cp) != TH_UTF8_OK)
            return false;
        i += l;
    }
    return true;
}

/* strings_ok for text that `scan` holds loaded: printable ASCII without a
 * backslash (stage 1 says so) needs no second look. */
static bool loaded_strings_ok(const th_jscan *scan, const char *text, size_t n)
{
    return (!th_jscan_has_backslash(scan) && !th_jscan_has_ctl_high(scan)) || strings_ok(text, n);
}

/* Lazy mode: loads the line [start, end) into the input's scanner and yields
 * or counts it from the scanner alone. False when the line must take the DOM
 * path (the scanner or the string check rejected it; the DOM path reports). */
static bool take_line_lazy(th_input *in, size_t start, size_t end, uint64_t line, th_record *out,
                           bool *got)
{
    size_t n = end - start;
    if (in->cscan_p == in->s + start && in->cscan_n == n) {
        /* the file's first line, scanned by th_io_pick_mode: taken from that
         * tape (a container, as an S3 object is, is then checked on it) */
        if (!loaded_strings_ok(in->cscan, in->s + start, n))
            return false;
        in->cscan_strings_ok = true; /* check_container need not look again */
        th_io_class cls = th_io_classify_scan(th_jscan_root(in->cscan), &in->arena);
        *got = use_class(in, cls, NULL, in->cscan, start, end, line, true, out);
        return true;
    }
    bool loaded = in->line_p == in->s + start && in->line_n == n; /* by find_line */
    in->line_p = NULL;
    if (!loaded &&
        (n >= ((size_t)4 << 30) - 64 || !th_jscan_load(in->scan, in->s + start, n, NULL)))
        return false;
    if (!loaded_strings_ok(in->scan, in->s + start, n))
        return false;
    th_io_class cls = th_io_classify_scan(th_jscan_root(in->scan), &in->arena);
    *got = is_event(cls) ? yield_event(in, cls, NULL, in->scan, start, end, line, out)
                         : use_class(in, cls, NULL, in->scan, start, end, line, true, out);
    return true;
}

/* Parses the NDJSON line value [start, end) as one record. */
static bool take_line(th_input *in, size_t start, size_t end, uint64_t line, size_t line_start,
                      th_record *out)
{
    if (end - start > in->opts.max_record) {
        malformed(in, start, line, line_start, limit_reason(in), end);
        return false;
    }
    if (in->defer && start == line_start && in->src.base + start != in->first && !in->src.gzip) {
        /* the worker that gets it does take_line_lazy's work (th_input_judge) */
        *out = (th_record){.text = th_str_make(in->s + start, end - start),
                           .kind = TH_REC_DEFERRED,
                           .file = in->path,
                           .offset = in->src.base + start,
                           .line = line};
        in->st.records++;
        in->deferred++;
        return true;
    }
    bool got;
    if (in->scan && take_line_lazy(in, start, end, line, out, &got))
        return got;
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
    in->cont = (container){
        .active = true, .arr = {.pos = b + 1}, .start = b, .limit = limit, .in_object = obj};
    check_container(in, start, limit);
    return true;
}

/* True when the value [a, b) is an object whose first key follows its '{' at
 * once and starts with another byte than "Records" (every CloudTrail record:
 * eventVersion), which open_container would take the call of
 * th_io_records_first to turn away: in line, for every NDJSON line. */
static inline bool no_container(const char *s, size_t a, size_t b)
{
    return b - a > 2 && s[a] == '{' && s[a + 1] == '"' && s[a + 2] != 'R';
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
        size_t again = 0;
        end = th_io_finish_object(in->s, c->limit, end, "Records", &again, &err);
        if (end && again) {
            /* Readers that build a map keep only the last array; we read every
             * one (nothing dropped) and say so. */
            th_diag_offset(in->opts.diags, TH_SEV_WARNING, in->path, abs_off(in, again),
                           "duplicate \"Records\" key in the same object; its records are read "
                           "too (a reader that keeps only the last key would drop the first "
                           "array's)");
            in->cont = (container){.active = true,
                                   .arr = {.pos = again + 1},
                                   .start = again,
                                   .limit = c->limit,
                                   .in_object = true};
            return;
        }
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

/* True when the bytes [start, end) parse as one event (CloudTrail or ECS). */
static bool is_event_text(th_input *in, size_t start, size_t end)
{
    th_json_error err;
    th_jval *v = th_json_parse(&in->arena, in->s + start, end - start, &err);
    th_io_class cls = v ? th_io_classify(v) : TH_IO_OTHER;
    th_arena_reset(&in->arena);
    return cls == TH_IO_CLOUDTRAIL || cls == TH_IO_ECS;
}

/* After a damaged element of the container (its damage begins before `from`):
 * the index of the ',' that precedes the next element that is whole, i.e. a
 * '{' after a ',' whose value parses as an event and is followed by ',' or ']'.
 * 0 when there is none. A JSON object cannot appear unescaped inside a string,
 * so a candidate that passes is a real element, wherever the damage left the
 * string quoting. The damaged stretch before it counts as one skipped record. */
static size_t resync(th_input *in, size_t from)
{
    const container *c = &in->cont;
    const char *s = in->s;
    size_t p = from;
    for (unsigned tries = 0; p < c->limit && tries < TH_MAX_RESYNC_TRIES;) {
        const char *q = memchr(s + p, '{', c->limit - p);
        if (!q)
            return 0;
        size_t at = (size_t)(q - s), b = at;
        p = at + 1;
        while (b > from && th_io_is_ws((unsigned char)s[b - 1]))
            b--;
        if (b <= from || s[b - 1] != ',')
            continue;
        tries++;
        th_io_scan_err err;
        size_t end = th_io_skip_value(s, c->limit, at, &err);
        if (!end)
            continue;
        size_t after = th_io_skip_ws(s, c->limit, end);
        if (after >= c->limit || (s[after] != ',' && s[after] != ']'))
            continue;
        if (is_event_text(in, at, end))
            return b - 1;
    }
    return 0;
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
        /* e.g. a missing ',': the element there is skipped, reading resumes
         * at the next whole one */
        malformed(in, err.at, 0, 0, err.reason, ran_off(&err) ? c->limit : err.at);
        size_t comma = err.at < c->limit ? resync(in, err.at + 1) : 0;
        if (comma)
            c->arr.pos = comma;
        else
            close_container(in, true);
        return false;
    }
    if (c->checked) {
        th_jcur k, v;
        th_str raw;
        if (th_jiter_next(&c->it, &k, &v) && (raw = th_jcur_raw(v)).p == in->s + a) {
            /* what parse_here and use_value would give, from the tape: a lazy
             * record on the container's tape (deferred mode: bare, the worker
             * scans its copy of the text) */
            size_t end = a + raw.n;
            c->arr.pos = end;
            th_io_class cls = th_io_classify_scan(v, &in->arena);
            if (in->defer)
                return use_class(in, cls, NULL, NULL, a, end, 0, false, out);
            th_jscan_set_root(in->cscan, v);
            return use_class(in, cls, NULL, in->cscan, a, end, 0, false, out);
        }
        c->checked = false; /* never seen: the tape and the bytes disagree; parse */
    }
    size_t end, next;
    th_jval *v = parse_here(in, a, c->limit, &end, &next);
    if (!v) {
        /* A damaged element (too deep, unterminated, bad token): resume at
         * the next whole element. The scanner's end of it is kept when it
         * comes first and is followed by ',' or ']' (it then found the end);
         * an unterminated string shifts its quoting, so it can be wrong. */
        size_t comma = resync(in, a + 1);
        size_t after = next ? th_io_skip_ws(in->s, c->limit, next) : 0;
        bool scan_ok =
            next && after < c->limit && (in->s[after] == ',' || in->s[after] == ']');
        if (scan_ok && (!comma || after <= comma))
            c->arr.pos = next;
        else if (comma)
            c->arr.pos = comma;
        else
            close_container(in, true); /* cannot tell where the element ends */
        return false;
    }
    c->arr.pos = next;
    return use_value(in, v, a, end, 0, false, out);
}

/* ---- modes ----------------------------------------------------------- */

/* A line longer than max_record: reported, then dropped chunk by chunk up to
 * its newline, so it is never held whole. */
static void skip_long_line(th_input *in, size_t ls)
{
    malformed(in, ls, in->line++, ls, limit_reason(in), ls);
    for (;;) {
        in->pos = in->n;
        bool more = th_io_pull(in, in->n);
        const char *nl = memchr(in->s, '\n', in->n);
        if (nl) {
            in->pos = (size_t)(nl - in->s) + 1;
            return;
        }
        if (!more && in->src.eof) {
            in->pos = in->n;
            return;
        }
    }
}

/* The '\n' that ends the NDJSON line at ls, or NULL when the window holds
 * none. Lazy mode on the reading thread alone: found by the scanner as it
 * loads the line (th_jscan_load_line), which take_line_lazy then finds
 * loaded when the line's value is all of it, so that its bytes are read once:
 * memchr's pass over every line cost 20.3 M instructions over b100k. */
static const char *find_line(th_input *in, size_t ls)
{
    if (ls >= in->n)
        return NULL;
    size_t n, nl;
    if (in->scan && !in->defer) {
        bool ok = th_jscan_load_line(in->scan, in->s + ls, in->n - ls, &n, &nl);
        if (nl != SIZE_MAX) {
            in->line_p = ok ? in->s + ls : NULL;
            in->line_n = n;
            return in->s + ls + nl;
        }
    }
    return memchr(in->s + ls, '\n', in->n - ls);
}

static bool ndjson_next(th_input *in, th_record *out)
{
    for (;;) {
        size_t ls = in->pos;
        if (in->src.base + ls >= in->part_to && in->src.base + ls != in->first) {
            /* the next part's line (the first value's is the part at 0's) */
            in->part_done = true;
            return false;
        }
        const char *nl;
        if (in->first_ls == in->s + ls) /* th_io_pick_mode looked for it already */
            nl = in->first_nl;
        else
            nl = find_line(in, ls);
        in->first_ls = NULL;
        if (!nl && !in->src.eof) {
            if (in->n - ls > in->opts.max_record)
                skip_long_line(in, ls);
            else
                th_io_pull(in, ls); /* the line goes on past the window: slide it */
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
        if (!no_container(s, a, b) && open_container(in, a, b))
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

/* NDJSON when the first value ends on the first line; a document when it is
 * an array or a well-formed value spanning lines. A first line that is broken
 * on its own (not merely continued) means NDJSON: line by line recovers best.
 * A document is taken whole into the window. */
file_mode th_io_pick_mode(th_input *in, size_t first)
{
    in->cscan_p = NULL; /* a new file: what cscan held was another file's */
    in->first_ls = NULL;
    in->line_p = NULL;
    if (in->s[first] == '[') {
        pull_all(in);
        return MODE_DOC;
    }
    const char *nl;
    while (!(nl = memchr(in->s + first, '\n', in->n - first)) && th_io_pull(in, 0))
        ;
    size_t le = nl ? (size_t)(nl - in->s) : in->n;
    in->first_ls = in->s + first; /* the window holds the line whole (nl, or eof) */
    in->first_nl = nl;
    if (in->cscan) {
        /* lazy mode: a first line the scanner accepts is one whole value (so
         * th_io_skip_value would end it on the line), and take_line_lazy and
         * check_container find it loaded */
        size_t e = le;
        while (e > first && th_io_is_ws((unsigned char)in->s[e - 1]))
            e--;
        if (e - first < ((size_t)4 << 30) - 64 &&
            th_jscan_load(in->cscan, in->s + first, e - first, NULL)) {
            in->cscan_p = in->s + first;
            in->cscan_n = e - first;
            in->cscan_strings_ok = false;
            return MODE_NDJSON;
        }
    }
    th_io_scan_err err;
    if (th_io_skip_value(in->s, le, first, &err) || le == in->n ||
        strncmp(err.reason, "unterminated", 12) != 0)
        return MODE_NDJSON;
    pull_all(in);
    return th_io_skip_value(in->s, in->n, first, &err) ? MODE_DOC : MODE_NDJSON;
}

bool th_io_file_next(th_input *in, th_record *out)
{
    if (in->cont.active)
        return container_next(in, out);
    if (in->mode == MODE_NDJSON)
        return ndjson_next(in, out);             /* slides the window itself */
    return in->pos < in->n && doc_next(in, out); /* the window holds it all */
}

/* ---- deferred mode ----------------------------------------------------------- */

bool th_input_judge_why(const char *text, size_t n, th_jscan *scan, th_arena *a,
                        th_rec_kind *kind, th_judged *why)
{
    *why = TH_JUDGED_SETTLE;
    /* take_line_lazy's checks, on the worker's own scanner */
    if (n >= ((size_t)4 << 30) - 64 || !th_jscan_load(scan, text, n, NULL) ||
        !loaded_strings_ok(scan, text, n))
        return false;
    th_io_class cls = th_io_classify_scan(th_jscan_root(scan), a);
    if (cls != TH_IO_CLOUDTRAIL && cls != TH_IO_ECS) {
        /* take_line_lazy would give use_class this class, which only counts
         * these two (never the file's sole value: that one is not deferred) */
        if (cls == TH_IO_OTHER)
            *why = TH_JUDGED_OTHER;
        else if (cls == TH_IO_DIGEST)
            *why = TH_JUDGED_DIGEST;
        return false;
    }
    *kind = cls == TH_IO_ECS ? TH_REC_ECS : TH_REC_CLOUDTRAIL;
    return true;
}

bool th_input_judge(const char *text, size_t n, th_jscan *scan, th_arena *a, th_rec_kind *kind)
{
    th_judged why;
    return th_input_judge_why(text, n, scan, a, kind, &why);
}

void th_input_settle_judged(th_input *in, uint64_t offset, uint64_t line, th_judged why)
{
    /* what th_input_settle's take_line does with such a line: use_class
     * counts it with not_event, whose offsets are the window's (base + 0 is
     * the line's offset). A deferred line is never the file's first value,
     * so not_event's sole-value case cannot apply: top is false. */
    uint64_t base = in->src.base;
    in->st.records--; /* counted when it was deferred */
    in->src.base = offset;
    not_event(in, why == TH_JUDGED_DIGEST ? TH_IO_DIGEST : TH_IO_OTHER, 0, 0, line, false);
    in->src.base = base;
}

void th_input_settle(th_input *in, th_str text, uint64_t offset, uint64_t line,
                     th_input_each_fn each, void *ctx)
{
    /* take_line over a window holding only the line: what it reports and
     * counts depends on the line's bytes, offset and number, the file (the
     * same one: th_input_next holds it open) and its tallies; the first-value
     * and gzip cases were never deferred. */
    const char *s = in->s;
    size_t n = in->n, pos = in->pos;
    uint64_t base = in->src.base;
    container cont = in->cont;
    in->st.records--; /* counted when it was deferred */
    in->defer = false;
    in->line_p = NULL;
    in->s = text.p;
    in->n = text.n;
    in->pos = text.n;
    in->src.base = offset;
    memset(&in->cont, 0, sizeof in->cont);
    th_arena_reset(&in->arena);
    th_record rec;
    if (take_line(in, 0, text.n, line, 0, &rec))
        each(ctx, &rec);
    while (in->cont.active)
        if (container_next(in, &rec))
            each(ctx, &rec);
    th_arena_reset(&in->arena);
    in->s = s;
    in->n = n;
    in->pos = pos;
    in->src.base = base;
    in->cont = cont;
    in->defer = true;
}
