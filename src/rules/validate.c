/* Schema validation of one rule file (SEMANTICS.md 1.4-1.5): the helpers, the
 * [metadata] and common [rule] checks, hunting files, and the entry point.
 * Type-specific checks are in validate_types.c, ATT&CK in validate_attack.c,
 * ES|QL in validate_esql.c, the known-key sets in validate_keys.c, value
 * patterns in validate_patterns.c. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules/validate_internal.h"

/* ---- reporting ---- */

static void vreport(vctx *v, th_severity sev, unsigned line, unsigned col, const char *fmt,
                    va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (line == 0) {
        line = 1;
        col = 1;
    }
    th_diag_at(v->d, sev, v->path, line, col ? col : 1, "%s", msg);
    if (sev == TH_SEV_ERROR)
        v->errors++;
}

void v_error(vctx *v, const th_toml *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(v, TH_SEV_ERROR, at ? at->line : 1, at ? at->col : 1, fmt, ap);
    va_end(ap);
}

void v_error_at(vctx *v, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(v, TH_SEV_ERROR, line, col, fmt, ap);
    va_end(ap);
}

void v_warn_at(vctx *v, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(v, TH_SEV_WARNING, line, col, fmt, ap);
    va_end(ap);
}

/* ---- typed lookups ---- */

static const char *tname(const th_toml *t)
{
    switch (t->type) {
    case TH_TOML_STRING: return "a string";
    case TH_TOML_INTEGER: return "an integer";
    case TH_TOML_FLOAT: return "a float";
    case TH_TOML_BOOL: return "a boolean";
    case TH_TOML_ARRAY: return "an array";
    case TH_TOML_TABLE: return "a table";
    default: return "a date/time";
    }
}

static const char *want_name(th_toml_type t)
{
    switch (t) {
    case TH_TOML_STRING: return "a string";
    case TH_TOML_INTEGER: return "an integer";
    case TH_TOML_FLOAT: return "a float";
    case TH_TOML_BOOL: return "a boolean";
    case TH_TOML_ARRAY: return "an array";
    case TH_TOML_TABLE: return "a table";
    default: return "a date/time";
    }
}

const th_toml *v_get(vctx *v, const th_toml *tab, const char *where, const char *key,
                     th_toml_type type, bool required)
{
    const th_toml *val = th_toml_get(tab, key);
    if (!val) {
        if (required)
            v_error(v, tab, "missing required key '%s.%s'", where, key);
        return NULL;
    }
    if (val->type != type) {
        v_error(v, val, "'%s.%s' must be %s, not %s", where, key, want_name(type), tname(val));
        return NULL;
    }
    return val;
}

bool v_streq(const th_toml *val, const char *s)
{
    return val && val->type == TH_TOML_STRING && th_str_eqc(val->u.str, s);
}

const th_toml *v_enum(vctx *v, const th_toml *tab, const char *where, const char *key,
                      const char *const *allowed, bool required)
{
    const th_toml *val = v_get(v, tab, where, key, TH_TOML_STRING, required);
    if (!val)
        return NULL;
    for (size_t i = 0; allowed[i]; i++)
        if (v_streq(val, allowed[i]))
            return val;
    char list[256] = "";
    for (size_t i = 0; allowed[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, allowed[i], sizeof list - strlen(list) - 1);
    }
    v_error(v, val, "'%s.%s' must be one of %s (got \"%.*s\")", where, key, list,
            (int)(val->u.str.n > 64 ? 64 : val->u.str.n), val->u.str.p);
    return NULL;
}

const th_toml *v_strlist(vctx *v, const th_toml *tab, const char *where, const char *key,
                         bool required, size_t min, size_t max, bool nonempty_items, bool lone_ok)
{
    const th_toml *val = th_toml_get(tab, key);
    if (!val) {
        if (required)
            v_error(v, tab, "missing required key '%s.%s'", where, key);
        return NULL;
    }
    if (lone_ok && val->type == TH_TOML_STRING) {
        if (nonempty_items && val->u.str.n == 0)
            v_error(v, val, "'%s.%s' must not be empty", where, key);
        return val;
    }
    if (val->type != TH_TOML_ARRAY) {
        v_error(v, val, "'%s.%s' must be an array of strings, not %s", where, key, tname(val));
        return NULL;
    }
    bool ok = true;
    for (size_t i = 0; i < val->u.arr.len; i++) {
        const th_toml *it = val->u.arr.items[i];
        if (it->type != TH_TOML_STRING) {
            v_error(v, it, "'%s.%s' item %zu must be a string, not %s", where, key, i + 1,
                    tname(it));
            ok = false;
        } else if (nonempty_items && it->u.str.n == 0) {
            v_error(v, it, "'%s.%s' item %zu must not be empty", where, key, i + 1);
            ok = false;
        }
    }
    size_t n = val->u.arr.len;
    if (n < min || (max && n > max)) {
        if (max)
            v_error(v, val, "'%s.%s' must have %zu to %zu items (has %zu)", where, key, min, max,
                    n);
        else
            v_error(v, val, "'%s.%s' must have at least %zu item%s (has %zu)", where, key, min,
                    min == 1 ? "" : "s", n);
        ok = false;
    }
    return ok ? val : NULL;
}

const th_toml *v_int(vctx *v, const th_toml *tab, const char *where, const char *key, bool required,
                     int64_t lo, int64_t hi)
{
    const th_toml *val = v_get(v, tab, where, key, TH_TOML_INTEGER, required);
    if (!val)
        return NULL;
    if (val->u.i < lo || val->u.i > hi) {
        if (hi == INT64_MAX)
            v_error(v, val, "'%s.%s' must be at least %lld (got %lld)", where, key, (long long)lo,
                    (long long)val->u.i);
        else
            v_error(v, val, "'%s.%s' must be between %lld and %lld (got %lld)", where, key,
                    (long long)lo, (long long)hi, (long long)val->u.i);
        return NULL;
    }
    return val;
}

/* ---- [metadata] ---- */

static const char *const maturities[] = {"development", "experimental", "beta",
                                         "production",  "deprecated",   NULL};
static const char *const os_types[] = {"windows", "linux", "macos", NULL};

static const th_toml *v_date(vctx *v, const th_toml *tab, const char *key, bool required)
{
    const th_toml *val = v_get(v, tab, "metadata", key, TH_TOML_STRING, required);
    if (val && !v_is_date(val->u.str.p, val->u.str.n)) {
        v_error(v, val, "'metadata.%s' must be a date YYYY/MM/DD (got \"%.*s\")", key,
                (int)(val->u.str.n > 32 ? 32 : val->u.str.n), val->u.str.p);
        return NULL;
    }
    return val;
}

static void v_metadata(vctx *v, const th_toml *m)
{
    const th_toml *c = v_date(v, m, "creation_date", true);
    const th_toml *u = v_date(v, m, "updated_date", true);
    if (c && u && th_str_cmp(u->u.str, c->u.str) < 0)
        v_error(v, u, "'metadata.updated_date' %.*s is before creation_date %.*s", (int)u->u.str.n,
                u->u.str.p, (int)c->u.str.n, c->u.str.p);
    v_date(v, m, "deprecation_date", false);
    v_enum(v, m, "metadata", "maturity", maturities, false);
    v_strlist(v, m, "metadata", "integration", false, 0, 0, true, true);
    const th_toml *sv = v_get(v, m, "metadata", "min_stack_version", TH_TOML_STRING, false);
    if (sv && !v_is_semver(sv->u.str.p, sv->u.str.n))
        v_error(v, sv, "'metadata.min_stack_version' must be a version like 9.2.0 (got \"%.*s\")",
                (int)(sv->u.str.n > 32 ? 32 : sv->u.str.n), sv->u.str.p);
    v_get(v, m, "metadata", "min_stack_comments", TH_TOML_STRING, false);
    v_get(v, m, "metadata", "comments", TH_TOML_STRING, false);
    v_get(v, m, "metadata", "bypass_bbr_timing", TH_TOML_BOOL, false);
    v_get(v, m, "metadata", "query_schema_validation", TH_TOML_BOOL, false);
    v_get(v, m, "metadata", "promotion", TH_TOML_BOOL, false);
    v_get(v, m, "metadata", "extended", TH_TOML_TABLE, false);
    v_strlist(v, m, "metadata", "related_endpoint_rules", false, 0, 0, false, false);
    const th_toml *os = v_strlist(v, m, "metadata", "os_type_list", false, 0, 0, true, false);
    for (size_t i = 0; os && i < os->u.arr.len; i++) {
        bool ok = false;
        for (size_t k = 0; os_types[k]; k++)
            ok |= v_streq(os->u.arr.items[i], os_types[k]);
        if (!ok)
            v_error(v, os->u.arr.items[i],
                    "'metadata.os_type_list' items must be windows, linux or macos");
    }
}

/* ---- common [rule] keys ---- */

static const char *const types[] = {"query",     "saved_query",  "machine_learning", "eql", "esql",
                                    "threshold", "threat_match", "new_terms",        NULL};
static const char *const severities[] = {"low", "medium", "high", "critical", NULL};

static void v_severity_risk(vctx *v, const th_toml *sev, const th_toml *risk)
{
    static const struct {
        const char *sev;
        int64_t lo, hi;
    } ranges[] = {{"low", 0, 21}, {"medium", 22, 47}, {"high", 48, 73}, {"critical", 74, 100}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        if (!v_streq(sev, ranges[i].sev))
            continue;
        if (risk->u.i < ranges[i].lo || risk->u.i > ranges[i].hi)
            v_error(v, risk, "'rule.risk_score' %lld does not fit severity %s (%lld..%lld)",
                    (long long)risk->u.i, ranges[i].sev, (long long)ranges[i].lo,
                    (long long)ranges[i].hi);
    }
}

static void v_table_list(vctx *v, const th_toml *rule, const char *key, const char *const *strs,
                         const char *const *required)
{
    const th_toml *arr = v_get(v, rule, "rule", key, TH_TOML_ARRAY, false);
    for (size_t i = 0; arr && i < arr->u.arr.len; i++) {
        const th_toml *e = arr->u.arr.items[i];
        if (e->type != TH_TOML_TABLE) {
            v_error(v, e, "'rule.%s' items must be tables, not %s", key, tname(e));
            continue;
        }
        char where[64];
        snprintf(where, sizeof where, "rule.%s[%zu]", key, i + 1);
        for (size_t k = 0; strs && strs[k]; k++) {
            bool req = false;
            for (size_t j = 0; required && required[j]; j++)
                req |= strcmp(required[j], strs[k]) == 0;
            v_get(v, e, where, strs[k], TH_TOML_STRING, req);
        }
    }
}

/* severity_mapping / risk_score_mapping entries: operator "equals", and a
 * severity from the enum (beyond the string checks of v_table_list) */
static void v_mapping_enums(vctx *v, const th_toml *rule, const char *key)
{
    static const char *const ops[] = {"equals", NULL};
    const th_toml *arr = th_toml_get(rule, key);
    if (!arr || arr->type != TH_TOML_ARRAY)
        return;
    char where[64];
    snprintf(where, sizeof where, "rule.%s", key);
    for (size_t i = 0; i < arr->u.arr.len; i++) {
        const th_toml *e = arr->u.arr.items[i];
        if (e->type != TH_TOML_TABLE)
            continue;
        const th_toml *op = th_toml_get(e, "operator");
        if (op && op->type == TH_TOML_STRING)
            v_enum(v, e, where, "operator", ops, false);
        const th_toml *sv = th_toml_get(e, "severity");
        if (sv && sv->type == TH_TOML_STRING)
            v_enum(v, e, where, "severity", severities, false);
    }
}

/* Building-block rules run rarely over long windows (DataValidator.validate_bbr):
 * `from` at least now-119m and `interval` at least 60m, both written out. */
static void v_building_block(vctx *v, const th_toml *rule)
{
    const th_toml *bbt = th_toml_get(rule, "building_block_type");
    if (!bbt)
        return;
    const th_toml *from = th_toml_get(rule, "from"), *iv = th_toml_get(rule, "interval");
    if (!from || !iv) {
        v_error(v, bbt, "building-block rules must set 'rule.from' and 'rule.interval'");
        return;
    }
    int64_t ms;
    if (v->r->from && th_rule_lookback_parse(v->r->from, &ms) && ms < 119 * 60000)
        v_error(v, from, "building-block rules need 'rule.from' of now-119m or earlier");
    if (v->r->interval_ms > 0 && v->r->interval_ms < 60 * 60000)
        v_error(v, iv, "building-block rules need 'rule.interval' of 60m or more");
}

static void v_rule_common(vctx *v, const th_toml *rule)
{
    const th_toml *name = v_get(v, rule, "rule", "name", TH_TOML_STRING, true);
    if (name && !v_is_rule_name(name->u.str.p, name->u.str.n))
        v_error(v, name,
                "'rule.name' must start with a letter or digit and end with one or "
                "with ] or ) (at least 3 characters, one line)");
    v_strlist(v, rule, "rule", "author", true, 1, 0, true, false);
    v_get(v, rule, "rule", "description", TH_TOML_STRING, true);
    const th_toml *risk = v_int(v, rule, "rule", "risk_score", true, 0, 100);
    const th_toml *id = v_get(v, rule, "rule", "rule_id", TH_TOML_STRING, true);
    if (id && !v_is_uuid(id->u.str.p, id->u.str.n))
        v_error(v, id, "'rule.rule_id' must be a lower-case UUID (got \"%.*s\")",
                (int)(id->u.str.n > 64 ? 64 : id->u.str.n), id->u.str.p);
    const th_toml *sev = v_enum(v, rule, "rule", "severity", severities, true);
    if (sev && risk)
        v_severity_risk(v, sev, risk);
    v_enum(v, rule, "rule", "type", types, true);

    const th_toml *from = v_get(v, rule, "rule", "from", TH_TOML_STRING, false);
    if (from && !v_is_from(from->u.str.p, from->u.str.n))
        v_error(v, from,
                "'rule.from' must look like now-6m (now-<number><unit>, unit one of "
                "y M w d h H m s)");
    const th_toml *iv = v_get(v, rule, "rule", "interval", TH_TOML_STRING, false);
    if (iv && !v_is_interval(iv->u.str.p, iv->u.str.n))
        v_error(v, iv, "'rule.interval' must look like 5m (<number><unit>, unit one of m s h d)");
    v_int(v, rule, "rule", "max_signals", false, 1, 1000);
    v_int(v, rule, "rule", "version", false, 1, INT64_MAX);
    v_int(v, rule, "rule", "revision", false, 0, INT64_MAX);
    static const char *const strs[] = {"license",
                                       "note",
                                       "setup",
                                       "timestamp_override",
                                       "to",
                                       "rule_name_override",
                                       "throttle",
                                       "timeline_id",
                                       "timeline_title",
                                       NULL};
    for (size_t i = 0; strs[i]; i++)
        v_get(v, rule, "rule", strs[i], TH_TOML_STRING, false);
    static const char *const lists[] = {"false_positives", "references", "tags", NULL};
    for (size_t i = 0; lists[i]; i++)
        v_strlist(v, rule, "rule", lists[i], false, 0, 0, false, false);
    v_get(v, rule, "rule", "enabled", TH_TOML_BOOL, false);
    v_get(v, rule, "rule", "meta", TH_TOML_TABLE, false);
    v_get(v, rule, "rule", "filters", TH_TOML_ARRAY, false);
    v_get(v, rule, "rule", "actions", TH_TOML_ARRAY, false);
    static const char *const bbt[] = {"default", NULL};
    v_enum(v, rule, "rule", "building_block_type", bbt, false);
    const th_toml *tid = th_toml_get(rule, "timeline_id"),
                  *tt = th_toml_get(rule, "timeline_title");
    if ((tid == NULL) != (tt == NULL))
        v_error(v, tid ? tid : tt, "'rule.timeline_id' and 'rule.timeline_title' go together");

    const th_toml *inv = v_get(v, rule, "rule", "investigation_fields", TH_TOML_TABLE, false);
    if (inv) {
        v_strlist(v, inv, "rule.investigation_fields", "field_names", true, 0, 0, true, false);
        static const char *const known[] = {"field_names", NULL};
        v_unknown_keys(v, inv, "rule.investigation_fields", known);
    }
    static const char *const mapping[] = {"field", "operator", "value", "severity", NULL};
    static const char *const mapping_req[] = {"field", NULL};
    v_table_list(v, rule, "severity_mapping", mapping, mapping_req);
    v_table_list(v, rule, "risk_score_mapping", mapping, mapping_req);
    static const char *const ri[] = {"package", "version", "integration", NULL};
    static const char *const ri_req[] = {"package", "version", NULL};
    v_table_list(v, rule, "related_integrations", ri, ri_req);
    static const char *const rf[] = {"name", "type", NULL};
    v_table_list(v, rule, "required_fields", rf, rf);
    v_table_list(v, rule, "exceptions_list", NULL, NULL);
    v_mapping_enums(v, rule, "severity_mapping");
    v_mapping_enums(v, rule, "risk_score_mapping");
    v_building_block(v, rule);
}

/* ---- hunting files ---- */

static void v_hunt(vctx *v, const th_toml *root, const th_toml *h)
{
    static const char *const root_known[] = {"hunt", NULL};
    v_unknown_keys(v, root, "", root_known);
    static const char *const known[] = {"author", "description", "integration", "uuid",
                                        "name",   "language",    "license",     "notes",
                                        "mitre",  "query",       "references",  NULL};
    v_unknown_keys(v, h, "hunt", known);
    v_strlist(v, h, "hunt", "author", true, 1, 0, true, true);
    v_get(v, h, "hunt", "description", TH_TOML_STRING, true);
    v_get(v, h, "hunt", "name", TH_TOML_STRING, true);
    v_get(v, h, "hunt", "license", TH_TOML_STRING, false);
    v_strlist(v, h, "hunt", "integration", true, 1, 0, true, true);
    v_strlist(v, h, "hunt", "language", true, 1, 0, true, true);
    v_strlist(v, h, "hunt", "query", true, 1, 0, true, false);
    v_strlist(v, h, "hunt", "notes", false, 0, 0, false, false);
    v_strlist(v, h, "hunt", "mitre", false, 0, 0, true, false);
    v_strlist(v, h, "hunt", "references", false, 0, 0, false, false);
    const th_toml *id = v_get(v, h, "hunt", "uuid", TH_TOML_STRING, true);
    if (id && !v_is_uuid(id->u.str.p, id->u.str.n))
        v_error(v, id, "'hunt.uuid' must be a lower-case UUID");
}

/* ---- entry point ---- */

size_t th_rule_validate(const th_rule *r, th_diags *diags)
{
    vctx v = {r, r->path, diags, 0};
    const th_toml *root = r->toml;
    if (r->type == TH_RULE_HUNT) {
        v_hunt(&v, root, th_toml_get(root, "hunt"));
        return v.errors;
    }
    static const char *const root_known[] = {"metadata", "rule", "transform", NULL};
    v_unknown_keys(&v, root, "", root_known);
    const th_toml *meta = th_toml_get(root, "metadata");
    if (!meta)
        v_error_at(&v, 1, 1, "missing required table [metadata]");
    else if (meta->type != TH_TOML_TABLE) {
        v_error(&v, meta, "'metadata' must be a table, not %s", tname(meta));
        meta = NULL;
    }
    if (meta) {
        static const char *const known[] = {"creation_date",
                                            "updated_date",
                                            "deprecation_date",
                                            "bypass_bbr_timing",
                                            "comments",
                                            "integration",
                                            "maturity",
                                            "min_stack_version",
                                            "min_stack_comments",
                                            "os_type_list",
                                            "query_schema_validation",
                                            "related_endpoint_rules",
                                            "promotion",
                                            "extended",
                                            NULL};
        v_unknown_keys(&v, meta, "metadata", known);
        v_metadata(&v, meta);
    }
    const th_toml *tr = th_toml_get(root, "transform");
    if (tr && tr->type != TH_TOML_TABLE)
        v_error(&v, tr, "'transform' must be a table, not %s", tname(tr));
    const th_toml *rule = th_toml_get(root, "rule"); /* a table: the loader checked */
    v_rule_keys(&v, rule, r->type);
    v_rule_common(&v, rule);
    v_threat(&v, rule);
    if (r->type != TH_RULE_UNKNOWN)
        v_type_specific(&v, rule, meta);
    return v.errors;
}
