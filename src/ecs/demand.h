/* Which parts of the CloudTrail -> ECS mapping a consumer needs.
 *
 * The mapper (mapper.c) is one sequence of the integration pipeline's
 * processors. Most are cheap renames; a few blocks are costly (GeoIP and ASN
 * lookups, user-agent parsing, the Java Map.toString of the four parameter
 * objects, related.*, the entity script) and write fields that nothing later
 * in the pipeline reads. A demand names the ECS fields a consumer will read
 * (the rules' query fields, new_terms/threshold/group-by fields, exception
 * fields ...); the mapper then skips every optional block whose outputs are
 * not demanded. The same code maps in both cases, so a demanded field has
 * exactly the value the full mapping gives it (tests/ecs/test_demand.c checks
 * that on every record of the corpus for every field an AWS rule reads).
 *
 * A demand is a small value (a bit set); build it once, share it read-only
 * between threads. */
#ifndef TH_ECS_DEMAND_H
#define TH_ECS_DEMAND_H

#include <stdbool.h>
#include <stdint.h>

#include "base/str.h"

/* The optional blocks of the mapping. Everything else always runs: what
 * feeds @timestamp and event.ingested, the fields later processors read
 * (user.name, cloud.account.id, source.ip, event.action, the error fields ...)
 * and the cheap renames most rules read. */
typedef enum th_ecs_block {
    TH_MB_ENTITY,    /* actor/target entity script (actor_target_mapping only) */
    TH_MB_GEO,       /* source.geo.* */
    TH_MB_ASN,       /* source.as.* */
    TH_MB_UA_PARSE,  /* user_agent.{name,version,os,device} (user_agent.original always) */
    /* Map.toString of a parameter object and its flattened copy, one block
     * each (the objects are large, and rules read one or two of them) */
    TH_MB_STRINGIFY, /* aws.cloudtrail.request_parameters, flattened.request_parameters */
    TH_MB_STRINGIFY_RESPONSE,   /* aws.cloudtrail.response_elements, flattened.... */
    TH_MB_STRINGIFY_ADDITIONAL, /* aws.cloudtrail.additional_eventdata, flattened.... */
    TH_MB_STRINGIFY_SERVICE,    /* aws.cloudtrail.service_event_details, flattened.... */
    TH_MB_RESOURCES, /* aws.cloudtrail.resources */
    TH_MB_CONSOLE,   /* aws.cloudtrail.console_login.* */
    TH_MB_TLS,       /* tls.*, aws.cloudtrail.tls_details.* */
    TH_MB_RELATED,   /* related.*, user.email (reads what the other blocks write) */
    /* Parts of the base mapping that no later processor reads and few rules do */
    TH_MB_SESSION,   /* aws.cloudtrail.user_identity.session_context.* (its date may fail) */
    TH_MB_RECORD,    /* the record's bookkeeping: event.original, ecs.version, request_id, ... */
    TH_MB_CATEGORY,  /* event.type, event.category (event.kind and event.outcome always) */
    TH_MB_MINOR,     /* cloud.service.name, event_category, error_message, group.*, user.target.id */
    TH_MB_COUNT
} th_ecs_block;

typedef struct th_ecs_demand {
    uint32_t blocks; /* bit per th_ecs_block that must run */
} th_ecs_demand;

/* Nothing optional (the always-run blocks only). */
void th_ecs_demand_none(th_ecs_demand *d);
/* Everything: the full mapping. */
void th_ecs_demand_all(th_ecs_demand *d);
/* Demands one ECS field (dotted path). A parent ("source") demands every block
 * writing below it; a path with a wildcard or an empty one demands all. */
void th_ecs_demand_field(th_ecs_demand *d, th_str field);
/* The optional block whose output holds `field` (the field is one of its
 * output prefixes or below one), or -1 when no optional block writes it. */
int th_ecs_field_block(th_str field);
/* Whether d runs any of the four stringify blocks. */
bool th_ecs_demand_stringifies(const th_ecs_demand *d);
/* a |= b */
void th_ecs_demand_merge(th_ecs_demand *a, const th_ecs_demand *b);
static inline bool th_ecs_demand_has(const th_ecs_demand *d, th_ecs_block b)
{
    return !d || (d->blocks >> b) & 1u;
}
static inline bool th_ecs_demand_is_all(const th_ecs_demand *d)
{
    return !d || d->blocks == (1u << TH_MB_COUNT) - 1;
}
/* Names of the blocks a demand runs, for --profile ("geo,asn,..." or "none");
 * a buffer of TH_ECS_DEMAND_DESC_MAX holds every block's name. */
#define TH_ECS_DEMAND_DESC_MAX 256
const char *th_ecs_demand_desc(const th_ecs_demand *d, char *buf, size_t n);

#endif
