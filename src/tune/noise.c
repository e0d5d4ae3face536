/* Noise ranking (noise.h). */
#include "tune/noise.h"

#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/map.h"
#include "base/vec.h"

const char *const th_noise_common_fields[] = {
    "source.ip",
    "source.address",
    "user_agent.original",
    "user.name",
    "aws.cloudtrail.user_identity.type",
    "aws.cloudtrail.user_identity.arn",
    "aws.cloudtrail.user_identity.invoked_by",
    "aws.cloudtrail.session_credential_from_console",
    "aws.cloudtrail.user_identity.session_context.mfa_authenticated",
    "event.action",
    "event.outcome",
    "cloud.region",
    "cloud.account.id",
    NULL,
};

typedef struct tally {
    size_t count, tp;
} tally;

typedef struct vals {
    th_str v[64];
    size_t n;
} vals;

static bool vals_visit(const th_jval *v, void *ctx)
{
    vals *c = ctx;
    th_str s;
    if (!th_tune_value_text(v, &s))
        return true;
    for (size_t i = 0; i < c->n; i++)
        if (th_str_eq(c->v[i], s))
            return true;
    if (c->n == sizeof c->v / sizeof c->v[0])
        return false;
    c->v[c->n++] = s;
    return true;
}

/* The "family" part of a value: up to and including the first '/', ' ' or
 * ':' (user agents, ARNs, paths), when at least 3 characters precede it and
 * something follows. Empty when the value has none. */
static th_str prefix_of(th_str v)
{
    for (size_t i = 3; i + 1 < v.n; i++)
        if (v.p[i] == '/' || v.p[i] == ' ' || v.p[i] == ':')
            return th_str_make(v.p, i + 1);
    return TH_STR_NULL;
}

/* The "path" part of a value: through its last '/' (ARNs: `...:user/`,
 * `...:assumed-role/Name/`), when something follows. */
static th_str path_of(th_str v)
{
    for (size_t i = v.n; i-- > 3;)
        if (v.p[i] == '/')
            return i + 1 < v.n ? th_str_make(v.p, i + 1) : TH_STR_NULL;
    return TH_STR_NULL;
}

static void bump(th_arena *a, th_map *m, th_str key, bool tp)
{
    bool ins;
    void **slot = th_map_ref(m, key, &ins);
    if (ins)
        *slot = TH_ANEW(a, tally);
    tally *t = *slot;
    t->count++;
    t->tp += tp;
}

static bool is_plain_literal(th_str v)
{
    if (v.n == 0)
        return false;
    if (th_str_eqc(v, "true") || th_str_eqc(v, "false"))
        return true;
    for (size_t i = 0; i < v.n; i++)
        if (!((v.p[i] >= '0' && v.p[i] <= '9') || (i == 0 && v.p[i] == '-') ||
              (i > 0 && v.p[i] == '.')))
            return false;
    return true;
}

const char *th_noise_kql(th_arena *a, th_noise_kind kind, const char *field, th_str value)
{
    th_buf b;
    th_buf_init(&b);
    if (kind == TH_NOISE_MISSING) {
        th_buf_printf(&b, "and %s: *", field);
    } else if (kind == TH_NOISE_VALUE) {
        th_buf_printf(&b, "and not %s: ", field);
        if (is_plain_literal(value)) {
            th_buf_putstr(&b, value);
        } else {
            th_buf_putc(&b, '"');
            for (size_t i = 0; i < value.n; i++) {
                if (value.p[i] == '"' || value.p[i] == '\\')
                    th_buf_putc(&b, '\\');
                th_buf_putc(&b, value.p[i]);
            }
            th_buf_putc(&b, '"');
        }
    } else {
        th_buf_printf(&b, "and not %s: ", field);
        for (size_t i = 0; i < value.n; i++) {
            if (strchr("\\():<>\"*{} \t", value.p[i]))
                th_buf_putc(&b, '\\');
            th_buf_putc(&b, value.p[i]);
        }
        th_buf_putc(&b, '*');
    }
    char *s = th_arena_strndup(a, b.data, b.len);
    th_buf_free(&b);
    return s;
}

typedef TH_VEC(th_noise_cand) cand_vec;

static void push_cand(th_arena *a, cand_vec *out, th_noise_kind kind, const char *field,
                      th_str value, const tally *t, size_t total, size_t min_removed)
{
    if (t->count < min_removed || t->count >= total)
        return; /* removes nothing worth showing, or everything */
    th_noise_cand c = {kind, field, value, t->count, t->tp, NULL};
    c.value = th_str_make(th_arena_strndup(a, value.p, value.n), value.n);
    c.kql = th_noise_kql(a, kind, field, value);
    TH_VEC_PUSH(out, c);
}

static int slot_count_cmp(const void *x, const void *y)
{
    const th_map_slot *a = *(const th_map_slot *const *)x, *b = *(const th_map_slot *const *)y;
    const tally *ta = a->value, *tb = b->value;
    if (ta->count != tb->count)
        return ta->count > tb->count ? -1 : 1;
    return th_str_cmp(a->key, b->key);
}

static void field_cands(th_arena *a, const th_talerts *s, const th_noise_opts *o, size_t fi,
                        cand_vec *out)
{
    const char *field = o->fields[fi];
    th_map byval, bypfx;
    th_map_init(&byval);
    th_map_init(&bypfx);
    tally missing = {0, 0};
    for (size_t i = 0; i < s->len; i++) {
        const th_talert *al = &s->items[i];
        bool tp = th_labels_has(o->labels, al->id);
        vals v = {.n = 0};
        th_json_path_each(al->doc, th_str_c(field), vals_visit, &v);
        if (v.n == 0) {
            missing.count++;
            missing.tp += tp;
        }
        th_str seen[128];
        size_t nseen = 0;
        for (size_t j = 0; j < v.n; j++) {
            bump(a, &byval, v.v[j], tp);
            th_str ps[2] = {prefix_of(v.v[j]), path_of(v.v[j])};
            for (int pi = 0; pi < 2; pi++) {
                th_str p = ps[pi];
                bool dup = p.n == 0;
                for (size_t k = 0; k < nseen && !dup; k++)
                    dup = th_str_eq(seen[k], p);
                if (!dup && nseen < sizeof seen / sizeof seen[0]) {
                    seen[nseen++] = p;
                    bump(a, &bypfx, p, tp);
                }
            }
        }
    }
    size_t minr = o->min_removed ? o->min_removed : 1;
    push_cand(a, out, TH_NOISE_MISSING, field, TH_STR_NULL, &missing, s->len, minr);
    /* Values, most frequent first, at most max_values of them. */
    size_t maxv = o->max_values ? o->max_values : 64, nv = 0;
    th_map_slot **order = th_xcalloc(byval.len + 1, sizeof *order);
    for (size_t i = 0; i < byval.cap; i++)
        if (byval.slots[i].used)
            order[nv++] = &byval.slots[i];
    qsort(order, nv, sizeof *order, slot_count_cmp);
    for (size_t i = 0; i < nv && i < maxv; i++)
        push_cand(a, out, TH_NOISE_VALUE, field, order[i]->key, order[i]->value, s->len, minr);
    free(order);
    /* A prefix is worth listing only when it covers more than one value. */
    for (size_t i = 0; i < bypfx.cap; i++) {
        if (!bypfx.slots[i].used)
            continue;
        th_str p = bypfx.slots[i].key;
        size_t covered = 0;
        for (size_t j = 0; j < byval.cap && covered < 2; j++)
            if (byval.slots[j].used && byval.slots[j].key.n > p.n &&
                memcmp(byval.slots[j].key.p, p.p, p.n) == 0)
                covered++;
        if (covered >= 2)
            push_cand(a, out, TH_NOISE_PREFIX, field, p, bypfx.slots[i].value, s->len, minr);
    }
    th_map_free(&byval);
    th_map_free(&bypfx);
}

typedef struct rank_ctx {
    th_noise_cand c;
    size_t field_index;
} rank_item;

static int rank_cmp(const void *x, const void *y)
{
    const rank_item *a = x, *b = y;
    size_t an = a->c.removed - a->c.tp_removed, bn = b->c.removed - b->c.tp_removed;
    if (an != bn)
        return an > bn ? -1 : 1;
    if (a->c.tp_removed != b->c.tp_removed)
        return a->c.tp_removed < b->c.tp_removed ? -1 : 1;
    static const int kind_order[] = {
        [TH_NOISE_MISSING] = 0, [TH_NOISE_VALUE] = 1, [TH_NOISE_PREFIX] = 2};
    if (a->c.kind != b->c.kind)
        return kind_order[a->c.kind] - kind_order[b->c.kind];
    if (a->field_index != b->field_index)
        return a->field_index < b->field_index ? -1 : 1;
    return th_str_cmp(a->c.value, b->c.value);
}

size_t th_noise_rank(th_arena *a, const th_talerts *alerts, const th_noise_opts *o,
                     th_noise_cand **out)
{
    cand_vec all = {0};
    TH_VEC(size_t) owner = {0};
    for (size_t f = 0; f < o->nfields; f++) {
        size_t before = all.len;
        field_cands(a, alerts, o, f, &all);
        for (size_t i = before; i < all.len; i++)
            TH_VEC_PUSH(&owner, f);
    }
    rank_item *items = th_xcalloc(all.len + 1, sizeof *items);
    for (size_t i = 0; i < all.len; i++)
        items[i] = (rank_item){all.items[i], owner.items[i]};
    qsort(items, all.len, sizeof *items, rank_cmp);
    th_noise_cand *res = TH_ANEWN(a, th_noise_cand, all.len + 1);
    for (size_t i = 0; i < all.len; i++)
        res[i] = items[i].c;
    size_t n = all.len;
    free(items);
    TH_VEC_FREE(&all);
    TH_VEC_FREE(&owner);
    *out = res;
    return n;
}
