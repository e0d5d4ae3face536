/* Internals shared by the mapper's source files (not a public interface).
 *
 * A mapping run works on two trees: the raw record after the pipeline's
 * drop-empty pass (a pruned copy: the raw record is never touched), and `doc`,
 * the ECS document being built. Both live in the caller's arena. The pruned
 * copy is made one top-level member at a time, when the mapping first reads
 * it (mx_raw): most members a mapping with a small demand reads are scalars,
 * and the large objects (requestParameters, responseElements ...) are then
 * read for a few values only (mx_raw_at), without a copy of the whole.
 * Objects of the pruned copy remember how many distinct keys they had before
 * pruning, since java.util.HashMap's table size (hence key order in
 * Map.toString) depends on it. */
#ifndef TH_ECS_MAPPER_INT_H
#define TH_ECS_MAPPER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "ecs/demand.h"
#include "ecs/mapper.h"
#include "json/jscan.h"
#include "json/json.h"

typedef struct th_ua th_ua;
typedef struct th_geo th_geo;
typedef struct th_asn th_asn;

/* The raw record's top-level keys that the mapping reads by name. Each
 * record's keys are looked up once (mx_index_json) and the mapping then reads
 * them by number (mx_raw): the mapping reads about a hundred keys per record,
 * most of them absent, and a search per read was its largest cost. */
#define MX_RAW_KEYS(X)                                                                       \
    X(eventVersion) X(userIdentity) X(eventTime) X(eventSource) X(eventName) X(awsRegion)    \
    X(sourceIPAddress) X(userAgent) X(requestParameters) X(responseElements)                 \
    X(additionalEventData) X(serviceEventDetails) X(requestID) X(eventID) X(readOnly)        \
    X(resources) X(eventType) X(apiVersion) X(managementEvent) X(recipientAccountId)         \
    X(sharedEventID) X(sharedEventId) X(vpcEndpointId) X(vpcEndpointAccountId)               \
    X(eventCategory) X(sessionCredentialFromConsole) X(errorCode) X(errorMessage)            \
    X(tlsDetails) X(addendum) X(insightDetails) X(awsAccountId) X(digestS3Object)            \
    X(previousDigestS3Object) X(previousDigestSignature) X(previousDigestHashValue)          \
    X(logFiles) X(digestStartTime) X(digestEndTime) X(digestS3Bucket) X(newestEventTime)     \
    X(oldestEventTime) X(previousDigestS3Bucket) X(previousDigestHashAlgorithm)              \
    X(digestPublicKeyFingerprint) X(publicKeyFingerprint) X(digestSignatureAlgorithm)

typedef enum mx_key {
#define MX_KEY_ENUM(k) MK_##k,
    MX_RAW_KEYS(MX_KEY_ENUM)
#undef MX_KEY_ENUM
    MK_COUNT
} mx_key;

_Static_assert(MK_COUNT <= 64, "mctx's bit sets hold one bit per mx_key");

/* The text of each mx_key. */
extern const char *const mx_key_names[MK_COUNT];

/* Slots of th_mapper's table of mx_key by text (a quarter full at most). */
#define MX_KEY_SLOTS 256

struct th_mapper {
    th_mapper_opts o;
    char *retain;
    char *created_str;
    char **tags;
    size_t ntags;
    th_ua *ua;
    th_geo *city;
    th_geo *asn;     /* a MaxMind ASN database, or */
    th_asn *asn_tab; /* ip-location-db's ranges (ecs/asn.h) */
    char *geo_desc; /* th_mapper_geo_desc */
    uint64_t serial; /* unique per mapper made in this process (memo keys) */
    /* mx_key by key text (hash, linear probing): key + 1, 0 empty */
    uint8_t key_slot[MX_KEY_SLOTS];
    uint8_t key_len[MK_COUNT]; /* strlen of mx_key_names */
    /* their first and last 8 bytes (keys of 8 bytes or more): most keys are
     * 8 to 16 bytes long, compared in two loads without memcmp */
    uint64_t key_head[MK_COUNT], key_tail[MK_COUNT];
};

/* doc's objects at its root that the mapping's literal paths begin with
 * (aws excepted: ct holds aws.cloudtrail). mx_set and mx_get of such a path
 * start at the object mctx.root holds, found by a number the compiler works
 * out from the literal (mx_root_of), not by a search of the root's members
 * and a memchr for the next segment (a third of a set's cost). Paths known
 * only when running (the GeoIP and user-agent blocks' tables, mx_dst) find
 * theirs in this order (root_find): those first. */
#define MX_ROOT_KEYS(X)                                                                      \
    X(source) X(user_agent) X(related) X(event) X(user) X(cloud) X(tls) X(error) X(target)   \
    X(service) X(host) X(actor) X(entity) X(group) X(file) X(ecs)

typedef enum mx_root {
#define MX_ROOT_ENUM(k) MR_##k,
    MX_ROOT_KEYS(MX_ROOT_ENUM)
#undef MX_ROOT_ENUM
    MR_COUNT /* none of them */
} mx_root;

_Static_assert(MR_COUNT <= 32, "mctx's root_seen holds one bit per mx_root");

typedef struct mctx {
    const th_mapper *m;
    th_arena *a;
    /* The raw record: a DOM (src), or (src NULL) the record on a scanner's
     * tape (scan); NULL both when the record is no object. */
    const th_jval *src;
    const th_jscan *scan;
    /* its member of each mx_key (the last duplicate), when present: */
    uint64_t present; /* bit per mx_key */
    const th_jval *src_val[MK_COUNT];
    th_jcur src_cur[MK_COUNT];
    /* the pruned member of each mx_key, NULL when absent or pruned away;
     * made when the made bit is set (mx_raw) */
    uint64_t made;
    th_jval *raw[MK_COUNT];
    bool bad; /* a member on the tape did not convert (cannot happen after io's checks) */
    th_jval *doc;
    /* doc's aws.cloudtrail object once made (mx_set): nearly half of the paths
     * the mapping sets or reads lie below it. NULL when unknown, e.g. after
     * members of doc were removed. */
    th_jval *ct;
    /* doc's object at each mx_root, NULL when not known: filled when a path
     * first reaches it, forgotten where doc's root member may have changed
     * (a set or remove of a one-segment path, final_prune: mx_forget).
     * Objects below the root replace no root member. */
    th_jval *root[MR_COUNT];
    /* A bit per mx_root that doc may hold (clear: doc has no member with
     * that key, as when the mapping starts): the mapping makes nearly every
     * root object it writes, and needs no search of the root to know that
     * it makes it. Set when a member with the key is made or set; kept
     * where members go (a bit set only costs a search). */
    uint32_t root_seen;
    bool atm;      /* actor_target_mapping in effect */
    bool failed;   /* a processor failed: event.kind becomes pipeline_error */
    const th_ecs_demand *dem; /* optional blocks to run; NULL = all */
} mctx;

/* The drop-empty step (mapper_util.c): a pruned copy of v, NULL when nothing
 * is left. `strict` drops empty strings too. */
th_jval *th_ecs_prune(th_arena *a, const th_jval *v, bool strict);
/* th_ecs_prune of a tree the caller owns and gives up: pruned where it is. */
th_jval *th_ecs_prune_own(th_arena *a, th_jval *v, bool strict);

/* The source.as object (number, organization.name) the mapping's ASN block
 * gives an event whose source.address is `ip`, in arena a; NULL when it gives
 * none (not an address, no ASN data, no range). The raw projection's source. */
th_jval *th_ecs_asn_of(const th_mapper *m, th_arena *a, th_str ip);
/* The source.geo object the mapping's GeoIP City block gives an event whose
 * source.address is `ip` (through th_geo_city, the block's own lookup and
 * cache), in arena a; NULL when it gives none (not an address, no city data,
 * no entry). The slot document's source.geo.city_name. */
th_jval *th_ecs_geo_of(const th_mapper *m, th_arena *a, th_str ip);
/* The user_agent.name the mapping's user-agent block gives an event whose
 * user_agent.original is `ua`, NULL when none (no user-agent data). */
th_jval *th_ecs_ua_name_of(const th_mapper *m, th_arena *a, th_str ua);

/* Decisions of the mapping over raw strings, shared with the slot document
 * (rawproj.c) so that the two cannot decide apart (mapper.c, mapper_cat.c).
 * A NULL th_str stands for an absent value (or an empty string: the
 * drop-empty copy has none). */
/* Whether s is an IP address text (source.ip is sourceIPAddress only then). */
bool th_ecs_is_ip(th_str s);
/* script_aws_service_actor: the service name of an AWS-service actor (such
 * an event gets service.name and no user.name/user.id from userIdentity);
 * NULL or empty when the actor is no service. From userIdentity.type,
 * userIdentity.invokedBy and sessionIssuer.arn. */
th_str th_ecs_service_actor(th_str type, th_str invoked_by, th_str issuer_arn);
/* Whether sessionIssuer.userName overrides user.name (AssumedRole and
 * FederatedUser actors that are no service). */
bool th_ecs_issuer_names_user(th_str type, bool is_service);
/* Whether onBehalfOf.userId gives user.id when nothing else did. */
bool th_ecs_delegate_ids_user(th_str type);
/* Whether additionalEventData.UserName gives user.name when nothing else did
 * (eventName as the raw string). */
bool th_ecs_event_names_user(th_str event_name);
/* Whether event.outcome comes from responseElements.ConsoleLogin (event.action). */
bool th_ecs_login_outcome(th_str action);
/* The event.category the per-action table gives event.action (a string), or
 * NULL (then the mapping writes none). */
const char *th_ecs_action_category(th_str action);

/* True when the optional block b runs in this mapping (demand.h). */
static inline bool mx_runs(const mctx *c, th_ecs_block b) { return th_ecs_demand_has(c->dem, b); }

/* Builds th_mapper's table of mx_key by text. */
void mx_keys_init(th_mapper *m);
/* Finds the raw record's members of each mx_key (src or scan set). */
void mx_index_raw(mctx *c);
/* Makes raw[k]. */
void mx_make_raw(mctx *c, mx_key k);
/* Lookups on the pruned record: the member of key k; the value at a dotted
 * path below it (without pruning the whole member when it is not made yet:
 * a pruned object holds, at each key, the pruned last duplicate); a dotted
 * path from the root. */
static inline th_jval *mx_raw(mctx *c, mx_key k)
{
    if (!(c->made >> k & 1))
        mx_make_raw(c, k);
    return c->raw[k];
}
th_jval *mx_raw_atn(mctx *c, mx_key k, const char *path, size_t n, size_t first);
static inline th_jval *mx_raw_at(mctx *c, mx_key k, const char *path)
{
    if ((c->made & ~c->present) >> k & 1) /* absent: no call */
        return NULL;
    size_t n = strlen(path);
    return mx_raw_atn(c, k, path, n, th_path_first(path, n));
}
th_jval *mx_jsonn(mctx *c, const char *path, size_t n, size_t first);
static inline th_jval *mx_json(mctx *c, const char *path)
{
    size_t n = strlen(path);
    return mx_jsonn(c, path, n, th_path_first(path, n));
}
/* doc access */
/* mx_get and mx_set are inline: for a literal path, its length, whether it
 * lies below aws.cloudtrail and its first segment's length are known when
 * compiling, and a set of nothing (an absent raw field) costs no call. */
#define MX_CT "aws.cloudtrail."
#define MX_CT_LEN (sizeof MX_CT - 1)
/* Whether the path of n bytes lies below aws.cloudtrail (the part below is
 * path + MX_CT_LEN). */
static inline bool mx_below_ct(const char *path, size_t n)
{
    /* the first byte before memcmp: a path known only when running (the
     * GeoIP and user-agent tables') then costs no call */
    return n >= MX_CT_LEN && path[0] == 'a' && memcmp(path, MX_CT, MX_CT_LEN) == 0;
}
/* The mx_root of a path whose first segment is path[0..first), MR_COUNT
 * when none. Only for a first segment the compiler knows (a literal path, in
 * the inline functions below): there the comparisons fold to a constant; any
 * other path gets MR_COUNT without a comparison made. */
__attribute__((always_inline)) static inline mx_root mx_root_of(const char *path, size_t first)
{
    if (!__builtin_constant_p(first))
        return MR_COUNT;
#define MX_ROOT_IS(k)                                                                        \
    if (first == sizeof #k - 1 && memcmp(path, #k, first) == 0)                              \
        return MR_##k;
    MX_ROOT_KEYS(MX_ROOT_IS)
#undef MX_ROOT_IS
    return MR_COUNT;
}
/* mx_get of a path below aws.cloudtrail (below_first: th_path_first of the
 * part below), of a path below mx_root r (the part below: rest, of rn bytes
 * and first segment rfirst), and of any other path */
th_jval *mx_get_ct(mctx *c, const char *path, size_t n, size_t below_first);
th_jval *mx_get_in(mctx *c, mx_root r, const char *rest, size_t rn, size_t rfirst);
th_jval *mx_get_doc(mctx *c, const char *path, size_t n, size_t first);
__attribute__((always_inline)) static inline th_jval *mx_get(mctx *c, const char *path)
{
    size_t n = strlen(path);
    if (mx_below_ct(path, n))
        return mx_get_ct(c, path, n, th_path_first(path + MX_CT_LEN, n - MX_CT_LEN));
    size_t first = th_path_first(path, n);
    mx_root r = mx_root_of(path, first);
    if (r != MR_COUNT && first < n) {
        const char *rest = path + first + 1;
        size_t rn = n - first - 1;
        return mx_get_in(c, r, rest, rn, th_path_first(rest, rn));
    }
    return mx_get_doc(c, path, n, first);
}
/* mx_set of a path below aws.cloudtrail, below mx_root r (as mx_get_in), and
 * of any other path (v not NULL) */
void mx_set_ct(mctx *c, const char *path, size_t n, size_t below_first, th_jval *v);
void mx_set_in(mctx *c, mx_root r, const char *rest, size_t rn, size_t rfirst, th_jval *v);
void mx_set_doc(mctx *c, const char *path, size_t n, size_t first, th_jval *v);
__attribute__((always_inline)) static inline void mx_set(mctx *c, const char *path, th_jval *v)
{
    if (!v)
        return;
    size_t n = strlen(path);
    if (mx_below_ct(path, n)) {
        mx_set_ct(c, path, n, th_path_first(path + MX_CT_LEN, n - MX_CT_LEN), v);
        return;
    }
    size_t first = th_path_first(path, n);
    mx_root r = mx_root_of(path, first);
    if (r != MR_COUNT && first < n) {
        const char *rest = path + first + 1;
        size_t rn = n - first - 1;
        mx_set_in(c, r, rest, rn, th_path_first(rest, rn), v);
        return;
    }
    mx_set_doc(c, path, n, first, v);
}
/* The object at path, made as mx_set makes the objects on a path. */
th_jval *mx_obj(mctx *c, const char *path);
/* th_jobj_remove_path on doc. Changes to doc other than through these
 * functions must forget what ct and root hold (mx_forget). */
void mx_remove(mctx *c, const char *path);
void mx_forget(mctx *c);
/* mx_set of a string (nothing when s.p is NULL); inline as mx_set. */
__attribute__((always_inline)) static inline void mx_set_str(mctx *c, const char *path, th_str s)
{
    if (s.p)
        mx_set(c, path, th_jnew_str(c->a, s));
}

/* A doc object named by its path, made (as mx_set makes the objects on a
 * path) when the first value is set into it: the document comes out as if
 * each value had been set by its whole path, without walking that path again
 * for each. Valid while nothing replaces the object or one above it (within
 * a block of the mapping that removes nothing). */
typedef struct mx_dst {
    const char *path; /* NULL when up names it */
    th_jval *obj;
    /* or: the object at key in up's object, made from there (the path is
     * up's path and the key) without a walk from the root */
    struct mx_dst *up;
    const char *key;
    /* the mx_root path names when it is one segment, else MR_COUNT */
    mx_root root;
} mx_dst;

/* The mx_dst of the literal path p, and of the object at the literal key k
 * in the object up names. A path that is an mx_root's key names the root
 * object, found without a search (mx_root_of of the whole literal: a path
 * of more segments is no key). */
#define MX_DST(p) {(p), NULL, NULL, NULL, mx_root_of((p), sizeof(p) - 1)}
#define MX_DST_UP(up, k) {NULL, NULL, (up), (k), MR_COUNT}

/* The object d names, made when absent. */
th_jval *mx_dst_obj(mctx *c, mx_dst *d);
/* mx_set of d's path and key (nothing when v is NULL). */
void mx_putn(mctx *c, mx_dst *d, th_str key, th_jval *v);
static inline void mx_put(mctx *c, mx_dst *d, const char *key, th_jval *v)
{
    if (v)
        mx_putn(c, d, th_str_c(key), v);
}
/* mx_get of d's path and key (d named by a path). */
th_jval *mx_dst_get(mctx *c, mx_dst *d, const char *key);
/* mx_append_unique's parts: the array to append to where the value at the
 * path (old, NULL when none) is no array (a new one, holding old if any),
 * and the append of s unless present. */
th_jval *mx_as_array(mctx *c, th_jval *old);
void mx_push_unique(mctx *c, th_jval *arr, th_str s);
/* Appends s to the array at path unless already present (allow_duplicates:
 * false). Inline as mx_set: the path's get and set are a literal's. */
__attribute__((always_inline)) static inline void mx_append_unique(mctx *c, const char *path,
                                                                   th_str s)
{
    if (!s.p)
        return;
    th_jval *arr = mx_get(c, path);
    if (!th_jis(arr, TH_JARR)) {
        arr = mx_as_array(c, arr);
        mx_set(c, path, arr);
    }
    mx_push_unique(c, arr, s);
}
/* Mustache rendering of a scalar ('{{{x}}}'): strings as is, numbers in Java form. */
th_str mx_render(mctx *c, const th_jval *v);
void mx_fail(mctx *c, const char *msg);
/* The first occurrence of the (non-empty) needle in s, or NULL. */
const char *mx_find(th_str s, const char *needle);

/* Number of distinct keys an object of the pruned copy had before pruning. */
uint32_t mx_keycount(const th_jval *obj, void *unused);

/* The actor/target entity script (newest pipeline, actor_target_mapping only). */
void th_ecs_entity(mctx *c);
/* ECS categorisation: event.kind/type/outcome/category. */
void th_ecs_categorize(mctx *c);

/* user agent (uap-core) */
th_ua *th_ua_load(const char *path, th_diags *diags);
void th_ua_free(th_ua *u);
/* Sets user_agent.{name,version,os.*,device.name} into doc as ES's processor. */
void th_ua_apply(const th_ua *u, mctx *c, th_str ua);
const char *th_ua_version(const th_ua *u);
/* The user_agent.name th_ua_apply writes for agent ua (never empty: "Other"
 * where no pattern names it), from its cache, else parsed from the agent
 * patterns alone (th_ua_apply's cache is left as it is). The text is in `a`
 * or in ua. Thread-safe as th_ua_apply. */
th_str th_ua_name(const th_ua *u, th_arena *a, th_str ua);
/* What th_ua_apply writes for agent ua (user_agent.name, version, os.name,
 * os.version, os.full, device.name; TH_STR_NULL where it writes nothing),
 * without the cache, into out (texts in a): filtered, as th_ua_apply parses
 * (a pattern with a requirement the agent does not meet is not run), or
 * trying every pattern in file order. For the tests, which compare the two. */
void th_ua_parse_uncached(const th_ua *u, th_arena *a, th_str ua, bool filtered, th_str out[6]);

/* GeoIP */
th_geo *th_geo_open(const char *path, th_diags *diags);
void th_geo_close(th_geo *g);
const char *th_geo_desc(const th_geo *g);
void th_geo_city(const th_geo *g, mctx *c, const char *ip);
void th_geo_asn(const th_geo *g, mctx *c, const char *ip);

#endif
