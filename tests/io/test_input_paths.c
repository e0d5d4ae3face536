/* io/: paths. Directories (recursive, bytewise order, symlink loops), several
 * paths at once, stdin, unreadable paths, S3 key-date filter, digest paths. */
#include "io_test_util.h"

#include <fcntl.h>

#include "io/walk.h"

#define EV(name) "{\"eventVersion\":\"1.08\",\"eventName\":\"" name "\"}\n"

static const char *name_of(const got_rec *r)
{
    const char *p = strstr(r->text, "\"eventName\":\"");
    return p ? p + 13 : "";
}

static void directories_are_walked_in_bytewise_order(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    write_file(dir, "b.json", EV("b"));
    write_file(dir, "B.json", EV("B")); /* 'B' < 'a' < 'b' bytewise */
    write_file(dir, "a/z.json", EV("a/z"));
    write_file(dir, "a/10.json", EV("a/10"));
    write_file(dir, "a/9.json", EV("a/9")); /* not natural order: "10" < "9" */
    write_file(dir, "a-b.json", EV("a-b")); /* entry "a" < "a-b.json": a's files first */
    write_gz(dir, "a/deep/er/x.gz", EV("a/deep/er/x"));
    /* a symlink back to the root: reported, not followed */
    char *loop = tmp_path(dir, "a/loop");
    assert_int_equal(symlink("..", loop), 0);
    got g;
    run_one(&g, dir);
    const char *want[] = {"B", "a/10", "a/9", "a/deep/er/x", "a/z", "a-b", "b"};
    assert_int_equal(g.n, 7);
    for (size_t i = 0; i < 7; i++) {
        size_t l = strlen(want[i]);
        assert_memory_equal(name_of(&g.r[i]), want[i], l);
        assert_int_equal(name_of(&g.r[i])[l], '"');
    }
    char *expect_file = tmp_path(dir, "a/deep/er/x.gz");
    assert_string_equal(g.r[3].file, expect_file);
    assert_int_equal(g.st.files, 7);
    assert_non_null(find_diag(&g, "directory loop"));
    got_free(&g);
    free(expect_file);
    free(loop);
    tmp_rm(dir);
}

static void many_paths_keep_their_order_and_missing_ones_are_counted(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    write_file(dir, "one.json", EV("one"));
    write_file(dir, "two/x.json", EV("two"));
    char *p1 = tmp_path(dir, "one.json"), *p2 = tmp_path(dir, "two"),
         *p3 = tmp_path(dir, "missing.json"), *p4 = tmp_path(dir, "dangling");
    assert_int_equal(symlink("nowhere", p4), 0);
    char *dangling_in_dir = tmp_path(dir, "two/zz-dangling");
    assert_int_equal(symlink("nowhere", dangling_in_dir), 0);
    const char *paths[] = {p2, p3, p1, p4, p1};
    got g;
    run_input(&g, paths, 5);
    assert_int_equal(g.n, 3);
    assert_string_equal(name_of(&g.r[0]), "two\"}");
    assert_string_equal(name_of(&g.r[1]), "one\"}");
    assert_string_equal(g.r[2].file, p1);
    assert_int_equal(g.st.files, 3);
    assert_int_equal(g.st.files_unreadable, 3); /* missing, two dangling links */
    const th_diag *dg = must_find_diag(&g, "cannot open");
    assert_non_null(dg);
    assert_string_equal(dg->file, p3);
    assert_int_equal(dg->severity, TH_SEV_ERROR);
    assert_non_null(find_diag(&g, "dangling"));
    got_free(&g);
    free(p1);
    free(p2);
    free(p3);
    free(p4);
    free(dangling_in_dir);
    tmp_rm(dir);
}

static void unreadable_file_is_reported(void **state)
{
    (void)state;
    if (geteuid() == 0) {
        print_message("SKIP: running as root, permissions do not stop reads\n");
        skip();
    }
    char *dir = tmp_dir();
    write_file(dir, "secret.json", EV("s"));
    char *p = tmp_path(dir, "secret.json");
    assert_int_equal(chmod(p, 0), 0);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.st.files_unreadable, 1);
    assert_non_null(find_diag(&g, "cannot open"));
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

/* Runs th_input on "-" with `text` as standard input (via dup2). */
static void with_stdin(const char *dir, const void *data, size_t n, got *g)
{
    char *p = tmp_path(dir, "stdin.bin");
    write_bytes(p, data, n);
    int saved = dup(STDIN_FILENO);
    int fd = open(p, O_RDONLY);
    assert_true(saved >= 0 && fd >= 0);
    assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
    close(fd);
    const char *paths[] = {"-"};
    run_input(g, paths, 1);
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    free(p);
}

static void stdin_plain_and_gzip(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *text = EV("s1") "\n" EV("s2");
    got g;
    with_stdin(dir, text, strlen(text), &g);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.r[0].file, "-");
    assert_int_equal(g.r[1].line, 3);
    assert_int_equal(g.st.bytes, strlen(text));
    got_free(&g);
    size_t gl;
    unsigned char *gz = gzip_member(text, strlen(text), &gl);
    with_stdin(dir, gz, gl, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st.bytes, gl);
    assert_int_equal(g.st.bytes_inflated, strlen(text));
    got_free(&g);
    free(gz);
    tmp_rm(dir);
}

static void stdin_larger_than_the_window(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t cap = 6u << 20, len = 0, n = 0;
    char *text = malloc(cap);
    while (len < cap - 200) {
        len += (size_t)snprintf(text + len, cap - len, "{\"eventName\":\"S%zu\"}\n", n);
        n++;
    }
    got g;
    with_stdin(dir, text, len, &g);
    assert_int_equal(g.n, n);
    for (size_t i = 0; i < g.n; i++) {
        assert_int_equal(g.r[i].line, i + 1);
        assert_memory_equal(text + g.r[i].offset, g.r[i].text, g.r[i].text_len);
    }
    assert_int_equal(g.st.bytes, len);
    got_free(&g);
    free(text);
    tmp_rm(dir);
}

static int64_t day(int y, unsigned m, unsigned d)
{
    return th_days_from_civil(y, m, d) * 86400000;
}

static void s3_key_dates_are_parsed_from_paths(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(
        th_io_s3_key_day("AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/05/f.json.gz", &ms));
    assert_int_equal(ms, day(2024, 1, 5));
    /* organization trail: AWSLogs/<org>/<account>/... and a bucket prefix */
    assert_true(th_io_s3_key_day(
        "/data/bkt/prefix/AWSLogs/o-abc/111122223333/CloudTrail/eu-west-1/2023/12/31/x", &ms));
    assert_int_equal(ms, day(2023, 12, 31));
    const char *no[] = {
        "AWSLogs/1/CloudTrail/us-east-1/2024/01/f.json",    /* no day */
        "AWSLogs/1/CloudTrail/us-east-1/2024/13/05/f.json", /* month 13 */
        "AWSLogs/1/MyCloudTrail/us-east-1/2024/01/05/f",    /* not the component */
        "logs/2024/01/05/f.json",                           /* no CloudTrail/<region> */
        "AWSLogs/1/CloudTrail/us-east-1/2024/01/05",        /* a directory, not a file */
    };
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        assert_false(th_io_s3_key_day(no[i], &ms));
    assert_true(th_io_is_digest_path("AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/05/x.gz"));
    assert_false(th_io_is_digest_path("AWSLogs/1/CloudTrail/us-east-1/2024/01/05/x.gz"));
}

static void key_date_filter_skips_days_outside_the_range_unread(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *base = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/";
    char rel[256];
    for (int d = 3; d <= 7; d++) {
        snprintf(rel, sizeof rel,
                 "%s%02d/111122223333_CloudTrail_us-east-1_202401%02dT0000Z_x.json.gz", base, d, d);
        char ev[64];
        snprintf(ev, sizeof ev, "{\"Records\":[{\"eventName\":\"d%d\"}]}", d);
        write_gz(dir, rel, ev);
    }
    /* out-of-range files are never opened: an unreadable one is not reported */
    snprintf(rel, sizeof rel, "%s03/zz-unreadable-garbage.json", base);
    write_file(dir, rel, "\x01\x02 not json");
    write_file(dir, "outside-layout.json", EV("free")); /* no key date: always read */
    got g;
    const char *paths[] = {dir};
    /* 2024-01-05 00:00 .. 2024-01-05 12:00: only day 05 overlaps */
    run_input_opts(&g, paths, 1, day(2024, 1, 5), day(2024, 1, 5) + 12 * 3600000, 0);
    assert_int_equal(g.n, 2);
    assert_string_equal(name_of(&g.r[0]), "d5\"}");
    assert_string_equal(name_of(&g.r[1]), "free\"}");
    assert_int_equal(g.st.files_key_date, 5);
    assert_int_equal(g.st.files, 2);
    assert_null(find_diag(&g, "not JSON"));
    assert_non_null(find_diag(&g, "5 files skipped by the S3 key-date filter"));
    got_free(&g);
    /* a range ending late on the 5th also reads the 6th: late deliveries */
    run_input_opts(&g, paths, 1, day(2024, 1, 5) + 3600000,
                   day(2024, 1, 5) + 23 * 3600000 + 1800000, 0);
    assert_int_equal(g.n, 3);
    assert_string_equal(name_of(&g.r[1]), "d6\"}");
    got_free(&g);
    /* open ends */
    run_input_opts(&g, paths, 1, day(2024, 1, 6), TH_TIME_NONE, 0);
    assert_int_equal(g.n, 3); /* d6, d7, free */
    got_free(&g);
    run_input_opts(&g, paths, 1, TH_TIME_NONE, day(2024, 1, 3) + 1, 0);
    assert_int_equal(g.n, 2 + 0); /* d3 and free; the unreadable day-3 file is read too */
    assert_int_equal(g.st.files_not_events, 1);
    got_free(&g);
    tmp_rm(dir);
}

static void key_day_range_edges(void **state)
{
    (void)state;
    int64_t d5 = day(2024, 1, 5), h = 3600000;
    assert_true(th_io_key_day_in_range(d5, TH_TIME_NONE, TH_TIME_NONE));
    assert_true(th_io_key_day_in_range(d5, d5 + 24 * h - 1, TH_TIME_NONE)); /* last ms */
    assert_false(th_io_key_day_in_range(d5, d5 + 24 * h, TH_TIME_NONE));
    assert_true(th_io_key_day_in_range(d5, TH_TIME_NONE, d5));
    assert_true(th_io_key_day_in_range(d5, TH_TIME_NONE, d5 - h)); /* slack for late files */
    assert_false(th_io_key_day_in_range(d5, TH_TIME_NONE, d5 - h - 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(directories_are_walked_in_bytewise_order),
        cmocka_unit_test(many_paths_keep_their_order_and_missing_ones_are_counted),
        cmocka_unit_test(unreadable_file_is_reported),
        cmocka_unit_test(stdin_plain_and_gzip),
        cmocka_unit_test(stdin_larger_than_the_window),
        cmocka_unit_test(s3_key_dates_are_parsed_from_paths),
        cmocka_unit_test(key_date_filter_skips_days_outside_the_range_unread),
        cmocka_unit_test(key_day_range_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
