/* Slot documents (ecs/rawproj.h th_ecs_slots_doc) against the mapping: for
 * every record of the corpus, of every emulated scenario and of a built-in
 * set, and for several field sets (each AWS rule's whose fields all have
 * slots, the four broad ES|QL rules' together, each field alone, all of
 * them), wherever the slot document is made every field of the set reads the
 * same (values, types, order) as in th_ecs_map_scan's document under the
 * set's demand, as the pipeline would map the record. Built-in records take
 * the cases that must not be exact (empty strings, arrays, ConsoleLogin,
 * service actors ...). The nodes the builder wrote, read through th_qfields
 * as the engines read them (th_qfields_put), are those a walk finds. Each
 * document's layout (objects, members, their order) is that of
 * th_jobj_set_path for its fields in number order, through one th_ecs_slots
 * kept from record to record and set to set, as a worker's (its layouts are
 * remembered by the fields a document holds). The nodes alone
 * (th_ecs_slots_nodes) are made where the document is and has no field of
 * several nodes, and are its nodes' values. */
#include "th_test.h"

#include "ecs_records.h"

#include "base/vec.h"
#include "ecs/demand.h"
#include "ecs/mapper.h"
#include "ecs/rawproj.h"
#include "emulate/emulate.h"
#include "engine/sequence.h"
#include "io/input.h"
#include "json/jscan.h"
#include "json/json.h"
#include "query/esql.h"
#include "query/query.h"
#include "rules/rule.h"

/* What every slot document holds (the pipeline's docbase). */
static const char *const base_fields[] = {"event.id", "event.action", "event.provider",
                                          "data_stream.dataset", "@timestamp"};

/* A set of the slot document's fields and the mapping demand of the same. */
typedef struct fset {
    const char *name;
    uint64_t bits;
    th_ecs_demand d;
    uint64_t made, tried; /* records: slot documents made, of those with slots */
} fset;

typedef struct fx {
    th_arena a;
    TH_VEC(fset) sets;
    uint64_t broad; /* the four broad ES|QL rules' fields */
    uint64_t checks, diffs, records;
    uint64_t known_checks, known_diffs; /* th_qfields_put's entries against a walk */
    uint64_t walked; /* of those, fields of several nodes (not put) */
    uint64_t layout_checks, layout_diffs; /* documents against th_jobj_set_path's */
    uint64_t bare_checks, bare_diffs; /* th_ecs_slots_nodes against the document's nodes */
    uint64_t exact_checks, exact_diffs, inexact; /* th_ecs_slots.exact's slots against a walk */
    th_ecs_slots sl; /* kept from record to record (zeroed: as th_ecs_slots_init) */
} fx;

static uint64_t base_bits(void)
{
    uint64_t b = 0;
    for (size_t i = 0; i < sizeof base_fields / sizeof base_fields[0]; i++) {
        int f = th_ecs_docfield_of(th_str_c(base_fields[i]));
        assert_true(f >= 0);
        b |= 1ull << f;
    }
    return b;
}

/* The field's bit, or false when it has no slot (the rule is not made from slots). */
static bool add_bit(uint64_t *bits, th_str field)
{
    int f = th_ecs_docfield_of(field);
    if (f < 0)
        return false;
    *bits |= 1ull << f;
    return true;
}

static void add_set(fx *f, const char *name, uint64_t bits)
{
    bits |= base_bits();
    for (size_t i = 0; i < f->sets.len; i++)
        if (f->sets.items[i].bits == bits)
            return;
    fset s = {name, bits, {0}, 0, 0}; /* the demand: set_demands */
    TH_VEC_PUSH(&f->sets, s);
}

/* The field names of the slot document, by number (th_ecs_docfield_of's inverse). */
static const char *field_names[64];

static void name_fields(void)
{
    /* every field a set may hold: the table, computed ones, constants and the rest */
    static const char *const known[] = {
        "source.as.number", "source.as.organization.name", "data_stream.dataset",
        "event.dataset", "event.module", "data_stream.type", "data_stream.namespace",
        "@timestamp", "event.outcome", "user.changes.name",
        "aws.cloudtrail.session_credential_from_console", "aws.cloudtrail.response_elements",
        "user_agent.name", "aws.cloudtrail.resources.arn", "event.category",
        "aws.cloudtrail.request_parameters", "tls.client.server_name", "user.target.name",
        "aws.cloudtrail.event_category", "source.geo.city_name"};
    for (size_t i = 0; th_ecs_raw_field_at(i); i++) {
        int f = th_ecs_docfield_of(th_str_c(th_ecs_raw_field_at(i)));
        if (f >= 0)
            field_names[f] = th_ecs_raw_field_at(i);
    }
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        int f = th_ecs_docfield_of(th_str_c(known[i]));
        assert_true(f >= 0);
        field_names[f] = known[i];
    }
}

static void set_demands(fx *f)
{
    for (size_t i = 0; i < f->sets.len; i++) {
        fset *s = &f->sets.items[i];
        th_ecs_demand_none(&s->d);
        for (int k = 0; k < 64; k++)
            if (s->bits >> k & 1) {
                assert_non_null(field_names[k]);
                th_ecs_demand_field(&s->d, th_str_c(field_names[k]));
            }
    }
}

/* A rule's fields as the engine reads them (filter, captures, ES|QL fields);
 * false when some field has no slot. */
static bool rule_bits(fx *f, const th_rule *r, uint64_t *bits)
{
    *bits = 0;
    bool ok = true;
    for (size_t k = 0; k < r->new_terms_fields.len; k++)
        ok &= add_bit(bits, th_str_c(r->new_terms_fields.items[k]));
    for (size_t k = 0; k < r->threshold_fields.len; k++)
        ok &= add_bit(bits, th_str_c(r->threshold_fields.items[k]));
    if (r->cardinality_field)
        ok &= add_bit(bits, th_str_c(r->cardinality_field));
    for (size_t k = 0; k < r->suppression_group_by.len; k++)
        ok &= add_bit(bits, th_str_c(r->suppression_group_by.items[k]));
    if (!r->query)
        return false;
    th_str fs[256];
    size_t n = 0;
    th_diags d;
    th_diags_init(&d);
    if (r->language == TH_LANG_ESQL) {
        th_esql *q = th_esql_parse(&f->a, r->query, strlen(r->query), NULL, &d);
        bool patterns = false;
        n = q ? th_esql_fields(q, fs, 256, &patterns) : SIZE_MAX;
        ok &= !patterns && n <= 256;
        for (size_t i = 0; i < n && n <= 256; i++)
            ok &= add_bit(bits, fs[i]);
        n = q ? th_esql_capture_fields(q, fs, 256) : SIZE_MAX;
        for (size_t i = 0; i < n && n <= 256; i++)
            ok &= add_bit(bits, fs[i]);
    } else if (r->language == TH_LANG_KUERY ||
               (r->language == TH_LANG_EQL && !th_seq_is_sequence(r->query))) {
        th_query *q = r->language == TH_LANG_EQL
                          ? th_query_compile_eql(&f->a, r->query, strlen(r->query),
                                                 r->event_category_override, NULL, &d)
                          : th_query_compile(&f->a, TH_QLANG_KQL, r->query, strlen(r->query),
                                             NULL, &d);
        n = q ? th_query_fields(q, fs, 256) : SIZE_MAX;
        ok &= n <= 256;
        for (size_t i = 0; i < n && n <= 256; i++)
            ok &= add_bit(bits, fs[i]);
    } else {
        ok = false;
    }
    th_diags_free(&d);
    return ok;
}

static bool rule_sets(fx *f, const char *corpus)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules/integrations/aws", corpus);
    th_ruleset rs;
    th_ruleset_init(&rs);
    th_diags d;
    th_diags_init(&d);
    const char *paths[] = {dir};
    th_ruleset_load(&rs, paths, 1, &d);
    static const char *const broad[] = {"d1b37c0b", "b8c7d6e5", "a1b2c3d4", "74f45152"};
    size_t nbroad = 0;
    for (size_t i = 0; i < rs.len; i++) {
        uint64_t bits;
        if (!rule_bits(f, rs.rules[i], &bits))
            continue;
        add_set(f, "rule", bits);
        for (size_t k = 0; k < 4; k++)
            if (rs.rules[i]->rule_id && strncmp(rs.rules[i]->rule_id, broad[k], 8) == 0) {
                f->broad |= bits;
                nbroad++;
            }
    }
    assert_int_equal(nbroad, 4); /* each broad rule reads only fields with slots */
    bool ok = rs.len > 0;
    th_ruleset_free(&rs);
    th_diags_free(&d);
    return ok;
}

/* The nodes a walk of the document visits at a field. */
typedef struct nodes {
    const th_jval *v[8];
    size_t n;
} nodes;

static bool note_node(const th_jval *v, void *ctx)
{
    nodes *x = ctx;
    if (x->n < 8)
        x->v[x->n] = v;
    x->n++;
    return true;
}

/* The slot document's fields put into a th_qfields as the pipeline puts
 * them (query.h th_qknown: every field a slot document may hold by its
 * number, and the builder's nodes of this set's fields but those of several
 * nodes, `walked`) read there as a walk of the document finds them: the
 * same nodes, in the same order, as many. A field of several nodes is one a
 * walk finds several of. */
static void check_known(fx *f, const th_jval *doc, uint64_t bits, const th_jval *const *written,
                        uint64_t walked)
{
    static th_qknown known; /* the table is the run's: made once */
    static uint8_t at[4096];
    if (!known.at) {
        uint32_t id[64];
        size_t nf = 0;
        for (; nf < 64 && th_ecs_docfield_name(nf); nf++)
            id[nf] = th_query_field_id(th_str_c(th_ecs_docfield_name(nf)));
        assert_true(th_qknown_of(&known, at, sizeof at, id, NULL, nf));
    }
    known.val = written;
    known.mask = bits & ~walked;
    th_qfields *q = th_qfields_new();
    th_qfields_reset(q, doc);
    th_qfields_put(q, &known);
    for (int k = 0; k < 64; k++) {
        if (!(bits >> k & 1))
            continue;
        nodes walk = {{0}, 0};
        th_json_path_each(doc, th_str_c(field_names[k]), note_node, &walk);
        size_t got;
        const th_jval *const *v =
            th_qfields_get(q, th_query_field_id(th_str_c(field_names[k])), th_str_c(field_names[k]),
                           &got);
        bool same = got == walk.n && (got <= 8 || walked >> k & 1);
        if (walked >> k & 1) { /* not put: read by a walk, which finds several */
            same = same && walk.n > 1;
            f->walked++;
        }
        for (size_t i = 0; same && i < got && i < 8; i++)
            same = v[i] == walk.v[i];
        f->known_checks++;
        if (!same && f->known_diffs++ < 10)
            print_message("KNOWN field %s: %zu put, %zu walked\n", field_names[k], got, walk.n);
    }
    th_qfields_free(q);
}

/* The slots the builder calls exact (th_ecs_slots.exact, which lets the
 * engine take a gate's verdict on them for the query's) against the
 * document: fields of the set, whose slot holds the values a walk of the
 * document finds there, as many, each the same type and text. */
static void check_exact(fx *f, const th_ecs_slots *sl, const th_jval *doc, uint64_t bits,
                        uint32_t exact)
{
    th_buf x, y;
    th_buf_init(&x);
    th_buf_init(&y);
    for (int i = 0; i < 32; i++) {
        const char *name = th_ecs_slot_field((size_t)i);
        if (!(exact >> i & 1)) {
            f->inexact += (bits >> i & 1) && name && th_ecs_docfield_of(th_str_c(name)) == i;
            continue;
        }
        nodes walk = {{0}, 0};
        bool same = (bits >> i & 1) && name;
        if (same)
            th_json_path_each(doc, th_str_c(name), note_node, &walk);
        same = same && walk.n == sl->slot[i].n && walk.n <= 8;
        for (size_t k = 0; same && k < walk.n; k++) {
            const th_jval *v = &sl->slot[i].vals[k];
            th_buf_clear(&x);
            th_buf_clear(&y);
            th_json_write(&x, walk.v[k]);
            th_json_write(&y, v);
            same = walk.v[k]->type == v->type && x.len == y.len &&
                   (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
        }
        f->exact_checks++;
        if (!same && f->exact_diffs++ < 10)
            print_message("EXACT: set %llx slot %d (%s): %zu in the document, %u in the slot\n",
                          (unsigned long long)bits, i, name ? name : "?", walk.n,
                          sl->slot[i].n);
    }
    th_buf_free(&x);
    th_buf_free(&y);
}

/* The slot document against one made by th_jobj_set_path of each field it
 * holds, in field number order (the objects and members as the mapping nests
 * them): the same text. resources.arn is held by the array of resources. */
static void check_layout(fx *f, th_arena *a, const th_jval *doc, uint64_t bits)
{
    th_jval *ref = th_jnew_obj(a);
    for (int k = 0; k < 64; k++) {
        if (!(bits >> k & 1))
            continue;
        th_str path = th_str_c(field_names[k]);
        if (th_str_eqc(path, "aws.cloudtrail.resources.arn"))
            path.n -= 4;
        /* th_jobj_set_path keeps the keys: the name outlives the loop */
        const char *name = th_arena_strndup(a, path.p, path.n);
        th_jval *v = th_jobj_get_path(doc, name);
        if (v)
            th_jobj_set_path(a, ref, name, v);
    }
    th_buf want, got;
    th_buf_init(&want);
    th_buf_init(&got);
    th_json_write(&want, ref);
    th_json_write(&got, doc);
    f->layout_checks++;
    if ((want.len != got.len || memcmp(want.data, got.data, want.len) != 0) &&
        f->layout_diffs++ < 10)
        print_message("LAYOUT: set %llx: want %.*s got %.*s\n", (unsigned long long)bits,
                      (int)want.len, want.data, (int)got.len, got.data);
    th_buf_free(&want);
    th_buf_free(&got);
}

/* The slot document of set s on the record, as the pipeline makes it after
 * either first look (look 1: at the routed keys only, without the
 * constants), or NULL; *tried: the record has slots. */
static th_jval *slot_doc(const th_mapper *m, th_arena *a, const th_jscan *scan, th_ecs_slots *sl,
                         uint64_t bits, int look, bool *tried, const th_jval **written,
                         int64_t *tsp, bool copy)
{
    int64_t ts, ing;
    bool timed;
    *tried = false;
    unsigned flags = look ? TH_PROJ_ROUTING | TH_PROJ_NO_CONSTANTS : 0;
    if (!th_ecs_slots_start(m, a, scan, flags, sl, &ts, &ing, &timed) || !timed)
        return NULL;
    th_ecs_proj_need need = th_ecs_docfields_need(bits);
    if (!th_ecs_slots_fill(sl, need.extras, need.fields))
        return NULL;
    *tried = true;
    *tsp = ts;
    return th_ecs_slots_doc(sl, bits, ts, copy, written);
}

/* The nodes alone (th_ecs_slots_nodes, as the pipeline takes them for the
 * rules that read only the values) from the slots the document was made
 * of: made exactly where the document is and has no field of several
 * nodes, and each node the same value (type and text) as the document's
 * node there, or none where it has none; the slots' own values (one
 * thread) and nodes made in the arena (`lasting`: a batch's workers)
 * alike. */
static void check_bare(fx *f, th_ecs_slots *sl, uint64_t bits, int64_t ts, const th_jval *doc,
                       const th_jval *const *written, bool lasting)
{
    const th_jval *bare[64] = {0}; /* the builders set the fields' numbers only */
    bool made = th_ecs_slots_nodes(sl, bits, ts, false, lasting, bare);
    bool want = doc && !sl->walked;
    f->bare_checks++;
    if (made != want) {
        if (f->bare_diffs++ < 10)
            print_message("BARE: set %llx: nodes %s, document %s\n", (unsigned long long)bits,
                          made ? "made" : "not made", doc ? "made" : "not made");
        return;
    }
    if (!made)
        return;
    th_buf x, y;
    th_buf_init(&x);
    th_buf_init(&y);
    for (int k = 0; k < 64; k++) {
        const th_jval *w = bits >> k & 1 ? written[k] : NULL;
        bool same = !w == !bare[k];
        if (same && w) {
            th_buf_clear(&x);
            th_buf_clear(&y);
            th_json_write(&x, w);
            th_json_write(&y, bare[k]);
            same = w->type == bare[k]->type && x.len == y.len &&
                   (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
        }
        f->bare_checks++;
        if (!same && f->bare_diffs++ < 10)
            print_message("BARE: set %llx field %s: document %.*s, nodes %.*s\n",
                          (unsigned long long)bits, field_names[k] ? field_names[k] : "?",
                          w ? (int)x.len : 4, w ? x.data : "none", bare[k] ? (int)y.len : 4,
                          bare[k] ? y.data : "none");
    }
    th_buf_free(&x);
    th_buf_free(&y);
}

/* Checks every set on one record; returns the bits of the sets made. */
static uint64_t check_record(fx *f, const th_mapper *m, th_str text, const char *file,
                             uint64_t offset)
{
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_jscan *scan = th_jscan_new();
    assert_true(th_jscan_load(scan, text.p, text.n, NULL));
    th_buf want, got;
    th_buf_init(&want);
    th_buf_init(&got);
    uint64_t made_sets = 0;
    for (size_t i = 0; i < f->sets.len * 2; i++) {
        fset *s = &f->sets.items[i / 2];
        bool tried;
        const th_jval *written[64];
        int64_t ts = 0;
        th_jval *doc = slot_doc(m, &a, scan, &f->sl, s->bits, i % 2, &tried, written, &ts, false);
        uint32_t exact = f->sl.exact;
        if (doc)
            check_exact(f, &f->sl, doc, s->bits, exact);
        s->tried += tried;
        if (tried) { /* the nodes the slots' own, then made in the arena */
            check_bare(f, &f->sl, s->bits, ts, doc, written, false);
            check_bare(f, &f->sl, s->bits, ts, doc, written, true);
        }
        if (!doc)
            continue;
        check_known(f, doc, s->bits, written, f->sl.walked);
        check_layout(f, &a, doc, s->bits);
        s->made++;
        made_sets |= 1ull << (i / 2 < 63 ? i / 2 : 63);
        th_jval *mapped = th_ecs_map_scan(m, &a, scan, text, &s->d);
        assert_non_null(mapped);
        for (int k = 0; k < 64; k++) {
            if (!(s->bits >> k & 1))
                continue;
            ecs_values(mapped, field_names[k], true, &want);
            ecs_values(doc, field_names[k], true, &got);
            f->checks++;
            if (want.len != got.len || (want.len && memcmp(want.data, got.data, want.len) != 0)) {
                if (f->diffs++ < 10)
                    print_message("DIFF %s:%llu field %s: mapped [%.*s] slots [%.*s]\n", file,
                                  (unsigned long long)offset, field_names[k], (int)want.len,
                                  want.data ? want.data : "", (int)got.len,
                                  got.data ? got.data : "");
            }
        }
        if (f->records % 16 || i % 2)
            continue;
        /* with `copy`, from a copy of the text overwritten once the document
         * is made (a record in 16): the same values */
        char *dup = th_xmalloc(text.n + 1);
        memcpy(dup, text.p, text.n);
        th_jscan *dscan = th_jscan_new();
        assert_true(th_jscan_load(dscan, dup, text.n, NULL));
        th_jval *copied = slot_doc(m, &a, dscan, &f->sl, s->bits, 0, &tried, NULL, &ts, true);
        memset(dup, '#', text.n);
        assert_non_null(copied);
        for (int k = 0; k < 64; k++) {
            if (!(s->bits >> k & 1))
                continue;
            ecs_values(mapped, field_names[k], true, &want);
            ecs_values(copied, field_names[k], true, &got);
            f->checks++;
            if ((want.len != got.len || (want.len && memcmp(want.data, got.data, want.len) != 0)) &&
                f->diffs++ < 10)
                print_message("COPY %s:%llu field %s: mapped [%.*s] slots [%.*s]\n", file,
                              (unsigned long long)offset, field_names[k], (int)want.len,
                              want.data ? want.data : "", (int)got.len, got.data ? got.data : "");
        }
        th_jscan_free(dscan);
        free(dup);
    }
    f->records++;
    th_buf_free(&want);
    th_buf_free(&got);
    th_jscan_free(scan);
    th_arena_free(&a);
    return made_sets;
}

/* ecs_record_fn: check_record on a corpus or emulated record */
typedef struct rec_ctx {
    fx *f;
    const th_mapper *m;
} rec_ctx;

static void on_record(void *ctx, const th_record *rec)
{
    rec_ctx *c = ctx;
    check_record(c->f, c->m, rec->text, rec->file, rec->offset);
}

/* A record from a template: one CloudTrail event with the parts given. */
#define EVENT(ui, rest)                                                                     \
    "{\"eventVersion\":\"1.08\",\"userIdentity\":" ui ",\"eventTime\":\"2026-10-01T10:00:00Z\"," \
    "\"eventSource\":\"iam.amazonaws.com\",\"awsRegion\":\"us-east-1\",\"eventID\":\"e-1\","     \
    "\"recipientAccountId\":\"111111111111\"," rest "}"
#define IAM_USER                                                                            \
    "{\"type\":\"IAMUser\",\"principalId\":\"AIDA1\",\"arn\":\"arn:aws:iam::123456789012:user/bob\"," \
    "\"accountId\":\"123456789012\",\"accessKeyId\":\"AKIA1\",\"userName\":\"bob\"}"
#define ROLE                                                                                \
    "{\"type\":\"AssumedRole\",\"principalId\":\"AROA1:s\",\"arn\":"                        \
    "\"arn:aws:sts::123456789012:assumed-role/r/s\",\"accountId\":\"123456789012\","        \
    "\"accessKeyId\":\"ASIA1\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","   \
    "\"arn\":\"arn:aws:iam::123456789012:role/r\",\"userName\":\"r\"}}}"
#define SERVICE_ROLE                                                                        \
    "{\"type\":\"AssumedRole\",\"principalId\":\"AROA2:s\",\"accountId\":\"123456789012\"," \
    "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"arn\":"                     \
    "\"arn:aws:iam::123456789012:role/aws-service-role/config.amazonaws.com/X\","           \
    "\"userName\":\"X\"}}}"

/* A record at time t (its eventTime) */
#define TIMED(t)                                                                                   \
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"" t "\",\"eventSource\":"                          \
    "\"iam.amazonaws.com\",\"eventName\":\"GetUser\",\"eventID\":\"e-2\"}"

typedef struct builtin {
    const char *json;
    const char *field; /* with the base fields */
    int made;          /* 1: a slot document, 0: none (not exact), -1: either */
} builtin;

static const builtin builtins[] = {
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"sourceIPAddress\":\"203.0.113.9\","
                     "\"userAgent\":\"aws-cli/2.0\""),
     "user.name", 1},
    /* an empty string is no value: the mapping drops it */
    {EVENT(IAM_USER, "\"eventName\":\"\",\"sourceIPAddress\":\"203.0.113.9\""), "user.name", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"userAgent\":\"\""), "user_agent.original", 0},
    /* an array is copied as one (or rendered) */
    {EVENT(IAM_USER, "\"eventName\":[\"GetUser\"]"), "cloud.region", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"userAgent\":[\"a\",\"b\"]"),
     "user_agent.original", 0},
    /* numbers: no slots at all */
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"userAgent\":7"), "user_agent.original", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"sessionCredentialFromConsole\":true"),
     "aws.cloudtrail.session_credential_from_console", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"sessionCredentialFromConsole\":\"true\""),
     "aws.cloudtrail.session_credential_from_console", 1},
    /* ConsoleLogin's outcome comes from responseElements */
    {EVENT(IAM_USER, "\"eventName\":\"ConsoleLogin\",\"responseElements\":{\"ConsoleLogin\":"
                     "\"Failure\"}"),
     "event.outcome", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"errorCode\":\"AccessDenied\""), "event.outcome",
     1},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"errorCode\":\"\",\"errorMessage\":\"x\""),
     "event.outcome", 1},
    /* the decisions' inputs, read from the walk where absent or a plain
     * string, else filled: a number, an array, an escaped text */
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"errorCode\":7"), "event.outcome", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"errorMessage\":[\"x\"]"), "event.outcome", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"errorCode\":null,\"errorMessage\":"
                     "\"\\u0041\""),
     "event.outcome", 1},
    {EVENT("{\"type\":\"AWSService\",\"invokedBy\":7,\"userName\":\"x\"}",
           "\"eventName\":\"AssumeRole\""),
     "user.name", 0},
    {EVENT("{\"type\":\"AWSService\",\"invokedBy\":[\"ec2.amazonaws.com\"],\"userName\":\"x\"}",
           "\"eventName\":\"AssumeRole\""),
     "user.name", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"responseElements\":{\"a\":1}"),
     "aws.cloudtrail.response_elements", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"responseElements\":null"),
     "aws.cloudtrail.response_elements", 1},
    /* the actor: AssumedRole takes sessionIssuer.userName, a service role none */
    {EVENT(ROLE, "\"eventName\":\"ListBuckets\""), "user.name", 1},
    {EVENT(SERVICE_ROLE, "\"eventName\":\"ListBuckets\""), "user.name", 1},
    {EVENT(SERVICE_ROLE, "\"eventName\":\"ListBuckets\""), "user.id", 1},
    {EVENT("{\"type\":\"AWSService\",\"invokedBy\":\"ec2.amazonaws.com\",\"userName\":\"x\"}",
           "\"eventName\":\"AssumeRole\""),
     "user.name", 1},
    {EVENT("{\"type\":\"AWSService\",\"invokedBy\":\"\",\"userName\":\"x\"}",
           "\"eventName\":\"AssumeRole\""),
     "user.name", 1},
    {EVENT("{\"type\":\"IdentityCenterUser\",\"accountId\":\"123456789012\",\"onBehalfOf\":"
           "{\"userId\":\"u-1\"}}",
           "\"eventName\":\"ListApplications\""),
     "user.id", 1},
    {EVENT("{\"type\":\"Unknown\",\"principalId\":\"p\"}",
           "\"eventName\":\"UserAuthentication\",\"additionalEventData\":{\"UserName\":\"carol\"}"),
     "user.name", 1},
    {EVENT("{\"type\":\"Unknown\",\"userName\":\"dave\"}",
           "\"eventName\":\"UserAuthentication\",\"additionalEventData\":{\"UserName\":\"carol\"}"),
     "user.name", 1},
    {EVENT("{\"type\":\"Unknown\"}", "\"eventName\":\"UserAuthentication\","
                                     "\"additionalEventData\":{\"UserName\":\"\"}"),
     "user.name", 1},
    /* cloud.account.id: userIdentity's, else recipientAccountId, else awsAccountId */
    {EVENT("{\"type\":\"Root\",\"accountId\":\"\"}", "\"eventName\":\"GetUser\""),
     "cloud.account.id", 1},
    {"{\"eventTime\":\"2026-10-01T10:00:00Z\",\"eventName\":\"GetUser\",\"awsAccountId\":"
     "\"222222222222\"}",
     "cloud.account.id", 1},
    {"{\"eventTime\":\"2026-10-01T10:00:00Z\",\"eventName\":\"GetUser\",\"userIdentity\":"
     "{\"accountId\":\"3\"},\"recipientAccountId\":\"4\",\"awsAccountId\":\"5\"}",
     "cloud.account.id", 1},
    /* source.ip: an address only; source.as.* of it */
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"sourceIPAddress\":\"ec2.amazonaws.com\""),
     "source.ip", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"sourceIPAddress\":\"81.2.69.160\""),
     "source.as.organization.name", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"sourceIPAddress\":\"\""), "source.ip", 0},
    {EVENT(IAM_USER, "\"eventName\":\"UpdateUser\",\"requestParameters\":{\"newUserName\":"
                     "\"carol\"}"),
     "user.changes.name", 1},
    {EVENT(IAM_USER, "\"eventName\":\"UpdateUser\",\"requestParameters\":{\"newUserName\":7}"),
     "user.changes.name", 0},
    {EVENT(IAM_USER, "\"eventName\":\"UpdateUser\",\"requestParameters\":{\"newUserName\":\"\"}"),
     "user.changes.name", 1},
    /* the last of duplicate keys; a key of the same length is another */
    {EVENT(IAM_USER, "\"eventName\":\"UpdateUser\",\"requestParameters\":{\"userName\":\"a\","
                     "\"newUserName\":\"b\",\"newUserNamX\":\"x\",\"newUserName\":\"c\"}"),
     "user.changes.name", 1},
    {EVENT(IAM_USER, "\"eventName\":\"UpdateUser\",\"requestParameters\":{\"newUserNamX\":\"x\","
                     "\"policyName\":\"p\"}"),
     "user.changes.name", 1},
    /* a key with an escape, compared decoded */
    {EVENT(IAM_USER, "\"eventName\":\"UpdateUser\",\"requestParameters\":{\"new\\u0055serName\":"
                     "\"d\"}"),
     "user.changes.name", -1},
    /* a time the date processor reads, not in CloudTrail's own form */
    {"{\"eventTime\":\"2026-10-01T10:00:00.123+02:00\",\"eventName\":\"GetUser\",\"eventID\":"
     "\"e\"}",
     "@timestamp", 1},
    /* resources.arn: one ARN per distinct arn_account_type, in HashMap order */
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\",\"resources\":[{\"type\":\"AWS::S3::Object\","
                     "\"ARN\":\"arn:aws:s3:::b/k\"},{\"accountId\":\"1\",\"type\":"
                     "\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::b\"}]"),
     "aws.cloudtrail.resources.arn", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\",\"resources\":[{\"ARN\":\"a\",\"type\":\"t\"},"
                     "{\"arn\":\"a\",\"type\":\"t\",\"ARN\":\"b\"},{\"ARN\":\"c\"},{\"ARN\":\"\"},"
                     "7,{\"ARN\":\"a\",\"type\":\"t\"}]"),
     "aws.cloudtrail.resources.arn", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\",\"resources\":[]"),
     "aws.cloudtrail.resources.arn", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\",\"resources\":[{\"ARN\":7}]"),
     "aws.cloudtrail.resources.arn", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\",\"resources\":[{\"ARN\":\"a\",\"type\":null}]"),
     "aws.cloudtrail.resources.arn", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\",\"resources\":{\"ARN\":\"a\"}"),
     "aws.cloudtrail.resources.arn", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\",\"resources\":[{\"AR\\u004e\":\"x\"}]"),
     "aws.cloudtrail.resources.arn", 1},
    /* event.category: the per-action table's, none for an action not in it */
    {EVENT(IAM_USER, "\"eventName\":\"CreateUser\""), "event.category", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetObject\""), "event.category", 1},
    {EVENT(IAM_USER, "\"eventName\":\"\""), "event.category", 0},
    /* @timestamp's date, remembered from record to record: a time before
     * 1970 (a negative count) on the day of the record before, the day
     * after, a year of three digits */
    {TIMED("1969-12-31T00:00:00.001Z"), "@timestamp", 1},
    {TIMED("1969-12-31T23:59:59.999Z"), "@timestamp", 1},
    {TIMED("1970-01-01T00:00:00Z"), "@timestamp", 1},
    {TIMED("0999-03-01T12:34:56.789Z"), "@timestamp", -1},
    {TIMED("0999-03-01T12:34:57Z"), "@timestamp", -1},
    /* escaped keys: decoded lookups */
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"user\\u0041gent\":\"aws-cli/2.0\""),
     "user_agent.name", 1},
    /* the looked-up fields: strings copied (pruned first), anything else mapped */
    {EVENT(IAM_USER, "\"eventName\":\"ListObjects\",\"tlsDetails\":{\"tlsVersion\":"
                     "\"TLSv1.2\",\"clientProvidedHostHeader\":\"b.s3.amazonaws.com\"}"),
     "tls.client.server_name", 1},
    /* tlsVersion "tlsVersion" (escaped here): the tls block writes nothing */
    {EVENT(IAM_USER, "\"eventName\":\"ListObjects\",\"tlsDetails\":{\"tlsVersion\":"
                     "\"tls\\u0056ersion\",\"clientProvidedHostHeader\":\"b.s3.amazonaws.com\"}"),
     "tls.client.server_name", 1},
    /* the last of duplicate keys, after the drop-empty pass */
    {EVENT(IAM_USER, "\"eventName\":\"ListObjects\",\"tlsDetails\":{"
                     "\"clientProvidedHostHeader\":\"h\",\"clientProvidedHostHeader\":\"\"}"),
     "tls.client.server_name", 1},
    {EVENT(IAM_USER, "\"eventName\":\"ListObjects\",\"tlsDetails\":{"
                     "\"clientProvidedHostHeader\":5}"),
     "tls.client.server_name", 0},
    {EVENT(IAM_USER, "\"eventName\":\"ListObjects\",\"tlsDetails\":\"x\""),
     "tls.client.server_name", 1},
    /* requestParameters stringified after the drop-empty pass, in the order
     * of a HashMap sized by its keys before pruning */
    {EVENT(IAM_USER, "\"eventName\":\"GetSecretValue\",\"requestParameters\":{"
                     "\"secretId\":\"s\",\"versionStage\":\"\",\"n\":{\"a\":null,"
                     "\"b\":[1,\"\",{}]}}"),
     "aws.cloudtrail.request_parameters", 1},
    {EVENT(IAM_USER, "\"eventName\":\"PutObject\",\"requestParameters\":{\"k01\":\"a\","
                     "\"k02\":\"b\",\"k03\":\"c\",\"k04\":1,\"k05\":true,\"k06\":\"f\","
                     "\"k07\":\"g\",\"k08\":\"h\",\"k09\":\"i\",\"k10\":\"j\",\"k11\":\"k\","
                     "\"k12\":\"l\",\"k13\":\"\",\"Key\":\"x\"}"),
     "aws.cloudtrail.request_parameters", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetSecretValue\",\"requestParameters\":{"
                     "\"secretId\":\"\"}"),
     "aws.cloudtrail.request_parameters", 1},
    {EVENT(IAM_USER, "\"eventName\":\"CreateUser\",\"requestParameters\":{"
                     "\"userName\":\"eve\"}"),
     "user.target.name", 1},
    {EVENT(IAM_USER, "\"eventName\":\"CreateUser\",\"requestParameters\":{"
                     "\"userName\":\"\"}"),
     "user.target.name", 1},
    {EVENT(IAM_USER, "\"eventName\":\"CreateUser\",\"requestParameters\":{"
                     "\"userName\":[\"eve\"]}"),
     "user.target.name", 0},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"eventCategory\":\"Management\""),
     "aws.cloudtrail.event_category", 1},
    {EVENT(IAM_USER, "\"eventName\":\"GetUser\",\"eventCategory\":7"),
     "aws.cloudtrail.event_category", 0},
};

static void run_builtin(fx *f, const th_mapper *m)
{
    for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
        const builtin *b = &builtins[i];
        /* the generic check with every set, then the one field's */
        check_record(f, m, th_str_c(b->json), "built-in", i);
        uint64_t bits = base_bits();
        assert_true(add_bit(&bits, th_str_c(b->field)));
        fx one = {0};
        th_arena_init(&one.a, 1 << 12);
        add_set(&one, b->field, bits);
        set_demands(&one);
        uint64_t made = check_record(&one, m, th_str_c(b->json), "built-in", i);
        if (b->made >= 0 && (made != 0) != (b->made != 0))
            print_message("BUILTIN %zu (%s): made %d, expected %d\n", i, b->field, made != 0,
                          b->made);
        if (b->made >= 0)
            assert_int_equal(made != 0, b->made != 0);
        f->checks += one.checks;
        f->diffs += one.diffs;
        f->known_checks += one.known_checks;
        f->known_diffs += one.known_diffs;
        f->walked += one.walked;
        f->layout_checks += one.layout_checks;
        f->layout_diffs += one.layout_diffs;
        f->bare_checks += one.bare_checks;
        f->bare_diffs += one.bare_diffs;
        f->exact_checks += one.exact_checks;
        f->exact_diffs += one.exact_diffs;
        f->inexact += one.inexact;
        th_ecs_slots_free(&one.sl);
        TH_VEC_FREE(&one.sets);
        th_arena_free(&one.a);
    }
}

static th_mapper *test_mapper(const char *corpus, th_diags *d, bool deployed)
{
    th_mapper_opts o;
    static th_mapper_paths paths;
    if (!deployed)
        return ecs_test_mapper(corpus, d);
    th_mapper_opts_deployed(&o, &paths); /* what the verbs use: the ASN ranges table */
    return th_mapper_new(&o, d);
}

static void test_slotdoc(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    name_fields();
    fx f = {0};
    th_arena_init(&f.a, 1 << 16);
    assert_true(rule_sets(&f, corpus));
    size_t nrules = f.sets.len;
    assert_true(nrules > 20); /* the AWS rules whose fields all have slots */
    add_set(&f, "the four broad ES|QL rules", f.broad);
    uint64_t all = 0;
    for (int i = 0; i < 64; i++)
        if (field_names[i]) {
            add_set(&f, field_names[i], 1ull << i);
            all |= 1ull << i;
        }
    add_set(&f, "every field", all);
    set_demands(&f);
    for (int deployed = 0; deployed < 2; deployed++) {
        th_diags d;
        th_diags_init(&d);
        th_mapper *m = test_mapper(corpus, &d, deployed);
        assert_non_null(m);
        rec_ctx rc = {&f, m};
        ecs_each_corpus(corpus, on_record, &rc);
        ecs_each_emulated(on_record, &rc);
        run_builtin(&f, m);
        th_mapper_free(m);
        th_diags_free(&d);
    }
    fset *broad = NULL;
    for (size_t i = 0; i < f.sets.len; i++)
        if (f.sets.items[i].bits == (f.broad | base_bits()))
            broad = &f.sets.items[i];
    assert_non_null(broad);
    uint64_t made = 0, tried = 0;
    for (size_t i = 0; i < f.sets.len; i++)
        made += f.sets.items[i].made, tried += f.sets.items[i].tried;
    print_message("RATE: slot documents equal the mapping on %llu/%llu (record, set, field) "
                  "checks (%llu records, %zu field sets of which %zu rules'); made for %llu of "
                  "%llu (record, set) with slots; the four broad ES|QL rules' fields: %llu of "
                  "%llu records\n",
                  (unsigned long long)(f.checks - f.diffs), (unsigned long long)f.checks,
                  (unsigned long long)f.records, f.sets.len, nrules, (unsigned long long)made,
                  (unsigned long long)tried, (unsigned long long)broad->made,
                  (unsigned long long)broad->tried);
    print_message("RATE: the builder's nodes read through th_qfields as a walk finds them on "
                  "%llu/%llu (record, set, field; %llu of several nodes, walked)\n",
                  (unsigned long long)(f.known_checks - f.known_diffs),
                  (unsigned long long)f.known_checks, (unsigned long long)f.walked);
    print_message("RATE: slot documents laid out as th_jobj_set_path's on %llu/%llu\n",
                  (unsigned long long)(f.layout_checks - f.layout_diffs),
                  (unsigned long long)f.layout_checks);
    print_message("RATE: the nodes alone (th_ecs_slots_nodes) are the document's on %llu/%llu "
                  "(record, set) and (record, set, field)\n",
                  (unsigned long long)(f.bare_checks - f.bare_diffs),
                  (unsigned long long)f.bare_checks);
    print_message("RATE: slots called exact hold the document's values on %llu/%llu (record, "
                  "set, slot); %llu fields of the sets not called exact\n",
                  (unsigned long long)(f.exact_checks - f.exact_diffs),
                  (unsigned long long)f.exact_checks, (unsigned long long)f.inexact);
    assert_int_equal(f.diffs, 0);
    assert_int_equal(f.exact_diffs, 0);
    assert_true(f.exact_checks > 1000000);
    assert_true(f.inexact > 0); /* not every field: decided user names, addresses */
    assert_int_equal(f.known_diffs, 0);
    assert_int_equal(f.bare_diffs, 0);
    assert_true(f.bare_checks > f.known_checks); /* every field of every document made */
    assert_true(f.bare_checks > 1000000);
    assert_int_equal(f.layout_diffs, 0);
    assert_true(f.layout_checks > 100000);
    assert_true(f.known_checks > 1000000);
    assert_true(f.walked > 0); /* resources of several ARNs were met */
    assert_true(f.records > 1000);
    assert_true(made * 10 > tried * 8);              /* not vacuous: most are made */
    assert_true(broad->made * 10 > broad->tried * 7); /* ... for the broad rules too */
    th_ecs_slots_free(&f.sl);
    TH_VEC_FREE(&f.sets);
    th_arena_free(&f.a);
}

/* Nodes and documents kept past their record, as a batch's workers keep
 * them until its commit: th_ecs_slots_nodes with `lasting` and
 * th_ecs_slots_doc, of source.as.* (whose slots take a remembered
 * address's texts from the thread's ASN memo), each written out when made
 * and again after every record has been through the same slots (thousands
 * of addresses, so the memo's entries are taken again and again). */
typedef struct kept {
    const th_jval *node[2]; /* th_ecs_slots_nodes': number, organization.name */
    const th_jval *doc;
    char *text; /* the three written out when made */
} kept;
typedef struct keep_ctx {
    const th_mapper *m;
    th_arena a; /* the whole test's: nothing kept is freed before the end */
    th_ecs_slots sl;
    th_jscan *scan;
    TH_VEC(kept) k;
    uint64_t as_bits;
    size_t borrowed; /* records whose AS slots held the memo's texts */
} keep_ctx;

static char *kept_text(th_arena *a, const kept *k)
{
    th_buf b;
    th_buf_init(&b);
    for (int i = 0; i < 2; i++) {
        if (k->node[i])
            th_json_write(&b, k->node[i]);
        th_buf_putc(&b, '|');
    }
    th_json_write(&b, k->doc);
    char *t = th_arena_strndup(a, b.data ? b.data : "", b.len);
    th_buf_free(&b);
    return t;
}

static void keep_record(void *ctx, const th_record *rec)
{
    keep_ctx *c = ctx;
    if (!th_jscan_load(c->scan, rec->text.p, rec->text.n, NULL))
        return;
    int64_t ts, ing;
    bool timed;
    th_ecs_proj_need need = th_ecs_docfields_need(c->as_bits);
    if (!th_ecs_slots_start(c->m, &c->a, c->scan, 0, &c->sl, &ts, &ing, &timed) || !timed ||
        !th_ecs_slots_fill(&c->sl, need.extras, need.fields))
        return;
    const th_jval *got[64] = {0};
    th_jval *doc = th_ecs_slots_doc(&c->sl, c->as_bits, ts, false, NULL);
    if (!doc || !th_ecs_slots_nodes(&c->sl, c->as_bits, ts, false, true, got))
        return;
    c->borrowed += c->sl.as_borrowed;
    int f0 = __builtin_ctzll(c->as_bits);
    kept k = {{got[f0], got[f0 + 1]}, doc, NULL};
    k.text = kept_text(&c->a, &k);
    TH_VEC_PUSH(&c->k, k);
}

static void test_lasting_nodes(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    for (int deployed = 0; deployed < 2; deployed++) {
        th_diags d;
        th_diags_init(&d);
        th_mapper *m = test_mapper(corpus, &d, deployed);
        assert_non_null(m);
        keep_ctx c = {.m = m, .scan = th_jscan_new()};
        th_arena_init(&c.a, 1 << 20);
        int num = th_ecs_docfield_of(th_str_c("source.as.number"));
        assert_int_equal(th_ecs_docfield_of(th_str_c("source.as.organization.name")), num + 1);
        c.as_bits = 3ull << num;
        ecs_each_corpus(corpus, keep_record, &c);
        ecs_each_emulated(keep_record, &c);
        size_t diffs = 0, with = 0;
        for (size_t i = 0; i < c.k.len; i++) {
            const kept *k = &c.k.items[i];
            with += k->node[1] != NULL;
            char *now = kept_text(&c.a, k);
            if (strcmp(now, k->text) != 0 && diffs++ < 10)
                print_message("KEPT: record %zu made %s, now %s\n", i, k->text, now);
        }
        print_message("RATE: source.as.* kept past their record (%s mapper): %zu/%zu unchanged; "
                      "%zu with an organization, %zu of the memo's texts\n",
                      deployed ? "deployed" : "test", c.k.len - diffs, c.k.len, with,
                      c.borrowed);
        assert_int_equal(diffs, 0);
        assert_true(c.borrowed > 1000); /* not vacuous: remembered addresses were met */
        TH_VEC_FREE(&c.k);
        th_ecs_slots_free(&c.sl);
        th_jscan_free(c.scan);
        th_arena_free(&c.a);
        th_mapper_free(m);
        th_diags_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slotdoc),
        cmocka_unit_test(test_lasting_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
