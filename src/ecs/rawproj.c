/* The raw projection (rawproj.h). The table mirrors the copies mapper.c makes;
 * a field belongs here only if EVERY processor that writes it copies a raw
 * string (never renders, joins, parses or computes it). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"
#include "ecs/javafmt.h"
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

/* Fields the projection computes with the mapping's own code from values it
 * has: the ASN block's output for each source.ip (th_ecs_asn_of), and the
 * user-agent block's name of the one userAgent string (th_ecs_ua_name_of),
 * which an ES|QL rule's gate may then test: "Discovery API Calls via CLI"
 * tests user_agent.name == "aws-cli", false on 52,217 of the 53,175 events
 * of b100k its gate passed without it. */
static const char *const computed[] = {"source.as.number", "source.as.organization.name",
                                       "user_agent.name"};
#define NCOMPUTED (sizeof computed / sizeof computed[0])
#define COMPUTED_UA 2 /* user_agent.name's index in computed */

/* Subtrees the mapping copies whole from the pruned record (the stringify
 * block's flattened copies): the projection holds the same pruned subtree,
 * so every field below the ECS name is projected too. Built only on request
 * (th_ecs_project_with), as they cost a DOM of the subtree. */
typedef struct rawtree {
    const char *field;
    const char *key; /* a top-level key of the record */
} rawtree;
static const rawtree trees[] = {
    {"aws.cloudtrail.flattened.request_parameters", "requestParameters"},
};
#define NTREES (sizeof trees / sizeof trees[0])

/* ---- a subtree's pruned tree, built from the tape ---------------------------
 * What th_jcur_to_jval then th_ecs_prune(_own) with strict make of the
 * subtree, in one pass over the tape, where its strings are its raw bytes (no
 * backslash, no control or high byte: then decoding checks and changes
 * nothing): a null, an empty string, "-" and "none" dropped; an object's
 * duplicate key keeps its first place and its last value (a later value
 * dropped drops the key), and its cap is th_ecs_prune's mark of the keys
 * before the drops; an array keeps its items' count as its cap, as the
 * pruned DOM does; an object or array left empty is dropped. The build then
 * the prune cost ~465 instructions a subtree (b100k without ES|QL: 39,546
 * requestParameters), the prune's pass over the built tree ~230 of them. An
 * object of more keys than tree_obj scans for (th_ecs_prune then hashes)
 * sets `big`: the caller builds and prunes instead. */
#define TREE_SCAN_KEYS 16 /* th_ecs_prune's PRUNE_SCAN_KEYS: de-duplicated by a scan */
typedef struct tree_ctx {
    th_arena *a;
    const unsigned char *p;
    const th_jnode *t;
    bool big;
} tree_ctx;

static bool tree_container(tree_ctx *c, uint32_t i, th_jval *v);

/* v of the value at tape index i; false where it is dropped */
static inline bool tree_value(tree_ctx *c, uint32_t i, th_jval *v)
{
    const th_jnode *n = &c->t[i];
    v->len = v->cap = 0;
    switch (c->p[n->pos]) {
    case '"': {
        const th_str str = th_str_make((const char *)c->p + n->pos + 1, n->end - n->pos - 2);
        if (!str.n || th_str_eqc(str, "-") || th_str_eqc(str, "none"))
            return false;
        v->type = TH_JSTR;
        v->u.str = str;
        return true;
    }
    case '{':
    case '[': return tree_container(c, i, v);
    case 'n': return false;
    case 't': v->type = TH_JTRUE; break;
    case 'f': v->type = TH_JFALSE; break;
    default:
        v->type = TH_JNUM;
        v->u.str = th_str_make((const char *)c->p + n->pos, n->end - n->pos);
        return true;
    }
    v->u.str = TH_STR_NULL; /* as th_jnew leaves it */
    return true;
}

static bool tree_container(tree_ctx *c, uint32_t i, th_jval *v)
{
    const th_jnode *t = c->t;
    const uint32_t end = i + t[i].size;
    uint32_t count = 0;
    if (c->p[t[i].pos] == '{') {
        for (uint32_t k = i + 1; k < end; k += 1 + t[k + 1].size)
            count++;
        if (count > TREE_SCAN_KEYS) {
            c->big = true;
            return false;
        }
        if (!count)
            return false;
        /* the members, then their values' nodes: one block, as the DOM's */
        th_jmember *m = th_arena_alloc(c->a, count * (sizeof *m + sizeof *v));
        th_jval *kids = (th_jval *)(void *)(m + count);
        uint32_t distinct = 0;
        bool dropped = false;
        for (uint32_t k = i + 1; k < end; k += 1 + t[k + 1].size) {
            const th_str key =
                th_str_make((const char *)c->p + t[k].pos + 1, t[k].end - t[k].pos - 2);
            uint32_t j = 0;
            while (j < distinct && !th_str_eq(m[j].key, key))
                j++;
            if (j == distinct)
                m[distinct++].key = key;
            const bool kept = tree_value(c, k + 1, &kids[j]);
            m[j].val = kept ? &kids[j] : NULL; /* the last wins */
            dropped |= !kept;
            if (c->big)
                return false;
        }
        /* the members left, moved down: only where one was dropped (its value
         * was, or a later duplicate's) */
        uint32_t out = distinct;
        if (dropped) {
            out = 0;
            for (uint32_t j = 0; j < distinct; j++)
                if (m[j].val)
                    m[out++] = m[j];
        }
        if (!out)
            return false;
        v->type = TH_JOBJ;
        v->len = out;
        v->cap = 0x80000000u | distinct; /* th_ecs_prune's mark */
        v->u.members = m;
        return true;
    }
    for (uint32_t k = i + 1; k < end; k += t[k].size)
        count++;
    if (!count)
        return false;
    th_jval **items = th_arena_alloc(c->a, count * (sizeof *items + sizeof *v));
    th_jval *kids = (th_jval *)(void *)(items + count);
    uint32_t out = 0, j = 0;
    for (uint32_t k = i + 1; k < end; k += t[k].size, j++) {
        if (tree_value(c, k, &kids[j]))
            items[out++] = &kids[j];
        if (c->big)
            return false;
    }
    if (!out)
        return false;
    v->type = TH_JARR;
    v->len = out;
    v->cap = count;
    v->u.items = items;
    return true;
}

/* The pruned tree of the subtree at v (a cursor on raw), as the mapping
 * makes it: NULL where it prunes to nothing; false where its strings do not
 * decode (the general path reports it). */
static bool tree_pruned(th_arena *a, const th_jscan *raw, th_jcur v, th_jval **out)
{
    const th_jscan_plain pv = th_jscan_plain_of(raw);
    if (pv.p && !th_jscan_has_ctl_high(raw)) {
        tree_ctx c = {a, pv.p, pv.tape, false};
        th_jval *t = th_arena_alloc(a, sizeof *t);
        const bool kept = tree_value(&c, v.i, t);
        if (!c.big) {
            *out = kept ? t : NULL;
            return true;
        }
    }
    th_json_error err;
    th_jval *t = th_jcur_to_jval(v, a, &err);
    if (!t)
        return false;
    *out = th_ecs_prune_own(a, t, true); /* the tree is new: pruned where it is */
    return true;
}

static const rawsrc *find(th_str field)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (th_str_eqc(field, table[i].field))
            return &table[i];
    return NULL;
}

/* field is the subtree's ECS name or a field below it */
static bool under(th_str field, const char *tree)
{
    size_t n = strlen(tree);
    return field.n >= n && memcmp(field.p, tree, n) == 0 && (field.n == n || field.p[n] == '.');
}

bool th_ecs_raw_field(th_str field)
{
    if (find(field))
        return true;
    for (size_t i = 0; i < NCOMPUTED; i++)
        if (th_str_eqc(field, computed[i]))
            return true;
    for (size_t i = 0; i < NTREES; i++)
        if (under(field, trees[i].field))
            return true;
    return false;
}

bool th_ecs_raw_need(th_str field, th_ecs_proj_need *need)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (th_str_eqc(field, table[i].field)) {
            need->fields |= 1u << i;
            return true;
        }
    for (size_t i = 0; i < NCOMPUTED; i++)
        if (th_str_eqc(field, computed[i])) {
            if (i == COMPUTED_UA) { /* project_ua and slots_ua read user_agent.original */
                need->extras |= TH_PROJ_UA;
                return th_ecs_raw_need(TH_STR_LIT("user_agent.original"), need);
            }
            need->extras |= TH_PROJ_ASN;
            return th_ecs_raw_need(TH_STR_LIT("source.ip"), need); /* what project_asn reads */
        }
    for (size_t i = 0; i < NTREES; i++)
        if (under(field, trees[i].field)) {
            need->extras |= TH_PROJ_TREES;
            return true;
        }
    return false;
}

const char *th_ecs_raw_field_at(size_t i)
{
    size_t n = sizeof table / sizeof table[0];
    if (i < n)
        return table[i].field;
    return i - n < NCOMPUTED ? computed[i - n] : NULL;
}

const char *th_ecs_raw_tree_at(size_t i) { return i < NTREES ? trees[i].field : NULL; }

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

/* th_ecs_times_from on CloudTrail's own form, "YYYY-MM-DDTHH:MM:SSZ", by
 * the day: its own memo keeps the last text only, which b100k repeats on 343
 * of 100,000 records (they come a few minutes out of order, 25,462 distinct
 * seconds in the day), though all of them share one date; a
 * conversion was ~390 instructions a record, a fifth of the first look.
 * For such a text times_from takes the canonical branch (mapper.c
 * canonical_time) when the date and the time of day are each valid and the
 * instant plus the delay is before year 10000; the instant is then the
 * day's plus the time of day, and event.ingested the instant plus the
 * delay's whole seconds. So a day, once converted there, gives the times of
 * any valid time of day of that date by an addition. A day is remembered
 * only where that branch is certain: a year from 1970 to 9998, the day of
 * the month at most its length in a common year (February 29 is left to
 * the mapping), the delay under a year; each thread keeps its last day. */
typedef struct day_memo {
    bool valid;
    char date[11]; /* "YYYY-MM-DDT" */
    int64_t delay;
    int64_t day_ts;  /* @timestamp of 00:00:00 */
    int64_t day_ing; /* event.ingested of 00:00:00, TH_TIME_NONE without a delay */
} day_memo;
static _Thread_local day_memo last_day;

/* Two decimal digits at p, or -1 (as mapper.c reads them). */
static inline int digits2(const char *p)
{
    unsigned a = (unsigned char)p[0] - '0', b = (unsigned char)p[1] - '0';
    return a < 10 && b < 10 ? (int)(a * 10 + b) : -1;
}

/* The milliseconds of the time of day of t (of CloudTrail's form past its
 * date), or -1 when it is not "HH:MM:SSZ" with each field in range. The
 * eight bytes "HH:MM:SS" are tested as one word (little-endian byte order:
 * byte j of the text is bits 8j..8j+7): the colons, then the six digits
 * with a colon's place read as a '0', each byte 0x30..0x39 exactly where
 * its high nibble is 3 and adding 6 keeps it so. Three digits2 and their
 * tests were ~50 instructions of the first look's ~90 for the times. */
static inline int64_t time_of_day_ms(th_str t)
{
    const unsigned char *p = (const unsigned char *)t.p;
    if (t.n != 20 || p[19] != 'Z')
        return -1;
    uint64_t w;
    memcpy(&w, p + 11, sizeof w);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    const uint64_t colons = 0x0000ff0000ff0000ull;
    if ((w & colons) != 0x00003a00003a0000ull)
        return -1;
    const uint64_t x = (w & ~colons) | 0x0000300000300000ull;
    const uint64_t hi = 0xf0f0f0f0f0f0f0f0ull;
    if (((x & hi) | (((x + 0x0606060606060606ull) & hi) >> 4)) != 0x3333333333333333ull)
        return -1;
    const uint64_t d = x - 0x3030303030303030ull; /* each byte its digit */
    const int h = (int)(d & 0xf) * 10 + (int)(d >> 8 & 0xf);
    const int mi = (int)(d >> 24 & 0xf) * 10 + (int)(d >> 32 & 0xf);
    const int sec = (int)(d >> 48 & 0xf) * 10 + (int)(d >> 56 & 0xf);
    if (h > 23 || mi > 59 || sec > 59)
        return -1;
    return ((int64_t)(h * 60 + mi) * 60 + sec) * 1000;
}

/* Whether the date of t ("YYYY-MM-DDT") is one the day memo may keep (see
 * above): stricter than canonical_time, never looser. */
static bool memo_date(th_str t)
{
    static const unsigned char dim[13] = {0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *p = t.p;
    if (p[4] != '-' || p[7] != '-' || p[10] != 'T')
        return false;
    int yh = digits2(p), yl = digits2(p + 2), mo = digits2(p + 5), d = digits2(p + 8);
    if (yh < 0 || yl < 0 || mo < 1 || mo > 12 || d < 1 || d > dim[mo])
        return false;
    int y = yh * 100 + yl;
    return y >= 1970 && y <= 9998;
}

/* The times of t from the day memo alone: false where it does not hold t's
 * day (times_from_memo then converts). In line, for the first look's
 * eventTime: as a call, with the conversion's branch in the same function,
 * times_of and times_from_memo cost ~150 instructions a record (b100k with
 * the pack: 15.2 M), most of them the registers saved and the call to
 * th_jcur_str. */
static inline __attribute__((always_inline)) bool
times_from_day(const th_mapper *m, th_str t, int64_t *timestamp_ms, int64_t *ingested_ms)
{
    const int64_t tod = time_of_day_ms(t); /* checks t.n == 20 first */
    const day_memo *d = &last_day;
    if (tod < 0 || !d->valid || d->delay != m->o.ingest_delay_ms || !th_bytes_eq(d->date, t.p, 11))
        return false;
    *timestamp_ms = d->day_ts + tod;
    *ingested_ms = d->day_ing == TH_TIME_NONE ? TH_TIME_NONE : d->day_ing + tod;
    return true;
}

static bool times_from_memo(const th_mapper *m, th_str t, int64_t *timestamp_ms,
                            int64_t *ingested_ms)
{
    if (times_from_day(m, t, timestamp_ms, ingested_ms))
        return true;
    const int64_t delay = m->o.ingest_delay_ms;
    const int64_t tod = time_of_day_ms(t);
    day_memo *d = &last_day;
    if (!th_ecs_times_from(m, t, timestamp_ms, ingested_ms))
        return false;
    /* a year's milliseconds: with a year of at most 9998 the day's end plus
     * the delay stays before year 10000 */
    const int64_t year_ms = 365LL * 86400000;
    if (tod >= 0 && delay < year_ms && memo_date(t)) {
        d->valid = true;
        memcpy(d->date, t.p, 11);
        d->delay = delay;
        d->day_ts = *timestamp_ms - tod;
        d->day_ing = *ingested_ms == TH_TIME_NONE ? TH_TIME_NONE : *ingested_ms - tod;
    }
    return true;
}

/* eventTime, else the record's own @timestamp (as th_ecs_map) */
static bool times_of(const th_mapper *m, th_arena *a, bool has_et, th_jcur et, bool has_ts,
                     th_jcur ts, int64_t *timestamp_ms, int64_t *ingested_ms)
{
    th_str t; /* th_jcur_str: strings only */
    if (has_et && th_jcur_str(et, a, &t) && t.n &&
        times_from_memo(m, t, timestamp_ms, ingested_ms))
        return true;
    return has_ts && th_jcur_str(ts, a, &t) && times_from_memo(m, t, timestamp_ms, ingested_ms);
}

bool th_ecs_times(const th_mapper *m, th_arena *a, const th_jscan *raw, int64_t *timestamp_ms,
                  int64_t *ingested_ms)
{
    /* the same steps as the mapping (mapper.c): eventTime -> @timestamp
     * (ISO8601, ms), @timestamp + delay -> event.ingested (whole seconds),
     * each written as text and read back as th_event_read_times reads it */
    th_jcur root = th_jscan_root(raw), et = {0}, ts = {0}, dg;
    if (th_jcur_type(root) != TH_JOBJ)
        return false;
    bool has_et, has_ts;
    if (!th_jscan_has_backslash(raw)) {
        /* no escapes: one pass over the members on raw keys (the last of
         * duplicates wins, as th_jcur_get) instead of a pass per key */
        has_et = has_ts = false;
        th_jiter it = th_jcur_iter(root);
        th_jcur key, val;
        while (th_jiter_next(&it, &key, &val)) {
            th_str k = th_jcur_raw(key);
            k = th_str_make(k.p + 1, k.n - 2);
            if (k.n == 9 && memcmp(k.p, "eventTime", 9) == 0) {
                et = val;
                has_et = true;
            } else if (k.n == 10 && memcmp(k.p, "@timestamp", 10) == 0) {
                ts = val;
                has_ts = true;
            } else if ((k.n == 13 && memcmp(k.p, "digestEndTime", 13) == 0) ||
                       (k.n == 15 && memcmp(k.p, "digestStartTime", 15) == 0)) {
                return false;
            }
        }
    } else {
        if (th_jcur_get(root, "digestEndTime", 13, &dg) ||
            th_jcur_get(root, "digestStartTime", 15, &dg))
            return false;
        has_et = th_jcur_get(root, "eventTime", 9, &et);
        has_ts = th_jcur_get(root, "@timestamp", 10, &ts);
    }
    return times_of(m, a, has_et, et, has_ts, ts, timestamp_ms, ingested_ms);
}

/* ---- finding every source path in one pass --------------------------------
 * The source paths form a small tree of key segments; one walk over the
 * record's members (and those of the objects on the paths) finds them all,
 * where a lookup per path would scan the top-level object forty times. The
 * last member with a key wins, as in th_jcur_get and th_jobj_get. */

#define NTABLE (sizeof table / sizeof table[0])
_Static_assert(NTABLE <= 32, "th_ecs_proj_need.fields has a bit per table field");
#define MAX_SEG 48
#define MAX_OBJ 20
#define WALK_MEMO_SEGS 16 /* segments below userIdentity (the table has 14) */
#define NCONST 5
/* th_ecs_times's keys, found by the same walk (th_ecs_project_timed) */
enum { TK_EVENT_TIME, TK_TIMESTAMP, TK_DIGEST_END, TK_DIGEST_START, NTIMEKEYS };
static const char *const time_key[NTIMEKEYS] = {"eventTime", "@timestamp", "digestEndTime",
                                                "digestStartTime"};
/* the slot document's top-level keys, found by the same walk */
enum { DK_CONSOLE_CRED, DK_RESPONSE, DK_REQUEST, DK_RESOURCES, NDOCKEYS };
static const char *const doc_key[NDOCKEYS] = {"sessionCredentialFromConsole", "responseElements",
                                              "requestParameters", "resources"};

typedef struct seg {
    const char *name;
    size_t len;
    int parent;       /* -1: a top-level key */
    int slot;         /* index into the found cursors when a path ends here, else -1 */
} seg;

/* Where a projected field goes in the document: the object holding it (an
 * index into the plan's objects, -1 for the root) and its last key. */
typedef struct dest {
    int obj;
    th_str key;
} dest;

typedef struct plan {
    seg segs[MAX_SEG];
    int nsegs;
    int slot_of[NTABLE][4]; /* table field, path -> segment ending it */
    uint8_t npaths[NTABLE]; /* table field -> its paths (the first slot_of) */
    /* per parent (index + 1; 0 is the root): its child segments, and their
     * keys compiled for th_jcur_members_find (the ids are the segments) */
    int kids[MAX_SEG + 1][MAX_SEG];
    int nkids[MAX_SEG + 1];
    th_jkeys keys[MAX_SEG + 1];
    /* per parent, the child segments that have children of their own (in
     * kids order): the only ones a walk descends into */
    int okids[MAX_SEG + 1][MAX_SEG];
    int nokids[MAX_SEG + 1];
    /* the document's objects: their key and parent (-1: the root), in the order
     * th_jobj_set_path would create them */
    th_str obj_key[MAX_OBJ];
    int obj_parent[MAX_OBJ];
    int nobjs;
    dest field_dest[NTABLE];
    dest const_dest[NCONST];
    dest tree_dest[NTREES];
    int tree_seg[NTREES]; /* the segment of the subtree's key */
    int time_seg[NTIMEKEYS]; /* the segments of th_ecs_times's top-level keys */
    int doc_seg[NDOCKEYS]; /* the slot document's top-level keys (doc_key) */
    uint32_t through[MAX_SEG]; /* table fields whose paths go through the segment's object */
    /* the inverse: the segments (bits) whose objects the paths of a set of
     * table fields go through, by the set's bits 0-7, 8-15 and 16- */
    uint64_t objs_by[3][256];
    /* the object whose walks are remembered by its text (walk_memo):
     * userIdentity's segment, the segments below it, and the objects among
     * them and it (bits) */
    int memo_seg;
    uint64_t memo_below, memo_objs;
    /* the segments below it that end a path: the only ones whose cursors
     * are read once its walks are done (an object's are read to walk it) */
    uint64_t memo_ends;
    /* the table fields (slots) whose every path ends below memo_seg: their
     * values are a function of that object's text (th_ecs_slots.ident) */
    uint32_t ident_fields;
} plan;
_Static_assert(MAX_SEG <= 64, "plan.objs_by has a bit per segment");
_Static_assert(NTABLE <= 24, "plan.objs_by covers 24 table fields");

static plan the_plan;
/* TH_PROJ_ROUTING's plan: the two routed fields at the head of the table, so
 * the walk tests the top-level members against two keys and descends nowhere
 * (the full walk was a fifth of a run of the seed rule, where routing alone
 * rules out 93% of the records) */
static plan route_plan;
#define NROUTING 2
_Static_assert(TH_ECS_ROUTED_SLOTS == (1u << NROUTING) - 1, "the routed fields' slots");
static pthread_once_t plan_once = PTHREAD_ONCE_INIT;
/* set by plan_build's last step (release): th_ecs_slots_start tests it with
 * one load, where pthread_once's call was ~9 instructions a record */
static atomic_bool plan_built;
static void plan_build(void);
static inline void plan_ready(void)
{
    if (!atomic_load_explicit(&plan_built, memory_order_acquire))
        pthread_once(&plan_once, plan_build);
}

/* The data stream constants, as th_ecs_map adds them. */
static const char *const const_field[NCONST] = {
    "data_stream.dataset", "event.dataset", "event.module", "data_stream.type",
    "data_stream.namespace"};
static const char *const const_value[NCONST] = {"aws.cloudtrail", "aws.cloudtrail", "aws", "logs",
                                                "default"};
/* The same as values: the slots of the constants point at them. */
static th_jval const_val[NCONST];

static int seg_find(const plan *pl, int parent, const char *name, size_t len)
{
    for (int i = 0; i < pl->nsegs; i++)
        if (pl->segs[i].parent == parent && pl->segs[i].len == len &&
            memcmp(pl->segs[i].name, name, len) == 0)
            return i;
    return -1;
}

static int seg_add(plan *pl, int parent, const char *name, size_t len)
{
    int i = seg_find(pl, parent, name, len);
    if (i >= 0)
        return i;
    if (pl->nsegs == MAX_SEG)
        abort(); /* the table outgrew MAX_SEG: a build-time mistake */
    pl->segs[pl->nsegs] = (seg){name, len, parent, -1};
    int k = parent + 1;
    pl->kids[k][pl->nkids[k]++] = pl->nsegs;
    return pl->nsegs++;
}

/* The destination of a dotted ECS field: its objects are added to the plan
 * (once each), as th_jobj_set_path would create them. */
static dest dest_of(plan *pl, const char *field)
{
    int parent = -1;
    const char *p = field;
    for (const char *dot; (dot = strchr(p, '.')) != NULL; p = dot + 1) {
        th_str k = th_str_make(p, (size_t)(dot - p));
        int found = -1;
        for (int i = 0; i < pl->nobjs && found < 0; i++)
            if (pl->obj_parent[i] == parent && th_str_eq(pl->obj_key[i], k))
                found = i;
        if (found < 0) {
            if (pl->nobjs == MAX_OBJ)
                abort(); /* the table outgrew MAX_OBJ: a build-time mistake */
            found = pl->nobjs++;
            pl->obj_key[found] = k;
            pl->obj_parent[found] = parent;
        }
        parent = found;
    }
    return (dest){parent, th_str_c(p)};
}

/* The plan of the first ntable fields of the table (and of the trees when
 * trees is set). */
static void plan_of(plan *pl, size_t ntable, bool trees_too)
{
    for (size_t i = 0; i < ntable; i++) {
        pl->field_dest[i] = dest_of(pl, table[i].field);
        for (size_t k = 0; k < 4; k++) {
            pl->slot_of[i][k] = -1;
            const char *p = table[i].paths[k];
            if (!p)
                break; /* the paths are the first ones */
            int parent = -1;
            for (;;) {
                const char *dot = strchr(p, '.');
                size_t len = dot ? (size_t)(dot - p) : strlen(p);
                parent = seg_add(pl, parent, p, len);
                if (!dot)
                    break;
                pl->through[parent] |= 1u << i;
                p = dot + 1;
            }
            pl->segs[parent].slot = parent;
            pl->slot_of[i][k] = parent;
            pl->npaths[i] = (uint8_t)(k + 1);
        }
    }
    for (size_t i = 0; i < NCONST; i++)
        pl->const_dest[i] = dest_of(pl, const_field[i]);
    for (size_t i = 0; trees_too && i < NTREES; i++) {
        pl->tree_dest[i] = dest_of(pl, trees[i].field);
        pl->tree_seg[i] = seg_add(pl, -1, trees[i].key, strlen(trees[i].key));
    }
    for (size_t i = 0; i < NTIMEKEYS; i++)
        pl->time_seg[i] = seg_add(pl, -1, time_key[i], strlen(time_key[i]));
    for (size_t i = 0; trees_too && i < NDOCKEYS; i++)
        pl->doc_seg[i] = seg_add(pl, -1, doc_key[i], strlen(doc_key[i]));
    for (int p = 0; p <= MAX_SEG; p++) {
        const char *name[MAX_SEG];
        size_t len[MAX_SEG];
        for (int j = 0; j < pl->nkids[p]; j++) {
            name[j] = pl->segs[pl->kids[p][j]].name;
            len[j] = pl->segs[pl->kids[p][j]].len;
        }
        if (!th_jkeys_build(&pl->keys[p], (size_t)pl->nkids[p], name, len, pl->kids[p]))
            abort(); /* more keys under one object than a key set holds: a build-time mistake */
        for (int j = 0; j < pl->nkids[p]; j++)
            if (pl->nkids[pl->kids[p][j] + 1])
                pl->okids[p][pl->nokids[p]++] = pl->kids[p][j];
    }
    for (int t = 0; t < 3; t++)
        for (uint32_t b = 0; b < 256; b++)
            for (int k = 0; k < pl->nsegs; k++)
                if (pl->through[k] & b << 8 * t)
                    pl->objs_by[t][b] |= 1ull << k;
    pl->memo_seg = seg_find(pl, -1, "userIdentity", 12);
    if (pl->memo_seg < 0)
        return; /* the routing plan's: it walks no object */
    pl->memo_objs = 1ull << pl->memo_seg;
    int below = 0;
    for (int k = 0; k < pl->nsegs; k++) /* a parent's number is below its children's */
        if (pl->segs[k].parent >= 0 && (pl->memo_objs >> pl->segs[k].parent & 1)) {
            pl->memo_below |= 1ull << k;
            pl->memo_ends |= (uint64_t)(pl->segs[k].slot >= 0) << k;
            below++;
            if (pl->nkids[k + 1])
                pl->memo_objs |= 1ull << k;
        }
    if (below > WALK_MEMO_SEGS)
        abort(); /* the table outgrew a memo entry: a build-time mistake */
    for (size_t i = 0; i < NTABLE; i++) {
        size_t k = 0;
        while (k < pl->npaths[i] && (pl->memo_below >> pl->slot_of[i][k] & 1))
            k++;
        if (k && k == pl->npaths[i])
            pl->ident_fields |= 1u << i;
    }
}

static void doc_plan_build(void);

/* requestParameters' member newUserName (user.changes.name, which the
 * pack's broad ES|QL rules read on nearly every record) as a key set of
 * one: th_jcur_members_find tests a member's key length in line, where
 * th_jcur_get called key_eq for every member (b100k with the pack: 72,314
 * look-ups, 188,231 calls). */
static th_jkeys new_user_key;

static void plan_build(void)
{
    if (strcmp(table[6].field, "source.ip") != 0) /* SLOT_SOURCE_IP */
        abort();
    plan_of(&the_plan, NTABLE, true);
    plan_of(&route_plan, NROUTING, false);
    doc_plan_build();
    static const char *const new_user_name[] = {"newUserName"};
    static const size_t new_user_len[] = {11};
    static const int new_user_id[] = {0};
    if (!th_jkeys_build(&new_user_key, 1, new_user_name, new_user_len, new_user_id))
        abort(); /* one key always hashes */
    for (size_t i = 0; i < NCONST; i++)
        const_val[i] = (th_jval){.type = TH_JSTR, .u.str = th_str_c(const_value[i])};
    atomic_store_explicit(&plan_built, true, memory_order_release);
}

/* Records, for every segment under `parent` found among obj's members, the
 * member's value (the last one wins), then descends into the objects found.
 * No escapes in keys (checked by the caller): raw keys are compared. */
static void walk(const plan *pl, th_jcur obj, int parent, th_jcur *found, bool *have)
{
    const int *kids = pl->okids[parent + 1];
    int nkids = pl->nokids[parent + 1];
    th_jcur_members_find(obj, &pl->keys[parent + 1], found, have);
    for (int j = 0; j < nkids; j++)
        if (have[kids[j]] && th_jcur_type(found[kids[j]]) == TH_JOBJ)
            walk(pl, found[kids[j]], kids[j], found, have);
}

/* The object of the document at plan index o, made (with its parents) when
 * first needed. */
static th_jval *dest_obj(const plan *pl, th_arena *a, th_jval *doc, th_jval **objs, int o)
{
    if (o < 0)
        return doc;
    if (!objs[o]) {
        th_jval *up = dest_obj(pl, a, doc, objs, pl->obj_parent[o]);
        objs[o] = th_jnew_obj(a);
        th_jobj_set(a, up, pl->obj_key[o], objs[o]);
    }
    return objs[o];
}

/* th_ecs_asn_of's number and organization.name per address, remembered per
 * thread in a small direct-mapped table: addresses repeat (a lookup was 4% of
 * a pack run). Keyed by the mapper's serial (another mapper, other data) and
 * the address text; a value is kept as its type and text and rebuilt in the
 * caller's arena, so nothing returned points into the table. Scalars under
 * the buffer sizes only; anything else is looked up every time. */
#define ASN_MEMO 128
typedef struct asn_memo {
    uint64_t serial; /* 0: empty */
    uint8_t ipn, numn, orgn;
    uint8_t numt, orgt; /* th_jtype, TH_JNULL when absent */
    bool isip;          /* th_ecs_is_ip of the address (doc_values asks it too) */
    char ip[64], num[24], org[120];
} asn_memo;
static _Thread_local asn_memo asn_memos[ASN_MEMO];

static bool memo_put(char *buf, size_t cap, uint8_t *n, uint8_t *t, const th_jval *v)
{
    if (!v) {
        *t = TH_JNULL;
        *n = 0;
        return true;
    }
    if ((v->type != TH_JSTR && v->type != TH_JNUM) || v->u.str.n > cap)
        return false;
    memcpy(buf, v->u.str.p, v->u.str.n);
    *n = (uint8_t)v->u.str.n;
    *t = (uint8_t)v->type;
    return true;
}

/* A remembered value's text copied into a: the caller's from then on. */
static th_str memo_text(th_arena *a, const char *buf, uint8_t n)
{
    return th_str_make(th_arena_strndup(a, buf, n), n);
}

static th_jval *memo_get(th_arena *a, const char *buf, uint8_t n, uint8_t t)
{
    if (t == TH_JNULL)
        return NULL;
    th_str s = memo_text(a, buf, n);
    return t == TH_JSTR ? th_jnew_str(a, s) : th_jnew_num_raw(a, s);
}

/* The memo's entry for ip, and whether it holds ip's values; NULL when ip
 * is too long to be kept. In line: b100k with the pack looks up every
 * record's address, and the call was ~35 of a look-up's ~68 instructions
 * (1,354.69 -> 1,351.16 M). */
static inline __attribute__((always_inline)) asn_memo *asn_entry(const th_mapper *m, th_str ip,
                                                                 bool *hit)
{
    *hit = false;
    if (ip.n >= sizeof asn_memos[0].ip)
        return NULL;
    /* three words of the text, not every byte: th_hash_bytes was a quarter
     * of a hit's cost, th_str_hash_words' loop and tail ~50 instructions,
     * whose low bits also put b100k's addresses in each other's entries
     * (913 misses with the pack, 15 with the sample) */
    asn_memo *e = &asn_memos[th_str_hash_sample(ip) % ASN_MEMO];
    *hit = e->serial == m->serial && e->ipn == ip.n && th_bytes_eq(e->ip, ip.p, ip.n);
    return e;
}

/* th_ecs_asn_of's number and organization.name of ip (NULL: none), kept in
 * entry e when there is one. */
static void asn_miss(const th_mapper *m, th_arena *a, th_str ip, asn_memo *e, th_jval **num,
                     th_jval **org)
{
    th_jval *as = th_ecs_asn_of(m, a, ip);
    *num = th_jobj_get(as, "number");
    *org = th_jobj_get_path(as, "organization.name");
    if (e && m->serial) {
        e->serial = 0;
        if (memo_put(e->num, sizeof e->num, &e->numn, &e->numt, *num) &&
            memo_put(e->org, sizeof e->org, &e->orgn, &e->orgt, *org)) {
            memcpy(e->ip, ip.p, ip.n);
            e->ipn = (uint8_t)ip.n;
            e->isip = th_ecs_is_ip(ip);
            e->serial = m->serial;
        }
    }
}

static void asn_lookup(const th_mapper *m, th_arena *a, th_str ip, th_jval **num, th_jval **org)
{
    bool hit;
    asn_memo *e = asn_entry(m, ip, &hit);
    if (hit) {
        *num = memo_get(a, e->num, e->numn, e->numt);
        *org = memo_get(a, e->org, e->orgn, e->orgt);
        return;
    }
    asn_miss(m, a, ip, e, num, org);
}

/* Adds the source.as.* the ASN block gives each projected source.ip. */
static void project_asn(const th_mapper *m, th_arena *a, th_jval *doc)
{
    th_jval *ips = th_jobj_get_path(doc, "source.ip");
    if (!th_jis(ips, TH_JARR))
        return;
    th_jval *num = NULL, *org = NULL;
    for (uint32_t i = 0; i < ips->len; i++) {
        const th_jval *ip = ips->u.items[i];
        th_jval *n = NULL, *o = NULL;
        if (th_jis(ip, TH_JSTR))
            asn_lookup(m, a, ip->u.str, &n, &o);
        if (n) {
            if (!num)
                num = th_jnew_arr(a);
            th_jarr_push(a, num, n);
        }
        if (o) {
            if (!org)
                org = th_jnew_arr(a);
            th_jarr_push(a, org, o);
        }
    }
    if (num)
        th_jobj_set_path(a, doc, computed[0], num);
    if (org)
        th_jobj_set_path(a, doc, computed[1], org);
}

/* Adds the user_agent.name of the projected user_agent.original, where the
 * record's userAgent is one string that is not empty; false where it is
 * anything else but absent or null (the mapping renders it whole, and the
 * slot document takes none such: copied_value), so that the caller maps. */
static bool project_ua(const th_mapper *m, th_arena *a, th_jval *doc, th_jcur root)
{
    th_jcur v;
    if (!th_jcur_get(root, "userAgent", 9, &v) || th_jcur_type(v) == TH_JNULL)
        return true;
    const th_jval *uas = th_jobj_get_path(doc, "user_agent.original");
    if (th_jcur_type(v) != TH_JSTR || !th_jis(uas, TH_JARR) || uas->len != 1 ||
        !th_jis(uas->u.items[0], TH_JSTR) || !uas->u.items[0]->u.str.n)
        return false;
    th_jval *name = th_ecs_ua_name_of(m, a, uas->u.items[0]->u.str);
    if (name) {
        th_jval *arr = th_jnew_arr(a);
        th_jarr_push(a, arr, name);
        th_jobj_set_path(a, doc, computed[COMPUTED_UA], arr);
    }
    return true;
}

th_jval *th_ecs_project(const th_mapper *m, th_arena *a, const th_jscan *raw)
{
    return th_ecs_project_with(m, a, raw, TH_PROJ_ALL);
}

th_jval *th_ecs_project_with(const th_mapper *m, th_arena *a, const th_jscan *raw,
                             unsigned extras)
{
    return th_ecs_project_timed(m, a, raw, extras, NULL, NULL, NULL);
}

th_jval *th_ecs_project_timed(const th_mapper *m, th_arena *a, const th_jscan *raw,
                              unsigned extras, int64_t *timestamp_ms, int64_t *ingested_ms,
                              bool *timed)
{
    return th_ecs_project_only(m, a, raw, extras, UINT32_MAX, timestamp_ms, ingested_ms, timed);
}

th_jval *th_ecs_project_only(const th_mapper *m, th_arena *a, const th_jscan *raw,
                             unsigned extras, uint32_t fields, int64_t *timestamp_ms,
                             int64_t *ingested_ms, bool *timed)
{
    fields |= 3u; /* event.provider and event.action: routing reads them */
    if (timed)
        *timed = false;
    th_jcur root = th_jscan_root(raw);
    if (th_jcur_type(root) != TH_JOBJ)
        return NULL;
    pthread_once(&plan_once, plan_build);
    bool routing = extras & TH_PROJ_ROUTING;
    bool constants = !(routing && (extras & TH_PROJ_NO_CONSTANTS));
    if (routing)
        extras = 0;
    const plan *pl = routing ? &route_plan : &the_plan;
    th_jcur found[MAX_SEG];
    bool have[MAX_SEG] = {0};
    bool escapes = th_jscan_has_backslash(raw);
    if (!escapes)
        walk(pl, root, -1, found, have);
    if (timed && escapes) {
        *timed = th_ecs_times(m, a, raw, timestamp_ms, ingested_ms);
    } else if (timed) { /* th_ecs_times's steps on the members the walk found */
        const int *tk = pl->time_seg;
        *timed = !have[tk[TK_DIGEST_END]] && !have[tk[TK_DIGEST_START]] &&
                 times_of(m, a, have[tk[TK_EVENT_TIME]], found[tk[TK_EVENT_TIME]],
                          have[tk[TK_TIMESTAMP]], found[tk[TK_TIMESTAMP]], timestamp_ms,
                          ingested_ms);
    }
    th_jval *doc = th_jnew_obj(a);
    th_jval *objs[MAX_OBJ] = {0};
    th_jval *arr = NULL; /* an empty array not yet used: reused by the next field */
    for (size_t i = 0; i < (routing ? NROUTING : NTABLE); i++) {
        /* the table starts with event.provider and event.action */
        if (!(fields >> i & 1u))
            continue;
        if (!arr)
            arr = th_jnew_arr(a);
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
        if (arr->len) {
            const dest *d = &pl->field_dest[i];
            th_jobj_set(a, dest_obj(pl, a, doc, objs, d->obj), d->key, arr);
            arr = NULL;
        }
    }
    if (extras & TH_PROJ_ASN)
        project_asn(m, a, doc);
    if ((extras & TH_PROJ_UA) && !project_ua(m, a, doc, root))
        return NULL;
    for (size_t i = 0; (extras & TH_PROJ_TREES) && i < NTREES; i++) {
        th_jcur v;
        bool got;
        if (escapes) {
            got = th_jcur_get(root, trees[i].key, strlen(trees[i].key), &v);
        } else {
            got = have[pl->tree_seg[i]];
            v = found[pl->tree_seg[i]];
        }
        if (!got)
            continue;
        /* the mapping's steps: the record's DOM (validated), drop-empty */
        th_jval *t;
        if (!tree_pruned(a, raw, v, &t))
            return NULL; /* bad string contents: the general path reports it */
        if (t) {
            const dest *d = &pl->tree_dest[i];
            th_jobj_set(a, dest_obj(pl, a, doc, objs, d->obj), d->key, t);
        }
    }
    if (m->o.data_stream && constants) /* constants of the data stream, as th_ecs_map adds them */
        for (size_t i = 0; i < NCONST; i++) {
            const dest *d = &pl->const_dest[i];
            th_jobj_set(a, dest_obj(pl, a, doc, objs, d->obj), d->key,
                        th_jnew_cstr(a, const_value[i]));
        }
    return doc;
}

/* ---- the projection as slots (rawproj.h th_ecs_slots) ---------------------- */

#define SLOT_COMPUTED NTABLE
#define SLOT_CONST (NTABLE + NCOMPUTED)
#define SLOT_TREE (SLOT_CONST + NCONST)
_Static_assert(SLOT_TREE + NTREES == TH_ECS_NSLOTS, "TH_ECS_NSLOTS: table, computed, constants, trees");
_Static_assert(TH_ECS_NSLOTS <= 32, "th_ecs_slots.used has a bit per slot");
_Static_assert(MAX_SEG == TH_ECS_MAX_SEG, "th_ecs_slots holds a cursor per segment");
#define SLOT_SOURCE_IP 6
/* the constants' slots: their values are const_val, not in buf */
#define CONST_SLOTS (((1u << NCONST) - 1) << SLOT_CONST)
#define SLOT_AS_NUMBER SLOT_COMPUTED
#define SLOT_AS_ORG (SLOT_COMPUTED + 1)
#define SLOT_UA_NAME (SLOT_COMPUTED + COMPUTED_UA)
#define SLOT_UA_ORIGINAL 7 /* user_agent.original's (the table's order) */
_Static_assert(SLOT_UA_NAME == TH_ECS_SLOT_UA_NAME && SLOT_UA_ORIGINAL == TH_ECS_SLOT_UA_ORIGINAL,
               "rawproj.h's user-agent slots");

const char *th_ecs_slot_field(size_t i)
{
    if (i < SLOT_CONST)
        return th_ecs_raw_field_at(i);
    if (i < SLOT_TREE)
        return const_field[i - SLOT_CONST];
    return i < TH_ECS_NSLOTS ? trees[i - SLOT_TREE].field : NULL;
}

int th_ecs_slot_of(th_str path, th_str *rest)
{
    *rest = TH_STR_NULL;
    for (size_t i = 0; i < SLOT_TREE; i++)
        if (th_str_eqc(path, th_ecs_slot_field(i)))
            return (int)i;
    for (size_t i = 0; i < NTREES; i++)
        if (under(path, trees[i].field)) {
            size_t n = strlen(trees[i].field);
            if (path.n > n)
                *rest = th_str_make(path.p + n + 1, path.n - n - 1);
            return (int)(SLOT_TREE + i);
        }
    return -1;
}

static struct th_ecs_routed_memos *routed_memos_new(void);

void th_ecs_slots_init(th_ecs_slots *s)
{
    memset(s, 0, sizeof *s);
    s->as_slots = 1u << SLOT_AS_NUMBER | 1u << SLOT_AS_ORG;
    s->routed_memos = routed_memos_new();
}

static void ua_memos_free(struct th_ecs_ua_memos *t);
static void walk_memos_free(struct th_ecs_walk_memos *t);

void th_ecs_slots_free(th_ecs_slots *s)
{
    free(s->buf);
    free(s->layouts);
    free(s->ts_memos);
    ua_memos_free(s->ua_memos);
    walk_memos_free(s->walk_memos);
    free(s->routed_memos);
    th_buf_free(&s->request);
    memset(s, 0, sizeof *s);
}

/* The values of the slots filled so far follow buf when it moves (rarely:
 * buf is kept from record to record). */
static void slot_grow(th_ecs_slots *s)
{
    s->cap = s->cap ? s->cap * 2 : 64;
    s->buf = realloc(s->buf, s->cap * sizeof *s->buf);
    if (!s->buf)
        abort();
    for (uint32_t u = s->used & ~CONST_SLOTS; u; u &= u - 1) {
        int i = __builtin_ctz(u);
        if (s->slot[i].n)
            s->slot[i].vals = s->buf + s->off[i];
    }
}

static inline void slot_push(th_ecs_slots *s, th_jval v)
{
    if (s->len == s->cap)
        slot_grow(s);
    s->buf[s->len++] = v;
}


/* add_strings into the slot being filled. Strings first, without asking
 * the type: th_jcur_str refuses anything else, and nearly every value is
 * one. */
static bool slot_strings(th_ecs_slots *s, th_jcur c)
{
    th_jval v = {.type = TH_JSTR};
    if (th_jcur_str(c, s->a, &v.u.str)) {
        slot_push(s, v);
        return true;
    }
    switch (th_jcur_type(c)) {
    case TH_JNULL:
        return true;
    case TH_JARR: {
        s->array_seen = true;
        th_jiter it = th_jcur_iter(c);
        th_jcur item;
        while (th_jiter_next(&it, NULL, &item))
            if (!slot_strings(s, item))
                return false;
        return true;
    }
    default:
        return false;
    }
}

static void slot_begin(th_ecs_slots *s, size_t i) { s->off[i] = s->len; }
static void slot_end(th_ecs_slots *s, size_t i)
{
    uint32_t n = s->len - s->off[i];
    s->slot[i] = (th_qslot){n ? s->buf + s->off[i] : NULL, n};
    s->used |= 1u << i;
}


/* The table fields in `fields`, in the table's order, from the walk's
 * cursors (keys without escapes), as th_ecs_project_only adds them. A
 * string (nearly every value) is written here; anything else goes through
 * slot_strings. The buffer's end, room and address and the masks are kept
 * in locals, written back before anything that reads them through s
 * (slot_grow, slot_strings) and at the end, and a field's path counts are
 * stored once: stores of uint8_t counts and of values (which may alias s)
 * had GCC read them through s again after each value. The general loop of
 * slot_fields, from the first field whose value is no string. */
static __attribute__((noinline)) bool slot_fields_any(th_ecs_slots *s, const plan *pl,
                                                      uint32_t fields)
{
    th_jval *buf = s->buf;
    uint32_t len = s->len, cap = s->cap;
    /* the arrays bits of the fields gathered, merged into s->arrays once */
    uint32_t arrs = 0;
    const bool *have = s->have;
    const th_jcur *found = s->found;
    const th_jscan_plain pv = th_jscan_plain_of(s->raw);
    for (uint32_t u = fields; u; u &= u - 1) {
        const size_t i = (size_t)__builtin_ctz(u);
        const uint32_t off = len;
        uint8_t npath[4] = {0, 0, 0, 0};
        const size_t np = pl->npaths[i];
        for (size_t k = 0; k < np; k++) {
            /* found by the walk, so through objects all the way up:
             * walk_level and descend look only into objects */
            const int sl = pl->slot_of[i][k];
            if (!have[sl])
                continue;
            th_str str;
            if (th_jplain_str(pv, found[sl], &str)) {
                if (len == cap) {
                    s->len = len;
                    slot_grow(s);
                    buf = s->buf;
                    cap = s->cap;
                }
                th_jval *v = &buf[len++];
                v->type = TH_JSTR;
                v->len = 0;
                v->cap = 0;
                v->u.str = str;
                npath[k] = 1;
            } else {
                s->len = len;
                s->array_seen = false;
                if (!slot_strings(s, found[sl])) {
                    const uint32_t done = fields & ~u; /* before field i */
                    s->arrays = (s->arrays & ~done) | arrs;
                    return false;
                }
                arrs |= (uint32_t)s->array_seen << i;
                const uint32_t n = s->len - len;
                npath[k] = (uint8_t)(n < 255 ? n : 255);
                len = s->len;
                buf = s->buf;
                cap = s->cap;
            }
        }
        memcpy(s->npath[i], npath, sizeof npath);
        s->off[i] = off;
        const uint32_t n = len - off;
        s->slot[i] = (th_qslot){n ? buf + off : NULL, n};
        s->used |= 1u << i;
    }
    s->len = len;
    s->arrays = (s->arrays & ~fields) | arrs;
    return true;
}

/* slot_fields_any where every value found is a string (b100k: all of the
 * pack's 1.37 M fields), with no call in its loop: the room for every
 * path's value is made first, and the first value that is no string hands
 * its field and the rest to slot_fields_any. The calls had GCC keep about
 * a dozen values on the stack around them, reloaded at every field (~76
 * instructions a field). Inlined into its two callers. */
static inline __attribute__((always_inline)) bool slot_fields(th_ecs_slots *s, const plan *pl,
                                                                uint32_t fields)
{
    /* four paths a field at most (a bound on the table, not a count of
     * fields: __builtin_popcount is a library call without -mpopcnt) */
    while (s->cap - s->len < 4 * NTABLE)
        slot_grow(s);
    th_jval *const buf = s->buf;
    uint32_t len = s->len;
    const th_jscan_plain pv = th_jscan_plain_of(s->raw);
    uint32_t u = fields;
    for (; u; u &= u - 1) {
        const size_t i = (size_t)__builtin_ctz(u);
        const uint32_t off = len;
        const size_t np = pl->npaths[i];
        /* a field of one path (all but three of the table's) without the
         * paths' loop and its counts on the stack: ~58 instructions a field
         * before (b100k with the pack: th_ecs_slots_fill 86.2 -> 72.7 M self) */
        if (np == 1) {
            const int sl = pl->slot_of[i][0];
            uint32_t one = 0;
            if (s->have[sl]) {
                th_str str;
                if (!th_jplain_str(pv, s->found[sl], &str))
                    break;
                buf[len++] = (th_jval){.type = TH_JSTR, .u.str = str};
                one = 1;
            }
            const uint8_t npath[4] = {(uint8_t)one, 0, 0, 0};
            memcpy(s->npath[i], npath, sizeof npath);
            s->off[i] = off;
            s->slot[i] = (th_qslot){one ? buf + off : NULL, one};
            continue;
        }
        uint8_t npath[4] = {0, 0, 0, 0};
        size_t k = 0;
        for (; k < np; k++) {
            const int sl = pl->slot_of[i][k];
            if (!s->have[sl])
                continue;
            th_str str;
            if (!th_jplain_str(pv, s->found[sl], &str))
                break;
            th_jval *v = &buf[len++];
            v->type = TH_JSTR;
            v->len = 0;
            v->cap = 0;
            v->u.str = str;
            npath[k] = 1;
        }
        if (k < np) { /* field i again, from its start */
            len = off;
            break;
        }
        memcpy(s->npath[i], npath, sizeof npath);
        s->off[i] = off;
        const uint32_t n = len - off;
        s->slot[i] = (th_qslot){n ? buf + off : NULL, n};
    }
    const uint32_t done = fields & ~u;
    s->len = len;
    s->used |= done;
    s->arrays &= ~done;
    return !u || slot_fields_any(s, pl, u);
}

/* slot_fields where keys may be escaped (a backslash anywhere in the
 * record, rare): decoded lookups of each path */
static bool slot_fields_escaped(th_ecs_slots *s, uint32_t fields)
{
    const th_jcur root = th_jscan_root(s->raw);
    for (uint32_t u = fields; u; u &= u - 1) {
        const size_t i = (size_t)__builtin_ctz(u);
        uint32_t arr = 0;
        slot_begin(s, i);
        for (size_t k = 0; k < 4 && table[i].paths[k]; k++) {
            const uint32_t before = s->len;
            th_jcur v;
            if (th_jcur_path(root, table[i].paths[k], &v)) {
                s->array_seen = false;
                if (!slot_strings(s, v))
                    return false;
                arr |= s->array_seen;
            }
            const uint32_t n = s->len - before;
            s->npath[i][k] = (uint8_t)(n < 255 ? n : 255);
        }
        slot_end(s, i);
        s->arrays = (s->arrays & ~(1u << i)) | arr << i;
    }
    return true;
}

/* The members of obj under segment `parent` (walk's first step only). */
static void walk_level(const plan *pl, th_ecs_slots *s, th_jcur obj, int parent)
{
    th_jcur_members_find(obj, &pl->keys[parent + 1], s->found, s->have);
}

/* userIdentity's walks remembered by its text: the pack reads user.name on
 * every record, whose paths go through userIdentity, its sessionContext and
 * sessionIssuer, and their walks were about 600 instructions a record
 * (1.37 M members of b100k's 4.2 M); a record's userIdentity is most often
 * one seen lately (b100k: 73 texts in 100,000). The same bytes give the
 * same tape below the object's node (th_jscan_load_copy moves a value's
 * part of the tape by its offset alone), so the walks' cursors are the
 * object's node plus the offsets remembered, and the whole text compared
 * decides. The entries are found by the text's length, not a hash: the
 * texts of one principal differ in a few bytes (an access key, a session's
 * time), so a sampled hash sent b100k's 73 texts to 11 groups of up to 8
 * (29% misses), and hashing every word cost ~180 instructions a record.
 * Texts of one length share a set of WALK_WAYS entries, compared in turn
 * (texts of another principal differ within the first 64 bytes, which
 * memcmp stops at); a miss takes the set's least recently used entry. */
#define WALK_SETS 128
#define WALK_WAYS 4
#define WALK_MEMO_TEXT 4096 /* longer objects are walked each time */
typedef struct walk_memo_e {
    char *text; /* the object's bytes (heap), n of them (0: empty), room for cap */
    uint32_t n, cap;
    uint32_t used; /* the set's clock when last found or made */
    uint32_t nfound;
    uint64_t num;                 /* the text's number (th_ecs_slots.ident) */
    uint64_t word;                /* the text's 8 bytes at probe (walk_probe) */
    uint32_t probe;               /* an offset, probe + 8 <= n */
    uint8_t seg[WALK_MEMO_SEGS];  /* the segments below the object ending a path the walks found */
    uint32_t rel[WALK_MEMO_SEGS]; /* their values' tape index less the object's */
} walk_memo_e;
struct th_ecs_walk_memos {
    walk_memo_e e[WALK_SETS][WALK_WAYS];
    uint32_t clock;
};

/* The texts' numbers, process-wide: each text an entry stores takes the
 * next, so that two texts (of any thread's memo, or one text stored again
 * after it was pushed out) never share one, and a reader that remembers
 * what it made of the slots under a number (hotpass.c's plan key) may
 * compare numbers in place of the slots' bytes, whichever th_ecs_slots it
 * meets. One increment a stored text (b100k: 73), never on a hit. */
static _Atomic uint64_t walk_numbers;

static void walk_memos_free(struct th_ecs_walk_memos *t)
{
    for (size_t i = 0; t && i < WALK_SETS; i++)
        for (size_t w = 0; w < WALK_WAYS; w++)
            free(t->e[i][w].text);
    free(t);
}

/* Fills have/found for every segment below pl->memo_seg that ends a path,
 * whose member was found (have) and not walked since start, as walks of it
 * and of every object below it would: from the memo, else by those walks,
 * remembered. The objects below it are walked (or taken for walked: descend)
 * at once, so their own cursors are read no more and are not remembered
 * (b100k: two of a record's ~9.5 segments, ~12 instructions each).
 * False (nothing done) for an object the memo does not take. */
static inline uint64_t walk_word(const char *p, uint32_t at)
{
    uint64_t w;
    memcpy(&w, p + at, 8);
    return w;
}
/* Sets the probes of e and x, two texts of n bytes that differ, to the first
 * 8-byte word where they do (or the last word, where the difference is in
 * the bytes after the last whole one): a lookup of either then passes the
 * other's probe only where its text is not the one looked up, and a miss
 * on it costs a load and a compare instead of memcmp's call, which ran to
 * that difference. The probe is no more than a necessary condition (the
 * word of a text equal to x's is x's word), so any offset is exact. */
static void walk_probe(walk_memo_e *e, walk_memo_e *x, uint32_t n)
{
    uint32_t d = 0;
    while (d + 8 <= n && walk_word(e->text, d) == walk_word(x->text, d))
        d += 8;
    if (d + 8 > n)
        d = n - 8;
    e->probe = x->probe = d;
    e->word = walk_word(e->text, d);
    x->word = walk_word(x->text, d);
}
static __attribute__((noinline)) bool walk_memo(const plan *pl, th_ecs_slots *s)
{
    const th_jcur obj = s->found[pl->memo_seg];
    const th_str text = th_jcur_raw(obj);
    if (text.n > WALK_MEMO_TEXT || text.n < 8 || text.p[0] != '{')
        return false;
    if (!s->walk_memos) /* th_xcalloc exits on failure, as every allocation */
        s->walk_memos = th_xcalloc(1, sizeof *s->walk_memos);
    struct th_ecs_walk_memos *t = s->walk_memos;
    walk_memo_e *set = t->e[text.n % WALK_SETS], *e = set;
    const uint32_t now = ++t->clock;
    for (size_t w = 0; w < WALK_WAYS; w++) {
        walk_memo_e *x = &set[w];
        if (x->n == text.n && walk_word(text.p, x->probe) == x->word &&
            memcmp(x->text, text.p, text.n) == 0) {
            x->used = now;
            s->ident = x->num;
            s->ident_slots = pl->ident_fields;
            for (uint32_t j = 0; j < x->nfound; j++) {
                s->found[x->seg[j]] = (th_jcur){obj.s, obj.i + x->rel[j]};
                s->have[x->seg[j]] = true;
            }
            return true;
        }
        if (now - x->used > now - e->used) /* the least recently used (an empty one's is 0) */
            e = x;
    }
    for (uint64_t u = pl->memo_objs; u; u &= u - 1) { /* parents first, as descend */
        const int k = __builtin_ctzll(u);
        if (s->have[k])
            walk_level(pl, s, s->found[k], k);
    }
    if (e->cap < text.n) {
        e->cap = (uint32_t)text.n;
        e->text = th_xrealloc(e->text, text.n);
    }
    memcpy(e->text, text.p, text.n);
    e->n = (uint32_t)text.n;
    e->probe = 0;
    e->word = walk_word(e->text, 0);
    for (size_t w = 0; w < WALK_WAYS; w++)
        if (&set[w] != e && set[w].n == e->n)
            walk_probe(e, &set[w], e->n);
    e->used = now;
    e->num = atomic_fetch_add_explicit(&walk_numbers, 1, memory_order_relaxed) + 1;
    s->ident = e->num;
    s->ident_slots = pl->ident_fields;
    e->nfound = 0;
    for (uint64_t u = pl->memo_ends; u; u &= u - 1) {
        const int k = __builtin_ctzll(u);
        if (s->have[k]) {
            e->seg[e->nfound] = (uint8_t)k;
            e->rel[e->nfound++] = s->found[k].i - obj.i;
        }
    }
    return true;
}

/* walk's descent, only into the objects the wanted fields' paths go through
 * and that no earlier fill of the record walked: those the paths of the
 * fields the earlier fills descended for go through (s->descended_objs) were,
 * and their members' cursors are still there, as a walk would find them
 * again (the record has not changed).
 * A loop over those objects alone, by their segments' bits, not a
 * recursion: a segment's number is above its parent's (seg_add makes the
 * parent first), so parents are walked first. An object is walked where its
 * member was found (have[]), which only a walk of its parent does (have[] is
 * cleared with the root's walk), and a field whose path goes through it
 * goes through its parent too. The recursion's own instructions were about
 * 200 a record (b100k without ES|QL: descend's own 20.0 M); a loop over all
 * the plan's objects testing each, ~58 a fill (b100k with the pack: 10.6 M
 * over 180,894 fills, most of them walking nothing).
 * A member that is no object is not tested for it here (a call into the
 * scanner per object; b10k: the pack 277.3 M -> 276.1 M, without ES|QL
 * 164.1 M -> 163.2 M): th_jcur_members_find finds nothing in it, so its
 * children stay unfound and nothing below it is walked. */
static void descend(const plan *pl, th_ecs_slots *s, uint32_t fields)
{
    uint64_t objs = pl->objs_by[0][fields & 0xff] | pl->objs_by[1][fields >> 8 & 0xff] |
                    pl->objs_by[2][fields >> 16 & 0xff];
    uint64_t todo = objs & ~s->descended_objs;
    if (pl->memo_seg >= 0 && (todo >> pl->memo_seg & 1) && s->have[pl->memo_seg] &&
        walk_memo(pl, s)) {
        /* userIdentity and every object below it: walked, or their members
         * found as the walks would find them */
        todo &= ~pl->memo_objs;
        objs |= pl->memo_objs;
    }
    for (uint64_t u = todo; u; u &= u - 1) {
        const int k = __builtin_ctzll(u);
        if (s->have[k])
            walk_level(pl, s, s->found[k], k);
    }
    s->descended_objs |= objs;
}

/* ---- the routed values' number (th_ecs_slots_routed) -------------------------
 * Records repeat a few providers and actions (b100k: 42 pairs), which
 * hotpass.c's memo of the routing found by hashing and comparing both
 * texts on every record, through loops over its routed fields. Here the
 * pair gets a number, by one hash of both lengths and two words of each
 * text and one compare of both texts, in sets of ROUTED_WAYS. Numbers are
 * process-wide (routed_numbers), as the walk memo's, so a reader may
 * compare them in place of the texts. (Keeping each text's two words in
 * its entry, compared from registers, with the bytes between them past 16
 * compared apart, cost more: b10k +0.04 M.) */
#define ROUTED_SETS 64
#define ROUTED_WAYS 4
#define ROUTED_VALUE 48 /* longer texts get no number */
#define ROUTED_NONE 0xffu
_Static_assert(ROUTED_VALUE < ROUTED_NONE, "a length is never ROUTED_NONE");
typedef struct routed_e {
    uint64_t num;   /* 0: empty */
    uint8_t len[2]; /* each text's, ROUTED_NONE: the slot is empty */
    char text[2][ROUTED_VALUE];
} routed_e;
struct th_ecs_routed_memos {
    routed_e e[ROUTED_SETS][ROUTED_WAYS];
    uint8_t next[ROUTED_SETS]; /* each set's next victim, in turn */
};
static _Atomic uint64_t routed_numbers;

static struct th_ecs_routed_memos *routed_memos_new(void)
{
    return th_xcalloc(1, sizeof(struct th_ecs_routed_memos)); /* exits on failure */
}

/* A slot's one string of ROUTED_VALUE bytes at most (*len its length, or
 * ROUTED_NONE where the slot is empty): false where it holds anything else */
static inline bool routed_text(const th_qslot *sl, th_str *t, unsigned *len)
{
    if (sl->n == 0) {
        *t = (th_str){"", 0};
        *len = ROUTED_NONE;
        return true;
    }
    if (sl->n > 1 || sl->vals[0].type != TH_JSTR || sl->vals[0].u.str.n > ROUTED_VALUE)
        return false;
    *t = sl->vals[0].u.str;
    *len = (unsigned)t->n;
    return true;
}

/* The number of the routed slots' values as start filled them, made when
 * a reader asks (th_ecs_slots_routed): a run whose routing reads other
 * slots too (the seed rule's: the data stream's constants are not in the
 * slots there) never asks, where making it in start cost ~86 instructions
 * a record (b100k, the seed rule: start 28.4 -> 37.0 M). The memo is
 * behind a pointer (made by th_ecs_slots_init), so the slots stay const to
 * their readers; asked twice, a record finds its own entry again. */
uint64_t th_ecs_slots_routed_number(const th_ecs_slots *s)
{
    th_str t0, t1;
    unsigned n0, n1;
    struct th_ecs_routed_memos *memo = s->routed_memos;
    if (!memo || !routed_text(&s->slot[0], &t0, &n0) || !routed_text(&s->slot[1], &t1, &n1))
        return 0;
    const uint64_t x = ((th_str_ends_word(t0) * 0x9e3779b97f4a7c15ull) ^
                        (th_str_ends_word(t1) * 0xc2b2ae3d27d4eb4full) ^ (n0 << 8 | n1)) *
                       0xff51afd7ed558ccdull;
    _Static_assert(ROUTED_SETS == 64, "the top six bits of the product");
    const size_t si = x >> 58;
    routed_e *set = memo->e[si];
    for (size_t w = 0; w < ROUTED_WAYS; w++) {
        const routed_e *e = &set[w];
        if (e->num && e->len[0] == n0 && e->len[1] == n1 && th_bytes_eq(e->text[0], t0.p, t0.n) &&
            th_bytes_eq(e->text[1], t1.p, t1.n))
            return e->num;
    }
    routed_e *e = &set[memo->next[si]++ % ROUTED_WAYS];
    e->len[0] = (uint8_t)n0;
    e->len[1] = (uint8_t)n1;
    memcpy(e->text[0], t0.p, t0.n);
    memcpy(e->text[1], t1.p, t1.n);
    e->num = atomic_fetch_add_explicit(&routed_numbers, 1, memory_order_relaxed) + 1;
    return e->num;
}

bool th_ecs_slots_start(const th_mapper *m, th_arena *a, const th_jscan *raw, unsigned flags,
                        th_ecs_slots *s, int64_t *timestamp_ms, int64_t *ingested_ms, bool *timed)
{
    *timed = false;
    /* the slots of the last record emptied: all at once when it was filled
     * past the first look (most of them then hold values, where clearing
     * them one by one cost more than the fixed-size store), else those few.
     * The constants' slots stay as they are (used and fixed), set or emptied
     * below only where this record wants otherwise: nearly every record
     * wants them, and storing them again cost ~25 instructions a record. */
    if (s->used & ~(CONST_SLOTS | ((1u << NROUTING) - 1))) {
        /* four slots a memset, in line: GCC writes each as four vector
         * stores, where one memset of the SLOT_CONST (22) slots was a rep
         * stosq of 44 words (b100k: ~53 instructions a record) */
#pragma GCC unroll 8
        for (size_t k = 0; k < SLOT_CONST; k += 4)
            memset(&s->slot[k], 0, (SLOT_CONST - k < 4 ? SLOT_CONST - k : 4) * sizeof s->slot[0]);
        memset(&s->slot[SLOT_TREE], 0, NTREES * sizeof s->slot[0]);
    } else {
        for (uint32_t u = s->used & ~CONST_SLOTS; u; u &= u - 1) /* the others are empty already */
            s->slot[__builtin_ctz(u)] = (th_qslot){NULL, 0};
    }
    s->used &= CONST_SLOTS;
    s->ua_later = false;
    s->fixed = s->used;
    s->as_borrowed = false;
    s->len = 0;
    s->m = m;
    s->a = a;
    s->raw = raw;
    th_jcur root = th_jscan_root(raw);
    /* the root's first byte read in line where the text has no backslash
     * (th_jcur_type's call and switch: ~19 instructions a record) */
    s->escapes = th_jscan_has_backslash(raw);
    const th_jscan_plain pv = th_jscan_plain_of(raw);
    if (__builtin_expect(s->escapes, 0) ? th_jcur_type(root) != TH_JOBJ
                                        : pv.p[pv.tape[root.i].pos] != '{')
        return false;
    plan_ready();
    bool routing = flags & TH_PROJ_ROUTING;
    const plan *pl = routing ? &route_plan : &the_plan;
    s->full_root = !routing;
    memset(s->have, 0, sizeof s->have);
    s->descended_objs = 0;
    s->ident = 0;
    if (__builtin_expect(s->escapes, 0)) {
        *timed = th_ecs_times(m, a, raw, timestamp_ms, ingested_ms);
    } else {
        walk_level(pl, s, root, -1);
        const int *tk = pl->time_seg;
        if (__builtin_expect(!s->have[tk[TK_DIGEST_END]] && !s->have[tk[TK_DIGEST_START]], 1)) {
            /* eventTime's day remembered: times_of's answer (its text read
             * as th_jcur_str reads it, the record having no escapes), else
             * times_of */
            th_str t;
            *timed = (s->have[tk[TK_EVENT_TIME]] &&
                      th_jplain_str(th_jscan_plain_of(raw), s->found[tk[TK_EVENT_TIME]], &t) &&
                      times_from_day(m, t, timestamp_ms, ingested_ms)) ||
                     times_of(m, a, s->have[tk[TK_EVENT_TIME]], s->found[tk[TK_EVENT_TIME]],
                              s->have[tk[TK_TIMESTAMP]], s->found[tk[TK_TIMESTAMP]], timestamp_ms,
                              ingested_ms);
        }
    }
    /* event.provider and event.action: top-level keys, found by either plan */
    const uint32_t routed = (1u << NROUTING) - 1;
    if (!(__builtin_expect(s->escapes, 0) ? slot_fields_escaped(s, routed)
                                          : slot_fields(s, pl, routed)))
        return false;
    const uint32_t consts =
        m->o.data_stream && !(routing && (flags & TH_PROJ_NO_CONSTANTS)) ? CONST_SLOTS : 0;
    if (__builtin_expect((s->used & CONST_SLOTS) != consts, 0)) {
        for (size_t i = 0; i < NCONST; i++)
            s->slot[SLOT_CONST + i] = consts ? (th_qslot){&const_val[i], 1} : (th_qslot){NULL, 0};
        s->used = (s->used & ~CONST_SLOTS) | consts;
        s->fixed = consts; /* const_val: made once (plan_build), never changed */
    }
    return true;
}

/* slots_asn of one address that the memo holds (nearly every record): the
 * two slots written as slot_begin, slot_push and slot_end write them, in
 * one pass (b100k with the pack: 100,000 records, slots_asn ~115
 * instructions a record with its loop, copies and the slots' calls) */
static bool slots_asn_one(th_ecs_slots *s, const th_jval *ip)
{
    if (ip->type != TH_JSTR)
        return false;
    bool hit;
    const asn_memo *e = asn_entry(s->m, ip->u.str, &hit);
    if (!hit)
        return false;
    s->ip_is = e->isip ? 1 : 2;
    s->as_borrowed = true;
    if (s->cap - s->len < 2)
        slot_grow(s); /* ip is not read past here: it may move */
    th_jval *v = s->buf + s->len;
    const uint32_t nnum = e->numt != TH_JNULL, norg = e->orgt != TH_JNULL;
    if (nnum)
        v[0] = (th_jval){.type = (th_jtype)e->numt, .u.str = th_str_make(e->num, e->numn)};
    if (norg)
        v[nnum] = (th_jval){.type = (th_jtype)e->orgt, .u.str = th_str_make(e->org, e->orgn)};
    s->off[SLOT_AS_NUMBER] = s->len;
    s->slot[SLOT_AS_NUMBER] = (th_qslot){nnum ? v : NULL, nnum};
    s->off[SLOT_AS_ORG] = s->len + nnum;
    s->slot[SLOT_AS_ORG] = (th_qslot){norg ? v + nnum : NULL, norg};
    s->len += nnum + norg;
    s->used |= 1u << SLOT_AS_NUMBER | 1u << SLOT_AS_ORG;
    return true;
}

/* project_asn over the source.ip slot. A remembered address's values go
 * into the slots as values, without the nodes asn_lookup makes of them (two
 * allocations an address); the record's one address's texts are the memo's
 * own (as_borrowed): the gates read them at once, and doc_values copies
 * them for whatever outlives the record (b100k with the pack looks up
 * every record's address for the broad ES|QL rules' gates: 143,716 copies,
 * 9.8 M instructions). Of several addresses, a later one's miss could
 * take an earlier one's entry, so their texts are copied. */
static void slots_asn(th_ecs_slots *s)
{
    uint32_t nips = s->slot[SLOT_SOURCE_IP].n, off = s->off[SLOT_SOURCE_IP];
    s->as_borrowed = false;
    /* source.ip is filled once a record (fill skips used fields), so the
     * AS slots stay its function where it was filled before them */
    s->as_from = s->used & 1u << SLOT_SOURCE_IP;
    if (!nips || (nips == 1 && slots_asn_one(s, &s->buf[off])))
        return;
    th_jval one, *org = nips == 1 ? &one : th_arena_alloc(s->a, nips * sizeof *org);
    uint32_t norg = 0;
    s->ip_is = 0; /* not known, unless the one address is remembered */
    slot_begin(s, SLOT_AS_NUMBER);
    for (uint32_t i = 0; i < nips; i++) {
        th_jval ip = s->buf[off + i]; /* a copy: buf may move */
        if (ip.type != TH_JSTR)
            continue;
        bool hit;
        asn_memo *e = asn_entry(s->m, ip.u.str, &hit);
        if (hit && nips == 1) {
            s->ip_is = e->isip ? 1 : 2;
            s->as_borrowed = true;
            if (e->numt != TH_JNULL)
                slot_push(s, (th_jval){.type = (th_jtype)e->numt,
                                       .u.str = th_str_make(e->num, e->numn)});
            if (e->orgt != TH_JNULL)
                org[norg++] = (th_jval){.type = (th_jtype)e->orgt,
                                        .u.str = th_str_make(e->org, e->orgn)};
            continue;
        }
        if (hit) {
            if (e->numt != TH_JNULL)
                slot_push(s, (th_jval){.type = (th_jtype)e->numt,
                                       .u.str = memo_text(s->a, e->num, e->numn)});
            if (e->orgt != TH_JNULL)
                org[norg++] = (th_jval){.type = (th_jtype)e->orgt,
                                        .u.str = memo_text(s->a, e->org, e->orgn)};
            continue;
        }
        th_jval *n, *o;
        asn_miss(s->m, s->a, ip.u.str, e, &n, &o);
        if (n)
            slot_push(s, *n);
        if (o)
            org[norg++] = *o;
    }
    slot_end(s, SLOT_AS_NUMBER);
    slot_begin(s, SLOT_AS_ORG);
    for (uint32_t i = 0; i < norg; i++)
        slot_push(s, org[i]);
    slot_end(s, SLOT_AS_ORG);
}

static bool copied_value(const th_ecs_slots *s, size_t i, const th_jval **v);
static const th_jval *ua_name(th_ecs_slots *s, th_str ua);

/* project_ua over the user_agent.original slot, by the slot document's
 * memo of names (ua_name): its one value (copied_value: false where the
 * mapping's would not be it), the name's text the memo's, valid until the
 * thread's next ua_name, which doc_values then takes from the slot (and
 * copies where the document outlives the record, as it did). */
static bool slots_ua(th_ecs_slots *s, bool later)
{
    const th_jval *ua;
    if (!copied_value(s, SLOT_UA_ORIGINAL, &ua))
        return false;
    if (later) {
        s->ua_later = true;
        return true;
    }
    const th_jval *name = ua ? ua_name(s, ua->u.str) : NULL;
    slot_begin(s, SLOT_UA_NAME);
    if (name)
        slot_push(s, *name);
    slot_end(s, SLOT_UA_NAME);
    return true;
}

void th_ecs_slots_ua_later(th_ecs_slots *s)
{
    s->ua_later = false;
    slots_ua(s, false); /* checked by the fill: true */
}

bool th_ecs_slots_fill(th_ecs_slots *s, unsigned extras, uint32_t fields)
{
    const bool later = extras & TH_PROJ_UA_LATER;
    extras &= ~(unsigned)TH_PROJ_UA_LATER;
    if (extras & TH_PROJ_UA) /* what slots_ua reads */
        fields |= 1u << SLOT_UA_ORIGINAL;
    /* the routed fields are there since start; a field filled before (a
     * second fill, for the slot document) holds its values already */
    fields &= ~((1u << NROUTING) - 1) & ~s->used;
    if (s->used >> SLOT_AS_NUMBER & 1)
        extras &= ~(unsigned)TH_PROJ_ASN;
    if ((s->used >> SLOT_UA_NAME & 1) || s->ua_later)
        extras &= ~(unsigned)TH_PROJ_UA;
    for (size_t i = 0; i < NTREES; i++)
        if (s->used >> (SLOT_TREE + i) & 1)
            extras &= ~(unsigned)TH_PROJ_TREES;
    if (!fields && !extras)
        return true;
    th_jcur root = th_jscan_root(s->raw);
    const plan *pl = &the_plan;
    if (!s->escapes) {
        if (!s->full_root) { /* start looked at the routed keys only */
            memset(s->have, 0, sizeof s->have);
            s->descended_objs = 0; /* the cursors were the routing plan's */
            s->ident = 0;
            walk_level(pl, s, root, -1);
            s->full_root = true;
        }
        descend(pl, s, fields);
    }
    /* the wanted fields by their bits, in the table's order (the routed ones
     * are cleared above) */
    const uint32_t copied = fields & ((1u << NTABLE) - 1);
    if (!(s->escapes ? slot_fields_escaped(s, copied) : slot_fields(s, pl, copied)))
        return false;
    if (extras & TH_PROJ_ASN)
        slots_asn(s);
    if ((extras & TH_PROJ_UA) && !slots_ua(s, later))
        return false;
    for (size_t i = 0; (extras & TH_PROJ_TREES) && i < NTREES; i++) {
        th_jcur v;
        bool got;
        if (s->escapes) {
            got = th_jcur_get(root, trees[i].key, strlen(trees[i].key), &v);
        } else {
            got = s->have[pl->tree_seg[i]];
            v = s->found[pl->tree_seg[i]];
        }
        if (!got)
            continue;
        th_jval *t;
        if (!tree_pruned(s->a, s->raw, v, &t))
            return false;
        if (t) {
            slot_begin(s, SLOT_TREE + i);
            slot_push(s, *t);
            slot_end(s, SLOT_TREE + i);
        }
    }
    return true;
}

/* ---- the slot document (rawproj.h) ------------------------------------------ */

_Static_assert(NTABLE == TH_ECS_NTABLE, "TH_ECS_NTABLE: the copied fields");
/* The table fields, by number (the table's order) */
enum {
    T_PROVIDER, T_ACTION, T_ID, T_REGION, T_ACCOUNT, T_ADDRESS, T_IP, T_UA, T_USER_NAME,
    T_USER_ID, T_UI_TYPE, T_UI_ARN, T_UI_KEY, T_UI_INVOKED, T_SI_ARN, T_SI_TYPE, T_ERROR_CODE,
    T_ERROR_MESSAGE, T_EVENT_TYPE, T_RECIPIENT
};
_Static_assert(T_RECIPIENT + 1 == NTABLE, "the table's order");
_Static_assert(T_UA == SLOT_UA_ORIGINAL && T_IP == SLOT_SOURCE_IP, "the table's order");
/* The slot document's fields past the table's: the computed source.as.*, the
 * constants, then those made here */
enum {
    D_AS = NTABLE,
    D_CONST = D_AS + NCOMPUTED,
    D_TIMESTAMP = D_CONST + NCONST,
    D_OUTCOME,
    D_CHANGES,
    D_CONSOLE_CRED,
    D_RESPONSE,
    D_RESOURCES,
    D_CATEGORY,
    D_REQUEST,     /* aws.cloudtrail.request_parameters: the stringify block's text */
    D_SERVER_NAME, /* tls.client.server_name: the tls block's copy */
    D_TARGET_NAME, /* user.target.name: requestParameters.userName */
    D_EV_CATEGORY, /* aws.cloudtrail.event_category: a renamed string */
    D_GEO_CITY,    /* source.geo.city_name: the GeoIP City block's, of source.ip */
    NDOC
};
/* user_agent.name: a computed field, its docfield bit its slot's */
#define D_UA (D_AS + COMPUTED_UA)
_Static_assert(NDOC <= 64, "docfields are bits of a uint64_t");
_Static_assert(D_AS == SLOT_AS_NUMBER && D_CONST == SLOT_CONST,
               "a table or computed field's docfield bit is its slot's (th_ecs_slots.exact)");
static const char *const doc_extra[NDOC - D_TIMESTAMP] = {
    "@timestamp", "event.outcome", "user.changes.name",
    "aws.cloudtrail.session_credential_from_console", "aws.cloudtrail.response_elements",
    "aws.cloudtrail.resources.arn", "event.category",
    "aws.cloudtrail.request_parameters", "tls.client.server_name", "user.target.name",
    "aws.cloudtrail.event_category", "source.geo.city_name"};
#define BIT(i) (1ull << (i))
/* the actor decision's inputs the fill fills (invoked_by: decision_str) */
#define ACTOR_FIELDS (BIT(T_UI_TYPE) | BIT(T_SI_ARN))

static const char *docfield_name(size_t i)
{
    if (i < D_CONST)
        return th_ecs_raw_field_at(i);
    if (i < D_TIMESTAMP)
        return const_field[i - D_CONST];
    return doc_extra[i - D_TIMESTAMP];
}

/* Where each field goes in the document (the objects as th_jobj_set_path
 * would make them), planned once with the projection's plans. */
static plan doc_plan;
static dest doc_dest[NDOC];

static void doc_plan_build(void)
{
    for (size_t i = 0; i < NDOC; i++)
        /* resources.arn: below the array of resources, which is the value */
        doc_dest[i] = dest_of(&doc_plan, i == D_RESOURCES ? "aws.cloudtrail.resources"
                                                          : docfield_name(i));
}

const char *th_ecs_docfield_name(size_t i) { return i < NDOC ? docfield_name(i) : NULL; }

int th_ecs_docfield_of(th_str field)
{
    for (size_t i = 0; i < NDOC; i++)
        if (th_str_eqc(field, docfield_name(i)))
            return (int)i;
    return -1;
}

/* The entity script (actor_target_mapping) writes none of the fields (its
 * outputs are demand.c's); a retain option changes what stays. */
bool th_ecs_slots_doc_usable(const th_mapper *m) { return !m->retain; }

bool th_ecs_constant_field(th_str field)
{
    for (size_t i = 0; i < NCONST; i++)
        if (th_str_eqc(field, const_field[i]))
            return true;
    return false;
}

/* th_ecs_slots_constants' two documents: [1] with the data stream constants */
static th_arena consts_arena;
static th_jval *consts_doc[2];
static pthread_once_t consts_once = PTHREAD_ONCE_INIT;

static void consts_build(void)
{
    th_arena_init(&consts_arena, 1024);
    consts_doc[0] = th_jnew_obj(&consts_arena);
    consts_doc[1] = th_jnew_obj(&consts_arena);
    for (size_t i = 0; i < NCONST; i++) /* as th_ecs_project_only adds them */
        th_jobj_set_path(&consts_arena, consts_doc[1], const_field[i],
                         th_jnew_cstr(&consts_arena, const_value[i]));
}

const th_jval *th_ecs_slots_constants(const th_mapper *m, const th_mapper_opts *o)
{
    if (!m && !o)
        return NULL;
    pthread_once(&consts_once, consts_build);
    return consts_doc[(m ? m->o.data_stream : o->data_stream) ? 1 : 0];
}

th_ecs_proj_need th_ecs_docfields_need(uint64_t docfields)
{
    th_ecs_proj_need need = {(uint32_t)(docfields & (BIT(NTABLE) - 1)), 0};
    if (docfields & (BIT(T_USER_NAME) | BIT(T_USER_ID)))
        need.fields |= ACTOR_FIELDS | BIT(T_ACTION); /* the decisions' inputs */
    if (docfields & (BIT(D_AS) | BIT(D_AS + 1))) {
        need.fields |= BIT(T_IP);
        need.extras |= TH_PROJ_ASN;
    }
    if (docfields & BIT(D_OUTCOME)) /* the error fields: decision_str */
        need.fields |= BIT(T_ACTION);
    if (docfields & BIT(D_CATEGORY))
        need.fields |= BIT(T_ACTION);
    if (docfields & BIT(D_UA))
        need.fields |= BIT(T_UA);
    if (docfields & BIT(D_GEO_CITY))
        need.fields |= BIT(T_IP);
    if (docfields & BIT(D_REQUEST)) /* the pruned requestParameters, stringified */
        need.extras |= TH_PROJ_TREES;
    return need;
}

/* The value the mapping copies to table field i when it has one source path:
 * exact when no array was there (an array is copied as one, or rendered) and
 * the string is not empty (the drop-empty copy has none). *v NULL: none. */
static bool copied_value(const th_ecs_slots *s, size_t i, const th_jval **v)
{
    const th_qslot *q = &s->slot[i];
    if ((s->arrays >> i & 1) || q->n > 1)
        return false;
    *v = q->n ? &q->vals[0] : NULL;
    return !*v || (*v)->u.str.n > 0;
}

/* Table field i's one string as the mapping's decisions read it (th_jstr of
 * the drop-empty copy): an empty string is none. False for an array. */
static bool decided_str(const th_ecs_slots *s, size_t i, th_str *out)
{
    const th_qslot *q = &s->slot[i];
    if ((s->arrays >> i & 1) || q->n > 1)
        return false;
    *out = q->n && q->vals[0].u.str.n ? q->vals[0].u.str : TH_STR_NULL;
    return true;
}

/* decision_str's field filled first (not inline: the call's registers). */
static __attribute__((noinline)) bool filled_str(th_ecs_slots *s, size_t i, th_str *out)
{
    if (!(s->used >> i & 1) && !th_ecs_slots_fill(s, 0, 1u << i))
        return false;
    return decided_str(s, i, out);
}

/* decided_str of one-path table field i, which the fill may have left out
 * (th_ecs_docfields_need: the decisions' inputs of which they read only
 * whether there is a text): read from the walk where the member is absent
 * or a string without escapes, as slot_fields would have read it, else
 * filled first (b100k with the pack: 209,558 of the 230,613 reads read the
 * walk; the gates' fill had filled the others, none is filled here).
 * False where decided_str is (an array, several values) or the fill fails.
 * Before any value of the slots is taken: the fill may move them. Inline,
 * i a constant: the plan's look-ups are loads. */
static inline __attribute__((always_inline)) bool decision_str(th_ecs_slots *s, size_t i,
                                                               th_str *out)
{
    const plan *pl = &the_plan;
    const uint64_t objs = pl->objs_by[i >> 3][1u << (i & 7)]; /* those descend walks */
    if ((s->used >> i & 1) || s->escapes || !s->full_root || (objs & ~s->descended_objs))
        return filled_str(s, i, out);
    const int sl = pl->slot_of[i][0];
    if (!s->have[sl]) {
        *out = TH_STR_NULL;
        return true;
    }
    th_str str;
    if (!th_jplain_str(th_jscan_plain_of(s->raw), s->found[sl], &str))
        return filled_str(s, i, out);
    *out = str.n ? str : TH_STR_NULL;
    return true;
}

/* The value of table field i from its source path k (no arrays there, so at
 * most one per path), NULL when none or empty. */
static const th_jval *path_value(const th_ecs_slots *s, size_t i, size_t k)
{
    uint32_t at = 0;
    for (size_t j = 0; j < k; j++)
        at += s->npath[i][j];
    if (!s->npath[i][k])
        return NULL;
    const th_jval *v = &s->slot[i].vals[at];
    return v->u.str.n ? v : NULL;
}

/* The actor decision's outcome (actor_of): 0 where decided_str or
 * decision_str is false (an array, several values, a failed fill) */
enum { WHO_KNOWN = 1, WHO_SERVICE = 2, WHO_ISSUER_NAMES = 4, WHO_DELEGATE_IDS = 8 };

/* cold: the memo of actor_of answers nearly every record (b100k: 73 texts),
 * and its code in line in doc_values sat between the lines every call runs */
static __attribute__((noinline, cold)) uint8_t actor_decide(th_ecs_slots *s)
{
    th_str type, invoked, issuer;
    if (!decided_str(s, T_UI_TYPE, &type) || !decision_str(s, T_UI_INVOKED, &invoked) ||
        !decided_str(s, T_SI_ARN, &issuer))
        return 0;
    th_str service = th_ecs_service_actor(type, invoked, issuer);
    bool is_service = service.p && service.n;
    return WHO_KNOWN | (is_service ? WHO_SERVICE : 0) |
           (th_ecs_issuer_names_user(type, is_service) ? WHO_ISSUER_NAMES : 0) |
           (th_ecs_delegate_ids_user(type) ? WHO_DELEGATE_IDS : 0);
}

/* actor_decide by the userIdentity text's number (th_ecs_slots_ident):
 * its inputs (the identity's type and invokedBy, the issuer's ARN) are
 * all below userIdentity, so one number decides alike (b100k with the
 * pack: 76,019 decisions, of 73 texts; th_ecs_service_actor alone cost
 * ~112 instructions a call). Without a number, decided each time. */
static uint8_t actor_of(th_ecs_slots *s)
{
    uint64_t slots;
    const uint64_t num = th_ecs_slots_ident(s, ACTOR_FIELDS, &slots);
    if (!num)
        return actor_decide(s);
    struct th_ecs_actor_memo *e = &s->actor_memo[num % TH_ECS_ACTOR_MEMO];
    if (e->num != num) {
        const uint8_t who = actor_decide(s);
        if (!who)
            return 0;
        e->num = num;
        e->who = who;
    }
    return e->who;
}

/* user.name and user.id (those in `want`) as user_identity and event_source
 * decide them. */
static bool actor_values(th_ecs_slots *s, uint64_t want, const th_jval **name, const th_jval **id)
{
    th_str action;
    if (s->arrays & want)
        return false;
    const uint8_t who = actor_of(s);
    if (!who || !decided_str(s, T_ACTION, &action))
        return false;
    const bool is_service = who & WHO_SERVICE;
    if (want & BIT(T_USER_NAME)) {
        *name = is_service ? NULL : path_value(s, T_USER_NAME, 0);
        const th_jval *issuer_name = path_value(s, T_USER_NAME, 1);
        if ((who & WHO_ISSUER_NAMES) && issuer_name)
            *name = issuer_name;
        if (th_ecs_event_names_user(action) && !*name)
            *name = path_value(s, T_USER_NAME, 2);
    }
    if (want & BIT(T_USER_ID)) {
        *id = is_service ? NULL : path_value(s, T_USER_ID, 0);
        if ((who & WHO_DELEGATE_IDS) && !*id)
            *id = path_value(s, T_USER_ID, 1);
    }
    return true;
}

/* The record's member doc_key[k]: found by the walk over the root (the
 * fill's), else looked up (keys may be escaped). */
static inline bool doc_member(const th_ecs_slots *s, int k, th_jcur *v)
{
    if (!s->escapes && s->full_root) {
        int sg = the_plan.doc_seg[k];
        *v = s->found[sg];
        return s->have[sg];
    }
    return th_jcur_get(th_jscan_root(s->raw), doc_key[k], strlen(doc_key[k]), v);
}

/* A string the mapping copies from the record (the drop-empty copy of it):
 * v's text NULL when none; false when it is no string (copied as it is). */
static bool copied_string(const th_ecs_slots *s, bool got, th_jcur c, th_jval *v)
{
    v->type = TH_JSTR;
    v->u.str = TH_STR_NULL;
    if (!got || th_jcur_type(c) == TH_JNULL)
        return true;
    return th_jcur_str(c, s->a, &v->u.str);
}

/* th_ecs_ua_name_of per user agent text, remembered in the slots (a
 * worker's, kept from record to record): the pack's discovery rule reads
 * user_agent.name on half the events, where a few dozen agents repeat (b10k:
 * 29), and a parse costs ~66,000 instructions. Keyed by the mapper's serial
 * and the whole text, of any length: the thread's table this replaces kept
 * 64 entries of texts up to 232 bytes, direct-mapped, and parsed 126 times
 * on b10k with the pack (a quarter of its agents are longer, and two short
 * ones shared an entry), most of the slot documents' cost. Open addressing:
 * a text's entry is one of UA_PROBE from its hash's, the first entry
 * replaced when all are taken (a collision evicts, it never misleads).
 * Names over the buffer are not remembered. */
#define UA_MEMO 256
#define UA_PROBE 4
typedef struct ua_memo {
    uint64_t serial; /* 0: empty */
    uint64_t hash;
    char *ua; /* the text (heap), uan bytes, room for uacap */
    size_t uan, uacap;
    th_jval name; /* TH_JNULL: the agent has no name; else its text in namebuf */
    char namebuf[48];
} ua_memo;
struct th_ecs_ua_memos {
    ua_memo e[UA_MEMO];
};

static void ua_memos_free(struct th_ecs_ua_memos *t)
{
    for (size_t i = 0; t && i < UA_MEMO; i++)
        free(t->e[i].ua);
    free(t);
}

/* ua_name where the memo does not hold ua: parsed, and remembered in
 * free_e (NULL: none free) or the first entry probed. Cold: b100k with the
 * pack parses 19 agents in 80,894 calls, and this code in line in
 * doc_values sat between the lines every call runs. */
static __attribute__((noinline, cold)) const th_jval *ua_name_miss(th_ecs_slots *s, th_str ua,
                                                                   uint64_t h, ua_memo *free_e)
{
    const th_mapper *m = s->m;
    const th_jval *name = th_ecs_ua_name_of(m, s->a, ua);
    if (name && name->u.str.n > sizeof free_e->namebuf)
        return name;
    ua_memo *e = free_e ? free_e : &s->ua_memos->e[h % UA_MEMO];
    if (e->uacap < ua.n) {
        e->uacap = ua.n;
        e->ua = th_xrealloc(e->ua, ua.n);
    }
    if (ua.n)
        memcpy(e->ua, ua.p, ua.n);
    e->uan = ua.n;
    e->serial = m->serial;
    e->hash = h;
    e->name = (th_jval){.type = TH_JNULL};
    if (name) {
        memcpy(e->namebuf, name->u.str.p, name->u.str.n);
        e->name = (th_jval){.type = TH_JSTR, .u.str = th_str_make(e->namebuf, name->u.str.n)};
    }
    return name;
}

/* The name of user agent ua: the memo's node (its text valid until the next
 * call; th_ecs_slots_doc copies it), or th_ecs_ua_name_of's in the slots' arena. */
static const th_jval *ua_name(th_ecs_slots *s, th_str ua)
{
    const th_mapper *m = s->m;
    if (!m->serial)
        return th_ecs_ua_name_of(m, s->a, ua);
    if (!s->ua_memos)
        s->ua_memos = th_xcalloc(1, sizeof *s->ua_memos); /* exits on failure */
    uint64_t h = th_str_hash_sample(ua);
    ua_memo *free_e = NULL;
    for (size_t k = 0; k < UA_PROBE; k++) {
        ua_memo *e = &s->ua_memos->e[(h + k) % UA_MEMO];
        if (e->serial == m->serial && e->hash == h && e->uan == ua.n &&
            memcmp(e->ua, ua.p, ua.n) == 0) /* the whole text compared */
            return e->name.type == TH_JSTR ? &e->name : NULL;
        if (!free_e && e->serial != m->serial)
            free_e = e; /* empty, or another mapper's */
    }
    return ua_name_miss(s, ua, h, free_e);
}

/* An object of the slot document made with room for exactly the members it
 * gets (each once: no member to find or replace, no room to grow). */
static th_jval *doc_object(th_arena *a, uint32_t room)
{
    th_jval *v = th_arena_alloc(a, sizeof *v + room * sizeof(th_jmember));
    *v = (th_jval){.type = TH_JOBJ, .cap = room, .u.members = (th_jmember *)(v + 1)};
    return v;
}

static inline void doc_add(th_jval *obj, th_str key, th_jval *v)
{
    obj->u.members[obj->len++] = (th_jmember){key, v};
}

/* One resource as resources() renames it: the last member of each name
 * (ARN and arn are one, accountId and account_id), absent ones NULL. False
 * where a value is no string, or holds a NUL (the key stops there). */
static bool resource_parts(th_ecs_slots *s, th_jcur obj, th_str part[3])
{
    for (int j = 0; j < 3; j++)
        part[j] = TH_STR_NULL;
    th_jiter it = th_jcur_iter(obj);
    th_jcur key, val;
    while (th_jiter_next(&it, &key, &val)) {
        th_str k;
        if (!th_jcur_str(key, s->a, &k))
            return false;
        int j = th_str_eqc(k, "ARN") || th_str_eqc(k, "arn")               ? 0
                : th_str_eqc(k, "accountId") || th_str_eqc(k, "account_id") ? 1
                : th_str_eqc(k, "type")                                     ? 2
                                                                            : -1;
        if (j < 0)
            continue;
        if (!th_jcur_str(val, s->a, &part[j]) || (part[j].n && memchr(part[j].p, 0, part[j].n)))
            return false;
    }
    return true;
}

#define MAX_RESOURCES 16
/* aws.cloudtrail.resources.arn as resources() and final_prune leave it: the
 * ARN of each resource object, one per distinct "arn_account_type" key (a
 * later resource with a key replaces the earlier's in its place), in
 * java.util.HashMap's order of the keys; an empty ARN is pruned. *out: the
 * array of resources, each {arn} alone (a walk of the field reads only
 * that), NULL when no ARN is left; *node: the one ARN, NULL when none or
 * several. False where the record's resources are not exact (no array,
 * values that are no strings, more than MAX_RESOURCES objects). */
static bool resources_value(th_ecs_slots *s, bool copy, th_jval **out, const th_jval **node)
{
    *out = NULL;
    *node = NULL;
    th_jcur res;
    if (!doc_member(s, DK_RESOURCES, &res))
        return true;
    if (th_jcur_type(res) != TH_JARR)
        return false;
    th_str key[MAX_RESOURCES], arn[MAX_RESOURCES];
    uint32_t n = 0;
    th_jiter it = th_jcur_iter(res);
    th_jcur item;
    while (th_jiter_next(&it, NULL, &item)) {
        if (th_jcur_type(item) != TH_JOBJ)
            continue; /* skipped by resources() */
        th_str part[3];
        if (!resource_parts(s, item, part))
            return false;
        size_t kn = part[0].n + part[1].n + part[2].n + 2;
        char *k = th_arena_alloc(s->a, kn);
        th_str ks = th_str_make(k, kn);
        for (int j = 0; j < 3; j++) {
            if (j)
                *k++ = '_';
            if (part[j].n)
                memcpy(k, part[j].p, part[j].n);
            k += part[j].n;
        }
        uint32_t at = 0;
        while (at < n && !th_str_eq(key[at], ks))
            at++;
        if (at == n) {
            if (n == MAX_RESOURCES)
                return false;
            key[n++] = ks;
        }
        arn[at] = part[0];
    }
    uint32_t order[MAX_RESOURCES] = {0};
    if (n > 1) { /* the map of the keys, as resources() builds it */
        th_jval *keys = th_jnew_obj(s->a);
        for (uint32_t i = 0; i < n; i++)
            th_jobj_push(s->a, keys, key[i], NULL);
        th_java_hashmap_order(keys, n, order);
    }
    th_jval *list = NULL;
    for (uint32_t i = 0; i < n; i++) {
        th_str a = arn[order[i]];
        if (!a.n)
            continue;
        if (copy)
            a = th_str_make(th_arena_strndup(s->a, a.p, a.n), a.n);
        th_jval *v = th_jnew_str(s->a, a);
        th_jval *o = doc_object(s->a, 1);
        doc_add(o, TH_STR_LIT("arn"), v);
        if (!list)
            list = th_jnew_arr(s->a);
        th_jarr_push(s->a, list, o);
        *node = list->len == 1 ? v : NULL;
    }
    *out = list;
    return true;
}

/* ---- the document's layout, by the fields it holds ----------------------------
 * Where each object and field goes depends only on which fields the document
 * holds (their bits, `present`): the objects as th_jobj_set_path would make
 * them for the fields in number order, each with room for exactly its
 * members. Working that out cost more than the values (a recursive look-up
 * per field), and a run makes a handful of such sets, so each th_ecs_slots
 * remembers the layouts of the last sets it made, direct-mapped by the bits;
 * an entry is used only for the very same bits (a collision evicts, it
 * never misleads). tests/ecs/test_slotdoc.c compares every document with
 * one made by th_jobj_set_path, through one th_ecs_slots over changing sets. */
#define DOC_LAYOUTS 16
#define MAX_MEMBERS (NDOC + MAX_OBJ)
typedef struct doc_layout {
    uint64_t present;
    bool made;
    uint8_t nobj, nmem, nfield; /* objects (the root first), members, fields */
    uint8_t room[MAX_OBJ + 1], first[MAX_OBJ + 1]; /* by object: members, where they start */
    int8_t child[MAX_MEMBERS];  /* by member: a field (>= 0) or object -child - 1 */
    th_str key[MAX_MEMBERS];
    /* the same by what th_ecs_slots_doc writes: each object's member in its
     * parent (objat[0] unused), the fields' members and numbers in member
     * order (the order of their values after the members), and each
     * field's place in that order */
    uint8_t objat[MAX_OBJ + 1], fmem[NDOC], ffield[NDOC], xat[NDOC];
} doc_layout;
_Static_assert(MAX_MEMBERS <= 127 && MAX_OBJ + 1 <= 127, "doc_layout's int8_t children");
struct th_ecs_doc_layouts {
    doc_layout e[DOC_LAYOUTS];
};

/* The layout's object of plan object o (its number + 1 in at; 0: the root),
 * made (with its parents) and added to its parent when first needed, as
 * th_jobj_set_path adds it. */
static int layout_obj(doc_layout *l, int *at, const uint32_t *room, uint8_t *filled, int o)
{
    if (at[o + 1] >= 0)
        return at[o + 1];
    int up = layout_obj(l, at, room, filled, doc_plan.obj_parent[o]);
    int j = l->nobj++;
    at[o + 1] = j;
    l->room[j] = (uint8_t)room[o + 1];
    l->first[j] = l->nmem;
    l->nmem = (uint8_t)(l->nmem + room[o + 1]);
    int k = l->first[up] + filled[up]++;
    l->child[k] = (int8_t)(-j - 1);
    l->key[k] = doc_plan.obj_key[o];
    return j;
}

static void layout_make(doc_layout *l, uint64_t present)
{
    /* each object's members counted first: made with room for just those */
    uint32_t room[MAX_OBJ + 1] = {0}; /* by object + 1 (0: the root) */
    bool used[MAX_OBJ] = {0};
    for (uint64_t u = present; u; u &= u - 1) {
        int o = doc_dest[__builtin_ctzll(u)].obj;
        room[o + 1]++;
        for (; o >= 0 && !used[o]; o = doc_plan.obj_parent[o]) {
            used[o] = true;
            room[doc_plan.obj_parent[o] + 1]++;
        }
    }
    int at[MAX_OBJ + 1];
    for (size_t o = 0; o <= MAX_OBJ; o++)
        at[o] = -1;
    uint8_t filled[MAX_OBJ + 1] = {0};
    *l = (doc_layout){.present = present, .made = true, .nobj = 1, .nmem = (uint8_t)room[0]};
    l->room[0] = (uint8_t)room[0];
    at[0] = 0;
    for (uint64_t u = present; u; u &= u - 1) {
        int i = __builtin_ctzll(u);
        int j = layout_obj(l, at, room, filled, doc_dest[i].obj);
        int k = l->first[j] + filled[j]++;
        l->child[k] = (int8_t)i;
        l->key[k] = doc_dest[i].key;
    }
    for (uint32_t k = 0; k < l->nmem; k++) {
        const int c = l->child[k];
        if (c < 0) {
            l->objat[-c - 1] = (uint8_t)k;
        } else {
            l->fmem[l->nfield] = (uint8_t)k;
            l->ffield[l->nfield] = (uint8_t)c;
            l->xat[c] = l->nfield++;
        }
    }
}

static const doc_layout *layout_of(th_ecs_slots *s, uint64_t present)
{
    if (!s->layouts)
        s->layouts = th_xcalloc(1, sizeof *s->layouts); /* exits on failure, as every allocation */
    doc_layout *l = &s->layouts->e[(present * 0x9e3779b97f4a7c15ull) >> 60];
    _Static_assert(DOC_LAYOUTS == 16, "the top four bits of the product");
    if (!l->made || l->present != present)
        layout_make(l, present);
    return l;
}

/* @timestamp's texts of 24 bytes (and their NUL) by the time, direct-mapped:
 * b100k's records repeat their second (CloudTrail's eventTime has no
 * milliseconds) out of order, 25,462 distinct ones over 100,000 records, and
 * 1,024 entries find 74.5% of them. n 0: unused. */
#define TS_MEMO 1024
typedef struct ts_memo {
    int64_t ms;
    uint8_t n;
    char text[25];
} ts_memo;
struct th_ecs_ts_memos {
    ts_memo e[TS_MEMO];
};

/* @timestamp's text as th_time_format_iso writes it: the memo's own where
 * `borrow` (valid until the next document or nodes of s), else in the slots'
 * arena. A time not remembered is formatted with the date part remembered
 * from the last one (a run's records span a few days), the time of day
 * written here. Formatting the whole time (the civil date of the day) and
 * copying it out of a buffer on the stack was a tenth of a slot document's
 * nodes. */
static th_str timestamp_text(th_ecs_slots *s, int64_t ms, bool borrow)
{
    if (!s->ts_memos) /* th_xcalloc exits on failure, as every allocation */
        s->ts_memos = th_xcalloc(1, sizeof *s->ts_memos);
    _Static_assert(TS_MEMO == 1024, "the top ten bits of the product");
    ts_memo *e = &s->ts_memos->e[((uint64_t)ms * 0x9e3779b97f4a7c15ull) >> 54];
    if (!e->n || e->ms != ms) {
        int64_t rem;
        int64_t day = th_time_split_day(ms, &rem);
        if (!s->ts_known || s->ts_day != day) {
            char full[32];
            th_time_format_iso(ms, full);
            size_t n = strlen(full);
            /* the date remembered where th_time_format_iso wrote the year's four
             * digits by hand (not a year past 9999, nor a negative one) */
            s->ts_known = n == 24 && full[0] != '-';
            s->ts_day = day;
            memcpy(s->ts_date, full, sizeof s->ts_date);
            e->n = 0;
            if (!s->ts_known) /* not remembered: its own length */
                return th_str_make(th_arena_strndup(s->a, full, n), n);
        }
        memcpy(e->text, s->ts_date, sizeof s->ts_date); /* "YYYY-MM-DDT" */
        th_time_format_tod((unsigned)rem, e->text + 11);
        e->ms = ms;
        e->n = 24;
    }
    if (borrow)
        return th_str_make(e->text, 24);
    char *out = th_arena_alloc(s->a, sizeof e->text);
    memcpy(out, e->text, sizeof e->text);
    return th_str_make(out, 24);
}

/* The fields the mapping copies (or stringifies) from members that no table
 * field walks to, each looked up in the record where a rule reads it: the
 * threshold rules that count requestParameters' texts or group by the TLS
 * host, the pack's ES|QL rules that read user.target.name and
 * aws.cloudtrail.event_category. Without them such a record was mapped in
 * full (th_ecs_map_scan): on b100k with the pack without ES|QL, 3,138
 * records. */
#define LOOKED_UP (BIT(D_REQUEST) | BIT(D_SERVER_NAME) | BIT(D_TARGET_NAME) | BIT(D_EV_CATEGORY))

/* A string value in the slots' arena, for a field's node. */
static th_jval *looked_up_str(th_ecs_slots *s, th_str text)
{
    th_jval *v = th_arena_alloc(s->a, sizeof *v);
    *v = (th_jval){.type = TH_JSTR, .u.str = text};
    return v;
}

/* The string the mapping writes at a field from the member c of the pruned
 * record (a rename, mx_set or set_nonempty of it): v NULL where it writes
 * none (no member, null, ""); false where the member is no string (the
 * mapping copies it as it is). */
static bool looked_up_copy(th_ecs_slots *s, bool got, th_jcur c, const th_jval **v)
{
    th_jval x;
    if (!copied_string(s, got, c, &x))
        return false;
    *v = x.u.str.n ? looked_up_str(s, x.u.str) : NULL;
    return true;
}

/* th_ecs_slots_doc's values of the LOOKED_UP fields in docfields, as
 * mapper.c's stringify_all, tls and the user fields write them; false where
 * the record needs the mapping to know. */
static bool looked_up_values(th_ecs_slots *s, uint64_t docfields, const th_jval **val)
{
    th_jcur root = th_jscan_root(s->raw), c = {0}, m = {0};
    if (docfields & BIT(D_REQUEST)) {
        /* the tree slot holds the pruned requestParameters, as mx_raw makes
         * it (with its objects' key counts): stringify's text of it */
        const th_qslot *q = &s->slot[SLOT_TREE];
        if (q->n > 1)
            return false;
        if (q->n) {
            /* written in the slots' buffer, not a new one each time: its
             * malloc, growth and free were ~206 instructions of ~1,250 a
             * text (b100k with the pack: 6,858 texts, -1.41 M) */
            th_buf *b = &s->request;
            th_buf_clear(b);
            th_java_tostring(b, &q->vals[0], mx_keycount, NULL);
            size_t n = b->len;
            char *text = n ? th_arena_strndup(s->a, b->data, n) : NULL;
            if (!n)
                return false; /* final_prune's business: left to the mapping */
            val[D_REQUEST] = looked_up_str(s, th_str_make(text, n));
        }
    }
    if (docfields & BIT(D_SERVER_NAME)) {
        /* tls: nothing when tlsDetails.tlsVersion is the text "tlsVersion",
         * else mx_set of clientProvidedHostHeader */
        bool got = th_jcur_get(root, "tlsDetails", 10, &c) && th_jcur_type(c) == TH_JOBJ;
        if (got && th_jcur_get(c, "tlsVersion", 10, &m) && th_jcur_type(m) == TH_JSTR) {
            th_str ver;
            if (!th_jcur_str(m, s->a, &ver))
                return false;
            got = !th_str_eqc(ver, "tlsVersion");
        }
        got = got && th_jcur_get(c, "clientProvidedHostHeader", 24, &m);
        if (!looked_up_copy(s, got, m, &val[D_SERVER_NAME]))
            return false;
    }
    if (docfields & BIT(D_TARGET_NAME)) { /* set_nonempty of requestParameters.userName */
        bool got = doc_member(s, DK_REQUEST, &c) && th_jcur_get(c, "userName", 8, &m);
        if (!looked_up_copy(s, got, m, &val[D_TARGET_NAME]))
            return false;
    }
    if (docfields & BIT(D_EV_CATEGORY)) { /* a rename of the top-level key */
        bool got = th_jcur_get(root, "eventCategory", 13, &c);
        if (!looked_up_copy(s, got, c, &val[D_EV_CATEGORY]))
            return false;
    }
    return true;
}

/* The values of a slot document's fields (val[i] NULL: none) before they
 * are placed: the slots' own values, the constants', s->made (the values
 * made here), the memo's user-agent name, or nodes in the slots' arena. */
typedef struct doc_vals {
    const th_jval **val; /* NDOC entries (th_ecs_slots_nodes: its nodes) */
    const th_jval *arn;  /* the one ARN of resources, NULL when none or several */
    uint64_t present;    /* the fields with a value */
} doc_vals;
enum { MADE_TS, MADE_OUTCOME, MADE_CHANGES, MADE_CRED };

/* An AS slot's value whose text is the ASN memo's (as_borrowed), copied
 * into the slots' arena. */
static const th_jval *as_copy(th_ecs_slots *s, const th_jval *v)
{
    th_jval *c = th_arena_alloc(s->a, sizeof *c);
    *c = (th_jval){.type = v->type, .u.str = memo_text(s->a, v->u.str.p, (uint8_t)v->u.str.n)};
    return c;
}

/* Whether decided field i's value v is its slot as it is: one value or
 * none, v the slot's own. Tested where each is decided: a loop over the
 * decided fields after the copied ones cost ~20 instructions a call more
 * (b100k with the pack, 80,894 calls: 1,351.16 -> 1,349.56 M). */
static inline bool exact_as_slot(const th_ecs_slots *s, size_t i, const th_jval *v)
{
    return s->slot[i].n <= 1 && v == s->slot[i].vals;
}

/* th_ecs_slots_doc's values (and s->walked); false where it gives NULL.
 * borrow: the values may keep the ASN memo's texts (th_ecs_slots_nodes of
 * one thread), else they are copied. */
static bool doc_values(th_ecs_slots *s, uint64_t docfields, int64_t timestamp_ms, bool copy,
                       bool borrow, doc_vals *d)
{
    /* only the entries of docfields are written, each where its value is
     * decided, and its bit of present with it: no reader reads another
     * (th_qknown's mask is docfields, the document's layout present). The
     * NDOC (40) entries cleared first and a last loop testing the values
     * left cost ~120 instructions a call (b100k with the pack: 80,894 calls,
     * doc_values 76.6 -> 66.8 M self) */
    const th_jval **val = d->val;
    th_jval *ts = &s->made[MADE_TS], *outcome = &s->made[MADE_OUTCOME],
            *changes = &s->made[MADE_CHANGES], *cred = &s->made[MADE_CRED];
    s->exact = 0;
    /* the decisions first: their inputs may be filled here (decision_str) */
    const th_jval *name = NULL, *id = NULL;
    uint64_t actor = docfields & (BIT(T_USER_NAME) | BIT(T_USER_ID));
    if (actor && !actor_values(s, actor, &name, &id))
        return false;
    th_str code, msg; /* event.outcome's: failure where either holds a text */
    if ((docfields & BIT(D_OUTCOME)) &&
        !(decision_str(s, T_ERROR_CODE, &code) && decision_str(s, T_ERROR_MESSAGE, &msg)))
        return false;
    uint64_t present = 0;
    /* the decided fields held as they are: where the decision took the
     * slot's one value or found none in an empty slot (vals: NULL exactly
     * where it holds none), each bit set where its value is decided */
    uint32_t decided_exact = 0;
    if (actor & BIT(T_USER_NAME)) {
        val[T_USER_NAME] = name;
        present |= (uint64_t)(name != NULL) << T_USER_NAME;
        decided_exact |= (uint32_t)exact_as_slot(s, T_USER_NAME, name) << T_USER_NAME;
    }
    if (actor & BIT(T_USER_ID)) {
        val[T_USER_ID] = id;
        present |= (uint64_t)(id != NULL) << T_USER_ID;
        decided_exact |= (uint32_t)exact_as_slot(s, T_USER_ID, id) << T_USER_ID;
    }
    if (docfields & BIT(T_ACCOUNT)) { /* the first of its sources, in the mapping's order */
        if (s->arrays >> T_ACCOUNT & 1)
            return false;
        const th_jval *account = NULL;
        for (size_t k = 0; k < 3 && !account; k++)
            account = path_value(s, T_ACCOUNT, k);
        val[T_ACCOUNT] = account;
        present |= (uint64_t)(account != NULL) << T_ACCOUNT;
        decided_exact |= (uint32_t)exact_as_slot(s, T_ACCOUNT, account) << T_ACCOUNT;
    }
    /* the other table fields: copied_value of each, with the arrays tested
     * at once (nearly every field of nearly every record holds one string) */
    uint64_t copied = docfields & (BIT(NTABLE) - 1) & ~(actor | BIT(T_ACCOUNT));
    if (copied & s->arrays)
        return false;
    for (uint64_t u = copied; u; u &= u - 1) {
        int i = __builtin_ctzll(u);
        const th_qslot *q = &s->slot[i];
        const th_jval *v = q->vals; /* NULL exactly where it holds none: val[i] as it is */
        const uint32_t n = q->n;
        if (n > 1 || (v && !v->u.str.n))
            return false;
        val[i] = v;
        present |= (uint64_t)n << i;
    }
    /* the slots the document holds as they are: the copied fields (one
     * value or none each, as tested above) and source.as.*; the decided
     * fields (user.name, user.id, cloud.account.id) where the decision took
     * the slot's one value or found none in an empty slot */
    uint32_t exact = (uint32_t)copied;
    /* whether the one address is one: slots_asn's memo knows it for the
     * addresses it remembers (set with the AS slots, for this record) */
    int ip_is = s->used >> SLOT_AS_NUMBER & 1 ? s->ip_is : 0;
    if ((copied & BIT(T_IP)) && val[T_IP] &&
        !(ip_is ? ip_is == 1 : th_ecs_is_ip(val[T_IP]->u.str))) {
        val[T_IP] = NULL; /* source.ip is the address only when it is one */
        present &= ~BIT(T_IP);
        exact &= ~(uint32_t)BIT(T_IP);
    }
    exact |= decided_exact;
    if (docfields & (BIT(D_AS) | BIT(D_AS + 1))) {
        const th_jval *ip; /* the ASN block of source.ip: its slots hold the same values */
        if (!copied_value(s, T_IP, &ip) || s->slot[SLOT_AS_NUMBER].n > 1 ||
            s->slot[SLOT_AS_ORG].n > 1)
            return false;
        /* the slots' vals: NULL exactly where they hold none */
        if (docfields & BIT(D_AS))
            val[D_AS] = s->slot[SLOT_AS_NUMBER].vals;
        if (docfields & BIT(D_AS + 1))
            val[D_AS + 1] = s->slot[SLOT_AS_ORG].vals;
        uint64_t as = docfields & (BIT(D_AS) | BIT(D_AS + 1));
        if (s->as_borrowed && !borrow) /* the memo's texts: a later record may take the entry */
            for (uint64_t u = as; u; u &= u - 1)
                if (val[__builtin_ctzll(u)])
                    val[__builtin_ctzll(u)] = as_copy(s, val[__builtin_ctzll(u)]);
        present |= (uint64_t)s->slot[SLOT_AS_NUMBER].n << D_AS & as;
        present |= (uint64_t)s->slot[SLOT_AS_ORG].n << (D_AS + 1) & as;
        exact |= (uint32_t)as;
    }
    /* as th_ecs_map adds them (a first look at the routed keys alone may
     * have left their slots empty); none without the data stream option */
    uint64_t consts = docfields & ((BIT(NCONST) - 1) << D_CONST);
    if (s->m->o.data_stream) {
        for (uint64_t u = consts; u; u &= u - 1)
            val[__builtin_ctzll(u)] = &const_val[__builtin_ctzll(u) - D_CONST];
        present |= consts;
    } else {
        for (uint64_t u = consts; u; u &= u - 1)
            val[__builtin_ctzll(u)] = NULL;
    }
    *ts = *outcome = *changes = (th_jval){.type = TH_JSTR};
    if (docfields & BIT(D_TIMESTAMP)) { /* the date processor's text of the time */
        ts->u.str = timestamp_text(s, timestamp_ms, borrow);
        val[D_TIMESTAMP] = ts;
        present |= BIT(D_TIMESTAMP);
    }
    if (docfields & BIT(D_OUTCOME)) {
        const th_jval *action;
        if (!copied_value(s, T_ACTION, &action) || (action && th_ecs_login_outcome(action->u.str)))
            return false;
        outcome->u.str = th_str_c(code.n || msg.n ? "failure" : "success");
        val[D_OUTCOME] = outcome;
        present |= BIT(D_OUTCOME);
    }
    th_jcur c = {0}; /* read only where found */
    if (docfields & BIT(D_CHANGES)) { /* set_nonempty of requestParameters.newUserName */
        th_jcur rp;
        bool got = false;
        if (doc_member(s, DK_REQUEST, &rp)) {
            if (s->escapes) /* keys compared decoded */
                got = th_jcur_get(rp, "newUserName", 11, &c);
            else /* raw keys are the decoded ones; the last duplicate wins, as th_jcur_get's */
                th_jcur_members_find(rp, &new_user_key, &c, &got);
        }
        if (!copied_string(s, got, c, changes))
            return false;
        val[D_CHANGES] = changes->u.str.n ? changes : NULL;
        present |= (uint64_t)(changes->u.str.n != 0) << D_CHANGES;
    }
    if (docfields & BIT(D_CONSOLE_CRED)) { /* a rename of the top-level key */
        bool got = doc_member(s, DK_CONSOLE_CRED, &c); /* before c is passed */
        if (!copied_string(s, got, c, cred))
            return false;
        val[D_CONSOLE_CRED] = cred->u.str.n ? cred : NULL;
        present |= (uint64_t)(cred->u.str.n != 0) << D_CONSOLE_CRED;
    }
    /* stringified: known only when there is none */
    if (docfields & BIT(D_RESPONSE)) {
        if (doc_member(s, DK_RESPONSE, &c) && th_jcur_type(c) != TH_JNULL)
            return false;
        val[D_RESPONSE] = NULL;
    }
    if (docfields & BIT(D_UA)) { /* the user-agent block of user_agent.original */
        th_ecs_slots_ua_now(s);
        if (s->used >> SLOT_UA_NAME & 1) { /* a gate's fill made it: slots_ua */
            val[D_UA] = s->slot[SLOT_UA_NAME].vals; /* NULL exactly where it holds none */
            exact |= (uint32_t)BIT(D_UA);
        } else {
            const th_jval *ua;
            if (!copied_value(s, T_UA, &ua))
                return false;
            val[D_UA] = ua ? ua_name(s, ua->u.str) : NULL;
        }
        present |= (uint64_t)(val[D_UA] != NULL) << D_UA;
    }
    if (docfields & BIT(D_GEO_CITY)) {
        /* geo() of source.ip, by the mapping's own lookup (th_geo_city, with
         * its per-thread cache): the one address, when it is one (ip_is 2:
         * slots_asn's memo knows it is not; th_ecs_geo_of tests the rest) */
        const th_jval *ip;
        if (!copied_value(s, T_IP, &ip))
            return false;
        const th_jval *city = NULL;
        if (ip && ip_is != 2)
            city = th_jobj_get(th_ecs_geo_of(s->m, s->a, ip->u.str), "city_name");
        val[D_GEO_CITY] = city;
        present |= (uint64_t)(city != NULL) << D_GEO_CITY;
    }
    th_jval *resources = NULL;
    const th_jval *arn = NULL;
    if (docfields & BIT(D_RESOURCES)) {
        if (!resources_value(s, copy, &resources, &arn))
            return false;
        val[D_RESOURCES] = resources;
        present |= (uint64_t)(resources != NULL) << D_RESOURCES;
    }
    d->arn = arn;
    if (docfields & BIT(D_CATEGORY)) { /* the per-action table's, as [category] */
        const th_jval *action;
        if (!copied_value(s, T_ACTION, &action))
            return false;
        const char *cat = action ? th_ecs_action_category(action->u.str) : NULL;
        th_jval *category = NULL;
        if (cat) {
            category = th_jnew_arr(s->a);
            th_jarr_push(s->a, category, th_jnew_cstr(s->a, cat)); /* static text */
        }
        val[D_CATEGORY] = category;
        present |= (uint64_t)(category != NULL) << D_CATEGORY;
    }
    if (docfields & LOOKED_UP) {
        for (uint64_t u = docfields & LOOKED_UP; u; u &= u - 1)
            val[__builtin_ctzll(u)] = NULL; /* looked_up_values writes the ones it finds */
        if (!looked_up_values(s, docfields, val))
            return false;
        for (uint64_t u = docfields & LOOKED_UP; u; u &= u - 1)
            present |= (uint64_t)(val[__builtin_ctzll(u)] != NULL) << __builtin_ctzll(u);
    }
    /* a field whose values are several nodes has none in nodes: a walk finds them */
    s->walked = resources && !arn ? BIT(D_RESOURCES) : 0;
    d->present = present;
    s->exact = exact;
    return true;
}

th_jval *th_ecs_slots_doc(th_ecs_slots *s, uint64_t docfields, int64_t timestamp_ms, bool copy,
                          const th_jval **nodes)
{
    const th_jval *val[NDOC];
    doc_vals d = {.val = val};
    if (!doc_values(s, docfields, timestamp_ms, copy, false, &d))
        return NULL;
    uint64_t present = d.present;
    const doc_layout *l = layout_of(s, present);
    /* the objects, their members and the fields' values in one block */
    th_jval *objs = th_arena_alloc(s->a, l->nobj * sizeof(th_jval) + l->nmem * sizeof(th_jmember) +
                                             l->nfield * sizeof(th_jval));
    th_jmember *mem = (th_jmember *)(objs + l->nobj);
    th_jval *x = (th_jval *)(mem + l->nmem);
    /* by the layout's lists, without a test per member: the objects, each
     * in its parent, then the fields' values in member order (b100k with the
     * pack: 17,777 documents of ~28 members, th_ecs_slots_doc 20.9 M self
     * when one loop over the members tested each for an object and each
     * field for a copy and for its node) */
    for (uint32_t j = 0; j < l->nobj; j++)
        objs[j] = (th_jval){.type = TH_JOBJ,
                            .len = l->room[j],
                            .cap = l->room[j],
                            .u.members = mem + l->first[j]};
    for (uint32_t j = 1; j < l->nobj; j++)
        mem[l->objat[j]] = (th_jmember){l->key[l->objat[j]], &objs[j]};
    if (nodes) {
        /* eight a memset, in line: vector stores, where GCC made the loop a
         * rep stosq of NDOC (40) words */
#pragma GCC unroll 8
        for (size_t i = 0; i < NDOC; i += 8)
            memset(&nodes[i], 0, (NDOC - i < 8 ? NDOC - i : 8) * sizeof *nodes);
    }
    for (uint32_t n = 0; n < l->nfield; n++) {
        const uint32_t k = l->fmem[n], f = l->ffield[n];
        x[n] = *val[f];
        mem[k] = (th_jmember){l->key[k], &x[n]};
        if (nodes)
            nodes[f] = &x[n];
    }
    /* strings copied where they must outlive the record (copy) or this call
     * (user_agent.name's, in the slots' memo); @timestamp's is in the slots'
     * arena already, and event.outcome's static */
    const uint64_t texts =
        copy ? present & ~(BIT(D_TIMESTAMP) | BIT(D_OUTCOME)) : present & BIT(D_UA);
    for (uint64_t u = texts; u; u &= u - 1) {
        th_jval *v = &x[l->xat[__builtin_ctzll(u)]];
        if (v->type == TH_JSTR)
            v->u.str = th_str_make(th_arena_strndup(s->a, v->u.str.p, v->u.str.n), v->u.str.n);
    }
    /* arrays: the one node below, which a walk finds */
    if (nodes && (present & BIT(D_RESOURCES)))
        nodes[D_RESOURCES] = d.arn;
    if (nodes && (present & BIT(D_CATEGORY)))
        nodes[D_CATEGORY] = x[l->xat[D_CATEGORY]].u.items[0];
    return objs;
}

bool th_ecs_slots_nodes(th_ecs_slots *s, uint64_t docfields, int64_t timestamp_ms, bool copy,
                        bool lasting, const th_jval **nodes)
{
    /* the values written straight into nodes: a value is a node as it is
     * but below the two arrays, where a walk finds the item */
    doc_vals d = {.val = nodes};
    if (!doc_values(s, docfields, timestamp_ms, copy, !copy && !lasting, &d) || s->walked)
        return false;
    const uint64_t below = BIT(D_RESOURCES) | BIT(D_CATEGORY);
    if (d.present & BIT(D_RESOURCES))
        nodes[D_RESOURCES] = d.arn; /* in the arena, its text copied when `copy` */
    if (d.present & BIT(D_CATEGORY))
        nodes[D_CATEGORY] = nodes[D_CATEGORY]->u.items[0]; /* in the arena, static text */
    if (!copy && !lasting)
        return true;
    /* the others made in the arena, as th_ecs_slots_doc makes them: every value
     * copied as it is, and with `copy` the strings but @timestamp's (in the
     * arena already) and event.outcome's (static); user_agent.name's always
     * (the memo's text is valid until its next call) */
    uint64_t made = d.present & ~below;
    th_jval *x = th_arena_alloc(s->a, ((size_t)__builtin_popcountll(made) + 1) * sizeof *x);
    uint64_t texts = copy ? made & ~(BIT(D_TIMESTAMP) | BIT(D_OUTCOME)) : made & BIT(D_UA);
    for (uint64_t u = made; u; u &= u - 1) {
        int f = __builtin_ctzll(u);
        *x = *nodes[f];
        if ((texts >> f & 1) && x->type == TH_JSTR)
            x->u.str = th_str_make(th_arena_strndup(s->a, x->u.str.p, x->u.str.n), x->u.str.n);
        nodes[f] = x++;
    }
    return true;
}
