/* Java textual forms (see javafmt.h). The HashMap order is computed directly
 * rather than by simulating inserts: a bucket's chain keeps insertion order
 * across resizes (Java splits each chain into lo/hi lists preserving order), so
 * the final iteration order is (bucket in the final table, insertion index). */
#include "ecs/javafmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 31 to the powers 1 to 8, modulo 2^32 as the hash is */
#define J31_1 31u
#define J31_2 (J31_1 * 31u)
#define J31_3 (J31_2 * 31u)
#define J31_4 (J31_3 * 31u)
#define J31_5 (J31_4 * 31u)
#define J31_6 (J31_5 * 31u)
#define J31_7 (J31_6 * 31u)
#define J31_8 (J31_7 * 31u)

int32_t th_java_string_hash(th_str s)
{
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0;
    while (i < s.n) {
        uint64_t w;
        if (i + 8 <= s.n && (memcpy(&w, p + i, 8), !(w & 0x8080808080808080ull))) {
            /* eight ASCII bytes, eight code units: the eight steps of the
             * loop below in one (stored keys are mostly ASCII, 10 to 30 bytes) */
            h = h * J31_8 + p[i] * J31_7 + p[i + 1] * J31_6 + p[i + 2] * J31_5 + p[i + 3] * J31_4 +
                p[i + 4] * J31_3 + p[i + 5] * J31_2 + p[i + 6] * J31_1 + p[i + 7];
            i += 8;
            continue;
        }
        uint32_t c = p[i];
        size_t len = 1;
        if (c >= 0xF0 && i + 3 < s.n) {
            c = ((c & 0x07u) << 18) | ((p[i + 1] & 0x3Fu) << 12) | ((p[i + 2] & 0x3Fu) << 6) |
                (p[i + 3] & 0x3Fu);
            len = 4;
        } else if (c >= 0xE0 && i + 2 < s.n) {
            c = ((c & 0x0Fu) << 12) | ((p[i + 1] & 0x3Fu) << 6) | (p[i + 2] & 0x3Fu);
            len = 3;
        } else if (c >= 0xC0 && i + 1 < s.n) {
            c = ((c & 0x1Fu) << 6) | (p[i + 1] & 0x3Fu);
            len = 2;
        }
        i += len;
        if (c >= 0x10000) { /* surrogate pair: two UTF-16 code units */
            uint32_t v = c - 0x10000;
            h = h * 31u + (0xD800u + (v >> 10));
            h = h * 31u + (0xDC00u + (v & 0x3FFu));
        } else {
            h = h * 31u + c;
        }
    }
    return (int32_t)h;
}
#undef J31_1
#undef J31_2
#undef J31_3
#undef J31_4
#undef J31_5
#undef J31_6
#undef J31_7
#undef J31_8

uint32_t th_java_hashmap_capacity(uint32_t n)
{
    uint32_t cap = 16;
    /* resize happens when ++size > threshold (0.75 * cap) */
    while (cap < (1u << 30) && (uint64_t)n * 4 > (uint64_t)cap * 3)
        cap *= 2;
    return cap;
}

typedef struct order_key {
    uint32_t bucket;
    uint32_t index;
} order_key;

static int cmp_order(const void *a, const void *b)
{
    const order_key *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

void th_java_hashmap_order(const th_jval *obj, uint32_t nkeys_built, uint32_t *order)
{
    uint32_t n = obj->len;
    uint32_t cap = th_java_hashmap_capacity(nkeys_built > n ? nkeys_built : n);
    order_key small[64];
    order_key *keys = n <= 64 ? small : malloc(sizeof(order_key) * n);
    if (!keys) { /* out of memory: fall back to source order */
        for (uint32_t i = 0; i < n; i++)
            order[i] = i;
        return;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t h = (uint32_t)th_java_string_hash(obj->u.members[i].key);
        h ^= h >> 16;
        keys[i].bucket = h & (cap - 1);
        keys[i].index = i;
    }
    qsort(keys, n, sizeof(order_key), cmp_order);
    for (uint32_t i = 0; i < n; i++)
        order[i] = keys[i].index;
    if (keys != small)
        free(keys);
}

void th_java_double(th_buf *out, double d)
{
    if (isnan(d)) {
        th_buf_puts(out, "NaN");
        return;
    }
    if (isinf(d)) {
        th_buf_puts(out, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        th_buf_puts(out, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    /* shortest digits that read back to the same double */
    char tmp[40];
    int prec;
    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    if (prec == 17)
        snprintf(tmp, sizeof tmp, "%.*e", 16, d);
    /* tmp = [-]D[.DDD]e[+-]XX */
    char digits[24];
    int nd = 0;
    const char *p = tmp;
    bool neg = false;
    if (*p == '-') {
        neg = true;
        p++;
    }
    while (*p && *p != 'e') {
        if (*p >= '0' && *p <= '9' && nd < 23)
            digits[nd++] = *p;
        p++;
    }
    int exp10 = atoi(p + 1); /* value = 0.D1D2... * 10^(exp10+1) */
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    if (neg)
        th_buf_putc(out, '-');
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (exp10 >= 0) {
            for (int i = 0; i <= exp10; i++)
                th_buf_putc(out, i < nd ? digits[i] : '0');
            th_buf_putc(out, '.');
            if (nd > exp10 + 1)
                th_buf_put(out, digits + exp10 + 1, (size_t)(nd - exp10 - 1));
            else
                th_buf_putc(out, '0');
        } else {
            th_buf_puts(out, "0.");
            for (int i = 0; i < -exp10 - 1; i++)
                th_buf_putc(out, '0');
            th_buf_put(out, digits, (size_t)nd);
        }
    } else {
        th_buf_putc(out, digits[0]);
        th_buf_putc(out, '.');
        if (nd > 1)
            th_buf_put(out, digits + 1, (size_t)(nd - 1));
        else
            th_buf_putc(out, '0');
        th_buf_printf(out, "E%d", exp10);
    }
}

void th_java_number(th_buf *out, th_str text)
{
    bool isfloat = false;
    for (size_t i = 0; i < text.n; i++)
        if (text.p[i] == '.' || text.p[i] == 'e' || text.p[i] == 'E')
            isfloat = true;
    char tmp[512];
    size_t n = text.n < sizeof tmp - 1 ? text.n : sizeof tmp - 1;
    memcpy(tmp, text.p, n);
    tmp[n] = 0;
    if (isfloat) {
        th_java_double(out, strtod(tmp, NULL));
        return;
    }
    /* Integer / Long / BigInteger: canonical decimal, "-0" is 0 */
    const char *p = tmp;
    bool neg = *p == '-';
    if (neg)
        p++;
    while (*p == '0' && p[1])
        p++;
    if (neg && !(p[0] == '0' && !p[1]))
        th_buf_putc(out, '-');
    th_buf_puts(out, p);
}

static void tostring(th_buf *out, const th_jval *v, th_java_keycount_fn keycount, void *ctx,
                     int depth)
{
    if (!v) {
        th_buf_puts(out, "null");
        return;
    }
    switch (v->type) {
    case TH_JNULL:
        th_buf_puts(out, "null");
        break;
    case TH_JTRUE:
        th_buf_puts(out, "true");
        break;
    case TH_JFALSE:
        th_buf_puts(out, "false");
        break;
    case TH_JNUM:
        th_java_number(out, v->u.str);
        break;
    case TH_JSTR:
        th_buf_putstr(out, v->u.str);
        break;
    case TH_JARR:
        th_buf_putc(out, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                th_buf_puts(out, ", ");
            tostring(out, v->u.items[i], keycount, ctx, depth + 1);
        }
        th_buf_putc(out, ']');
        break;
    case TH_JOBJ: {
        uint32_t built = keycount ? keycount(v, ctx) : v->len;
        uint32_t small[64];
        uint32_t *order = v->len <= 64 ? small : malloc(sizeof(uint32_t) * v->len);
        if (!order)
            return;
        th_java_hashmap_order(v, built, order);
        th_buf_putc(out, '{');
        for (uint32_t i = 0; i < v->len; i++) {
            const th_jmember *m = &v->u.members[order[i]];
            if (i)
                th_buf_puts(out, ", ");
            th_buf_putstr(out, m->key);
            th_buf_putc(out, '=');
            tostring(out, m->val, keycount, ctx, depth + 1);
        }
        th_buf_putc(out, '}');
        if (order != small)
            free(order);
        break;
    }
    }
}

void th_java_tostring(th_buf *out, const th_jval *v, th_java_keycount_fn keycount, void *ctx)
{
    tostring(out, v, keycount, ctx, 0);
}
