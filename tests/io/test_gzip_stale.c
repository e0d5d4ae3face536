/* io/: what a corrupt gzip member keeps depends on its own bytes alone, never
 * on what the reader's buffers held before (the end of an earlier file). ISA-L
 * 2.30's fast decode loop counts a faulting match's length as output before it
 * checks the distance; past a member's first 64 KiB those bytes lay in our
 * window unwritten (source.c's redo_fault). Each case is read twice by one
 * reused reader, its window and compressed-bytes buffer filled with 0xA5 the
 * first time and 0x5A the second: the content, the counts, `incomplete` and
 * every message with its offset must be the same. Members of 400 KB coded
 * with fixed Huffman codes (many matches), a single bit flipped in their last
 * three quarters (400 KB, one isal_inflate() call in the 1 MiB window, and
 * 2.5 MB, several); alone, after a small valid first member, under a cap
 * below the content, and read by a consumer that takes all, half, or in
 * turn varying parts of the window (calls of different sizes, an earlier one
 * smaller than a later one: the replay must repeat each); both the whole-member and the
 * streaming path. Where the member is alone, what zlib inflates of it before
 * it stops must begin the content: the bytes ISA-L did write. */
#include "io_test_util.h"

/* A member of data with fixed Huffman codes; malloc'd, size in *len. */
static unsigned char *gz_fixed(const void *data, size_t n, size_t *len)
{
    return gzip_deflate(data, n, 6, Z_FIXED, NULL, len);
}

/* What zlib inflates of the member gz[0..n) before it stops (at its end or
 * at an error): bytes ISA-L writes too, whatever its calls. malloc'd, size
 * in *len. */
static char *zlib_prefix(const unsigned char *gz, size_t n, size_t cap, size_t *len)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    char *out = malloc(cap);
    z.next_in = (unsigned char *)gz;
    z.avail_in = (uInt)n;
    z.next_out = (unsigned char *)out;
    z.avail_out = (uInt)cap;
    while (inflate(&z, Z_NO_FLUSH) == Z_OK && z.avail_out && z.avail_in)
        ;
    *len = cap - z.avail_out;
    inflateEnd(&z);
    return out;
}

typedef struct tally {
    size_t cases, corrupt, zeros_late; /* kept unwritten bytes past 64 KiB */
} tally;

static void same_whatever_the_buffers_held(th_io_src *s, const char *path, uint64_t cap, int mode,
                                           size_t text_at, const char *ref, size_t ref_n, tally *t)
{
    readout a, b;
    src_read(s, path, cap, 0xA5, mode, &a);
    src_read(s, path, cap, 0x5A, mode, &b);
    readout_same(&a, &b);
    /* the bytes before the fault are the member's (a replay that skips the
     * member's earlier calls gets them wrong) */
    size_t n = a.bytes.len, common = n < ref_n ? n : ref_n;
    if (ref)
        assert_memory_equal(a.bytes.data, ref, common);
    t->cases++;
    t->corrupt += a.incomplete;
    /* the text has no NUL: a NUL is a byte ISA-L counted but did not write */
    if (n > text_at + 65536 && memchr(a.bytes.data + text_at + 65536, 0, n - text_at - 65536))
        t->zeros_late++;
    readout_free(&a);
    readout_free(&b);
}

static void corrupt_members_keep_no_stale_bytes(void **state)
{
    (void)state;
    uint64_t rng = 88172645463325252ull;
    /* members of 400 KB (one isal_inflate() call in the 1 MiB window) and
     * 2.5 MB (several, whose sizes the consumer sets) */
    size_t big = 2500000, n = 400000;
    char *text = malloc(big);
    for (size_t i = 0; i < big; i++)
        text[i] = "abcdefgh{}\":,0123\n"[th_test_xorshift(&rng) % 18];
    size_t sl, bl, hl;
    unsigned char *small = gz_fixed(text, n, &sl);
    unsigned char *large = gz_fixed(text, big, &bl);
    unsigned char *h = gz_fixed("{\"a\":1}\n", 8, &hl);
    unsigned char *x = malloc(hl + bl);
    char *dir = tmp_dir();
    char *path = tmp_path(dir, "case.json.gz");
    th_io_src whole, stream;
    th_io_src_init(&whole);
    th_io_src_init(&stream);
    stream.stream_only = true;
    tally t = {0};
    for (int k = 0; k < 440; k++) {
        uint64_t r = th_test_xorshift(&rng);
        const unsigned char *g = k < 400 ? small : large;
        size_t gl = k < 400 ? sl : bl;
        bool two = k % 3 == 1;
        int mode = k < 400 ? k % 2 : k % 3; /* the large members: all three */
        size_t pre = two ? hl : 0;
        memcpy(x, h, hl);
        memcpy(x + pre, g, gl);
        size_t at = gl / 4 + r % (gl - gl / 4 - 8);
        x[pre + at] ^= (unsigned char)(1u << ((r >> 40) & 7));
        write_bytes(path, x, pre + gl);
        uint64_t cap = k % 5 == 4 ? 300000 : UINT64_MAX;
        size_t text_at = two ? 8 : 0;
        size_t ref_n = 0;
        char *ref = two ? NULL : zlib_prefix(x, gl, big + 1024, &ref_n);
        same_whatever_the_buffers_held(&whole, path, cap, mode, text_at, ref, ref_n, &t);
        same_whatever_the_buffers_held(&stream, path, cap, mode, text_at, ref, ref_n, &t);
        free(ref);
    }
    /* the cases reach the fault this is about (the counts are of this input) */
    assert_true(t.corrupt > t.cases / 10);
    assert_true(t.zeros_late > 10);
    th_io_src_free(&whole);
    th_io_src_free(&stream);
    free(path);
    tmp_rm(dir);
    free(x);
    free(small);
    free(large);
    free(h);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corrupt_members_keep_no_stale_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
