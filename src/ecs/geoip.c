/* GeoIP enrichment with libmaxminddb, producing the fields of Elasticsearch's
 * geoip processor with its default properties: City database ->
 * source.geo.{continent_name, country_iso_code, country_name, region_iso_code,
 * region_name, city_name, location.lat/lon}; ASN database -> source.as.number
 * and source.as.organization.name. An MMDB_s is read-only after opening, so a
 * th_geo may be shared by threads. */
#include <maxminddb.h>
#include <stdlib.h>
#include <string.h>

#include "ecs/mapper_int.h"

struct th_geo {
    MMDB_s db;
};

th_geo *th_geo_open(const char *path, th_diags *diags)
{
    th_geo *g = th_xcalloc(1, sizeof *g);
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
    if (rc != MMDB_SUCCESS) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot open GeoIP database: %s",
                   MMDB_strerror(rc));
        free(g);
        return NULL;
    }
    return g;
}

void th_geo_close(th_geo *g)
{
    if (!g)
        return;
    MMDB_close(&g->db);
    free(g);
}

static bool lookup(const th_geo *g, const char *ip, MMDB_lookup_result_s *res)
{
    int gai = 0, err = 0;
    *res = MMDB_lookup_string((MMDB_s *)&g->db, ip, &gai, &err);
    return gai == 0 && err == MMDB_SUCCESS && res->found_entry;
}

static void put_str(mctx *c, MMDB_entry_s *e, const char *field, const char *const *path)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data ||
        d.type != MMDB_DATA_TYPE_UTF8_STRING)
        return;
    mx_set(c, field, th_jnew_strcopy(c->a, th_str_make(d.utf8_string, d.data_size)));
}

static bool get_double(MMDB_entry_s *e, const char *const *path, double *out)
{
    MMDB_entry_data_s d;
    if (MMDB_aget_value(e, &d, path) != MMDB_SUCCESS || !d.has_data)
        return false;
    if (d.type == MMDB_DATA_TYPE_DOUBLE)
        *out = d.double_value;
    else if (d.type == MMDB_DATA_TYPE_FLOAT)
        *out = d.float_value;
    else
        return false;
    return true;
}

void th_geo_city(const th_geo *g, mctx *c, const char *ip)
{
    MMDB_lookup_result_s r;
    if (!lookup(g, ip, &r))
        return;
    MMDB_entry_s *e = &r.entry;
    put_str(c, e, "source.geo.continent_name", (const char *const[]){"continent", "names", "en", NULL});
    put_str(c, e, "source.geo.country_iso_code", (const char *const[]){"country", "iso_code", NULL});
    put_str(c, e, "source.geo.country_name", (const char *const[]){"country", "names", "en", NULL});
    /* region: the most specific subdivision (the last one) */
    MMDB_entry_data_s d;
    int nsub = 0;
    if (MMDB_aget_value(e, &d, (const char *const[]){"subdivisions", NULL}) == MMDB_SUCCESS &&
        d.has_data && d.type == MMDB_DATA_TYPE_ARRAY)
        nsub = (int)d.data_size;
    if (nsub > 0) {
        char idx[16];
        snprintf(idx, sizeof idx, "%d", nsub - 1);
        MMDB_entry_data_s iso, cc;
        if (MMDB_aget_value(e, &iso, (const char *const[]){"subdivisions", idx, "iso_code", NULL}) ==
                MMDB_SUCCESS && iso.has_data && iso.type == MMDB_DATA_TYPE_UTF8_STRING &&
            MMDB_aget_value(e, &cc, (const char *const[]){"country", "iso_code", NULL}) ==
                MMDB_SUCCESS && cc.has_data && cc.type == MMDB_DATA_TYPE_UTF8_STRING) {
            char *s = th_arena_printf(c->a, "%.*s-%.*s", (int)cc.data_size, cc.utf8_string,
                                      (int)iso.data_size, iso.utf8_string);
            mx_set(c, "source.geo.region_iso_code", th_jnew_cstr(c->a, s));
        }
        put_str(c, e, "source.geo.region_name",
                (const char *const[]){"subdivisions", idx, "names", "en", NULL});
    }
    put_str(c, e, "source.geo.city_name", (const char *const[]){"city", "names", "en", NULL});
    double lat, lon;
    if (get_double(e, (const char *const[]){"location", "latitude", NULL}, &lat) &&
        get_double(e, (const char *const[]){"location", "longitude", NULL}, &lon)) {
        mx_set(c, "source.geo.location.lat", th_jnew_double(c->a, lat));
        mx_set(c, "source.geo.location.lon", th_jnew_double(c->a, lon));
    }
}

void th_geo_asn(const th_geo *g, mctx *c, const char *ip)
{
    MMDB_lookup_result_s r;
    if (!lookup(g, ip, &r))
        return;
    MMDB_entry_data_s d;
    if (MMDB_aget_value(&r.entry, &d, (const char *const[]){"autonomous_system_number", NULL}) ==
            MMDB_SUCCESS && d.has_data) {
        int64_t n = d.type == MMDB_DATA_TYPE_UINT32   ? d.uint32
                    : d.type == MMDB_DATA_TYPE_UINT16 ? d.uint16
                    : d.type == MMDB_DATA_TYPE_UINT64 ? (int64_t)d.uint64
                                                      : -1;
        if (n >= 0)
            mx_set(c, "source.as.number", th_jnew_i64(c->a, n));
    }
    put_str(c, &r.entry, "source.as.organization.name",
            (const char *const[]){"autonomous_system_organization", NULL});
}
