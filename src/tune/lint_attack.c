/* Linter: MITRE ATT&CK mappings ([[rule.threat]]), check `attack`. */
#include <stdlib.h>
#include <string.h>

#include "tune/lint_int.h"

/* Enterprise ATT&CK tactics (ids and names as attack.mitre.org writes them). */
static const struct {
    const char *id, *name;
} tactics[] = {
    {"TA0001", "Initial Access"},
    {"TA0002", "Execution"},
    {"TA0003", "Persistence"},
    {"TA0004", "Privilege Escalation"},
    {"TA0005", "Defense Evasion"},
    {"TA0006", "Credential Access"},
    {"TA0007", "Discovery"},
    {"TA0008", "Lateral Movement"},
    {"TA0009", "Collection"},
    {"TA0010", "Exfiltration"},
    {"TA0011", "Command and Control"},
    {"TA0040", "Impact"},
    {"TA0042", "Resource Development"},
    {"TA0043", "Reconnaissance"},
};

struct th_lint_use {
    bool tactic;
    const char *id, *name, *path;
    unsigned line, col;
};

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return s[n] == 0;
}

static bool technique_id_ok(const char *id)
{
    return id[0] == 'T' && digits(id + 1, 4);
}

static bool subtechnique_id_ok(const char *id)
{
    return id[0] == 'T' && strlen(id) == 9 && id[5] == '.' && digits(id + 6, 3) &&
           (id[1] >= '0' && id[1] <= '9') && (id[2] >= '0' && id[2] <= '9') &&
           (id[3] >= '0' && id[3] <= '9') && (id[4] >= '0' && id[4] <= '9');
}

static const char *s_of(lfile *f, const th_toml *t, const char *key, const th_toml_kv **kv)
{
    *kv = lint_kv(t, key);
    if (!*kv || (*kv)->val->type != TH_TOML_STRING)
        return NULL;
    return th_arena_strndup(f->a, (*kv)->val->u.str.p, (*kv)->val->u.str.n);
}

void lint_attack_use(lfile *f, bool tactic, const char *id, const char *name, unsigned line,
                     unsigned col)
{
    th_lint *l = f->l;
    if (l->nuses == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->uses = th_xrealloc(l->uses, l->cap * sizeof *l->uses);
    }
    l->uses[l->nuses++] = (th_lint_use){tactic,
                                        th_arena_strdup(&l->arena, id),
                                        th_arena_strdup(&l->arena, name),
                                        th_arena_strdup(&l->arena, f->path),
                                        line,
                                        col};
}

static void check_ref(lfile *f, const th_toml *t, const char *want_path)
{
    const th_toml_kv *kv;
    const char *ref = s_of(f, t, "reference", &kv);
    char want[160];
    snprintf(want, sizeof want, "https://attack.mitre.org/%s/", want_path);
    if (ref && strcmp(ref, want) != 0)
        lint_find(f, TH_SEV_WARNING, kv->val->line, kv->val->col, "attack",
                  "reference '%s' does not match the id (expected '%s')", ref, want);
}

static void technique(lfile *f, const th_toml *t, const char *parent)
{
    const th_toml_kv *ikv, *nkv;
    const char *id = s_of(f, t, "id", &ikv), *name = s_of(f, t, "name", &nkv);
    if (!id) {
        lint_find(f, TH_SEV_ERROR, t->line, t->col, "attack", "technique without an id");
        return;
    }
    unsigned line = ikv->val->line, col = ikv->val->col;
    char path[64];
    if (parent) {
        if (!subtechnique_id_ok(id)) {
            lint_find(f, TH_SEV_ERROR, line, col, "attack",
                      "subtechnique id '%s' is not of the form T1234.567", id);
            return;
        }
        if (strncmp(id, parent, 5) != 0 || strlen(parent) != 5)
            lint_find(f, TH_SEV_ERROR, line, col, "attack",
                      "subtechnique %s is not under its technique %s", id, parent);
        snprintf(path, sizeof path, "techniques/%.5s/%s", id, id + 6);
    } else {
        if (!technique_id_ok(id)) {
            lint_find(f, TH_SEV_ERROR, line, col, "attack",
                      "technique id '%s' is not of the form T1234", id);
            return;
        }
        snprintf(path, sizeof path, "techniques/%s", id);
    }
    if (!name)
        lint_find(f, TH_SEV_ERROR, line, col, "attack", "technique %s has no name", id);
    else
        lint_attack_use(f, false, id, name, nkv->val->line, nkv->val->col);
    check_ref(f, t, path);
    const th_toml *subs = th_toml_get(t, "subtechnique");
    if (subs && subs->type == TH_TOML_ARRAY && !parent)
        for (size_t i = 0; i < subs->u.arr.len; i++)
            technique(f, subs->u.arr.items[i], id);
}

static void tactic(lfile *f, const th_toml *t)
{
    const th_toml_kv *ikv, *nkv;
    const char *id = s_of(f, t, "id", &ikv), *name = s_of(f, t, "name", &nkv);
    if (!id || !name) {
        lint_find(f, TH_SEV_ERROR, t->line, t->col, "attack", "tactic without id or name");
        return;
    }
    if (!(id[0] == 'T' && id[1] == 'A' && digits(id + 2, 4))) {
        lint_find(f, TH_SEV_ERROR, ikv->val->line, ikv->val->col, "attack",
                  "tactic id '%s' is not of the form TA1234", id);
        return;
    }
    const char *known = NULL;
    for (size_t i = 0; i < sizeof tactics / sizeof tactics[0]; i++)
        if (strcmp(tactics[i].id, id) == 0)
            known = tactics[i].name;
    if (!known)
        lint_find(f, TH_SEV_ERROR, ikv->val->line, ikv->val->col, "attack",
                  "'%s' is not an Enterprise ATT&CK tactic", id);
    else if (strcmp(known, name) != 0)
        lint_find(f, TH_SEV_ERROR, nkv->val->line, nkv->val->col, "attack",
                  "tactic %s is '%s' in ATT&CK, not '%s'", id, known, name);
    lint_attack_use(f, true, id, name, nkv->val->line, nkv->val->col);
    char path[64];
    snprintf(path, sizeof path, "tactics/%s", id);
    check_ref(f, t, path);
}

void lint_attack(lfile *f, const th_toml *rule)
{
    const th_toml *threats = th_toml_get(rule, "threat");
    if (!threats || threats->type != TH_TOML_ARRAY)
        return;
    for (size_t i = 0; i < threats->u.arr.len; i++) {
        const th_toml *th = threats->u.arr.items[i];
        const th_toml_kv *fkv;
        const char *fw = s_of(f, th, "framework", &fkv);
        if (!fw || strcmp(fw, "MITRE ATT&CK") != 0) {
            if (fw)
                lint_find(f, TH_SEV_WARNING, fkv->val->line, fkv->val->col, "attack",
                          "framework '%s' is not 'MITRE ATT&CK'; not checked", fw);
            continue;
        }
        const th_toml *ta = th_toml_get(th, "tactic");
        if (ta)
            tactic(f, ta);
        else
            lint_find(f, TH_SEV_ERROR, th->line, th->col, "attack", "threat without a tactic");
        const th_toml *techs = th_toml_get(th, "technique");
        if (techs && techs->type == TH_TOML_ARRAY)
            for (size_t j = 0; j < techs->u.arr.len; j++)
                technique(f, techs->u.arr.items[j], NULL);
    }
}

/* ---- pack-wide --------------------------------------------------------- */

static int use_cmp(const void *x, const void *y)
{
    const th_lint_use *a = x, *b = y;
    if (a->tactic != b->tactic)
        return a->tactic ? -1 : 1;
    int c = strcmp(a->id, b->id);
    return c ? c : strcmp(a->name, b->name);
}

size_t th_lint_finish(th_lint *l, th_diags *d)
{
    size_t n = 0;
    if (l->nuses)
        qsort(l->uses, l->nuses, sizeof *l->uses, use_cmp);
    for (size_t i = 0; i < l->nuses;) {
        size_t j = i;
        while (j < l->nuses && l->uses[j].tactic == l->uses[i].tactic &&
               strcmp(l->uses[j].id, l->uses[i].id) == 0)
            j++;
        /* [i, j) share an id, sorted by name: find the most used name */
        const char *best = NULL;
        size_t best_n = 0, distinct = 0;
        for (size_t k = i; k < j;) {
            size_t m = k;
            while (m < j && strcmp(l->uses[m].name, l->uses[k].name) == 0)
                m++;
            distinct++;
            if (m - k > best_n) {
                best_n = m - k;
                best = l->uses[k].name;
            }
            k = m;
        }
        for (size_t k = i; distinct > 1 && k < j; k++) {
            if (strcmp(l->uses[k].name, best) == 0)
                continue;
            th_diag_at(d, TH_SEV_WARNING, l->uses[k].path, l->uses[k].line, l->uses[k].col,
                       "%s %s is named '%s' here but '%s' in %zu other place(s) of the pack "
                       "[attack]",
                       l->uses[k].tactic ? "tactic" : "technique", l->uses[k].id, l->uses[k].name,
                       best, best_n);
            n++;
        }
        i = j;
    }
    return n;
}
