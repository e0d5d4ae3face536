/* CloudTrail -> ECS, as the Elastic AWS integration's cloudtrail ingest pipeline
 * does (newest version; SEMANTICS.md section 8), plus enrichment (GeoIP/ASN with
 * libmaxminddb, user agent with uap-core regexes via PCRE2).
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
#include "json/json.h"

typedef struct th_mapper_opts {
    bool actor_target_mapping;   /* the integration's actor_target_mapping option */
    bool preserve_original;      /* keep event.original (tag preserve_original_event) */
    /* event.ingested = @timestamp + ingest_delay_ms (whole seconds), when >= 0;
     * negative = do not set event.ingested (rules then fall back to @timestamp). */
    int64_t ingest_delay_ms;
    const char *geoip_city_db;   /* NULL = default location, absent = no geo enrichment */
    const char *geoip_asn_db;
    const char *ua_regexes;      /* uap-core regexes.yaml; NULL = default */
    /* event.created, as the pipeline sets it from the incoming @timestamp;
     * TH_TIME_NONE = not set. */
    int64_t created_ms;
    const char *const *tags;     /* extra tags to add (e.g. from a fixture config) */
    size_t ntags;
} th_mapper_opts;

typedef struct th_mapper th_mapper;

void th_mapper_opts_default(th_mapper_opts *o);
th_mapper *th_mapper_new(const th_mapper_opts *o, th_diags *diags);
void th_mapper_free(th_mapper *m);

/* Maps one raw CloudTrail record. `raw_text` is the record's exact source text
 * (for event.original); may be empty. Returns the ECS document. */
th_jval *th_ecs_map(const th_mapper *m, th_arena *a, const th_jval *raw, th_str raw_text);

#endif
