/* Where the uap-core regexes live when the user names none: one resolver, so
 * that convert, run, test and the tuning replay map user agents alike. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ecs/mapper.h"

static bool readable(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return false;
    fclose(f);
    return true;
}

const char *th_mapper_default_ua_path(char *buf, size_t n)
{
    const char *rel = "node_modules/uap-core/regexes.yaml";
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
        /* the binary's directory, then build/<mode>/ -> build/ -> repository root */
        static const char *const ups[] = {"", "/..", "/../.."};
        for (size_t i = 0; i < 3; i++) {
            snprintf(buf, n, "%s%s/%s", exe, ups[i], rel);
            if (readable(buf))
                return buf;
        }
    }
    snprintf(buf, n, "%s", rel);
    return readable(buf) ? buf : NULL;
}
