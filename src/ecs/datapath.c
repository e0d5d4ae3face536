/* Where the data packages live when the user names none (scripts/setup.sh
 * installs them under node_modules/): one resolver, so that convert, run,
 * match, test and the tuning replay find uap-core's regexes and the default
 * GeoIP City database alike. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecs/mapper.h"

/* access(R_OK) rather than fopen: the GeoIP default is a directory. */
static bool readable(const char *p) { return access(p, R_OK) == 0; }

/* build/release/../../node_modules/... -> the canonical path, for summaries */
static const char *tidy(char *buf, size_t n)
{
    char *r = realpath(buf, NULL);
    if (r && strlen(r) < n)
        memcpy(buf, r, strlen(r) + 1);
    free(r);
    return buf;
}

/* Candidate roots for `rel`, in order: $TH_DATA_DIR; the installed layout
 * (PREFIX/bin/trailhound -> PREFIX/share/trailhound, `make install`); the
 * binary's directory and up to two above it (the source tree: build/<mode>/).
 * Never the current directory: results must not depend on where one stands. */
const char *th_mapper_default_path(const char *rel, char *buf, size_t n)
{
    const char *env = getenv("TH_DATA_DIR");
    if (env && *env) {
        snprintf(buf, n, "%s/%s", env, rel);
        if (readable(buf))
            return buf;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        static const char *const ups[] = {"/../share/trailhound", "", "/..", "/../.."};
        for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
            snprintf(buf, n, "%s%s/%s", exe, ups[i], rel);
            if (readable(buf))
                return tidy(buf, n);
        }
    }
    /* said once per process: enrichment is never silently off */
    static _Atomic int warned;
    if (!warned++)
        fprintf(stderr,
                "trailhound: data file %s not found (looked in $TH_DATA_DIR, "
                "<prefix>/share/trailhound beside the binary, and the source tree); the "
                "enrichment it serves is off. Run scripts/setup.sh, or make install.\n",
                rel);
    return NULL;
}

const char *th_mapper_default_ua_path(char *buf, size_t n)
{
    return th_mapper_default_path("node_modules/uap-core/regexes.yaml", buf, n);
}
