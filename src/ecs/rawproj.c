/* The raw projection (rawproj.h). The table mirrors the copies mapper.c makes;
 * a field belongs here only if EVERY processor that writes it copies a raw
 * string (never renders, joins, parses or computes it). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ecs/mapper_int.h"
#include "ecs/rawproj.h"
#include "json/jscan.h"

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

/* Adds the strings at c (a string, or arrays of strings) to arr; false when
 * c holds anything else, or a string that does not decode. */
static bool add_strings(th_arena *a, th_jval *arr, th_jcur c)
{
    switch (th_jcur_type(c)) {
    case TH_JNULL:
        return true;
    case TH_JSTR: {
        th_str v;
        if (!th_jcur_str(c, a, &v))
            return false;
        th_jarr_push(a, arr, th_jnew_str(a, v));
        return true;
    }
    case TH_JARR: {
        th_jiter it = th_jcur_iter(c);
        th_jcur item;
        while (th_jiter_next(&it, NULL, &item))
            if (!add_strings(a, arr, item))
                return false;
        return true;
    }
    default:
        return false;
    }
}

bool th_ecs_times(const th_mapper *m, th_arena *a, const th_jscan *raw, int64_t *timestamp_ms,
                  int64_t *ingested_ms)
{
    /* the same steps as the mapping (mapper.c): eventTime -> @timestamp
     * (ISO8601, ms), @timestamp + delay -> event.ingested (whole seconds),
     * each written as text and read back as th_event_read_times reads it */
    th_jcur root = th_jscan_root(raw), et, dg;
    th_str t;
    if (th_jcur_type(root) != TH_JOBJ || th_jcur_get(root, "digestEndTime", 13, &dg) ||
        th_jcur_get(root, "digestStartTime", 15, &dg))
        return false;
    /* eventTime, else the record's own @timestamp (as th_ecs_map) */
    if (th_jcur_get(root, "eventTime", 9, &et) && th_jcur_type(et) == TH_JSTR &&
        th_jcur_str(et, a, &t) && t.n && th_ecs_times_from(m, t, timestamp_ms, ingested_ms))
        return true;
    return th_jcur_get(root, "@timestamp", 10, &et) && th_jcur_type(et) == TH_JSTR &&
           th_jcur_str(et, a, &t) && th_ecs_times_from(m, t, timestamp_ms, ingested_ms);
}

/* ---- finding every source path in one pass --------------------------------
 * The source paths form a small tree of key segments; one walk over the
 * record's members (and those of the objects on the paths) finds them all,
 * where a lookup per path would scan the top-level object forty times. The
 * last member with a key wins, as in th_jcur_get and th_jobj_get. */

#define NTABLE (sizeof table / sizeof table[0])
#define MAX_SEG 32

typedef struct seg {
    const char *name;
    size_t len;
    int parent;       /* -1: a top-level key */
    int slot;         /* index into the found cursors when a path ends here, else -1 */
} seg;

typedef struct plan {
    seg segs[MAX_SEG];
    int nsegs;
    int slot_of[NTABLE][4]; /* table field, path -> segment ending it */
} plan;

static plan the_plan;
static pthread_once_t plan_once = PTHREAD_ONCE_INIT;

static int seg_add(plan *pl, int parent, const char *name, size_t len)
{
    for (int i = 0; i < pl->nsegs; i++)
        if (pl->segs[i].parent == parent && pl->segs[i].len == len &&
            memcmp(pl->segs[i].name, name, len) == 0)
            return i;
    if (pl->nsegs == MAX_SEG)
        abort(); /* the table outgrew MAX_SEG: a build-time mistake */
    pl->segs[pl->nsegs] = (seg){name, len, parent, -1};
    return pl->nsegs++;
}

static void plan_build(void)
{
    plan *pl = &the_plan;
    for (size_t i = 0; i < NTABLE; i++) {
        for (size_t k = 0; k < 4; k++) {
            pl->slot_of[i][k] = -1;
            const char *p = table[i].paths[k];
            if (!p)
                continue;
            int parent = -1;
            for (;;) {
                const char *dot = strchr(p, '.');
                size_t len = dot ? (size_t)(dot - p) : strlen(p);
                parent = seg_add(pl, parent, p, len);
                if (!dot)
                    break;
                p = dot + 1;
            }
            pl->segs[parent].slot = parent;
            pl->slot_of[i][k] = parent;
        }
    }
}

/* Records, for every segment under `parent` found among obj's members, the
 * member's value (the last one wins), then descends into the objects found. */
static void walk(const plan *pl, th_jcur obj, int parent, th_jcur *found, bool *have)
{
    th_jiter it = th_jcur_iter(obj);
    th_jcur key, val;
    while (th_jiter_next(&it, &key, &val)) {
        th_str raw = th_jcur_raw(key); /* quotes included; no escapes (checked by the caller) */
        if (raw.n < 2)
            continue;
        const char *kp = raw.p + 1;
        size_t kn = raw.n - 2;
        for (int i = 0; i < pl->nsegs; i++) {
            const seg *sg = &pl->segs[i];
            if (sg->parent == parent && sg->len == kn && memcmp(sg->name, kp, kn) == 0) {
                found[i] = val;
                have[i] = true;
            }
        }
    }
    for (int i = 0; i < pl->nsegs; i++)
        if (pl->segs[i].parent == parent && have[i] && th_jcur_type(found[i]) == TH_JOBJ)
            walk(pl, found[i], i, found, have);
}

th_jval *th_ecs_project(const th_mapper *m, th_arena *a, const th_jscan *raw)
{
    th_jcur root = th_jscan_root(raw);
    if (th_jcur_type(root) != TH_JOBJ)
        return NULL;
    pthread_once(&plan_once, plan_build);
    const plan *pl = &the_plan;
    th_jcur found[MAX_SEG];
    bool have[MAX_SEG] = {0};
    bool escapes = memchr(th_jcur_raw(root).p, '\\', th_jcur_raw(root).n) != NULL;
    if (!escapes)
        walk(pl, root, -1, found, have);
    th_jval *doc = th_jnew_obj(a);
    for (size_t i = 0; i < NTABLE; i++) {
        th_jval *arr = th_jnew_arr(a);
        for (size_t k = 0; k < 4 && table[i].paths[k]; k++) {
            th_jcur v;
            bool got;
            if (escapes) { /* keys may be escaped: decoded lookups */
                got = th_jcur_path(root, table[i].paths[k], &v);
            } else {
                int sl = pl->slot_of[i][k];
                got = have[sl];
                v = found[sl];
                /* a path through something that is not an object finds nothing */
                for (int up = pl->segs[sl].parent; got && up >= 0; up = pl->segs[up].parent)
                    got = have[up] && th_jcur_type(found[up]) == TH_JOBJ;
            }
            if (got && !add_strings(a, arr, v))
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
