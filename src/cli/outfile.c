/* Output files written through a temporary file, and interrupts (outfile.h). */
#include "cli/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"

/* ---- interrupts -------------------------------------------------------- */

#define MAX_TMPS 4

/* The handlers' state. Signal handlers can only reach globals; this is the
 * one place trailhound keeps them, and only sig_atomic_t flags and fixed
 * buffers touched by async-signal-safe calls. */
static volatile sig_atomic_t caught;
static volatile sig_atomic_t tmp_used[MAX_TMPS];
static char tmp_paths[MAX_TMPS][PATH_MAX];
static bool installed;

static void on_signal(int sig)
{
    if (caught) {
        /* second signal: remove what would be left behind, then die of it */
        for (int i = 0; i < MAX_TMPS; i++)
            if (tmp_used[i] && unlink(tmp_paths[i]) != 0)
                rmdir(tmp_paths[i]); /* a directory: removed when empty */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    caught = sig;
    static const char msg[] =
        "\ntrailhound: interrupted; stopping at the next record (again to quit at once)\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
}

void th_signals_install(void)
{
    if (installed)
        return;
    installed = true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* no SA_RESTART: a read blocked on a pipe returns (EINTR), and io/ ends
     * the file when the flag is set (th_input_opts.interrupted) */
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

const volatile sig_atomic_t *th_signals_flag(void) { return &caught; }

int th_signals_caught(void) { return (int)caught; }

int th_signals_exit_code(int sig) { return 128 + sig; }

void th_signals_register_tmp(const char *path)
{
    if (strlen(path) >= PATH_MAX)
        return;
    for (int i = 0; i < MAX_TMPS; i++) {
        if (!tmp_used[i]) {
            memcpy(tmp_paths[i], path, strlen(path) + 1);
            tmp_used[i] = 1;
            return;
        }
    }
}

void th_signals_unregister_tmp(const char *path)
{
    for (int i = 0; i < MAX_TMPS; i++)
        if (tmp_used[i] && strcmp(tmp_paths[i], path) == 0)
            tmp_used[i] = 0;
}

/* ---- output files ------------------------------------------------------ */

static bool same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* False (said) when `out` is one of the inputs. */
static bool not_an_input(const char *verb, const char *shown, const struct stat *out,
                         const char *const *inputs, size_t ninputs)
{
    for (size_t i = 0; i < ninputs; i++) {
        struct stat st;
        bool is_stdin = strcmp(inputs[i], "-") == 0;
        if ((is_stdin ? fstat(0, &st) : stat(inputs[i], &st)) != 0 || !same_file(&st, out))
            continue;
        fprintf(stderr, "trailhound %s: the output %s is also an input (%s); refusing to %s it\n",
                verb, shown, is_stdin ? "standard input" : inputs[i],
                S_ISREG(out->st_mode) ? "overwrite" : "write to");
        return false;
    }
    return true;
}

static void exclude(th_outfile *o, const struct stat *st, const char *why)
{
    if (o->nexcl < sizeof o->excl / sizeof *o->excl)
        o->excl[o->nexcl++] = (th_walk_excl){st->st_dev, st->st_ino, why};
}

bool th_outfile_open(th_outfile *o, const char *verb, const char *path, const char *const *inputs,
                     size_t ninputs)
{
    memset(o, 0, sizeof *o);
    o->verb = verb;
    struct stat st;
    if (!path || strcmp(path, "-") == 0) {
        o->f = stdout;
        o->shown = "standard output";
        if (fstat(1, &st) == 0 && S_ISREG(st.st_mode)) {
            /* `convert DIR > DIR/out`: the shell made it; never read it back */
            if (!not_an_input(verb, o->shown, &st, inputs, ninputs))
                return false;
            exclude(o, &st, "this run's output (standard output)");
        }
        return true;
    }
    o->shown = path;
    bool exists = stat(path, &st) == 0;
    if (exists && !not_an_input(verb, path, &st, inputs, ninputs))
        return false;
    if (exists && !S_ISREG(st.st_mode)) {
        /* /dev/null, a FIFO, a terminal: nothing to rename onto; written in place */
        o->f = fopen(path, "wb");
        if (!o->f) {
            fprintf(stderr, "trailhound %s: cannot write %s: %s\n", verb, path, strerror(errno));
            return false;
        }
        return true;
    }
    struct stat lst;
    char *real = NULL;
    if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
        real = realpath(path, NULL); /* replace the file the link names, keep the link */
    o->target = real ? th_xstrdup(real) : th_xstrdup(path);
    free(real);
    size_t n = strlen(o->target) + sizeof ".tmp.XXXXXX";
    o->tmp = th_xmalloc(n);
    snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->target);
    int fd = mkstemp(o->tmp);
    if (fd < 0) {
        fprintf(stderr, "trailhound %s: cannot write %s: %s\n", verb, path, strerror(errno));
        free(o->tmp);
        free(o->target);
        o->tmp = o->target = NULL;
        return false;
    }
    th_signals_register_tmp(o->tmp);
    mode_t mode;
    if (exists) {
        mode = st.st_mode & 07777;
    } else {
        mode_t mask = umask(0);
        umask(mask);
        mode = 0666 & ~mask;
    }
    (void)fchmod(fd, mode); /* as fopen would have made it (mkstemp makes 0600) */
    struct stat tst;
    if (fstat(fd, &tst) == 0)
        exclude(o, &tst, "this run's output (its temporary file)");
    if (exists)
        exclude(o, &st, "this run's output file");
    o->f = fdopen(fd, "wb");
    if (!o->f) {
        close(fd);
        th_outfile_discard(o);
        fprintf(stderr, "trailhound %s: cannot write %s\n", verb, path);
        return false;
    }
    return true;
}

bool th_outfile_atomic(const th_outfile *o) { return o->tmp != NULL; }

static void forget(th_outfile *o)
{
    if (o->tmp) {
        th_signals_unregister_tmp(o->tmp);
        free(o->tmp);
    }
    free(o->target);
    o->tmp = o->target = NULL;
    o->f = NULL;
}

bool th_outfile_commit(th_outfile *o)
{
    if (!o->f)
        return true;
    bool ok = fflush(o->f) == 0 && !ferror(o->f);
    int err = ok ? 0 : errno;
    if (o->f == stdout) {
        o->f = NULL;
        if (!ok)
            fprintf(stderr, "trailhound %s: write error on standard output: %s\n", o->verb,
                    strerror(err));
        return ok;
    }
    if (fclose(o->f) != 0 && ok) {
        ok = false;
        err = errno;
    }
    o->f = NULL;
    if (ok && o->tmp && rename(o->tmp, o->target) != 0) {
        ok = false;
        err = errno;
    }
    if (!ok) {
        if (o->tmp)
            unlink(o->tmp);
        fprintf(stderr, "trailhound %s: write error on %s: %s%s\n", o->verb, o->shown,
                strerror(err), o->tmp ? "; nothing written, the file is as it was" : "");
    }
    forget(o);
    return ok;
}

void th_outfile_discard(th_outfile *o)
{
    if (o->f == stdout)
        fflush(stdout);
    else if (o->f)
        fclose(o->f);
    if (o->tmp)
        unlink(o->tmp);
    forget(o);
}
