/* Record classification for io/: one pass over the top-level keys, of a parsed
 * tree (th_io_classify) or of a loaded scanner (th_io_classify_scan), by the
 * same rules. */
#include <string.h>

#include "io/scan.h"
#include "json/jscan.h"
#include "json/json.h"

enum {
    HAS_TIMESTAMP = 1,
    HAS_EVENT = 2,
    HAS_CT_KEY = 4,
    HAS_DIGEST_START = 8,
    HAS_DIGEST_END = 16,
    HAS_RECORDS = 32,
    /* what key_bits gives for the keys whose bit depends on their value */
    EVENT_IF_OBJECT = 64,
    RECORDS_IF_ARRAY = 128,
};

static bool key_is(th_str k, const char *name, size_t n)
{
    return memcmp(k.p, name, n) == 0; /* k.n == n: the callers switch on it */
}

/* k: the decoded key. EVENT_IF_OBJECT and RECORDS_IF_ARRAY ask value_bits for
 * the type of the value, which only two keys need. */
static inline unsigned key_bits(th_str k)
{
    if (k.n >= 6 && memcmp(k.p, "event.", 6) == 0)
        return HAS_EVENT;
    switch (k.n) {
    case 5: return key_is(k, "event", 5) ? EVENT_IF_OBJECT : 0;
    case 7: return key_is(k, "Records", 7) ? RECORDS_IF_ARRAY : 0;
    case 9: return key_is(k, "eventTime", 9) || key_is(k, "eventName", 9) ? HAS_CT_KEY : 0;
    case 10: return key_is(k, "@timestamp", 10) ? HAS_TIMESTAMP : 0;
    case 11: return key_is(k, "eventSource", 11) ? HAS_CT_KEY : 0;
    case 12: return key_is(k, "eventVersion", 12) ? HAS_CT_KEY : 0;
    case 13: return key_is(k, "digestEndTime", 13) ? HAS_DIGEST_END : 0;
    case 15: return key_is(k, "digestStartTime", 15) ? HAS_DIGEST_START : 0;
    default: return 0;
    }
}

/* key_bits' answer b for a value of type t. */
static unsigned value_bits(unsigned b, th_jtype t)
{
    if (b == EVENT_IF_OBJECT)
        return t == TH_JOBJ ? HAS_EVENT : 0;
    if (b == RECORDS_IF_ARRAY)
        return t == TH_JARR ? HAS_RECORDS : 0;
    return b;
}

static th_io_class class_of(unsigned bits)
{
    /* ECS first: an exported CloudTrail record (Logstash adds @timestamp) has
     * no `event` object, while an ECS document never has raw CloudTrail keys. */
    if ((bits & HAS_TIMESTAMP) && (bits & HAS_EVENT))
        return TH_IO_ECS;
    if (bits & HAS_CT_KEY)
        return TH_IO_CLOUDTRAIL;
    if ((bits & HAS_DIGEST_START) && (bits & HAS_DIGEST_END))
        return TH_IO_DIGEST;
    if (bits & HAS_RECORDS)
        return TH_IO_CONTAINER;
    return TH_IO_OTHER;
}

th_io_class th_io_classify(const th_jval *v)
{
    if (!th_jis(v, TH_JOBJ))
        return TH_IO_OTHER;
    unsigned bits = 0;
    for (uint32_t i = 0; i < v->len; i++)
        bits |= value_bits(key_bits(v->u.members[i].key), v->u.members[i].val->type);
    return class_of(bits);
}

/* The first bytes of the keys key_bits looks at, and a backslash (an escaped
 * key decodes to anything). All of them lie in the second word of the
 * filter. */
static const uint64_t FIRST[4] = {0,
                                  (1ull << ('@' - 64)) | (1ull << ('R' - 64)) |
                                      (1ull << ('\\' - 64)) | (1ull << ('d' - 64)) |
                                      (1ull << ('e' - 64)),
                                  0, 0};
/* The first bytes of the keys that may decode to @timestamp
 * (th_jcur_members_after): its '@', and a backslash where the text has one. */
static const bool AT[256] = {['@'] = true};
static const bool AT_OR_ESCAPED[256] = {['@'] = true, ['\\'] = true};

typedef struct scan_ctx {
    th_arena *a;
    bool has_bs; /* the text holds a backslash (keys may need decoding) */
    bool whole;  /* the walk goes on to the end */
    bool ended;  /* scan_member ended the walk at `at` */
    unsigned bits;
    th_jcur at;
} scan_ctx;

/* For text with a backslash: the key k decoded if it has an escape;
 * TH_STR_NULL for a bad escape (the caller validated the text: never). Out
 * of line and returned by value, so that scan_member's common path keeps k
 * in registers and saves none for calls. */
static __attribute__((noinline)) th_str key_decoded(scan_ctx *c, th_jcur val, th_str k)
{
    if (k.p[0] != '\\' && !memchr(k.p, '\\', k.n))
        return k;
    th_str d;
    /* the key cursor is the one before its value */
    return th_jcur_str((th_jcur){val.s, val.i - 1}, c->a, &d) ? d : TH_STR_NULL;
}

static bool scan_member(void *ctx, th_str k, th_jcur val)
{
    scan_ctx *c = ctx;
    if (k.n < 5) /* every key of interest has 5+ bytes */
        return true;
    if (c->has_bs && !(k = key_decoded(c, val, k)).p)
        return true;
    unsigned b = key_bits(k);
    if (b & (EVENT_IF_OBJECT | RECORDS_IF_ARRAY))
        b = value_bits(b, th_jcur_type(val));
    c->bits |= b;
    /* A CloudTrail key seen and no @timestamp yet: the class is CloudTrail
     * unless an @timestamp follows (only then do `event` and `event.*` keys
     * count, and the others never do), so the walk ends here and
     * th_io_classify_scan asks only whether a later key starts as an
     * @timestamp may, walking again in full if one does. A CloudTrail
     * record's first key is mostly eventVersion: its other keys then cost
     * no call, nor the filter's test. */
    if ((c->bits & (HAS_CT_KEY | HAS_TIMESTAMP)) == HAS_CT_KEY && !c->whole) {
        c->ended = true;
        c->at = val;
        return false;
    }
    return true;
}

th_io_class th_io_classify_scan(th_jcur root, th_arena *a)
{
    /* not an object: the walk calls scan_member for nothing, bits stay 0,
     * which class_of makes TH_IO_OTHER */
    scan_ctx c = {a, th_jscan_has_backslash(root.s), false, false, 0, {NULL, 0}};
    th_jcur_members_first(root, FIRST, scan_member, &c);
    /* ended at a CloudTrail key: an escaped key that decodes to @timestamp
     * starts with a backslash, any other with its '@'; such a key after it
     * (rare: an exported record) has the `event` keys the walk passed over
     * decide between ECS and CloudTrail, so the walk is done again in full
     * (a key that starts so and is none: the same class, found slowly).
     * Neither byte anywhere in the text (stage 1 says so: 93% of b100k's
     * records): no such key, and no walk (th_jcur_members_after was 24.0 M
     * over b100k, ~240 instructions a record) */
    if (c.ended && (c.has_bs || th_jscan_has_at(root.s)) &&
        th_jcur_members_after(root, c.at, c.has_bs ? AT_OR_ESCAPED : AT)) {
        c.bits = 0;
        c.whole = true;
        th_jcur_members_first(root, FIRST, scan_member, &c);
    }
    return class_of(c.bits);
}
