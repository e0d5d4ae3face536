/* Growable byte buffer on the heap (output assembly, decompression, file reads).
 * Ownership: the buffer owns `data`; th_buf_free releases it. `data` is always
 * NUL-terminated after any append (the NUL is not counted in `len`). */
#ifndef TH_BASE_BUF_H
#define TH_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "base/str.h"

typedef struct th_buf {
    char *data;
    size_t len;
    size_t cap;
} th_buf;

void th_buf_init(th_buf *b);
void th_buf_free(th_buf *b);
void th_buf_clear(th_buf *b);
void th_buf_reserve(th_buf *b, size_t extra);
void th_buf_put(th_buf *b, const void *p, size_t n);
/* Inline: output assembly calls it for every quote, comma and colon. */
static inline void th_buf_putc(th_buf *b, char c)
{
    if (b->len + 2 > b->cap)
        th_buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}
void th_buf_puts(th_buf *b, const char *s);
void th_buf_putstr(th_buf *b, th_str s);
void th_buf_printf(th_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void th_buf_vprintf(th_buf *b, const char *fmt, va_list ap);
/* Writes the buffer to f; returns 0 on success, -1 on a write error. */
int th_buf_write(const th_buf *b, FILE *f);
static inline th_str th_buf_str(const th_buf *b) { return (th_str){b->data, b->len}; }

#endif
