/* io/: the whole-member inflate (source.c's inflate_whole: the file's first
 * gzip member in one isal_inflate_stateless call) against the streaming path
 * it shortcuts (th_io_src.stream_only), byte for byte: the content, the
 * counts, `incomplete`, and every diagnostic with its offset. The inputs are
 * CloudTrail content (five of the corpus' real CloudTrail files when it is
 * present, and generated S3-style objects and NDJSON of 200 B to 3 MB), at
 * several levels, with header fields, two members, trailing bytes, a lying
 * ISIZE, a bad CRC-32, truncations, random byte changes, and caps at and
 * below the content. Each reader is reused from case to case, as in a run, so the whole
 * path's inflate state is never cleared; its buffers are filled with the same
 * bytes in both before each case (what a corrupt member keeps no longer
 * depends on them: test_gzip_stale). */
#include "io_test_util.h"

typedef struct bench {
    th_io_src whole, stream;
    char *path;
    size_t cases, taken, corrupt;
} bench;

/* Writes gz[0..n) to the case file and reads it both ways: the same. */
static void same_both_ways(bench *b, const unsigned char *gz, size_t n, uint64_t cap)
{
    write_bytes(b->path, gz, n);
    readout w, s;
    src_read(&b->whole, b->path, cap, 0xA5, TAKE_ALL, &w);
    src_read(&b->stream, b->path, cap, 0xA5, TAKE_ALL, &s);
    assert_false(s.whole);
    readout_same(&w, &s);
    b->cases++;
    b->taken += w.whole;
    b->corrupt += s.incomplete;
    readout_free(&w);
    readout_free(&s);
}

/* One gzip member of data at `level` (0: stored blocks), header fields when
 * `header` is set; malloc'd, size in *out_len. */
static unsigned char *gz_level(const void *data, size_t n, int level, bool header, size_t *out_len)
{
    gz_header h;
    memset(&h, 0, sizeof h);
    h.name = (Bytef *)"object.json";
    h.comment = (Bytef *)"a comment";
    h.hcrc = 1;
    return gzip_deflate(data, n, level, Z_DEFAULT_STRATEGY, header ? &h : NULL, out_len);
}

/* An S3 object ({"Records":[...]}, one line) of about `want` bytes, or
 * NDJSON lines when `ndjson`; the values drawn from *rng. malloc'd. */
static char *cloudtrail(size_t want, bool ndjson, uint64_t *rng, size_t *len)
{
    size_t cap = want + 1024, n = 0;
    char *t = malloc(cap);
    if (!ndjson)
        n += (size_t)snprintf(t, cap, "{\"Records\":[");
    for (int i = 0; n + 600 < want || i == 0; i++) {
        uint64_t r = th_test_xorshift(rng);
        n += (size_t)snprintf(
            t + n, cap - n,
            "%s{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\","
            "\"principalId\":\"AROA%08llX:i-%012llx\",\"accountId\":\"413332313026\"},"
            "\"eventTime\":\"2026-10-01T%02u:%02u:%02uZ\",\"eventSource\":\"%s.amazonaws.com\","
            "\"eventName\":\"%s\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":"
            "\"10.%u.%u.%u\",\"userAgent\":\"aws-sdk-go/1.44.%u\",\"requestParameters\":"
            "{\"bucketName\":\"logs-%u\"},\"eventID\":\"%016llx\"}%s",
            ndjson || i == 0 ? "" : ",", (unsigned long long)(r & 0xffffffff),
            (unsigned long long)(r >> 20), (unsigned)(r % 24), (unsigned)(r >> 8) % 60,
            (unsigned)(r >> 16) % 60, r & 1 ? "s3" : "iam", r & 2 ? "GetObject" : "ListRoles",
            (unsigned)(r >> 24) & 255, (unsigned)(r >> 32) & 255, (unsigned)(r >> 40) & 255,
            (unsigned)(r >> 48) % 300, (unsigned)(r >> 56), (unsigned long long)r,
            ndjson ? "\n" : "");
    }
    if (!ndjson)
        n += (size_t)snprintf(t + n, cap - n, "]}");
    *len = n;
    return t;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Every variant of one content: levels, header fields, two members, trailing
 * bytes, ISIZE and CRC-32 wrong, truncations, `flips` random byte changes,
 * caps at and below the content. */
static void variants(bench *b, const char *text, size_t n, int flips, uint64_t *rng)
{
    static const int levels[] = {0, 1, 6, 9};
    size_t gl;
    for (size_t i = 0; i < sizeof levels / sizeof *levels; i++) {
        unsigned char *gz = gz_level(text, n, levels[i], false, &gl);
        same_both_ways(b, gz, gl, UINT64_MAX);
        free(gz);
    }
    unsigned char *g = gz_level(text, n, 6, true, &gl);
    same_both_ways(b, g, gl, UINT64_MAX);
    free(g);
    g = gz_level(text, n, 6, false, &gl);
    same_both_ways(b, g, gl, n + 1);
    same_both_ways(b, g, gl, n); /* exactly at the cap */
    same_both_ways(b, g, gl, n - 1);
    same_both_ways(b, g, gl, n / 2);
    unsigned char *x = malloc(2 * gl + 64);
    memcpy(x, g, gl);
    memcpy(x + gl, g, gl); /* two members */
    same_both_ways(b, x, 2 * gl, UINT64_MAX);
    same_both_ways(b, x, 2 * gl, n);
    memset(x + gl, 0, 64); /* trailing zeros, then garbage */
    same_both_ways(b, x, gl + 64, UINT64_MAX);
    memcpy(x + gl, "garbage", 7);
    same_both_ways(b, x, gl + 7, UINT64_MAX);
    same_both_ways(b, x, gl + 7, n);
    static const int64_t lies[] = {-1, 1, -1048576, 1048576};
    for (size_t i = 0; i < sizeof lies / sizeof *lies; i++) {
        memcpy(x, g, gl);
        put_le32(x + gl - 4, (uint32_t)((int64_t)n + lies[i]));
        same_both_ways(b, x, gl, UINT64_MAX);
    }
    memcpy(x, g, gl);
    x[gl - 8] ^= 0x40; /* CRC-32 */
    same_both_ways(b, x, gl, UINT64_MAX);
    for (int k = 1; k <= 6; k++) /* truncated */
        same_both_ways(b, g, gl * (size_t)k / 7, UINT64_MAX);
    same_both_ways(b, g, gl - 1, UINT64_MAX);
    for (int f = 0; f < flips; f++) {
        memcpy(x, g, gl);
        int changes = 1 + (int)(th_test_xorshift(rng) % 3);
        for (int c = 0; c < changes; c++) {
            uint64_t r = th_test_xorshift(rng);
            /* mostly the deflate data, sometimes the header or trailer */
            size_t at = (r & 7) == 0   ? (size_t)(r >> 8) % 10
                        : (r & 7) == 1 ? gl - 1 - (size_t)(r >> 8) % 8
                                       : 10 + (size_t)(r >> 8) % (gl - 18);
            x[at] ^= (unsigned char)(1u << ((r >> 40) & 7));
        }
        same_both_ways(b, x, gl, UINT64_MAX);
    }
    free(x);
    free(g);
}

static void whole_member_reads_as_the_stream_does(void **state)
{
    (void)state;
    char *dir = tmp_dir();
    bench b;
    memset(&b, 0, sizeof b);
    th_io_src_init(&b.whole);
    th_io_src_init(&b.stream);
    b.stream.stream_only = true;
    b.path = tmp_path(dir, "case.json.gz");
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    static const size_t sizes[] = {200, 5000, 30000, 66000, 140000, 900000, 1100000, 3000000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        for (int nd = 0; nd < 2; nd++) {
            size_t n;
            char *t = cloudtrail(sizes[i], nd, &rng, &n);
            variants(&b, t, n, sizes[i] > 1000000 ? 4 : 60, &rng);
            free(t);
        }
    }
    /* the corpus' real CloudTrail (an S3 object, NDJSON exports), read as
     * they are (gunzipped where gzip'd) and coded again in every variant */
    static const char *const real[] = {
        "trailscraper-fixtures/"
        "111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
        "trailscraper-fixtures/events-for-smoke-test.json",
        "otrf-security-datasets/ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl",
        "panther-analysis-rule-tests/events.jsonl",
        "panther-analysis-rule-tests/scenarios-events.jsonl",
    };
    const char *corpus = th_test_corpus();
    int used = 0;
    for (size_t i = 0; corpus && i < sizeof real / sizeof *real; i++) {
        char p[4200];
        snprintf(p, sizeof p, "%s/cloudtrail-real/%s", corpus, real[i]);
        th_io_src s;
        th_io_src_init(&s);
        readout o;
        src_read(&s, p, UINT64_MAX, 0xA5, TAKE_ALL, &o);
        th_io_src_free(&s);
        assert_true(o.opened && !o.incomplete && o.bytes.len > 16);
        variants(&b, o.bytes.data, o.bytes.len, 20, &rng);
        used++;
        readout_free(&o);
    }
    /* the whole path was taken, and the streaming one for the rest */
    print_message("gzip whole: %zu cases (%d corpus objects), %zu inflated whole, %zu corrupt\n",
                  b.cases, used, b.taken, b.corrupt);
    assert_true(b.taken > b.cases / 10);
    assert_true(b.corrupt > b.cases / 4);
    th_io_src_free(&b.whole);
    th_io_src_free(&b.stream);
    free(b.path);
    tmp_rm(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_member_reads_as_the_stream_does),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
