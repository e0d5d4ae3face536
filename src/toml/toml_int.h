/* Internals shared by the TOML reader's files (not a public interface).
 *
 * lex.c reads scalars (strings, keys' quoted parts, numbers, date-times) and
 * knows positions; parse.c builds the tree and enforces the redefinition rules.
 * Ownership: a tp lives for one th_toml_parse call; its scratch buffers are on
 * the heap and released by th_toml_parse before it returns. */
#ifndef TH_TOML_TOML_INT_H
#define TH_TOML_TOML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/vec.h"
#include "toml/toml.h"

typedef struct tp {
    const char *s;
    size_t n;
    size_t pos;
    const char *file;
    th_diags *diags;
    th_arena *a;
    bool failed;    /* set by the first error; everything unwinds after it */
    th_buf scratch; /* string decoding */
    /* Monotonic cache for byte offset -> line:col, so that computing the
     * position of every node stays linear in the input size. */
    size_t c_pos;
    unsigned c_line, c_col;
    /* Where each line starts and where each UTF-8 continuation byte is,
     * found by tp_check_utf8 as it reads every byte anyway (lines_done once
     * it has read them all): a position's line is the last start at or before
     * it, its column its distance from that start less the continuation
     * bytes between. c_lix and c_cix are the cache's indexes in the two.
     * Without the tables (an error during the check) positions are found by
     * scanning, as before them. */
    TH_VEC(size_t) lines;
    TH_VEC(size_t) conts;
    size_t c_lix, c_cix;
    bool lines_done;
} tp;

/* Records the first error at byte offset pos (later errors are dropped: they
 * are consequences of the first). Always returns false. */
bool tp_err(tp *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Line and column (1-based, column counted in characters) of byte offset pos. */
void tp_where(tp *p, size_t pos, unsigned *line, unsigned *col);

static inline bool tp_eof(const tp *p)
{
    return p->pos >= p->n;
}
static inline int tp_peek(const tp *p, size_t ahead)
{
    return p->pos + ahead < p->n ? (unsigned char)p->s[p->pos + ahead] : -1;
}
/* True for the bytes TOML forbids in strings and comments (tab is allowed). */
static inline bool tp_is_control(int c)
{
    return (c >= 0 && c < 0x20 && c != '\t') || c == 0x7f;
}

/* Checks that the whole input is UTF-8 (no overlongs, surrogates or values
 * past U+10FFFF); reports the first bad byte. On success it has also filled
 * p->lines and p->conts for tp_where; th_toml_parse frees them. */
bool tp_check_utf8(tp *p);

/* Strings. p->pos is at the opening quote; on success p->pos is after the
 * closing quote(s) and *out is an arena copy of the decoded text. Keys use the
 * single-line forms only (allow_multi false). */
bool tp_string(tp *p, bool allow_multi, th_str *out);

/* Numbers, booleans-free scalars that start like a number: integers, floats,
 * inf/nan and the four date/time kinds. Fills v's type and value. */
bool tp_number_or_datetime(tp *p, th_toml *v);

#endif
