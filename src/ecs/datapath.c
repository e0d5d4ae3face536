/* Where the data packages live when the user names none (scripts/setup.sh
 * installs them under node_modules/; `make` compiles the ASN table into
 * build/data/): one resolver, so that every verb finds uap-core's regexes, the
 * default GeoIP City database and the ASN ranges alike. */
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
static const char *find(const char *rel, char *buf, size_t n)
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
    return NULL;
}

const char *th_mapper_default_path(const char *rel, char *buf, size_t n)
{
    if (find(rel, buf, n))
        return buf;
    /* said once per file and process: nothing is ever silently off */
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static const char *said[8];
    static size_t nsaid;
    bool first = true;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nsaid && first; i++)
        first = strcmp(said[i], rel) != 0;
    if (first && nsaid < sizeof said / sizeof said[0])
        said[nsaid++] = rel; /* callers pass string literals */
    pthread_mutex_unlock(&lock);
    if (first)
        fprintf(stderr,
                "trailhound: data file %s not found (looked in $TH_DATA_DIR, "
                "<prefix>/share/trailhound beside the binary, and the source tree); what it "
                "serves is off. Run scripts/setup.sh, or make install.\n",
                rel);
    return NULL;
}

const char *th_mapper_default_ua_path(char *buf, size_t n)
{
    return th_mapper_default_path("node_modules/uap-core/regexes.yaml", buf, n);
}

const char *th_mapper_default_asn_path(char *buf, size_t n)
{
    /* the table quietly: the CSV serves as well, only slower to load */
    const char *p = find(TH_ASN_TABLE_DEFAULT, buf, n);
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

static bool has_tag(const th_mapper_opts *o, const char *t)
{
    for (size_t i = 0; i < o->ntags; i++)
        if (strcmp(o->tags[i], t) == 0)
            return true;
    return false;
}

/* ip-location-db's City pair (a directory) carries no country or continent
 * names and no subdivision ISO codes (geoip.c). */
static bool flat_city(const char *path)
{
    struct stat st;
    return path && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *th_mapper_opts_gap(const th_mapper_opts *o, th_str field, const char **group)
{
    switch (th_ecs_field_block(field)) {
    case TH_MB_ASN:
        if (o->geoip_asn_db && *o->geoip_asn_db)
            return NULL;
        *group = "source.as.*";
        return "ASN enrichment is off (--no-asn or --no-geoip; or no ASN data: run "
               "scripts/setup.sh, then make)";
    case TH_MB_GEO:
        if (!o->geoip_city_db || !*o->geoip_city_db) {
            *group = "source.geo.*";
            return "GeoIP City enrichment is off (--no-geoip; or no City database: run "
                   "scripts/setup.sh, or give --geoip-city)";
        }
        if (flat_city(o->geoip_city_db) &&
            (th_str_eqc(field, "source.geo.country_name") ||
             th_str_eqc(field, "source.geo.continent_name") ||
             th_str_eqc(field, "source.geo.region_iso_code"))) {
            *group = "source.geo.country_name, continent_name or region_iso_code";
            return "the default City data (ip-location-db) has no country or continent names "
                   "and no region ISO codes (give --geoip-city a MaxMind GeoLite2-City .mmdb)";
        }
        return NULL;
    case TH_MB_UA_PARSE:
        if (o->ua_regexes && *o->ua_regexes)
            return NULL;
        *group = "user_agent.name/version/os/device";
        return "user-agent parsing is off (--no-user-agent; or no uap-core regexes: run "
               "scripts/setup.sh)";
    case TH_MB_ENTITY:
        if (o->actor_target_mapping || has_tag(o, "actor_target_mapping"))
            return NULL;
        *group = "the entity fields (entity.*, *.entity.id, *.target.entity.id, related.entity)";
        return "the integration's actor_target_mapping option is off (--no-actor-target-mapping)";
    default:
        return NULL;
    }
}
