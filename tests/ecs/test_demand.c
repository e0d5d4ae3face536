/* Lazy vs full mapping (ecs/demand.h): for every record of the corpus and of a
 * built-in set, and for every ECS field an AWS rule reads (query fields,
 * new_terms, threshold, cardinality and group-by fields, sequence keys), the
 * mapping with only that field's demand gives exactly the values of the full
 * mapping. Fields are grouped by demand, so each record is mapped once per
 * distinct demand. Also unit checks of the field -> block table. */
#include "th_test.h"

#include "ecs_records.h"

#include <dirent.h>

#include "base/vec.h"
#include "ecs/demand.h"
#include "ecs/mapper.h"
#include "ecs/rawproj.h"
#include "event/event.h"
#include "json/jscan.h"
#include "emulate/emulate.h"
#include "engine/sequence.h"
#include "io/input.h"
#include "json/json.h"
#include "query/esql.h"
#include "query/query.h"
#include "rules/rule.h"

static void test_blocks(void **state)
{
    (void)state;
    th_ecs_demand d;
    /* every block's name fits the buffer --profile prints from */
    char desc[TH_ECS_DEMAND_DESC_MAX];
    th_ecs_demand_all(&d);
    th_ecs_demand_desc(&d, desc, sizeof desc);
    assert_string_equal(desc + strlen(desc) - strlen(",minor"), ",minor");
    assert_true(strlen(desc) + 1 < sizeof desc);
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("event.action"));
    th_ecs_demand_field(&d, TH_STR_LIT("user_agent.original"));
    th_ecs_demand_field(&d, TH_STR_LIT("source.ip"));
    assert_int_equal(d.blocks, 0);
    th_ecs_demand_field(&d, TH_STR_LIT("source.geo.country_iso_code"));
    assert_true(th_ecs_demand_has(&d, TH_MB_GEO));
    assert_false(th_ecs_demand_has(&d, TH_MB_ASN));
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("source")); /* a parent demands what lies below */
    assert_true(th_ecs_demand_has(&d, TH_MB_GEO) && th_ecs_demand_has(&d, TH_MB_ASN));
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("source.geography")); /* a prefix of a word is no parent */
    assert_int_equal(d.blocks, 0);
    th_ecs_demand_field(&d, TH_STR_LIT("related.hosts")); /* related reads tls and resources */
    assert_true(th_ecs_demand_has(&d, TH_MB_RELATED) && th_ecs_demand_has(&d, TH_MB_TLS) &&
                th_ecs_demand_has(&d, TH_MB_RESOURCES));
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.flattened.request_parameters.policyArn"));
    assert_true(th_ecs_demand_has(&d, TH_MB_STRINGIFY));
    /* one stringify block per parameter object; their parent demands all four */
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.response_elements"));
    assert_int_equal(d.blocks, 1u << TH_MB_STRINGIFY_RESPONSE);
    assert_true(th_ecs_demand_stringifies(&d));
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.flattened.additional_eventdata.x"));
    assert_int_equal(d.blocks, 1u << TH_MB_STRINGIFY_RESPONSE | 1u << TH_MB_STRINGIFY_ADDITIONAL);
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.flattened"));
    assert_true(th_ecs_demand_has(&d, TH_MB_STRINGIFY) &&
                th_ecs_demand_has(&d, TH_MB_STRINGIFY_RESPONSE) &&
                th_ecs_demand_has(&d, TH_MB_STRINGIFY_ADDITIONAL) &&
                th_ecs_demand_has(&d, TH_MB_STRINGIFY_SERVICE));
    th_ecs_demand_none(&d);
    assert_false(th_ecs_demand_stringifies(&d));
    /* parts of the base mapping no later processor reads */
    th_ecs_demand_field(&d, TH_STR_LIT("event.outcome"));
    th_ecs_demand_field(&d, TH_STR_LIT("user.target.name"));
    assert_int_equal(d.blocks, 0);
    th_ecs_demand_field(&d, TH_STR_LIT("event.category"));
    assert_int_equal(d.blocks, 1u << TH_MB_CATEGORY);
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("group"));
    assert_int_equal(d.blocks, 1u << TH_MB_MINOR);
    /* the base blocks: the session context, the record's bookkeeping */
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.user_identity.arn"));
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.user_identity.access_key_id"));
    assert_int_equal(d.blocks, 0);
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.user_identity.session_context.session_issuer.arn"));
    assert_int_equal(d.blocks, 1u << TH_MB_SESSION);
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("event.kind")); /* a failing date sets it */
    assert_int_equal(d.blocks, 1u << TH_MB_SESSION);
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("aws.cloudtrail.user_identity"));
    assert_int_equal(d.blocks, 1u << TH_MB_SESSION | 1u << TH_MB_RECORD);
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("related.user")); /* reads on_behalf_of.user_id */
    assert_true(th_ecs_demand_has(&d, TH_MB_RECORD) && !th_ecs_demand_has(&d, TH_MB_SESSION));
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, TH_STR_LIT("user_agent.*"));
    assert_true(th_ecs_demand_is_all(&d));
    assert_true(th_ecs_demand_has(NULL, TH_MB_GEO));
}

/* ---- the differential ---------------------------------------------------- */

typedef struct group {
    th_ecs_demand d;
    TH_VEC(const char *) fields;
} group;

/* Rules' gates (th_query_necessary on the projected fields) grouped by what
 * they read of a projection: the pipeline projects only that for them. */
typedef struct gate_group {
    th_ecs_proj_need need;
    TH_VEC(th_query *) gates;
    TH_VEC(bool) bound; /* th_query_bind_slots succeeded: it also reads slots */
} gate_group;

typedef struct fx {
    size_t ngates, nbound;
    th_arena a;
    TH_VEC(group) groups;
    size_t nfields;
    TH_VEC(gate_group) gates;
    th_ruleset rs; /* the compiled gates borrow the rules' text */
    /* each rule's demand: every field it reads, ES|QL rules' included */
    th_ecs_demand rule;
    TH_VEC(th_ecs_demand) rule_demands;
} fx;

static void add_gate(fx *f, th_query *q)
{
    th_query *g = th_query_necessary(&f->a, q, th_ecs_raw_field);
    if (!g)
        return;
    th_str fs[256];
    size_t n = th_query_fields(g, fs, 256);
    th_ecs_proj_need need = {0, 0};
    for (size_t i = 0; i < n && n <= 256; i++)
        if (!th_ecs_raw_need(fs[i], &need))
            need = TH_PROJ_NEED_ALL;
    if (n > 256)
        need = TH_PROJ_NEED_ALL;
    gate_group *gg = NULL;
    for (size_t i = 0; i < f->gates.len && !gg; i++)
        if (f->gates.items[i].need.fields == need.fields &&
            f->gates.items[i].need.extras == need.extras)
            gg = &f->gates.items[i];
    if (!gg) {
        gate_group ng = {need, {0}, {0}};
        TH_VEC_PUSH(&f->gates, ng);
        gg = &f->gates.items[f->gates.len - 1];
    }
    TH_VEC_PUSH(&gg->gates, g);
    bool bound = th_query_bind_slots(g, th_ecs_slot_of);
    TH_VEC_PUSH(&gg->bound, bound);
    f->ngates++;
    f->nbound += bound;
}

static void add_field(fx *f, const char *field)
{
    th_ecs_demand d;
    th_ecs_demand_none(&d);
    th_ecs_demand_field(&d, th_str_c(field));
    th_ecs_demand_merge(&f->rule, &d);
    group *g = NULL;
    for (size_t i = 0; i < f->groups.len; i++) {
        for (size_t k = 0; k < f->groups.items[i].fields.len; k++)
            if (strcmp(f->groups.items[i].fields.items[k], field) == 0)
                return;
        if (f->groups.items[i].d.blocks == d.blocks)
            g = &f->groups.items[i];
    }
    if (!g) {
        group ng = {d, {0}};
        TH_VEC_PUSH(&f->groups, ng);
        g = &f->groups.items[f->groups.len - 1];
    }
    TH_VEC_PUSH(&g->fields, th_arena_strdup(&f->a, field));
    f->nfields++;
}

static void add_query_fields(fx *f, th_query *q)
{
    th_str fs[256];
    size_t n = th_query_fields(q, fs, 256);
    for (size_t i = 0; i < n && i < 256; i++)
        add_field(f, th_arena_strndup(&f->a, fs[i].p, fs[i].n));
}

/* An ES|QL rule's demand, as the engine builds it: the fields it reads and
 * captures (the differential checks these as part of rule demands only:
 * whole documents are compared for them). */
static void esql_demand(fx *f, const char *text)
{
    th_diags d;
    th_diags_init(&d);
    th_esql *q = th_esql_parse(&f->a, text, strlen(text), NULL, &d);
    th_diags_free(&d);
    if (!q)
        return;
    th_str fs[256];
    bool patterns = false;
    size_t n = th_esql_fields(q, fs, 256, &patterns);
    if (patterns || n > 256) {
        th_ecs_demand_all(&f->rule);
        return;
    }
    for (size_t i = 0; i < n; i++)
        th_ecs_demand_field(&f->rule, fs[i]);
    n = th_esql_capture_fields(q, fs, 256);
    for (size_t i = 0; i < n && n != SIZE_MAX; i++)
        th_ecs_demand_field(&f->rule, fs[i]);
}

static void end_rule(fx *f)
{
    for (size_t i = 0; i < f->rule_demands.len; i++)
        if (f->rule_demands.items[i].blocks == f->rule.blocks)
            return;
    TH_VEC_PUSH(&f->rule_demands, f->rule);
}

/* Every field the AWS rules read; false when the rules are absent. */
static bool rule_fields(fx *f, const char *corpus)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/detection-rules/rules/integrations/aws", corpus);
    th_ruleset *rs = &f->rs;
    th_ruleset_init(rs);
    th_diags d;
    th_diags_init(&d);
    const char *paths[] = {dir};
    th_ruleset_load(rs, paths, 1, &d);
    bool ok = rs->len > 0;
    for (size_t i = 0; i < rs->len; i++) {
        const th_rule *r = rs->rules[i];
        if (i)
            end_rule(f);
        th_ecs_demand_none(&f->rule);
        /* what the engine reads of every event */
        th_ecs_demand_field(&f->rule, TH_STR_LIT("@timestamp"));
        th_ecs_demand_field(&f->rule, TH_STR_LIT("event.ingested"));
        for (size_t k = 0; k < r->new_terms_fields.len; k++)
            add_field(f, r->new_terms_fields.items[k]);
        for (size_t k = 0; k < r->threshold_fields.len; k++)
            add_field(f, r->threshold_fields.items[k]);
        if (r->cardinality_field)
            add_field(f, r->cardinality_field);
        for (size_t k = 0; k < r->suppression_group_by.len; k++)
            add_field(f, r->suppression_group_by.items[k]);
        if (r->query && r->language == TH_LANG_ESQL)
            esql_demand(f, r->query);
        if (!r->query || (r->language != TH_LANG_KUERY && r->language != TH_LANG_EQL))
            continue;
        th_diags qd;
        th_diags_init(&qd);
        if (r->language == TH_LANG_EQL && th_seq_is_sequence(r->query)) {
            th_seq_text st;
            char err[256];
            if (th_seq_split(&f->a, r->query, &st, err, sizeof err)) {
                for (size_t k = 0; k < st.nkeys; k++)
                    add_field(f, st.keys[k]);
                for (size_t s = 0; s < st.nstages; s++) {
                    th_query *q = th_query_compile_eql(&f->a, st.stage[s], strlen(st.stage[s]),
                                                       r->event_category_override, NULL, &qd);
                    if (q) {
                        add_query_fields(f, q);
                        add_gate(f, q);
                    }
                }
            }
        } else {
            th_query *q = r->language == TH_LANG_EQL
                              ? th_query_compile_eql(&f->a, r->query, strlen(r->query),
                                                     r->event_category_override, NULL, &qd)
                              : th_query_compile(&f->a, TH_QLANG_KQL, r->query, strlen(r->query),
                                                 NULL, &qd);
            if (q) {
                add_query_fields(f, q);
                add_gate(f, q);
            }
        }
        th_diags_free(&qd);
    }
    if (rs->len)
        end_rule(f);
    /* what the engine itself reads */
    add_field(f, "@timestamp");
    add_field(f, "event.ingested");
    add_field(f, "event.id");
    th_diags_free(&d);
    return ok;
}

typedef struct tally {
    uint64_t records, checks, diffs, nonempty;
    uint64_t doc_checks, doc_diffs, doc_demands;
    uint64_t proj, proj_values, proj_misses, times, times_diffs, times_walks;
    uint64_t gate_checks, gate_true, gate_diffs;
    uint64_t slot_gate_checks, slot_gate_diffs, slot_values, slot_diffs, slot_fails;
    uint64_t slot_empty_checks, slot_stale; /* slots a fill left alone: empty */
    uint64_t scan_checks, scan_diffs; /* th_ecs_map_scan against th_ecs_map_demand */
    th_qmemo *memo; /* the second look's gates remember their costly tests, record after record */
} tally;

typedef struct texts {
    th_str v[64];
    size_t n;
} texts;

static bool collect_text(const th_jval *v, void *ctx)
{
    texts *t = ctx;
    th_str s;
    if (t->n < 64 && th_jscalar_text(v, &s))
        t->v[t->n++] = s;
    return true;
}

/* The raw projection holds every value the mapping gives a table field, and
 * th_ecs_times gives the times the mapped document has. */
static void check_projection(const fx *fx_, const th_mapper *m, th_arena *a, const th_record *rec,
                             const th_jval *full, tally *t)
{
    th_jscan *scan = th_jscan_new();
    assert_true(th_jscan_load(scan, rec->text.p, rec->text.n, NULL));
    th_jval *proj = th_ecs_project(m, a, scan);
    th_ecs_slots sl[2];
    th_ecs_slots_init(&sl[0]);
    th_ecs_slots_init(&sl[1]);
    if (proj) {
        t->proj++;
        /* every slot holds what the whole projection's document has there */
        int64_t ts0, ing0;
        bool timed0;
        if (th_ecs_slots_start(m, a, scan, 0, &sl[0], &ts0, &ing0, &timed0) &&
            th_ecs_slots_fill(&sl[0], TH_PROJ_ALL, UINT32_MAX)) {
            for (size_t i = 0; th_ecs_slot_field(i); i++) {
                th_buf want;
                th_buf_init(&want);
                ecs_values(proj, th_ecs_slot_field(i), false, &want);
                ecs_vals x = {.typed = false};
                th_buf_init(&x.b);
                for (uint32_t k = 0; k < sl[0].slot[i].n; k++)
                    ecs_collect(&sl[0].slot[i].vals[k], &x);
                t->slot_values++;
                if ((x.b.len != want.len || (want.len && memcmp(want.data, x.b.data, want.len))) &&
                    t->slot_diffs++ < 10)
                    print_message("SLOT %s:%llu %s: projection [%.*s] slots [%.*s]\n", rec->file,
                                  (unsigned long long)rec->offset, th_ecs_slot_field(i),
                                  (int)want.len, want.data ? want.data : "", (int)x.b.len,
                                  x.b.data ? x.b.data : "");
                th_buf_free(&x.b);
                th_buf_free(&want);
            }
        } else if (t->slot_fails++ < 10) {
            print_message("SLOTS %s:%llu: no slots where the projection was made\n", rec->file,
                          (unsigned long long)rec->offset);
        }
        /* a gate reads the same on the projection of only what it needs */
        for (size_t i = 0; i < fx_->gates.len; i++) {
            const gate_group *gg = &fx_->gates.items[i];
            th_jval *part = th_ecs_project_only(m, a, scan, gg->need.extras, gg->need.fields,
                                                NULL, NULL, NULL);
            /* the pipeline's slots of the same fields, after either first look */
            bool filled[2];
            for (int look = 0; look < 2; look++) {
                int64_t ts, ing;
                bool timed;
                unsigned flags = look ? TH_PROJ_ROUTING | TH_PROJ_NO_CONSTANTS : 0;
                filled[look] = th_ecs_slots_start(m, a, scan, flags, &sl[look], &ts, &ing, &timed) &&
                               th_ecs_slots_fill(&sl[look], gg->need.extras, gg->need.fields);
                if (filled[look] != (part != NULL) && t->slot_fails++ < 10)
                    print_message("SLOTS %s:%llu: slots %s, projection %s (look %d)\n", rec->file,
                                  (unsigned long long)rec->offset, filled[look] ? "made" : "not made",
                                  part ? "made" : "not made", look);
                /* the copied fields this fill did not ask for are empty,
                 * whatever the slots held for the group before (start
                 * clears what the last record or group filled) */
                for (size_t f = 2; filled[look] && f < TH_ECS_NTABLE; f++) {
                    if (gg->need.fields >> f & 1u)
                        continue;
                    t->slot_empty_checks++;
                    if (sl[look].slot[f].n && t->slot_stale++ < 10)
                        print_message("STALE %s:%llu %s: %u values not asked for (look %d)\n",
                                      rec->file, (unsigned long long)rec->offset,
                                      th_ecs_slot_field(f), sl[look].slot[f].n, look);
                }
            }
            for (size_t k = 0; k < gg->gates.len; k++) {
                bool want = th_query_match(gg->gates.items[k], proj);
                bool got = part && th_query_match(gg->gates.items[k], part);
                t->gate_checks++;
                t->gate_true += want;
                if (want != got && t->gate_diffs++ < 10)
                    print_message("GATE %s:%llu: gate %zu/%zu is %d on the whole projection, "
                                  "%d on the projection of its fields\n",
                                  rec->file, (unsigned long long)rec->offset, i, k, want, got);
                for (int look = 0; look < 2 && part && gg->bound.items[k]; look++) {
                    bool slot =
                        filled[look] && th_query_match_slots(gg->gates.items[k], sl[look].slot,
                                                             look ? t->memo : NULL);
                    t->slot_gate_checks++;
                    if (slot != got && t->slot_gate_diffs++ < 10)
                        print_message("GATE %s:%llu: gate %zu/%zu is %d on the projection, %d on "
                                      "its slots (look %d)\n",
                                      rec->file, (unsigned long long)rec->offset, i, k, got, slot,
                                      look);
                }
            }
        }
        for (size_t i = 0; th_ecs_raw_field_at(i); i++) {
            th_str f = th_str_c(th_ecs_raw_field_at(i));
            texts want = {0}, have = {0};
            th_json_path_each(full, f, collect_text, &want);
            th_json_path_each(proj, f, collect_text, &have);
            for (size_t k = 0; k < want.n; k++) {
                bool found = false;
                for (size_t j = 0; j < have.n && !found; j++)
                    found = th_str_eq(want.v[k], have.v[j]);
                t->proj_values++;
                if (!found && t->proj_misses++ < 10)
                    print_message("MISS %s:%llu %s: mapped value [%.*s] not in the projection\n",
                                  rec->file, (unsigned long long)rec->offset, f.p,
                                  (int)want.v[k].n, want.v[k].p);
            }
        }
        /* a subtree the mapping copies is in the projection as it is mapped */
        for (size_t i = 0; th_ecs_raw_tree_at(i); i++) {
            const char *f = th_ecs_raw_tree_at(i);
            const th_jval *want = th_json_path_first(full, th_str_c(f));
            const th_jval *have = th_json_path_first(proj, th_str_c(f));
            if (!want)
                continue;
            t->proj_values++;
            if ((!have || !th_json_equal(want, have)) && t->proj_misses++ < 10)
                print_message("MISS %s:%llu %s: the mapped subtree differs in the projection\n",
                              rec->file, (unsigned long long)rec->offset, f);
        }
    }
    int64_t ts, ing;
    bool timed = th_ecs_times(m, a, scan, &ts, &ing);
    /* the pipeline's one-walk variants give the same verdict and times */
    for (unsigned v = 0; v < 4; v++) {
        unsigned extras = v == 0 ? 0 : v == 1 ? TH_PROJ_ALL : TH_PROJ_ROUTING | TH_PROJ_NO_CONSTANTS;
        int64_t ts2 = 0, ing2 = 0;
        bool timed2 = false;
        /* v 3: a projection of the routed fields only (the walk skips the rest) */
        th_jval *p2 = v == 3 ? th_ecs_project_only(m, a, scan, 0, 0, &ts2, &ing2, &timed2)
                             : th_ecs_project_timed(m, a, scan, extras, &ts2, &ing2, &timed2);
        t->times_walks++;
        if (p2 && (timed2 != timed || (timed && (ts2 != ts || ing2 != ing))) &&
            t->times_diffs++ < 10)
            print_message("TIMES %s:%llu: th_ecs_project_timed (extras %u) %d %lld/%lld, "
                          "th_ecs_times %d %lld/%lld\n",
                          rec->file, (unsigned long long)rec->offset, extras, timed2,
                          (long long)ts2, (long long)ing2, timed, (long long)ts, (long long)ing);
    }
    for (int look = 0; look < 2; look++) { /* the slots' first look: the same times */
        int64_t ts2 = 0, ing2 = 0;
        bool timed2 = false;
        unsigned flags = look ? TH_PROJ_ROUTING | TH_PROJ_NO_CONSTANTS : 0;
        bool made = th_ecs_slots_start(m, a, scan, flags, &sl[look], &ts2, &ing2, &timed2);
        t->times_walks++;
        if (made && (timed2 != timed || (timed && (ts2 != ts || ing2 != ing))) &&
            t->times_diffs++ < 10)
            print_message("TIMES %s:%llu: th_ecs_slots_start (look %d) %d, th_ecs_times %d\n",
                          rec->file, (unsigned long long)rec->offset, look, timed2, timed);
    }
    th_ecs_slots_free(&sl[0]);
    th_ecs_slots_free(&sl[1]);
    if (timed) {
        th_event ev = {.doc = (th_jval *)full};
        th_event_read_times(&ev);
        t->times++;
        if ((ev.timestamp_ms != ts || ev.ingested_ms != ing) && t->times_diffs++ < 10)
            print_message("TIMES %s:%llu: mapped %lld/%lld, raw %lld/%lld\n", rec->file,
                          (unsigned long long)rec->offset, (long long)ev.timestamp_ms,
                          (long long)ev.ingested_ms, (long long)ts, (long long)ing);
    }
    th_jscan_free(scan);
}

/* The dotted paths of a document's values (a path through arrays of objects
 * once), each once. */
typedef TH_VEC(const char *) path_set;

static void add_path(th_arena *a, path_set *out, const char *p, size_t n)
{
    for (size_t i = 0; i < out->len; i++)
        if (strlen(out->items[i]) == n && memcmp(out->items[i], p, n) == 0)
            return;
    TH_VEC_PUSH(out, th_arena_strndup(a, p, n));
}

static void leaf_paths(th_arena *a, const th_jval *v, th_buf *path, path_set *out)
{
    if (v->type == TH_JARR) {
        bool leaf = v->len == 0;
        for (uint32_t i = 0; i < v->len; i++) {
            if (v->u.items[i]->type == TH_JOBJ || v->u.items[i]->type == TH_JARR)
                leaf_paths(a, v->u.items[i], path, out);
            else
                leaf = true;
        }
        if (leaf)
            add_path(a, out, path->data, path->len);
        return;
    }
    if (v->type != TH_JOBJ) {
        add_path(a, out, path->data, path->len);
        return;
    }
    if (v->len == 0 && path->len)
        add_path(a, out, path->data, path->len);
    for (uint32_t i = 0; i < v->len; i++) {
        size_t at = path->len;
        if (at)
            th_buf_putc(path, '.');
        th_buf_put(path, v->u.members[i].key.p, v->u.members[i].key.n);
        leaf_paths(a, v->u.members[i].val, path, out);
        path->len = at;
    }
}

/* Every value of either document whose field's blocks the demand d runs is
 * the same in both: a check of any demand, e.g. a rule's or the planned
 * rules' merged one, and of the fields no rule reads today. */
static void check_whole(const th_record *rec, th_arena *a, const th_jval *full,
                        const th_jval *lazy, const th_ecs_demand *d, tally *t)
{
    path_set ps = {0};
    th_buf path, want, got;
    th_buf_init(&path);
    th_buf_init(&want);
    th_buf_init(&got);
    th_buf_put(&path, "", 0);
    leaf_paths(a, full, &path, &ps);
    leaf_paths(a, lazy, &path, &ps);
    for (size_t i = 0; i < ps.len; i++) {
        th_ecs_demand need;
        th_ecs_demand_none(&need);
        th_ecs_demand_field(&need, th_str_c(ps.items[i]));
        if (need.blocks & ~d->blocks)
            continue;
        ecs_values(full, ps.items[i], false, &want);
        ecs_values(lazy, ps.items[i], false, &got);
        t->doc_checks++;
        if ((want.len != got.len || (want.len && memcmp(want.data, got.data, want.len) != 0)) &&
            t->doc_diffs++ < 10)
            print_message("DIFF %s:%llu field %s (demand %#x): full [%.*s] lazy [%.*s]\n",
                          rec->file, (unsigned long long)rec->offset, ps.items[i], d->blocks,
                          (int)want.len, want.data ? want.data : "", (int)got.len,
                          got.data ? got.data : "");
    }
    TH_VEC_FREE(&ps);
    th_buf_free(&path);
    th_buf_free(&want);
    th_buf_free(&got);
}

/* The mapping of the record on a scanner's tape is the mapping of its DOM,
 * byte for byte, under the demand d (NULL: all). */
static void check_scan(const th_mapper *m, th_arena *a, const th_record *rec, const th_jscan *scan,
                       const th_jval *lazy, const th_ecs_demand *d, tally *t)
{
    th_jval *doc = th_ecs_map_scan(m, a, scan, rec->text, d);
    th_buf want, got;
    th_buf_init(&want);
    th_buf_init(&got);
    th_json_write(&want, lazy);
    if (doc)
        th_json_write(&got, doc);
    t->scan_checks++;
    if ((!doc || want.len != got.len || memcmp(want.data, got.data, want.len) != 0) &&
        t->scan_diffs++ < 10)
        print_message("SCAN %s:%llu (demand %#x): DOM [%.*s] tape [%.*s]\n", rec->file,
                      (unsigned long long)rec->offset, d ? d->blocks : UINT32_MAX, (int)want.len,
                      want.data, (int)got.len, got.data ? got.data : "");
    th_buf_free(&want);
    th_buf_free(&got);
}

/* Maps one record fully and once per demand group; compares. */
static void check_record(fx *f, const th_mapper *m, const th_record *rec, tally *t)
{
    th_arena a;
    th_arena_init(&a, 1 << 16);
    th_jval *full = th_ecs_map(m, &a, rec->json, rec->text);
    th_jscan *scan = th_jscan_new();
    assert_true(th_jscan_load(scan, rec->text.p, rec->text.n, NULL));
    check_scan(m, &a, rec, scan, full, NULL, t);
    check_projection(f, m, &a, rec, full, t);
    th_buf want, got;
    th_buf_init(&want);
    th_buf_init(&got);
    for (size_t g = 0; g < f->groups.len; g++) {
        th_jval *lazy = th_ecs_map_demand(m, &a, rec->json, rec->text, &f->groups.items[g].d);
        check_scan(m, &a, rec, scan, lazy, &f->groups.items[g].d, t);
        for (size_t k = 0; k < f->groups.items[g].fields.len; k++) {
            const char *field = f->groups.items[g].fields.items[k];
            ecs_values(full, field, false, &want);
            ecs_values(lazy, field, false, &got);
            t->checks++;
            t->nonempty += want.len > 0;
            if (want.len != got.len || (want.len && memcmp(want.data, got.data, want.len) != 0)) {
                if (t->diffs++ < 10)
                    print_message("DIFF %s:%llu field %s: full [%.*s] lazy [%.*s]\n", rec->file,
                                  (unsigned long long)rec->offset, field, (int)want.len,
                                  want.data ? want.data : "", (int)got.len, got.data ? got.data : "");
            }
        }
        check_whole(rec, &a, full, lazy, &f->groups.items[g].d, t);
    }
    /* each block alone, nothing optional, and every rule's own demand */
    for (size_t g = 0; g <= TH_MB_COUNT + f->rule_demands.len; g++) {
        th_ecs_demand d;
        th_ecs_demand_none(&d);
        if (g < TH_MB_COUNT)
            d.blocks = 1u << g;
        else if (g > TH_MB_COUNT)
            d = f->rule_demands.items[g - TH_MB_COUNT - 1];
        th_jval *lazy = th_ecs_map_demand(m, &a, rec->json, rec->text, &d);
        check_whole(rec, &a, full, lazy, &d, t);
        check_scan(m, &a, rec, scan, lazy, &d, t);
    }
    th_jscan_free(scan);
    t->doc_demands++;
    t->records++;
    th_buf_free(&want);
    th_buf_free(&got);
    th_arena_free(&a);
}

/* ecs_record_fn: check_record on a corpus or emulated record */
typedef struct rec_ctx {
    fx *f;
    const th_mapper *m;
    tally *t;
} rec_ctx;

static void on_record(void *ctx, const th_record *rec)
{
    rec_ctx *c = ctx;
    check_record(c->f, c->m, rec, c->t);
}

/* Records for the paths the corpus does not take: a creation date the date
 * processor cannot read (a failure: event.kind, tags, error.message), and the
 * rarer keys of the record's bookkeeping. */
static void run_builtin(fx *f, const th_mapper *m, tally *t)
{
    static const char *const recs[] = {
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":"
        "\"AROAX:bob@example.com\",\"arn\":\"arn:aws:sts::123456789012:assumed-role/r/bob@example.com\","
        "\"accountId\":\"123456789012\",\"accessKeyId\":\"ASIAX\",\"sessionContext\":{\"attributes\":"
        "{\"creationDate\":\"yesterday\",\"mfaAuthenticated\":\"false\"},\"sessionIssuer\":{\"type\":"
        "\"Role\",\"arn\":\"arn:aws:iam::123456789012:role/r\",\"userName\":\"r\"}},\"onBehalfOf\":"
        "{\"userId\":\"u-1\"},\"inScopeOf\":{\"issuerType\":\"x\"},\"credentialId\":\"c\"},"
        "\"eventTime\":\"2026-10-01T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":"
        "\"UpdateUser\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"203.0.113.9\",\"userAgent\":"
        "\"aws-cli/2.0\",\"requestParameters\":{\"userName\":\"alice\",\"newUserName\":\"carol\"},"
        "\"responseElements\":null,\"requestID\":\"r-1\",\"eventID\":\"e-1\",\"readOnly\":false,"
        "\"eventType\":\"AwsApiCall\",\"managementEvent\":true,\"recipientAccountId\":\"123456789012\","
        "\"sharedEventId\":\"s-1\",\"vpcEndpointId\":\"vpce-1\",\"addendum\":{\"reason\":\"x\"},"
        "\"tlsDetails\":{\"tlsVersion\":\"TLSv1.2\",\"clientProvidedHostHeader\":\"iam.example.com\"},"
        "\"eventCategory\":\"Management\",\"sessionCredentialFromConsole\":\"true\"}",
        "{\"awsAccountId\":\"123456789012\",\"digestStartTime\":\"2026-10-01T09:00:00Z\","
        "\"digestEndTime\":\"2026-10-01T10:00:00Z\",\"digestS3Bucket\":\"b\",\"digestS3Object\":\"o\","
        "\"previousDigestHashValue\":\"abc\",\"previousDigestHashAlgorithm\":\"SHA-256\","
        "\"newestEventTime\":\"bad\",\"logFiles\":[{\"s3Object\":\"x\"}]}",
    };
    th_arena a;
    th_arena_init(&a, 1 << 16);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        th_json_error err;
        th_jval *raw = th_json_parse(&a, recs[i], strlen(recs[i]), &err);
        assert_non_null(raw);
        th_record rec = {.json = raw,
                         .text = th_str_c(recs[i]),
                         .kind = TH_REC_CLOUDTRAIL,
                         .file = "built-in",
                         .offset = i};
        check_record(f, m, &rec, t);
    }
    th_arena_free(&a);
}

static void test_differential(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    fx f = {0};
    th_arena_init(&f.a, 1 << 16);
    assert_true(rule_fields(&f, corpus));
    assert_true(f.nfields > 40); /* the AWS pack (KQL, EQL) reads about fifty fields */
    th_diags d;
    th_diags_init(&d);
    th_mapper *m = ecs_test_mapper(corpus, &d);
    assert_non_null(m);
    tally t = {0};
    t.memo = th_qmemo_new();
    rec_ctx rc = {&f, m, &t};
    ecs_each_corpus(corpus, on_record, &rc);
    ecs_each_emulated(on_record, &rc);
    run_builtin(&f, m, &t);
    print_message("RATE: lazy mapping equals full mapping on %llu/%llu (record, field) checks "
                  "(%llu records, %zu rule fields in %zu demand groups, %llu non-empty)\n",
                  (unsigned long long)(t.checks - t.diffs), (unsigned long long)t.checks,
                  (unsigned long long)t.records, f.nfields, f.groups.len,
                  (unsigned long long)t.nonempty);
    assert_true(t.records > 1000);
    assert_true(f.groups.len > 3); /* several blocks are really exercised */
    assert_int_equal(t.diffs, 0);
    print_message("RATE: whole documents: lazy equals full on %llu/%llu (record, demand, field) "
                  "checks of the fields each demand covers (%zu rule demands, %d single blocks)\n",
                  (unsigned long long)(t.doc_checks - t.doc_diffs),
                  (unsigned long long)t.doc_checks, f.rule_demands.len, TH_MB_COUNT);
    assert_true(f.rule_demands.len > 10 && t.doc_demands == t.records);
    assert_int_equal(t.doc_diffs, 0);
    print_message("RATE: the mapping from the scanner's tape equals the mapping of the DOM on "
                  "%llu/%llu (record, demand) documents\n",
                  (unsigned long long)(t.scan_checks - t.scan_diffs),
                  (unsigned long long)t.scan_checks);
    assert_true(t.scan_checks > t.records * (TH_MB_COUNT + 1));
    assert_int_equal(t.scan_diffs, 0);
    print_message("RATE: raw projection holds the mapped values on %llu/%llu (field value) "
                  "checks over %llu records; raw times equal the mapped ones on %llu/%llu\n",
                  (unsigned long long)(t.proj_values - t.proj_misses),
                  (unsigned long long)t.proj_values, (unsigned long long)t.proj,
                  (unsigned long long)(t.times - t.times_diffs), (unsigned long long)t.times);
    assert_true(t.proj > t.records / 2 && t.times > t.records / 2);
    assert_true(t.times_walks >= 4 * t.proj); /* the one-walk times were compared */
    assert_int_equal(t.proj_misses, 0);
    assert_int_equal(t.times_diffs, 0);
    print_message("RATE: gates read the same on the projection of their fields on %llu/%llu "
                  "(gate, record) checks (%zu groups; %llu true)\n",
                  (unsigned long long)(t.gate_checks - t.gate_diffs),
                  (unsigned long long)t.gate_checks, f.gates.len,
                  (unsigned long long)t.gate_true);
    assert_true(f.gates.len > 3 && t.gate_true > 0);
    assert_int_equal(t.gate_diffs, 0);
    print_message("RATE: slots hold the projection's values on %llu/%llu (record, slot) checks; "
                  "gates read the same on slots on %llu/%llu checks (%zu of %zu gates bind to "
                  "slots); slots made where the projection is: %llu differences\n",
                  (unsigned long long)(t.slot_values - t.slot_diffs),
                  (unsigned long long)t.slot_values,
                  (unsigned long long)(t.slot_gate_checks - t.slot_gate_diffs),
                  (unsigned long long)t.slot_gate_checks, f.nbound, f.ngates,
                  (unsigned long long)t.slot_fails);
    assert_true(f.nbound * 10 >= f.ngates * 9); /* nearly all AWS gates read slots */
    assert_true(t.slot_gate_checks > t.gate_checks); /* both looks, most gates */
    assert_true(t.slot_values >= t.proj * TH_ECS_NSLOTS);
    assert_int_equal(t.slot_diffs, 0);
    assert_int_equal(t.slot_gate_diffs, 0);
    assert_int_equal(t.slot_fails, 0);
    assert_true(t.slot_empty_checks > t.proj);
    assert_int_equal(t.slot_stale, 0);
    th_qmemo_free(t.memo);
    th_mapper_free(m);
    th_diags_free(&d);
    for (size_t i = 0; i < f.groups.len; i++)
        TH_VEC_FREE(&f.groups.items[i].fields);
    TH_VEC_FREE(&f.groups);
    for (size_t i = 0; i < f.gates.len; i++) {
        TH_VEC_FREE(&f.gates.items[i].gates);
        TH_VEC_FREE(&f.gates.items[i].bound);
    }
    TH_VEC_FREE(&f.gates);
    TH_VEC_FREE(&f.rule_demands);
    th_ruleset_free(&f.rs);
    th_arena_free(&f.a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_differential),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
