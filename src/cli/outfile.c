/* Output files written through a temporary file, and interrupts (outfile.h). */
#include "cli/outfile.h"

#include <dirent.h>
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

/* A write lock on the whole file (fcntl: the kernel drops it when the process
 * ends, SIGKILL included). */
static bool lock_file(int fd, bool wait)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    while (fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) != 0)
        if (errno != EINTR)
            return false;
    return true;
}

/* mkstemp's six characters */
static bool tmp_suffix(const char *p)
{
    size_t n = 0;
    for (; p[n]; n++)
        if (!((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
              (p[n] >= '0' && p[n] <= '9')))
            return false;
    return n == 6;
}

/* Removes the temporary files of `target` (target.tmp.XXXXXX) that runs
 * killed before their rename left behind (a run ended by SIGKILL cannot clean
 * up). A writer holds a lock on its temporary file for its whole life (taken
 * right after mkstemp, th_outfile_open), so a file nobody holds a lock on is
 * a leftover; one whose lock is held belongs to a live run and is left
 * alone. Only regular files of this user. Returns how many were removed. */
static size_t remove_leftovers(const char *target, const struct stat *mine)
{
    const char *slash = strrchr(target, '/');
    char dir[PATH_MAX];
    const char *base = slash ? slash + 1 : target;
    if (slash) {
        size_t dn = (size_t)(slash - target);
        if (dn >= sizeof dir)
            return 0;
        memcpy(dir, target, dn);
        dir[dn] = '\0';
        if (!dn)
            strcpy(dir, "/");
    } else {
        strcpy(dir, ".");
    }
    size_t bn = strlen(base);
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t removed = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        const char *nm = de->d_name;
        if (strncmp(nm, base, bn) != 0 || strncmp(nm + bn, ".tmp.", 5) != 0 ||
            !tmp_suffix(nm + bn + 5))
            continue;
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, nm) >= sizeof p)
            continue;
        struct stat ls;
        /* never our own: a second fcntl lock of this process on it would
         * succeed, and closing that descriptor would drop our lock */
        if (lstat(p, &ls) != 0 || !S_ISREG(ls.st_mode) ||
            (ls.st_ino == mine->st_ino && ls.st_dev == mine->st_dev))
            continue;
        int fd = open(p, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            continue;
        struct stat st, now;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
            !(st.st_ino == mine->st_ino && st.st_dev == mine->st_dev) &&
            lock_file(fd, false) && stat(p, &now) == 0 && now.st_ino == st.st_ino &&
            now.st_dev == st.st_dev && unlink(p) == 0)
            removed++;
        close(fd); /* drops our lock */
    }
    closedir(d);
    return removed;
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
    int fd;
    struct stat ours;
    for (int tries = 0;; tries++) {
        snprintf(o->tmp, n, "%s.tmp.XXXXXX", o->target);
        fd = mkstemp(o->tmp);
        if (fd < 0) {
            fprintf(stderr, "trailhound %s: cannot write %s: %s\n", verb, path, strerror(errno));
            free(o->tmp);
            free(o->target);
            o->tmp = o->target = NULL;
            return false;
        }
        /* locked for the run's whole life: remove_leftovers of another run
         * tells it from a killed run's file by this lock. Between mkstemp and
         * the lock another run may have taken the file for a leftover:
         * then it is gone from its name, and a new one is made. */
        struct stat b;
        if (lock_file(fd, true) && fstat(fd, &ours) == 0 && stat(o->tmp, &b) == 0 &&
            ours.st_ino == b.st_ino && ours.st_dev == b.st_dev)
            break;
        close(fd);
        if (tries == 8) {
            fprintf(stderr, "trailhound %s: cannot write %s: its temporary file keeps vanishing\n",
                    verb, path);
            free(o->tmp);
            free(o->target);
            o->tmp = o->target = NULL;
            return false;
        }
    }
    th_signals_register_tmp(o->tmp);
    size_t stale = remove_leftovers(o->target, &ours);
    if (stale)
        fprintf(stderr, "trailhound %s: removed %zu temporary file%s of %s left by runs that were "
                        "killed before finishing (%s.tmp.*)\n",
                verb, stale, stale == 1 ? "" : "s", path, o->target);
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
