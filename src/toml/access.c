/* Typed lookups and the TOML -> JSON conversion (rules keep parts of their
 * TOML, such as the threat mapping, as JSON in the alerts they produce). */
#include <math.h>
#include <stdint.h>

#include "toml/toml.h"
#include "json/json.h"

bool th_toml_get_str(const th_toml *t, const char *key, th_str *out)
{
    const th_toml *v = th_toml_get(t, key);
    if (!v || v->type != TH_TOML_STRING)
        return false;
    *out = v->u.str;
    return true;
}

bool th_toml_get_int(const th_toml *t, const char *key, int64_t *out)
{
    const th_toml *v = th_toml_get(t, key);
    if (!v || v->type != TH_TOML_INTEGER)
        return false;
    *out = v->u.i;
    return true;
}

bool th_toml_get_bool(const th_toml *t, const char *key, bool *out)
{
    const th_toml *v = th_toml_get(t, key);
    if (!v || v->type != TH_TOML_BOOL)
        return false;
    *out = v->u.b;
    return true;
}

th_jval *th_toml_to_json(th_arena *a, const th_toml *v)
{
    if (!v)
        return th_jnew(a, TH_JNULL);
    switch (v->type) {
    case TH_TOML_TABLE: {
        /* keys are unique in TOML: fill the members directly (th_jobj_set
         * would search for each key, quadratic on big tables) */
        th_jval *o = th_jnew_obj(a);
        size_t n = v->u.tab.len;
        if (n == 0 || n > UINT32_MAX)
            return o;
        o->u.members = TH_ANEWN(a, th_jmember, n);
        for (size_t i = 0; i < n; i++) {
            th_str k = v->u.tab.kvs[i].key;
            o->u.members[i].key = th_str_make(th_arena_strndup(a, k.p ? k.p : "", k.n), k.n);
            o->u.members[i].val = th_toml_to_json(a, v->u.tab.kvs[i].val);
        }
        o->len = o->cap = (uint32_t)n;
        return o;
    }
    case TH_TOML_ARRAY: {
        th_jval *arr = th_jnew_arr(a);
        for (size_t i = 0; i < v->u.arr.len; i++)
            th_jarr_push(a, arr, th_toml_to_json(a, v->u.arr.items[i]));
        return arr;
    }
    case TH_TOML_INTEGER: return th_jnew_i64(a, v->u.i);
    case TH_TOML_FLOAT:
        if (isnan(v->u.f))
            return th_jnew_cstr(a, "NaN");
        if (isinf(v->u.f))
            return th_jnew_cstr(a, v->u.f > 0 ? "Infinity" : "-Infinity");
        return th_jnew_double(a, v->u.f);
    case TH_TOML_BOOL: return th_jnew_bool(a, v->u.b);
    default: return th_jnew_strcopy(a, v->u.str);
    }
}
