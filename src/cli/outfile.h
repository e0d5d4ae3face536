/* Output files and interrupts, shared by every verb that writes a file
 * (`convert -o`, `run -o`, `tune --report`).
 *
 * Output safety (th_outfile):
 *  - an output that is one of the inputs (same device and inode, `-` included
 *    through standard input) is refused before anything is read or written;
 *  - `-o F` writes to a temporary file beside F (F.tmp.XXXXXX, same directory,
 *    so the rename is atomic) and renames it onto F only on success
 *    (th_outfile_commit): F is never truncated at the start, and a run that
 *    fails or is interrupted leaves F as it was (th_outfile_discard);
 *  - the temporary file, F (when it exists) and standard output (when it is
 *    a regular file) are excluded from the input walk by inode (`excl`), so an
 *    output inside an input directory is never read back (said once);
 *  - F that exists and is not a regular file (/dev/null, a FIFO, a terminal)
 *    is written in place: there is nothing to rename onto it. A symbolic link
 *    F is followed: the file it names is replaced, the link kept.
 *
 * Interrupts (th_signals_*): SIGINT and SIGTERM set a flag that the pipeline
 * reads (th_pipeline.interrupted): reading stops at the next record and the
 * verb discards or finishes, and says which. A second signal removes the
 * registered temporary files (async-signal-safe unlink) and ends the process
 * by that signal.
 *
 * Ownership: th_outfile owns its FILE and paths until commit or discard.
 * Not thread safe (one per verb, on the main thread). */
#ifndef TH_CLI_OUTFILE_H
#define TH_CLI_OUTFILE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/walk.h"

typedef struct th_outfile {
    FILE *f;           /* where to write: the temporary file, F itself, or stdout */
    const char *shown; /* the path as given ("standard output" for stdout) */
    char *target;      /* the file renamed onto at commit (F, links resolved); NULL: none */
    char *tmp;         /* the temporary file; NULL when writing in place or to stdout */
    const char *verb;
    th_walk_excl excl[3]; /* for th_input_opts.exclude */
    size_t nexcl;
} th_outfile;

/* Opens the output `path` (NULL or "-" = standard output) of `verb`, after
 * checking it against the input paths. False with a message on stderr (a
 * usage error: the output is an input, or it cannot be created). */
bool th_outfile_open(th_outfile *o, const char *verb, const char *path, const char *const *inputs,
                     size_t ninputs);
/* Flushes, checks for write errors, closes, and renames the temporary file
 * onto F. False with a message on stderr (the temporary file is removed, F is
 * left as it was). */
bool th_outfile_commit(th_outfile *o);
/* Closes and removes the temporary file: F is left as it was. Stdout is only
 * flushed. Says nothing; the verb says why. */
void th_outfile_discard(th_outfile *o);
/* True when the output is a file that discard leaves untouched (not stdout,
 * not a file written in place). */
bool th_outfile_atomic(const th_outfile *o);

/* Installs the SIGINT/SIGTERM handlers (once per process). */
void th_signals_install(void);
/* The flag the handlers set: the signal number, 0 while none came. */
const volatile sig_atomic_t *th_signals_flag(void);
/* The signal caught, or 0. */
int th_signals_caught(void);
/* Exit status of a verb stopped by signal `sig`: 128 + sig, as a shell
 * reports a process ended by it. */
int th_signals_exit_code(int sig);
/* Temporary paths removed when a second signal ends the process (a file is
 * unlinked, a directory removed when empty; register files before their
 * directory); register copies the path (at most four at once), unregister
 * forgets it. */
void th_signals_register_tmp(const char *path);
void th_signals_unregister_tmp(const char *path);

#endif
