/* Where the CLI finds data packages installed by scripts/setup.sh (npm's
 * node_modules/): a binary run from build/<mode>/ or installed beside the
 * repository finds them without options. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecs/mapper.h"

/* build/release/../../node_modules/... -> the canonical path, for summaries */
static const char *tidy(char *buf, size_t n)
{
    char *r = realpath(buf, NULL);
    if (r && strlen(r) < n)
        memcpy(buf, r, strlen(r) + 1);
    free(r);
    return buf;
}

const char *th_mapper_default_path(const char *rel, char *buf, size_t n)
{
    const char *env = getenv("TH_DATA_DIR");
    if (env && *env) {
        snprintf(buf, n, "%s/%s", env, rel);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = 0;
        static const char *const ups[] = {"", "/..", "/../.."};
        for (size_t i = 0; i < 3; i++) {
            snprintf(buf, n, "%s%s/%s", exe, ups[i], rel);
            if (access(buf, R_OK) == 0)
                return tidy(buf, n);
        }
    }
    snprintf(buf, n, "%s", rel);
    return access(buf, R_OK) == 0 ? buf : NULL;
}
