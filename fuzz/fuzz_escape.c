/* libFuzzer target for the writer's escape scanners and copies (json/escape.h)
 * and th_json_write_str: the input is one string of any bytes (invalid UTF-8,
 * control bytes, quotes, backslashes). Both scanners and both copies must find
 * the byte-by-byte reference's first byte to escape, the copies must have
 * copied the bytes before it and written nothing past the string's length,
 * and th_json_write_str must write what a byte-at-a-time writer writes. The
 * string is held in a block of its exact size, so ASan sees any read past it.
 *
 *   make fuzz            (all targets; FUZZ_SECONDS each)
 *   build/fuzz/fuzz_escape -max_len=4096 CORPUS_DIR */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "json/escape.h"
#include "json/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool needs_escape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

static void ref_write(th_buf *out, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    th_buf_putc(out, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = p[i];
        const char *e = NULL;
        switch (c) {
        case '"': e = "\\\""; break;
        case '\\': e = "\\\\"; break;
        case '\n': e = "\\n"; break;
        case '\r': e = "\\r"; break;
        case '\t': e = "\\t"; break;
        case '\b': e = "\\b"; break;
        case '\f': e = "\\f"; break;
        default: break;
        }
        if (e) {
            th_buf_put(out, e, 2);
        } else if (c < 0x20) {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            th_buf_put(out, u, 6);
        } else {
            th_buf_putc(out, (char)c);
        }
    }
    th_buf_putc(out, '"');
}

/* A copy must return want, have copied p[0..want) and leave o[n] untouched. */
static void check_copy(size_t got, const char *o, const unsigned char *p, size_t n, size_t want)
{
    if (got != want || memcmp(o, p, want) != 0 || o[n] != '#')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *p = malloc(size ? size : 1);
    char *o = malloc(size + 1);
    if (!p || !o)
        abort();
    if (size)
        memcpy(p, data, size);
    size_t want = 0;
    while (want < size && !needs_escape(p[want]))
        want++;
    if (th_json_escape_scan(p, 0, size) != want || th_json_escape_scan_words(p, 0, size) != want)
        abort();
    /* from a later start too: the scanners' tails overlap bytes already seen */
    size_t from = size ? data[0] % (size + 1) : 0, want2 = from;
    while (want2 < size && !needs_escape(p[want2]))
        want2++;
    if (th_json_escape_scan(p, from, size) != want2 ||
        th_json_escape_scan_words(p, from, size) != want2)
        abort();
    memset(o, '#', size + 1);
    check_copy(th_json_escape_copy(o, p, size), o, p, size, want);
    memset(o, '#', size + 1);
    check_copy(th_json_escape_copy_words(o, p, size), o, p, size, want);
    th_buf got, ref;
    th_buf_init(&got);
    th_buf_init(&ref);
    th_json_write_str(&got, th_str_make((const char *)p, size));
    ref_write(&ref, p, size);
    if (got.len != ref.len || memcmp(got.data, ref.data, got.len) != 0)
        abort();
    th_buf_free(&got);
    th_buf_free(&ref);
    free(o);
    free(p);
    return 0;
}
