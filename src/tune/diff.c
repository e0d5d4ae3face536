/* Alert sets, field statistics and the before/after comparison (tune.h). */
#include "tune/tune.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/timeutil.h"

void th_talerts_push(th_talerts *s, th_talert a)
{
    if (s->len == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->items = th_xrealloc(s->items, s->cap * sizeof *s->items);
    }
    s->items[s->len++] = a;
}

void th_talerts_free(th_talerts *s)
{
    free(s->items);
    memset(s, 0, sizeof *s);
}

static int64_t doc_time(const th_jval *doc, const char *path)
{
    th_str s = th_jstr(th_json_path_first(doc, th_str_c(path)));
    int64_t ms;
    if (s.p && th_time_parse_iso(s.p, s.n, &ms))
        return ms;
    return TH_TIME_NONE;
}

bool th_talert_from_doc(const th_jval *doc, th_talert *out)
{
    static const char *const id_paths[] = {"event.id", "kibana.alert.original_event.id",
                                           "kibana.alert.uuid", "_id"};
    memset(out, 0, sizeof *out);
    out->doc = doc;
    for (size_t i = 0; i < sizeof id_paths / sizeof id_paths[0] && !out->id.p; i++)
        out->id = th_jstr(th_json_path_first(doc, th_str_c(id_paths[i])));
    out->ts_ms = doc_time(doc, "kibana.alert.original_time");
    if (out->ts_ms == TH_TIME_NONE)
        out->ts_ms = doc_time(doc, "@timestamp");
    return out->id.p != NULL;
}

bool th_tune_value_text(const th_jval *v, th_str *out)
{
    return th_jscalar_text(v, out);
}

/* ---- top values ------------------------------------------------------ */

typedef struct collect {
    th_str vals[64]; /* distinct values of one field in one document */
    size_t n;
    bool truncated;
} collect;

static bool collect_visit(const th_jval *v, void *ctx)
{
    collect *c = ctx;
    th_str s;
    if (!th_tune_value_text(v, &s))
        return true;
    for (size_t i = 0; i < c->n; i++)
        if (th_str_eq(c->vals[i], s))
            return true;
    if (c->n == sizeof c->vals / sizeof c->vals[0]) {
        c->truncated = true;
        return false;
    }
    c->vals[c->n++] = s;
    return true;
}

static int count_cmp(const void *x, const void *y)
{
    const th_tune_count *a = x, *b = y;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return th_str_cmp(a->value, b->value);
}

void th_tune_top_values(th_arena *a, const th_talert *const *alerts, size_t n, const char *field,
                        size_t k, th_tune_top *out)
{
    memset(out, 0, sizeof *out);
    out->field = field;
    th_map counts;
    th_map_init(&counts);
    for (size_t i = 0; i < n; i++) {
        collect c = {.n = 0};
        th_json_path_each(alerts[i]->doc, th_str_c(field), collect_visit, &c);
        if (c.n == 0)
            out->missing++;
        for (size_t j = 0; j < c.n; j++) {
            bool ins;
            void **slot = th_map_ref(&counts, c.vals[j], &ins);
            *slot = (void *)((uintptr_t)*slot + 1);
        }
    }
    out->distinct = counts.len;
    th_tune_count *all = TH_ANEWN(a, th_tune_count, counts.len ? counts.len : 1);
    size_t m = 0;
    for (size_t i = 0; i < counts.cap; i++)
        if (counts.slots[i].used)
            all[m++] = (th_tune_count){counts.slots[i].key, (uintptr_t)counts.slots[i].value};
    qsort(all, m, sizeof *all, count_cmp);
    out->values = all;
    out->nvalues = m < k ? m : k;
    th_map_free(&counts);
}

/* ---- labels -------------------------------------------------------------- */

void th_labels_init(th_labels *l)
{
    th_arena_init(&l->arena, 64 * 1024);
    th_map_init(&l->ids);
    l->len = 0;
}

void th_labels_free(th_labels *l)
{
    th_map_free(&l->ids);
    th_arena_free(&l->arena);
}

static void labels_add(th_labels *l, th_str id)
{
    if (id.n == 0 || th_map_has(&l->ids, id))
        return;
    char *copy = th_arena_strndup(&l->arena, id.p, id.n);
    th_map_put(&l->ids, th_str_make(copy, id.n), copy);
    l->len++;
}

bool th_labels_has(const th_labels *l, th_str id)
{
    return l && th_map_has(&l->ids, id);
}

static const th_jval *first_key(const th_jval *o, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const th_jval *v = th_json_path_first(o, th_str_c(keys[i]));
        if (v)
            return v;
    }
    return NULL;
}

static bool names_rule(const th_jval *rules, const char *rule_id, const char *rule_name)
{
    if (!rules)
        return true; /* no rule list: every malicious event counts */
    const th_jval *one[1] = {rules};
    const th_jval *const *items = one;
    size_t n = 1;
    if (rules->type == TH_JARR) {
        items = (const th_jval *const *)rules->u.items;
        n = rules->len;
    }
    for (size_t i = 0; i < n; i++) {
        th_str s = th_jstr(items[i]);
        if ((rule_id && th_str_eqc(s, rule_id)) || (rule_name && th_str_eqc(s, rule_name)))
            return true;
    }
    return false;
}

/* One pass over a labels file. With `add` false it only counts the malicious
 * events whose label names the rule; with `add` true it adds the labels that
 * count (`any_malicious`: every malicious event, whatever rules it names). */
static size_t scan_labels(th_labels *l, const char *text, size_t len, const char *rule_id,
                          const char *rule_name, bool add, bool any_malicious, size_t *bad,
                          const char *file, FILE *errf)
{
    static const char *const id_keys[] = {"eventID", "event_id", "event.id", "id"};
    static const char *const mal_keys[] = {"malicious", "label", "is_malicious", "attack"};
    static const char *const rule_keys[] = {"expected_rules", "rules", "rule_ids", "expect"};
    size_t lineno = 0, counted = 0;
    th_arena tmp;
    th_arena_init(&tmp, 64 * 1024);
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        lineno++;
        size_t b = pos;
        while (b < end && (text[b] == ' ' || text[b] == '\t' || text[b] == '\r'))
            b++;
        if (b < end) {
            th_json_error err;
            th_jval *o = th_json_parse(&tmp, text + b, end - b, &err);
            const th_jval *id = o ? first_key(o, id_keys, 4) : NULL;
            if (!o || !th_jis(id, TH_JSTR)) {
                if (add) {
                    (*bad)++;
                    if (errf)
                        fprintf(errf, "%s:%zu: %s\n", file ? file : "labels", lineno,
                                o ? "no eventID" : err.reason);
                }
            } else {
                const th_jval *m = first_key(o, mal_keys, 4);
                bool mal = !m || m->type == TH_JTRUE ||
                           (m->type == TH_JSTR &&
                            (th_str_eqc(m->u.str, "malicious") || th_str_eqc(m->u.str, "true")));
                const th_jval *rl = first_key(o, rule_keys, 4);
                /* counting: only labels that really list this rule */
                bool names = add ? names_rule(rl, rule_id, rule_name)
                                 : rl && names_rule(rl, rule_id, rule_name);
                if (mal && (any_malicious || names)) {
                    counted++;
                    if (add)
                        labels_add(l, id->u.str);
                }
            }
        }
        pos = end + 1;
        th_arena_reset(&tmp);
    }
    th_arena_free(&tmp);
    return counted;
}

size_t th_labels_load_ndjson(th_labels *l, const char *text, size_t len, const char *rule_id,
                             const char *rule_name, const char *file, FILE *errf)
{
    size_t bad = 0;
    /* Labels that name rules (emulate's) name Elastic's rule ids; a rule of
     * the user's own is named by none of them. Then every malicious event is
     * a true positive the rule should keep. */
    bool named = scan_labels(l, text, len, rule_id, rule_name, false, false, &bad, file, NULL) > 0;
    if (!named && errf)
        fprintf(errf, "%s: no label names rule %s; every malicious event counts as a true "
                      "positive\n",
                file ? file : "labels", rule_id ? rule_id : "(unnamed)");
    scan_labels(l, text, len, rule_id, rule_name, true, !named, &bad, file, errf);
    return bad;
}

void th_labels_load_lines(th_labels *l, const char *text, size_t len)
{
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t b = pos, e = end;
        while (b < e && (text[b] == ' ' || text[b] == '\t'))
            b++;
        while (e > b && (text[e - 1] == ' ' || text[e - 1] == '\t' || text[e - 1] == '\r'))
            e--;
        if (b < e && text[b] != '#')
            labels_add(l, th_str_make(text + b, e - b));
        pos = end + 1;
    }
}

/* ---- comparison ------------------------------------------------------------ */

static int alert_time_cmp(const void *x, const void *y)
{
    const th_talert *a = *(const th_talert *const *)x, *b = *(const th_talert *const *)y;
    if (a->ts_ms != b->ts_ms)
        return a->ts_ms < b->ts_ms ? -1 : 1;
    return th_str_cmp(a->id, b->id);
}

static void index_ids(th_map *m, const th_talerts *s)
{
    th_map_init(m);
    for (size_t i = 0; i < s->len; i++)
        th_map_put(m, s->items[i].id, &s->items[i]);
}

/* Alerts of `s` whose id is absent from `other`, sorted by time. */
static const th_talert **missing_from(th_arena *a, const th_talerts *s, const th_map *other,
                                      size_t *n)
{
    const th_talert **out = TH_ANEWN(a, const th_talert *, s->len + 1);
    *n = 0;
    for (size_t i = 0; i < s->len; i++)
        if (!th_map_has(other, s->items[i].id))
            out[(*n)++] = &s->items[i];
    qsort(out, *n, sizeof *out, alert_time_cmp);
    return out;
}

static int64_t day_of(int64_t ms)
{
    return ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
}

static void span(const th_talerts *s, int64_t *lo, int64_t *hi)
{
    for (size_t i = 0; i < s->len; i++) {
        int64_t t = s->items[i].ts_ms;
        if (t == TH_TIME_NONE)
            continue;
        if (*lo == TH_TIME_NONE || t < *lo)
            *lo = t;
        if (*hi == TH_TIME_NONE || t > *hi)
            *hi = t;
    }
}

static void per_day(th_arena *a, const th_talerts *before, const th_talerts *after,
                    const th_tune_opts *o, th_tune_diff *d)
{
    int64_t lo = TH_TIME_NONE, hi = TH_TIME_NONE;
    span(before, &lo, &hi);
    span(after, &lo, &hi);
    if (o->from_ms != TH_TIME_NONE)
        lo = o->from_ms;
    if (o->to_ms != TH_TIME_NONE)
        hi = o->to_ms - 1; /* --to is exclusive */
    if (lo == TH_TIME_NONE || hi == TH_TIME_NONE || hi < lo)
        return;
    int64_t d0 = day_of(lo), d1 = day_of(hi);
    if (d1 - d0 > 3660) /* ten years of days is plenty for a table */
        d1 = d0 + 3660;
    d->ndays = (size_t)(d1 - d0 + 1);
    d->days = TH_ANEWN(a, th_tune_day, d->ndays);
    for (size_t i = 0; i < d->ndays; i++)
        d->days[i].day = d0 + (int64_t)i;
    for (int side = 0; side < 2; side++) {
        const th_talerts *s = side ? after : before;
        for (size_t i = 0; i < s->len; i++) {
            int64_t t = s->items[i].ts_ms;
            if (t == TH_TIME_NONE || day_of(t) < d0 || day_of(t) > d1)
                continue;
            th_tune_day *day = &d->days[day_of(t) - d0];
            if (side)
                day->after++;
            else
                day->before++;
        }
    }
}

static void true_positives(th_arena *a, const th_talerts *before, const th_talerts *after,
                           const th_map *bidx, const th_map *aidx, const th_labels *l,
                           th_tune_diff *d)
{
    d->has_labels = true;
    d->tp_labeled = l->len;
    for (size_t i = 0; i < l->ids.cap; i++) {
        if (!l->ids.slots[i].used)
            continue;
        th_str id = l->ids.slots[i].key;
        bool b = th_map_has(bidx, id), af = th_map_has(aidx, id);
        d->tp_before += b;
        d->tp_after += af;
        d->tp_kept += b && af;
        d->tp_lost += b && !af;
        d->tp_gained += !b && af;
    }
    d->lost = TH_ANEWN(a, const th_talert *, d->tp_lost + 1);
    for (size_t i = 0; i < before->len; i++) {
        const th_talert *al = &before->items[i];
        if (th_labels_has(l, al->id) && !th_map_has(aidx, al->id) && d->nlost < d->tp_lost &&
            th_map_get(bidx, al->id) == al) /* count each id once */
            d->lost[d->nlost++] = al;
    }
    qsort(d->lost, d->nlost, sizeof *d->lost, alert_time_cmp);
    (void)after;
}

void th_tune_diff_compute(th_arena *a, const th_talerts *before, const th_talerts *after,
                          const th_tune_opts *o, th_tune_diff *d)
{
    memset(d, 0, sizeof *d);
    th_map bidx, aidx;
    index_ids(&bidx, before);
    index_ids(&aidx, after);
    d->nbefore = before->len;
    d->nafter = after->len;
    d->removed = missing_from(a, before, &aidx, &d->nremoved);
    d->added = missing_from(a, after, &bidx, &d->nadded);
    d->nkept = before->len - d->nremoved;
    per_day(a, before, after, o, d);
    size_t k = o->top_k ? o->top_k : 5;
    d->nfields = o->nfields;
    d->removed_top = TH_ANEWN(a, th_tune_top, o->nfields + 1);
    d->added_top = TH_ANEWN(a, th_tune_top, o->nfields + 1);
    for (size_t i = 0; i < o->nfields; i++) {
        th_tune_top_values(a, d->removed, d->nremoved, o->fields[i], k, &d->removed_top[i]);
        th_tune_top_values(a, d->added, d->nadded, o->fields[i], k, &d->added_top[i]);
    }
    if (o->labels)
        true_positives(a, before, after, &bidx, &aidx, o->labels, d);
    th_map_free(&bidx);
    th_map_free(&aidx);
}

double th_tune_pct(size_t b, size_t a)
{
    if (b == 0)
        return a == 0 ? 0.0 : INFINITY;
    return ((double)a - (double)b) * 100.0 / (double)b;
}
