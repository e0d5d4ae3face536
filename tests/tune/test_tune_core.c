/* tune/: before/after comparison and reports (text, JSON, HTML), on
 * hand-made alert sets (noise: test_noise.c). */
#include "th_test.h"

#include "base/timeutil.h"
#include "tune/report.h"
#include "tune/tune.h"

/* Builds an alert set from NDJSON text (one ECS document per line). */
static void load(th_arena *a, th_talerts *s, const char *ndjson)
{
    const char *p = ndjson;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n) {
            th_json_error err;
            th_jval *doc = th_json_parse(a, p, n, &err);
            assert_non_null(doc);
            th_talert al;
            assert_true(th_talert_from_doc(doc, &al));
            th_talerts_push(s, al);
        }
        p += n + (nl ? 1 : 0);
    }
}

#define EV(id, ts, ip, ua)                                                                         \
    "{\"event\":{\"id\":\"" id "\"},\"@timestamp\":\"" ts "\"" ip ",\"user_agent\":"               \
    "{\"original\":\"" ua "\"},\"user\":{\"name\":\"u-" id "\"}}\n"
#define IP(x) ",\"source\":{\"ip\":\"" x "\"}"

/* Ten alerts over three days: four AWS-internal (no source.ip), six external,
 * two of which are console-ish "aws-cli/" agents. */
static const char before_ndjson[] = EV("a1", "2026-10-01T01:00:00Z", "", "AWS Internal")
    EV("a2", "2026-10-01T02:00:00Z", "",
       "AWS Internal") EV("a3", "2026-10-02T01:00:00Z", "",
                          "AWS Internal") EV("a4", "2026-10-03T01:00:00Z", "", "AWS Internal")
        EV("x1", "2026-10-01T03:00:00Z", IP("198.51.100.7"), "aws-cli/2.15.0")
            EV("x2", "2026-10-02T03:00:00Z", IP("198.51.100.7"), "aws-cli/2.13.1")
                EV("x3", "2026-10-02T04:00:00Z", IP("203.0.113.9"), "Boto3/1.34 Python/3.11")
                    EV("x4", "2026-10-03T05:00:00Z", IP("203.0.113.9"), "Boto3/1.34 Python/3.11")
                        EV("x5", "2026-10-03T06:00:00Z", IP("203.0.113.10"), "curl/8.0")
                            EV("x6", "2026-10-03T07:00:00Z", IP("203.0.113.11"), "Terraform/1.6");

static const char after_ndjson[] =
    EV("x1", "2026-10-01T03:00:00Z", IP("198.51.100.7"),
       "aws-cli/2.15.0") EV("x2", "2026-10-02T03:00:00Z", IP("198.51.100.7"), "aws-cli/2.13.1")
        EV("x3", "2026-10-02T04:00:00Z", IP("203.0.113.9"), "Boto3/1.34 Python/3.11")
            EV("x4", "2026-10-03T05:00:00Z", IP("203.0.113.9"), "Boto3/1.34 Python/3.11")
                EV("x5", "2026-10-03T06:00:00Z", IP("203.0.113.10"), "curl/8.0")
                    EV("x6", "2026-10-03T07:00:00Z", IP("203.0.113.11"), "Terraform/1.6")
                        EV("n1", "2026-10-03T08:00:00Z", IP("192.0.2.1"), "python-requests/2.31");

static const char *const fields[] = {"source.ip", "user_agent.original"};

typedef struct fixture {
    th_arena a;
    th_talerts before, after;
    th_labels labels;
    th_tune_diff d;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    th_arena_init(&f->a, 1 << 16);
    load(&f->a, &f->before, before_ndjson);
    load(&f->a, &f->after, after_ndjson);
    th_labels_init(&f->labels);
    static const char labels[] =
        "{\"eventID\":\"x3\",\"malicious\":true,\"expected_rules\":[\"r-1\"]}\n"
        "{\"eventID\":\"a2\",\"malicious\":true,\"expected_rules\":[\"r-1\"]}\n"
        "{\"eventID\":\"x5\",\"malicious\":true,\"expected_rules\":[\"other\"]}\n"
        "{\"eventID\":\"x6\",\"malicious\":false}\n"
        "not json\n";
    size_t bad = th_labels_load_ndjson(&f->labels, labels, sizeof labels - 1, "r-1", NULL,
                                       "labels.ndjson", NULL);
    assert_int_equal(bad, 1);
    th_tune_opts o = {.fields = fields,
                      .nfields = 2,
                      .top_k = 3,
                      .from_ms = TH_TIME_NONE,
                      .to_ms = TH_TIME_NONE,
                      .labels = &f->labels};
    th_tune_diff_compute(&f->a, &f->before, &f->after, &o, &f->d);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_talerts_free(&f->before);
    th_talerts_free(&f->after);
    th_labels_free(&f->labels);
    th_arena_free(&f->a);
    free(f);
    return 0;
}

static void diff_counts_removed_added_and_days(void **state)
{
    fixture *f = *state;
    const th_tune_diff *d = &f->d;
    assert_int_equal(d->nbefore, 10);
    assert_int_equal(d->nafter, 7);
    assert_int_equal(d->nremoved, 4);
    assert_int_equal(d->nadded, 1);
    assert_int_equal(d->nkept, 6);
    assert_true(th_str_eqc(d->removed[0]->id, "a1")); /* time order */
    assert_true(th_str_eqc(d->removed[3]->id, "a4"));
    assert_true(th_str_eqc(d->added[0]->id, "n1"));
    assert_int_equal(d->ndays, 3);
    size_t want_b[] = {3, 3, 4}, want_a[] = {1, 2, 4};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(d->days[i].before, want_b[i]);
        assert_int_equal(d->days[i].after, want_a[i]);
    }
    char day[16];
    th_tune_day_text(d->days[0].day, day);
    assert_string_equal(day, "2026-10-01");
}

static void diff_groups_removed_by_field(void **state)
{
    fixture *f = *state;
    const th_tune_top *ip = &f->d.removed_top[0], *ua = &f->d.removed_top[1];
    assert_string_equal(ip->field, "source.ip");
    assert_int_equal(ip->missing, 4);
    assert_int_equal(ip->nvalues, 0);
    assert_int_equal(ua->missing, 0);
    assert_int_equal(ua->nvalues, 1);
    assert_true(th_str_eqc(ua->values[0].value, "AWS Internal"));
    assert_int_equal(ua->values[0].count, 4);
    const th_tune_top *added_ua = &f->d.added_top[1];
    assert_true(th_str_eqc(added_ua->values[0].value, "python-requests/2.31"));
}

static void diff_true_positives_follow_labels_for_the_rule(void **state)
{
    fixture *f = *state;
    const th_tune_diff *d = &f->d;
    /* x3 and a2 are labeled for r-1; x5 is for another rule; x6 is benign. */
    assert_int_equal(d->tp_labeled, 2);
    assert_int_equal(d->tp_before, 2);
    assert_int_equal(d->tp_after, 1);
    assert_int_equal(d->tp_kept, 1);
    assert_int_equal(d->tp_lost, 1);
    assert_int_equal(d->nlost, 1);
    assert_true(th_str_eqc(d->lost[0]->id, "a2"));
}

static void expect_file_is_one_id_per_line(void **state)
{
    (void)state;
    th_labels l;
    th_labels_init(&l);
    static const char t[] = "# expected\nid-1\n  id-2  \r\n\nid-1\n";
    th_labels_load_lines(&l, t, sizeof t - 1);
    assert_int_equal(l.len, 2);
    assert_true(th_labels_has(&l, th_str_c("id-2")));
    assert_false(th_labels_has(&l, th_str_c("# expected")));
    th_labels_free(&l);
}

static th_tune_meta meta(void)
{
    return (th_tune_meta){.rule_name = "Test <rule> & co",
                          .rule_id = "r-1",
                          .before_label = "old.toml",
                          .after_label = "new.toml",
                          .sample_fields = fields,
                          .nsample_fields = 2,
                          .sample_n = 2};
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void text_report_has_totals_and_table(void **state)
{
    fixture *f = *state;
    th_tune_meta m = meta();
    th_buf b;
    th_buf_init(&b);
    th_tune_render_text(&b, &f->d, &m);
    assert_non_null(strstr(b.data, "before 10  after 7  change -30.0%"));
    assert_non_null(strstr(b.data, "kept 6  removed 4  added 1"));
    assert_non_null(strstr(b.data, "2026-10-02        3       2"));
    assert_non_null(strstr(b.data, "lost 1"));
    assert_non_null(strstr(b.data, "\"AWS Internal\""));
    th_buf_free(&b);
}

static void markdown_report_has_diff_tables_and_truth(void **state)
{
    fixture *f = *state;
    th_tune_meta m = meta();
    m.before_query = "a: x\n  and b: y\n";
    m.after_query = "a: x\n  and b: y\n  and source.ip: *\n";
    m.provenance = "emulated";
    m.events = 42;
    th_buf b;
    th_buf_init(&b);
    th_tune_render_markdown(&b, &f->d, &m);
    th_buf_putc(&b, 0);
    assert_non_null(strstr(b.data, "```diff\n a: x\n   and b: y\n+  and source.ip: *\n```\n"));
    assert_non_null(strstr(b.data, "| alerts | 10 | 7 | -30.0% |"));
    assert_non_null(strstr(b.data, "- **Data:** 42 events"));
    assert_non_null(strstr(b.data, "**kept 1, lost 1**"));
    /* three days: a row per day with alerts, before and after */
    assert_non_null(strstr(b.data, "| 2026-10-02 | 3 | 2 |"));
    assert_non_null(strstr(b.data, "| `source.ip` | *(missing)* | 4 |"));
    th_buf_free(&b);
    /* a changed line reads old, then new; the HTML page shows the same diff */
    th_buf_init(&b);
    th_md_query_diff(&b, "a: x\n  and b: y\n  and c: z\n", "a: x\n  and b: w\n  and c: z\n");
    th_buf_putc(&b, 0);
    assert_string_equal(b.data, "```diff\n a: x\n-  and b: y\n+  and b: w\n   and c: z\n```\n");
    th_buf_free(&b);
    th_buf_init(&b);
    m.before_query = "a: x\n  and b: y\n";
    m.after_query = "a: x\n  and b: <w>\n";
    th_tune_render_html(&b, &f->d, &m);
    th_buf_putc(&b, 0);
    assert_non_null(strstr(b.data, "<pre class=\"diff\"><span>  a: x</span><span class=\"del\">-"
                                   "   and b: y</span><span class=\"add\">+   and b: &lt;w&gt;</span>"
                                   "</pre>"));
    assert_non_null(strstr(b.data, "42 events"));
    assert_non_null(strstr(b.data, "emulated"));
    th_buf_free(&b);
    /* cells and code spans survive pipes and backticks */
    th_buf_init(&b);
    th_md_code(&b, th_str_c("a|b`c"));
    th_md_cell(&b, th_str_c(" x|*y*"));
    th_buf_putc(&b, 0);
    assert_string_equal(b.data, "`` a\\|b`c `` x\\|\\*y\\*");
    th_buf_free(&b);
}

static void json_report_parses_and_carries_numbers(void **state)
{
    fixture *f = *state;
    th_tune_meta m = meta();
    th_buf b;
    th_buf_init(&b);
    th_tune_render_json(&b, &f->d, &m);
    th_arena a;
    th_arena_init(&a, 4096);
    th_json_error err;
    th_jval *j = th_json_parse(&a, b.data, b.len, &err);
    assert_non_null(j);
    int64_t v;
    assert_true(th_jnum_i64(th_jobj_get(j, "before"), &v) && v == 10);
    assert_true(th_jnum_i64(th_jobj_get(j, "removed"), &v) && v == 4);
    assert_true(th_jnum_i64(th_jobj_get_path(j, "true_positives.lost"), &v) && v == 1);
    assert_int_equal(th_jobj_get(j, "days")->len, 3);
    const th_jval *miss = th_jobj_get_path(j, "removed_by_field");
    assert_non_null(miss);
    th_arena_free(&a);
    th_buf_free(&b);
}

static void html_report_is_self_contained_and_balanced(void **state)
{
    fixture *f = *state;
    th_tune_meta m = meta();
    th_buf b;
    th_buf_init(&b);
    th_tune_render_html(&b, &f->d, &m);
    const char *h = b.data;
    assert_true(strncmp(h, "<!DOCTYPE html>", 15) == 0);
    assert_non_null(strstr(h, "Test &lt;rule&gt; &amp; co")); /* escaped */
    assert_null(strstr(h, "<rule>"));
    assert_null(strstr(h, "<script"));
    /* nothing fetched: the only URLs are the SVG namespace */
    assert_int_equal(count(h, "http"), count(h, "http://www.w3.org/2000/svg"));
    /* one day chart with 3 days x 2 bars, one top chart per field that has data */
    assert_int_equal(count(h, "id=\"chart-days\""), 1);
    assert_int_equal(count(h, "class=\"bar-before\" x="), 3);
    assert_int_equal(count(h, "class=\"bar-after\" x="), 3);
    assert_int_equal(count(h, "class=\"chart-top\""), 4);
    assert_non_null(strstr(h, "<title>2026-10-03 before: 4</title>"));
    assert_non_null(strstr(h, "AWS Internal: 4</title>"));
    /* tags balance */
    const char *tags[] = {"svg", "table", "tr", "div", "h2", "details"};
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++) {
        char open[16], close[16];
        snprintf(open, sizeof open, "<%s", tags[i]);
        snprintf(close, sizeof close, "</%s>", tags[i]);
        /* "<tr" also prefixes nothing else here; "<div" and "<details" are distinct */
        assert_int_equal(count(h, open), count(h, close));
    }
    th_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(diff_counts_removed_added_and_days, setup, teardown),
        cmocka_unit_test_setup_teardown(diff_groups_removed_by_field, setup, teardown),
        cmocka_unit_test_setup_teardown(diff_true_positives_follow_labels_for_the_rule, setup,
                                        teardown),
        cmocka_unit_test(expect_file_is_one_id_per_line),
        cmocka_unit_test_setup_teardown(text_report_has_totals_and_table, setup, teardown),
        cmocka_unit_test_setup_teardown(markdown_report_has_diff_tables_and_truth, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(json_report_parses_and_carries_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(html_report_is_self_contained_and_balanced, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
