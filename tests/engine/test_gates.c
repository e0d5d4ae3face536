/* Gates on the projection's slots (hotpass.c): routing reads the routed
 * slots, a gate given as queries reads slots, an opaque gate
 * (th_engine_set_gate) asks for the projected document (TH_PROJ_DOM) and
 * reads it, and lets the rule through when no document is given. Plans
 * remembered by a th_hits across records (th_engine_plan_slots) equal those
 * of a fresh one: for keys that hash alike, and after a gate changes. */
#include "th_test.h"

#include "ecs/mapper.h"
#include "ecs/rawproj.h"
#include "engine/engine.h"
#include "json/jscan.h"
#include "query/query.h"
#include "rules/rule.h"

typedef struct name_is {
    const char *value;
} name_is;

static bool name_visit(const th_jval *v, void *ctx)
{
    return !(v->type == TH_JSTR && th_str_eqc(v->u.str, ctx));
}

/* an opaque predicate: some user.name of the document is p->value */
static bool name_pred(const void *pred, const th_jval *doc)
{
    const name_is *p = pred;
    return !th_json_path_each(doc, TH_STR_LIT("user.name"), name_visit, (void *)p->value);
}

static void rule_of(th_rule *r, const char *name)
{
    memset(r, 0, sizeof *r);
    r->type = TH_RULE_QUERY;
    r->name = r->rule_id = name;
    r->severity = "low";
    r->lookback_ms = 60000;
    r->interval_ms = 60000;
    r->max_signals = 100;
}

static th_query *kql(th_arena *a, const char *text)
{
    th_diags d;
    th_diags_init(&d);
    th_query *q = th_query_compile(a, TH_QLANG_KQL, text, strlen(text), NULL, &d);
    th_diags_free(&d);
    assert_non_null(q);
    return q;
}

/* The planned rules (indexes) for one raw record, with or without the
 * projected document, and the mapping they demand (dem, when not NULL); -1
 * when routing finds no candidate. */
/* the fill leaves user_agent.name's look-up to the plan (TH_PROJ_UA_LATER),
 * as the pipeline's does */
static bool fill_later;

static int plan_dem_with(th_engine *e, const th_mapper *m, th_arena *a, th_hits *hits,
                         const char *rec, bool with_doc, bool *dom, size_t *plan, size_t *nplan,
                         th_ecs_demand *dem)
{
    th_jscan *scan = th_jscan_new();
    assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
    th_ecs_slots sl;
    th_ecs_slots_init(&sl);
    th_hits fresh, *hp = hits ? hits : &fresh;
#define h (*hp)
    if (!hits)
        th_hits_init(&h, e);
    int64_t ts, ing;
    bool timed;
    int rc = -1;
    assert_true(th_ecs_slots_start(m, a, scan, 0, &sl, &ts, &ing, &timed));
    assert_true(timed);
    if (th_engine_routes_slots(e, &sl, &h)) {
        th_ecs_proj_need need = {0, 0};
        th_engine_gate_need(e, &h, &need);
        *dom = (need.extras & TH_PROJ_DOM) != 0;
        assert_true(th_ecs_slots_fill(
            &sl, (need.extras & TH_PROJ_ALL) | (fill_later ? TH_PROJ_UA_LATER : 0), need.fields));
        const th_jval *doc =
            with_doc ? th_ecs_project_only(m, a, scan, need.extras & TH_PROJ_ALL, need.fields,
                                           NULL, NULL, NULL)
                     : NULL;
        th_ecs_demand d;
        th_ecs_demand_none(&d);
        rc = th_engine_plan_slots(e, &sl, doc, &h, &d);
        if (dem)
            *dem = d;
        *nplan = h.nplan;
        for (size_t i = 0; i < h.nplan; i++)
            plan[i] = h.plan[i];
    }
    if (!hits)
        th_hits_free(&h);
#undef h
    th_ecs_slots_free(&sl);
    th_jscan_free(scan);
    return rc;
}

static int plan_with(th_engine *e, const th_mapper *m, th_arena *a, th_hits *hits, const char *rec,
                     bool with_doc, bool *dom, size_t *plan, size_t *nplan)
{
    return plan_dem_with(e, m, a, hits, rec, with_doc, dom, plan, nplan, NULL);
}

/* ... with a th_hits of its own, which remembers nothing from before */
static int plan_of(th_engine *e, const th_mapper *m, th_arena *a, const char *rec, bool with_doc,
                   bool *dom, size_t *plan, size_t *nplan)
{
    return plan_with(e, m, a, NULL, rec, with_doc, dom, plan, nplan);
}

/* What each test starts from: an arena, a mapper with the default options
 * and an empty engine (fixture_free frees them). */
typedef struct fixture {
    th_arena a;
    th_diags d;
    th_mapper *m;
    th_engine *e;
} fixture;

static void fixture_init(fixture *f)
{
    th_arena_init(&f->a, 1 << 16);
    th_diags_init(&f->d);
    th_mapper_opts mo;
    th_mapper_opts_default(&mo);
    f->m = th_mapper_new(&mo, &f->d);
    assert_non_null(f->m);
    th_engine_opts o;
    th_engine_opts_default(&o);
    f->e = th_engine_new(&o);
}

static void fixture_free(fixture *f)
{
    th_engine_free(f->e);
    th_mapper_free(f->m);
    th_diags_free(&f->d);
    th_arena_free(&f->a);
}

static void gates_on_slots(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_mapper *m = f.m;
    th_engine *e = f.e;
    th_rule r[4];
    rule_of(&r[0], "alice");
    rule_of(&r[1], "bob");
    rule_of(&r[2], "opaque alice");
    rule_of(&r[3], "list");
    /* 0, 1: routed on the action, gated on user.name (read from slots) */
    th_engine_add_query(e, &r[0], kql(a, "event.action: CreateUser and user.name: alice"), a, NULL);
    th_engine_add_query(e, &r[1], kql(a, "event.action: CreateUser and user.name: bob"), a, NULL);
    /* 2: the same action, an opaque gate on the document */
    const th_str create[] = {TH_STR_LIT("CreateUser")}; /* copied by the engine */
    th_prefilter pf = {"event.action", create, 1, false};
    static const name_is alice = {"alice"};
    size_t k = th_engine_add_rule(e, &r[2], name_pred, &alice, &pf, 1, NULL);
    const th_str gf[] = {TH_STR_LIT("user.name")};
    th_engine_set_gate(e, k, name_pred, &alice, gf, 1);
    /* 3: another action */
    th_engine_add_query(e, &r[3], kql(a, "event.action: ListUsers"), a, NULL);
    const char *alice_rec = "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\","
                            "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                            "{\"type\":\"IAMUser\",\"userName\":\"alice\"}}";
    const char *carol_rec = "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\","
                            "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                            "{\"type\":\"IAMUser\",\"userName\":\"carol\"}}";
    const char *other_rec = "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"GetUser\","
                            "\"eventTime\":\"2024-01-01T00:00:00Z\"}";
    size_t plan[8], n = 0;
    bool dom = false;
    /* alice: rules 0 (slots) and 2 (document); bob's gate fails on slots */
    assert_int_equal(plan_of(e, m, a, alice_rec, true, &dom, plan, &n), 1);
    assert_true(dom);
    assert_int_equal(n, 2);
    assert_int_equal(plan[0], 0);
    assert_int_equal(plan[1], 2);
    /* carol: no gate holds */
    assert_int_equal(plan_of(e, m, a, carol_rec, true, &dom, plan, &n), 0);
    assert_int_equal(n, 0);
    /* without the document the opaque gate cannot rule anything out */
    assert_int_equal(plan_of(e, m, a, carol_rec, false, &dom, plan, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(plan[0], 2);
    /* routed nowhere */
    assert_int_equal(plan_of(e, m, a, other_rec, true, &dom, plan, &n), -1);
    fixture_free(&f);
}

static char *user_rec(th_arena *a, const char *action, const char *user)
{
    return th_arena_printf(a,
                           "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"%s\","
                           "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                           "{\"type\":\"IAMUser\",\"userName\":\"%s\"}}",
                           action, user);
}

/* Plans through one th_hits, record after record, each compared with the
 * plan of a fresh th_hits (the gates evaluated). */
static void same_plans(th_engine *e, const th_mapper *m, th_arena *a, th_hits *h, char *const *recs,
                       size_t n, size_t *planned)
{
    for (size_t i = 0; i < n; i++) {
        size_t p1[8], n1 = 0, p2[8], n2 = 0;
        bool dom;
        int r1 = plan_with(e, m, a, h, recs[i], false, &dom, p1, &n1);
        int r2 = plan_of(e, m, a, recs[i], false, &dom, p2, &n2);
        assert_int_equal(r1, r2);
        assert_int_equal(n1, n2);
        for (size_t k = 0; k < n1; k++)
            assert_int_equal(p1[k], p2[k]);
        *planned += n1;
    }
}

/* same_plans over recs three times, in another order each round (the
 * first record moved to the end) */
static void same_plans_rounds(th_engine *e, const th_mapper *m, th_arena *a, th_hits *h,
                              char **recs, size_t n, size_t *planned)
{
    for (int round = 0; round < 3; round++) {
        same_plans(e, m, a, h, recs, n, planned);
        char *t = recs[0];
        memmove(recs, recs + 1, (n - 1) * sizeof *recs);
        recs[n - 1] = t;
    }
}

static void remembered_plans(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_mapper *m = f.m;
    th_engine *e = f.e;
    /* two names alike in length and in their first, middle and last eight
     * bytes (what the key's hash samples of a string): only the full key
     * tells them apart */
    const char *n1 = "aaaaaaaaXaaaaaaabbbbbbbbccccccccdddddddd";
    const char *n2 = "aaaaaaaaYaaaaaaabbbbbbbbccccccccdddddddd";
    th_rule r[3];
    rule_of(&r[0], "n1");
    rule_of(&r[1], "two values");
    rule_of(&r[2], "ungated");
    th_engine_add_query(
        e, &r[0], kql(a, th_arena_printf(a, "event.action: CreateUser and user.name: \"%s\"", n1)),
        a, NULL);
    th_engine_add_query(e, &r[1], kql(a, "event.action: CreateUser and user.name: ab"), a, NULL);
    th_engine_add_query(e, &r[2], kql(a, "event.action: CreateUser"), a, NULL);
    th_hits h;
    th_hits_init(&h, e);
    char *recs[] = {user_rec(a, "CreateUser", n1),   user_rec(a, "CreateUser", n2),
                    user_rec(a, "CreateUser", n1),   user_rec(a, "CreateUser", n2),
                    user_rec(a, "CreateUser", "ab"), user_rec(a, "CreateUser", "a"),
                    user_rec(a, "CreateUser", "ab"), user_rec(a, "GetUser", "ab")};
    size_t nrecs = sizeof recs / sizeof recs[0], planned = 0;
    for (int round = 0; round < 3; round++) /* the later rounds from the remembered plans */
        same_plans(e, m, a, &h, recs, nrecs, &planned);
    assert_true(planned > 0);
    /* n1's rule planned for n1, not for n2, through the same th_hits */
    size_t p[8], n = 0;
    bool dom;
    assert_int_equal(plan_with(e, m, a, &h, recs[0], false, &dom, p, &n), 1);
    assert_int_equal(n, 2);
    assert_int_equal(p[0], 0);
    assert_int_equal(plan_with(e, m, a, &h, recs[1], false, &dom, p, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(p[0], 2);
    /* a gate changed between records: the plans remembered under the old
     * one no longer hold */
    th_query *gq = kql(a, th_arena_printf(a, "user.name: \"%s\"", n2));
    const th_str gf[] = {TH_STR_LIT("user.name")};
    th_engine_set_gate_query(e, 0, &gq, 1, gf, 1);
    assert_int_equal(plan_with(e, m, a, &h, recs[1], false, &dom, p, &n), 1);
    assert_int_equal(n, 2);
    assert_int_equal(p[0], 0);
    assert_int_equal(plan_with(e, m, a, &h, recs[0], false, &dom, p, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(p[0], 2);
    same_plans(e, m, a, &h, recs, nrecs, &planned);
    th_hits_free(&h);
    fixture_free(&f);
}

/* The look-ups a th_hits remembers move with th_hits_swap_caches (a
 * pipeline's worker takes its own along from batch to batch), and what
 * they plan, through whichever th_hits holds them, is what a fresh th_hits
 * plans; the hits and the event's fields stay where they were. */
static void swapped_caches(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "gated");
    rule_of(&r[1], "ungated");
    th_engine_add_query(f.e, &r[0], kql(a, "event.action: CreateUser and user.name: ab"), a, NULL);
    th_engine_add_query(f.e, &r[1], kql(a, "event.action: CreateUser"), a, NULL);
    th_hits h1, h2;
    th_hits_init(&h1, f.e);
    th_hits_init(&h2, f.e);
    char *recs[] = {user_rec(a, "CreateUser", "ab"), user_rec(a, "CreateUser", "a"),
                    user_rec(a, "GetUser", "ab"), user_rec(a, "CreateUser", "ab")};
    size_t nrecs = sizeof recs / sizeof recs[0], planned = 0;
    same_plans(f.e, f.m, a, &h1, recs, nrecs, &planned);
    const th_hits was1 = h1, was2 = h2;
    th_hits_swap_caches(&h2, &h1);
    assert_ptr_equal(h2.plan_cache, was1.plan_cache);
    assert_ptr_equal(h2.cand_memo, was1.cand_memo);
    assert_ptr_equal(h2.memo, was1.memo);
    assert_ptr_equal(h2.gate_memo, was1.gate_memo);
    assert_ptr_equal(h2.route_fixed, was1.route_fixed);
    assert_ptr_equal(h1.plan_cache, was2.plan_cache);
    assert_ptr_equal(h1.fields, was1.fields);
    assert_ptr_equal(h2.fields, was2.fields);
    assert_ptr_equal(h1.plan, was1.plan);
    for (int round = 0; round < 3; round++) { /* back and forth, as batches take them */
        same_plans(f.e, f.m, a, &h2, recs, nrecs, &planned);
        th_hits_swap_caches(&h1, &h2);
        same_plans(f.e, f.m, a, &h1, recs, nrecs, &planned);
        th_hits_swap_caches(&h1, &h2);
    }
    assert_true(planned > 0);
    th_hits_free(&h1);
    th_hits_free(&h2);
    fixture_free(&f);
}

/* A remembered plan is found only under its whole key: names of one length
 * that differ from the gated name in one byte, at every position (those the
 * key's hash does not sample included), planned through one th_hits after
 * the gated name, each as a fresh th_hits plans it. */
static void remembered_plans_every_byte(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    const char *name = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
    size_t len = strlen(name);
    th_rule r[2];
    rule_of(&r[0], "name");
    rule_of(&r[1], "ungated");
    th_engine_add_query(
        f.e, &r[0],
        kql(a, th_arena_printf(a, "event.action: CreateUser and user.name: \"%s\"", name)), a,
        NULL);
    th_engine_add_query(f.e, &r[1], kql(a, "event.action: CreateUser"), a, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    size_t planned = 0, gated = 0;
    for (size_t at = 0; at < len; at++) {
        char *other = th_arena_strndup(a, name, len);
        other[at] = '_';
        char *recs[] = {user_rec(a, "CreateUser", name), user_rec(a, "CreateUser", other)};
        size_t before = planned;
        same_plans(f.e, f.m, a, &h, recs, 2, &planned);
        gated += planned - before == 3; /* the gated rule for the name only */
    }
    assert_int_equal(gated, len);
    th_hits_free(&h);
    fixture_free(&f);
}

/* ... and for names of every length from 1 to 40 (the key copies strings of
 * 8 to 32 bytes in overlapping words, the others through memcpy): each
 * name planned after each of its one-byte variants, through one th_hits, as
 * a fresh th_hits plans them; only the names themselves pass the gate. */
static void remembered_plans_every_length(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    const char *name = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
    enum { MAXLEN = 40 };
    char *set = th_arena_printf(a, "\"a\"");
    for (size_t len = 2; len <= MAXLEN; len++)
        set = th_arena_printf(a, "%s or \"%.*s\"", set, (int)len, name);
    th_rule r[2];
    rule_of(&r[0], "names");
    rule_of(&r[1], "ungated");
    th_engine_add_query(
        f.e, &r[0],
        kql(a, th_arena_printf(a, "event.action: CreateUser and user.name: (%s)", set)), a, NULL);
    th_engine_add_query(f.e, &r[1], kql(a, "event.action: CreateUser"), a, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    size_t planned = 0, gated = 0, tries = 0;
    for (size_t len = 1; len <= MAXLEN; len++) {
        for (size_t at = 0; at < len; at++) {
            char *own = th_arena_strndup(a, name, len), *other = th_arena_strndup(a, name, len);
            other[at] = '_';
            char *recs[] = {user_rec(a, "CreateUser", own), user_rec(a, "CreateUser", other)};
            for (int round = 0; round < 2; round++) { /* the second from the remembered plans */
                size_t before = planned;
                same_plans(f.e, f.m, a, &h, recs, 2, &planned);
                gated += planned - before == 3; /* the gated rule for the name only */
                tries++;
            }
        }
    }
    assert_int_equal(gated, tries);
    assert_int_equal(tries, MAXLEN * (MAXLEN + 1));
    th_hits_free(&h);
    fixture_free(&f);
}

/* Routing through one th_hits and one th_ecs_slots kept from record to
 * record, as the pipeline does: with and without the data stream constants
 * (whose routing a th_hits remembers under their address), and actions that
 * change, the candidates are those of a fresh th_hits and fresh slots. */
static void routes_kept_slots(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[3];
    rule_of(&r[0], "dataset");
    rule_of(&r[1], "create");
    rule_of(&r[2], "list");
    th_engine_add_query(f.e, &r[0], kql(a, "data_stream.dataset: aws.cloudtrail"), a, NULL);
    th_engine_add_query(f.e, &r[1], kql(a, "event.action: CreateUser"), a, NULL);
    th_engine_add_query(f.e, &r[2], kql(a, "event.action: ListUsers"), a, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    th_ecs_slots kept;
    th_ecs_slots_init(&kept);
    const char *actions[] = {"CreateUser", "ListUsers", "GetUser", "CreateUser"};
    size_t routed = 0;
    for (int i = 0; i < 16; i++) {
        char *rec = user_rec(a, actions[i % 4], "alice");
        unsigned flags = (i / 4) % 2 ? TH_PROJ_ROUTING | TH_PROJ_NO_CONSTANTS : 0;
        th_jscan *scan = th_jscan_new();
        assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
        th_ecs_slots fresh;
        th_ecs_slots_init(&fresh);
        th_hits h2;
        th_hits_init(&h2, f.e);
        int64_t ts, ing;
        bool timed;
        assert_true(th_ecs_slots_start(f.m, a, scan, flags, &kept, &ts, &ing, &timed));
        assert_true(th_ecs_slots_start(f.m, a, scan, flags, &fresh, &ts, &ing, &timed));
        bool r1 = th_engine_routes_slots(f.e, &kept, &h);
        bool r2 = th_engine_routes_slots(f.e, &fresh, &h2);
        assert_int_equal(r1, r2);
        assert_int_equal(h.nseen, h2.nseen);
        for (size_t k = 0; k < h.nseen; k++)
            assert_int_equal(h.seen[k], h2.seen[k]);
        routed += h.nseen;
        th_hits_free(&h2);
        th_ecs_slots_free(&fresh);
        th_jscan_free(scan);
    }
    /* 8 records with the constants (each meets the dataset rule), 12 with
     * a routed action (3 of every 4) */
    assert_int_equal(routed, 8 + 12);
    th_ecs_slots_free(&kept);
    th_hits_free(&h);
    fixture_free(&f);
}

/* A record of a provider, action and user name. */
static char *call_rec(th_arena *a, const char *provider, const char *action, const char *user)
{
    return th_arena_printf(a,
                           "{\"eventSource\":\"%s\",\"eventName\":\"%s\","
                           "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                           "{\"type\":\"IAMUser\",\"userName\":\"%s\"}}",
                           provider, action, user);
}

/* Routes rec through h (kept from record to record) and through a fresh
 * th_hits: the same candidates in the same order, and the same need of
 * their gates. */
static void same_candidates(const fixture *f, th_hits *h, const char *rec, size_t *routed)
{
    th_jscan *scan = th_jscan_new();
    assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
    th_ecs_slots sl;
    th_ecs_slots_init(&sl);
    th_hits h2;
    th_hits_init(&h2, f->e);
    int64_t ts, ing;
    bool timed;
    assert_true(th_ecs_slots_start(f->m, (th_arena *)&f->a, scan, 0, &sl, &ts, &ing, &timed));
    bool r1 = th_engine_routes_slots(f->e, &sl, h);
    bool r2 = th_engine_routes_slots(f->e, &sl, &h2);
    assert_int_equal(r1, r2);
    assert_int_equal(h->nseen, h2.nseen);
    for (size_t k = 0; k < h->nseen; k++)
        assert_int_equal(h->seen[k], h2.seen[k]);
    th_ecs_proj_need n1 = {0, 0}, n2 = {0, 0};
    th_engine_gate_need(f->e, h, &n1);
    th_engine_gate_need(f->e, &h2, &n2);
    assert_int_equal(n1.fields, n2.fields);
    assert_int_equal(n1.extras, n2.extras);
    *routed += h->nseen;
    th_hits_free(&h2);
    th_ecs_slots_free(&sl);
    th_jscan_free(scan);
}

/* Candidates remembered by a th_hits under the routing lists their records
 * met (hotpass.c th_cand_entry), with what their gates read: records of
 * every provider, action and user, in rounds through one th_hits, route and
 * plan as through a fresh one; records alike in their action but not their
 * provider (or the reverse) get their own candidates; and after a gate
 * changes to read another field, the need and the plans follow it. */
static void remembered_candidates(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[6];
    const char *names[] = {"iam alice", "create", "s3 list", "typed", "bob", "carol"};
    for (int i = 0; i < 6; i++)
        rule_of(&r[i], names[i]);
    th_engine_add_query(f.e, &r[0],
                        kql(a, "event.provider: iam.amazonaws.com and user.name: alice"), a, NULL);
    th_engine_add_query(f.e, &r[1], kql(a, "event.action: CreateUser"), a, NULL);
    th_engine_add_query(f.e, &r[2],
                        kql(a, "event.provider: s3.amazonaws.com and event.action: ListBuckets"), a,
                        NULL);
    th_engine_add_query(f.e, &r[3],
                        kql(a, "event.action: (CreateUser or ListBuckets) and "
                               "aws.cloudtrail.user_identity.type: IAMUser"),
                        a, NULL);
    th_engine_add_query(f.e, &r[4], kql(a, "user.name: bob"), a, NULL); /* every event */
    th_engine_add_query(
        f.e, &r[5], kql(a, "data_stream.dataset: aws.cloudtrail and user.name: carol"), a, NULL);
    /* an action routed to a rule of its own, each: 300 sequences of lists
     * with the providers', more than th_hits remembers (256), so that
     * sequences of one length and one last list (the constants') share its
     * entries' sets */
    th_rule ar[100];
    for (int i = 0; i < 100; i++) {
        rule_of(&ar[i], th_arena_printf(a, "action %d", i));
        th_engine_add_query(f.e, &ar[i], kql(a, th_arena_printf(a, "event.action: Action%d", i)),
                            a, NULL);
    }
    const char *providers[] = {"iam.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com"};
    const char *actions[] = {"CreateUser", "ListBuckets", "GetUser"};
    const char *users[] = {"alice", "bob", "carol"};
    char *recs[27], *many[300];
    size_t nrecs = 0;
    for (int i = 0; i < 27; i++) /* the providers change fastest, then the actions */
        recs[nrecs++] = call_rec(a, providers[i % 3], actions[i / 3 % 3], users[i / 9]);
    for (int i = 0; i < 300; i++)
        many[i] = call_rec(a, providers[i % 3], th_arena_printf(a, "Action%d", i / 3), "bob");
    th_hits h;
    th_hits_init(&h, f.e);
    size_t routed = 0, planned = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < nrecs; i++)
            same_candidates(&f, &h, recs[i], &routed);
        same_plans(f.e, f.m, a, &h, recs, nrecs, &planned);
        for (size_t i = 0; i < 300; i++)
            same_candidates(&f, &h, many[(i * 7 + (size_t)round) % 300], &routed);
    }
    assert_true(routed > 3 * nrecs); /* the rule of every event, and more */
    assert_true(planned > 0);
    /* rule 0's gate now reads the identity's type: a need remembered with
     * the old gate would not fill it, and the gate would fail */
    th_query *gq = kql(a, "aws.cloudtrail.user_identity.type: IAMUser");
    const th_str gf[] = {TH_STR_LIT("aws.cloudtrail.user_identity.type")};
    th_engine_set_gate_query(f.e, 0, &gq, 1, gf, 1);
    size_t p[8], n = 0;
    bool dom;
    assert_int_equal(plan_with(f.e, f.m, a, &h, recs[9], false, &dom, p, &n), 1); /* iam, bob */
    bool has0 = false;
    for (size_t k = 0; k < n; k++)
        has0 |= p[k] == 0;
    assert_true(has0);
    for (size_t i = 0; i < nrecs; i++)
        same_candidates(&f, &h, recs[i], &routed);
    same_plans(f.e, f.m, a, &h, recs, nrecs, &planned);
    th_hits_free(&h);
    fixture_free(&f);
}

/* A plan remembered whole (hotpass.c plan_entry.whole: every candidate's
 * gate a kept one) is never served where a candidate's gate is not kept: the
 * records below share their routed values and the values of the kept gate's
 * slot (user.name), so they share a remembered entry, and differ in the
 * subtree that the other gate reads (which keeps it out of the key). */
static void remembered_plans_partly(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "kept");
    rule_of(&r[1], "subtree");
    th_engine_add_query(f.e, &r[0], kql(a, "event.action: GetObject and user.name: alice"), a,
                        NULL);
    th_engine_add_query(
        f.e, &r[1],
        kql(a, "event.action: GetObject and aws.cloudtrail.flattened.request_parameters.key: s"),
        a, NULL);
    th_query *g0 = kql(a, "user.name: alice");
    const th_str f0[] = {TH_STR_LIT("user.name")};
    th_engine_set_gate_query(f.e, 0, &g0, 1, f0, 1);
    th_query *g1 = kql(a, "aws.cloudtrail.flattened.request_parameters.key: s");
    const th_str f1[] = {TH_STR_LIT("aws.cloudtrail.flattened.request_parameters.key")};
    th_engine_set_gate_query(f.e, 1, &g1, 1, f1, 1);
    char *recs[8];
    const char *keys[] = {"s", "t"}, *users[] = {"alice", "bob"};
    for (int i = 0; i < 8; i++)
        recs[i] = th_arena_printf(a,
                                  "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
                                  "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                                  "{\"type\":\"IAMUser\",\"userName\":\"%s\"},"
                                  "\"requestParameters\":{\"key\":\"%s\"}}",
                                  users[i / 4 % 2], keys[i % 2]);
    /* the gates decide: alice's records plan rule 0, those of key s rule 1 */
    size_t p[8], n = 0;
    bool dom;
    assert_int_equal(plan_of(f.e, f.m, a, recs[0], false, &dom, p, &n), 1);
    assert_int_equal(n, 2);
    assert_int_equal(plan_of(f.e, f.m, a, recs[1], false, &dom, p, &n), 1);
    assert_int_equal(n, 1);
    assert_int_equal(p[0], 0);
    assert_int_equal(plan_of(f.e, f.m, a, recs[5], false, &dom, p, &n), 0);
    th_hits h;
    th_hits_init(&h, f.e);
    size_t planned = 0;
    for (int round = 0; round < 3; round++)
        same_plans(f.e, f.m, a, &h, recs, 8, &planned);
    assert_true(planned > 0);
    th_hits_free(&h);
    fixture_free(&f);
}

/* A remembered plan that is not whole (a gate that is not kept among the
 * candidates) visits, on a later record of its key, only the candidates
 * that may plan (hotpass.c plan_entry.todo): those without a gate, with a
 * gate that is not kept (evaluated again), or whose kept gate held. Six
 * rules of the one action, gates of every kind interleaved (kept, subtree,
 * none, kept, subtree, kept), over records whose kept gates' values repeat
 * while the subtree's key changes: each plan, rules and order, equals a
 * fresh th_hits's, and every rule is planned on some record and left out on
 * another. */
static void remembered_plans_todo(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    const char *gate[6] = {"user.name: alice",
                           "aws.cloudtrail.flattened.request_parameters.key: s",
                           NULL,
                           "aws.cloudtrail.user_identity.type: IAMUser",
                           "aws.cloudtrail.flattened.request_parameters.key: t",
                           "user.name: bob"};
    const char *field[6] = {"user.name",
                            "aws.cloudtrail.flattened.request_parameters.key",
                            NULL,
                            "aws.cloudtrail.user_identity.type",
                            "aws.cloudtrail.flattened.request_parameters.key",
                            "user.name"};
    th_rule r[6];
    const th_str get[] = {TH_STR_LIT("GetObject")}; /* copied by the engine */
    th_prefilter pf = {"event.action", get, 1, false};
    for (size_t i = 0; i < 6; i++) {
        rule_of(&r[i], th_arena_printf(a, "r%zu", i));
        if (!gate[i]) { /* routed on the action, no gate (th_engine_add_query would make one) */
            assert_int_equal(th_engine_add_rule(f.e, &r[i], NULL, NULL, &pf, 1, NULL), i);
            continue;
        }
        const char *q = th_arena_printf(a, "event.action: GetObject and %s", gate[i]);
        assert_int_equal(th_engine_add_query(f.e, &r[i], kql(a, q), a, NULL), i);
        th_query *g = kql(a, gate[i]);
        const th_str fl[] = {th_str_c(field[i])};
        th_engine_set_gate_query(f.e, i, &g, 1, fl, 1);
    }
    const char *users[] = {"alice", "bob", "carol"}, *types[] = {"IAMUser", "Root"},
               *keys[] = {"s", "t", "u"};
    char *recs[18];
    for (int i = 0; i < 18; i++)
        recs[i] = th_arena_printf(a,
                                  "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\","
                                  "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                                  "{\"type\":\"%s\",\"userName\":\"%s\"},"
                                  "\"requestParameters\":{\"key\":\"%s\"}}",
                                  types[i / 9], users[i / 3 % 3], keys[i % 3]);
    th_hits h;
    th_hits_init(&h, f.e);
    unsigned seen_in = 0, seen_out = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < 18; i++) {
            size_t p1[8], n1 = 0, p2[8], n2 = 0;
            bool dom;
            int r1 = plan_with(f.e, f.m, a, &h, recs[i], false, &dom, p1, &n1);
            int r2 = plan_of(f.e, f.m, a, recs[i], false, &dom, p2, &n2);
            assert_int_equal(r1, r2);
            assert_int_equal(n1, n2);
            unsigned in = 0;
            for (size_t k = 0; k < n1; k++) {
                assert_int_equal(p1[k], p2[k]);
                in |= 1u << p1[k];
            }
            seen_in |= in;
            seen_out |= ~in & 0x3f;
        }
    }
    assert_int_equal(seen_in, 0x3f);
    assert_int_equal(seen_out, 0x3f & ~(1u << 2)); /* the rule without a gate: always */
    th_hits_free(&h);
    fixture_free(&f);
}

/* A remembered plan demands of the mapping what its rules demand, as a
 * fresh th_hits's plan does (a whole plan's demand is kept with it): rules
 * that demand different blocks (the user agent's parse, geo, TLS), planned
 * on different records through one th_hits, round after round. */
static void remembered_plans_demand(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    /* user_agent.version: the parse's, which no gate reads (its name is a
     * computed slot that the gate would test, and find absent) */
    const char *q[3] = {"event.action: CreateUser and user.name: ab and user_agent.version: x",
                        "event.action: CreateUser and user.name: a and source.geo.city_name: y",
                        "event.action: CreateUser and tls.client.server_name: z"};
    th_rule r[3];
    for (size_t i = 0; i < 3; i++) {
        rule_of(&r[i], th_arena_printf(a, "r%zu", i));
        assert_int_equal(th_engine_add_query(f.e, &r[i], kql(a, q[i]), a, NULL), i);
    }
    th_ecs_demand all;
    th_ecs_demand_none(&all);
    th_engine_demand(f.e, &all);
    char *recs[] = {user_rec(a, "CreateUser", "ab"), user_rec(a, "CreateUser", "a"),
                    user_rec(a, "CreateUser", "b"), user_rec(a, "GetUser", "ab")};
    th_hits h;
    th_hits_init(&h, f.e);
    uint32_t seen[4] = {0};
    for (int round = 0; round < 3; round++) { /* the later rounds from the remembered plans */
        for (size_t i = 0; i < 4; i++) {
            size_t p1[8], n1 = 0, p2[8], n2 = 0;
            bool dom;
            th_ecs_demand d1, d2;
            th_ecs_demand_none(&d1);
            th_ecs_demand_none(&d2);
            int r1 = plan_dem_with(f.e, f.m, a, &h, recs[i], false, &dom, p1, &n1, &d1);
            int r2 = plan_dem_with(f.e, f.m, a, NULL, recs[i], false, &dom, p2, &n2, &d2);
            assert_int_equal(r1, r2);
            assert_int_equal(n1, n2);
            assert_int_equal(d1.blocks, d2.blocks);
            seen[i] = d1.blocks;
        }
    }
    /* three plans, three demands, each more than the rest's */
    assert_int_not_equal(seen[0], seen[1]);
    assert_int_not_equal(seen[0], seen[2]);
    assert_int_not_equal(seen[1], seen[2]);
    assert_true(th_ecs_demand_has(&(th_ecs_demand){seen[0]}, TH_MB_UA_PARSE));
    assert_true(th_ecs_demand_has(&(th_ecs_demand){seen[1]}, TH_MB_GEO));
    assert_false(th_ecs_demand_has(&(th_ecs_demand){seen[2]}, TH_MB_GEO));
    th_hits_free(&h);
    fixture_free(&f);
}

/* Plans remembered under a slot that holds a number (source.as.number,
 * which the key writes in its loop as it writes strings): addresses of two
 * networks (Google's two, Cloudflare's two), one of none and no address,
 * each planned through one th_hits as a fresh th_hits plans it; the gates
 * read the number. */
static void remembered_plans_numbers(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_mapper_free(f.m); /* the deployed mapping, with the ASN table */
    th_mapper_paths paths;
    th_mapper_opts mo;
    th_mapper_opts_deployed(&mo, &paths);
    assert_non_null(mo.geoip_asn_db);
    f.m = th_mapper_new(&mo, &f.d);
    assert_non_null(f.m);
    th_arena *a = &f.a;
    const char *q[2] = {"event.action: CreateUser and source.as.number: 15169",
                        "event.action: CreateUser and source.as.number: 13335"};
    th_rule r[2];
    for (size_t i = 0; i < 2; i++) {
        rule_of(&r[i], th_arena_printf(a, "r%zu", i));
        assert_int_equal(th_engine_add_query(f.e, &r[i], kql(a, q[i]), a, NULL), i);
    }
    const char *ips[] = {"8.8.8.8", "1.1.1.1", "8.8.4.4", "10.0.0.1", "1.0.0.1", "x"};
    enum { N = sizeof ips / sizeof ips[0] };
    char *recs[N];
    for (size_t i = 0; i < N; i++)
        recs[i] = th_arena_printf(a,
                                  "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":"
                                  "\"CreateUser\",\"eventTime\":\"2024-01-01T00:00:00Z\","
                                  "\"sourceIPAddress\":\"%s\"}",
                                  ips[i]);
    th_hits h;
    th_hits_init(&h, f.e);
    size_t planned = 0;
    unsigned in = 0, out = 0;
    for (int round = 0; round < 3; round++) { /* the later rounds from the remembered plans */
        same_plans(f.e, f.m, a, &h, recs, N, &planned);
        for (size_t i = 0; i < N; i++) {
            size_t p[8], n = 0;
            bool dom;
            plan_with(f.e, f.m, a, &h, recs[i], false, &dom, p, &n);
            unsigned got = 0;
            for (size_t k = 0; k < n; k++)
                got |= 1u << p[k];
            in |= got;
            out |= ~got & 3;
        }
    }
    assert_int_equal(in, 3); /* each rule planned on some record, left out on another */
    assert_int_equal(out, 3);
    th_hits_free(&h);
    fixture_free(&f);
}

/* Plans remembered in sets of entries (hotpass.c PLAN_WAYS) equal those of a
 * fresh th_hits: two thirds of the records from 700 names that repeat (about
 * three a set, so that look-ups find them in every way of a set, and fuller
 * sets push some out), a third from 3,000 others (more than the entries
 * remembered), the gate's result by each name's last byte. */
static void remembered_plans_sets(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "names ending in 3, 5 or 7");
    rule_of(&r[1], "ungated");
    th_engine_add_query(f.e, &r[0],
                        kql(a, "event.action: CreateUser and user.name: (*3 or *5 or *7)"), a,
                        NULL);
    th_engine_add_query(f.e, &r[1], kql(a, "event.action: CreateUser"), a, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    th_arena ra; /* the records', reset as they go (the queries stay in a) */
    th_arena_init(&ra, 1 << 16);
    size_t planned = 0, gated = 0;
    for (unsigned i = 0; i < 6000; i++) {
        unsigned k = i % 3 ? i * 7919u % 700u : 1000u + i * 7919u % 3000u;
        char *rec = user_rec(&ra, "CreateUser", th_arena_printf(&ra, "user-%u", k));
        size_t before = planned;
        same_plans(f.e, f.m, &ra, &h, &rec, 1, &planned);
        gated += planned - before == 2;
        if (i % 64 == 63)
            th_arena_reset(&ra);
    }
    assert_true(gated > 600 && gated < 5400); /* the gate decides both ways */
    th_arena_free(&ra);
    th_hits_free(&h);
    fixture_free(&f);
}

/* The plan key names its candidates by their set's number (hotpass.c
 * candset_of), and h->seen points at the remembered candidates: 300 rules,
 * each routed by its own action, whose gates read the same slot (user.name:
 * a gate set apart from the query), so that the records of two actions
 * differ in their candidates alone; more sets than the numbering's first
 * table holds, and than th_hits remembers candidate entries, in an order
 * that changes from round to round. The plans through one th_hits equal a
 * fresh one's (candidates read from an entry's stale list fail it; a number
 * shared by two sets would mislead only where their keys' hashes, which
 * start from the candidates' own, agree too). */
static void remembered_plans_candsets(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    enum { NACT = 300 };
    th_rule r[NACT];
    const th_str gf[] = {TH_STR_LIT("user.name")};
    for (unsigned i = 0; i < NACT; i++) {
        rule_of(&r[i], th_arena_printf(a, "act %u", i));
        th_engine_add_query(f.e, &r[i], kql(a, th_arena_printf(a, "event.action: Act%03u", i)), a,
                            NULL);
        th_query *gq = kql(a, th_arena_printf(a, "user.name: u%u", i % 3));
        th_engine_set_gate_query(f.e, i, &gq, 1, gf, 1);
    }
    th_hits h;
    th_hits_init(&h, f.e);
    th_arena ra; /* the records', reset as they go (the queries stay in a) */
    th_arena_init(&ra, 1 << 16);
    size_t planned = 0, looked = 0;
    for (unsigned round = 0; round < 4; round++) {
        for (unsigned i = 0; i < 3 * NACT; i++) {
            unsigned k = (i * 7919u + round * 104729u) % (3 * NACT);
            char *rec = user_rec(&ra, th_arena_printf(&ra, "Act%03u", k % NACT),
                                 th_arena_printf(&ra, "u%u", k / NACT));
            same_plans(f.e, f.m, &ra, &h, &rec, 1, &planned);
            looked++;
            if (i % 64 == 63)
                th_arena_reset(&ra);
        }
    }
    assert_int_equal(planned, looked / 3); /* each action's rule, for one name of three */
    th_arena_free(&ra);
    th_hits_free(&h);
    fixture_free(&f);
}

/* The plan key names the routed values by their number (hotpass.c
 * val_put) and leaves their slots' values out: two actions that route to
 * the same rules, whose gate (set apart from the query) reads the action,
 * planned through one th_hits as a fresh one plans them; with an action too
 * long to be numbered, one of another provider, and a name that fails the
 * gate. Leaving the values out without the number fails it. */
static void remembered_plans_routed(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    const char *longer = "CreateUserCreateUserCreateUserCreateUserCreateUserX"; /* > 48 bytes */
    th_rule r[2];
    rule_of(&r[0], "create by ab");
    rule_of(&r[1], "either");
    const char *q = th_arena_printf(a, "event.action: (CreateUser or GetUser or %s)", longer);
    th_engine_add_query(f.e, &r[0], kql(a, q), a, NULL);
    th_engine_add_query(f.e, &r[1], kql(a, q), a, NULL);
    th_query *gq =
        kql(a, th_arena_printf(a, "event.action: (CreateUser or %s) and user.name: ab", longer));
    const th_str gf[] = {TH_STR_LIT("event.action"), TH_STR_LIT("user.name")};
    th_engine_set_gate_query(f.e, 0, &gq, 1, gf, 2);
    th_hits h;
    th_hits_init(&h, f.e);
    char *recs[] = {
        user_rec(a, "CreateUser", "ab"),
        user_rec(a, "GetUser", "ab"),
        user_rec(a, "CreateUser", "zz"),
        user_rec(a, longer, "ab"),
        user_rec(a, "GetUser", "zz"),
        user_rec(a, longer, "zz"),
        th_arena_printf(a, "{\"eventSource\":\"sts.amazonaws.com\",\"eventName\":"
                           "\"CreateUser\",\"eventTime\":\"2024-01-01T00:00:00Z\","
                           "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"ab\"}}")};
    size_t nrecs = sizeof recs / sizeof recs[0], planned = 0;
    same_plans_rounds(f.e, f.m, a, &h, recs, nrecs, &planned);
    assert_int_equal(planned, 3 * 10); /* r1 on every record, r0 on three */
    th_hits_free(&h);
    fixture_free(&f);
}

/* A slot's head in the plan key (hotpass.c key_head), one for a slot of one
 * string, another for any other: an empty name, no name and two names (one
 * of them empty), each planned through one th_hits as a fresh one plans it;
 * the gate (any name) holds on the empty name and not on none. (Heads that
 * took an empty slot for an empty string would mislead only where the
 * key's hash, which counts each string, agreed too.) */
static void remembered_plans_heads(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[1];
    rule_of(&r[0], "any name");
    th_engine_add_query(f.e, &r[0], kql(a, "event.action: CreateUser and user.name: *"), a, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    char *recs[] = {
        user_rec(a, "CreateUser", ""),
        "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\","
        "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"IAMUser\"}}",
        "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\","
        "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"IAMUser\","
        "\"userName\":[\"ab\",\"\"]}}",
        user_rec(a, "CreateUser", "ab")};
    size_t nrecs = sizeof recs / sizeof recs[0], planned = 0;
    for (int round = 0; round < 3; round++)
        same_plans(f.e, f.m, a, &h, recs, nrecs, &planned);
    size_t p[8], n = 0;
    bool dom;
    assert_int_equal(plan_of(f.e, f.m, a, recs[0], false, &dom, p, &n), 1);
    assert_int_equal(plan_of(f.e, f.m, a, recs[1], false, &dom, p, &n), 0);
    th_hits_free(&h);
    fixture_free(&f);
}

/* The identity's slots in the plan key by their userIdentity text's number
 * (rawproj.h th_ecs_slots_ident) in place of their values: a gate on the
 * ARN and the key id, records whose texts differ in those (and one, the
 * session's time, in neither; user.name from outside userIdentity, which
 * the number does not stand for), each planned through one th_hits as a
 * fresh one plans it. A key that left those slots out without the number
 * (and the hash without it: the hash alone keeps the keys apart here)
 * would plan the first text's rules for the others. */
static void remembered_plans_identity(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "arn a");
    rule_of(&r[1], "key k1 and carol");
    th_engine_add_query(f.e, &r[0],
                        kql(a, "event.action: GetUser and aws.cloudtrail.user_identity.arn: "
                               "\"arn:a\""),
                        a, NULL);
    th_engine_add_query(f.e, &r[1],
                        kql(a,
                            "event.action: GetUser and "
                            "aws.cloudtrail.user_identity.access_key_id: K1 and user.name: carol"),
                        a, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    static const char *const ids[][4] = {
        {"arn:a", "K1", "t1", ""}, {"arn:b", "K1", "t1", ""},      {"arn:a", "K2", "t1", ""},
        {"arn:a", "K1", "t2", ""}, {"arn:a", "K1", "t1", "carol"}, {"arn:b", "K1", "t2", "carol"},
    };
    char *recs[sizeof ids / sizeof ids[0]];
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        recs[i] = th_arena_printf(
            a,
            "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"GetUser\","
            "\"eventTime\":\"2024-01-01T00:00:00Z\",\"additionalEventData\":{\"UserName\":"
            "\"%s\"},\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"%s\","
            "\"accessKeyId\":\"%s\",\"sessionContext\":{\"attributes\":{\"creationDate\":"
            "\"%s\"}}}}",
            ids[i][3], ids[i][0], ids[i][1], ids[i][2]);
    const size_t nrecs = sizeof recs / sizeof recs[0];
    size_t planned = 0;
    same_plans_rounds(f.e, f.m, a, &h, recs, nrecs, &planned);
    assert_int_equal(planned, 3 * 6); /* r0 on four records, r1 on two */
    th_hits_free(&h);
    fixture_free(&f);
}

/* The AS slots in the plan key by source.ip's values (rawproj.h
 * th_ecs_slots_asn) where a gate reads source.ip with them: a gate on the
 * AS organisation alone (the key must then hold the AS slots' values), one
 * on the address and the AS number, records of addresses of one AS, of
 * another, of none, and of two, each planned through one th_hits as a
 * fresh one plans it. A key that left the AS slots out where the address
 * is not read would plan the first AS's rules for the others. */
static void remembered_plans_asn(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_mapper_free(f.m);
    th_mapper_opts mo;
    th_mapper_opts_default(&mo);
    char asn[4200]; /* the ASN table `make` builds */
    mo.geoip_asn_db = th_mapper_default_asn_path(asn, sizeof asn);
    assert_non_null(mo.geoip_asn_db);
    f.m = th_mapper_new(&mo, &f.d);
    assert_non_null(f.m);
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "amazon");
    rule_of(&r[1], "not 16509 from 81.2.69.155");
    th_engine_add_query(f.e, &r[0],
                        kql(a, "event.action: GetObject and source.as.organization.name: "
                               "\"Amazon.com, Inc.\""),
                        a, NULL);
    th_engine_add_query(f.e, &r[1],
                        kql(a, "event.action: PutObject and source.ip: \"81.2.69.155\" and not "
                               "source.as.number: 16509"),
                        a, NULL);
    th_hits h;
    th_hits_init(&h, f.e);
    static const char *const ips[] = {
        "\"54.225.28.213\"",
        "\"3.111.14.172\"",
        "\"81.2.69.155\"",
        "\"8.8.8.8\"",
        "[\"81.2.69.155\",\"3.111.14.172\"]",
        "\"not an address\"",
    };
    const size_t nips = sizeof ips / sizeof ips[0];
    char *recs[2 * sizeof ips / sizeof ips[0]];
    for (size_t i = 0; i < 2 * nips; i++)
        recs[i] = th_arena_printf(a,
                                  "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"%s\","
                                  "\"eventTime\":\"2024-01-01T00:00:00Z\",\"sourceIPAddress\":%s}",
                                  i < nips ? "GetObject" : "PutObject", ips[i % nips]);
    const size_t nrecs = sizeof recs / sizeof recs[0];
    size_t planned = 0;
    same_plans_rounds(f.e, f.m, a, &h, recs, nrecs, &planned);
    /* r0 on the two Amazon addresses and the pair; r1 on the two records
     * holding 81.2.69.155 */
    assert_int_equal(planned, 3 * 5);
    th_hits_free(&h);
    fixture_free(&f);
}

/* user_agent.name as a computed slot (rawproj.c slots_ua): a gate that
 * tests it plans its rule on exactly the records whose mapped document
 * holds the name it wants (here the gate is the whole query), through one
 * th_hits as through fresh ones; a rule that tests its absence is planned
 * wherever its query may hold. A userAgent that is not one string that is
 * not empty is left to the mapping: the fill and the projection refuse it. */
static void gates_user_agent_name(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_mapper_free(f.m);
    th_mapper_opts mo;
    th_mapper_opts_default(&mo);
    char ua[4200]; /* uap-core's regexes (scripts/setup.sh) */
    mo.ua_regexes = th_mapper_default_ua_path(ua, sizeof ua);
    assert_non_null(mo.ua_regexes);
    f.m = th_mapper_new(&mo, &f.d);
    assert_non_null(f.m);
    assert_true(th_mapper_has_ua(f.m));
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "cli");
    rule_of(&r[1], "not cli");
    assert_int_equal(th_engine_add_query(
                         f.e, &r[0],
                         kql(a, "event.action: ListUsers and user_agent.name: \"aws-cli\""), a, NULL),
                     0);
    assert_int_equal(
        th_engine_add_query(f.e, &r[1],
                            kql(a, "event.action: ListUsers and not user_agent.name: \"aws-cli\""),
                            a, NULL),
        1);
    static const char *const uas[] = {
        "\"aws-cli/2.22.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.8.0-1019-aws md/arch#x86_64\"",
        "\"Boto3/1.34.162 md/Botocore#1.34.162 ua/2.0 os/linux#5.10.227 lang/python#3.11.10\"",
        "\"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/130.0.0.0 Safari/537.36\"",
        "\"aws-cli/1.18.69 Python/3.8.10 Linux/5.4.0-1045-aws botocore/1.17.44\"",
        "\"aws-cli\"",
        "\"aws-\\u0063li/2.9.0 Python/3.9.11 Linux/5.10\"",
        "null",
        NULL, /* none */
    };
    enum { N = sizeof uas / sizeof uas[0] };
    char *recs[N];
    for (size_t i = 0; i < N; i++)
        recs[i] = th_arena_printf(a,
                                  "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"ListUsers\","
                                  "\"eventTime\":\"2024-01-01T00:00:00Z\"%s%s}",
                                  uas[i] ? ",\"userAgent\":" : "", uas[i] ? uas[i] : "");
    size_t cli = 0, others = 0;
    for (size_t later = 0; later < 2; later++) { /* looked up at the fill, or by the plan */
        fill_later = later;
        th_hits h;
        th_hits_init(&h, f.e);
        size_t planned = 0;
        same_plans_rounds(f.e, f.m, a, &h, recs, N, &planned);
        th_hits_free(&h);
        cli = others = 0;
        for (size_t i = 0; i < N; i++) {
            th_json_error err;
            th_jval *json = th_json_parse(a, recs[i], strlen(recs[i]), &err);
            assert_non_null(json);
            th_jval *doc = th_ecs_map(f.m, a, json, th_str_c(recs[i]));
            const th_jval *name = th_jobj_get_path(doc, "user_agent.name");
            bool is_cli = th_jis(name, TH_JSTR) && th_str_eqc(name->u.str, "aws-cli");
            size_t p[8], np = 0;
            bool dom;
            int rc = plan_of(f.e, f.m, a, recs[i], false, &dom, p, &np);
            assert_int_equal(rc, np > 0);
            bool r0 = false, r1 = false;
            for (size_t k = 0; k < np; k++) {
                r0 |= p[k] == 0;
                r1 |= p[k] == 1;
            }
            assert_int_equal(r0, is_cli); /* the gate is the query: exactly */
            if (!is_cli)
                assert_true(r1); /* necessary: never left out where it may hold */
            cli += is_cli;
            others += !is_cli && name;
        }
    }
    fill_later = false;
    assert_int_equal(cli, 3); /* the mapper's user-agent data names three of them aws-cli */
    assert_true(others >= 2);
    /* an array, an object or an empty text: the mapping renders it whole (or
     * drops it), which the slot would not tell */
    static const char *const odd[] = {"[\"aws-cli/2.22.4\"]", "\"\"", "{\"a\":\"aws-cli/2\"}"};
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        char *rec = th_arena_printf(a,
                                    "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":"
                                    "\"ListUsers\",\"eventTime\":\"2024-01-01T00:00:00Z\","
                                    "\"userAgent\":%s}",
                                    odd[i]);
        th_jscan *scan = th_jscan_new();
        assert_true(th_jscan_load(scan, rec, strlen(rec), NULL));
        th_ecs_slots sl;
        th_ecs_slots_init(&sl);
        int64_t ts, ing;
        bool timed;
        assert_true(th_ecs_slots_start(f.m, a, scan, 0, &sl, &ts, &ing, &timed));
        assert_false(th_ecs_slots_fill(&sl, TH_PROJ_UA, 0));
        assert_null(th_ecs_project_only(f.m, a, scan, TH_PROJ_UA, 0, NULL, NULL, NULL));
        th_ecs_slots_free(&sl);
        th_jscan_free(scan);
    }
    fixture_free(&f);
}

/* Records whose routed values meet more lists than a candidate entry holds
 * (hotpass.c CAND_LISTS): no entry, no numbers, the key holds the
 * candidates' list and every value. Ten rules, each routed by its own
 * action and gated on the name; records of nine and ten actions at once,
 * two names, planned through one th_hits as a fresh one plans them. */
static void remembered_plans_many_lists(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    enum { NACT = 10 };
    th_rule r[NACT];
    const th_str gf[] = {TH_STR_LIT("user.name")};
    for (unsigned i = 0; i < NACT; i++) {
        rule_of(&r[i], th_arena_printf(a, "act %u", i));
        th_engine_add_query(f.e, &r[i], kql(a, th_arena_printf(a, "event.action: Act%03u", i)), a,
                            NULL);
        th_query *gq = kql(a, th_arena_printf(a, "user.name: u%u", i % 2));
        th_engine_set_gate_query(f.e, i, &gq, 1, gf, 1);
    }
    th_hits h;
    th_hits_init(&h, f.e);
    char *recs[4];
    for (unsigned k = 0; k < 4; k++) {
        const char *acts = k < 2 ? "" : "\"Act009\",";
        recs[k] = th_arena_printf(
            a,
            "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":[%s\"Act000\",\"Act001\","
            "\"Act002\",\"Act003\",\"Act004\",\"Act005\",\"Act006\",\"Act007\",\"Act008\"],"
            "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":{\"type\":\"IAMUser\","
            "\"userName\":\"u%u\"}}",
            acts, k % 2);
    }
    size_t planned = 0;
    for (int round = 0; round < 3; round++)
        same_plans(f.e, f.m, a, &h, recs, 4, &planned);
    assert_int_equal(planned, 3 * (5 + 4 + 5 + 5)); /* u0: even actions, u1: odd ones */
    th_hits_free(&h);
    fixture_free(&f);
}

/* Candidates remembered by the routed values themselves (hotpass.c
 * th_val_entry) equal those of a fresh th_hits: for 300 actions of one length
 * that differ in their last bytes (more than the values remembered, so that
 * many share an entry and evict one another, and the candidate sets they led
 * to are overwritten by others), routed case-sensitively (KQL) and not (EQL
 * `:`), under providers of one length that differ in one byte; in an order
 * that changes from round to round; for an action longer than the values
 * kept, an empty one, none, and two in one record (an array). */
static void remembered_routings(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    enum { NACT = 300 };
    th_rule r[NACT / 3 + 3];
    size_t nr = 0;
    for (int i = 0; i < NACT; i += 3) { /* a rule for every third action */
        rule_of(&r[nr], th_arena_printf(a, "action %d", i));
        th_query *q;
        if (i % 2) {
            th_diags d;
            th_diags_init(&d);
            const char *t = th_arena_printf(a, "any where event.action : \"aCTION%03d\"", i);
            q = th_query_compile(a, TH_QLANG_EQL, t, strlen(t), NULL, &d);
            th_diags_free(&d);
            assert_non_null(q);
        } else {
            q = kql(a, th_arena_printf(a, "event.action: Action%03d", i));
        }
        th_engine_add_query(f.e, &r[nr++], q, a, NULL);
    }
    rule_of(&r[nr], "ec2");
    th_engine_add_query(f.e, &r[nr++], kql(a, "event.provider: ec2.amazonaws.com"), a, NULL);
    rule_of(&r[nr], "fc2 or long");
    th_engine_add_query(f.e, &r[nr++],
                        kql(a, "event.provider: fc2.amazonaws.com or event.action: "
                               "ActionWithANameLongerThanTheFortyEightBytesRemembered"),
                        a, NULL);
    rule_of(&r[nr], "bob"); /* every event */
    th_engine_add_query(f.e, &r[nr++], kql(a, "user.name: bob"), a, NULL);
    const char *providers[] = {"ec2.amazonaws.com", "ec3.amazonaws.com", "fc2.amazonaws.com"};
    enum { NREC = NACT * 2 + 5 };
    char *recs[NREC];
    size_t n = 0;
    for (int i = 0; i < NACT * 2; i++) /* each action under two providers, some upper case */
        recs[n++] = call_rec(a, providers[(i / NACT + i) % 3],
                             th_arena_printf(a, i % 5 == 1 ? "ACTION%03d" : "Action%03d", i % NACT),
                             "bob");
    recs[n++] = call_rec(a, providers[0], "ActionWithANameLongerThanTheFortyEightBytesRemembered",
                         "bob");
    recs[n++] = call_rec(a, providers[1], "ActionWithANameLongerThanTheFortyEightBytesRemembereD",
                         "bob");
    recs[n++] = call_rec(a, providers[2], "", "bob");
    recs[n++] = "{\"eventSource\":\"ec2.amazonaws.com\",\"eventTime\":\"2024-01-01T00:00:00Z\"}";
    recs[n++] = "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":[\"Action000\",\"Action003\"],"
                "\"eventTime\":\"2024-01-01T00:00:00Z\"}";
    assert_int_equal(n, NREC);
    th_hits h;
    th_hits_init(&h, f.e);
    size_t routed = 0;
    for (size_t round = 0; round < 4; round++)
        for (size_t i = 0; i < NREC; i++)
            same_candidates(&f, &h, recs[(i * (round * 6 + 1) + round * 13) % NREC], &routed);
    /* the rule of every event, and more: the actions' and providers' rules */
    assert_true(routed > 4 * NREC + NREC);
    th_hits_free(&h);
    fixture_free(&f);
}

/* The result of rule ri on doc after a plan on rec's slots, evaluated
 * (th_engine_eval_plan) with known fields that call the slots in `exact`
 * the document's: 1 a match, 0 none, -1 not planned. */
/* decided, with the document's field at known_path (NULL: none) known as a
 * slot document's (th_qfields_put), as the pipeline gives it */
static int decided_as(fixture *f, size_t ri, const char *rec, const char *doc, uint64_t exact,
                      const char *known_path);

static int decided(fixture *f, size_t ri, const char *rec, const char *doc, uint64_t exact)
{
    return decided_as(f, ri, rec, doc, exact, NULL);
}

static int decided_as(fixture *f, size_t ri, const char *rec, const char *doc, uint64_t exact,
                      const char *known_path)
{
    th_arena *a = &f->a;
    th_hits h;
    th_hits_init(&h, f->e);
    size_t plan[8], n = 0;
    bool dom;
    int rc = -1;
    if (plan_with(f->e, f->m, a, &h, rec, false, &dom, plan, &n) == 1) {
        bool planned = false;
        for (size_t i = 0; i < n; i++)
            planned |= plan[i] == ri;
        if (planned) {
            th_json_error err;
            th_event ev = {0};
            ev.doc = th_json_parse(a, doc, strlen(doc), &err);
            assert_non_null(ev.doc);
            ev.timestamp_ms = 1704067200000;
            ev.ingested_ms = TH_TIME_NONE;
            th_qknown known = {NULL, 0, NULL, 0, exact};
            static uint8_t at[4096];
            uint32_t id = known_path ? th_query_field_id(th_str_c(known_path)) : 0;
            const th_jval *val =
                known_path ? th_json_path_first(ev.doc, th_str_c(known_path)) : NULL;
            if (known_path) {
                assert_true(th_qknown_of(&known, at, sizeof at, &id, &val, 1));
                known.exact_slots = exact;
            }
            th_engine_eval_plan(f->e, &ev, &known, &h);
            rc = 0;
            for (size_t i = 0; i < h.len; i++)
                if (h.items[i].rule == ri && h.items[i].result == 1)
                    rc = 1;
        }
    }
    th_hits_free(&h);
    return rc;
}

/* A gate that is the necessary condition of its query (th_engine_set_gate_rest,
 * set by th_engine_add_query) decides what it holds where the slots it read
 * are the document's (th_qknown.exact_slots): the engine then evaluates the
 * rest of the query alone; where they may not be, the whole query. The
 * documents below disagree with the slots on purpose, to tell the two apart. */
static void gate_decides(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "alice, success");
    rule_of(&r[1], "alice");
    /* event.outcome is no slot: the gate holds the action and user.name,
     * the rest is the outcome */
    th_engine_add_query(f.e, &r[0],
                        kql(a, "event.action: CreateUser and user.name: alice and "
                               "event.outcome: success"),
                        a, NULL);
    th_engine_add_query(f.e, &r[1], kql(a, "event.action: CreateUser and user.name: alice"), a,
                        NULL);
    const char *rec = "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\","
                      "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                      "{\"type\":\"IAMUser\",\"userName\":\"alice\"}}";
    th_str rest;
    int user = th_ecs_slot_of(TH_STR_LIT("user.name"), &rest);
    assert_true(user >= 0 && user < 64);
    const uint64_t all = ~0ull, but_user = ~(1ull << user);
    /* no user.name in the document: the gate held it on the slots */
    const char *success = "{\"event\":{\"action\":\"CreateUser\",\"outcome\":\"success\"}}";
    const char *failure = "{\"event\":{\"action\":\"CreateUser\",\"outcome\":\"failure\"}}";
    assert_int_equal(decided(&f, 0, rec, success, all), 1);      /* the rest alone: true */
    assert_int_equal(decided(&f, 0, rec, failure, all), 0);      /* the rest alone: false */
    assert_int_equal(decided(&f, 0, rec, success, but_user), 0); /* the whole query */
    assert_int_equal(decided(&f, 1, rec, failure, all), 1);      /* no rest: the gate */
    assert_int_equal(decided(&f, 1, rec, failure, but_user), 0);
    assert_int_equal(decided(&f, 1, rec, failure, 0), 0);
    /* the whole query where the gate is not the query's condition any more */
    th_query *g = kql(a, "user.name: alice");
    const th_str gf[] = {TH_STR_LIT("user.name")};
    th_engine_set_gate_query(f.e, 1, &g, 1, gf, 1);
    assert_int_equal(decided(&f, 1, rec, failure, all), 0);
    fixture_free(&f);
}

/* The rests on slot documents with the data stream constants decided once
 * (th_engine_set_slot_constants): a slot document holds the mapper's
 * constants whatever the record, so the rest's conjunct on
 * data_stream.dataset is decided by them, and the whole query (slots not
 * exact) still reads the document. The documents below leave the constant
 * out or put it in against the constants given, to tell the ways apart. */
static void constants_decided(void **state)
{
    (void)state;
    fixture f;
    fixture_init(&f);
    th_arena *a = &f.a;
    th_rule r[2];
    rule_of(&r[0], "alice, success, cloudtrail");
    rule_of(&r[1], "alice, cloudtrail");
    /* no gate reads data_stream.dataset or event.outcome: both are the rest */
    th_engine_add_query(f.e, &r[0],
                        kql(a, "event.action: CreateUser and user.name: alice and "
                               "data_stream.dataset: aws.cloudtrail and event.outcome: success"),
                        a, NULL);
    const char *rec = "{\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"CreateUser\","
                      "\"eventTime\":\"2024-01-01T00:00:00Z\",\"userIdentity\":"
                      "{\"type\":\"IAMUser\",\"userName\":\"alice\"}}";
    th_str rest;
    int user = th_ecs_slot_of(TH_STR_LIT("user.name"), &rest);
    assert_true(user >= 0 && user < 64);
    const uint64_t all = ~0ull, but_user = ~(1ull << user);
    const char *bare = "{\"event\":{\"action\":\"CreateUser\",\"outcome\":\"success\"}}";
    const char *failed = "{\"event\":{\"action\":\"CreateUser\",\"outcome\":\"failure\"}}";
    const char *whole = "{\"event\":{\"action\":\"CreateUser\",\"outcome\":\"success\"},"
                        "\"user\":{\"name\":\"alice\"},"
                        "\"data_stream\":{\"dataset\":\"aws.cloudtrail\"}}";
    /* none given: the rest reads the document's */
    assert_int_equal(decided(&f, 0, rec, bare, all), 0);
    assert_int_equal(decided(&f, 0, rec, whole, all), 1);
    th_mapper_opts mo;
    th_mapper_opts_default(&mo);
    assert_true(mo.data_stream);
    const th_jval *on = th_ecs_slots_constants(f.m, NULL);
    assert_ptr_equal(on, th_ecs_slots_constants(NULL, &mo));
    th_engine_set_slot_constants(f.e, on, th_ecs_constant_field);
    assert_int_equal(decided(&f, 0, rec, bare, all), 1);   /* the constant: decided true */
    assert_int_equal(decided(&f, 0, rec, failed, all), 0); /* the outcome: still read */
    assert_int_equal(decided(&f, 0, rec, bare, but_user), 0); /* the whole query */
    assert_int_equal(decided(&f, 0, rec, whole, but_user), 1);
    /* the rest is now one quick leaf: decided in line where the outcome is
     * known as a slot document's field (no value: not true) */
    const char *none = "{\"event\":{\"action\":\"CreateUser\"}}";
    assert_int_equal(decided_as(&f, 0, rec, bare, all, "event.outcome"), 1);
    assert_int_equal(decided_as(&f, 0, rec, failed, all, "event.outcome"), 0);
    assert_int_equal(decided_as(&f, 0, rec, none, all, "event.outcome"), 0);
    /* a rule added after them is folded too; its rest is the constant alone */
    th_engine_add_query(f.e, &r[1],
                        kql(a, "event.action: CreateUser and user.name: alice and "
                               "data_stream.dataset: aws.cloudtrail"),
                        a, NULL);
    assert_int_equal(decided(&f, 1, rec, failed, all), 1);
    assert_int_equal(decided(&f, 1, rec, failed, but_user), 0);
    /* without the data stream: no slot document holds the constant, so
     * neither rule matches one, whatever the document says */
    mo.data_stream = false;
    th_engine_set_slot_constants(f.e, th_ecs_slots_constants(NULL, &mo), th_ecs_constant_field);
    assert_int_equal(decided(&f, 0, rec, whole, all), 0);
    assert_int_equal(decided(&f, 1, rec, whole, all), 0);
    assert_int_equal(decided(&f, 0, rec, whole, but_user), 1); /* the whole query: as it reads */
    assert_int_equal(decided(&f, 1, rec, whole, but_user), 1);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(gate_decides),
        cmocka_unit_test(constants_decided),
        cmocka_unit_test(gates_on_slots),
        cmocka_unit_test(remembered_plans),
        cmocka_unit_test(swapped_caches),
        cmocka_unit_test(remembered_plans_every_byte),
        cmocka_unit_test(remembered_plans_every_length),
        cmocka_unit_test(routes_kept_slots),
        cmocka_unit_test(remembered_candidates),
        cmocka_unit_test(remembered_routings),
        cmocka_unit_test(remembered_plans_partly),
        cmocka_unit_test(remembered_plans_todo),
        cmocka_unit_test(remembered_plans_demand),
        cmocka_unit_test(remembered_plans_numbers),
        cmocka_unit_test(remembered_plans_sets),
        cmocka_unit_test(remembered_plans_candsets),
        cmocka_unit_test(remembered_plans_routed),
        cmocka_unit_test(remembered_plans_heads),
        cmocka_unit_test(remembered_plans_many_lists),
        cmocka_unit_test(remembered_plans_identity),
        cmocka_unit_test(remembered_plans_asn),
        cmocka_unit_test(gates_user_agent_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
