/* detection-rules exception TOML files:
 *   [[exceptions]]
 *   container = { list_id = "...", name = "...", ... }
 *   [[exceptions.items]]
 *   name = "..."
 *   [[exceptions.items.entries]]
 *   field = "..."  type = "match"  operator = "included"  value = "..."
 * Each item is converted to the JSON shape of a Kibana export item and added
 * through th_exceptions_add_json, so both formats share one meaning. */
#include <string.h>

#include "engine/exceptions.h"
#include "toml/toml.h"

static th_jval *to_json(th_arena *a, const th_toml *t)
{
    switch (t->type) {
    case TH_TOML_STRING:
    case TH_TOML_DATETIME:
    case TH_TOML_DATETIME_LOCAL:
    case TH_TOML_DATE_LOCAL:
    case TH_TOML_TIME_LOCAL:
        return th_jnew_str(a, t->u.str);
    case TH_TOML_INTEGER:
        return th_jnew_i64(a, t->u.i);
    case TH_TOML_FLOAT:
        return th_jnew_double(a, t->u.f);
    case TH_TOML_BOOL:
        return th_jnew_bool(a, t->u.b);
    case TH_TOML_ARRAY: {
        th_jval *arr = th_jnew_arr(a);
        for (size_t i = 0; i < t->u.arr.len; i++)
            th_jarr_push(a, arr, to_json(a, t->u.arr.items[i]));
        return arr;
    }
    case TH_TOML_TABLE: {
        th_jval *o = th_jnew_obj(a);
        for (size_t i = 0; i < t->u.tab.len; i++)
            th_jobj_set(a, o, t->u.tab.kvs[i].key, to_json(a, t->u.tab.kvs[i].val));
        return o;
    }
    }
    return th_jnew(a, TH_JNULL);
}

size_t th_exceptions_load_toml(th_exceptions *x, const char *buf, size_t len, const char *path,
                               th_diags *diags);

size_t th_exceptions_load_toml(th_exceptions *x, const char *buf, size_t len, const char *path,
                               th_diags *diags)
{
    th_arena a;
    th_arena_init(&a, 65536);
    size_t added = 0;
    th_toml *doc = th_toml_parse(&a, buf, len, path, diags);
    const th_toml *lists = doc ? th_toml_get(doc, "exceptions") : NULL;
    if (doc && (!lists || lists->type != TH_TOML_ARRAY))
        th_diag_at(diags, TH_SEV_ERROR, path, 1, 1, "no [[exceptions]] in exception file");
    for (size_t i = 0; lists && lists->type == TH_TOML_ARRAY && i < lists->u.arr.len; i++) {
        const th_toml *l = lists->u.arr.items[i];
        const th_toml *list_id = th_toml_get_path(l, "container.list_id");
        const th_toml *items = th_toml_get(l, "items");
        for (size_t k = 0; items && items->type == TH_TOML_ARRAY && k < items->u.arr.len; k++) {
            const th_toml *it = items->u.arr.items[k];
            th_jval *j = to_json(&a, it);
            if (list_id && list_id->type == TH_TOML_STRING && !th_jobj_get(j, "list_id"))
                th_jobj_set(&a, j, TH_STR_LIT("list_id"), th_jnew_str(&a, list_id->u.str));
            if (th_exceptions_add_json(x, j, path, it->line, diags))
                added++;
        }
    }
    th_arena_free(&a);
    return added;
}
