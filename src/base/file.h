/* Reading a whole file into memory (rule files, label lists, word lists,
 * exception files: all small enough to hold at once).
 *
 * Ownership: the returned buffer is malloc'd and belongs to the caller (free()).
 * Thread safety: no shared state; safe from any thread. */
#ifndef TH_BASE_FILE_H
#define TH_BASE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Reads all of `path` ("rb"). Returns a NUL-terminated buffer (the NUL is not
 * counted in *len; an empty file gives "" and 0), or NULL when the file cannot
 * be opened. A read error ends the data early as end of file does. */
char *th_file_read(const char *path, size_t *len);
/* The rest of an open stream, the same way, or NULL on a read error (the
 * stream stays open: the caller closes it). */
char *th_file_read_stream(FILE *f, size_t *len);

#endif
