/* Field -> mapping block demand (demand.h). */
#include <stdio.h>
#include <string.h>

#include "ecs/demand.h"

/* The fields each optional block writes (prefixes of dotted paths). */
static const char *const outputs[TH_MB_COUNT][13] = {
    [TH_MB_ENTITY] = {"entity", "actor", "target", "related.entity", "user.entity",
                      "user.target.entity", "host.entity", "host.target", "service.entity",
                      "service.target", NULL},
    [TH_MB_GEO] = {"source.geo", NULL},
    [TH_MB_ASN] = {"source.as", NULL},
    [TH_MB_UA_PARSE] = {"user_agent.name", "user_agent.version", "user_agent.os",
                        "user_agent.device", NULL},
    [TH_MB_STRINGIFY] = {"aws.cloudtrail.request_parameters", "aws.cloudtrail.response_elements",
                         "aws.cloudtrail.additional_eventdata",
                         "aws.cloudtrail.service_event_details", "aws.cloudtrail.flattened", NULL},
    [TH_MB_RESOURCES] = {"aws.cloudtrail.resources", NULL},
    [TH_MB_CONSOLE] = {"aws.cloudtrail.console_login", NULL},
    [TH_MB_TLS] = {"tls", "aws.cloudtrail.tls_details", NULL},
    [TH_MB_RELATED] = {"related", "user.email", NULL},
};

static const char *const names[TH_MB_COUNT] = {"entity", "geo", "asn", "user-agent", "stringify",
                                               "resources", "console", "tls", "related"};

void th_ecs_demand_none(th_ecs_demand *d) { d->blocks = 0; }
void th_ecs_demand_all(th_ecs_demand *d) { d->blocks = (1u << TH_MB_COUNT) - 1; }

/* True when field f and output prefix p overlap: equal, f below p, or f a
 * parent of p. */
static bool overlaps(th_str f, const char *p)
{
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
    if (d->blocks & (1u << TH_MB_RELATED))
        d->blocks |= 1u << TH_MB_RESOURCES | 1u << TH_MB_TLS;
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
    close_deps(d);
}

int th_ecs_field_block(th_str field)
{
    for (int b = 0; b < TH_MB_COUNT; b++)
        for (size_t i = 0; outputs[b][i]; i++) {
            size_t pn = strlen(outputs[b][i]);
            if (field.n >= pn && memcmp(field.p, outputs[b][i], pn) == 0 &&
                (field.n == pn || field.p[pn] == '.'))
                return b;
        }
    return -1;
}

void th_ecs_demand_merge(th_ecs_demand *a, const th_ecs_demand *b) { a->blocks |= b->blocks; }

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
