/* Rule set -> engine (run_rules.h), moved out of cmd_run.c unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "base/vec.h"
#include "cli/run_rules.h"
#include "ecs/rawproj.h"
#include "engine/sequence.h"
#include "query/esql.h"
#include "query/ir.h"
#include "query/query.h"

static const char *const routed[] = {"event.action", "event.provider", "data_stream.dataset"};

static bool kql_pred(const void *q, const th_jval *doc) { return th_query_match(q, doc); }

/* A sequence's gate: one stage's necessary condition holds. */
typedef struct any_gate {
    th_query *q[TH_SEQ_MAX_STAGES];
    size_t n;
} any_gate;

static bool word_char(char c) { return c == '_' || ((c | 32) >= 'a' && (c | 32) <= 'z'); }

/* True when w occurs in s as a whole word (EQL `sequence`, `sample`). */
static bool has_word(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; (p = strstr(p, w)) != NULL; p++) {
        bool lb = p == s || !word_char(p[-1]);
        bool rb = !word_char(p[n]);
        if (lb && rb)
            return true;
    }
    return false;
}

/* An EQL sequence: split, compile every stage, add. NULL or the reason. */
static const char *add_sequence(th_engine *e, const th_rule *r, th_arena *a, th_diags *diags,
                                th_exceptions **view, const th_exceptions *exc,
                                const th_ruleset *rs, bool *broken)
{
    th_seq_text st;
    char err[160];
    if (!th_seq_split(a, r->query, &st, err, sizeof err))
        return th_arena_printf(a, "EQL sequence: %s", err);
    th_seq_stage stages[TH_SEQ_MAX_STAGES];
    th_query *sq[TH_SEQ_MAX_STAGES];
    th_str fields[TH_SEQ_MAX_STAGES * 64];
    size_t nfields = 0;
    for (size_t i = 0; i < st.nstages; i++) {
        th_qsource src = {r->path, r->query_line, r->query_col};
        size_t errors = diags->errors;
        th_query *q = th_query_compile_eql(a, st.stage[i], strlen(st.stage[i]),
                                           r->event_category_override, &src, diags);
        if (!q || diags->errors > errors) {
            *broken = true;
            return "failed: an EQL sequence stage does not compile (see messages)";
        }
        stages[i] = (th_seq_stage){kql_pred, q};
        sq[i] = q;
        size_t k = th_query_fields(q, fields + nfields, 64);
        nfields = k <= 64 && nfields != SIZE_MAX ? nfields + k : SIZE_MAX; /* MAX: unknown */
    }
    if (view) {
        *view = th_xcalloc(1, sizeof(th_exceptions));
        th_exceptions_init(*view);
        th_exceptions_for_rule(exc, r, (const th_rule *const *)rs->rules, rs->len, *view);
    }
    size_t idx = th_engine_add_sequence(e, r, stages, st.nstages, st.keys, st.nkeys,
                                        st.maxspan_ms, view ? *view : NULL);
    if (nfields != SIZE_MAX)
        th_engine_set_rule_fields(e, idx, fields, nfields);
    /* a sequence event matches some stage: when every stage pins a routed
     * field, the union of their values routes the rule */
    th_prefilter pf[3];
    size_t npf = 0;
    for (size_t f = 0; f < 3; f++) {
        TH_VEC(th_str) vals = {0};
        bool all = st.nstages > 0;
        for (size_t i = 0; i < st.nstages && all; i++) {
            th_str v[64];
            int n = th_query_required_values(sq[i], routed[f], v, 64);
            all = n >= 0;
            for (int k = 0; k < n; k++)
                TH_VEC_PUSH(&vals, v[k]);
        }
        if (all) {
            th_str *keep = TH_ANEWN(a, th_str, vals.len ? vals.len : 1);
            if (vals.len)
                memcpy(keep, vals.items, vals.len * sizeof(th_str));
            pf[npf++] = (th_prefilter){routed[f], keep, vals.len, false};
        }
        TH_VEC_FREE(&vals);
    }
    th_engine_set_prefilter(e, idx, pf, npf);
    /* gate: some stage's necessary condition on the raw projection */
    any_gate *g = TH_ANEW(a, any_gate);
    th_str gf[TH_SEQ_MAX_STAGES * 64];
    size_t ngf = 0;
    for (size_t i = 0; i < st.nstages && g; i++) {
        th_query *n = th_query_necessary(a, sq[i], th_ecs_raw_field);
        if (n) {
            g->q[g->n++] = n;
            size_t k = th_query_fields(n, gf + (ngf != SIZE_MAX ? ngf : 0), 64);
            ngf = k <= 64 && ngf != SIZE_MAX ? ngf + k : SIZE_MAX; /* MAX: unknown */
        } else {
            g = NULL; /* a stage without a condition: no gate */
        }
    }
    if (g)
        th_engine_set_gate_query(e, idx, g->q, g->n, gf, ngf);
    return NULL;
}

/* The message of the first error in d. */
static const char *first_error(const th_diags *d)
{
    for (size_t k = 0; k < d->len; k++)
        if (d->items[k].severity == TH_SEV_ERROR)
            return d->items[k].message;
    return "?";
}

const char *th_run_add_esql(th_engine *e, const th_rule *r, const char *text, const th_qsource *src,
                            th_arena *a, th_diags *diags, const th_exceptions *view, size_t *idx,
                            th_esql **out)
{
    return th_engine_add_esql_query(e, r, text, src, a, diags, view, idx, out);
}

/* Compiles each rule and hands it to the engine; the others are recorded as
 * skipped with the reason (failed, when the query does not compile). */
void th_run_add_rules(th_engine *e, const th_ruleset *rs, th_arena *a, th_diags *diags,
                      const th_exceptions *exc, th_exceptions **views, size_t *nskipped)
{
    for (size_t i = 0; i < rs->len; i++) {
        const th_rule *r = rs->rules[i];
        views[i] = NULL;
        if (r->type == TH_RULE_HUNT)
            continue; /* hunting files are not scheduled; `hunt` runs them */
        const char *why = th_engine_unsupported(r);
        bool broken = false; /* why says the rule fails, not that it is unsupported */
        th_qlang lang = TH_QLANG_KQL;
        if (!why && !r->query)
            why = "the rule has no query";
        if (!why) {
            switch (r->language) {
            case TH_LANG_KUERY:
                break;
            case TH_LANG_EQL:
                lang = TH_QLANG_EQL;
                if (th_seq_is_sequence(r->query)) {
                    why = add_sequence(e, r, a, diags, exc && exc->len ? &views[i] : NULL, exc, rs,
                                       &broken);
                    if (!why)
                        continue;
                } else if (has_word(r->query, "sample")) {
                    why = "EQL samples are not supported";
                }
                break;
            case TH_LANG_LUCENE:
                why = "lucene queries are not supported";
                break;
            case TH_LANG_ESQL:
                if (exc && exc->len) {
                    views[i] = th_xcalloc(1, sizeof(th_exceptions));
                    th_exceptions_init(views[i]);
                    th_exceptions_for_rule(exc, r, (const th_rule *const *)rs->rules, rs->len,
                                           views[i]);
                }
                th_qsource src = {r->path, r->query_line, r->query_col};
                why = th_run_add_esql(e, r, r->query, &src, a, diags, views[i], NULL, NULL);
                if (!why)
                    continue;
                break;
            default:
                why = "query language not supported for this rule type";
                break;
            }
        }
        th_query *q = NULL;
        if (!why) {
            th_diags local;
            th_diags_init(&local);
            th_qsource src = {r->path, r->query_line, r->query_col};
            q = lang == TH_QLANG_EQL
                    ? th_query_compile_eql(a, r->query, strlen(r->query),
                                           r->event_category_override, &src, &local)
                    : th_query_compile(a, lang, r->query, strlen(r->query), &src, &local);
            if (!q) {
                broken = !(local.len && strstr(local.items[0].message, "not supported"));
                why = !broken ? th_arena_printf(a, "%s", local.items[0].message)
                              : "failed: the query does not compile (see messages)";
                if (!(local.len && strstr(local.items[0].message, "not supported"))) {
                    for (size_t k = 0; k < local.len; k++) {
                        const th_diag *g = &local.items[k];
                        th_diag_at(diags, g->severity, g->file, g->line, g->col, "%s", g->message);
                    }
                }
            }
            if (q && local.errors) {
                /* compiled, but with parts Elasticsearch rejects (a bad regex,
                 * date, number, address): the rule fails, as in Kibana */
                for (size_t k = 0; k < local.len; k++) {
                    const th_diag *g = &local.items[k];
                    th_diag_at(diags, g->severity, g->file, g->line, g->col, "%s", g->message);
                }
                why = th_arena_printf(a, "failed: the query does not compile: %s",
                                      first_error(&local));
                broken = true;
            }
            th_diags_free(&local);
        }
        if (why) {
            if (broken)
                th_engine_fail_rule(e, r, why);
            else
                th_engine_skip_rule(e, r, why);
            (*nskipped)++;
            continue;
        }
        if (exc && exc->len) {
            views[i] = th_xcalloc(1, sizeof(th_exceptions));
            th_exceptions_init(views[i]);
            th_exceptions_for_rule(exc, r, (const th_rule *const *)rs->rules, rs->len, views[i]);
        }
        th_engine_add_query(e, r, q, a, views[i]);
    }
}
