/* The keys the detection-rules schema knows (detection_rules/rule.py: RuleMeta,
 * BaseRuleData and the per-type dataclasses). A key outside the schema is a
 * warning, not an error: the file still loads and the key stays in the TOML
 * tree, so newer schema additions do not break older trailhound builds. */
#include <string.h>

#include "rules/validate_internal.h"

#define T(x) (1u << (x))
#define ALL 0xffffu
#define QUERYLIKE                                                                                  \
    (T(TH_RULE_QUERY) | T(TH_RULE_NEW_TERMS) | T(TH_RULE_THRESHOLD) | T(TH_RULE_EQL) |             \
     T(TH_RULE_ESQL) | T(TH_RULE_SAVED_QUERY) | T(TH_RULE_THREAT_MATCH))

static const struct {
    const char *key;
    unsigned types; /* rule types the key belongs to */
} rule_keys[] = {
    /* BaseRuleData */
    {"name", ALL},
    {"author", ALL},
    {"description", ALL},
    {"from", ALL},
    {"investigation_fields", ALL},
    {"related_integrations", ALL},
    {"required_fields", ALL},
    {"revision", ALL},
    {"setup", ALL},
    {"risk_score", ALL},
    {"rule_id", ALL},
    {"severity", ALL},
    {"type", ALL},
    {"actions", ALL},
    {"building_block_type", ALL},
    {"enabled", ALL},
    {"exceptions_list", ALL},
    {"false_positives", ALL},
    {"filters", ALL},
    {"interval", ALL},
    {"license", ALL},
    {"max_signals", ALL},
    {"meta", ALL},
    {"note", ALL},
    {"references", ALL},
    {"risk_score_mapping", ALL},
    {"rule_name_override", ALL},
    {"severity_mapping", ALL},
    {"tags", ALL},
    {"threat", ALL},
    {"throttle", ALL},
    {"timeline_id", ALL},
    {"timeline_title", ALL},
    {"timestamp_override", ALL},
    {"to", ALL},
    {"version", ALL},
    {"alert_suppression", ALL},
    /* QueryRuleData and its subclasses */
    {"query", QUERYLIKE},
    {"language", QUERYLIKE},
    {"index", QUERYLIKE},
    {"data_view_id", QUERYLIKE},
    {"saved_id", T(TH_RULE_SAVED_QUERY)},
    {"event_category_override", T(TH_RULE_EQL)},
    {"tiebreaker_field", T(TH_RULE_EQL)},
    {"timestamp_field", T(TH_RULE_EQL)},
    {"threshold", T(TH_RULE_THRESHOLD)},
    {"new_terms", T(TH_RULE_NEW_TERMS)},
    {"anomaly_threshold", T(TH_RULE_MACHINE_LEARNING)},
    {"machine_learning_job_id", T(TH_RULE_MACHINE_LEARNING)},
    {"concurrent_searches", T(TH_RULE_THREAT_MATCH)},
    {"items_per_search", T(TH_RULE_THREAT_MATCH)},
    {"threat_mapping", T(TH_RULE_THREAT_MATCH)},
    {"threat_filters", T(TH_RULE_THREAT_MATCH)},
    {"threat_query", T(TH_RULE_THREAT_MATCH)},
    {"threat_language", T(TH_RULE_THREAT_MATCH)},
    {"threat_index", T(TH_RULE_THREAT_MATCH)},
    {"threat_indicator_path", T(TH_RULE_THREAT_MATCH)},
};

void v_unknown_keys(vctx *v, const th_toml *tab, const char *where, const char *const *known)
{
    if (!tab || tab->type != TH_TOML_TABLE)
        return;
    for (size_t i = 0; i < tab->u.tab.len; i++) {
        const th_toml_kv *kv = &tab->u.tab.kvs[i];
        bool ok = false;
        for (size_t k = 0; known[k] && !ok; k++)
            ok = th_str_eqc(kv->key, known[k]);
        if (!ok)
            v_warn_at(v, kv->line, kv->col, "unknown key '%s%s%.*s' (not in the rule schema; kept)",
                      where, *where ? "." : "", (int)(kv->key.n > 64 ? 64 : kv->key.n), kv->key.p);
    }
}

void v_rule_keys(vctx *v, const th_toml *rule, th_rule_type t)
{
    for (size_t i = 0; i < rule->u.tab.len; i++) {
        const th_toml_kv *kv = &rule->u.tab.kvs[i];
        size_t k = 0, n = sizeof rule_keys / sizeof rule_keys[0];
        while (k < n && !th_str_eqc(kv->key, rule_keys[k].key))
            k++;
        int klen = (int)(kv->key.n > 64 ? 64 : kv->key.n);
        if (k == n)
            v_warn_at(v, kv->line, kv->col,
                      "unknown key 'rule.%.*s' (not in the rule schema; kept)", klen, kv->key.p);
        else if (t != TH_RULE_UNKNOWN && !(rule_keys[k].types & T(t)))
            v_warn_at(v, kv->line, kv->col, "key 'rule.%.*s' is not used by %s rules (ignored)",
                      klen, kv->key.p, th_rule_type_name(t));
    }
}
