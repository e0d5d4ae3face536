/* Arena allocator: bump allocation from chunks, freed all at once.
 *
 * Ownership: everything allocated from an arena lives until th_arena_reset or
 * th_arena_free. Allocation never fails: on out-of-memory the process aborts
 * with a message (as Redis does); callers need no NULL checks.
 * Thread safety: an arena belongs to one thread at a time. */
#ifndef TH_BASE_ARENA_H
#define TH_BASE_ARENA_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct th_arena_chunk th_arena_chunk;

typedef struct th_arena {
    th_arena_chunk *head;  /* current chunk; older chunks are linked behind it */
    size_t chunk_size;     /* default size of a new chunk */
    size_t used_total;     /* bytes handed out, for reporting */
    th_arena_chunk *spare; /* chunks th_arena_recycle kept for reuse */
    size_t spare_bytes;
    /* the head chunk's free bytes [cur, end) (both NULL without a head):
     * th_arena_alloc takes from them in line */
    unsigned char *cur, *end;
} th_arena;

void th_arena_init(th_arena *a, size_t chunk_size);
void th_arena_free(th_arena *a);
/* Keeps the first chunk, releases the rest, and forgets every allocation. */
void th_arena_reset(th_arena *a);
/* Forgets every allocation but keeps the chunks (the head when of the usual
 * size, and up to TH_ARENA_MAX_SPARE bytes of the others) for the next ones:
 * an arena refilled with similar amounts, such as a batch of records, then
 * asks malloc for nothing (no page faults, no munmap shootdowns between
 * threads). */
void th_arena_recycle(th_arena *a);

/* A point to come back to: th_arena_release forgets every allocation made
 * after th_arena_mark (their chunks go to the spares, as th_arena_recycle's),
 * keeping those made before. A worker that prepared a record nobody will read
 * gives its scratch back at once, so a batch's arena holds only what is kept
 * and stays small and hot in cache. Marks nest; a release forgets the marks
 * taken after its own. */
typedef struct th_arena_mark {
    th_arena_chunk *head, *behind; /* the head then, and the chunk after it */
    size_t used, used_total;
} th_arena_mark;
th_arena_mark th_arena_mark_get(const th_arena *a);
void th_arena_release_slow(th_arena *a, th_arena_mark m);
/* Nothing handed out since m (the same head and total: every allocation adds
 * to the total, a new chunk becomes the head or is counted behind it, and a
 * valid m was taken after every release since) leaves nothing to forget:
 * tested in line, as the workers' records that routing or the gates rule
 * out take nothing (with the seed rule all of b10k's but 6 at two threads;
 * the call cost 31 instructions). */
static inline void th_arena_release(th_arena *a, th_arena_mark m)
{
    if (a->head != m.head || a->used_total != m.used_total)
        th_arena_release_slow(a, m);
}

void *th_arena_alloc_slow(th_arena *a, size_t size);
/* 16-byte aligned, uninitialised. Most calls fit the head chunk: those are a
 * few instructions in line; the rest take a chunk (th_arena_alloc_slow). */
static inline void *th_arena_alloc(th_arena *a, size_t size)
{
    size_t need = (size + 15u) & ~(size_t)15u;
    if (need >= size && need <= (size_t)((uintptr_t)a->end - (uintptr_t)a->cur)) {
        void *p = a->cur;
        a->cur += need;
        a->used_total += need;
        return p;
    }
    return th_arena_alloc_slow(a, size);
}
void *th_arena_zalloc(th_arena *a, size_t size);       /* zeroed */
char *th_arena_strndup(th_arena *a, const char *s, size_t n); /* NUL-terminated copy */
char *th_arena_strdup(th_arena *a, const char *s);
/* Grows an allocation made from this arena; the old bytes are copied. */
void *th_arena_realloc(th_arena *a, void *old, size_t old_size, size_t new_size);
char *th_arena_printf(th_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *th_arena_vprintf(th_arena *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define TH_ANEW(a, T) ((T *)th_arena_zalloc((a), sizeof(T)))
#define TH_ANEWN(a, T, n) ((T *)th_arena_zalloc((a), sizeof(T) * (size_t)(n)))

/* Process-wide allocation helpers that abort on OOM (for long-lived heap data). */
void *th_xmalloc(size_t n);
void *th_xcalloc(size_t n, size_t size);
void *th_xrealloc(void *p, size_t n);
/* th_xcalloc's memory starting on a cache line (64 bytes), for what threads
 * write side by side (the pipeline's batches, the engine's counters), freed
 * with free() */
void *th_xcalloc_lines(size_t n, size_t size);
char *th_xstrdup(const char *s);
char *th_xstrndup(const char *s, size_t n);

#endif
