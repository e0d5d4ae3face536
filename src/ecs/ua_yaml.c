/* The plain layout of uap-core's regexes.yaml, read line by line (ua_yaml.h).
 *
 * Accepted, and nothing else (anything else: false, and libyaml reads it):
 *   - the whole text valid UTF-8 of YAML-printable characters, without tabs,
 *     carriage returns, NEL, U+2028, U+2029 or byte-order marks;
 *   - blank lines, and comment lines (spaces, then `#`);
 *   - `key:` at column 0 (a top-level key, followed by at least one item);
 *   - `- key: 'value'` at a column I > 0, the same for all items of a key (an item);
 *   - `key: 'value'` at column I + 2 after an item (more of its mapping);
 * keys of [a-z0-9_] (at most 128), values single-quoted on one line (`''` is a
 * quote), then only spaces. For such text libyaml gives exactly the events
 * this gives: the root mapping, each top-level key's scalar and block
 * sequence, each item's mapping of scalars. */
#include "ecs/ua_yaml.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/utf8.h"

static bool printable_text(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        /* eight ASCII bytes of 0x20..0x7E at once: no high bit, none below 0x20, no DEL */
        const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, sizeof w);
            if ((w | ((w - ones * 0x20) | ((w ^ ones * 0x7F) - ones))) & highs)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (s[i] < 0x80) {
            if ((s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7F)
                return false;
            i++;
            continue;
        }
        size_t len;
        uint32_t cp;
        if (th_utf8_decode(s + i, n - i, &len, &cp) != TH_UTF8_OK)
            return false;
        if (cp < 0xA0 || cp == 0x2028 || cp == 0x2029 || (cp >= 0xD800 && cp < 0xE000) ||
            cp == 0xFEFF || cp == 0xFFFE || cp == 0xFFFF)
            return false;
        i += len;
    }
    return true;
}

/* The bytes of a key, [a-z0-9_], by table: three range tests a byte were
 * 1.6 M of the 9.6 M instructions of loading uap-core's file. */
#define KEY_8(c)                                                                                   \
    [(c)] = 1, [(c) + 1] = 1, [(c) + 2] = 1, [(c) + 3] = 1, [(c) + 4] = 1, [(c) + 5] = 1,          \
    [(c) + 6] = 1, [(c) + 7] = 1
static const unsigned char key_char[256] = {
    KEY_8('a'), KEY_8('i'), KEY_8('q'), ['y'] = 1, ['z'] = 1, /* a-z */
    KEY_8('0'), ['8'] = 1,  ['9'] = 1,                        /* 0-9 */
    ['_'] = 1,
};
#undef KEY_8

static size_t key_len(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && key_char[(unsigned char)s[k]])
        k++;
    return k <= 128 ? k : 0;
}

/* `key: 'value'` then spaces, in s[0..n): the key and the unquoted value
 * (into *val, a heap string the caller frees), or false. The layout check
 * passes no val: the line is only checked. */
static bool key_value(const char *s, size_t n, char *key, char **val)
{
    size_t k = key_len(s, n);
    if (!k || n - k < 3 || memcmp(s + k, ": '", 3) != 0)
        return false;
    /* the closing quote: the first one not doubled */
    size_t i = k + 3, close;
    for (;;) {
        const char *q = memchr(s + i, '\'', n - i);
        if (!q)
            return false;
        close = (size_t)(q - s);
        if (close + 1 < n && s[close + 1] == '\'') {
            i = close + 2;
            continue;
        }
        break;
    }
    for (i = close + 1; i < n; i++)
        if (s[i] != ' ')
            return false;
    if (!val)
        return true;
    /* every quote before close is doubled: copy through it, skip its twin */
    char *v = th_xmalloc(close - k - 2);
    size_t vn = 0;
    for (i = k + 3; i < close;) {
        const char *q = memchr(s + i, '\'', close - i);
        size_t end = q ? (size_t)(q - s) + 1 : close;
        memcpy(v + vn, s + i, end - i);
        vn += end - i;
        i = q ? end + 1 : close;
    }
    v[vn] = 0;
    memcpy(key, s, k);
    key[k] = 0;
    *val = v;
    return true;
}

/* One pass; emits events when fn is set, else only checks the layout. */
static bool pass(const char *buf, size_t n, th_ua_yaml_fn fn, void *ctx)
{
    enum { TOP, KEY, ITEM } at = TOP; /* before any key; after a key; in an item */
    size_t indent = 0;
    bool any = false;
    if (fn) {
        fn(ctx, YAML_STREAM_START_EVENT, NULL);
        fn(ctx, YAML_DOCUMENT_START_EVENT, NULL);
        fn(ctx, YAML_MAPPING_START_EVENT, NULL);
    }
    for (size_t ls = 0; ls < n;) {
        const char *nl = memchr(buf + ls, '\n', n - ls);
        size_t le = nl ? (size_t)(nl - buf) : n;
        const char *s = buf + ls;
        size_t len = le - ls, sp = 0;
        ls = le + 1;
        while (sp < len && s[sp] == ' ')
            sp++;
        if (sp == len || s[sp] == '#')
            continue;
        char key[129];
        char *val = NULL;
        if (sp == 0) {
            size_t k = key_len(s, len);
            if (!k || at == KEY || len < k + 1 || s[k] != ':')
                return false;
            for (size_t i = k + 1; i < len; i++)
                if (s[i] != ' ')
                    return false;
            if (fn) {
                if (at == ITEM) {
                    fn(ctx, YAML_MAPPING_END_EVENT, NULL);
                    fn(ctx, YAML_SEQUENCE_END_EVENT, NULL);
                }
                memcpy(key, s, k);
                key[k] = 0;
                fn(ctx, YAML_SCALAR_EVENT, key);
            }
            at = KEY;
            any = true;
            continue;
        }
        if (len - sp >= 2 && s[sp] == '-' && s[sp + 1] == ' ') {
            if (at == TOP || (at == ITEM && sp != indent))
                return false;
            if (!key_value(s + sp + 2, len - sp - 2, key, fn ? &val : NULL))
                return false;
            if (fn) {
                fn(ctx, at == KEY ? YAML_SEQUENCE_START_EVENT : YAML_MAPPING_END_EVENT, NULL);
                fn(ctx, YAML_MAPPING_START_EVENT, NULL);
                fn(ctx, YAML_SCALAR_EVENT, key);
                fn(ctx, YAML_SCALAR_EVENT, val);
            }
            free(val);
            indent = sp;
            at = ITEM;
            continue;
        }
        if (at != ITEM || sp != indent + 2 ||
            !key_value(s + sp, len - sp, key, fn ? &val : NULL))
            return false;
        if (fn) {
            fn(ctx, YAML_SCALAR_EVENT, key);
            fn(ctx, YAML_SCALAR_EVENT, val);
        }
        free(val);
    }
    if (!any || at != ITEM)
        return false;
    if (fn) {
        fn(ctx, YAML_MAPPING_END_EVENT, NULL);
        fn(ctx, YAML_SEQUENCE_END_EVENT, NULL);
        fn(ctx, YAML_MAPPING_END_EVENT, NULL);
        fn(ctx, YAML_DOCUMENT_END_EVENT, NULL);
        fn(ctx, YAML_STREAM_END_EVENT, NULL);
    }
    return true;
}

bool th_ua_yaml_plain(const char *buf, size_t n, th_ua_yaml_fn fn, void *ctx)
{
    if (!printable_text((const unsigned char *)buf, n) || !pass(buf, n, NULL, NULL))
        return false;
    return pass(buf, n, fn, ctx);
}
