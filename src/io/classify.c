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
};

/* k: the decoded key; t: the type of its value. */
static unsigned key_bits(th_str k, th_jtype t)
{
    if (k.n < 5)
        return 0;
    switch (k.p[0]) {
    case '@': return th_str_eqc(k, "@timestamp") ? HAS_TIMESTAMP : 0;
    case 'e':
        if (th_str_eqc(k, "event"))
            return t == TH_JOBJ ? HAS_EVENT : 0;
        if (th_str_starts(k, "event."))
            return HAS_EVENT;
        if (th_str_eqc(k, "eventVersion") || th_str_eqc(k, "eventTime") ||
            th_str_eqc(k, "eventSource") || th_str_eqc(k, "eventName"))
            return HAS_CT_KEY;
        return 0;
    case 'd':
        if (th_str_eqc(k, "digestStartTime"))
            return HAS_DIGEST_START;
        return th_str_eqc(k, "digestEndTime") ? HAS_DIGEST_END : 0;
    case 'R': return th_str_eqc(k, "Records") && t == TH_JARR ? HAS_RECORDS : 0;
    default: return 0;
    }
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
        bits |= key_bits(v->u.members[i].key, v->u.members[i].val->type);
    return class_of(bits);
}

typedef struct scan_ctx {
    th_arena *a;
    unsigned bits;
} scan_ctx;

static void scan_member(void *ctx, th_str k, th_jcur val)
{
    scan_ctx *c = ctx;
    if (k.n < 5) /* every key of interest has 5+ bytes */
        return;
    if (k.p[0] == '\\' || (th_jscan_has_backslash(val.s) && memchr(k.p, '\\', k.n))) {
        /* the key cursor is the one before its value */
        if (!th_jcur_str((th_jcur){val.s, val.i - 1}, c->a, &k))
            return; /* a bad escape: the caller validated the text, never here */
    }
    c->bits |= key_bits(k, th_jcur_type(val));
}

/* The first bytes of the keys key_bits looks at, and a backslash (an escaped
 * key decodes to anything). */
static const uint64_t FIRST[4] = {0,
                                  (1ull << ('@' - 64)) | (1ull << ('R' - 64)) |
                                      (1ull << ('\\' - 64)) | (1ull << ('d' - 64)) |
                                      (1ull << ('e' - 64)),
                                  0, 0};

th_io_class th_io_classify_scan(th_jcur root, th_arena *a)
{
    if (th_jcur_type(root) != TH_JOBJ)
        return TH_IO_OTHER;
    scan_ctx c = {a, 0};
    th_jcur_members_first(root, FIRST, scan_member, &c);
    return class_of(c.bits);
}
