/* Slots filled in steps (ecs/rawproj.h th_ecs_slots_fill) read as slots
 * filled at once. The pipeline fills a record's slots twice: the fields its
 * candidates' gates read, then those of the planned rules' slot document;
 * the second fill takes what the first found on its walk (the objects it
 * descended into are not walked again, the fields it filled are kept). For
 * every record of the corpus and of every emulated scenario, after either
 * first look, and for field sets split in two (each table field, then
 * every field and extra; each field after every other; random pairs of
 * sets), start + fill(A) + fill(B) must give what start + fill(A|B) gives:
 * both fail or neither, and every slot the same values (types and texts, in
 * order), with the same per-path counts and array bits (what the slot
 * document's builder reads). A second fill that skipped an object below one
 * walked before would miss its fields (userIdentity.sessionContext below
 * userIdentity), which this compares. */
#include "th_test.h"

#include "ecs_records.h"

#include "base/buf.h"
#include "ecs/mapper.h"
#include "ecs/mapper_int.h"
#include "ecs/rawproj.h"
#include "json/jscan.h"
#include "json/json.h"

typedef struct fx {
    const th_mapper *m;
    th_ecs_slots step, once; /* kept from record to record, as a worker's */
    uint64_t rng;
    uint64_t records, pairs, filled, slot_checks, diffs;
    uint64_t deep; /* pairs where the second fill reached an object below one the first walked */
} fx;

/* The slot's values as text: each value's type and JSON. */
static void slot_text(const th_qslot *q, th_buf *b)
{
    th_buf_clear(b);
    for (uint32_t k = 0; k < q->n; k++) {
        th_buf_putc(b, (char)('0' + q->vals[k].type));
        th_json_write(b, &q->vals[k]);
        th_buf_putc(b, '\n');
    }
}

/* Asserts that kept's slots equal fresh's: each slot's text, its values'
 * count per source path and its array bit. Returns how many of fresh's
 * slots came from an array. */
static size_t assert_slots_equal(const th_ecs_slots *kept, const th_ecs_slots *fresh)
{
    th_buf x, y;
    th_buf_init(&x);
    th_buf_init(&y);
    size_t arrays = 0;
    for (size_t i = 0; i < TH_ECS_NTABLE; i++) {
        slot_text(&kept->slot[i], &x);
        slot_text(&fresh->slot[i], &y);
        assert_int_equal(x.len, y.len);
        assert_true(x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
        assert_memory_equal(kept->npath[i], fresh->npath[i], sizeof kept->npath[i]);
        assert_int_equal(kept->arrays >> i & 1, fresh->arrays >> i & 1);
        arrays += fresh->arrays >> i & 1;
    }
    th_buf_free(&x);
    th_buf_free(&y);
    return arrays;
}

/* The table fields with a source path under `prefix`. */
static uint32_t fields_under(const char *prefix)
{
    uint32_t bits = 0;
    for (size_t i = 0; th_ecs_raw_field_at(i); i++) {
        const char *const *paths;
        size_t n = th_ecs_raw_sources(th_str_c(th_ecs_raw_field_at(i)), &paths);
        for (size_t k = 0; k < n; k++)
            if (strncmp(paths[k], prefix, strlen(prefix)) == 0)
                bits |= 1u << i;
    }
    return bits;
}

/* The numbers th_ecs_slots_ident gave (any th_ecs_slots), each with the
 * text of the slots it stood for: a number met again must stand for the
 * same slots holding the same values. */
typedef struct ident_seen {
    uint64_t num[1024];
    char *text[1024];
    size_t n, again;
} ident_seen;

static void check_ident(ident_seen *t, const th_ecs_slots *s, uint32_t read)
{
    uint64_t slots = 0;
    const uint64_t num = th_ecs_slots_ident(s, read, &slots);
    if (!num)
        return;
    th_buf all, one;
    th_buf_init(&all);
    th_buf_init(&one);
    for (uint64_t u = slots; u; u &= u - 1) {
        const int i = __builtin_ctzll(u);
        slot_text(&s->slot[i], &one);
        th_buf_putstr(&all, th_buf_str(&one));
        th_buf_putc(&all, (char)('A' + i)); /* the slot's number, after its values */
    }
    th_buf_putc(&all, '\0');
    size_t k = 0;
    while (k < t->n && t->num[k] != num)
        k++;
    if (k < t->n) {
        assert_string_equal(t->text[k], all.data);
        t->again++;
    } else {
        assert_true(t->n < sizeof t->num / sizeof t->num[0]);
        t->num[t->n] = num;
        t->text[t->n++] = strdup(all.data);
    }
    th_buf_free(&all);
    th_buf_free(&one);
}

/* What a fill asked for the computed source.as.* must ask with them: the
 * address they are computed from (th_ecs_raw_need adds it, as every caller
 * does). */
static uint32_t with_inputs(uint32_t fields, unsigned extras)
{
    if (extras & TH_PROJ_ASN)
        for (size_t i = 0; th_ecs_raw_field_at(i); i++)
            if (strcmp(th_ecs_raw_field_at(i), "source.ip") == 0)
                fields |= 1u << i;
    return fields;
}

static void check_pair(fx *f, th_arena *a, const th_jscan *scan, int look, uint32_t fa, unsigned ea,
                       uint32_t fb, unsigned eb)
{
    fa = with_inputs(fa, ea);
    fb = with_inputs(fb, eb);
    unsigned flags = look ? TH_PROJ_ROUTING | TH_PROJ_NO_CONSTANTS : 0;
    int64_t ts, ing;
    bool timed;
    if (!th_ecs_slots_start(f->m, a, scan, flags, &f->step, &ts, &ing, &timed))
        return;
    bool step = th_ecs_slots_fill(&f->step, ea, fa) && th_ecs_slots_fill(&f->step, eb, fb);
    assert_true(th_ecs_slots_start(f->m, a, scan, flags, &f->once, &ts, &ing, &timed));
    bool once = th_ecs_slots_fill(&f->once, ea | eb, fa | fb);
    f->pairs++;
    if (step != once) {
        if (f->diffs++ < 10)
            print_message("FILL: fields %x then %x %s, at once %s (look %d)\n", fa, fb,
                          step ? "filled" : "failed", once ? "filled" : "failed", look);
        return;
    }
    if (!step)
        return;
    f->filled++;
    /* the first fill walked userIdentity but not the session below it,
     * which the second reads */
    uint32_t session = fields_under("userIdentity.sessionContext.");
    if ((fa & fields_under("userIdentity.") & ~session) && !(fa & session) && (fb & session))
        f->deep++;
    th_buf x, y;
    th_buf_init(&x);
    th_buf_init(&y);
    for (size_t i = 0; th_ecs_slot_field(i); i++) {
        slot_text(&f->step.slot[i], &x);
        slot_text(&f->once.slot[i], &y);
        bool same = x.len == y.len && (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
        if (same && i < TH_ECS_NTABLE && (fa | fb) >> i & 1)
            same = memcmp(f->step.npath[i], f->once.npath[i], sizeof f->step.npath[i]) == 0 &&
                   (f->step.arrays >> i & 1) == (f->once.arrays >> i & 1);
        f->slot_checks++;
        if (!same && f->diffs++ < 10)
            print_message("FILL: fields %x then %x, slot %s: in steps [%.*s], at once [%.*s] "
                          "(look %d)\n",
                          fa, fb, th_ecs_slot_field(i), (int)x.len, x.data ? x.data : "",
                          (int)y.len, y.data ? y.data : "", look);
    }
    th_buf_free(&x);
    th_buf_free(&y);
}

static void on_record(void *ctx, const th_record *rec)
{
    fx *f = ctx;
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_jscan *scan = th_jscan_new();
    assert_true(th_jscan_load(scan, rec->text.p, rec->text.n, NULL));
    const uint32_t all = (1u << TH_ECS_NTABLE) - 1;
    for (int look = 0; look < 2; look++) {
        for (size_t i = 0; i < TH_ECS_NTABLE; i++) {
            check_pair(f, &a, scan, look, 1u << i, 0, all, TH_PROJ_ALL);
            check_pair(f, &a, scan, look, all & ~(1u << i), TH_PROJ_ALL, 1u << i, 0);
        }
        for (int k = 0; k < 8; k++) {
            uint64_t r = th_test_xorshift(&f->rng);
            check_pair(f, &a, scan, look, (uint32_t)r & all, (unsigned)(r >> 40) & TH_PROJ_ALL,
                       (uint32_t)(r >> 20) & all, (unsigned)(r >> 42) & TH_PROJ_ALL);
        }
    }
    f->records++;
    th_jscan_free(scan);
    th_arena_free(&a);
}

/* A mapper of the default options, with asn_db as its ASN data where given,
 * its messages into d (initialised here) */
static th_mapper *mapper_of(th_diags *d, const char *asn_db)
{
    th_diags_init(d);
    th_mapper_opts mo;
    th_mapper_opts_default(&mo);
    if (asn_db)
        mo.geoip_asn_db = asn_db;
    th_mapper *m = th_mapper_new(&mo, d);
    assert_non_null(m);
    return m;
}

static void test_slotfill(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    th_diags d;
    th_diags_init(&d);
    th_mapper *m = ecs_test_mapper(corpus, &d);
    assert_non_null(m);
    fx f = {.m = m, .rng = 0x9e3779b97f4a7c15ull};
    th_ecs_slots_init(&f.step);
    th_ecs_slots_init(&f.once);
    assert_true(fields_under("userIdentity.sessionContext.") != 0);
    ecs_each_corpus(corpus, on_record, &f);
    ecs_each_emulated(on_record, &f);
    print_message("RATE: slots filled in two steps equal one fill on %llu/%llu (record, split, "
                  "slot) checks (%llu records, %llu splits filled of %llu, %llu reaching below "
                  "an object the first fill walked)\n",
                  (unsigned long long)(f.slot_checks - f.diffs), (unsigned long long)f.slot_checks,
                  (unsigned long long)f.records, (unsigned long long)f.filled,
                  (unsigned long long)f.pairs, (unsigned long long)f.deep);
    assert_int_equal(f.diffs, 0);
    assert_true(f.records > 1000);
    assert_true(f.filled * 10 > f.pairs * 8); /* not vacuous: most records fill */
    assert_true(f.deep > 1000);
    th_ecs_slots_free(&f.step);
    th_ecs_slots_free(&f.once);
    th_mapper_free(m);
    th_diags_free(&d);
}

/* What a fill writes of a field does not depend on the records before it:
 * the slots reused from record to record (a worker's) against fresh ones,
 * over hand-made records whose copied fields hold arrays, strings, nulls
 * or nothing, in every order and with the fields asked for at once, then
 * one at a time. The array bits (th_ecs_slots.arrays: the slot document
 * takes a field's one value only where no source path held an array) are
 * cleared for each field a fill gathers: a bit kept from an earlier
 * record's array would only cost a mapping, which no output shows, so this
 * compares the bits themselves. */
static void test_slotfill_history(void **state)
{
    (void)state;
    th_diags d;
    th_mapper *m = mapper_of(&d, NULL);
    static const char *const recs[] = {
        "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
        "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":[\"IAMUser\","
        "\"Root\"],\"accountId\":[\"1\",[\"2\"]],\"userName\":[\"a\"],"
        "\"sessionContext\":{\"sessionIssuer\":{\"arn\":[\"x\"],\"userName\":[\"b\"]}}},"
        "\"recipientAccountId\":\"3\",\"sourceIPAddress\":[\"1.2.3.4\"],\"userAgent\":"
        "[\"u\",null],\"errorCode\":[\"e\"],\"awsRegion\":[]}",
        "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
        "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"IAMUser\","
        "\"accountId\":\"1\",\"userName\":\"a\",\"sessionContext\":{\"sessionIssuer\":"
        "{\"arn\":\"x\",\"userName\":\"b\"}}},\"recipientAccountId\":\"3\","
        "\"sourceIPAddress\":\"1.2.3.4\",\"userAgent\":\"u\",\"errorCode\":\"e\","
        "\"awsRegion\":\"r\"}",
        "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
        "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":null,"
        "\"accountId\":null},\"sourceIPAddress\":null,\"errorCode\":null}",
    };
    const size_t nrecs = sizeof recs / sizeof recs[0];
    static const int orders[][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
    const uint32_t all = (1u << TH_ECS_NTABLE) - 1;
    th_ecs_slots kept;
    th_ecs_slots_init(&kept);
    size_t checks = 0, with_arrays = 0;
    for (size_t o = 0; o < sizeof orders / sizeof orders[0]; o++) {
        for (int split = 0; split < 2; split++) {
            for (int round = 0; round < 2; round++) {
                for (size_t r = 0; r < nrecs; r++) {
                    const char *rec = recs[orders[o][r]];
                    th_arena a;
                    th_arena_init(&a, 1 << 12);
                    th_jscan *scan = th_jscan_new();
                    assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
                    th_ecs_slots fresh;
                    th_ecs_slots_init(&fresh);
                    int64_t ts, ing;
                    bool timed;
                    assert_true(th_ecs_slots_start(m, &a, scan, 0, &kept, &ts, &ing, &timed));
                    assert_true(th_ecs_slots_start(m, &a, scan, 0, &fresh, &ts, &ing, &timed));
                    bool ok1 = true;
                    if (split) {
                        for (size_t i = 0; i < TH_ECS_NTABLE && ok1; i++)
                            ok1 = th_ecs_slots_fill(&kept, 0, 1u << i);
                    } else {
                        ok1 = th_ecs_slots_fill(&kept, 0, all);
                    }
                    bool ok2 = th_ecs_slots_fill(&fresh, 0, all);
                    assert_int_equal(ok1, ok2);
                    assert_true(ok1);
                    with_arrays += assert_slots_equal(&kept, &fresh);
                    checks += TH_ECS_NTABLE;
                    th_ecs_slots_free(&fresh);
                    th_jscan_free(scan);
                    th_arena_free(&a);
                }
            }
        }
    }
    assert_true(with_arrays > 0 && with_arrays < checks); /* not vacuous */
    th_ecs_slots_free(&kept);
    th_mapper_free(m);
    th_diags_free(&d);
}

/* The walks of userIdentity remembered by its text (rawproj.c walk_memo)
 * read as walks: slots kept from record to record against fresh ones, over
 * records whose userIdentity is one seen before at another offset, differs
 * from one seen in a byte (the same length, so the same set of entries),
 * holds a key twice (the last one wins), holds the sessionContext as no
 * object, or is no object; and more texts of one length than a set holds,
 * in turn, so that entries are replaced. */
static void test_slotfill_walk_memo(void **state)
{
    (void)state;
    th_diags d;
    th_mapper *m = mapper_of(&d, NULL);
    static const char *const heads[] = {
        "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",",
        "{\"eventName\":\"ListBuckets\",\"awsRegion\":\"eu-west-1\",\"requestParameters\":"
        "{\"a\":{\"b\":[1,2,{\"c\":\"d\"}]}},\"eventSource\":\"iam.amazonaws.com\",",
        /* user.name's and cloud.account.id's paths outside userIdentity */
        "{\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\","
        "\"additionalEventData\":{\"UserName\":\"carol\"},\"recipientAccountId\":\"2\",",
    };
    static const char *const idents[] = {
        "{\"type\":\"AssumedRole\",\"principalId\":\"AROA1:i-1\",\"arn\":\"arn:x\","
        "\"accountId\":\"1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
        "\"arn\":\"arn:r\",\"userName\":\"role-a\"},\"attributes\":{\"m\":\"f\"}}}",
        "{\"type\":\"AssumedRole\",\"principalId\":\"AROA1:i-1\",\"arn\":\"arn:x\","
        "\"accountId\":\"1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
        "\"arn\":\"arn:r\",\"userName\":\"role-b\"},\"attributes\":{\"m\":\"f\"}}}",
        "{\"type\":\"AssumedRole\",\"principalId\":\"AROA2:i-1\",\"arn\":\"arn:x\","
        "\"accountId\":\"1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
        "\"arn\":\"arn:r\",\"userName\":\"role-a\"},\"attributes\":{\"m\":\"f\"}}}",
        "{\"type\":\"AssumedRole\",\"principalId\":\"AROA3:i-1\",\"arn\":\"arn:x\","
        "\"accountId\":\"1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
        "\"arn\":\"arn:r\",\"userName\":\"role-a\"},\"attributes\":{\"m\":\"f\"}}}",
        "{\"type\":\"AssumedRole\",\"principalId\":\"AROA4:i-1\",\"arn\":\"arn:x\","
        "\"accountId\":\"1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
        "\"arn\":\"arn:r\",\"userName\":\"role-a\"},\"attributes\":{\"m\":\"f\"}}}",
        "{\"type\":\"AssumedRole\",\"principalId\":\"AROA5:i-1\",\"arn\":\"arn:x\","
        "\"accountId\":\"1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
        "\"arn\":\"arn:r\",\"userName\":\"role-a\"},\"attributes\":{\"m\":\"f\"}}}",
        "{\"type\":\"IAMUser\",\"userName\":\"alice\",\"accountId\":\"1\","
        "\"userName\":\"bob\",\"onBehalfOf\":{\"userId\":\"u-1\"}}",
        "{\"type\":\"IAMUser\",\"userName\":\"alice\",\"sessionContext\":\"none\"}",
        "{\"type\":\"Root\",\"sessionContext\":{\"sessionIssuer\":[\"x\"]}}",
        "\"no object\"",
        "{}",
    };
    const size_t nheads = sizeof heads / sizeof heads[0];
    const size_t nidents = sizeof idents / sizeof idents[0];
    const uint32_t all = (1u << TH_ECS_NTABLE) - 1;
    size_t user_name = 0; /* its second path: the session issuer's name */
    while (strcmp(th_ecs_raw_field_at(user_name), "user.name") != 0)
        user_name++;
    th_ecs_slots kept;
    th_ecs_slots_init(&kept);
    uint64_t rng = 0x2545f4914f6cdd1dull;
    size_t checks = 0, with_issuer = 0;
    ident_seen seen = {.n = 0};
    for (int r = 0; r < 400; r++) {
        uint64_t x = th_test_xorshift(&rng);
        char rec[1024];
        snprintf(rec, sizeof rec, "%s\"userIdentity\":%s,\"eventTime\":\"2024-01-01T00:00:00Z\"}",
                 heads[x % nheads], idents[(x >> 8) % nidents]);
        th_arena a;
        th_arena_init(&a, 1 << 12);
        th_jscan *scan = th_jscan_new();
        assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
        th_ecs_slots fresh;
        th_ecs_slots_init(&fresh);
        int64_t ts, ing;
        bool timed;
        assert_true(th_ecs_slots_start(m, &a, scan, 0, &kept, &ts, &ing, &timed));
        assert_true(th_ecs_slots_start(m, &a, scan, 0, &fresh, &ts, &ing, &timed));
        /* the first fill in parts (userIdentity's own fields first) half the time */
        bool ok1 = !(x >> 20 & 1) || th_ecs_slots_fill(&kept, 0, (uint32_t)(x >> 24) & all);
        ok1 = ok1 && th_ecs_slots_fill(&kept, 0, all);
        bool ok2 = th_ecs_slots_fill(&fresh, 0, all);
        assert_int_equal(ok1, ok2);
        if (ok1) {
            assert_slots_equal(&kept, &fresh);
            checks += TH_ECS_NTABLE;
            check_ident(&seen, &kept, all);
            check_ident(&seen, &fresh, all);
        }
        /* not vacuous: the issuer's name below two objects read */
        with_issuer += ok1 && fresh.npath[user_name][1] > 0;
        th_ecs_slots_free(&fresh);
        th_jscan_free(scan);
        th_arena_free(&a);
    }
    assert_true(checks > 1000);
    assert_true(with_issuer > 100);
    /* the kept slots' memo gave texts their numbers again */
    assert_true(seen.again > 100);
    for (size_t k = 0; k < seen.n; k++)
        free(seen.text[k]);
    th_ecs_slots_free(&kept);
    th_mapper_free(m);
    th_diags_free(&d);
}

/* The walk memo's probes (rawproj.c walk_probe): texts of one length, as
 * many as a set holds, that differ in the first bytes, in the middle or in
 * the bytes after the last whole word (the last word then probed), seen in
 * turn at two offsets: each must be found again every time (its number the
 * same as at first), with the slots those of a fresh walk. A probe that
 * rejects the text it was made for (its word read at another offset, or
 * one entry's probe moved without its word) gives new numbers. */
static void test_slotfill_walk_probe(void **state)
{
    (void)state;
    th_diags d;
    th_mapper *m = mapper_of(&d, NULL);
    static const char *const heads[] = {
        "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",",
        "{\"eventName\":\"ListBuckets\",\"eventSource\":\"iam.amazonaws.com\",",
    };
#define PROBE_IDENT(pid, user, tail)                                                                \
    "{\"type\":\"AssumedRole\",\"principalId\":\"" pid "\",\"arn\":\"arn:x\",\"accountId\":\"1\","       \
    "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"arn\":\"arn:r\",\"userName\":\"" user  \
    "\"},\"attributes\":{\"m\":" tail
    static const char *const idents[] = {
        PROBE_IDENT("AROA1:i-1", "role-a", "\"ff\"}}}"),
        PROBE_IDENT("AROA2:i-1", "role-a", "\"ff\"}}}"),
        PROBE_IDENT("AROA1:i-1", "role-a", "\"f\"} }}"),
        PROBE_IDENT("AROA1:i-1", "role-a", "\"f\"}} }"),
    };
#undef PROBE_IDENT
    const size_t nidents = sizeof idents / sizeof idents[0];
    for (size_t i = 1; i < nidents; i++)
        assert_int_equal(strlen(idents[i]), strlen(idents[0]));
    const uint32_t all = (1u << TH_ECS_NTABLE) - 1;
    th_ecs_slots kept;
    th_ecs_slots_init(&kept);
    uint64_t num[4] = {0}, rng = 0x9e3779b97f4a7c15ull;
    size_t again = 0;
    for (int r = 0; r < 200; r++) {
        uint64_t x = th_test_xorshift(&rng);
        const size_t id = (x >> 8) % nidents;
        char rec[1024];
        snprintf(rec, sizeof rec, "%s\"userIdentity\":%s,\"eventTime\":\"2024-01-01T00:00:00Z\"}",
                 heads[x % 2], idents[id]);
        th_arena a;
        th_arena_init(&a, 1 << 12);
        th_jscan *scan = th_jscan_new();
        assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
        th_ecs_slots fresh;
        th_ecs_slots_init(&fresh);
        int64_t ts, ing;
        bool timed;
        assert_true(th_ecs_slots_start(m, &a, scan, 0, &kept, &ts, &ing, &timed));
        assert_true(th_ecs_slots_start(m, &a, scan, 0, &fresh, &ts, &ing, &timed));
        assert_true(th_ecs_slots_fill(&kept, 0, all));
        assert_true(th_ecs_slots_fill(&fresh, 0, all));
        assert_slots_equal(&kept, &fresh);
        uint64_t slots = 0;
        const uint64_t n = th_ecs_slots_ident(&kept, all, &slots);
        assert_true(n != 0);
        if (num[id]) {
            assert_true(n == num[id]);
            again++;
        }
        num[id] = n;
        th_ecs_slots_free(&fresh);
        th_jscan_free(scan);
        th_arena_free(&a);
    }
    assert_true(again > 150);
    for (size_t i = 0; i < nidents; i++)
        for (size_t j = 0; j < i; j++)
            assert_true(num[i] != num[j]);
    th_ecs_slots_free(&kept);
    th_mapper_free(m);
    th_diags_free(&d);
}

/* The subtree slot (requestParameters, TH_PROJ_TREES): the fill prunes the
 * tree it builds where it is (th_ecs_prune_own), which must give what the
 * pruned copy of the record's DOM gives (th_ecs_prune): nulls, empty
 * strings, "-" and "none" dropped at every depth, containers left empty
 * dropped, a duplicate key's last value kept in its first place; over
 * slots kept from record to record (one arena each), so that no tree is
 * read after its record. */
static void test_slotfill_tree_pruned(void **state)
{
    (void)state;
    th_diags d;
    th_mapper *m = mapper_of(&d, NULL);
    static const char *const params[] = {
        "{\"a\":null,\"b\":\"\",\"c\":\"-\",\"d\":\"none\",\"e\":\"x\",\"a\":\"y\"}",
        "{\"f\":{\"g\":null,\"h\":[null,\"\",1,{\"i\":\"\"},[]]},\"j\":[],\"k\":{}}",
        "{\"k\":{\"l\":[{\"m\":\"n\",\"m\":null},{\"o\":[\"p\",\"-\"]}]},\"q\":true}",
        "{\"r\":null,\"s\":[null],\"t\":{\"u\":\"none\"}}",
        "{\"v\":\"w\",\"x\":{\"y\":\"1\",\"z\":\"2\",\"y\":\"3\"},\"v\":\"\"}",
        /* a later duplicate that prunes to nothing drops its key; scalars kept */
        "{\"a\":{\"b\":\"c\"},\"d\":false,\"a\":{\"e\":null},\"f\":-1.5e3,\"g\":0}",
        /* the subtree itself a scalar: kept, or dropped */
        "\"x\"",
        "\"-\"",
        "null",
        "[]",
        /* more keys than a scan takes (th_ecs_prune hashes them): built, then pruned */
        "[{\"k0\":1,\"k1\":2,\"k2\":3,\"k3\":4,\"k4\":5,\"k5\":6,\"k6\":7,\"k7\":8,\"k8\":9,"
        "\"k9\":10,\"ka\":11,\"kb\":12,\"kc\":13,\"kd\":14,\"ke\":15,\"kf\":16,\"k0\":null}]",
        /* a backslash, and a high byte, in the record: strings decoded and checked */
        "{\"q\\\"r\":\"s\\\\t\",\"u\":\"\"}",
        "{\"caf\xc3\xa9\":\"\xc3\xa9t\xc3\xa9\",\"n\":null}",
    };
    const size_t tree = TH_ECS_NSLOTS - 1; /* the one subtree's slot, the last */
    assert_non_null(th_ecs_raw_tree_at(0));
    assert_null(th_ecs_raw_tree_at(1));
    th_ecs_slots kept;
    th_ecs_slots_init(&kept);
    th_buf got, want;
    th_buf_init(&got);
    th_buf_init(&want);
    size_t empty = 0;
    const int nparams = (int)(sizeof params / sizeof params[0]);
    for (int r = 0; r < 3 * nparams; r++) {
        const char *rp = params[r % (sizeof params / sizeof params[0])];
        char rec[1024];
        snprintf(rec, sizeof rec,
                 "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
                 "\"requestParameters\":%s,\"eventTime\":\"2024-01-01T00:00:00Z\"}",
                 rp);
        th_arena a;
        th_arena_init(&a, 1 << 12);
        th_jscan *scan = th_jscan_new();
        assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
        int64_t ts, ing;
        bool timed;
        assert_true(th_ecs_slots_start(m, &a, scan, 0, &kept, &ts, &ing, &timed));
        assert_true(th_ecs_slots_fill(&kept, TH_PROJ_TREES, 0));
        slot_text(&kept.slot[tree], &got);
        th_json_error err;
        const th_jval *dom = th_json_parse(&a, rp, strlen(rp), &err);
        assert_non_null(dom);
        const th_jval *pruned = th_ecs_prune(&a, dom, true);
        th_buf_clear(&want);
        if (pruned) {
            th_buf_putc(&want, (char)('0' + pruned->type));
            th_json_write(&want, pruned);
            th_buf_putc(&want, '\n');
        } else {
            empty++;
        }
        th_buf_putc(&got, '\0');
        th_buf_putc(&want, '\0');
        assert_string_equal(got.data, want.data);
        th_jscan_free(scan);
        th_arena_free(&a);
    }
    assert_int_equal(empty, 3 * 4); /* "-", null, [] and the fourth object prune to nothing */
    th_buf_free(&got);
    th_buf_free(&want);
    th_ecs_slots_free(&kept);
    th_mapper_free(m);
    th_diags_free(&d);
}

/* The AS slots as a function of source.ip's values (rawproj.h
 * th_ecs_slots_asn): over records of addresses (remembered by the ASN memo
 * or not, several at once, text that is no address, none), filled through
 * one th_ecs_slots record after record, the AS slots' texts must be the
 * same wherever source.ip's are; and no AS slot is named where `read`
 * lacks source.ip, or where they were filled before source.ip (a fill of
 * the AS extras alone, then the address: their values are then not its). */
static void test_slotfill_asn_of_ip(void **state)
{
    (void)state;
    char asn[4200]; /* the ASN table `make` builds */
    const char *asn_db = th_mapper_default_asn_path(asn, sizeof asn);
    assert_non_null(asn_db);
    th_diags d;
    th_mapper *m = mapper_of(&d, asn_db);
    static const char *const ips[] = {
        "\"1.0.0.1\"",
        "\"8.8.8.8\"",
        "\"54.225.28.213\"",
        "\"2001:db8::1\"",
        "\"ec2.amazonaws.com\"",
        "[\"8.8.8.8\",\"3.111.14.172\"]",
        "[\"1.0.0.1\",\"1.0.0.1\"]",
        "\"\"",
        "7",
    };
    const size_t nips = sizeof ips / sizeof ips[0];
    uint32_t ip_bit = 0;
    while (strcmp(th_ecs_raw_field_at(ip_bit), "source.ip") != 0)
        ip_bit++;
    const uint32_t all = (1u << TH_ECS_NTABLE) - 1, ip = 1u << ip_bit;
    const uint64_t as =
        (uint64_t)1 << th_ecs_slot_of(th_str_c("source.as.number"), &(th_str){0}) |
        (uint64_t)1 << th_ecs_slot_of(th_str_c("source.as.organization.name"), &(th_str){0});
    th_ecs_slots s;
    th_ecs_slots_init(&s);
    char *ip_text[sizeof ips / sizeof ips[0]] = {0}, *as_text[sizeof ips / sizeof ips[0]] = {0};
    uint64_t rng = 0x9e3779b97f4a7c15ull;
    size_t named = 0, with_values = 0;
    for (int r = 0; r < 300; r++) {
        const uint64_t x = th_test_xorshift(&rng);
        const size_t k = x % nips;
        char rec[256];
        snprintf(rec, sizeof rec,
                 "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
                 "\"sourceIPAddress\":%s,\"eventTime\":\"2024-01-01T00:00:00Z\"}",
                 ips[k]);
        th_arena a;
        th_arena_init(&a, 1 << 12);
        th_jscan *scan = th_jscan_new();
        assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
        int64_t ts, ing;
        bool timed;
        assert_true(th_ecs_slots_start(m, &a, scan, 0, &s, &ts, &ing, &timed));
        const bool late = x >> 16 & 1; /* the AS slots before the address */
        if (late) {
            if (th_ecs_slots_fill(&s, TH_PROJ_ASN, all & ~ip) && th_ecs_slots_fill(&s, 0, all))
                assert_int_equal(th_ecs_slots_asn(&s, ip | as), 0);
        } else if (th_ecs_slots_fill(&s, TH_PROJ_ASN, all)) {
            assert_int_equal(th_ecs_slots_asn(&s, as), 0);
            const uint64_t got = th_ecs_slots_asn(&s, ip | as);
            if (got) {
                assert_int_equal(got, as);
                th_buf b, c, one; /* slot_text clears its buffer */
                th_buf_init(&b);
                th_buf_init(&c);
                th_buf_init(&one);
                slot_text(&s.slot[ip_bit], &b);
                for (uint64_t u = as; u; u &= u - 1) {
                    slot_text(&s.slot[__builtin_ctzll(u)], &one);
                    th_buf_putstr(&c, th_buf_str(&one));
                    th_buf_putc(&c, '|');
                }
                th_buf_free(&one);
                th_buf_putc(&b, '\0');
                th_buf_putc(&c, '\0');
                if (ip_text[k]) {
                    assert_string_equal(ip_text[k], b.data);
                    assert_string_equal(as_text[k], c.data);
                } else {
                    ip_text[k] = strdup(b.data);
                    as_text[k] = strdup(c.data);
                }
                named++;
                with_values += s.slot[__builtin_ctzll(as)].n > 0;
                th_buf_free(&b);
                th_buf_free(&c);
            }
        }
        th_jscan_free(scan);
        th_arena_free(&a);
    }
    /* not vacuous: most records named them, some with an AS found */
    assert_true(named > 100);
    assert_true(with_values > 10);
    for (size_t k = 0; k < nips; k++) {
        free(ip_text[k]);
        free(as_text[k]);
    }
    th_ecs_slots_free(&s);
    th_mapper_free(m);
    th_diags_free(&d);
}

/* The routed slots' number (rawproj.h th_ecs_slots_routed): over records
 * of providers and actions (none, empty, alike in length and in their
 * first and last eight bytes, escaped, longer than a number takes, an
 * array, a number), started through one th_ecs_slots record after record,
 * two records of one number must hold the same texts in the routed slots,
 * and records of the same texts get one number while it is remembered;
 * no number stands for a slot outside TH_ECS_ROUTED_SLOTS. */
static void test_slotfill_routed_number(void **state)
{
    (void)state;
    th_diags d;
    th_mapper *m = mapper_of(&d, NULL);
    static const char *const sources[] = {
        "",
        "\"eventSource\":\"s3.amazonaws.com\",",
        "\"eventSource\":\"sts.amazonaws.com\",",
        "\"eventSource\":\"sts.amazonaws.con\",",
        "\"eventSource\":\"stz.amazonaws.com\",",
        "\"eventSource\":\"sts.amazXnaws.com\",", /* sts.amazonaws.com but its middle byte */
        "\"eventSource\":\"\",",
        "\"eventSource\":\"iam.amazon\\u0061ws.com\",",
    };
    static const char *const actions[] = {
        "",
        "\"eventName\":\"GetObject\",",
        "\"eventName\":\"PutObject\",",
        "\"eventName\":\"GetObjectAcl\",",
        "\"eventName\":\"AB\",",
        "\"eventName\":\"ABC\",",
        "\"eventName\":\"Decrypt\",",
        "\"eventName\":\"Decrypts\",",
        "\"eventName\":\"ListBucketsAndSomethingLongerThanFortyEightBytes1\",",
        "\"eventName\":[\"GetObject\"],",
        "\"eventName\":7,",
    };
    const size_t ns = sizeof sources / sizeof sources[0], na = sizeof actions / sizeof actions[0];
    th_ecs_slots s;
    th_ecs_slots_init(&s);
    uint64_t num_of[sizeof sources / sizeof sources[0]][sizeof actions / sizeof actions[0]] = {{0}};
    uint64_t rng = 0x2545f4914f6cdd1dull;
    size_t numbered = 0, again = 0;
    struct {
        uint64_t num;
        char *text;
    } seen[128];
    size_t nseen = 0;
    for (int r = 0; r < 1000; r++) {
        const uint64_t x = th_test_xorshift(&rng);
        const size_t i = x % ns, k = (x >> 8) % na;
        char rec[256];
        snprintf(rec, sizeof rec, "{%s%s\"eventTime\":\"2024-01-01T00:00:00Z\"}", sources[i],
                 actions[k]);
        th_arena a;
        th_arena_init(&a, 1 << 12);
        th_jscan *scan = th_jscan_new();
        assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
        int64_t ts, ing;
        bool timed;
        if (th_ecs_slots_start(m, &a, scan, (x >> 16 & 1) ? TH_PROJ_ROUTING : 0, &s, &ts, &ing,
                               &timed)) {
            assert_int_equal(th_ecs_slots_routed(&s, TH_ECS_ROUTED_SLOTS << 1), 0);
            const uint64_t num = th_ecs_slots_routed(&s, TH_ECS_ROUTED_SLOTS);
            assert_int_equal(th_ecs_slots_routed(&s, 1), num);
            if (num) {
                th_buf b, one; /* both slots' texts (slot_text clears its buffer) */
                th_buf_init(&b);
                th_buf_init(&one);
                for (size_t sl = 0; sl < 2; sl++) {
                    slot_text(&s.slot[sl], &one);
                    th_buf_putstr(&b, th_buf_str(&one));
                    th_buf_putc(&b, '|');
                }
                th_buf_putc(&b, '\0');
                th_buf_free(&one);
                size_t j = 0;
                while (j < nseen && seen[j].num != num)
                    j++;
                if (j < nseen) {
                    assert_string_equal(seen[j].text, b.data);
                } else {
                    assert_true(nseen < sizeof seen / sizeof seen[0]);
                    seen[nseen].num = num;
                    seen[nseen++].text = strdup(b.data);
                }
                th_buf_free(&b);
                again += num_of[i][k] == num; /* few texts: they stay remembered */
                num_of[i][k] = num;
                numbered++;
            }
        }
        th_jscan_free(scan);
        th_arena_free(&a);
    }
    /* not vacuous: most records numbered, nearly all of them again */
    assert_true(numbered > 700);
    assert_true(again > numbered - ns * na);
    for (size_t j = 0; j < nseen; j++)
        free(seen[j].text);
    th_ecs_slots_free(&s);
    th_mapper_free(m);
    th_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slotfill),
        cmocka_unit_test(test_slotfill_history),
        cmocka_unit_test(test_slotfill_walk_memo),
        cmocka_unit_test(test_slotfill_walk_probe),
        cmocka_unit_test(test_slotfill_tree_pruned),
        cmocka_unit_test(test_slotfill_asn_of_ip),
        cmocka_unit_test(test_slotfill_routed_number),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
