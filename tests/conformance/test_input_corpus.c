/* io/ against the shared corpus: for each folder, th_input's record counts
 * must match an independent count made here a different way (whole-file
 * parse of each file through zlib's gzread, Records lengths, line by line),
 * and every record's text must re-parse to the record it came with.
 * Skips visibly when ../shared/corpus is absent. */
#define _XOPEN_SOURCE 700 /* nftw */
#include "th_test.h"

#include <ftw.h>
#include <zlib.h>

#include "base/timeutil.h"
#include "io/input.h"

typedef struct expect {
    uint64_t events, not_events, files, files_skipped;
} expect;

static expect g_exp; /* nftw offers no context pointer */

static bool is_event(const th_jval *v)
{
    if (!th_jis(v, TH_JOBJ))
        return false;
    static const char *ct[] = {"eventVersion", "eventTime", "eventSource", "eventName"};
    for (size_t i = 0; i < 4; i++)
        if (th_jobj_get(v, ct[i]))
            return true;
    if (!th_jobj_get(v, "@timestamp"))
        return false;
    if (th_jis(th_jobj_get(v, "event"), TH_JOBJ))
        return true;
    for (uint32_t i = 0; i < v->len; i++)
        if (th_str_starts(v->u.members[i].key, "event."))
            return true;
    return false;
}

/* The whole content, inflated when gzip'd (gzread passes plain files through). */
static char *slurp(const char *path, size_t *len)
{
    gzFile f = gzopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    int r;
    while ((r = gzread(f, buf + n, (unsigned)(cap - n))) > 0) {
        n += (size_t)r;
        if (n == cap)
            buf = realloc(buf, (cap *= 2) + 1);
    }
    gzclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static void count_values(const th_jval *v, expect *e)
{
    if (is_event(v))
        e->events++;
    else
        e->not_events++;
}

static int count_file(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (type != FTW_F)
        return 0;
    size_t n = 0;
    char *text = slurp(path, &n);
    assert_non_null(text);
    size_t i = 0;
    if (n >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < n && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == n || (text[i] != '{' && text[i] != '[')) {
        g_exp.files_skipped += i < n; /* empty files count as read */
        g_exp.files += i == n;
        free(text);
        return 0;
    }
    th_arena a;
    th_arena_init(&a, 0);
    th_jval *whole = th_json_parse(&a, text, n, NULL);
    expect e = {0};
    if (whole && th_jis(whole, TH_JARR)) {
        for (uint32_t k = 0; k < whole->len; k++)
            count_values(whole->u.items[k], &e);
    } else if (whole && !is_event(whole) && th_jis(th_jobj_get(whole, "Records"), TH_JARR)) {
        th_jval *r = th_jobj_get(whole, "Records");
        for (uint32_t k = 0; k < r->len; k++)
            count_values(r->u.items[k], &e);
    } else if (whole && !is_event(whole)) {
        e.files_skipped = 1; /* a lone document holding no events */
    } else {
        for (char *line = text; line && *line;) {
            char *nl = strchr(line, '\n');
            size_t ll = nl ? (size_t)(nl - line) : strlen(line);
            th_jval *v = th_json_parse(&a, line, ll, NULL);
            if (v)
                count_values(v, &e);
            else
                assert_true(strspn(line, " \t\r") >= ll); /* the corpus has no bad lines */
            line = nl ? nl + 1 : NULL;
        }
    }
    g_exp.events += e.events;
    g_exp.not_events += e.not_events;
    g_exp.files_skipped += e.files_skipped;
    g_exp.files += !e.files_skipped;
    th_arena_free(&a);
    free(text);
    return 0;
}

/* Reads `rel` under the corpus with th_input and checks it against the
 * independent count; returns records read (for the RATE line). */
static uint64_t check_folder(const char *corpus, const char *rel, uint64_t *want)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", corpus, rel);
    memset(&g_exp, 0, sizeof g_exp);
    assert_int_equal(nftw(path, count_file, 16, 0), 0);
    th_diags d;
    th_diags_init(&d);
    th_input_opts o;
    th_input_opts_default(&o, &d);
    const char *paths[] = {path};
    th_input *in = th_input_open(paths, 1, &o);
    th_record r;
    th_arena a;
    th_arena_init(&a, 0);
    while (th_input_next(in, &r)) {
        /* the text is exactly the record: it parses back to an equal tree */
        th_jval *again = th_json_parse(&a, r.text.p, r.text.n, NULL);
        assert_non_null(again);
        assert_true(th_json_equal(again, r.json));
        th_arena_reset(&a);
    }
    const th_input_stats *st = th_input_stats_get(in);
    print_message("  %s: %llu records, %llu skipped; files %llu read, %llu skipped\n", rel,
                  (unsigned long long)st->records, (unsigned long long)st->records_skipped,
                  (unsigned long long)st->files, (unsigned long long)st->files_skipped);
    assert_int_equal(st->records, g_exp.events);
    assert_int_equal(st->records_skipped, g_exp.not_events);
    assert_int_equal(st->records_malformed, 0);
    assert_int_equal(st->files, g_exp.files);
    assert_int_equal(st->files_skipped, g_exp.files_skipped);
    assert_int_equal(d.errors, 0);
    uint64_t got = st->records;
    *want = g_exp.events;
    th_input_close(in);
    th_arena_free(&a);
    th_diags_free(&d);
    return got;
}

static void corpus_folders_match_independent_counts(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    static const char *folders[] = {
        "cloudtrail-real/panther-analysis-rule-tests",
        "cloudtrail-real/otrf-security-datasets",
        "cloudtrail-real/trailscraper-fixtures",
        "integration-pipeline",
        "oracle/events.ndjson",
    };
    char rate[1024] = "RATE: input corpus records";
    for (size_t i = 0; i < sizeof folders / sizeof *folders; i++) {
        uint64_t want = 0, got = check_folder(corpus, folders[i], &want);
        size_t l = strlen(rate);
        snprintf(rate + l, sizeof rate - l, "%s %s %llu/%llu", i ? "," : "", folders[i],
                 (unsigned long long)got, (unsigned long long)want);
    }
    print_message("%s\n", rate);
}

/* Facts stated by the corpus READMEs, checked through th_input. */
static void corpus_readme_facts(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    static const struct {
        const char *rel;
        uint64_t records;
    } facts[] = {
        {"cloudtrail-real/otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl",
         103},
        {"cloudtrail-real/trailscraper-fixtures/"
         "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
         2},
        {"cloudtrail-real/trailscraper-fixtures/events-for-smoke-test.json", 3},
        {"cloudtrail-real/panther-analysis-rule-tests/scenarios-events.jsonl", 27},
    };
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", corpus, facts[i].rel);
        th_diags d;
        th_diags_init(&d);
        th_input_opts o;
        th_input_opts_default(&o, &d);
        const char *paths[] = {path};
        th_input *in = th_input_open(paths, 1, &o);
        th_record r;
        uint64_t n = 0;
        while (th_input_next(in, &r))
            n += r.kind == TH_REC_CLOUDTRAIL;
        assert_int_equal(n, facts[i].records);
        assert_int_equal(d.len, 0);
        th_input_close(in);
        th_diags_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_folders_match_independent_counts),
        cmocka_unit_test(corpus_readme_facts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
