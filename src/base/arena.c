#include "base/arena.h"
#include "base/limits.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A chunk's bytes in use are [data, a->cur) for the head (th_arena_alloc
 * moves a->cur in line) and all of them for a big one behind it; nothing
 * reads how much of an older chunk is used. */
struct th_arena_chunk {
    th_arena_chunk *next;
    size_t cap;
    _Alignas(16) unsigned char data[];
};

/* Makes c (NULL: none) the head, with its bytes from `used` on free. */
static void set_head(th_arena *a, th_arena_chunk *c, size_t used)
{
    a->head = c;
    a->cur = c ? c->data + used : NULL;
    a->end = c ? c->data + c->cap : NULL;
}

static void oom(size_t n)
{
    fprintf(stderr, "trailhound: out of memory (asked for %zu bytes)\n", n);
    abort();
}

void *th_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *th_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *th_xcalloc_lines(size_t n, size_t size)
{
    if (n && size > SIZE_MAX / n)
        oom(SIZE_MAX);
    size_t bytes = n && size ? n * size : 1;
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes) != 0)
        oom(bytes);
    return memset(p, 0, bytes);
}

void *th_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *th_xstrndup(const char *s, size_t n)
{
    char *p = th_xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *th_xstrdup(const char *s) { return th_xstrndup(s, strlen(s)); }

static th_arena_chunk *chunk_new(size_t cap)
{
    th_arena_chunk *c = th_xmalloc(sizeof(*c) + cap);
    c->next = NULL;
    c->cap = cap;
    return c;
}

/* A spare chunk that can hold `need` bytes, unlinked; NULL if none. */
static th_arena_chunk *spare_take(th_arena *a, size_t need)
{
    for (th_arena_chunk **pp = &a->spare; *pp; pp = &(*pp)->next) {
        th_arena_chunk *c = *pp;
        if (c->cap >= need) {
            *pp = c->next;
            a->spare_bytes -= c->cap;
            c->next = NULL;
            return c;
        }
    }
    return NULL;
}

/* Gives chunk c to the spares, or back to malloc past TH_ARENA_MAX_SPARE. */
static void spare_put(th_arena *a, th_arena_chunk *c)
{
    if (a->spare_bytes + c->cap <= TH_ARENA_MAX_SPARE) {
        c->next = a->spare;
        a->spare = c;
        a->spare_bytes += c->cap;
    } else {
        free(c);
    }
}

th_arena_mark th_arena_mark_get(const th_arena *a)
{
    th_arena_mark m = {a->head, a->head ? a->head->next : NULL,
                       a->head ? (size_t)(a->cur - a->head->data) : 0, a->used_total};
    return m;
}

void th_arena_release_slow(th_arena *a, th_arena_mark m)
{
    /* chunks that became the head since the mark (big ones placed behind
     * them come along), then big ones placed right behind the marked head */
    while (a->head && a->head != m.head) {
        th_arena_chunk *c = a->head;
        a->head = c->next;
        spare_put(a, c);
    }
    if (a->head) {
        while (a->head->next && a->head->next != m.behind) {
            th_arena_chunk *c = a->head->next;
            a->head->next = c->next;
            spare_put(a, c);
        }
        set_head(a, a->head, m.used);
    } else {
        set_head(a, NULL, 0);
    }
    a->used_total = m.used_total;
}

void th_arena_recycle(th_arena *a)
{
    /* a head of the usual size stays the head, emptied: the next allocation
     * takes from it in line, where with no head it went to th_arena_alloc_slow
     * (the serial pipeline recycles after every record: on b100k 100,000
     * such calls, 4.6 M instructions) */
    th_arena_chunk *keep = a->head && a->head->cap == a->chunk_size ? a->head : NULL;
    th_arena_chunk *c = keep ? keep->next : a->head;
    while (c) {
        th_arena_chunk *next = c->next;
        spare_put(a, c);
        c = next;
    }
    if (keep)
        keep->next = NULL;
    set_head(a, keep, 0);
    a->used_total = 0;
}

void th_arena_init(th_arena *a, size_t chunk_size)
{
    a->spare = NULL;
    a->spare_bytes = 0;
    set_head(a, NULL, 0);
    a->chunk_size = chunk_size ? chunk_size : 64 * 1024;
    a->used_total = 0;
}

void th_arena_free(th_arena *a)
{
    th_arena_chunk *c = a->head;
    while (c) {
        th_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    set_head(a, NULL, 0);
    a->used_total = 0;
    for (c = a->spare; c;) {
        th_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->spare = NULL;
    a->spare_bytes = 0;
}

void th_arena_reset(th_arena *a)
{
    if (!a->head)
        return;
    /* keep the oldest chunk (the last in the list): it has the default size */
    th_arena_chunk *c = a->head, *keep = NULL;
    while (c) {
        th_arena_chunk *next = c->next;
        if (!next)
            keep = c;
        else
            free(c);
        c = next;
    }
    keep->next = NULL;
    set_head(a, keep, 0);
    a->used_total = 0;
}

void *th_arena_alloc_slow(th_arena *a, size_t size)
{
    size_t need = (size + 15u) & ~(size_t)15u;
    if (need < size)
        oom(size);
    th_arena_chunk *c = a->head;
    if (!c || (size_t)(a->end - a->cur) < need) {
        size_t cap = a->chunk_size;
        if (need > cap / 4) {
            /* big allocation: its own chunk, placed behind the head so the
             * head's free space is not wasted */
            th_arena_chunk *big = spare_take(a, need);
            if (!big)
                big = chunk_new(need);
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                set_head(a, big, need);
            }
            a->used_total += need;
            return big->data;
        }
        c = spare_take(a, cap);
        if (!c)
            c = chunk_new(cap);
        c->next = a->head;
        set_head(a, c, 0);
    }
    void *p = a->cur;
    a->cur += need;
    a->used_total += need;
    return p;
}

void *th_arena_zalloc(th_arena *a, size_t size)
{
    void *p = th_arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

char *th_arena_strndup(th_arena *a, const char *s, size_t n)
{
    char *p = th_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *th_arena_strdup(th_arena *a, const char *s) { return th_arena_strndup(a, s, strlen(s)); }

void *th_arena_realloc(th_arena *a, void *old, size_t old_size, size_t new_size)
{
    if (new_size <= old_size)
        return old;
    void *p = th_arena_alloc(a, new_size);
    if (old && old_size)
        memcpy(p, old, old_size);
    return p;
}

char *th_arena_vprintf(th_arena *a, const char *fmt, va_list ap)
{
    /* Most strings are short: format once into the stack and copy, and only
     * format a second time (into the arena) when the text does not fit. */
    char tmp[512];
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (n < 0)
        n = 0;
    char *p;
    if ((size_t)n < sizeof tmp) {
        p = th_arena_strndup(a, tmp, (size_t)n);
    } else {
        p = th_arena_alloc(a, (size_t)n + 1);
        vsnprintf(p, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    return p;
}

char *th_arena_printf(th_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = th_arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}
