/* Checks that depend on the rule type: language and query, index, machine
 * learning keys, the new_terms and threshold tables, alert suppression. */
#include <string.h>

#include "rules/validate_internal.h"

static const char *const filter_langs[] = {"kuery", "lucene", NULL};
static const char *const eql_lang[] = {"eql", NULL};
static const char *const esql_lang[] = {"esql", NULL};

static bool is_querylike(th_rule_type t)
{
    return t == TH_RULE_QUERY || t == TH_RULE_NEW_TERMS || t == TH_RULE_THRESHOLD ||
           t == TH_RULE_EQL || t == TH_RULE_ESQL || t == TH_RULE_SAVED_QUERY ||
           t == TH_RULE_THREAT_MATCH;
}

static bool blank(th_str s)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\n' && s.p[i] != '\r')
            return false;
    return true;
}

static void v_query_and_index(vctx *v, const th_toml *rule, th_rule_type t)
{
    const char *const *langs = t == TH_RULE_EQL    ? eql_lang
                               : t == TH_RULE_ESQL ? esql_lang
                                                   : filter_langs;
    v_enum(v, rule, "rule", "language", langs, true);
    const th_toml *q = v_get(v, rule, "rule", "query", TH_TOML_STRING, t != TH_RULE_SAVED_QUERY);
    if (q && blank(q->u.str) && (t == TH_RULE_EQL || t == TH_RULE_ESQL))
        v_error(v, q, "'rule.query' must not be empty for %s rules", th_rule_type_name(t));

    const th_toml *index = v_strlist(v, rule, "rule", "index", false, 0, 0, true, false);
    const th_toml *dv = v_get(v, rule, "rule", "data_view_id", TH_TOML_STRING, false);
    const th_toml *index_any = th_toml_get(rule, "index");
    if (t == TH_RULE_ESQL) {
        if (index_any)
            v_error(v, index_any,
                    "'rule.index' is not allowed in ES|QL rules (the query's FROM "
                    "names the indices)");
        return;
    }
    if (index && dv)
        v_error(v, dv, "only one of 'rule.index' and 'rule.data_view_id' may be set");
    if (!index_any && !dv)
        v_error(v, rule, "missing 'rule.index' (or 'rule.data_view_id'): %s rules need one",
                th_rule_type_name(t));
    else if (index && index->u.arr.len == 0 && !dv)
        v_error(v, index, "'rule.index' must name at least one index pattern");
}

static void v_machine_learning(vctx *v, const th_toml *rule)
{
    v_int(v, rule, "rule", "anomaly_threshold", true, 0, 100);
    v_strlist(v, rule, "rule", "machine_learning_job_id", true, 1, 0, true, true);
}

static void v_new_terms(vctx *v, const th_toml *rule)
{
    const char *w = "rule.new_terms";
    const th_toml *nt = v_get(v, rule, "rule", "new_terms", TH_TOML_TABLE, true);
    if (!nt)
        return;
    static const char *const known[] = {"field", "value", "history_window_start", NULL};
    v_unknown_keys(v, nt, w, known);
    const th_toml *f = v_get(v, nt, w, "field", TH_TOML_STRING, true);
    if (f && !v_streq(f, "new_terms_fields"))
        v_error(v, f, "'%s.field' must be \"new_terms_fields\"", w);
    v_strlist(v, nt, w, "value", true, 1, 3, true, false);
    const th_toml *hws = v_get(v, nt, w, "history_window_start", TH_TOML_ARRAY, true);
    if (!hws)
        return;
    if (hws->u.arr.len != 1) {
        v_error(v, hws, "'%s.history_window_start' must have exactly one entry (has %zu)", w,
                hws->u.arr.len);
        if (hws->u.arr.len == 0)
            return;
    }
    const th_toml *h = hws->u.arr.items[0];
    if (h->type != TH_TOML_TABLE) {
        v_error(v, h, "'%s.history_window_start' entries must be tables", w);
        return;
    }
    const char *hw = "rule.new_terms.history_window_start";
    static const char *const hknown[] = {"field", "value", NULL};
    v_unknown_keys(v, h, hw, hknown);
    const th_toml *hf = v_get(v, h, hw, "field", TH_TOML_STRING, true);
    if (hf && !v_streq(hf, "history_window_start"))
        v_error(v, hf, "'%s.field' must be \"history_window_start\"", hw);
    const th_toml *hv = v_get(v, h, hw, "value", TH_TOML_STRING, true);
    if (!hv)
        return;
    /* the schema only asks for a non-empty string; Kibana parses it as date
     * math, so any date math that lies in the past is accepted */
    if (v->r->history_window_ms <= 0) {
        v_error(v, hv, "'%s.value' must be date math in the past, like now-7d", hw);
        return;
    }
    /* Kibana rejects a history window that does not start before `from` */
    int64_t from;
    if (th_rule_lookback_parse(v->r->from, &from) && v->r->history_window_ms <= from)
        v_error(v, hv, "history window start %s must be earlier than 'rule.from' %s",
                v->r->history_window_start, v->r->from);
}

static void v_threshold(vctx *v, const th_toml *rule, const th_toml *meta)
{
    const char *w = "rule.threshold";
    const th_toml *th = v_get(v, rule, "rule", "threshold", TH_TOML_TABLE, true);
    if (!th)
        return;
    static const char *const known[] = {"field", "value", "cardinality", NULL};
    v_unknown_keys(v, th, w, known);
    const th_toml *f = v_strlist(v, th, w, "field", true, 0, 5, true, true);
    if (f && f->type == TH_TOML_ARRAY && f->u.arr.len > 3) {
        const th_toml *sv = th_toml_get(meta, "min_stack_version");
        bool ge92 = sv && sv->type == TH_TOML_STRING &&
                    v_semver_cmp(sv->u.str.p, sv->u.str.n, "9.2.0") >= 0;
        if (!ge92)
            v_error(v, f,
                    "'%s.field' has %zu fields; at most 3 unless "
                    "metadata.min_stack_version is 9.2.0 or later (then 5)",
                    w, f->u.arr.len);
    }
    v_int(v, th, w, "value", true, 1, INT64_MAX);
    const th_toml *card = v_get(v, th, w, "cardinality", TH_TOML_ARRAY, false);
    const char *cw = "rule.threshold.cardinality";
    for (size_t i = 0; card && i < card->u.arr.len; i++) {
        const th_toml *c = card->u.arr.items[i];
        if (c->type != TH_TOML_TABLE) {
            v_error(v, c, "'%s' entries must be tables", cw);
            continue;
        }
        static const char *const cknown[] = {"field", "value", NULL};
        v_unknown_keys(v, c, cw, cknown);
        const th_toml *cf = v_get(v, c, cw, "field", TH_TOML_STRING, true);
        if (cf && cf->u.str.n == 0)
            v_error(v, cf, "'%s.field' must not be empty", cw);
        v_int(v, c, cw, "value", true, 1, INT64_MAX);
    }
}

static void v_suppression(vctx *v, const th_toml *rule, th_rule_type t)
{
    const char *w = "rule.alert_suppression";
    const th_toml *s = v_get(v, rule, "rule", "alert_suppression", TH_TOML_TABLE, false);
    if (!s)
        return;
    bool thr = t == TH_RULE_THRESHOLD;
    static const char *const known[] = {"group_by", "duration", "missing_fields_strategy", NULL};
    if (thr) {
        /* threshold rules suppress by their threshold fields: only a duration */
        for (size_t i = 0; i < s->u.tab.len; i++)
            if (!th_str_eqc(s->u.tab.kvs[i].key, "duration"))
                v_error_at(v, s->u.tab.kvs[i].line, s->u.tab.kvs[i].col,
                           "'%s.%.*s' is not allowed in threshold rules (only duration)", w,
                           (int)(s->u.tab.kvs[i].key.n > 64 ? 64 : s->u.tab.kvs[i].key.n),
                           s->u.tab.kvs[i].key.p);
    } else {
        v_unknown_keys(v, s, w, known);
        v_strlist(v, s, w, "group_by", true, 1, 3, true, false);
        static const char *const strategies[] = {"suppress", "doNotSuppress", NULL};
        v_enum(v, s, w, "missing_fields_strategy", strategies, true);
    }
    const th_toml *d = v_get(v, s, w, "duration", TH_TOML_TABLE, thr);
    if (!d)
        return;
    const char *dw = "rule.alert_suppression.duration";
    static const char *const dknown[] = {"value", "unit", NULL};
    v_unknown_keys(v, d, dw, dknown);
    v_int(v, d, dw, "value", true, 1, INT64_MAX);
    static const char *const units[] = {"s", "m", "h", NULL};
    v_enum(v, d, dw, "unit", units, true);
}

static void v_threat_match(vctx *v, const th_toml *rule)
{
    v_strlist(v, rule, "rule", "threat_index", true, 1, 0, true, false);
    v_get(v, rule, "rule", "threat_mapping", TH_TOML_ARRAY, true);
    v_get(v, rule, "rule", "threat_indicator_path", TH_TOML_STRING, false);
    v_get(v, rule, "rule", "threat_filters", TH_TOML_ARRAY, false);
    v_int(v, rule, "rule", "concurrent_searches", false, 1, INT64_MAX);
    v_int(v, rule, "rule", "items_per_search", false, 1, INT64_MAX);
    const th_toml *tq = v_get(v, rule, "rule", "threat_query", TH_TOML_STRING, false);
    const th_toml *tl = v_enum(v, rule, "rule", "threat_language", filter_langs, false);
    if (tq && !tl && !th_toml_get(rule, "threat_language"))
        v_error(v, tq, "'rule.threat_language' is required when 'rule.threat_query' is set");
}

void v_type_specific(vctx *v, const th_toml *rule, const th_toml *meta)
{
    th_rule_type t = v->r->type;
    if (is_querylike(t))
        v_query_and_index(v, rule, t);
    switch (t) {
    case TH_RULE_MACHINE_LEARNING: v_machine_learning(v, rule); break;
    case TH_RULE_NEW_TERMS: v_new_terms(v, rule); break;
    case TH_RULE_THRESHOLD: v_threshold(v, rule, meta); break;
    case TH_RULE_THREAT_MATCH: v_threat_match(v, rule); break;
    case TH_RULE_SAVED_QUERY: v_get(v, rule, "rule", "saved_id", TH_TOML_STRING, true); break;
    case TH_RULE_ESQL: v_esql(v, rule); break;
    case TH_RULE_EQL: {
        static const char *const strs[] = {"event_category_override", "tiebreaker_field",
                                           "timestamp_field", NULL};
        for (size_t i = 0; strs[i]; i++)
            v_get(v, rule, "rule", strs[i], TH_TOML_STRING, false);
        break;
    }
    default: break;
    }
    v_suppression(v, rule, t);
}
