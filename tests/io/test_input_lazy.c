/* io/ lazy mode (th_input_opts.lazy): for every input, a lazy run and an eager
 * run must give the same records (kind, file, offset, line, text), the same
 * tree from th_record_json, the same stats and the same diagnostics. The inputs
 * of the other io tests are checked this way by io_test_util.h's run_input; here:
 * hand-made NDJSON with every kind of bad line, each alone and all together,
 * plain and gzip'd (every check also in deferred mode, th_input_defer: the
 * lines judged and, when refused, settled as a pipeline's workers would have
 * them, or only counted from the verdict when it says they are no event);
 * containers (a minified one's elements lazy) and documents (DOM path,
 * scan NULL); max_record;
 * random mutations of valid lines under each scanner implementation; the shared
 * corpus (skipped when absent). */
#include "io_test_util.h"

#include <ftw.h>

#include "json/jscan.h"

#define CT(i)                                                                                      \
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-05T10:00:0" #i "Z\","                      \
    "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestID\":\"r" #i "\"}"
#define ECS_OBJ "{\"@timestamp\":\"2024-01-05T10:00:00.000Z\",\"event\":{\"action\":\"A\"}}"

typedef struct line_case {
    const char *p;
    size_t n; /* 0: strlen(p) */
} line_case;

#define L(s) {s, sizeof(s) - 1}

/* Lines that th_json_parse accepts or rejects for every reason it has, and
 * every class of value. */
static const line_case cases[] = {
    /* events, some with strings that need the content check */
    L(CT(1)),
    L(ECS_OBJ),
    L("{\"@timestamp\":\"x\",\"event.action\":\"B\"}"),
    L("{\"eventName\":\"caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 \x7F\"}"),
    L("{\"eventName\":\"a\\\"b\\\\\",\"k\":\"\\/\\b\\f\\n\\r\\t\\u00e9\\u0041\"}"),
    L("{\"eventName\":\"\\uD800x\\uDC00\\uD83D\\uDE00\\uDBFF\\uDBFF\\uD800\"}"),
    L("{\"event\\u004Eame\":\"escaped key\"}"),
    L("{\"@timestamp\":\"x\",\"ev\\u0065nt\":{}}"),
    L("{\"event\":1,\"@timestamp\":\"x\",\"event\":{}}"),
    L("{\"eventName\":\"x\",\"n\":[-0,1.5e+3,2E-2,0.0,-12,true,false,null,{},[]]}"),
    L("{\"eventName\":\"\\\\\"}"),
    L("{\"k\xC3\xA9y\":\"v\",\"eventTime\":\"t\"}"),
    /* whitespace a scanner must accept: tab and CR between tokens */
    L("{\"eventName\":\t\"tab between tokens\"}"),
    L("{\"eventName\" :\r\"cr between tokens\" }"),
    /* bad string contents */
    L("{\"eventName\":\"tab\tinside\"}"),
    L("{\"eventName\":\"ctl\x01inside\"}"),
    L("{\"eventName\":\"nul\0inside\"}"),
    L("{\"eventName\":\"cr\rinside\"}"),
    L("{\"eventName\":\"a\\qb\"}"),
    L("{\"eventName\":\"a\\\xC3\xA9\"}"),
    L("{\"eventName\":\"\\u12G4\"}"),
    L("{\"eventName\":\"\\u12\"}"),
    L("{\"eventName\":\"\\uD800\\uZZZZ\"}"),
    L("{\"eventName\":\"\\uD800\\u12\"}"),
    L("{\"eventName\":\"\\u\"}"),
    L("{\"eventName\":\"overlong \xC0\x80\"}"),
    L("{\"eventName\":\"surrogate \xED\xA0\x80\"}"),
    L("{\"eventName\":\"too big \xF4\x90\x80\x80\"}"),
    L("{\"eventName\":\"lead \xF5\x80\x80\x80\"}"),
    L("{\"eventName\":\"cont \x80\"}"),
    L("{\"eventName\":\"truncated \xE2\x82\"}"),
    L("{\"\xFF\":1,\"eventName\":\"bad key\"}"),
    /* bad structure, alone and after a bad string (th_json_parse's order) */
    L("{\"eventName\":\"abc}"),
    L("{\"eventName\":\"abc\\\"}"),
    L("{\"a\":\"\xFF\",\"eventName\":\"x}"),
    L("{\"a\":\"\\q\",\"eventName\":1,}"),
    L("{\"eventName\":\"a\"} x"),
    L("{\"eventName\":\"a\"}}"),
    L("{\"eventName\":\"a\"}{\"eventName\":\"b\"}"),
    L("{\"eventName\":\"a\"\\}"),
    L("{\"eventName\":\"a\",\\\"b\":1}"),
    L("{\"eventName\":\"a\" \xC3\xA9}"),
    L("{\"eventName\":01}"),
    L("{\"eventName\":1.}"),
    L("{\"eventName\":-}"),
    L("{\"eventName\":1e}"),
    L("{\"eventName\":tru}"),
    L("{\"eventName\":nulls}"),
    L("{\"eventName\":\x01}"),
    L("{\"eventName\" \"x\"}"),
    L("{\"eventName\":\"x\" \"y\":1}"),
    L("{eventName:1}"),
    L("{\"eventName\":[1,2}"),
    L("{\"eventName\":"),
    L("{"),
    L("}"),
    L("\"just a string\""),
    L("42"),
    L("null"),
    L("nope"),
    /* non-events, digests, containers */
    L("{\"a\":1}"),
    L("{}"),
    L("{\"@timestamp\":\"x\",\"event\":1}"),
    L("{\"digestStartTime\":\"a\",\"digestEndTime\":\"b\",\"digestS3Bucket\":\"c\"}"),
    L("{\"Records\":[" CT(2) ",{\"a\":1}," CT(3) "]}"),
    L("{ \"Records\" : [ " CT(4) " ] , \"x\" : 1 }"),
    L("{\"x\":{\"Records\":1},\"Records\":[" CT(5) "],\"y\":[\"]\"]}"),
    L("{\"x\":1,\"Records\":[" CT(6) ",\"bad\xFF\"]}"),
    L("{\"Records\":5}"),
    L("{\"Records\":[" CT(7) "]} trailing"),
    L("[" CT(8) ",7]"),
    L("[1,2"),
    /* blank lines */
    L(""),
    L("   \t "),
};
#define NCASES (sizeof cases / sizeof *cases)

/* `[` * depth, an event inside, `]` * depth. */
static char *nested(size_t depth, bool close)
{
    size_t n = 0;
    char *s = malloc(2 * depth + 64);
    n += (size_t)sprintf(s, "{\"eventName\":\"deep\",\"x\":");
    memset(s + n, '[', depth);
    n += depth;
    if (close) {
        memset(s + n, ']', depth);
        n += depth;
        s[n++] = '}';
    }
    s[n] = '\0';
    return s;
}

static void put(th_buf *b, const char *p, size_t n)
{
    th_buf_put(b, p, n);
}

/* All the cases, one per line; `crlf` ends lines with CR LF. */
static void all_cases(th_buf *b, bool crlf)
{
    /* a first line long enough that NUL bytes later are past start_file's look */
    put(b, "{\"eventName\":\"pad\",\"p\":\"", 24);
    for (int i = 0; i < 4200; i++)
        put(b, "p", 1);
    put(b, "\"}\n", 3);
    for (size_t i = 0; i < NCASES; i++) {
        put(b, cases[i].p, cases[i].n);
        put(b, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
    }
    for (size_t d = 510; d <= 514; d++) {
        char *s = nested(d, d % 2 == 0);
        put(b, s, strlen(s));
        put(b, "\n", 1);
        free(s);
    }
}

static void check_file(const char *path, const th_input_opts *o, size_t *lazy)
{
    const char *paths[1] = {path};
    got g;
    *lazy += run_both(&g, paths, 1, o);
    got_free(&g);
}

static void every_line_alone_and_together(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    size_t lazy = 0;
    char *p = tmp_path(dir, "one.ndjson");
    for (size_t i = 0; i < NCASES; i++) {
        /* the case first (it picks the file's mode), then between events */
        for (int where = 0; where < 2; where++) {
            th_buf b;
            th_buf_init(&b);
            if (where)
                put(&b, CT(1) "\n", sizeof(CT(1)));
            put(&b, cases[i].p, cases[i].n);
            put(&b, "\n" CT(2) "\n", sizeof(CT(2)) + 1);
            write_bytes(p, b.data, b.len);
            check_file(p, &o, &lazy);
            th_buf_free(&b);
        }
    }
    free(p);
    for (int crlf = 0; crlf < 2; crlf++) {
        th_buf b;
        th_buf_init(&b);
        all_cases(&b, crlf);
        p = tmp_path(dir, crlf ? "all_crlf.ndjson" : "all.ndjson");
        write_bytes(p, b.data, b.len);
        const char *paths[1] = {p};
        got g;
        size_t l = run_both(&g, paths, 1, &o);
        lazy += l;
        /* more than the per-file cap of malformed lines: the summary line too */
        assert_true(g.st.records_malformed > 20);
        assert_non_null(find_diag(&g, "more malformed records"));
        assert_true(l > 10 && l < g.n); /* lazy records and DOM ones (containers, tabs) */
        /* deferred mode took most lines, and held the file's end once */
        assert_true(g.n_deferred > 10);
        assert_int_equal(g.holds, 1);
        /* and counted the non-events ({"a":1}, {}, the digest ...) from the
         * workers' verdict, with the same counts and messages */
        assert_true(g.n_judged >= 4);
        got_free(&g);
        free(p);
        /* gzip'd, and with a max_record that cuts the long first line */
        size_t gl;
        unsigned char *gz = gzip_member(b.data, b.len, &gl);
        p = tmp_path(dir, "all.ndjson.gz");
        write_bytes(p, gz, gl);
        check_file(p, &o, &lazy);
        th_input_opts small = o;
        small.max_record = 600;
        check_file(p, &small, &lazy);
        free(gz);
        free(p);
        th_buf_free(&b);
    }
    print_message("  %zu lazy records\n", lazy);
    assert_true(lazy > 50);
    tmp_rm(dir);
}

static void containers_lazy_and_documents_parsed(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    write_file(dir, "mini.json", "{\"Records\":[" CT(1) "," CT(2) "]}");
    write_file(dir, "pretty.json", "{\n  \"Records\": [\n    " CT(1) "\n  ]\n}\n");
    write_file(dir, "arr.json", "[\n " CT(1) ",\n " ECS_OBJ ",\n 42\n]\n");
    write_file(dir, "stream.json", "{\n  \"eventName\": \"A\"\n}\n{\n  \"eventName\": \"B\"\n}\n");
    write_file(dir, "digest.json", "{\"digestStartTime\":\"a\",\"digestEndTime\":\"b\"}\n");
    write_file(dir, "manifest.json", "{\"files\":[1,2]}");
    write_file(dir, "mixed.ndjson", CT(1) "\n{\"Records\":[" CT(2) "]}\n" ECS_OBJ "\n");
    /* a checked container with a non-event element, and one with a tab
     * between tokens (the string check refuses it: parsed) */
    write_file(dir, "nonevent.json", "{\"Records\":[" CT(3) ",{\"a\":1}," ECS_OBJ ",7]}");
    write_file(dir, "tab.json", "{\"Records\":[\t" CT(4) "]}");
    const char *names[] = {"mini.json",   "pretty.json",   "arr.json",     "stream.json",
                           "digest.json", "manifest.json", "mixed.ndjson", "nonevent.json",
                           "tab.json"};
    /* the event elements of a minified container (its one line checked
     * whole) come as lazy records on the container's tape; in deferred mode
     * bare (neither tree nor scanner: the worker scans them) */
    const size_t want_lazy[] = {2, 0, 0, 0, 0, 0, 3, 2, 0};
    const size_t want_bare[] = {2, 0, 0, 0, 0, 0, 1, 2, 0};
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char *p = tmp_path(dir, names[i]);
        const char *paths[1] = {p};
        got g;
        assert_int_equal(run_both(&g, paths, 1, &o), want_lazy[i]);
        assert_int_equal(g.n_bare, want_bare[i]);
        got_free(&g);
        free(p);
    }
    /* the whole directory in one run */
    const char *paths[1] = {dir};
    got g;
    assert_int_equal(run_both(&g, paths, 1, &o), 7);
    assert_int_equal(g.n, 13);
    assert_int_equal(g.n_bare, 5);
    got_free(&g);
    tmp_rm(dir);
}

/* A lazy record's scanner holds exactly its text, and th_record_json is the
 * tree th_json_parse gives for it. */
static void lazy_record_scanner_holds_the_text(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *text = "  " CT(1) "  \n" ECS_OBJ "\r\n";
    write_file(dir, "a.ndjson", text);
    char *p = tmp_path(dir, "a.ndjson");
    const char *paths[1] = {p};
    th_diags d;
    th_diags_init(&d);
    th_input_opts o;
    th_input_opts_default(&o, &d);
    o.lazy = true;
    th_input *in = th_input_open(paths, 1, &o);
    th_record r;
    th_arena a;
    th_arena_init(&a, 0);
    size_t n = 0;
    while (th_input_next(in, &r)) {
        assert_null(r.json);
        assert_non_null(r.scan);
        th_str raw = th_jcur_raw(th_jscan_root(r.scan));
        assert_int_equal(raw.n, r.text.n);
        assert_ptr_equal(raw.p, r.text.p);
        th_jcur c;
        assert_true(th_jcur_path(th_jscan_root(r.scan), n ? "event.action" : "eventName", &c));
        th_jval *v = th_record_json(&r, &a, NULL);
        th_jval *w = th_json_parse(&a, r.text.p, r.text.n, NULL);
        assert_true(th_json_equal(v, w));
        n++;
    }
    assert_int_equal(n, 2);
    assert_int_equal(d.len, 0);
    th_input_close(in);
    th_arena_free(&a);
    th_diags_free(&d);
    free(p);
    tmp_rm(dir);
}

/* xorshift64*: reproducible mutations */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

/* Valid lines with one to three bytes replaced or inserted, drawn mostly from
 * what string checks are about; every scanner implementation the CPU has. */
static void random_mutations_agree(void **state)
{
    (void)state;
    static const unsigned char picks[] = {'"',  '\\', 'u',  '{',  '}',  '[',  ']',  ':',
                                          ',',  '\t', '\r', 0x01, 0x00, 0x7F, 0x80, 0xBF,
                                          0xC0, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xF5, 0xFF,
                                          'D',  '8',  'e',  '-',  '0',  ' ',  'n',  'A'};
    static const char *seeds[] = {
        CT(1),
        ECS_OBJ,
        "{\"eventName\":\"caf\xC3\xA9 \xF0\x9F\x98\x80\",\"a\":\"\\uD83D\\uDE00\\n\\\"\"}",
        "{\"eventSource\":\"x\",\"requestParameters\":{\"policy\":\"{\\\"V\\\":[1,2.5e3]}\"}}",
    };
    /* files of 20 mutated lines, so that every malformed line is reported
     * (TH_MAX_INPUT_DIAGS_PER_FILE) and its message compared */
    char *dir = tmp_dir();
    for (int f = 0; f < 1000; f++) {
        th_buf b;
        th_buf_init(&b);
        for (int k = 0; k < 30; k++) /* past start_file's look for NUL bytes */
            put(&b, CT(9) "\n", sizeof(CT(9)));
        for (int k = 0; k < 20; k++) {
            const char *s = seeds[rnd() % (sizeof seeds / sizeof *seeds)];
            char line[512];
            size_t n = strlen(s);
            memcpy(line, s, n);
            int edits = 1 + (int)(rnd() % 3);
            for (int e = 0; e < edits; e++) {
                size_t at = (size_t)(rnd() % n);
                unsigned char c = picks[rnd() % sizeof picks];
                if (rnd() % 2) {
                    line[at] = (char)c;
                } else if (n + 1 < sizeof line) {
                    memmove(line + at + 1, line + at, n - at);
                    line[at] = (char)c;
                    n++;
                }
            }
            put(&b, line, n);
            put(&b, "\n", 1);
        }
        char rel[64];
        snprintf(rel, sizeof rel, "mut/%04d.ndjson", f);
        char *p = tmp_path(dir, rel);
        write_bytes(p, b.data, b.len);
        free(p);
        th_buf_free(&b);
    }
    char *p = tmp_path(dir, "mut");
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    const th_jscan_impl impls[] = {TH_JSCAN_SCALAR, TH_JSCAN_SSE, TH_JSCAN_AVX2, TH_JSCAN_AVX512};
    for (size_t i = 0; i < sizeof impls / sizeof impls[0]; i++) {
        if (!th_jscan_supported(impls[i]))
            continue;
        setenv("TH_JSCAN", th_jscan_impl_name(impls[i]), 1);
        const char *paths[1] = {p};
        got g;
        size_t lazy = run_both(&g, paths, 1, &o);
        print_message("  %s: %zu records (%zu lazy), %llu malformed, %llu not events\n",
                      th_jscan_impl_name(impls[i]), g.n, lazy,
                      (unsigned long long)g.st.records_malformed,
                      (unsigned long long)g.st.records_not_events);
        assert_true(lazy > 1000 && g.st.records_malformed > 1000);
        assert_int_equal(count_diags(&g, TH_SEV_ERROR), g.st.records_malformed);
        got_free(&g);
    }
    unsetenv("TH_JSCAN");
    free(p);
    tmp_rm(dir);
}

/* Deferred mode keeps the scanner of a file's first line for its container
 * check (th_io_pick_mode loads it). Files one after another whose first lines
 * sit at the same place in the reused window and are as long, the second an
 * unterminated container: the same records, stats and messages as eager. */
static void container_check_is_per_file(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    write_file(dir, "0.ndjson", CT(1) "\n");
    write_file(dir, "a.ndjson", "{\"abcdefg\":[7],\"k\":\"vvvv\"}\n" CT(2) "\n");
    write_file(dir, "b.ndjson", "{\"Records\":[77],\"k\":\"vvvv\"\n" CT(3) "\n");
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    const char *paths[1] = {dir};
    got g;
    run_both(&g, paths, 1, &o);
    assert_int_equal(g.n, 3);
    got_free(&g);
    tmp_rm(dir);
}

/* Files read whole as jobs (th_input_defer_files, as a pipeline's workers
 * read S3 objects): a tree of good, truncated, corrupt and empty gzip'd
 * objects, a digest, text that is not JSON and an NDJSON file with bad lines
 * (deferred lines inside a job, settled at once) gives, file by file, the
 * records, stats and messages of reading it in one input (run_both's last
 * run); every file came as a job. */
static void files_read_whole_agree(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *day = "AWSLogs/1/CloudTrail/us-east-1/2024/01/05/";
    char rel[256];
    snprintf(rel, sizeof rel, "%sa.json.gz", day);
    write_gz(dir, rel, "{\"Records\":[" CT(1) "," CT(2) "," ECS_OBJ "]}");
    snprintf(rel, sizeof rel, "%sb.json.gz", day);
    write_gz(dir, rel, "{\"Records\":[" CT(3) ",7,{\"x\":1}," CT(4) "]}");
    size_t n;
    const char *whole = "{\"Records\":[" CT(5) "," CT(6) "," CT(7) "," CT(8) "]}\n";
    unsigned char *gz = gzip_member(whole, strlen(whole), &n);
    snprintf(rel, sizeof rel, "%sc-truncated.json.gz", day);
    char *p = tmp_path(dir, rel);
    write_bytes(p, gz, n - 12);
    free(p);
    gz[n / 2] ^= 0x5a;
    snprintf(rel, sizeof rel, "%sd-corrupt.json.gz", day);
    p = tmp_path(dir, rel);
    write_bytes(p, gz, n);
    free(p);
    free(gz);
    snprintf(rel, sizeof rel, "%se-empty.json.gz", day);
    write_gz(dir, rel, "");
    snprintf(rel, sizeof rel, "%sf-digest.json", day);
    write_file(dir, rel,
               "{\"awsAccountId\":\"1\",\"digestStartTime\":\"x\",\"digestEndTime\":\"y\","
               "\"digestS3Bucket\":\"b\",\"digestS3Object\":\"o\",\"logFiles\":[]}");
    write_file(dir, "notes.txt", "not json\n");
    write_file(dir, "lines.ndjson",
               CT(1) "\n{\"eventName\":\n" CT(2) "\n[1,2\n{\"Records\":[" CT(3) "]}\n"
                     "{\"foo\":1}\n" CT(4) "\n");
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    const char *paths[1] = {dir};
    got g;
    run_both(&g, paths, 1, &o);
    assert_int_equal(g.n_files, 8);
    assert_true(g.n >= 12);
    assert_true(g.st.records_malformed >= 3 && g.st.gzip_errors == 2 && g.st.files_digest == 1);
    got_free(&g);
    tmp_rm(dir);
}

/* A file over several of io's windows (1 MiB, then 2), deferred lines of
 * every case among events, and a line longer than a window: a caller that
 * keeps deferred lines in io's windows (th_input_give_windows, run_both's
 * held run) finds them unchanged until it lets them go, and reads the same
 * records, stats and messages as the eager run. */
static void windows_given_up_agree(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    th_buf b;
    th_buf_init(&b);
    all_cases(&b, false);
    for (int rep = 0; b.len < (5u << 20); rep++) {
        if (rep == 40) { /* a long event: the window grows to hold it */
            put(&b, "{\"eventName\":\"long\",\"p\":\"", 26);
            for (int i = 0; i < (3 << 20) / 64; i++)
                put(&b, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 64);
            put(&b, "\"}\n", 3);
        }
        for (size_t i = 0; i < NCASES; i++) {
            put(&b, cases[i].p, cases[i].n);
            put(&b, rep % 2 ? "\r\n" : "\n", rep % 2 ? 2 : 1);
            put(&b, CT(3) "\n", sizeof(CT(3)));
        }
    }
    char *p = tmp_path(dir, "big.ndjson");
    write_bytes(p, b.data, b.len);
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    const char *paths[1] = {p};
    got g;
    run_both(&g, paths, 1, &o);
    print_message("  %zu records, %zu deferred, %zu windows taken, %zu parts in %zu runs\n", g.n,
                  g.n_deferred, g.n_taken, g.n_parts, g.parts_runs);
    assert_true(g.n_taken >= 2);
    assert_true(g.n_deferred > 10000);
    assert_int_equal(g.parts_runs, 2); /* 4 KiB and 64 KiB parts */
    assert_true(g.n_parts > 1000);
    got_free(&g);
    free(p);
    th_buf_free(&b);
    tmp_rm(dir);
}

/* A big NDJSON file read in parts on workers (th_input_defer_parts), with
 * parts of 1, 13, 256, 4096 and 65536 bytes (run_both): a byte order mark
 * and blank lines before the first value (whose line is the first part's
 * though the part ends before it), CRLF, blank and malformed lines past the
 * file's cap of shown messages (each part shows its own first ones), values
 * that are no events (the file's first one named by its line), a container
 * line, no final newline: the same records with the same lines, stats and
 * messages as the file read whole. */
static void parts_read_as_the_whole_file(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    th_buf b;
    th_buf_init(&b);
    put(&b, "\xEF\xBB\xBF\n\n" CT(1) "\n", sizeof("\xEF\xBB\xBF\n\n" CT(1) "\n") - 1);
    for (int i = 0; i < 40; i++) {
        static const char rest[] = "{\"eventName\":\n" CT(2) "\r\n\n{\"a\":1}\n";
        put(&b, rest, sizeof rest - 1);
    }
    static const char end[] = "{\"Records\":[" CT(3) "," CT(4) "]}";
    put(&b, end, sizeof end - 1);
    char *p = tmp_path(dir, "parts.ndjson");
    write_bytes(p, b.data, b.len);
    got g;
    run_one(&g, p);
    assert_int_equal(g.parts_runs, 5);
    assert_true(g.n_parts > b.len);
    assert_int_equal(g.n, 43);
    assert_int_equal(g.r[0].line, 1); /* the first value's line is line 1 */
    assert_int_equal(g.r[1].line, 3);
    assert_int_equal(g.r[40].line, 159);
    assert_int_equal(g.st.records_malformed, 40);
    assert_int_equal(g.st.records_not_events, 40);
    assert_int_equal(g.st.bytes, b.len);
    assert_int_equal(must_find_diag(&g, "neither CloudTrail")->line, 5);
    assert_non_null(find_diag(&g, "20 more malformed records"));
    size_t shown = 0;
    for (size_t i = 0; i < g.d.len; i++)
        if (strstr(g.d.items[i].message, "malformed record:")) {
            assert_int_equal(g.d.items[i].line, 2 + 4 * shown);
            shown++;
        }
    assert_int_equal(shown, 20);
    got_free(&g);
    free(p);
    th_buf_free(&b);
    tmp_rm(dir);
}

/* The last part of a file reads to its end (its stop is the largest offset):
 * files of 16,385 to 20,480 bytes, whose last 4,096-byte part (run_both) starts
 * at 16 KiB and reads from offset 16,383, where the bytes a read may take past
 * its stop once wrapped to none and the read went on for ever. */
static void last_part_reads_to_the_end(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char *p = tmp_path(dir, "last.ndjson");
    static const size_t sizes[] = {16385, 16390, 18000, 20480};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        th_buf b;
        th_buf_init(&b);
        while (b.len + sizeof(CT(1)) < sizes[k])
            put(&b, CT(1) "\n", sizeof(CT(1)));
        while (b.len < sizes[k] - 1)
            put(&b, " ", 1);
        put(&b, "\n", 1);
        write_bytes(p, b.data, b.len);
        got g;
        run_one(&g, p);
        assert_true(g.parts_runs >= 3); /* 13, 256 and 4,096 bytes (1 too, for the smaller) */
        assert_int_equal(g.st.bytes, sizes[k]);
        assert_int_equal(g.n, (sizes[k] - 1) / (sizeof(CT(1))));
        got_free(&g);
        th_buf_free(&b);
    }
    free(p);
    tmp_rm(dir);
}

static void shared_corpus_agrees(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    static const char *folders[] = {"cloudtrail-real", "ecs", "integration-pipeline", "oracle",
                                    "detection-rules", "geoip-test", "toml-test"};
    th_input_opts o;
    th_input_opts_default(&o, NULL);
    size_t total = 0, lazy = 0;
    for (size_t i = 0; i < sizeof folders / sizeof *folders; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", corpus, folders[i]);
        const char *paths[1] = {path};
        got g;
        lazy += run_both(&g, paths, 1, &o);
        total += g.n;
        got_free(&g);
    }
    print_message("  corpus: %zu records, %zu of them lazy\n", total, lazy);
    assert_true(lazy > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_line_alone_and_together),
        cmocka_unit_test(containers_lazy_and_documents_parsed),
        cmocka_unit_test(lazy_record_scanner_holds_the_text),
        cmocka_unit_test(random_mutations_agree),
        cmocka_unit_test(container_check_is_per_file),
        cmocka_unit_test(files_read_whole_agree),
        cmocka_unit_test(windows_given_up_agree),
        cmocka_unit_test(parts_read_as_the_whole_file),
        cmocka_unit_test(last_part_reads_to_the_end),
        cmocka_unit_test(shared_corpus_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
