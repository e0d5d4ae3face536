/* Path walking for io/: explicit paths in the order given, directories
 * recursively in bytewise order, S3 key-date and digest skips by path. */
#include "io/walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/timeutil.h"

#define DAY_MS (86400ll * 1000ll)

/* One directory being listed: its sorted entry names and the next one to visit.
 * The directory is read and closed at once, so no descriptor stays open. */
typedef struct frame {
    char *path;
    char **names;
    size_t n, next;
    dev_t dev;
    ino_t ino;
} frame;

struct th_io_walk {
    char **paths;
    size_t npaths, next_path;
    frame stack[TH_MAX_DIR_DEPTH];
    size_t depth;
    int64_t from_ms, to_ms;
    th_diags *diags;
    char *current; /* path of the last item returned (owned) */
};

th_io_walk *th_io_walk_open(const char *const *paths, size_t npaths, int64_t key_from_ms,
                            int64_t key_to_ms, th_diags *diags)
{
    th_io_walk *w = th_xcalloc(1, sizeof(*w));
    w->paths = th_xcalloc(npaths ? npaths : 1, sizeof(char *));
    for (size_t i = 0; i < npaths; i++)
        w->paths[i] = th_xstrdup(paths[i]);
    w->npaths = npaths;
    w->from_ms = key_from_ms;
    w->to_ms = key_to_ms;
    w->diags = diags;
    return w;
}

static void frame_free(frame *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->names[i]);
    free(f->names);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

void th_io_walk_close(th_io_walk *w)
{
    if (!w)
        return;
    while (w->depth)
        frame_free(&w->stack[--w->depth]);
    for (size_t i = 0; i < w->npaths; i++)
        free(w->paths[i]);
    free(w->paths);
    free(w->current);
    free(w);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join(const char *dir, const char *name)
{
    size_t dl = strlen(dir), nl = strlen(name);
    bool slash = dl > 0 && dir[dl - 1] != '/';
    char *p = th_xmalloc(dl + slash + nl + 1);
    memcpy(p, dir, dl);
    if (slash)
        p[dl] = '/';
    memcpy(p + dl + slash, name, nl + 1);
    return p;
}

/* Lists `path` into a new frame; false (reported) when it cannot be read. */
static bool push_dir(th_io_walk *w, char *path, const struct stat *st)
{
    for (size_t i = 0; i < w->depth; i++) {
        if (w->stack[i].dev == st->st_dev && w->stack[i].ino == st->st_ino) {
            th_diag_offset(w->diags, TH_SEV_WARNING, path, -1,
                           "directory loop (a symlink back to %s); not followed", w->stack[i].path);
            free(path);
            return false;
        }
    }
    if (w->depth == TH_MAX_DIR_DEPTH) {
        th_diag_offset(w->diags, TH_SEV_ERROR, path, -1,
                       "directories nested deeper than %d; not read", TH_MAX_DIR_DEPTH);
        free(path);
        return false;
    }
    DIR *d = opendir(path);
    if (!d) {
        th_diag_offset(w->diags, TH_SEV_ERROR, path, -1, "cannot read directory: %s",
                       strerror(errno));
        free(path);
        return false;
    }
    frame *f = &w->stack[w->depth++];
    memset(f, 0, sizeof(*f));
    f->path = path;
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (f->n == cap) {
            cap = cap ? cap * 2 : 16;
            f->names = th_xrealloc(f->names, cap * sizeof(char *));
        }
        f->names[f->n++] = th_xstrdup(e->d_name);
    }
    closedir(d);
    if (f->n > 1)
        qsort(f->names, f->n, sizeof(char *), cmp_names);
    return true;
}

/* Classifies a regular file by its path alone (digest, key date) or accepts it. */
static th_io_walk_kind accept_file(th_io_walk *w, char *path, th_io_walk_item *out)
{
    free(w->current);
    w->current = path;
    out->path = path;
    out->is_stdin = false;
    if (th_io_is_digest_path(path))
        return TH_WALK_DIGEST;
    int64_t day;
    if ((w->from_ms != TH_TIME_NONE || w->to_ms != TH_TIME_NONE) && th_io_s3_key_day(path, &day) &&
        !th_io_key_day_in_range(day, w->from_ms, w->to_ms))
        return TH_WALK_KEY_DATE;
    return TH_WALK_FILE;
}

static th_io_walk_kind unreadable(th_io_walk *w, char *path, th_io_walk_item *out)
{
    free(w->current);
    w->current = path;
    out->path = path;
    out->is_stdin = false;
    return TH_WALK_UNREADABLE;
}

/* Handles one path: a directory is pushed (returns END to mean "nothing yet"),
 * anything else becomes an item. `explicit_path`: named by the user, so pipes
 * and devices are read too; inside directories only regular files are. */
static th_io_walk_kind visit(th_io_walk *w, char *path, bool explicit_path, th_io_walk_item *out)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        struct stat lst;
        if (errno == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
            th_diag_offset(w->diags, TH_SEV_ERROR, path, -1, "dangling symbolic link");
        else
            th_diag_offset(w->diags, TH_SEV_ERROR, path, -1, "cannot open: %s", strerror(errno));
        return unreadable(w, path, out);
    }
    if (S_ISDIR(st.st_mode)) {
        push_dir(w, path, &st);
        return TH_WALK_END;
    }
    if (S_ISREG(st.st_mode) || explicit_path)
        return accept_file(w, path, out);
    th_diag_offset(w->diags, TH_SEV_WARNING, path, -1,
                   "not a regular file (pipe, socket or device) inside a directory; skipped");
    return unreadable(w, path, out);
}

th_io_walk_kind th_io_walk_next(th_io_walk *w, th_io_walk_item *out)
{
    for (;;) {
        if (w->depth) {
            frame *f = &w->stack[w->depth - 1];
            if (f->next == f->n) {
                frame_free(f);
                w->depth--;
                continue;
            }
            char *path = join(f->path, f->names[f->next++]);
            th_io_walk_kind k = visit(w, path, false, out);
            if (k != TH_WALK_END)
                return k;
            continue;
        }
        if (w->next_path == w->npaths)
            return TH_WALK_END;
        const char *p = w->paths[w->next_path++];
        if (strcmp(p, "-") == 0) {
            free(w->current);
            w->current = th_xstrdup("-");
            out->path = w->current;
            out->is_stdin = true;
            return TH_WALK_FILE;
        }
        th_io_walk_kind k = visit(w, th_xstrdup(p), true, out);
        if (k != TH_WALK_END)
            return k;
    }
}

/* ---- S3 layout --------------------------------------------------------- */

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static unsigned num(const char *s, size_t n)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (unsigned)(s[i] - '0');
    return v;
}

/* Reads `<region>/YYYY/MM/DD/` at p (just after "CloudTrail/"). */
static bool region_date(const char *p, int64_t *day_ms)
{
    const char *slash = strchr(p, '/');
    if (!slash || slash == p)
        return false;
    const char *d = slash + 1;
    if (strlen(d) < 11 || !digits(d, 4) || d[4] != '/' || !digits(d + 5, 2) || d[7] != '/' ||
        !digits(d + 8, 2) || d[10] != '/')
        return false;
    unsigned y = num(d, 4), m = num(d + 5, 2), day = num(d + 8, 2);
    if (m < 1 || m > 12 || day < 1 || day > 31)
        return false;
    *day_ms = th_days_from_civil(y, m, day) * DAY_MS;
    return true;
}

bool th_io_s3_key_day(const char *path, int64_t *day_start_ms)
{
    static const char comp[] = "CloudTrail/";
    const size_t cl = sizeof(comp) - 1;
    for (const char *p = path; (p = strstr(p, comp)) != NULL; p += cl) {
        if (p != path && p[-1] != '/')
            continue; /* e.g. "MyCloudTrail/" is not the component */
        if (region_date(p + cl, day_start_ms))
            return true;
    }
    return false;
}

bool th_io_key_day_in_range(int64_t day_start_ms, int64_t from_ms, int64_t to_ms)
{
    int64_t lo = day_start_ms - TH_S3_KEY_DATE_SLACK_MS;
    int64_t hi = day_start_ms + DAY_MS - 1;
    if (from_ms != TH_TIME_NONE && hi < from_ms)
        return false;
    if (to_ms != TH_TIME_NONE && lo > to_ms)
        return false;
    return true;
}

bool th_io_is_digest_path(const char *path)
{
    /* AWS writes digests under AWSLogs/<account>/CloudTrail-Digest/ with names
     * like <account>_CloudTrail-Digest_<region>_..., never log files. */
    return strstr(path, "CloudTrail-Digest") != NULL;
}
