/* Field -> mapping block demand (demand.h). */
#include <stdio.h>
#include <string.h>

#include "ecs/demand.h"

/* The fields each optional block writes (prefixes of dotted paths). */
static const char *const outputs[TH_MB_COUNT][19] = {
    [TH_MB_ENTITY] = {"entity", "actor", "target", "related.entity", "user.entity",
                      "user.target.entity", "host.entity", "host.target", "service.entity",
                      "service.target", NULL},
    [TH_MB_GEO] = {"source.geo", NULL},
    [TH_MB_ASN] = {"source.as", NULL},
    [TH_MB_UA_PARSE] = {"user_agent.name", "user_agent.version", "user_agent.os",
                        "user_agent.device", NULL},
    [TH_MB_STRINGIFY] = {"aws.cloudtrail.request_parameters",
                         "aws.cloudtrail.flattened.request_parameters", NULL},
    [TH_MB_STRINGIFY_RESPONSE] = {"aws.cloudtrail.response_elements",
                                  "aws.cloudtrail.flattened.response_elements", NULL},
    [TH_MB_STRINGIFY_ADDITIONAL] = {"aws.cloudtrail.additional_eventdata",
                                    "aws.cloudtrail.flattened.additional_eventdata", NULL},
    [TH_MB_STRINGIFY_SERVICE] = {"aws.cloudtrail.service_event_details",
                                 "aws.cloudtrail.flattened.service_event_details", NULL},
    [TH_MB_RESOURCES] = {"aws.cloudtrail.resources", NULL},
    [TH_MB_CONSOLE] = {"aws.cloudtrail.console_login", NULL},
    [TH_MB_TLS] = {"tls", "aws.cloudtrail.tls_details", NULL},
    [TH_MB_RELATED] = {"related", "user.email", NULL},
    [TH_MB_SESSION] = {"aws.cloudtrail.user_identity.session_context", NULL},
    [TH_MB_RECORD] = {"event.original", "ecs.version",
                      "aws.cloudtrail.event_version", "aws.cloudtrail.request_id",
                      "aws.cloudtrail.event_type", "aws.cloudtrail.api_version",
                      "aws.cloudtrail.management_event", "aws.cloudtrail.read_only",
                      "aws.cloudtrail.shared_event_id", "aws.cloudtrail.vpc_endpoint_id",
                      "aws.cloudtrail.vpc_endpoint_account_id", "aws.cloudtrail.addendum",
                      "aws.cloudtrail.flattened.insight_details",
                      "aws.cloudtrail.user_identity.on_behalf_of",
                      "aws.cloudtrail.user_identity.in_scope_of",
                      "aws.cloudtrail.user_identity.invoked_by_delegate",
                      "aws.cloudtrail.user_identity.credential_id",
                      "aws.cloudtrail.user_identity.identity_provider", NULL},
    [TH_MB_CATEGORY] = {"event.type", "event.category", NULL},
    [TH_MB_MINOR] = {"cloud.service.name", "aws.cloudtrail.event_category",
                     "aws.cloudtrail.error_message", "group.id", "group.name", "user.target.id",
                     NULL},
};

/* The blocks with a processor that can fail, and what a failure writes
 * (event.kind: pipeline_error, the tag preserve_original_event, which keeps
 * event.original). */
static const uint32_t fallible = 1u << TH_MB_SESSION;
static const char *const failure_outputs[] = {"event.kind", "tags", "error.message",
                                              "event.original", NULL};

/* The blocks each block reads the outputs of: related.* is made from
 * user.email, resources, tls.client.server_name and on_behalf_of.user_id. */
static const uint32_t reads[TH_MB_COUNT] = {
    [TH_MB_RELATED] = 1u << TH_MB_RESOURCES | 1u << TH_MB_TLS | 1u << TH_MB_RECORD,
};

static const char *const names[TH_MB_COUNT] = {
    "entity",    "geo",     "asn",   "user-agent", "stringify", "stringify-response",
    "stringify-additional", "stringify-service", "resources", "console", "tls",
    "related",   "session", "record", "category", "minor"};

static const uint32_t stringify_blocks = 1u << TH_MB_STRINGIFY | 1u << TH_MB_STRINGIFY_RESPONSE |
                                         1u << TH_MB_STRINGIFY_ADDITIONAL |
                                         1u << TH_MB_STRINGIFY_SERVICE;

void th_ecs_demand_none(th_ecs_demand *d) { d->blocks = 0; }
void th_ecs_demand_all(th_ecs_demand *d) { d->blocks = (1u << TH_MB_COUNT) - 1; }

/* True when field f and output prefix p overlap: equal, f below p, or f a
 * parent of p. */
static bool overlaps(th_str f, const char *p)
{
    if (f.p[0] != p[0]) /* most pairs: no strlen (rules demand thousands of fields) */
        return false;
    size_t pn = strlen(p);
    size_t n = f.n < pn ? f.n : pn;
    if (memcmp(f.p, p, n) != 0)
        return false;
    if (f.n == pn)
        return true;
    return f.n > pn ? f.p[pn] == '.' : p[f.n] == '.';
}

/* Blocks that read what another block writes must pull it in. */
static void close_deps(th_ecs_demand *d)
{
    for (uint32_t before = 0; before != d->blocks;) {
        before = d->blocks;
        for (int b = 0; b < TH_MB_COUNT; b++)
            if (d->blocks >> b & 1u)
                d->blocks |= reads[b];
    }
}

void th_ecs_demand_field(th_ecs_demand *d, th_str field)
{
    if (field.n == 0 || memchr(field.p, '*', field.n) || memchr(field.p, '?', field.n)) {
        th_ecs_demand_all(d);
        return;
    }
    for (int b = 0; b < TH_MB_COUNT; b++)
        for (size_t i = 0; outputs[b][i]; i++)
            if (overlaps(field, outputs[b][i]))
                d->blocks |= 1u << b;
    for (size_t i = 0; failure_outputs[i]; i++)
        if (overlaps(field, failure_outputs[i]))
            d->blocks |= fallible;
    close_deps(d);
}

int th_ecs_field_block(th_str field)
{
    if (field.n == 0)
        return -1; /* no output is empty */
    for (int b = 0; b < TH_MB_COUNT; b++)
        for (size_t i = 0; outputs[b][i]; i++) {
            if (field.p[0] != outputs[b][i][0]) /* most pairs: no strlen (asked per field read) */
                continue;
            size_t pn = strlen(outputs[b][i]);
            if (field.n >= pn && memcmp(field.p, outputs[b][i], pn) == 0 &&
                (field.n == pn || field.p[pn] == '.'))
                return b;
        }
    return -1;
}

void th_ecs_demand_merge(th_ecs_demand *a, const th_ecs_demand *b) { a->blocks |= b->blocks; }

bool th_ecs_demand_stringifies(const th_ecs_demand *d)
{
    return !d || (d->blocks & stringify_blocks) != 0;
}

const char *th_ecs_demand_desc(const th_ecs_demand *d, char *buf, size_t n)
{
    if (n == 0)
        return buf;
    buf[0] = 0;
    size_t used = 0;
    for (int b = 0; b < TH_MB_COUNT; b++) {
        if (!th_ecs_demand_has(d, (th_ecs_block)b))
            continue;
        int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", names[b]);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    if (!used)
        snprintf(buf, n, "none");
    return buf;
}
