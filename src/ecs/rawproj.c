/* The raw projection (rawproj.h). The table mirrors the copies mapper.c makes;
 * a field belongs here only if EVERY processor that writes it copies a raw
 * string (never renders, joins, parses or computes it). */
#include <string.h>

#include "ecs/mapper_int.h"
#include "ecs/rawproj.h"

typedef struct rawsrc {
    const char *field;
    const char *paths[4];
} rawsrc;

static const rawsrc table[] = {
    {"event.provider", {"eventSource"}},
    {"event.action", {"eventName"}}, /* rendered: strings are themselves */
    {"event.id", {"eventID"}},
    {"cloud.region", {"awsRegion"}},
    {"cloud.account.id", {"userIdentity.accountId", "recipientAccountId", "awsAccountId"}},
    {"source.address", {"sourceIPAddress"}},
    {"source.ip", {"sourceIPAddress"}}, /* only when it is an address: a subset */
    {"user_agent.original", {"userAgent"}},
    {"user.name",
     {"userIdentity.userName", "userIdentity.sessionContext.sessionIssuer.userName",
      "additionalEventData.UserName"}},
    {"user.id", {"userIdentity.principalId", "userIdentity.onBehalfOf.userId"}},
    {"aws.cloudtrail.user_identity.type", {"userIdentity.type"}},
    {"aws.cloudtrail.user_identity.arn", {"userIdentity.arn"}},
    {"aws.cloudtrail.user_identity.access_key_id", {"userIdentity.accessKeyId"}},
    {"aws.cloudtrail.user_identity.invoked_by", {"userIdentity.invokedBy"}},
    {"aws.cloudtrail.user_identity.session_context.session_issuer.arn",
     {"userIdentity.sessionContext.sessionIssuer.arn"}},
    {"aws.cloudtrail.user_identity.session_context.session_issuer.type",
     {"userIdentity.sessionContext.sessionIssuer.type"}},
    {"aws.cloudtrail.error_code", {"errorCode"}},
    {"aws.cloudtrail.error_message", {"errorMessage"}},
    {"aws.cloudtrail.event_type", {"eventType"}},
    {"aws.cloudtrail.recipient_account_id", {"recipientAccountId"}},
};

static const rawsrc *find(th_str field)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (th_str_eqc(field, table[i].field))
            return &table[i];
    return NULL;
}

bool th_ecs_raw_field(th_str field) { return find(field) != NULL; }

const char *th_ecs_raw_field_at(size_t i)
{
    return i < sizeof table / sizeof table[0] ? table[i].field : NULL;
}

size_t th_ecs_raw_sources(th_str field, const char *const **paths)
{
    const rawsrc *r = find(field);
    if (!r)
        return 0;
    *paths = r->paths;
    size_t n = 0;
    while (n < 4 && r->paths[n])
        n++;
    return n;
}

/* Adds the strings at v (a string, or an array of strings) to arr; false when
 * v holds anything else. */
static bool add_strings(th_arena *a, th_jval *arr, const th_jval *v)
{
    if (v->type == TH_JNULL)
        return true;
    if (v->type == TH_JSTR) {
        th_jarr_push(a, arr, (th_jval *)v);
        return true;
    }
    if (v->type != TH_JARR)
        return false;
    for (uint32_t i = 0; i < v->len; i++)
        if (!add_strings(a, arr, v->u.items[i]))
            return false;
    return true;
}

th_jval *th_ecs_project(const th_mapper *m, th_arena *a, const th_jval *raw)
{
    if (!th_jis(raw, TH_JOBJ))
        return NULL;
    th_jval *doc = th_jnew_obj(a);
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        th_jval *arr = th_jnew_arr(a);
        for (size_t k = 0; k < 4 && table[i].paths[k]; k++) {
            const th_jval *v = th_jobj_get_path(raw, table[i].paths[k]);
            if (v && !add_strings(a, arr, v))
                return NULL;
        }
        if (arr->len)
            th_jobj_set_path(a, doc, table[i].field, arr);
    }
    if (m->o.data_stream) { /* constants of the data stream, as th_ecs_map adds them */
        th_jobj_set_path(a, doc, "data_stream.dataset", th_jnew_cstr(a, "aws.cloudtrail"));
        th_jobj_set_path(a, doc, "event.dataset", th_jnew_cstr(a, "aws.cloudtrail"));
        th_jobj_set_path(a, doc, "event.module", th_jnew_cstr(a, "aws"));
        th_jobj_set_path(a, doc, "data_stream.type", th_jnew_cstr(a, "logs"));
        th_jobj_set_path(a, doc, "data_stream.namespace", th_jnew_cstr(a, "default"));
    }
    return doc;
}
