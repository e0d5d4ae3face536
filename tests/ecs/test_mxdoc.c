/* ecs/mapper_util.c: the mapping's document access (mx_set, mx_get, mx_obj,
 * mx_remove) against the plain walks from the root it stands for
 * (th_jobj_set_path, th_jobj_get_path, th_jobj_remove_path on a second
 * tree). The access starts paths at objects it remembers (aws.cloudtrail in
 * ct, the root objects in root) and knows which root keys the document
 * cannot hold (root_seen); random sequences of sets, reads, removes and
 * forgets, by literal paths (the compiler's root number), by paths known
 * only when running and through mx_dst, over keys those cover and keys they do not, must leave
 * the two trees the same text and read the same values at every step. */
#include "th_test.h"

#include <stdio.h>
#include <string.h>

#include "ecs/mapper_int.h"
#include "json/json.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Paths as the mapping's (below mx_roots, aws.cloudtrail, other roots, one
 * segment), read from this table when running. */
static const char *const paths[] = {
    "event.kind", "event.action", "event", "user.name", "user.target.id", "user.target",
    "user", "source.geo.city_name", "source.geo", "source.ip", "related.user", "related",
    "aws.cloudtrail.event_type", "aws.cloudtrail.user_identity.type", "aws.cloudtrail",
    "aws", "aws.other", "cloud.account.id", "ecs.version", "ecs", "@timestamp", "tags",
    "data_stream.type", "other.x.y", "user_agent.os.name", "error.message", "host.id",
    "entity.target.id", "group.name"};

/* The value to set, made twice (one for each tree: objects are built on). */
static void value_pair(th_arena *a, uint64_t r, th_jval **x, th_jval **y)
{
    switch (r % 4) {
    case 0: *x = th_jnew_cstr(a, "v"), *y = th_jnew_cstr(a, "v"); break;
    case 1: *x = th_jnew_i64(a, (int64_t)(r >> 8 & 255)), *y = th_jnew_i64(a, (int64_t)(r >> 8 & 255)); break;
    case 2: *x = th_jnew_obj(a), *y = th_jnew_obj(a); break;
    default:
        *x = th_jnew_obj(a), *y = th_jnew_obj(a);
        th_jobj_set(a, *x, th_str_c("k"), th_jnew_cstr(a, "w"));
        th_jobj_set(a, *y, th_str_c("k"), th_jnew_cstr(a, "w"));
        break;
    }
}

/* mx_set of path i of a few, by a literal (the inline functions' root
 * numbers are the compiler's); false for another i. */
static bool set_literal(mctx *c, int i, th_jval *v)
{
    switch (i) {
    case 0: mx_set(c, "event.kind", v); return true;
    case 1: mx_set(c, "event.action", v); return true;
    case 2: mx_set(c, "event", v); return true;
    case 3: mx_set(c, "user.name", v); return true;
    case 4: mx_set(c, "user.target.id", v); return true;
    case 7: mx_set(c, "source.geo.city_name", v); return true;
    case 10: mx_set(c, "related.user", v); return true;
    case 12: mx_set(c, "aws.cloudtrail.event_type", v); return true;
    case 17: mx_set(c, "cloud.account.id", v); return true;
    case 18: mx_set(c, "ecs.version", v); return true;
    case 20: mx_set(c, "@timestamp", v); return true;
    case 23: mx_set(c, "other.x.y", v); return true;
    case 24: mx_set(c, "user_agent.os.name", v); return true;
    default: return false;
    }
}

static th_jval *get_literal(mctx *c, int i, bool *done)
{
    *done = true;
    switch (i) {
    case 0: return mx_get(c, "event.kind");
    case 3: return mx_get(c, "user.name");
    case 4: return mx_get(c, "user.target.id");
    case 7: return mx_get(c, "source.geo.city_name");
    case 12: return mx_get(c, "aws.cloudtrail.event_type");
    case 17: return mx_get(c, "cloud.account.id");
    case 18: return mx_get(c, "ecs.version");
    default: *done = false; return NULL;
    }
}

static void same_text(const th_jval *x, const th_jval *y, const char *what, int step)
{
    th_buf a, b;
    th_buf_init(&a);
    th_buf_init(&b);
    if (x)
        th_json_write(&a, x);
    if (y)
        th_json_write(&b, y);
    if (a.len != b.len || (a.len && memcmp(a.data, b.data, a.len) != 0))
        fail_msg("step %d, %s: '%.*s', the walk's '%.*s'", step, what, (int)a.len,
                 a.data ? a.data : "", (int)b.len, b.data ? b.data : "");
    th_buf_free(&a);
    th_buf_free(&b);
}

static void test_access_is_the_walk(void **state)
{
    (void)state;
    th_arena ar;
    th_arena_init(&ar, 1 << 16);
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    size_t literal_sets = 0, found = 0;
    for (int doc = 0; doc < 400; doc++) {
        mctx cx = {.a = &ar, .doc = th_jnew_obj(&ar)};
        th_jval *ref = th_jnew_obj(&ar);
        for (int step = 0; step < 60; step++) {
            uint64_t r = th_test_xorshift(&rng);
            int i = (int)((r >> 32) % NELEM(paths));
            const char *p = paths[i];
            th_jval *got = NULL, *want = NULL;
            switch (r % 9) {
            case 0:
            case 1:
            case 2: { /* set: by a literal where there is one, else by the table */
                th_jval *x, *y;
                value_pair(&ar, r >> 16, &x, &y);
                if (r % 9 == 2 || !set_literal(&cx, i, x))
                    mx_set(&cx, p, x);
                else
                    literal_sets++;
                th_jobj_set_path(&ar, ref, p, y);
                break;
            }
            case 3:
            case 4: { /* read */
                bool done;
                got = r % 9 == 3 ? get_literal(&cx, i, &done) : NULL;
                if (r % 9 == 4 || !done)
                    got = mx_get(&cx, p);
                want = th_jobj_get_path(ref, p);
                if ((got == NULL) != (want == NULL))
                    fail_msg("doc %d step %d: mx_get of %s is %s, the walk's %s", doc, step, p,
                             got ? "a value" : "NULL", want ? "a value" : "NULL");
                found += got != NULL;
                same_text(got, want, p, step);
                break;
            }
            case 5: { /* the object at a path, made as a set makes it */
                got = mx_obj(&cx, p);
                want = th_jobj_get_path(ref, p);
                if (!th_jis(want, TH_JOBJ)) {
                    want = th_jnew_obj(&ar);
                    th_jobj_set_path(&ar, ref, p, want);
                }
                assert_true(th_jis(got, TH_JOBJ));
                same_text(got, want, p, step);
                break;
            }
            case 6: /* remove */
                mx_remove(&cx, p);
                th_jobj_remove_path(ref, p);
                break;
            case 7: { /* a put through an mx_dst of a root object, as the mapping's */
                th_jval *x, *y;
                value_pair(&ar, r >> 16, &x, &y);
                mx_dst ev = MX_DST("event"), src = MX_DST("source"), geo = MX_DST_UP(&src, "geo");
                if (r >> 20 & 1) {
                    mx_put(&cx, &ev, "kind", x);
                    th_jobj_set_path(&ar, ref, "event.kind", y);
                } else {
                    mx_put(&cx, &geo, "city_name", x);
                    th_jobj_set_path(&ar, ref, "source.geo.city_name", y);
                }
                break;
            }
            default: /* a root member goes as final_prune takes one, then forget */
                th_jobj_remove(cx.doc, th_str_make(p, th_path_first(p, strlen(p))));
                th_jobj_remove(ref, th_str_make(p, th_path_first(p, strlen(p))));
                mx_forget(&cx);
                break;
            }
            same_text(cx.doc, ref, "the document", step);
        }
        th_arena_recycle(&ar);
    }
    /* the sequences reached values and the literal paths, not only misses */
    assert_true(found > 1000);
    assert_true(literal_sets > 1000);
    th_arena_free(&ar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_access_is_the_walk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
