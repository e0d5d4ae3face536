/* Compiled queries into the engine (engine.h th_engine_add_query) and ES|QL
 * queries (th_engine_add_esql_query): parsed, the leading WHERE lowered to the
 * query IR for routing, gates and lazy mapping, and the fields an aggregating
 * query reads captured with each match. Shared by `run`, `match`, `hunt` and
 * the tuning replay. */
#include <string.h>

#include "base/diag.h"
#include "rules/rule.h"

#include "ecs/rawproj.h"
#include "engine/engine.h"
#include "engine/internal.h"
#include "query/esql.h"
#include "query/ir.h"
#include "query/query.h"

static bool kql_pred(const void *q, const th_jval *doc) { return th_query_match(q, doc); }

/* Rule k's filter is q: evaluated on the event's shared fields
 * (th_query_match_fields), not through kql_pred. Call once its captured
 * fields are known. */
static void note_query(th_engine *e, size_t k, const th_query *q)
{
    th_erule *r = k < e->rules.len ? e->rules.items[k] : NULL;
    if (!r || !q || r->fn != kql_pred || r->pred != q)
        return;
    r->query = q;
    th_str fields[256];
    size_t nf = th_query_fields(q, fields, 256);
    for (size_t i = 0; i < nf && i < 256; i++)
        for (size_t c = 0; c < r->ncap; c++)
            if (th_str_eqc(fields[i], r->cap[c]))
                r->query_captures = true;
}

/* The prefilter of a rule whose filter is q: for each routed field, the
 * literal values q requires there (copies in a). */
static size_t query_prefilter(const th_query *q, th_arena *a, th_prefilter pf[TH_NROUTED])
{
    size_t npf = 0;
    for (size_t f = 0; f < TH_NROUTED; f++) {
        th_str vals[64];
        int n = th_query_required_values(q, th_routed_fields[f], vals, 64);
        if (n < 0)
            continue;
        th_str *keep = TH_ANEWN(a, th_str, n ? (size_t)n : 1);
        memcpy(keep, vals, (size_t)n * sizeof(th_str));
        pf[npf++] = (th_prefilter){th_routed_fields[f], keep, (size_t)n, false};
    }
    return npf;
}

/* What rule k reads in the hot pass: q's fields (q NULL: none; over 256:
 * unknown, the engine assumes any), and its gate, q's necessary condition on
 * the raw projection, with the fields the gate reads. */
static void set_query_reads(th_engine *e, size_t k, const th_query *q, th_arena *a)
{
    if (!q) {
        th_engine_set_rule_fields(e, k, NULL, 0);
        return;
    }
    th_str fields[256];
    size_t nf = th_query_fields(q, fields, 256);
    if (nf <= 256)
        th_engine_set_rule_fields(e, k, fields, nf);
    th_query *gate = th_query_necessary(a, q, th_ecs_raw_field);
    if (gate) {
        size_t ng = th_query_fields(gate, fields, 256);
        th_engine_set_gate_query(e, k, &gate, 1, fields, ng <= 256 ? ng : SIZE_MAX);
        th_query *rest;
        if (th_query_necessary_rest(a, q, th_ecs_raw_field, &rest)) {
            if (rest)
                th_query_order(rest); /* as the query (th_engine_add_esql_query) */
            th_engine_set_gate_rest(e, k, rest);
        }
    }
}

size_t th_engine_add_query(th_engine *e, const th_rule *r, th_query *q, th_arena *a,
                           const th_exceptions *exc)
{
    th_prefilter pf[TH_NROUTED];
    size_t npf = query_prefilter(q, a, pf);
    size_t k = th_engine_add_rule(e, r, kql_pred, q, pf, npf, exc);
    set_query_reads(e, k, q, a);
    note_query(e, k, q);
    return k;
}

/* True when the FROM index patterns of an ES|QL query reach the CloudTrail
 * data stream the events stand for. */
static bool reads_cloudtrail(const char *ix)
{
    const char *target = "logs-aws.cloudtrail-default";
    for (const char *p = ix; *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        /* the patterns are prefixes with a trailing `*`, or exact names */
        if (n && p[n - 1] == '*' ? strncmp(target, p, n - 1) == 0
                                 : (strlen(target) == n && strncmp(target, p, n) == 0))
            return true;
        p += n + (e ? 1 : 0);
    }
    return false;
}

static bool reads_alerts(const th_esql *q, const th_rule *r)
{
    return r->type == TH_RULE_ESQL && strncmp(th_esql_index(q), ".alerts-security", 16) == 0 &&
           !strchr(th_esql_index(q), ',');
}

bool th_engine_esql_reads_alerts(const th_rule *r)
{
    if (r->type != TH_RULE_ESQL || !r->query)
        return false;
    th_arena a;
    th_arena_init(&a, 1 << 12);
    th_diags d; /* its errors are reported when the rule is added */
    th_diags_init(&d);
    th_esql *q = th_esql_parse(&a, r->query, strlen(r->query), NULL, &d);
    bool yes = q && !reads_cloudtrail(th_esql_index(q)) && reads_alerts(q, r);
    th_diags_free(&d);
    th_arena_free(&a);
    return yes;
}

const char *th_engine_add_esql_query(th_engine *e, const th_rule *r, const char *text, const th_qsource *src,
                                     th_arena *a, th_diags *diags, const th_exceptions *view, size_t *idx,
                                     th_esql **out)
{
    th_esql *q = th_esql_parse(a, text, strlen(text), src, diags);
    if (out)
        *out = q;
    if (!q)
        return "the ES|QL query does not parse (see messages)";
    if (!reads_cloudtrail(th_esql_index(q))) {
        if (reads_alerts(q, r)) {
            size_t k = th_engine_add_esql_alerts(e, r, q);
            if (idx)
                *idx = k;
            return NULL;
        }
        return th_arena_printf(a, "ES|QL over index '%s' (neither CloudTrail events nor alerts)",
                               th_esql_index(q));
    }
    th_ir *ir = th_esql_lower(a, q);
    th_query *pq = NULL;
    if (ir) {
        th_diags local;
        th_diags_init(&local);
        pq = th_query_compile_ir(a, TH_QLANG_ESQL, ir, src, &local);
        th_diags_free(&local);
    }
    th_prefilter pf[TH_NROUTED];
    size_t npf = pq ? query_prefilter(pq, a, pf) : 0;
    size_t k = th_engine_add_esql(e, r, q, pq ? kql_pred : NULL, pq, pf, npf, view);
    if (idx)
        *idx = k;
    if (pq && k < e->rules.len) /* its matches passed pq: the temporal pass may trust it */
        e->rules.items[k]->esql_routed = true;
    th_str cap[64];
    size_t ncap = r->type == TH_RULE_ESQL ? th_esql_capture_fields(q, cap, 64) : SIZE_MAX;
    if (ncap != SIZE_MAX) /* it aggregates named fields: keep those, not documents */
        th_engine_set_esql_capture(e, k, cap, ncap);
    /* the hot pass reads only the lowered condition's fields; the pipeline
     * reads complete documents, built in the temporal pass */
    set_query_reads(e, k, pq, a);
    note_query(e, k, pq);
    /* the hot pass evaluates pq on every event its gate lets through
     * (tens of thousands a day for the broad rules): its cheap tests first */
    th_query_order(pq);
    return NULL;
}

