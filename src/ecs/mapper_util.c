/* Helpers of the mapping run: the drop-empty pruning copy and document access. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/map.h"
#include "ecs/javafmt.h"
#include "ecs/mapper_int.h"

uint32_t mx_keycount(const th_jval *obj, void *unused)
{
    (void)unused;
    return obj->cap & 0x80000000u ? obj->cap & 0x7FFFFFFFu : obj->len;
}

/* The hash of a key for the small tables here (mx_key by key text,
 * th_ecs_prune's de-duplication): its length and four of its bytes (no loop
 * over the key: collisions only cost a probe). */
static inline uint32_t root_hash(const char *p, size_t n)
{
    const unsigned char *u = (const unsigned char *)p;
    uint32_t h = (uint32_t)n * 0x9E3779B1u;
    if (n)
        h ^= (uint32_t)u[0] | (uint32_t)u[n - 1] << 8 | (uint32_t)u[n / 2] << 16 |
             (uint32_t)u[n * 3 / 4] << 24;
    h *= 0x85EBCA6Bu;
    return h ^ (h >> 16);
}

/* Up to PRUNE_SCAN_KEYS keys an object is de-duplicated by scanning, up to
 * PRUNE_TABLE_KEYS (records have twenty-odd top-level keys) through a table
 * on the stack, beyond through a hash map. */
#define PRUNE_SCAN_KEYS 16
#define PRUNE_TABLE_KEYS 64
#define PRUNE_TABLE_SLOTS (PRUNE_TABLE_KEYS * 4)

static inline bool dropped_scalar(const th_jval *v, bool strict)
{
    if (v->type == TH_JNULL)
        return true;
    if (v->type == TH_JSTR) {
        th_str s = v->u.str;
        if (s.n == 0)
            return true;
        if (strict && (th_str_eqc(s, "-") || th_str_eqc(s, "none")))
            return true;
    }
    return false;
}

static th_jval *prune(th_arena *a, th_jval *v, bool strict, bool own);

/* prune of a member or item: scalars are settled here, without a call (most
 * of a record's values are scalars). */
static inline th_jval *prune_value(th_arena *a, th_jval *v, bool strict, bool own)
{
    if (v->type == TH_JOBJ || v->type == TH_JARR)
        return prune(a, v, strict, own);
    return dropped_scalar(v, strict) ? NULL : v;
}

th_jval *th_ecs_prune(th_arena *a, const th_jval *v, bool strict)
{
    return v ? prune(a, (th_jval *)v, strict, false) : NULL; /* v is copied, not changed */
}

th_jval *th_ecs_prune_own(th_arena *a, th_jval *v, bool strict)
{
    return v ? prune(a, v, strict, true) : NULL;
}

/* th_ecs_prune; with `own`, v's containers are pruned where they are (the
 * members and items move down) instead of copied: every position written is
 * at or before the one read last. */
static th_jval *prune(th_arena *a, th_jval *v, bool strict, bool own)
{
    if (dropped_scalar(v, strict))
        return NULL;
    if (v->type == TH_JARR) {
        if (own) {
            uint32_t out = 0;
            for (uint32_t i = 0; i < v->len; i++) {
                th_jval *x = prune_value(a, v->u.items[i], strict, own);
                if (x)
                    v->u.items[out++] = x;
            }
            v->len = out;
            return out ? v : NULL;
        }
        th_jval *arr = th_jnew_arr(a);
        for (uint32_t i = 0; i < v->len; i++) {
            th_jval *x = prune_value(a, v->u.items[i], strict, own);
            if (x)
                th_jarr_push(a, arr, x);
        }
        return arr->len ? arr : NULL;
    }
    if (v->type != TH_JOBJ)
        return v; /* scalars are immutable: share them */
    uint32_t n = v->len, distinct = 0;
    th_jmember *mem = own ? v->u.members : th_arena_alloc(a, sizeof(th_jmember) * (n ? n : 1));
    if (n <= PRUNE_SCAN_KEYS) {
        for (uint32_t i = 0; i < n; i++) {
            th_str k = v->u.members[i].key;
            uint32_t j;
            for (j = 0; j < distinct; j++)
                if (th_str_eq(mem[j].key, k))
                    break;
            if (j == distinct)
                mem[distinct++].key = k;
            mem[j].val = v->u.members[i].val; /* last value wins */
        }
    } else if (n <= PRUNE_TABLE_KEYS) {
        /* open addressing: slot = position + 1, 0 empty */
        uint8_t slot[PRUNE_TABLE_SLOTS] = {0};
        for (uint32_t i = 0; i < n; i++) {
            th_str k = v->u.members[i].key;
            uint32_t j;
            for (uint32_t h = root_hash(k.p, k.n);; h++) {
                uint8_t *sl = &slot[h % PRUNE_TABLE_SLOTS];
                if (!*sl) {
                    j = distinct++;
                    mem[j].key = k;
                    *sl = (uint8_t)(j + 1);
                    break;
                }
                if (th_str_eq(mem[*sl - 1].key, k)) {
                    j = *sl - 1u;
                    break;
                }
            }
            mem[j].val = v->u.members[i].val; /* last value wins */
        }
    } else {
        /* Many keys: a hash of key -> position keeps the de-duplication linear
         * (a scan per key was quadratic: 160k keys took 27 s). */
        th_map pos;
        th_map_init(&pos);
        for (uint32_t i = 0; i < n; i++) {
            th_str k = v->u.members[i].key;
            bool inserted;
            void **slot = th_map_ref(&pos, k, &inserted);
            uint32_t j;
            if (inserted) {
                j = distinct++;
                mem[j].key = k;
                *slot = (void *)(uintptr_t)(j + 1);
            } else {
                j = (uint32_t)((uintptr_t)*slot - 1);
            }
            mem[j].val = v->u.members[i].val; /* last value wins */
        }
        th_map_free(&pos);
    }
    uint32_t out = 0;
    for (uint32_t i = 0; i < distinct; i++) {
        th_jval *x = prune_value(a, mem[i].val, strict, own);
        if (x) {
            mem[out].key = mem[i].key;
            mem[out].val = x;
            out++;
        }
    }
    if (!out)
        return NULL;
    th_jval *o = own ? v : th_jnew(a, TH_JOBJ);
    o->u.members = mem;
    o->len = out;
    /* The cap field of a builder-grown object is its allocation size; these
     * objects are never grown, so it carries the pre-prune key count instead
     * (top bit set marks it). th_jobj_set must not be used on them. */
    o->cap = 0x80000000u | distinct;
    return o;
}


const char *const mx_key_names[MK_COUNT] = {
#define MX_KEY_NAME(k) #k,
    MX_RAW_KEYS(MX_KEY_NAME)
#undef MX_KEY_NAME
};

void mx_keys_init(th_mapper *m)
{
    memset(m->key_slot, 0, sizeof m->key_slot);
    for (int k = 0; k < MK_COUNT; k++) {
        m->key_len[k] = (uint8_t)strlen(mx_key_names[k]);
        if (m->key_len[k] >= 8) {
            memcpy(&m->key_head[k], mx_key_names[k], 8);
            memcpy(&m->key_tail[k], mx_key_names[k] + m->key_len[k] - 8, 8);
        }
        for (uint32_t h = root_hash(mx_key_names[k], m->key_len[k]);; h++) {
            uint8_t *slot = &m->key_slot[h % MX_KEY_SLOTS];
            if (!*slot) {
                *slot = (uint8_t)(k + 1);
                break;
            }
        }
    }
}

/* Whether key text k is mx_key i's. */
static inline bool key_is(const th_mapper *m, th_str k, int i)
{
    if (m->key_len[i] != k.n)
        return false;
    if (k.n < 8)
        return memcmp(mx_key_names[i], k.p, k.n) == 0;
    uint64_t head, tail;
    memcpy(&head, k.p, 8);
    memcpy(&tail, k.p + k.n - 8, 8);
    return head == m->key_head[i] && tail == m->key_tail[i] &&
           (k.n <= 16 || memcmp(mx_key_names[i] + 8, k.p + 8, k.n - 16) == 0);
}

/* The mx_key of key text k, or -1. */
static int key_of(const th_mapper *m, th_str k)
{
    for (uint32_t h = root_hash(k.p, k.n);; h++) {
        uint8_t slot = m->key_slot[h % MX_KEY_SLOTS];
        if (!slot)
            return -1;
        if (key_is(m, k, slot - 1))
            return slot - 1;
    }
}

/* The key that followed each mx_key (after[k + 1]; after[0]: the first key)
 * in the records this thread indexed last, as mx_key + 1 (0: none or not
 * known). Records of one source come with their keys in one order, give or
 * take an optional key: the key that followed last time is checked first,
 * without the hash and the table (a third of the indexing's cost). */
static _Thread_local uint8_t key_after[MK_COUNT + 1];

/* key_of of a record's key k that follows the key prev (mx_key + 1, 0 for
 * the first or an unknown key). */
static inline int key_next(const th_mapper *m, th_str k, int prev)
{
    uint8_t guess = key_after[prev];
    if (guess && key_is(m, k, guess - 1))
        return guess - 1;
    int i = key_of(m, k);
    key_after[prev] = (uint8_t)(i + 1);
    return i;
}

/* Members are taken in order, so that a later duplicate overwrites an
 * earlier one: "the last duplicate wins", as th_jobj_getn finds it (and as the
 * pruned copy keeps it). */
static void mx_index_members(mctx *c)
{
    c->present = 0;
    if (c->src) {
        for (uint32_t i = 0, prev = 0; i < c->src->len; i++) {
            int k = key_next(c->m, c->src->u.members[i].key, (int)prev);
            prev = (uint32_t)(k + 1);
            if (k >= 0) {
                c->src_val[k] = c->src->u.members[i].val;
                c->present |= 1ull << k;
            }
        }
        return;
    }
    if (!c->scan)
        return;
    th_jiter it = th_jcur_iter(th_jscan_root(c->scan));
    th_jcur key, val;
    int prev = 0;
    while (th_jiter_next(&it, &key, &val)) {
        th_str ks;
        if (!th_jcur_str(key, c->a, &ks)) {
            c->bad = true;
            continue;
        }
        int k = key_next(c->m, ks, prev);
        prev = k + 1;
        if (k >= 0) {
            c->src_cur[k] = val;
            c->present |= 1ull << k;
        }
    }
}

void mx_index_raw(mctx *c)
{
    mx_index_members(c);
    /* an absent key's pruned member is NULL (raw[] starts zeroed): made */
    c->made = ~c->present & (UINT64_MAX >> (64 - MK_COUNT));
}

/* The pruned copy of a raw value on the tape. */
static th_jval *prune_cur(mctx *c, th_jcur v)
{
    th_json_error err;
    th_jval *j = th_jcur_to_jval(v, c->a, &err);
    if (!j) {
        c->bad = true;
        return NULL;
    }
    if (j->type != TH_JOBJ && j->type != TH_JARR) /* most members: settled without a call */
        return dropped_scalar(j, true) ? NULL : j;
    return th_ecs_prune_own(c->a, j, true); /* the tree is new: prune it where it is */
}

void mx_make_raw(mctx *c, mx_key k)
{
    c->made |= 1ull << k;
    c->raw[k] = NULL;
    if (c->present >> k & 1)
        c->raw[k] = c->src ? th_ecs_prune(c->a, c->src_val[k], true) : prune_cur(c, c->src_cur[k]);
}

th_jval *mx_raw_atn(mctx *c, mx_key k, const char *path, size_t n, size_t first)
{
    if (c->made >> k & 1)
        return th_jobj_get_pathn(c->raw[k], path, n, first);
    if (c->src)
        return th_ecs_prune(c->a, th_jobj_get_pathn(c->src_val[k], path, n, first), true);
    th_jcur v;
    return th_jcur_path(c->src_cur[k], path, &v) ? prune_cur(c, v) : NULL;
}

/* The pruned member of a key outside mx_key (rare: @timestamp, read when a
 * record has no usable eventTime). */
static th_jval *other_member(mctx *c, th_str key)
{
    if (c->src)
        return th_ecs_prune(c->a, th_jobj_getn(c->src, key), true);
    th_jcur v;
    if (!c->scan || !th_jcur_get(th_jscan_root(c->scan), key.p, key.n, &v))
        return NULL;
    return prune_cur(c, v);
}

th_jval *mx_jsonn(mctx *c, const char *path, size_t n, size_t first)
{
    th_str key = th_str_make(path, first);
    /* the entity script's paths, most of those read here, lie below these
     * two: compared before the table's hash and probe */
    int k = first == 17 && th_bytes_eq(path, "requestParameters", 17)  ? MK_requestParameters
            : first == 16 && th_bytes_eq(path, "responseElements", 16) ? MK_responseElements
                                                                        : key_of(c->m, key);
    th_jval *v = k >= 0 ? mx_raw(c, (mx_key)k) : other_member(c, key);
    if (first == n)
        return v;
    const char *rest = path + first + 1;
    size_t rn = n - first - 1;
    return th_jobj_get_pathn(v, rest, rn, th_path_first(rest, rn));
}

/* The object at the dotted path of n bytes below obj, made as
 * th_jobj_set_path makes the objects on a path. */
static th_jval *obj_at(mctx *c, th_jval *obj, const char *path, size_t n)
{
    th_jval *cur = obj;
    const char *s = path, *end = path + n;
    for (;;) {
        const char *dot = memchr(s, '.', (size_t)(end - s));
        th_str key = th_str_make(s, (size_t)((dot ? dot : end) - s));
        th_jval *next = th_jobj_getn(cur, key);
        if (!th_jis(next, TH_JOBJ)) {
            th_jval *old = next;
            next = th_jnew_obj(c->a);
            if (old) /* a value that is no object: replaced where it is */
                th_jobj_set(c->a, cur, key, next);
            else /* the search found none: no second search */
                th_jobj_push(c->a, cur, key, next);
        }
        cur = next;
        if (!dot)
            return cur;
        s = dot + 1;
    }
}

/* doc's aws.cloudtrail, made as mx_set makes it. */
static th_jval *ct_obj(mctx *c)
{
    if (!c->ct)
        c->ct = obj_at(c, c->doc, "aws.cloudtrail", MX_CT_LEN - 1);
    return c->ct;
}

/* The text of each mx_root (static: a member made from it borrows it). */
static const th_str root_keys[MR_COUNT] = {
#define MX_ROOT_KEY(k) {#k, sizeof #k - 1},
    MX_ROOT_KEYS(MX_ROOT_KEY)
#undef MX_ROOT_KEY
};

/* The mx_root of the n bytes at p, MR_COUNT when none: mx_root_of for a
 * path the compiler does not know. */
static mx_root root_find(const char *p, size_t n)
{
    /* the lengths of the keys: most other paths leave without a compare */
    static const uint32_t lengths = 0
#define MX_ROOT_LEN(k) | 1u << (sizeof #k - 1)
        MX_ROOT_KEYS(MX_ROOT_LEN)
#undef MX_ROOT_LEN
        ;
    if (n >= 32 || !(lengths >> n & 1))
        return MR_COUNT;
    for (int r = 0; r < MR_COUNT; r++)
        if (root_keys[r].n == n && th_bytes_eq(root_keys[r].p, p, n))
            return (mx_root)r;
    return MR_COUNT;
}

/* doc's member with mx_root r's key, NULL when it has none (without a
 * search where root_seen says so). */
static inline th_jval *root_member(const mctx *c, mx_root r)
{
    return c->root_seen >> r & 1 ? th_jobj_getn(c->doc, root_keys[r]) : NULL;
}

/* doc's object at mx_root r, made as th_jobj_set_pathn makes an object on a
 * path when absent or no object (a value that is no object is replaced where
 * it is), and remembered. */
static th_jval *root_make(mctx *c, mx_root r)
{
    if (c->root[r])
        return c->root[r];
    th_jval *obj = root_member(c, r);
    if (!th_jis(obj, TH_JOBJ)) {
        th_jval *old = obj;
        obj = th_jnew_obj(c->a);
        if (old)
            th_jobj_set(c->a, c->doc, root_keys[r], obj);
        else /* none: appended without a search */
            th_jobj_push(c->a, c->doc, root_keys[r], obj);
        c->root_seen |= 1u << r;
    }
    c->root[r] = obj;
    return obj;
}

/* doc's object at mx_root r, NULL when absent or no object (then not
 * remembered: a set may make it). */
static th_jval *root_get(mctx *c, mx_root r)
{
    if (c->root[r])
        return c->root[r];
    th_jval *obj = root_member(c, r);
    if (!th_jis(obj, TH_JOBJ))
        return NULL;
    c->root[r] = obj;
    return obj;
}

void mx_forget(mctx *c)
{
    c->ct = NULL;
    memset(c->root, 0, sizeof c->root);
}

th_jval *mx_get_ct(mctx *c, const char *path, size_t n, size_t below_first)
{
    if (c->ct)
        return th_jobj_get_pathn(c->ct, path + MX_CT_LEN, n - MX_CT_LEN, below_first);
    return th_jobj_get_pathn(c->doc, path, n, 3); /* from "aws" */
}

th_jval *mx_get_in(mctx *c, mx_root r, const char *rest, size_t rn, size_t rfirst)
{
    th_jval *obj = root_get(c, r);
    return obj ? th_jobj_get_pathn(obj, rest, rn, rfirst) : NULL;
}

th_jval *mx_get_doc(mctx *c, const char *path, size_t n, size_t first)
{
    mx_root r = first < n ? root_find(path, first) : MR_COUNT;
    if (r != MR_COUNT) {
        const char *rest = path + first + 1;
        size_t rn = n - first - 1;
        return mx_get_in(c, r, rest, rn, th_path_first(rest, rn));
    }
    return th_jobj_get_pathn(c->doc, path, n, first);
}

void mx_set_ct(mctx *c, const char *path, size_t n, size_t below_first, th_jval *v)
{
    th_jobj_set_pathn(c->a, ct_obj(c), path + MX_CT_LEN, n - MX_CT_LEN, below_first, v);
}

void mx_set_in(mctx *c, mx_root r, const char *rest, size_t rn, size_t rfirst, th_jval *v)
{
    th_jobj_set_pathn(c->a, root_make(c, r), rest, rn, rfirst, v);
}

/* Any path but those mx_set sends to mx_set_ct and mx_set_in: one below an
 * mx_root (a path the compiler does not know) goes the way of mx_set_in; a
 * root member set replaces the object root or ct may hold. Other paths make
 * no member an mx_root names (set_pathn makes their first segment's). */
void mx_set_doc(mctx *c, const char *path, size_t n, size_t first, th_jval *v)
{
    mx_root r = root_find(path, first);
    if (r != MR_COUNT && first < n) {
        const char *rest = path + first + 1;
        size_t rn = n - first - 1;
        mx_set_in(c, r, rest, rn, th_path_first(rest, rn), v);
        return;
    }
    if (r != MR_COUNT) {
        c->root[r] = NULL;
        c->root_seen |= 1u << r;
    }
    /* a value set at aws or aws.cloudtrail replaces the object ct holds */
    if (path[0] == 'a' && ((n == 3 && memcmp(path, "aws", 3) == 0) ||
                           (n == MX_CT_LEN - 1 && memcmp(path, MX_CT, n) == 0)))
        c->ct = NULL;
    th_jobj_set_pathn(c->a, c->doc, path, n, first, v);
}

th_jval *mx_obj(mctx *c, const char *path)
{
    size_t n = strlen(path);
    if (mx_below_ct(path, n))
        return obj_at(c, ct_obj(c), path + MX_CT_LEN, n - MX_CT_LEN);
    size_t first = th_path_first(path, n);
    mx_root r = root_find(path, first);
    if (r == MR_COUNT) /* makes no member an mx_root names */
        return obj_at(c, c->doc, path, n);
    th_jval *obj = root_make(c, r);
    return first == n ? obj : obj_at(c, obj, path + first + 1, n - first - 1);
}

void mx_remove(mctx *c, const char *path)
{
    c->ct = NULL;
    if (!strchr(path, '.')) /* a root member goes (root_seen may keep its bit) */
        mx_forget(c);
    th_jobj_remove_path(c->doc, path);
}

th_jval *mx_dst_obj(mctx *c, mx_dst *d)
{
    if (d->obj)
        return d->obj;
    if (!d->up) {
        d->obj = d->root != MR_COUNT ? root_make(c, d->root) : mx_obj(c, d->path);
        return d->obj;
    }
    th_jval *up = mx_dst_obj(c, d->up);
    th_str key = th_str_c(d->key);
    th_jval *obj = th_jobj_getn(up, key);
    if (!th_jis(obj, TH_JOBJ)) { /* as mx_obj makes the last object on a path */
        obj = th_jnew_obj(c->a);
        th_jobj_set(c->a, up, key, obj);
    }
    d->obj = obj;
    return obj;
}

void mx_putn(mctx *c, mx_dst *d, th_str key, th_jval *v)
{
    th_jobj_set(c->a, mx_dst_obj(c, d), key, v);
}

th_jval *mx_dst_get(mctx *c, mx_dst *d, const char *key)
{
    if (!d->obj) {
        /* an object found stays where it is: remember it; none: look again
         * next time (a set may make it) */
        th_jval *obj = d->root != MR_COUNT ? root_get(c, d->root) : mx_get(c, d->path);
        if (!th_jis(obj, TH_JOBJ))
            return NULL;
        d->obj = obj;
    }
    return th_jobj_get(d->obj, key);
}

th_jval *mx_as_array(mctx *c, th_jval *old)
{
    th_jval *arr = th_jnew_arr(c->a);
    if (old)
        th_jarr_push(c->a, arr, old);
    return arr;
}

void mx_push_unique(mctx *c, th_jval *arr, th_str s)
{
    for (uint32_t i = 0; i < arr->len; i++)
        if (th_jis(arr->u.items[i], TH_JSTR) && th_str_eq(arr->u.items[i]->u.str, s))
            return;
    th_jarr_push(c->a, arr, th_jnew_str(c->a, s));
}

th_str mx_render(mctx *c, const th_jval *v)
{
    if (!v)
        return TH_STR_NULL;
    if (v->type == TH_JSTR)
        return v->u.str;
    th_buf b;
    th_buf_init(&b);
    th_java_tostring(&b, v, mx_keycount, NULL);
    char *s = th_arena_strndup(c->a, b.data ? b.data : "", b.len);
    th_str r = th_str_make(s, b.len);
    th_buf_free(&b);
    return r;
}

void mx_fail(mctx *c, const char *msg)
{
    c->failed = true;
    th_jval *arr = mx_get(c, "error.message");
    if (!th_jis(arr, TH_JARR)) {
        arr = th_jnew_arr(c->a);
        mx_set(c, "error.message", arr);
    }
    th_jarr_push(c->a, arr, th_jnew_cstr(c->a, msg));
}

const char *mx_find(th_str s, const char *needle)
{
    /* memchr to each candidate first byte: a memcmp at every position cost
     * more than the whole rest of the entity script's ARN checks */
    if (!s.p)
        return NULL;
    size_t n = strlen(needle);
    if (!n)
        return s.p;
    const char *p = s.p, *end = s.p + s.n;
    while ((size_t)(end - p) >= n) {
        p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (!p)
            return NULL;
        /* the needle's last byte first: most candidates (the ':' and '/' of
         * an ARN) fail on it without a call to memcmp */
        if (p[n - 1] == needle[n - 1] && memcmp(p + 1, needle + 1, n - 1) == 0)
            return p;
        p++;
    }
    return NULL;
}
