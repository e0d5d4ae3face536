/* toml-test conformance: every case listed in files-toml-1.0.0. Valid cases must
 * parse to the value in their tagged-JSON twin (read with our own JSON reader);
 * invalid cases must be rejected. Floats compare numerically (inf/nan
 * included), date-times by canonical value. */
#include "th_test.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toml/toml.h"
#include "json/json.h"

/* Cases we knowingly fail, each with the reason. Empty: we pass them all. */
static const struct {
    const char *name;
    const char *reason;
} known_failures[] = {
    {NULL, NULL},
};

static bool is_known_failure(const char *name)
{
    for (size_t i = 0; known_failures[i].name; i++)
        if (strcmp(known_failures[i].name, name) == 0)
            return true;
    return false;
}

/* Canonical text of a date/time: upper-case T and Z, 'T' for the space
 * separator, no trailing zeros in the fraction, +00:00 and -00:00 as Z. */
static void canon_datetime(th_str s, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < s.n && k + 1 < cap; i++) {
        char c = s.p[i];
        if (c == 't' || (c == ' ' && i == 10))
            c = 'T';
        if (c == 'z')
            c = 'Z';
        out[k++] = c;
    }
    out[k] = '\0';
    char *dot = strchr(out, '.');
    if (dot) {
        char *e = dot + 1;
        while (*e >= '0' && *e <= '9')
            e++;
        char *z = e;
        while (z > dot + 1 && z[-1] == '0')
            z--;
        if (z == dot + 1)
            z = dot;
        memmove(z, e, strlen(e) + 1);
    }
    size_t n = strlen(out);
    if (n > 6 && (strcmp(out + n - 6, "+00:00") == 0 || strcmp(out + n - 6, "-00:00") == 0))
        strcpy(out + n - 6, "Z");
}

static const char *tag_of(th_toml_type t)
{
    switch (t) {
    case TH_TOML_STRING: return "string";
    case TH_TOML_INTEGER: return "integer";
    case TH_TOML_FLOAT: return "float";
    case TH_TOML_BOOL: return "bool";
    case TH_TOML_DATETIME: return "datetime";
    case TH_TOML_DATETIME_LOCAL: return "datetime-local";
    case TH_TOML_DATE_LOCAL: return "date-local";
    case TH_TOML_TIME_LOCAL: return "time-local";
    default: return "?";
    }
}

/* Compares a TOML value with its tagged JSON; on mismatch writes why into why. */
static bool same(const th_toml *t, const th_jval *j, char *why, size_t cap)
{
    if (t->type == TH_TOML_TABLE) {
        if (!th_jis(j, TH_JOBJ) || j->len != t->u.tab.len) {
            snprintf(why, cap, "table with %zu keys vs JSON of other shape", t->u.tab.len);
            return false;
        }
        for (size_t i = 0; i < t->u.tab.len; i++) {
            const th_toml_kv *kv = &t->u.tab.kvs[i];
            const th_jval *jv = th_jobj_getn(j, kv->key);
            if (!jv) {
                snprintf(why, cap, "key '%.*s' not expected", (int)kv->key.n, kv->key.p);
                return false;
            }
            if (!same(kv->val, jv, why, cap))
                return false;
        }
        return true;
    }
    if (t->type == TH_TOML_ARRAY) {
        if (!th_jis(j, TH_JARR) || j->len != t->u.arr.len) {
            snprintf(why, cap, "array of %zu vs JSON of other shape", t->u.arr.len);
            return false;
        }
        for (size_t i = 0; i < t->u.arr.len; i++)
            if (!same(t->u.arr.items[i], j->u.items[i], why, cap))
                return false;
        return true;
    }
    th_str type = th_jstr(th_jobj_get(j, "type"));
    th_str val = th_jstr(th_jobj_get(j, "value"));
    if (!th_jis(j, TH_JOBJ) || j->len != 2 || !type.p || !val.p) {
        snprintf(why, cap, "scalar %s vs untagged JSON", tag_of(t->type));
        return false;
    }
    if (!th_str_eqc(type, tag_of(t->type))) {
        snprintf(why, cap, "type %s, expected %.*s", tag_of(t->type), (int)type.n, type.p);
        return false;
    }
    char ev[256];
    snprintf(ev, sizeof ev, "%.*s", (int)(val.n < 255 ? val.n : 255), val.p);
    switch (t->type) {
    case TH_TOML_STRING:
        if (!th_str_eq(t->u.str, val)) {
            snprintf(why, cap, "string '%.*s', expected '%s'", (int)t->u.str.n, t->u.str.p, ev);
            return false;
        }
        return true;
    case TH_TOML_INTEGER:
        if (strtoll(ev, NULL, 10) != t->u.i) {
            snprintf(why, cap, "integer %lld, expected %s", (long long)t->u.i, ev);
            return false;
        }
        return true;
    case TH_TOML_FLOAT: {
        double e = strtod(ev, NULL);
        bool ok = isnan(e) ? isnan(t->u.f) : (e == t->u.f && signbit(e) == signbit(t->u.f));
        if (!ok)
            snprintf(why, cap, "float %.17g, expected %s", t->u.f, ev);
        return ok;
    }
    case TH_TOML_BOOL:
        if (!th_str_eqc(val, t->u.b ? "true" : "false")) {
            snprintf(why, cap, "bool %d, expected %s", t->u.b, ev);
            return false;
        }
        return true;
    default: {
        char a[128], b[128];
        canon_datetime(t->u.str, a, sizeof a);
        canon_datetime(val, b, sizeof b);
        if (strcmp(a, b) != 0) {
            snprintf(why, cap, "date-time %s, expected %s", a, b);
            return false;
        }
        return true;
    }
    }
}

static void toml_test_suite(void **state)
{
    (void)state;
    TH_REQUIRE_CORPUS(corpus);
    char path[4096];
    snprintf(path, sizeof path, "%s/toml-test/files-toml-1.0.0", corpus);
    size_t listlen;
    char *list = th_test_read_file(path, &listlen);
    if (!list) {
        print_message("SKIP: %s is absent; conformance test not run\n", path);
        skip();
    }
    int vpass = 0, vtotal = 0, ipass = 0, itotal = 0, unexpected = 0, known_seen = 0;
    char *save = NULL;
    for (char *line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(line);
        if (n < 5 || strcmp(line + n - 5, ".toml") != 0)
            continue;
        bool valid = strncmp(line, "valid/", 6) == 0;
        snprintf(path, sizeof path, "%s/toml-test/%s", corpus, line);
        size_t len;
        char *text = th_test_read_file(path, &len);
        assert_non_null(text);
        th_arena a;
        th_arena_init(&a, 0);
        th_diags d;
        th_diags_init(&d);
        th_toml *doc = th_toml_parse(&a, text, len, line, &d);
        bool ok;
        char why[512] = "";
        if (valid) {
            vtotal++;
            if (!doc) {
                ok = false;
                snprintf(why, sizeof why, "rejected: %s:%u:%u: %s", line,
                         d.len ? d.items[0].line : 0, d.len ? d.items[0].col : 0,
                         d.len ? d.items[0].message : "?");
            } else {
                char jpath[4200];
                snprintf(jpath, sizeof jpath, "%.*s.json", (int)(strlen(path) - 5), path);
                size_t jlen;
                char *jtext = th_test_read_file(jpath, &jlen);
                assert_non_null(jtext);
                th_json_error je;
                th_jval *j = th_json_parse(&a, jtext, jlen, &je);
                assert_non_null(j);
                ok = same(doc, j, why, sizeof why);
                free(jtext);
            }
            vpass += ok;
        } else {
            itotal++;
            ok = doc == NULL;
            if (ok && (d.errors != 1 || d.items[0].line == 0 || d.items[0].col == 0))
                ok = false, snprintf(why, sizeof why, "rejected without one positioned error");
            else if (!ok)
                snprintf(why, sizeof why, "accepted");
            ipass += ok;
        }
        if (is_known_failure(line)) {
            known_seen++;
            if (ok)
                print_message("NOTE: known failure %s now passes; drop it from the list\n", line);
        } else if (!ok) {
            unexpected++;
            print_message("FAIL: %s: %s\n", line, why);
        }
        th_diags_free(&d);
        th_arena_free(&a);
        free(text);
    }
    free(list);
    print_message("RATE: toml-test valid %d/%d, invalid %d/%d\n", vpass, vtotal, ipass, itotal);
    assert_true(vtotal > 0 && itotal > 0);
    assert_int_equal(unexpected, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(toml_test_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
