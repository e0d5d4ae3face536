/* ATT&CK structure of [[rule.threat]]: framework, tactic, techniques and
 * subtechniques with well-formed ids whose references point at those ids, and
 * no tactic listed twice (tests/test_all_rules.py). */
#include <stdio.h>
#include <string.h>

#include "rules/rule_internal.h"
#include "rules/validate_internal.h"

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static bool is_tactic_id(th_str s)
{
    return s.n == 6 && memcmp(s.p, "TA", 2) == 0 && digits(s.p + 2, 4);
}
static bool is_technique_id(th_str s)
{
    return s.n == 5 && s.p[0] == 'T' && digits(s.p + 1, 4);
}
static bool is_sub_id(th_str s)
{
    return s.n == 9 && s.p[0] == 'T' && digits(s.p + 1, 4) && s.p[5] == '.' && digits(s.p + 6, 3);
}

/* reference must be `expect` with or without its trailing slash (the schema
 * appends a missing one before checking) */
static void check_ref(vctx *v, const th_toml *ref, const char *where, const char *expect)
{
    if (!ref)
        return;
    size_t n = strlen(expect);
    th_str s = ref->u.str;
    bool ok = th_str_eqc(s, expect) || (s.n == n - 1 && memcmp(s.p, expect, n - 1) == 0);
    if (!ok)
        v_error(v, ref, "'%s.reference' must be %s", where, expect);
}

/* id, name, reference of a tactic / technique / subtechnique table */
static const char *const known_leaf[] = {"id", "name", "reference", NULL};
static const char *const known_tech[] = {"id", "name", "reference", "subtechnique", NULL};

static const th_toml *entry(vctx *v, const th_toml *t, const char *where, const char *const *known,
                            const th_toml **ref)
{
    v_unknown_keys(v, t, where, known);
    const th_toml *id = v_get(v, t, where, "id", TH_TOML_STRING, true);
    const th_toml *name = v_get(v, t, where, "name", TH_TOML_STRING, true);
    if (name && name->u.str.n == 0)
        v_error(v, name, "'%s.name' must not be empty", where);
    *ref = v_get(v, t, where, "reference", TH_TOML_STRING, true);
    return id;
}

static void subtechniques(vctx *v, const th_toml *tech, const th_toml *tid, const char *where0)
{
    char where[96];
    snprintf(where, sizeof where, "%s.subtechnique", where0);
    const th_toml *subs = v_get(v, tech, where0, "subtechnique", TH_TOML_ARRAY, false);
    for (size_t k = 0; subs && k < subs->u.arr.len; k++) {
        const th_toml *s = subs->u.arr.items[k];
        if (s->type != TH_TOML_TABLE) {
            v_error(v, s, "'%s' items must be tables", where);
            continue;
        }
        const th_toml *ref;
        const th_toml *id = entry(v, s, where, known_leaf, &ref);
        if (!id)
            continue;
        if (!is_sub_id(id->u.str)) {
            v_error(v, id, "'%s.id' must look like T1234.001 (got \"%.*s\")", where,
                    (int)(id->u.str.n > 16 ? 16 : id->u.str.n), id->u.str.p);
            continue;
        }
        if (tid && is_technique_id(tid->u.str) && memcmp(id->u.str.p, tid->u.str.p, 5) != 0)
            v_error(v, id, "subtechnique %.9s does not belong to technique %.5s", id->u.str.p,
                    tid->u.str.p);
        char expect[80];
        snprintf(expect, sizeof expect, "https://attack.mitre.org/techniques/%.5s/%.3s/",
                 id->u.str.p, id->u.str.p + 6);
        check_ref(v, ref, where, expect);
    }
}

static void techniques(vctx *v, const th_toml *threat)
{
    const char *where = "rule.threat.technique";
    const th_toml *techs = v_get(v, threat, "rule.threat", "technique", TH_TOML_ARRAY, false);
    for (size_t j = 0; techs && j < techs->u.arr.len; j++) {
        const th_toml *t = techs->u.arr.items[j];
        if (t->type != TH_TOML_TABLE) {
            v_error(v, t, "'%s' items must be tables", where);
            continue;
        }
        const th_toml *ref;
        const th_toml *id = entry(v, t, where, known_tech, &ref);
        if (id && !is_technique_id(id->u.str)) {
            v_error(v, id, "'%s.id' must look like T1234 (got \"%.*s\")", where,
                    (int)(id->u.str.n > 16 ? 16 : id->u.str.n), id->u.str.p);
            id = NULL;
        }
        if (id) {
            char expect[80];
            snprintf(expect, sizeof expect, "https://attack.mitre.org/techniques/%.5s/",
                     id->u.str.p);
            check_ref(v, ref, where, expect);
        }
        subtechniques(v, t, id, where);
    }
}

void v_threat(vctx *v, const th_toml *rule)
{
    const th_toml *arr = v_get(v, rule, "rule", "threat", TH_TOML_ARRAY, false);
    static const char *const known[] = {"framework", "tactic", "technique", NULL};
    for (size_t i = 0; arr && i < arr->u.arr.len; i++) {
        const th_toml *e = arr->u.arr.items[i];
        if (e->type != TH_TOML_TABLE) {
            v_error(v, e, "'rule.threat' items must be tables, not another kind of value");
            continue;
        }
        v_unknown_keys(v, e, "rule.threat", known);
        const th_toml *fw = v_get(v, e, "rule.threat", "framework", TH_TOML_STRING, true);
        if (fw && !v_streq(fw, "MITRE ATT&CK"))
            v_error(v, fw, "'rule.threat.framework' must be \"MITRE ATT&CK\"");
        const th_toml *tac = v_get(v, e, "rule.threat", "tactic", TH_TOML_TABLE, true);
        if (tac) {
            const th_toml *ref;
            const th_toml *id = entry(v, tac, "rule.threat.tactic", known_leaf, &ref);
            if (id && !is_tactic_id(id->u.str)) {
                v_error(v, id, "'rule.threat.tactic.id' must look like TA0001 (got \"%.*s\")",
                        (int)(id->u.str.n > 16 ? 16 : id->u.str.n), id->u.str.p);
            } else if (id) {
                char expect[80];
                snprintf(expect, sizeof expect, "https://attack.mitre.org/tactics/%.6s/",
                         id->u.str.p);
                check_ref(v, ref, "rule.threat.tactic", expect);
                for (size_t k = 0; k < i; k++) { /* a tactic appears once */
                    const th_toml *prev = th_toml_get(th_rules_table_at(arr, k), "tactic");
                    const th_toml *pid = th_toml_get(prev, "id");
                    if (pid && pid->type == TH_TOML_STRING && th_str_eq(pid->u.str, id->u.str)) {
                        v_error(v, id, "tactic %.6s is listed twice in rule.threat", id->u.str.p);
                        break;
                    }
                }
            }
        }
        techniques(v, e);
    }
}
