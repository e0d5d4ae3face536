/* Access, path resolution and building of th_jval trees. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

static inline bool key_eq(const char *a, const char *b, size_t n);

/* Whether member key k is key: lengths first, then key_eq's few loads (no
 * call to memcmp: the mapper looks up and sets a few hundred keys per event,
 * and memcmp's call cost more than comparing the bytes). */
static inline bool member_is(th_str k, th_str key)
{
    return k.n == key.n && (k.n == 0 || key_eq(k.p, key.p, k.n));
}

/* The position of the last member of obj with key (the one lookups find and
 * sets replace), or NO_MEMBER. */
#define NO_MEMBER UINT32_MAX
static inline uint32_t member_at(const th_jval *obj, th_str key)
{
    /* two members a step, from the last: the loop's test and step are shared
     * by two members (a member whose key's length differs from key's, most,
     * is a load and a compare) */
    const th_jmember *m = obj->u.members;
    uint32_t i = obj->len;
    for (; i >= 2; i -= 2) {
        if (member_is(m[i - 1].key, key))
            return i - 1;
        if (member_is(m[i - 2].key, key))
            return i - 2;
    }
    return i && member_is(m[0].key, key) ? 0 : NO_MEMBER;
}

th_jval *th_jobj_getn(const th_jval *obj, th_str key)
{
    if (!obj || obj->type != TH_JOBJ)
        return NULL;
    uint32_t i = member_at(obj, key);
    return i == NO_MEMBER ? NULL : obj->u.members[i].val;
}

/* The end of the dotted path's segment at s, before `end`: the next '.' or end.
 * The path's length and its first segment's are known (a literal's when
 * compiling: th_path_first), and each further segment's end is found by
 * memchr, which scans words at a time: a
 * loop over the bytes cost 4% of a whole run, a loop over words (eight bytes
 * at a time, the last eight for the rest) 0.5% more of convert than memchr
 * (the mapper resolves a hundred paths per event). */
static inline const char *seg_end(const char *s, const char *end)
{
    const char *dot = memchr(s, '.', (size_t)(end - s));
    return dot ? dot : end;
}

th_jval *th_jobj_get_pathn(const th_jval *obj, const char *dotted, size_t n, size_t first)
{
    const th_jval *cur = obj;
    const char *s = dotted, *end = dotted + n, *e = dotted + first;
    for (;;) {
        cur = th_jobj_getn(cur, th_str_make(s, (size_t)(e - s)));
        if (!cur || e == end)
            return (th_jval *)cur;
        s = e + 1;
        e = seg_end(s, end);
    }
}

th_str th_jstr(const th_jval *v) { return v && v->type == TH_JSTR ? v->u.str : TH_STR_NULL; }

bool th_jnum_i64(const th_jval *v, int64_t *out)
{
    if (!v || v->type != TH_JNUM || v->u.str.n == 0 || v->u.str.n > 20)
        return false;
    char tmp[24];
    memcpy(tmp, v->u.str.p, v->u.str.n);
    tmp[v->u.str.n] = '\0';
    if (strpbrk(tmp, ".eE"))
        return false;
    errno = 0;
    char *end;
    long long x = strtoll(tmp, &end, 10);
    if (errno || *end)
        return false;
    *out = x;
    return true;
}

bool th_jnum_double(const th_jval *v, double *out)
{
    if (!v || v->type != TH_JNUM || v->u.str.n == 0 || v->u.str.n > 350)
        return false;
    char tmp[352];
    memcpy(tmp, v->u.str.p, v->u.str.n);
    tmp[v->u.str.n] = '\0';
    char *end;
    *out = strtod(tmp, &end);
    return *end == '\0';
}

/* ---- path resolution --------------------------------------------------- */

static bool visit_flat(const th_jval *v, th_json_visit_fn visit, void *ctx)
{
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++) {
            if (!visit_flat(v->u.items[i], visit, ctx))
                return false;
        }
        return true;
    }
    return visit(v, ctx);
}

/* True when the n bytes at a and b are equal (n > 0): a few loads that may
 * overlap instead of a call to memcmp, whose call cost more than comparing a
 * key of a few bytes (the keys met here are member names: 3 to 30 bytes). */
static inline bool key_eq(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 < n; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x0, y0, x1, y1;
        memcpy(&x0, a, 4);
        memcpy(&y0, b, 4);
        memcpy(&x1, a + n - 4, 4);
        memcpy(&y1, b + n - 4, 4);
        return x0 == y0 && x1 == y1;
    }
    return a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1];
}

/* A member whose key k starts path matches when k is the path, or the
 * path's next byte after k is a '.': the flattened key "a.b" as well as the
 * member a holding b. The test on the path's byte comes first: it rejects
 * most members without reading their key's bytes. */
static bool walk(const th_jval *v, th_str path, th_json_visit_fn visit, void *ctx)
{
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++) {
            if (!walk(v->u.items[i], path, visit, ctx))
                return false;
        }
        return true;
    }
    if (v->type != TH_JOBJ)
        return true;
    const th_jmember *m = v->u.members;
    for (uint32_t i = 0, n = v->len; i < n; i++) {
        th_str k = m[i].key;
        if (k.n > path.n || (k.n < path.n && path.p[k.n] != '.') ||
            (k.n && !key_eq(k.p, path.p, k.n)))
            continue;
        if (k.n == path.n) {
            if (!visit_flat(m[i].val, visit, ctx))
                return false;
        } else {
            th_str rest = th_str_make(path.p + k.n + 1, path.n - k.n - 1);
            if (!walk(m[i].val, rest, visit, ctx))
                return false;
        }
    }
    return true;
}

bool th_json_path_each(const th_jval *root, th_str path, th_json_visit_fn visit, void *ctx)
{
    if (!root || path.n == 0)
        return true;
    return walk(root, path, visit, ctx);
}

bool th_json_seg_nodes(const th_jval *v, th_str seg, th_json_visit_fn visit, void *ctx)
{
    if (v->type == TH_JARR) {
        for (uint32_t i = 0; i < v->len; i++) {
            if (!th_json_seg_nodes(v->u.items[i], seg, visit, ctx))
                return false;
        }
        return true;
    }
    if (v->type != TH_JOBJ)
        return true;
    const th_jmember *m = v->u.members;
    for (uint32_t i = 0, n = v->len; i < n; i++) {
        th_str k = m[i].key;
        if (k.n < seg.n || (k.n > seg.n && k.p[seg.n] != '.') || !key_eq(k.p, seg.p, seg.n))
            continue;
        if (k.n > seg.n || !visit(m[i].val, ctx))
            return false; /* "seg.x": a dotted key below the segment */
    }
    return true;
}

static bool first_visit(const th_jval *v, void *ctx)
{
    if (v->type == TH_JNULL)
        return true;
    *(const th_jval **)ctx = v;
    return false;
}

const th_jval *th_json_path_first(const th_jval *root, th_str path)
{
    const th_jval *found = NULL;
    th_json_path_each(root, path, first_visit, &found);
    return found;
}

/* ---- building ---------------------------------------------------------- */

th_jval *th_jnew(th_arena *a, th_jtype t)
{
    th_jval *v = th_arena_alloc(a, sizeof(th_jval));
    memset(v, 0, sizeof(*v));
    v->type = t;
    return v;
}

th_jval *th_jnew_str(th_arena *a, th_str s)
{
    th_jval *v = th_jnew(a, TH_JSTR);
    v->u.str = s;
    return v;
}

th_jval *th_jnew_strcopy(th_arena *a, th_str s)
{
    return th_jnew_str(a, th_str_make(th_arena_strndup(a, s.p ? s.p : "", s.n), s.n));
}

th_jval *th_jnew_num_raw(th_arena *a, th_str text)
{
    th_jval *v = th_jnew(a, TH_JNUM);
    v->u.str = text;
    return v;
}

th_jval *th_jnew_i64(th_arena *a, int64_t x)
{
    /* the text "%lld" gives, without printf's machinery (the mapper makes
     * one per record: source.as.number) */
    char tmp[24];
    char *end = tmp + sizeof tmp, *p = end;
    uint64_t u = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (x < 0)
        *--p = '-';
    size_t n = (size_t)(end - p);
    return th_jnew_num_raw(a, th_str_make(th_arena_strndup(a, p, n), n));
}

th_jval *th_jnew_double(th_arena *a, double x)
{
    if (!isfinite(x))
        return th_jnew(a, TH_JNULL);
    char *s = th_arena_printf(a, "%.17g", x);
    /* prefer the shortest text that reads back exactly */
    for (int prec = 1; prec < 17; prec++) {
        char tmp[40];
        snprintf(tmp, sizeof tmp, "%.*g", prec, x);
        if (strtod(tmp, NULL) == x) {
            s = th_arena_strdup(a, tmp);
            break;
        }
    }
    return th_jnew_num_raw(a, th_str_c(s));
}

th_jval *th_jnew_bool(th_arena *a, bool b) { return th_jnew(a, b ? TH_JTRUE : TH_JFALSE); }
/* Objects and arrays come with room for their first INLINE_ROOM members or
 * items in the same allocation: most of those the mapper builds hold a few,
 * and a second allocation for each cost more than the room that stays
 * unused. Growing past it copies them out as before. */
#define INLINE_ROOM 4

th_jval *th_jnew_obj(th_arena *a)
{
    th_jval *v = th_arena_alloc(a, sizeof(th_jval) + INLINE_ROOM * sizeof(th_jmember));
    memset(v, 0, sizeof(*v));
    v->type = TH_JOBJ;
    v->cap = INLINE_ROOM;
    v->u.members = (th_jmember *)(v + 1);
    return v;
}

th_jval *th_jnew_arr(th_arena *a)
{
    th_jval *v = th_arena_alloc(a, sizeof(th_jval) + INLINE_ROOM * sizeof(th_jval *));
    memset(v, 0, sizeof(*v));
    v->type = TH_JARR;
    v->cap = INLINE_ROOM;
    v->u.items = (th_jval **)(v + 1);
    return v;
}

void th_jarr_push(th_arena *a, th_jval *arr, th_jval *v)
{
    if (arr->len == arr->cap) {
        uint32_t cap = arr->cap ? arr->cap * 2 : 4;
        arr->u.items = th_arena_realloc(a, arr->u.items, arr->len * sizeof(th_jval *),
                                        cap * sizeof(th_jval *));
        arr->cap = cap;
    }
    arr->u.items[arr->len++] = v;
}

/* Doubles obj's room for members. Not inlined: append_member, inlined where
 * it is used, is then a few stores without a call. */
static __attribute__((noinline)) void grow_members(th_arena *a, th_jval *obj)
{
    uint32_t cap = obj->cap ? obj->cap * 2 : 4;
    obj->u.members = th_arena_realloc(a, obj->u.members, obj->len * sizeof(th_jmember),
                                      cap * sizeof(th_jmember));
    obj->cap = cap;
}

/* Appends a member (obj has none with key, or the caller keeps duplicates). */
static inline void append_member(th_arena *a, th_jval *obj, th_str key, th_jval *v)
{
    if (obj->len == obj->cap)
        grow_members(a, obj);
    obj->u.members[obj->len].key = key;
    obj->u.members[obj->len].val = v;
    obj->len++;
}

void th_jobj_set(th_arena *a, th_jval *obj, th_str key, th_jval *v)
{
    uint32_t i = member_at(obj, key);
    if (i != NO_MEMBER)
        obj->u.members[i].val = v;
    else
        append_member(a, obj, key, v);
}

void th_jobj_push(th_arena *a, th_jval *obj, th_str key, th_jval *v) { append_member(a, obj, key, v); }

void th_jobj_set_pathn(th_arena *a, th_jval *obj, const char *dotted, size_t n, size_t first,
                       th_jval *v)
{
    th_jval *cur = obj;
    const char *s = dotted, *end = dotted + n, *e = dotted + first;
    for (;;) {
        th_str k = th_str_make(s, (size_t)(e - s));
        uint32_t i = member_at(cur, k);
        if (e == end) {
            if (i != NO_MEMBER)
                cur->u.members[i].val = v;
            else
                append_member(a, cur, k, v);
            return;
        }
        /* the member found is the one th_jobj_set would replace: no second
         * search for it */
        th_jval *next = i != NO_MEMBER ? cur->u.members[i].val : NULL;
        if (!next || next->type != TH_JOBJ) {
            next = th_jnew_obj(a);
            if (i != NO_MEMBER)
                cur->u.members[i].val = next;
            else
                append_member(a, cur, k, next);
        }
        cur = next;
        s = e + 1;
        e = seg_end(s, end);
    }
}

bool th_jobj_remove(th_jval *obj, th_str key)
{
    if (!obj || obj->type != TH_JOBJ)
        return false;
    uint32_t w = 0;
    for (uint32_t i = 0; i < obj->len; i++) {
        if (!th_str_eq(obj->u.members[i].key, key))
            obj->u.members[w++] = obj->u.members[i];
    }
    bool removed = w != obj->len;
    obj->len = w;
    return removed;
}

bool th_jobj_remove_path(th_jval *obj, const char *dotted)
{
    const char *last = strrchr(dotted, '.');
    if (!last)
        return th_jobj_remove(obj, th_str_c(dotted));
    th_jval *cur = obj;
    const char *s = dotted;
    while (s < last) {
        const char *dot = strchr(s, '.');
        cur = th_jobj_getn(cur, th_str_make(s, (size_t)(dot - s)));
        if (!cur)
            return false;
        s = dot + 1;
    }
    return th_jobj_remove(cur, th_str_c(last + 1));
}

th_jval *th_json_clone(th_arena *a, const th_jval *v)
{
    th_jval *c = th_jnew(a, v->type);
    switch (v->type) {
    case TH_JSTR:
    case TH_JNUM:
        c->u.str = th_str_make(th_arena_strndup(a, v->u.str.p ? v->u.str.p : "", v->u.str.n),
                               v->u.str.n);
        break;
    case TH_JARR:
        for (uint32_t i = 0; i < v->len; i++)
            th_jarr_push(a, c, th_json_clone(a, v->u.items[i]));
        break;
    case TH_JOBJ:
        for (uint32_t i = 0; i < v->len; i++) {
            th_str k = v->u.members[i].key;
            th_str kc = th_str_make(th_arena_strndup(a, k.p ? k.p : "", k.n), k.n);
            /* append directly: duplicates are kept as they are */
            append_member(a, c, kc, th_json_clone(a, v->u.members[i].val));
        }
        break;
    default: break;
    }
    return c;
}

bool th_json_equal(const th_jval *x, const th_jval *y)
{
    if (x->type != y->type)
        return false;
    switch (x->type) {
    case TH_JSTR: return th_str_eq(x->u.str, y->u.str);
    case TH_JNUM: {
        if (th_str_eq(x->u.str, y->u.str))
            return true;
        double a, b;
        return th_jnum_double(x, &a) && th_jnum_double(y, &b) && a == b;
    }
    case TH_JARR:
        if (x->len != y->len)
            return false;
        for (uint32_t i = 0; i < x->len; i++) {
            if (!th_json_equal(x->u.items[i], y->u.items[i]))
                return false;
        }
        return true;
    case TH_JOBJ:
        if (x->len != y->len)
            return false;
        for (uint32_t i = 0; i < x->len; i++) {
            const th_jval *other = th_jobj_getn(y, x->u.members[i].key);
            if (!other || !th_json_equal(x->u.members[i].val, other))
                return false;
        }
        return true;
    default: return true;
    }
}
