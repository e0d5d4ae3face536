/* Path walking for io/: the one walker (base/walk.h) plus the S3 key-date
 * and digest skips by path. */
#include "io/walk.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "base/timeutil.h"
#include "base/walk.h"

#define DAY_MS (86400ll * 1000ll)

struct th_io_walk {
    th_walk *w;
    int64_t from_ms, to_ms;
};

th_io_walk *th_io_walk_open(const char *const *paths, size_t npaths, int64_t key_from_ms,
                            int64_t key_to_ms, th_diags *diags)
{
    th_io_walk *w = th_xcalloc(1, sizeof(*w));
    th_walk_opts o = {.hidden = true, .stdin_dash = true, .diags = diags};
    w->w = th_walk_open(paths, npaths, &o);
    w->from_ms = key_from_ms;
    w->to_ms = key_to_ms;
    return w;
}

void th_io_walk_exclude(th_io_walk *w, dev_t dev, ino_t ino, const char *why)
{
    th_walk_exclude(w->w, dev, ino, why);
}

void th_io_walk_close(th_io_walk *w)
{
    if (!w)
        return;
    th_walk_close(w->w);
    free(w);
}

th_io_walk_kind th_io_walk_next(th_io_walk *w, th_io_walk_item *out)
{
    th_walk_item it;
    switch (th_walk_next(w->w, &it)) {
    case TH_WALK_END: return TH_IO_WALK_END;
    case TH_WALK_SKIPPED:
        out->path = it.path;
        out->is_stdin = false;
        out->regular = false;
        out->size = 0;
        return TH_IO_WALK_UNREADABLE;
    case TH_WALK_FILE: break;
    }
    out->path = it.path;
    out->is_stdin = it.is_stdin;
    out->regular = it.regular;
    out->size = it.size;
    if (it.is_stdin)
        return TH_IO_WALK_FILE;
    /* by path alone: digests, and S3 key dates outside the range */
    if (th_io_is_digest_path(it.path))
        return TH_IO_WALK_DIGEST;
    int64_t day;
    if ((w->from_ms != TH_TIME_NONE || w->to_ms != TH_TIME_NONE) &&
        th_io_s3_key_day(it.path, &day) && !th_io_key_day_in_range(day, w->from_ms, w->to_ms))
        return TH_IO_WALK_KEY_DATE;
    return TH_IO_WALK_FILE;
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
