#include "base/buf.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

void th_buf_init(th_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void th_buf_free(th_buf *b)
{
    free(b->data);
    th_buf_init(b);
}

void th_buf_clear(th_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void th_buf_reserve(th_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = th_xrealloc(b->data, cap);
    b->cap = cap;
}

void th_buf_put(th_buf *b, const void *p, size_t n)
{
    th_buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void th_buf_puts(th_buf *b, const char *s) { th_buf_put(b, s, strlen(s)); }

void th_buf_putstr(th_buf *b, th_str s) { th_buf_put(b, s.p, s.n); }

void th_buf_vprintf(th_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n <= 0)
        return;
    th_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void th_buf_printf(th_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    th_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

int th_buf_write(const th_buf *b, FILE *f)
{
    if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
        return -1;
    return 0;
}
