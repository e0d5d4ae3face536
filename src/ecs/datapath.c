/* Where the data packages live when the user names none (scripts/setup.sh
 * installs them under node_modules/; `make` compiles the ASN table into
 * build/data/): one resolver, so that every verb finds uap-core's regexes, the
 * default GeoIP City database and the ASN ranges alike. */
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
        /* the binary's directory, then build/<mode>/ -> build/ -> repository root */
        static const char *const ups[] = {"", "/..", "/../.."};
        for (size_t i = 0; i < 3; i++) {
            snprintf(buf, n, "%s%s/%s", exe, ups[i], rel);
            if (readable(buf))
                return tidy(buf, n);
        }
    }
    snprintf(buf, n, "%s", rel);
    return readable(buf) ? buf : NULL;
}

const char *th_mapper_default_ua_path(char *buf, size_t n)
{
    return th_mapper_default_path("node_modules/uap-core/regexes.yaml", buf, n);
}

const char *th_mapper_default_asn_path(char *buf, size_t n)
{
    const char *p = th_mapper_default_path(TH_ASN_TABLE_DEFAULT, buf, n);
    return p ? p : th_mapper_default_path(TH_ASN_CSV_DEFAULT, buf, n);
}

void th_mapper_opts_deployed(th_mapper_opts *o, th_mapper_paths *p)
{
    th_mapper_opts_default(o);
    o->actor_target_mapping = true;
    o->ua_regexes = th_mapper_default_ua_path(p->ua, sizeof p->ua);
    o->geoip_city_db = th_mapper_default_path(TH_GEOIP_CITY_DEFAULT, p->city, sizeof p->city);
    o->geoip_asn_db = th_mapper_default_asn_path(p->asn, sizeof p->asn);
}
