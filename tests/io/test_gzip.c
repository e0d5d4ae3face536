/* io/: the gzip path (ISA-L streaming into the window): empty and
 * concatenated members, every truncation point, corrupt CRC-32, an ISIZE
 * trailer that lies (never used for sizing: the content is kept, the
 * mismatch reported), content exactly at the inflated cap, header fields
 * (FNAME, FEXTRA, FHCRC), and a file large enough to be mapped. */
#include "io_test_util.h"

/* `lines` NDJSON lines, each naming its index, their "x" values drawn with
 * `salt`: the same length for every salt, different bytes; malloc'd, length
 * in *len. */
static char *ndjson_salted(int lines, unsigned salt, size_t *len)
{
    size_t cap = (size_t)lines * 120 + 1, n = 0;
    char *t = malloc(cap);
    for (int i = 0; i < lines; i++)
        n += (size_t)snprintf(t + n, cap - n,
                              "{\"eventTime\":\"2024-01-05T10:00:00Z\",\"eventSource\":"
                              "\"s3.amazonaws.com\",\"eventName\":\"E%d\",\"x\":\"%08x\"}\n",
                              i, ((unsigned)i + salt) * 2654435761u);
    *len = n;
    return t;
}

static char *ndjson(int lines, size_t *len) { return ndjson_salted(lines, 0, len); }

/* One gzip member at `level`, with header fields when `header` is set. */
static unsigned char *gzip_with(const void *data, size_t n, int level, bool header,
                                size_t *out_len)
{
    static unsigned char extra[] = "AB\x04\x00xyzw";
    gz_header h;
    memset(&h, 0, sizeof h);
    h.name = (Bytef *)"object.json";
    h.comment = (Bytef *)"a comment";
    h.extra = extra;
    h.extra_len = 8;
    h.hcrc = 1;
    return gzip_deflate(data, n, level, Z_DEFAULT_STRATEGY, header ? &h : NULL, out_len);
}

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Records are lines 0..g->n-1 of `text`, in order, none lost before the last. */
static void assert_prefix(const got *g, const char *text)
{
    for (size_t i = 0; i < g->n; i++) {
        char want[32];
        snprintf(want, sizeof want, "\"E%zu\"", i);
        assert_non_null(strstr(g->r[i].text, want));
        assert_memory_equal(g->r[i].text, text + g->r[i].offset, g->r[i].text_len);
    }
}

static void empty_members_concatenated_and_header_fields(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t len, l1, l2, le, lh;
    char *text = ndjson(300, &len);
    size_t half = len / 2;
    while (text[half - 1] != '\n')
        half++;
    unsigned char *m1 = gzip_with(text, half, 6, false, &l1);
    unsigned char *me = gzip_with("", 0, 6, false, &le);
    unsigned char *m2 = gzip_with(text + half, len - half, 1, true, &l2);
    unsigned char *mh = gzip_with(text, len, 9, true, &lh);
    /* empty, first half, empty, second half (with header fields), empty, zeros */
    size_t total = 3 * le + l1 + l2 + 16, at = 0;
    unsigned char *all = calloc(1, total);
    memcpy(all + at, me, le), at += le;
    memcpy(all + at, m1, l1), at += l1;
    memcpy(all + at, me, le), at += le;
    memcpy(all + at, m2, l2), at += l2;
    memcpy(all + at, me, le), at += le;
    char *p = tmp_path(dir, "multi.gz");
    write_bytes(p, all, total);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 300);
    assert_int_equal(g.st.gzip_errors, 0);
    assert_int_equal(g.st.bytes_inflated, len);
    assert_int_equal(g.d.len, 0); /* trailing zeros are padding, not garbage */
    assert_prefix(&g, text);
    got_free(&g);
    /* one member with FNAME, FCOMMENT, FEXTRA and FHCRC */
    write_bytes(p, mh, lh);
    run_one(&g, p);
    assert_int_equal(g.n, 300);
    assert_int_equal(g.st.gzip_errors, 0);
    got_free(&g);
    /* an empty member alone: an empty file, not an error */
    write_bytes(p, me, le);
    run_one(&g, p);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.st.gzip_errors, 0);
    assert_int_equal(g.st.bytes_inflated, 0);
    got_free(&g);
    free(p);
    free(all);
    free(m1);
    free(m2);
    free(me);
    free(mh);
    free(text);
    tmp_rm(dir);
}

static void every_truncation_point_keeps_a_prefix(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t len, gl;
    char *text = ndjson(40, &len);
    unsigned char *gz = gzip_with(text, len, 6, true, &gl);
    char *p = tmp_path(dir, "cut.json.gz");
    for (size_t cut = 2; cut < gl; cut++) {
        write_bytes(p, gz, cut);
        got g;
        run_one(&g, p);
        assert_int_equal(g.st.gzip_errors, 1);
        assert_true(g.n <= 40);
        assert_true(g.st.bytes_inflated <= len);
        assert_prefix(&g, text);
        const th_diag *dg = must_find_diag(&g, "gzip: truncated");
        assert_string_equal(dg->file, p);
        assert_int_equal(dg->offset, (long long)cut);
        got_free(&g);
    }
    /* cut inside the 8-byte trailer: every record was inflated, still reported */
    write_bytes(p, gz, gl - 3);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 40);
    assert_int_equal(g.st.bytes_inflated, len);
    assert_int_equal(g.st.gzip_errors, 1);
    got_free(&g);
    free(p);
    free(gz);
    free(text);
    tmp_rm(dir);
}

/* Rewrites the trailer of a one-member file and checks the result: all the
 * content kept, one gzip error naming the check. */
static void check_bad_trailer(const char *dir, const unsigned char *gz, size_t gl,
                              const char *text, size_t len, int lines, size_t field,
                              uint32_t value)
{
    unsigned char *bad = malloc(gl);
    memcpy(bad, gz, gl);
    put_le32(bad + gl - 8 + field, value);
    char *p = tmp_path(dir, "bad-trailer.json.gz");
    write_bytes(p, bad, gl);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, (size_t)lines);
    assert_int_equal(g.st.bytes_inflated, len);
    assert_int_equal(g.st.gzip_errors, 1);
    assert_prefix(&g, text);
    const th_diag *dg = must_find_diag(&g, "gzip: corrupt data (CRC-32 or length check failed)");
    assert_string_equal(dg->file, p);
    assert_true(dg->offset > 10 && dg->offset <= (long long)gl);
    got_free(&g);
    free(p);
    free(bad);
}

static void corrupt_crc_and_lying_isize_are_reported(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t len, gl;
    char *text = ndjson(200, &len);
    unsigned char *gz = gzip_with(text, len, 6, false, &gl);
    uint32_t crc = (uint32_t)gz[gl - 8] | (uint32_t)gz[gl - 7] << 8 |
                   (uint32_t)gz[gl - 6] << 16 | (uint32_t)gz[gl - 5] << 24;
    check_bad_trailer(dir, gz, gl, text, len, 200, 0, crc ^ 1u);               /* CRC-32 */
    check_bad_trailer(dir, gz, gl, text, len, 200, 4, (uint32_t)len - 1);      /* ISIZE smaller */
    check_bad_trailer(dir, gz, gl, text, len, 200, 4, (uint32_t)len + 1);      /* ISIZE larger */
    check_bad_trailer(dir, gz, gl, text, len, 200, 4, 0xffffffffu);            /* ~4 GiB */
    check_bad_trailer(dir, gz, gl, text, len, 200, 4, 0);                      /* 0 */
    /* ISIZE is the size mod 2^32: a trailer "wrapped" by exactly 4 GiB would
     * still match; one that claims 4 GiB more than it is cannot be told apart
     * by any reader, so the content decides, never the trailer. A lying
     * trailer in the first of two members is still caught there. */
    size_t two = 2 * gl;
    unsigned char *both = malloc(two);
    memcpy(both, gz, gl);
    memcpy(both + gl, gz, gl);
    put_le32(both + gl - 4, 7);
    char *p = tmp_path(dir, "two.gz");
    write_bytes(p, both, two);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 200);
    assert_int_equal(g.st.gzip_errors, 1);
    assert_int_equal(g.st.bytes_inflated, len);
    must_find_diag(&g, "length check failed");
    got_free(&g);
    free(p);
    free(both);
    free(gz);
    free(text);
    tmp_rm(dir);
}

static void content_exactly_at_the_cap(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t len, gl, le;
    char *text = ndjson(500, &len);
    unsigned char *gz = gzip_with(text, len, 6, false, &gl);
    unsigned char *me = gzip_with("", 0, 6, false, &le);
    char *p = tmp_path(dir, "cap.json.gz");
    write_bytes(p, gz, gl);
    const char *paths[1] = {p};
    got g;
    run_input_opts(&g, paths, 1, TH_TIME_NONE, TH_TIME_NONE, len); /* exactly: fine */
    assert_int_equal(g.n, 500);
    assert_int_equal(g.st.gzip_errors, 0);
    assert_int_equal(g.st.bytes_inflated, len);
    assert_int_equal(g.d.len, 0);
    got_free(&g);
    /* two bytes over (one would only drop the last newline, a whole record still) */
    run_input_opts(&g, paths, 1, TH_TIME_NONE, TH_TIME_NONE, len - 2);
    assert_int_equal(g.n, 499);
    assert_int_equal(g.st.gzip_errors, 1);
    assert_int_equal(g.st.bytes_inflated, len - 2);
    must_find_diag(&g, "exceeds the limit");
    got_free(&g);
    /* at the cap, then an empty member and zeros: nothing more, no error */
    unsigned char *cat = calloc(1, gl + le + 8);
    memcpy(cat, gz, gl);
    memcpy(cat + gl, me, le);
    write_bytes(p, cat, gl + le + 8);
    run_input_opts(&g, paths, 1, TH_TIME_NONE, TH_TIME_NONE, len);
    assert_int_equal(g.n, 500);
    assert_int_equal(g.st.gzip_errors, 0);
    got_free(&g);
    /* at the cap, then a member with content: over the cap */
    unsigned char *two = malloc(2 * gl);
    memcpy(two, gz, gl);
    memcpy(two + gl, gz, gl);
    write_bytes(p, two, 2 * gl);
    run_input_opts(&g, paths, 1, TH_TIME_NONE, TH_TIME_NONE, len);
    assert_int_equal(g.n, 500);
    assert_int_equal(g.st.gzip_errors, 1);
    assert_int_equal(g.st.bytes_inflated, len);
    must_find_diag(&g, "exceeds the limit");
    got_free(&g);
    free(two);
    free(cat);
    free(p);
    free(me);
    free(gz);
    free(text);
    tmp_rm(dir);
}

/* Over 16 MiB compressed (stored blocks): mapped rather than read, windowed
 * many times over, truncated too. */
static void large_file_is_mapped_and_streamed(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t len, gl;
    char *text = ndjson(200000, &len); /* ~17 MB */
    unsigned char *gz = gzip_with(text, len, 0, false, &gl);
    assert_true(gl > (16u << 20));
    char *p = tmp_path(dir, "big.ndjson.gz");
    write_bytes(p, gz, gl);
    got g;
    run_one(&g, p);
    assert_int_equal(g.n, 200000);
    assert_int_equal(g.st.gzip_errors, 0);
    assert_int_equal(g.st.bytes, gl);
    assert_int_equal(g.st.bytes_inflated, len);
    assert_prefix(&g, text);
    got_free(&g);
    write_bytes(p, gz, gl - 100000);
    run_one(&g, p);
    assert_true(g.n > 190000 && g.n < 200000);
    assert_int_equal(g.st.gzip_errors, 1);
    assert_prefix(&g, text);
    assert_int_equal(must_find_diag(&g, "gzip: truncated")->offset, (long long)(gl - 100000));
    got_free(&g);
    free(p);
    free(gz);
    free(text);
    tmp_rm(dir);
}

/* Many small objects through one reader: buffers are swapped and reused from
 * file to file, plain and gzip'd files mixed. */
static void many_small_objects_in_one_run(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t len;
    char *text = ndjson(30, &len);
    enum { N = 60 };
    char *paths[N];
    for (int i = 0; i < N; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "o/%03d.json%s", i, i % 3 == 2 ? "" : ".gz");
        paths[i] = tmp_path(dir, rel);
        if (i % 3 == 2) {
            write_bytes(paths[i], text, len);
        } else {
            size_t gl;
            unsigned char *gz = gzip_with(text, len, i % 9, false, &gl);
            write_bytes(paths[i], gz, i % 3 == 1 && i % 7 == 0 ? gl / 2 : gl);
            free(gz);
        }
    }
    got g;
    run_input(&g, (const char *const *)paths, N);
    assert_int_equal(g.st.files, N);
    size_t cut = 0;
    for (int i = 0; i < N; i++)
        cut += i % 3 == 1 && i % 7 == 0;
    assert_int_equal(g.st.gzip_errors, cut);
    for (size_t i = 0; i < g.n; i++)
        assert_memory_equal(g.r[i].text, text + g.r[i].offset, g.r[i].text_len);
    assert_true(g.n > (N - cut) * 30 && g.n < N * 30);
    got_free(&g);
    for (int i = 0; i < N; i++)
        free(paths[i]);
    free(text);
    tmp_rm(dir);
}

/* A gzip member whose deflate stream was made with `dict` as a preset
 * dictionary (which gzip has no field for): its matches reach back before
 * the member's first byte, as a corrupt stream's may. */
static unsigned char *gzip_reaching_back(const char *data, size_t n, const char *dict,
                                         size_t dn, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    assert_int_equal(deflateSetDictionary(&z, (const Bytef *)dict, (uInt)dn), Z_OK);
    size_t cap = 10 + deflateBound(&z, (uLong)n) + 64 + 8;
    unsigned char *out = malloc(cap);
    static const unsigned char hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    memcpy(out, hdr, 10);
    z.next_in = (unsigned char *)data;
    z.avail_in = (uInt)n;
    z.next_out = out + 10;
    z.avail_out = (uInt)(cap - 18);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t at = cap - 18 - z.avail_out + 10;
    deflateEnd(&z);
    put_le32(out + at, (uint32_t)crc32(0, (const Bytef *)data, (uInt)n));
    put_le32(out + at + 4, (uint32_t)n);
    *out_len = at + 8;
    return out;
}

/* A stream whose matches reach back past its start is corrupt, and what is
 * kept of it (the bytes before ISA-L says so) must depend on its own bytes
 * alone. ISA-L resolves such a match from the history buffer inside its
 * inflate state, which the reader reuses from file to file and which
 * starts uninitialised: the kept bytes were the previous file's content
 * (so records, counts and messages depended on which file a reader had
 * read before: with files as jobs, on the thread) or stale heap bytes (the
 * fuzz_input failure that did not reproduce). Here the same corrupt member
 * follows each of two different files of the same size, in one reader, and
 * each of two different members in one file: what it gives must not change. */
static void corrupt_stream_does_not_see_the_file_before(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    size_t l1, l2, g1, g2, gb;
    char *t1 = ndjson_salted(400, 1, &l1), *t2 = ndjson_salted(400, 7, &l2);
    assert_int_equal(l1, l2);
    assert_true(memcmp(t1, t2, l1) != 0);
    unsigned char *z1 = gzip_with(t1, l1, 6, false, &g1), *z2 = gzip_with(t2, l2, 6, false, &g2);
    /* the corrupt member: a line of its own (so that the file starts like
     * JSON), then t1's last 20 lines, coded against t1's last 32 KiB */
    size_t tail = l1;
    for (int k = 0; k < 21; tail--)
        k += t1[tail - 1] == '\n';
    tail++;
    const char *own = "{\"Q\":1}\n";
    size_t on = strlen(own), bn = on + l1 - tail;
    char *bt = malloc(bn);
    memcpy(bt, own, on);
    memcpy(bt + on, t1 + tail, l1 - tail);
    size_t dn = l1 > 32768 ? 32768 : l1;
    unsigned char *zb = gzip_reaching_back(bt, bn, t1 + l1 - dn, dn, &gb);
    char *a1 = tmp_path(dir, "1/a.json.gz"), *a2 = tmp_path(dir, "2/a.json.gz");
    char *b = tmp_path(dir, "b.json.gz");
    write_bytes(a1, z1, g1);
    write_bytes(a2, z2, g2);
    write_bytes(b, zb, gb);
    got x, y, alone;
    const char *p1[2] = {a1, b}, *p2[2] = {a2, b};
    run_input(&x, p1, 2);
    run_input(&y, p2, 2);
    run_one(&alone, b);
    assert_int_equal(alone.st.gzip_errors, 1); /* ISA-L has no dictionary: corrupt */
    assert_int_equal(x.st.gzip_errors, 1);
    /* b's records, stats and messages are the same after either file and alone */
    assert_int_equal(x.n, 400 + alone.n);
    assert_int_equal(y.n, 400 + alone.n);
    for (size_t i = 0; i < alone.n; i++) {
        assert_int_equal(x.r[400 + i].offset, alone.r[i].offset);
        assert_int_equal(y.r[400 + i].offset, alone.r[i].offset);
        assert_true(x.r[400 + i].text_len == alone.r[i].text_len &&
                    y.r[400 + i].text_len == alone.r[i].text_len);
        assert_memory_equal(x.r[400 + i].text, alone.r[i].text, alone.r[i].text_len);
        assert_memory_equal(y.r[400 + i].text, alone.r[i].text, alone.r[i].text_len);
    }
    assert_int_equal(x.st.bytes_inflated, l1 + alone.st.bytes_inflated);
    assert_int_equal(y.st.bytes_inflated, l2 + alone.st.bytes_inflated);
    assert_int_equal(x.st.records_skipped, alone.st.records_skipped);
    assert_int_equal(y.st.records_skipped, alone.st.records_skipped);
    assert_int_equal(x.d.len, alone.d.len);
    assert_int_equal(y.d.len, alone.d.len);
    for (size_t i = 0; i < alone.d.len; i++) {
        assert_string_equal(x.d.items[i].message, alone.d.items[i].message);
        assert_string_equal(y.d.items[i].message, alone.d.items[i].message);
    }
    got_free(&x);
    got_free(&y);
    /* and after another member of the same file (concatenated gzip files) */
    unsigned char *c1 = malloc(g1 + gb), *c2 = malloc(g2 + gb);
    memcpy(c1, z1, g1);
    memcpy(c1 + g1, zb, gb);
    memcpy(c2, z2, g2);
    memcpy(c2 + g2, zb, gb);
    char *c = tmp_path(dir, "c.json.gz");
    write_bytes(c, c1, g1 + gb);
    run_one(&x, c);
    write_bytes(c, c2, g2 + gb);
    run_one(&y, c);
    assert_int_equal(x.n, y.n);
    assert_true(x.n >= 400);
    for (size_t i = 400; i < x.n; i++) {
        assert_int_equal(x.r[i].offset, y.r[i].offset);
        assert_true(x.r[i].text_len == y.r[i].text_len);
        assert_memory_equal(x.r[i].text, y.r[i].text, x.r[i].text_len);
    }
    assert_int_equal(x.st.records_skipped, y.st.records_skipped);
    assert_int_equal(x.d.len, y.d.len);
    for (size_t i = 0; i < x.d.len; i++)
        assert_string_equal(x.d.items[i].message, y.d.items[i].message);
    got_free(&x);
    got_free(&y);
    free(c);
    free(c1);
    free(c2);
    got_free(&alone);
    free(a1);
    free(a2);
    free(b);
    free(z1);
    free(z2);
    free(zb);
    free(bt);
    free(t1);
    free(t2);
    tmp_rm(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_members_concatenated_and_header_fields),
        cmocka_unit_test(every_truncation_point_keeps_a_prefix),
        cmocka_unit_test(corrupt_crc_and_lying_isize_are_reported),
        cmocka_unit_test(content_exactly_at_the_cap),
        cmocka_unit_test(large_file_is_mapped_and_streamed),
        cmocka_unit_test(many_small_objects_in_one_run),
        cmocka_unit_test(corrupt_stream_does_not_see_the_file_before),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
