/* Structural JSON scanning for io/ (boundaries only; see scan.h). */
#include "io/scan.h"

#include <string.h>

#include "base/limits.h"

static size_t fail(th_io_scan_err *err, size_t at, const char *why)
{
    err->at = at;
    err->reason = why;
    return 0;
}

size_t th_io_skip_ws(const char *s, size_t n, size_t i)
{
    while (i < n && th_io_is_ws((unsigned char)s[i]))
        i++;
    return i;
}

/* s[i] is the opening quote; returns the index past the closing one. A quote
 * is closing when an even number of backslashes precedes it. memchr does the
 * scanning, which is what makes this fast on CloudTrail's string-heavy JSON. */
static size_t skip_string(const char *s, size_t n, size_t i, th_io_scan_err *err)
{
    size_t j = i + 1;
    for (;;) {
        const char *q = j < n ? memchr(s + j, '"', n - j) : NULL;
        if (!q)
            return fail(err, i, "unterminated string");
        size_t k = (size_t)(q - s), b = k;
        while (b > i + 1 && s[b - 1] == '\\')
            b--;
        if (((k - b) & 1) == 0)
            return k + 1;
        j = k + 1;
    }
}

static bool is_delim(unsigned char c)
{
    return th_io_is_ws(c) || c == ',' || c == ']' || c == '}' || c == ':';
}

size_t th_io_skip_value(const char *s, size_t n, size_t i, th_io_scan_err *err)
{
    if (i >= n)
        return fail(err, i, "unexpected end of input");
    unsigned char c = (unsigned char)s[i];
    if (c == '"')
        return skip_string(s, n, i, err);
    if (c != '{' && c != '[') {
        size_t j = i;
        while (j < n && !is_delim((unsigned char)s[j]) && s[j] != '"' && s[j] != '{' && s[j] != '[')
            j++;
        return j > i ? j : fail(err, i, "unexpected character");
    }
    unsigned char stack[TH_MAX_JSON_DEPTH];
    size_t depth = 0, j = i;
    while (j < n) {
        c = (unsigned char)s[j];
        switch (c) {
        case '"':
            j = skip_string(s, n, j, err);
            if (!j)
                return 0;
            continue;
        case '{':
        case '[':
            if (depth == TH_MAX_JSON_DEPTH)
                return fail(err, j, "nesting too deep");
            stack[depth++] = c;
            break;
        case '}':
        case ']':
            if (depth == 0 || stack[depth - 1] != (c == '}' ? '{' : '['))
                return fail(err, j, "mismatched bracket");
            if (--depth == 0)
                return j + 1;
            break;
        default: break;
        }
        j++;
    }
    return fail(err, i, s[i] == '{' ? "unterminated object" : "unterminated array");
}

int th_io_arr_begin(const char *s, size_t n, th_io_arr *it, size_t *start, th_io_scan_err *err)
{
    if (it->done)
        return 0;
    size_t p = th_io_skip_ws(s, n, it->pos);
    if (!it->started) {
        it->started = true;
        if (p < n && s[p] == ']') {
            it->pos = p + 1;
            it->done = true;
            return 0;
        }
    } else {
        if (p >= n) {
            fail(err, p, "unterminated array");
            return -1;
        }
        if (s[p] == ']') {
            it->pos = p + 1;
            it->done = true;
            return 0;
        }
        if (s[p] != ',') {
            fail(err, p, "expected ',' or ']' in array");
            return -1;
        }
        p = th_io_skip_ws(s, n, p + 1);
    }
    if (p >= n) {
        fail(err, p, "unterminated array");
        return -1;
    }
    *start = p;
    return 1;
}

int th_io_arr_next(const char *s, size_t n, th_io_arr *it, size_t *start, size_t *end,
                   th_io_scan_err *err)
{
    int r = th_io_arr_begin(s, n, it, start, err);
    if (r <= 0)
        return r;
    size_t e = th_io_skip_value(s, n, *start, err);
    if (!e)
        return -1;
    *end = e;
    it->pos = e;
    return 1;
}

size_t th_io_records_first(const char *s, size_t n, size_t i)
{
    static const char key[] = "\"Records\"";
    size_t p = th_io_skip_ws(s, n, i + 1);
    if (n - p < sizeof(key) - 1 || memcmp(s + p, key, sizeof(key) - 1) != 0)
        return 0;
    p = th_io_skip_ws(s, n, p + sizeof(key) - 1);
    if (p >= n || s[p] != ':')
        return 0;
    p = th_io_skip_ws(s, n, p + 1);
    return p < n && s[p] == '[' ? p : 0;
}

/* Skips `"key" :` at p; returns the index of the value, or 0. */
static size_t skip_key(const char *s, size_t n, size_t p, size_t *kstart, size_t *kend,
                       th_io_scan_err *err)
{
    if (p >= n || s[p] != '"')
        return fail(err, p, "expected string key in object");
    size_t e = skip_string(s, n, p, err);
    if (!e)
        return 0;
    *kstart = p + 1;
    *kend = e - 1;
    p = th_io_skip_ws(s, n, e);
    if (p >= n || s[p] != ':')
        return fail(err, p, "expected ':' after object key");
    return th_io_skip_ws(s, n, p + 1);
}

size_t th_io_find_array_member(const char *s, size_t n, size_t i, const char *key)
{
    th_io_scan_err err;
    size_t kl = strlen(key);
    size_t p = th_io_skip_ws(s, n, i + 1);
    if (p < n && s[p] == '}')
        return 0;
    for (;;) {
        size_t ks, ke;
        p = skip_key(s, n, p, &ks, &ke, &err);
        if (!p || p >= n)
            return 0;
        if (ke - ks == kl && memcmp(s + ks, key, kl) == 0 && s[p] == '[')
            return p;
        p = th_io_skip_value(s, n, p, &err);
        if (!p)
            return 0;
        p = th_io_skip_ws(s, n, p);
        if (p >= n || s[p] != ',')
            return 0;
        p = th_io_skip_ws(s, n, p + 1);
    }
}

size_t th_io_finish_object(const char *s, size_t n, size_t pos, const char *key, size_t *arr,
                            th_io_scan_err *err)
{
    size_t p = th_io_skip_ws(s, n, pos);
    size_t kl = key ? strlen(key) : 0;
    for (;;) {
        if (p >= n)
            return fail(err, p, "unterminated object");
        if (s[p] == '}')
            return p + 1;
        if (s[p] != ',')
            return fail(err, p, "expected ',' or '}' in object");
        size_t ks, ke;
        p = skip_key(s, n, th_io_skip_ws(s, n, p + 1), &ks, &ke, err);
        if (!p)
            return 0;
        if (key && p < n && s[p] == '[' && ke - ks == kl && memcmp(s + ks, key, kl) == 0) {
            *arr = p;
            return p;
        }
        p = th_io_skip_value(s, n, p, err);
        if (!p)
            return 0;
        p = th_io_skip_ws(s, n, p);
    }
}
