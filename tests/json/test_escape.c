/* json/: the escape scanners and copies (SSE2 and 64-bit words) and the
 * string writer built on them, against a byte-by-byte reference on every byte
 * value, at every position of every block and tail length, and on random
 * strings. */
#include "th_test.h"

#include <string.h>

#include "json/escape.h"
#include "json/json.h"

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static size_t ref_scan(const unsigned char *p, size_t i, size_t n)
{
    for (; i < n; i++)
        if (needs_escape(p[i]))
            return i;
    return n;
}

/* The writer as it was: one byte at a time. */
static void ref_write(th_buf *out, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    th_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        switch (c) {
        case '"': th_buf_put(out, "\\\"", 2); break;
        case '\\': th_buf_put(out, "\\\\", 2); break;
        case '\n': th_buf_put(out, "\\n", 2); break;
        case '\r': th_buf_put(out, "\\r", 2); break;
        case '\t': th_buf_put(out, "\\t", 2); break;
        case '\b': th_buf_put(out, "\\b", 2); break;
        case '\f': th_buf_put(out, "\\f", 2); break;
        default:
            if (c < 0x20) {
                char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                th_buf_put(out, e, 6);
            } else {
                th_buf_put(out, &c, 1);
            }
        }
    }
    th_buf_putc(out, '"');
}

static void check_write(const unsigned char *p, size_t n)
{
    th_buf a, b;
    th_buf_init(&a);
    th_buf_init(&b);
    th_buf_puts(&a, "x"); /* written after what the buffer holds */
    th_buf_puts(&b, "x");
    th_json_write_str(&a, th_str_make((const char *)p, n));
    ref_write(&b, p, n);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len + 1); /* the NUL too */
    th_buf_free(&a);
    th_buf_free(&b);
}

/* The escape copies (SSE2 and words) give the scanners' answer, have copied
 * the bytes before it, and write nothing past n. */
static void check_copy(const unsigned char *p, size_t n)
{
    size_t want = ref_scan(p, 0, n);
    char o[80];
    assert_true(n + 8 <= sizeof o);
    memset(o, '#', sizeof o);
    assert_int_equal(th_json_escape_copy(o, p, n), want);
    assert_memory_equal(o, p, want);
    for (size_t k = n; k < sizeof o; k++)
        assert_int_equal(o[k], '#');
    memset(o, '#', sizeof o);
    assert_int_equal(th_json_escape_copy_words(o, p, n), want);
    assert_memory_equal(o, p, want);
    for (size_t k = n; k < sizeof o; k++)
        assert_int_equal(o[k], '#');
}

/* Every byte value at every offset of a 40-byte string of 'a's (so it sits in
 * the 16-byte SIMD blocks, the 8-byte words and the tails), from every start. */
static void every_byte_at_every_position(void **state)
{
    (void)state;
    unsigned char buf[40];
    for (unsigned v = 0; v < 256; v++) {
        for (size_t at = 0; at < sizeof buf; at++) {
            memset(buf, 'a', sizeof buf);
            buf[at] = (unsigned char)v;
            for (size_t from = 0; from <= sizeof buf; from++) {
                size_t want = ref_scan(buf, from, sizeof buf);
                assert_int_equal(th_json_escape_scan(buf, from, sizeof buf), want);
                assert_int_equal(th_json_escape_scan_words(buf, from, sizeof buf), want);
            }
            for (size_t n = 0; n <= sizeof buf; n += 7)
                check_write(buf, n);
            for (size_t n = 0; n <= sizeof buf; n++)
                check_copy(buf, n);
        }
    }
}

/* The same for every string shorter than a block (the tails the scanners
 * gather into one word or one overlapping block), from every start. */
static void every_byte_in_short_strings(void **state)
{
    (void)state;
    unsigned char buf[24];
    for (size_t n = 1; n <= sizeof buf; n++) {
        for (unsigned v = 0; v < 256; v++) {
            for (size_t at = 0; at < n; at++) {
                memset(buf, 'a', sizeof buf);
                buf[at] = (unsigned char)v;
                for (size_t from = 0; from <= n; from++) {
                    size_t want = ref_scan(buf, from, n);
                    assert_int_equal(th_json_escape_scan(buf, from, n), want);
                    assert_int_equal(th_json_escape_scan_words(buf, from, n), want);
                }
                check_copy(buf, n);
            }
        }
    }
}

/* High bytes (UTF-8) next to the bytes that need escapes: a borrow in the word
 * test must not hide or invent a match. */
static void neighbours_and_random_strings(void **state)
{
    (void)state;
    unsigned char buf[64];
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b += 3) {
            for (size_t i = 0; i < sizeof buf; i++)
                buf[i] = (unsigned char)(i % 2 ? a : b);
            size_t want = ref_scan(buf, 0, sizeof buf);
            assert_int_equal(th_json_escape_scan(buf, 0, sizeof buf), want);
            assert_int_equal(th_json_escape_scan_words(buf, 0, sizeof buf), want);
            assert_int_equal(th_json_escape_scan_words(buf, 3, 61), ref_scan(buf, 3, 61));
            check_copy(buf, sizeof buf);
            check_copy(buf + 3, 58);
        }
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t escapes = 0;
    for (int round = 0; round < 20000; round++) {
        size_t n = (size_t)(round % 64);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* mostly printable, sometimes anything */
            buf[i] = (unsigned char)(x % 16 == 0 ? (x >> 8) & 0xff : 0x20 + (x >> 8) % 0x60);
        }
        size_t want = ref_scan(buf, 0, n);
        escapes += want < n;
        assert_int_equal(th_json_escape_scan(buf, 0, n), want);
        assert_int_equal(th_json_escape_scan_words(buf, 0, n), want);
        check_copy(buf, n);
        check_write(buf, n);
    }
    assert_true(escapes > 1000); /* the random strings did exercise escapes */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_byte_at_every_position),
        cmocka_unit_test(every_byte_in_short_strings),
        cmocka_unit_test(neighbours_and_random_strings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
