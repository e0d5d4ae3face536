#include "base/diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

void th_diags_init(th_diags *d) { memset(d, 0, sizeof(*d)); }

void th_diags_free(th_diags *d)
{
    for (size_t i = 0; i < d->len; i++) {
        free(d->items[i].file);
        free(d->items[i].message);
    }
    free(d->items);
    memset(d, 0, sizeof(*d));
}

const char *th_severity_name(th_severity s)
{
    switch (s) {
    case TH_SEV_INFO: return "note";
    case TH_SEV_WARNING: return "warning";
    default: return "error";
    }
}

static void push(th_diags *d, th_diag g)
{
    if (d->len == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 16;
        d->items = th_xrealloc(d->items, d->cap * sizeof(th_diag));
    }
    d->items[d->len++] = g;
    if (g.severity == TH_SEV_ERROR)
        d->errors++;
    else if (g.severity == TH_SEV_WARNING)
        d->warnings++;
    if (d->echo)
        th_diag_print(&d->items[d->len - 1], d->echo);
}

void th_diags_move(th_diags *to, th_diags *from, size_t first)
{
    for (size_t i = first; i < from->len; i++) {
        th_diag g = from->items[i];
        if (g.severity == TH_SEV_ERROR)
            from->errors--;
        else if (g.severity == TH_SEV_WARNING)
            from->warnings--;
        push(to, g);
    }
    if (first < from->len)
        from->len = first;
}

static void add(th_diags *d, th_severity sev, const char *file, unsigned line, unsigned col,
                long long offset, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *msg = th_xmalloc((size_t)(n > 0 ? n : 0) + 1);
    vsnprintf(msg, (size_t)(n > 0 ? n : 0) + 1, fmt, ap);
    push(d, (th_diag){sev, file ? th_xstrdup(file) : NULL, line, col, offset, msg});
}

void th_diag_at(th_diags *d, th_severity sev, const char *file, unsigned line, unsigned col,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, sev, file, line, col, -1, fmt, ap);
    va_end(ap);
}

void th_diag_offset(th_diags *d, th_severity sev, const char *file, long long offset,
                    const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add(d, sev, file, 0, 0, offset, fmt, ap);
    va_end(ap);
}

void th_diag_print(const th_diag *g, FILE *f)
{
    const char *file = g->file ? g->file : "<input>";
    if (g->line)
        fprintf(f, "%s:%u:%u: %s: %s\n", file, g->line, g->col, th_severity_name(g->severity),
                g->message);
    else if (g->offset >= 0)
        fprintf(f, "%s: byte %lld: %s: %s\n", file, g->offset, th_severity_name(g->severity),
                g->message);
    else
        fprintf(f, "%s: %s: %s\n", file, th_severity_name(g->severity), g->message);
}

void th_diags_print(const th_diags *d, FILE *f)
{
    for (size_t i = 0; i < d->len; i++)
        th_diag_print(&d->items[i], f);
}
