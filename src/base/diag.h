/* Diagnostics: every problem trailhound reports names where it is (file, and
 * line:column or byte offset) and why. A th_diags collects them; the CLI prints
 * them as `file:line:col: severity: message` and counts them in its summary.
 *
 * Ownership: a th_diags owns copies of the file names and messages it holds. */
#ifndef TH_BASE_DIAG_H
#define TH_BASE_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

typedef enum th_severity { TH_SEV_INFO, TH_SEV_WARNING, TH_SEV_ERROR } th_severity;

typedef struct th_diag {
    th_severity severity;
    char *file;      /* may be NULL */
    unsigned line;   /* 1-based; 0 = unknown */
    unsigned col;    /* 1-based; 0 = unknown */
    long long offset; /* byte offset, or -1 when line/col is given or unknown */
    char *message;
} th_diag;

typedef struct th_diags {
    th_diag *items;
    size_t len, cap;
    size_t errors, warnings;
    FILE *echo; /* when set, each diagnostic is also printed here as it arrives */
} th_diags;

void th_diags_init(th_diags *d);
void th_diags_free(th_diags *d);
void th_diag_at(th_diags *d, th_severity sev, const char *file, unsigned line, unsigned col,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void th_diag_offset(th_diags *d, th_severity sev, const char *file, long long offset,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Moves from->items[first..] to the end of `to`, in order, as if they had
 * been reported to `to` now (counted, echoed); `from` keeps items[0..first). */
void th_diags_move(th_diags *to, th_diags *from, size_t first);
/* Prints one diagnostic in the canonical form. */
void th_diag_print(const th_diag *g, FILE *f);
void th_diags_print(const th_diags *d, FILE *f);
const char *th_severity_name(th_severity s);

#endif
