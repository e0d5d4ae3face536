/* io/: formats, record splitting, exact text and offsets, classification, gzip
 * (multi-member, truncated, bomb), malformed input. Paths, directories, stdin
 * and the key-date filter are in test_input_paths.c. */
#include "io_test_util.h"

#define CT(i)                                                                                      \
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-01-05T10:00:0" #i "Z\","                      \
    "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestID\":\"r" #i "\"}"
#define ECS_OBJ "{\"@timestamp\":\"2024-01-05T10:00:00.000Z\",\"event\":{\"action\":\"A\"}}"
#define ECS_DOTTED "{\"@timestamp\":\"2024-01-05T10:00:00.000Z\",\"event.action\":\"B\"}"
#define OTRF                                                                                       \
    "{\"@version\":\"1\",\"eventName\":\"ListBuckets\",\"@timestamp\":\"2020-09-14T01:19:40Z\"}"

/* Every record's text must be the bytes at its offset in `content`. */
static void assert_slices(const got *g, const char *content)
{
    for (size_t i = 0; i < g->n; i++) {
        assert_true(g->r[i].offset + g->r[i].text_len <= strlen(content));
        assert_memory_equal(content + g->r[i].offset, g->r[i].text, g->r[i].text_len);
    }
}

static void ndjson_lines_blank_lines_crlf_and_kinds(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *text = CT(1) "\n"
                             "\n"
                             "   \t\n" ECS_OBJ "\r\n" ECS_DOTTED "\n" OTRF "\r\n"
                             "  " CT(2) "  \n" CT(3); /* no final newline */
    write_file(dir, "a.ndjson", text);
    char *p = tmp_path(dir, "a.ndjson");
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 6);
    const uint64_t lines[] = {1, 4, 5, 6, 7, 8};
    const th_rec_kind kinds[] = {TH_REC_CLOUDTRAIL, TH_REC_ECS,        TH_REC_ECS,
                                 TH_REC_CLOUDTRAIL, TH_REC_CLOUDTRAIL, TH_REC_CLOUDTRAIL};
    const char *texts[] = {CT(1), ECS_OBJ, ECS_DOTTED, OTRF, CT(2), CT(3)};
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(g.r[i].line, lines[i]);
        assert_int_equal(g.r[i].kind, kinds[i]);
        assert_string_equal(g.r[i].text, texts[i]); /* CR and blanks trimmed */
        assert_int_equal(g.r[i].offset, (uint64_t)(strstr(text, texts[i]) - text));
        assert_string_equal(g.r[i].file, p);
    }
    assert_slices(&g, text);
    assert_int_equal(g.st.files, 1);
    assert_int_equal(g.st.records_skipped, 0);
    assert_int_equal(g.st.bytes, strlen(text));
    assert_int_equal(g.st.bytes_inflated, strlen(text));
    assert_int_equal(g.d.len, 0);
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

static void records_object_pretty_and_minified(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *pretty = "{\n  \"Records\": [\n    " CT(1) ",\n    " CT(2) "\n  ]\n}\n";
    const char *mini = "{\"Records\":[" CT(3) "," CT(4) "," CT(5) "]}";
    /* Records not first, and other members around it */
    const char *later = "{\"x\":{\"Records\":1},\"Records\":[" CT(6) "],\"y\":[1,{\"z\":\"]}\"}]}";
    write_file(dir, "pretty.json", pretty);
    write_file(dir, "mini.json", mini);
    write_file(dir, "later.json", later);
    const char *files[] = {"pretty.json", "mini.json", "later.json"};
    const char *contents[] = {pretty, mini, later};
    const size_t counts[] = {2, 3, 1};
    for (size_t f = 0; f < 3; f++) {
        char *p = tmp_path(dir, files[f]);
        got g;
        run_one(&g, p);
        assert_int_equal(g.n, counts[f]);
        assert_slices(&g, contents[f]);
        for (size_t i = 0; i < g.n; i++) {
            assert_int_equal(g.r[i].line, 0);
            assert_int_equal(g.r[i].kind, TH_REC_CLOUDTRAIL);
            assert_int_equal(g.r[i].text[0], '{');
        }
        assert_int_equal(g.st.files, 1);
        assert_int_equal(g.st.records_skipped, 0);
        assert_int_equal(g.d.len, 0);
        got_free(&g);
        free(p);
    }
    tmp_rm(dir);
}

static void json_array_and_pretty_value_stream(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *arr = "[\n " CT(1) ",\n " ECS_OBJ ",\n 42, \"s\", null\n]\n";
    /* concatenated pretty-printed values, as `jq .` writes them */
    const char *stream = "{\n  \"eventName\": \"A\"\n}\n{\n  \"eventName\": \"B\"\n}\n";
    write_file(dir, "arr.json", arr);
    write_file(dir, "stream.json", stream);
    char *p = tmp_path(dir, "arr.json");
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 2);
    assert_string_equal(g.r[0].text, CT(1));
    assert_int_equal(g.r[1].kind, TH_REC_ECS);
    assert_slices(&g, arr);
    assert_int_equal(g.st.records_not_events, 3);
    assert_non_null(find_diag(&g, "3 JSON values are neither"));
    got_free(&g);
    free(p);
    p = tmp_path(dir, "stream.json");
    run_one(&g, p);
    assert_int_equal(g.n, 2);
    assert_slices(&g, stream);
    assert_int_equal(g.r[1].offset, (uint64_t)(strstr(stream + 1, "{") - stream));
    assert_int_equal(g.d.len, 0);
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

static void records_line_inside_ndjson_is_expanded(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *text = CT(1) "\n{\"Records\":[" CT(2) "," CT(3) "]}\n" CT(4) "\n[" CT(5) "]\n";
    write_file(dir, "mixed.ndjson", text);
    char *p = tmp_path(dir, "mixed.ndjson");
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 5);
    assert_int_equal(g.r[0].line, 1);
    assert_int_equal(g.r[1].line, 0); /* elements of a container */
    assert_int_equal(g.r[3].line, 3);
    assert_string_equal(g.r[4].text, CT(5));
    assert_slices(&g, text);
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

static void gzip_by_magic_bytes_multi_member(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *part1 = "{\"Records\":[" CT(1) "," CT(2) "]}";
    const char *nd1 = CT(3) "\n", *nd2 = CT(4) "\n" CT(5) "\n";
    write_gz(dir, "x.json.gz", part1);
    write_gz(dir, "plain-name.json", nd1);  /* gzip without a .gz name */
    write_file(dir, "not-gz.json.gz", nd1); /* a .gz name without gzip */
    size_t l1, l2;
    unsigned char *m1 = gzip_member(nd1, strlen(nd1), &l1);
    unsigned char *m2 = gzip_member(nd2, strlen(nd2), &l2);
    unsigned char *both = malloc(l1 + l2 + 8);
    memcpy(both, m1, l1);
    memcpy(both + l1, m2, l2);
    memset(both + l1 + l2, 0, 8); /* zero padding after the last member is ignored */
    char *mp = tmp_path(dir, "multi.gz");
    write_bytes(mp, both, l1 + l2 + 8);
    const char *paths[4];
    char *pp[4] = {tmp_path(dir, "x.json.gz"), tmp_path(dir, "plain-name.json"),
                   tmp_path(dir, "not-gz.json.gz"), mp};
    for (int i = 0; i < 4; i++)
        paths[i] = pp[i];
    got g;
    run_input(&g, paths, 4);
    assert_int_equal(g.n, 2 + 1 + 1 + 3);
    assert_int_equal(g.st.files, 4);
    assert_int_equal(g.st.gzip_errors, 0);
    assert_int_equal(g.d.len, 0);
    /* offsets are in the inflated text */
    assert_int_equal(g.r[0].offset, strlen("{\"Records\":["));
    assert_string_equal(g.r[1].text, CT(2));
    assert_string_equal(g.r[5].text, CT(4));
    assert_int_equal(g.r[5].offset, strlen(nd1)); /* members inflate into one text */
    assert_int_equal(g.r[5].line, 2);
    assert_int_equal(g.st.bytes_inflated,
                     strlen(part1) + strlen(nd1) * 2 + strlen(nd1) + strlen(nd2));
    got_free(&g);
    for (int i = 0; i < 4; i++)
        free(pp[i]);
    free(m1);
    free(m2);
    free(both);
    tmp_rm(dir);
}

static void truncated_gzip_keeps_records_before_the_cut(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    /* incompressible-ish lines so the cut lands mid-stream */
    size_t cap = 1 << 20, len = 0;
    char *text = malloc(cap);
    srand(7);
    int lines = 400;
    for (int i = 0; i < lines; i++) {
        len += (size_t)snprintf(text + len, cap - len,
                                "{\"eventName\":\"E%d\",\"eventSource\":\"%08x%08x%08x\"}\n", i,
                                rand(), rand(), rand());
    }
    size_t gl;
    unsigned char *gz = gzip_member(text, len, &gl);
    for (int variant = 0; variant < 2; variant++) {
        char *p = tmp_path(dir, variant ? "cut.json" : "cut.ndjson.gz");
        if (variant) {
            /* a Records file, cut in the middle */
            size_t rl = 0, rcap = len + 64;
            char *rec = malloc(rcap);
            rl += (size_t)snprintf(rec, rcap, "{\"Records\":[");
            for (size_t i = 0; i < len; i++)
                rec[rl++] = text[i] == '\n' ? ',' : text[i];
            rec[rl - 1] = ']';
            rec[rl++] = '}';
            size_t rgl;
            unsigned char *rgz = gzip_member(rec, rl, &rgl);
            write_bytes(p, rgz, rgl / 2);
            free(rgz);
            free(rec);
        } else {
            write_bytes(p, gz, gl / 2);
        }
        got g;
        run_one(&g, p);
        assert_true(g.n > 10);
        assert_true(g.n < (size_t)lines);
        for (size_t i = 0; i < g.n; i++) {
            char want[32];
            snprintf(want, sizeof want, "\"E%zu\"", i);
            assert_non_null(strstr(g.r[i].text, want)); /* in order, none lost before */
            /* the Records variant's text is the NDJSON text shifted by its 12-byte head */
            size_t at = (size_t)g.r[i].offset - (variant ? 12 : 0);
            assert_memory_equal(g.r[i].text, text + at, g.r[i].text_len);
        }
        assert_int_equal(g.st.gzip_errors, 1);
        assert_int_equal(g.st.files, 1);
        const th_diag *dg = must_find_diag(&g, "truncated");
        assert_non_null(dg);
        assert_string_equal(dg->file, p);
        assert_true(dg->offset > 0);
        /* the record cut in half is counted, not silently dropped */
        assert_int_equal(g.st.records_malformed, 1);
        assert_non_null(find_diag(&g, "cut off"));
        got_free(&g);
        free(p);
    }
    free(gz);
    free(text);
    tmp_rm(dir);
}

static void gzip_bomb_stops_at_the_cap(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t n = 8u << 20; /* 8 MiB inflated from a few KiB */
    char *text = malloc(n);
    const char *line = CT(1) "\n";
    size_t ll = strlen(line), lines = n / ll;
    for (size_t i = 0; i < lines; i++)
        memcpy(text + i * ll, line, ll);
    size_t gl;
    unsigned char *gz = gzip_member(text, lines * ll, &gl);
    assert_true(gl < n / 100);
    char *p = tmp_path(dir, "bomb.gz");
    write_bytes(p, gz, gl);
    const char *paths[1] = {p};
    got g;
    uint64_t cap = 1u << 20;
    run_input_opts(&g, paths, 1, TH_TIME_NONE, TH_TIME_NONE, cap);
    assert_int_equal(g.st.gzip_errors, 1);
    assert_int_equal(g.st.bytes_inflated, cap);
    assert_int_equal(g.n, cap / ll); /* the whole lines before the cap */
    assert_non_null(find_diag(&g, "exceeds the limit"));
    got_free(&g);
    /* the same file under the default cap is read whole */
    run_one(&g, p);
    assert_int_equal(g.n, lines);
    assert_int_equal(g.st.gzip_errors, 0);
    got_free(&g);
    free(p);
    free(gz);
    free(text);
    tmp_rm(dir);
}

static void corrupt_gzip_is_reported_with_offset(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    static const char hdr[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage-garbage-garbage";
    char *p = tmp_path(dir, "bad.gz");
    write_bytes(p, hdr, sizeof(hdr));
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.st.gzip_errors, 1);
    const th_diag *dg = must_find_diag(&g, "gzip: corrupt data");
    assert_non_null(dg);
    assert_true(dg->offset >= 10);
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

static void malformed_lines_are_reported_and_reading_goes_on(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *text = CT(1) "\n" CT(2) "\n{\"eventName\": tru}\n" CT(4) "\n";
    write_file(dir, "bad.ndjson", text);
    char *p = tmp_path(dir, "bad.ndjson");
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.r[2].line, 4);
    assert_int_equal(g.st.records_malformed, 1);
    assert_int_equal(g.d.len, 1);
    assert_int_equal(g.d.items[0].severity, TH_SEV_ERROR);
    assert_int_equal(g.d.items[0].line, 3);
    assert_int_equal(g.d.items[0].col, 15); /* the 't' of "tru" */
    assert_string_equal(g.d.items[0].file, p);
    got_free(&g);
    free(p);

    /* a bad element inside a Records array: byte offset, the others still read */
    const char *rec = "{\"Records\":[" CT(1) ",{\"eventName\":\"\\x\"}," CT(3) "]}";
    write_file(dir, "bad.json", rec);
    p = tmp_path(dir, "bad.json");
    run_one(&g, p);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st.records_malformed, 1);
    assert_int_equal(g.d.items[0].offset, (long long)(strstr(rec, "\\x") - rec));
    assert_slices(&g, rec);
    got_free(&g);
    free(p);

    /* a Records file broken in its structure: records before the break kept */
    const char *broken = "{\"Records\":[" CT(1) "," CT(2) " " CT(3) "]}";
    write_file(dir, "broken.json", broken);
    p = tmp_path(dir, "broken.json");
    run_one(&g, p);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st.records_malformed, 1);
    assert_int_equal(g.d.items[0].offset, (long long)(strstr(broken, " {") - broken + 1));
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

/* issue 12 #8: after a damaged element inside a Records array, reading
 * resumes at the next whole element and exactly the damaged one is counted:
 * 101 records with one bad -> 100 + 1 skipped, in every form of damage. */
static void records_array_resynchronises_after_a_bad_element(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char *deep = malloc(2 * 600 + 1);
    for (int i = 0; i < 600; i++) {
        deep[i] = '[';
        deep[600 + i] = ']';
    }
    deep[1200] = '\0';
    const char *forms[] = {"deep", "unterminated", "nocomma", "badtoken", "badescape"};
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        th_buf b;
        th_buf_init(&b);
        th_buf_puts(&b, "{\"Records\":[");
        for (int i = 0; i < 101; i++) {
            if (i)
                th_buf_puts(&b, f == 2 && i == 51 ? " " : ",");
            if (i == 50 && f == 0)
                th_buf_printf(&b, "{\"eventVersion\":\"1.08\",\"x\":%s}", deep);
            else if (i == 50 && f == 1)
                th_buf_puts(&b, "{\"eventVersion\":\"1.08\",\"x\":\"abc}");
            else if (i == 50 && f == 3)
                th_buf_puts(&b, "{\"eventVersion\":\"1.08\",\"x\":[{\"a\":1},{\"b\":tru}]}");
            else if (i == 50 && f == 4)
                th_buf_puts(&b, "{\"eventVersion\":\"1.08\",\"x\":\"\\q\"}");
            else
                th_buf_printf(&b, "{\"eventVersion\":\"1.08\",\"eventName\":\"E%d\"}", i);
        }
        th_buf_puts(&b, "]}");
        write_file(dir, "r.json", b.data);
        char *p = tmp_path(dir, "r.json");
        got g;
        run_one(&g, p);
        if (g.n != 100 || g.st.records_malformed != 1)
            fail_msg("%s: %zu records, %llu malformed", forms[f], g.n,
                     (unsigned long long)g.st.records_malformed);
        assert_int_equal(g.st.records_skipped, 1);
        /* the missing ',' costs the element after it; the others the bad one */
        assert_string_equal(g.r[f == 2 ? 51 : 50].json,
                            f == 2 ? "{\"eventVersion\":\"1.08\",\"eventName\":\"E52\"}"
                                   : "{\"eventVersion\":\"1.08\",\"eventName\":\"E51\"}");
        assert_slices(&g, b.data);
        got_free(&g);
        free(p);
        th_buf_free(&b);
    }
    free(deep);
    tmp_rm(dir);
}

/* issue 12 #9: a second "Records" key is read too, and said. */
static void duplicate_records_key_is_read_and_reported(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *text = "{\"Records\":[" CT(1) "," CT(2) "],\"x\":1,\"Records\":[" CT(3) "]}";
    write_file(dir, "dup.json", text);
    char *p = tmp_path(dir, "dup.json");
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 3);
    assert_int_equal(g.st.records_skipped, 0);
    const th_diag *d = must_find_diag(&g, "duplicate \"Records\" key");
    assert_int_equal(d->offset, (long long)(strstr(text, "\"Records\":[" CT(3)) - text) + 10);
    assert_slices(&g, text);
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

/* issue 12 #9: a NUL byte near the start of an NDJSON file costs its own line,
 * reported; the file is not dropped as binary. */
static void nul_byte_costs_only_its_line(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char text[1024];
    size_t n = (size_t)snprintf(text, sizeof text, "%s\n%s\n%s\n", CT(1), CT(2), CT(3));
    char *second = strstr(text, "\"r2\"");
    second[1] = '\0'; /* "r2" becomes "\0" + "2" */
    char *p = tmp_path(dir, "nul.ndjson");
    write_bytes(p, text, n);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st.files, 1);
    assert_int_equal(g.st.records_malformed, 1);
    const th_diag *d = must_find_diag(&g, "NUL byte");
    assert_int_equal(d->line, 2);
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

static void diagnostics_per_file_are_capped_but_all_counted(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    char text[4096] = "";
    for (int i = 0; i < 50; i++)
        strcat(text, "{bad\n");
    strcat(text, CT(1) "\n");
    write_file(dir, "many.ndjson", text);
    char *p = tmp_path(dir, "many.ndjson");
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.st.records_malformed, 50);
    assert_int_equal(count_diags(&g, TH_SEV_ERROR), 20 + 1);
    assert_non_null(find_diag(&g, "30 more malformed records"));
    got_free(&g);
    free(p);
    tmp_rm(dir);
}

static void empty_whitespace_binary_and_text_files(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    write_file(dir, "empty.json", "");
    write_file(dir, "ws.json", " \n\r\n\t ");
    write_file(dir, "readme.md", "# hello\n{\"eventName\":\"x\"}\n");
    unsigned char bin[4096];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(i * 131 + 7);
    bin[0] = 0; /* not gzip, not JSON */
    char *bp = tmp_path(dir, "blob.bin");
    write_bytes(bp, bin, sizeof bin);
    bin[0] = '{'; /* starts like JSON, then binary garbage */
    char *bp2 = tmp_path(dir, "blob2.json");
    write_bytes(bp2, bin, sizeof bin);
    write_file(dir, "open.json", "{");
    write_file(dir, "bom.json", "\xEF\xBB\xBF" CT(1) "\n");
    got g;
    run_one(&g, dir);
    assert_int_equal(g.n, 1); /* from bom.json */
    assert_int_equal(g.r[0].offset, 3);
    assert_int_equal(g.st.files_not_events, 2); /* blob.bin, readme.md */
    /* blob2.json starts like JSON: it is read, and its garbage is malformed
     * records (never the whole file dropped unseen) */
    assert_int_equal(g.st.files, 5);            /* blob2, bom, empty, open, ws */
    assert_true(g.st.records_malformed >= 2);   /* open.json and blob2.json's */
    assert_non_null(find_diag(&g, "binary data"));
    got_free(&g);
    free(bp);
    free(bp2);
    tmp_rm(dir);
}

static void deep_nesting_never_crashes(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t depth = 100000;
    char *deep = malloc(depth * 2 + 64);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++)
        deep[n++] = '[';
    for (size_t i = 0; i < depth; i++)
        deep[n++] = ']';
    deep[n] = '\0';
    char *line = malloc(n + 256);
    snprintf(line, n + 256, "{\"eventName\":%s}\n" CT(2) "\n", deep);
    write_file(dir, "deep.ndjson", line);
    snprintf(line, n + 256, "{\"Records\":[%s," CT(2) "]}", deep);
    write_file(dir, "deep-records.json", line);
    snprintf(line, n + 256, "%s", deep);
    write_file(dir, "deep-array.json", line);
    char *p = tmp_path(dir, "deep.ndjson");
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.r[0].line, 2);
    assert_int_equal(g.st.records_malformed, 1);
    assert_non_null(find_diag(&g, "too deep"));
    got_free(&g);
    free(p);
    p = tmp_path(dir, "deep-records.json");
    run_one(&g, p);
    assert_int_equal(g.n, 1); /* the element after the deep one (resynchronised) */
    assert_int_equal(g.st.records_malformed, 1);
    got_free(&g);
    free(p);
    p = tmp_path(dir, "deep-array.json");
    run_one(&g, p);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.st.records_malformed, 1);
    got_free(&g);
    free(p);
    free(line);
    free(deep);
    tmp_rm(dir);
}

static void non_event_json_and_digests_are_counted(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    const char *digest = "{\"awsAccountId\":\"1\",\"digestStartTime\":\"2024-01-05T00:00:00Z\","
                         "\"digestEndTime\":\"2024-01-05T01:00:00Z\",\"logFiles\":[]}";
    write_file(dir, "a/digest-by-content.json", digest);
    write_gz(dir, "a/AWSLogs/1/CloudTrail-Digest/us-east-1/2024/01/05/x.json.gz", digest);
    write_file(dir, "b/manifest.json", "{\"name\":\"pkg\",\"files\":[1,2]}");
    write_file(dir, "b/labels.jsonl", "{\"rule\":\"a\"}\n{\"rule\":\"b\"}\n" CT(1) "\n");
    write_file(dir, "b/with-digest-line.ndjson",
               CT(1) "\n{\"digestStartTime\":1,\"digestEndTime\":2}\n");
    got g;
    run_one(&g, dir);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.st.files_digest, 2);
    assert_int_equal(g.st.files_not_events, 1);
    assert_int_equal(g.st.files_skipped, 3);
    assert_int_equal(g.st.files, 2);
    assert_int_equal(g.st.records_not_events, 3);
    const th_diag *dg = must_find_diag(&g, "2 JSON values are neither");
    assert_non_null(dg);
    assert_int_equal(dg->line, 1);
    assert_non_null(find_diag(&g, "digest objects skipped"));
    assert_non_null(find_diag(&g, "CloudTrail digest file; skipped"));
    assert_non_null(find_diag(&g, "digest files skipped by their path"));
    got_free(&g);
    tmp_rm(dir);
}

/* Gzip and stdin are streamed through a window of about 1 MiB: records that
 * straddle refills, a line longer than the window, a first line that is no
 * event, and a pretty-printed document must all keep exact text, offsets and
 * line numbers. */
static void streamed_windows_keep_offsets_exact(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t cap = 12u << 20, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text, cap, "{\"not\":\"an event\"}\n");
    size_t lines = 1, events = 0;
    srand(11);
    while (len < cap - (4u << 20)) {
        if (lines == 5000) { /* one line of 3 MiB */
            len += (size_t)snprintf(text + len, cap - len, "{\"eventName\":\"long\",\"pad\":\"");
            memset(text + len, 'x', 3u << 20);
            len += 3u << 20;
            len += (size_t)snprintf(text + len, cap - len, "\"}\n");
        } else {
            len += (size_t)snprintf(text + len, cap - len,
                                    "{\"eventName\":\"E%zu\",\"r\":\"%x%x\"}\r\n", lines, rand(),
                                    rand());
        }
        lines++;
        events++;
        if (lines % 1000 == 0) {
            text[len++] = '\n'; /* a blank line now and then */
            lines++;
        }
    }
    text[len] = '\0';
    size_t gl;
    unsigned char *gz = gzip_member(text, len, &gl);
    char *p = tmp_path(dir, "big.ndjson.gz");
    write_bytes(p, gz, gl);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, events);
    assert_int_equal(g.st.records_not_events, 1);
    assert_int_equal(g.st.bytes_inflated, len);
    assert_slices(&g, text);
    for (size_t i = 1; i < g.n; i++)
        assert_true(g.r[i].line > g.r[i - 1].line);
    /* line numbers: count newlines before each record's offset */
    size_t nl = 0, at = 0;
    for (size_t i = 0; i < g.n; i++) {
        for (; at < g.r[i].offset; at++)
            nl += text[at] == '\n';
        assert_int_equal(g.r[i].line, nl + 1);
    }
    assert_int_equal(g.d.len, 1); /* the one non-event line */
    got_free(&g);
    free(p);

    /* a minified S3 object (one line) larger than the window, then more lines */
    len = (size_t)snprintf(text, cap, "{\"Records\":[");
    for (size_t i = 0; i < 60000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s{\"eventName\":\"M%zu\"}", i ? "," : "",
                                i);
    len += (size_t)snprintf(text + len, cap - len, "]}\n" CT(1) "\n");
    free(gz);
    gz = gzip_member(text, len, &gl);
    p = tmp_path(dir, "mini.json.gz");
    write_bytes(p, gz, gl);
    run_one(&g, p);
    assert_int_equal(g.n, 60001);
    assert_int_equal(g.r[60000].line, 2);
    assert_slices(&g, text);
    assert_int_equal(g.d.len, 0);
    got_free(&g);
    free(p);

    /* a pretty-printed document larger than the window */
    len = 0;
    len += (size_t)snprintf(text, cap, "{\n  \"x\": 1,\n  \"Records\": [\n");
    for (size_t i = 0; i < 40000; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "%s    {\n      \"eventName\": \"P%zu\"\n    }", i ? ",\n" : "", i);
    len += (size_t)snprintf(text + len, cap - len, "\n  ]\n}\n");
    free(gz);
    gz = gzip_member(text, len, &gl);
    p = tmp_path(dir, "pretty.json.gz");
    write_bytes(p, gz, gl);
    run_one(&g, p);
    assert_int_equal(g.n, 40000);
    assert_slices(&g, text);
    assert_int_equal(g.d.len, 0);
    got_free(&g);
    free(p);
    free(gz);
    free(text);
    tmp_rm(dir);
}

static void overlong_line_is_skipped_without_being_held(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t big = 5u << 20, len = 0;
    char *text = malloc(big + 4096);
    len += (size_t)sprintf(text, CT(1) "\n{\"eventName\":\"");
    memset(text + len, 'y', big);
    len += big;
    len += (size_t)sprintf(text + len, "\"}\n" CT(3) "\n");
    char *p = tmp_path(dir, "long.ndjson");
    write_bytes(p, text, len);
    const char *paths[1] = {p};
    got g;
    memset(&g, 0, sizeof g);
    th_diags_init(&g.d);
    th_input_opts o;
    th_input_opts_default(&o, &g.d);
    o.max_record = 1u << 20;
    th_input *in = th_input_open(paths, 1, &o);
    th_record r;
    size_t n = 0;
    while (th_input_next(in, &r)) {
        assert_int_equal(r.line, n ? 3 : 1);
        n++;
    }
    const th_input_stats *st = th_input_stats_get(in);
    assert_int_equal(n, 2);
    assert_int_equal(st->records_malformed, 1);
    assert_int_equal(st->bytes, len);
    th_input_close(in);
    assert_int_equal(g.d.len, 1);
    assert_int_equal(g.d.items[0].line, 2);
    /* the limit is stated (issue 12 #12) */
    assert_non_null(strstr(g.d.items[0].message, "longer than the limit of 1 MiB"));
    th_diags_free(&g.d);
    free(p);
    free(text);
    tmp_rm(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ndjson_lines_blank_lines_crlf_and_kinds),
        cmocka_unit_test(records_object_pretty_and_minified),
        cmocka_unit_test(json_array_and_pretty_value_stream),
        cmocka_unit_test(records_line_inside_ndjson_is_expanded),
        cmocka_unit_test(gzip_by_magic_bytes_multi_member),
        cmocka_unit_test(truncated_gzip_keeps_records_before_the_cut),
        cmocka_unit_test(gzip_bomb_stops_at_the_cap),
        cmocka_unit_test(corrupt_gzip_is_reported_with_offset),
        cmocka_unit_test(malformed_lines_are_reported_and_reading_goes_on),
        cmocka_unit_test(diagnostics_per_file_are_capped_but_all_counted),
        cmocka_unit_test(empty_whitespace_binary_and_text_files),
        cmocka_unit_test(deep_nesting_never_crashes),
        cmocka_unit_test(records_array_resynchronises_after_a_bad_element),
        cmocka_unit_test(duplicate_records_key_is_read_and_reported),
        cmocka_unit_test(nul_byte_costs_only_its_line),
        cmocka_unit_test(non_event_json_and_digests_are_counted),
        cmocka_unit_test(streamed_windows_keep_offsets_exact),
        cmocka_unit_test(overlong_line_is_skipped_without_being_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
